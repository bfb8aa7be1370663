// IA32/X64 Processor Error section (UEFI 2.10 Appendix N.2.4.2; Linux `struct cper_sec_proc_ia`
// with `struct cper_ia_err_info` and `struct cper_ia_proc_ctx`). GUID
// DC3EA0B0-A144-4797-B95B-53FA242B6E1D.
// | 0 | 8 | Validation Bits: 0 Local APIC Id valid, 1 CPUID Info valid, 7:2 Processor Error
//   Information count, 13:8 Processor Context Information count |
// | 8 | 8 | Local APIC Id | 16 | 48 | CPUID Info (EAX, EBX, ECX, EDX as u64 each, then 16 reserved) |
// | 64 | 64 × n | Processor Error Information: Error Structure Type GUID, Validation Bits u64,
//   Check Information u64, Target Id u64, Requestor Id u64, Responder Id u64, Instruction Pointer u64 |
// | … | Processor Context Information: Register Context Type u16, Register Array Size u16,
//   MSR Address u32, MM Register Address u64, Register Array (Register Array Size bytes) |
//
// The two counts live in the Validation Bits; they are read from there on decode (each structure
// checked against the bytes that remain first) and checked against the lists on encode. The
// Register Array Size is the length of `registerArray`, computed on encode. Bytes after the last
// context structure are kept in `trailing`.
//
// Linux decodes this section only on x86 (`IS_ENABLED(CONFIG_X86)` in cper.c): an arm64 kernel
// prints it as an unknown section. `printIa32X64SectionLinux` gives the x86 kernel's lines
// (drivers/firmware/efi/cper-x86.c `cper_print_proc_ia`, unchanged from 5.0 to 7.x), for a
// printer of x86 guests; the registered codec leaves `linuxName` undefined for that reason.

import { CodecError, CodecErrorCode } from '../errors.js';
import type { Guid } from '../guid.js';
import { ByteReader } from '../reader.js';
import { registerSection, type SectionCodec, type SectionPrintContext } from '../section.js';
import { ByteWriter } from '../writer.js';
import { CPER_PROC_ERROR_TYPE_STRS } from './arm-processor.js';

export const IA32X64_SECTION_GUID = 'dc3ea0b0-a144-4797-b95b-53fa242b6e1d';
export const IA32X64_HEADER_SIZE = 64;
export const IA32X64_ERROR_INFO_SIZE = 64;
export const IA32X64_CONTEXT_HEADER_SIZE = 16;
export const CPUID_INFO_SIZE = 48;

export const Ia32X64Valid = { LocalApicId: 0x1n, CpuidInfo: 0x2n } as const;

/** Error Structure Type GUIDs of the Processor Error Information structure (UEFI N.2.4.2.1). */
export const Ia32X64ErrorType = {
  Cache: 'a55701f5-e3ef-43de-ac72-249b573fad2c',
  Tlb: 'fc06b535-5e1f-4562-9f25-0a3b9adb63c3',
  Bus: '1cf3f8b3-c5b1-49a2-aa59-5eef92ffa63c',
  Ms: '48ab7f57-dc34-4f6c-a7d3-b0b5b0a74314',
} as const satisfies Record<string, Guid>;

/** Processor Error Information validation bits. */
export const Ia32X64ErrorInfoValid = {
  CheckInfo: 0x1n,
  TargetId: 0x2n,
  RequestorId: 0x4n,
  ResponderId: 0x8n,
  InstructionPointer: 0x10n,
} as const;

/** Register Context Type (UEFI N.2.4.2.2). Other values decode to their number. */
export const Ia32X64RegisterContextType = {
  Unclassified: 0,
  Msr: 1,
  Ia32ExecutionContext: 2,
  X64ExecutionContext: 3,
  Fxsave: 4,
  Ia32DebugRegisters: 5,
  X64DebugRegisters: 6,
  MemoryMappedRegisters: 7,
} as const;

export interface Ia32X64ErrorInfo {
  readonly errorType: Guid;
  readonly validationBits: bigint;
  readonly checkInfo: bigint;
  readonly targetId: bigint;
  readonly requestorId: bigint;
  readonly responderId: bigint;
  readonly instructionPointer: bigint;
}

export interface Ia32X64Context {
  readonly registerContextType: number;
  readonly msrAddress: number;
  readonly mmRegisterAddress: bigint;
  /** Register Array Size is its length. */
  readonly registerArray: Uint8Array;
}

export type Ia32X64ProcessorSection = {
  readonly kind: 'ia32x64';
  /** As stored; bits 7:2 and 13:8 must equal the list lengths on encode. */
  readonly validationBits: bigint;
  readonly localApicId: bigint;
  readonly cpuidInfo: Uint8Array;
  readonly errorInfo: readonly Ia32X64ErrorInfo[];
  readonly contexts: readonly Ia32X64Context[];
  readonly trailing?: Uint8Array;
};

