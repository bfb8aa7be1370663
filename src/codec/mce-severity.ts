// Linux's grading of an x86 machine check, as a lint: the rules of
// arch/x86/kernel/cpu/mce/severity.c (the Intel table `severities[]`, first match wins, and the
// short AMD rule set `mce_severity_amd` without SMCA), then what do_machine_check() does with
// the grade: panic, kill the current task (AR), hand the page to memory_failure (AO, UCNA) or
// leave the error for the poller (KEEP). Facts: Linux 6.1 and 6.12 severity.c and core.c (the
// table is the same in both for the rules below), shared/reference/x86-guest/ (a real 6.1 guest:
// SRAR killed the task with an Intel CPU model, panicked with an AMD one).

import type { MachineCheck } from './mce.js';
import {
  decodeMciMisc,
  MCG_STATUS_EIPV,
  MCG_STATUS_LMCES,
  MCG_STATUS_MCIP,
  MCG_STATUS_RIPV,
  MCI_STATUS_ADDRV,
  MCI_STATUS_AR,
  MCI_STATUS_EN,
  MCI_STATUS_MISCV,
  MCI_STATUS_OVER,
  MCI_STATUS_PCC,
  MCI_STATUS_S,
  MCI_STATUS_UC,
  MCI_STATUS_VAL,
  Mcacod,
  MciMiscAddressMode,
} from './mce.js';

/** internal.h `enum severity_level` (UCNA is the same value as DEFERRED). */
export const MceSeverity = {
  No: 0,
  Deferred: 1,
  Keep: 2,
  Some: 3,
  Ao: 4,
  Uc: 5,
  Ar: 6,
  Panic: 7,
} as const;
export type MceSeverity = (typeof MceSeverity)[keyof typeof MceSeverity];

const SEVERITY_NAMES = ['NO', 'UCNA/DEFERRED', 'KEEP', 'SOME', 'AO', 'UC', 'AR', 'PANIC'] as const;

export function mceSeverityName(s: number): string {
  return SEVERITY_NAMES[s] ?? `severity ${s}`;
}

/** severity.c `enum context`: where the machine check hit. */
export type MceContext = 'user' | 'kernel' | 'kernel-recoverable';

export interface MceGradeOptions {
  /** Vendor of the guest CPU model (default intel: `Skylake-Client-v1`). */
  readonly vendor?: 'intel' | 'amd';
  /** `mca_cfg.ser`: MCG_CAP.SER_P (QEMU sets it by default). Default true. */
  readonly ser?: boolean;
  /** Where the CPU was (CS & 3 == 3 is user). Default user. */
  readonly context?: MceContext;
  /** Graded inside the #MC handler (EXCP) or by the poller (NOEXCP). Default true. */
  readonly exception?: boolean;
  /** CPU model and stepping (the Skylake-X patrol-scrub quirk only). */
  readonly cpuModel?: number;
  readonly cpuStepping?: number;
  /** AMD `mce_flags.overflow_recov` (MCA overflow recovery CPUID bit). Default false. */
  readonly overflowRecov?: boolean;
  /** AMD `mce_flags.succor` (software uncorrectable error containment). Default false (TCG). */
  readonly succor?: boolean;
}

interface Rule {
  readonly sev: MceSeverity;
  readonly msg: string;
  readonly mask: bigint;
  readonly result: bigint;
  readonly mcgMask?: bigint;
  readonly mcgRes?: bigint;
  readonly ser?: 'required' | 'no';
  readonly context?: MceContext;
  readonly excp?: boolean;
  readonly model?: { readonly model: number; readonly minStepping: number };
  readonly banks?: readonly [number, number];
}

/** AMD MCi_STATUS bit 44: deferred error. */
const MCI_STATUS_DEFERRED_AMD = 1n << 44n;
const UC_S = MCI_STATUS_UC | MCI_STATUS_S;
const UC_AR = MCI_STATUS_UC | MCI_STATUS_AR;
const UC_SAR = MCI_STATUS_UC | MCI_STATUS_S | MCI_STATUS_AR;
const ADDR = MCI_STATUS_ADDRV | MCI_STATUS_MISCV;
const MCACOD = BigInt(Mcacod.Mask);
const bitclr = (x: bigint) => ({ mask: x, result: 0n });
const bitset = (x: bigint) => ({ mask: x, result: x });
const INTEL_FAM6_SKYLAKE_X = 0x55;

