// The lines an x86 Linux guest prints for machine checks (Linux 6.1 / 6.12
// arch/x86/kernel/cpu/mce/core.c __print_mce(), print_mce(), mce_panic(), kill_me_maybe(),
// arch/x86/kernel/cpu/mce/apei.c apei_mce_report_mem_error(), arch/x86/mm/fault.c do_sigbus(),
// mm/memory-failure.c kill_proc() and action_result()). pr_fmt is "mce: " in core.c and apei.c,
// HW_ERR is "[Hardware Error]: ". Golden values: shared/reference/x86-guest/out-tcg-skl-*.txt.

import {
  MCG_STATUS_EIPV,
  MCG_STATUS_MCIP,
  MCI_STATUS_ADDRV,
  MCI_STATUS_EN,
  MCI_STATUS_MISCV,
  MCI_STATUS_PCC,
  MCI_STATUS_UC,
  MCI_STATUS_VAL,
  MciMiscAddressMode,
} from './mce.js';

const HW_ERR = 'mce: [Hardware Error]: ';
const hx = (v: bigint | number) => v.toString(16);

/** The kernel's `struct mce` fields that __print_mce() prints. */
export interface LinuxMceRecord {
  /** `extcpu`. */
  readonly cpu: number;
  readonly mcgStatus: bigint;
  /** `u8 bank` (apei_mce_report_mem_error's -1 prints as 255). */
  readonly bank: number;
  readonly status: bigint;
  /** Instruction pointer; 0 prints no RIP line. */
  readonly ip: bigint;
  readonly cs: number;
  readonly tsc: bigint;
  readonly addr: bigint;
  readonly misc: bigint;
  readonly ppin?: bigint;
  /** X86_VENDOR_* (0 Intel, 2 AMD). */
  readonly cpuvendor: number;
  /** CPUID(1).EAX, e.g. 0x506e3 for Skylake-Client-v1. */
  readonly cpuid: number;
  /** Wall-clock seconds. */
  readonly time: bigint;
  readonly socket: number;
  readonly apicid: number;
  readonly microcode: number;
}

/**
 * __print_mce(): the header, the RIP line when `ip` is set, the TSC/ADDR/MISC line and the
 * PROCESSOR line. The RIP and TSC lines end in a space (pr_cont pieces each end with one); the
 * kernel's own `{%pS}` symbol after a kernel RIP is not modelled (only user RIPs: CS 0x33).
 */
export function printMceLines(m: LinuxMceRecord): string[] {
  const lines = [
    `${HW_ERR}CPU ${m.cpu}: Machine Check${m.mcgStatus & MCG_STATUS_MCIP ? ' Exception' : ''}: ${hx(m.mcgStatus)} Bank ${m.bank & 0xff}: ${hx(m.status).padStart(16, '0')}`,
  ];
  if (m.ip !== 0n) {
    lines.push(
      `${HW_ERR}RIP${m.mcgStatus & MCG_STATUS_EIPV ? '' : ' !INEXACT!'} ${hx(m.cs).padStart(2, '0')}:<${hx(m.ip).padStart(16, '0')}> `,
    );
  }
  let tsc = `${HW_ERR}TSC ${hx(m.tsc)} `;
  if (m.addr !== 0n) tsc += `ADDR ${hx(m.addr)} `;
  if (m.misc !== 0n) tsc += `MISC ${hx(m.misc)} `;
  if (m.ppin !== undefined && m.ppin !== 0n) tsc += `PPIN ${hx(m.ppin)} `;
  lines.push(tsc);
  lines.push(
    `${HW_ERR}PROCESSOR ${m.cpuvendor}:${hx(m.cpuid)} TIME ${m.time} SOCKET ${m.socket} APIC ${hx(m.apicid)} microcode ${hx(m.microcode)}`,
  );
  return lines;
}

/** print_mce(): __print_mce() and, on Intel, the mcelog hint (printed on the panic path). */
export function printMcePanicLines(m: LinuxMceRecord): string[] {
  const lines = printMceLines(m);
  if (m.cpuvendor !== 2) lines.push(`${HW_ERR}Run the above through 'mcelog --ascii'`);
  return lines;
}

/** mce_panic(): the record, `Machine check: <severity message>`, and panic(). */
export function mcePanicLines(m: LinuxMceRecord, message: string, panicMessage: string): string[] {
  return [
    ...printMcePanicLines(m),
    `${HW_ERR}Machine check: ${message}`,
    `Kernel panic - not syncing: ${panicMessage}`,
  ];
}

/**
 * What x86 panic() prints after the panic line before a `panic=-1` reboot: the panic notifier
 * dump_kernel_offset() (arch/x86/kernel/setup.c) with KASLR off (`nokaslr`).
 */