/** Processor Error Information count, bits 7:2 of the validation bits. */
export function ia32x64ErrorInfoCount(validationBits: bigint): number {
  return Number((validationBits >> 2n) & 0x3fn);
}

/** Processor Context Information count, bits 13:8 of the validation bits. */
export function ia32x64ContextCount(validationBits: bigint): number {
  return Number((validationBits >> 8n) & 0x3fn);
}

const STRUCTURE = 'IA32/X64 Processor Error section';

export function readIa32X64ProcessorSection(r: ByteReader): Ia32X64ProcessorSection {
  r.need(IA32X64_HEADER_SIZE, 'IA32/X64 processor error section');
  const validationBits = r.u64('validation bits');
  const localApicId = r.u64('local APIC id');
  const cpuidInfo = r.bytesCopy(CPUID_INFO_SIZE, 'CPUID info');
  const nInfo = ia32x64ErrorInfoCount(validationBits);
  const nCtx = ia32x64ContextCount(validationBits);
  if (nInfo * IA32X64_ERROR_INFO_SIZE > r.remaining) {
    r.lengthMismatch(
      'processor error information',
      `count ${nInfo} needs ${nInfo * IA32X64_ERROR_INFO_SIZE} bytes, ${r.remaining} remain`,
    );
  }
  const errorInfo: Ia32X64ErrorInfo[] = [];
  for (let i = 0; i < nInfo; i++) {
    const p = `error information ${i}`;
    errorInfo.push({
      errorType: r.guid(`${p} error structure type`),
      validationBits: r.u64(`${p} validation bits`),
      checkInfo: r.u64(`${p} check information`),
      targetId: r.u64(`${p} target id`),
      requestorId: r.u64(`${p} requestor id`),
      responderId: r.u64(`${p} responder id`),
      instructionPointer: r.u64(`${p} instruction pointer`),
    });
  }
  const contexts: Ia32X64Context[] = [];
  for (let i = 0; i < nCtx; i++) {
    const p = `context information ${i}`;
    r.need(IA32X64_CONTEXT_HEADER_SIZE, p);
    const registerContextType = r.u16(`${p} register context type`);
    const size = r.u16(`${p} register array size`);
    const msrAddress = r.u32(`${p} MSR address`);
    const mmRegisterAddress = r.u64(`${p} MM register address`);
    const registerArray = r.bytesCopy(size, `${p} register array`);
    contexts.push({ registerContextType, msrAddress, mmRegisterAddress, registerArray });
  }
  const s: Ia32X64ProcessorSection = {
    kind: 'ia32x64',
    validationBits,
    localApicId,
    cpuidInfo,
    errorInfo,
    contexts,
  };
  return r.remaining === 0 ? s : { ...s, trailing: r.rest('trailing bytes') };
}

export function writeIa32X64ProcessorSection(w: ByteWriter, s: Ia32X64ProcessorSection): void {
  const v = s.validationBits;
  const check = (what: string, field: string, count: number, n: number) => {
    if (count !== n) {
      throw new CodecError(
        `Cannot encode ${w.structure}: validation bits say ${count} ${what} structures, the list has ${n}`,
        { code: CodecErrorCode.LengthMismatch, structure: w.structure, field, offset: w.offset },
      );
    }
  };
  check('error information', 'errorInfo', ia32x64ErrorInfoCount(v), s.errorInfo.length);
  check('context information', 'contexts', ia32x64ContextCount(v), s.contexts.length);
  w.u64(v, 'validation bits');
  w.u64(s.localApicId, 'local APIC id');
  w.bytes(s.cpuidInfo, 'CPUID info', CPUID_INFO_SIZE);
  s.errorInfo.forEach((e, i) => {
    const p = `error information ${i}`;
    w.guid(e.errorType, `${p} error structure type`);
    w.u64(e.validationBits, `${p} validation bits`);
    w.u64(e.checkInfo, `${p} check information`);
    w.u64(e.targetId, `${p} target id`);
    w.u64(e.requestorId, `${p} requestor id`);
    w.u64(e.responderId, `${p} responder id`);
    w.u64(e.instructionPointer, `${p} instruction pointer`);
  });
  s.contexts.forEach((c, i) => {
    const p = `context information ${i}`;
    w.u16(c.registerContextType, `${p} register context type`);
    w.u16(c.registerArray.length, `${p} register array size`);
    w.u32(c.msrAddress, `${p} MSR address`);
    w.u64(c.mmRegisterAddress, `${p} MM register address`);
    w.bytes(c.registerArray, `${p} register array`);
  });
  if (s.trailing !== undefined) w.bytes(s.trailing, 'trailing bytes');
}

