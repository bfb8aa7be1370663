// PowerPC RTAS error log as QEMU writes it at `rtas_addr + 0x30` for a machine check delivered
// through FWNMI (formats.md §14; QEMU hw/ppc/spapr_events.c `spapr_mce_dispatch_elog`; PAPR):
// the guest's saved r3 (8 bytes), `struct rtas_error_log` (summary word + extended length),
// the extended log v6 header (16 bytes) and the MC section (40 bytes, rtas-mc-section.ts), 72
// bytes in all, big-endian. Also QEMU's classification of SRR1/DSISR into that log
// (`spapr_mce_get_elog_type`, §14.5) and Linux's pseries parse and messages (linux-guest.md §13)
// as pure functions for the simulator.

import { CodecError, CodecErrorCode, hexOffset } from './errors.js';
import { hex, hex64 } from './hex.js';
import { ByteReader, type FieldTrace } from './reader.js';
import {
  RTAS_MC_SECTION_SIZE,
  RtasMcErrorType,
  type RtasMcSection,
  RtasMcSubFlag,
  readRtasMcSection,
  rtasMcErrorTypeName,
  rtasMcSubtypeBits,
  rtasMcSubtypeName,
  writeRtasMcSection,
} from './rtas-mc-section.js';
import { ByteWriter } from './writer.js';

const STRUCTURE = 'RTAS error log';

export const RTAS_V6_HEADER_SIZE = 16;
/** saved r3 (8) + rtas_error_log (8) + v6 header (16) + MC section (40). */
export const RTAS_ERROR_LOG_SIZE = 8 + 8 + RTAS_V6_HEADER_SIZE + RTAS_MC_SECTION_SIZE;
/** `extended_length` for a log with one MC section: 16 + 40. */
export const RTAS_MC_EXTENDED_LENGTH = RTAS_V6_HEADER_SIZE + RTAS_MC_SECTION_SIZE;
/** `RTAS_ERROR_LOG_OFFSET`: where QEMU writes the log, from the start of RTAS. */
export const RTAS_ERROR_LOG_OFFSET = 0x30;

// ---------------------------------------------------------------------------------------------
// Summary word (formats.md §14.2)

/** Severity, summary bits 23:21 (QEMU `RTAS_LOG_SEVERITY_*` >> 21; Linux `RTAS_SEVERITY_*`). */
export const RtasSeverity = {
  NoError: 0,
  Event: 1,
  Warning: 2,
  ErrorSync: 3,
  Error: 4,
  Fatal: 5,
  AlreadyReported: 6,
} as const;
export type RtasSeverity = (typeof RtasSeverity)[keyof typeof RtasSeverity];

/** Disposition, bits 20:19. */
export const RtasDisposition = { FullyRecovered: 0, LimitedRecovery: 1, NotRecovered: 2 } as const;
export type RtasDisposition = (typeof RtasDisposition)[keyof typeof RtasDisposition];

/** Initiator, bits 15:12 (QEMU names 0, 1, 2, 4, 6; Linux names 3 ISA and 5 power management). */
export const RtasInitiator = {
  Unknown: 0,
  Cpu: 1,
  Pci: 2,
  Isa: 3,
  Memory: 4,
  PowerMgmt: 5,
  Hotplug: 6,
} as const;

/** Target, bits 11:8. */
export const RtasTarget = { Unknown: 0, Cpu: 1, Pci: 2, Memory: 4, Hotplug: 6 } as const;

/** Type, bits 7:0. */
export const RtasLogType = {
  Other: 0x00,
  Retry: 0x01,
  TceError: 0x02,
  InternalDeviceFailure: 0x03,
  Timeout: 0x04,
  DataParity: 0x05,
  AddressParity: 0x06,
  CacheParity: 0x07,
  AddressInvalid: 0x08,
  EccUncorrected: 0x09,
  EccCorrected: 0x0a,
  Epow: 0x40,
  Hotplug: 0xe5,
} as const;

