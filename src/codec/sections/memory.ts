// Platform Memory Error section (UEFI 2.10 Appendix N.2.5; Linux `struct cper_sec_mem_err`, 80
// bytes, and `struct cper_sec_mem_err_old`, the 73-byte UEFI 2.1/2.2 form that ends after the
// Memory Error Type). GUID A5BC1114-6F64-4EDE-B863-3E83ED7C83B1. Layout: formats.md §7.
//
// A body of 73..79 bytes decodes as the old form plus trailing bytes; 80 or more as the full form
// plus trailing bytes; shorter bodies stay opaque (Linux: "error section length is too small").

import { CodecError, CodecErrorCode } from '../errors.js';
import { hex } from '../hex.js';
import { ByteReader } from '../reader.js';
import {
  type LinuxFormatOptions,
  registerSection,
  type SectionCodec,
  type SectionPrintContext,
} from '../section.js';
import { ByteWriter } from '../writer.js';

export const MEMORY_SECTION_GUID = 'a5bc1114-6f64-4ede-b863-3e83ed7c83b1';
export const MEMORY_ERROR_SECTION_SIZE = 80;
/** UEFI 2.1/2.2 form: everything up to and including the Memory Error Type. */
export const MEMORY_ERROR_SECTION_OLD_SIZE = 73;

/** Validation bits (formats.md §7.2, Linux `CPER_MEM_VALID_*`). */
export const MemoryValid = {
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
  BitPosition: 0x400n,
  RequestorId: 0x800n,
  ResponderId: 0x1000n,
  TargetId: 0x2000n,
  ErrorType: 0x4000n,
  RankNumber: 0x8000n,
  CardHandle: 0x10000n,
  ModuleHandle: 0x20000n,
  RowExtension: 0x40000n,
  BankGroup: 0x80000n,
  BankAddress: 0x100000n,
  ChipId: 0x200000n,
} as const;
export type MemoryValidName = keyof typeof MemoryValid;

/** Memory Error Type, offset 72 (formats.md §7.4). */
export const MemoryErrorType = {
  Unknown: 0,
  NoError: 1,
  SingleBitEcc: 2,
  MultiBitEcc: 3,
  SingleSymbolChipkillEcc: 4,
  MultiSymbolChipkillEcc: 5,
  MasterAbort: 6,
  TargetAbort: 7,
  ParityError: 8,
  WatchdogTimeout: 9,
  InvalidAddress: 10,
  MirrorBroken: 11,
  MemorySparing: 12,
  ScrubCorrectedError: 13,
  ScrubUncorrectedError: 14,
  PhysicalMemoryMapOutEvent: 15,
} as const;
export type MemoryErrorType = (typeof MemoryErrorType)[keyof typeof MemoryErrorType];

const MEM_ERR_TYPE_STRS = [
  'unknown',
  'no error',
  'single-bit ECC',
  'multi-bit ECC',
  'single-symbol chipkill ECC',
  'multi-symbol chipkill ECC',
  'master abort',
  'target abort',
  'parity error',
  'watchdog timeout',
  'invalid address',
  'mirror Broken',
  'memory sparing',
  'scrub corrected error',
  'scrub uncorrected error',
  'physical memory map-out event',
] as const;

/** Linux `cper_mem_err_type_str()`. */
export function memoryErrorTypeName(type: number): string {
  return MEM_ERR_TYPE_STRS[type] ?? 'unknown';
}

const MEM_ERR_STATUS_STRS: Readonly<Record<number, string>> = {
  1: 'Error detected internal to the component',
  4: 'Storage error in DRAM memory',
  5: 'Storage error in TLB',
  6: 'Storage error in cache',
  7: 'Error in one or more functional units',
  8: 'Component failed self test',
  9: 'Overflow or undervalue of internal queue',
  16: 'Error detected in the bus',
  17: 'Virtual address not found on IO-TLB or IO-PDIR',
  18: 'Improper access error',
  19: 'Access to a memory address which is not mapped to any component',
  20: 'Loss of Lockstep',
  21: 'Response not associated with a request',
  22: 'Bus parity error - must also set the A, C, or D Bits',
  23: 'Detection of a protocol error',
  24: 'Detection of a PATH_ERROR',
  25: 'Bus operation timeout',
  26: 'A read was issued to data that has been poisoned',
};

/** Linux `cper_mem_err_status_str()`: the string for `(status >> 8) & 0xff`, else `Reserved`. */
export function memoryErrorStatusName(status: bigint): string {
  return MEM_ERR_STATUS_STRS[Number((status >> 8n) & 0xffn)] ?? 'Reserved';
}

