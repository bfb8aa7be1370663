// What a Linux guest does with a Generic Error Status Block (ACPI 6.5 §18.3.2.7.1), worked out
// on the raw bytes the way the kernel reads them: linux-guest.md §4 (the ordered acceptance
// checks), §5 (clear and ack), §6 (severity and panic), §7 (section processing and
// memory_failure), §9 (rate limit and duplicate cache); formats.md §4–§8 for the layouts.
//
// Nothing here decodes through the strict codecs: the kernel trusts what it reads, so this
// reads fields at fixed offsets, with bytes past the end of the input taken as zero (a VMM's
// block memory is zero-initialised), and never throws. The kernel's u32/int arithmetic is
// reproduced (`cper_estatus_len` and the entry walk wrap at 2^32) because it changes outcomes.

import type { LintConsequence, LintFinding, LintSeverity } from './finding.js';
import { type Guid, guidFromBytes } from './guid.js';
import { hex } from './hex.js';

/**
 * Which guest kernel: '6.1' (Debian 12's 6.1.192, the default), '6.12' (Debian 13's
 * 6.12.107), '7.3' (trixie-backports' 7.3.4), and 'newer', kept as an alias for the newest
 * ('7.3'). Each behaves as its console shows (test/fixtures/real-guest/<kernel>/*.txt).
 */
export type KernelVersion = '6.1' | '6.12' | '7.3' | 'newer';
/** The kernels measured under the real-guest harness, oldest first. */
export const KERNEL_VERSIONS = ['6.1', '6.12', '7.3'] as const;
export type MeasuredKernel = (typeof KERNEL_VERSIONS)[number];

/** 'newer' → '7.3'; undefined → '6.1'. */
export function resolveKernel(kernel: KernelVersion | undefined): MeasuredKernel {
  return kernel === undefined ? '6.1' : kernel === 'newer' ? '7.3' : kernel;
}

/** What one kernel does differently (linux-guest.md §1, §7, §8; the real-guest fixtures). */
export interface KernelBehaviour {
  readonly kernel: MeasuredKernel;
  /**
   * §7.4 forced SIGBUS for an SEA record that queued nothing: 'none' (6.1 before .164),
   * 'pr_err' (6.1.164+: `GHES: comm:pid: …`), 'dev_err' (`GHES GHES.<id>: [Hardware Error]:
   * GHES: comm:pid: …`; Debian's 6.12.107 (fixture 6.12/sea.txt) and 7.3).
   */
  readonly forcedSigbus: 'none' | 'pr_err' | 'dev_err';
  /** ghes.c refuses a PA that is not a valid pfn with `[Firmware Warn]: … Invalid address` (6.1, 6.12). */
  readonly pfnCheck: boolean;
  /** SEA memory errors run memory_failure(pfn, MF_ACTION_REQUIRED) from task work (7.3). */
  readonly syncActionRequired: boolean;
  /** ARM error-information `type` read as the UEFI 2.9A bitmask (all three measured kernels). */
  readonly armBitmask: boolean;
  /** 7.x ARM section length guards (`[Firmware Bug]: arm error length: …`). */
  readonly armLengthGuards: boolean;
  /** The record length is checked against min(error_block_length, 65536) (7.x). */
  readonly clampRecordLength: boolean;
  /** `Memory failure: %#lx: already hardware poisoned` still printed (removed in 2025). */
  readonly alreadyPoisonedLine: boolean;
  /** cper_print_pcie prints `aer_cor_status` and every valid AER image (6.13+). */
  readonly pcieCorrectableAer: boolean;
  /** cper knows the CXL Protocol Error section (6.2+). */
  readonly cxlProtocolSection: boolean;
}

/** The behaviour of `kernel` (6.1.y from `sublevel`, default 192: the measured Debian build). */
export function kernelBehaviour(kernel?: KernelVersion, sublevel = 192): KernelBehaviour {
  const k = resolveKernel(kernel);
  const from73 = k === '7.3';
  return {
    kernel: k,
    forcedSigbus: k === '6.1' ? (sublevel >= 164 ? 'pr_err' : 'none') : 'dev_err',
    pfnCheck: !from73,
    syncActionRequired: from73,
    armBitmask: k !== '6.1' || sublevel >= ARM_BITMASK_FROM_6_1_SUBLEVEL,
    armLengthGuards: from73,
    clampRecordLength: from73,
    alreadyPoisonedLine: !from73,
    pcieCorrectableAer: from73,
    cxlProtocolSection: k !== '6.1',
  };
}

/** One range of guest RAM (for `pfn_valid`): `size` bytes from `start`. */
export interface GuestRamRange {
  readonly start: bigint;
  readonly size: bigint;
}

