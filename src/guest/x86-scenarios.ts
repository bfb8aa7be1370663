// The real x86_64 guest scenarios (issue #12): a Debian amd64 kernel on q35 under QEMU with an
// Intel CPU model, every error going through the vras engine. Machine checks: the engine's x86
// policy turns a (simulated) host SIGBUS into QEMU/KVM's machine-check values, which QEMU's HMP
// `mce` delivers. Firmware first: the engine lays out its own HEST (an NMI and a polled GHESv2
// source), its firmware model links the blob into reserved guest RAM (memmap=2M$0x20000000),
// the HEST goes to the guest by `-acpitable`, and records go through RasEngine.record() with
// QMP `inject-nmi` for the NMI source. Every expected kernel line comes from the codec
// (mce-linux.ts, mce-severity.ts, linux-format.ts); the runtime-only values the host cannot know
// (TSC, TIME, the user RIP) are matched as any hex/decimal number.
// Facts: shared/reference/x86-guest/README.md.

import {
  apeiMcePrinted,
  apeiMceRecord,
  CperSeverity,
  decodeGhesStatusBlock,
  formatLinuxX86,
  ghesSeverityOf,
  HestNotificationType,
  type KernelVersion,
  type LinuxMceRecord,
  linuxMceOutcome,
  type MachineCheck,
  MCE_EVENTS_LOGGED_LINE,
  mceKillingLine,
  mcePanicLines,
  memoryFailureRecoveredLine,
  memoryFailureSigbusLine,
  printMceLines,
  userAccessLine,
  X86_PANIC_KERNEL_OFFSET_LINE,
  x86CacheErrorRecord,
} from '../codec/index.js';
import {
  BusyPolicy,
  type MachineConfig,
  PointerLayout,
  QEMU_DEFAULT_MCG_CAP,
  readU64,
  SigbusCode,
  type X86MceRequest,
  type X86Platform,
  X86Ras,
} from '../engine/index.js';
import { FileGuestMemory } from '../engine/node/file-memory.js';
import type { GuestManifest } from './cache.js';
import { type ConsoleLine, hardwareErrorRecords } from './console.js';
import { GuestError } from './errors.js';
import { assertLines, expectRecordPrinted } from './expect-record.js';
import {
  bootOwnHest,
  type EngineMachine,
  guardBlockOwnership,
  sourceRegisters,
  sourceState,
  waitConsumed,
} from './own-hest.js';
import { memoryRecord } from './records.js';
import type { X86Setup } from './setup-x86.js';
import { GuestVm } from './vm.js';

export const X86_SCENARIOS = [
  {
    id: 'ghes-polled-corrected',
    n: 1,
    group: 'x86-main',
    title: 'corrected memory error on a polled GHESv2 source (and its Bank 255 MCE record)',
  },
  {
    id: 'mce-ar-kill',
    n: 2,
    group: 'x86-main',
    title: 'host SIGBUS AR → SRAR machine check: the busy victim gets BUS_MCEERR_AR',
  },
  {
    id: 'mce-ao-early-kill',
    n: 3,
    group: 'x86-main',
    title: 'host SIGBUS AO → SRAO machine check: early-kill victim gets BUS_MCEERR_AO',
  },
  {
    id: 'mce-ao-late-kill',
    n: 4,
    group: 'x86-main',
    title: 'host SIGBUS AO → SRAO machine check: late-kill victim faults (BUS_MCEERR_AR)',
  },
  {
    id: 'ghes-nmi-kill',
    n: 5,
    group: 'x86-main',
    title: 'host SIGBUS AR → firmware first: CPER on the NMI source, memory_failure, victim killed',
  },
  {
    id: 'ghes-nmi-queue',
    n: 6,
    group: 'x86-main',
    title: 'several records on the NMI source, each posted after the previous ack, in order',
  },
  {
    id: 'ghes-ia32x64',
    n: 8,
    group: 'x86-main',
    title: 'IA32/X64 processor error section on the polled source: cper-x86.c lines',
  },
  {
    id: 'mce-fatal-panic',
    n: 7,
    group: 'x86-fatal',
    title: 'a machine check with PCC set panics the guest',
  },
] as const;
export type X86ScenarioId = (typeof X86_SCENARIOS)[number]['id'];
export type X86GroupId = (typeof X86_SCENARIOS)[number]['group'];

