// EL3 firmware (trusted firmware with SCR_EL3.EA = 1): firmware-first triage that reads the RAS
// error record, writes the host's CPER through the codec into a host GHES status block and
// notifies the host — SEA and SError by faking the exception to EL2, corrected and scrubbed
// errors by interrupt. Kernel-first: it only forwards the exception. A firmware that finds no
// error to describe still notifies (seed 000's "spurious RAS error").

import type { Cpu, RasNotification } from './hardware.js';
import type { RecordPort } from './ports.js';
import type { Component, Link, SimContext } from './simulation.js';

/** A host GHES source in firmware-reserved host memory: one block, one ack flag. */
export interface HostErrorSource {
  readonly name: 'sea' | 'sei' | 'irq';
  block: Uint8Array | null;
  acked: boolean;
}

/** The host's view of firmware memory (what its HEST points at). */
export class HostErrorSources {
  readonly sources: Record<'sea' | 'sei' | 'irq', HostErrorSource> = {
    sea: { name: 'sea', block: null, acked: true },
    sei: { name: 'sei', block: null, acked: true },
    irq: { name: 'irq', block: null, acked: true },
  };
}

export type HostNotification =
  | { readonly kind: 'guest-sea'; readonly esr: bigint; readonly pid: number }
  | { readonly kind: 'guest-serror'; readonly esr: bigint }
  | { readonly kind: 'ghes-irq' };

export interface FirmwareDeps {
  readonly mode: 'firmware-first' | 'kernel-first';
  readonly cpu: Cpu;
  readonly records: RecordPort;
  readonly sources: HostErrorSources;
  /** KVM (for exceptions taken from the guest) and the host kernel (for interrupts). */
  readonly kvm: string;
  readonly hostKernel: string;
  /** The firmware writes no record for what it was told (a spurious RAS error). */
  readonly noRecord?: boolean;
}

interface Pending {
  readonly source: 'sea' | 'sei' | 'irq';
  readonly block: Uint8Array;
}

export class El3Firmware implements Component<RasNotification | { kind: 'host-acked' }> {
  readonly id: string;
  readonly #ctx: SimContext;
  readonly #deps: FirmwareDeps;
  readonly #kvm: Link<HostNotification>;
  readonly #host: Link<HostNotification>;
  #backlog: Pending[] = [];
  written = 0;

  constructor(ctx: SimContext, deps: FirmwareDeps) {
    this.id = ctx.id;
    this.#ctx = ctx;
    this.#deps = deps;
    this.#kvm = ctx.link<HostNotification>(deps.kvm);
    this.#host = ctx.link<HostNotification>(deps.hostKernel);
  }

  receive(m: RasNotification | { kind: 'host-acked' }): void {
    const ff = this.#deps.mode === 'firmware-first';
    switch (m.kind) {
      case 'hw-sea':
        if (ff) this.#record('sea', 0, m.hpa, true);
        this.#kvm.send({ kind: 'guest-sea', esr: m.esr, pid: m.pid }, 2_000);
        return;
      case 'hw-serror':
        if (ff && m.hpa !== null) this.#record('sei', 0, m.hpa, true);
        this.#kvm.send({ kind: 'guest-serror', esr: m.esr }, 2_000);
        return;
      case 'hw-ce':
        if (ff) {
          this.#record('irq', 2, m.hpa, false);
          this.#host.send({ kind: 'ghes-irq' }, 5_000);
        }
        return;
      case 'hw-ue-scrubbed':
        if (ff) {
          this.#record('irq', 0, m.hpa, false);
          this.#host.send({ kind: 'ghes-irq' }, 5_000);
        }
        return;
      case 'host-acked':
        this.#drain();
        return;
    }
  }

  /**
   * Triage: the CPER for what the error record says, written when the source is free. For an
   * exception the CPU's RAS error record is read and then cleared (ERR<n>STATUS is
   * write-one-to-clear), so a later error never sees a stale address; an interrupt from the
   * memory controller (corrected, scrubbed) carries its own address.
   */
  #record(source: 'sea' | 'sei' | 'irq', severity: number, hpa: bigint, cpuRecord: boolean): void {
    if (this.#deps.noRecord === true) {
      this.#ctx.trace.emit('triage-no-record', { source });
      return;
    }
    let pa = hpa;
    if (cpuRecord) {
      const rec = this.#deps.cpu.rasRecord;
      if (rec.valid && rec.address !== null) pa = rec.address;
      this.#deps.cpu.rasRecord = { valid: false, uncorrected: false, address: null };
    }
    const block = this.#deps.records.encodeMemoryRecord({
      severity,
      physicalAddress: pa,
      errorType: severity === 2 ? 2 : 3,
    });
    this.#backlog.push({ source, block });
    this.#drain();
  }

  #drain(): void {
    while (this.#backlog.length > 0) {
      const next = this.#backlog[0]!;
      const src = this.#deps.sources.sources[next.source];
      if (!src.acked) {
        this.#ctx.trace.emit('host-record-waiting', { source: next.source });
        return;
      }
      this.#backlog.shift();
      src.block = next.block;
      src.acked = false;
      this.written++;
      this.#ctx.trace.emit('host-record-written', {
        source: next.source,
        bytes: next.block.length,
      });
    }
  }

  snapshot(): Record<string, unknown> {
    return {
      backlog: this.#backlog,
      written: this.written,
      sources: this.#deps.sources.sources,
    };
  }
  restore(s: Record<string, unknown>): void {
    this.#backlog = s.backlog as Pending[];
    this.written = s.written as number;
    Object.assign(this.#deps.sources.sources, structuredClone(s.sources));
  }
}
