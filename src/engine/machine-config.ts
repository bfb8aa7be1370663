// The configuration of a machine's firmware-first error sources and the two QEMU profiles.
// One GHES/GHESv2 error source (ACPI 6.5 §18.3.2.7–8) per entry; the engine lays out one error
// status block per source in `etc/hardware_errors` (formats.md §13) and describes it in the HEST.

import { HestNotificationType } from '../codec/index.js';
import { EngineError, EngineErrorCode } from './errors.js';

/** What the engine does when a source's previous record has not been acknowledged. */
export const BusyPolicy = {
  /** QEMU's behaviour: the record is refused with an error (and on QEMU's SEA path the VM dies). */
  Reject: 'reject',
  /** A bounded per-source backlog delivered in order as the guest acknowledges. */
  Queue: 'queue',
} as const;
export type BusyPolicy = (typeof BusyPolicy)[keyof typeof BusyPolicy];

/** Which writable fw_cfg file tells the VMM where the firmware put things (qemu-vmm.md §3). */
export const PointerLayout = {
  /** QEMU ≤ 10.1 machine types: `etc/hardware_errors_addr` ← GPA of `etc/hardware_errors`. */
  HardwareErrorsAddr: 'hardware-errors-addr',
  /** QEMU 10.2+ machine types: `etc/acpi_table_hest_addr` ← GPA of the HEST. */
  HestAddr: 'hest-addr',
} as const;
export type PointerLayout = (typeof PointerLayout)[keyof typeof PointerLayout];

export const HARDWARE_ERRORS_FILE = 'etc/hardware_errors';
export const HARDWARE_ERRORS_ADDR_FILE = 'etc/hardware_errors_addr';
export const HEST_ADDR_FILE = 'etc/acpi_table_hest_addr';
export const ACPI_TABLES_FILE = 'etc/acpi/tables';

export interface ErrorSourceConfig {
  /** HEST Source Id (u16); Linux names the device `GHES.<id>`. */
  readonly id: number;
  /** `HestNotificationType`. */
  readonly notification: number;
  /** GSIV, external interrupt vector or SDEI event number, by notification type. */
  readonly vector?: number;
  /** Polled sources: milliseconds (Linux disables a polled source with interval 0). */
  readonly pollIntervalMs?: number;
  /** Error Status Block Length in bytes (QEMU: 1024). At least 20. */
  readonly blockLength?: number;
  /** Max Raw Data Length (QEMU: 1024); defaults to the block length. */
  readonly maxRawDataLength?: number;
  /** Number of Records To Pre-allocate (QEMU: 1). */
  readonly recordsPerBlock?: number;
  /** Max Sections Per Record (QEMU: 1). */
  readonly maxSectionsPerRecord?: number;
  /** 2: GHESv2 with a read-ack register (default); 1: GHES, consumed when block_status is 0. */
  readonly version?: 1 | 2;
  /** Read Ack Preserve / Write (QEMU: ~1 and 1). */
  readonly readAckPreserve?: bigint;
  readonly readAckWrite?: bigint;
  readonly policy?: BusyPolicy;
  /** Records held per source when the policy is `queue`. */
  readonly backlogLimit?: number;
}

export interface MachineConfig {
  readonly layout: PointerLayout;
  readonly sources: readonly ErrorSourceConfig[];
}

/** A source with every default filled in. */
export interface ResolvedSource {
  readonly index: number;
  readonly id: number;
  readonly notification: number;
  readonly vector: number;
  readonly pollIntervalMs: number;
  readonly blockLength: number;
  readonly maxRawDataLength: number;
  readonly recordsPerBlock: number;
  readonly maxSectionsPerRecord: number;
  readonly version: 1 | 2;
  readonly readAckPreserve: bigint;
  readonly readAckWrite: bigint;
  readonly policy: BusyPolicy;
  readonly backlogLimit: number;
}

export const QEMU_BLOCK_LENGTH = 1024;
export const QEMU_READ_ACK_PRESERVE = 0xffff_ffff_ffff_fffen;
export const QEMU_READ_ACK_WRITE = 1n;
export const DEFAULT_BACKLOG_LIMIT = 64;

/** Notification types the engine can deliver (others are rejected by Linux or x86-only). */
const DELIVERABLE = new Set<number>([
  HestNotificationType.Polled,
  HestNotificationType.ExternalInterrupt,
  HestNotificationType.Sci,
  HestNotificationType.Nmi,
  HestNotificationType.GpioSignal,
  HestNotificationType.ArmSea,
  HestNotificationType.ArmSei,
  HestNotificationType.ExternalInterruptGsiv,
  HestNotificationType.SoftwareDelegatedException,
]);

