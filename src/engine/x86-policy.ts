// The x86 host-SIGBUS policy: a BUS_MCEERR_AR / BUS_MCEERR_AO the VMM gets for guest RAM
// becomes either a machine check with exactly the values QEMU/KVM use (target/i386/kvm/kvm.c
// kvm_mce_inject: bank 9; AR = VAL|UC|EN|MISCV|ADDRV|S|AR|0x134 with MCG_STATUS RIPV|EIPV|MCIP;
// AO = VAL|UC|EN|MISCV|ADDRV|S|0xc0 with MCIP|RIPV; MISC = (MCM_ADDR_PHYS << 6) | 0xc; LMCES and
// no broadcast when the guest enabled LMCE; broadcast to the other vCPUs on Intel family 6 model
// ≥ 14), or firmware first: a CPER memory error recorded through the RasEngine's record protocol
// (same queueing and ack guarantees as arm64) into a GHESv2 source chosen from the HEST the
// engine laid out — NMI for AR (delivered at once, like the #MC it replaces), SCI/GPIO (GED),
// polled or NMI for AO. QEMU itself gives x86 guests no firmware-first path.
//
// The vCPU's capabilities are checked, never assumed: QEMU only injects when MCG_CAP has SER_P
// (otherwise AR kills the VM, "Hardware memory error!", and AO is dropped), bank 9 must be below
// MCG_CAP's bank count, and LMCE needs MCG_CAP.LMCE_P.

import {
  decodeMcgCap,
  HestNotificationType,
  type MachineCheck,
  MCG_STATUS_EIPV,
  MCG_STATUS_LMCES,
  MCG_STATUS_MCIP,
  MCG_STATUS_RIPV,
  MCI_STATUS_ADDRV,
  MCI_STATUS_AR,
  MCI_STATUS_EN,
  MCI_STATUS_MISCV,
  MCI_STATUS_S,
  MCI_STATUS_UC,
  MCI_STATUS_VAL,
  MciMiscAddressMode,
} from '../codec/index.js';
import { EngineError, EngineErrorCode } from './errors.js';
import { type GuestMemory, hostToGuest } from './guest-memory.js';
import { memoryErrorRecord } from './memory-record.js';
import type { Platform } from './platform.js';
import { type RasEngine, SigbusCode, type SigbusSignal } from './ras-engine.js';

/** The bank QEMU reports host memory errors in. */
export const X86_MCE_BANK = 9;

/** A machine check for the platform to inject (QEMU `cpu_x86_inject_mce`, KVM_X86_SET_MCE). */
export interface X86MceRequest extends MachineCheck {
  readonly kind: 'inject-mce';
  readonly vcpu: number;
  /** Also raise the broadcast machine check (bank 1, VAL|UC, MCIP|RIPV) on the other vCPUs. */
  readonly broadcast: boolean;
}

/** A platform that can also inject machine checks. */
export interface X86Platform extends Platform {
  injectMce(request: X86MceRequest): void;
}

/** What the VMM knows about the guest's vCPU. */
export interface X86GuestCpu {
  /** IA32_MCG_CAP as configured for the vCPU (QEMU default: 10 banks, CTL_P, SER_P). */
  readonly mcgCap: bigint;
  /** The guest set MCG_EXT_CTL.LMCE_EN (read back from the vCPU before injecting). */
  readonly lmceEnabled?: boolean;
  /** CPUID family/model, for QEMU's broadcast rule (default 6 / 0x5e, Skylake-Client). */
  readonly family?: number;
  readonly model?: number;
}

/** QEMU's default MCG_CAP (MCE_CAP_DEF | MCE_BANKS_DEF): 10 banks, MCG_CTL_P, MCG_SER_P. */
export const QEMU_DEFAULT_MCG_CAP = 0x100010an;

