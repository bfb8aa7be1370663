// The real-guest conformance scenarios (issue #4). Scenarios that can share a boot form a
// group: `main` (the engine's own HEST in a pc-dimm: polled, SEA and an unsupported SEI
// source), `fatal` (the guest must panic) and `qemu-ras` (QEMU's own ras=on table). Every
// expectation about printed lines comes from the codec (records.ts, lint), never from text
// written here; the kernel's own messages come from the codec's lint tables.

import {
  acpiTableChecksumValid,
  decodeHest,
  GhesText,
  HestNotificationType,
  type LintFinding,
  lintHest,
  lintStatusBlock,
} from '../codec/index.js';
import { type GuestMemory, type MachineConfig, PointerLayout, readU64 } from '../engine/index.js';
import type { GuestManifest } from './cache.js';
import { type ConsoleLine, hardwareErrorRecords } from './console.js';
import { GuestError } from './errors.js';
import { GhesPoster, type OwnHestMachine, ownHestMachine } from './own-hest.js';
import { PrintBudget, printClassOf } from './print-budget.js';
import {
  armEntry,
  CperSeverity,
  expectedHardwareErrorLines,
  memoryEntry,
  memoryRecord,
  statusBlockBytes,
} from './records.js';
import { SharedFileMemory } from './shared-memory.js';
import { DIMM_GPA, GuestVm, RAM_GPA } from './vm.js';

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

/** Source ids of the main group's HEST. */
export const MAIN_SOURCE = { polled: 0, queue: 1, sea: 2, sei: 3 } as const;