export function decodeIa32X64ProcessorSection(bytes: Uint8Array): Ia32X64ProcessorSection {
  return readIa32X64ProcessorSection(new ByteReader(bytes, STRUCTURE));
}

export function encodeIa32X64ProcessorSection(s: Ia32X64ProcessorSection): Uint8Array {
  const w = new ByteWriter(STRUCTURE, IA32X64_HEADER_SIZE + 64 * s.errorInfo.length);
  writeIa32X64ProcessorSection(w, s);
  return w.toBytes();
}

// ---------------------------------------------------------------------------------------------
// What an x86 Linux kernel prints (cper-x86.c).

const TRANS_TYPE_STRS = ['Instruction', 'Data Access', 'Generic'];
const OP_STRS = [
  'generic error',
  'generic read',
  'generic write',
  'data read',
  'data write',
  'instruction fetch',
  'prefetch',
  'eviction',
  'snoop',
];
const BUS_PART_TYPE_STRS = [
  'Local Processor originated request',
  'Local Processor responded to request',
  'Local Processor observed',
  'Generic',
];
const BUS_ADDR_SPACE_STRS = ['Memory Access', 'Reserved', 'I/O', 'Other Transaction'];
const MS_ERROR_TYPE_STRS = [
  'No Error',
  'Unclassified',
  'Microcode ROM Parity Error',
  'External Error',
  'FRC Error',
  'Internal Unclassified',
];
const REG_CTX_STRS = [
  'Unclassified Data',
  'MSR Registers (Machine Check and other MSRs)',
  '32-bit Mode Execution Context',
  '64-bit Mode Execution Context',
  'FXSAVE Context',
  '32-bit Mode Debug Registers (DR0-DR7)',
  '64-bit Mode Debug Registers (DR0-DR7)',
  'Memory Mapped Registers',
];

const ERR_TYPES: readonly Guid[] = [
  Ia32X64ErrorType.Cache,
  Ia32X64ErrorType.Tlb,
  Ia32X64ErrorType.Bus,
  Ia32X64ErrorType.Ms,
];

const hex16 = (v: bigint) => v.toString(16).padStart(16, '0');
const bit = (check: bigint, n: number) => ((check >> BigInt(n)) & 1n) === 1n;
const field = (check: bigint, lo: number, width: number) =>
  Number((check >> BigInt(lo)) & ((1n << BigInt(width)) - 1n));

/**
 * `print_hex_dump(prefix, "", DUMP_PREFIX_OFFSET, 16, groupsize, buf, len, 0)`: a row whose
 * length is not a multiple of the group size falls back to single bytes (hex_dump_to_buffer).
 */
export function linuxHexDumpGrouped(
  prefix: string,
  bytes: Uint8Array,
  groupSize: number,
): string[] {
  const lines: string[] = [];
  for (let i = 0; i < bytes.length; i += 16) {
    const len = Math.min(16, bytes.length - i);
    const g = len % groupSize === 0 ? groupSize : 1;
    const words: string[] = [];
    for (let j = 0; j < len; j += g) {
      let v = 0n;
      for (let k = g - 1; k >= 0; k--) v = (v << 8n) | BigInt(bytes[i + j + k]!);
      words.push(v.toString(16).padStart(g * 2, '0'));
    }
    lines.push(`${prefix}${i.toString(16).padStart(8, '0')}: ${words.join(' ')}`);
  }
  return lines;
}

function printCheck(pfx: string, type: number, check: bigint, out: string[]): void {
  const valid = field(check, 0, 16);
  const bool = (name: string, n: number) => out.push(`${pfx}${name}: ${bit(check, n)}`);
  if (type === 3) {
    if (valid & 0x1) {
      const t = field(check, 16, 3);
      out.push(`${pfx}Error Type: ${t}, ${MS_ERROR_TYPE_STRS[t] ?? 'unknown'}`);
    }
    if (valid & 0x2) bool('Processor Context Corrupt', 19);
    if (valid & 0x4) bool('Uncorrected', 20);
    if (valid & 0x8) bool('Precise IP', 21);
    if (valid & 0x10) bool('Restartable IP', 22);
    if (valid & 0x20) bool('Overflow', 23);
    return;
  }
  if (valid & 0x1) {
    const t = field(check, 16, 2);
    out.push(`${pfx}Transaction Type: ${t}, ${TRANS_TYPE_STRS[t] ?? 'unknown'}`);
  }
  if (valid & 0x2) {
    const op = field(check, 18, 4);
    const max = type === 0 ? 9 : 7;
    out.push(`${pfx}Operation: ${op}, ${op < max ? OP_STRS[op] : 'unknown'}`);
  }
  if (valid & 0x4) out.push(`${pfx}Level: ${field(check, 22, 3)}`);
  if (valid & 0x8) bool('Processor Context Corrupt', 25);
  if (valid & 0x10) bool('Uncorrected', 26);
  if (valid & 0x20) bool('Precise IP', 27);
  if (valid & 0x40) bool('Restartable IP', 28);
  if (valid & 0x80) bool('Overflow', 29);
  if (type !== 2) return;
  if (valid & 0x100) {
    const t = field(check, 30, 2);
    out.push(`${pfx}Participation Type: ${t}, ${BUS_PART_TYPE_STRS[t] ?? 'unknown'}`);
  }
  if (valid & 0x200) bool('Time Out', 32);
  if (valid & 0x400) {
    const t = field(check, 33, 2);
    out.push(`${pfx}Address Space: ${t}, ${BUS_ADDR_SPACE_STRS[t] ?? 'unknown'}`);
  }
}

