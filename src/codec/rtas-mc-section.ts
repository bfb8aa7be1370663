// PowerPC RTAS extended log v6 "MC" (machine check) section, 40 bytes, big-endian (PAPR; QEMU
// hw/ppc/spapr_events.c `struct rtas_event_log_v6_mc`; Linux arch/powerpc/platforms/pseries/
// ras.c `struct pseries_mc_errorlog`; formats.md §14.4). The 8-byte section header (id 'MC',
// length, version, subtype, creator) is followed by FRU id, processor id, error type, sub error
// type, 6 reserved bytes, the effective address and the logical address.

import { CodecError, CodecErrorCode, hexOffset } from './errors.js';
import { hex } from './hex.js';
import { ByteReader } from './reader.js';
import { ByteWriter } from './writer.js';

export const RTAS_MC_SECTION_SIZE = 40;
/** Section id `MC` (0x4D43). */
export const RTAS_MC_SECTION_ID = 0x4d43;

const STRUCTURE = 'RTAS MC section';

/** MC error type (offset 16). QEMU writes 0, 1, 2, 4; Linux also knows 3, 5, 7, 8. */
export const RtasMcErrorType = {
  UE: 0,
  SLB: 1,
  ERAT: 2,
  Unknown: 3,
  TLB: 4,
  DCache: 5,
  ICache: 7,
  CtrlMemAccess: 8,
} as const;
export type RtasMcErrorType = (typeof RtasMcErrorType)[keyof typeof RtasMcErrorType];

/** UE sub-types (sub error type bits 2:0). */
export const RtasMcUeSubtype = {
  Indeterminate: 0,
  Ifetch: 1,
  PageTableWalkIfetch: 2,
  LoadStore: 3,
  PageTableWalkLoadStore: 4,
} as const;
/** SLB sub-types (bits 1:0). */
export const RtasMcSlbSubtype = { Parity: 0, Multihit: 1, Indeterminate: 2 } as const;
/** ERAT and TLB sub-types (bits 1:0). */
export const RtasMcEratTlbSubtype = { Parity: 1, Multihit: 2, Indeterminate: 3 } as const;

/** Sub error type flags. UE: 0x80 permanent, 0x40 EA provided, 0x20 logical address provided. */
export const RtasMcSubFlag = {
  UePermanent: 0x80,
  UeEffectiveAddressProvided: 0x40,
  UeLogicalAddressProvided: 0x20,
  /** SLB/ERAT/TLB: effective address provided. */
  EffectiveAddressProvided: 0x80,
} as const;

export interface RtasMcSection {
  // Section header: id (fixed 'MC') and length (computed) are not fields.
  readonly version: number;
  readonly subtype: number;
  readonly creatorId: number;
  readonly fruId: number;
  readonly processorId: number;
  readonly errorType: number;
  readonly subErrorType: number;
  /** 6 reserved bytes, kept as read. */
  readonly reserved: Uint8Array;
  readonly effectiveAddress: bigint;
  readonly logicalAddress: bigint;
}

const ERROR_TYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'UE',
  1: 'SLB',
  2: 'ERAT',
  3: 'unknown',
  4: 'TLB',
  5: 'D-cache',
  7: 'I-cache',
  8: 'control-memory access',
};

export function rtasMcErrorTypeName(type: number): string {
  return ERROR_TYPE_NAMES[type] ?? `reserved (${type})`;
}

const UE_SUB = [
  'indeterminate',
  'instruction fetch',
  'page-table-walk instruction fetch',
  'load/store',
  'page-table-walk load/store',
];
const SLB_SUB = ['parity', 'multihit', 'indeterminate'];
const ERAT_TLB_SUB = [undefined, 'parity', 'multihit', 'indeterminate'];

/** The sub-type bits of `subErrorType` for this error type (ras.c `rtas_mc_error_sub_type`). */
export function rtasMcSubtypeBits(errorType: number, subErrorType: number): number {
  switch (errorType) {
    case RtasMcErrorType.UE:
      return subErrorType & 0x07;
    case RtasMcErrorType.SLB:
    case RtasMcErrorType.ERAT:
    case RtasMcErrorType.TLB:
      return subErrorType & 0x03;
    case RtasMcErrorType.CtrlMemAccess:
      return (subErrorType & 0x70) >> 4;
    default:
      return 0;
  }
}

