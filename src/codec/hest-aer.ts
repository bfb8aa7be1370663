// HEST PCI Express AER error sources (ACPI 6.5 §18.3.2.4–§18.3.2.6): Root Port (type 6,
// 48 bytes), Device (type 7, 44 bytes) and PCI Express/PCI-X Bridge (type 8, 56 bytes). The
// three share bytes 0–43 (ACPICA `struct acpi_hest_aer_common` after the type/id header);
// the root port adds Root Error Command, the bridge three secondary registers.

import { type ByteReader, readWhole } from './reader.js';
import { ByteWriter } from './writer.js';

export const HEST_AER_ROOT_PORT_SIZE = 48;
export const HEST_AER_DEVICE_SIZE = 44;
export const HEST_AER_BRIDGE_SIZE = 56;

/** Fields common to types 6, 7 and 8, in spec order. */
export interface HestAerCommon {
  readonly sourceId: number;
  readonly reserved1: number;
  /** `HestSourceFlags` bits (FirmwareFirst, Global). */
  readonly flags: number;
  readonly enabled: number;
  readonly recordsToPreallocate: number;
  readonly maxSectionsPerRecord: number;
  /** Bits 7:0 bus, bits 23:8 segment, bits 31:24 zero. */
  readonly bus: number;
  readonly device: number;
  readonly function: number;
  readonly deviceControl: number;
  readonly reserved2: number;
  readonly uncorrectableErrorMask: number;
  readonly uncorrectableErrorSeverity: number;
  readonly correctableErrorMask: number;
  readonly advancedErrorCapabilities: number;
}

export interface HestAerRootPort extends HestAerCommon {
  readonly type: 6;
  readonly rootErrorCommand: number;
}

export interface HestAerDevice extends HestAerCommon {
  readonly type: 7;
}

export interface HestAerBridge extends HestAerCommon {
  readonly type: 8;
  readonly secondaryUncorrectableErrorMask: number;
  readonly secondaryUncorrectableErrorSeverity: number;
  readonly secondaryAdvancedCapabilities: number;
}

export type HestAer = HestAerRootPort | HestAerDevice | HestAerBridge;

const SIZES = { 6: HEST_AER_ROOT_PORT_SIZE, 7: HEST_AER_DEVICE_SIZE, 8: HEST_AER_BRIDGE_SIZE };

function readCommon(r: ByteReader): HestAerCommon {
  return {
    sourceId: r.u16('sourceId'),
    reserved1: r.u16('reserved1'),
    flags: r.u8('flags'),
    enabled: r.u8('enabled'),
    recordsToPreallocate: r.u32('recordsToPreallocate'),
    maxSectionsPerRecord: r.u32('maxSectionsPerRecord'),
    bus: r.u32('bus'),
    device: r.u16('device'),
    function: r.u16('function'),
    deviceControl: r.u16('deviceControl'),
    reserved2: r.u16('reserved2'),
    uncorrectableErrorMask: r.u32('uncorrectableErrorMask'),
    uncorrectableErrorSeverity: r.u32('uncorrectableErrorSeverity'),
    correctableErrorMask: r.u32('correctableErrorMask'),
    advancedErrorCapabilities: r.u32('advancedErrorCapabilities'),
  };
}

/** Reads a type 6, 7 or 8 entry (the type field decides which). */
export function readHestAer(r: ByteReader): HestAer {
  r.need(2, 'type');
  const at = r.offset;
  // Peeked (not traced) so the size check can come before any field is read.
  const peek = r.bytes[at]! | (r.bytes[at + 1]! << 8);
  if (peek !== 6 && peek !== 7 && peek !== 8)
    r.invalid('type', `is ${peek}, expected 6, 7 or 8`, at);
  r.need(SIZES[peek], 'AER source');
  const type = r.u16('type') as 6 | 7 | 8;
  const common = readCommon(r);
  if (type === 6) return { type, ...common, rootErrorCommand: r.u32('rootErrorCommand') };
  if (type === 7) return { type, ...common };
  return {
    type,
    ...common,
    secondaryUncorrectableErrorMask: r.u32('secondaryUncorrectableErrorMask'),
    secondaryUncorrectableErrorSeverity: r.u32('secondaryUncorrectableErrorSeverity'),
    secondaryAdvancedCapabilities: r.u32('secondaryAdvancedCapabilities'),
  };
}

export function writeHestAer(w: ByteWriter, value: HestAer): void {
  w.u16(value.type, 'type');
  w.u16(value.sourceId, 'sourceId');
  w.u16(value.reserved1, 'reserved1');
  w.u8(value.flags, 'flags');
  w.u8(value.enabled, 'enabled');
  w.u32(value.recordsToPreallocate, 'recordsToPreallocate');
  w.u32(value.maxSectionsPerRecord, 'maxSectionsPerRecord');
  w.u32(value.bus, 'bus');
  w.u16(value.device, 'device');
  w.u16(value.function, 'function');
  w.u16(value.deviceControl, 'deviceControl');
  w.u16(value.reserved2, 'reserved2');
  w.u32(value.uncorrectableErrorMask, 'uncorrectableErrorMask');
  w.u32(value.uncorrectableErrorSeverity, 'uncorrectableErrorSeverity');
  w.u32(value.correctableErrorMask, 'correctableErrorMask');
  w.u32(value.advancedErrorCapabilities, 'advancedErrorCapabilities');
  if (value.type === 6) w.u32(value.rootErrorCommand, 'rootErrorCommand');
  if (value.type === 8) {
    w.u32(value.secondaryUncorrectableErrorMask, 'secondaryUncorrectableErrorMask');
    w.u32(value.secondaryUncorrectableErrorSeverity, 'secondaryUncorrectableErrorSeverity');
    w.u32(value.secondaryAdvancedCapabilities, 'secondaryAdvancedCapabilities');
  }
}

export function decodeHestAer(bytes: Uint8Array): HestAer {
  return readWhole(bytes, 'HEST AER source', readHestAer);
}

export function encodeHestAer(value: HestAer): Uint8Array {
  const w = new ByteWriter('HEST AER source', HEST_AER_BRIDGE_SIZE);
  writeHestAer(w, value);
  return w.toBytes();
}
