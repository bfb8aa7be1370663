// The VMM (QEMU's RAS role, qemu-vmm.md §8–§12): SIGBUS handling for guest RAM (AR → CPER in
// the SEA source's block + an injected SEA; AO → CPER in the GPIO source + the GED interrupt
// when the machine has one, else only the hwpoison list), the record protocol on guest memory
// (ack register 0 = busy), and a virtual SError with the VMM's own ESR through
// KVM_SET_VCPU_EVENTS when the chosen notification is an SError (seed 002). Unlike QEMU, which
// aborts when the guest has not acked, busy records wait in a backlog: none is ever lost.

import type { GuestMemory } from '../engine/index.js';
import { hostToGuest } from '../engine/index.js';
import { le64, u64le } from './guest-kernel.js';
import type { KvmToVmm, VmmRequest } from './kvm.js';
import type { MemoryErrorReport, RecordPort } from './ports.js';
import type { Component, Link, SimContext } from './simulation.js';

/** How often the VMM looks at a busy source's ack register again (ns). */
export const RETRY_NS = 10_000_000;

export interface VmmSource {
  readonly sourceId: number;
  readonly notifyType: number;
  readonly slotGpa: bigint;
  readonly ackGpa: bigint;
}

export type VmmMessage =
  | KvmToVmm
  | { readonly kind: 'sources'; readonly sources: readonly VmmSource[] }
  | { readonly kind: 'retry' }
  | { readonly kind: 'migrate' }
  /**
   * A record written from outside the guest without a host error (the real-guest harness, or a
   * QMP injection): queued on `sourceId` like any other; `notify` also raises the source's
   * notification (polled sources have none).
   */
  | {
      readonly kind: 'post-record';
      readonly sourceId: number;
      readonly report: MemoryErrorReport;
      readonly notify: boolean;
    };

export interface VmmDeps {
  readonly memory: GuestMemory;
  readonly records: RecordPort;
  readonly kvm: string;
  /** How an AR error is handed to the guest: 'sea' (QEMU) or 'serror' (seed 002). */
  readonly arNotification: 'sea' | 'serror';
  /** SError ISS the VMM chooses: DFSC 0x11, AET UER (0xC11), as in the seed's log. */
  readonly serrorIss?: bigint;
}

interface Queued {
  readonly sourceId: number;
  readonly block: Uint8Array;
  readonly then: VmmRequest | null;
}

export class Vmm implements Component<VmmMessage> {
  readonly id: string;
  readonly #ctx: SimContext;
  readonly #deps: VmmDeps;
  readonly #kvm: Link<VmmRequest>;
  #sources: VmmSource[] = [];
  #backlog: Queued[] = [];
  #hwpoison: bigint[] = [];
  /** A retry is scheduled (one at a time), and the head record's busy state was traced. */
  #retryPending = false;
  #busyTraced = false;
  recordsWritten = 0;
  recordsLost = 0;

  constructor(ctx: SimContext, deps: VmmDeps) {
    this.id = ctx.id;
    this.#ctx = ctx;
    this.#deps = deps;
    this.#kvm = ctx.link<VmmRequest>(deps.kvm);
  }

  get backlog(): number {
    return this.#backlog.length;
  }

