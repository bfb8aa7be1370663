// x86 machine-check architecture registers (Intel SDM vol. 3B ch. 16 "Machine-Check
// Architecture": IA32_MCG_CAP, IA32_MCG_STATUS, IA32_MCi_STATUS, IA32_MCi_ADDR, IA32_MCi_MISC;
// the compound error codes of "Interpreting the MCA Error Codes"; Linux
// arch/x86/include/asm/mce.h for the bit names).
//
// A register is not a byte structure: `decodeMciStatus(value)` takes the 64-bit value, and
// `encodeMciStatus(fields)` gives it back. Every bit of the 64 lands in a field (reserved and
// model-specific bits included), so decode → encode is exact.

import { CodecError, CodecErrorCode } from './errors.js';
import { hex, hex64 } from './hex.js';

const U64_MAX = (1n << 64n) - 1n;

function u64(structure: string, value: bigint | number): bigint {
  const v = typeof value === 'number' ? BigInt(value) : value;
  if (typeof value === 'number' && (!Number.isSafeInteger(value) || value < 0)) {
    throw new CodecError(`Cannot decode ${structure}: ${value} is not an unsigned integer`, {
      code: CodecErrorCode.OutOfRange,
      structure,
      field: 'value',
    });
  }
  if (v < 0n || v > U64_MAX) {
    throw new CodecError(`Cannot decode ${structure}: ${v} does not fit 64 bits`, {
      code: CodecErrorCode.OutOfRange,
      structure,
      field: 'value',
    });
  }
  return v;
}

function bits(v: bigint, lo: number, width: number): number {
  return Number((v >> BigInt(lo)) & ((1n << BigInt(width)) - 1n));
}

function flag(v: bigint, bit: number): boolean {
  return ((v >> BigInt(bit)) & 1n) === 1n;
}

/** Checks `value` fits `width` bits and places it at `lo`. */
function put(structure: string, field: string, value: number | bigint, lo: number, width: number) {
  const v = typeof value === 'number' ? BigInt(value) : value;
  const max = (1n << BigInt(width)) - 1n;
  if ((typeof value === 'number' && !Number.isInteger(value)) || v < 0n || v > max) {
    throw new CodecError(
      `Cannot encode ${structure}: ${field} ${value} does not fit ${width} bits (0..${hex(max)})`,
      { code: CodecErrorCode.OutOfRange, structure, field },
    );
  }
  return v << BigInt(lo);
}

function putFlag(value: boolean | undefined, bit: number): bigint {
  return value === true ? 1n << BigInt(bit) : 0n;
}

// ---- IA32_MCi_STATUS ----

/** MCi_STATUS bits (mce.h `MCI_STATUS_*`). */
export const MCI_STATUS_VAL = 1n << 63n;
export const MCI_STATUS_OVER = 1n << 62n;
export const MCI_STATUS_UC = 1n << 61n;
export const MCI_STATUS_EN = 1n << 60n;
export const MCI_STATUS_MISCV = 1n << 59n;
export const MCI_STATUS_ADDRV = 1n << 58n;
export const MCI_STATUS_PCC = 1n << 57n;
export const MCI_STATUS_S = 1n << 56n;
export const MCI_STATUS_AR = 1n << 55n;

/** Linux's named MCACODs (mce.h). */
export const Mcacod = {
  /** `MCACOD_SCRUB`: memory scrubbing error (with `MCACOD_SCRUBMSK` 0xeff0). */
  Scrub: 0x00c0,
  ScrubMask: 0xeff0,
  /** `MCACOD_L3WB`: L3 (last level cache) writeback error. */
  L3Wb: 0x017a,
  /** `MCACOD_DATA`: data load (DCACHEL0_DRD_ERR). */
  Data: 0x0134,
  /** `MCACOD_INSTR`: instruction fetch (ICACHEL0_IRD_ERR). */
  Instr: 0x0150,
  /** `MCACOD`: the architectural part of the error code (bit 12, the filter bit, excluded). */
  Mask: 0xefff,
} as const;

