// Generic Error Data Entry, GEDE (ACPI 6.5 §18.3.2.7.1, Table 18.12; ACPICA
// `struct acpi_hest_generic_data` / `acpi_hest_generic_data_v300`; formats.md §4.2). A 64-byte
// header, or 72 bytes when `revision >> 8 >= 3` (ACPI 6.1+: adds the timestamp), then
// Error Data Length bytes of section body.

import {
  type CperTimestamp,
  readCperTimestamp,
  writeCperTimestamp,
  ZERO_TIMESTAMP,
} from './cper-timestamp.js';
import { CodecError, CodecErrorCode } from './errors.js';
import { type Guid, guidBytes, guidFromBytes, isGuid, NIL_GUID } from './guid.js';
import { ByteReader, type FieldTrace } from './reader.js';
import { type SectionBody, sectionCodecFor } from './section.js';
import { decodeSectionBody, encodeSectionBody } from './sections/index.js';
import { ByteWriter } from './writer.js';

/** Header size without the timestamp (revision < 0x300). */
export const GENERIC_ERROR_DATA_SIZE = 64;
/** Header size with the timestamp (revision >= 0x300). */
export const GENERIC_ERROR_DATA_V300_SIZE = 72;
/** The revision QEMU writes (ACPI 6.1+ form). */
export const GENERIC_ERROR_DATA_REVISION_V300 = 0x0300;
export const FRU_TEXT_SIZE = 20;

/** GEDE validation bits (byte 22). */
export const GenericErrorDataValid = {
  FruId: 0x01,
  FruText: 0x02,
  /** Only meaningful in the 72-byte form. */
  Timestamp: 0x04,
} as const;

/** Section flags (low byte of the CPER section descriptor flags, formats.md §5.2). */
export const SectionFlag = {
  Primary: 0x01,
  ContainmentWarning: 0x02,
  Reset: 0x04,
  ErrorThresholdExceeded: 0x08,
  ResourceNotAccessible: 0x10,
  LatentError: 0x20,
  Propagated: 0x40,
  Overflow: 0x80,
} as const;

export interface GenericErrorDataEntry {
  readonly sectionType: Guid;
  readonly errorSeverity: number;
  /** Major version in the high byte; `>> 8 >= 3` selects the 72-byte header. */
  readonly revision: number;
  readonly validationBits: number;
  readonly flags: number;
  // Error Data Length: computed from the body on encode.
  readonly fruId: Guid;
  /** 20 raw bytes, not necessarily NUL-terminated. */
  readonly fruText: Uint8Array;
  /** Present exactly when `revision >> 8 >= 3`. */
  readonly timestamp?: CperTimestamp;
  readonly body: SectionBody;
}

/** Header size for a revision: 72 when `revision >> 8 >= 3` (Linux `acpi_hest_get_version`). */
export function genericErrorDataHeaderSize(revision: number): number {
  return revision >> 8 >= 3 ? GENERIC_ERROR_DATA_V300_SIZE : GENERIC_ERROR_DATA_SIZE;
}

const STRUCTURE = 'Generic Error Data Entry';

/** Last GUID decoded in one field: records repeat their GUIDs, and GUID text costs ~250 ns. */
interface GuidCache {
  readonly bytes: Uint8Array;
  text: Guid;
}
const SECTION_TYPE_CACHE: GuidCache = { bytes: new Uint8Array(16), text: NIL_GUID };
const FRU_ID_CACHE: GuidCache = { bytes: new Uint8Array(16), text: NIL_GUID };

function readGuidCached(r: ByteReader, field: string, cache: GuidCache): Guid {
  if (r.trace !== undefined) return r.guid(field);
  r.need(16, field);
  const b = r.bytes;
  const o = r.offset;
  const c = cache.bytes;
  let same = true;
  for (let i = 0; i < 16; i++) {
    if (b[o + i] !== c[i]) {
      same = false;
      break;
    }
  }
  if (!same) {
    cache.text = guidFromBytes(b, o);
    c.set(b.subarray(o, o + 16));
  }
  r.offset = o + 16;
  return cache.text;
}

/** Name of a section body's structure in errors and tables: `memory section`, `arm section`. */
function sectionStructure(guid: Guid): string {
  const codec = sectionCodecFor(guid);
  return codec === undefined ? 'section body' : `${codec.kind} section`;
}

/**
 * Reads one entry; `r` must hold the whole entry (header and body) from its offset. The body is
 * decoded through the section registry and stays opaque when its codec does not take it.
 */
