// ARMv8 ESR_ELx, the Exception Syndrome Register (Arm ARM DDI 0487, D24.2 "ESR_EL1"; Linux
// arch/arm64/include/asm/esr.h; formats.md §11): EC, IL, ISS and ISS2, with the ISS decoded for
// data/instruction aborts (§11.2) and SError (§11.3). Also the helpers the engine and the
// simulator need: QEMU's `syn_data_abort_no_iss`, the 25-bit SError ISS that KVM_SET_VCPU_EVENTS
// accepts (§16.1), and Linux's arm64 SError decision and panic text (linux-guest.md §11).
//
// A register is not a byte structure: `decodeEsr` takes the value (bigint or number) and
// `encodeEsr` gives it back as a bigint. Every bit of the 64 is kept, so decode → encode is exact.

import { CodecError, CodecErrorCode } from './errors.js';
import { hex, hex64 } from './hex.js';

const STRUCTURE = 'ESR_ELx';
const U64_MAX = (1n << 64n) - 1n;

/** ESR_ELx bit positions (esr.h). */
export const ESR_EC_SHIFT = 26;
export const ESR_IL = 1 << 25;
/** `ESR_ELx_ISS_MASK`: bits 24:0. */
export const ESR_ISS_MASK = 0x1ffffff;

/** Exception classes (esr.h `ESR_ELx_EC_*`); unknown values decode to their number. */
export const EsrClass = {
  Unknown: 0x00,
  Wfx: 0x01,
  Cp15_32: 0x03,
  Cp15_64: 0x04,
  Cp14Mr: 0x05,
  Cp14Ls: 0x06,
  FpAsimd: 0x07,
  Cp10Id: 0x08,
  Pac: 0x09,
  Cp14_64: 0x0c,
  Bti: 0x0d,
  Ill: 0x0e,
  Svc32: 0x11,
  Hvc32: 0x12,
  Smc32: 0x13,
  Svc64: 0x15,
  Hvc64: 0x16,
  Smc64: 0x17,
  Sys64: 0x18,
  Sve: 0x19,
  Eret: 0x1a,
  Fpac: 0x1c,
  Sme: 0x1d,
  ImpDef: 0x1f,
  IabtLow: 0x20,
  IabtCur: 0x21,
  PcAlign: 0x22,
  DabtLow: 0x24,
  DabtCur: 0x25,
  SpAlign: 0x26,
  Mops: 0x27,
  FpExc32: 0x28,
  FpExc64: 0x2c,
  SError: 0x2f,
  BreakptLow: 0x30,
  BreakptCur: 0x31,
  SoftstpLow: 0x32,
  SoftstpCur: 0x33,
  WatchptLow: 0x34,
  WatchptCur: 0x35,
  Bkpt32: 0x38,
  Vector32: 0x3a,
  Brk64: 0x3c,
} as const;
export type EsrClass = (typeof EsrClass)[keyof typeof EsrClass];

/** Linux `esr_class_str[]` (arch/arm64/kernel/traps.c), what `esr_get_class_string` prints. */
const CLASS_STRINGS: Readonly<Record<number, string>> = {
  0: 'Unknown/Uncategorized',
  1: 'WFI/WFE',
  3: 'CP15 MCR/MRC',
  4: 'CP15 MCRR/MRRC',
  5: 'CP14 MCR/MRC',
  6: 'CP14 LDC/STC',
  7: 'ASIMD',
  8: 'CP10 MRC/VMRS',
  9: 'PAC',
  12: 'CP14 MCRR/MRRC',
  13: 'BTI',
  14: 'PSTATE.IL',
  17: 'SVC (AArch32)',
  18: 'HVC (AArch32)',
  19: 'SMC (AArch32)',
  21: 'SVC (AArch64)',
  22: 'HVC (AArch64)',
  23: 'SMC (AArch64)',
  24: 'MSR/MRS (AArch64)',
  25: 'SVE',
  26: 'ERET/ERETAA/ERETAB',
  28: 'FPAC',
  29: 'SME',
  31: 'EL3 IMP DEF',
  32: 'IABT (lower EL)',
  33: 'IABT (current EL)',
  34: 'PC Alignment',
  36: 'DABT (lower EL)',
  37: 'DABT (current EL)',
  38: 'SP Alignment',
  39: 'MOPS',
  40: 'FP (AArch32)',
  44: 'FP (AArch64)',
  47: 'SError',
  48: 'Breakpoint (lower EL)',
  49: 'Breakpoint (current EL)',
  50: 'Software Step (lower EL)',
  51: 'Software Step (current EL)',
  52: 'Watchpoint (lower EL)',
  53: 'Watchpoint (current EL)',
  56: 'BKPT (AArch32)',
  58: 'Vector catch (AArch32)',
  60: 'BRK (AArch64)',
};

