// UEFI CPER record (UEFI 2.10 Appendix N.2.1 record header, 128 bytes; N.2.2 section descriptor,
// 72 bytes; Linux `struct cper_record_header`, `struct cper_section_descriptor`; formats.md §5):
// the form used by ERST, BERT, EFI CPER variables and BMC/Redfish. A GHES status block carries
// the same sections without this header; `cperRecordToStatusBlock` / `statusBlockToCperRecord`
// convert between the two.
//
// Layout decision: section bodies must follow the descriptors in descriptor order without
// overlapping. Bytes between the descriptors and the first body, between bodies, and between the
// last body and Record Length are kept (`gapBefore`, `trailing`), so decode→encode is identical.
// Bodies out of order, overlapping, inside the header or descriptors, or beyond Record Length are
// a CodecError naming the descriptor.

import {
  type CperTimestamp,
  readCperTimestamp,
  writeCperTimestamp,
  ZERO_TIMESTAMP,
} from './cper-timestamp.js';
import { CodecError, CodecErrorCode } from './errors.js';
import {
  FRU_TEXT_SIZE,
  GENERIC_ERROR_DATA_REVISION_V300,
  type GenericErrorDataEntry,
  GenericErrorDataValid,
} from './generic-error-data.js';
import { blockStatusFor, type GhesStatusBlock } from './generic-error-status.js';
import { type Guid, NIL_GUID } from './guid.js';
import { ByteReader, type FieldTrace } from './reader.js';
import type { SectionBody } from './section.js';
import { decodeSectionBody, encodeSectionBody } from './sections/index.js';
import { ByteWriter } from './writer.js';

export const CPER_RECORD_HEADER_SIZE = 128;
export const CPER_SECTION_DESCRIPTOR_SIZE = 72;
/** `CPER` read as a little-endian u32. */
export const CPER_SIGNATURE = 0x52455043;
export const CPER_SIGNATURE_END = 0xffffffff;
/** Linux `CPER_RECORD_REV`. */
export const CPER_RECORD_REVISION = 0x0100;
/** Linux `CPER_SEC_REV`. */
export const CPER_SECTION_REVISION = 0x0100;

/** Record header validation bits. */
export const CperRecordValid = {
  PlatformId: 0x1,
  Timestamp: 0x2,
  PartitionId: 0x4,
} as const;

/** Record header flags. */
export const CperRecordFlag = {
  Recovered: 0x1,
  PreviousError: 0x2,
  Simulated: 0x4,
} as const;

/** Section descriptor validation bits. */
export const CperSectionValid = {
  FruId: 0x1,
  FruText: 0x2,
} as const;

/** Notification type GUIDs (formats.md §6.3). */
export const CperNotificationType = {
  Cmc: '2dce8bb1-bdd7-450e-b9ad-9cf4ebd4f890',
  Cpe: '4e292f96-d843-4a55-a8c2-d481f27ebeee',
  Mce: 'e8f56ffe-919c-4cc5-ba88-65abe14913bb',
  Pcie: 'cf93c01f-1a16-4dfc-b8bc-9c4daf67c104',
  Init: 'cc5263e8-9308-454a-89d0-340bd39bc98e',
  Nmi: '5bad89ff-b7e6-42c9-814a-cf2485d6e98a',
  Boot: '3d61a466-ab40-409a-a698-f362d464b38f',
  Dmar: '667dd791-c6b3-4c27-8a6b-0f8e722deb41',
  Sea: '9a78788a-bbe8-11e4-809e-67611e5d46b0',
  Sei: '5c284c81-b0ae-4e87-a322-b04c85624323',
  Pei: '09a9d5ac-5204-4214-96e5-94992e752bcd',
  CxlComponentEvent: '69293bc9-41df-49a3-b4bd-4fb0db3041f6',
} as const;

/** One section: its 72-byte descriptor (offset and length computed) and its body. */
export interface CperSection {
  // Section Offset, Section Length: computed on encode.
  readonly revision: number;
  readonly validationBits: number;
  readonly reserved: number;
  readonly flags: number;
  readonly sectionType: Guid;
  readonly fruId: Guid;
  readonly sectionSeverity: number;
  /** 20 raw bytes. */
  readonly fruText: Uint8Array;
  readonly body: SectionBody;
  /** Bytes before this body that belong to no section (after the previous body or descriptors). */
  readonly gapBefore?: Uint8Array;
}

