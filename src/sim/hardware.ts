// Hardware: DRAM with corrected and uncorrected ECC errors and poison, and a CPU whose loads of
// poisoned lines take a synchronous external abort (ESR from the codec's seaSyndrome) and whose
// uncontained errors raise an SError; both keep an ARM RAS error record (ERR<n>STATUS/ADDR) that
// kernel-first handling reads. With SCR_EL3.EA = 1 the exception goes to EL3 firmware first.

import { seaSyndrome, serrorEsr, serrorIss } from '../codec/index.js';
import type { Component, Link, SimContext } from './simulation.js';

export type DramMessage = {
  readonly kind: 'inject';
  readonly hpa: bigint;
  readonly type: 'ce' | 'ue';
  /** A patrol scrubber finds the UE before anyone consumes it (asynchronous, AO path). */
  readonly scrub?: boolean;
};

/** What the firmware (or, kernel-first, the host kernel) hears from the hardware. */
export type RasNotification =
  | { readonly kind: 'hw-sea'; readonly esr: bigint; readonly hpa: bigint; readonly pid: number }
  | { readonly kind: 'hw-serror'; readonly esr: bigint; readonly hpa: bigint | null }
  | { readonly kind: 'hw-ce'; readonly hpa: bigint }
  | { readonly kind: 'hw-ue-scrubbed'; readonly hpa: bigint };

/** One ARM RAS error record (ERR<n>STATUS.V/UE/CE and ERR<n>ADDR), as kernel-first reads it. */
export interface RasErrorRecord {
  valid: boolean;
  uncorrected: boolean;
  address: bigint | null;
}

export class Dram implements Component<DramMessage> {
  readonly id: string;
  readonly #ctx: SimContext;
  readonly #firmware: Link<RasNotification>;
  #poison = new Set<bigint>();
  corrected = 0;

  constructor(ctx: SimContext, deps: { readonly firmware: string }) {
    this.id = ctx.id;
    this.#ctx = ctx;
    this.#firmware = ctx.link<RasNotification>(deps.firmware);
  }

  /** Whether the 64-byte line holding `hpa` is poisoned (tracked per 4 KiB page here). */
  isPoisoned(hpa: bigint): boolean {
    return this.#poison.has(hpa >> 12n);
  }

  receive(m: DramMessage): void {
    if (m.type === 'ce') {
      this.corrected++;
      this.#ctx.trace.emit('ecc-corrected', { hpa: m.hpa });
      this.#firmware.send({ kind: 'hw-ce', hpa: m.hpa }, 1_000);
      return;
    }
    this.#poison.add(m.hpa >> 12n);
    this.#ctx.trace.emit('ecc-uncorrected', { hpa: m.hpa, scrub: m.scrub === true });
    if (m.scrub === true) this.#firmware.send({ kind: 'hw-ue-scrubbed', hpa: m.hpa }, 1_000);
  }

  snapshot(): Record<string, unknown> {
    return { poison: [...this.#poison], corrected: this.corrected };
  }
  restore(s: Record<string, unknown>): void {
    this.#poison = new Set(s.poison as bigint[]);
    this.corrected = s.corrected as number;
  }
}

export type CpuMessage =
  | {
      readonly kind: 'guest-access';
      readonly gpa: bigint;
      readonly pid: number;
      readonly el: number;
    }
  | {
      readonly kind: 'raise-serror';
      readonly aet: number;
      readonly hpa: bigint | null;
      /** An IMPLEMENTATION DEFINED (non-RAS) syndrome: ISS.IDS = 1 (default false). */
      readonly ids?: boolean;
    };

export interface CpuDeps {
  readonly dram: Dram;
  /** Stage-2 translation of the running VM: guest physical → host physical. */
  readonly stage2: (gpa: bigint) => bigint | undefined;
  /** Where external aborts go: EL3 firmware (firmware-first) or KVM at EL2 (kernel-first). */
  readonly exceptionTarget: string;
  /**
   * Guest kernel that takes an SEA for an access to unassigned physical space (QEMU virt under
   * TCG: the access is not backed by RAM or a device), or undefined: such accesses read as 0.
   */
  readonly unassignedSeaTarget?: string;
}

/** The SEA a guest load of a poisoned line takes: DABT from a lower EL, DFSC 0x10. */
const SEA_FROM_GUEST_ESR = seaSyndrome({ sameEl: 0, fnv: 0, fsc: 0x10 });

/** ESR_EL1 of a TCG SEA on an unassigned access from EL0 (RECIPE.md, measured). */
export const TCG_UNASSIGNED_SEA_ESR = 0x92000010n;

export class Cpu implements Component<CpuMessage> {
  readonly id: string;
  readonly #ctx: SimContext;
  readonly #deps: CpuDeps;
  readonly #target: Link<RasNotification>;
  rasRecord: RasErrorRecord = { valid: false, uncorrected: false, address: null };

  constructor(ctx: SimContext, deps: CpuDeps) {
    this.id = ctx.id;
    this.#ctx = ctx;
    this.#deps = deps;
    this.#target = ctx.link<RasNotification>(deps.exceptionTarget);
  }

  receive(m: CpuMessage): void {
    if (m.kind === 'guest-access') {
      const hpa = this.#deps.stage2(m.gpa);
      const unassigned = this.#deps.unassignedSeaTarget;
      if (hpa === undefined && unassigned !== undefined) {
        this.#ctx.trace.emit('sea', { gpa: m.gpa, esr: TCG_UNASSIGNED_SEA_ESR, pid: m.pid });
        this.#ctx
          .link<{ kind: 'sea'; esr: bigint; fromEl: number; pid: number }>(unassigned)
          .send({ kind: 'sea', esr: TCG_UNASSIGNED_SEA_ESR, fromEl: m.el, pid: m.pid }, 100);
        return;
      }
      if (hpa === undefined || !this.#deps.dram.isPoisoned(hpa)) {
        this.#ctx.trace.emit('access', { gpa: m.gpa, pid: m.pid, ok: true });
        return;
      }
      this.rasRecord = { valid: true, uncorrected: true, address: hpa };
      // Taken to EL2 (or EL3) from the guest: DABT from a lower EL, FAR valid, DFSC 0x10.
      const esr = SEA_FROM_GUEST_ESR;
      this.#ctx.trace.emit('sea', { gpa: m.gpa, hpa, esr, pid: m.pid });
      this.#target.send({ kind: 'hw-sea', esr, hpa, pid: m.pid }, 100);
      return;
    }
    this.rasRecord = { valid: m.hpa !== null, uncorrected: true, address: m.hpa };
    const esr =
      m.ids === true
        ? serrorEsr(serrorIss({ ids: 1 }))
        : serrorEsr(serrorIss({ ids: 0, dfsc: 0x11, aet: m.aet }));
    this.#ctx.trace.emit('serror', { esr, hpa: m.hpa ?? undefined });
    this.#target.send({ kind: 'hw-serror', esr, hpa: m.hpa }, 100);
  }

  snapshot(): Record<string, unknown> {
    return { rasRecord: this.rasRecord };
  }
  restore(s: Record<string, unknown>): void {
    this.rasRecord = s.rasRecord as RasErrorRecord;
  }
}
