// The simulated x86_64 path: host SIGBUS → the vras engine's x86 policy (the same X86Ras and
// RasEngine objects as a VMM uses) → a machine check or a firmware-first CPER notified by NMI or
// polling → a model of the x86 Linux guest (one vCPU, Intel Skylake-Client-v1 as QEMU's TCG
// reports it) that prints what the real Debian 6.1 and 6.12 amd64 guests print for the real-guest
// scenarios (test/fixtures/real-guest/x86/): the codec's lines (mce-linux.ts, linux-format.ts),
// severity.c's grade (mce-severity.ts), the kernel's ratelimits (ghes.c: 2 records per 5 s per
// class; core.c: "Machine check events logged" 2 per 60 s), memory_failure() and the victim's
// signal. Time is integer nanoseconds on the scheduler; randomness from the seed only.

import {
  apeiMcePrinted,
  apeiMceRecord,
  CperSeverity,
  decodeGhesStatusBlock,
  encodeGhesStatusBlock,
  formatLinuxX86,
  genericErrorDataEntry,
  ghesSeverityOf,
  ghesStatusBlock,
  HestNotificationType,
  type KernelVersion,
  type LinuxMceRecord,
  linuxMceOutcome,
  type MachineCheck,
  MCE_EVENTS_LOGGED_LINE,
  MEMORY_SECTION_GUID,
  MemoryErrorType,
  MemoryValid,
  mceKillingLine,
  mcePanicLines,
  memoryErrorSection,
  memoryFailureRecoveredLine,
  memoryFailureSigbusLine,
  printMceLines,
  userAccessLine,
  X86_PANIC_KERNEL_OFFSET_LINE,
  x86CacheErrorRecord,
} from '../codec/index.js';
import {
  BusyPolicy,
  bootMachine,
  type EngineReport,
  type MachineConfig,
  type PlatformRequest,
  PointerLayout,
  QEMU_DEFAULT_MCG_CAP,
  type RasEngine,
  readU32,
  readU64,
  SigbusCode,
  SparseGuestMemory,
  writeU64,
  type X86MceRequest,
  type X86Platform,
  X86Ras,
} from '../engine/index.js';
import { SimError, SimErrorCode } from './errors.js';
import { Random } from './random.js';
import { Scheduler } from './scheduler.js';

/** The real-guest x86 scenarios, in the order the real harness runs them in one boot. */
export const X86_SIM_SCENARIOS = [
  'ghes-polled-corrected',
  'mce-ar-kill',
  'mce-ao-early-kill',
  'mce-ao-late-kill',
  'ghes-nmi-kill',
  'ghes-nmi-queue',
  'ghes-ia32x64',
  'mce-fatal-panic',
] as const;
export type X86SimScenario = (typeof X86_SIM_SCENARIOS)[number];

/** Same layout as the real harness (src/guest/x86-scenarios.ts): NMI source 1, polled 2. */
export const X86_SIM_SOURCE = { nmi: 1, polled: 2 } as const;
const HOST_RAM = 0x7f00_0000_0000n;
const GHES_BASE = 0x2000_0000n;
const QUEUE_RECORDS = 6;
const MS = 1_000_000;
const SEC = 1_000 * MS;
/** The guest's wall clock at boot (TIME in the PROCESSOR line), seconds. */
const EPOCH_S = 1_796_640_000;

/** CPU identity QEMU's Skylake-Client-v1 reports under TCG (the spike's and fixtures' consoles). */
const SKL = { cpu: 0, cpuvendor: 0, cpuid: 0x506e3, socket: 0, apicid: 0, microcode: 1 } as const;

export function x86SimMachineConfig(): MachineConfig {
  return {
    layout: PointerLayout.HestAddr,
    sources: [
      {
        id: X86_SIM_SOURCE.nmi,
        notification: HestNotificationType.Nmi,
        policy: BusyPolicy.Queue,
        backlogLimit: 16,
      },
      { id: X86_SIM_SOURCE.polled, notification: HestNotificationType.Polled, pollIntervalMs: 100 },
    ],
  };
}