export const X86_MAIN_ORDER: readonly X86ScenarioId[] = [
  'ghes-polled-corrected',
  'mce-ar-kill',
  'mce-ao-early-kill',
  'mce-ao-late-kill',
  'ghes-nmi-kill',
  'ghes-nmi-queue',
  'ghes-ia32x64',
];

/** The x86 guests' GHES region: reserved by `memmap=2M$0x20000000` (README "Guest setup"). */
export const X86_GHES_BASE = 0x2000_0000n;
export const X86_APPEND = 'memmap=2M$0x20000000';
/** A pretend host mapping of guest RAM, so the engine translates host SIGBUS addresses. */
export const X86_HOST_RAM = 0x7f00_0000_0000n;
const RAM_BYTES = 1n << 30n;

/** Source ids of the x86 HEST. */
export const X86_SOURCE = { nmi: 1, polled: 2 } as const;
export const X86_QUEUE_RECORDS = 6;

export function x86MachineConfig(): MachineConfig {
  return {
    layout: PointerLayout.HestAddr,
    sources: [
      {
        id: X86_SOURCE.nmi,
        notification: HestNotificationType.Nmi,
        policy: BusyPolicy.Queue,
        backlogLimit: 16,
      },
      { id: X86_SOURCE.polled, notification: HestNotificationType.Polled, pollIntervalMs: 100 },
    ],
  };
}

/**
 * What QEMU's `Skylake-Client-v1` under TCG reports in the kernel's PROCESSOR line (vendor
 * Intel 0, CPUID 0x506e3, microcode 1; socket and APIC 0 with one vCPU). Source: the spike's
 * real 6.1 console (out-tcg-skl-mce-ar.txt).
 */
export const SKYLAKE_CLIENT_V1 = {
  cpu: 0,
  cpuvendor: 0,
  cpuid: 0x506e3,
  socket: 0,
  apicid: 0,
  microcode: 1,
} as const;

export interface X86ScenarioResult {
  readonly id: X86ScenarioId;
  readonly ok: boolean;
  readonly error?: string;
  readonly latenciesMs: readonly number[];
  readonly console: readonly string[];
}

export interface X86GroupResult {
  readonly group: X86GroupId;
  readonly kernel: string;
  readonly accel: 'tcg' | 'kvm';
  readonly bootMs: number | undefined;
  readonly wallMs: number;
  readonly seed: number;
  readonly scenarios: readonly X86ScenarioResult[];
  readonly console: string;
  readonly error?: string;
}

function fail(message: string): never {
  throw new GuestError('mismatch', message);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

const quote = (t: string) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The codec's __print_mce lines as console patterns: the values only the guest knows (TSC,
 * TIME, the RIP) are given as sentinels, then matched as any number.
 */
export function mcePatterns(
  lines: (r: LinuxMceRecord) => string[],
  rec: Omit<LinuxMceRecord, 'tsc' | 'time' | 'ip' | 'cs'>,
  known: { readonly tsc?: bigint; readonly ip?: boolean } = {},
): RegExp[] {
  const TSC = 0xabcdef0123n;
  const TIME = 987654321987n;
  const out = lines({
    ...rec,
    cs: 0x33,
    ip: known.ip === false ? 0n : 0x1234567n,
    tsc: known.tsc ?? TSC,
    time: TIME,
  });
  return out.map((l) => {
    let p = `^${quote(l)}$`;
    p = p.replace(quote(`TSC ${TSC.toString(16)} `), 'TSC [0-9a-f]+ ');
    p = p.replace(`TIME ${TIME}`, 'TIME \\d+');
    if (l.includes('RIP'))
      p = '^mce: \\[Hardware Error\\]: RIP( !INEXACT!)? [0-9a-f]{2}:<[0-9a-f]{16}> .*$';
    return new RegExp(p);
  });
}

