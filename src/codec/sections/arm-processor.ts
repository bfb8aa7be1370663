// ARM Processor Error section (UEFI 2.10 Appendix N.2.4.4; Linux `struct cper_sec_proc_arm`,
// `struct cper_arm_err_info`, `struct cper_arm_ctx_info`). GUID E19E3D16-BC11-11E4-9CAA-C2051D5D46B0.
// Layout: formats.md §8. A 40-byte header, ERR_INFO_NUM 32-byte error information entries,
// CONTEXT_INFO_NUM context entries (8-byte header + register bytes), then vendor bytes.
//
// Lossless: the counts and the Section Length are computed on encode. A declared Section Length
// that disagrees with the body is kept in `sectionLength` (absent when it agrees), because Linux
// prints from the declared length; the body itself always decodes from the bytes. Entry `version`
// and `length` bytes are data (Linux 6.1 walks entries at 32 bytes whatever they say).
//
// Linux print styles (cper-arm.c, `cper_print_proc_arm`):
// - 'bitmask': the UEFI 2.9A type bits (`error_type: 0x%02x: %s%s`, `cache error, operation
//   type: …`) and the `section length: %d, CPER size: %d` check. Upstream since the "efi/cper:
//   align ARM CPER type with UEFI 2.9A/2.10 specs" series, and backported to 6.1.y in January
//   2026 (stable review "[PATCH 6.1 216/634]") with the length fix in March 2026 (also in 5.10.252
//   and 5.15.202). Debian 12's 6.1.192 therefore prints this style; real-guest/NEWER-QEMU.md
//   measured byte-identical ARM lines on 6.1, 6.12 and 7.3. It is the default for both kernels.
// - 'classic': the enumerated type (0 cache … 3 micro-architectural) and the old length check,
//   as 6.1.0–6.1.15x and v4.16–6.x printed (formats.md §8.5 "Classic"). Select it with
//   `options.armStyle = 'classic'`.

import { CodecError, CodecErrorCode } from '../errors.js';
import { ByteReader } from '../reader.js';
import {
  type LinuxFormatOptions,
  registerSection,
  type SectionCodec,
  type SectionPrintContext,
} from '../section.js';
import { ByteWriter } from '../writer.js';

export const ARM_PROCESSOR_SECTION_GUID = 'e19e3d16-bc11-11e4-9caa-c2051d5d46b0';
/** The fixed header; the whole section is 40 + 32·ERR_INFO_NUM + contexts + vendor bytes. */
export const ARM_PROCESSOR_SECTION_SIZE = 40;
export const ARM_ERROR_INFORMATION_SIZE = 32;
export const ARM_CONTEXT_INFORMATION_HEADER_SIZE = 8;

/** Section header validation bits (Linux `CPER_ARM_VALID_*`). */
export const ArmValid = {
  Mpidr: 0x1,
  AffinityLevel: 0x2,
  RunningState: 0x4,
  VendorInfo: 0x8,
} as const;
export type ArmValidName = keyof typeof ArmValid;

/** Error information validation bits (Linux `CPER_ARM_INFO_VALID_*`). */
export const ArmInfoValid = {
  MultipleError: 0x1,
  Flags: 0x2,
  ErrorInfo: 0x4,
  VirtualAddress: 0x8,
  PhysicalAddress: 0x10,
} as const;
export type ArmInfoValidName = keyof typeof ArmInfoValid;

/** Error information flags (Linux `CPER_ARM_INFO_FLAGS_*`). */
export const ArmInfoFlags = {
  First: 0x1,
  Last: 0x2,
  Propagated: 0x4,
  Overflow: 0x8,
} as const;
export type ArmInfoFlagName = keyof typeof ArmInfoFlags;

/** UEFI 2.9A/2.10 type bits (Linux `CPER_ARM_*_ERROR` after the 2.9A change, mask bits 4:1). */
export const ArmErrorTypeBit = {
  Cache: 0x02,
  Tlb: 0x04,
  Bus: 0x08,
  MicroArchitectural: 0x10,
} as const;
export const ARM_ERROR_TYPE_MASK = 0x1e;

/** The enumerated type of UEFI 2.6–2.8 wording (Linux v4.16–6.1.15x). */
export const ArmErrorTypeEnumerated = {
  Cache: 0,
  Tlb: 1,
  Bus: 2,
  MicroArchitectural: 3,
} as const;

/** Register Context Types (formats.md §8.4). */
export const ArmContextType = {
  AArch32Gpr: 0,
  AArch32El1: 1,
  AArch32El2: 2,
  AArch32Secure: 3,
  AArch64Gpr: 4,
  AArch64El1: 5,
  AArch64El2: 6,
  AArch64El3: 7,
  MiscRegisters: 8,
} as const;
export type ArmContextType = (typeof ArmContextType)[keyof typeof ArmContextType];

