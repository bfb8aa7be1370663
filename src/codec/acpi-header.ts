// ACPI System Description Table header (ACPI 6.5 §5.2.6): the 36 bytes every ACPI table but
// the FACS starts with. Length is the whole table and is computed when a table is encoded;
// the checksum makes all Length bytes sum to 0 mod 256.
//
// Decoding never throws on a bad checksum: QEMU serves its tables *unpatched* with checksum 0
// (the firmware fills it in, formats.md §12), so a decoder reports validity instead. Encoding
// computes the checksum unless told to keep the value in the header ('keep'), which is how an
// unpatched table re-encodes byte for byte. vras's own tables always compute it.

import { acpiChecksum, byteSum } from './checksum.js';
import { ByteReader } from './reader.js';
import { ByteWriter } from './writer.js';

export const ACPI_TABLE_HEADER_SIZE = 36;

export interface AcpiTableHeader {
  /** Four characters, e.g. `HEST`. */
  readonly signature: string;
  /** Whole table in bytes, this header included (computed by `encodeAcpiTable`). */
  readonly length: number;
  readonly revision: number;
  /** As found in the bytes; `encodeAcpiTable` recomputes it unless `checksum: 'keep'`. */
  readonly checksum: number;
  /** Six characters, space padded (QEMU: `BOCHS `). */
  readonly oemId: string;
  /** Eight characters (QEMU: `BXPC    `). */
  readonly oemTableId: string;
  readonly oemRevision: number;
  /** Four characters (QEMU: `BXPC`); iasl calls it the ASL compiler id. */
  readonly creatorId: string;
  readonly creatorRevision: number;
}

/** The header fields a table builder chooses; length and checksum are computed. */
export type AcpiTableHeaderFields = Omit<AcpiTableHeader, 'length' | 'checksum'> & {
  readonly length?: number;
  readonly checksum?: number;
};

export type AcpiChecksumMode = 'compute' | 'keep';

export interface AcpiTableEncodeOptions {
  /** 'compute' (default) writes the correct checksum; 'keep' writes `header.checksum` as is. */
  readonly checksum?: AcpiChecksumMode;
}

export function readAcpiTableHeader(r: ByteReader): AcpiTableHeader {
  r.need(ACPI_TABLE_HEADER_SIZE, 'table header');
  return {
    signature: r.ascii(4, 'signature'),
    length: r.u32('length'),
    revision: r.u8('revision'),
    checksum: r.u8('checksum'),
    oemId: r.ascii(6, 'oemId'),
    oemTableId: r.ascii(8, 'oemTableId'),
    oemRevision: r.u32('oemRevision'),
    creatorId: r.ascii(4, 'creatorId'),
    creatorRevision: r.u32('creatorRevision'),
  };
}

/**
 * Writes the header as given (length and checksum included): a fragment, not a table. With
 * `computed`, its length and checksum are written instead of the value's (the fields are read
 * straight from `value`, not from a copy, so a missing one is reported where it was read).
 */
export function writeAcpiTableHeader(
  w: ByteWriter,
  value: AcpiTableHeaderFields,
  computed?: { readonly length: number; readonly checksum: number },
): void {
  w.ascii(value.signature, 4, 'signature');
  w.u32(computed === undefined ? (value.length ?? 0) : computed.length, 'length');
  w.u8(value.revision, 'revision');
  w.u8(computed === undefined ? (value.checksum ?? 0) : computed.checksum, 'checksum');
  w.ascii(value.oemId, 6, 'oemId');
  w.ascii(value.oemTableId, 8, 'oemTableId');
  w.u32(value.oemRevision, 'oemRevision');
  w.ascii(value.creatorId, 4, 'creatorId');
  w.u32(value.creatorRevision, 'creatorRevision');
}

/** Decodes the first 36 bytes as a header; the rest of `bytes` is not looked at. */
export function decodeAcpiTableHeader(bytes: Uint8Array): AcpiTableHeader {
  return readAcpiTableHeader(new ByteReader(bytes, 'ACPI table header'));
}

/** The 36 header bytes exactly as given (length and checksum are not computed here). */
export function encodeAcpiTableHeader(value: AcpiTableHeaderFields): Uint8Array {
  const w = new ByteWriter('ACPI table header', ACPI_TABLE_HEADER_SIZE);
  writeAcpiTableHeader(w, value);
  return w.toBytes();
}

/**
 * A whole table: the header, then whatever `writeBody` writes; Length is patched to the
 * final size and the checksum computed (or kept, see `AcpiTableEncodeOptions`).
 */
export function encodeAcpiTable(
  structure: string,
  header: AcpiTableHeaderFields,
  writeBody: (w: ByteWriter) => void,
  options: AcpiTableEncodeOptions = {},
): Uint8Array {
  const w = new ByteWriter(structure);
  const keep = options.checksum === 'keep';
  writeAcpiTableHeader(w, header, { length: 0, checksum: keep ? (header.checksum ?? 0) : 0 });
  writeBody(w);
  w.patchU32(4, w.offset, 'length');
  const bytes = w.toBytes();
  if (!keep) bytes[9] = acpiChecksum(bytes, 9);
  return bytes;
}

/** True when the table's bytes (as many as `length` says, at most all of them) sum to 0. */
export function acpiTableChecksumValid(bytes: Uint8Array): boolean {
  if (bytes.length < ACPI_TABLE_HEADER_SIZE) return false;
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4, true);
  return byteSum(bytes, 0, Math.min(length, bytes.length)) === 0;
}

/** The checksum byte a table of these bytes should carry (byte 9 treated as 0). */
export function acpiTableChecksum(bytes: Uint8Array): number {
  return acpiChecksum(bytes, 9);
}
