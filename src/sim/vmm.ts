// The VMM (QEMU's RAS role, qemu-vmm.md §8–§12) is the vras engine itself, unchanged: this
// component owns a RasEngine and is only its adapter to the simulation. It feeds the engine what
// a VMM process sees — the firmware's fw_cfg WRITE_POINTER at boot, SIGBUS from the host kernel
// (AO) or from KVM_RUN returning with a signal pending (AR), records the real-guest harness
// writes from outside, migration — and implements the engine's Platform by scheduling each
// request on KVM with an explicit latency (SEA injection, KVM_SET_VCPU_EVENTS for a virtual
// SError, the GED interrupt line). The engine has no clock: while it holds a backlog, the
// adapter calls service() every SERVICE_NS (the read-ack register is guest RAM, so no exit tells
// the VMM when the guest acknowledged).
//
// VMM profiles (both are engine configurations, nothing is re-implemented here):
// - 'vras': every source queues when busy (BusyPolicy.Queue); an AR error the guest cannot be
//   told about through GHES becomes a virtual SError (arFallback 'serror', seed 002).
// - 'qemu': QEMU's behaviour — a busy source rejects the record (BusyPolicy.Reject: "OSPM does
//   not acknowledge previous error"; on the SEA path the VM dies) and arFallback 'fatal'.

import type { GuestMemory } from '../engine/index.js';
import {
  BusyPolicy,
  EngineError,
  EngineErrorCode,
  type EngineReport,
  type EngineSnapshot,
  type MachineConfig,
  type Platform,
  type PlatformRequest,
  RasEngine,
  SigbusCode,
} from '../engine/index.js';
import type { KvmToVmm, VmmRequest } from './kvm.js';
import type { MemoryErrorReport, RecordPort } from './ports.js';
import type { Component, Link, SimContext } from './simulation.js';

/** How often the VMM services a non-empty backlog (ns). */
export const SERVICE_NS = 10_000_000;
/** QEMU virt's GED interrupt: VIRT_ACPI_GED (SPI 9) = GSIV 41. */
export const VIRT_GED_GSIV = 41;
/** Latency of an ioctl on the vCPU (KVM_SET_VCPU_EVENTS, KVM_SET_ONE_REG for the SEA), ns. */
export const VCPU_IOCTL_NS = 1_000;

export type VmmProfile = 'vras' | 'qemu';

export type VmmMessage =
  | KvmToVmm
  /** The firmware's fw_cfg DMA write into a writable file (the WRITE_POINTER). */
  | {
      readonly kind: 'fw-cfg-write';
      readonly file: string;
      readonly offset: number;
      readonly bytes: Uint8Array;
    }
  | { readonly kind: 'service' }
  | { readonly kind: 'migrate' }
  /**
   * A record written from outside the guest without a host error (the real-guest harness, or a
   * QMP injection): recorded on `sourceId` by the engine like any other; without `notify` the
   * source's notification is not raised (the harness's shared-memory target writes the block and
   * nothing else).
   */
  | {
      readonly kind: 'post-record';
      readonly sourceId: number;
      readonly report: MemoryErrorReport;
      readonly notify: boolean;
    };

export interface VmmDeps {
  readonly memory: GuestMemory;
  readonly machine: MachineConfig;
  /** Encodes the harness's records (post-record); host errors are encoded by the engine. */
  readonly records: RecordPort;
  readonly kvm: string;
  readonly profile?: VmmProfile;
  /** KVM_CAP_ARM_INJECT_SERROR_ESR. */
  readonly injectSErrorEsr: boolean;
}

/** The machine with every source's busy policy set for `profile`. */
export function machineForProfile(machine: MachineConfig, profile: VmmProfile): MachineConfig {
  const policy = profile === 'qemu' ? BusyPolicy.Reject : BusyPolicy.Queue;
  return { ...machine, sources: machine.sources.map((s) => ({ ...s, policy })) };
}

const NOTIFICATIONS = new Set<PlatformRequest['kind']>([
  'inject-sea',
  'ged-event',
  'interrupt',
  'sdei-event',
  'nmi',
]);