/** PAPR name of the sub-type, with the address-provided flags: `load/store, EA provided`. */
export function rtasMcSubtypeName(errorType: number, subErrorType: number): string {
  const bitsValue = rtasMcSubtypeBits(errorType, subErrorType);
  const flags: string[] = [];
  let name: string | undefined;
  if (errorType === RtasMcErrorType.UE) {
    name = UE_SUB[bitsValue];
    if (subErrorType & RtasMcSubFlag.UePermanent) flags.push('permanent');
    if (subErrorType & RtasMcSubFlag.UeEffectiveAddressProvided) flags.push('EA provided');
    if (subErrorType & RtasMcSubFlag.UeLogicalAddressProvided)
      flags.push('logical address provided');
  } else if (errorType === RtasMcErrorType.SLB) {
    name = SLB_SUB[bitsValue];
    if (subErrorType & RtasMcSubFlag.EffectiveAddressProvided) flags.push('EA provided');
  } else if (errorType === RtasMcErrorType.ERAT || errorType === RtasMcErrorType.TLB) {
    name = ERAT_TLB_SUB[bitsValue];
    if (subErrorType & RtasMcSubFlag.EffectiveAddressProvided) flags.push('EA provided');
  }
  return [name ?? `sub-type ${bitsValue}`, ...flags].join(', ');
}

/** Table meanings for the section's coded fields (for `annotate`). */
export function rtasMcSectionMeaning(field: string, value: unknown, errorType?: number): string {
  if (field === 'section id' && value === RTAS_MC_SECTION_ID) return "'MC'";
  if (field === 'error type' && typeof value === 'number') return rtasMcErrorTypeName(value);
  if (field === 'sub error type' && typeof value === 'number' && errorType !== undefined) {
    return rtasMcSubtypeName(errorType, value);
  }
  return '';
}

export function readRtasMcSection(r: ByteReader): RtasMcSection {
  const s = r.sub(RTAS_MC_SECTION_SIZE, STRUCTURE);
  const at = s.offset;
  const id = s.u16be('section id');
  if (id !== RTAS_MC_SECTION_ID) {
    s.invalid('section id', `is ${hex(id, 4)}, not 0x4d43 ('MC')`, at);
  }
  const lengthAt = s.offset;
  const length = s.u16be('section length');
  if (length !== RTAS_MC_SECTION_SIZE) {
    s.lengthMismatch('section length', `is ${length}, not ${RTAS_MC_SECTION_SIZE}`, lengthAt);
  }
  return {
    version: s.u8('section version'),
    subtype: s.u8('section subtype'),
    creatorId: s.u16be('creator component id'),
    fruId: s.u32be('FRU id'),
    processorId: s.u32be('processor id'),
    errorType: s.u8('error type'),
    subErrorType: s.u8('sub error type'),
    reserved: s.bytesCopy(6, 'reserved'),
    effectiveAddress: s.u64be('effective address'),
    logicalAddress: s.u64be('logical address'),
  };
}

export function writeRtasMcSection(w: ByteWriter, v: RtasMcSection): void {
  w.u16be(RTAS_MC_SECTION_ID, 'section id');
  w.u16be(RTAS_MC_SECTION_SIZE, 'section length');
  w.u8(v.version, 'section version');
  w.u8(v.subtype, 'section subtype');
  w.u16be(v.creatorId, 'creator component id');
  w.u32be(v.fruId, 'FRU id');
  w.u32be(v.processorId, 'processor id');
  w.u8(v.errorType, 'error type');
  w.u8(v.subErrorType, 'sub error type');
  w.bytes(v.reserved, 'reserved', 6);
  w.u64be(v.effectiveAddress, 'effective address');
  w.u64be(v.logicalAddress, 'logical address');
}

/** Decodes exactly one 40-byte MC section. */
export function decodeRtasMcSection(bytes: Uint8Array): RtasMcSection {
  const r = new ByteReader(bytes, STRUCTURE);
  const v = readRtasMcSection(r);
  if (r.remaining !== 0) {
    throw new CodecError(
      `Cannot decode ${STRUCTURE}: ${r.remaining} bytes follow the section at offset ${hexOffset(r.offset)}`,
      { code: CodecErrorCode.LengthMismatch, structure: STRUCTURE, offset: r.offset },
    );
  }
  return v;
}

export function encodeRtasMcSection(v: RtasMcSection): Uint8Array {
  const w = new ByteWriter(STRUCTURE, RTAS_MC_SECTION_SIZE);
  writeRtasMcSection(w, v);
  return w.toBytes();
}