const SEVERITY_NAMES = [
  'NO_ERROR',
  'EVENT',
  'WARNING',
  'ERROR_SYNC',
  'ERROR',
  'FATAL',
  'ALREADY_REPORTED',
];
const DISPOSITION_NAMES = ['FULLY_RECOVERED', 'LIMITED_RECOVERY', 'NOT_RECOVERED'];
const INITIATOR_NAMES = ['UNKNOWN', 'CPU', 'PCI', 'ISA', 'MEMORY', 'POWERMGM', 'HOTPLUG'];
const TARGET_NAMES: Readonly<Record<number, string>> = {
  0: 'UNKNOWN',
  1: 'CPU',
  2: 'PCI',
  4: 'MEMORY',
  6: 'HOTPLUG',
};
const TYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'OTHER',
  1: 'RETRY',
  2: 'TCE_ERR',
  3: 'INTERN_DEV_FAIL',
  4: 'TIMEOUT',
  5: 'DATA_PARITY',
  6: 'ADDR_PARITY',
  7: 'CACHE_PARITY',
  8: 'ADDR_INVALID',
  9: 'ECC_UNCORR',
  10: 'ECC_CORR',
  64: 'EPOW',
  229: 'HOTPLUG',
};

export const rtasSeverityName = (v: number): string => SEVERITY_NAMES[v] ?? `reserved (${v})`;
export const rtasDispositionName = (v: number): string => DISPOSITION_NAMES[v] ?? `reserved (${v})`;
export const rtasInitiatorName = (v: number): string => INITIATOR_NAMES[v] ?? `reserved (${v})`;
export const rtasTargetName = (v: number): string => TARGET_NAMES[v] ?? `reserved (${v})`;
export const rtasLogTypeName = (v: number): string => TYPE_NAMES[v] ?? `reserved (${hex(v, 2)})`;

/** The summary word's fields, each at its own bit width. */
export interface RtasSummary {
  /** Bits 31:24 (6 for the v6 log). */
  readonly version: number;
  /** Bits 23:21. */
  readonly severity: number;
  /** Bits 20:19. */
  readonly disposition: number;
  /** Bit 18: optional (extended) part present. */
  readonly extended: number;
  /** Bits 17:16, reserved. */
  readonly reserved: number;
  /** Bits 15:12. */
  readonly initiator: number;
  /** Bits 11:8. */
  readonly target: number;
  /** Bits 7:0. */
  readonly type: number;
}

export function rtasSummaryFromWord(word: number): RtasSummary {
  return {
    version: (word >>> 24) & 0xff,
    severity: (word >>> 21) & 7,
    disposition: (word >>> 19) & 3,
    extended: (word >>> 18) & 1,
    reserved: (word >>> 16) & 3,
    initiator: (word >>> 12) & 0xf,
    target: (word >>> 8) & 0xf,
    type: word & 0xff,
  };
}

function field(value: number, width: number, name: string): number {
  const max = 2 ** width - 1;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    throw new CodecError(
      `Cannot encode RTAS summary: ${name} = ${String(value)} does not fit (0..${max})`,
      { code: CodecErrorCode.OutOfRange, structure: 'RTAS summary', field: name },
    );
  }
  return value;
}

/** The 32-bit summary word for `s`; every field is range-checked to its width. */
export function rtasSummaryToWord(s: RtasSummary): number {
  return (
    ((field(s.version, 8, 'version') << 24) |
      (field(s.severity, 3, 'severity') << 21) |
      (field(s.disposition, 2, 'disposition') << 19) |
      (field(s.extended, 1, 'extended') << 18) |
      (field(s.reserved, 2, 'reserved') << 16) |
      (field(s.initiator, 4, 'initiator') << 12) |
      (field(s.target, 4, 'target') << 8) |
      field(s.type, 8, 'type')) >>>
    0
  );
}

/** `version 6, ERROR_SYNC, NOT_RECOVERED, extended, initiator CPU, …` */
export function describeRtasSummary(s: RtasSummary): string {
  return [
    `version ${s.version}`,
    rtasSeverityName(s.severity),
    rtasDispositionName(s.disposition),
    s.extended ? 'extended' : 'not extended',
    `initiator ${rtasInitiatorName(s.initiator)}`,
    `target ${rtasTargetName(s.target)}`,
    `type ${rtasLogTypeName(s.type)}`,
    ...(s.reserved ? [`reserved bits ${s.reserved}`] : []),
  ].join(', ');
}

