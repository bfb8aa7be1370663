// The real-guest conformance scenarios (issue #4). Scenarios that can share a boot form a
// group: `main` (the engine's own HEST in a pc-dimm: polled, SEA and an unsupported SEI
// source), `fatal` (the guest must panic) and `qemu-ras` (QEMU's own ras=on table). Every
// expectation about printed lines comes from the codec (records.ts, lint), never from text
// written here; the kernel's own messages come from the codec's lint tables.

import {
  decodeHest,
  GhesText,
  HestNotificationType,
  KERNEL_VERSIONS,
  type KernelVersion,
  type LintFinding,
  lintHest,
  lintStatusBlock,
  linuxAcceptance,
} from '../codec/index.js';
import {
  BusyPolicy,
  type MachineConfig,
  PointerLayout,
  type RecordOutcome,
  readU64,
} from '../engine/index.js';
import { FileGuestMemory } from '../engine/node/file-memory.js';
import type { GuestManifest } from './cache.js';
import { type ConsoleLine, hardwareErrorRecords } from './console.js';
import { GuestError } from './errors.js';
import { expectRecordPrinted } from './expect-record.js';
import { findHestInRam } from './find-hest.js';
import {
  adoptedMachine,
  bootOwnHest,
  type EngineMachine,
  guardBlockOwnership,
  sourceRegisters,
  sourceState,
  waitConsumed,
} from './own-hest.js';
import { PrintBudget, printClassOf } from './print-budget.js';
import { armEntry, CperSeverity, memoryEntry, memoryRecord, statusBlockBytes } from './records.js';
import { DIMM_GPA, GuestVm, RAM_GPA } from './vm.js';

/** Kept for src/inject/targets.ts, which imports it from here. */
export { findHestInRam };

export const SCENARIOS = [
  { id: 'polled-corrected', n: 1, group: 'main', title: 'polled GHESv2 corrected memory error' },
  {
    id: 'early-kill',
    n: 2,
    group: 'main',
    title: 'recoverable error on the victim page, early kill (BUS_MCEERR_AO)',
  },
  {
    id: 'late-kill',
    n: 3,
    group: 'main',
    title: 'recoverable error on the victim page, late kill (BUS_MCEERR_AR)',
  },
  { id: 'fatal', n: 4, group: 'fatal', title: 'fatal severity panics the guest' },
  { id: 'sea', n: 5, group: 'main', title: 'SEA source decoded on a synchronous external abort' },
  {
    id: 'queue',
    n: 6,
    group: 'main',
    title: 'several records in a row, each consumed in order as the guest acks',
  },
  {
    id: 'qemu-ras',
    n: 7,
    group: 'qemu-ras',
    title: "QEMU's own ras=on table and hardware_errors blob",
  },
  {
    id: 'malformed',
    n: 8,
    group: 'main',
    title: "malformed records and HEST: the guest's rejections match the codec lint",
  },
  {
    id: 'arm-multi',
    n: 9,
    group: 'main',
    title: 'ARM processor section and a multi-section record',
  },
  {
    id: 'sea-ram',
    n: 10,
    group: 'main',
    title: "SEA record naming a RAM page (a late-kill victim's): memory_failure, no forced SIGBUS",
  },
] as const;
export type ScenarioId = (typeof SCENARIOS)[number]['id'];
export type GroupId = (typeof SCENARIOS)[number]['group'];

export interface ScenarioResult {
  readonly id: ScenarioId;
  readonly ok: boolean;
  readonly error?: string;
  /** Host ms from the final write of each record to its first console line (or its ack). */
  readonly latenciesMs: readonly number[];
  /** Records written, as hex, with their source id. */
  readonly records: readonly { readonly sourceId: number; readonly hex: string }[];
  /** The console lines printed while the scenario ran (printk timestamps stripped). */
  readonly console: readonly string[];
}

export interface GroupResult {
  readonly group: GroupId;
  readonly bootMs: number | undefined;
  readonly guestBootS: number | undefined;
  readonly wallMs: number;
  readonly seed: number;
  readonly scenarios: readonly ScenarioResult[];
  readonly console: string;
  /** Set when the group failed before or outside its scenarios (boot, QEMU). */
  readonly error?: string;
}

/** Records scenario 6 posts at once; the backlog holds all but the first. */
export const QUEUE_RECORDS = 8;
const QUEUE_BACKLOG_LIMIT = 16;

