// The records the real-guest scenarios write, built with the codec (status block, generic
// error data entries, memory and ARM processor sections), and the lines Linux is expected to
// print for them.

import {
  ARM_PROCESSOR_SECTION_GUID,
  buildArmProcessorSection,
  CperSeverity,
  cperSeverityName,
  decodeGhesStatusBlock,
  encodeGhesStatusBlock,
  type GenericErrorDataEntry,
  genericErrorDataEntry,
  ghesStatusBlock,
  type LinuxFormatOptions,
  MEMORY_SECTION_GUID,
  MemoryErrorType,
  MemoryValid,
  memoryErrorSection,
  type SectionBody,
  sectionCodecFor,
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
 * The `{seq}[Hardware Error]: ` lines Linux 6.1 prints for a record from `sourceId`
 * (cper_estatus_print via ghes_print_estatus), composed from the codec's severity names and
 * each section codec's own Linux printer.
 */
export function expectedHardwareErrorLines(
  record: Uint8Array,
  sourceId: number,
  seq: number,
  options: LinuxFormatOptions = {},
): string[] {
  const block = decodeGhesStatusBlock(record);
  const p = `{${seq}}[Hardware Error]: `;
  const lines = [`${p}Hardware error from APEI Generic Hardware Error Source: ${sourceId}`];
  if (block.errorSeverity === CperSeverity.Corrected)
    lines.push(`${p}It has been corrected by h/w and requires no further action`);
  lines.push(`${p}event severity: ${cperSeverityName(block.errorSeverity)}`);
  block.entries.forEach((e, i) => {
    lines.push(`${p} Error ${i}, type: ${cperSeverityName(e.errorSeverity)}`);
    const codec = sectionCodecFor(e.sectionType);
    if (codec?.linuxName !== undefined) lines.push(`${p}  section_type: ${codec.linuxName}`);
    if (codec?.printLinux !== undefined)
      lines.push(...codec.printLinux(e.body, { pfx: `${p}  `, options }));
  });
  return lines;
}