/** The error source as the guest sees it, and the state that changes the outcome. */
export interface StatusBlockContext {
  /** HEST `Error Status Block Length` of the source. */
  readonly errorBlockLength: number;
  /** HEST notification type (formats.md §3.6): 0 polled, 8 SEA, 11 SDEI, … */
  readonly notificationType: number;
  /** Which kernel: '6.1' (Debian 12, default), '6.12', '7.3' or 'newer' (= '7.3'). */
  readonly kernel?: KernelVersion;
  /** 6.1.y sublevel (forced SIGBUS from 6.1.164); default 192, the measured Debian build. */
  readonly sublevel?: number;
  /** 1 for a type-9 GHES (no read-ack register), 2 for GHESv2 (default). */
  readonly ghesVersion?: 1 | 2;
  readonly sourceId?: number;
  /** Guest RAM, for the 6.1 `pfn_valid` check; without it every PA counts as RAM. */
  readonly ram?: readonly GuestRamRange[];
  /** Value of the Error Status Address register; only 0 matters (block ignored). */
  readonly pointer?: bigint;
  /** The task that took a synchronous abort, for the SIGBUS line (default `%s:%d`). */
  readonly task?: { readonly comm: string; readonly pid: number };
  /** Print state: records of this record's class printed in the last 5 s, and whether
   *  byte-identical bytes were printed (and so cached) in the last 10 s. Default: none. */
  readonly history?: {
    readonly printedInLast5s?: number;
    readonly identicalWithin10s?: boolean;
  };
  /** Add info findings explaining the rate limit and duplicate cache for this record. */
  readonly explainRateLimit?: boolean;
}

/** A memory_failure() the guest runs (or queues) because of the record. */
export interface MemoryFailure {
  readonly physicalAddress: bigint;
  readonly pfn: bigint;
  readonly flags: number;
  readonly flagNames: readonly string[];
  /** Which section asked for it: a Platform Memory section or an ARM cache error. */
  readonly via: 'memory' | 'arm';
  readonly section: number;
  /** 'queue': memory_failure_queue(); 'task-work': runs on return to user (7.3, SEA). */
  readonly how: 'queue' | 'task-work';
}

/** What the guest kernel does with the record: the simulator and the real guest compare this. */
export interface LinuxAcceptance {
  /** The record passed every check and was processed (or panicked on). */
  readonly accepted: boolean;
  /** `block_status` was zeroed by the guest. */
  readonly cleared: boolean;
  /** The read-ack register was written (GHESv2 only). */
  readonly acked: boolean;
  /** The record lines were printed. */
  readonly printed: boolean;
  readonly panic: boolean;
  readonly memoryFailures: readonly MemoryFailure[];
  readonly forcedSigbus: boolean;
  /** SEA only: `ghes_notify_sea()` claims the abort (a record was queued or cached). */
  readonly claimed: boolean;
  /** 'irq' for polled/IRQ/HED sources, 'nmi' for SEA, SDEI and NMI (linux-guest.md §4). */
  readonly path: 'irq' | 'nmi' | 'none';
  /** `cper_estatus_len()`, u32 as the kernel computes it. */
  readonly recordLength: number;
  readonly findings: readonly LintFinding[];
}

/** The kernel's own lines (linux-guest.md §4, §7, §8). */
export const GhesText = {
  truncated: '[Firmware Warn]: GHES: Truncated error status block!',
  invalidLength: '[Firmware Warn]: GHES: Invalid error status block length!',
  invalidHeader: '[Firmware Warn]: GHES: Invalid CPER header!',
  readFailed: '[Firmware Warn]: GHES: Failed to read error status block!',
  panic: 'GHES: Fatal hardware error',
  sectionTooSmall: '[Firmware Warn]: error section length is too small',
  validBitsBeyond: '[Firmware Warn]: valid bits set for fields beyond structure',
} as const;

export const MfFlag = {
  MF_COUNT_INCREASED: 1 << 0,
  MF_ACTION_REQUIRED: 1 << 1,
  MF_MUST_KILL: 1 << 2,
  MF_SOFT_OFFLINE: 1 << 3,
} as const;

export function mfFlagNames(flags: number): string[] {
  return Object.entries(MfFlag)
    .filter(([, bit]) => (flags & bit) !== 0)
    .map(([name]) => name);
}

const GUID_MEMORY = 'a5bc1114-6f64-4ede-b863-3e83ed7c83b1';
const GUID_ARM = 'e19e3d16-bc11-11e4-9caa-c2051d5d46b0';
const GUID_PCIE = 'd995e954-bbc1-430f-ad91-b44dcb3c6f35';
const GUID_PROC_GENERIC = '9876ccad-47b4-4bdb-b65e-16f193c4f3db';
const GUID_FW_ERROR_REF = '81212a96-09ed-4996-9471-8d729c8e69ed';

/** Payload sizes below which cper_estatus_print_section says the section is too small. */
const MIN_PRINT_LENGTH: ReadonlyMap<Guid, number> = new Map([
  [GUID_MEMORY, 73],
  [GUID_PROC_GENERIC, 192],
  [GUID_PCIE, 208],
  [GUID_ARM, 40],
  [GUID_FW_ERROR_REF, 16],
]);

/** GHES severities (`ghes_severity`, linux-guest.md §6). */
const GhesSev = { NO: 0, CORRECTED: 1, RECOVERABLE: 2, PANIC: 3 } as const;
type GhesSev = (typeof GhesSev)[keyof typeof GhesSev];

function ghesSeverity(cper: number): GhesSev {
  switch (cper) {
    case 3:
      return GhesSev.NO;
    case 2:
      return GhesSev.CORRECTED;
    case 0:
      return GhesSev.RECOVERABLE;
    default:
      return GhesSev.PANIC; // 1 fatal, and any unknown value
  }
}