export function mainMachineConfig(): MachineConfig {
  return {
    layout: PointerLayout.HestAddr,
    sources: [
      { id: MAIN_SOURCE.polled, notification: HestNotificationType.Polled, pollIntervalMs: 100 },
      { id: MAIN_SOURCE.queue, notification: HestNotificationType.Polled, pollIntervalMs: 100 },
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

  /**
   * Waits for the record printed from `sourceId` after console line `from`, checks its lines
   * against the codec's expectation, and returns its first line.
   */
  async expectPrinted(
    record: Uint8Array,
    sourceId: number,
    from: number,
    timeoutMs = 4000,
    allowPanic = false,
  ): Promise<ConsoleLine> {
    const header = `Hardware error from APEI Generic Hardware Error Source: ${sourceId}`;
    const first = await this.vm.console.waitFor(
      (l) => /^\{\d+\}\[Hardware Error\]: /.test(l.text) && l.text.endsWith(header),
      {
        timeoutMs,
        from,
        allowPanic,
        what: `the record header from source ${sourceId}`,
      },
    );
    const seq = Number(/^\{(\d+)\}/.exec(first.text)![1]);
    const expected = expectedHardwareErrorLines(record, sourceId, seq);
    const prefix = `{${seq}}[Hardware Error]: `;
    let count = 0;
    await this.vm.console.waitFor((l) => l.text.startsWith(prefix) && ++count >= expected.length, {
      timeoutMs: 2000,
      from: first.index,
      allowPanic,
      what: `the last line of record {${seq}}`,
    });
    const got = hardwareErrorRecords(this.vm.console.lines.slice(first.index)).find(
      (r) => r.seq === seq,
    )!;
    assertLines(got.lines, expected, `record {${seq}} from source ${sourceId}`);
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

export function assertLines(
  got: readonly string[],
  expected: readonly string[],
  what: string,
): void {
  const n = Math.max(got.length, expected.length);
  for (let i = 0; i < n; i++) {
    if (got[i] !== expected[i]) {
      fail(
        `${what}: line ${i} differs\n  guest: ${got[i] ?? '(none)'}\n  codec: ${expected[i] ?? '(none)'}`,
      );
    }
  }
}

function severityOf(record: Uint8Array): number {
  return new DataView(record.buffer, record.byteOffset).getUint32(16, true);
}

/** Posts a record into a polled source and checks the print, clear and ack. */
async function postPolled(
  run: Run,
  poster: GhesPoster,
  sourceId: number,
  record: Uint8Array,
): Promise<ConsoleLine> {
  await run.printSlot(severityOf(record));
  const from = run.vm.console.lines.length;
  run.note(sourceId, record);
  const posted = poster.post(record);
  const first = await run.expectPrinted(record, sourceId, from);
  await poster.waitConsumed(2000);
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

async function victimScenario(run: Run, poster: GhesPoster, mode: 'early' | 'late'): Promise<void> {
  const v = await startVictim(run, mode);
  const record = memoryRecord(CperSeverity.Recoverable, v.paddr);
  const from = run.vm.console.lines.length;
  await postPolled(run, poster, MAIN_SOURCE.polled, record);
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
  poster: GhesPoster,
  record: Uint8Array,
  what: string,
): Promise<void> {
  const findings = lintStatusBlock(record, {
    errorBlockLength: 1024,
    notificationType: HestNotificationType.Polled,
    sourceId: MAIN_SOURCE.queue,
  });
  const messages = predictedMessages(findings);
  if (messages.length === 0) fail(`${what}: the codec lint predicts no rejection`);
  const rejected = findings.some((f) => f.consequence.kind === 'rejected-acked');
  if (!rejected) fail(`${what}: the codec lint does not predict rejected-acked`);
  const from = run.vm.console.lines.length;
  run.note(MAIN_SOURCE.queue, record);
  const posted = poster.post(record);
  const acked = await poster.waitConsumed(3000);
  run.latencies.push(acked - posted);
  for (const m of messages)
    await run.vm.console.waitForText(m, { timeoutMs: 2000, from, what: `${what}: '${m}'` });
  await sleep(50);
  if (
    run.vm.console.lines
      .slice(from)
      .some((l) => l.text.includes('Hardware error from APEI Generic Hardware Error Source: 1'))
  ) {
    fail(`${what}: the guest printed a record the lint says it rejects`);
  }
}

type ScenarioFn = (run: Run) => Promise<void>;

function mainScenarios(machine: OwnHestMachine, mem: GuestMemory): Record<string, ScenarioFn> {
  const poster = (id: number) => new GhesPoster(mem, machine.sources[id]!);
  const polled = poster(MAIN_SOURCE.polled);
  const queue = poster(MAIN_SOURCE.queue);
  const sea = poster(MAIN_SOURCE.sea);
  const page = (run: Run) => 0x4100_0000n + BigInt(run.random() % 0x1000) * 0x1000n;
  return {
    'polled-corrected': async (run) => {
      const record = memoryRecord(CperSeverity.Corrected, page(run));
      await postPolled(run, polled, MAIN_SOURCE.polled, record);
      if (polled.blockStatus() !== 0) fail('block_status not cleared');
      if (polled.ack() !== 1n)
        fail(`read-ack register is 0x${polled.ack().toString(16)}, expected 1`);
    },
    'arm-multi': async (run) => {
      const mpidr = 0x8000_0000n | BigInt(run.random() % 4);
      await postPolled(
        run,
        polled,
        MAIN_SOURCE.polled,
        statusBlockBytes(CperSeverity.Corrected, [armEntry(CperSeverity.Corrected, mpidr)]),
      );
      const multi = statusBlockBytes(CperSeverity.Corrected, [
        memoryEntry(CperSeverity.Corrected, page(run)),
        armEntry(CperSeverity.Corrected, mpidr),
        memoryEntry(CperSeverity.Corrected, page(run)),
      ]);
      await postPolled(run, polled, MAIN_SOURCE.polled, multi);
    },
    'early-kill': (run) => victimScenario(run, polled, 'early'),
    'late-kill': (run) => victimScenario(run, polled, 'late'),
    queue: async (run) => {
      // Corrected records in a row; only acks are counted (rate limit, duplicate cache).
      const pas = Array.from({ length: 5 }, () => page(run));
      for (const [i, pa] of pas.entries()) {
        const record = memoryRecord(CperSeverity.Corrected, pa);
        run.note(MAIN_SOURCE.queue, record);
        const posted = queue.post(record);
        const from = run.vm.console.lines.length;
        const acked = await queue.waitConsumed(3000);
        run.latencies.push(acked - posted);
        // The IRQ path prints before it acks: tell the rate-limit model about any print.
        const header = run.vm.console.lines
          .slice(from)
          .find((l) => l.text.endsWith(`Generic Hardware Error Source: ${MAIN_SOURCE.queue}`));
        if (header !== undefined) run.budget.printed('corrected', header.hostMs);
        // Status block header 20 + entry header 72, then validation bits and error status (8 each).
        const left = mem.read(machine.sources[MAIN_SOURCE.queue]!.block + 20n + 72n + 16n, 8);
        const pa2 = new DataView(left.buffer).getBigUint64(0, true);
        if (pa2 !== pa)
          fail(
            `record ${i}: block holds PA 0x${pa2.toString(16)} after the ack, expected 0x${pa.toString(16)}`,
          );
      }
    },
    malformed: async (run) => {
      // The SEI source must have been refused at boot with the lint's message.
      const hestFindings = lintHest(machine.hest);
      const sei = predictedMessages(hestFindings).filter((m) => m.includes('notification type'));
      if (sei.length === 0) fail('the codec lint predicts no rejection of the SEI source');
      for (const m of sei)
        await run.vm.console.waitForText(m, { timeoutMs: 1000, what: `the boot message '${m}'` });
      // Wrong data length: 8 bytes after the last entry inside data_length.
      const good = memoryRecord(CperSeverity.Corrected, page(run));
      const wrong = new Uint8Array(good.length + 8);
      wrong.set(good);
      new DataView(wrong.buffer).setUint32(12, good.length - 20 + 8, true);
      await malformedRecord(run, queue, wrong, 'wrong data length');
      // Block too long: data_length claims more than the 1024-byte error status block.
      const long = good.slice();
      new DataView(long.buffer).setUint32(12, 2048, true);
      await malformedRecord(run, queue, long, 'block too long');
    },
    sea: async (run) => {
      await run.printSlot(CperSeverity.Recoverable);
      const record = memoryRecord(CperSeverity.Recoverable, UNASSIGNED_PA);
      run.note(MAIN_SOURCE.sea, record);
      const posted = sea.post(record);
      const from = run.vm.console.lines.length;
      run.vm.send(`devmem 0x${UNASSIGNED_PA.toString(16)}`);
      const sig = await run.vm.console.waitForText(
        /^GHES: devmem:\d+: synchronous unrecoverable error \(SIGBUS\)$/,
        { timeoutMs: 5000, from },
      );
      run.latencies.push(sig.hostMs - posted);
      await run.expectPrinted(record, MAIN_SOURCE.sea, from);
      if (!sea.free()) fail('the SEA source was not cleared and acked');
    },
  };
}

const MAIN_ORDER: readonly ScenarioId[] = [
  'polled-corrected',
  'malformed',
  'early-kill',
  'queue',
  'late-kill',
  'arm-multi',
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
    try {
      if (!run.vm.running) throw new GuestError('qemu-exited', 'QEMU is no longer running');
      await fns[id]!(run);
      results.push({ id, ok: true, latenciesMs: [...run.latencies], records: [...run.records] });
    } catch (e) {
      results.push({
        id,
        ok: false,
        error: (e as Error).message,
        latenciesMs: [...run.latencies],
        records: [...run.records],
      });
    }
  }
  return results;
}

export interface GroupOptions {
  readonly manifest: GuestManifest;
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

/** Boots one group's guest, runs its scenarios, and always stops QEMU. */
export async function runGroup(group: GroupId, options: GroupOptions): Promise<GroupResult> {
  const seed = options.seed ?? Date.now() & 0x7fffffff;
  const wanted = wantedOf(group, options.only);
  const started = performance.now();
  let vm: GuestVm | undefined;
  let scenarios: ScenarioResult[] = [];
  let error: string | undefined;
  try {
    if (group === 'main' || group === 'fatal') {
      const machine = ownHestMachine(group === 'main' ? mainMachineConfig() : fatalMachineConfig());
      vm = new GuestVm({
        manifest: options.manifest,
        label: group,
        acpiTables: [{ name: 'hest.aml', data: machine.hest }],
        dimmBytes: DIMM_BYTES,
        runTimeoutMs: options.runTimeoutMs ?? 90_000,
      });
      // The blob must be in place before the guest probes GHES.
      vm.onBeforeBoot = () =>
        new SharedFileMemory(vm!.dimmPath!, BigInt(DIMM_GPA), DIMM_BYTES).write(
          BigInt(DIMM_GPA),
          machine.blob,
        );
      await vm.start();
      const mem = new SharedFileMemory(vm.dimmPath!, BigInt(DIMM_GPA), DIMM_BYTES, 'pc-dimm0');
      const run = new Run(vm, rng(seed));
      if (group === 'main') {
        scenarios = await runScenarios(run, MAIN_ORDER, mainScenarios(machine, mem), wanted);
      } else {
        scenarios = await runScenarios(
          run,
          ['fatal'],
          { fatal: (r) => fatalScenario(r, new GhesPoster(mem, machine.sources[0]!)) },
          wanted,
        );
      }
      mem.close();
    } else {
      vm = new GuestVm({
        manifest: options.manifest,
        label: group,
        ras: true,
        ramFile: true,
        runTimeoutMs: options.runTimeoutMs ?? 90_000,
      });
      await vm.start();
      const run = new Run(vm, rng(seed));
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
        });
    }
  }
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

async function fatalScenario(run: Run, poster: GhesPoster): Promise<void> {
  const record = memoryRecord(
    CperSeverity.Fatal,
    0x5000_0000n + BigInt(run.random() % 0x100) * 0x1000n,
  );
  const from = run.vm.console.lines.length;
  run.note(0, record);
  const posted = poster.post(record);
  await run.expectPrinted(record, 0, from, 4000, true);
  const panic = await run.vm.console.waitForText(`Kernel panic - not syncing: ${GhesText.panic}`, {
    timeoutMs: 4000,
    from,
    allowPanic: true,
  });
  run.latencies.push(panic.hostMs - posted);
}

/** Finds QEMU's HEST in file-backed guest RAM: a `HEST` signature with a valid checksum. */
export function findHestInRam(mem: SharedFileMemory): { gpa: bigint; bytes: Uint8Array } {
  const chunk = 16 << 20;
  const sig = Buffer.from('HEST');
  // ACPI tables sit near the top of RAM (UEFI allocations); scan downwards.
  for (let end = mem.size; end > 0; end -= chunk) {
    const start = Math.max(0, end - chunk - 3);
    const buf = Buffer.from(mem.readAt(start, end - start));
    let at = buf.lastIndexOf(sig);
    while (at >= 0) {
      const length = at + 8 <= buf.length ? buf.readUInt32LE(at + 4) : 0;
      if (length >= 40 && length <= 4096 && at + length <= buf.length) {
        const bytes = new Uint8Array(buf.subarray(at, at + length));
        if (acpiTableChecksumValid(bytes)) return { gpa: mem.base + BigInt(start + at), bytes };
      }
      at = at === 0 ? -1 : buf.lastIndexOf(sig, at - 1);
    }
  }
  throw new GuestError('mismatch', 'Cannot find a HEST with a valid checksum in guest RAM');
}

async function qemuRasScenario(run: Run): Promise<void> {
  const ram = new SharedFileMemory(run.vm.ramPath!, BigInt(RAM_GPA), 1024 << 20, 'ram');
  try {
    const found = findHestInRam(ram);
    const hest = decodeHest(found.bytes);
    const src = hest.sources.find((s) => s.type === 10);
    if (src === undefined || src.type !== 10) fail('QEMU HEST has no GHESv2 source');
    if (src.notification.type !== HestNotificationType.ArmSea)
      fail(`QEMU's source notifies by ${src.notification.type}, expected SEA`);
    const block = readU64(ram, src.errorStatusAddress.address);
    const poster = new GhesPoster(ram, { block, ack: src.readAckRegister.address });
    const record = memoryRecord(CperSeverity.Recoverable, UNASSIGNED_PA);
    run.note(src.sourceId, record);
    const posted = poster.post(record);
    const from = run.vm.console.lines.length;
    run.vm.send(`devmem 0x${UNASSIGNED_PA.toString(16)}`);
    const sig = await run.vm.console.waitForText(
      /^GHES: devmem:\d+: synchronous unrecoverable error \(SIGBUS\)$/,
      { timeoutMs: 5000, from },
    );
    run.latencies.push(sig.hostMs - posted);
    await run.expectPrinted(record, src.sourceId, from);
    if (!poster.free()) fail("QEMU's block was not cleared and acked");
  } finally {
    ram.close();
  }
}
