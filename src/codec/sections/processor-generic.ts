// Processor Generic Error section (UEFI 2.10 Appendix N.2.4.1; Linux `struct
// cper_sec_proc_generic`, 192 bytes). GUID 9876CCAD-47B4-4BDB-B65E-16F193C4F3DB. Layout:
// formats.md §9. Bytes after the 192-byte structure are kept in `trailing`.

import { ByteReader } from '../reader.js';
import { registerSection, type SectionCodec, type SectionPrintContext } from '../section.js';
import { ByteWriter } from '../writer.js';
import { CPER_PROC_ERROR_TYPE_STRS } from './arm-processor.js';

export const PROCESSOR_GENERIC_SECTION_GUID = '9876ccad-47b4-4bdb-b65e-16f193c4f3db';
export const PROCESSOR_GENERIC_SECTION_SIZE = 192;
export const CPU_BRAND_STRING_SIZE = 128;

/** Validation bits (Linux `CPER_PROC_VALID_*`). */
export const ProcessorGenericValid = {
  Type: 0x1n,
  Isa: 0x2n,
  ErrorType: 0x4n,
  Operation: 0x8n,
  Flags: 0x10n,
  Level: 0x20n,
  Version: 0x40n,
  BrandInfo: 0x80n,
  Id: 0x100n,
  TargetAddress: 0x200n,
  RequestorId: 0x400n,
  ResponderId: 0x800n,
  Ip: 0x1000n,
} as const;

export const ProcessorType = { Ia32X64: 0, Ia64: 1, Arm: 2 } as const;
export const ProcessorIsa = { Ia32: 0, Ia64: 1, X64: 2, ArmA32T32: 3, ArmA64: 4 } as const;
/** Processor Error Type bits (a bitmask, unlike the classic ARM type). */
export const ProcessorErrorTypeBit = {
  Cache: 0x1,
  Tlb: 0x2,
  Bus: 0x4,
  MicroArchitectural: 0x8,
} as const;
export const ProcessorOperation = {
  Generic: 0,
  DataRead: 1,
  DataWrite: 2,
  InstructionExecution: 3,
} as const;
export const ProcessorFlagBit = {
  Restartable: 0x1,
  PreciseIp: 0x2,
  Overflow: 0x4,
  Corrected: 0x8,
} as const;

export type ProcessorGenericSection = {
  readonly kind: 'processor-generic';
  readonly validationBits: bigint;
  readonly processorType: number;
  readonly processorIsa: number;
  readonly errorType: number;
  readonly operation: number;
  readonly flags: number;
  readonly level: number;
  readonly reserved: number;
  readonly cpuVersion: bigint;
  /** 128 bytes as latin1 text, kept byte for byte (NUL padding included). */
  readonly cpuBrandString: string;
  readonly processorId: bigint;
  readonly targetAddress: bigint;
  readonly requestorId: bigint;
  readonly responderId: bigint;
  readonly instructionIp: bigint;
  /** Bytes after the structure inside the section body. */
  readonly trailing?: Uint8Array;
};

const STRUCTURE = 'Processor Generic Error section';

export function readProcessorGenericSection(r: ByteReader): ProcessorGenericSection {
  r.need(PROCESSOR_GENERIC_SECTION_SIZE, 'processor generic error section');
  const s: ProcessorGenericSection = {
    kind: 'processor-generic',
    validationBits: r.u64('validation bits'),
    processorType: r.u8('processor type'),
    processorIsa: r.u8('processor ISA'),
    errorType: r.u8('processor error type'),
    operation: r.u8('operation'),
    flags: r.u8('flags'),
    level: r.u8('level'),
    reserved: r.u16('reserved'),
    cpuVersion: r.u64('CPU version info'),
    cpuBrandString: r.ascii(CPU_BRAND_STRING_SIZE, 'CPU brand string'),
    processorId: r.u64('processor id'),
    targetAddress: r.u64('target address'),
    requestorId: r.u64('requestor id'),
    responderId: r.u64('responder id'),
    instructionIp: r.u64('instruction IP'),
  };
  return r.remaining === 0 ? s : { ...s, trailing: r.rest('trailing bytes') };
}

export function writeProcessorGenericSection(w: ByteWriter, s: ProcessorGenericSection): void {
  w.u64(s.validationBits, 'validation bits');
  w.u8(s.processorType, 'processor type');
  w.u8(s.processorIsa, 'processor ISA');
  w.u8(s.errorType, 'processor error type');
  w.u8(s.operation, 'operation');
  w.u8(s.flags, 'flags');
  w.u8(s.level, 'level');
  w.u16(s.reserved, 'reserved');
  w.u64(s.cpuVersion, 'CPU version info');
  w.ascii(s.cpuBrandString, CPU_BRAND_STRING_SIZE, 'CPU brand string');
  w.u64(s.processorId, 'processor id');
  w.u64(s.targetAddress, 'target address');
  w.u64(s.requestorId, 'requestor id');
  w.u64(s.responderId, 'responder id');
  w.u64(s.instructionIp, 'instruction IP');
  if (s.trailing !== undefined) w.bytes(s.trailing, 'trailing bytes');
}

export function decodeProcessorGenericSection(bytes: Uint8Array): ProcessorGenericSection {
  return readProcessorGenericSection(new ByteReader(bytes, STRUCTURE));
}

export function encodeProcessorGenericSection(s: ProcessorGenericSection): Uint8Array {
  const w = new ByteWriter(STRUCTURE, PROCESSOR_GENERIC_SECTION_SIZE);
  writeProcessorGenericSection(w, s);
  return w.toBytes();
}