/** What Linux's `esr_get_class_string()` prints for `ec` (`UNRECOGNIZED EC` when unnamed). */
export function esrClassString(ec: number): string {
  return CLASS_STRINGS[ec] ?? 'UNRECOGNIZED EC';
}

/** Fault status codes that matter for RAS (esr.h `ESR_ELx_FSC_*`). */
export const Fsc = {
  /** Synchronous external abort, not on a translation table walk. */
  Extabt: 0x10,
  /** Data abort: synchronous tag check fault (MTE). SError ISS: asynchronous SError. */
  SError: 0x11,
  /** Synchronous parity or ECC error (without FEAT_RAS). */
  Serror18: 0x18,
} as const;

/** SError asynchronous error type (esr.h `ESR_ELx_AET_*`), ISS bits 12:10. */
export const Aet = { UC: 0, UEU: 1, UEO: 2, UER: 3, CE: 6 } as const;
export type Aet = (typeof Aet)[keyof typeof Aet];

const AET_NAMES: Readonly<Record<number, string>> = {
  0: 'UC',
  1: 'UEU',
  2: 'UEO',
  3: 'UER',
  6: 'CE',
};
const AET_MEANINGS: Readonly<Record<number, string>> = {
  0: 'uncontainable',
  1: 'unrecoverable state',
  2: 'restartable state',
  3: 'recoverable state',
  6: 'corrected',
};

/** `UC`, `UEU`, `UEO`, `UER`, `CE`, or `reserved (n)`. */
export function aetName(aet: number): string {
  return AET_NAMES[aet] ?? `reserved (${aet})`;
}

/** Parses an AET given by name (`uer`, case-insensitive) or number; undefined if neither. */
export function parseAet(text: string): number | undefined {
  const upper = text.trim().toUpperCase();
  for (const [v, n] of Object.entries(AET_NAMES)) if (n === upper) return Number(v);
  if (/^(0x[0-9a-f]+|\d+)$/i.test(text.trim())) {
    const n = Number(text.trim());
    return n >= 0 && n <= 7 ? n : undefined;
  }
  return undefined;
}

/** SET (synchronous error type), abort ISS bits 12:11, meaningful for DFSC 0x10 with FEAT_RAS. */
const SET_NAMES: Readonly<Record<number, string>> = {
  0: 'UER (recoverable)',
  1: 'reserved',
  2: 'UC (uncontainable)',
  3: 'UEO (restartable)',
};

/** One row of Linux's `fault_info[]` (arch/arm64/mm/fault.c, post-LPA2 names). */
export interface LinuxFaultInfo {
  readonly name: string;
  /** The signal sent to a user task that takes this fault unhandled. */
  readonly signal: 'SIGKILL' | 'SIGSEGV' | 'SIGBUS';
  readonly siCode:
    | 'SI_KERNEL'
    | 'SEGV_MAPERR'
    | 'SEGV_ACCERR'
    | 'SEGV_MTESERR'
    | 'BUS_OBJERR'
    | 'BUS_ADRALN';
  /** Handled by `do_sea()` (and so by `apei_claim_sea()` for user mode). */
  readonly sea: boolean;
}

