// Hardware Error Source Table, HEST (ACPI 6.5 §18.3.2): the SDT header, Error Source Count,
// then error source structures back to back, each sized by its type (formats.md §3).
//
// Every defined type is decoded: 0, 1, 2 and 11 (hest-ia32.ts), 6, 7, 8 (hest-aer.ts), 9 and 10
// (hest-ghes.ts). Types 3–5 (formerly IPF) and ≥ 12 are reserved: nothing says how long they
// are, so decoding stops at the first one and everything from there to the end of the table is
// kept in `rest` with the number of sources it accounts for. Bytes after the last counted source
// are kept the same way (with a count of 0). Decode then encode therefore gives back the input
// byte for byte; the Error Source Count is computed as `sources.length + rest.sourceCount`.

import {
  ACPI_TABLE_HEADER_SIZE,
  type AcpiTableEncodeOptions,
  type AcpiTableHeader,
  type AcpiTableHeaderFields,
  acpiTableChecksumValid,
  encodeAcpiTable,
  readAcpiTableHeader,
} from './acpi-header.js';
import { CodecError, CodecErrorCode, hexOffset } from './errors.js';
import {
  HEST_AER_BRIDGE_SIZE,
  HEST_AER_DEVICE_SIZE,
  HEST_AER_ROOT_PORT_SIZE,
  type HestAer,
  readHestAer,
  writeHestAer,
} from './hest-aer.js';
import {
  HEST_GHES_SIZE,
  HEST_GHES_V2_SIZE,
  type HestGhes,
  type HestGhesV2,
  readHestGhes,
  readHestGhesV2,
  writeHestGhes,
  writeHestGhesV2,
} from './hest-ghes.js';
import {
  HEST_IA32_CORRECTED_CHECK_SIZE,
  HEST_IA32_MACHINE_CHECK_SIZE,
  HEST_IA32_NMI_SIZE,
  HEST_MACHINE_CHECK_BANK_SIZE,
  type HestIa32MachineCheck,
  type HestIa32Nmi,
  type HestIa32NotifiedCheck,
  readHestIa32MachineCheck,
  readHestIa32Nmi,
  readHestIa32NotifiedCheck,
  writeHestIa32MachineCheck,
  writeHestIa32Nmi,
  writeHestIa32NotifiedCheck,
} from './hest-ia32.js';
import { ByteReader, type FieldTrace } from './reader.js';
import type { ByteWriter } from './writer.js';

export const HEST_SIGNATURE = 'HEST';
/** SDT header plus Error Source Count: where the first error source starts. */
export const HEST_HEADER_SIZE = ACPI_TABLE_HEADER_SIZE + 4;
/** The revision QEMU writes (ACPI 6.5 still defines HEST revision 1). */
export const HEST_REVISION = 1;

/** Error source structure types (ACPI 6.5 Table 18.3; ACPICA `enum acpi_hest_types`). */
export const HestSourceType = {
  Ia32MachineCheck: 0,
  Ia32CorrectedCheck: 1,
  Ia32Nmi: 2,
  PcieRootPortAer: 6,
  PcieDeviceAer: 7,
  PcieBridgeAer: 8,
  Ghes: 9,
  GhesV2: 10,
  Ia32DeferredCheck: 11,
} as const;
export type HestSourceType = (typeof HestSourceType)[keyof typeof HestSourceType];

/** First type number Linux calls reserved (`ACPI_HEST_TYPE_RESERVED`). */
export const HEST_TYPE_RESERVED = 12;

export type HestErrorSource =
  | HestIa32MachineCheck
  | HestIa32NotifiedCheck
  | HestIa32Nmi
  | HestAer
  | HestGhes
  | HestGhesV2;

/** Bytes the decoder cannot size, kept whole (see the file header). */
export interface HestRest {
  /** How many of the counted error sources live in `bytes` (0 for bytes after the last one). */
  readonly sourceCount: number;
  readonly bytes: Uint8Array;
  /** Why decoding stopped, e.g. `reserved error source type 3 at offset 0x28`. */
  readonly reason: string;
}

