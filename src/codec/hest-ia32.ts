// HEST IA-32 error sources (ACPI 6.5 §18.3.2.1–§18.3.2.3, §18.3.2.10): Machine Check Exception
// (type 0), Corrected Machine Check (type 1), NMI (type 2) and Deferred Machine Check (type 11),
// with the 28-byte Machine Check Bank structure (§18.3.2.1.1). Types 1 and 11 share a layout.
// Number Of Hardware Banks is computed from `banks` on encode; Linux sizes the entry with it
// (`hest_esrc_len`), so it is the only length in these structures.

import {
  type HestNotification,
  readHestNotification,
  writeHestNotification,
} from './hest-notification.js';
import { type ByteReader, readWhole } from './reader.js';
import { ByteWriter } from './writer.js';

export const HEST_MACHINE_CHECK_BANK_SIZE = 28;
/** Type 0 without banks. */
export const HEST_IA32_MACHINE_CHECK_SIZE = 40;
/** Types 1 and 11 without banks. */
export const HEST_IA32_CORRECTED_CHECK_SIZE = 48;
export const HEST_IA32_NMI_SIZE = 20;

/** Flags byte of types 0, 1, 6, 7, 8, 11 (ACPI 6.5 §18.3.2). */
export const HestSourceFlags = {
  FirmwareFirst: 1 << 0,
  Global: 1 << 1,
  GhesAssist: 1 << 2,
} as const;

/** Machine Check Bank Status Data Format. */
export const HestMachineCheckStatusFormat = {
  Ia32Mca: 0,
  Intel64Mca: 1,
  Amd64Mca: 2,
} as const;
export type HestMachineCheckStatusFormat =
  (typeof HestMachineCheckStatusFormat)[keyof typeof HestMachineCheckStatusFormat];

export interface HestMachineCheckBank {
  readonly bankNumber: number;
  readonly clearStatusOnInit: number;
  /** A `HestMachineCheckStatusFormat`, or any other u8. */
  readonly statusDataFormat: number;
  readonly reserved: number;
  readonly controlRegisterMsrAddress: number;
  readonly controlInitData: bigint;
  readonly statusRegisterMsrAddress: number;
  readonly addressRegisterMsrAddress: number;
  readonly miscRegisterMsrAddress: number;
}

/** Type 0, IA-32 Architecture Machine Check Exception: 40 + 28·banks bytes. */
export interface HestIa32MachineCheck {
  readonly type: 0;
  readonly sourceId: number;
  readonly reserved1: number;
  readonly flags: number;
  readonly enabled: number;
  readonly recordsToPreallocate: number;
  readonly maxSectionsPerRecord: number;
  readonly globalCapabilityInitData: bigint;
  readonly globalControlInitData: bigint;
  // Number Of Hardware Banks (u8), computed.
  /** 7 reserved bytes, kept as found. */
  readonly reserved2: Uint8Array;
  readonly banks: readonly HestMachineCheckBank[];
}

/**
 * Type 1, IA-32 Architecture Corrected Machine Check, or type 11, IA-32 Architecture Deferred
 * Machine Check (ACPI 6.2+): the same 48 + 28·banks byte layout.
 */
export interface HestIa32NotifiedCheck {
  readonly type: 1 | 11;
  readonly sourceId: number;
  readonly reserved1: number;
  readonly flags: number;
  readonly enabled: number;
  readonly recordsToPreallocate: number;
  readonly maxSectionsPerRecord: number;
  readonly notification: HestNotification;
  // Number Of Hardware Banks (u8), computed.
  /** 3 reserved bytes, kept as found. */
  readonly reserved2: Uint8Array;
  readonly banks: readonly HestMachineCheckBank[];
}
export type HestIa32CorrectedCheck = HestIa32NotifiedCheck & { readonly type: 1 };
export type HestIa32DeferredCheck = HestIa32NotifiedCheck & { readonly type: 11 };

/** Type 2, IA-32 Architecture NMI Error Source: 20 bytes. */
export interface HestIa32Nmi {
  readonly type: 2;
  readonly sourceId: number;
  readonly reserved: number;
  readonly recordsToPreallocate: number;
  readonly maxSectionsPerRecord: number;
  readonly maxRawDataLength: number;
}