/** The Error Status field (UEFI 2.10 Appendix N "Error Status", formats.md §7.3) taken apart. */
export interface MemoryErrorStatus {
  /** Bits 15:8. */
  readonly errorType: number;
  readonly address: boolean;
  readonly control: boolean;
  readonly data: boolean;
  readonly responder: boolean;
  readonly requester: boolean;
  readonly firstError: boolean;
  readonly overflow: boolean;
  /** Bits 7:0 and 63:23 as they are in the field. */
  readonly reserved: bigint;
}

const STATUS_RESERVED_MASK = 0xffn | (~((1n << 23n) - 1n) & ((1n << 64n) - 1n));

export function decodeMemoryErrorStatus(status: bigint): MemoryErrorStatus {
  const bit = (n: bigint): boolean => ((status >> n) & 1n) === 1n;
  return {
    errorType: Number((status >> 8n) & 0xffn),
    address: bit(16n),
    control: bit(17n),
    data: bit(18n),
    responder: bit(19n),
    requester: bit(20n),
    firstError: bit(21n),
    overflow: bit(22n),
    reserved: status & STATUS_RESERVED_MASK,
  };
}

export function encodeMemoryErrorStatus(s: Partial<MemoryErrorStatus>): bigint {
  const type = s.errorType ?? 0;
  if (!Number.isInteger(type) || type < 0 || type > 0xff) {
    throw new RangeError(`Cannot encode memory error status: error type ${type} is not a u8`);
  }
  const reserved = s.reserved ?? 0n;
  if ((reserved & ~STATUS_RESERVED_MASK) !== 0n) {
    throw new RangeError('Cannot encode memory error status: reserved has non-reserved bits');
  }
  let v = (BigInt(type) << 8n) | reserved;
  if (s.address) v |= 1n << 16n;
  if (s.control) v |= 1n << 17n;
  if (s.data) v |= 1n << 18n;
  if (s.responder) v |= 1n << 19n;
  if (s.requester) v |= 1n << 20n;
  if (s.firstError) v |= 1n << 21n;
  if (s.overflow) v |= 1n << 22n;
  return v;
}

/**
 * A Platform Memory Error section body. `extended`, `rankNumber`, `cardHandle` and
 * `moduleHandle` are present together (80-byte form) or absent together (73-byte form).
 */
export type MemoryErrorSection = {
  readonly kind: 'memory';
  readonly validationBits: bigint;
  readonly errorStatus: bigint;
  readonly physicalAddress: bigint;
  readonly physicalAddressMask: bigint;
  readonly node: number;
  readonly card: number;
  readonly module: number;
  /** Bank, or bank group (15:8) and bank address (7:0). */
  readonly bank: number;
  readonly device: number;
  /** Row bits 15:0 (bits 17:16 are in `extended` 1:0). */
  readonly row: number;
  readonly column: number;
  readonly bitPosition: number;
  readonly requestorId: bigint;
  readonly responderId: bigint;
  readonly targetId: bigint;
  readonly errorType: number;
  /** Bits 1:0 row bits 17:16, bits 7:5 chip identification, bits 4:2 reserved. */
  readonly extended?: number;
  readonly rankNumber?: number;
  /** SMBIOS type 16 handle. */
  readonly cardHandle?: number;
  /** SMBIOS type 17 handle. */
  readonly moduleHandle?: number;
  /** Bytes after the structure inside the section body, kept as they are. */
  readonly trailing?: Uint8Array;
};

/** A zeroed 80-byte section with `fields` applied. */
export function memoryErrorSection(fields: Partial<MemoryErrorSection> = {}): MemoryErrorSection {
  return {
    kind: 'memory',
    validationBits: 0n,
    errorStatus: 0n,
    physicalAddress: 0n,
    physicalAddressMask: 0n,
    node: 0,
    card: 0,
    module: 0,
    bank: 0,
    device: 0,
    row: 0,
    column: 0,
    bitPosition: 0,
    requestorId: 0n,
    responderId: 0n,
    targetId: 0n,
    errorType: 0,
    extended: 0,
    rankNumber: 0,
    cardHandle: 0,
    moduleHandle: 0,
    ...fields,
  };
}

const STRUCTURE = 'Platform Memory Error section';