export interface CperRecord {
  // Signature Start `CPER`: fixed.
  readonly revision: number;
  // Signature End 0xFFFFFFFF: fixed. Section Count: computed.
  readonly errorSeverity: number;
  readonly validationBits: number;
  // Record Length: computed.
  readonly timestamp: CperTimestamp;
  readonly platformId: Guid;
  readonly partitionId: Guid;
  readonly creatorId: Guid;
  readonly notificationType: Guid;
  readonly recordId: bigint;
  readonly flags: number;
  readonly persistenceInformation: bigint;
  /** 12 bytes. */
  readonly reserved: Uint8Array;
  readonly sections: readonly CperSection[];
  /** Bytes after the last body up to Record Length. */
  readonly trailing?: Uint8Array;
}

const STRUCTURE = 'CPER record';

interface Descriptor {
  readonly at: number;
  readonly sectionOffset: number;
  readonly sectionLength: number;
  readonly revision: number;
  readonly validationBits: number;
  readonly reserved: number;
  readonly flags: number;
  readonly sectionType: Guid;
  readonly fruId: Guid;
  readonly sectionSeverity: number;
  readonly fruText: Uint8Array;
}

function readDescriptor(r: ByteReader): Descriptor {
  const at = r.offset;
  return {
    at,
    sectionOffset: r.u32('section offset'),
    sectionLength: r.u32('section length'),
    revision: r.u16('section revision'),
    validationBits: r.u8('section validation bits'),
    reserved: r.u8('section reserved'),
    flags: r.u32('section flags'),
    sectionType: r.guid('section type'),
    fruId: r.guid('FRU id'),
    sectionSeverity: r.u32('section severity'),
    fruText: r.bytesCopy(FRU_TEXT_SIZE, 'FRU text'),
  };
}

/** Reads a record at `r.offset`; only Record Length bytes are consumed. */
export function readCperRecord(r: ByteReader): CperRecord {
  const start = r.offset;
  r.need(CPER_RECORD_HEADER_SIZE, 'record header');
  const signature = r.u32('signature start');
  if (signature !== CPER_SIGNATURE) r.invalid('signature start', 'is not "CPER"', start);
  const revision = r.u16('revision');
  const signatureEnd = r.u32('signature end');
  if (signatureEnd !== CPER_SIGNATURE_END) {
    r.invalid('signature end', `is 0x${signatureEnd.toString(16)}, not 0xffffffff`, start + 6);
  }
  const sectionCount = r.u16('section count');
  const errorSeverity = r.u32('error severity');
  const validationBits = r.u32('validation bits');
  const recordLengthAt = r.offset;
  const recordLength = r.u32('record length');
  const timestamp = readCperTimestamp(r);
  const platformId = r.guid('platform id');
  const partitionId = r.guid('partition id');
  const creatorId = r.guid('creator id');
  const notificationType = r.guid('notification type');
  const recordId = r.u64('record id');
  const flags = r.u32('flags');
  const persistenceInformation = r.u64('persistence information');
  const reserved = r.bytesCopy(12, 'reserved');
  const descriptorsEnd = CPER_RECORD_HEADER_SIZE + sectionCount * CPER_SECTION_DESCRIPTOR_SIZE;
  if (recordLength < descriptorsEnd) {
    r.lengthMismatch(
      'record length',
      `${recordLength} is less than the header and ${sectionCount} descriptors (${descriptorsEnd})`,
      recordLengthAt,
    );
  }
  r.need(recordLength - CPER_RECORD_HEADER_SIZE, 'record length');
  const end = start + recordLength;
  const descriptors: Descriptor[] = [];
  for (let i = 0; i < sectionCount; i++) descriptors.push(readDescriptor(r));
  const sections: CperSection[] = [];
  for (const d of descriptors) {
    const bodyStart = start + d.sectionOffset;
    if (bodyStart < r.offset) {
      r.invalid(
        'section offset',
        `${d.sectionOffset} points before the end of the previous section or the descriptors (${r.offset - start}); bodies must follow the descriptors in order`,
        d.at,
      );
    }
    if (d.sectionLength > end - bodyStart) {
      r.lengthMismatch(
        'section length',
        `${d.sectionLength} at section offset ${d.sectionOffset} runs past record length ${recordLength}`,
        d.at + 4,
      );
    }
    const gap =
      bodyStart > r.offset ? r.bytesCopy(bodyStart - r.offset, 'gap before section') : undefined;
    const body = decodeSectionBody(d.sectionType, r.sub(d.sectionLength, 'section body'));
    const s: { -readonly [K in keyof CperSection]: CperSection[K] } = {
      revision: d.revision,
      validationBits: d.validationBits,
      reserved: d.reserved,
      flags: d.flags,
      sectionType: d.sectionType,
      fruId: d.fruId,
      sectionSeverity: d.sectionSeverity,
      fruText: d.fruText,
      body,
    };
    if (gap !== undefined) s.gapBefore = gap;
    sections.push(s);
  }
  const record: { -readonly [K in keyof CperRecord]: CperRecord[K] } = {
    revision,
    errorSeverity,
    validationBits,
    timestamp,
    platformId,
    partitionId,
    creatorId,
    notificationType,
    recordId,
    flags,
    persistenceInformation,
    reserved,
    sections,
  };
  if (r.offset < end) record.trailing = r.bytesCopy(end - r.offset, 'trailing bytes');
  return record;
}

