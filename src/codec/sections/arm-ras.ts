// Arm RAS node error section (Arm DEN0085 "RAS System Architecture: CPER for Arm RAS", the
// section libcper calls ARM RAS). GUID BF32D4D5-B427-4025-8495-8A9E5D4030E4. Linux does not
// decode it (unknown section, hex dump).
//
// Node (80 bytes):
// | 0 | 4 | Revision | 4 | 4 | Component Type | 8 | 2 | Error Syndrome Array Entry Count | 10 | 2 | Reserved |
// | 12 | 2 | Error Syndrome Array Offset | 14 | 2 | Auxiliary Data Offset (0: none) |
// | 16 | 1 | IP Instance Format | 17 | 1 | IP Type Format | 18 | 6 | Reserved |
// | 24 | 16 | IP Instance | 40 | 24 | IP Type | 64 | 16 | User Data (ASCII) |
// Error record descriptor (72 bytes): index u32, RAS extension revision u8 (field in bits 7:4,
// architecture version in 3:0), 3 reserved, then ERR<n>FR, CTLR, STATUS, ADDR, MISC0..3 (u64).
// Auxiliary data: header (version u16, address space array count u16, size u32, key-value pair
// array offset u32, key-value pair count u32), address space contexts (length u32, flags u16,
// register count u16, address space identifier u64, then count × {address u64, value u64}),
// key-value pairs (key GUID, value u64).
//
// Offsets, counts and sizes are computed on encode. The decoder takes the layout libcper's
// generator and the spec describe: the syndrome array right after the node, the auxiliary data
// after any gap, contexts one after another, the key-value pairs at their offset; bytes between
// the parts are kept (`gapBeforeAux`, `gapBeforePairs`, a context's `extra`, `auxTrailing`,
// `trailing`) so decode → encode is exact. A layout it cannot express is refused (the container
// then keeps the body as bytes).

import { CodecError, CodecErrorCode } from '../errors.js';
import type { Guid } from '../guid.js';
import { ByteReader } from '../reader.js';
import { registerSection, type SectionCodec } from '../section.js';
import { ByteWriter } from '../writer.js';

export const ARM_RAS_SECTION_GUID = 'bf32d4d5-b427-4025-8495-8a9e5d4030e4';
export const ARM_RAS_NODE_SIZE = 80;
export const ARM_RAS_DESCRIPTOR_SIZE = 72;
export const ARM_RAS_AUX_HEADER_SIZE = 16;
export const ARM_RAS_CONTEXT_HEADER_SIZE = 16;
export const ARM_RAS_KVP_SIZE = 24;
/** Key of the MPAM PARTID key-value pair (DEN0085). */
export const ARM_RAS_MPAM_PARTID_KEY: Guid = 'ebb45182-fb03-4bf9-9aca-8613709fd789';

export interface ArmRasErrorRecord {
  readonly errorRecordIndex: number;
  readonly rasExtensionRevision: number;
  readonly reserved: Uint8Array;
  readonly errFr: bigint;
  readonly errCtlr: bigint;
  readonly errStatus: bigint;
  readonly errAddr: bigint;
  readonly errMisc0: bigint;
  readonly errMisc1: bigint;
  readonly errMisc2: bigint;
  readonly errMisc3: bigint;
}

export interface ArmRasRegister {
  readonly address: bigint;
  readonly value: bigint;
}

export interface ArmRasContext {
  readonly flags: number;
  readonly addressSpaceIdentifier: bigint;
  readonly registers: readonly ArmRasRegister[];
  /** Bytes inside the context's Length after its registers. */
  readonly extra?: Uint8Array;
}

export interface ArmRasKeyValuePair {
  readonly key: Guid;
  readonly value: bigint;
}

export interface ArmRasAuxData {
  readonly version: number;
  readonly contexts: readonly ArmRasContext[];
  /** Bytes between the last context and the key-value pair array. */
  readonly gapBeforePairs?: Uint8Array;
  readonly keyValuePairs: readonly ArmRasKeyValuePair[];
  /** Bytes inside the auxiliary data size after the pairs. */
  readonly auxTrailing?: Uint8Array;
}

