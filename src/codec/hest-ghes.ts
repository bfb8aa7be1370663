// HEST Generic Hardware Error Source (type 9, 64 bytes, ACPI 6.5 §18.3.2.7) and GHES version 2
// (type 10, 92 bytes, §18.3.2.8). The Error Status Address is a register that holds the
// address of the Generic Error Status Block (double indirection, formats.md §3.4); GHESv2 adds
// the Read Ack register OSPM writes after consuming a block. Linux turns only these two types
// into `GHES.<sourceId>` devices.

import { type Gas, readGas, systemMemoryGas, writeGas } from './gas.js';
import {
  type HestNotification,
  hestNotification,
  readHestNotification,
  writeHestNotification,
} from './hest-notification.js';
import { type ByteReader, readWhole } from './reader.js';
import { ByteWriter } from './writer.js';

export const HEST_GHES_SIZE = 64;
export const HEST_GHES_V2_SIZE = 92;

/** Related Source Id meaning "no alternate source" (ACPI 6.5 §18.3.2.7). */
export const HEST_NO_RELATED_SOURCE = 0xffff;

export interface HestGhes {
  readonly type: 9;
  readonly sourceId: number;
  readonly relatedSourceId: number;
  /** Reserved in types 9 and 10 (0). */
  readonly flags: number;
  readonly enabled: number;
  readonly recordsToPreallocate: number;
  readonly maxSectionsPerRecord: number;
  readonly maxRawDataLength: number;
  readonly errorStatusAddress: Gas;
  readonly notification: HestNotification;
  /** Bytes reserved for the Generic Error Status Block. */
  readonly errorStatusBlockLength: number;
}

export interface HestGhesV2 extends Omit<HestGhes, 'type'> {
  readonly type: 10;
  readonly readAckRegister: Gas;
  readonly readAckPreserve: bigint;
  readonly readAckWrite: bigint;
}

function readGhesFields(r: ByteReader) {
  return {
    sourceId: r.u16('sourceId'),
    relatedSourceId: r.u16('relatedSourceId'),
    flags: r.u8('flags'),
    enabled: r.u8('enabled'),
    recordsToPreallocate: r.u32('recordsToPreallocate'),
    maxSectionsPerRecord: r.u32('maxSectionsPerRecord'),
    maxRawDataLength: r.u32('maxRawDataLength'),
    errorStatusAddress: readGas(r, 'Error Status Address'),
    notification: readHestNotification(r),
    errorStatusBlockLength: r.u32('errorStatusBlockLength'),
  };
}

function writeGhesFields(w: ByteWriter, value: HestGhes | HestGhesV2): void {
  w.u16(value.type, 'type');
  w.u16(value.sourceId, 'sourceId');
  w.u16(value.relatedSourceId, 'relatedSourceId');
  w.u8(value.flags, 'flags');
  w.u8(value.enabled, 'enabled');
  w.u32(value.recordsToPreallocate, 'recordsToPreallocate');
  w.u32(value.maxSectionsPerRecord, 'maxSectionsPerRecord');
  w.u32(value.maxRawDataLength, 'maxRawDataLength');
  writeGas(w, value.errorStatusAddress);
  writeHestNotification(w, value.notification);
  w.u32(value.errorStatusBlockLength, 'errorStatusBlockLength');
}

function readType(r: ByteReader, expected: number): void {
  const at = r.offset;
  const type = r.u16('type');
  if (type !== expected) r.invalid('type', `is ${type}, expected ${expected}`, at);
}

export function readHestGhes(r: ByteReader): HestGhes {
  r.need(HEST_GHES_SIZE, 'GHES');
  readType(r, 9);
  return { type: 9, ...readGhesFields(r) };
}

export function writeHestGhes(w: ByteWriter, value: HestGhes): void {
  writeGhesFields(w, value);
}

export function readHestGhesV2(r: ByteReader): HestGhesV2 {
  r.need(HEST_GHES_V2_SIZE, 'GHESv2');
  readType(r, 10);
  return {
    type: 10,
    ...readGhesFields(r),
    readAckRegister: readGas(r, 'Read Ack Register'),
    readAckPreserve: r.u64('readAckPreserve'),
    readAckWrite: r.u64('readAckWrite'),
  };
}