function faultInfo(fsc: number): LinuxFaultInfo {
  const kill = (name: string, sea = false): LinuxFaultInfo => ({
    name,
    signal: 'SIGKILL',
    siCode: 'SI_KERNEL',
    sea,
  });
  if (fsc <= 3) return kill(`level ${fsc} address size fault`);
  if (fsc <= 7) {
    return {
      name: `level ${fsc - 4} translation fault`,
      signal: 'SIGSEGV',
      siCode: 'SEGV_MAPERR',
      sea: false,
    };
  }
  if (fsc <= 0x0b) {
    return {
      name: `level ${fsc - 8} access flag fault`,
      signal: 'SIGSEGV',
      siCode: 'SEGV_ACCERR',
      sea: false,
    };
  }
  if (fsc <= 0x0f) {
    return {
      name: `level ${fsc - 12} permission fault`,
      signal: 'SIGSEGV',
      siCode: 'SEGV_ACCERR',
      sea: false,
    };
  }
  if (fsc === 0x10) {
    return {
      name: 'synchronous external abort',
      signal: 'SIGBUS',
      siCode: 'BUS_OBJERR',
      sea: true,
    };
  }
  if (fsc === 0x11) {
    return {
      name: 'synchronous tag check fault',
      signal: 'SIGSEGV',
      siCode: 'SEGV_MTESERR',
      sea: false,
    };
  }
  if (fsc >= 0x13 && fsc <= 0x17) return kill(`level ${fsc - 0x14} (translation table walk)`, true);
  if (fsc === 0x18) {
    return {
      name: 'synchronous parity or ECC error',
      signal: 'SIGBUS',
      siCode: 'BUS_OBJERR',
      sea: true,
    };
  }
  if (fsc >= 0x1b && fsc <= 0x1f) {
    return kill(`level ${fsc - 0x1c} synchronous parity error (translation table walk)`, true);
  }
  if (fsc === 0x21) {
    return { name: 'alignment fault', signal: 'SIGBUS', siCode: 'BUS_ADRALN', sea: false };
  }
  if (fsc === 0x29) return kill('level -1 address size fault');
  if (fsc === 0x2b) {
    return {
      name: 'level -1 translation fault',
      signal: 'SIGSEGV',
      siCode: 'SEGV_MAPERR',
      sea: false,
    };
  }
  if (fsc === 0x30) return kill('TLB conflict abort');
  if (fsc === 0x31) return kill('Unsupported atomic hardware update fault');
  if (fsc === 0x34) return kill('implementation fault (lockdown abort)');
  if (fsc === 0x35) {
    return {
      name: 'implementation fault (unsupported exclusive)',
      signal: 'SIGBUS',
      siCode: 'BUS_OBJERR',
      sea: false,
    };
  }
  if (fsc === 0x3d) return kill('section domain fault');
  if (fsc === 0x3e) return kill('page domain fault');
  return kill(`unknown ${fsc}`);
}

/** Linux's fault name and user signal for a DFSC/IFSC (formats.md §11.2 table). */
export function linuxFaultInfo(fsc: number): LinuxFaultInfo {
  return faultInfo(fsc & 0x3f);
}

/** KVM's `kvm_vcpu_abt_issea()`: FSC 0x10, 0x13–0x17, 0x18, 0x1B–0x1F. */
export function isSeaFsc(fsc: number): boolean {
  return (
    fsc === 0x10 || (fsc >= 0x13 && fsc <= 0x17) || fsc === 0x18 || (fsc >= 0x1b && fsc <= 0x1f)
  );
}

// ---------------------------------------------------------------------------------------------
// ISS views

/** Data abort ISS (EC 0x24/0x25), formats.md §11.2. Every one of the 25 bits has a field. */
export interface DataAbortIss {
  readonly kind: 'data-abort';
  /** Bit 24: instruction syndrome (bits 23:14) valid. */
  readonly isv: number;
  /** Bits 23:22: access size (ISV = 1). */
  readonly sas: number;
  /** Bit 21: sign extend. */
  readonly sse: number;
  /** Bits 20:16: register number. */
  readonly srt: number;
  /** Bit 15: 64-bit register. */
  readonly sf: number;
  /** Bit 14: acquire/release. */
  readonly ar: number;
  /** Bit 13: VNCR_EL2-relative access (FEAT_NV2). */
  readonly vncr: number;
  /** Bits 12:11: synchronous error type. */
  readonly set: number;
  /** Bit 10: FAR not valid. */
  readonly fnv: number;
  /** Bit 9: external abort type. */
  readonly ea: number;
  /** Bit 8: cache maintenance. */
  readonly cm: number;
  /** Bit 7: stage-2 fault on a stage-1 walk. */
  readonly s1ptw: number;
  /** Bit 6: 1 = write. */
  readonly wnr: number;
  /** Bits 5:0: fault status code. */
  readonly dfsc: number;
}

/**
 * Instruction abort ISS (EC 0x20/0x21): SET, FnV, EA, S1PTW and IFSC at the data-abort
 * positions; the other bits are RES0 and kept in `res0` (as a mask of bits 24:0) so nothing is
 * lost.
 */
export interface InstructionAbortIss {
  readonly kind: 'instruction-abort';
  readonly res0: number;
  readonly set: number;
  readonly fnv: number;
  readonly ea: number;
  readonly s1ptw: number;
  readonly ifsc: number;
}