export type ArmRasSection = {
  readonly kind: 'arm-ras';
  readonly revision: number;
  readonly componentType: number;
  readonly reserved: number;
  readonly ipInstanceFormat: number;
  readonly ipTypeFormat: number;
  readonly reserved2: Uint8Array;
  readonly ipInstance: Uint8Array;
  readonly ipType: Uint8Array;
  readonly userData: Uint8Array;
  readonly errorSyndromes: readonly ArmRasErrorRecord[];
  /**
   * Error Syndrome Array Offset as stored, present only when there are no syndromes and it is
   * not 80 (an empty array has no place to check it against); otherwise computed (80).
   */
  readonly emptySyndromeArrayOffset?: number;
  /** Bytes between the syndrome array and the auxiliary data. */
  readonly gapBeforeAux?: Uint8Array;
  readonly auxData?: ArmRasAuxData;
  readonly trailing?: Uint8Array;
};

const STRUCTURE = 'Arm RAS node section';

function fail(r: ByteReader, field: string, message: string, offset: number): never {
  return r.lengthMismatch(field, message, offset);
}

function readContext(r: ByteReader, i: number, end: number): ArmRasContext {
  const p = `auxiliary context ${i}`;
  const at = r.offset;
  if (end - at < ARM_RAS_CONTEXT_HEADER_SIZE) fail(r, p, 'header runs past the auxiliary data', at);
  const length = r.u32(`${p} length`);
  const flags = r.u16(`${p} flags`);
  const count = r.u16(`${p} register count`);
  const addressSpaceIdentifier = r.u64(`${p} address space identifier`);
  const needed = ARM_RAS_CONTEXT_HEADER_SIZE + 16 * count;
  if (length < needed || at + length > end) {
    fail(
      r,
      `${p} length`,
      `${length} does not hold ${count} registers inside the auxiliary data`,
      at,
    );
  }
  const registers: ArmRasRegister[] = [];
  for (let k = 0; k < count; k++) {
    registers.push({
      address: r.u64(`${p} register ${k} address`),
      value: r.u64(`${p} register ${k} value`),
    });
  }
  const c: ArmRasContext = { flags, addressSpaceIdentifier, registers };
  return length > needed ? { ...c, extra: r.bytesCopy(length - needed, `${p} extra bytes`) } : c;
}

function readAux(r: ByteReader, start: number): ArmRasAuxData {
  r.need(ARM_RAS_AUX_HEADER_SIZE, 'auxiliary data header');
  const version = r.u16('auxiliary data version');
  const nContexts = r.u16('address space array entry count');
  const sizeAt = r.offset;
  const size = r.u32('auxiliary data size');
  const kvpOffset = r.u32('key-value pair array offset');
  const kvpCount = r.u32('key-value pair array entry count');
  const end = start + size;
  if (size < ARM_RAS_AUX_HEADER_SIZE || end > r.end) {
    fail(r, 'auxiliary data size', `${size} runs past the section`, sizeAt);
  }
  if (
    kvpOffset < ARM_RAS_AUX_HEADER_SIZE ||
    kvpOffset > size ||
    kvpCount * ARM_RAS_KVP_SIZE > size - kvpOffset
  ) {
    fail(
      r,
      'key-value pair array offset',
      `${kvpOffset} (${kvpCount} pairs) is outside the auxiliary data`,
      sizeAt + 4,
    );
  }
  const contexts: ArmRasContext[] = [];
  for (let i = 0; i < nContexts; i++) contexts.push(readContext(r, i, start + kvpOffset));
  const gap = start + kvpOffset - r.offset;
  const gapBeforePairs = gap > 0 ? r.bytesCopy(gap, 'bytes before the key-value pairs') : undefined;
  const keyValuePairs: ArmRasKeyValuePair[] = [];
  for (let i = 0; i < kvpCount; i++) {
    keyValuePairs.push({
      key: r.guid(`key-value pair ${i} key`),
      value: r.u64(`key-value pair ${i} value`),
    });
  }
  const rest = end - r.offset;
  return {
    version,
    contexts,
    ...(gapBeforePairs === undefined ? {} : { gapBeforePairs }),
    keyValuePairs,
    ...(rest > 0 ? { auxTrailing: r.bytesCopy(rest, 'auxiliary data trailing bytes') } : {}),
  };
}