/**
 * Linux's ___ratelimit(): `burst` events per `intervalNs`, the window starting at the first; when
 * a window ends with events missed, the next call prints `<func>: N callbacks suppressed`.
 */
class Ratelimit {
  private begin = -1;
  private printed = 0;
  private missed = 0;
  constructor(
    private readonly func: string,
    private readonly intervalNs: number,
    private readonly burst: number,
  ) {}
  /** Whether to print now; `notice` receives the suppression line when there is one. */
  allow(now: number, notice: (line: string) => void): boolean {
    if (this.begin < 0 || now >= this.begin + this.intervalNs) {
      if (this.missed > 0) notice(`${this.func}: ${this.missed} callbacks suppressed`);
      this.begin = now;
      this.printed = 0;
      this.missed = 0;
    }
    if (this.printed < this.burst) {
      this.printed++;
      return true;
    }
    this.missed++;
    return false;
  }
}

interface Process {
  readonly pid: number;
  readonly vaddr: bigint;
  readonly pfn: bigint;
  readonly mode: 'early' | 'late' | 'busy';
  alive: boolean;
}

export interface X86SimCounters {
  machineChecks: number;
  ghesRecords: number;
  acks: number;
  memoryFailures: number;
  killed: number;
  panics: number;
}

/** One simulated x86 VM: host, engine, guest kernel and its processes. */
export class X86World {
  readonly scheduler = new Scheduler();
  readonly console: string[] = [];
  readonly counters: X86SimCounters = {
    machineChecks: 0,
    ghesRecords: 0,
    acks: 0,
    memoryFailures: 0,
    killed: 0,
    panics: 0,
  };
  readonly engine: RasEngine;
  readonly memory: SparseGuestMemory;
  private readonly random: Random;
  private readonly requests: PlatformRequest[] = [];
  readonly reports: EngineReport[] = [];
  private readonly mceRoute: X86Ras;
  private readonly ffRoute: X86Ras;
  private nextPid = 87;
  private seq = 0;
  private tainted = false;
  panicked = false;
  /** Whether lines are kept (a campaign only counts). */
  private readonly keepLines: boolean;
  private readonly ghesCorrected = new Ratelimit('ghes_print_estatus', 5 * SEC, 2);
  private readonly ghesUncorrected = new Ratelimit('ghes_print_estatus', 5 * SEC, 2);
  private readonly eventsLogged = new Ratelimit('mce_notify_irq', 60 * SEC, 2);
  private readonly processes = new Map<bigint, Process>();

  constructor(
    readonly kernel: KernelVersion,
    seed: bigint,
    options: { readonly lines?: boolean } = {},
  ) {
    this.keepLines = options.lines ?? true;
    this.random = Random.fork(seed, `x86.${kernel}`);
    this.memory = new SparseGuestMemory([
      { name: 'pc.ram', gpa: 0n, size: 1n << 30n, hostAddress: HOST_RAM },
    ]);
    const platform: X86Platform = {
      request: (r) => this.requests.push(r),
      report: (r) => this.reports.push(r),
      injectMce: (r) => this.machineCheck(r),
    };
    this.engine = bootMachine({
      machine: x86SimMachineConfig(),
      memory: this.memory,
      platform,
      allocateFrom: GHES_BASE,
    }).engine;
    const cpu = { mcgCap: QEMU_DEFAULT_MCG_CAP };
    this.mceRoute = new X86Ras({
      platform,
      engine: this.engine,
      cpu,
      ar: 'machine-check',
      ao: 'machine-check',
    });
    this.ffRoute = new X86Ras({ platform, engine: this.engine, cpu, ar: 'firmware-first' });
  }

  private print(...lines: string[]): void {
    if (this.keepLines) this.console.push(...lines);
  }

  private get nowS(): bigint {
    return BigInt(EPOCH_S + Math.floor(this.scheduler.now / SEC));
  }

  /** Runs scheduled work until `ns` later. */
  advance(ns: number): void {
    const until = this.scheduler.now + ns;
    for (;;) {
      const t = this.scheduler.peekTime();
      if (t === undefined || t > until) break;
      const ev = this.scheduler.pop()!;
      this.handle(ev.message as { kind: string; [k: string]: unknown });
    }
    this.scheduler.advanceTo(until);
  }