const CPER_SEVERITY_NAMES = ['recoverable', 'fatal', 'corrected', 'info'] as const;
function severityName(v: number): string {
  return CPER_SEVERITY_NAMES[v] ?? 'unknown';
}

const ARM_TYPE_NAMES = ['cache error', 'TLB error', 'bus error', 'micro-architectural error'];

/** Notification types Linux probes (linux-guest.md §3.1, arm64 kernel). */
const NMI_LIKE = new Set([4, 8, 11]);
const SUPPORTED = new Set([0, 1, 3, 7, 8, 10, 11]);
const SEA = 8;
const PAGE_SHIFT = 12n;
/** A safety bound for the walks: far above anything a block of ≤ 64 KiB can hold. */
const WALK_LIMIT = 1 << 16;

/** Little-endian reads on the input with bytes past its end as zero; never throws. */
class RawBytes {
  constructor(readonly bytes: Uint8Array) {}
  u8(off: number): number {
    return off >= 0 && off < this.bytes.length ? this.bytes[off]! : 0;
  }
  u16(off: number): number {
    return this.u8(off) | (this.u8(off + 1) << 8);
  }
  u32(off: number): number {
    return (this.u16(off) | (this.u16(off + 2) << 16)) >>> 0;
  }
  u64(off: number): bigint {
    return BigInt(this.u32(off)) | (BigInt(this.u32(off + 4)) << 32n);
  }
  guid(off: number): Guid {
    if (off + 16 <= this.bytes.length) return guidFromBytes(this.bytes, off);
    const tmp = new Uint8Array(16);
    for (let i = 0; i < 16; i++) tmp[i] = this.u8(off + i);
    return guidFromBytes(tmp, 0);
  }
}

interface Section {
  readonly index: number;
  readonly offset: number;
  readonly headerSize: number;
  readonly type: Guid;
  readonly severity: number;
  readonly flags: number;
  readonly length: number;
}

class Analysis {
  readonly findings: LintFinding[] = [];
  readonly memoryFailures: MemoryFailure[] = [];
  readonly r: RawBytes;
  readonly kernel: MeasuredKernel;
  /** 6.1.y sublevel (default 192, the measured Debian build). */
  readonly sublevel: number;
  readonly k: KernelBehaviour;
  readonly sync: boolean;
  readonly sourceId: number;

  constructor(
    bytes: Uint8Array,
    readonly ctx: StatusBlockContext,
  ) {
    this.r = new RawBytes(bytes);
    this.kernel = resolveKernel(ctx.kernel);
    this.sublevel = ctx.sublevel ?? 192;
    this.k = kernelBehaviour(this.kernel, this.sublevel);
    this.sync = ctx.notificationType === SEA;
    this.sourceId = ctx.sourceId ?? 0;
  }

  add(
    code: string,
    severity: LintSeverity,
    message: string,
    consequence: LintConsequence,
    where: { offset?: number; field?: string; detail?: string } = {},
  ): void {
    this.findings.push({
      code,
      severity,
      message,
      consequence,
      ...(where.offset === undefined ? {} : { offset: where.offset }),
      ...(where.field === undefined ? {} : { field: where.field }),
      ...(where.detail === undefined ? {} : { detail: where.detail }),
    });
  }

  isRam(pa: bigint): boolean {
    const ram = this.ctx.ram;
    if (ram === undefined) return true;
    const page = (pa >> PAGE_SHIFT) << PAGE_SHIFT;
    return ram.some((r) => page >= r.start && page < r.start + r.size);
  }

  /** `ghes_do_memory_failure`: true when queued (the kernel's `queued`). */
  memoryFailure(
    pa: bigint,
    flags: number,
    via: 'memory' | 'arm',
    s: Section,
    off: number,
  ): boolean {
    const pfn = pa >> PAGE_SHIFT;
    if (this.k.pfnCheck && !this.isRam(pa)) {
      this.add(
        `${via}.invalid-address`,
        'warning',
        `[Firmware Warn]: GHES: Invalid address in generic error data: ${hex(pa)}`,
        { kind: 'no-recovery' },
        {
          offset: off,
          field: via === 'memory' ? 'physical_address' : 'physical_fault_address',
          detail: 'pfn_valid() fails: the address is not guest RAM, so no memory_failure',
        },
      );
      return false;
    }
    const how =
      this.k.syncActionRequired && flags === MfFlag.MF_ACTION_REQUIRED ? 'task-work' : 'queue';
    const flagNames = mfFlagNames(flags);
    this.memoryFailures.push({
      physicalAddress: pa,
      pfn,
      flags,
      flagNames,
      via,
      section: s.index,
      how,
    });
    const soft = (flags & MfFlag.MF_SOFT_OFFLINE) !== 0;
    this.add(
      soft ? `${via}.soft-offline` : `${via}.memory-failure`,
      'info',
      '',
      { kind: 'memory-failure', pfn, flags, flagNames },
      {
        offset: off,
        field: via === 'memory' ? 'physical_address' : 'physical_fault_address',
        detail: `${how === 'task-work' ? 'memory_failure' : 'memory_failure_queue'}(${hex(pfn)}, ${flagNames.join('|') || '0'})${soft ? ': soft offline' : ''}`,
      },
    );
    if (!this.k.pfnCheck && !this.isRam(pa)) {
      // memory_failure() on a pfn without a struct page (memory_failure_pfnmap): ignored, and
      // it fails, so the task-work path signals the task itself (fixture 7.3/sea.txt).
      this.add(
        `${via}.non-struct-page-pfn`,
        'warning',
        `Memory failure: ${hex(pfn)}: recovery action for non struct page pfn: Ignored`,
        { kind: 'no-recovery' },
        { offset: off, detail: 'the address is not guest RAM: memory_failure ignores it' },
      );
      if (how === 'task-work') {
        this.add(
          `${via}.task-work-sigbus`,
          'warning',
          `${hex(pfn)}: Sending SIGBUS to ${this.taskText()} due to hardware memory corruption`,
          { kind: 'forced-sigbus' },
          {
            offset: off,
            detail: 'memory_failure(MF_ACTION_REQUIRED) failed in task work: force_sig(SIGBUS)',
          },
        );
      }
    }
    return true;
  }