export interface MciStatus {
  /** 63: the register holds a valid error. */
  readonly val: boolean;
  /** 62: an error was lost (overflow). */
  readonly over: boolean;
  /** 61: uncorrected. */
  readonly uc: boolean;
  /** 60: the error was enabled in MCi_CTL. */
  readonly en: boolean;
  /** 59: MCi_MISC holds information. */
  readonly miscv: boolean;
  /** 58: MCi_ADDR holds the address. */
  readonly addrv: boolean;
  /** 57: processor context corrupt. */
  readonly pcc: boolean;
  /** 56: signalled (a machine-check exception, not CMCI), with MCG_CAP.SER_P. */
  readonly s: boolean;
  /** 55: action required, with MCG_CAP.SER_P. */
  readonly ar: boolean;
  /** 54:53: threshold-based error status (green 0, yellow 2), with MCG_CAP.TES_P. */
  readonly threshold: number;
  /** 52:38: corrected error count. */
  readonly correctedCount: number;
  /** 37:32: other information (model specific). */
  readonly otherInfo: number;
  /** 31:16: model-specific error code. */
  readonly mscod: number;
  /** 15:0: MCA (architectural) error code. */
  readonly mcacod: number;
}

export type MciStatusInput = Partial<MciStatus>;

export function decodeMciStatus(value: bigint | number): MciStatus {
  const v = u64('MCi_STATUS', value);
  return {
    val: flag(v, 63),
    over: flag(v, 62),
    uc: flag(v, 61),
    en: flag(v, 60),
    miscv: flag(v, 59),
    addrv: flag(v, 58),
    pcc: flag(v, 57),
    s: flag(v, 56),
    ar: flag(v, 55),
    threshold: bits(v, 53, 2),
    correctedCount: bits(v, 38, 15),
    otherInfo: bits(v, 32, 6),
    mscod: bits(v, 16, 16),
    mcacod: bits(v, 0, 16),
  };
}

export function encodeMciStatus(f: MciStatusInput): bigint {
  const s = 'MCi_STATUS';
  return (
    putFlag(f.val, 63) |
    putFlag(f.over, 62) |
    putFlag(f.uc, 61) |
    putFlag(f.en, 60) |
    putFlag(f.miscv, 59) |
    putFlag(f.addrv, 58) |
    putFlag(f.pcc, 57) |
    putFlag(f.s, 56) |
    putFlag(f.ar, 55) |
    put(s, 'threshold', f.threshold ?? 0, 53, 2) |
    put(s, 'correctedCount', f.correctedCount ?? 0, 38, 15) |
    put(s, 'otherInfo', f.otherInfo ?? 0, 32, 6) |
    put(s, 'mscod', f.mscod ?? 0, 16, 16) |
    put(s, 'mcacod', f.mcacod ?? 0, 0, 16)
  );
}

// ---- MCA error codes (SDM "Simple Error Codes" and "Compound Error Codes") ----

export type McaCodeKind =
  | 'no-error'
  | 'unclassified'
  | 'microcode-rom-parity'
  | 'external'
  | 'frc'
  | 'internal-parity'
  | 'smm-handler-code-access-violation'
  | 'internal-timer'
  | 'io'
  | 'internal-unclassified'
  | 'generic-cache-hierarchy'
  | 'tlb'
  | 'memory-controller'
  | 'cache-hierarchy'
  | 'bus-interconnect'
  | 'reserved';

export interface McaCode {
  readonly value: number;
  readonly kind: McaCodeKind;
  /** Bit 12 of a compound code: corrected-error reporting filtered. */
  readonly filtered: boolean;
  /** The SDM's mnemonic, e.g. `DCACHEL0_DRD_ERR`, `MS_CHANNEL0_ERR`. */
  readonly name: string;
  readonly description: string;
}