/** Source ids of the main group's HEST. */
export const MAIN_SOURCE = { polled: 0, queue: 1, sea: 2, sei: 3 } as const;

export function mainMachineConfig(): MachineConfig {
  return {
    layout: PointerLayout.HestAddr,
    sources: [
      { id: MAIN_SOURCE.polled, notification: HestNotificationType.Polled, pollIntervalMs: 100 },
      {
        id: MAIN_SOURCE.queue,
        notification: HestNotificationType.Polled,
        pollIntervalMs: 100,
        policy: BusyPolicy.Queue,
        backlogLimit: QUEUE_BACKLOG_LIMIT,
      },
      { id: MAIN_SOURCE.sea, notification: HestNotificationType.ArmSea },
      { id: MAIN_SOURCE.sei, notification: HestNotificationType.ArmSei },
    ],
  };
}

export function fatalMachineConfig(): MachineConfig {
  return {
    layout: PointerLayout.HestAddr,
    sources: [{ id: 0, notification: HestNotificationType.Polled, pollIntervalMs: 100 }],
  };
}

const DIMM_BYTES = 2 << 20;
/** A physical address the `virt` board leaves unassigned: a guest access raises an SEA. */
export const UNASSIGNED_PA = 0x0910_0000n;
const PRINT_WAIT_MS = 1300;