  taskText(): string {
    const t = this.ctx.task;
    return t === undefined ? '%s:%d' : `${t.comm}:${t.pid}`;
  }
}

/** `cper_estatus_len`: u32 arithmetic, as the kernel does it. */
export function cperEstatusLength(bytes: Uint8Array): number {
  const r = new RawBytes(bytes);
  const rawLength = r.u32(8);
  return rawLength !== 0 ? (r.u32(4) + rawLength) >>> 0 : (20 + r.u32(12)) >>> 0;
}

/** Findings for a status block, in the order the kernel meets them. Never throws. */
export function lintStatusBlock(bytes: Uint8Array, ctx: StatusBlockContext): LintFinding[] {
  return [...linuxAcceptance(bytes, ctx).findings];
}

/** What the guest does with the block: accepted, acked, printed, panic, memory failures. */
export function linuxAcceptance(bytes: Uint8Array, ctx: StatusBlockContext): LinuxAcceptance {
  const a = new Analysis(bytes, ctx);
  const r = a.r;
  const v2 = (ctx.ghesVersion ?? 2) === 2;
  const path = NMI_LIKE.has(ctx.notificationType) ? 'nmi' : 'irq';
  const recordLength = cperEstatusLength(bytes);
  const none = {
    accepted: false,
    cleared: false,
    acked: false,
    printed: false,
    panic: false,
    memoryFailures: [],
    forcedSigbus: false,
    claimed: false,
    recordLength,
  };

  // Probe (linux-guest.md §3): a source Linux does not register never reads its block.
  if (!sourceRegistered(a)) return { ...none, path: 'none', findings: a.findings };

  // Checks 2–3: no pointer, or block_status 0 → silently ignored, never cleared or acked.
  if (ctx.pointer === 0n) {
    a.add(
      'estatus.null-pointer',
      'error',
      '',
      { kind: 'ignored-never-acked' },
      {
        field: 'error_status_address',
        detail: 'the Error Status Address register holds 0: the block is never read or acked',
      },
    );
    return { ...none, path, findings: a.findings };
  }
  if (bytes.length < 4 || r.u32(0) === 0) {
    a.add(
      'estatus.block-status-zero',
      'error',
      '',
      { kind: 'ignored-never-acked' },
      {
        offset: 0,
        field: 'block_status',
        detail:
          bytes.length < 4
            ? `the input has ${bytes.length} bytes, so block_status reads as 0: nothing is read, cleared or acked`
            : 'block_status is 0: Linux treats the block as empty and never acks it, so the VMM cannot post its next record',
      },
    );
    return { ...none, path, findings: a.findings };
  }
  if (bytes.length < 20) {
    a.add(
      'estatus.short-input',
      'warning',
      '',
      { kind: 'info' },
      {
        offset: bytes.length,
        detail: `the input ends at ${bytes.length} bytes, inside the 20-byte header; the rest is taken as zero`,
      },
    );
  }

  // Checks 4a–5: rejected, but cleared and acked; an SEA is not claimed.
  const rejected = (
    code: string,
    message: string,
    offset: number,
    field: string,
    detail: string,
  ) => {
    a.add(code, 'error', message, { kind: 'rejected-acked' }, { offset, field, detail });
    return {
      ...none,
      cleared: true,
      acked: v2,
      path,
      findings: a.findings,
    } satisfies LinuxAcceptance;
  };
  const rawOffset = r.u32(4);
  const rawLength = r.u32(8);
  const dataLength = r.u32(12);
  const lenField = rawLength !== 0 ? 'raw_data_length' : 'data_length';
  if (recordLength < 20) {
    return rejected(
      'estatus.truncated',
      GhesText.truncated,
      rawLength !== 0 ? 8 : 12,
      lenField,
      `cper_estatus_len() = ${recordLength} (u32), less than the 20-byte header`,
    );
  }
  const ebl = ctx.errorBlockLength;
  const maxLength = a.k.clampRecordLength ? Math.min(ebl, 65536) : ebl;
  if (recordLength > maxLength) {
    return rejected(
      'estatus.invalid-length',
      GhesText.invalidLength,
      rawLength !== 0 ? 8 : 12,
      lenField,
      `record length ${recordLength} exceeds ${a.k.clampRecordLength && ebl > 65536 ? 'the 65536-byte buffer' : `error_block_length ${ebl}`}`,
    );
  }
  if (dataLength !== 0 && dataLength < 64) {
    return rejected(
      'estatus.invalid-header',
      GhesText.invalidHeader,
      12,
      'data_length',
      `data_length ${dataLength} is neither 0 nor at least one 64-byte entry header`,
    );
  }
  if (rawLength !== 0 && rawOffset < 20 + dataLength) {
    return rejected(
      'estatus.invalid-header',
      GhesText.invalidHeader,
      4,
      'raw_data_offset',
      `raw data at ${rawOffset} overlaps the entries (must be ≥ 20 + data_length = ${20 + dataLength})`,
    );
  }
  if (!a.k.clampRecordLength && path === 'irq' && recordLength > 65536) {
    a.add(
      'estatus.buffer-overflow',
      'error',
      '',
      { kind: 'warning' },
      {
        offset: 12,
        field: lenField,
        detail: `${a.kernel} copies ${recordLength} bytes into its 65536-byte buffer (error_block_length ${ebl} is only checked, not clamped): guest memory corruption`,
      },
    );
  }
  if (bytes.length < recordLength) {
    a.add(
      'estatus.input-shorter-than-record',
      'warning',
      '',
      { kind: 'info' },
      {
        offset: bytes.length,
        detail: `the record is ${recordLength} bytes but the input has ${bytes.length}; the guest reads whatever follows (taken as zero here)`,
      },
    );
  }

  // Check 5: the entry walk (cper_estatus_check), with the kernel's wrapping arithmetic.
  const walk = walkEntries(r, dataLength);
  if (walk.kind === 'hang') {
    a.add(
      'estatus.walk-hang',
      'error',
      '',
      { kind: 'panic', text: 'hard lockup' },
      {
        offset: walk.offset + 24,
        field: 'error_data_length',
        detail:
          'header size + error_data_length wraps to 0 (32-bit), so cper_estatus_check() never advances: the guest CPU spins forever',
      },
    );
    return { ...none, path, findings: a.findings };
  }
  if (walk.kind === 'fail') {
    return rejected(
      'estatus.entry-walk',
      GhesText.readFailed,
      walk.offset,
      walk.field,
      walk.detail,
    );
  }
  const sections = walk.sections;
  entryCountNote(a, sections.length);

  // Severity (§6): only the block's severity panics.
  const sevRaw = r.u32(16);
  const sev = ghesSeverity(sevRaw);
  if (sev === GhesSev.PANIC) {
    a.add(
      'estatus.fatal',
      sevRaw === 1 ? 'warning' : 'error',
      `Kernel panic - not syncing: ${GhesText.panic}`,
      { kind: 'panic', text: GhesText.panic },
      {
        offset: 16,
        field: 'error_severity',
        detail:
          sevRaw === 1
            ? 'fatal severity: the record is printed at KERN_EMERG, cleared and acked, then the guest panics'
            : `severity ${sevRaw} is not a CPER severity; ghes_severity() maps unknown values to panic`,
      },
    );
    return {
      ...none,
      accepted: true,
      cleared: true,
      acked: v2,
      printed: true,
      panic: true,
      path,
      findings: a.findings,
    };
  }

  // Print rate limit and duplicate cache (§9).
  const cached = ctx.history?.identicalWithin10s === true;
  const rateOk = (ctx.history?.printedInLast5s ?? 0) < 2;
  const printed = !cached && rateOk;
  rateLimitNotes(a, path, cached, rateOk, sev);
  if (path === 'nmi' && cached) {
    return {
      ...none,
      accepted: true,
      cleared: true,
      acked: v2,
      claimed: a.sync,
      path,
      findings: a.findings,
    };
  }

  // Section processing (§7): `queued` is whatever the last memory or ARM section returned.
  let queued = false;
  for (const s of sections) {
    const secSev = ghesSeverity(s.severity);
    if (secSev > sev) {
      a.add(
        'section.more-severe',
        'warning',
        '',
        { kind: 'warning' },
        {
          offset: s.offset + 16,
          field: 'error_severity',
          detail: `section ${s.index} is ${severityName(s.severity)} under a ${severityName(sevRaw)} block; Linux decides panic and recovery from the block's severity`,
        },
      );
    }
    printChecks(a, s, printed);
    if (s.type === GUID_MEMORY) queued = memorySection(a, s, sev);
    else if (s.type === GUID_PCIE) pcieSection(a, s);
    else if (s.type === GUID_ARM) queued = armSection(a, s, sev);
  }

  // §7.4: a synchronous source whose record queued nothing forces SIGBUS (6.1.164+, 6.17+).
  let forcedSigbus = false;
  if (a.sync && !queued) {
    if (a.k.forcedSigbus !== 'none') {
      forcedSigbus = true;
      const line = `GHES: ${a.taskText()}: synchronous unrecoverable error (SIGBUS)`;
      a.add(
        'estatus.forced-sigbus',
        'warning',
        a.k.forcedSigbus === 'dev_err'
          ? `GHES GHES.${a.sourceId}: [Hardware Error]: ${line}`
          : line,
        { kind: 'forced-sigbus' },
        {
          detail: 'SEA source and no memory_failure queued: force_sig(SIGBUS) on the current task',
        },
      );
    } else {
      a.add(
        'estatus.sea-not-recovered',
        'warning',
        '',
        { kind: 'no-recovery' },
        {
          detail: `6.1.${a.sublevel} has no forced SIGBUS: nothing was queued, so the task re-executes the access`,
        },
      );
    }
  }
  // Forced SIGBUS from a failed task-work memory_failure (newer kernels, PA outside RAM).
  if (a.findings.some((f) => f.consequence.kind === 'forced-sigbus')) forcedSigbus = true;

  return {
    accepted: true,
    cleared: true,
    acked: v2,
    printed,
    panic: false,
    memoryFailures: a.memoryFailures,
    forcedSigbus,
    claimed: a.sync,
    path,
    recordLength,
    findings: a.findings,
  };
}