const LEVEL = ['L0', 'L1', 'L2', 'LG'] as const;
const LEVEL_TEXT = ['level 0', 'level 1', 'level 2', 'generic level'] as const;
const TRANSACTION = ['I', 'D', 'G', '?'] as const;
const TRANSACTION_TEXT = ['instruction', 'data', 'generic', 'reserved transaction type'] as const;
const REQUEST = ['ERR', 'RD', 'WR', 'DRD', 'DWR', 'IRD', 'PREFETCH', 'EVICT', 'SNOOP'] as const;
const REQUEST_TEXT = [
  'generic error',
  'generic read',
  'generic write',
  'data read',
  'data write',
  'instruction fetch',
  'prefetch',
  'eviction',
  'snoop',
] as const;
const MEMORY_TRANSACTION = ['GEN', 'RD', 'WR', 'AC', 'MS'] as const;
const MEMORY_TRANSACTION_TEXT = [
  'generic undefined request',
  'memory read error',
  'memory write error',
  'address/command error',
  'memory scrubbing error',
] as const;
const PARTICIPATION = ['SRC', 'RES', 'OBS', 'GEN'] as const;
const MEMORY_IO = ['M', 'reserved', 'IO', 'OTHER'] as const;

/** Decodes a 16-bit MCACOD (SDM tables "IA32_MCi_STATUS Simple Error Codes" and "Compound"). */
export function decodeMcaCode(value: number): McaCode {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff) {
    throw new CodecError(`Cannot decode MCACOD: ${value} does not fit 16 bits`, {
      code: CodecErrorCode.OutOfRange,
      structure: 'MCACOD',
      field: 'mcacod',
    });
  }
  const filtered = (value & 0x1000) !== 0;
  const simple = (kind: McaCodeKind, name: string, description: string): McaCode => ({
    value,
    kind,
    filtered: false,
    name,
    description,
  });
  switch (value) {
    case 0x0000:
      return simple('no-error', 'NO_ERR', 'no error');
    case 0x0001:
      return simple('unclassified', 'UNCLASSIFIED', 'unclassified error');
    case 0x0002:
      return simple('microcode-rom-parity', 'UCODE_ROM_PARITY', 'microcode ROM parity error');
    case 0x0003:
      return simple(
        'external',
        'EXTERNAL',
        'external error (BINIT# or MCERR# from another processor)',
      );
    case 0x0004:
      return simple('frc', 'FRC', 'functional redundancy check error');
    case 0x0005:
      return simple('internal-parity', 'INTERNAL_PARITY', 'internal parity error');
    case 0x0006:
      return simple(
        'smm-handler-code-access-violation',
        'SMM_HANDLER_CODE_ACCESS_VIOLATION',
        'SMM handler code access violation',
      );
    case 0x0400:
      return simple('internal-timer', 'INTERNAL_TIMER', 'internal timer error');
    case 0x0e0b:
      return simple('io', 'IO_ERR', 'I/O error');
  }
  if ((value & 0xfc00) === 0x0400)
    return simple('internal-unclassified', 'INTERNAL_UNCLASSIFIED', 'internal unclassified error');
  const ll = value & 3;
  if ((value & 0xeffc) === 0x000c) {
    return {
      value,
      kind: 'generic-cache-hierarchy',
      filtered,
      name: `${LEVEL[ll]}_ERR`,
      description: `generic cache hierarchy error, ${LEVEL_TEXT[ll]}`,
    };
  }
  if ((value & 0xeff0) === 0x0010) {
    const tt = (value >> 2) & 3;
    return {
      value,
      kind: 'tlb',
      filtered,
      name: `${TRANSACTION[tt]}TLB${LEVEL[ll]}_ERR`,
      description: `TLB error, ${TRANSACTION_TEXT[tt]}, ${LEVEL_TEXT[ll]}`,
    };
  }
  if ((value & 0xef80) === 0x0080) {
    const mmm = (value >> 4) & 7;
    const channel = value & 0xf;
    const ch = channel === 0xf ? 'channel unspecified' : `channel ${channel}`;
    return {
      value,
      kind: 'memory-controller',
      filtered,
      name: `${MEMORY_TRANSACTION[mmm] ?? `MMM${mmm}`}_CHANNEL${channel === 0xf ? 'n' : channel}_ERR`,
      description: `memory controller error, ${MEMORY_TRANSACTION_TEXT[mmm] ?? 'reserved transaction'}, ${ch}`,
    };
  }
  if ((value & 0xef00) === 0x0100) {
    const tt = (value >> 2) & 3;
    const rrrr = (value >> 4) & 0xf;
    return {
      value,
      kind: 'cache-hierarchy',
      filtered,
      name: `${TRANSACTION[tt]}CACHE${LEVEL[ll]}_${REQUEST[rrrr] ?? `R${rrrr}`}_ERR`,
      description: `cache hierarchy error, ${TRANSACTION_TEXT[tt]}, ${LEVEL_TEXT[ll]}, ${REQUEST_TEXT[rrrr] ?? 'reserved request'}`,
    };
  }
  if ((value & 0xe800) === 0x0800) {
    const ii = (value >> 2) & 3;
    const rrrr = (value >> 4) & 0xf;
    const t = (value >> 8) & 1;
    const pp = (value >> 9) & 3;
    return {
      value,
      kind: 'bus-interconnect',
      filtered,
      name: `BUS${LEVEL[ll]}_${PARTICIPATION[pp]}_${REQUEST[rrrr] ?? `R${rrrr}`}_${MEMORY_IO[ii]}_${t ? 'T' : 'NOTIMEOUT'}_ERR`,
      description: `bus and interconnect error, ${REQUEST_TEXT[rrrr] ?? 'reserved request'}${t ? ', timeout' : ''}`,
    };
  }
  return simple('reserved', 'RESERVED', 'reserved or model-specific error code');
}