export function readHestMachineCheckBank(r: ByteReader): HestMachineCheckBank {
  r.need(HEST_MACHINE_CHECK_BANK_SIZE, 'machine check bank');
  return {
    bankNumber: r.u8('bankNumber'),
    clearStatusOnInit: r.u8('clearStatusOnInit'),
    statusDataFormat: r.u8('statusDataFormat'),
    reserved: r.u8('reserved'),
    controlRegisterMsrAddress: r.u32('controlRegisterMsrAddress'),
    controlInitData: r.u64('controlInitData'),
    statusRegisterMsrAddress: r.u32('statusRegisterMsrAddress'),
    addressRegisterMsrAddress: r.u32('addressRegisterMsrAddress'),
    miscRegisterMsrAddress: r.u32('miscRegisterMsrAddress'),
  };
}

export function writeHestMachineCheckBank(w: ByteWriter, value: HestMachineCheckBank): void {
  w.u8(value.bankNumber, 'bankNumber');
  w.u8(value.clearStatusOnInit, 'clearStatusOnInit');
  w.u8(value.statusDataFormat, 'statusDataFormat');
  w.u8(value.reserved, 'reserved');
  w.u32(value.controlRegisterMsrAddress, 'controlRegisterMsrAddress');
  w.u64(value.controlInitData, 'controlInitData');
  w.u32(value.statusRegisterMsrAddress, 'statusRegisterMsrAddress');
  w.u32(value.addressRegisterMsrAddress, 'addressRegisterMsrAddress');
  w.u32(value.miscRegisterMsrAddress, 'miscRegisterMsrAddress');
}

function readType(r: ByteReader, allowed: readonly number[]): number {
  const at = r.offset;
  const type = r.u16('type');
  if (!allowed.includes(type))
    r.invalid('type', `is ${type}, expected ${allowed.join(' or ')}`, at);
  return type;
}

function readBanks(r: ByteReader, count: number): HestMachineCheckBank[] {
  // Checked against the bytes left before anything is allocated.
  r.need(count * HEST_MACHINE_CHECK_BANK_SIZE, 'banks');
  const banks: HestMachineCheckBank[] = [];
  for (let i = 0; i < count; i++) banks.push(readHestMachineCheckBank(r));
  return banks;
}

export function readHestIa32MachineCheck(r: ByteReader): HestIa32MachineCheck {
  r.need(HEST_IA32_MACHINE_CHECK_SIZE, 'IA-32 machine check source');
  readType(r, [0]);
  const sourceId = r.u16('sourceId');
  const reserved1 = r.u16('reserved1');
  const flags = r.u8('flags');
  const enabled = r.u8('enabled');
  const recordsToPreallocate = r.u32('recordsToPreallocate');
  const maxSectionsPerRecord = r.u32('maxSectionsPerRecord');
  const globalCapabilityInitData = r.u64('globalCapabilityInitData');
  const globalControlInitData = r.u64('globalControlInitData');
  const count = r.u8('numberOfHardwareBanks');
  const reserved2 = r.bytesCopy(7, 'reserved2');
  return {
    type: 0,
    sourceId,
    reserved1,
    flags,
    enabled,
    recordsToPreallocate,
    maxSectionsPerRecord,
    globalCapabilityInitData,
    globalControlInitData,
    reserved2,
    banks: readBanks(r, count),
  };
}

export function writeHestIa32MachineCheck(w: ByteWriter, value: HestIa32MachineCheck): void {
  w.u16(0, 'type');
  w.u16(value.sourceId, 'sourceId');
  w.u16(value.reserved1, 'reserved1');
  w.u8(value.flags, 'flags');
  w.u8(value.enabled, 'enabled');
  w.u32(value.recordsToPreallocate, 'recordsToPreallocate');
  w.u32(value.maxSectionsPerRecord, 'maxSectionsPerRecord');
  w.u64(value.globalCapabilityInitData, 'globalCapabilityInitData');
  w.u64(value.globalControlInitData, 'globalControlInitData');
  w.u8(value.banks.length, 'numberOfHardwareBanks');
  w.bytes(value.reserved2, 'reserved2', 7);
  for (const bank of value.banks) writeHestMachineCheckBank(w, bank);
}

