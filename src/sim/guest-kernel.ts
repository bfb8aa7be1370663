// The guest's Linux kernel (6.1.192, Debian 12's measured build; linux-guest.md): HEST parsing at
// boot, the GHES driver with its ordered acceptance checks, clear and read-ack, print rate limit
// (2 per 5 s per class), duplicate cache (4 slots, 10 s), `{N}` sequence, the SEA (NMI-like) and
// IRQ/poll/HED path orderings, memory_failure with early and late kill, the GHES fatal panic and
// the arm64 SError panic. Decoding and the printed lines come from the codec through RecordPort.

import {
  type KernelBehaviour,
  type KernelVersion,
  kernelBehaviour,
  linuxSErrorDecision,
} from '../codec/index.js';
import type { GuestMemory } from '../engine/index.js';
import { SimError, SimErrorCode } from './errors.js';
import type { AcceptedRecord, GhesSourceInfo, RecordPort } from './ports.js';
import type { Component, Link, SimContext } from './simulation.js';

const MS = 1_000_000;
const SEC = 1_000 * MS;

/** Latencies inside the guest kernel, in ns (chosen to match the measured 6.1.192 ordering). */
export const GuestLatency = {
  /** ghes_notify_sea → irq_work (ghes_proc_in_irq). */
  irqWork: 20_000,
  /** Return to user → task_work (memory_failure_queue_kick). */
  taskWork: 5_000,
  /** memory_failure_queue → workqueue memory_failure(); measured ≈5 ms (victim excerpt). */
  mfWork: 5 * MS,
  /** Re-executing the faulting access after the SEA was claimed. */
  reexecute: 10_000,
  /** HED notify → ghes_notify_hed → ghes_proc. */
  hed: 50_000,
} as const;

export const RATELIMIT_INTERVAL_NS = 5 * SEC;
export const RATELIMIT_BURST = 2;
export const CACHE_SLOTS = 4;
export const CACHE_LIFETIME_NS = 10 * SEC;

const NOTIFY_POLLED = 0;
const NOTIFY_EXTERNAL = 1;
const NOTIFY_SCI = 3;
const NOTIFY_GPIO = 7;
const NOTIFY_SEA = 8;
const NOTIFY_GSIV = 10;
const HED_TYPES = new Set([NOTIFY_SCI, NOTIFY_GPIO, NOTIFY_GSIV]);

/** mm.h MF_ACTION_REQUIRED. */
const MF_ACTION_REQUIRED = 1 << 1;

const SEV_RECOVERABLE = 0;
const SEV_FATAL = 1;
const SEV_CORRECTED = 2;
const SEV_INFO = 3;

/** Linux ghes_severity(): fatal and every unknown value panic. */
function ghesSev(cper: number): number {
  if (cper === SEV_INFO) return 0;
  if (cper === SEV_CORRECTED) return 1;
  if (cper === SEV_RECOVERABLE) return 2;
  return 3;
}

export interface GuestProcess {
  readonly pid: number;
  readonly comm: string;
  /** The page it uses: guest virtual and guest physical address. */
  readonly vaddr: bigint;
  readonly gpa: bigint;
  /** prctl(PR_MCE_KILL_EARLY) or vm.memory_failure_early_kill = 1. */
  readonly earlyKill: boolean;
  /** The program catches SIGBUS and exits itself (the harness's victim) rather than dying. */
  readonly catchesSigbus?: boolean;
}

export type GuestKernelMessage =
  | { readonly kind: 'boot'; readonly hestAddress: bigint; readonly hestLength: number }
  | { readonly kind: 'poll'; readonly sourceId: number }
  | { readonly kind: 'sea'; readonly esr: bigint; readonly fromEl: number; readonly pid: number }
  | { readonly kind: 'hed-notify' }
  | { readonly kind: 'serror'; readonly esr: bigint }
  | {
      readonly kind: 'irq-work';
      readonly sourceId: number;
      readonly block: Uint8Array;
      readonly pid: number;
    }
  | { readonly kind: 'task-work'; readonly pid: number; readonly pfns: readonly bigint[] }
  | { readonly kind: 'mf-work'; readonly pfn: bigint; readonly flags: number }
  | { readonly kind: 'touch'; readonly pid: number }
  /** A process starts (a workload restarting after a kill, in long-running worlds). */
  | { readonly kind: 'spawn'; readonly process: GuestProcess }
  /** System reset: the kernel's state is gone; the firmware boots it again. */
  | { readonly kind: 'reset' };

