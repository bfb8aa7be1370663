// PowerPC pseries: a machine check in a guest on KVM HV, for seed 004's compatibility table
// (Aravinda Prasad, "KVM: PPC: Exit guest upon fatal machine check exception", linuxppc-dev
// 2015-11-12). "Old kernel": KVM queues an architected 0x200 machine check into the guest with
// no error log (qemu-vmm.md §17.2 without KVM_CAP_PPC_FWNMI). "New kernel": the 2015 patch's
// KVM, which always exits with KVM_EXIT_NMI (16, flags NOT_RECOV 3; formats.md §14.6). "Old
// VMM": a QEMU that does not know that exit (`KVM: unknown exit reason 16`, the VM stops with an
// internal error). "New VMM": the vras engine's PowerPcMachineCheck, unchanged (qemu-vmm.md
// §16): it builds the RTAS log with the codec, writes it at rtas_addr + 0x30 in guest memory and
// asks for the guest's registered FWNMI vector with r3 = the log; this component only adapts it
// (Platform requests scheduled on the guest, ibm,nmi-register and ibm,nmi-interlock passed in).
// The guest's handler reads the log from its memory, decodes it with the codec and decides with
// linuxPseriesMce (linux-guest.md §13).

import { decodeRtasErrorLog, linuxPseriesMce, SRR1_MC_LOADSTORE } from '../codec/index.js';
import {
  type EngineReport,
  type GuestMemory,
  type Platform,
  type PlatformRequest,
  type PowerPcMachineCheck,
  VmmRas,
  type VmmRasSnapshot,
} from '../engine/index.js';
import type { Component, Link, SimContext } from './simulation.js';

/** KVM_EXIT_NMI and its disposition flag (include/uapi/linux/kvm.h). */
export const KVM_EXIT_NMI = 16;
export const KVM_RUN_PPC_NMI_DISP_NOT_RECOV = 3;
/** DSISR bit QEMU's mc_derror_table maps to UE load/store, EA not valid (formats.md §14.5). */
export const DSISR_MC_UE = 0x00008000;
/** `ibm,nmi-register` vector and RTAS area of a typical pseries guest (below 32 MiB). */
export const FWNMI_MCE_VECTOR = 0x7400n;
export const FWNMI_SRESET_VECTOR = 0x7300n;
/** Linux's RTAS_ERROR_LOG_MAX: the most the handler copies. */
export const RTAS_ERROR_LOG_MAX = 2048;
export const RTAS_ADDR = 0x1ff0000n;

export type PpcKernelVersion = 'old' | 'new';
export type PpcVmmVersion = 'old' | 'new';

/** The context the machine check interrupted. */
export interface PpcMachineCheckSite {
  readonly where: 'user' | 'kernel';
  readonly pid: number;
  readonly comm: string;
  readonly nip: bigint;
  readonly dar: bigint;
}

export type PpcCpuMessage = { readonly kind: 'ue-load'; readonly site: PpcMachineCheckSite };

export type PpcKvmMessage = {
  readonly kind: 'machine-check';
  readonly site: PpcMachineCheckSite;
  readonly srr1: bigint;
  readonly dsisr: number;
};

export type PpcVmmMessage =
  | {
      readonly kind: 'kvm-exit';
      readonly exitReason: number;
      readonly flags: number;
      readonly site: PpcMachineCheckSite;
      readonly srr1: bigint;
      readonly dsisr: number;
    }
  | { readonly kind: 'nmi-interlock' }
  /** The guest's RTAS ibm,nmi-register call at boot (rtas_addr is where RTAS was instantiated). */
  | {
      readonly kind: 'nmi-register';
      readonly sresetAddr: bigint;
      readonly mceAddr: bigint;
      readonly rtasAddr: bigint;
    };

export type PseriesGuestMessage =
  | { readonly kind: 'boot' }
  /** Architected 0x200 entry: r3 is whatever the interrupted code had in it. */
  | { readonly kind: 'vector-0x200'; readonly site: PpcMachineCheckSite; readonly r3: bigint }
  /** FWNMI entry: r3 points at the log the VMM wrote into guest memory. */
  | { readonly kind: 'fwnmi'; readonly site: PpcMachineCheckSite; readonly r3: bigint };

