// A CPER section with its own 72-byte section descriptor in front (UEFI 2.10 §N.2.2 Section
// Descriptor, then the §N.2.4+ section body): the single-section form libcper reads and writes,
// and what a Redfish LogEntry carries as `DiagnosticDataType: "CPERSection"`. There is no record
// header, so no record severity, timestamp or notification type: Redfish puts the notification
// type in the LogEntry's `CPER.NotificationType`. The descriptor's Section Offset is kept as
// written (libcper writes the body right after the descriptor and ignores it on read); Section
// Length says how many body bytes follow the descriptor.

import {
  CPER_RECORD_REVISION,
  CPER_SECTION_DESCRIPTOR_SIZE,
  type CperRecord,
  cperRecordToStatusBlock,
} from './cper-record.js';
import { ZERO_TIMESTAMP } from './cper-timestamp.js';
import { CodecError, CodecErrorCode } from './errors.js';
import { FRU_TEXT_SIZE } from './generic-error-data.js';
import type { GhesStatusBlock } from './generic-error-status.js';
import { type Guid, NIL_GUID } from './guid.js';
import { ByteReader } from './reader.js';
import { type SectionBody, sectionCodecFor } from './section.js';
import { decodeSectionBody, encodeSectionBody } from './sections/opaque.js';
import { ByteWriter } from './writer.js';

export const SECTION_WITH_DESCRIPTOR_STRUCTURE = 'section descriptor';

export interface CperSectionWithDescriptor {
  /** Section Offset as written; Section Length is computed from the body. */
  readonly sectionOffset: number;
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
}

/** Reads a descriptor and the Section Length bytes of body after it. */
export function readSectionWithDescriptor(r: ByteReader): CperSectionWithDescriptor {
  r.need(CPER_SECTION_DESCRIPTOR_SIZE, 'section descriptor');
  const sectionOffset = r.u32('section offset');
  const lengthAt = r.offset;
  const sectionLength = r.u32('section length');
  const revision = r.u16('section revision');
  const validationBits = r.u8('section validation bits');
  const reserved = r.u8('section reserved');
  const flags = r.u32('section flags');
  const sectionType = r.guid('section type');
  const fruId = r.guid('FRU id');
  const sectionSeverity = r.u32('section severity');
  const fruText = r.bytesCopy(FRU_TEXT_SIZE, 'FRU text');
  if (sectionLength > r.remaining) {
    r.lengthMismatch(
      'section length',
      `${sectionLength} runs past the ${r.remaining} bytes after the descriptor`,
      lengthAt,
    );
  }
  const body = decodeSectionBody(sectionType, r.sub(sectionLength, 'section body'));
  return {
    sectionOffset,
    revision,
    validationBits,
    reserved,
    flags,
    sectionType,
    fruId,
    sectionSeverity,
    fruText,
    body,
  };
}

/** Decodes the descriptor and body at the start of `bytes`; bytes after the body are refused. */
export function decodeSectionWithDescriptor(bytes: Uint8Array): CperSectionWithDescriptor {
  const r = new ByteReader(bytes, SECTION_WITH_DESCRIPTOR_STRUCTURE);
  const v = readSectionWithDescriptor(r);
  r.expectEnd();
  return v;
}

export function writeSectionWithDescriptor(w: ByteWriter, v: CperSectionWithDescriptor): void {
  w.u32(v.sectionOffset, 'section offset');
  const lengthAt = w.offset;
  w.u32(0, 'section length');
  w.u16(v.revision, 'section revision');
  w.u8(v.validationBits, 'section validation bits');
  w.u8(v.reserved, 'section reserved');
  w.u32(v.flags, 'section flags');
  w.guid(v.sectionType, 'section type');
  w.guid(v.fruId, 'FRU id');
  w.u32(v.sectionSeverity, 'section severity');
  w.bytes(v.fruText, 'FRU text', FRU_TEXT_SIZE);
  const bodyAt = w.offset;
  encodeSectionBody(w, v.sectionType, v.body);
  w.patchU32(lengthAt, w.offset - bodyAt, 'section length');
}