  private handle(m: { kind: string; [k: string]: unknown }): void {
    if (this.panicked) return;
    switch (m.kind) {
      case 'poll':
        this.ghesCheck(X86_SIM_SOURCE.polled);
        this.scheduler.post(100 * MS, 'guest', { kind: 'poll' });
        return;
      case 'nmi':
        this.ghesCheck(X86_SIM_SOURCE.nmi);
        return;
      case 'touch': {
        const p = this.processes.get(m.pfn as bigint);
        if (p?.alive && this.poisoned.has(p.pfn)) {
          this.print(
            mceKillingLine('victim', p.pid, p.vaddr),
            `VICTIM: got SIGBUS si_code=4 addr=0x${p.vaddr.toString(16)} lsb=12`,
          );
          this.kill(p);
        } else if (p?.alive)
          this.scheduler.post(p.mode === 'late' ? 20 * MS : MS, 'guest', {
            kind: 'touch',
            pfn: p.pfn,
          });
        return;
      }
      default:
        throw new SimError(SimErrorCode.BadMessage, `Cannot handle guest message ${m.kind}`);
    }
  }

  private readonly poisoned = new Set<bigint>();

  private kill(p: Process): void {
    p.alive = false;
    this.counters.killed++;
  }

  /** The guest boots: polling starts (the real harness's init is then ready). */
  boot(): void {
    this.scheduler.post(100 * MS, 'guest', { kind: 'poll' });
  }

  /** Starts the victim program in `mode` on a fresh page; prints its report line. */
  startVictim(mode: 'early' | 'late' | 'busy'): Process {
    const pid = this.nextPid++;
    const pfn = 0x2800n + BigInt(this.random.int(0x2000));
    const vaddr = 0x7f00_0000_0000n + (BigInt(this.random.int(0xfffffff)) << 12n);
    const p: Process = { pid, vaddr, pfn, mode, alive: true };
    this.processes.set(pfn, p);
    this.print(
      `VICTIM: pid=${pid} vaddr=0x${vaddr.toString(16)} pagemap=0x${((0x818n << 52n) | pfn).toString(16)} present=1 pfn=0x${pfn.toString(16)} paddr=0x${(pfn << 12n).toString(16)} mode=${mode}`,
    );
    // A late-kill victim reads its page every 20 ms, a busy one all the time (modelled as every
    // millisecond): after memory_failure unmapped it, the next read faults (late kill).
    if (mode !== 'early')
      this.scheduler.post(mode === 'late' ? 20 * MS : MS, 'guest', { kind: 'touch', pfn });
    return p;
  }

  /** A host SIGBUS for guest page `pfn`, handled by the engine's x86 policy. */
  hostSigbus(code: SigbusCode, pfn: bigint, route: 'machine-check' | 'firmware-first') {
    const x86 = route === 'machine-check' ? this.mceRoute : this.ffRoute;
    const before = this.requests.length;
    const out = x86.onSigbus({ code, hostAddress: HOST_RAM + (pfn << 12n), addressLsb: 12 });
    this.notify(before);
    return out;
  }

  /** Hands the engine's notification requests to the guest (NMI after 50 µs). */
  private notify(since: number): void {
    for (const r of this.requests.slice(since))
      if (r.kind === 'nmi') this.scheduler.post(50_000, 'guest', { kind: 'nmi' });
  }

  /** A record through RasEngine.record() (the real harness's firmware-first records). */
  record(sourceId: number, block: Uint8Array) {
    const before = this.requests.length;
    const out = this.engine.record(sourceId, block);
    this.notify(before);
    return out;
  }

  /** RasEngine.service() after acks, notifying what it posted. */
  service(): number {
    const before = this.requests.length;
    const n = this.engine.service();
    this.notify(before);
    return n;
  }

  // ---- the guest kernel ----

  private mceLog(rec: LinuxMceRecord, printed: boolean): void {
    if (this.eventsLogged.allow(this.scheduler.now, (l) => this.print(l)))
      this.print(MCE_EVENTS_LOGGED_LINE);
    if (printed) this.print(...printMceLines(rec));
  }