/** SError ISS (EC 0x2F) with IDS = 0: the architected RAS syndrome (formats.md §11.3). */
export interface SErrorIssArchitected {
  readonly kind: 'serror';
  readonly ids: 0;
  /** Bits 23:14 and 8:6 (RES0 or extension-defined), as a mask of bits 24:0. */
  readonly res0: number;
  /** Bit 13: synchronized by an implicit error synchronization barrier. */
  readonly iesb: number;
  /** Bits 12:10: asynchronous error type (valid when DFSC = 0x11). */
  readonly aet: number;
  /** Bit 9: external abort type. */
  readonly ea: number;
  /** Bits 5:0: 0x00 uncategorized, 0x11 asynchronous SError interrupt. */
  readonly dfsc: number;
}

/** SError ISS with IDS = 1: bits 23:0 are an implementation-defined syndrome. */
export interface SErrorIssImplementationDefined {
  readonly kind: 'serror';
  readonly ids: 1;
  readonly syndrome: number;
}

export type SErrorIss = SErrorIssArchitected | SErrorIssImplementationDefined;

export type EsrIssView = DataAbortIss | InstructionAbortIss | SErrorIss;

const INSN_ABORT_USED = (3 << 11) | (1 << 10) | (1 << 9) | (1 << 7) | 0x3f;
const SERROR_USED = (1 << 24) | (1 << 13) | (7 << 10) | (1 << 9) | 0x3f;

/** The data abort fields of a 25-bit ISS. */
export function dataAbortIss(iss: number): DataAbortIss {
  return {
    kind: 'data-abort',
    isv: (iss >>> 24) & 1,
    sas: (iss >>> 22) & 3,
    sse: (iss >>> 21) & 1,
    srt: (iss >>> 16) & 0x1f,
    sf: (iss >>> 15) & 1,
    ar: (iss >>> 14) & 1,
    vncr: (iss >>> 13) & 1,
    set: (iss >>> 11) & 3,
    fnv: (iss >>> 10) & 1,
    ea: (iss >>> 9) & 1,
    cm: (iss >>> 8) & 1,
    s1ptw: (iss >>> 7) & 1,
    wnr: (iss >>> 6) & 1,
    dfsc: iss & 0x3f,
  };
}

/** The instruction abort fields of a 25-bit ISS. */
export function instructionAbortIss(iss: number): InstructionAbortIss {
  return {
    kind: 'instruction-abort',
    res0: iss & ESR_ISS_MASK & ~INSN_ABORT_USED,
    set: (iss >>> 11) & 3,
    fnv: (iss >>> 10) & 1,
    ea: (iss >>> 9) & 1,
    s1ptw: (iss >>> 7) & 1,
    ifsc: iss & 0x3f,
  };
}

/** The SError fields of a 25-bit ISS. */
export function serrorIssFields(iss: number): SErrorIss {
  if ((iss >>> 24) & 1) return { kind: 'serror', ids: 1, syndrome: iss & 0xffffff };
  return {
    kind: 'serror',
    ids: 0,
    res0: iss & ESR_ISS_MASK & ~SERROR_USED,
    iesb: (iss >>> 13) & 1,
    aet: (iss >>> 10) & 7,
    ea: (iss >>> 9) & 1,
    dfsc: iss & 0x3f,
  };
}

// ---------------------------------------------------------------------------------------------
// Encoding helpers (range-checked)

function outOfRange(field: string, value: unknown, max: number): never {
  throw new CodecError(
    `Cannot encode ${STRUCTURE}: ${field} = ${String(value)} does not fit (0..${hex(max)})`,
    { code: CodecErrorCode.OutOfRange, structure: STRUCTURE, field },
  );
}

function bits(value: number | undefined, width: number, field: string): number {
  if (value === undefined) return 0;
  const max = 2 ** width - 1;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    outOfRange(field, value, max);
  }
  return value;
}

/** Named data abort fields; omitted ones are 0. */
export type DataAbortIssInput = Partial<Omit<DataAbortIss, 'kind'>>;

/** The 25-bit ISS for data abort fields, each range-checked to its width. */
export function dataAbortIssValue(f: DataAbortIssInput): number {
  return (
    ((bits(f.isv, 1, 'ISV') << 24) |
      (bits(f.sas, 2, 'SAS') << 22) |
      (bits(f.sse, 1, 'SSE') << 21) |
      (bits(f.srt, 5, 'SRT') << 16) |
      (bits(f.sf, 1, 'SF') << 15) |
      (bits(f.ar, 1, 'AR') << 14) |
      (bits(f.vncr, 1, 'VNCR') << 13) |
      (bits(f.set, 2, 'SET') << 11) |
      (bits(f.fnv, 1, 'FnV') << 10) |
      (bits(f.ea, 1, 'EA') << 9) |
      (bits(f.cm, 1, 'CM') << 8) |
      (bits(f.s1ptw, 1, 'S1PTW') << 7) |
      (bits(f.wnr, 1, 'WnR') << 6) |
      bits(f.dfsc, 6, 'DFSC')) >>>
    0
  );
}