/** The POWER core: a load that consumes a UE raises a machine check to the hypervisor. */
export class PpcCpu implements Component<PpcCpuMessage> {
  readonly id: string;
  readonly #ctx: SimContext;
  readonly #kvm: Link<PpcKvmMessage>;
  constructor(ctx: SimContext, deps: { readonly kvm: string }) {
    this.id = ctx.id;
    this.#ctx = ctx;
    this.#kvm = ctx.link<PpcKvmMessage>(deps.kvm);
  }
  receive(m: PpcCpuMessage): void {
    const srr1 = SRR1_MC_LOADSTORE;
    this.#ctx.trace.emit('machine-check', { where: m.site.where, nip: m.site.nip, srr1 });
    this.#kvm.send({ kind: 'machine-check', site: m.site, srr1, dsisr: DSISR_MC_UE }, 100);
  }
  snapshot(): Record<string, unknown> {
    return {};
  }
  restore(): void {}
}

/** KVM HV's machine-check exit handling, before (old) and after (new) the 2015 patch. */
export class PpcKvm implements Component<PpcKvmMessage> {
  readonly id: string;
  readonly #ctx: SimContext;
  readonly #version: PpcKernelVersion;
  readonly #vmm: Link<PpcVmmMessage>;
  readonly #guest: Link<PseriesGuestMessage>;
  constructor(
    ctx: SimContext,
    deps: { readonly version: PpcKernelVersion; readonly vmm: string; readonly guest: string },
  ) {
    this.id = ctx.id;
    this.#ctx = ctx;
    this.#version = deps.version;
    this.#vmm = ctx.link<PpcVmmMessage>(deps.vmm);
    this.#guest = ctx.link<PseriesGuestMessage>(deps.guest);
  }
  receive(m: PpcKvmMessage): void {
    if (this.#version === 'new') {
      this.#ctx.trace.emit('exit', {
        reason: 'KVM_EXIT_NMI',
        flags: KVM_RUN_PPC_NMI_DISP_NOT_RECOV,
      });
      this.#vmm.send(
        {
          kind: 'kvm-exit',
          exitReason: KVM_EXIT_NMI,
          flags: KVM_RUN_PPC_NMI_DISP_NOT_RECOV,
          site: m.site,
          srr1: m.srr1,
          dsisr: m.dsisr,
        },
        1_000,
      );
      return;
    }
    // Queue the architected 0x200 interrupt (SRR1 bits msr & 0x083c0000) and resume: the VMM
    // never hears of it and no error log exists.
    this.#ctx.trace.emit('inject', { vector: '0x200' });
    this.#guest.send({ kind: 'vector-0x200', site: m.site, r3: 0n }, 1_000);
  }
  snapshot(): Record<string, unknown> {
    return {};
  }
  restore(): void {}
}

/** Latency of entering the guest's machine-check handler after the VMM's request, ns. */
export const FWNMI_ENTRY_NS = 2_000;

/**
 * QEMU on spapr. 'new': the vras engine's PowerPcMachineCheck handles KVM_EXIT_NMI (FWNMI
 * delivery, one log in flight until ibm,nmi-interlock). 'old': a legacy adapter, because the
 * engine cannot express a VMM that does not know the exit at all — QEMU before the 2015 patch
 * fell into kvm_arch_handle_exit's default branch ("KVM: unknown exit reason 16") and stopped
 * the VM with an internal error; it also had no ibm,nmi-register.
 */