export function writeHestGhesV2(w: ByteWriter, value: HestGhesV2): void {
  writeGhesFields(w, value);
  writeGas(w, value.readAckRegister);
  w.u64(value.readAckPreserve, 'readAckPreserve');
  w.u64(value.readAckWrite, 'readAckWrite');
}

export function decodeHestGhes(bytes: Uint8Array): HestGhes {
  return readWhole(bytes, 'GHES', readHestGhes);
}

export function encodeHestGhes(value: HestGhes): Uint8Array {
  const w = new ByteWriter('GHES', HEST_GHES_SIZE);
  writeHestGhes(w, value);
  return w.toBytes();
}

export function decodeHestGhesV2(bytes: Uint8Array): HestGhesV2 {
  return readWhole(bytes, 'GHESv2', readHestGhesV2);
}

export function encodeHestGhesV2(value: HestGhesV2): Uint8Array {
  const w = new ByteWriter('GHESv2', HEST_GHES_V2_SIZE);
  writeHestGhesV2(w, value);
  return w.toBytes();
}

/** QEMU's values (`hw/acpi/ghes.c`, qemu-vmm.md §5); every field can be overridden. */
export const QEMU_GHES_DEFAULTS = {
  relatedSourceId: HEST_NO_RELATED_SOURCE,
  flags: 0,
  enabled: 1,
  recordsToPreallocate: 1,
  maxSectionsPerRecord: 1,
  maxRawDataLength: 1024,
  errorStatusBlockLength: 1024,
  readAckPreserve: 0xfffffffffffffffen,
  readAckWrite: 1n,
} as const;

export interface GhesSourceOptions {
  readonly sourceId: number;
  /** Any notification type 0–255, or a whole notification structure. */
  readonly notification: number | HestNotification;
  /** Address of the register holding the status block address (SystemMemory/64-bit GAS). */
  readonly errorStatusAddress: bigint | Gas;
  readonly relatedSourceId?: number;
  readonly flags?: number;
  readonly enabled?: number;
  readonly recordsToPreallocate?: number;
  readonly maxSectionsPerRecord?: number;
  readonly maxRawDataLength?: number;
  readonly errorStatusBlockLength?: number;
}

export interface GhesV2SourceOptions extends GhesSourceOptions {
  readonly readAckAddress: bigint | Gas;
  readonly readAckPreserve?: bigint;
  readonly readAckWrite?: bigint;
}

function gasOf(v: bigint | Gas): Gas {
  return typeof v === 'bigint' ? systemMemoryGas(v) : v;
}

/** A type 9 source with QEMU's defaults (related 0xFFFF, enabled, 1/1/1024/1024). */
export function ghesSource(options: GhesSourceOptions): HestGhes {
  const d = QEMU_GHES_DEFAULTS;
  return {
    type: 9,
    sourceId: options.sourceId,
    relatedSourceId: options.relatedSourceId ?? d.relatedSourceId,
    flags: options.flags ?? d.flags,
    enabled: options.enabled ?? d.enabled,
    recordsToPreallocate: options.recordsToPreallocate ?? d.recordsToPreallocate,
    maxSectionsPerRecord: options.maxSectionsPerRecord ?? d.maxSectionsPerRecord,
    maxRawDataLength: options.maxRawDataLength ?? d.maxRawDataLength,
    errorStatusAddress: gasOf(options.errorStatusAddress),
    notification:
      typeof options.notification === 'number'
        ? hestNotification(options.notification)
        : options.notification,
    errorStatusBlockLength: options.errorStatusBlockLength ?? d.errorStatusBlockLength,
  };
}

/** A type 10 source with QEMU's defaults (preserve 0xFFFFFFFFFFFFFFFE, write 1). */
export function ghesV2Source(options: GhesV2SourceOptions): HestGhesV2 {
  const { type: _type, ...v1 } = ghesSource(options);
  return {
    type: 10,
    ...v1,
    readAckRegister: gasOf(options.readAckAddress),
    readAckPreserve: options.readAckPreserve ?? QEMU_GHES_DEFAULTS.readAckPreserve,
    readAckWrite: options.readAckWrite ?? QEMU_GHES_DEFAULTS.readAckWrite,
  };
}