export type InstructionAbortIssInput = Partial<Omit<InstructionAbortIss, 'kind'>>;

export function instructionAbortIssValue(f: InstructionAbortIssInput): number {
  const res0 = bits(f.res0, 25, 'RES0');
  if (res0 & INSN_ABORT_USED) outOfRange('RES0', hex(res0), ESR_ISS_MASK & ~INSN_ABORT_USED);
  return (
    (res0 |
      (bits(f.set, 2, 'SET') << 11) |
      (bits(f.fnv, 1, 'FnV') << 10) |
      (bits(f.ea, 1, 'EA') << 9) |
      (bits(f.s1ptw, 1, 'S1PTW') << 7) |
      bits(f.ifsc, 6, 'IFSC')) >>>
    0
  );
}

/** Fields of an SError ISS; `syndrome` (bits 23:0) only with IDS = 1, the others only with 0. */
export interface SErrorIssInput {
  readonly ids?: number;
  readonly iesb?: number;
  readonly aet?: number;
  readonly ea?: number;
  readonly dfsc?: number;
  readonly res0?: number;
  readonly syndrome?: number;
}

/**
 * The 25-bit SError ISS (what userspace passes as `kvm_vcpu_events.exception.serror_esr`).
 * With IDS = 1 the rest is an implementation-defined `syndrome`; mixing it with the architected
 * fields is an error.
 */
export function serrorIss(f: SErrorIssInput): number {
  const ids = bits(f.ids, 1, 'IDS');
  if (ids === 1) {
    for (const k of ['iesb', 'aet', 'ea', 'dfsc', 'res0'] as const) {
      if (f[k] !== undefined && f[k] !== 0) {
        throw new CodecError(
          `Cannot encode ${STRUCTURE}: ${k.toUpperCase()} has no meaning with IDS = 1 (use syndrome)`,
          { code: CodecErrorCode.Invalid, structure: STRUCTURE, field: k.toUpperCase() },
        );
      }
    }
    return ((1 << 24) | bits(f.syndrome, 24, 'syndrome')) >>> 0;
  }
  if (f.syndrome !== undefined && f.syndrome !== 0) {
    throw new CodecError(
      `Cannot encode ${STRUCTURE}: syndrome needs IDS = 1 (implementation-defined syndrome)`,
      { code: CodecErrorCode.Invalid, structure: STRUCTURE, field: 'syndrome' },
    );
  }
  const res0 = bits(f.res0, 25, 'RES0');
  if (res0 & SERROR_USED) outOfRange('RES0', hex(res0), ESR_ISS_MASK & ~SERROR_USED);
  return (
    (res0 |
      (bits(f.iesb, 1, 'IESB') << 13) |
      (bits(f.aet, 3, 'AET') << 10) |
      (bits(f.ea, 1, 'EA') << 9) |
      bits(f.dfsc, 6, 'DFSC')) >>>
    0
  );
}

/**
 * KVM_SET_VCPU_EVENTS accepts only ISS bits 24:0 in `serror_esr` (formats.md §16.1:
 * `serror_esr & ~ESR_ELx_ISS_MASK` must be 0, else -EINVAL). Returns the value as a number.
 */
export function validateSErrorIss(value: bigint | number): number {
  const v = toBig(value, 'serror_esr');
  if ((v & ~BigInt(ESR_ISS_MASK)) !== 0n) {
    throw new CodecError(
      `Cannot use ${hex64(v)} as an SError syndrome: only ISS bits 24:0 may be set (KVM_SET_VCPU_EVENTS returns -EINVAL)`,
      { code: CodecErrorCode.OutOfRange, structure: 'kvm_vcpu_events', field: 'serror_esr' },
    );
  }
  return Number(v);
}

// ---------------------------------------------------------------------------------------------
// The whole register