/** Small seeded generator (xorshift32) so addresses differ between runs yet replay from the seed. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

class Run {
  readonly budget = new PrintBudget();
  readonly records: { sourceId: number; hex: string }[] = [];
  readonly latencies: number[] = [];
  constructor(
    readonly vm: GuestVm,
    readonly random: () => number,
    /** The guest kernel, for every expectation the codec computes. */
    readonly kernel: KernelVersion,
  ) {}

  reset(): void {
    this.records.length = 0;
    this.latencies.length = 0;
  }

  note(sourceId: number, record: Uint8Array): void {
    this.records.push({ sourceId, hex: Buffer.from(record).toString('hex') });
  }

  /** Waits until a record of this severity will be printed (rate limit). */
  async printSlot(severity: number): Promise<void> {
    const wait = this.budget.waitBefore(printClassOf(severity), performance.now(), PRINT_WAIT_MS);
    if (wait > 0) await sleep(wait);
  }

  /** Waits for the record from `sourceId` after line `from`, checks it, returns its first line. */
  async expectPrinted(
    record: Uint8Array,
    sourceId: number,
    from: number,
    timeoutMs = 4000,
    allowPanic = false,
  ): Promise<ConsoleLine> {
    const { first } = await expectRecordPrinted(this.vm.console, record, sourceId, from, {
      kernel: this.kernel,
      timeoutMs,
      allowPanic,
    });
    this.budget.printed(
      printClassOf(new DataView(record.buffer, record.byteOffset).getUint32(16, true)),
      first.hostMs,
    );
    return first;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function fail(message: string): never {
  throw new GuestError('mismatch', message);
}

function severityOf(record: Uint8Array): number {
  return new DataView(record.buffer, record.byteOffset).getUint32(16, true);
}

/**
 * Records one status block through the engine and requires it to be written at once (the
 * source was free); returns host ms right after the engine's final write (`block_status`).
 */
function postNow(run: Run, m: EngineMachine, sourceId: number, record: Uint8Array): number {
  run.note(sourceId, record);
  const out = m.engine.record(sourceId, record);
  const at = performance.now();
  if (out.status !== 'posted') {
    fail(`the engine did not post the record on source ${sourceId} at once: ${out.status}`);
  }
  return at;
}

/** Posts a record into a polled source and checks the print, clear and ack. */
async function postPolled(
  run: Run,
  m: EngineMachine,
  sourceId: number,
  record: Uint8Array,
): Promise<ConsoleLine> {
  await run.printSlot(severityOf(record));
  const from = run.vm.console.lines.length;
  const posted = postNow(run, m, sourceId, record);
  const first = await run.expectPrinted(record, sourceId, from);
  await waitConsumed(m.engine, sourceId, 2000);
  run.latencies.push(first.hostMs - posted);
  return first;
}

interface VictimInfo {
  readonly pid: number;
  readonly paddr: bigint;
  readonly pfn: bigint;
  readonly line: ConsoleLine;
}

async function startVictim(run: Run, mode: 'early' | 'late'): Promise<VictimInfo> {
  const from = run.vm.console.lines.length;
  run.vm.send(`/bin/victim ${mode} 60 &`);
  const line = await run.vm.console.waitForText(/^VICTIM: pid=\d+ .*mode=/, {
    timeoutMs: 5000,
    from,
    what: 'the victim report',
  });
  const m = /pid=(\d+) .*present=(\d) pfn=(0x[0-9a-f]+) paddr=(0x[0-9a-f]+)/.exec(line.text);
  if (m === null || m[2] !== '1') fail(`victim page not present: ${line.text}`);
  return { pid: Number(m[1]), pfn: BigInt(m[3]!), paddr: BigInt(m[4]!), line };
}

async function victimScenario(run: Run, m: EngineMachine, mode: 'early' | 'late'): Promise<void> {
  const v = await startVictim(run, mode);
  const record = memoryRecord(CperSeverity.Recoverable, v.paddr);
  const from = run.vm.console.lines.length;
  await postPolled(run, m, MAIN_SOURCE.polled, record);
  const pfn = `0x${v.pfn.toString(16)}`;
  const opts = { timeoutMs: 4000, from };
  if (mode === 'early') {
    await run.vm.console.waitForText(
      `Memory failure: ${pfn}: Sending SIGBUS to victim:${v.pid} due to hardware memory corruption`,
      opts,
    );
  }
  await run.vm.console.waitForText(
    new RegExp(`^Memory failure: ${pfn}: recovery action for .*: Recovered$`),
    opts,
  );
  const sig = await run.vm.console.waitForText(/^VICTIM: got SIGBUS si_code=\d+/, opts);
  const code = Number(/si_code=(\d+)/.exec(sig.text)![1]);
  const want = mode === 'early' ? 5 : 4; // BUS_MCEERR_AO / BUS_MCEERR_AR
  if (code !== want) fail(`victim (${mode} kill) got si_code ${code}, expected ${want}`);
  if (
    mode === 'late' &&
    run.vm.console.lines
      .slice(from)
      .some((l) => l.text.includes(`Sending SIGBUS to victim:${v.pid}`))
  ) {
    fail('late kill: the kernel signalled the victim at once');
  }
}

/** Kernel lines that the lint findings predict (those with a message). */
function predictedMessages(findings: readonly LintFinding[]): string[] {
  return findings.filter((f) => f.message !== '' && f.severity !== 'info').map((f) => f.message);
}

async function malformedRecord(
  run: Run,
  m: EngineMachine,
  record: Uint8Array,
  what: string,
): Promise<void> {
  const findings = lintStatusBlock(record, {
    errorBlockLength: 1024,
    notificationType: HestNotificationType.Polled,
    sourceId: MAIN_SOURCE.queue,
    kernel: run.kernel,
  });
  const messages = predictedMessages(findings);
  if (messages.length === 0) fail(`${what}: the codec lint predicts no rejection`);
  const rejected = findings.some((f) => f.consequence.kind === 'rejected-acked');
  if (!rejected) fail(`${what}: the codec lint does not predict rejected-acked`);
  const from = run.vm.console.lines.length;
  const posted = postNow(run, m, MAIN_SOURCE.queue, record);
  const acked = await waitConsumed(m.engine, MAIN_SOURCE.queue, 3000);
  run.latencies.push(acked - posted);
  for (const msg of messages)
    await run.vm.console.waitForText(msg, { timeoutMs: 2000, from, what: `${what}: '${msg}'` });
  await sleep(50);
  if (
    run.vm.console.lines
      .slice(from)
      .some((l) => l.text.includes('Hardware error from APEI Generic Hardware Error Source: 1'))
  ) {
    fail(`${what}: the guest printed a record the lint says it rejects`);
  }
}

/** Offset of a memory section's physical address in a one-entry status block (20 + 72 + 16). */
const FIRST_PA_OFFSET = 108n;

/**
 * Scenario 6: QUEUE_RECORDS corrected records handed to the engine at once on a `queue`
 * source. The first is posted, the rest wait in the engine's backlog; the harness calls
 * `service()` while it polls the read-ack register (the engine has no clock). Checked: every
 * record is consumed (acks counted, not lines: the kernel rate-limits corrected prints), in
 * order (the block still holds record i when its ack arrives), and the engine never writes the
 * block while the guest has not acked (checked on every write the engine makes).
 */
async function queueScenario(run: Run, m: EngineMachine): Promise<void> {
  const id = MAIN_SOURCE.queue;
  const regs = sourceRegisters(m.engine, id);
  const before = m.engine.stats().sources.find((s) => s.id === id)!;
  // Distinct pages, so the kernel's duplicate cache never hides one (ghes_estatus_cached).
  const first = 0x4200_0000n + BigInt(run.random() % 0x800) * 0x1000n;
  const pas = Array.from({ length: QUEUE_RECORDS }, (_, i) => first + BigInt(i) * 0x1000n);
  const records = pas.map((pa) => memoryRecord(CperSeverity.Corrected, pa));
  const guard = guardBlockOwnership(m, id);
  try {
    const from = run.vm.console.lines.length;
    const postedAt: number[] = [];
    const outcomes: RecordOutcome[] = records.map((r) => {
      run.note(id, r);
      return m.engine.record(id, r);
    });
    postedAt.push(performance.now());
    outcomes.forEach((o, i) => {
      const want = i === 0 ? 'posted' : 'queued';
      if (o.status !== want) fail(`record ${i}: the engine said ${o.status}, expected ${want}`);
      if (o.status === 'queued' && o.depth !== i) fail(`record ${i}: queued at depth ${o.depth}`);
    });
    let acks = 0;
    let deadline = performance.now() + 3000;
    while (acks < records.length) {
      const s = sourceState(m.engine, id);
      if (s.consumed) {
        const pa = readU64(m.memory, regs.block + FIRST_PA_OFFSET);
        if (pa !== pas[acks]) {
          fail(
            `ack ${acks}: the block holds PA 0x${pa.toString(16)}, expected 0x${pas[acks]!.toString(16)} (out of order or overwritten)`,
          );
        }
        run.latencies.push(performance.now() - postedAt[acks]!);
        acks++;
        const delivered = m.engine.service();
        const want = acks < records.length ? 1 : 0;
        if (delivered !== want)
          fail(`after ack ${acks}: service() delivered ${delivered}, expected ${want}`);
        if (delivered === 1) postedAt.push(performance.now());
        deadline = performance.now() + 3000;
      } else if (performance.now() > deadline) {
        fail(
          `the guest acked ${acks} of ${records.length} records (block_status 0x${s.blockStatus.toString(16)}, ack 0x${s.ack.toString(16)})`,
        );
      } else {
        await sleep(1);
      }
    }
    if (guard.violations.length > 0)
      fail(`the engine wrote into the block of an unconsumed record: ${guard.violations[0]}`);
    const after = m.engine.stats().sources.find((s) => s.id === id)!;
    const delta = {
      posted: after.posted - before.posted,
      queued: after.queued - before.queued,
      dropped: after.dropped - before.dropped,
    };
    const want = { posted: records.length, queued: records.length - 1, dropped: 0 };
    if (JSON.stringify(delta) !== JSON.stringify(want))
      fail(`engine counters ${JSON.stringify(delta)}, expected ${JSON.stringify(want)}`);
    if (m.engine.backlogSize !== 0) fail(`${m.engine.backlogSize} records left in the backlog`);
    // The lines the kernel did print (rate limit permitting) come in the same order.
    await sleep(100);
    const header = `Generic Hardware Error Source: ${id}`;
    const printed = hardwareErrorRecords(run.vm.console.lines.slice(from)).filter((r) =>
      r.lines[0]!.endsWith(header),
    );
    for (const r of printed) run.budget.printed('corrected', r.first.hostMs);
    const printedPas = printed.map((r) => {
      const line = r.lines.find((l) => l.includes('physical_address: '));
      return line === undefined ? undefined : BigInt(line.split('physical_address: ')[1]!);
    });
    let next = 0;
    for (const pa of printedPas) {
      const at = pas.findIndex((p, i) => i >= next && p === pa);
      if (at < 0) fail(`printed records out of order: ${printedPas.map(String).join(', ')}`);
      next = at + 1;
    }
  } finally {
    guard.stop();
  }
}

type ScenarioFn = (run: Run) => Promise<void>;

function mainScenarios(m: EngineMachine): Record<string, ScenarioFn> {
  const page = (run: Run) => 0x4100_0000n + BigInt(run.random() % 0x1000) * 0x1000n;
  return {
    'polled-corrected': async (run) => {
      const record = memoryRecord(CperSeverity.Corrected, page(run));
      await postPolled(run, m, MAIN_SOURCE.polled, record);
      const s = sourceState(m.engine, MAIN_SOURCE.polled);
      if (s.blockStatus !== 0) fail('block_status not cleared');
      if (s.ack !== 1n) fail(`read-ack register is 0x${s.ack.toString(16)}, expected 1`);
    },
    'arm-multi': async (run) => {
      const mpidr = 0x8000_0000n | BigInt(run.random() % 4);
      await postPolled(
        run,
        m,
        MAIN_SOURCE.polled,
        statusBlockBytes(CperSeverity.Corrected, [armEntry(CperSeverity.Corrected, mpidr)]),
      );
      const multi = statusBlockBytes(CperSeverity.Corrected, [
        memoryEntry(CperSeverity.Corrected, page(run)),
        armEntry(CperSeverity.Corrected, mpidr),
        memoryEntry(CperSeverity.Corrected, page(run)),
      ]);
      await postPolled(run, m, MAIN_SOURCE.polled, multi);
    },
    'early-kill': (run) => victimScenario(run, m, 'early'),
    'late-kill': (run) => victimScenario(run, m, 'late'),
    queue: (run) => queueScenario(run, m),
    malformed: async (run) => {
      // The engine warned about the SEI source, and the guest refused it at boot with the
      // lint's message.
      if (
        !m.platform.reports.some((r) => r.code === 'sei-source' && r.sourceId === MAIN_SOURCE.sei)
      )
        fail('the engine did not report the SEI source');
      const hestFindings = lintHest(m.hest);
      const sei = predictedMessages(hestFindings).filter((msg) =>
        msg.includes('notification type'),
      );
      if (sei.length === 0) fail('the codec lint predicts no rejection of the SEI source');
      for (const msg of sei)
        await run.vm.console.waitForText(msg, {
          timeoutMs: 1000,
          what: `the boot message '${msg}'`,
        });
      // Wrong data length: 8 bytes after the last entry inside data_length.
      const good = memoryRecord(CperSeverity.Corrected, page(run));
      const wrong = new Uint8Array(good.length + 8);
      wrong.set(good);
      new DataView(wrong.buffer).setUint32(12, good.length - 20 + 8, true);
      await malformedRecord(run, m, wrong, 'wrong data length');
      // Block too long: data_length claims more than the 1024-byte error status block.
      const long = good.slice();
      new DataView(long.buffer).setUint32(12, 2048, true);
      await malformedRecord(run, m, long, 'block too long');
    },
    sea: (run) => seaScenario(run, m, MAIN_SOURCE.sea),
    'sea-ram': (run) => seaRamScenario(run, m, MAIN_SOURCE.sea),
  };
}

/** The guest's RAM (-m 1024) and the pc-dimm, for the lint's pfn check. */
const GUEST_RAM = [
  { start: BigInt(RAM_GPA), size: 1n << 30n },
  { start: BigInt(DIMM_GPA), size: BigInt(DIMM_BYTES) },
];

/** What the codec says `kernel` does with `record` on an SEA source taken by devmem. */
function seaAcceptance(record: Uint8Array, sourceId: number, kernel: KernelVersion) {
  return linuxAcceptance(record, {
    errorBlockLength: 1024,
    notificationType: HestNotificationType.ArmSea,
    sourceId,
    kernel,
    ram: GUEST_RAM,
  });
}

/**
 * The kernel lines the codec lint predicts for an SEA record, as patterns for the console: the
 * task's `%s:%d` is devmem's, whose pid the harness does not know. 6.1: `[Firmware Warn]: GHES:
 * Invalid address …` then the pr_err forced-SIGBUS line; 6.12: the same through dev_err; 7.3:
 * memory_failure's `non struct page pfn: Ignored` and its own `Sending SIGBUS` line.
 */
export function seaPredictedLines(
  record: Uint8Array,
  sourceId: number,
  kernel: KernelVersion,
): RegExp[] {
  const quote = (t: string) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return predictedMessages(seaAcceptance(record, sourceId, kernel).findings).map(
    (l) => new RegExp(`^${quote(l).replace('%s:%d', 'devmem:\\d+')}$`),
  );
}

/**
 * A record on an SEA source: the engine posts it and asks the platform to inject an SEA. Under
 * TCG the harness carries that request out the only way it can: the guest reads unassigned
 * physical space, which the board answers with a synchronous external abort, and the kernel's
 * SEA handler reads the source.
 */
async function seaScenario(run: Run, m: EngineMachine, sourceId: number): Promise<void> {
  await run.printSlot(CperSeverity.Recoverable);
  const record = memoryRecord(CperSeverity.Recoverable, UNASSIGNED_PA);
  const requests = m.platform.requests.length;
  const posted = postNow(run, m, sourceId, record);
  const sea = m.platform.requests.slice(requests).find((r) => r.kind === 'inject-sea');
  if (sea === undefined || sea.sourceId !== sourceId)
    fail(`the engine did not request an SEA for source ${sourceId}`);
  const from = run.vm.console.lines.length;
  run.vm.send(`devmem 0x${UNASSIGNED_PA.toString(16)}`);
  const acceptance = seaAcceptance(record, sourceId, run.kernel);
  if (!acceptance.forcedSigbus)
    fail(`the codec lint predicts no SIGBUS for source ${sourceId} on ${run.kernel}`);
  const lines = seaPredictedLines(record, sourceId, run.kernel);
  if (lines.length === 0) fail(`the codec lint predicts no kernel line on ${run.kernel}`);
  for (const line of lines) {
    const got = await run.vm.console.waitForText(line, {
      timeoutMs: 5000,
      from,
      what: `the kernel line the codec lint predicts (${line.source})`,
    });
    if (/SIGBUS/.test(line.source)) run.latencies.push(got.hostMs - posted);
  }
  await run.expectPrinted(record, sourceId, from);
  if (!sourceState(m.engine, sourceId).consumed)
    fail(`source ${sourceId} was not cleared and acked`);
}

/**
 * An SEA record naming a RAM page: a late-kill victim's. Every kernel runs memory_failure on it
 * (queued on 6.1 and 6.12; from devmem's task work with MF_ACTION_REQUIRED on 7.3, which
 * signals only devmem itself, not the late-kill victim), so no forced SIGBUS is printed; the
 * victim loses the page and gets BUS_MCEERR_AR on its next touch.
 */
async function seaRamScenario(run: Run, m: EngineMachine, sourceId: number): Promise<void> {
  const v = await startVictim(run, 'late');
  await run.printSlot(CperSeverity.Recoverable);
  const record = memoryRecord(CperSeverity.Recoverable, v.paddr);
  const acceptance = seaAcceptance(record, sourceId, run.kernel);
  if (acceptance.forcedSigbus || acceptance.memoryFailures.length !== 1)
    fail(`the codec lint does not predict one memory_failure and no SIGBUS on ${run.kernel}`);
  if (acceptance.memoryFailures[0]!.pfn !== v.pfn) fail('the codec lint names another pfn');
  const posted = postNow(run, m, sourceId, record);
  const from = run.vm.console.lines.length;
  run.vm.send(`devmem 0x${UNASSIGNED_PA.toString(16)}`);
  const first = await run.expectPrinted(record, sourceId, from);
  run.latencies.push(first.hostMs - posted);
  const pfn = `0x${v.pfn.toString(16)}`;
  const opts = { timeoutMs: 4000, from };
  await run.vm.console.waitForText(
    new RegExp(`^Memory failure: ${pfn}: recovery action for .*: Recovered$`),
    opts,
  );
  const sig = await run.vm.console.waitForText(/^VICTIM: got SIGBUS si_code=\d+/, opts);
  const code = Number(/si_code=(\d+)/.exec(sig.text)![1]);
  if (code !== 4) fail(`victim got si_code ${code}, expected 4 (BUS_MCEERR_AR)`);
  await sleep(300);
  const after = run.vm.console.lines.slice(from).map((l) => l.text);
  if (after.some((t) => /synchronous unrecoverable error|Sending SIGBUS to devmem/.test(t)))
    fail('the kernel forced SIGBUS although the codec lint predicts none');
  if (!sourceState(m.engine, sourceId).consumed)
    fail(`source ${sourceId} was not cleared and acked`);
}

/** The main group's order in one boot (the simulator's harness captures mirror it:
 *  HARNESS_MAIN_ORDER in src/scenarios/harness.ts, pinned equal by test/sim-harness.test.ts). */
export const MAIN_ORDER: readonly ScenarioId[] = [
  'polled-corrected',
  'malformed',
  'early-kill',
  'queue',
  'late-kill',
  'arm-multi',
  'sea-ram',
  'sea',
];

async function runScenarios(
  run: Run,
  order: readonly ScenarioId[],
  fns: Record<string, ScenarioFn>,
  wanted: ReadonlySet<ScenarioId>,
): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  for (const id of order) {
    if (!wanted.has(id)) continue;
    run.reset();
    const from = run.vm.console.lines.length;
    const lines = () => run.vm.console.lines.slice(from).map((l) => l.text);
    try {
      if (!run.vm.running) throw new GuestError('qemu-exited', 'QEMU is no longer running');
      await fns[id]!(run);
      results.push({
        id,
        ok: true,
        latenciesMs: [...run.latencies],
        records: [...run.records],
        console: lines(),
      });
    } catch (e) {
      results.push({
        id,
        ok: false,
        error: (e as Error).message,
        latenciesMs: [...run.latencies],
        records: [...run.records],
        console: lines(),
      });
    }
  }
  return results;
}