/** A configured value for a message: JSON for most, 0x… for a bigint (JSON has none). */
export function describeValue(v: unknown): string {
  if (typeof v === 'bigint') return `0x${v.toString(16)}`;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

function invalid(message: string): never {
  throw new EngineError(EngineErrorCode.InvalidConfig, message);
}

function checkInt(value: number, min: number, max: number, what: string): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    invalid(`Cannot configure ${what}: ${value} is not an integer in ${min}..${max}`);
  }
  return value;
}

export function resolveSources(config: MachineConfig): ResolvedSource[] {
  if (
    config.layout !== PointerLayout.HardwareErrorsAddr &&
    config.layout !== PointerLayout.HestAddr
  ) {
    invalid(`Cannot configure machine: unknown layout ${describeValue(config.layout)}`);
  }
  if (config.sources.length === 0) invalid('Cannot configure machine: no error sources');
  if (config.layout === PointerLayout.HardwareErrorsAddr && config.sources.length !== 1) {
    // QEMU's legacy runtime lookup ignores the source id: only one source makes sense there.
    invalid(
      `Cannot configure machine: the hardware-errors-addr layout has exactly one source, got ${config.sources.length}`,
    );
  }
  const ids = new Set<number>();
  return config.sources.map((s, index) => {
    const what = `error source ${s.id}`;
    checkInt(s.id, 0, 0xffff, `${what} id`);
    if (ids.has(s.id)) invalid(`Cannot configure ${what}: duplicate source id`);
    ids.add(s.id);
    if (!DELIVERABLE.has(s.notification)) {
      invalid(`Cannot configure ${what}: notification type ${s.notification} cannot be delivered`);
    }
    const blockLength = checkInt(
      s.blockLength ?? QEMU_BLOCK_LENGTH,
      20,
      1 << 20,
      `${what} blockLength`,
    );
    const version = s.version ?? 2;
    if (version !== 1 && version !== 2) invalid(`Cannot configure ${what}: version must be 1 or 2`);
    const policy = s.policy ?? BusyPolicy.Queue;
    if (policy !== BusyPolicy.Queue && policy !== BusyPolicy.Reject) {
      invalid(`Cannot configure ${what}: policy must be queue or reject`);
    }
    const readAckWrite = s.readAckWrite ?? QEMU_READ_ACK_WRITE;
    if (version === 2 && (readAckWrite <= 0n || readAckWrite >= 1n << 64n)) {
      invalid(`Cannot configure ${what}: readAckWrite must set at least one bit of the register`);
    }
    return {
      index,
      id: s.id,
      notification: s.notification,
      vector: checkInt(s.vector ?? 0, 0, 0xffffffff, `${what} vector`),
      pollIntervalMs: checkInt(s.pollIntervalMs ?? 0, 0, 0xffffffff, `${what} pollIntervalMs`),
      blockLength,
      maxRawDataLength: checkInt(
        s.maxRawDataLength ?? blockLength,
        0,
        0xffffffff,
        `${what} maxRawDataLength`,
      ),
      recordsPerBlock: checkInt(s.recordsPerBlock ?? 1, 1, 0xffffffff, `${what} recordsPerBlock`),
      maxSectionsPerRecord: checkInt(
        s.maxSectionsPerRecord ?? 1,
        1,
        0xffffffff,
        `${what} maxSectionsPerRecord`,
      ),
      version,
      readAckPreserve: s.readAckPreserve ?? QEMU_READ_ACK_PRESERVE,
      readAckWrite,
      policy,
      backlogLimit: checkInt(
        s.backlogLimit ?? DEFAULT_BACKLOG_LIMIT,
        0,
        1 << 20,
        `${what} backlogLimit`,
      ),
    };
  });
}

/** QEMU ≤ 10.1 machine types (and `virt-10.1` on 10.2+): one SEA source, id 0. */
export function qemuLegacyMachine(policy: BusyPolicy = BusyPolicy.Reject): MachineConfig {
  return {
    layout: PointerLayout.HardwareErrorsAddr,
    sources: [{ id: 0, notification: HestNotificationType.ArmSea, policy }],
  };
}

/** QEMU 10.2+ machine types: id 0 SEA, id 1 GPIO-signal (the QMP source). */
export function qemuHestAddrMachine(policy: BusyPolicy = BusyPolicy.Reject): MachineConfig {
  return {
    layout: PointerLayout.HestAddr,
    sources: [
      { id: 0, notification: HestNotificationType.ArmSea, policy },
      { id: 1, notification: HestNotificationType.GpioSignal, policy },
    ],
  };
}