// ---- IA32_MCi_MISC ----

/** MCi_MISC address modes (SDM "Address Mode in IA32_MCi_MISC[8:6]"; mce.h `MCI_MISC_ADDR_*`). */
export const MciMiscAddressMode = {
  SegmentOffset: 0,
  Linear: 1,
  Physical: 2,
  Memory: 3,
  Generic: 7,
} as const;
export type MciMiscAddressMode = (typeof MciMiscAddressMode)[keyof typeof MciMiscAddressMode];

const ADDRESS_MODE_NAMES: Readonly<Record<number, string>> = {
  0: 'segment offset',
  1: 'linear address',
  2: 'physical address',
  3: 'memory address',
  7: 'generic',
};

export function addressModeName(mode: number): string {
  return ADDRESS_MODE_NAMES[mode] ?? `reserved (${mode})`;
}

export interface MciMisc {
  /** 5:0: the lowest valid bit of MCi_ADDR (12 = a 4 KiB page). */
  readonly addressLsb: number;
  /** 8:6: what MCi_ADDR holds. */
  readonly addressMode: number;
  /** 63:9: model specific. */
  readonly modelSpecific: bigint;
}

export function decodeMciMisc(value: bigint | number): MciMisc {
  const v = u64('MCi_MISC', value);
  return { addressLsb: bits(v, 0, 6), addressMode: bits(v, 6, 3), modelSpecific: v >> 9n };
}

export function encodeMciMisc(f: Partial<MciMisc>): bigint {
  const s = 'MCi_MISC';
  return (
    put(s, 'addressLsb', f.addressLsb ?? 0, 0, 6) |
    put(s, 'addressMode', f.addressMode ?? 0, 6, 3) |
    put(s, 'modelSpecific', f.modelSpecific ?? 0n, 9, 55)
  );
}

// ---- IA32_MCG_STATUS ----

export const MCG_STATUS_RIPV = 1n << 0n;
export const MCG_STATUS_EIPV = 1n << 1n;
export const MCG_STATUS_MCIP = 1n << 2n;
export const MCG_STATUS_LMCES = 1n << 3n;

export interface McgStatus {
  /** 0: restart IP valid. */
  readonly ripv: boolean;
  /** 1: error IP valid. */
  readonly eipv: boolean;
  /** 2: machine check in progress. */
  readonly mcip: boolean;
  /** 3: local machine check signalled (only to this logical processor). */
  readonly lmces: boolean;
  /** 63:4: reserved. */
  readonly reserved: bigint;
}

export function decodeMcgStatus(value: bigint | number): McgStatus {
  const v = u64('MCG_STATUS', value);
  return {
    ripv: flag(v, 0),
    eipv: flag(v, 1),
    mcip: flag(v, 2),
    lmces: flag(v, 3),
    reserved: v >> 4n,
  };
}