export interface GroupOptions {
  readonly manifest: GuestManifest;
  /** QEMU install name (default 'system', Debian 12's 7.2). */
  readonly qemu?: string;
  /** Kernel series (default '6.1'): boots it, and the codec's expectations follow it. */
  readonly kernel?: string;
  readonly seed?: number;
  readonly only?: readonly ScenarioId[];
  readonly runTimeoutMs?: number;
}

function wantedOf(group: GroupId, only: readonly ScenarioId[] | undefined): Set<ScenarioId> {
  return new Set(
    SCENARIOS.filter((s) => s.group === group && (only === undefined || only.includes(s.id))).map(
      (s) => s.id,
    ),
  );
}

/** The pc-dimm file as the engine's guest memory (file offset = GPA − DIMM_GPA). */
function dimmMemory(path: string): FileGuestMemory {
  return new FileGuestMemory(path, [
    {
      name: 'pc-dimm0',
      gpa: BigInt(DIMM_GPA),
      size: BigInt(DIMM_BYTES),
      hostAddress: 0n,
      fileOffset: 0n,
    },
  ]);
}

/** The codec's kernel for a kernel series of the guest setup ('6.1', '6.12', '7.3'). */
export function codecKernel(series: string): KernelVersion {
  const k = KERNEL_VERSIONS.find((v) => v === series);
  if (k !== undefined) return k;
  // A 7.x newer than 7.3 (what the archive's backports moved on to) is held to the newest model;
  // where it prints differently, the scenario's failure names the build and the line.
  const mm = /^(\d+)\.(\d+)$/.exec(series);
  if (mm !== null && (Number(mm[1]) > 7 || (Number(mm[1]) === 7 && Number(mm[2]) > 3)))
    return 'newer';
  if (k === undefined)
    throw new GuestError(
      'setup-missing',
      `Cannot run kernel ${series}: the codec models only ${KERNEL_VERSIONS.join(', ')}`,
    );
  return k;
}