/** severity.c `severities[]` (CONFIG_MEMORY_FAILURE=y, as in Debian's kernels), in order. */
export const INTEL_SEVERITY_RULES: readonly Rule[] = [
  { sev: MceSeverity.No, msg: 'Invalid', ...bitclr(MCI_STATUS_VAL) },
  { sev: MceSeverity.No, msg: 'Not enabled', excp: true, ...bitclr(MCI_STATUS_EN) },
  { sev: MceSeverity.Panic, msg: 'Processor context corrupt', ...bitset(MCI_STATUS_PCC) },
  {
    sev: MceSeverity.Panic,
    msg: 'MCIP not set in MCA handler',
    excp: true,
    mask: 0n,
    result: 0n,
    mcgMask: MCG_STATUS_MCIP,
    mcgRes: 0n,
  },
  {
    sev: MceSeverity.Panic,
    msg: 'Neither restart nor error IP',
    excp: true,
    mask: 0n,
    result: 0n,
    mcgMask: MCG_STATUS_RIPV | MCG_STATUS_EIPV,
    mcgRes: 0n,
  },
  {
    sev: MceSeverity.Panic,
    msg: 'In kernel and no restart IP',
    excp: true,
    context: 'kernel',
    mask: 0n,
    result: 0n,
    mcgMask: MCG_STATUS_RIPV,
    mcgRes: 0n,
  },
  {
    sev: MceSeverity.Panic,
    msg: 'In kernel and no restart IP',
    excp: true,
    context: 'kernel-recoverable',
    mask: 0n,
    result: 0n,
    mcgMask: MCG_STATUS_RIPV,
    mcgRes: 0n,
  },
  { sev: MceSeverity.Keep, msg: 'Corrected error', ser: 'no', ...bitclr(MCI_STATUS_UC) },
  {
    sev: MceSeverity.Ao,
    msg: 'Action optional: memory scrubbing error',
    ser: 'required',
    mask: UC_AR | BigInt(Mcacod.ScrubMask),
    result: MCI_STATUS_UC | BigInt(Mcacod.Scrub),
  },
  {
    sev: MceSeverity.Ao,
    msg: 'Action optional: last level cache writeback error',
    ser: 'required',
    mask: UC_AR | MCACOD,
    result: MCI_STATUS_UC | BigInt(Mcacod.L3Wb),
  },
  {
    sev: MceSeverity.Ao,
    msg: 'Uncorrected Patrol Scrub Error',
    ser: 'required',
    mask: MCI_STATUS_UC | ADDR | 0xffffeff0n,
    result: ADDR | 0x001000c0n,
    model: { model: INTEL_FAM6_SKYLAKE_X, minStepping: 4 },
    banks: [13, 18],
  },
  {
    sev: MceSeverity.Deferred,
    msg: 'Uncorrected no action required',
    ser: 'required',
    mask: UC_SAR,
    result: MCI_STATUS_UC,
  },
  {
    sev: MceSeverity.Panic,
    msg: 'Illegal combination (UCNA with AR=1)',
    ser: 'required',
    mask: MCI_STATUS_OVER | UC_SAR,
    result: MCI_STATUS_UC | MCI_STATUS_AR,
  },
  {
    sev: MceSeverity.Keep,
    msg: 'Non signaled machine check',
    ser: 'required',
    ...bitclr(MCI_STATUS_S),
  },
  {
    sev: MceSeverity.Panic,
    msg: 'Action required with lost events',
    ser: 'required',
    ...bitset(MCI_STATUS_OVER | UC_SAR),
  },
  {
    sev: MceSeverity.Keep,
    msg: 'Action required but unaffected thread is continuable',
    ser: 'required',
    mask: MCI_STATUS_OVER | UC_SAR | ADDR,
    result: UC_SAR | ADDR,
    mcgMask: MCG_STATUS_RIPV | MCG_STATUS_EIPV,
    mcgRes: MCG_STATUS_RIPV,
  },
  {
    sev: MceSeverity.Ar,
    msg: 'Action required: data load in error recoverable area of kernel',
    ser: 'required',
    mask: MCI_STATUS_OVER | UC_SAR | ADDR | MCACOD,
    result: UC_SAR | ADDR | BigInt(Mcacod.Data),
    context: 'kernel-recoverable',
  },
  {
    sev: MceSeverity.Ar,
    msg: 'Action required: data load error in a user process',
    ser: 'required',
    mask: MCI_STATUS_OVER | UC_SAR | ADDR | MCACOD,
    result: UC_SAR | ADDR | BigInt(Mcacod.Data),
    context: 'user',
  },
  {
    sev: MceSeverity.Ar,
    msg: 'Action required: instruction fetch error in a user process',
    ser: 'required',
    mask: MCI_STATUS_OVER | UC_SAR | ADDR | MCACOD,
    result: UC_SAR | ADDR | BigInt(Mcacod.Instr),
    context: 'user',
  },
  {
    sev: MceSeverity.Panic,
    msg: 'Data load in unrecoverable area of kernel',
    ser: 'required',
    mask: MCI_STATUS_OVER | UC_SAR | ADDR | MCACOD,
    result: UC_SAR | ADDR | BigInt(Mcacod.Data),
    context: 'kernel',
  },
  {
    sev: MceSeverity.Panic,
    msg: 'Instruction fetch error in kernel',
    ser: 'required',
    mask: MCI_STATUS_OVER | UC_SAR | ADDR | MCACOD,
    result: UC_SAR | ADDR | BigInt(Mcacod.Instr),
    context: 'kernel',
  },
  {
    sev: MceSeverity.Panic,
    msg: 'Action required: unknown MCACOD',
    ser: 'required',
    mask: MCI_STATUS_OVER | UC_SAR,
    result: UC_SAR,
  },
  {
    sev: MceSeverity.Some,
    msg: 'Action optional: unknown MCACOD',
    ser: 'required',
    mask: MCI_STATUS_OVER | UC_SAR,
    result: UC_S,
  },
  {
    sev: MceSeverity.Some,
    msg: 'Action optional with lost events',
    ser: 'required',
    mask: MCI_STATUS_OVER | UC_SAR,
    result: MCI_STATUS_OVER | UC_S,
  },
  {
    sev: MceSeverity.Panic,
    msg: 'Overflowed uncorrected',
    ...bitset(MCI_STATUS_OVER | MCI_STATUS_UC),
  },
  { sev: MceSeverity.Uc, msg: 'Uncorrected', ...bitset(MCI_STATUS_UC) },
  { sev: MceSeverity.Some, msg: 'No match', mask: 0n, result: 0n },
];