export interface Hest {
  /** Signature must be `HEST`; length and checksum are computed on encode. */
  readonly header: AcpiTableHeaderFields;
  // Error Source Count (u32), computed.
  readonly sources: readonly HestErrorSource[];
  readonly rest?: HestRest;
}

export interface DecodedHest extends Hest {
  readonly header: AcpiTableHeader;
  /** Whether the table sums to 0 (QEMU's unpatched tables carry checksum 0 and do not). */
  readonly checksumValid: boolean;
}

export interface HestDecodeOptions {
  /** Receives every field read, with absolute offsets (annotated output, iasl cross-check). */
  readonly trace?: FieldTrace[];
}

/** `IA-32 Machine Check`, `GHESv2`, `reserved (3)`, … */
export function hestSourceTypeName(type: number): string {
  switch (type) {
    case 0:
      return 'IA-32 Machine Check';
    case 1:
      return 'IA-32 Corrected Machine Check';
    case 2:
      return 'IA-32 NMI';
    case 6:
      return 'PCIe Root Port AER';
    case 7:
      return 'PCIe Device AER';
    case 8:
      return 'PCIe/PCI-X Bridge AER';
    case 9:
      return 'GHES';
    case 10:
      return 'GHESv2';
    case 11:
      return 'IA-32 Deferred Machine Check';
    default:
      return `reserved (${type})`;
  }
}

/** Fixed size of a type without its machine-check banks, or undefined for reserved types. */
export function hestSourceBaseSize(type: number): number | undefined {
  switch (type) {
    case 0:
      return HEST_IA32_MACHINE_CHECK_SIZE;
    case 1:
    case 11:
      return HEST_IA32_CORRECTED_CHECK_SIZE;
    case 2:
      return HEST_IA32_NMI_SIZE;
    case 6:
      return HEST_AER_ROOT_PORT_SIZE;
    case 7:
      return HEST_AER_DEVICE_SIZE;
    case 8:
      return HEST_AER_BRIDGE_SIZE;
    case 9:
      return HEST_GHES_SIZE;
    case 10:
      return HEST_GHES_V2_SIZE;
    default:
      return undefined;
  }
}

/** Offset of Number Of Hardware Banks in types 0, 1 and 11. */
export function hestBankCountOffset(type: number): number | undefined {
  if (type === 0) return 32;
  if (type === 1 || type === 11) return 44;
  return undefined;
}

/** Encoded size of one error source. */
export function hestSourceSize(source: HestErrorSource): number {
  const base = hestSourceBaseSize(source.type)!;
  return 'banks' in source ? base + source.banks.length * HEST_MACHINE_CHECK_BANK_SIZE : base;
}

export function readHestSource(r: ByteReader): HestErrorSource {
  r.need(2, 'type');
  const type = r.bytes[r.offset]! | (r.bytes[r.offset + 1]! << 8);
  return r.scoped(hestSourceTypeName(type), () => readHestSourceBody(r, type));
}

function readHestSourceBody(r: ByteReader, type: number): HestErrorSource {
  switch (type) {
    case 0:
      return readHestIa32MachineCheck(r);
    case 1:
    case 11:
      return readHestIa32NotifiedCheck(r);
    case 2:
      return readHestIa32Nmi(r);
    case 6:
    case 7:
    case 8:
      return readHestAer(r);
    case 9:
      return readHestGhes(r);
    case 10:
      return readHestGhesV2(r);
    default:
      return r.invalid('type', `is reserved (${type}) and cannot be sized`);
  }
}

