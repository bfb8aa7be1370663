// The VMM (QEMU's RAS role, qemu-vmm.md §8–§12) is the vras engine itself, unchanged: this
// component owns a RasEngine and is only its adapter to the simulation. It feeds the engine what
// a VMM process sees — the firmware's fw_cfg WRITE_POINTER at boot, SIGBUS from the host kernel
// (AO) or from KVM_RUN returning with a signal pending (AR), records the real-guest harness
// writes from outside (with or without a notification: the engine's `notify` option), migration
// (the engine's own migrationBlockers() and VmmRas snapshot) — and implements the engine's
// Platform by scheduling each request on KVM with an explicit latency (SEA injection,
// KVM_SET_VCPU_EVENTS for a virtual SError, the GED interrupt line) and tracing the engine's
// record events (posted, queued). The engine has no clock: while it holds a backlog, the adapter
// calls service() every SERVICE_NS (the read-ack register is guest RAM, so no exit tells the VMM
// when the guest acknowledged).
//
// VMM profiles (both are engine configurations, nothing is re-implemented here):
// - 'vras': every source queues when busy (BusyPolicy.Queue); an AR error the guest cannot be
//   told about through GHES becomes a virtual SError (arFallback 'serror', seed 002) with the
//   VMM's chosen ISS when KVM can set it; migration is allowed with poisoned pages.
// - 'qemu': QEMU's behaviour — a busy source rejects the record (BusyPolicy.Reject: "OSPM does
//   not acknowledge previous error"; on the SEA path the VM dies), arFallback 'fatal', and
//   migration refused while a page is poisoned (MigrationPolicy 'refuse-while-poisoned').

import { CodecError, hexToBytes } from '../codec/index.js';
import type { GuestMemory } from '../engine/index.js';
import {
  BusyPolicy,
  EngineError,
  EngineErrorCode,
  type EngineEvent,
  type EngineReport,
  type MachineConfig,
  MigrationPolicy,
  type Platform,
  type PlatformRequest,
  type RasEngine,
  SigbusCode,
  VmmRas,
  type VmmRasSnapshot,
} from '../engine/index.js';
import { SimError, SimErrorCode } from './errors.js';
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
   * qemu_system_reset(): the engine's reset (poisoned pages remapped, link forgotten, old
   * backlogs dropped), the vCPU reset, and the guest firmware runs again from power-on.
   */
  | { readonly kind: 'system-reset' }
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
    }
  /**
   * The same with the record's exact bytes (the real-guest harness's records, malformed ones
   * included: the engine posts whatever block it is given). `hex` is the status block as hex
   * digits, so the message stays plain JSON in traces, snapshots and JSON scenarios.
   */
  | {
      readonly kind: 'post-bytes';
      readonly sourceId: number;
      readonly hex: string;
      readonly notify: boolean;
    };

export interface VmmDeps {
  readonly memory: GuestMemory;
  readonly machine: MachineConfig;
  /** Encodes the harness's records (post-record); host errors are encoded by the engine. */
  readonly records: RecordPort;
  readonly kvm: string;
  /** Guest kernel and guest firmware ids, for a system reset. */
  readonly guestKernel?: string;
  readonly guestFirmware?: string;
  readonly profile?: VmmProfile;
  /** KVM_CAP_ARM_INJECT_SERROR_ESR. */
  readonly injectSErrorEsr: boolean;
  /**
   * ISS the VMM chooses for the virtual SError it raises on its own (seed 002: AET UER, DFSC
   * 0x11 = 0xc11); used by the engine only with KVM_CAP_ARM_INJECT_SERROR_ESR.
   */
  readonly serrorIss?: number;
}

/** The machine with every source's busy policy set for `profile`. */
export function machineForProfile(machine: MachineConfig, profile: VmmProfile): MachineConfig {
  const policy = profile === 'qemu' ? BusyPolicy.Reject : BusyPolicy.Queue;
  return { ...machine, sources: machine.sources.map((s) => ({ ...s, policy })) };
}

/** A post-bytes message's record: hex digits, or SimError bad-message. */
function recordBytes(hex: string): Uint8Array {
  try {
    return hexToBytes(hex, 'post-bytes record');
  } catch (cause) {
    if (!(cause instanceof CodecError)) throw cause;
    throw new SimError(SimErrorCode.BadMessage, `Cannot post a record: ${cause.message}`, {
      cause,
    });
  }
}

export class Vmm implements Component<VmmMessage>, Platform {
  readonly id: string;
  /** Everything the VMM knows about RAS, with one snapshot (the GHES engine inside). */
  readonly ras: VmmRas;
  /** The GHES engine (`ras.ghes`). */
  readonly engine: RasEngine;
  readonly #ctx: SimContext;
  readonly #deps: VmmDeps;
  readonly #kvm: Link<VmmRequest>;
  readonly #self: Link<VmmMessage>;
  #servicePending = false;
  /** Harness records the engine refused for another reason than its counters show (unlinked, …). */
  #refused = 0;