// ---------------------------------------------------------------------------------------------
// Extended log v6 header (formats.md §14.3)

/** b0 flags. QEMU writes VALID | NEW_LOG | BIGENDIAN = 0x86. */
export const RtasV6B0 = {
  Valid: 0x80,
  UnrecoverableError: 0x40,
  RecoverableError: 0x20,
  DegradedOperation: 0x10,
  PredictiveError: 0x08,
  NewLog: 0x04,
  BigEndian: 0x02,
} as const;
/** b2: 0x80 PowerPC format, bits 3:0 log format (0x0E platform event). QEMU writes 0x8E. */
export const RtasV6B2 = { PowerPcFormat: 0x80, LogFormatMask: 0x0f, PlatformEvent: 0x0e } as const;
/** `IBM\0`. */
export const RTAS_COMPANY_IBM = 0x49424d00;

export interface RtasV6Header {
  readonly b0: number;
  readonly reserved1: number;
  readonly b2: number;
  /** Bytes 3..11, reserved. */
  readonly reserved2: Uint8Array;
  readonly companyId: number;
}

export function rtasV6B0Names(b0: number): string[] {
  const names: string[] = [];
  for (const [k, v] of Object.entries(RtasV6B0)) if (b0 & v) names.push(k);
  if (b0 & 1) names.push('bit0');
  return names;
}

export function readRtasV6Header(r: ByteReader): RtasV6Header {
  const s = r.sub(RTAS_V6_HEADER_SIZE, 'RTAS v6 header');
  return {
    b0: s.u8('b0'),
    reserved1: s.u8('reserved'),
    b2: s.u8('b2'),
    reserved2: s.bytesCopy(9, 'reserved'),
    companyId: s.u32be('company id'),
  };
}

export function writeRtasV6Header(w: ByteWriter, v: RtasV6Header): void {
  w.u8(v.b0, 'b0');
  w.u8(v.reserved1, 'reserved');
  w.u8(v.b2, 'b2');
  w.bytes(v.reserved2, 'reserved', 9);
  w.u32be(v.companyId, 'company id');
}

export function decodeRtasV6Header(bytes: Uint8Array): RtasV6Header {
  const r = new ByteReader(bytes, 'RTAS v6 header');
  const v = readRtasV6Header(r);
  trailing(r, 'RTAS v6 header');
  return v;
}

export function encodeRtasV6Header(v: RtasV6Header): Uint8Array {
  const w = new ByteWriter('RTAS v6 header', RTAS_V6_HEADER_SIZE);
  writeRtasV6Header(w, v);
  return w.toBytes();
}

/** QEMU's `spapr_init_v6hdr`. */
export function qemuV6Header(): RtasV6Header {
  return {
    b0: RtasV6B0.Valid | RtasV6B0.NewLog | RtasV6B0.BigEndian,
    reserved1: 0,
    b2: RtasV6B2.PowerPcFormat | RtasV6B2.PlatformEvent,
    reserved2: new Uint8Array(9),
    companyId: RTAS_COMPANY_IBM,
  };
}

// ---------------------------------------------------------------------------------------------
// The 72-byte log

export interface RtasErrorLog {
  /** The guest's r3 at the machine check (restored by the guest's handler). */
  readonly savedR3: bigint;
  readonly summary: RtasSummary;
  // extended_length: computed (56) on encode, checked on decode.
  readonly v6: RtasV6Header;
  readonly mc: RtasMcSection;
}

function trailing(r: ByteReader, structure: string): void {
  if (r.remaining !== 0) {
    throw new CodecError(
      `Cannot decode ${structure}: ${r.remaining} bytes follow it at offset ${hexOffset(r.offset)}`,
      { code: CodecErrorCode.LengthMismatch, structure, offset: r.offset },
    );
  }
}