export function readHestIa32NotifiedCheck(r: ByteReader): HestIa32NotifiedCheck {
  r.need(HEST_IA32_CORRECTED_CHECK_SIZE, 'IA-32 corrected/deferred machine check source');
  const type = readType(r, [1, 11]) as 1 | 11;
  const sourceId = r.u16('sourceId');
  const reserved1 = r.u16('reserved1');
  const flags = r.u8('flags');
  const enabled = r.u8('enabled');
  const recordsToPreallocate = r.u32('recordsToPreallocate');
  const maxSectionsPerRecord = r.u32('maxSectionsPerRecord');
  const notification = readHestNotification(r);
  const count = r.u8('numberOfHardwareBanks');
  const reserved2 = r.bytesCopy(3, 'reserved2');
  return {
    type,
    sourceId,
    reserved1,
    flags,
    enabled,
    recordsToPreallocate,
    maxSectionsPerRecord,
    notification,
    reserved2,
    banks: readBanks(r, count),
  };
}

export function writeHestIa32NotifiedCheck(w: ByteWriter, value: HestIa32NotifiedCheck): void {
  w.u16(value.type, 'type');
  w.u16(value.sourceId, 'sourceId');
  w.u16(value.reserved1, 'reserved1');
  w.u8(value.flags, 'flags');
  w.u8(value.enabled, 'enabled');
  w.u32(value.recordsToPreallocate, 'recordsToPreallocate');
  w.u32(value.maxSectionsPerRecord, 'maxSectionsPerRecord');
  writeHestNotification(w, value.notification);
  w.u8(value.banks.length, 'numberOfHardwareBanks');
  w.bytes(value.reserved2, 'reserved2', 3);
  for (const bank of value.banks) writeHestMachineCheckBank(w, bank);
}

export function readHestIa32Nmi(r: ByteReader): HestIa32Nmi {
  r.need(HEST_IA32_NMI_SIZE, 'IA-32 NMI source');
  readType(r, [2]);
  return {
    type: 2,
    sourceId: r.u16('sourceId'),
    reserved: r.u32('reserved'),
    recordsToPreallocate: r.u32('recordsToPreallocate'),
    maxSectionsPerRecord: r.u32('maxSectionsPerRecord'),
    maxRawDataLength: r.u32('maxRawDataLength'),
  };
}

export function writeHestIa32Nmi(w: ByteWriter, value: HestIa32Nmi): void {
  w.u16(2, 'type');
  w.u16(value.sourceId, 'sourceId');
  w.u32(value.reserved, 'reserved');
  w.u32(value.recordsToPreallocate, 'recordsToPreallocate');
  w.u32(value.maxSectionsPerRecord, 'maxSectionsPerRecord');
  w.u32(value.maxRawDataLength, 'maxRawDataLength');
}

export function decodeHestMachineCheckBank(bytes: Uint8Array): HestMachineCheckBank {
  return readWhole(bytes, 'machine check bank', readHestMachineCheckBank);
}
export function encodeHestMachineCheckBank(value: HestMachineCheckBank): Uint8Array {
  const w = new ByteWriter('machine check bank', HEST_MACHINE_CHECK_BANK_SIZE);
  writeHestMachineCheckBank(w, value);
  return w.toBytes();
}
export function decodeHestIa32MachineCheck(bytes: Uint8Array): HestIa32MachineCheck {
  return readWhole(bytes, 'HEST IA-32 machine check', readHestIa32MachineCheck);
}
export function encodeHestIa32MachineCheck(value: HestIa32MachineCheck): Uint8Array {
  const w = new ByteWriter('HEST IA-32 machine check');
  writeHestIa32MachineCheck(w, value);
  return w.toBytes();
}
export function decodeHestIa32NotifiedCheck(bytes: Uint8Array): HestIa32NotifiedCheck {
  return readWhole(bytes, 'HEST IA-32 corrected/deferred check', readHestIa32NotifiedCheck);
}
export function encodeHestIa32NotifiedCheck(value: HestIa32NotifiedCheck): Uint8Array {
  const w = new ByteWriter('HEST IA-32 corrected/deferred check');
  writeHestIa32NotifiedCheck(w, value);
  return w.toBytes();
}
export function decodeHestIa32Nmi(bytes: Uint8Array): HestIa32Nmi {
  return readWhole(bytes, 'HEST IA-32 NMI', readHestIa32Nmi);
}
export function encodeHestIa32Nmi(value: HestIa32Nmi): Uint8Array {
  const w = new ByteWriter('HEST IA-32 NMI', HEST_IA32_NMI_SIZE);
  writeHestIa32Nmi(w, value);
  return w.toBytes();
}
