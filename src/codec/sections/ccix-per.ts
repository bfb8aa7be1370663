// CCIX Protocol Error Record (PER) Log Error section (UEFI 2.10 Appendix N.2.12; libcper
// `EFI_CCIX_PER_LOG_DATA`). GUID 91335EF6-EBFB-4478-A6A6-88B728CF75D7. Linux does not decode it
// (unknown section, hex dump).
// | 0 | 4 | Length (of the whole section) | 4 | 8 | Validation Bits | 12 | 1 | CCIX Source Id |
// | 13 | 1 | CCIX Port Id | 14 | 2 | Reserved | 16 | … | CCIX PER Log (CCIX Base Spec 1.0 §7.3.2) |
//
// The Length field is data: it is kept as stored (a section's length may disagree with its
// body), and every byte after the 16-byte header is the PER log, so decode → encode is exact.

import { ByteReader } from '../reader.js';
import { registerSection, type SectionCodec } from '../section.js';
import { ByteWriter } from '../writer.js';

export const CCIX_PER_SECTION_GUID = '91335ef6-ebfb-4478-a6a6-88b728cf75d7';
export const CCIX_PER_HEADER_SIZE = 16;

/** Validation bits (UEFI N.2.12). */
export const CcixPerValid = { SourceId: 0x1n, PortId: 0x2n, PerLog: 0x4n } as const;

export type CcixPerErrorSection = {
  readonly kind: 'ccix-per';
  /** Length as stored (the whole section, header included). */
  readonly length: number;
  readonly validationBits: bigint;
  readonly ccixSourceId: number;
  readonly ccixPortId: number;
  readonly reserved: number;
  /** Everything after the header: the PER log (and anything past Length). */
  readonly perLog: Uint8Array;
};

const STRUCTURE = 'CCIX PER Log Error section';

export function readCcixPerErrorSection(r: ByteReader): CcixPerErrorSection {
  r.need(CCIX_PER_HEADER_SIZE, 'CCIX PER log error section');
  return {
    kind: 'ccix-per',
    length: r.u32('length'),
    validationBits: r.u64('validation bits'),
    ccixSourceId: r.u8('CCIX source id'),
    ccixPortId: r.u8('CCIX port id'),
    reserved: r.u16('reserved'),
    perLog: r.rest('CCIX PER log'),
  };
}

export function writeCcixPerErrorSection(w: ByteWriter, s: CcixPerErrorSection): void {
  w.u32(s.length, 'length');
  w.u64(s.validationBits, 'validation bits');
  w.u8(s.ccixSourceId, 'CCIX source id');
  w.u8(s.ccixPortId, 'CCIX port id');
  w.u16(s.reserved, 'reserved');
  w.bytes(s.perLog, 'CCIX PER log');
}

export function decodeCcixPerErrorSection(bytes: Uint8Array): CcixPerErrorSection {
  return readCcixPerErrorSection(new ByteReader(bytes, STRUCTURE));
}

export function encodeCcixPerErrorSection(s: CcixPerErrorSection): Uint8Array {
  const w = new ByteWriter(STRUCTURE, CCIX_PER_HEADER_SIZE + s.perLog.length);
  writeCcixPerErrorSection(w, s);
  return w.toBytes();
}

export const ccixPerSectionCodec: SectionCodec<CcixPerErrorSection> = registerSection({
  kind: 'ccix-per',
  guid: CCIX_PER_SECTION_GUID,
  linuxName: undefined,
  minLength: CCIX_PER_HEADER_SIZE,
  decode: readCcixPerErrorSection,
  encode: writeCcixPerErrorSection,
});
