// `vras decode --format libcper`: the JSON OpenBMC libcper's `cper-convert to-json` prints for the
// same bytes (src/codec/libcper). libcper reads CPER records and its single-section form (a
// section descriptor and its section); a bare section body prints as libcper's section object.

import {
  CodecError,
  CodecErrorCode,
  cperRecordBytesToLibcper,
  isLibcperJson,
  type LibcperJson,
  libcperToCperRecordBytes,
  libcperToSectionWithDescriptorBytes,
  parseLibcperJson,
  sectionToLibcper,
  sectionWithDescriptorBytesToLibcper,
  stringifyLibcperJson,
} from '../codec/index.js';

/** libcper's JSON text for one decoded input of `kind`; CodecError when libcper has no form. */
export function libcperText(kind: string, bytes: Uint8Array, sectionGuid?: string): string {
  let value: LibcperJson;
  if (kind === 'cper-record') value = cperRecordBytesToLibcper(bytes);
  else if (kind === 'section-with-descriptor') value = sectionWithDescriptorBytesToLibcper(bytes);
  else if (kind === 'section' && sectionGuid !== undefined)
    value = sectionToLibcper(sectionGuid, bytes);
  else {
    throw new CodecError(
      `Cannot convert to libcper JSON: libcper reads CPER records and sections, not a ${kind}`,
      { code: CodecErrorCode.Unrecognised, structure: 'libcper JSON', field: 'kind' },
    );
  }
  return stringifyLibcperJson(value);
}

/** The same JSON on one line (JSON Lines for streams): formatting newlines never sit in strings. */
export function oneLine(text: string): string {
  return text.replace(/\n */g, '');
}

/**
 * `vras encode` of libcper's JSON (what `cper-convert to-json` or `decode --format libcper`
 * prints): the record or descriptor-plus-section bytes as libcper's `to-cper` writes them, or
 * undefined when the text is not libcper's shape (it is then read as a vras/v1 document).
 */
export function libcperDocumentBytes(text: string): Uint8Array | undefined {
  let json: LibcperJson;
  try {
    json = parseLibcperJson(text);
  } catch {
    return undefined;
  }
  if (!isLibcperJson(json)) return undefined;
  return (json as { header?: unknown }).header !== undefined
    ? libcperToCperRecordBytes(json)
    : libcperToSectionWithDescriptorBytes(json);
}