  private memoryFailure(pfn: bigint, actionRequired: boolean): void {
    this.counters.memoryFailures++;
    this.poisoned.add(pfn);
    const p = this.processes.get(pfn);
    if (p?.alive && (actionRequired || p.mode === 'early')) {
      this.print(memoryFailureSigbusLine(pfn, 'victim', p.pid));
      this.print(memoryFailureRecoveredLine(pfn));
      this.print(
        `VICTIM: got SIGBUS si_code=${actionRequired ? 4 : 5} addr=0x${p.vaddr.toString(16)} lsb=12`,
      );
      this.kill(p);
      return;
    }
    this.print(memoryFailureRecoveredLine(pfn));
  }

  /** do_machine_check() on the vCPU (the victim, when busy, is in user mode at `ip`). */
  machineCheck(r: X86MceRequest): void {
    this.counters.machineChecks++;
    const m: MachineCheck = r;
    const outcome = linuxMceOutcome(m, { context: 'user' });
    const rec: LinuxMceRecord = {
      ...SKL,
      ...m,
      cs: 0x33,
      ip: 0x401798n,
      tsc: (BigInt(this.scheduler.now) * 26n) / 10n,
      time: this.nowS,
    };
    if (outcome.action === 'panic') {
      this.print(
        ...mcePanicLines(rec, outcome.message, outcome.panicMessage!),
        X86_PANIC_KERNEL_OFFSET_LINE,
      );
      this.panicked = true;
      this.counters.panics++;
      return;
    }
    if (!this.tainted) {
      this.tainted = true;
      this.print('Disabling lock debugging due to kernel taint');
    }
    const pfn = m.addr >> 12n;
    if (outcome.action === 'kill-current') {
      this.print(userAccessLine(m.addr));
      this.mceLog(rec, true);
      this.memoryFailure(pfn, true);
    } else if (outcome.action === 'memory-failure') {
      this.mceLog(rec, false);
      this.memoryFailure(pfn, false);
    } else if (outcome.logged) this.mceLog(rec, true);
  }

  /** ghes_proc() for one source: print, report the fake MCE, memory_failure, clear and ack. */
  private ghesCheck(sourceId: number): void {
    const index = this.engine.layout.sources.findIndex((s) => s.id === sourceId);
    const o = this.engine.layout.blob.sources[index]!;
    const base = this.engine.linkState!.base;
    const block = base + BigInt(o.block);
    if (readU32(this.memory, block) === 0) return;
    const length = 20 + readU32(this.memory, block + 12n);
    const status = decodeGhesStatusBlock(this.memory.read(block, length));
    this.counters.ghesRecords++;
    const sev = ghesSeverityOf(status.errorSeverity);
    const limit = sev <= 1 ? this.ghesCorrected : this.ghesUncorrected;
    if (limit.allow(this.scheduler.now, (l) => this.print(l))) {
      this.seq++;
      this.print(...formatLinuxX86(status, { sourceId, seq: this.seq, kernel: this.kernel }));
    }
    for (const e of status.entries) {
      if (e.sectionType !== MEMORY_SECTION_GUID) continue;
      const body = e.body as unknown as {
        validationBits: bigint;
        physicalAddress: bigint;
        physicalAddressMask: bigint;
      };
      const pa = body.validationBits & 2n ? body.physicalAddress : undefined;
      const mask = body.validationBits & 4n ? body.physicalAddressMask : undefined;
      const esev = ghesSeverityOf(e.errorSeverity);
      const fake = apeiMceRecord(esev, pa, mask);
      const recoverable = esev === 2 && pa !== undefined;
      // Recoverable: memory_failure (queued from the NMI) prints before the fake MCE's record.
      if (recoverable) this.memoryFailure(pa >> 12n, false);
      if (fake !== undefined)
        this.mceLog(
          { ...SKL, ...fake, cs: 0, tsc: 0n, time: this.nowS },
          apeiMcePrinted(esev, this.kernel),
        );
    }
    // ghes_clear_estatus + the GHESv2 read ack.
    this.memory.write(block, new Uint8Array(4));
    const ack = base + BigInt(o.ack);
    writeU64(this.memory, ack, readU64(this.memory, ack) | 1n);
    this.counters.acks++;
  }
}