class X86Run {
  readonly latencies: number[] = [];
  constructor(
    readonly vm: GuestVm,
    readonly m: EngineMachine,
    readonly x86: X86Ras,
    readonly platform: HarnessX86Platform,
    readonly kernel: KernelVersion,
    readonly random: () => number,
  ) {}

  /** Waits for `patterns` in order (a subsequence of the console after `from`). */
  async expectInOrder(
    patterns: readonly (string | RegExp)[],
    from: number,
    what: string,
    timeoutMs = 20_000,
    allowPanic = false,
  ): Promise<ConsoleLine[]> {
    const got: ConsoleLine[] = [];
    let at = from;
    for (const p of patterns) {
      const line = await this.vm.console.waitFor(
        (l) => (typeof p === 'string' ? l.text === p : p.test(l.text)),
        { timeoutMs, from: at, allowPanic, what: `${what}: ${String(p)}` },
      );
      got.push(line);
      at = line.index + 1;
    }
    return got;
  }

  /** Carries out the engine's notification requests (NMI) that arrived since `since`. */
  async notify(since: number): Promise<number> {
    const reqs = this.m.platform.requests.slice(since);
    for (const r of reqs) if (r.kind === 'nmi') await this.vm.qmp!.execute('inject-nmi');
    return this.m.platform.requests.length;
  }
}

/** The harness's x86 platform: machine checks go to QEMU's HMP `mce`. */
class HarnessX86Platform implements X86Platform {
  readonly mces: X86MceRequest[] = [];
  readonly requests: unknown[] = [];
  readonly reports: { code: string; message: string }[] = [];
  pending: Promise<unknown> = Promise.resolve();
  constructor(private readonly vm: GuestVm) {}
  injectMce(r: X86MceRequest): void {
    this.mces.push(r);
    const h = (v: bigint) => `0x${v.toString(16)}`;
    const line = `mce ${r.broadcast ? '-b ' : ''}${r.vcpu} ${r.bank} ${h(r.status)} ${h(r.mcgStatus)} ${h(r.addr)} ${h(r.misc)}`;
    this.pending = this.vm
      .qmp!.execute('human-monitor-command', { 'command-line': line })
      .then((out) => {
        if (typeof out === 'string' && out.trim() !== '')
          throw new GuestError('qmp', `QEMU refused '${line}': ${out.trim()}`);
      });
  }
  request(r: unknown): void {
    this.requests.push(r);
  }
  report(r: { code: string; message: string }): void {
    this.reports.push(r);
  }
}

interface Victim {
  readonly pid: number;
  readonly vaddr: bigint;
  readonly paddr: bigint;
  readonly pfn: bigint;
}

async function startVictim(run: X86Run, mode: 'early' | 'late' | 'busy'): Promise<Victim> {
  const from = run.vm.console.lines.length;
  run.vm.send(`/bin/victim ${mode} 120 &`);
  const line = await run.vm.console.waitForText(/^VICTIM: pid=\d+ .*mode=/, {
    timeoutMs: 20_000,
    from,
    what: 'the victim report',
  });
  const m =
    /pid=(\d+) vaddr=(0x[0-9a-f]+) .*present=(\d) pfn=(0x[0-9a-f]+) paddr=(0x[0-9a-f]+)/.exec(
      line.text,
    );
  if (m === null || m[3] !== '1') fail(`victim page not present: ${line.text}`);
  return { pid: Number(m[1]), vaddr: BigInt(m[2]!), pfn: BigInt(m[4]!), paddr: BigInt(m[5]!) };
}