function sourceRegistered(a: Analysis): boolean {
  const { ctx } = a;
  const id = a.sourceId;
  if (!SUPPORTED.has(ctx.notificationType)) {
    const t = ctx.notificationType;
    const message =
      t === 2
        ? `GHES: Generic hardware error source: ${id} notified via local interrupt is not supported!`
        : t === 4
          ? `GHES: Generic hardware error source: ${id} notified via NMI interrupt is not supported!`
          : `[Firmware Warn]: GHES: Unknown notification type: ${t} for generic hardware error source: ${id}`;
    a.add(
      'source.unsupported-notification',
      'error',
      message,
      { kind: 'source-not-registered', sourceId: id },
      {
        field: 'notification.type',
        detail: 'the source is not registered: its block is never read',
      },
    );
    return false;
  }
  if (ctx.errorBlockLength < 20) {
    a.add(
      'source.block-length',
      'error',
      `[Firmware Bug]: GHES: Invalid error block length: ${ctx.errorBlockLength} for generic hardware error source: ${id}`,
      { kind: 'source-not-registered', sourceId: id },
      { field: 'error_block_length' },
    );
    return false;
  }
  if (ctx.errorBlockLength > 65536) {
    a.add(
      'source.block-length-too-long',
      'warning',
      `[Firmware Warn]: GHES: Error status block length is too long: ${ctx.errorBlockLength} for generic hardware error source: ${id}.`,
      { kind: 'warning' },
      { field: 'error_block_length', detail: 'the kernel buffer is clamped to 65536 bytes' },
    );
  }
  return true;
}