export function readArmRasSection(r: ByteReader): ArmRasSection {
  const base = r.offset;
  r.need(ARM_RAS_NODE_SIZE, 'Arm RAS node');
  const revision = r.u32('revision');
  const componentType = r.u32('component type');
  const countAt = r.offset;
  const count = r.u16('error syndrome array entry count');
  const reserved = r.u16('reserved');
  const synAt = r.offset;
  const synOffset = r.u16('error syndrome array offset');
  const auxAt = r.offset;
  const auxOffset = r.u16('auxiliary data offset');
  const ipInstanceFormat = r.u8('IP instance format');
  const ipTypeFormat = r.u8('IP type format');
  const reserved2 = r.bytesCopy(6, 'reserved');
  const ipInstance = r.bytesCopy(16, 'IP instance');
  const ipType = r.bytesCopy(24, 'IP type');
  const userData = r.bytesCopy(16, 'user data');
  const keepOffset = count === 0 && synOffset !== ARM_RAS_NODE_SIZE;
  if (synOffset !== ARM_RAS_NODE_SIZE && !keepOffset) {
    fail(
      r,
      'error syndrome array offset',
      `${synOffset} is not right after the 80-byte node`,
      synAt,
    );
  }
  if (count * ARM_RAS_DESCRIPTOR_SIZE > r.remaining) {
    fail(
      r,
      'error syndrome array entry count',
      `${count} descriptors need ${count * 72} bytes, ${r.remaining} remain`,
      countAt,
    );
  }
  const errorSyndromes: ArmRasErrorRecord[] = [];
  for (let i = 0; i < count; i++) {
    const p = `error record ${i}`;
    errorSyndromes.push({
      errorRecordIndex: r.u32(`${p} index`),
      rasExtensionRevision: r.u8(`${p} RAS extension revision`),
      reserved: r.bytesCopy(3, `${p} reserved`),
      errFr: r.u64(`${p} ERR_FR`),
      errCtlr: r.u64(`${p} ERR_CTLR`),
      errStatus: r.u64(`${p} ERR_STATUS`),
      errAddr: r.u64(`${p} ERR_ADDR`),
      errMisc0: r.u64(`${p} ERR_MISC0`),
      errMisc1: r.u64(`${p} ERR_MISC1`),
      errMisc2: r.u64(`${p} ERR_MISC2`),
      errMisc3: r.u64(`${p} ERR_MISC3`),
    });
  }
  let gapBeforeAux: Uint8Array | undefined;
  let auxData: ArmRasAuxData | undefined;
  if (auxOffset !== 0) {
    const gap = base + auxOffset - r.offset;
    if (gap < 0 || base + auxOffset >= r.end) {
      fail(
        r,
        'auxiliary data offset',
        `${auxOffset} overlaps the syndromes or is past the section`,
        auxAt,
      );
    }
    if (gap > 0) gapBeforeAux = r.bytesCopy(gap, 'bytes before the auxiliary data');
    auxData = readAux(r, base + auxOffset);
  }
  const s: ArmRasSection = {
    kind: 'arm-ras',
    revision,
    componentType,
    reserved,
    ipInstanceFormat,
    ipTypeFormat,
    reserved2,
    ipInstance,
    ipType,
    userData,
    errorSyndromes,
    ...(keepOffset ? { emptySyndromeArrayOffset: synOffset } : {}),
    ...(gapBeforeAux === undefined ? {} : { gapBeforeAux }),
    ...(auxData === undefined ? {} : { auxData }),
  };
  return r.remaining === 0 ? s : { ...s, trailing: r.rest('trailing bytes') };
}

function auxSize(a: ArmRasAuxData): { size: number; kvpOffset: number } {
  let n = ARM_RAS_AUX_HEADER_SIZE;
  for (const c of a.contexts)
    n += ARM_RAS_CONTEXT_HEADER_SIZE + 16 * c.registers.length + (c.extra?.length ?? 0);
  n += a.gapBeforePairs?.length ?? 0;
  const kvpOffset = n;
  n += ARM_RAS_KVP_SIZE * a.keyValuePairs.length + (a.auxTrailing?.length ?? 0);
  return { size: n, kvpOffset };
}