/**
 * The lines x86 Linux `cper_print_proc_ia()` prints. An MSR context's register array is printed
 * because `arch_apei_report_x86_error()` declines it everywhere but on AMD SMCA hosts (where the
 * kernel hands it to the MCE code instead); a guest is not one.
 */
export function printIa32X64SectionLinux(
  s: Ia32X64ProcessorSection,
  ctx: SectionPrintContext,
): string[] {
  const pfx = ctx.pfx;
  const out: string[] = [];
  if (s.validationBits & Ia32X64Valid.LocalApicId) {
    out.push(`${pfx}Local APIC_ID: 0x${s.localApicId.toString(16)}`);
  }
  if (s.validationBits & Ia32X64Valid.CpuidInfo) {
    out.push(`${pfx}CPUID Info:`);
    out.push(...linuxHexDumpGrouped(pfx, s.cpuidInfo, 4));
  }
  const newpfx = `${pfx} `;
  s.errorInfo.forEach((e, i) => {
    out.push(`${pfx}Error Information Structure ${i}:`);
    const type = ERR_TYPES.indexOf(e.errorType);
    const t = type < 0 ? 4 : type;
    out.push(`${newpfx}Error Structure Type: ${CPER_PROC_ERROR_TYPE_STRS[t] ?? 'unknown'}`);
    if (type < 0) out.push(`${newpfx}Error Structure Type: ${e.errorType}`);
    if (e.validationBits & Ia32X64ErrorInfoValid.CheckInfo) {
      out.push(`${newpfx}Check Information: 0x${hex16(e.checkInfo)}`);
      if (type >= 0) printCheck(`${newpfx} `, type, e.checkInfo, out);
    }
    if (e.validationBits & Ia32X64ErrorInfoValid.TargetId) {
      out.push(`${newpfx}Target Identifier: 0x${hex16(e.targetId)}`);
    }
    if (e.validationBits & Ia32X64ErrorInfoValid.RequestorId) {
      out.push(`${newpfx}Requestor Identifier: 0x${hex16(e.requestorId)}`);
    }
    if (e.validationBits & Ia32X64ErrorInfoValid.ResponderId) {
      out.push(`${newpfx}Responder Identifier: 0x${hex16(e.responderId)}`);
    }
    if (e.validationBits & Ia32X64ErrorInfoValid.InstructionPointer) {
      out.push(`${newpfx}Instruction Pointer: 0x${hex16(e.instructionPointer)}`);
    }
  });
  s.contexts.forEach((c, i) => {
    out.push(`${pfx}Context Information Structure ${i}:`);
    out.push(`${newpfx}Register Context Type: ${REG_CTX_STRS[c.registerContextType] ?? 'unknown'}`);
    out.push(
      `${newpfx}Register Array Size: 0x${c.registerArray.length.toString(16).padStart(4, '0')}`,
    );
    let group = 4;
    if (c.registerContextType === Ia32X64RegisterContextType.Msr) {
      group = 8;
      out.push(`${newpfx}MSR Address: 0x${c.msrAddress.toString(16).padStart(8, '0')}`);
    }
    if (c.registerContextType === Ia32X64RegisterContextType.MemoryMappedRegisters) {
      out.push(`${newpfx}MM Register Address: 0x${hex16(c.mmRegisterAddress)}`);
    }
    out.push(`${newpfx}Register Array:`);
    out.push(...linuxHexDumpGrouped(newpfx, c.registerArray, group));
  });
  return out;
}

export const ia32x64SectionCodec: SectionCodec<Ia32X64ProcessorSection> = registerSection({
  kind: 'ia32x64',
  guid: IA32X64_SECTION_GUID,
  // Named and printed only by x86 kernels; vras's Linux printer models arm64 guests.
  linuxName: undefined,
  minLength: IA32X64_HEADER_SIZE,
  decode: readIa32X64ProcessorSection,
  encode: writeIa32X64ProcessorSection,
});