export interface Esr {
  /** Bits 63:56, RES0. */
  readonly res0: number;
  /** Bits 55:32. */
  readonly iss2: number;
  /** Bits 31:26. */
  readonly ec: number;
  /** Linux's class string for `ec` (`DABT (lower EL)`, `SError`, …). */
  readonly ecName: string;
  /** Bit 25: 1 = 32-bit instruction (RES1 for SError, instruction aborts, DABT with ISV = 0). */
  readonly il: number;
  /** Bits 24:0. */
  readonly iss: number;
  /** The ISS decoded by class, for aborts and SError; undefined for other classes. */
  readonly view: EsrIssView | undefined;
  /** One-line human description. */
  readonly describe: string;
}

function toBig(value: bigint | number, field: string): bigint {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0)
      outOfRange(field, value, Number.MAX_SAFE_INTEGER);
    return BigInt(value);
  }
  if (typeof value !== 'bigint' || value < 0n || value > U64_MAX) {
    throw new CodecError(`Cannot decode ${STRUCTURE}: ${String(value)} is not a 64-bit value`, {
      code: CodecErrorCode.OutOfRange,
      structure: STRUCTURE,
      field,
    });
  }
  return value;
}

function issView(ec: number, iss: number): EsrIssView | undefined {
  if (ec === EsrClass.DabtLow || ec === EsrClass.DabtCur) return dataAbortIss(iss);
  if (ec === EsrClass.IabtLow || ec === EsrClass.IabtCur) return instructionAbortIss(iss);
  if (ec === EsrClass.SError) return serrorIssFields(iss);
  return undefined;
}

/** Decodes an ESR_ELx value (any 64-bit value; RES0 bits are kept). */
export function decodeEsr(value: bigint | number): Esr {
  const v = toBig(value, 'value');
  const low = Number(v & 0xffffffffn);
  const ec = low >>> ESR_EC_SHIFT;
  const il = (low >>> 25) & 1;
  const iss = low & ESR_ISS_MASK;
  const iss2 = Number((v >> 32n) & 0xffffffn);
  const res0 = Number(v >> 56n);
  const view = issView(ec, iss);
  const esr = { res0, iss2, ec, ecName: esrClassString(ec), il, iss, view };
  return { ...esr, describe: describeEsr(v, esr) };
}

/** What `encodeEsr` takes: `iss` as a number, or as the named fields of the class's view. */
export interface EsrInput {
  readonly ec: number;
  readonly il: number;
  readonly iss2?: number;
  readonly res0?: number;
  readonly iss?: number | DataAbortIssInput | InstructionAbortIssInput | SErrorIssInput;
}

/** Encodes an ESR_ELx value; every field is range-checked to its width. */
export function encodeEsr(input: EsrInput): bigint {
  const ec = bits(input.ec, 6, 'EC');
  const il = bits(input.il, 1, 'IL');
  const iss2 = bits(input.iss2, 24, 'ISS2');
  const res0 = bits(input.res0, 8, 'RES0');
  let iss: number;
  if (input.iss === undefined || typeof input.iss === 'number') {
    iss = bits(input.iss, 25, 'ISS');
  } else if (ec === EsrClass.DabtLow || ec === EsrClass.DabtCur) {
    iss = dataAbortIssValue(input.iss as DataAbortIssInput);
  } else if (ec === EsrClass.IabtLow || ec === EsrClass.IabtCur) {
    iss = instructionAbortIssValue(input.iss as InstructionAbortIssInput);
  } else if (ec === EsrClass.SError) {
    iss = serrorIss(input.iss as SErrorIssInput);
  } else {
    throw new CodecError(
      `Cannot encode ${STRUCTURE}: EC ${hex(ec, 2)} has no named ISS fields; give iss as a number`,
      { code: CodecErrorCode.Invalid, structure: STRUCTURE, field: 'ISS' },
    );
  }
  const low = ((ec << ESR_EC_SHIFT) | (il << 25) | iss) >>> 0;
  return (BigInt(res0) << 56n) | (BigInt(iss2) << 32n) | BigInt(low);
}

/** The full ESR a guest sees for an SError with this ISS: EC 0x2F, IL = 1 (as KVM injects it). */
export function serrorEsr(iss: number): bigint {
  return encodeEsr({ ec: EsrClass.SError, il: 1, iss });
}

/** Fields of QEMU's `syn_data_abort_no_iss()` (target/arm/syndrome.h); omitted ones are 0. */
export interface SeaSyndromeInput {
  /** 1: the abort is taken to the EL it came from (EC 0x25), 0: from a lower EL (EC 0x24). */
  readonly sameEl: number;
  readonly fnv: number;
  readonly ea?: number;
  readonly cm?: number;
  /** QEMU never sets SET; kept here so an engine can describe a RAS-typed abort. */
  readonly set?: number;
  readonly s1ptw?: number;
  readonly wnr?: number;
  readonly fsc: number;
}