  constructor(ctx: SimContext, deps: VmmDeps) {
    this.id = ctx.id;
    this.#ctx = ctx;
    this.#deps = deps;
    this.#kvm = ctx.link<VmmRequest>(deps.kvm);
    this.#self = ctx.link<VmmMessage>(ctx.id);
    const profile = deps.profile ?? 'vras';
    this.ras = new VmmRas({
      memory: deps.memory,
      platform: this,
      ghes: {
        machine: machineForProfile(deps.machine, profile),
        hypervisor: { injectSErrorEsr: deps.injectSErrorEsr },
        arFallback: profile === 'qemu' ? 'fatal' : 'serror',
        ...(deps.serrorIss === undefined ? {} : { arFallbackIss: deps.serrorIss }),
      },
      migration: profile === 'qemu' ? MigrationPolicy.RefuseWhilePoisoned : MigrationPolicy.Allow,
    });
    this.engine = this.ras.ghes!;
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
        this.engine.service();
        this.#scheduleService();
        return;
      }
      case 'post-record':
        this.#postBlock(m.sourceId, this.#deps.records.encodeMemoryRecord(m.report), m.notify);
        return;
      case 'post-bytes':
        this.#postBlock(m.sourceId, recordBytes(m.hex), m.notify);
        return;
      case 'migrate':
        this.#migrate();
        return;
      case 'system-reset':
        this.#systemReset();
        return;
    }
  }

  #systemReset(): void {
    const { guestKernel, guestFirmware } = this.#deps;
    if (guestKernel === undefined || guestFirmware === undefined) {
      throw new SimError(
        SimErrorCode.BadMessage,
        'Cannot reset the system: the VMM was built without guest kernel and firmware ids',
      );
    }
    this.#ctx.trace.emit('system-reset');
    this.ras.reset();
    this.#kvm.send({ kind: 'vcpu-reset' }, 0);
    this.#ctx.link<{ kind: 'reset' }>(guestKernel).send({ kind: 'reset' }, 0);
    this.#ctx.link<{ kind: 'power-on' }>(guestFirmware).send({ kind: 'power-on' }, 0);
  }

  #sigbus(code: 'BUS_MCEERR_AR' | 'BUS_MCEERR_AO', hva: bigint): void {
    const ar = code === 'BUS_MCEERR_AR';
    this.#ctx.trace.emit('sigbus', { code, hva });
    const out = this.engine.onSigbus({
      code: ar ? SigbusCode.ActionRequired : SigbusCode.ActionOptional,
      hostAddress: hva,
      addressLsb: 12,
      vcpu: 0,
      el: 0,
    });
    this.#scheduleService();
    this.#ctx.trace.emit('sigbus-handled', {
      action: out.action,
      ...(out.gpa === undefined ? {} : { gpa: out.gpa }),
      ...(out.sourceId === undefined ? {} : { source: out.sourceId }),
    });
  }

  #postBlock(sourceId: number, block: Uint8Array, notify: boolean): void {
    try {
      this.engine.record(sourceId, block, { notify });
    } catch (error) {
      if (!(error instanceof EngineError)) throw error;
      this.report({ level: 'error', code: error.code, sourceId, message: error.message });
      if (error.code !== EngineErrorCode.NotAcknowledged) this.#refused++;
    }
    this.#scheduleService();
  }

  /** While the engine holds a backlog, look at the ack registers again in SERVICE_NS. */
  #scheduleService(): void {
    if (this.engine.backlogSize > 0 && !this.#servicePending) {
      this.#servicePending = true;
      this.#self.send({ kind: 'service' }, SERVICE_NS);
    }
  }

  /**
   * Live migration, if the engine's policy allows it now: under 'vras' the engine's state (link,
   * backlog, poisoned pages, pending SErrors) travels in its snapshot, so migration is allowed in
   * the middle of a flow; under 'qemu' the engine refuses with QEMU's hwpoison message while a
   * page is poisoned (06152b89db). The destination is this VmmRas restored from the snapshot
   * (guest RAM is the same object in the simulation).
   */
  #migrate(): void {
    const blockers = this.ras.migrationBlockers();
    if (blockers.length > 0) {
      this.#ctx.trace.emit('migration', {
        allowed: false,
        reason: blockers.map((b) => b.message).join('; '),
      });
      return;
    }
    const snap = this.ras.migrationSnapshot();
    this.ras.restore(JSON.parse(JSON.stringify(snap)) as VmmRasSnapshot);
    this.#ctx.trace.emit('migration', {
      allowed: true,
      poisonedPages: snap.ghes?.poison.length ?? 0,
      backlog: this.engine.backlogSize,
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Platform: the engine's requests, carried out on KVM with explicit latencies.

  #emit(ev: string, fields: Record<string, unknown>): void {
    this.#ctx.trace.emit(ev, fields);
  }

  /** The engine's record events: what reached guest memory, and what waits for an ack. */
  event(e: EngineEvent): void {
    if (e.kind === 'record-posted') {
      this.#emit('record-written', {
        source: e.sourceId,
        size: e.size,
        ...(e.fromBacklog ? { fromBacklog: true } : {}),
        ...(e.notified ? {} : { notified: false }),
      });
    } else if (e.kind === 'record-queued') {
      this.#emit('record-queued', { source: e.sourceId, backlog: e.depth });
    } else {
      this.#emit('record-dropped', { source: e.sourceId, size: e.size });
    }
  }

  request(r: PlatformRequest): void {
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
      ...(r.gpa === undefined ? {} : { gpa: r.gpa }),
    });
  }

  snapshot(): Record<string, unknown> {
    return {
      ras: this.ras.snapshot(),
      servicePending: this.#servicePending,
      refused: this.#refused,
    };
  }

  restore(s: Record<string, unknown>): void {
    this.ras.restore(s.ras as VmmRasSnapshot);
    this.#servicePending = s.servicePending as boolean;
    this.#refused = s.refused as number;
  }
}