export function encodeMcgStatus(f: Partial<McgStatus>): bigint {
  return (
    putFlag(f.ripv, 0) |
    putFlag(f.eipv, 1) |
    putFlag(f.mcip, 2) |
    putFlag(f.lmces, 3) |
    put('MCG_STATUS', 'reserved', f.reserved ?? 0n, 4, 60)
  );
}

// ---- IA32_MCG_CAP ----

export const MCG_CTL_P = 1n << 8n;
export const MCG_EXT_P = 1n << 9n;
export const MCG_CMCI_P = 1n << 10n;
export const MCG_TES_P = 1n << 11n;
export const MCG_SER_P = 1n << 24n;
export const MCG_EMC_P = 1n << 25n;
export const MCG_ELOG_P = 1n << 26n;
export const MCG_LMCE_P = 1n << 27n;

export interface McgCap {
  /** 7:0: number of banks. */
  readonly count: number;
  /** 8: IA32_MCG_CTL present. */
  readonly ctlP: boolean;
  /** 9: extended state registers present. */
  readonly extP: boolean;
  /** 10: corrected machine-check interrupt (CMCI). */
  readonly cmciP: boolean;
  /** 11: threshold-based error status (MCi_STATUS 54:53). */
  readonly tesP: boolean;
  /** 15:12: reserved. */
  readonly reserved12: number;
  /** 23:16: number of extended registers. */
  readonly extCnt: number;
  /** 24: software error recovery (MCi_STATUS S and AR; SRAR, SRAO, UCNA). */
  readonly serP: boolean;
  /** 25: enhanced machine check capability (firmware first). */
  readonly emcP: boolean;
  /** 26: extended error logging. */
  readonly elogP: boolean;
  /** 27: local machine check exception. */
  readonly lmceP: boolean;
  /** 63:28: reserved. */
  readonly reserved28: bigint;
}

export function decodeMcgCap(value: bigint | number): McgCap {
  const v = u64('MCG_CAP', value);
  return {
    count: bits(v, 0, 8),
    ctlP: flag(v, 8),
    extP: flag(v, 9),
    cmciP: flag(v, 10),
    tesP: flag(v, 11),
    reserved12: bits(v, 12, 4),
    extCnt: bits(v, 16, 8),
    serP: flag(v, 24),
    emcP: flag(v, 25),
    elogP: flag(v, 26),
    lmceP: flag(v, 27),
    reserved28: v >> 28n,
  };
}

export function encodeMcgCap(f: Partial<McgCap>): bigint {
  const s = 'MCG_CAP';
  return (
    put(s, 'count', f.count ?? 0, 0, 8) |
    putFlag(f.ctlP, 8) |
    putFlag(f.extP, 9) |
    putFlag(f.cmciP, 10) |
    putFlag(f.tesP, 11) |
    put(s, 'reserved12', f.reserved12 ?? 0, 12, 4) |
    put(s, 'extCnt', f.extCnt ?? 0, 16, 8) |
    putFlag(f.serP, 24) |
    putFlag(f.emcP, 25) |
    putFlag(f.elogP, 26) |
    putFlag(f.lmceP, 27) |
    put(s, 'reserved28', f.reserved28 ?? 0n, 28, 36)
  );
}

// ---- One machine check: what QEMU's `mce` / KVM_X86_SET_MCE carry ----

/** The values of one machine check in one bank (QEMU `mce cpu bank status mcg_status addr misc`). */
export interface MachineCheck {
  readonly bank: number;
  readonly status: bigint;
  readonly mcgStatus: bigint;
  readonly addr: bigint;
  readonly misc: bigint;
}

/** A machine check with every register decoded, for JSON and the table. */
export interface DecodedMachineCheck extends MachineCheck {
  readonly statusFields: MciStatus;
  readonly errorCode: McaCode;
  readonly mcgStatusFields: McgStatus;
  readonly miscFields: MciMisc;
}