/** Boots one group's guest, runs its scenarios, and always stops QEMU. */
export async function runGroup(group: GroupId, options: GroupOptions): Promise<GroupResult> {
  const seed = options.seed ?? Date.now() & 0x7fffffff;
  const wanted = wantedOf(group, options.only);
  const kernel = codecKernel(options.kernel ?? '6.1');
  const vmChoice = {
    ...(options.qemu === undefined ? {} : { qemu: options.qemu }),
    ...(options.kernel === undefined ? {} : { kernel: options.kernel }),
  };
  const started = performance.now();
  let vm: GuestVm | undefined;
  let mem: FileGuestMemory | undefined;
  let scenarios: ScenarioResult[] = [];
  let error: string | undefined;
  try {
    if (group === 'main' || group === 'fatal') {
      const config = group === 'main' ? mainMachineConfig() : fatalMachineConfig();
      let machine: EngineMachine | undefined;
      vm = new GuestVm({
        manifest: options.manifest,
        ...vmChoice,
        label: group,
        // Read back from the pc-dimm after the engine's firmware model patched it.
        acpiTables: () => [{ name: 'hest.aml', data: machine!.hest }],
        dimmBytes: DIMM_BYTES,
        runTimeoutMs: options.runTimeoutMs ?? 90_000,
      });
      // The blob must be in place before the guest probes GHES.
      vm.onBeforeBoot = () => {
        mem = dimmMemory(vm!.dimmPath!);
        machine = bootOwnHest(config, mem);
      };
      await vm.start();
      const m = machine!;
      const run = new Run(vm, rng(seed), kernel);
      if (group === 'main') {
        scenarios = await runScenarios(run, MAIN_ORDER, mainScenarios(m), wanted);
      } else {
        scenarios = await runScenarios(
          run,
          ['fatal'],
          { fatal: (r) => fatalScenario(r, m) },
          wanted,
        );
      }
    } else {
      vm = new GuestVm({
        manifest: options.manifest,
        ...vmChoice,
        label: group,
        ras: true,
        ramFile: true,
        runTimeoutMs: options.runTimeoutMs ?? 90_000,
      });
      await vm.start();
      const run = new Run(vm, rng(seed), kernel);
      scenarios = await runScenarios(
        run,
        ['qemu-ras'],
        { 'qemu-ras': (r) => qemuRasScenario(r) },
        wanted,
      );
    }
  } catch (e) {
    error = (e as Error).message;
  } finally {
    mem?.close();
    await vm?.stop();
  }
  if (error !== undefined) {
    for (const id of wanted) {
      if (!scenarios.some((s) => s.id === id))
        scenarios.push({
          id,
          ok: false,
          error: `group ${group}: ${error}`,
          latenciesMs: [],
          records: [],
          console: [],
        });
    }
  }
  // A failure names the kernel build it ran on: a new point release that prints differently
  // shows up as 'Linux <version> (<release>): record {3} from source 1: line 2 differs'.
  const k = options.manifest.kernels.find((x) => x.series === (options.kernel ?? '6.1'));
  const build = k === undefined ? '' : `Linux ${k.version ?? k.release} (${k.release}): `;
  scenarios = scenarios.map((s) =>
    s.error === undefined || build === '' ? s : { ...s, error: `${build}${s.error}` },
  );
  return {
    group,
    bootMs: vm?.bootMs,
    guestBootS: vm?.guestBootS,
    wallMs: performance.now() - started,
    seed,
    scenarios,
    console: vm?.console.text() ?? '',
    ...(error === undefined ? {} : { error }),
  };
}

