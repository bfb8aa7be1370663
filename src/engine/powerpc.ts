// PowerPC (pseries) machine checks through FWNMI (seed 004; qemu-vmm.md §16, formats.md §14).
// On a KVM_EXIT_NMI the VMM builds the RTAS error log, writes it at rtas_addr + 0x30 and enters
// the handler the guest registered with ibm,nmi-register (r3 = the log's address); without a
// registration it raises the architected 0x200 vector. One log buffer serves all vCPUs, so one
// machine check is in flight until ibm,nmi-interlock. Compared with QEMU (§19 item 19): a
// second machine check before the interlock is queued, not dropped; KVM's LIMITED_RECOV is
// kept; an unrecognised SRR1/DSISR pattern is not reported as NO_ERROR; the state migrates.

import {
  buildQemuMachineCheckLog,
  encodeRtasErrorLog,
  RTAS_ERROR_LOG_OFFSET,
  RtasDisposition,
  RtasSeverity,
} from '../codec/index.js';
import { EngineError, EngineErrorCode } from './errors.js';
import type { GuestMemory } from './guest-memory.js';
import type { Platform } from './platform.js';
import { SnapshotReader } from './snapshot-check.js';

/** `run->flags & KVM_RUN_PPC_NMI_DISP_MASK` (formats.md §14.6). */
export const KvmNmiDisposition = {
  FullyRecovered: 1,
  LimitedRecovery: 2,
  NotRecovered: 3,
} as const;

/** ibm,nmi-register addresses must be below 32 MiB (and the RMA). */
const FWNMI_LIMIT = 32n << 20n;
export const MACHINE_CHECK_VECTOR = 0x200n;

export interface FwnmiRegistration {
  readonly sresetAddr: bigint;
  readonly mceAddr: bigint;
  /** Where RTAS lives; the log goes at +0x30. */
  readonly rtasAddr: bigint;
}

export interface MachineCheckExit {
  readonly vcpu: number;
  readonly srr1: bigint;
  readonly dsisr: number;
  readonly dar: bigint;
  readonly nip: bigint;
  readonly r3: bigint;
  /** KvmNmiDisposition. */
  readonly disposition: number;
  /** Guest physical address of a UE, when the host knows it (QEMU never fills it: 19b). */
  readonly logicalAddress?: bigint;
}

export interface PowerPcSnapshot {
  readonly registration: {
    readonly sresetAddr: string;
    readonly mceAddr: string;
    readonly rtasAddr: string;
  } | null;
  readonly inFlight: number | null;
  readonly queue: ReadonlyArray<Record<string, string | number>>;
}

const hx = (v: bigint) => `0x${v.toString(16)}`;

export class PowerPcMachineCheck {
  private registration: FwnmiRegistration | null = null;
  private inFlight: number | null = null;
  private queue: MachineCheckExit[] = [];
  private readonly memory: GuestMemory;
  private readonly platform: Platform;
  readonly queueLimit: number;

  constructor(memory: GuestMemory, platform: Platform, queueLimit = 64) {
    this.memory = memory;
    this.platform = platform;
    this.queueLimit = queueLimit;
  }

  /** ibm,nmi-register. Throws (the RTAS call's PARAM_ERROR) for addresses at or above 32 MiB. */
  register(reg: FwnmiRegistration): void {
    if (reg.sresetAddr >= FWNMI_LIMIT || reg.mceAddr >= FWNMI_LIMIT) {
      throw new EngineError(
        EngineErrorCode.InvalidState,
        `Cannot register FWNMI: handler addresses must be below 32 MiB (${hx(reg.sresetAddr)}, ${hx(reg.mceAddr)})`,
        { gpa: reg.sresetAddr >= FWNMI_LIMIT ? reg.sresetAddr : reg.mceAddr },
      );
    }
    this.registration = { ...reg };
  }

  get registered(): boolean {
    return this.registration !== null;
  }

  /** A machine check's log is in the guest's hands (delivered, ibm,nmi-interlock not yet called). */
  get handling(): boolean {
    return this.inFlight !== null;
  }

  /** KVM_EXIT_NMI. Returns how the machine check went to the guest. */
  onMachineCheck(exit: MachineCheckExit): 'fwnmi' | 'vector' | 'queued' | 'dropped' {
    if (this.registration === null) {
      this.platform.request({
        kind: 'machine-check',
        vcpu: exit.vcpu,
        via: 'vector',
        vector: MACHINE_CHECK_VECTOR,
        srr1: exit.srr1,
      });
      return 'vector';
    }
    if (this.inFlight !== null) {
      if (this.queue.length >= this.queueLimit) {
        this.platform.report({
          level: 'error',
          code: 'fwnmi-queue-full',
          message: `Dropped a machine check on vCPU ${exit.vcpu}: ${this.queue.length} wait for ibm,nmi-interlock`,
        });
        return 'dropped';
      }
      this.queue.push(exit);
      return 'queued';
    }
    this.deliver(exit, this.registration);
    return 'fwnmi';
  }