type Walk =
  | { kind: 'ok'; sections: Section[] }
  | { kind: 'fail'; offset: number; field: string; detail: string }
  | { kind: 'hang'; offset: number };

/** `cper_estatus_check`'s walk over `data_length` (linux-guest.md §4 check 5). */
function walkEntries(r: RawBytes, dataLength: number): Walk {
  const sections: Section[] = [];
  let remaining = dataLength;
  let pos = 0; // from the start of the entries (block offset 20)
  for (let i = 0; pos < dataLength; i++) {
    const off = 20 + pos;
    if (i >= WALK_LIMIT) {
      return {
        kind: 'fail',
        offset: off,
        field: 'data_length',
        detail: 'too many entries to walk',
      };
    }
    const revision = r.u16(off + 20);
    const headerSize = revision >> 8 >= 3 ? 72 : 64;
    if (headerSize > remaining) {
      return {
        kind: 'fail',
        offset: off,
        field: 'data_length',
        detail: `entry ${i} at ${hex(off)} needs a ${headerSize}-byte header, only ${remaining} bytes of data_length remain`,
      };
    }
    const length = r.u32(off + 24);
    // acpi_hest_get_record_size() is int arithmetic stored in an unsigned: wraps at 2^32.
    const recordSize = (headerSize + length) >>> 0;
    if (recordSize > remaining) {
      return {
        kind: 'fail',
        offset: off + 24,
        field: 'error_data_length',
        detail: `entry ${i}: ${headerSize} + error_data_length ${length} = ${headerSize + length} exceeds the ${remaining} bytes of data_length left`,
      };
    }
    if (recordSize === 0) return { kind: 'hang', offset: off };
    sections.push({
      index: i,
      offset: off,
      headerSize,
      type: r.guid(off),
      severity: r.u32(off + 16),
      flags: r.u8(off + 23),
      length,
    });
    remaining -= recordSize;
    pos += recordSize;
  }
  if (remaining !== 0) {
    return {
      kind: 'fail',
      offset: 12,
      field: 'data_length',
      detail: `the entries end ${remaining} bytes before data_length`,
    };
  }
  return { kind: 'ok', sections };
}

function entryCountNote(a: Analysis, count: number): void {
  const status = a.r.u32(0);
  const field = (status >> 4) & 0x3ff;
  if (field !== count) {
    a.add(
      'estatus.entry-count',
      'info',
      '',
      { kind: 'info' },
      {
        offset: 0,
        field: 'block_status',
        detail: `block_status entry count is ${field} but the block has ${count} entries; Linux ignores the count (QEMU writes 0)`,
      },
    );
  }
}

