// The records the real-guest scenarios write, built with the codec (status block, generic
// error data entries, memory and ARM processor sections), and the lines Linux is expected to
// print for them.

import {
  ARM_PROCESSOR_SECTION_GUID,
  buildArmProcessorSection,
  CperSeverity,
  decodeGhesStatusBlock,
  encodeGhesStatusBlock,
  formatLinux,
  type GenericErrorDataEntry,
  genericErrorDataEntry,
  ghesStatusBlock,
  type LinuxFormatOptions,
  MEMORY_SECTION_GUID,
  MemoryErrorType,
  MemoryValid,
  memoryErrorSection,
  type SectionBody,
} from '../codec/index.js';

/** A memory error entry: error status, physical address and error type valid (RECIPE.md). */
export function memoryEntry(
  severity: number,
  physicalAddress: bigint,
  errorType: number = MemoryErrorType.MultiBitEcc,
): GenericErrorDataEntry {
  return genericErrorDataEntry(
    MEMORY_SECTION_GUID,
    memoryErrorSection({
      validationBits: MemoryValid.ErrorStatus | MemoryValid.PhysicalAddress | MemoryValid.ErrorType,
      physicalAddress,
      errorType,
    }),
    { errorSeverity: severity },
  );
}

/** An ARM processor entry with one cache error-information structure. */
export function armEntry(severity: number, mpidr: bigint): GenericErrorDataEntry {
  return genericErrorDataEntry(
    ARM_PROCESSOR_SECTION_GUID,
    buildArmProcessorSection({ mpidr }) as unknown as SectionBody,
    {
      errorSeverity: severity,
    },
  );
}

export function statusBlockBytes(
  severity: number,
  entries: readonly GenericErrorDataEntry[],
): Uint8Array {
  return encodeGhesStatusBlock(ghesStatusBlock({ errorSeverity: severity, entries }));
}

export function memoryRecord(severity: number, physicalAddress: bigint): Uint8Array {
  return statusBlockBytes(severity, [memoryEntry(severity, physicalAddress)]);
}

export { CperSeverity };

/**
 * The `{seq}[Hardware Error]: ` lines Linux prints for a record from `sourceId`: the codec's
 * own Linux printer (`formatLinux`), which the real guest checks.
 */
export function expectedHardwareErrorLines(
  record: Uint8Array,
  sourceId: number,
  seq: number,
  options: LinuxFormatOptions = {},
): string[] {
  return formatLinux(decodeGhesStatusBlock(record), { ...options, sourceId, seq });
}