export function writeArmRasSection(w: ByteWriter, s: ArmRasSection): void {
  const start = w.offset;
  const synEnd = ARM_RAS_NODE_SIZE + ARM_RAS_DESCRIPTOR_SIZE * s.errorSyndromes.length;
  const auxOffset = s.auxData === undefined ? 0 : synEnd + (s.gapBeforeAux?.length ?? 0);
  if (auxOffset > 0xffff) {
    throw new CodecError(
      `Cannot encode ${w.structure}: auxiliary data offset ${auxOffset} does not fit 16 bits`,
      {
        code: CodecErrorCode.OutOfRange,
        structure: w.structure,
        field: 'auxiliary data offset',
        offset: start + 14,
      },
    );
  }
  if (s.auxData === undefined && s.gapBeforeAux !== undefined) {
    throw new CodecError(`Cannot encode ${w.structure}: gapBeforeAux without auxData`, {
      code: CodecErrorCode.Invalid,
      structure: w.structure,
      field: 'gapBeforeAux',
      offset: start + synEnd,
    });
  }
  w.u32(s.revision, 'revision');
  w.u32(s.componentType, 'component type');
  w.u16(s.errorSyndromes.length, 'error syndrome array entry count');
  w.u16(s.reserved, 'reserved');
  if (s.emptySyndromeArrayOffset !== undefined && s.errorSyndromes.length > 0) {
    throw new CodecError(
      `Cannot encode ${w.structure}: emptySyndromeArrayOffset is only for a section without syndromes`,
      {
        code: CodecErrorCode.Invalid,
        structure: w.structure,
        field: 'emptySyndromeArrayOffset',
        offset: w.offset,
      },
    );
  }
  w.u16(s.emptySyndromeArrayOffset ?? ARM_RAS_NODE_SIZE, 'error syndrome array offset');
  w.u16(auxOffset, 'auxiliary data offset');
  w.u8(s.ipInstanceFormat, 'IP instance format');
  w.u8(s.ipTypeFormat, 'IP type format');
  w.bytes(s.reserved2, 'reserved', 6);
  w.bytes(s.ipInstance, 'IP instance', 16);
  w.bytes(s.ipType, 'IP type', 24);
  w.bytes(s.userData, 'user data', 16);
  s.errorSyndromes.forEach((e, i) => {
    const p = `error record ${i}`;
    w.u32(e.errorRecordIndex, `${p} index`);
    w.u8(e.rasExtensionRevision, `${p} RAS extension revision`);
    w.bytes(e.reserved, `${p} reserved`, 3);
    w.u64(e.errFr, `${p} ERR_FR`);
    w.u64(e.errCtlr, `${p} ERR_CTLR`);
    w.u64(e.errStatus, `${p} ERR_STATUS`);
    w.u64(e.errAddr, `${p} ERR_ADDR`);
    w.u64(e.errMisc0, `${p} ERR_MISC0`);
    w.u64(e.errMisc1, `${p} ERR_MISC1`);
    w.u64(e.errMisc2, `${p} ERR_MISC2`);
    w.u64(e.errMisc3, `${p} ERR_MISC3`);
  });
  const a = s.auxData;
  if (a !== undefined) {
    if (s.gapBeforeAux !== undefined) w.bytes(s.gapBeforeAux, 'bytes before the auxiliary data');
    const { size, kvpOffset } = auxSize(a);
    w.u16(a.version, 'auxiliary data version');
    w.u16(a.contexts.length, 'address space array entry count');
    w.u32(size, 'auxiliary data size');
    w.u32(kvpOffset, 'key-value pair array offset');
    w.u32(a.keyValuePairs.length, 'key-value pair array entry count');
    a.contexts.forEach((c, i) => {
      const p = `auxiliary context ${i}`;
      w.u32(
        ARM_RAS_CONTEXT_HEADER_SIZE + 16 * c.registers.length + (c.extra?.length ?? 0),
        `${p} length`,
      );
      w.u16(c.flags, `${p} flags`);
      w.u16(c.registers.length, `${p} register count`);
      w.u64(c.addressSpaceIdentifier, `${p} address space identifier`);
      c.registers.forEach((reg, k) => {
        w.u64(reg.address, `${p} register ${k} address`);
        w.u64(reg.value, `${p} register ${k} value`);
      });
      if (c.extra !== undefined) w.bytes(c.extra, `${p} extra bytes`);
    });
    if (a.gapBeforePairs !== undefined)
      w.bytes(a.gapBeforePairs, 'bytes before the key-value pairs');
    a.keyValuePairs.forEach((kv, i) => {
      w.guid(kv.key, `key-value pair ${i} key`);
      w.u64(kv.value, `key-value pair ${i} value`);
    });
    if (a.auxTrailing !== undefined) w.bytes(a.auxTrailing, 'auxiliary data trailing bytes');
  }
  if (s.trailing !== undefined) w.bytes(s.trailing, 'trailing bytes');
}

export function decodeArmRasSection(bytes: Uint8Array): ArmRasSection {
  return readArmRasSection(new ByteReader(bytes, STRUCTURE));
}

export function encodeArmRasSection(s: ArmRasSection): Uint8Array {
  const w = new ByteWriter(STRUCTURE, 512);
  writeArmRasSection(w, s);
  return w.toBytes();
}

export const armRasSectionCodec: SectionCodec<ArmRasSection> = registerSection({
  kind: 'arm-ras',
  guid: ARM_RAS_SECTION_GUID,
  linuxName: undefined,
  minLength: ARM_RAS_NODE_SIZE,
  decode: readArmRasSection,
  encode: writeArmRasSection,
});