async function victimSignal(run: X86Run, from: number, want: number): Promise<ConsoleLine> {
  const sig = await run.vm.console.waitForText(/^VICTIM: got SIGBUS si_code=\d+/, {
    timeoutMs: 20_000,
    from,
    what: 'the victim SIGBUS',
  });
  const code = Number(/si_code=(\d+)/.exec(sig.text)![1]);
  if (code !== want) fail(`victim got si_code ${code}, expected ${want}`);
  return sig;
}

/** A host SIGBUS for the guest page `paddr`, through the engine's x86 policy. */
function hostSigbus(run: X86Run, code: SigbusCode, paddr: bigint) {
  const out = run.x86.onSigbus({ code, hostAddress: X86_HOST_RAM + paddr, addressLsb: 12 });
  return out;
}

/** The kernel lines of a machine check the codec predicts for this guest (one vCPU, user mode). */
function mceExpectation(mce: MachineCheck, v: Victim, mode: 'ar' | 'ao-early' | 'ao-late') {
  const outcome = linuxMceOutcome(mce, { context: 'user' });
  const want = mode === 'ar' ? 'kill-current' : 'memory-failure';
  if (outcome.action !== want)
    fail(`the codec grades ${mode} as ${outcome.action} ("${outcome.message}"), expected ${want}`);
  const rec = { ...SKYLAKE_CLIENT_V1, ...mce };
  // kill_me_maybe's line, then memory_failure with MF_ACTION_REQUIRED: the task is signalled.
  const recovery: (string | RegExp)[] =
    mode === 'ar'
      ? [
          userAccessLine(mce.addr),
          memoryFailureSigbusLine(v.pfn, 'victim', v.pid),
          memoryFailureRecoveredLine(v.pfn),
        ]
      : mode === 'ao-early'
        ? [memoryFailureSigbusLine(v.pfn, 'victim', v.pid), memoryFailureRecoveredLine(v.pfn)]
        : [
            memoryFailureRecoveredLine(v.pfn),
            new RegExp(
              `^${quote(mceKillingLine('victim', v.pid, v.vaddr)).slice(0, -3)}[0-9a-f]{3}$`,
            ),
          ];
  // The notifier prints the record unless memory_failure handled it there (AO: MCE_HANDLED_UC).
  const printed = mode === 'ar' ? mcePatterns(printMceLines, rec) : [];
  return { recovery, printed, outcome };
}

async function mceScenario(run: X86Run, mode: 'ar' | 'ao-early' | 'ao-late'): Promise<void> {
  const v = await startVictim(run, mode === 'ar' ? 'busy' : mode === 'ao-early' ? 'early' : 'late');
  await sleep(300);
  const from = run.vm.console.lines.length;
  const code = mode === 'ar' ? SigbusCode.ActionRequired : SigbusCode.ActionOptional;
  const t0 = performance.now();
  const out = hostSigbus(run, code, v.paddr);
  if (out.action !== 'machine-check' || out.mce === undefined)
    fail(`the engine did not route the ${mode} error to a machine check: ${out.action}`);
  await run.platform.pending;
  const want = mceExpectation(out.mce, v, mode);
  await run.expectInOrder(want.recovery, from, `${mode} recovery lines`);
  if (want.printed.length > 0) await run.expectInOrder(want.printed, from, `${mode} MCE record`);
  const sig = await victimSignal(run, from, mode === 'ao-early' ? 5 : 4);
  run.latencies.push(sig.hostMs - t0);
  await sleep(200);
  const lines = run.vm.console.lines.slice(from).map((l) => l.text);
  if (mode !== 'ar' && lines.some((l) => /Machine Check( Exception)?: /.test(l)))
    fail('the kernel printed the AO record although memory_failure handled it');
  if (mode === 'ao-late' && lines.some((l) => l.includes(`Sending SIGBUS to victim:${v.pid}`)))
    fail('late kill: the kernel signalled the victim at once');
  // Every `mce:` line is one the codec predicts (the ratelimited events line aside).
  const known = [...want.recovery, ...want.printed];
  for (const l of lines.filter((x) => x.startsWith('mce: ')))
    if (
      l !== MCE_EVENTS_LOGGED_LINE &&
      !known.some((k) => (typeof k === 'string' ? k === l : k.test(l)))
    )
      fail(`the kernel printed a line the codec does not predict: ${l}`);
}