export function readMemoryErrorSection(r: ByteReader): MemoryErrorSection {
  const length = r.remaining;
  r.need(MEMORY_ERROR_SECTION_OLD_SIZE, 'memory error section');
  // Built as one literal: object spread of bigint-holding objects is very slow in V8.
  const s: Mutable<MemoryErrorSection> = {
    kind: 'memory',
    validationBits: r.u64('validation bits'),
    errorStatus: r.u64('error status'),
    physicalAddress: r.u64('physical address'),
    physicalAddressMask: r.u64('physical address mask'),
    node: r.u16('node'),
    card: r.u16('card'),
    module: r.u16('module'),
    bank: r.u16('bank'),
    device: r.u16('device'),
    row: r.u16('row'),
    column: r.u16('column'),
    bitPosition: r.u16('bit position'),
    requestorId: r.u64('requestor id'),
    responderId: r.u64('responder id'),
    targetId: r.u64('target id'),
    errorType: r.u8('memory error type'),
  };
  if (length >= MEMORY_ERROR_SECTION_SIZE) {
    s.extended = r.u8('extended');
    s.rankNumber = r.u16('rank number');
    s.cardHandle = r.u16('card handle');
    s.moduleHandle = r.u16('module handle');
  }
  if (r.remaining !== 0) s.trailing = r.rest('trailing bytes');
  return s;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const FULL_FORM_FIELDS = ['extended', 'rankNumber', 'cardHandle', 'moduleHandle'] as const;

function isFullForm(s: MemoryErrorSection, offset: number): boolean {
  const absent = FULL_FORM_FIELDS.filter((f) => s[f] === undefined);
  if (absent.length !== 0 && absent.length !== FULL_FORM_FIELDS.length) {
    const present = FULL_FORM_FIELDS.filter((f) => s[f] !== undefined);
    throw new CodecError(
      `Cannot encode ${STRUCTURE}: ${absent.join(', ')} ${absent.length === 1 ? 'is' : 'are'} missing but ${present.join(', ')} ${present.length === 1 ? 'is' : 'are'} given: the 80-byte form needs all four, the 73-byte form none`,
      { code: CodecErrorCode.Invalid, structure: STRUCTURE, field: absent[0]!, offset },
    );
  }
  return absent.length === 0;
}

export function writeMemoryErrorSection(w: ByteWriter, s: MemoryErrorSection): void {
  const full = isFullForm(s, w.offset);
  w.u64(s.validationBits, 'validation bits');
  w.u64(s.errorStatus, 'error status');
  w.u64(s.physicalAddress, 'physical address');
  w.u64(s.physicalAddressMask, 'physical address mask');
  w.u16(s.node, 'node');
  w.u16(s.card, 'card');
  w.u16(s.module, 'module');
  w.u16(s.bank, 'bank');
  w.u16(s.device, 'device');
  w.u16(s.row, 'row');
  w.u16(s.column, 'column');
  w.u16(s.bitPosition, 'bit position');
  w.u64(s.requestorId, 'requestor id');
  w.u64(s.responderId, 'responder id');
  w.u64(s.targetId, 'target id');
  w.u8(s.errorType, 'memory error type');
  if (full) {
    w.u8(s.extended!, 'extended');
    w.u16(s.rankNumber!, 'rank number');
    w.u16(s.cardHandle!, 'card handle');
    w.u16(s.moduleHandle!, 'module handle');
  }
  if (s.trailing !== undefined) w.bytes(s.trailing, 'trailing bytes');
}

export function decodeMemoryErrorSection(bytes: Uint8Array): MemoryErrorSection {
  return readMemoryErrorSection(new ByteReader(bytes, STRUCTURE));
}

export function encodeMemoryErrorSection(s: MemoryErrorSection): Uint8Array {
  const w = new ByteWriter(STRUCTURE, MEMORY_ERROR_SECTION_SIZE);
  writeMemoryErrorSection(w, s);
  return w.toBytes();
}

/** Bytes of the section as Linux sees it in the 80-byte struct (missing tail read as 0). */
function linuxView(s: MemoryErrorSection): {
  extended: number;
  rank: number;
  moduleHandle: number;
  length: number;
} {
  if (s.extended !== undefined) {
    return {
      extended: s.extended,
      rank: s.rankNumber!,
      moduleHandle: s.moduleHandle!,
      length: MEMORY_ERROR_SECTION_SIZE + (s.trailing?.length ?? 0),
    };
  }
  // 74..79-byte bodies: Linux reads the 80-byte struct, so the tail comes from the trailing bytes;
  // anything beyond the body is not known here and is taken as 0.
  const t = s.trailing ?? new Uint8Array(0);
  const at = (i: number): number => t[i] ?? 0;
  return {
    extended: at(0),
    rank: at(1) | (at(2) << 8),
    moduleHandle: at(5) | (at(6) << 8),
    length: MEMORY_ERROR_SECTION_OLD_SIZE + t.length,
  };
}

/** Extra option for the memory printer: SMBIOS type 17 names by handle (`dmi_memdev_name`). */
export interface MemoryLinuxFormatOptions extends LinuxFormatOptions {
  readonly dmiMemoryDevices?: ReadonlyMap<
    number,
    { readonly bank: string; readonly device: string }
  >;
}

const has = (bits: bigint, mask: bigint): boolean => (bits & mask) !== 0n;
const h16 = (v: bigint): string => hex(v, 16);

/**
 * Lines Linux 6.1 `cper_print_mem()` prints for the body, each prefixed with `ctx.pfx`; the
 * firmware warning for a 73-byte body with bits ≥ 0x8000 has no prefix and ends the section.
 */
export function printMemoryErrorSectionLinux(
  s: MemoryErrorSection,
  ctx: SectionPrintContext,
): string[] {
  const pfx = ctx.pfx;
  const v = s.validationBits;
  const view = linuxView(s);
  const lines: string[] = [];
  if (
    view.length === MEMORY_ERROR_SECTION_OLD_SIZE &&
    (v & ~(MemoryValid.RankNumber - 1n)) !== 0n
  ) {
    return ['[Firmware Warn]: valid bits set for fields beyond structure'];
  }
  if (has(v, MemoryValid.ErrorStatus)) {
    lines.push(
      `${pfx} error_status: ${memoryErrorStatusName(s.errorStatus)} (${h16(s.errorStatus)})`,
    );
  }
  if (has(v, MemoryValid.PhysicalAddress)) {
    lines.push(`${pfx}physical_address: ${h16(s.physicalAddress)}`);
  }
  if (has(v, MemoryValid.PhysicalAddressMask)) {
    lines.push(`${pfx}physical_address_mask: ${h16(s.physicalAddressMask)}`);
  }
  let loc = '';
  if (has(v, MemoryValid.Node)) loc += `node:${s.node} `;
  if (has(v, MemoryValid.Card)) loc += `card:${s.card} `;
  if (has(v, MemoryValid.Module)) loc += `module:${s.module} `;
  if (has(v, MemoryValid.RankNumber)) loc += `rank:${view.rank} `;
  if (has(v, MemoryValid.Bank)) loc += `bank:${s.bank} `;
  if (has(v, MemoryValid.BankGroup)) loc += `bank_group:${s.bank >> 8} `;
  if (has(v, MemoryValid.BankAddress)) loc += `bank_address:${s.bank & 0xff} `;
  if (has(v, MemoryValid.Device)) loc += `device:${s.device} `;
  if (has(v, MemoryValid.Row | MemoryValid.RowExtension)) {
    // cper_get_mem_extension(): row bits 17:16 from extended 1:0 only when ROW_EXT is valid.
    const ext = has(v, MemoryValid.RowExtension) ? (view.extended & 0x3) << 16 : 0;
    loc += `row:${s.row | ext} `;
  }
  if (has(v, MemoryValid.Column)) loc += `column:${s.column} `;
  if (has(v, MemoryValid.BitPosition)) loc += `bit_position:${s.bitPosition} `;
  if (has(v, MemoryValid.RequestorId)) loc += `requestor_id:${h16(s.requestorId)} `;
  if (has(v, MemoryValid.ResponderId)) loc += `responder_id:${h16(s.responderId)} `;
  if (has(v, MemoryValid.TargetId)) loc += `target_id:${h16(s.targetId)} `;
  if (has(v, MemoryValid.ChipId)) loc += `chip_id:${view.extended >> 5} `;
  if (loc !== '') lines.push(`${pfx}${loc}`);
  if (has(v, MemoryValid.ErrorType)) {
    lines.push(`${pfx}error_type: ${s.errorType}, ${memoryErrorTypeName(s.errorType)}`);
  }
  if (has(v, MemoryValid.ModuleHandle)) {
    const names = (ctx.options as MemoryLinuxFormatOptions).dmiMemoryDevices?.get(
      view.moduleHandle,
    );
    lines.push(
      names === undefined
        ? `${pfx}DIMM location: not present. DMI handle: 0x${view.moduleHandle.toString(16).padStart(4, '0')} `
        : `${pfx}DIMM location: ${names.bank} ${names.device} `,
    );
  }
  return lines;
}

export const memorySectionCodec: SectionCodec<MemoryErrorSection> = registerSection({
  kind: 'memory',
  guid: MEMORY_SECTION_GUID,
  linuxName: 'memory error',
  minLength: MEMORY_ERROR_SECTION_OLD_SIZE,
  decode: readMemoryErrorSection,
  encode: writeMemoryErrorSection,
  printLinux: printMemoryErrorSectionLinux,
});