export interface ArmErrorInformation {
  /** 0 in UEFI 2.10. */
  readonly version: number;
  /** 32 in UEFI 2.10; data only, entries are always 32 bytes apart. */
  readonly length: number;
  readonly validationBits: number;
  /** Error type: enumerated (0–3) or UEFI 2.9A bitmask (bits 4:1), see ArmTypeEncoding. */
  readonly type: number;
  /** Error count − 1 (Linux prints `num errors: multipleError + 1`). */
  readonly multipleError: number;
  readonly flags: number;
  readonly errorInfo: bigint;
  readonly virtualFaultAddress: bigint;
  readonly physicalFaultAddress: bigint;
}

export interface ArmContextInformation {
  /** 0 in UEFI 2.10. */
  readonly version: number;
  readonly registerContextType: number;
  /** The register array; Register Array Size is its length, computed on encode. */
  readonly registers: Uint8Array;
}

export type ArmProcessorSection = {
  readonly kind: 'arm';
  readonly validationBits: number;
  /**
   * Declared Section Length, present only when it differs from the encoded size (firmware
   * bugs Linux reports); absent means "computed on encode".
   */
  readonly sectionLength?: number;
  readonly errorAffinityLevel: number;
  /** 3 reserved bytes, kept as they are. */
  readonly reserved: Uint8Array;
  readonly mpidr: bigint;
  readonly midr: bigint;
  readonly runningState: number;
  readonly psciState: number;
  readonly errorInfo: readonly ArmErrorInformation[];
  readonly contextInfo: readonly ArmContextInformation[];
  /** Bytes after the last context structure, up to the end of the body. */
  readonly vendorSpecific: Uint8Array;
};

const STRUCTURE = 'ARM Processor Error section';

export function readArmErrorInformation(r: ByteReader): ArmErrorInformation {
  r.need(ARM_ERROR_INFORMATION_SIZE, 'error information');
  return {
    version: r.u8('error information version'),
    length: r.u8('error information length'),
    validationBits: r.u16('error information validation bits'),
    type: r.u8('error type'),
    multipleError: r.u16('multiple error'),
    flags: r.u8('flags'),
    errorInfo: r.u64('error information'),
    virtualFaultAddress: r.u64('virtual fault address'),
    physicalFaultAddress: r.u64('physical fault address'),
  };
}

export function writeArmErrorInformation(w: ByteWriter, e: ArmErrorInformation): void {
  w.u8(e.version, 'error information version');
  w.u8(e.length, 'error information length');
  w.u16(e.validationBits, 'error information validation bits');
  w.u8(e.type, 'error type');
  w.u16(e.multipleError, 'multiple error');
  w.u8(e.flags, 'flags');
  w.u64(e.errorInfo, 'error information');
  w.u64(e.virtualFaultAddress, 'virtual fault address');
  w.u64(e.physicalFaultAddress, 'physical fault address');
}

export function readArmContextInformation(r: ByteReader): ArmContextInformation {
  r.need(ARM_CONTEXT_INFORMATION_HEADER_SIZE, 'context information');
  const version = r.u16('context information version');
  const registerContextType = r.u16('register context type');
  const size = r.u32('register array size');
  return { version, registerContextType, registers: r.bytesCopy(size, 'register array') };
}

export function writeArmContextInformation(w: ByteWriter, c: ArmContextInformation): void {
  w.u16(c.version, 'context information version');
  w.u16(c.registerContextType, 'register context type');
  w.u32(c.registers.length, 'register array size');
  w.bytes(c.registers, 'register array');
}

/** Decodes the whole window of `r` as one ARM Processor Error section body. */
export function readArmProcessorSection(r: ByteReader): ArmProcessorSection {
  const start = r.offset;
  r.need(ARM_PROCESSOR_SECTION_SIZE, 'ARM processor error section header');
  const validationBits = r.u32('validation bits');
  const errInfoNum = r.u16('ERR_INFO_NUM');
  const contextInfoNum = r.u16('CONTEXT_INFO_NUM');
  const declaredLength = r.u32('section length');
  const errorAffinityLevel = r.u8('error affinity level');
  const reserved = r.bytesCopy(3, 'reserved');
  const mpidr = r.u64('MPIDR_EL1');
  const midr = r.u64('MIDR_EL1');
  const runningState = r.u32('running state');
  const psciState = r.u32('PSCI state');
  // Checked before anything is allocated from the count.
  r.need(errInfoNum * ARM_ERROR_INFORMATION_SIZE, 'error information structures');
  const errorInfo: ArmErrorInformation[] = [];
  for (let i = 0; i < errInfoNum; i++) errorInfo.push(readArmErrorInformation(r));
  const contextInfo: ArmContextInformation[] = [];
  for (let i = 0; i < contextInfoNum; i++) contextInfo.push(readArmContextInformation(r));
  const vendorSpecific = r.rest('vendor specific error information');
  const bodyLength = r.offset - start;
  return {
    kind: 'arm',
    validationBits,
    ...(declaredLength === bodyLength ? {} : { sectionLength: declaredLength }),
    errorAffinityLevel,
    reserved,
    mpidr,
    midr,
    runningState,
    psciState,
    errorInfo,
    contextInfo,
    vendorSpecific,
  };
}