export interface CperRecordDecodeOptions {
  readonly trace?: FieldTrace[];
}

/** Decodes the record at the start of `bytes` (which may be longer). */
export function decodeCperRecord(
  bytes: Uint8Array,
  options: CperRecordDecodeOptions = {},
): CperRecord {
  return readCperRecord(new ByteReader(bytes, STRUCTURE, 0, bytes.length, options.trace));
}

export function writeCperRecord(w: ByteWriter, rec: CperRecord): void {
  const start = w.offset;
  w.u32(CPER_SIGNATURE, 'signature start');
  w.u16(rec.revision, 'revision');
  w.u32(CPER_SIGNATURE_END, 'signature end');
  w.u16(rec.sections.length, 'section count');
  w.u32(rec.errorSeverity, 'error severity');
  w.u32(rec.validationBits, 'validation bits');
  const recordLengthAt = w.offset;
  w.u32(0, 'record length');
  writeCperTimestamp(w, rec.timestamp);
  w.guid(rec.platformId, 'platform id');
  w.guid(rec.partitionId, 'partition id');
  w.guid(rec.creatorId, 'creator id');
  w.guid(rec.notificationType, 'notification type');
  w.u64(rec.recordId, 'record id');
  w.u32(rec.flags, 'flags');
  w.u64(rec.persistenceInformation, 'persistence information');
  w.bytes(rec.reserved, 'reserved', 12);
  const descriptorAt: number[] = [];
  for (const s of rec.sections) {
    descriptorAt.push(w.offset);
    w.u32(0, 'section offset');
    w.u32(0, 'section length');
    w.u16(s.revision, 'section revision');
    w.u8(s.validationBits, 'section validation bits');
    w.u8(s.reserved, 'section reserved');
    w.u32(s.flags, 'section flags');
    w.guid(s.sectionType, 'section type');
    w.guid(s.fruId, 'FRU id');
    w.u32(s.sectionSeverity, 'section severity');
    w.bytes(s.fruText, 'FRU text', FRU_TEXT_SIZE);
  }
  rec.sections.forEach((s, i) => {
    if (s.gapBefore !== undefined) w.bytes(s.gapBefore, 'gap before section');
    const bodyAt = w.offset;
    encodeSectionBody(w, s.sectionType, s.body);
    const at = descriptorAt[i]!;
    w.patchU32(at, bodyAt - start, 'section offset');
    w.patchU32(at + 4, w.offset - bodyAt, 'section length');
  });
  if (rec.trailing !== undefined) w.bytes(rec.trailing, 'trailing bytes');
  w.patchU32(recordLengthAt, w.offset - start, 'record length');
}

export function encodeCperRecord(rec: CperRecord): Uint8Array {
  const w = new ByteWriter(STRUCTURE, 512);
  writeCperRecord(w, rec);
  return w.toBytes();
}

export interface StatusBlockToCperOptions {
  readonly recordId?: bigint;
  readonly notificationType?: Guid;
  readonly creatorId?: Guid;
  readonly platformId?: Guid;
  readonly partitionId?: Guid;
  /** Record timestamp; default: the first entry's valid timestamp, else none (bit clear). */
  readonly timestamp?: CperTimestamp;
  readonly flags?: number;
}

/**
 * The CPER record carrying the same sections as `block`: header severity = the block's, one
 * descriptor per entry (revision 0x0100; FRU id/text valid bits, flags, severity, FRU fields
 * copied), bodies as they are. Block Status and GEDE revisions have no place in a record. Raw
 * data, trailing or gap bytes cannot be carried and are a CodecError.
 */