/** A zeroed section (NUL brand string) with `fields` applied. */
export function processorGenericSection(
  fields: Partial<ProcessorGenericSection> = {},
): ProcessorGenericSection {
  return {
    kind: 'processor-generic',
    validationBits: 0n,
    processorType: 0,
    processorIsa: 0,
    errorType: 0,
    operation: 0,
    flags: 0,
    level: 0,
    reserved: 0,
    cpuVersion: 0n,
    cpuBrandString: '\0'.repeat(CPU_BRAND_STRING_SIZE),
    processorId: 0n,
    targetAddress: 0n,
    requestorId: 0n,
    responderId: 0n,
    instructionIp: 0n,
    ...fields,
  };
}

/**
 * Bytes of the printk level marker (`KERN_ERR` = "\x01" "3") that the kernel's prefix carries
 * in front of `{N}[Hardware Error]: ` and that `cper_print_bits()` counts in its 80-column limit.
 */
export const PRINTK_LEVEL_BYTES = 2;
/** `cper_print_bits()`'s `char buf[84]`: at most 83 bytes per line, level marker included. */
const PRINT_BITS_BUF = 84;

/**
 * Linux `cper_print_bits()`: the names of the set bits joined with `, `, starting a new line
 * (with `pfx`) when a line (level marker and prefix included) would pass 80 characters.
 */
export function cperPrintBits(pfx: string, bits: number, strs: readonly string[]): string[] {
  const out: string[] = [];
  const cap = PRINT_BITS_BUF - 1 - PRINTK_LEVEL_BYTES;
  let len = 0;
  let buf = '';
  for (let i = 0; i < strs.length; i++) {
    if ((bits & (1 << i)) === 0) continue;
    const str = strs[i]!;
    if (len !== 0 && len + str.length + 2 > 80) {
      out.push(buf);
      len = 0;
    }
    if (len === 0) {
      buf = `${pfx}${str}`.slice(0, cap);
      len = PRINTK_LEVEL_BYTES + pfx.length + str.length;
    } else {
      const room = Math.max(0, PRINT_BITS_BUF - 1 - len);
      const add = `, ${str}`.slice(0, room);
      buf = (buf + add).slice(0, cap);
      len += add.length;
    }
  }
  if (len !== 0) out.push(buf);
  return out;
}

const PROC_TYPE_STRS = ['IA32/X64', 'IA64', 'ARM'];
const PROC_ISA_STRS = ['IA32', 'IA64', 'X64', 'ARM A32/T32', 'ARM A64'];
const PROC_OP_STRS = ['unknown or generic', 'data read', 'data write', 'instruction execution'];
const PROC_FLAG_STRS = ['restartable', 'precise IP', 'overflow', 'corrected'];

const h16 = (v: bigint): string => `0x${v.toString(16).padStart(16, '0')}`;
const h2 = (v: number): string => `0x${v.toString(16).padStart(2, '0')}`;

/** Lines Linux `cper_print_proc_generic()` prints (the same in 6.1 and newer kernels). */
export function printProcessorGenericSectionLinux(
  s: ProcessorGenericSection,
  ctx: SectionPrintContext,
): string[] {
  const pfx = ctx.pfx;
  const v = s.validationBits;
  const has = (bit: bigint): boolean => (v & bit) !== 0n;
  const out: string[] = [];
  if (has(ProcessorGenericValid.Type)) {
    out.push(
      `${pfx}processor_type: ${s.processorType}, ${PROC_TYPE_STRS[s.processorType] ?? 'unknown'}`,
    );
  }
  if (has(ProcessorGenericValid.Isa)) {
    out.push(
      `${pfx}processor_isa: ${s.processorIsa}, ${PROC_ISA_STRS[s.processorIsa] ?? 'unknown'}`,
    );
  }
  if (has(ProcessorGenericValid.ErrorType)) {
    out.push(`${pfx}error_type: ${h2(s.errorType)}`);
    out.push(...cperPrintBits(pfx, s.errorType, CPER_PROC_ERROR_TYPE_STRS));
  }
  if (has(ProcessorGenericValid.Operation)) {
    out.push(`${pfx}operation: ${s.operation}, ${PROC_OP_STRS[s.operation] ?? 'unknown'}`);
  }
  if (has(ProcessorGenericValid.Flags)) {
    out.push(`${pfx}flags: ${h2(s.flags)}`);
    out.push(...cperPrintBits(pfx, s.flags, PROC_FLAG_STRS));
  }
  if (has(ProcessorGenericValid.Level)) out.push(`${pfx}level: ${s.level}`);
  if (has(ProcessorGenericValid.Version)) out.push(`${pfx}version_info: ${h16(s.cpuVersion)}`);
  if (has(ProcessorGenericValid.Id)) out.push(`${pfx}processor_id: ${h16(s.processorId)}`);
  if (has(ProcessorGenericValid.TargetAddress)) {
    out.push(`${pfx}target_address: ${h16(s.targetAddress)}`);
  }
  if (has(ProcessorGenericValid.RequestorId)) out.push(`${pfx}requestor_id: ${h16(s.requestorId)}`);
  if (has(ProcessorGenericValid.ResponderId)) out.push(`${pfx}responder_id: ${h16(s.responderId)}`);
  if (has(ProcessorGenericValid.Ip)) out.push(`${pfx}IP: ${h16(s.instructionIp)}`);
  return out;
}

export const processorGenericSectionCodec: SectionCodec<ProcessorGenericSection> = registerSection({
  kind: 'processor-generic',
  guid: PROCESSOR_GENERIC_SECTION_GUID,
  linuxName: 'general processor error',
  minLength: PROCESSOR_GENERIC_SECTION_SIZE,
  decode: readProcessorGenericSection,
  encode: writeProcessorGenericSection,
  printLinux: printProcessorGenericSectionLinux,
});