/** Bytes the section occupies when encoded (the Section Length a consistent section declares). */
export function armProcessorSectionSize(s: ArmProcessorSection): number {
  let n = ARM_PROCESSOR_SECTION_SIZE + s.errorInfo.length * ARM_ERROR_INFORMATION_SIZE;
  for (const c of s.contextInfo) n += ARM_CONTEXT_INFORMATION_HEADER_SIZE + c.registers.length;
  return n + s.vendorSpecific.length;
}

export function writeArmProcessorSection(w: ByteWriter, s: ArmProcessorSection): void {
  w.u32(s.validationBits, 'validation bits');
  w.u16(s.errorInfo.length, 'ERR_INFO_NUM');
  w.u16(s.contextInfo.length, 'CONTEXT_INFO_NUM');
  w.u32(s.sectionLength ?? armProcessorSectionSize(s), 'section length');
  w.u8(s.errorAffinityLevel, 'error affinity level');
  w.bytes(s.reserved, 'reserved', 3);
  w.u64(s.mpidr, 'MPIDR_EL1');
  w.u64(s.midr, 'MIDR_EL1');
  w.u32(s.runningState, 'running state');
  w.u32(s.psciState, 'PSCI state');
  for (const e of s.errorInfo) writeArmErrorInformation(w, e);
  for (const c of s.contextInfo) writeArmContextInformation(w, c);
  w.bytes(s.vendorSpecific, 'vendor specific error information');
}

export function decodeArmProcessorSection(bytes: Uint8Array): ArmProcessorSection {
  return readArmProcessorSection(new ByteReader(bytes, STRUCTURE));
}

export function encodeArmProcessorSection(s: ArmProcessorSection): Uint8Array {
  const w = new ByteWriter(STRUCTURE, armProcessorSectionSize(s));
  writeArmProcessorSection(w, s);
  return w.toBytes();
}

// ---------------------------------------------------------------------------------------------
// Error type and Error Information (u64) decode helpers (formats.md §8.3)

export type ArmErrorKind = 'cache' | 'tlb' | 'bus' | 'micro-architectural';
/** 'enumerated': 0 cache … 3 micro-architectural; 'bitmask': UEFI 2.9A bits 4:1. */
export type ArmTypeEncoding = 'enumerated' | 'bitmask';

const KIND_ORDER: readonly ArmErrorKind[] = ['cache', 'tlb', 'bus', 'micro-architectural'];

/** Linux `cper_proc_error_type_strs` (shared with the Processor Generic section). */
export const CPER_PROC_ERROR_TYPE_STRS = [
  'cache error',
  'TLB error',
  'bus error',
  'micro-architectural error',
] as const;

/** The kinds a type byte names, and whether it has bits (or a value) the encoding reserves. */
export function armErrorKinds(
  type: number,
  encoding: ArmTypeEncoding,
): { readonly kinds: readonly ArmErrorKind[]; readonly reserved: boolean } {
  if (encoding === 'enumerated') {
    const kind = KIND_ORDER[type];
    return kind === undefined ? { kinds: [], reserved: true } : { kinds: [kind], reserved: false };
  }
  const bits = (type >> 1) & 0xf;
  return {
    kinds: KIND_ORDER.filter((_, i) => (bits & (1 << i)) !== 0),
    reserved: (type & ~ARM_ERROR_TYPE_MASK) !== 0,
  };
}

/** Error Information fields (formats.md §8.3); a field is present only when its valid bit is set. */
export interface ArmErrorInfoFields {
  /** 0 Instruction, 1 Data Access, 2 Generic. */
  readonly transactionType?: number;
  readonly operation?: number;
  readonly level?: number;
  readonly processorContextCorrupt?: boolean;
  readonly corrected?: boolean;
  readonly precisePc?: boolean;
  readonly restartablePc?: boolean;
  /** Bus only: 0 originated, 1 responded, 2 observed, 3 generic. */
  readonly participationType?: number;
  /** Bus only. */
  readonly timeOut?: boolean;
  /** Bus only: 0 external, 1 internal, 2 unknown, 3 device memory. */
  readonly addressSpace?: number;
  /** Bus only, 9 bits. */
  readonly memoryAttributes?: number;
  /** Bus only: 1 normal, 0 secure. */
  readonly accessMode?: number;
}