export function statusBlockToCperRecord(
  block: GhesStatusBlock,
  options: StatusBlockToCperOptions = {},
): CperRecord {
  const lossy =
    block.rawData.length !== 0
      ? 'raw data'
      : block.trailing !== undefined
        ? 'trailing entry bytes'
        : block.gap !== undefined
          ? 'gap bytes'
          : undefined;
  if (lossy !== undefined) {
    throw new CodecError(
      `Cannot convert GHES status block to a CPER record: ${lossy} has no place in a record`,
      {
        code: CodecErrorCode.Invalid,
        structure: STRUCTURE,
        field: lossy,
      },
    );
  }
  let timestamp = options.timestamp;
  if (timestamp === undefined) {
    const stamped = block.entries.find(
      (e) =>
        e.timestamp !== undefined && (e.validationBits & GenericErrorDataValid.Timestamp) !== 0,
    );
    timestamp = stamped?.timestamp;
  }
  let validationBits = timestamp === undefined ? 0 : CperRecordValid.Timestamp;
  if (options.platformId !== undefined) validationBits |= CperRecordValid.PlatformId;
  if (options.partitionId !== undefined) validationBits |= CperRecordValid.PartitionId;
  return {
    revision: CPER_RECORD_REVISION,
    errorSeverity: block.errorSeverity,
    validationBits,
    timestamp: timestamp ?? ZERO_TIMESTAMP,
    platformId: options.platformId ?? NIL_GUID,
    partitionId: options.partitionId ?? NIL_GUID,
    creatorId: options.creatorId ?? NIL_GUID,
    notificationType: options.notificationType ?? NIL_GUID,
    recordId: options.recordId ?? 0n,
    flags: options.flags ?? 0,
    persistenceInformation: 0n,
    reserved: new Uint8Array(12),
    sections: block.entries.map((e) => ({
      revision: CPER_SECTION_REVISION,
      validationBits: e.validationBits & (CperSectionValid.FruId | CperSectionValid.FruText),
      reserved: 0,
      flags: e.flags,
      sectionType: e.sectionType,
      fruId: e.fruId,
      sectionSeverity: e.errorSeverity,
      fruText: e.fruText,
      body: e.body,
    })),
  };
}

export interface CperToStatusBlockOptions {
  /** Default: `blockStatusFor(errorSeverity, section count)`. */
  readonly blockStatus?: number;
  /** GEDE revision; default 0x0300 (72-byte header, as QEMU writes). */
  readonly entryRevision?: number;
  /** Raw Data Offset to write; default computed (20 + data length). QEMU writes 0. */
  readonly rawDataOffset?: number;
}

/**
 * The GHES status block carrying the same sections as `record`: top-level severity = the
 * record's, one GEDE per section (FRU id/text valid bits, flags, severity, FRU fields copied; with
 * a 72-byte header the record timestamp is copied and marked valid when the record's is).
 * Descriptor flags must fit the GEDE's one byte; the record's IDs, record id and gaps are not
 * carried.
 */
export function cperRecordToStatusBlock(
  record: CperRecord,
  options: CperToStatusBlockOptions = {},
): GhesStatusBlock {
  if (options.blockStatus === undefined && record.sections.length > 0x3ff) {
    throw new CodecError(
      `Cannot convert CPER record to a GHES status block: its ${record.sections.length} sections exceed the 1023 entries block_status can count (bits 13:4)`,
      { code: CodecErrorCode.OutOfRange, structure: STRUCTURE, field: 'section_count', offset: 10 },
    );
  }
  const revision = options.entryRevision ?? GENERIC_ERROR_DATA_REVISION_V300;
  const v3 = revision >> 8 >= 3;
  const timestampValid = (record.validationBits & CperRecordValid.Timestamp) !== 0;
  const entries = record.sections.map((s, i): GenericErrorDataEntry => {
    if (s.flags > 0xff) {
      throw new CodecError(
        `Cannot convert CPER record to a GHES status block: section ${i} flags 0x${s.flags.toString(16)} do not fit the entry's one-byte flags`,
        { code: CodecErrorCode.OutOfRange, structure: STRUCTURE, field: 'section flags' },
      );
    }
    let validationBits = s.validationBits & (CperSectionValid.FruId | CperSectionValid.FruText);
    const head = {
      sectionType: s.sectionType,
      errorSeverity: s.sectionSeverity,
      revision,
      flags: s.flags,
      fruId: s.fruId,
      fruText: s.fruText,
    };
    if (!v3) return { ...head, validationBits, body: s.body };
    if (timestampValid) validationBits |= GenericErrorDataValid.Timestamp;
    return {
      ...head,
      validationBits,
      timestamp: timestampValid ? record.timestamp : ZERO_TIMESTAMP,
      body: s.body,
    };
  });
  const block: GhesStatusBlock = {
    blockStatus: options.blockStatus ?? blockStatusFor(record.errorSeverity, entries.length),
    errorSeverity: record.errorSeverity,
    entries,
    rawData: new Uint8Array(0),
  };
  return options.rawDataOffset === undefined
    ? block
    : { ...block, rawDataOffset: options.rawDataOffset };
}

/** Offset of the first byte after the descriptors, for callers laying out records by hand. */
export function cperDescriptorsEnd(sectionCount: number): number {
  return CPER_RECORD_HEADER_SIZE + sectionCount * CPER_SECTION_DESCRIPTOR_SIZE;
}