export function decodeMachineCheck(m: MachineCheck): DecodedMachineCheck {
  if (!Number.isInteger(m.bank) || m.bank < 0 || m.bank > 255) {
    throw new CodecError(`Cannot decode machine check: bank ${m.bank} is not 0..255`, {
      code: CodecErrorCode.OutOfRange,
      structure: 'machine check',
      field: 'bank',
    });
  }
  const statusFields = decodeMciStatus(m.status);
  u64('MCi_ADDR', m.addr);
  return {
    ...m,
    statusFields,
    errorCode: decodeMcaCode(statusFields.mcacod),
    mcgStatusFields: decodeMcgStatus(m.mcgStatus),
    miscFields: decodeMciMisc(m.misc),
  };
}

/** Annotated table of a machine check: one line per register, then each set field. */
export function machineCheckTable(m: MachineCheck, mcgCap?: bigint): string[] {
  const d = decodeMachineCheck(m);
  const s = d.statusFields;
  const on = (name: string, v: boolean, text: string) =>
    v ? [`    ${name.padEnd(8)} ${text}`] : [];
  const lines = [
    `bank          ${m.bank}`,
    `MCi_STATUS    ${hex64(m.status)}`,
    ...on('VAL', s.val, '63 valid'),
    ...on('OVER', s.over, '62 overflow: an error was lost'),
    ...on('UC', s.uc, '61 uncorrected'),
    ...on('EN', s.en, '60 error reporting enabled'),
    ...on('MISCV', s.miscv, '59 MCi_MISC valid'),
    ...on('ADDRV', s.addrv, '58 MCi_ADDR valid'),
    ...on('PCC', s.pcc, '57 processor context corrupt'),
    ...on('S', s.s, '56 signalled (machine-check exception)'),
    ...on('AR', s.ar, '55 action required'),
    ...(s.threshold ? [`    threshold ${s.threshold} (54:53)`] : []),
    ...(s.correctedCount ? [`    count    ${s.correctedCount} corrected errors (52:38)`] : []),
    ...(s.otherInfo ? [`    other    ${hex(s.otherInfo)} (37:32)`] : []),
    `    MSCOD    ${hex(s.mscod, 4)} (31:16, model specific)`,
    `    MCACOD   ${hex(s.mcacod, 4)} ${d.errorCode.name}: ${d.errorCode.description}${d.errorCode.filtered ? ' (corrected reporting filtered)' : ''}`,
    `MCi_ADDR      ${hex64(m.addr)}${s.addrv ? '' : ' (ADDRV clear: not valid)'}`,
    `MCi_MISC      ${hex64(m.misc)}${s.miscv ? '' : ' (MISCV clear: not valid)'}`,
    `    LSB      ${d.miscFields.addressLsb}`,
    `    mode     ${d.miscFields.addressMode} ${addressModeName(d.miscFields.addressMode)}`,
    `MCG_STATUS    ${hex64(m.mcgStatus)}`,
    ...on('RIPV', d.mcgStatusFields.ripv, '0 restart IP valid'),
    ...on('EIPV', d.mcgStatusFields.eipv, '1 error IP valid'),
    ...on('MCIP', d.mcgStatusFields.mcip, '2 machine check in progress'),
    ...on('LMCES', d.mcgStatusFields.lmces, '3 local machine check'),
  ];
  if (mcgCap !== undefined) lines.push(...mcgCapTable(mcgCap));
  return lines;
}

export function mcgCapTable(value: bigint): string[] {
  const c = decodeMcgCap(value);
  const on = (name: string, v: boolean, text: string) =>
    v ? [`    ${name.padEnd(8)} ${text}`] : [];
  return [
    `MCG_CAP       ${hex64(value)}`,
    `    count    ${c.count} banks`,
    ...on('CTL_P', c.ctlP, '8 MCG_CTL present'),
    ...on('EXT_P', c.extP, `9 extended registers (${c.extCnt})`),
    ...on('CMCI_P', c.cmciP, '10 corrected machine-check interrupt'),
    ...on('TES_P', c.tesP, '11 threshold-based error status'),
    ...on('SER_P', c.serP, '24 software error recovery'),
    ...on('EMC_P', c.emcP, '25 enhanced machine check (firmware first)'),
    ...on('ELOG_P', c.elogP, '26 extended error logging'),
    ...on('LMCE_P', c.lmceP, '27 local machine check'),
  ];
}