/** [valid bit, shift, mask] for each field of the Error Information value. */
const INFO_FIELDS = {
  transactionType: [0, 16, 0x3],
  operation: [1, 18, 0xf],
  level: [2, 22, 0x7],
  processorContextCorrupt: [3, 25, 0x1],
  corrected: [4, 26, 0x1],
  precisePc: [5, 27, 0x1],
  restartablePc: [6, 28, 0x1],
  participationType: [7, 29, 0x3],
  timeOut: [8, 31, 0x1],
  addressSpace: [9, 32, 0x3],
  memoryAttributes: [10, 34, 0x1ff],
  accessMode: [11, 43, 0x1],
} as const satisfies Record<keyof ArmErrorInfoFields, readonly [number, number, number]>;
const BOOLEAN_FIELDS = new Set([
  'processorContextCorrupt',
  'corrected',
  'precisePc',
  'restartablePc',
  'timeOut',
]);

function infoField(info: bigint, shift: number, mask: number): number {
  return Number((info >> BigInt(shift)) & BigInt(mask));
}

/** The fields of an Error Information value whose valid bits (15:0) are set. */
export function armErrorInfoFields(errorInfo: bigint): ArmErrorInfoFields {
  const out: Record<string, number | boolean> = {};
  for (const [name, [bit, shift, mask]] of Object.entries(INFO_FIELDS)) {
    if ((errorInfo & (1n << BigInt(bit))) === 0n) continue;
    const v = infoField(errorInfo, shift, mask);
    out[name] = BOOLEAN_FIELDS.has(name) ? v !== 0 : v;
  }
  return out as ArmErrorInfoFields;
}

/** Builds an Error Information value: each given field is encoded and its valid bit set. */
export function armErrorInfoValue(fields: ArmErrorInfoFields): bigint {
  let v = 0n;
  for (const [name, [bit, shift, mask]] of Object.entries(INFO_FIELDS)) {
    const raw = fields[name as keyof ArmErrorInfoFields];
    if (raw === undefined) continue;
    const n = typeof raw === 'boolean' ? (raw ? 1 : 0) : raw;
    if (!Number.isInteger(n) || n < 0 || n > mask) {
      throw new CodecError(
        `Cannot encode ARM error information: ${name} = ${String(raw)} does not fit (0..${mask})`,
        { code: CodecErrorCode.OutOfRange, structure: 'ARM error information', field: name },
      );
    }
    v |= (1n << BigInt(bit)) | (BigInt(n) << BigInt(shift));
  }
  return v;
}

const ARM_ERR_TRANS_TYPE_STRS = ['Instruction', 'Data Access', 'Generic'];
const ARM_COMMON_OP_STRS = [
  'Generic error (type cannot be determined)',
  'Generic read (type of instruction or data request cannot be determined)',
  // "of data request" is as in the Linux source.
  'Generic write (type of instruction of data request cannot be determined)',
  'Data read',
  'Data write',
  'Instruction fetch',
  'Prefetch',
];
const ARM_OP_STRS: Record<'cache' | 'tlb' | 'bus', readonly string[]> = {
  cache: [
    ...ARM_COMMON_OP_STRS,
    'Eviction',
    'Snooping (processor initiated a cache snoop that resulted in an error)',
    'Snooped (processor raised a cache error caused by another processor or device snooping its cache)',
    'Management',
  ],
  tlb: [
    ...ARM_COMMON_OP_STRS,
    'Local management operation (processor initiated a TLB management operation that resulted in an error)',
    'External management operation (processor raised a TLB error caused by another processor or device broadcasting TLB operations)',
  ],
  bus: ARM_COMMON_OP_STRS,
};
const ARM_BUS_ERR_PART_TYPE_STRS = [
  'Local processor originated request',
  'Local processor responded to request',
  'Local processor observed',
  'Generic',
];
const ARM_BUS_ERR_ADDR_SPACE_STRS = [
  'External Memory Access',
  'Internal Memory Access',
  'Unknown',
  'Device Memory Access',
];
const ARM_REG_CTX_STRS = [
  'AArch32 general purpose registers',
  'AArch32 EL1 context registers',
  'AArch32 EL2 context registers',
  'AArch32 secure context registers',
  'AArch64 general purpose registers',
  'AArch64 EL1 context registers',
  'AArch64 EL2 context registers',
  'AArch64 EL3 context registers',
  'Misc. system register structure',
];

/** Linux's name of an operation value for a cache, TLB or bus error, if it has one. */
export function armOperationName(kind: 'cache' | 'tlb' | 'bus', op: number): string | undefined {
  return ARM_OP_STRS[kind][op];
}