export class Vmm implements Component<VmmMessage>, Platform {
  readonly id: string;
  readonly engine: RasEngine;
  readonly #ctx: SimContext;
  readonly #deps: VmmDeps;
  readonly #kvm: Link<VmmRequest>;
  readonly #self: Link<VmmMessage>;
  #servicePending = false;
  /** Set while the adapter posts a record whose notification must not be raised. */
  #quiet = false;
  /** While an engine call runs: its requests' and reports' trace events, emitted after it. */
  #deferred: (() => void)[] | null = null;
  /** Harness records the engine refused for another reason than its counters show (unlinked, …). */
  #refused = 0;

  constructor(ctx: SimContext, deps: VmmDeps) {
    this.id = ctx.id;
    this.#ctx = ctx;
    this.#deps = deps;
    this.#kvm = ctx.link<VmmRequest>(deps.kvm);
    this.#self = ctx.link<VmmMessage>(ctx.id);
    const profile = deps.profile ?? 'vras';
    this.engine = new RasEngine({
      machine: machineForProfile(deps.machine, profile),
      memory: deps.memory,
      platform: this,
      hypervisor: { injectSErrorEsr: deps.injectSErrorEsr },
      arFallback: profile === 'qemu' ? 'fatal' : 'serror',
    });
  }

  /** Records posted into guest memory (immediately or from the backlog). */
  get recordsWritten(): number {
    let n = 0;
    for (const s of this.engine.stats().sources) n += s.posted;
    return n;
  }

  /** Records the guest will never see: still queued, dropped (backlog full), rejected (busy). */
  get recordsLost(): number {
    let n = this.engine.backlogSize + this.#refused;
    for (const s of this.engine.stats().sources) n += s.dropped + s.rejected;
    return n;
  }

  receive(m: VmmMessage): void {
    switch (m.kind) {
      case 'fw-cfg-write': {
        const linked = this.engine.onWritePointer(m.file, m.offset, m.bytes);
        this.#ctx.trace.emit('write-pointer', { file: m.file, linked });
        return;
      }
      case 'sigbus':
        this.#sigbus(m.code, m.hva);
        return;
      case 'serror-taken':
        this.engine.onSErrorTaken(m.vcpu);
        return;
      case 'service': {
        this.#servicePending = false;
        this.#withPosts(() => this.engine.service());
        return;
      }
      case 'post-record':
        this.#postRecord(m.sourceId, m.report, m.notify);
        return;
      case 'migrate':
        this.#migrate();
        return;
    }
  }