/** Where a user access that is not already known bad goes: the vCPU executing it. */
export interface GuestCpuAccess {
  readonly kind: 'guest-access';
  readonly gpa: bigint;
  readonly pid: number;
  readonly el: number;
}

export interface GuestKernelDeps {
  readonly memory: GuestMemory;
  readonly records: RecordPort;
  readonly processes: readonly GuestProcess[];
  /** The vCPU that executes user accesses (hw.cpu0 via KVM). */
  readonly cpu: string;
  /**
   * Kernel to reproduce (default '6.1' = 6.1.192, with the 6.1.164 forced-SIGBUS backport):
   * the forced-SIGBUS print form, the pfn check, and 7.3's SEA path (memory_failure from the
   * task's work with MF_ACTION_REQUIRED, which signals the task itself, and the non struct page
   * pfn line for a PA outside RAM). The record lines, read checks and probe lines follow the
   * RecordPort's kernel (world.ts gives both the same).
   */
  readonly kernel?: KernelVersion;
}

interface RateState {
  begin: number;
  printed: number;
  missed: number;
}

interface CacheSlot {
  /** The cached record's bytes (ghes_estatus_cached() compares length, then memcmp). */
  bytes: Uint8Array;
  time: number;
  count: number;
}

interface ProcState {
  alive: boolean;
  /** Signal that ended it, e.g. `SIGBUS BUS_MCEERR_AR`. */
  fate: string | null;
}

/** Outcome facts the scenario oracle reads. */
export interface GuestKernelState {
  panicked: string | null;
  readonly console: string[];
  readonly killed: { pid: number; comm: string; code: string; addr: string }[];
  readonly offlined: string[];
  acked: number;
  recordsPrinted: number;
  recordsProcessed: number;
  recordsDropped: number;
}