/**
 * QEMU's `syn_data_abort_no_iss(same_el, fnv, ea, cm, s1ptw, wnr, fsc)`: EC 0x24 + same_el,
 * IL = 1, ISV = 0. `kvm_inject_arm_sea` uses fnv = 1, fsc = 0x10: 0x92000410 / 0x96000410.
 */
export function seaSyndrome(f: SeaSyndromeInput): bigint {
  const sameEl = bits(f.sameEl, 1, 'sameEl');
  return encodeEsr({
    ec: EsrClass.DabtLow + sameEl,
    il: 1,
    iss: {
      fnv: f.fnv,
      ...(f.ea === undefined ? {} : { ea: f.ea }),
      ...(f.cm === undefined ? {} : { cm: f.cm }),
      ...(f.set === undefined ? {} : { set: f.set }),
      ...(f.s1ptw === undefined ? {} : { s1ptw: f.s1ptw }),
      ...(f.wnr === undefined ? {} : { wnr: f.wnr }),
      dfsc: f.fsc,
    },
  });
}

// ---------------------------------------------------------------------------------------------
// Description

function fscText(fsc: number): string {
  const info = faultInfo(fsc);
  const sig = `${info.signal}/${info.siCode}`;
  return `${hex(fsc, 2)} ${info.name} (user: ${sig})`;
}

function serrorDfscName(dfsc: number): string {
  if (dfsc === 0) return 'uncategorized';
  if (dfsc === Fsc.SError) return 'asynchronous SError interrupt';
  return 'reserved';
}

function describeView(view: EsrIssView): string {
  switch (view.kind) {
    case 'data-abort': {
      const parts = [`DFSC ${fscText(view.dfsc)}`];
      if (view.isv) {
        parts.push(
          `ISV=1 (SAS ${1 << view.sas} bytes, SSE=${view.sse}, SRT x${view.srt}, SF=${view.sf}, AR=${view.ar})`,
        );
      }
      if (view.dfsc === Fsc.Extabt) parts.push(`SET ${SET_NAMES[view.set]}`);
      parts.push(view.fnv ? 'FnV=1 (FAR not valid)' : 'FnV=0 (FAR valid)');
      if (view.ea) parts.push('EA=1');
      if (view.cm) parts.push('CM=1 (cache maintenance)');
      if (view.s1ptw) parts.push('S1PTW=1 (stage-1 walk)');
      if (view.vncr) parts.push('VNCR=1');
      parts.push(view.wnr ? 'write' : 'read');
      return `data abort: ${parts.join(', ')}`;
    }
    case 'instruction-abort': {
      const parts = [`IFSC ${fscText(view.ifsc)}`];
      if (view.ifsc === Fsc.Extabt) parts.push(`SET ${SET_NAMES[view.set]}`);
      parts.push(view.fnv ? 'FnV=1 (FAR not valid)' : 'FnV=0 (FAR valid)');
      if (view.ea) parts.push('EA=1');
      if (view.s1ptw) parts.push('S1PTW=1 (stage-1 walk)');
      if (view.res0) parts.push(`RES0 bits ${hex(view.res0)} set`);
      return `instruction abort: ${parts.join(', ')}`;
    }
    case 'serror': {
      if (view.ids === 1) {
        return `SError: IDS=1, implementation-defined syndrome ${hex(view.syndrome, 6)} (Linux: not a RAS SError, panics)`;
      }
      const parts = [`DFSC ${hex(view.dfsc, 2)} ${serrorDfscName(view.dfsc)}`];
      if (view.dfsc === Fsc.SError) {
        parts.push(
          `AET ${aetName(view.aet)} (${AET_MEANINGS[view.aet] ?? 'reserved, treated as UC'})`,
        );
      } else {
        parts.push(`AET ${view.aet} (not valid: DFSC is not 0x11)`);
      }
      if (view.ea) parts.push('EA=1');
      if (view.iesb) parts.push('IESB=1');
      if (view.res0) parts.push(`RES0 bits ${hex(view.res0)} set`);
      return `SError: IDS=0, ${parts.join(', ')}`;
    }
  }
}

