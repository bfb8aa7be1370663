// Generic Error Status Block, GESB (ACPI 6.5 §18.3.2.7.1, Table 18.11; ACPICA
// `struct acpi_hest_generic_status`; formats.md §4.1): a 20-byte header, Data Length bytes of
// Generic Error Data Entries back to back, then Raw Data Length bytes of raw data at Raw Data
// Offset. What GHES firmware (or QEMU) writes into a source's error status block.
//
// Decoding keeps every byte of the record (Linux `cper_estatus_len`) losslessly: bytes inside
// Data Length that do not form a whole entry are `trailing`, bytes between the entries and the
// raw data are `gap`, and Raw Data Offset is kept as written (QEMU writes 0 when there is no raw
// data). The one layout that cannot be represented — raw data that overlaps the entries, which
// Linux also rejects ("Invalid CPER header") — is a CodecError.

import { CodecError, CodecErrorCode, hexOffset } from './errors.js';
import {
  GENERIC_ERROR_DATA_SIZE,
  type GenericErrorDataEntry,
  genericErrorDataHeaderSize,
  readGenericErrorData,
  writeGenericErrorData,
} from './generic-error-data.js';
import { ByteReader, type FieldTrace } from './reader.js';
import { CperSeverity } from './severity.js';
import { ByteWriter } from './writer.js';

export const GHES_STATUS_HEADER_SIZE = 20;

/** Block Status bits 3:0 (formats.md §4.1). */
export const BlockStatus = {
  UncorrectableValid: 0x1,
  CorrectableValid: 0x2,
  MultipleUncorrectable: 0x4,
  MultipleCorrectable: 0x8,
} as const;
export const BLOCK_STATUS_ENTRY_COUNT_SHIFT = 4;
/** Bits 13:4, ten bits (ACPI). ACPICA/Linux define only 8 (`0xFF << 4`). */
export const BLOCK_STATUS_ENTRY_COUNT_MASK = 0x3ff << BLOCK_STATUS_ENTRY_COUNT_SHIFT;
/** Bits 31:14. */
export const BLOCK_STATUS_RESERVED_MASK = 0xffffc000;

export interface BlockStatusFields {
  readonly uncorrectable: boolean;
  readonly correctable: boolean;
  readonly multipleUncorrectable: boolean;
  readonly multipleCorrectable: boolean;
  /** Error Data Entry Count, bits 13:4. */
  readonly entryCount: number;
  /** Bits 31:14 as they are in the field (not shifted). */
  readonly reserved: number;
}

export function decodeBlockStatus(value: number): BlockStatusFields {
  return {
    uncorrectable: (value & BlockStatus.UncorrectableValid) !== 0,
    correctable: (value & BlockStatus.CorrectableValid) !== 0,
    multipleUncorrectable: (value & BlockStatus.MultipleUncorrectable) !== 0,
    multipleCorrectable: (value & BlockStatus.MultipleCorrectable) !== 0,
    entryCount: blockStatusEntryCount(value),
    reserved: (value & BLOCK_STATUS_RESERVED_MASK) >>> 0,
  };
}

export function encodeBlockStatus(f: Partial<BlockStatusFields>): number {
  const count = f.entryCount ?? 0;
  if (!Number.isInteger(count) || count < 0 || count > 0x3ff) {
    throw new RangeError(`Cannot encode block status: entry count ${count} is not in 0..1023`);
  }
  const reserved = f.reserved ?? 0;
  if ((reserved & ~BLOCK_STATUS_RESERVED_MASK) !== 0) {
    throw new RangeError('Cannot encode block status: reserved has bits outside 31:14');
  }
  let v = (count << BLOCK_STATUS_ENTRY_COUNT_SHIFT) | reserved;
  if (f.uncorrectable) v |= BlockStatus.UncorrectableValid;
  if (f.correctable) v |= BlockStatus.CorrectableValid;
  if (f.multipleUncorrectable) v |= BlockStatus.MultipleUncorrectable;
  if (f.multipleCorrectable) v |= BlockStatus.MultipleCorrectable;
  return v >>> 0;
}

export function blockStatusEntryCount(value: number): number {
  return (value & BLOCK_STATUS_ENTRY_COUNT_MASK) >>> BLOCK_STATUS_ENTRY_COUNT_SHIFT;
}

/**
 * The Block Status a careful firmware writes: correctable-valid for a corrected or
 * informational record, uncorrectable-valid otherwise, and the entry count.
 */