/** Bank 255 lines of apei_mce_report_mem_error for a one-section memory record. */
function apeiPatterns(run: X86Run, cperSeverity: number, pa: bigint): RegExp[] {
  const ghesSev = ghesSeverityOf(cperSeverity);
  if (!apeiMcePrinted(ghesSev, run.kernel)) return [];
  const r = apeiMceRecord(ghesSev, pa, 0xffff_ffff_ffff_f000n);
  if (r === undefined) return [];
  return mcePatterns(printMceLines, { ...SKYLAKE_CLIENT_V1, ...r }, { tsc: 0n, ip: false });
}

async function ghesPolledCorrected(run: X86Run): Promise<void> {
  const pa = 0x3000_0000n + BigInt(run.random() % 0x1000) * 0x1000n;
  const record = memoryRecord(CperSeverity.Corrected, pa);
  const from = run.vm.console.lines.length;
  const out = run.m.engine.record(X86_SOURCE.polled, record);
  const t0 = performance.now();
  if (out.status !== 'posted') fail(`the engine did not post the record: ${out.status}`);
  const { first } = await expectRecordPrinted(run.vm.console, record, X86_SOURCE.polled, from, {
    kernel: run.kernel,
    timeoutMs: 20_000,
  });
  run.latencies.push(first.hostMs - t0);
  const bank = apeiPatterns(run, CperSeverity.Corrected, pa);
  if (bank.length > 0) await run.expectInOrder(bank, first.index, 'the Bank 255 record');
  await waitConsumed(run.m.engine, X86_SOURCE.polled, 10_000);
  await sleep(500);
  if (bank.length === 0) {
    const later = run.vm.console.lines.slice(from).map((l) => l.text);
    if (later.some((l) => l.includes('Bank 255')))
      fail(`the ${run.kernel} kernel printed a Bank 255 record the codec says its CEC takes`);
  }
}

async function ghesNmiKill(run: X86Run): Promise<void> {
  const v = await startVictim(run, 'late');
  await sleep(300);
  const from = run.vm.console.lines.length;
  const reqs = run.m.platform.requests.length;
  const t0 = performance.now();
  const out = hostSigbus(run, SigbusCode.ActionRequired, v.paddr);
  if (
    out.action !== 'recorded' ||
    out.route?.kind !== 'firmware-first' ||
    out.route.sourceId !== X86_SOURCE.nmi
  )
    fail(
      `the engine did not record the AR error on the NMI source: ${JSON.stringify(out.route)} ${out.action}`,
    );
  await run.notify(reqs);
  const record = run.m.memory.read(
    sourceRegisters(run.m.engine, X86_SOURCE.nmi).block,
    20 +
      Number(
        new DataView(
          run.m.memory.read(sourceRegisters(run.m.engine, X86_SOURCE.nmi).block + 12n, 4).buffer,
        ).getUint32(0, true),
      ),
  );
  const { first } = await expectRecordPrinted(run.vm.console, record, X86_SOURCE.nmi, from, {
    kernel: run.kernel,
    timeoutMs: 20_000,
  });
  run.latencies.push(first.hostMs - t0);
  await run.expectInOrder(
    apeiPatterns(run, CperSeverity.Recoverable, v.paddr),
    first.index,
    'the Bank 255 record',
  );
  await run.expectInOrder(
    [
      memoryFailureRecoveredLine(v.pfn),
      new RegExp(`^${quote(mceKillingLine('victim', v.pid, v.vaddr)).slice(0, -3)}[0-9a-f]{3}$`),
    ],
    from,
    'memory_failure and the late kill',
  );
  await victimSignal(run, from, 4);
  await waitConsumed(run.m.engine, X86_SOURCE.nmi, 10_000);
}