  #sigbus(code: 'BUS_MCEERR_AR' | 'BUS_MCEERR_AO', hva: bigint): void {
    const ar = code === 'BUS_MCEERR_AR';
    this.#ctx.trace.emit('sigbus', { code, hva });
    const out = this.#withPosts(() =>
      this.engine.onSigbus({
        code: ar ? SigbusCode.ActionRequired : SigbusCode.ActionOptional,
        hostAddress: hva,
        addressLsb: 12,
        vcpu: 0,
        el: 0,
      }),
    );
    this.#ctx.trace.emit('sigbus-handled', {
      action: out.action,
      ...(out.gpa === undefined ? {} : { gpa: out.gpa }),
      ...(out.sourceId === undefined ? {} : { source: out.sourceId }),
    });
  }

  #postRecord(sourceId: number, report: MemoryErrorReport, notify: boolean): void {
    const block = this.#deps.records.encodeMemoryRecord(report);
    this.#quiet = !notify;
    try {
      this.#withPosts(() => {
        try {
          return this.engine.record(sourceId, block).status;
        } catch (error) {
          if (error instanceof EngineError) {
            this.report({ level: 'error', code: error.code, sourceId, message: error.message });
            if (error.code !== EngineErrorCode.NotAcknowledged) this.#refused++;
            return 'refused';
          }
          throw error;
        }
      });
    } finally {
      this.#quiet = false;
    }
  }

  /**
   * Runs an engine call and traces each record it posted (counters before and after), then keeps
   * servicing while a backlog remains.
   */
  #withPosts<T>(call: () => T): T {
    const before = this.engine.stats().sources;
    const deferred: (() => void)[] = [];
    this.#deferred = deferred;
    let result: T;
    try {
      result = call();
    } finally {
      this.#deferred = null;
    }
    const after = this.engine.stats().sources;
    let backlog = 0;
    after.forEach((s, i) => {
      const b = before[i]!;
      for (let k = b.posted; k < s.posted; k++)
        this.#ctx.trace.emit('record-written', { source: s.id });
      if (s.queued > b.queued) {
        this.#ctx.trace.emit('record-queued', { source: s.id, backlog: s.backlog });
      }
      backlog += s.backlog;
    });
    for (const emit of deferred) emit();
    if (backlog > 0 && !this.#servicePending) {
      this.#servicePending = true;
      this.#self.send({ kind: 'service' }, SERVICE_NS);
    }
    return result;
  }

  /**
   * Live migration: the engine's state (link, backlog, poisoned pages, pending SErrors) travels
   * in its snapshot, so migration is allowed in the middle of a flow (QEMU refuses while its
   * hwpoison list is non-empty, 06152b89db). The destination engine is this one restored from
   * the snapshot (guest RAM is the same object in the simulation).
   */
  #migrate(): void {
    const snap = this.engine.snapshot();
    this.engine.restore(JSON.parse(JSON.stringify(snap)) as EngineSnapshot);
    this.#ctx.trace.emit('migration', {
      allowed: true,
      poisonedPages: snap.poison.length,
      backlog: this.engine.backlogSize,
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Platform: the engine's requests, carried out on KVM with explicit latencies.

  #emit(ev: string, fields: Record<string, unknown>): void {
    if (this.#deferred === null) this.#ctx.trace.emit(ev, fields);
    else this.#deferred.push(() => this.#ctx.trace.emit(ev, fields));
  }

  request(r: PlatformRequest): void {
    if (this.#quiet && NOTIFICATIONS.has(r.kind)) {
      this.#emit('notification-suppressed', { kind: r.kind });
      return;
    }
    switch (r.kind) {
      case 'inject-sea':
        this.#emit('request', { kind: r.kind, vcpu: r.vcpu, esr: BigInt(r.esr) });
        this.#kvm.send({ kind: 'inject-sea', esr: BigInt(r.esr) }, VCPU_IOCTL_NS);
        return;
      case 'inject-serror':
        this.#emit('request', {
          kind: r.kind,
          vcpu: r.vcpu,
          ...(r.iss === undefined ? {} : { iss: BigInt(r.iss) }),
        });
        this.#kvm.send(
          {
            kind: 'set-vcpu-events',
            serrorPending: true,
            serrorHasEsr: r.iss !== undefined,
            serrorEsr: BigInt(r.iss ?? 0),
          },
          VCPU_IOCTL_NS,
        );
        return;
      case 'ged-event':
        // GED _EVT for ACPI_GED_ERROR_EVT → Notify(PNP0C33): the GED's interrupt line.
        this.#emit('request', { kind: r.kind, event: r.event, source: r.sourceId });
        this.#kvm.send({ kind: 'irq-line', gsiv: VIRT_GED_GSIV }, VCPU_IOCTL_NS);
        return;
      case 'interrupt':
        this.#emit('request', { kind: r.kind, gsiv: r.gsiv, source: r.sourceId });
        this.#kvm.send({ kind: 'irq-line', gsiv: r.gsiv }, VCPU_IOCTL_NS);
        return;
      case 'fatal':
        this.#ctx.trace.emit('vmm-exit', { reason: r.message });
        this.#ctx.halt(`VMM exit: ${r.message}`);
        return;
      case 'remap-page':
        this.#emit('request', { kind: r.kind, gpa: r.gpa, size: r.size });
        return;
      default:
        // SDEI, NMI (x86) and PowerPC machine checks have no consumer in the arm64 world.
        this.#emit('request-unsupported', { kind: r.kind });
        return;
    }
  }

  report(r: EngineReport): void {
    this.#emit('engine-report', {
      level: r.level,
      code: r.code,
      message: r.message,
      ...(r.sourceId === undefined ? {} : { source: r.sourceId }),
    });
  }

  snapshot(): Record<string, unknown> {
    return {
      engine: this.engine.snapshot(),
      servicePending: this.#servicePending,
      refused: this.#refused,
    };
  }

  restore(s: Record<string, unknown>): void {
    this.engine.restore(s.engine as EngineSnapshot);
    this.#servicePending = s.servicePending as boolean;
    this.#refused = s.refused as number;
  }
}