/** kvm_mce_inject's values for a host SIGBUS at `gpa` (Intel vCPU). */
export function kvmMceValues(code: SigbusCode, gpa: bigint, lmce: boolean): MachineCheck {
  let status =
    MCI_STATUS_VAL |
    MCI_STATUS_UC |
    MCI_STATUS_EN |
    MCI_STATUS_MISCV |
    MCI_STATUS_ADDRV |
    MCI_STATUS_S;
  let mcgStatus = MCG_STATUS_MCIP;
  if (code === SigbusCode.ActionRequired) {
    status |= MCI_STATUS_AR | 0x134n;
    mcgStatus |= MCG_STATUS_RIPV | MCG_STATUS_EIPV;
  } else {
    status |= 0xc0n;
    mcgStatus |= MCG_STATUS_RIPV;
  }
  if (lmce) mcgStatus |= MCG_STATUS_LMCES;
  return {
    bank: X86_MCE_BANK,
    status,
    mcgStatus,
    addr: gpa,
    misc: (BigInt(MciMiscAddressMode.Physical) << 6n) | 0xcn,
  };
}

/** How a host memory error reaches the guest. */
export type X86Route =
  | { readonly kind: 'machine-check' }
  | { readonly kind: 'firmware-first'; readonly sourceId: number; readonly notification: number };

/** Per error kind: a fixed route, or `auto` (firmware first when the HEST has a fit source). */
export type X86RoutePreference = 'auto' | 'machine-check' | 'firmware-first';

export interface X86RasOptions {
  readonly platform: X86Platform;
  /** Guest memory (the engine's when there is one): host → guest translation. */
  readonly memory?: GuestMemory;
  /** The RasEngine whose HEST carries the firmware-first sources. */
  readonly engine?: RasEngine;
  /** The vCPU; without it no machine check is ever injected. */
  readonly cpu?: X86GuestCpu;
  readonly ar?: X86RoutePreference;
  readonly ao?: X86RoutePreference;
  readonly guestPageShift?: number;
}

export type X86SigbusAction =
  | 'machine-check'
  | 'recorded'
  | 'queued'
  | 'coalesced'
  | 'dropped'
  | 'fatal'
  | 'ignored';

export interface X86SigbusOutcome {
  readonly action: X86SigbusAction;
  readonly gpa?: bigint;
  readonly route?: X86Route;
  readonly mce?: X86MceRequest;
  readonly message?: string;
}

/**
 * Notification types that may carry an AR error (delivered at once) and an AO error, best first.
 * AO leaves the NMI source to AR errors unless it is the only one.
 */
const AR_NOTIFICATIONS = [HestNotificationType.Nmi] as const;
const AO_NOTIFICATIONS = [
  HestNotificationType.Sci,
  HestNotificationType.GpioSignal,
  HestNotificationType.Polled,
  HestNotificationType.Nmi,
] as const;

const hx = (v: bigint) => `0x${v.toString(16)}`;

export class X86Ras {
  readonly platform: X86Platform;
  readonly engine: RasEngine | undefined;
  private readonly memory: GuestMemory;
  private readonly cpu: X86GuestCpu | undefined;
  private readonly pref: { readonly ar: X86RoutePreference; readonly ao: X86RoutePreference };
  private readonly guestPageShift: number;