export function readRtasErrorLog(r: ByteReader): RtasErrorLog {
  const s = r.sub(RTAS_ERROR_LOG_SIZE, STRUCTURE);
  const savedR3 = s.u64be('saved r3');
  const summary = rtasSummaryFromWord(s.u32be('summary'));
  const lengthAt = s.offset;
  const extendedLength = s.u32be('extended length');
  if (extendedLength !== RTAS_MC_EXTENDED_LENGTH) {
    s.lengthMismatch(
      'extended length',
      `is ${extendedLength}, not ${RTAS_MC_EXTENDED_LENGTH} (v6 header + MC section)`,
      lengthAt,
    );
  }
  const v6 = readRtasV6Header(s);
  const mc = readRtasMcSection(s);
  return { savedR3, summary, v6, mc };
}

export function writeRtasErrorLog(w: ByteWriter, v: RtasErrorLog): void {
  w.u64be(v.savedR3, 'saved r3');
  w.u32be(rtasSummaryToWord(v.summary), 'summary');
  w.u32be(RTAS_MC_EXTENDED_LENGTH, 'extended length');
  writeRtasV6Header(w, v.v6);
  writeRtasMcSection(w, v.mc);
}

/** Decodes the 72 bytes QEMU writes at `rtas_addr + 0x30`. */
export function decodeRtasErrorLog(bytes: Uint8Array): RtasErrorLog {
  const r = new ByteReader(bytes, STRUCTURE);
  const v = readRtasErrorLog(r);
  trailing(r, STRUCTURE);
  return v;
}

export function encodeRtasErrorLog(v: RtasErrorLog): Uint8Array {
  const w = new ByteWriter(STRUCTURE, RTAS_ERROR_LOG_SIZE);
  writeRtasErrorLog(w, v);
  return w.toBytes();
}

/** Meanings for `annotate(bytes, readRtasErrorLog, { meanings })`. */
export const rtasErrorLogMeanings = {
  summary: (v: unknown) =>
    typeof v === 'number' ? describeRtasSummary(rtasSummaryFromWord(v)) : '',
  b0: (v: unknown) => (typeof v === 'number' ? rtasV6B0Names(v).join(' | ') : ''),
  b2: (v: unknown) =>
    typeof v === 'number'
      ? `${v & RtasV6B2.PowerPcFormat ? 'PowerPC format, ' : ''}log format ${v & 0x0f}${(v & 0x0f) === RtasV6B2.PlatformEvent ? ' (platform event)' : ''}`
      : '',
  'company id': (v: unknown) => (v === RTAS_COMPANY_IBM ? "'IBM\\0'" : ''),
  'section id': (v: unknown) => (v === 0x4d43 ? "'MC'" : ''),
  'error type': (v: unknown) => (typeof v === 'number' ? rtasMcErrorTypeName(v) : ''),
  'sub error type': (v: unknown, row: FieldTrace, trace: readonly FieldTrace[]) => {
    const type = trace.find(
      (t) => t.field === 'error type' && t.structure === row.structure && t.offset < row.offset,
    );
    return typeof v === 'number' && typeof type?.value === 'number'
      ? rtasMcSubtypeName(type.value, v)
      : '';
  },
} as const;

// ---------------------------------------------------------------------------------------------
// QEMU's classification (spapr_mce_get_elog_type, formats.md §14.5)

/** SRR1 bit 42 in IBM numbering (`PPC_BIT(42)`): the machine check was on a load/store. */
export const SRR1_MC_LOADSTORE = 1n << 21n;
/** `mc_ierror_table` mask over SRR1. */
export const SRR1_MC_IFETCH_MASK = 0x081c0000n;

interface DerrorRow {
  readonly dsisr: number;
  readonly eaValid: boolean;
  readonly errorType: number;
  readonly subtype: number;
}
interface IerrorRow {
  readonly srr1: bigint;
  readonly errorType: number;
  readonly subtype: number;
}

