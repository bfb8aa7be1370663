// Section bodies that stay as bytes, and the dispatch from a section type GUID to its registered
// codec (src/codec/section.ts). Used by both containers: the GHES Generic Error Data Entry
// (ACPI 6.5 §18.3.2.7.1) and the CPER record (UEFI 2.10 Appendix N.2.2).
//
// Lossless rule: decodeSectionBody(guid, r) then encodeSectionBody gives back the bytes exactly.
// A body that is too short for its codec, whose codec refuses it, or whose codec leaves bytes
// unread, stays opaque with the reason kept; nothing here throws past the container except a
// read beyond the body's own window.

import { CodecError, CodecErrorCode } from '../errors.js';
import type { Guid } from '../guid.js';
import { ByteReader } from '../reader.js';
import {
  type OpaqueSection,
  type SectionBody,
  type SectionCodec,
  sectionCodecByKind,
  sectionCodecFor,
} from '../section.js';
import type { ByteWriter } from '../writer.js';

export const OpaqueReason = {
  UnknownType: 'unknown section type',
  TooShort: 'too short',
} as const;

export function opaqueSection(bytes: Uint8Array, reason: string): OpaqueSection {
  return { kind: 'opaque', bytes, reason };
}

export function isOpaqueSection(body: SectionBody): body is OpaqueSection {
  return body.kind === 'opaque';
}

/**
 * Decodes the whole window of `r` as the body of a section of type `guid`. The reader advances
 * to its end whatever happens.
 */
export function decodeSectionBody(guid: Guid, r: ByteReader): SectionBody {
  const start = r.offset;
  const length = r.end - start;
  const codec = sectionCodecFor(guid);
  if (codec === undefined) return opaqueSection(r.rest('section body'), OpaqueReason.UnknownType);
  if (length < codec.minLength) {
    return opaqueSection(
      r.rest('section body'),
      `${OpaqueReason.TooShort}: ${length} bytes, ${codec.kind} needs ${codec.minLength}`,
    );
  }
  try {
    const body = codec.decode(r) as SectionBody;
    if (r.offset === r.end) return body;
    const unread = r.end - r.offset;
    r.offset = start;
    return opaqueSection(
      r.rest('section body'),
      `${codec.kind} decoder left ${unread} bytes unread`,
    );
  } catch (error) {
    if (!(error instanceof CodecError)) throw error;
    r.offset = start;
    return opaqueSection(r.rest('section body'), `refused by ${codec.kind}: ${error.message}`);
  }
}

/** Whole-buffer form of decodeSectionBody. */
export function decodeSection(guid: Guid, bytes: Uint8Array): SectionBody {
  return decodeSectionBody(guid, new ByteReader(bytes, 'section body'));
}

/**
 * Writes `body` as the body of a section of type `guid`: opaque bytes as they are, a decoded
 * body through the codec of its kind, which must be the codec registered for `guid`.
 */
export function encodeSectionBody(w: ByteWriter, guid: Guid, body: SectionBody): void {
  if (body.kind === 'opaque') {
    w.bytes((body as OpaqueSection).bytes, 'section body');
    return;
  }
  const codec: SectionCodec<unknown> | undefined = sectionCodecByKind(body.kind);
  if (codec === undefined || codec.guid !== guid) {
    throw new CodecError(
      `Cannot encode ${w.structure}: a ${JSON.stringify(body.kind)} body cannot be the body of section type ${guid}`,
      {
        code: CodecErrorCode.Invalid,
        structure: w.structure,
        field: 'section body',
        offset: w.offset,
      },
    );
  }
  codec.encode(w, body);
}
