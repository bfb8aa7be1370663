// Memory Error Section 2 (UEFI 2.10 Appendix N.2.6; EDK2 `EFI_PLATFORM_MEMORY2_ERROR_DATA`), 96
// bytes. GUID 61EC04FC-48E6-D813-25C9-8DAA44750B12 (not RFC 4122-shaped). Linux has no decoder for
// it and prints it as an unknown section (formats.md §6.1).

import { ByteReader } from '../reader.js';
import { registerSection, type SectionCodec } from '../section.js';
import { ByteWriter } from '../writer.js';

export const MEMORY2_SECTION_GUID = '61ec04fc-48e6-d813-25c9-8daa44750b12';
export const MEMORY_ERROR_SECTION2_SIZE = 96;

/** Validation bits (UEFI 2.10 N.2.6; libcper's memory2 bit names). */
export const Memory2Valid = {
  ErrorStatus: 0x1n,
  PhysicalAddress: 0x2n,
  PhysicalAddressMask: 0x4n,
  Node: 0x8n,
  Card: 0x10n,
  Module: 0x20n,
  Bank: 0x40n,
  Device: 0x80n,
  Row: 0x100n,
  Column: 0x200n,
  Rank: 0x400n,
  BitPosition: 0x800n,
  ChipId: 0x1000n,
  ErrorType: 0x2000n,
  Status: 0x4000n,
  RequestorId: 0x8000n,
  ResponderId: 0x10000n,
  TargetId: 0x20000n,
  CardHandle: 0x40000n,
  ModuleHandle: 0x80000n,
  BankGroup: 0x100000n,
  BankAddress: 0x200000n,
} as const;

export type MemoryErrorSection2 = {
  readonly kind: 'memory2';
  readonly validationBits: bigint;
  readonly errorStatus: bigint;
  readonly physicalAddress: bigint;
  readonly physicalAddressMask: bigint;
  readonly node: number;
  readonly card: number;
  readonly module: number;
  readonly bank: number;
  readonly device: number;
  readonly row: number;
  readonly column: number;
  readonly rank: number;
  readonly bitPosition: number;
  readonly chipId: number;
  /** Same codes as the Platform Memory section's Memory Error Type. */
  readonly errorType: number;
  /** The Status byte (UEFI N.2.6), kept as stored. */
  readonly status: number;
  readonly reserved: number;
  readonly requestorId: bigint;
  readonly responderId: bigint;
  readonly targetId: bigint;
  /** SMBIOS type 16 handle. */
  readonly cardHandle: number;
  /** SMBIOS type 17 handle. */
  readonly moduleHandle: number;
  /** Bytes after the 96-byte structure inside the section body. */
  readonly trailing?: Uint8Array;
};

const STRUCTURE = 'Memory Error Section 2';

export function readMemoryErrorSection2(r: ByteReader): MemoryErrorSection2 {
  r.need(MEMORY_ERROR_SECTION2_SIZE, 'memory error section 2');
  const s: { -readonly [K in keyof MemoryErrorSection2]: MemoryErrorSection2[K] } = {
    kind: 'memory2',
    validationBits: r.u64('validation bits'),
    errorStatus: r.u64('error status'),
    physicalAddress: r.u64('physical address'),
    physicalAddressMask: r.u64('physical address mask'),
    node: r.u16('node'),
    card: r.u16('card'),
    module: r.u16('module'),
    bank: r.u16('bank'),
    device: r.u32('device'),
    row: r.u32('row'),
    column: r.u32('column'),
    rank: r.u32('rank'),
    bitPosition: r.u32('bit position'),
    chipId: r.u8('chip id'),
    errorType: r.u8('memory error type'),
    status: r.u8('status'),
    reserved: r.u8('reserved'),
    requestorId: r.u64('requestor id'),
    responderId: r.u64('responder id'),
    targetId: r.u64('target id'),
    cardHandle: r.u32('card handle'),
    moduleHandle: r.u32('module handle'),
  };
  if (r.remaining !== 0) s.trailing = r.rest('trailing bytes');
  return s;
}

export function writeMemoryErrorSection2(w: ByteWriter, s: MemoryErrorSection2): void {
  w.u64(s.validationBits, 'validation bits');
  w.u64(s.errorStatus, 'error status');
  w.u64(s.physicalAddress, 'physical address');
  w.u64(s.physicalAddressMask, 'physical address mask');
  w.u16(s.node, 'node');
  w.u16(s.card, 'card');
  w.u16(s.module, 'module');
  w.u16(s.bank, 'bank');
  w.u32(s.device, 'device');
  w.u32(s.row, 'row');
  w.u32(s.column, 'column');
  w.u32(s.rank, 'rank');
  w.u32(s.bitPosition, 'bit position');
  w.u8(s.chipId, 'chip id');
  w.u8(s.errorType, 'memory error type');
  w.u8(s.status, 'status');
  w.u8(s.reserved, 'reserved');
  w.u64(s.requestorId, 'requestor id');
  w.u64(s.responderId, 'responder id');
  w.u64(s.targetId, 'target id');
  w.u32(s.cardHandle, 'card handle');
  w.u32(s.moduleHandle, 'module handle');
  if (s.trailing !== undefined) w.bytes(s.trailing, 'trailing bytes');
}

export function decodeMemoryErrorSection2(bytes: Uint8Array): MemoryErrorSection2 {
  return readMemoryErrorSection2(new ByteReader(bytes, STRUCTURE));
}

export function encodeMemoryErrorSection2(s: MemoryErrorSection2): Uint8Array {
  const w = new ByteWriter(STRUCTURE, MEMORY_ERROR_SECTION2_SIZE);
  writeMemoryErrorSection2(w, s);
  return w.toBytes();
}

export const memory2SectionCodec: SectionCodec<MemoryErrorSection2> = registerSection({
  kind: 'memory2',
  guid: MEMORY2_SECTION_GUID,
  linuxName: undefined,
  minLength: MEMORY_ERROR_SECTION2_SIZE,
  decode: readMemoryErrorSection2,
  encode: writeMemoryErrorSection2,
});