/** `mc_derror_table`, in QEMU's order (first match wins; SLB multihit before parity). */
export const QEMU_MC_DERROR_TABLE: readonly DerrorRow[] = [
  { dsisr: 0x00008000, eaValid: false, errorType: RtasMcErrorType.UE, subtype: 3 },
  { dsisr: 0x00004000, eaValid: true, errorType: RtasMcErrorType.UE, subtype: 4 },
  { dsisr: 0x00000800, eaValid: true, errorType: RtasMcErrorType.ERAT, subtype: 2 },
  { dsisr: 0x00000400, eaValid: true, errorType: RtasMcErrorType.TLB, subtype: 2 },
  { dsisr: 0x00000080, eaValid: true, errorType: RtasMcErrorType.SLB, subtype: 1 },
  { dsisr: 0x00000100, eaValid: true, errorType: RtasMcErrorType.SLB, subtype: 0 },
];

/** `mc_ierror_table` (all rows have nip_valid). */
export const QEMU_MC_IERROR_TABLE: readonly IerrorRow[] = [
  { srr1: 0x00040000n, errorType: RtasMcErrorType.UE, subtype: 1 },
  { srr1: 0x00080000n, errorType: RtasMcErrorType.SLB, subtype: 0 },
  { srr1: 0x000c0000n, errorType: RtasMcErrorType.SLB, subtype: 1 },
  { srr1: 0x00100000n, errorType: RtasMcErrorType.ERAT, subtype: 2 },
  { srr1: 0x00140000n, errorType: RtasMcErrorType.TLB, subtype: 2 },
  { srr1: 0x00180000n, errorType: RtasMcErrorType.UE, subtype: 2 },
];

export interface QemuMachineCheckInput {
  readonly srr1: bigint;
  readonly dsisr: number;
  readonly dar: bigint;
  readonly nip: bigint;
  /** KVM reported the host machine check as fully recovered (`flags == FULLY_RECOV`). */
  readonly recovered: boolean;
  readonly savedR3: bigint;
  /**
   * Our improvement over QEMU (qemu-vmm.md §19 item 19b): a guest physical address to put in the
   * logical address field of a UE, with sub-type flag 0x20, so the guest can run memory_failure.
   * QEMU itself never fills it.
   */
  readonly logicalAddress?: bigint;
}

export interface QemuMachineCheckLog {
  readonly log: RtasErrorLog;
  /** Which table row matched, or `none` (severity NO_ERROR, UE/indeterminate, no address). */
  readonly matched: { readonly table: 'derror' | 'ierror'; readonly index: number } | 'none';
}

function setEaProvided(errorType: number, sub: number): number {
  if (errorType === RtasMcErrorType.UE) return sub | RtasMcSubFlag.UeEffectiveAddressProvided;
  if (
    errorType === RtasMcErrorType.SLB ||
    errorType === RtasMcErrorType.ERAT ||
    errorType === RtasMcErrorType.TLB
  ) {
    return sub | RtasMcSubFlag.EffectiveAddressProvided;
  }
  return sub;
}

/**
 * Builds the log QEMU writes for a machine check (`spapr_mce_dispatch_elog`): summary v6 |
 * extended | disposition | initiator CPU | severity ERROR_SYNC for a recognised SRR1/DSISR
 * pattern, else initiator CPU only (severity NO_ERROR) with MC type UE/indeterminate.
 */
