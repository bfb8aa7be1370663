// QEMU's HEST for `-machine virt,ras=on` (qemu-vmm.md §3–§5, formats.md §13): N GHESv2 sources
// whose registers live in the fw_cfg blob `etc/hardware_errors`. Status-address slot i is at
// blob + 8·i, read-ack register i at blob + 8·(N + i), status block i at blob + 16·N + 1024·i.
//
// Two profiles: `qemu-7.2-virt` (the legacy layout of QEMU 5.1–10.1 and of `virt-10.1` and
// older machine types: one SEA source) and `qemu-10.2-virt` (`virt-10.2` and later: source 0
// SEA, source 1 GPIO). The patched table is what the guest sees once the firmware placed the
// blob; the unpatched table is what QEMU serves in `etc/acpi/tables` (address fields hold blob
// offsets, checksum 0, filled in by the linker/loader's ADD_POINTER and ADD_CHECKSUM).

import type { AcpiTableHeaderFields } from './acpi-header.js';
import { encodeHest, HEST_REVISION, HEST_SIGNATURE, type Hest } from './hest.js';
import { ghesV2Source, QEMU_GHES_DEFAULTS } from './hest-ghes.js';
import { HestNotificationType } from './hest-notification.js';

/** Header fields QEMU writes (defaults of `-machine x-oem-id=`/`x-oem-table-id=`). */
export const QEMU_HEST_HEADER: AcpiTableHeaderFields = {
  signature: HEST_SIGNATURE,
  revision: HEST_REVISION,
  oemId: 'BOCHS ',
  oemTableId: 'BXPC    ',
  oemRevision: 1,
  creatorId: 'BXPC',
  creatorRevision: 1,
};

/** Bytes of one Generic Error Status Block in `etc/hardware_errors` (= Error Status Block Length). */
export const QEMU_GHES_BLOCK_SIZE = 1024;

export interface QemuHestSource {
  readonly sourceId: number;
  readonly notificationType: HestNotificationType;
}

export interface QemuHestProfile {
  readonly name: QemuHestProfileName;
  /** Which QEMU versions / machine types produce it. */
  readonly description: string;
  /** 'legacy': `etc/hardware_errors_addr`; 'hest-addr': `etc/acpi_table_hest_addr`. */
  readonly layout: 'legacy' | 'hest-addr';
  readonly header: AcpiTableHeaderFields;
  readonly sources: readonly QemuHestSource[];
}

export const QEMU_HEST_PROFILE_NAMES = ['qemu-7.2-virt', 'qemu-10.2-virt'] as const;
export type QemuHestProfileName = (typeof QEMU_HEST_PROFILE_NAMES)[number];

export const QEMU_HEST_PROFILES: Readonly<Record<QemuHestProfileName, QemuHestProfile>> = {
  'qemu-7.2-virt': {
    name: 'qemu-7.2-virt',
    description: 'QEMU 5.1–10.1 virt, and virt-10.1 or older machine types on QEMU ≥ 10.2',
    layout: 'legacy',
    header: QEMU_HEST_HEADER,
    sources: [{ sourceId: 0, notificationType: HestNotificationType.ArmSea }],
  },
  'qemu-10.2-virt': {
    name: 'qemu-10.2-virt',
    description: 'QEMU ≥ 10.2 with virt-10.2 or newer machine types',
    layout: 'hest-addr',
    header: QEMU_HEST_HEADER,
    sources: [
      { sourceId: 0, notificationType: HestNotificationType.ArmSea },
      { sourceId: 1, notificationType: HestNotificationType.GpioSignal },
    ],
  },
};

export function isQemuHestProfileName(name: string): name is QemuHestProfileName {
  return (QEMU_HEST_PROFILE_NAMES as readonly string[]).includes(name);
}

/** Offsets inside `etc/hardware_errors` for a blob with `count` sources (formats.md §13). */
export interface QemuHardwareErrorsLayout {
  readonly count: number;
  /** 8-byte register i holding the address of status block i. */
  slotOffset(i: number): number;
  /** 8-byte read-ack register i (QEMU starts it at 1). */
  ackOffset(i: number): number;
  /** Status block i (QEMU_GHES_BLOCK_SIZE bytes). */
  blockOffset(i: number): number;
  /** Whole blob: 1040·count bytes. */
  readonly size: number;
}

export function qemuHardwareErrorsLayout(count: number): QemuHardwareErrorsLayout {
  return {
    count,
    slotOffset: (i) => 8 * i,
    ackOffset: (i) => 8 * (count + i),
    blockOffset: (i) => 16 * count + QEMU_GHES_BLOCK_SIZE * i,
    size: (16 + QEMU_GHES_BLOCK_SIZE) * count,
  };
}

/**
 * The HEST QEMU builds for `profile` with `etc/hardware_errors` at `blobAddress`. With
 * `blobAddress` 0 the addresses are blob offsets, as in the unpatched table.
 */
export function qemuHest(profile: QemuHestProfile, blobAddress: bigint): Hest {
  const layout = qemuHardwareErrorsLayout(profile.sources.length);
  return {
    header: profile.header,
    sources: profile.sources.map((s, i) =>
      ghesV2Source({
        sourceId: s.sourceId,
        notification: s.notificationType,
        errorStatusAddress: blobAddress + BigInt(layout.slotOffset(i)),
        readAckAddress: blobAddress + BigInt(layout.ackOffset(i)),
        maxRawDataLength: QEMU_GHES_DEFAULTS.maxRawDataLength,
        errorStatusBlockLength: QEMU_GHES_BLOCK_SIZE,
      }),
    ),
  };
}

/** The patched table bytes: what the guest reads once the firmware linked the blob. */
export function qemuHestBytes(profile: QemuHestProfile, blobAddress: bigint): Uint8Array {
  return encodeHest(qemuHest(profile, blobAddress));
}

/** The table as QEMU serves it in `etc/acpi/tables`: blob offsets, checksum 0. */
export function qemuHestUnpatchedBytes(profile: QemuHestProfile): Uint8Array {
  const hest = qemuHest(profile, 0n);
  return encodeHest({ ...hest, header: { ...hest.header, checksum: 0 } }, { checksum: 'keep' });
}
