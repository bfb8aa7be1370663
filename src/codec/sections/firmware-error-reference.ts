// Firmware Error Record Reference section (UEFI 2.10 Appendix N.2.10; Linux `struct
// cper_sec_fw_err_rec_ref`, 32 bytes). GUID 81212A96-09ED-4996-9471-8D729C8E69ED.
//
// | off | size | field |
// | 0 | 1 | Firmware Error Record Type: 0 IPF SAL, 1 SOC Type1 (legacy CrashLog), 2 SOC Type2 |
// | 1 | 1 | Revision (0, 1, 2) |
// | 2 | 6 | Reserved |
// | 8 | 8 | Record Identifier (revision 0) |
// | 16 | 16 | Record Identifier GUID extension (revision 2) |
//
// Which fields are present follows the body length, not the revision, so any body decodes and
// re-encodes exactly: 16 bytes minimum (Linux SZ_16), the GUID when 32 or more, the rest in
// `trailing`.

import { CodecError, CodecErrorCode } from '../errors.js';
import type { Guid } from '../guid.js';
import { ByteReader } from '../reader.js';
import { registerSection, type SectionCodec, type SectionPrintContext } from '../section.js';
import { ByteWriter } from '../writer.js';
import { linuxHexDumpLines } from './arm-processor.js';

export const FIRMWARE_ERROR_REFERENCE_SECTION_GUID = '81212a96-09ed-4996-9471-8d729c8e69ed';
/** Linux `sizeof(struct cper_sec_fw_err_rec_ref)` (revision 2). */
export const FIRMWARE_ERROR_REFERENCE_SECTION_SIZE = 32;
/** The smallest body Linux prints (revisions 0 and 1). */
export const FIRMWARE_ERROR_REFERENCE_MIN_SIZE = 16;

export const FirmwareErrorRecordType = { IpfSal: 0, SocType1: 1, SocType2: 2 } as const;

export type FirmwareErrorReferenceSection = {
  readonly kind: 'firmware-error-reference';
  readonly recordType: number;
  readonly revision: number;
  /** 6 reserved bytes, kept as they are. */
  readonly reserved: Uint8Array;
  readonly recordIdentifier: bigint;
  /** Present when the body has 32 bytes or more. */
  readonly recordIdentifierGuid?: Guid;
  /** Bytes after the last field present. */
  readonly trailing?: Uint8Array;
};

const STRUCTURE = 'Firmware Error Record Reference section';

export function readFirmwareErrorReferenceSection(r: ByteReader): FirmwareErrorReferenceSection {
  r.need(FIRMWARE_ERROR_REFERENCE_MIN_SIZE, 'firmware error record reference');
  const base = {
    kind: 'firmware-error-reference' as const,
    recordType: r.u8('firmware error record type'),
    revision: r.u8('revision'),
    reserved: r.bytesCopy(6, 'reserved'),
    recordIdentifier: r.u64('record identifier'),
  };
  const withGuid =
    r.remaining >= 16 ? { ...base, recordIdentifierGuid: r.guid('record identifier GUID') } : base;
  return r.remaining === 0 ? withGuid : { ...withGuid, trailing: r.rest('trailing bytes') };
}

export function writeFirmwareErrorReferenceSection(
  w: ByteWriter,
  s: FirmwareErrorReferenceSection,
): void {
  w.u8(s.recordType, 'firmware error record type');
  w.u8(s.revision, 'revision');
  w.bytes(s.reserved, 'reserved', 6);
  w.u64(s.recordIdentifier, 'record identifier');
  if (s.recordIdentifierGuid !== undefined)
    w.guid(s.recordIdentifierGuid, 'record identifier GUID');
  else if (s.trailing !== undefined && s.trailing.length >= 16) {
    // Would decode as a GUID: refuse rather than change meaning.
    throw new CodecError(
      `Cannot encode ${STRUCTURE}: trailing bytes at offset 0x10 must be fewer than 16 without a record identifier GUID`,
      { code: CodecErrorCode.Invalid, structure: STRUCTURE, field: 'trailing', offset: w.offset },
    );
  }
  if (s.trailing !== undefined) w.bytes(s.trailing, 'trailing bytes');
}

export function decodeFirmwareErrorReferenceSection(
  bytes: Uint8Array,
): FirmwareErrorReferenceSection {
  return readFirmwareErrorReferenceSection(new ByteReader(bytes, STRUCTURE));
}

export function encodeFirmwareErrorReferenceSection(s: FirmwareErrorReferenceSection): Uint8Array {
  const w = new ByteWriter(STRUCTURE, FIRMWARE_ERROR_REFERENCE_SECTION_SIZE);
  writeFirmwareErrorReferenceSection(w, s);
  return w.toBytes();
}

const FW_ERR_REC_TYPE_STRS = [
  'IPF SAL Error Record',
  'SOC Firmware Error Record Type1 (Legacy CrashLog Support)',
  'SOC Firmware Error Record Type2',
];

/**
 * Lines Linux `cper_print_fw_err()` prints. The `offset > length` guard ("efi/cper: don't dump
 * the entire memory region", 2026) is in upstream and in the 6.1.y/5.15.y/5.10.y stable trees
 * since March 2026, so both kernel options print it. A revision-2 body shorter than 32 bytes
 * makes Linux read the GUID past the section; that line is left out here.
 */
export function printFirmwareErrorReferenceSectionLinux(
  s: FirmwareErrorReferenceSection,
  ctx: SectionPrintContext,
): string[] {
  const pfx = ctx.pfx;
  const out = [
    `${pfx}Firmware Error Record Type: ${FW_ERR_REC_TYPE_STRS[s.recordType] ?? 'unknown'}`,
    `${pfx}Revision: ${s.revision}`,
  ];
  if (s.revision === 0) {
    out.push(`${pfx}Record Identifier: ${s.recordIdentifier.toString(16).padStart(8, '0')}`);
  } else if (s.revision === 2 && s.recordIdentifierGuid !== undefined) {
    out.push(`${pfx}Record Identifier: ${s.recordIdentifierGuid}`);
  }
  const body = encodeFirmwareErrorReferenceSection(s);
  const offset = s.revision === 0 ? 16 : s.revision === 1 ? 8 : 32;
  if (offset > body.length) {
    out.push(`${pfx}error section length is too small: offset=${offset}, length=${body.length}`);
    return out;
  }
  out.push(...linuxHexDumpLines(pfx, body.subarray(offset), true));
  return out;
}

export const firmwareErrorReferenceSectionCodec: SectionCodec<FirmwareErrorReferenceSection> =
  registerSection({
    kind: 'firmware-error-reference',
    guid: FIRMWARE_ERROR_REFERENCE_SECTION_GUID,
    linuxName: 'Firmware Error Record Reference',
    minLength: FIRMWARE_ERROR_REFERENCE_MIN_SIZE,
    decode: readFirmwareErrorReferenceSection,
    encode: writeFirmwareErrorReferenceSection,
    printLinux: printFirmwareErrorReferenceSectionLinux,
  });