export function readGenericErrorData(r: ByteReader): GenericErrorDataEntry {
  const start = r.offset;
  r.need(GENERIC_ERROR_DATA_SIZE, 'generic error data entry');
  const sectionType = readGuidCached(r, 'section type', SECTION_TYPE_CACHE);
  const errorSeverity = r.u32('error severity');
  const revision = r.u16('revision');
  const validationBits = r.u8('validation bits');
  const flags = r.u8('flags');
  const lengthAt = r.offset;
  const errorDataLength = r.u32('error data length');
  const fruId = readGuidCached(r, 'FRU id', FRU_ID_CACHE);
  const fruText = r.bytesCopy(FRU_TEXT_SIZE, 'FRU text');
  let timestamp: CperTimestamp | undefined;
  if (revision >> 8 >= 3) timestamp = readCperTimestamp(r);
  if (errorDataLength > r.remaining) {
    throw new CodecError(
      `Cannot decode ${STRUCTURE}: error data length ${errorDataLength} at offset 0x${lengthAt.toString(16)} exceeds the ${r.remaining} bytes that remain (entry at 0x${start.toString(16)})`,
      {
        code: CodecErrorCode.LengthMismatch,
        structure: STRUCTURE,
        field: 'error data length',
        offset: lengthAt,
      },
    );
  }
  const body = decodeSectionBody(
    sectionType,
    r.sub(errorDataLength, sectionStructure(sectionType)),
  );
  if (timestamp === undefined) {
    return { sectionType, errorSeverity, revision, validationBits, flags, fruId, fruText, body };
  }
  return {
    sectionType,
    errorSeverity,
    revision,
    validationBits,
    flags,
    fruId,
    fruText,
    timestamp,
    body,
  };
}

/** Wire bytes of GUIDs already written (parsing GUID text costs microseconds); bounded. */
const GUID_BYTES = new Map<Guid, Uint8Array>();

function writeGuidCached(w: ByteWriter, guid: Guid, field: string): void {
  let bytes = GUID_BYTES.get(guid);
  if (bytes === undefined) {
    if (!isGuid(guid)) {
      w.guid(guid, field); // throws the writer's CodecError for bad text
      return;
    }
    bytes = guidBytes(guid);
    if (GUID_BYTES.size >= 256) GUID_BYTES.clear();
    GUID_BYTES.set(guid, bytes);
  }
  w.bytes(bytes, field);
}

export function writeGenericErrorData(w: ByteWriter, e: GenericErrorDataEntry): void {
  const v3 = e.revision >> 8 >= 3;
  if (v3 !== (e.timestamp !== undefined)) {
    throw new CodecError(
      v3
        ? `Cannot encode ${STRUCTURE}: timestamp is missing: revision 0x${e.revision.toString(16)} has one (72-byte form)`
        : `Cannot encode ${STRUCTURE}: revision 0x${e.revision.toString(16)} has no timestamp field (64-byte form)`,
      { code: CodecErrorCode.Invalid, structure: STRUCTURE, field: 'timestamp', offset: w.offset },
    );
  }
  writeGuidCached(w, e.sectionType, 'section type');
  w.u32(e.errorSeverity, 'error severity');
  w.u16(e.revision, 'revision');
  w.u8(e.validationBits, 'validation bits');
  w.u8(e.flags, 'flags');
  const lengthAt = w.offset;
  w.u32(0, 'error data length');
  writeGuidCached(w, e.fruId, 'FRU id');
  w.bytes(e.fruText, 'FRU text', FRU_TEXT_SIZE);
  if (e.timestamp !== undefined) writeCperTimestamp(w, e.timestamp);
  const bodyAt = w.offset;
  encodeSectionBody(w, e.sectionType, e.body);
  w.patchU32(lengthAt, w.offset - bodyAt, 'error data length');
}

export interface DecodeOptions {
  /** Collects every field read (absolute offsets), for annotated tables. */
  readonly trace?: FieldTrace[];
}

/** Decodes one entry that fills `bytes` exactly. */
export function decodeGenericErrorData(
  bytes: Uint8Array,
  options: DecodeOptions = {},
): GenericErrorDataEntry {
  const r = new ByteReader(bytes, STRUCTURE, 0, bytes.length, options.trace);
  const e = readGenericErrorData(r);
  if (r.remaining !== 0) {
    r.lengthMismatch('error data length', `leaves ${r.remaining} bytes after the entry`);
  }
  return e;
}

export function encodeGenericErrorData(e: GenericErrorDataEntry): Uint8Array {
  const w = new ByteWriter(STRUCTURE, 160);
  writeGenericErrorData(w, e);
  return w.toBytes();
}

/** Size on the wire: header + body. */
export function genericErrorDataSize(e: GenericErrorDataEntry): number {
  return encodeGenericErrorData(e).length;
}

/**
 * An entry with QEMU's defaults (revision 0x0300, zero FRU id/text, zero timestamp, no
 * validation bits or flags) and `fields` applied.
 */
export function genericErrorDataEntry(
  sectionType: Guid,
  body: SectionBody,
  fields: Partial<Omit<GenericErrorDataEntry, 'sectionType' | 'body'>> = {},
): GenericErrorDataEntry {
  const revision = fields.revision ?? GENERIC_ERROR_DATA_REVISION_V300;
  const base = {
    sectionType,
    errorSeverity: fields.errorSeverity ?? 0,
    revision,
    validationBits: fields.validationBits ?? 0,
    flags: fields.flags ?? 0,
    fruId: fields.fruId ?? NIL_GUID,
    fruText: fields.fruText ?? new Uint8Array(FRU_TEXT_SIZE),
    body,
  };
  if (revision >> 8 < 3) return base;
  return {
    ...base,
    timestamp: fields.timestamp ?? ZERO_TIMESTAMP,
  };
}