// ---------------------------------------------------------------------------------------------
// Linux printer

/**
 * Linux `print_hex_dump(level, "", DUMP_PREFIX_OFFSET, 16, 4, buf, len, ascii)` lines: a row of
 * up to 16 bytes as little-endian u32 groups (single bytes when the row is not a multiple of 4),
 * and with `ascii` the printable characters from column 37 (49 for single bytes).
 */
export function linuxHexDumpLines(prefix: string, bytes: Uint8Array, ascii: boolean): string[] {
  const lines: string[] = [];
  for (let i = 0; i < bytes.length; i += 16) {
    const len = Math.min(16, bytes.length - i);
    const groupSize = len % 4 === 0 ? 4 : 1;
    let line = '';
    for (let j = 0; j < len; j += groupSize) {
      let v = 0;
      for (let k = groupSize - 1; k >= 0; k--) v = v * 256 + bytes[i + j + k]!;
      line += (j === 0 ? '' : ' ') + v.toString(16).padStart(groupSize * 2, '0');
    }
    if (ascii) {
      line = line.padEnd(32 + 16 / groupSize + 1, ' ');
      for (let j = 0; j < len; j++) {
        const c = bytes[i + j]!;
        line += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '.';
      }
    }
    lines.push(`${prefix}${i.toString(16).padStart(8, '0')}: ${line}`);
  }
  return lines;
}

export type ArmPrintStyle = 'classic' | 'bitmask';

export interface ArmLinuxFormatOptions extends LinuxFormatOptions {
  /** Overrides the style the kernel option implies (both '6.1' and 'newer' mean 'bitmask'). */
  readonly armStyle?: ArmPrintStyle;
}

/** The ARM print style a kernel selection implies (see the header comment). */
export function armPrintStyle(options: LinuxFormatOptions): ArmPrintStyle {
  return (options as ArmLinuxFormatOptions).armStyle ?? 'bitmask';
}

const h16 = (v: bigint): string => `0x${v.toString(16).padStart(16, '0')}`;
/** printk `%d` of a u32: the value as a signed 32-bit int. */
const d32 = (v: number): number => v | 0;

function printErrInfoFields(
  pfx: string,
  type: number,
  info: bigint,
  style: ArmPrintStyle,
  out: string[],
): void {
  const has = (bit: number): boolean => (info & (1n << BigInt(bit))) !== 0n;
  let kinds: ('cache' | 'tlb' | 'bus')[];
  let isBusOnly: boolean;
  if (style === 'classic') {
    if (type > 3 || type === 3) return;
    kinds = [(['cache', 'tlb', 'bus'] as const)[type]!];
    isBusOnly = type === 2;
  } else {
    if ((type & ArmErrorTypeBit.MicroArchitectural) !== 0) return;
    kinds = [];
    if (type & ArmErrorTypeBit.Cache) kinds.push('cache');
    if (type & ArmErrorTypeBit.Tlb) kinds.push('tlb');
    if (type & ArmErrorTypeBit.Bus) kinds.push('bus');
    // cper-arm.c tests `type != CPER_ARM_BUS_ERROR`: bus fields only for exactly 0x08.
    isBusOnly = type === ArmErrorTypeBit.Bus;
  }
  if (has(0)) {
    const s = ARM_ERR_TRANS_TYPE_STRS[infoField(info, 16, 0x3)];
    if (s !== undefined) out.push(`${pfx}transaction type: ${s}`);
  }
  if (has(1)) {
    const op = infoField(info, 18, 0xf);
    for (const kind of kinds) {
      const s = ARM_OP_STRS[kind][op];
      if (s === undefined) continue;
      const label = style === 'classic' ? '' : `${kind === 'tlb' ? 'TLB' : kind} error, `;
      out.push(`${pfx}${label}operation type: ${s}`);
    }
  }
  if (has(2)) {
    const level = infoField(info, 22, 0x7);
    for (const kind of kinds) {
      if (kind === 'cache') out.push(`${pfx}cache level: ${level}`);
      else if (kind === 'tlb') out.push(`${pfx}TLB level: ${level}`);
      else out.push(`${pfx}affinity level at which the bus error occurred: ${level}`);
    }
  }
  if (has(3)) {
    out.push(
      infoField(info, 25, 1)
        ? `${pfx}processor context corrupted`
        : `${pfx}processor context not corrupted`,
    );
  }
  if (has(4)) {
    out.push(
      infoField(info, 26, 1)
        ? `${pfx}the error has been corrected`
        : `${pfx}the error has not been corrected`,
    );
  }
  if (has(5)) out.push(infoField(info, 27, 1) ? `${pfx}PC is precise` : `${pfx}PC is imprecise`);
  if (has(6) && infoField(info, 28, 1)) {
    out.push(
      `${pfx}Program execution can be restarted reliably at the PC associated with the error.`,
    );
  }
  if (!isBusOnly) return;
  if (has(7)) {
    const s = ARM_BUS_ERR_PART_TYPE_STRS[infoField(info, 29, 0x3)];
    if (s !== undefined) out.push(`${pfx}participation type: ${s}`);
  }
  if (has(8) && infoField(info, 31, 1)) out.push(`${pfx}request timed out`);
  if (has(9)) {
    const s = ARM_BUS_ERR_ADDR_SPACE_STRS[infoField(info, 32, 0x3)];
    if (s !== undefined) out.push(`${pfx}address space: ${s}`);
  }
  if (has(10))
    out.push(`${pfx}memory access attributes:0x${infoField(info, 34, 0x1ff).toString(16)}`);
  if (has(11)) {
    out.push(infoField(info, 43, 1) ? `${pfx}access mode: normal` : `${pfx}access mode: secure`);
  }
}