export function blockStatusFor(errorSeverity: number, entryCount: number): number {
  const corrected =
    errorSeverity === CperSeverity.Corrected || errorSeverity === CperSeverity.Informational;
  return encodeBlockStatus({ uncorrectable: !corrected, correctable: corrected, entryCount });
}

/** The five header fields exactly as stored. */
export interface GhesStatusHeader {
  readonly blockStatus: number;
  readonly rawDataOffset: number;
  readonly rawDataLength: number;
  readonly dataLength: number;
  readonly errorSeverity: number;
}

/** Linux `cper_estatus_len()`: `raw_data_length ? raw_data_offset + raw_data_length : 20 + data_length`. */
export function cperEstatusLen(h: GhesStatusHeader): number {
  return h.rawDataLength !== 0
    ? h.rawDataOffset + h.rawDataLength
    : GHES_STATUS_HEADER_SIZE + h.dataLength;
}

const STRUCTURE = 'GHES status block';

export function readGhesStatusHeader(r: ByteReader): GhesStatusHeader {
  r.need(GHES_STATUS_HEADER_SIZE, 'status block header');
  return {
    blockStatus: r.u32('block status'),
    rawDataOffset: r.u32('raw data offset'),
    rawDataLength: r.u32('raw data length'),
    dataLength: r.u32('data length'),
    errorSeverity: r.u32('error severity'),
  };
}

/** Reads only the 20-byte header at `offset` of `bytes`. */
export function decodeGhesStatusHeader(bytes: Uint8Array, offset = 0): GhesStatusHeader {
  return readGhesStatusHeader(new ByteReader(bytes, STRUCTURE, offset));
}

export interface GhesStatusBlock {
  /** All 32 bits as stored; see `decodeBlockStatus`. Non-zero means "a record is present". */
  readonly blockStatus: number;
  /**
   * As stored. On encode: when omitted, `20 + data length + gap`; when given with raw data, it
   * must equal that value; without raw data any value is written as is (QEMU writes 0).
   */
  readonly rawDataOffset?: number;
  // Raw Data Length and Data Length: computed on encode.
  readonly errorSeverity: number;
  readonly entries: readonly GenericErrorDataEntry[];
  /** Bytes inside Data Length after the last whole entry (Linux rejects such a block). */
  readonly trailing?: Uint8Array;
  /** Bytes between the end of the entries and Raw Data Offset (only with raw data). */
  readonly gap?: Uint8Array;
  readonly rawData: Uint8Array;
}

export interface GhesStatusDecodeOptions {
  /** Collects every field read (absolute offsets), for annotated tables. */
  readonly trace?: FieldTrace[];
}

const EMPTY: Uint8Array = new Uint8Array(0);
const ENTRY_STRUCTURE = 'Generic Error Data Entry';

/**
 * Reads a status block at `r.offset`; only `cper_estatus_len` bytes are consumed, so `r` may
 * span a whole error status block region (e.g. QEMU's 1024 bytes).
 */
export function readGhesStatusBlock(r: ByteReader): GhesStatusBlock {
  const start = r.offset;
  const h = readGhesStatusHeader(r);
  const entriesEnd = GHES_STATUS_HEADER_SIZE + h.dataLength;
  if (h.rawDataLength !== 0 && h.rawDataOffset < entriesEnd) {
    r.lengthMismatch(
      'raw data offset',
      `${h.rawDataOffset} puts raw data inside the 20-byte header and ${h.dataLength} bytes of entries`,
      start + 4,
    );
  }
  // Every entry is checked to fit inside Data Length before it is read, each through its own
  // window (sub-readers share the parent's DataView, so they cost one small object).
  r.need(h.dataLength, 'data length');
  const dataEnd = r.offset + h.dataLength;
  const entries: GenericErrorDataEntry[] = [];
  const bytes = r.bytes;
  while (dataEnd - r.offset >= GENERIC_ERROR_DATA_SIZE) {
    const at = r.offset;
    const left = dataEnd - at;
    const revision = bytes[at + 20]! | (bytes[at + 21]! << 8);
    const headerSize = genericErrorDataHeaderSize(revision);
    if (left < headerSize) break;
    const errorDataLength =
      (bytes[at + 24]! |
        (bytes[at + 25]! << 8) |
        (bytes[at + 26]! << 16) |
        (bytes[at + 27]! << 24)) >>>
      0;
    if (errorDataLength > left - headerSize) break;
    entries.push(readGenericErrorData(r.sub(headerSize + errorDataLength, ENTRY_STRUCTURE)));
  }
  const trailing =
    r.offset === dataEnd ? undefined : r.bytesCopy(dataEnd - r.offset, 'trailing entry bytes');
  let gap: Uint8Array | undefined;
  let rawData: Uint8Array = EMPTY;
  if (h.rawDataLength !== 0) {
    const gapLength = h.rawDataOffset - entriesEnd;
    if (gapLength > 0) gap = r.bytesCopy(gapLength, 'bytes before raw data');
    rawData = r.bytesCopy(h.rawDataLength, 'raw data');
  }
  const block: { -readonly [K in keyof GhesStatusBlock]: GhesStatusBlock[K] } = {
    blockStatus: h.blockStatus,
    rawDataOffset: h.rawDataOffset,
    errorSeverity: h.errorSeverity,
    entries,
    rawData,
  };
  if (trailing !== undefined) block.trailing = trailing;
  if (gap !== undefined) block.gap = gap;
  return block;
}

