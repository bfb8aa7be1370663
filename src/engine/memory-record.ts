// The Generic Error Status Block the engine writes for a host memory error (SIGBUS): one Platform
// Memory Error section (UEFI 2.10 N.2.5) per guest page when the source allows that many
// sections, else one section whose Physical Address Mask covers the whole poisoned area.
// Compared with QEMU's record (qemu-vmm.md §7, §19 item 7): the address is aligned to the
// poisoned area, the PA mask comes from si_addr_lsb, the block status counts its entries, and a
// host page bigger than the guest page is not reported as one guest address.
//
// Speed: a record differs from the next one of the same shape (entry count, PA mask, severity)
// only in its Physical Address fields. The codec encodes each shape once, for an area at GPA 0,
// and a record is a copy of that template with the addresses written into it (formats.md §7:
// Physical Address is the u64 at offset 16 of the section; the entries follow the 20-byte
// header back to back). The template checks on creation that those offsets hold the addresses it
// was encoded with, and memory-record.test.ts checks the result against a full encode.

import {
  CperSeverity,
  encodeGhesStatusBlock,
  GENERIC_ERROR_DATA_V300_SIZE,
  GHES_STATUS_HEADER_SIZE,
  genericErrorDataEntry,
  ghesStatusBlock,
  MEMORY_ERROR_SECTION_SIZE,
  MEMORY_SECTION_GUID,
  MemoryErrorType,
  MemoryValid,
  memoryErrorSection,
} from '../codec/index.js';

/** Block bytes used by one memory error entry: 72-byte GEDE header + 80-byte section. */
export const MEMORY_ENTRY_SIZE = GENERIC_ERROR_DATA_V300_SIZE + MEMORY_ERROR_SECTION_SIZE;

/** Offset of Physical Address inside a Platform Memory Error section (formats.md §7). */
const SECTION_PHYSICAL_ADDRESS = 16;

export interface MemoryRecordRequest {
  /** First guest physical address of the poisoned area (aligned to `1 << addressLsb`). */
  readonly gpa: bigint;
  /** log2 of the poisoned area (si_addr_lsb): 12 for a 4 KiB host page, 16 for 64 KiB, 21, 30. */
  readonly addressLsb: number;
  /** log2 of the guest page size; per-page sections only when smaller than the area. */
  readonly guestPageShift?: number;
  readonly severity?: number;
  /** The most entries the record may carry (the source's Max Sections Per Record). */
  readonly maxSections: number;
  /** The source's Error Status Block Length. */
  readonly blockLength: number;
}

const U64_MAX = (1n << 64n) - 1n;
const PA_BITS_MASK = U64_MAX;

interface RecordShape {
  readonly count: number;
  readonly shift: number;
  readonly severity: number;
}

function shapeOf(req: MemoryRecordRequest): RecordShape {
  const areaShift = req.addressLsb;
  const guestShift = Math.min(req.guestPageShift ?? areaShift, areaShift);
  const pages = 2 ** (areaShift - guestShift);
  const fit = Math.floor((req.blockLength - 20) / MEMORY_ENTRY_SIZE);
  const perPage = pages > 1 && pages <= req.maxSections && pages <= fit;
  return {
    count: perPage ? pages : 1,
    shift: perPage ? guestShift : areaShift,
    severity: req.severity ?? CperSeverity.Recoverable,
  };
}

/** The record of `shape` for an area at `gpa`, every byte from the codec. */
function encodeRecord(shape: RecordShape, gpa: bigint): Uint8Array {
  const { count, shift, severity } = shape;
  const mask = PA_BITS_MASK ^ ((1n << BigInt(shift)) - 1n);
  const entries = Array.from({ length: count }, (_, i) =>
    genericErrorDataEntry(
      MEMORY_SECTION_GUID,
      memoryErrorSection({
        validationBits:
          MemoryValid.PhysicalAddress | MemoryValid.PhysicalAddressMask | MemoryValid.ErrorType,
        physicalAddress: gpa + (BigInt(i) << BigInt(shift)),
        physicalAddressMask: mask,
        errorType: MemoryErrorType.Unknown,
      }),
      { errorSeverity: severity },
    ),
  );
  return encodeGhesStatusBlock(ghesStatusBlock({ errorSeverity: severity, entries }));
}

const physicalAddressOffset = (i: number) =>
  GHES_STATUS_HEADER_SIZE +
  i * MEMORY_ENTRY_SIZE +
  GENERIC_ERROR_DATA_V300_SIZE +
  SECTION_PHYSICAL_ADDRESS;

const SCRATCH = new Uint8Array(8);
const SCRATCH_VIEW = new DataView(SCRATCH.buffer);

/** Templates by shape (a handful per machine: one per si_addr_lsb seen). */
const templates = new Map<string, Uint8Array>();
const TEMPLATE_LIMIT = 256;

function templateFor(shape: RecordShape): Uint8Array {
  const key = `${shape.count}:${shape.shift}:${shape.severity}`;
  let t = templates.get(key);
  if (t === undefined) {
    t = encodeRecord(shape, 0n);
    const view = new DataView(t.buffer, t.byteOffset, t.byteLength);
    const step = 1n << BigInt(shape.shift);
    for (let i = 0; i < shape.count; i++) {
      const at = physicalAddressOffset(i);
      if (at + 8 > t.length || view.getBigUint64(at, true) !== BigInt(i) * step) {
        throw new Error(`memory record template: no Physical Address at offset ${at}`);
      }
    }
    if (templates.size >= TEMPLATE_LIMIT) templates.clear();
    templates.set(key, t);
  }
  return t;
}

export function memoryErrorRecord(req: MemoryRecordRequest): Uint8Array {
  const shape = shapeOf(req);
  const { count, shift } = shape;
  const gpa = req.gpa;
  // Anything the codec would refuse (a negative or too-large address, a severity that is not a
  // u32, a shift out of range) goes through the codec, which throws its own error.
  const shiftOk = Number.isInteger(shift) && shift >= 0 && shift <= 64;
  if (
    typeof gpa !== 'bigint' ||
    gpa < 0n ||
    !shiftOk ||
    gpa + (BigInt(count - 1) << BigInt(shift)) > U64_MAX ||
    !Number.isInteger(shape.severity) ||
    shape.severity < 0 ||
    shape.severity > 0xffffffff
  ) {
    return encodeRecord(shape, gpa);
  }
  const out = templateFor(shape).slice();
  for (let i = 0; i < count; i++) {
    SCRATCH_VIEW.setBigUint64(0, i === 0 ? gpa : gpa + (BigInt(i) << BigInt(shift)), true);
    out.set(SCRATCH, physicalAddressOffset(i));
  }
  return out;
}