export interface MceGrade {
  readonly severity: MceSeverity;
  readonly severityName: string;
  /** The matching rule's message (what the kernel prints after "Machine check: " on panic). */
  readonly message: string;
  /** Index of the rule in INTEL_SEVERITY_RULES (undefined for AMD). */
  readonly rule: number | undefined;
  readonly context: MceContext;
}

/** severity.c mce_severity(): the grade of one bank's error. */
export function gradeMce(
  m: Pick<MachineCheck, 'bank' | 'status' | 'mcgStatus'>,
  options: MceGradeOptions = {},
): MceGrade {
  const context = options.context ?? 'user';
  if ((options.vendor ?? 'intel') === 'amd') return gradeAmd(m.status, context, options);
  const ser = options.ser ?? true;
  const excp = options.exception ?? true;
  for (let i = 0; i < INTEL_SEVERITY_RULES.length; i++) {
    const r = INTEL_SEVERITY_RULES[i]!;
    if ((m.status & r.mask) !== r.result) continue;
    if ((m.mcgStatus & (r.mcgMask ?? 0n)) !== (r.mcgRes ?? 0n)) continue;
    if (r.ser === 'required' && !ser) continue;
    if (r.ser === 'no' && ser) continue;
    if (r.context !== undefined && r.context !== context) continue;
    if (r.excp !== undefined && r.excp !== excp) continue;
    if (r.model !== undefined) {
      if (options.cpuModel !== r.model.model) continue;
      if ((options.cpuStepping ?? 0) < r.model.minStepping) continue;
    }
    if (r.banks !== undefined && (m.bank < r.banks[0] || m.bank > r.banks[1])) continue;
    // "if (s->sev >= MCE_UC_SEVERITY && ctx == IN_KERNEL) return MCE_PANIC_SEVERITY;"
    const severity = r.sev >= MceSeverity.Uc && context === 'kernel' ? MceSeverity.Panic : r.sev;
    return { severity, severityName: mceSeverityName(severity), message: r.msg, rule: i, context };
  }
  /* c8 ignore next: the last rule always matches */
  throw new Error('unreachable: the last severity rule matches everything');
}