/**
 * Decodes the status block at the start of `bytes` (which may be longer: a whole block region).
 * Throws CodecError when the record does not fit in `bytes` or its raw data overlaps its entries.
 */
export function decodeGhesStatusBlock(
  bytes: Uint8Array,
  options: GhesStatusDecodeOptions = {},
): GhesStatusBlock {
  return readGhesStatusBlock(new ByteReader(bytes, STRUCTURE, 0, bytes.length, options.trace));
}

export function writeGhesStatusBlock(w: ByteWriter, b: GhesStatusBlock): void {
  const start = w.offset;
  w.u32(b.blockStatus, 'block status');
  const rawOffsetAt = w.offset;
  w.u32(0, 'raw data offset');
  w.u32(b.rawData.length, 'raw data length');
  const dataLengthAt = w.offset;
  w.u32(0, 'data length');
  w.u32(b.errorSeverity, 'error severity');
  for (const e of b.entries) writeGenericErrorData(w, e);
  if (b.trailing !== undefined) w.bytes(b.trailing, 'trailing entry bytes');
  const dataLength = w.offset - start - GHES_STATUS_HEADER_SIZE;
  w.patchU32(dataLengthAt, dataLength, 'data length');
  const gapLength = b.gap?.length ?? 0;
  if (gapLength !== 0 && b.rawData.length === 0) {
    throw new CodecError(
      `Cannot encode ${STRUCTURE}: gap bytes need raw data after them (raw data length is 0)`,
      { code: CodecErrorCode.LengthMismatch, structure: STRUCTURE, field: 'gap', offset: w.offset },
    );
  }
  const computed = GHES_STATUS_HEADER_SIZE + dataLength + gapLength;
  let rawDataOffset = b.rawDataOffset ?? computed;
  if (b.rawData.length !== 0 && rawDataOffset !== computed) {
    throw new CodecError(
      `Cannot encode ${STRUCTURE}: raw data offset ${rawDataOffset} must be ${computed} (20 + data length ${dataLength} + gap ${gapLength}) at offset ${hexOffset(rawOffsetAt)}`,
      {
        code: CodecErrorCode.LengthMismatch,
        structure: STRUCTURE,
        field: 'raw data offset',
        offset: rawOffsetAt,
      },
    );
  }
  if (b.rawData.length === 0 && b.rawDataOffset === undefined) rawDataOffset = computed;
  w.patchU32(rawOffsetAt, rawDataOffset, 'raw data offset');
  if (b.gap !== undefined) w.bytes(b.gap, 'gap');
  w.bytes(b.rawData, 'raw data');
}

export function encodeGhesStatusBlock(b: GhesStatusBlock): Uint8Array {
  const w = new ByteWriter(STRUCTURE, 256);
  writeGhesStatusBlock(w, b);
  return w.toBytes();
}

/** Options for `ghesStatusBlock`. */
export interface GhesStatusBlockInit {
  readonly errorSeverity: number;
  readonly entries: readonly GenericErrorDataEntry[];
  /** Default: `blockStatusFor(errorSeverity, entries.length)`. */
  readonly blockStatus?: number;
  /** Default: computed (`20 + data length`). QEMU style is 0. */
  readonly rawDataOffset?: number;
  readonly rawData?: Uint8Array;
}

/** A status block with the usual defaults filled in. */
export function ghesStatusBlock(init: GhesStatusBlockInit): GhesStatusBlock {
  const block: GhesStatusBlock = {
    blockStatus: init.blockStatus ?? blockStatusFor(init.errorSeverity, init.entries.length),
    errorSeverity: init.errorSeverity,
    entries: init.entries,
    rawData: init.rawData ?? EMPTY,
  };
  return init.rawDataOffset === undefined ? block : { ...block, rawDataOffset: init.rawDataOffset };
}