export class PpcVmm implements Component<PpcVmmMessage>, Platform {
  readonly id: string;
  readonly #ctx: SimContext;
  readonly #version: PpcVmmVersion;
  readonly #guest: Link<PseriesGuestMessage>;
  /** The engine (new VMM only): a VmmRas with PowerPC machine checks, one snapshot. */
  readonly ras: VmmRas | null;
  /** Its PowerPC machine-check handler (`ras.powerpc`). */
  readonly engine: PowerPcMachineCheck | null;
  /** The interrupted contexts of machine checks the engine holds, oldest first (sim metadata). */
  #sites: PpcMachineCheckSite[] = [];
  terminated: string | null = null;
  readonly console: string[] = [];
  constructor(
    ctx: SimContext,
    deps: {
      readonly version: PpcVmmVersion;
      readonly guest: string;
      readonly memory: GuestMemory;
    },
  ) {
    this.id = ctx.id;
    this.#ctx = ctx;
    this.#version = deps.version;
    this.#guest = ctx.link<PseriesGuestMessage>(deps.guest);
    this.ras =
      deps.version === 'new'
        ? new VmmRas({ memory: deps.memory, platform: this, powerpc: {} })
        : null;
    this.engine = this.ras?.powerpc ?? null;
  }
  receive(m: PpcVmmMessage): void {
    const engine = this.engine;
    if (m.kind === 'nmi-register') {
      if (engine === null) {
        // Legacy: no such RTAS token; the guest runs without FWNMI.
        this.#ctx.trace.emit('rtas', { call: 'ibm,nmi-register', status: 'unknown token' });
        return;
      }
      engine.register({ sresetAddr: m.sresetAddr, mceAddr: m.mceAddr, rtasAddr: m.rtasAddr });
      this.#ctx.trace.emit('rtas', { call: 'ibm,nmi-register', mce: m.mceAddr });
      return;
    }
    if (m.kind === 'nmi-interlock') {
      this.#ctx.trace.emit('nmi-interlock', {});
      engine?.interlock(0);
      return;
    }
    if (engine === null || m.exitReason !== KVM_EXIT_NMI) {
      // Legacy: target/ppc/kvm.c kvm_arch_handle_exit default branch, then kvm_cpu_exec stops.
      this.#line(`KVM: unknown exit reason ${m.exitReason}`);
      this.terminated = `unknown KVM exit reason ${m.exitReason}`;
      this.#ctx.trace.emit('vm-stop', { state: 'internal-error' });
      return;
    }
    this.#ctx.trace.emit('machine-check-exit', { flags: m.flags });
    this.#sites.push(m.site);
    const how = engine.onMachineCheck({
      vcpu: 0,
      srr1: m.srr1,
      dsisr: m.dsisr,
      dar: m.site.dar,
      nip: m.site.nip,
      r3: 0n,
      disposition: m.flags,
    });
    if (how === 'queued' || how === 'dropped') this.#ctx.trace.emit('machine-check', { how });
    if (how === 'dropped') this.#sites.pop();
  }

  // Platform: the engine's requests, scheduled on the guest.
  request(r: PlatformRequest): void {
    if (r.kind !== 'machine-check') {
      this.#ctx.trace.emit('request-unsupported', { kind: r.kind });
      return;
    }
    const site = this.#sites.shift();
    if (site === undefined) return;
    this.#ctx.trace.emit('request', {
      kind: r.kind,
      via: r.via,
      vector: r.vector,
      ...(r.r3 === undefined ? {} : { r3: r.r3 }),
    });
    this.#guest.send(
      r.via === 'fwnmi'
        ? { kind: 'fwnmi', site, r3: r.r3 ?? 0n }
        : { kind: 'vector-0x200', site, r3: 0n },
      FWNMI_ENTRY_NS,
    );
  }
  report(r: EngineReport): void {
    this.#ctx.trace.emit('engine-report', { level: r.level, code: r.code, message: r.message });
  }

  #line(line: string): void {
    this.console.push(line);
    this.#ctx.trace.emit('console', { line });
  }
  snapshot(): Record<string, unknown> {
    return {
      ras: this.ras?.snapshot() ?? null,
      sites: this.#sites,
      terminated: this.terminated,
      console: this.console,
    };
  }
  restore(s: Record<string, unknown>): void {
    if (this.ras !== null) this.ras.restore(s.ras as VmmRasSnapshot);
    this.#sites = [...(s.sites as PpcMachineCheckSite[])];
    this.terminated = s.terminated as string | null;
    this.console.length = 0;
    this.console.push(...(s.console as string[]));
  }
}

