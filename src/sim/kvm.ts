// KVM on arm64 (qemu-vmm.md §17.1, seed 000/002): the vCPU run loop and its exits. A guest SEA
// or SError reaching EL2 is handed to the host's APEI code (KVM is "just plumbing"); a signal
// pending on the vCPU thread forces KVM_RUN to return so the VMM's SIGBUS handler runs; SError
// classification: CE/UEO contained, UC panics the host, otherwise APEI then a virtual SError.
// KVM_SET_VCPU_EVENTS injects a virtual SError, with the VMM's ESR only with
// KVM_CAP_ARM_INJECT_SERROR_ESR. KVM never forwards a raw RAS notification to the VMM.

import { Aet, decodeEsr } from '../codec/index.js';
import type { HostNotification } from './firmware.js';
import type { GuestKernelMessage } from './guest-kernel.js';
import type { HostKernelMessage, HostToKvm } from './host-kernel.js';
import type { Component, Link, SimContext } from './simulation.js';

/** KVM's default virtual SError syndrome: kvm_inject_serror_esr(vcpu, ESR_ELx_ISV). */
export const KVM_DEFAULT_VSERROR_ESR = 0xbf000000n;
/** QEMU's kvm_inject_arm_sea() syndrome for a guest at EL0 (qemu-vmm.md §11). */
export const QEMU_SEA_ESR_EL0 = 0x92000410n;

export type VmmRequest =
  /** QEMU's kvm_inject_arm_sea(): the VMM chose the ESR (the engine's SEA syndrome). */
  | { readonly kind: 'inject-sea'; readonly esr: bigint }
  | {
      readonly kind: 'set-vcpu-events';
      readonly serrorPending: boolean;
      readonly serrorHasEsr: boolean;
      /** ISS only (bits 24:0). */
      readonly serrorEsr: bigint;
    }
  | { readonly kind: 'irq-line'; readonly gsiv: number }
  | { readonly kind: 'vcpu-run' }
  /** System reset (KVM_ARM_VCPU_INIT again): nothing stays pending on the vCPU. */
  | { readonly kind: 'vcpu-reset' };

export type KvmMessage = HostNotification | HostToKvm | VmmRequest;

export type KvmToVmm =
  | {
      readonly kind: 'sigbus';
      readonly code: 'BUS_MCEERR_AR' | 'BUS_MCEERR_AO';
      readonly hva: bigint;
    }
  /** The vCPU took the virtual SError the VMM made pending (KVM_GET_VCPU_EVENTS shows it gone). */
  | { readonly kind: 'serror-taken'; readonly vcpu: number };

export interface KvmDeps {
  readonly hostKernel: string;
  readonly guestKernel: string;
  readonly vmm: string;
  /** KVM_CAP_ARM_INJECT_SERROR_ESR (the host has FEAT_RAS). */
  readonly injectSerrorEsr: boolean;
  /** The guest task running on the vCPU (its pid), for SEA delivery. */
  readonly currentPid: () => number;
}

export class Kvm implements Component<KvmMessage> {
  readonly id: string;
  readonly #ctx: SimContext;
  readonly #deps: KvmDeps;
  readonly #host: Link<HostKernelMessage>;
  readonly #guest: Link<GuestKernelMessage>;
  readonly #vmm: Link<KvmToVmm>;
  #pendingSignal: { code: 'BUS_MCEERR_AR'; hva: bigint } | null = null;
  #pendingSerror: bigint | null = null;
  /** The pending SError came from the VMM (it is told when the vCPU takes it). */
  #vmmSerror = false;
  /** The guest task whose access last exited with an SEA (null: deps.currentPid()). */
  #seaPid: number | null = null;
  exits = 0;

  constructor(ctx: SimContext, deps: KvmDeps) {
    this.id = ctx.id;
    this.#ctx = ctx;
    this.#deps = deps;
    this.#host = ctx.link<HostKernelMessage>(deps.hostKernel);
    this.#guest = ctx.link<GuestKernelMessage>(deps.guestKernel);
    this.#vmm = ctx.link<KvmToVmm>(deps.vmm);
  }