export function writeHestSource(w: ByteWriter, source: HestErrorSource): void {
  switch (source.type) {
    case 0:
      writeHestIa32MachineCheck(w, source);
      return;
    case 1:
    case 11:
      writeHestIa32NotifiedCheck(w, source);
      return;
    case 2:
      writeHestIa32Nmi(w, source);
      return;
    case 6:
    case 7:
    case 8:
      writeHestAer(w, source);
      return;
    case 9:
      writeHestGhes(w, source);
      return;
    case 10:
      writeHestGhesV2(w, source);
      return;
    default: {
      const type = (source as { type: unknown }).type;
      throw new CodecError(
        `Cannot encode HEST: error source type ${String(type)} is not one vras can size (keep reserved types in rest)`,
        { code: CodecErrorCode.Invalid, structure: 'HEST', field: 'type', offset: w.offset },
      );
    }
  }
}

export function readHest(r: ByteReader): DecodedHest {
  const start = r.offset;
  const header = readAcpiTableHeader(r);
  if (header.signature !== HEST_SIGNATURE) {
    r.invalid('signature', `is ${JSON.stringify(header.signature)}, expected "HEST"`, start);
  }
  if (header.length < HEST_HEADER_SIZE) {
    r.invalid(
      'length',
      `is ${header.length}, less than the ${HEST_HEADER_SIZE}-byte HEST header`,
      start + 4,
    );
  }
  if (header.length > r.end - start) {
    throw new CodecError(
      `Cannot decode HEST: length says ${header.length} bytes at offset ${hexOffset(start + 4)}, ${r.end - start} given`,
      { code: CodecErrorCode.Truncated, structure: 'HEST', field: 'length', offset: start + 4 },
    );
  }
  const checksumValid = acpiTableChecksumValid(r.bytes.subarray(start, start + header.length));
  const count = r.u32('errorSourceCount');
  const body = r.sub(header.length - HEST_HEADER_SIZE, 'HEST', 'error sources');
  const sources: HestErrorSource[] = [];
  let rest: HestRest | undefined;
  for (let i = 0; i < count; i++) {
    body.need(2, `errorSource[${i}].type`);
    const type = body.bytes[body.offset]! | (body.bytes[body.offset + 1]! << 8);
    if (hestSourceBaseSize(type) === undefined) {
      const at = body.offset;
      rest = {
        sourceCount: count - i,
        bytes: body.rest('rest'),
        reason: `reserved error source type ${type} at offset ${hexOffset(at)}`,
      };
      break;
    }
    sources.push(readHestSource(body));
  }
  if (rest === undefined && body.remaining > 0) {
    const at = body.offset;
    rest = {
      sourceCount: 0,
      bytes: body.rest('rest'),
      reason: `${body.end - at} bytes after the last counted error source at offset ${hexOffset(at)}`,
    };
  }
  return rest === undefined
    ? { header, sources, checksumValid }
    : { header, sources, rest, checksumValid };
}

/** Decodes a whole HEST; `bytes` must be exactly the table (Length bytes). */
export function decodeHest(bytes: Uint8Array, options: HestDecodeOptions = {}): DecodedHest {
  const r = new ByteReader(bytes, 'HEST', 0, bytes.length, options.trace);
  const hest = readHest(r);
  if (r.remaining !== 0) {
    r.lengthMismatch('bytes', `${r.remaining} bytes follow the ${r.offset}-byte table`);
  }
  return hest;
}

/** The table's bytes. The checksum is computed unless `{ checksum: 'keep' }`. */
export function encodeHest(hest: Hest, options: AcpiTableEncodeOptions = {}): Uint8Array {
  if (hest.header.signature !== HEST_SIGNATURE) {
    throw new CodecError(
      `Cannot encode HEST: signature is ${JSON.stringify(hest.header.signature)}, expected "HEST"`,
      { code: CodecErrorCode.Invalid, structure: 'HEST', field: 'signature', offset: 0 },
    );
  }
  return encodeAcpiTable(
    'HEST',
    hest.header,
    (w) => {
      w.u32(hest.sources.length + (hest.rest?.sourceCount ?? 0), 'errorSourceCount');
      for (const source of hest.sources) writeHestSource(w, source);
      if (hest.rest) w.bytes(hest.rest.bytes, 'rest');
    },
    options,
  );
}