  constructor(options: X86RasOptions) {
    this.platform = options.platform;
    this.engine = options.engine;
    const memory = options.memory ?? options.engine?.memory;
    if (memory === undefined)
      throw new EngineError(
        EngineErrorCode.InvalidConfig,
        'Cannot configure the x86 policy: it needs guest memory or an engine',
      );
    this.memory = memory;
    this.cpu = options.cpu;
    this.pref = { ar: options.ar ?? 'auto', ao: options.ao ?? 'auto' };
    this.guestPageShift = options.guestPageShift ?? 12;
    if (this.cpu !== undefined) checkCpu(this.cpu);
    for (const [kind, p] of Object.entries(this.pref)) {
      if (p !== 'auto' && p !== 'machine-check' && p !== 'firmware-first')
        throw new EngineError(
          EngineErrorCode.InvalidConfig,
          `Cannot configure the x86 policy: ${kind} route ${JSON.stringify(p)} is not auto, machine-check or firmware-first`,
        );
      if (p === 'machine-check' && this.cpu === undefined)
        throw new EngineError(
          EngineErrorCode.InvalidConfig,
          `Cannot configure the x86 policy: ${kind} by machine check needs the vCPU's MCG_CAP`,
        );
      if (p === 'firmware-first' && this.source(kind === 'ar') === undefined)
        throw new EngineError(
          EngineErrorCode.InvalidConfig,
          `Cannot configure the x86 policy: ${kind} firmware first needs a GHES source notified by ${kind === 'ar' ? 'NMI' : 'SCI, GPIO, NMI or polling'} in the engine's HEST`,
        );
    }
  }

  /** Whether the vCPU can take the machine check QEMU would inject (SER_P, bank 9). */
  mceDeliverable(): boolean {
    if (this.cpu === undefined) return false;
    const cap = decodeMcgCap(this.cpu.mcgCap);
    return cap.serP && cap.count > X86_MCE_BANK;
  }

  private source(ar: boolean): { sourceId: number; notification: number } | undefined {
    if (this.engine === undefined) return undefined;
    const order: readonly number[] = ar ? AR_NOTIFICATIONS : AO_NOTIFICATIONS;
    for (const n of order) {
      const s = this.engine.layout.sources.find((x) => x.notification === n);
      if (s !== undefined) return { sourceId: s.id, notification: n };
    }
    return undefined;
  }

  /** The route a host error of this kind takes now. */
  route(code: SigbusCode): X86Route | undefined {
    const ar = code === SigbusCode.ActionRequired;
    const pref = ar ? this.pref.ar : this.pref.ao;
    const ff = this.source(ar);
    if (pref !== 'machine-check' && ff !== undefined && this.engine?.linked === true)
      return { kind: 'firmware-first', ...ff };
    if (pref !== 'firmware-first' && this.mceDeliverable()) return { kind: 'machine-check' };
    return undefined;
  }

  /** A host SIGBUS (BUS_MCEERR_AR / BUS_MCEERR_AO) for guest memory. */
  onSigbus(signal: SigbusSignal): X86SigbusOutcome {
    if (signal.code !== SigbusCode.ActionRequired && signal.code !== SigbusCode.ActionOptional) {
      throw new EngineError(
        EngineErrorCode.InvalidState,
        `Cannot handle SIGBUS si_code ${signal.code}: only BUS_MCEERR_AR (4) and BUS_MCEERR_AO (5) are memory errors`,
      );
    }
    if (!Number.isInteger(signal.addressLsb) || signal.addressLsb < 0 || signal.addressLsb > 63) {
      throw new EngineError(
        EngineErrorCode.InvalidState,
        `Cannot handle SIGBUS: si_addr_lsb ${signal.addressLsb} is not 0..63`,
      );
    }
    const ar = signal.code === SigbusCode.ActionRequired;
    const kind = ar ? 'AR' : 'AO';
    const vcpu = signal.vcpu ?? 0;
    const gpaRaw = hostToGuest(this.memory.regions, signal.hostAddress);
    if (gpaRaw === undefined) {
      const message = `Hardware memory error (${kind}) at host address ${hx(signal.hostAddress)}: not guest RAM`;
      return ar ? this.fatal(message) : this.ignore('ao-outside-ram', message);
    }
    const size = 1n << BigInt(signal.addressLsb);
    const gpa = gpaRaw & ~(size - 1n);
    const route = this.route(signal.code);
    if (route === undefined) {
      const why = this.explainNoRoute();
      const message = `Hardware memory error (${kind}) at GPA ${hx(gpa)}: ${why}`;
      return ar ? this.fatal(message, gpa) : this.ignore('ao-no-route', message, gpa);
    }
    if (route.kind === 'machine-check') {
      const cpu = this.cpu!;
      // kvm_mce_inject reports the guest physical address of the host's si_addr (page aligned
      // by the host kernel to si_addr_lsb).
      const mce: X86MceRequest = {
        kind: 'inject-mce',
        vcpu,
        ...kvmMceValues(signal.code as SigbusCode, gpa, cpu.lmceEnabled === true),
        broadcast: cpu.lmceEnabled !== true && broadcasts(cpu),
      };
      this.platform.injectMce(mce);
      return { action: 'machine-check', gpa, route, mce };
    }
    const engine = this.engine!;
    const s = engine.layout.sources.find((x) => x.id === route.sourceId)!;
    const block = memoryErrorRecord({
      gpa,
      addressLsb: signal.addressLsb,
      guestPageShift: this.guestPageShift,
      maxSections: s.maxSectionsPerRecord,
      blockLength: s.blockLength,
    });
    try {
      const out = engine.record(route.sourceId, block, { vcpu, tag: `${kind}:${hx(gpa)}` });
      const action = out.status === 'posted' ? 'recorded' : out.status;
      return { action, gpa, route };
    } catch (error) {
      if (!(error instanceof EngineError) || error.code !== EngineErrorCode.NotAcknowledged)
        throw error;
      const message = `Hardware memory error (${kind}) at GPA ${hx(gpa)}: ${error.message}`;
      return ar ? this.fatal(message, gpa) : this.ignore('ao-rejected', message, gpa);
    }
  }