export function buildQemuMachineCheckLog(input: QemuMachineCheckInput): QemuMachineCheckLog {
  let errorType: number = RtasMcErrorType.UE;
  let sub = 0;
  let ea = 0n;
  let severity: number = RtasSeverity.NoError;
  let matched: QemuMachineCheckLog['matched'] = 'none';
  if ((input.srr1 & SRR1_MC_LOADSTORE) !== 0n) {
    const i = QEMU_MC_DERROR_TABLE.findIndex((row) => (input.dsisr & row.dsisr) !== 0);
    const row = QEMU_MC_DERROR_TABLE[i];
    if (row) {
      errorType = row.errorType;
      sub = row.subtype;
      if (row.eaValid) {
        ea = input.dar;
        sub = setEaProvided(errorType, sub);
      }
      severity = RtasSeverity.ErrorSync;
      matched = { table: 'derror', index: i };
    }
  } else {
    const i = QEMU_MC_IERROR_TABLE.findIndex(
      (row) => (input.srr1 & SRR1_MC_IFETCH_MASK) === row.srr1,
    );
    const row = QEMU_MC_IERROR_TABLE[i];
    if (row) {
      errorType = row.errorType;
      ea = input.nip;
      sub = setEaProvided(errorType, row.subtype);
      severity = RtasSeverity.ErrorSync;
      matched = { table: 'ierror', index: i };
    }
  }
  let logical = 0n;
  if (input.logicalAddress !== undefined && errorType === RtasMcErrorType.UE) {
    logical = input.logicalAddress;
    sub |= RtasMcSubFlag.UeLogicalAddressProvided;
  }
  const log: RtasErrorLog = {
    savedR3: input.savedR3,
    summary: {
      version: 6,
      severity,
      disposition: input.recovered ? RtasDisposition.FullyRecovered : RtasDisposition.NotRecovered,
      extended: 1,
      reserved: 0,
      initiator: RtasInitiator.Cpu,
      target: 0,
      type: 0,
    },
    v6: qemuV6Header(),
    mc: {
      version: 1,
      subtype: 0,
      creatorId: 0,
      fruId: 0,
      processorId: 0,
      errorType,
      subErrorType: sub,
      reserved: new Uint8Array(6),
      effectiveAddress: ea,
      logicalAddress: logical,
    },
  };
  return { log, matched };
}

// ---------------------------------------------------------------------------------------------
// Linux's pseries parse (arch/powerpc/platforms/pseries/ras.c, arch/powerpc/kernel/mce.c)

export type LinuxMceSeverity = 'Harmless' | 'Warning' | 'Severe' | 'Fatal';

export interface LinuxPseriesMceContext {
  readonly cpu: number;
  /** SRR0 at the machine check. */
  readonly nip: bigint;
  /** The machine check interrupted user mode (else kernel). Default true. */
  readonly userMode?: boolean;
  readonly pid?: number;
  readonly comm?: string;
  /** MSR[RI] at the machine check. Default true. */
  readonly msrRi?: boolean;
  /** Guest MMU (real-mode SLB fix-up happens only with hash). Default 'radix'. */
  readonly mmu?: 'radix' | 'hash';
  /** A kernel exception-table fix-up covers the UE (`mce_common_process_ue`). Default false. */
  readonly ueFixup?: boolean;
  /** Kernel mode: what `%pS` prints for the NIP (`copy_page+0x10/0x80`). Default `0x…`. */
  readonly symbol?: string;
  /** `die_will_crash()` (in interrupt, panic_on_oops, init, …). Default false. */
  readonly dieWillCrash?: boolean;
  /** Translates an effective address to a physical one (`addr_to_pfn`); undefined if unmapped. */
  readonly translate?: (ea: bigint) => bigint | undefined;
  /**
   * `6.1` (default; since ≈5.11 the word after the severity is '' for a guest's own machine
   * checks, giving two spaces) or `old`, which prints `Host`.
   */
  readonly kernel?: '6.1' | 'old';
}

export type LinuxMceOutcome =
  | { readonly kind: 'recovered' }
  /** `_exception(SIGBUS, regs, BUS_MCEERR_AR, regs->nip)`: si_addr is the NIP. */
  | { readonly kind: 'sigbus'; readonly siCode: 4; readonly siAddr: bigint }
  /** `die_mce(text)` kills the task and the kernel continues. */
  | { readonly kind: 'die'; readonly text: string }
  /** The kernel panics. */
  | { readonly kind: 'panic'; readonly text: string };

export interface LinuxPseriesMce {
  readonly rtasSeverity: number;
  /** Disposition after the real-mode fix-ups. */
  readonly rtasDisposition: number;
  /** The MC section was parsed (extended, v6, log format 14, company IBM). */
  readonly mcParsed: boolean;
  readonly severity: LinuxMceSeverity;
  readonly errorType: string;
  readonly subtype: string;
  readonly effectiveAddress: bigint | undefined;
  readonly physicalAddress: bigint | undefined;
  readonly recovered: boolean;
  readonly syncError: boolean;
  /** The pfn queued for memory_failure(pfn, 0), for a UE with a physical address. */
  readonly memoryFailurePfn: bigint | undefined;
  readonly initiator: string;
  /** Printed lines in order (real-mode fix-up notice, the four MCE lines, recovery notices). */
  readonly lines: readonly string[];
  readonly outcome: LinuxMceOutcome;
}