export const X86_PANIC_KERNEL_OFFSET_LINE = 'Kernel Offset: disabled';

/** mce_notify_irq(), rate limited to 2 lines per 60 s. */
export const MCE_EVENTS_LOGGED_LINE = `${HW_ERR}Machine check events logged`;
/** The ratelimit of MCE_EVENTS_LOGGED_LINE (core.c: DEFINE_RATELIMIT_STATE(ratelimit, 60*HZ, 2)). */
export const MCE_EVENTS_LOGGED_RATELIMIT = { intervalMs: 60_000, burst: 2 } as const;

/** kill_me_maybe(): the line before memory_failure(pfn, MF_ACTION_REQUIRED). */
export function userAccessLine(addr: bigint): string {
  return `mce: Uncorrected hardware memory error in user-access at ${hx(addr)}`;
}

/** memory-failure.c kill_proc(): a task is signalled at once (AR or early kill). */
export function memoryFailureSigbusLine(pfn: bigint, comm: string, pid: number): string {
  return `Memory failure: 0x${hx(pfn)}: Sending SIGBUS to ${comm}:${pid} due to hardware memory corruption`;
}

/** memory-failure.c action_result() for an anonymous dirty page. */
export function memoryFailureRecoveredLine(pfn: bigint, page = 'dirty LRU page'): string {
  return `Memory failure: 0x${hx(pfn)}: recovery action for ${page}: Recovered`;
}

/** arch/x86/mm/fault.c do_sigbus(): a late-kill task touched the poisoned page. */
export function mceKillingLine(comm: string, pid: number, vaddr: bigint): string {
  return `MCE: Killing ${comm}:${pid} due to hardware memory corruption fault at ${hx(vaddr)}`;
}

/** GHES severities (ghes.h `GHES_SEV_*`). */
const GHES_SEV_RECOVERABLE = 2;
const GHES_SEV_PANIC = 3;

/**
 * apei.c apei_mce_report_mem_error(): the fake MCE x86 logs for a CPER memory error with a
 * valid physical address: bank -1 (255), VAL|EN|ADDRV|MISCV|0x9f, UC from recoverable on, PCC
 * and the TSC for fatal; MISC = physical mode and the LSB of the address mask's first set bit
 * below PAGE_SHIFT (12 when none or no mask). `ghesSeverity` is ghes_severity() of the record.
 * Undefined when the section has no valid physical address.
 */
export function apeiMceRecord(
  ghesSeverity: number,
  physicalAddress: bigint | undefined,
  physicalAddressMask: bigint | undefined,
): Pick<LinuxMceRecord, 'bank' | 'status' | 'misc' | 'addr' | 'mcgStatus' | 'ip'> | undefined {
  if (physicalAddress === undefined) return undefined;
  let lsb = 12;
  if (physicalAddressMask !== undefined) {
    for (let b = 0; b < 12; b++) {
      if ((physicalAddressMask >> BigInt(b)) & 1n) {
        lsb = b;
        break;
      }
    }
  }
  let status = MCI_STATUS_VAL | MCI_STATUS_EN | MCI_STATUS_ADDRV | MCI_STATUS_MISCV | 0x9fn;
  if (ghesSeverity >= GHES_SEV_RECOVERABLE) status |= MCI_STATUS_UC;
  if (ghesSeverity >= GHES_SEV_PANIC) status |= MCI_STATUS_PCC;
  return {
    bank: 255,
    status,
    misc: (BigInt(MciMiscAddressMode.Physical) << 6n) | BigInt(lsb),
    addr: physicalAddress,
    mcgStatus: 0n,
    ip: 0n,
  };
}

/**
 * Whether the kernel prints the apei_mce_report_mem_error record (`Bank 255`) of a CPER memory
 * error of this GHES severity. A corrected one with a usable address is taken by the corrected
 * errors collector (drivers/ras/cec.c sets MCE_HANDLED_CEC, so mce_default_notifier stays
 * quiet) when the kernel has CONFIG_RAS_CEC: Debian's 6.12 amd64 config has it, 6.1's does not
 * (the packages' boot/config-* files).
 */
export function apeiMcePrinted(ghesSeverity: number, kernel: string): boolean {
  const rasCec = kernel !== '6.1';
  return !(rasCec && ghesSeverity < GHES_SEV_RECOVERABLE);
}

/** ghes.c ghes_severity(): CPER severity → GHES_SEV_*. */
export function ghesSeverityOf(cperSeverity: number): number {
  switch (cperSeverity) {
    case 0: // recoverable
      return GHES_SEV_RECOVERABLE;
    case 1: // fatal
      return GHES_SEV_PANIC;
    case 2: // corrected
      return 1;
    default:
      return 0;
  }
}
