// The host's Linux kernel: APEI/GHES reading the firmware's records with Linux's acceptance rules
// (through the codec), memory_failure() on the host page and the SIGBUS it sends to the process
// owning it (the VMM: AR to the vCPU thread that touched it, AO to the VMM because QEMU sets
// PR_MCE_KILL_EARLY), kernel-first handling from the RAS error record, and the host panic for a
// RAS error that nobody can describe (seed 000: "no CPER records or values in the ERR nodes").

import type { HostErrorSources, HostNotification } from './firmware.js';
import type { Cpu } from './hardware.js';
import type { RecordPort } from './ports.js';
import type { Component, Link, SimContext } from './simulation.js';

export type HostKernelMessage =
  | HostNotification
  | { readonly kind: 'apei-claim'; readonly source: 'sea' | 'sei'; readonly pid: number };

/** What the host kernel tells KVM and the VMM. */
export type HostToKvm =
  | { readonly kind: 'apei-result'; readonly claimed: boolean; readonly source: 'sea' | 'sei' }
  | { readonly kind: 'signal-vcpu'; readonly code: 'BUS_MCEERR_AR'; readonly hva: bigint };
export type HostToVmm = {
  readonly kind: 'sigbus';
  readonly code: 'BUS_MCEERR_AO';
  readonly hva: bigint;
};

export interface HostKernelDeps {
  readonly mode: 'firmware-first' | 'kernel-first';
  readonly records: RecordPort;
  readonly sources: HostErrorSources;
  readonly cpu: Cpu;
  readonly firmware: string;
  readonly kvm: string;
  readonly vmm: string;
  /** Host physical → VMM virtual address for guest RAM (the VMM's memslots), else undefined. */
  readonly hpaToHva: (hpa: bigint) => bigint | undefined;
}

export class HostKernel implements Component<HostKernelMessage> {
  readonly id: string;
  readonly #ctx: SimContext;
  readonly #deps: HostKernelDeps;
  readonly #kvm: Link<HostToKvm>;
  readonly #vmm: Link<HostToVmm>;
  #poisoned = new Set<bigint>();
  #seq = 0;
  panicked: string | null = null;
  readonly console: string[] = [];

  constructor(ctx: SimContext, deps: HostKernelDeps) {
    this.id = ctx.id;
    this.#ctx = ctx;
    this.#deps = deps;
    this.#kvm = ctx.link<HostToKvm>(deps.kvm);
    this.#vmm = ctx.link<HostToVmm>(deps.vmm);
  }

  receive(m: HostKernelMessage): void {
    if (this.panicked !== null) return;
    switch (m.kind) {
      case 'ghes-irq': {
        const pa = this.#readSource('irq');
        if (pa !== undefined) this.#memoryFailure(pa, false);
        return;
      }
      case 'apei-claim': {
        const pa = this.#readSource(m.source);
        let claimed = pa !== undefined;
        if (pa !== undefined) this.#memoryFailure(pa, true);
        else if (this.#deps.mode === 'kernel-first') {
          const rec = this.#deps.cpu.rasRecord;
          if (rec.valid && rec.address !== null) {
            this.#ctx.trace.emit('ras-record-read', { address: rec.address });
            this.#memoryFailure(rec.address, true);
            claimed = true;
          }
        }
        if (!claimed) {
          // Neither a CPER record nor an error record: the CPU or firmware is broken.
          this.#panic('spurious RAS error: no CPER record and no error record');
          return;
        }
        this.#kvm.send({ kind: 'apei-result', claimed, source: m.source }, 1_000);
        return;
      }
      default:
        return;
    }
  }

  /** ghes_proc on a host source: read, check, print, ack; returns the recoverable PA. */
  #readSource(name: 'sea' | 'sei' | 'irq'): bigint | undefined {
    const src = this.#deps.sources.sources[name];
    const block = src.block;
    if (block === null) return undefined;
    const len = this.#deps.records.headerLength(block.subarray(0, 20), 0x1000);
    src.block = null;
    src.acked = true;
    this.#ctx.link<{ kind: 'host-acked' }>(this.#deps.firmware).send({ kind: 'host-acked' }, 0);
    if (typeof len !== 'number') return undefined;
    const read = this.#deps.records.readBlock(block.subarray(0, len));
    if (read.kind !== 'accepted') return undefined;
    for (const line of this.#deps.records.linuxLines(block.subarray(0, len), ++this.#seq)) {
      this.console.push(line);
      this.#ctx.trace.emit('console', { line });
    }
    if (read.record.severity === 1) {
      this.#panic('GHES: Fatal hardware error');
      return undefined;
    }
    const sec = read.record.sections.find((s) => s.kind === 'memory');
    if (read.record.severity !== 0 || sec?.physicalAddress === undefined) return undefined;
    return sec.physicalAddress;
  }

  /** memory_failure(pfn, flags) on a host page that backs guest RAM. */
  #memoryFailure(hpa: bigint, actionRequired: boolean): void {
    const pfn = hpa >> 12n;
    const p = `0x${pfn.toString(16)}`;
    const hva = this.#deps.hpaToHva(hpa & ~0xfffn);
    if (this.#poisoned.has(pfn)) {
      this.#line(`Memory failure: ${p}: already hardware poisoned`);
    } else {
      this.#poisoned.add(pfn);
      if (hva !== undefined) {
        this.#line(
          `Memory failure: ${p}: Sending SIGBUS to qemu-system-aar:1000 due to hardware memory corruption`,
        );
      }
      this.#line(`Memory failure: ${p}: recovery action for dirty LRU page: Recovered`);
    }
    if (hva === undefined) return;
    if (actionRequired) this.#kvm.send({ kind: 'signal-vcpu', code: 'BUS_MCEERR_AR', hva }, 500);
    else this.#vmm.send({ kind: 'sigbus', code: 'BUS_MCEERR_AO', hva }, 10_000);
  }

  #line(line: string): void {
    this.console.push(line);
    this.#ctx.trace.emit('console', { line });
  }

  #panic(reason: string): void {
    this.panicked = reason;
    this.#ctx.trace.emit('host-panic', { reason });
    this.#ctx.halt(`host panic: ${reason}`);
  }

  snapshot(): Record<string, unknown> {
    return {
      poisoned: [...this.#poisoned],
      seq: this.#seq,
      panicked: this.panicked,
      console: this.console,
    };
  }
  restore(s: Record<string, unknown>): void {
    this.#poisoned = new Set(s.poisoned as bigint[]);
    this.#seq = s.seq as number;
    this.panicked = s.panicked as string | null;
    this.console.length = 0;
    this.console.push(...(s.console as string[]));
  }
}