function rateLimitNotes(
  a: Analysis,
  path: 'irq' | 'nmi',
  cached: boolean,
  rateOk: boolean,
  sev: GhesSev,
): void {
  const cls = sev <= GhesSev.CORRECTED ? 'corrected' : 'uncorrected';
  if (cached) {
    a.add(
      'estatus.duplicate',
      'info',
      '',
      { kind: 'info' },
      {
        detail:
          path === 'nmi'
            ? 'identical to a record printed within 10 s: dropped entirely (no print, no memory_failure, no SIGBUS), but cleared, acked and the SEA claimed'
            : 'identical to a record printed within 10 s: processed but not printed',
      },
    );
  } else if (!rateOk) {
    a.add(
      'estatus.rate-limited',
      'info',
      '',
      { kind: 'info' },
      {
        detail: `already 2 ${cls} records printed in the last 5 s: processed and acked, not printed and not cached`,
      },
    );
  } else if (a.ctx.explainRateLimit === true) {
    a.add(
      'estatus.rate-limit-explained',
      'info',
      '',
      { kind: 'info' },
      {
        detail: `printed and cached for 10 s: a byte-identical record within 10 s is ${path === 'nmi' ? 'dropped entirely (acked, SEA claimed)' : 'processed but not printed'}; more than 2 ${cls} records in 5 s are not printed`,
      },
    );
  }
}

/** Lines cper_estatus_print_section prints about lengths (linux-guest.md §8.2, §8.4). */
function printChecks(a: Analysis, s: Section, printed: boolean): void {
  const payload = s.offset + s.headerSize;
  const min = MIN_PRINT_LENGTH.get(s.type);
  const note = printed ? {} : { detail: 'printed only with the record (not printed this time)' };
  if (min !== undefined && s.length < min) {
    a.add(
      'section.too-small',
      'warning',
      GhesText.sectionTooSmall,
      { kind: 'warning' },
      {
        offset: s.offset + 24,
        field: 'error_data_length',
        detail: `section ${s.index}: ${s.length} bytes, the kernel prints this section only from ${min}`,
        ...note,
      },
    );
  }
  if (s.type === GUID_MEMORY && s.length === 73 && (a.r.u64(payload) & ~0x7fffn) !== 0n) {
    a.add(
      'memory.valid-bits-beyond',
      'warning',
      GhesText.validBitsBeyond,
      { kind: 'warning' },
      {
        offset: payload,
        field: 'validation_bits',
        detail: `73-byte (UEFI 2.1) memory section with validation bits ${hex(a.r.u64(payload))}: the rest of the section is not printed; recovery is unaffected`,
        ...note,
      },
    );
  }
}

/** `ghes_handle_memory_failure` (linux-guest.md §7.1). */
function memorySection(a: Analysis, s: Section, sev: GhesSev): boolean {
  const payload = s.offset + s.headerSize;
  const valid = a.r.u64(payload);
  const secSev = ghesSeverity(s.severity);
  const beyond =
    s.length < 24
      ? ` (the section has ${s.length} bytes: the kernel reads the address from the bytes after it)`
      : '';
  if ((valid & 2n) === 0n) {
    a.add(
      'memory.no-pa',
      sev === GhesSev.RECOVERABLE ? 'warning' : 'info',
      '',
      { kind: 'no-recovery' },
      {
        offset: payload,
        field: 'validation_bits',
        detail: `section ${s.index}: physical address not valid (bit 0x2 clear): no memory_failure${beyond}`,
      },
    );
    return false;
  }
  const pa = a.r.u64(payload + 16);
  let flags = -1;
  if (secSev === GhesSev.CORRECTED && (s.flags & 0x08) !== 0) flags = MfFlag.MF_SOFT_OFFLINE;
  if (sev === GhesSev.RECOVERABLE && secSev === GhesSev.RECOVERABLE) {
    flags = a.k.syncActionRequired && a.sync ? MfFlag.MF_ACTION_REQUIRED : 0;
  }
  if (flags === -1) {
    const mismatch = sev === GhesSev.RECOVERABLE || secSev === GhesSev.RECOVERABLE;
    a.add(
      'memory.no-action',
      mismatch ? 'warning' : 'info',
      '',
      { kind: 'no-recovery' },
      {
        offset: s.offset + 16,
        field: 'error_severity',
        detail: mismatch
          ? `section ${s.index}: hard offline needs block and section both recoverable (block ${severityName(a.r.u32(16))}, section ${severityName(s.severity)})`
          : `section ${s.index}: ${severityName(s.severity)} without the threshold-exceeded flag (0x08): printed only`,
      },
    );
    return false;
  }
  return a.memoryFailure(pa, flags, 'memory', s, payload + 16);
}

/**
 * First 6.1.y sublevel whose ghes.c tests ARM error types as the UEFI 2.9A bitmask (cache =
 * bit 1) and prints `Unhandled processor error type 0x%02x: …`: the upstream change "efi/cper:
 * align ARM CPER type with UEFI 2.9A/2.10 specs" reached 6.1.y in the January 2026 stable
 * series ("[PATCH 6.1 216/634]"). Measured: Debian's 6.1.192 prints the bitmask form (the
 * real-guest ARM scenario). The exact first sublevel is our best reading, not measured.
 */
export const ARM_BITMASK_FROM_6_1_SUBLEVEL = 162;

/** Whether this kernel reads the ARM error-information type as a bitmask. */
export function armTypeIsBitmask(kernel: KernelVersion, sublevel = 192): boolean {
  return kernelBehaviour(kernel, sublevel).armBitmask;
}