/** Linux `cper_bits_to_str()` over the type bits 4:1: the set names joined with `|`. */
function bitmaskTypeNames(type: number): string {
  const bits = (type >> 1) & 0xf;
  return CPER_PROC_ERROR_TYPE_STRS.filter((_, i) => (bits & (1 << i)) !== 0).join('|');
}

/**
 * Lines Linux `cper_print_proc_arm()` prints for the body (the section header line
 * `section_type: ARM processor error` is the record printer's). `pfx` is the body prefix.
 */
export function printArmProcessorSectionLinux(
  s: ArmProcessorSection,
  ctx: SectionPrintContext,
): string[] {
  const style = armPrintStyle(ctx.options);
  const pfx = ctx.pfx;
  const newpfx = `${pfx} `;
  const infopfx = `${newpfx} `;
  const out: string[] = [`${pfx}MIDR: ${h16(s.midr)}`];
  const bodyLength = armProcessorSectionSize(s);
  const sectionLength = s.sectionLength ?? bodyLength;
  const n = s.errorInfo.length;
  // int len = u32 section_length - size_t(...): the difference truncated to a signed int.
  let len = (sectionLength - (ARM_PROCESSOR_SECTION_SIZE + n * ARM_ERROR_INFORMATION_SIZE)) | 0;
  if (style === 'classic' ? len < 0 : len < 0 || sectionLength > bodyLength) {
    if (style === 'classic') {
      out.push(`${pfx}section length: ${d32(sectionLength)}`);
      out.push(`${pfx}section length is too small`);
    } else {
      out.push(`${pfx}section length: ${d32(sectionLength)}, CPER size: ${d32(bodyLength)}`);
      out.push(`${pfx}section length is too ${len < 0 ? 'small' : 'big'}`);
    }
    out.push(`${pfx}firmware-generated error record is incorrect`);
    out.push(`${pfx}ERR_INFO_NUM is ${n}`);
    return out;
  }
  if (s.validationBits & ArmValid.Mpidr) {
    out.push(`${pfx}Multiprocessor Affinity Register (MPIDR): ${h16(s.mpidr)}`);
  }
  if (s.validationBits & ArmValid.AffinityLevel) {
    out.push(`${pfx}error affinity level: ${s.errorAffinityLevel}`);
  }
  if (s.validationBits & ArmValid.RunningState) {
    out.push(`${pfx}running state: 0x${s.runningState.toString(16)}`);
    out.push(`${pfx}Power State Coordination Interface state: ${d32(s.psciState)}`);
  }
  s.errorInfo.forEach((e, i) => {
    out.push(`${pfx}Error info structure ${i}:`);
    out.push(`${pfx}num errors: ${e.multipleError + 1}`);
    if (e.validationBits & ArmInfoValid.Flags) {
      if (e.flags & ArmInfoFlags.First) out.push(`${newpfx}first error captured`);
      if (e.flags & ArmInfoFlags.Last) out.push(`${newpfx}last error captured`);
      if (e.flags & ArmInfoFlags.Propagated) out.push(`${newpfx}propagated error captured`);
      if (e.flags & ArmInfoFlags.Overflow) {
        out.push(`${newpfx}overflow occurred, error info is incomplete`);
      }
    }
    if (style === 'classic') {
      out.push(`${newpfx}error_type: ${e.type}, ${CPER_PROC_ERROR_TYPE_STRS[e.type] ?? 'unknown'}`);
    } else {
      const reserved = (e.type & ~ARM_ERROR_TYPE_MASK) !== 0 ? ' with reserved bit(s)' : '';
      out.push(
        `${newpfx}error_type: 0x${e.type.toString(16).padStart(2, '0')}: ${bitmaskTypeNames(e.type)}${reserved}`,
      );
    }
    if (e.validationBits & ArmInfoValid.ErrorInfo) {
      out.push(`${newpfx}error_info: ${h16(e.errorInfo)}`);
      printErrInfoFields(infopfx, e.type, e.errorInfo, style, out);
    }
    if (e.validationBits & ArmInfoValid.VirtualAddress) {
      out.push(`${newpfx}virtual fault address: ${h16(e.virtualFaultAddress)}`);
    }
    if (e.validationBits & ArmInfoValid.PhysicalAddress) {
      out.push(`${newpfx}physical fault address: ${h16(e.physicalFaultAddress)}`);
    }
  });
  const maxCtxType = ARM_REG_CTX_STRS.length - 1;
  for (let i = 0; i < s.contextInfo.length; i++) {
    const c = s.contextInfo[i]!;
    const size = (ARM_CONTEXT_INFORMATION_HEADER_SIZE + c.registers.length) | 0;
    out.push(`${pfx}Context info structure ${i}:`);
    if (len < size) {
      out.push(`${newpfx}section length is too small`);
      out.push(`${pfx}firmware-generated error record is incorrect`);
      return out;
    }
    if (c.registerContextType > maxCtxType) {
      out.push(`${newpfx}Invalid context type: ${c.registerContextType} (max: ${maxCtxType})`);
      return out;
    }
    out.push(`${newpfx}register context type: ${ARM_REG_CTX_STRS[c.registerContextType]}`);
    out.push(...linuxHexDumpLines(newpfx, c.registers, false));
    len -= size;
  }
  if (len > 0) {
    out.push(`${pfx}Vendor specific error info has ${len >>> 0} bytes:`);
    // With the classic check a declared length beyond the body makes Linux read past the
    // section; only the bytes that exist are dumped here.
    out.push(...linuxHexDumpLines(newpfx, s.vendorSpecific.subarray(0, len), true));
  }
  return out;
}