async function fatalScenario(run: Run, m: EngineMachine): Promise<void> {
  const record = memoryRecord(
    CperSeverity.Fatal,
    0x5000_0000n + BigInt(run.random() % 0x100) * 0x1000n,
  );
  const from = run.vm.console.lines.length;
  const posted = postNow(run, m, 0, record);
  await run.expectPrinted(record, 0, from, 4000, true);
  const panic = await run.vm.console.waitForText(`Kernel panic - not syncing: ${GhesText.panic}`, {
    timeoutMs: 4000,
    from,
    allowPanic: true,
  });
  run.latencies.push(panic.hostMs - posted);
}

/**
 * Scenario 7: QEMU's own `virt,ras=on` tables. The harness finds QEMU's HEST in file-backed
 * guest RAM, links an engine to QEMU's `etc/hardware_errors` blob (the engine's adoptTables) and records
 * through it on QEMU's SEA source.
 */
async function qemuRasScenario(run: Run): Promise<void> {
  const ram = new FileGuestMemory(run.vm.ramPath!, [
    {
      name: 'mach-virt.ram',
      gpa: BigInt(RAM_GPA),
      size: 1n << 30n,
      hostAddress: 0n,
      fileOffset: 0n,
    },
  ]);
  try {
    const found = findHestInRam(ram);
    const m = adoptedMachine(ram, found.gpa);
    const hest = decodeHest(m.hest);
    const src = hest.sources.find((s) => s.type === 10);
    if (src === undefined || src.type !== 10) fail('QEMU HEST has no GHESv2 source');
    if (src.notification.type !== HestNotificationType.ArmSea)
      fail(`QEMU's source notifies by ${src.notification.type}, expected SEA`);
    const regs = sourceRegisters(m.engine, src.sourceId);
    if (regs.slot !== src.errorStatusAddress.address || regs.ack !== src.readAckRegister.address)
      fail("the engine's registers differ from QEMU's HEST");
    await seaScenario(run, m, src.sourceId);
  } finally {
    ram.close();
  }
}