  private explainNoRoute(): string {
    if (this.cpu === undefined)
      return 'no firmware-first source and no vCPU to take a machine check';
    const cap = decodeMcgCap(this.cpu.mcgCap);
    if (!cap.serP)
      return `no firmware-first source, and MCG_CAP ${hx(this.cpu.mcgCap)} lacks SER_P (QEMU injects no machine check without it)`;
    if (cap.count <= X86_MCE_BANK)
      return `no firmware-first source, and MCG_CAP has ${cap.count} banks (bank ${X86_MCE_BANK} needed)`;
    return 'the configured route is not available (engine not linked?)';
  }

  private fatal(message: string, gpa?: bigint): X86SigbusOutcome {
    this.platform.report({
      level: 'error',
      code: 'ar-fatal',
      message,
      ...(gpa === undefined ? {} : { gpa }),
    });
    this.platform.request({ kind: 'fatal', message });
    return { action: 'fatal', message, ...(gpa === undefined ? {} : { gpa }) };
  }

  private ignore(code: string, message: string, gpa?: bigint): X86SigbusOutcome {
    this.platform.report({
      level: 'warning',
      code,
      message,
      ...(gpa === undefined ? {} : { gpa }),
    });
    return { action: 'ignored', message, ...(gpa === undefined ? {} : { gpa }) };
  }
}

/** QEMU cpu_x86_support_mca_broadcast(): Intel family 6 model ≥ 14, or a later family. */
function broadcasts(cpu: X86GuestCpu): boolean {
  const family = cpu.family ?? 6;
  const model = cpu.model ?? 0x5e;
  return (family === 6 && model >= 14) || family > 6;
}

function checkCpu(cpu: X86GuestCpu): void {
  if (typeof cpu.mcgCap !== 'bigint' || cpu.mcgCap < 0n || cpu.mcgCap >= 1n << 64n)
    throw new EngineError(
      EngineErrorCode.InvalidConfig,
      `Cannot configure the x86 policy: MCG_CAP ${String(cpu.mcgCap)} is not a 64-bit value`,
    );
  const cap = decodeMcgCap(cpu.mcgCap);
  if (cpu.lmceEnabled === true && !cap.lmceP)
    throw new EngineError(
      EngineErrorCode.InvalidConfig,
      `Cannot configure the x86 policy: the guest has LMCE enabled but MCG_CAP ${hx(cpu.mcgCap)} has no LMCE_P`,
    );
}
