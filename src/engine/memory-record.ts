// The Generic Error Status Block the engine writes for a host memory error (SIGBUS): one Platform
// Memory Error section (UEFI 2.10 N.2.5) per guest page when the source allows that many
// sections, else one section whose Physical Address Mask covers the whole poisoned area.
// Compared with QEMU's record (qemu-vmm.md §7, §19 item 7): the address is aligned to the
// poisoned area, the PA mask comes from si_addr_lsb, the block status counts its entries, and a
// host page bigger than the guest page is not reported as one guest address.

import {
  CperSeverity,
  encodeGhesStatusBlock,
  genericErrorDataEntry,
  ghesStatusBlock,
  MEMORY_SECTION_GUID,
  MemoryErrorType,
  MemoryValid,
  memoryErrorSection,
} from '../codec/index.js';

/** Block bytes used by one memory error entry: 72-byte GEDE header + 80-byte section. */
export const MEMORY_ENTRY_SIZE = 72 + 80;

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

const PA_BITS_MASK = (1n << 64n) - 1n;

export function memoryErrorRecord(req: MemoryRecordRequest): Uint8Array {
  const areaShift = req.addressLsb;
  const guestShift = Math.min(req.guestPageShift ?? areaShift, areaShift);
  const pages = 2 ** (areaShift - guestShift);
  const fit = Math.floor((req.blockLength - 20) / MEMORY_ENTRY_SIZE);
  const perPage = pages > 1 && pages <= req.maxSections && pages <= fit;
  const shift = perPage ? guestShift : areaShift;
  const count = perPage ? pages : 1;
  const severity = req.severity ?? CperSeverity.Recoverable;
  const mask = PA_BITS_MASK ^ ((1n << BigInt(shift)) - 1n);
  const entries = Array.from({ length: count }, (_, i) =>
    genericErrorDataEntry(
      MEMORY_SECTION_GUID,
      memoryErrorSection({
        validationBits:
          MemoryValid.PhysicalAddress | MemoryValid.PhysicalAddressMask | MemoryValid.ErrorType,
        physicalAddress: req.gpa + (BigInt(i) << BigInt(shift)),
        physicalAddressMask: mask,
        errorType: MemoryErrorType.Unknown,
      }),
      { errorSeverity: severity },
    ),
  );
  return encodeGhesStatusBlock(ghesStatusBlock({ errorSeverity: severity, entries }));
}