async function ghesNmiQueue(run: X86Run): Promise<void> {
  const id = X86_SOURCE.nmi;
  const regs = sourceRegisters(run.m.engine, id);
  const first = 0x3800_0000n + BigInt(run.random() % 0x800) * 0x1000n;
  const pas = Array.from({ length: X86_QUEUE_RECORDS }, (_, i) => first + BigInt(i) * 0x1000n);
  const records = pas.map((pa) => memoryRecord(CperSeverity.Corrected, pa));
  const guard = guardBlockOwnership(run.m, id);
  const from = run.vm.console.lines.length;
  try {
    let reqs = run.m.platform.requests.length;
    const outcomes = records.map((r) => run.m.engine.record(id, r));
    outcomes.forEach((o, i) => {
      const want = i === 0 ? 'posted' : 'queued';
      if (o.status !== want) fail(`record ${i}: the engine said ${o.status}, expected ${want}`);
    });
    let postedAt = performance.now();
    reqs = await run.notify(reqs);
    for (let acks = 0; acks < records.length; ) {
      const deadline = performance.now() + 15_000;
      while (!sourceState(run.m.engine, id).consumed) {
        if (performance.now() > deadline)
          fail(`the guest acked ${acks} of ${records.length} records`);
        await sleep(2);
      }
      const pa = readU64(run.m.memory, regs.block + 108n);
      if (pa !== pas[acks])
        fail(
          `ack ${acks}: the block holds PA 0x${pa.toString(16)}, expected 0x${pas[acks]!.toString(16)}`,
        );
      run.latencies.push(performance.now() - postedAt);
      acks++;
      const delivered = run.m.engine.service();
      if (delivered !== (acks < records.length ? 1 : 0))
        fail(`after ack ${acks}: service() delivered ${delivered}`);
      postedAt = performance.now();
      reqs = await run.notify(reqs);
    }
    if (guard.violations.length > 0)
      fail(`the engine wrote an unacked block: ${guard.violations[0]}`);
    if (run.m.engine.backlogSize !== 0) fail('records left in the backlog');
    // apei_mce_report_mem_error's record of every one, in order, unless the kernel's CEC takes
    // corrected errors (the codec says which).
    const bank = pas.flatMap((pa) => apeiPatterns(run, CperSeverity.Corrected, pa));
    if (bank.length > 0) await run.expectInOrder(bank, from, 'the Bank 255 records in order');
  } finally {
    guard.stop();
  }
}

/**
 * A corrected record with one IA32/X64 processor error section (local APIC id, CPUID info, one
 * cache-check error information structure). x86 kernels print it (cper-x86.c
 * cper_print_proc_ia) where arm64 ones print an unknown section: the expected lines are the
 * codec's formatLinuxX86 (the record header, then `section_type: IA32/X64 processor error` and
 * the cper_print_proc_ia lines of printIa32X64SectionLinux).
 */
export function ia32x64Record(random: () => number): Uint8Array {
  // Local APIC id 0: the guest's one vCPU.
  return x86CacheErrorRecord(0n, 0xffff_ffff_8100_0000n + BigInt(random() % 0x1000));
}