export const armProcessorSectionCodec: SectionCodec<ArmProcessorSection> = registerSection({
  kind: 'arm',
  guid: ARM_PROCESSOR_SECTION_GUID,
  linuxName: 'ARM processor error',
  minLength: ARM_PROCESSOR_SECTION_SIZE,
  decode: readArmProcessorSection,
  encode: writeArmProcessorSection,
  printLinux: printArmProcessorSectionLinux,
});

// ---------------------------------------------------------------------------------------------
// Builder with QEMU scripts/ghes_inject.py `arm` options (scripts/arm_processor_error.py @92a0dcb)

export type ArmErrorTypeName = 'cache' | 'tlb' | 'bus' | 'micro-arch';
const TYPE_BITS: Record<ArmErrorTypeName, number> = {
  cache: ArmErrorTypeBit.Cache,
  tlb: ArmErrorTypeBit.Tlb,
  bus: ArmErrorTypeBit.Bus,
  'micro-arch': ArmErrorTypeBit.MicroArchitectural,
};
/** ghes_inject.py's default Error Information for a single type (formats.md §8.3). */
const DEFAULT_ERROR_INFO: Record<number, bigint> = {
  [ArmErrorTypeBit.Cache]: 0x0091000fn,
  [ArmErrorTypeBit.Tlb]: 0x0054007fn,
  [ArmErrorTypeBit.Bus]: 0x80d6460fffn,
  [ArmErrorTypeBit.MicroArchitectural]: 0x78da03ffn,
};

/** One `-t` entry and its per-entry options (`-V`, `-m`, `-f`, `-e`, `-v`, `-p`). */
export interface ArmErrorInfoBuild {
  /** `-t`: type names (a combination like `tlb,micro-arch` is several), or the raw type byte. */
  readonly type?: readonly ArmErrorTypeName[] | number;
  /** `-V`: explicit validation bits; by default set for every field given or defaulted below. */
  readonly validation?: readonly ArmInfoValidName[] | number;
  /** `-m`: default 1 (written, but its valid bit is set only when given). */
  readonly multipleError?: number;
  /** `-f`: default first|last (written, valid bit only when given). */
  readonly flags?: readonly ArmInfoFlagName[] | number;
  /** `-e`: default per single type (formats.md §8.3); 0 and not valid for combinations. */
  readonly errorInfo?: bigint;
  /** `-v`: default 0xDEADBEEF (valid bit only when given). */
  readonly virtualAddress?: bigint;
  /** `-p`: default 0xABBA0BAD (valid bit only when given). */
  readonly physicalAddress?: bigint;
}

export interface ArmContextBuild {
  /** `--ctx-type`: default `defaultContextType`. */
  readonly type?: number;
  /** `--ctx-array`: 64-bit registers. */
  readonly registers?: readonly bigint[];
  /** `--ctx-size`: minimum number of 64-bit registers (the array is zero-padded to it). */
  readonly minimalSize?: number;
}