  receive(m: VmmMessage): void {
    switch (m.kind) {
      case 'sources':
        this.#sources = [...m.sources];
        return;
      case 'sigbus':
        this.#sigbus(m.code, m.hva);
        return;
      case 'retry':
        this.#retryPending = false;
        this.#drain();
        return;
      case 'post-record': {
        const src = this.#sources.find((x) => x.sourceId === m.sourceId);
        let then: VmmRequest | null = null;
        if (m.notify && src?.notifyType === 8) then = { kind: 'inject-sea' };
        else if (m.notify && src?.notifyType === 7) then = { kind: 'irq-line', gsiv: 41 };
        this.#enqueue(m.sourceId, m.report, then);
        return;
      }
      case 'migrate':
        // migration/migration.c refuses while the hwpoison list is non-empty (06152b89db).
        this.#ctx.trace.emit('migration', {
          allowed: this.#hwpoison.length === 0,
          backlog: this.#backlog.length,
        });
        return;
    }
  }

  #sigbus(code: 'BUS_MCEERR_AR' | 'BUS_MCEERR_AO', hva: bigint): void {
    const gpa = hostToGuest(this.#deps.memory.regions, hva);
    this.#ctx.trace.emit('sigbus', { code, hva, gpa });
    if (gpa === undefined) {
      this.#ctx.trace.emit('vmm-exit', { reason: 'Hardware memory error!' });
      this.#ctx.halt('VMM exit: memory error outside guest RAM');
      return;
    }
    const page = gpa & ~0xfffn;
    if (!this.#hwpoison.includes(page)) this.#hwpoison.push(page);
    const report: MemoryErrorReport = { severity: 0, physicalAddress: gpa, errorType: 3 };
    if (code === 'BUS_MCEERR_AR') {
      if (this.#deps.arNotification === 'serror') {
        const iss = this.#deps.serrorIss ?? 0xc11n;
        this.#kvm.send(
          { kind: 'set-vcpu-events', serrorPending: true, serrorHasEsr: true, serrorEsr: iss },
          1_000,
        );
        return;
      }
      const sea = this.#sources.find((s) => s.notifyType === 8);
      if (sea === undefined) return;
      this.#enqueue(sea.sourceId, report, { kind: 'inject-sea' });
      return;
    }
    const gpio = this.#sources.find((s) => s.notifyType === 7);
    if (gpio === undefined) {
      this.#ctx.trace.emit('ao-not-reported', { gpa });
      return;
    }
    this.#enqueue(gpio.sourceId, report, { kind: 'irq-line', gsiv: 41 });
  }

  #enqueue(sourceId: number, report: MemoryErrorReport, then: VmmRequest | null): void {
    this.#backlog.push({ sourceId, block: this.#deps.records.encodeMemoryRecord(report), then });
    this.#drain();
  }

  /** ghes_record_cper_errors(): ack 0 → busy; else zero the ack, write, notify. */
  #drain(): void {
    const mem = this.#deps.memory;
    while (this.#backlog.length > 0) {
      const q = this.#backlog[0]!;
      const src = this.#sources.find((s) => s.sourceId === q.sourceId)!;
      if (le64(mem.read(src.ackGpa, 8)) === 0n) {
        if (!this.#busyTraced) {
          this.#ctx.trace.emit('record-busy', {
            source: q.sourceId,
            backlog: this.#backlog.length,
          });
          this.#busyTraced = true;
        }
        if (!this.#retryPending) {
          this.#retryPending = true;
          this.#ctx.link<VmmMessage>(this.id).send({ kind: 'retry' }, RETRY_NS);
        }
        return;
      }
      this.#backlog.shift();
      this.#busyTraced = false;
      mem.write(src.ackGpa, u64le(0n));
      mem.write(le64(mem.read(src.slotGpa, 8)), q.block);
      this.recordsWritten++;
      this.#ctx.trace.emit('record-written', { source: q.sourceId, bytes: q.block.length });
      if (q.then !== null) this.#kvm.send(q.then, 1_000);
    }
  }

  snapshot(): Record<string, unknown> {
    return {
      sources: this.#sources,
      backlog: this.#backlog,
      hwpoison: this.#hwpoison,
      recordsWritten: this.recordsWritten,
      retryPending: this.#retryPending,
      busyTraced: this.#busyTraced,
    };
  }
  restore(s: Record<string, unknown>): void {
    this.#sources = s.sources as VmmSource[];
    this.#backlog = s.backlog as Queued[];
    this.#hwpoison = s.hwpoison as bigint[];
    this.recordsWritten = s.recordsWritten as number;
    this.#retryPending = s.retryPending as boolean;
    this.#busyTraced = s.busyTraced as boolean;
  }
}