export function encodeSectionWithDescriptor(v: CperSectionWithDescriptor): Uint8Array {
  const w = new ByteWriter(SECTION_WITH_DESCRIPTOR_STRUCTURE, 256);
  writeSectionWithDescriptor(w, v);
  return w.toBytes();
}

/**
 * The one-section CPER record carrying this section: record severity = the section's, the
 * given notification type (Redfish's `CPER.NotificationType`, else nil), no timestamp.
 */
export function sectionWithDescriptorToRecord(
  v: CperSectionWithDescriptor,
  notificationType: Guid = NIL_GUID,
): CperRecord {
  return {
    revision: CPER_RECORD_REVISION,
    errorSeverity: v.sectionSeverity,
    validationBits: 0,
    timestamp: ZERO_TIMESTAMP,
    platformId: NIL_GUID,
    partitionId: NIL_GUID,
    creatorId: NIL_GUID,
    notificationType,
    recordId: 0n,
    flags: 0,
    persistenceInformation: 0n,
    reserved: new Uint8Array(12),
    sections: [
      {
        revision: v.revision,
        validationBits: v.validationBits,
        reserved: v.reserved,
        flags: v.flags,
        sectionType: v.sectionType,
        fruId: v.fruId,
        sectionSeverity: v.sectionSeverity,
        fruText: v.fruText,
        body: v.body,
      },
    ],
  };
}

/** The GHES status block a source would post for this section (one entry, same severity). */
export function sectionWithDescriptorToStatusBlock(v: CperSectionWithDescriptor): GhesStatusBlock {
  return cperRecordToStatusBlock(sectionWithDescriptorToRecord(v));
}

function u32(b: Uint8Array, o: number): number {
  return ((b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16)) + b[o + 3]! * 0x1000000) >>> 0;
}

function guidAt(b: Uint8Array, o: number): string {
  const h = (i: number) => b[o + i]!.toString(16).padStart(2, '0');
  const le = (idx: number[]) => idx.map(h).join('');
  return `${le([3, 2, 1, 0])}-${le([5, 4])}-${le([7, 6])}-${le([8, 9])}-${le([10, 11, 12, 13, 14, 15])}`;
}

export interface DescriptorShape {
  readonly ok: boolean;
  readonly reason: string;
  /** Descriptor plus Section Length, when the descriptor is readable. */
  readonly length?: number;
  readonly sectionType?: Guid;
}

/**
 * Whether `bytes` start with a plausible section descriptor: a section type vras has a codec
 * for at offset 16, a CPER severity (0–3) at 48, and a body of Section Length bytes that fits
 * the input (the revision is not checked: libcper's generator writes random ones). Never throws.
 */
export function sectionDescriptorShape(bytes: Uint8Array): DescriptorShape {
  if (bytes.length < CPER_SECTION_DESCRIPTOR_SIZE) {
    return { ok: false, reason: `${bytes.length} bytes: a section descriptor needs 72` };
  }
  const type = guidAt(bytes, 16);
  const sectionLength = u32(bytes, 4);
  const severity = u32(bytes, 48);
  const length = CPER_SECTION_DESCRIPTOR_SIZE + sectionLength;
  if (sectionCodecFor(type) === undefined) {
    return { ok: false, reason: `no known section type at offset 16 (${type})` };
  }
  if (severity > 3) {
    return { ok: false, reason: `section severity ${severity} at offset 48 is not 0–3` };
  }
  if (length > bytes.length) {
    return {
      ok: false,
      reason: `section length ${sectionLength} runs past the ${bytes.length} bytes of input`,
      length,
      sectionType: type,
    };
  }
  return {
    ok: true,
    reason: `a 72-byte section descriptor (section type ${type}, section length ${sectionLength}) and its body`,
    length,
    sectionType: type,
  };
}

/** A CodecError for a descriptor-form blob given where a bare section body was expected. */
export function descriptorInsteadOfBody(shape: DescriptorShape): CodecError {
  return new CodecError(
    `Cannot decode a bare section: the input starts with ${shape.reason}; use --as section-with-descriptor`,
    { code: CodecErrorCode.Invalid, structure: 'section', field: 'section type', offset: 16 },
  );
}