export class GuestKernel implements Component<GuestKernelMessage> {
  readonly id: string;
  readonly #ctx: SimContext;
  readonly #deps: GuestKernelDeps;
  readonly #kernel: KernelBehaviour;
  readonly #cpu: Link<GuestCpuAccess>;
  #sources: GhesSourceInfo[] = [];
  #seq = 0;
  #rate: { corrected: RateState; uncorrected: RateState } = {
    corrected: { begin: -1, printed: 0, missed: 0 },
    uncorrected: { begin: -1, printed: 0, missed: 0 },
  };
  #cache: CacheSlot[] = [];
  #poisoned = new Set<bigint>();
  #procs = new Map<number, ProcState>();
  /** Every process the guest ran, by pid (deps.processes, then spawned ones). */
  #processes = new Map<number, GuestProcess>();
  /** Pids by the page frame they use (memory_failure's rmap walk). */
  #byPfn = new Map<bigint, number[]>();
  state: GuestKernelState = {
    panicked: null,
    console: [],
    killed: [],
    offlined: [],
    acked: 0,
    recordsPrinted: 0,
    recordsProcessed: 0,
    recordsDropped: 0,
  };

  constructor(ctx: SimContext, deps: GuestKernelDeps) {
    this.id = ctx.id;
    this.#ctx = ctx;
    this.#deps = deps;
    this.#kernel = kernelBehaviour(deps.kernel);
    this.#cpu = ctx.link<GuestCpuAccess>(deps.cpu);
    this.#initProcesses();
  }

  #initProcesses(): void {
    for (const p of this.#deps.processes) {
      this.#addProcess(p);
      this.#procs.set(p.pid, { alive: true, fate: null });
    }
  }

  #addProcess(p: GuestProcess): void {
    this.#processes.set(p.pid, p);
    const pfn = p.gpa >> 12n;
    const pids = this.#byPfn.get(pfn);
    if (pids === undefined) this.#byPfn.set(pfn, [p.pid]);
    else if (!pids.includes(p.pid)) pids.push(p.pid);
  }

  /** Everything a boot built is gone (the VM was reset); the processes given at build restart. */
  #reset(): void {
    this.#sources = [];
    this.#seq = 0;
    this.#rate = {
      corrected: { begin: -1, printed: 0, missed: 0 },
      uncorrected: { begin: -1, printed: 0, missed: 0 },
    };
    this.#cache = [];
    this.#poisoned = new Set();
    this.#procs = new Map();
    this.#processes = new Map();
    this.#byPfn = new Map();
    this.#initProcesses();
    this.state = {
      panicked: null,
      console: [],
      killed: [],
      offlined: [],
      acked: 0,
      recordsPrinted: 0,
      recordsProcessed: 0,
      recordsDropped: 0,
    };
    this.#ctx.trace.emit('reset');
  }

  get sources(): readonly GhesSourceInfo[] {
    return this.#sources;
  }

  receive(m: GuestKernelMessage): void {
    if (m.kind === 'reset') {
      this.#reset();
      return;
    }
    if (this.state.panicked !== null) return;
    switch (m.kind) {
      case 'boot':
        this.#boot(m.hestAddress, m.hestLength);
        return;
      case 'poll': {
        const src = this.#source(m.sourceId);
        this.#ghesProc(src, 0);
        if (this.state.panicked === null) {
          this.#self(m, pollDelayNs(this.#ctx.scheduler.now, src.pollIntervalMs));
        }
        return;
      }
      case 'hed-notify':
        // ghes_notify_hed(): every SCI/GPIO/GSIV source is read.
        for (const s of this.#sources) if (HED_TYPES.has(s.notifyType)) this.#ghesProc(s, 0);
        return;
      case 'sea':
        this.#doSea(m.esr, m.fromEl, m.pid);
        return;
      case 'irq-work':
        this.#procInIrq(this.#source(m.sourceId), m.block, m.pid);
        return;
      case 'task-work':
        // 7.3: memory_failure(pfn, MF_ACTION_REQUIRED) in the task that took the SEA.
        for (const pfn of m.pfns)
          this.#memoryFailure(pfn, this.#kernel.syncActionRequired ? MF_ACTION_REQUIRED : 0, m.pid);
        this.#self({ kind: 'touch', pid: m.pid }, GuestLatency.reexecute);
        return;
      case 'mf-work':
        this.#memoryFailure(m.pfn, m.flags, -1);
        return;
      case 'touch':
        this.#touch(m.pid);
        return;
      case 'serror':
        this.#serror(m.esr);
        return;
      case 'spawn':
        this.#spawn(m.process);
        return;
    }
  }

  #self(m: GuestKernelMessage, latency: number): void {
    this.#ctx.link<GuestKernelMessage>(this.id).send(m, latency);
  }

  #source(id: number): GhesSourceInfo {
    const s = this.#sources.find((x) => x.sourceId === id);
    if (s === undefined) {
      throw new SimError(
        SimErrorCode.BadMessage,
        `Cannot notify GHES source ${id}: not registered`,
      );
    }
    return s;
  }

  #print(line: string): void {
    this.state.console.push(line);
    this.#ctx.trace.emit('console', { line });
  }

  #panic(text: string): void {
    this.#print(`Kernel panic - not syncing: ${text}`);
    this.state.panicked = text;
    this.#ctx.trace.emit('panic', { text });
  }

  #boot(hestAddress: bigint, hestLength: number): void {
    const bytes = this.#deps.memory.read(hestAddress, hestLength);
    const parsed = this.#deps.records.parseHest(bytes);
    for (const line of parsed.lines) this.#print(line);
    this.#sources = [...parsed.sources];
    this.#ctx.trace.emit('ghes-registered', { sources: this.#sources.map((s) => s.sourceId) });
    for (const s of this.#sources) {
      // ghes_probe() ends with one ghes_proc() for every source ("handle any pending errors").
      this.#ghesProc(s, 0);
      if (s.notifyType === NOTIFY_POLLED) {
        this.#self(
          { kind: 'poll', sourceId: s.sourceId },
          pollDelayNs(this.#ctx.scheduler.now, s.pollIntervalMs),
        );
      }
    }
  }

  /** §4 checks 1–5 on a source; returns the copied block, or undefined (nothing to do). */
  #readBlock(src: GhesSourceInfo): { addr: bigint; block: Uint8Array } | 'rejected' | undefined {
    const mem = this.#deps.memory;
    const addr = le64(mem.read(src.errorStatusAddress, 8));
    if (addr === 0n) return undefined;
    const header = mem.read(addr, 20);
    const len = this.#deps.records.headerLength(header, src.errorBlockLength);
    if (typeof len !== 'number') {
      if (len.kind === 'empty') return undefined;
      if (len.kind === 'rejected') {
        this.#reject(src, addr, len.line);
        return 'rejected';
      }
      return undefined;
    }
    return { addr, block: mem.read(addr, len) };
  }

  #reject(src: GhesSourceInfo, addr: bigint, line: string): void {
    this.#print(line);
    this.state.recordsDropped++;
    this.#ctx.trace.emit('record-rejected', { source: src.sourceId, line });
    this.#clearAndAck(src, addr);
  }

  #clearAndAck(src: GhesSourceInfo, addr: bigint): void {
    const mem = this.#deps.memory;
    mem.write(addr, new Uint8Array(4));
    if (src.readAck !== undefined) {
      const ra = src.readAck;
      const old = le64(mem.read(ra.address, 8));
      const shift = BigInt(ra.bitOffset);
      const value = ((old & (ra.preserve << shift)) | (ra.write << shift)) & 0xffffffffffffffffn;
      mem.write(ra.address, u64le(value));
    }
    this.state.acked++;
    this.#ctx.trace.emit('ack', { source: src.sourceId, block: addr });
  }

  /** ghes_proc(): the IRQ / poll / HED path — print (unless cached), then process, then ack. */
  #ghesProc(src: GhesSourceInfo, pid: number): void {
    const r = this.#readBlock(src);
    if (r === undefined || r === 'rejected') return;
    const read = this.#deps.records.readBlock(r.block);
    if (read.kind !== 'accepted') {
      if (read.kind === 'rejected') this.#reject(src, r.addr, read.line);
      return;
    }
    const rec = read.record;
    this.#ctx.trace.emit('record-read', { source: src.sourceId, severity: rec.severity });
    if (ghesSev(rec.severity) >= 3) {
      this.#ghesPanic(src, r.addr, r.block);
      return;
    }
    if (!this.#cached(r.block)) {
      if (this.#printRecord(r.block, rec, src.sourceId)) this.#cacheAdd(r.block);
    }
    this.#doProc(src, rec, pid);
    this.#clearAndAck(src, r.addr);
  }

  #ghesPanic(src: GhesSourceInfo, addr: bigint, block: Uint8Array): void {
    // __ghes_panic: printed at KERN_EMERG, not rate limited; then clear, ack and panic.
    for (const line of this.#deps.records.linuxLines(block, ++this.#seq, src.sourceId))
      this.#print(line);
    this.state.recordsPrinted++;
    this.#clearAndAck(src, addr);
    this.#panic('GHES: Fatal hardware error');
  }

  /** do_sea() → apei_claim_sea() → ghes_notify_sea(): the NMI-like path. */
  #doSea(esr: bigint, fromEl: number, pid: number): void {
    this.#ctx.trace.emit('sea', { esr, el: fromEl, pid });
    let claimed = false;
    if (fromEl === 0) {
      for (const src of this.#sources) {
        if (src.notifyType !== NOTIFY_SEA) continue;
        const r = this.#readBlock(src);
        if (r === undefined || r === 'rejected') continue;
        const read = this.#deps.records.readBlock(r.block);
        if (read.kind === 'rejected') {
          this.#reject(src, r.addr, read.line);
          continue;
        }
        if (read.kind !== 'accepted') continue;
        if (ghesSev(read.record.severity) >= 3) {
          this.#ghesPanic(src, r.addr, r.block);
          return;
        }
        // Copied into the pool, then cleared and acked at once, before any processing.
        this.#clearAndAck(src, r.addr);
        claimed = true;
        if (this.#cached(r.block)) {
          // "This error has been reported before, don't process it again."
          this.state.recordsDropped++;
          this.#ctx.trace.emit('record-duplicate-dropped', { source: src.sourceId });
          continue;
        }
        this.#self(
          { kind: 'irq-work', sourceId: src.sourceId, block: r.block, pid },
          GuestLatency.irqWork,
        );
      }
    }
    if (claimed) {
      this.#ctx.trace.emit('sea-claimed', { pid });
      return;
    }
    this.#dieOnSea(esr, fromEl, pid);
  }

  /** An SEA GHES did not claim: arm64_notify_die(). */
  #dieOnSea(esr: bigint, fromEl: number, pid: number): void {
    const esrText = `0x${esr.toString(16).padStart(16, '0')}`;
    if (fromEl !== 0) {
      this.#print(
        `Internal error: synchronous external abort: ${esrText.slice(2)} [#1] PREEMPT SMP`,
      );
      this.#panic('synchronous external abort: Fatal exception');
      return;
    }
    this.#kill(pid, 'SIGBUS BUS_OBJERR', 0n);
  }

  /** ghes_proc_in_irq(): process, then print (SEA records). */
  #procInIrq(src: GhesSourceInfo, block: Uint8Array, pid: number): void {
    const read = this.#deps.records.readBlock(block);
    if (read.kind !== 'accepted') return;
    const rec = read.record;
    this.#doProc(src, rec, pid);
    if (!this.#cached(block)) {
      if (this.#printRecord(block, rec, src.sourceId)) this.#cacheAdd(block);
    }
  }

  /** ghes_do_proc() for 6.1: memory sections → memory_failure_queue; forced SIGBUS for sync. */
  #doProc(src: GhesSourceInfo, rec: AcceptedRecord, pid: number): void {
    this.state.recordsProcessed++;
    const sev = ghesSev(rec.severity);
    const sync = src.notifyType === NOTIFY_SEA;
    let queued = false;
    const pfns: bigint[] = [];
    for (const sec of rec.sections) {
      if (sec.kind !== 'memory') continue;
      queued = false;
      if (sec.physicalAddress === undefined) continue;
      const secSev = ghesSev(sec.severity);
      let flags: number | undefined;
      if (secSev === 1 && (sec.flags & 0x08) !== 0)
        flags = 1 << 3; // MF_SOFT_OFFLINE
      else if (sev === 2 && secSev === 2) flags = 0;
      if (flags === undefined) continue;
      const pfn = sec.physicalAddress >> 12n;
      if (this.#kernel.pfnCheck && !this.#pfnValid(sec.physicalAddress)) {
        this.#print(
          `[Firmware Warn]: GHES: Invalid address in generic error data: 0x${sec.physicalAddress.toString(16)}`,
        );
        continue;
      }
      queued = true;
      if (sync) pfns.push(pfn);
      else this.#self({ kind: 'mf-work', pfn, flags }, GuestLatency.mfWork);
    }
    if (sync && !queued) {
      // 6.1.164+ backport of 79a5ae3c4c5e prints with pr_err; 6.12.107 and 7.3 with dev_err.
      const p = this.#processes.get(pid);
      const line = `GHES: ${p?.comm ?? 'swapper'}:${pid}: synchronous unrecoverable error (SIGBUS)`;
      this.#print(
        this.#kernel.forcedSigbus === 'dev_err'
          ? `GHES GHES.${src.sourceId}: [Hardware Error]: ${line}`
          : line,
      );
      this.#kill(pid, 'SIGBUS', 0n);
    }
    if (sync && pfns.length > 0)
      this.#self({ kind: 'task-work', pid, pfns }, GuestLatency.taskWork);
  }

  #pfnValid(pa: bigint): boolean {
    return this.#deps.memory.regions.some((r) => pa >= r.gpa && pa < r.gpa + r.size);
  }

  /** ghes_print_estatus() with its per-class rate limit; true when printed. */
  #printRecord(block: Uint8Array, rec: AcceptedRecord, sourceId: number): boolean {
    const cls = ghesSev(rec.severity) <= 1 ? this.#rate.corrected : this.#rate.uncorrected;
    const now = this.#ctx.scheduler.now;
    if (cls.begin < 0) cls.begin = now;
    // ___ratelimit(): a new window once jiffies is strictly after begin + interval.
    if (now - cls.begin > RATELIMIT_INTERVAL_NS) {
      if (cls.missed > 0) this.#print(`ghes_print_estatus: ${cls.missed} callbacks suppressed`);
      cls.begin = now;
      cls.printed = 0;
      cls.missed = 0;
    }
    if (cls.printed >= RATELIMIT_BURST) {
      cls.missed++;
      this.#ctx.trace.emit('record-ratelimited', { missed: cls.missed });
      return false;
    }
    cls.printed++;
    for (const line of this.#deps.records.linuxLines(block, ++this.#seq, sourceId))
      this.#print(line);
    this.state.recordsPrinted++;
    return true;
  }

  #cached(block: Uint8Array): boolean {
    const now = this.#ctx.scheduler.now;
    for (const slot of this.#cache) {
      if (now - slot.time < CACHE_LIFETIME_NS && sameBytes(slot.bytes, block)) {
        slot.count++;
        this.#ctx.trace.emit('record-cached', { hits: slot.count });
        return true;
      }
    }
    return false;
  }

  #cacheAdd(block: Uint8Array): void {
    const now = this.#ctx.scheduler.now;
    const slot: CacheSlot = { bytes: block.slice(), time: now, count: 0 };
    if (this.#cache.length < CACHE_SLOTS) {
      this.#cache.push(slot);
      return;
    }
    // An expired slot, else the one with the largest age / (hits + 1).
    let victim = this.#cache.findIndex((s) => now - s.time >= CACHE_LIFETIME_NS);
    if (victim < 0) {
      let worst = -1;
      this.#cache.forEach((s, i) => {
        const score = (now - s.time) / (s.count + 1);
        if (score > worst) {
          worst = score;
          victim = i;
        }
      });
    }
    this.#cache[victim] = slot;
  }

  /** mm/memory-failure.c memory_failure(pfn, flags) for a guest page. */
  #memoryFailure(pfn: bigint, flags: number, currentPid: number): void {
    const p = `0x${pfn.toString(16)}`;
    if ((flags & (1 << 3)) !== 0) {
      this.#print(`Soft offline: ${p}: invalidated`);
      return;
    }
    const actionRequired = (flags & MF_ACTION_REQUIRED) !== 0;
    if (!this.#pfnValid(pfn << 12n)) {
      // No struct page (reached only where ghes.c has no pfn check: 7.3). The page is ignored;
      // with MF_ACTION_REQUIRED the task that touched it is signalled (fixture 7.3/sea.txt).
      this.#print(`Memory failure: ${p}: recovery action for non struct page pfn: Ignored`);
      const cur = this.#processes.get(currentPid);
      if (actionRequired && cur !== undefined && this.isAlive(currentPid)) {
        this.#print(
          `${p}: Sending SIGBUS to ${cur.comm}:${cur.pid} due to hardware memory corruption`,
        );
        this.#kill(cur.pid, 'SIGBUS BUS_MCEERR_AR', cur.vaddr);
      }
      return;
    }
    if (this.#poisoned.has(pfn)) {
      this.#print(`Memory failure: ${p}: already hardware poisoned`);
      return;
    }
    this.#poisoned.add(pfn);
    this.state.offlined.push(p);
    this.#ctx.trace.emit('page-poisoned', { pfn });
    const owners: GuestProcess[] = [];
    for (const pid of this.#byPfn.get(pfn) ?? []) {
      const x = this.#processes.get(pid);
      if (x !== undefined && x.gpa >> 12n === pfn && this.#procs.get(pid)?.alive === true)
        owners.push(x);
    }
    if (owners.length === 0) {
      this.#print(`Memory failure: ${p}: recovery action for free buddy page: Recovered`);
      return;
    }
    for (const o of owners) {
      if ((actionRequired && o.pid === currentPid) || o.earlyKill) {
        this.#print(
          `Memory failure: ${p}: Sending SIGBUS to ${o.comm}:${o.pid} due to hardware memory corruption`,
        );
        const code = actionRequired && o.pid === currentPid ? 'BUS_MCEERR_AR' : 'BUS_MCEERR_AO';
        this.#kill(o.pid, `SIGBUS ${code}`, o.vaddr);
      }
    }
    this.#print(`Memory failure: ${p}: recovery action for dirty LRU page: Recovered`);
  }

  /** A user access to the process's page. */
  #touch(pid: number): void {
    const proc = this.#processes.get(pid);
    if (proc === undefined || this.#procs.get(pid)?.alive !== true) return;
    if (this.#poisoned.has(proc.gpa >> 12n)) {
      // Late kill: the hwpoison swap entry faults; arm64 sends SIGBUS BUS_MCEERR_AR.
      this.#kill(pid, 'SIGBUS BUS_MCEERR_AR', proc.vaddr);
      return;
    }
    this.#cpu.send({ kind: 'guest-access', gpa: proc.gpa, pid, el: 0 }, 0);
  }

  #kill(pid: number, code: string, addr: bigint): void {
    const proc = this.#processes.get(pid);
    const st = this.#procs.get(pid);
    if (proc === undefined || st === undefined || !st.alive) return;
    st.alive = false;
    st.fate = code;
    this.state.killed.push({ pid, comm: proc.comm, code, addr: `0x${addr.toString(16)}` });
    this.#ctx.trace.emit('signal', { pid, comm: proc.comm, signal: code, addr });
  }

  /** arm64 do_serror(): the codec's Linux SError decision (linux-guest.md §11). */
  #serror(esr: bigint): void {
    this.#ctx.trace.emit('serror', { esr });
    const d = linuxSErrorDecision(esr);
    if (d.outcome === 'continue') return;
    for (const line of d.lines) {
      if (line.startsWith('Kernel panic - not syncing: ')) continue;
      this.#print(line);
    }
    this.#panic('Asynchronous SError Interrupt');
  }

  #spawn(p: GuestProcess): void {
    if (this.#procs.get(p.pid)?.alive === true) {
      throw new SimError(
        SimErrorCode.BadMessage,
        `Cannot spawn pid ${p.pid}: a live process has that pid`,
      );
    }
    this.#addProcess(p);
    this.#procs.set(p.pid, { alive: true, fate: null });
    this.#ctx.trace.emit('spawn', { pid: p.pid, comm: p.comm, gpa: p.gpa });
  }

  isAlive(pid: number): boolean {
    return this.#procs.get(pid)?.alive === true;
  }

  snapshot(): Record<string, unknown> {
    return {
      sources: this.#sources,
      seq: this.#seq,
      rate: this.#rate,
      cache: this.#cache,
      poisoned: [...this.#poisoned],
      procs: [...this.#procs],
      processes: [...this.#processes.values()],
      state: this.state,
    };
  }

  restore(s: Record<string, unknown>): void {
    this.#sources = s.sources as GhesSourceInfo[];
    this.#seq = s.seq as number;
    this.#rate = s.rate as { corrected: RateState; uncorrected: RateState };
    this.#cache = s.cache as CacheSlot[];
    this.#poisoned = new Set(s.poisoned as bigint[]);
    this.#procs = new Map(s.procs as [number, ProcState][]);
    this.#processes = new Map();
    this.#byPfn = new Map();
    for (const p of s.processes as GuestProcess[]) this.#addProcess(p);
    this.state = s.state as GuestKernelState;
  }
}

/**
 * Delay from `nowNs` (guest uptime) to a polled source's next poll: ghes_add_timer() passes
 * `now + poll_interval` through round_jiffies_relative(), which rounds to a whole second —
 * down when the remainder is under a quarter second, up otherwise — and keeps the unrounded
 * time when rounding down would not be in the future. A 100 ms poll therefore runs at x.0,
 * x.1 and x.2 s and then waits for the next second: about three polls a second, at most
 * 0.8 s apart (linux-guest.md §14: effective period ≈ 1 s, later records consumed after
 * 0.03–0.77 s). Whole-second granularity only (no per-CPU skew: one vCPU).
 */
export function pollDelayNs(nowNs: number, intervalMs: number): number {
  const target = nowNs + Math.max(1, intervalMs) * MS;
  const rem = target % SEC;
  const rounded = rem < SEC / 4 ? target - rem : target - rem + SEC;
  return (rounded > nowNs ? rounded : target) - nowNs;
}

export function le64(b: Uint8Array): bigint {
  let v = 0n;
  for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(b[i] ?? 0);
  return v;
}

export function u64le(v: bigint): Uint8Array {
  const out = new Uint8Array(8);
  for (let i = 0; i < 8; i++) out[i] = Number((v >> BigInt(8 * i)) & 0xffn);
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

void NOTIFY_EXTERNAL;
void SEV_FATAL;