function describeEsr(
  v: bigint,
  e: Pick<Esr, 'ec' | 'ecName' | 'il' | 'iss' | 'iss2' | 'res0' | 'view'>,
): string {
  const head = `ESR ${hex64(v)}: EC ${hex(e.ec, 2)} ${e.ecName}, IL=${e.il}, ISS ${hex(e.iss, 7)}`;
  const extra: string[] = [];
  if (e.iss2) extra.push(`ISS2 ${hex(e.iss2)}`);
  if (e.res0) extra.push(`RES0 bits 63:56 = ${hex(e.res0, 2)}`);
  const tail = e.view ? `; ${describeView(e.view)}` : '';
  return `${head}${extra.length ? `, ${extra.join(', ')}` : ''}${tail}`;
}

// ---------------------------------------------------------------------------------------------
// Linux arm64 SError handling (arch/arm64/include/asm/traps.h, arch/arm64/kernel/traps.c)

export interface LinuxSErrorOptions {
  /** Whether the guest CPU/kernel has `ARM64_HAS_RAS_EXTN` (FEAT_RAS). Default true. */
  readonly ras?: boolean;
  /** Print the ESR as kernels before the 64-bit ESR conversion did (`code 0x%08x`). */
  readonly esr32?: boolean;
  /** CPU number for the panic line. Default 0. */
  readonly cpu?: number;
}

export interface LinuxSErrorDecision {
  /** `arm64_is_ras_serror()`: RAS extension present and IDS = 0. */
  readonly rasSerror: boolean;
  /** `arm64_ras_serror_get_severity()`: the AET Linux acts on (UC when not interpretable). */
  readonly severity: number;
  readonly severityName: string;
  /** `panic`: arm64_serror_panic; `continue`: CE/UEO, nothing printed. */
  readonly outcome: 'panic' | 'continue';
  /** Why, in words. */
  readonly reason: string;
  /** The lines the guest prints (empty when it continues). */
  readonly lines: readonly string[];
}

/** The line `arm64_serror_panic()` prints: `SError Interrupt on CPU%d, code 0x%016lx -- %s`. */
export function serrorPanicLine(esr: bigint | number, options: LinuxSErrorOptions = {}): string {
  const v = toBig(esr, 'esr');
  const cpu = options.cpu ?? 0;
  const code = options.esr32 ? `0x${(v & 0xffffffffn).toString(16).padStart(8, '0')}` : hex64(v);
  const ec = Number((v >> 26n) & 0x3fn);
  return `SError Interrupt on CPU${cpu}, code ${code} -- ${esrClassString(ec)}`;
}

/**
 * Linux's `do_serror()` for the ESR the guest reads (use `serrorEsr(iss)` for an injected
 * syndrome): not RAS (no FEAT_RAS, or IDS = 1) → panic; DFSC ≠ 0x11 → UC → panic; AET CE/UEO →
 * continue silently; UEU/UER → fatal → panic; UC or reserved → panic.
 */
export function linuxSErrorDecision(
  esr: bigint | number,
  options: LinuxSErrorOptions = {},
): LinuxSErrorDecision {
  const v = toBig(esr, 'esr');
  const low = Number(v & 0xffffffffn);
  const ids = (low >>> 24) & 1;
  const hasRas = options.ras ?? true;
  const rasSerror = hasRas && ids === 0;
  const dfsc = low & 0x3f;
  const aet = (low >>> 10) & 7;
  let severity: number = Aet.UC;
  let reason: string;
  if (!hasRas) reason = 'the CPU has no RAS extension: the SError is not containable';
  else if (ids) reason = 'IDS=1: implementation-defined syndrome, not a RAS SError';
  else if (dfsc !== Fsc.SError) {
    reason = `DFSC ${hex(dfsc, 2)} is not 0x11: no severity information, treated as UC`;
  } else {
    severity = aet;
    reason = `AET ${aetName(aet)}`;
  }
  const panicLines = [
    serrorPanicLine(v, options),
    'Kernel panic - not syncing: Asynchronous SError Interrupt',
  ];
  if (!rasSerror) {
    return {
      rasSerror,
      severity,
      severityName: aetName(severity),
      outcome: 'panic',
      reason,
      lines: panicLines,
    };
  }
  if (severity === Aet.CE || severity === Aet.UEO) {
    return {
      rasSerror,
      severity,
      severityName: aetName(severity),
      outcome: 'continue',
      reason: `${reason}: not fatal, nothing printed`,
      lines: [],
    };
  }
  const why =
    severity === Aet.UEU || severity === Aet.UER
      ? `${reason}: fatal`
      : `${reason}: error has been silently propagated`;
  return {
    rasSerror,
    severity,
    severityName: aetName(severity),
    outcome: 'panic',
    reason: why,
    lines: panicLines,
  };
}