/**
 * A one-entry CPER memory error status block, as the real harness writes it
 * (src/guest/records.ts memoryRecord: error status, physical address and error type valid,
 * multi-bit ECC).
 */
export function x86MemoryRecord(severity: number, pa: bigint): Uint8Array {
  return encodeGhesStatusBlock(
    ghesStatusBlock({
      errorSeverity: severity,
      entries: [
        genericErrorDataEntry(
          MEMORY_SECTION_GUID,
          memoryErrorSection({
            validationBits:
              MemoryValid.ErrorStatus | MemoryValid.PhysicalAddress | MemoryValid.ErrorType,
            physicalAddress: pa,
            errorType: MemoryErrorType.MultiBitEcc,
          }),
          { errorSeverity: severity },
        ),
      ],
    }),
  );
}

/**
 * Runs the real harness's x86 scenarios in one simulated boot (the fatal one in a second boot,
 * as the real harness does) and returns each scenario's console lines.
 */
export function simulateX86Scenarios(
  kernel: KernelVersion,
  seed: bigint,
): Record<X86SimScenario, string[]> {
  const memoryRecord = x86MemoryRecord;
  const out = {} as Record<X86SimScenario, string[]>;
  const w = new X86World(kernel, seed);
  w.boot();
  w.advance(4 * SEC);
  const run = (id: X86SimScenario, fn: () => void) => {
    const from = w.console.length;
    fn();
    out[id] = w.console.slice(from);
  };
  run('ghes-polled-corrected', () => {
    w.record(X86_SIM_SOURCE.polled, memoryRecord(CperSeverity.Corrected, 0x3002_1000n));
    w.advance(300 * MS);
  });
  const mce = (mode: 'busy' | 'early' | 'late', code: SigbusCode) => () => {
    const p = w.startVictim(mode);
    w.advance(300 * MS);
    w.hostSigbus(code, p.pfn, 'machine-check');
    w.advance(200 * MS);
  };
  run('mce-ar-kill', mce('busy', SigbusCode.ActionRequired));
  run('mce-ao-early-kill', mce('early', SigbusCode.ActionOptional));
  run('mce-ao-late-kill', mce('late', SigbusCode.ActionOptional));
  run('ghes-nmi-kill', () => {
    const p = w.startVictim('late');
    w.advance(300 * MS);
    w.hostSigbus(SigbusCode.ActionRequired, p.pfn, 'firmware-first');
    w.advance(200 * MS);
  });
  run('ghes-nmi-queue', () => {
    const first = 0x3860_1000n;
    const outs = Array.from({ length: QUEUE_RECORDS }, (_, i) =>
      w.record(
        X86_SIM_SOURCE.nmi,
        memoryRecord(CperSeverity.Corrected, first + BigInt(i) * 0x1000n),
      ),
    );
    if (outs[0]!.status !== 'posted' || outs.slice(1).some((o) => o.status !== 'queued'))
      throw new SimError(
        SimErrorCode.Invariant,
        'the engine did not post one record and queue the rest',
      );
    for (let i = 0; i < QUEUE_RECORDS; i++) {
      w.advance(5 * MS);
      w.service();
    }
    w.advance(200 * MS);
  });
  run('ghes-ia32x64', () => {
    // The real harness waits out ghes.c's corrected-record ratelimit (2 per 5 s) first.
    w.advance(5200 * MS);
    w.record(X86_SIM_SOURCE.polled, x86CacheErrorRecord(0n, 0xffff_ffff_8100_0c49n));
    w.advance(300 * MS);
  });
  const f = new X86World(kernel, seed ^ 1n);
  f.boot();
  f.advance(5 * SEC);
  const from = f.console.length;
  const p = f.startVictim('busy');
  f.advance(300 * MS);
  f.machineCheck({
    kind: 'inject-mce',
    vcpu: 0,
    broadcast: true,
    bank: 9,
    status: 0xbd80000000000134n | (1n << 57n),
    mcgStatus: 7n,
    addr: 0x3f00_0000n,
    misc: 0x8cn,
  });
  f.advance(100 * MS);
  if (!f.panicked || !p.alive)
    throw new SimError(SimErrorCode.Invariant, 'the PCC machine check did not panic the guest');
  out['mce-fatal-panic'] = f.console.slice(from);
  return out;
}