/** `ghes_handle_arm_hw_error` (linux-guest.md §7.2), in each kernel's shape. */
function armSection(a: Analysis, s: Section, sev: GhesSev): boolean {
  const bitmask = armTypeIsBitmask(a.kernel, a.sublevel);
  const payload = s.offset + s.headerSize;
  const secSev = ghesSeverity(s.severity);
  const r = a.r;
  if (a.k.armLengthGuards && s.length < 40) {
    for (const line of [
      `[Firmware Bug]: arm error length: ${s.length}`,
      '[Firmware Bug]: length is too small',
      '[Firmware Bug]: firmware-generated error record is incorrect',
    ]) {
      a.add(
        'arm.length',
        'warning',
        line,
        { kind: 'no-recovery' },
        {
          offset: s.offset + 24,
          field: 'error_data_length',
        },
      );
    }
    return false;
  }
  if (sev !== GhesSev.RECOVERABLE || secSev !== GhesSev.RECOVERABLE) return false;
  const count = r.u16(payload + 4);
  let queued = false;
  let p = payload + 40;
  let remaining = s.length - 8; // 7.x subtracts sizeof(pointer), not the 40-byte header
  const end = payload + s.length;
  for (let i = 0; i < count && i < WALK_LIMIT; i++) {
    const length = r.u8(p + 1);
    if (a.k.armLengthGuards) {
      if (remaining < 32) break;
      remaining -= length;
      if (remaining < 0) break;
    } else if (p + 32 > end) {
      a.add(
        'arm.err-info-overrun',
        'warning',
        '',
        { kind: 'warning' },
        {
          offset: p,
          field: 'err_info_num',
          detail: `section ${s.index}: error information ${i} of ${count} lies outside the section; ${a.kernel} reads the bytes after it`,
        },
      );
    }
    const type = r.u8(p + 4);
    const hasPa = (r.u16(p + 2) & 0x10) !== 0;
    const isCache = bitmask ? (type & 0x02) !== 0 : type === 0;
    if (isCache && hasPa) {
      const flags = a.k.syncActionRequired && a.sync ? MfFlag.MF_ACTION_REQUIRED : 0;
      queued = a.memoryFailure(r.u64(p + 24), flags, 'arm', s, p + 24);
    } else {
      a.add(
        'arm.unhandled-type',
        'warning',
        armUnhandledText(bitmask, type),
        { kind: 'no-recovery' },
        {
          offset: p + 4,
          field: 'type',
          detail: isCache
            ? `section ${s.index}, error information ${i}: cache error without a valid physical address (validation bit 0x10)`
            : `section ${s.index}, error information ${i}: only cache errors with a physical address are recovered (${bitmask ? 'bitmask encoding, cache = 0x02' : 'enumerated encoding, cache = 0'})`,
        },
      );
    }
    if (length === 0) {
      if (count - i > 1) {
        a.add(
          'arm.err-info-zero-length',
          'warning',
          '',
          { kind: 'warning' },
          {
            offset: p + 1,
            field: 'length',
            detail: `section ${s.index}: error information length 0: the kernel handles the same entry ${count - i} times`,
          },
        );
      }
      break;
    }
    p += length;
  }
  return queued;
}

function armUnhandledText(bitmask: boolean, type: number): string {
  if (!bitmask) {
    return `[Firmware Warn]: GHES: Unhandled processor error type: ${ARM_TYPE_NAMES[type] ?? 'unknown error'}`;
  }
  const bits = (type & 0x1e) >> 1;
  const names = ARM_TYPE_NAMES.filter((_, i) => (bits & (1 << i)) !== 0).join('|');
  const reserved = (type & ~0x1e) !== 0 ? ' with reserved bit(s)' : '';
  return `[Firmware Warn]: GHES: Unhandled processor error type ${hex(type, 2)}: ${names}${reserved}`;
}

/** `ghes_handle_aer` (linux-guest.md §7.3). */
function pcieSection(a: Analysis, s: Section): void {
  const payload = s.offset + s.headerSize;
  const r = a.r;
  const valid = r.u64(payload);
  if ((valid & 0x08n) === 0n || (valid & 0x80n) === 0n) {
    a.add(
      'pcie.no-aer',
      'info',
      '',
      { kind: 'no-recovery' },
      {
        offset: payload,
        field: 'validation_bits',
        detail: `section ${s.index}: AER recovery needs device id (0x08) and AER info (0x80) valid`,
      },
    );
    return;
  }
  const aer =
    (s.flags & 0x04) !== 0
      ? 'AER_FATAL (reset flag)'
      : s.severity === 0
        ? 'AER_NONFATAL'
        : s.severity === 1
          ? 'AER_FATAL'
          : 'AER_CORRECTABLE';
  const seg = r.u16(payload + 33);
  const bus = r.u8(payload + 35);
  const dev = r.u8(payload + 32);
  const fn = r.u8(payload + 31);
  const bdf = `${seg.toString(16).padStart(4, '0')}:${bus.toString(16).padStart(2, '0')}:${dev.toString(16).padStart(2, '0')}.${fn.toString(16)}`;
  a.add(
    'pcie.aer-recover',
    'info',
    '',
    { kind: 'info' },
    {
      offset: payload + 24,
      field: 'device_id',
      detail: `section ${s.index}: aer_recover_queue(${bdf}, ${aer})`,
    },
  );
}