export interface ArmProcessorBuildOptions {
  /** `--arm`: explicit header validation bits; by default as the script computes them. */
  readonly validation?: readonly ArmValidName[] | number;
  /** `-a/--affinity`. */
  readonly affinityLevel?: number;
  /** `-l/--mpidr`. */
  readonly mpidr?: bigint;
  /** `-i/--midr` (the script asks QEMU for the first CPU's MIDR; default here 0). */
  readonly midr?: bigint;
  /** `-r/--running`: running state bit 0. */
  readonly running?: boolean;
  /** `--psci`. */
  readonly psciState?: number;
  /** One entry per `-t` value; default one cache error. */
  readonly errors?: readonly ArmErrorInfoBuild[];
  readonly contexts?: readonly ArmContextBuild[];
  /**
   * Context type when an entry gives none: the script uses AArch64 EL1 (5) for an aarch64
   * target, AArch32 EL1 (1) for arm, Misc (8) otherwise.
   */
  readonly defaultContextType?: number;
  /** `--vendor`. */
  readonly vendor?: Uint8Array;
}

function bitsOf<K extends string>(
  value: readonly K[] | number,
  table: Readonly<Record<K, number>>,
): number {
  if (typeof value === 'number') return value;
  let bits = 0;
  for (const name of value) bits |= table[name];
  return bits;
}

/**
 * An ARM Processor Error section as `ghes_inject.py arm` builds it, with the same defaults
 * (valid bits derived from the options given, running-state valid bit always set because the
 * script always writes a running state, cache type, error info per type, VA 0xDEADBEEF, PA
 * 0xABBA0BAD, multiple error 1, flags first|last). Unlike the script, MPIDR, affinity level and
 * PSCI state are encoded as given, and a context holds exactly its registers (no +1).
 */
export function buildArmProcessorSection(opts: ArmProcessorBuildOptions = {}): ArmProcessorSection {
  let validationBits: number;
  if (opts.validation !== undefined) validationBits = bitsOf(opts.validation, ArmValid);
  else {
    validationBits = ArmValid.RunningState;
    if (opts.affinityLevel !== undefined) validationBits |= ArmValid.AffinityLevel;
    if (opts.mpidr !== undefined) validationBits |= ArmValid.Mpidr;
  }
  const errors = opts.errors ?? [{}];
  const errorInfo = errors.map((e): ArmErrorInformation => {
    const type = bitsOf(e.type ?? ['cache'], TYPE_BITS);
    const info = e.errorInfo ?? DEFAULT_ERROR_INFO[type];
    let valid: number;
    if (e.validation !== undefined) valid = bitsOf(e.validation, ArmInfoValid);
    else {
      valid = 0;
      if (e.multipleError !== undefined) valid |= ArmInfoValid.MultipleError;
      if (e.flags !== undefined) valid |= ArmInfoValid.Flags;
      if (info !== undefined) valid |= ArmInfoValid.ErrorInfo;
      if (e.physicalAddress !== undefined) valid |= ArmInfoValid.PhysicalAddress;
      if (e.virtualAddress !== undefined) valid |= ArmInfoValid.VirtualAddress;
    }
    return {
      version: 0,
      length: ARM_ERROR_INFORMATION_SIZE,
      validationBits: valid,
      type,
      multipleError: e.multipleError ?? 1,
      flags: bitsOf(e.flags ?? ['First', 'Last'], ArmInfoFlags),
      errorInfo: info ?? 0n,
      virtualFaultAddress: e.virtualAddress ?? 0xdeadbeefn,
      physicalFaultAddress: e.physicalAddress ?? 0xabba0badn,
    };
  });
  const contextInfo = (opts.contexts ?? []).map((c): ArmContextInformation => {
    const regs = c.registers ?? [];
    const count = Math.max(c.minimalSize ?? 0, regs.length);
    const w = new ByteWriter('ARM context register array', count * 8);
    for (let i = 0; i < count; i++) w.u64(regs[i] ?? 0n, `register ${i}`);
    return {
      version: 0,
      registerContextType: c.type ?? opts.defaultContextType ?? ArmContextType.AArch64El1,
      registers: w.toBytes(),
    };
  });
  return {
    kind: 'arm',
    validationBits,
    errorAffinityLevel: opts.affinityLevel ?? 0,
    reserved: new Uint8Array(3),
    mpidr: opts.mpidr ?? 0n,
    midr: opts.midr ?? 0n,
    runningState: opts.running ? 1 : 0,
    psciState: opts.psciState ?? 0,
    errorInfo,
    contextInfo,
    vendorSpecific: opts.vendor ?? new Uint8Array(0),
  };
}