  private deliver(exit: MachineCheckExit, reg: FwnmiRegistration): void {
    const built = buildQemuMachineCheckLog({
      srr1: exit.srr1,
      dsisr: exit.dsisr,
      dar: exit.dar,
      nip: exit.nip,
      recovered: exit.disposition === KvmNmiDisposition.FullyRecovered,
      savedR3: exit.r3,
      ...(exit.logicalAddress === undefined ? {} : { logicalAddress: exit.logicalAddress }),
    });
    const summary = {
      ...built.log.summary,
      ...(exit.disposition === KvmNmiDisposition.LimitedRecovery
        ? { disposition: RtasDisposition.LimitedRecovery }
        : {}),
      ...(built.matched === 'none' && exit.disposition !== KvmNmiDisposition.FullyRecovered
        ? { severity: RtasSeverity.ErrorSync }
        : {}),
    };
    const at = reg.rtasAddr + BigInt(RTAS_ERROR_LOG_OFFSET);
    this.memory.write(at, encodeRtasErrorLog({ ...built.log, summary }));
    this.inFlight = exit.vcpu;
    this.platform.request({
      kind: 'machine-check',
      vcpu: exit.vcpu,
      via: 'fwnmi',
      vector: reg.mceAddr,
      r3: at,
      srr1: exit.srr1,
    });
  }

  /** ibm,nmi-interlock from `vcpu`: releases the buffer and delivers the next queued check. */
  interlock(vcpu: number): void {
    if (this.registration === null) {
      throw new EngineError(
        EngineErrorCode.InvalidState,
        'Cannot release the FWNMI interlock: FWNMI is not registered',
      );
    }
    if (this.inFlight !== vcpu) return; // other callers get SUCCESS (PowerVM compatibility)
    this.inFlight = null;
    const next = this.queue.shift();
    if (next !== undefined) this.deliver(next, this.registration);
  }

  reset(): void {
    this.registration = null;
    this.inFlight = null;
    this.queue = [];
  }

  snapshot(): PowerPcSnapshot {
    const r = this.registration;
    return {
      registration:
        r === null
          ? null
          : { sresetAddr: hx(r.sresetAddr), mceAddr: hx(r.mceAddr), rtasAddr: hx(r.rtasAddr) },
      inFlight: this.inFlight,
      queue: this.queue.map((e) => ({
        vcpu: e.vcpu,
        srr1: hx(e.srr1),
        dsisr: e.dsisr,
        dar: hx(e.dar),
        nip: hx(e.nip),
        r3: hx(e.r3),
        disposition: e.disposition,
        ...(e.logicalAddress === undefined ? {} : { logicalAddress: hx(e.logicalAddress) }),
      })),
    };
  }

  /**
   * Replaces the state with `s`. Untrusted: every field is checked (types, addresses, the queue
   * against this handler's limit) before anything changes; a bad one is `bad-snapshot`.
   */
  restore(s: PowerPcSnapshot): void {
    const r = new SnapshotReader('FWNMI state');
    const o = r.object(s, '');
    r.keys(o, '', ['registration', 'inFlight', 'queue']);
    let registration: FwnmiRegistration | null = null;
    if (o.registration !== null) {
      const g = r.object(o.registration, 'registration');
      r.keys(g, 'registration', ['sresetAddr', 'mceAddr', 'rtasAddr']);
      registration = {
        sresetAddr: r.u64(g.sresetAddr, 'registration.sresetAddr'),
        mceAddr: r.u64(g.mceAddr, 'registration.mceAddr'),
        rtasAddr: r.u64(g.rtasAddr, 'registration.rtasAddr'),
      };
      if (registration.sresetAddr >= FWNMI_LIMIT || registration.mceAddr >= FWNMI_LIMIT)
        r.fail(
          'registration',
          `has a vector at or above ${hx(FWNMI_LIMIT)} (ibm,nmi-register refuses it)`,
        );
    }
    const inFlight = o.inFlight === null ? null : r.int(o.inFlight, 'inFlight', 0, 0xffff_ffff);
    const queue = r.list(o.queue, 'queue', this.queueLimit).map((v, i): MachineCheckExit => {
      const path = `queue[${i}]`;
      const e = r.object(v, path);
      r.keys(e, path, [
        'vcpu',
        'srr1',
        'dsisr',
        'dar',
        'nip',
        'r3',
        'disposition',
        'logicalAddress',
      ]);
      return {
        vcpu: r.int(e.vcpu, `${path}.vcpu`, 0, 0xffff_ffff),
        srr1: r.u64(e.srr1, `${path}.srr1`),
        dsisr: r.int(e.dsisr, `${path}.dsisr`, 0, 0xffff_ffff),
        dar: r.u64(e.dar, `${path}.dar`),
        nip: r.u64(e.nip, `${path}.nip`),
        r3: r.u64(e.r3, `${path}.r3`),
        disposition: r.int(e.disposition, `${path}.disposition`, 0, 0xffff_ffff),
        ...(e.logicalAddress === undefined
          ? {}
          : { logicalAddress: r.u64(e.logicalAddress, `${path}.logicalAddress`) }),
      };
    });
    if (inFlight === null && queue.length > 0)
      r.fail(
        'queue',
        'holds machine checks while none is in flight (they would never be delivered)',
      );
    if (inFlight !== null && registration === null)
      r.fail('inFlight', 'is set without an FWNMI registration');
    this.registration = registration;
    this.inFlight = inFlight;
    this.queue = queue;
  }
}