async function ghesIa32x64(run: X86Run): Promise<void> {
  const record = ia32x64Record(run.random);
  // ghes.c prints at most 2 corrected records per 5 s: after the queue's, wait for a slot.
  await sleep(5200);
  const from = run.vm.console.lines.length;
  const out = run.m.engine.record(X86_SOURCE.polled, record);
  const t0 = performance.now();
  if (out.status !== 'posted') fail(`the engine did not post the record: ${out.status}`);
  const header = `Hardware error from APEI Generic Hardware Error Source: ${X86_SOURCE.polled}`;
  const first = await run.vm.console.waitFor(
    (l) => /^\{\d+\}\[Hardware Error\]: /.test(l.text) && l.text.endsWith(header),
    { timeoutMs: 20_000, from, what: 'the IA32/X64 record header' },
  );
  run.latencies.push(first.hostMs - t0);
  const seq = Number(/^\{(\d+)\}/.exec(first.text)![1]);
  const expected = formatLinuxX86(decodeGhesStatusBlock(record), {
    sourceId: X86_SOURCE.polled,
    seq,
    kernel: run.kernel,
  });
  const prefix = `{${seq}}[Hardware Error]: `;
  let count = 0;
  await run.vm.console.waitFor((l) => l.text.startsWith(prefix) && ++count >= expected.length, {
    timeoutMs: 5000,
    from: first.index,
    what: `the last line of record {${seq}}`,
  });
  const got = hardwareErrorRecords(run.vm.console.lines.slice(first.index)).find(
    (r) => r.seq === seq,
  );
  if (got === undefined) fail(`record {${seq}} vanished`);
  assertLines(got.lines, expected, `IA32/X64 record {${seq}}`);
  await waitConsumed(run.m.engine, X86_SOURCE.polled, 10_000);
}

async function fatalScenario(run: X86Run): Promise<void> {
  await startVictim(run, 'busy');
  await sleep(300);
  const from = run.vm.console.lines.length;
  // An SRAR with PCC: the first rule of severity.c that matches is "Processor context corrupt".
  const mce: MachineCheck = {
    bank: 9,
    status: 0xbd80000000000134n | (1n << 57n),
    mcgStatus: 7n,
    addr: 0x3f00_0000n,
    misc: 0x8cn,
  };
  const outcome = linuxMceOutcome(mce, { context: 'user' });
  if (outcome.action !== 'panic') fail(`the codec does not predict a panic: ${outcome.action}`);
  run.platform.injectMce({ kind: 'inject-mce', vcpu: 0, broadcast: true, ...mce });
  const t0 = performance.now();
  await run.platform.pending;
  const lines = mcePanicLines(
    { ...SKYLAKE_CLIENT_V1, ...mce, cs: 0x33, ip: 1n, tsc: 1n, time: 1n },
    outcome.message,
    outcome.panicMessage!,
  );
  const patterns = mcePatterns((r) => mcePanicLines(r, outcome.message, outcome.panicMessage!), {
    ...SKYLAKE_CLIENT_V1,
    ...mce,
  });
  if (patterns.length !== lines.length) fail('pattern count');
  // The guest boots with nokaslr: panic()'s notifier then says so before the reboot.
  patterns.push(new RegExp(`^${quote(X86_PANIC_KERNEL_OFFSET_LINE)}$`));
  const got = await run.expectInOrder(patterns, from, 'the panic', 20_000, true);
  run.latencies.push(got[got.length - 1]!.hostMs - t0);
}

type Fn = (run: X86Run) => Promise<void>;

const MAIN: Record<string, Fn> = {
  'ghes-polled-corrected': ghesPolledCorrected,
  'mce-ar-kill': (r) => mceScenario(r, 'ar'),
  'mce-ao-early-kill': (r) => mceScenario(r, 'ao-early'),
  'mce-ao-late-kill': (r) => mceScenario(r, 'ao-late'),
  'ghes-nmi-kill': ghesNmiKill,
  'ghes-nmi-queue': ghesNmiQueue,
  'ghes-ia32x64': ghesIa32x64,
};

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

export interface X86GroupOptions {
  readonly setup: X86Setup;
  readonly kernel?: string;
  readonly accel?: 'tcg' | 'kvm';
  readonly seed?: number;
  readonly only?: readonly X86ScenarioId[];
  readonly runTimeoutMs?: number;
  readonly bootTimeoutMs?: number;
}

/** A GuestManifest stand-in for GuestVm: an x86 guest reads everything from `setup`. */
export function x86Manifest(setup: X86Setup): GuestManifest {
  return {
    schema: 'vras-guest/v1',
    kernels: setup.kernels,
    busybox: setup.busybox,
    victim: setup.victim,
    initrd: setup.initrd,
    firmware: '',
    qemu: [],
  };
}