/** A pseries Linux guest's machine-check handling (linux-guest.md §13). */
export class PseriesGuestKernel implements Component<PseriesGuestMessage> {
  readonly id: string;
  readonly #ctx: SimContext;
  readonly #vmm: Link<PpcVmmMessage>;
  readonly #memory: GuestMemory;
  panicked: string | null = null;
  readonly killed: { pid: number; comm: string; code: string }[] = [];
  readonly console: string[] = [];
  constructor(ctx: SimContext, deps: { readonly vmm: string; readonly memory: GuestMemory }) {
    this.id = ctx.id;
    this.#ctx = ctx;
    this.#vmm = ctx.link<PpcVmmMessage>(deps.vmm);
    this.#memory = deps.memory;
  }
  receive(m: PseriesGuestMessage): void {
    if (this.panicked !== null) return;
    if (m.kind === 'boot') {
      // fwnmi_init(): rtas_call(ibm,nmi-register, system_reset_addr, machine_check_addr).
      this.#vmm.send(
        {
          kind: 'nmi-register',
          sresetAddr: FWNMI_SRESET_VECTOR,
          mceAddr: FWNMI_MCE_VECTOR,
          rtasAddr: RTAS_ADDR,
        },
        1_000,
      );
      return;
    }
    const site = m.site;
    if (m.kind === 'vector-0x200') {
      // pseries_machine_check_realmode: r3 does not point at a log (no FWNMI delivery).
      this.#line(`FWNMI: corrupt r3 0x${m.r3.toString(16).padStart(16, '0')}`);
      // With no error information the event cannot be classified: not recovered, and the
      // handler dies in the machine-check context whatever was running (seed 004, [1]).
      this.#line('Oops: Machine check, sig: 7 [#1]');
      this.#panic('Fatal exception');
      return;
    }
    // fwnmi_get_errinfo(): r3 points at the saved r3 (8 bytes), then the RTAS error log whose
    // bytes 4–7 hold the extended log length (big-endian).
    const head = this.#memory.read(m.r3, 16);
    const ext = ((head[12]! << 24) | (head[13]! << 16) | (head[14]! << 8) | head[15]!) >>> 0;
    const bytes = this.#memory.read(m.r3, 16 + Math.min(ext, RTAS_ERROR_LOG_MAX - 8));
    this.#ctx.trace.emit('rtas-log', { r3: m.r3, log: bytes });
    const log = decodeRtasErrorLog(bytes);
    const kernel = site.where === 'kernel';
    const d = linuxPseriesMce(log, {
      cpu: 0,
      nip: site.nip,
      userMode: !kernel,
      pid: site.pid,
      comm: site.comm,
      // A UE under the idle task (pid 0): die_will_crash() is true.
      dieWillCrash: kernel && site.pid === 0,
    });
    for (const line of d.lines) this.#line(line);
    this.#vmm.send({ kind: 'nmi-interlock' }, 1_000);
    const o = d.outcome;
    if (o.kind === 'sigbus') {
      this.killed.push({ pid: site.pid, comm: site.comm, code: 'SIGBUS BUS_MCEERR_AR' });
      this.#ctx.trace.emit('signal', {
        pid: site.pid,
        signal: 'SIGBUS BUS_MCEERR_AR',
        addr: o.siAddr,
      });
    } else if (o.kind === 'die' || o.kind === 'panic') {
      this.#line(`Oops: ${o.text}, sig: 7 [#1]`);
      if (o.kind === 'panic') this.#panic('Fatal exception');
      else this.killed.push({ pid: site.pid, comm: site.comm, code: 'die' });
    }
  }
  #line(line: string): void {
    this.console.push(line);
    this.#ctx.trace.emit('console', { line });
  }
  #panic(text: string): void {
    this.#line(`Kernel panic - not syncing: ${text}`);
    this.panicked = text;
    this.#ctx.trace.emit('panic', { text });
  }
  snapshot(): Record<string, unknown> {
    return { panicked: this.panicked, killed: this.killed, console: this.console };
  }
  restore(s: Record<string, unknown>): void {
    this.panicked = s.panicked as string | null;
    this.killed.length = 0;
    this.killed.push(...(s.killed as PseriesGuestKernel['killed']));
    this.console.length = 0;
    this.console.push(...(s.console as string[]));
  }
}