const LINUX_SEVERITY: Readonly<Record<number, LinuxMceSeverity>> = {
  0: 'Harmless',
  1: 'Warning',
  2: 'Warning',
  3: 'Severe',
  4: 'Severe',
};
const LINUX_INITIATOR: Readonly<Record<number, string>> = {
  1: 'CPU',
  2: 'PCI',
  3: 'ISA',
  4: 'Memory',
  5: 'Power Management',
};
const LINUX_UE = [
  'Indeterminate',
  'Instruction fetch',
  'Page table walk ifetch',
  'Load/Store',
  'Page table walk Load/Store',
];
const LINUX_SLB_ERAT_TLB = ['Indeterminate', 'Parity', 'Multihit'];

function hex16(v: bigint): string {
  return v.toString(16).padStart(16, '0');
}

/**
 * What a pseries Linux guest makes of the log: severity, error type and sub-type names, the
 * addresses, the `MCE: CPU%d: …` lines, and `recover_mce`'s outcome (linux-guest.md §13).
 */
export function linuxPseriesMce(log: RtasErrorLog, ctx: LinuxPseriesMceContext): LinuxPseriesMce {
  const userMode = ctx.userMode ?? true;
  const msrRi = ctx.msrRi ?? true;
  const lines: string[] = [];
  const s = log.summary;
  const mcParsed =
    s.extended === 1 &&
    s.version === 6 &&
    (log.v6.b2 & RtasV6B2.LogFormatMask) === RtasV6B2.PlatformEvent &&
    log.v6.companyId === RTAS_COMPANY_IBM;
  let disposition = s.disposition;
  const mcType = mcParsed ? log.mc.errorType : undefined;

  // Real mode (mce_handle_err_realmode).
  if (disposition === RtasDisposition.NotRecovered) {
    if (mcType === RtasMcErrorType.ERAT) disposition = RtasDisposition.FullyRecovered;
    else if (mcType === RtasMcErrorType.SLB && ctx.mmu === 'hash') {
      disposition = RtasDisposition.FullyRecovered;
    }
  } else if (disposition === RtasDisposition.LimitedRecovery) {
    lines.push('MCE: limited recovery, system may be degraded');
    disposition = RtasDisposition.FullyRecovered;
  }

  const severity = LINUX_SEVERITY[s.severity] ?? 'Fatal';
  const syncError = s.severity <= RtasSeverity.ErrorSync;
  let errorType = 'Unknown';
  let subtype = '';
  let ea: bigint | undefined;
  let pa: bigint | undefined;
  if (mcParsed) {
    const mc = log.mc;
    const sub = rtasMcSubtypeBits(mc.errorType, mc.subErrorType);
    switch (mc.errorType) {
      case RtasMcErrorType.UE: {
        errorType = 'UE';
        subtype = LINUX_UE[sub] ?? 'Indeterminate';
        if (ctx.ueFixup) disposition = RtasDisposition.FullyRecovered;
        if (mc.subErrorType & RtasMcSubFlag.UeEffectiveAddressProvided) ea = mc.effectiveAddress;
        if (mc.subErrorType & RtasMcSubFlag.UeLogicalAddressProvided) pa = mc.logicalAddress;
        else if (ea !== undefined && ctx.translate) pa = ctx.translate(ea);
        break;
      }
      case RtasMcErrorType.SLB:
        errorType = 'SLB';
        // RTAS SLB: 0 parity, 1 multihit, 2 indeterminate → Linux 1, 2, 0.
        subtype = ['Parity', 'Multihit', 'Indeterminate'][sub] ?? 'Indeterminate';
        if (mc.subErrorType & RtasMcSubFlag.EffectiveAddressProvided) ea = mc.effectiveAddress;
        break;
      case RtasMcErrorType.ERAT:
      case RtasMcErrorType.TLB:
        errorType = mc.errorType === RtasMcErrorType.ERAT ? 'ERAT' : 'TLB';
        // RTAS ERAT/TLB: 1 parity, 2 multihit, 3 indeterminate (0 → indeterminate).
        subtype = LINUX_SLB_ERAT_TLB[sub === 3 ? 0 : sub] ?? 'Indeterminate';
        if (mc.subErrorType & RtasMcSubFlag.EffectiveAddressProvided) ea = mc.effectiveAddress;
        break;
      case RtasMcErrorType.DCache:
        errorType = 'D-Cache';
        subtype = 'Unknown';
        break;
      case RtasMcErrorType.ICache:
        errorType = 'I-Cache';
        subtype = 'Unknown';
        break;
      default:
        // Unknown (3), control-memory access (8; Linux 6.1 reports it as UNKNOWN) and others.
        errorType = 'Unknown';
        subtype = '';
    }
  }

  // save_mce_event: recovered only if handled and MSR[RI] = 1.
  const recovered = disposition === RtasDisposition.FullyRecovered && msrRi;
  const memoryFailurePfn = errorType === 'UE' && pa !== undefined ? pa >> 12n : undefined;

  // machine_check_print_event_info.
  const cpu = ctx.cpu;
  let darStr = '';
  let paStr = '';
  if (ea !== undefined && ea !== 0n && ea !== ctx.nip) {
    darStr = `DAR: ${hex16(ea)} `;
    if (pa) darStr += `paddr: ${hex16(pa)} `;
  } else if (pa) {
    paStr = ` paddr: ${hex16(pa)}`;
  }
  const who = ctx.kernel === 'old' ? 'Host' : '';
  lines.push(
    `MCE: CPU${cpu}: machine check (${severity}) ${who} ${errorType} ${subtype} ${darStr}[${recovered ? 'Recovered' : 'Not recovered'}]`,
  );
  if (userMode) {
    lines.push(
      `MCE: CPU${cpu}: PID: ${ctx.pid ?? 0} Comm: ${ctx.comm ?? ''} NIP: [${hex16(ctx.nip)}]${paStr}`,
    );
  } else {
    lines.push(`MCE: CPU${cpu}: NIP: [${hex16(ctx.nip)}] ${ctx.symbol ?? hex(ctx.nip)}${paStr}`);
  }
  const initiator = LINUX_INITIATOR[s.initiator] ?? 'Unknown';
  lines.push(`MCE: CPU${cpu}: Initiator ${initiator}`);
  lines.push(`MCE: CPU${cpu}: Unknown`);

  // recover_mce.
  let outcome: LinuxMceOutcome;
  let ok = false;
  if (!msrRi) lines.push('Machine check interrupt unrecoverable: MSR(RI=0)');
  else if (recovered) ok = true;
  else if (severity === 'Fatal') lines.push('Machine check interrupt is fatal');
  if (ok) outcome = { kind: 'recovered' };
  else if (syncError && userMode && msrRi) {
    outcome = { kind: 'sigbus', siCode: 4, siAddr: ctx.nip };
  } else {
    // die_mce(): an oops that kills the task, or a panic when die() will crash.
    const text = msrRi ? 'Machine check' : 'Unrecoverable Machine check';
    outcome = ctx.dieWillCrash ? { kind: 'panic', text } : { kind: 'die', text };
  }

  return {
    rtasSeverity: s.severity,
    rtasDisposition: disposition,
    mcParsed,
    severity,
    errorType,
    subtype,
    effectiveAddress: ea,
    physicalAddress: pa,
    recovered,
    syncError,
    memoryFailurePfn,
    initiator,
    lines,
    outcome,
  };
}

/** One line naming the log's classification: `ERROR_SYNC NOT_RECOVERED UE load/store, EA …`. */
export function describeRtasErrorLog(log: RtasErrorLog): string {
  const mc = log.mc;
  const ea = hex64(mc.effectiveAddress);
  return `${describeRtasSummary(log.summary)}; MC ${rtasMcErrorTypeName(mc.errorType)} ${rtasMcSubtypeName(mc.errorType, mc.subErrorType)}, EA ${ea}, logical ${hex64(mc.logicalAddress)}`;
}