export interface X86CampaignOptions {
  readonly vms: number;
  readonly errors: number;
  readonly seed: bigint;
  readonly kernel?: KernelVersion;
  /** Share of uncorrected errors that are AR (the rest AO); default 0.5. */
  readonly arShare?: number;
  /** Share of all errors that are uncorrected (the rest corrected, polled); default 0.1. */
  readonly uncorrectedShare?: number;
  /** Share of AR errors routed firmware first (NMI GHES) instead of a machine check (AO: MCE). */
  readonly firmwareFirstShare?: number;
}

export interface X86CampaignSummary extends X86SimCounters {
  readonly vms: number;
  readonly errors: number;
  readonly corrected: number;
  readonly ar: number;
  readonly ao: number;
  readonly firmwareFirst: number;
  readonly lost: number;
}

/**
 * An x86 campaign mix: `errors` errors over `vms` simulated x86 VMs (AR on a busy task, AO on a
 * late-kill task, corrected records on the polled source), each through the engine's x86 policy,
 * counted. Lost = errors neither acked by the guest nor delivered as a machine check.
 */
export function runX86Campaign(o: X86CampaignOptions): X86CampaignSummary {
  if (!Number.isSafeInteger(o.vms) || o.vms < 1 || !Number.isSafeInteger(o.errors) || o.errors < 0)
    throw new SimError(
      SimErrorCode.BadScenario,
      'Cannot run an x86 campaign: vms ≥ 1 and errors ≥ 0 are needed',
    );
  const rnd = Random.fork(o.seed, 'x86.campaign');
  const worlds: X86World[] = [];
  const totals: X86CampaignSummary = {
    vms: o.vms,
    errors: o.errors,
    corrected: 0,
    ar: 0,
    ao: 0,
    firmwareFirst: 0,
    lost: 0,
    machineChecks: 0,
    ghesRecords: 0,
    acks: 0,
    memoryFailures: 0,
    killed: 0,
    panics: 0,
  };
  const t = totals as { -readonly [K in keyof X86CampaignSummary]: X86CampaignSummary[K] };
  for (let i = 0; i < o.errors; i++) {
    const vm = rnd.int(o.vms);
    let w = worlds[vm];
    if (w === undefined) {
      w = new X86World(o.kernel ?? '6.1', o.seed + BigInt(vm), { lines: false });
      w.boot();
      worlds[vm] = w;
    }
    if (!rnd.chance(o.uncorrectedShare ?? 0.1)) {
      t.corrected++;
      const pa = 0x3000_0000n + (BigInt(rnd.int(0x8000)) << 12n);
      const block = x86MemoryRecord(CperSeverity.Corrected, pa);
      const out = w.record(X86_SIM_SOURCE.polled, block);
      if (out.status === 'dropped') t.lost++;
      w.advance(150 * MS);
      continue;
    }
    const ar = rnd.chance(o.arShare ?? 0.5);
    const ff = rnd.chance(o.firmwareFirstShare ?? 0.5);
    if (ar) t.ar++;
    else t.ao++;
    if (ff && ar) t.firmwareFirst++;
    const p = w.startVictim(ar ? 'busy' : 'late');
    const out = w.hostSigbus(
      ar ? SigbusCode.ActionRequired : SigbusCode.ActionOptional,
      p.pfn,
      ff && ar ? 'firmware-first' : 'machine-check',
    );
    if (out.action === 'dropped' || out.action === 'ignored' || out.action === 'fatal') t.lost++;
    w.advance(100 * MS);
  }
  for (const w of worlds) {
    if (w === undefined) continue;
    w.advance(SEC);
    for (const k of [
      'machineChecks',
      'ghesRecords',
      'acks',
      'memoryFailures',
      'killed',
      'panics',
    ] as const)
      t[k] += w.counters[k];
  }
  return totals;
}