/** Boots one x86 group's guest, runs its scenarios, and always stops QEMU. */
export async function runX86Group(
  group: X86GroupId,
  options: X86GroupOptions,
): Promise<X86GroupResult> {
  const seed = options.seed ?? Date.now() & 0x7fffffff;
  const kernelSeries = options.kernel ?? '6.1';
  const kernel = kernelSeries as KernelVersion;
  const accel = options.accel ?? 'tcg';
  const wanted = X86_SCENARIOS.filter(
    (s) => s.group === group && (options.only === undefined || options.only.includes(s.id)),
  ).map((s) => s.id);
  const started = performance.now();
  const scenarios: X86ScenarioResult[] = [];
  let vm: GuestVm | undefined;
  let mem: FileGuestMemory | undefined;
  let error: string | undefined;
  try {
    let machine: EngineMachine | undefined;
    vm = new GuestVm({
      manifest: x86Manifest(options.setup),
      label: `x86-${group.replace('x86-', '')}-${kernelSeries}`,
      kernel: kernelSeries,
      x86: { setup: options.setup, accel },
      append: X86_APPEND,
      acpiTables: () => [{ name: 'hest.aml', data: machine!.hest }],
      runTimeoutMs: options.runTimeoutMs ?? 900_000,
      bootTimeoutMs: options.bootTimeoutMs ?? 180_000,
    });
    const v = vm;
    v.onBeforeBoot = () => {
      mem = new FileGuestMemory(v.ramFilePath(), [
        { name: 'pc.ram', gpa: 0n, size: RAM_BYTES, hostAddress: X86_HOST_RAM, fileOffset: 0n },
      ]);
      machine = bootOwnHest(x86MachineConfig(), mem, X86_GHES_BASE);
    };
    await v.start();
    const m = machine!;
    const platform = new HarnessX86Platform(v);
    const x86 = new X86Ras({
      platform,
      engine: m.engine,
      cpu: { mcgCap: QEMU_DEFAULT_MCG_CAP },
      // The MCE scenarios ask for machine checks, the GHES ones for firmware first: two
      // policies over one engine, as a VMM would switch them per guest.
      ar: 'machine-check',
      ao: 'machine-check',
    });
    const ff = new X86Ras({ platform, engine: m.engine, ar: 'firmware-first' });
    const random = rng(seed);
    const order = group === 'x86-main' ? X86_MAIN_ORDER : (['mce-fatal-panic'] as const);
    for (const id of order) {
      if (!wanted.includes(id)) continue;
      const run = new X86Run(v, m, id === 'ghes-nmi-kill' ? ff : x86, platform, kernel, random);
      const from = v.console.lines.length;
      try {
        if (!v.running) throw new GuestError('qemu-exited', 'QEMU is no longer running');
        await (id === 'mce-fatal-panic' ? fatalScenario(run) : MAIN[id]!(run));
        scenarios.push({
          id,
          ok: true,
          latenciesMs: run.latencies,
          console: v.console.lines.slice(from).map((l) => l.text),
        });
      } catch (e) {
        scenarios.push({
          id,
          ok: false,
          error: (e as Error).message,
          latenciesMs: run.latencies,
          console: v.console.lines.slice(from).map((l) => l.text),
        });
      }
    }
  } catch (e) {
    error = (e as Error).message;
  } finally {
    mem?.close();
    await vm?.stop();
  }
  if (error !== undefined)
    for (const id of wanted)
      if (!scenarios.some((s) => s.id === id))
        scenarios.push({
          id,
          ok: false,
          error: `group ${group}: ${error}`,
          latenciesMs: [],
          console: [],
        });
  return {
    group,
    kernel: kernelSeries,
    accel,
    bootMs: vm?.bootMs,
    wallMs: performance.now() - started,
    seed,
    scenarios,
    console: vm?.console.text() ?? '',
    ...(error === undefined ? {} : { error }),
  };
}