function gradeAmd(status: bigint, context: MceContext, options: MceGradeOptions): MceGrade {
  const g = (severity: MceSeverity, message: string): MceGrade => ({
    severity,
    severityName: mceSeverityName(severity),
    message,
    rule: undefined,
    context,
  });
  // The simplified AMD grading of the 6.1 stable and later kernels (the spike's 6.1.192 guest
  // printed "Machine check: Uncorrected error without MCA Recovery" for an SRAR under -cpu max).
  if (status & MCI_STATUS_PCC) return g(MceSeverity.Panic, 'Processor Context Corrupt');
  if (status & MCI_STATUS_DEFERRED_AMD) return g(MceSeverity.Deferred, 'Deferred error');
  if (!(status & MCI_STATUS_UC)) return g(MceSeverity.Keep, 'Corrected error');
  if (status & MCI_STATUS_OVER && options.overflowRecov !== true)
    return g(MceSeverity.Panic, 'Overflowed uncorrected error without MCA Overflow Recovery');
  if (options.succor !== true)
    return g(MceSeverity.Panic, 'Uncorrected error without MCA Recovery');
  if (context === 'kernel')
    return g(MceSeverity.Panic, 'Uncorrected unrecoverable error in kernel context');
  return g(MceSeverity.Ar, 'Uncorrected error, kill the current task');
}

/** mce.h/core.c mce_usable_address() on Intel: MISCV, ADDRV, physical mode, LSB ≤ 12. */
export function mceUsableAddress(m: Pick<MachineCheck, 'status' | 'misc'>): boolean {
  if (!(m.status & MCI_STATUS_ADDRV) || !(m.status & MCI_STATUS_MISCV)) return false;
  const misc = decodeMciMisc(m.misc);
  return misc.addressLsb <= 12 && misc.addressMode === MciMiscAddressMode.Physical;
}

export type MceAction =
  /** Nothing logged (invalid, not enabled). */
  | 'ignore'
  /** Left for CMCI / the poller (corrected, non-signalled, continuable). */
  | 'keep'
  /** Logged only (SOME, UC in user mode without AR). */
  | 'log'
  /** The page goes to memory_failure(pfn, 0) from the notifier (AO, UCNA): late or early kill. */
  | 'memory-failure'
  /** The current task: kill_me_maybe → memory_failure(pfn, MF_ACTION_REQUIRED) (AR in user). */
  | 'kill-current'
  /** The current task gets SIGBUS without memory_failure (AR without a usable address). */
  | 'kill-current-no-address'
  | 'panic';

export interface MceOutcome extends MceGrade {
  readonly action: MceAction;
  /** For `panic`: the argument of panic(). */
  readonly panicMessage?: string;
  /** Whether the kernel logs the record (its `mce: [Hardware Error]:` lines may follow). */
  readonly logged: boolean;
}

/**
 * What a Linux guest does with one machine-check exception (core.c do_machine_check on one
 * CPU): the grade, then panic when it is PANIC (`Fatal local machine check` when LMCES is set on
 * Intel or always on AMD, where `lmce` stays 1; `Fatal machine check` from mce_reign otherwise),
 * the task work for AR in user mode (or when RIPV is clear), the notifier's memory_failure for AO.
 */
export function linuxMceOutcome(m: MachineCheck, options: MceGradeOptions = {}): MceOutcome {
  const grade = gradeMce(m, options);
  const vendor = options.vendor ?? 'intel';
  if (grade.severity === MceSeverity.Panic) {
    const lmce = vendor === 'amd' || (m.mcgStatus & MCG_STATUS_LMCES) !== 0n;
    return {
      ...grade,
      action: 'panic',
      panicMessage: lmce ? 'Fatal local machine check' : 'Fatal machine check',
      logged: true,
    };
  }
  if (grade.severity === MceSeverity.No) return { ...grade, action: 'ignore', logged: false };
  const killCurrent = grade.severity === MceSeverity.Ar || !(m.mcgStatus & MCG_STATUS_RIPV);
  if (killCurrent && grade.context === 'user') {
    return {
      ...grade,
      action: mceUsableAddress(m) ? 'kill-current' : 'kill-current-no-address',
      logged: true,
    };
  }
  if (grade.severity === MceSeverity.Ao || grade.severity === MceSeverity.Deferred) {
    return {
      ...grade,
      action: mceUsableAddress(m) ? 'memory-failure' : 'log',
      logged: true,
    };
  }
  if (grade.severity === MceSeverity.Keep) return { ...grade, action: 'keep', logged: false };
  return { ...grade, action: 'log', logged: true };
}