  receive(m: KvmMessage): void {
    switch (m.kind) {
      case 'guest-sea':
        this.exits++;
        this.#seaPid = m.pid;
        this.#ctx.trace.emit('exit', { reason: 'ARM_EXCEPTION_TRAP', esr: m.esr });
        this.#host.send({ kind: 'apei-claim', source: 'sea', pid: m.pid }, 1_000);
        return;
      case 'guest-serror':
        this.#serror(m.esr);
        return;
      case 'ghes-irq':
        return;
      case 'apei-result':
        // Claimed: re-enter the guest; a pending signal makes KVM_RUN return first.
        if (m.claimed) this.#enter(1_000);
        else this.#injectVserror(KVM_DEFAULT_VSERROR_ESR);
        return;
      case 'signal-vcpu':
        this.#pendingSignal = { code: m.code, hva: m.hva };
        this.#ctx.trace.emit('signal-pending', { code: m.code, hva: m.hva });
        return;
      case 'inject-sea':
        // QEMU emulates the exception entry in userspace; KVM only gets the registers.
        this.#ctx.trace.emit('sea-injected', { esr: m.esr });
        this.#guest.send(
          { kind: 'sea', esr: m.esr, fromEl: 0, pid: this.#seaPid ?? this.#deps.currentPid() },
          2_000,
        );
        return;
      case 'set-vcpu-events': {
        if (m.serrorHasEsr && !this.#deps.injectSerrorEsr) {
          this.#ctx.trace.emit('ioctl-failed', { ioctl: 'KVM_SET_VCPU_EVENTS', errno: 'EINVAL' });
          return;
        }
        if ((m.serrorEsr & ~0x1ffffffn) !== 0n) {
          this.#ctx.trace.emit('ioctl-failed', { ioctl: 'KVM_SET_VCPU_EVENTS', errno: 'EINVAL' });
          return;
        }
        if (m.serrorPending) {
          const esr = m.serrorHasEsr ? 0xbe000000n | m.serrorEsr : KVM_DEFAULT_VSERROR_ESR;
          this.#vmmSerror = true;
          this.#injectVserror(esr);
        }
        return;
      }
      case 'irq-line':
        // GED (GSIV 41) → _EVT → Notify(GEDD, 0x80) → HED notifier chain in the guest.
        this.#ctx.trace.emit('irq', { gsiv: m.gsiv });
        this.#guest.send({ kind: 'hed-notify' }, 50_000);
        return;
      case 'vcpu-run':
        this.#enter(0);
        return;
      case 'vcpu-reset':
        this.#pendingSignal = null;
        this.#pendingSerror = null;
        this.#vmmSerror = false;
        this.#seaPid = null;
        this.#ctx.trace.emit('vcpu-reset');
        return;
    }
  }

  #enter(latency: number): void {
    if (this.#pendingSignal !== null) {
      const s = this.#pendingSignal;
      this.#pendingSignal = null;
      this.#ctx.trace.emit('run-interrupted', { reason: 'signal pending', code: s.code });
      this.#vmm.send({ kind: 'sigbus', code: s.code, hva: s.hva }, latency + 1_000);
      return;
    }
    if (this.#pendingSerror !== null) {
      const esr = this.#pendingSerror;
      this.#pendingSerror = null;
      this.#guest.send({ kind: 'serror', esr }, latency + 1_000);
      if (this.#vmmSerror) {
        this.#vmmSerror = false;
        this.#vmm.send({ kind: 'serror-taken', vcpu: 0 }, latency + 1_000);
      }
    }
  }

  /** kvm_handle_guest_serror(): classify, then APEI or a virtual SError. */
  #serror(esr: bigint): void {
    this.exits++;
    const e = decodeEsr(esr);
    const view = e.view;
    const ras = view?.kind === 'serror' && view.ids === 0 && view.dfsc === 0x11;
    const aet = ras && view.kind === 'serror' ? view.aet : Aet.UC;
    this.#ctx.trace.emit('exit', { reason: 'ARM_EXCEPTION_EL1_SERROR', esr, aet });
    if (view?.kind === 'serror' && view.ids === 1) {
      // kvm_handle_guest_serror(): not a RAS SError (IMPLEMENTATION DEFINED syndrome) → nothing
      // for APEI to describe; kvm_inject_vabt() gives the guest a virtual SError.
      this.#injectVserror(KVM_DEFAULT_VSERROR_ESR);
      return;
    }
    if (ras && (aet === Aet.CE || aet === Aet.UEO)) {
      this.#ctx.trace.emit('serror-contained', { aet });
      return;
    }
    if (ras && aet === Aet.UC) {
      this.#ctx.trace.emit('host-panic', { reason: 'SError UC: uncontainable' });
      this.#ctx.halt('host panic: uncontainable SError');
      return;
    }
    // Could not contain: APEI describes it (SIGBUS to the VMM), else KVM's own virtual SError.
    this.#host.send({ kind: 'apei-claim', source: 'sei', pid: this.#deps.currentPid() }, 1_000);
  }

  #injectVserror(esr: bigint): void {
    this.#ctx.trace.emit('vserror-pending', { esr });
    this.#pendingSerror = esr;
    this.#enter(1_000);
  }

  snapshot(): Record<string, unknown> {
    return {
      pendingSignal: this.#pendingSignal,
      pendingSerror: this.#pendingSerror,
      vmmSerror: this.#vmmSerror,
      seaPid: this.#seaPid,
      exits: this.exits,
    };
  }
  restore(s: Record<string, unknown>): void {
    this.#pendingSignal = s.pendingSignal as { code: 'BUS_MCEERR_AR'; hva: bigint } | null;
    this.#pendingSerror = s.pendingSerror as bigint | null;
    this.#vmmSerror = s.vmmSerror as boolean;
    this.#seaPid = s.seaPid as number | null;
    this.exits = s.exits as number;
  }
}
