// One arm64 host running one VM, wired layer by layer: hardware → EL3 firmware → host kernel →
// KVM → VMM → guest firmware → guest kernel. Addresses follow QEMU virt with -m 1G (RAM at
// GPA 0x40000000) and the measured 7.2 blob placement (etc/hardware_errors at 0x7C410000).

import { HestNotificationType, type KernelVersion } from '../codec/index.js';
import {
  type GuestMemory,
  type MachineConfig,
  qemuHestAddrMachine,
  qemuLegacyMachine,
  type RamRegion,
  SparseGuestMemory,
} from '../engine/index.js';
import { codecRecordPort } from './codec-port.js';
import { El3Firmware, HostErrorSources } from './firmware.js';
import { GuestFirmware } from './guest-firmware.js';
import { GuestKernel, type GuestProcess } from './guest-kernel.js';
import { Cpu, Dram } from './hardware.js';
import { HostKernel } from './host-kernel.js';
import { Kvm } from './kvm.js';
import type { Component } from './simulation.js';
import { Simulation } from './simulation.js';
import { Vmm, type VmmProfile } from './vmm.js';

/** Host physical address of guest RAM's first byte (an arbitrary host DRAM location). */
export const HOST_RAM_BASE = 0x8_8000_0000n;

export interface ArmWorldConfig {
  readonly seed: bigint;
  readonly trace?: boolean;
  readonly mode: 'firmware-first' | 'kernel-first';
  /** 'qemu-7.2' (one SEA source), 'qemu-10.2' (SEA + GPIO), or the engine's own machine. */
  readonly machine: 'qemu-7.2' | 'qemu-10.2' | MachineConfig;
  /**
   * A guest access to unassigned physical space takes a synchronous external abort straight
   * into the guest (QEMU virt under TCG, ESR 0x92000010; real-guest/RECIPE.md "SEA").
   */
  readonly unassignedSea?: boolean;
  /**
   * How the guest hears of an action-required error: 'sea' (CPER + SEA, the machine's SEA
   * source) or 'serror' (seed 002: the VMM offers no SEA source, so the engine's AR fallback
   * makes a virtual SError pending: with `serrorIss` when KVM can set it, else IMPLEMENTATION
   * DEFINED).
   */
  readonly arNotification?: 'sea' | 'serror';
  /** KVM_CAP_ARM_INJECT_SERROR_ESR (default true). */
  readonly injectSerrorEsr?: boolean;
  /** The VMM's chosen ISS for its own virtual SErrors (seed 002: 0xc11, AET UER, DFSC 0x11). */
  readonly serrorIss?: number;
  /** The VMM's engine configuration: 'vras' (default, queueing) or 'qemu' (reject, fatal). */
  readonly vmm?: VmmProfile;
  readonly firmwareNoRecord?: boolean;
  readonly processes: readonly GuestProcess[];
  /**
   * The guest kernel to reproduce (default '6.1' = Debian 12's 6.1.192; '6.12', '7.3', or
   * 'newer' = '7.3'): its acceptance rules, printk formats and memory_failure path.
   */
  readonly kernel?: KernelVersion;
}

/** Guest memory that remembers which pages were written, so it can be snapshotted. */
export class SnapshotMemory implements GuestMemory, Component {
  readonly id: string;
  readonly #inner: SparseGuestMemory;
  #written = new Set<bigint>();
  constructor(inner: SparseGuestMemory, id = 'guest.ram') {
    this.#inner = inner;
    this.id = id;
  }
  get regions(): readonly RamRegion[] {
    return this.#inner.regions;
  }
  read(gpa: bigint, length: number): Uint8Array {
    return this.#inner.read(gpa, length);
  }
  write(gpa: bigint, bytes: Uint8Array): void {
    this.#inner.write(gpa, bytes);
    if (bytes.length === 0) return;
    const first = gpa >> 12n;
    const last = (gpa + BigInt(bytes.length) - 1n) >> 12n;
    this.#written.add(first);
    for (let p = first + 1n; p <= last; p++) this.#written.add(p);
  }
  receive(): void {}
  snapshot(): Record<string, unknown> {
    return { pages: [...this.#written].map((p) => [p, this.#inner.read(p << 12n, 4096)]) };
  }
  restore(s: Record<string, unknown>): void {
    for (const [p, bytes] of s.pages as [bigint, Uint8Array][]) this.write(p << 12n, bytes);
  }
}

export interface ArmWorld {
  readonly sim: Simulation;
  readonly dram: Dram;
  readonly cpu: Cpu;
  readonly firmware: El3Firmware;
  readonly host: HostKernel;
  readonly kvm: Kvm;
  readonly vmm: Vmm;
  readonly guest: GuestKernel;
  readonly memory: GuestMemory;
  facts(): WorldFacts;
}

export function buildArmWorld(c: ArmWorldConfig): ArmWorld {
  const sim = new Simulation({ seed: c.seed, trace: c.trace ?? true });
  const sparse = SparseGuestMemory.virt();
  const memory = sim.add(new SnapshotMemory(sparse));
  const region = memory.regions[0]!;
  const ram = [{ start: region.gpa, size: region.size }];
  const records = codecRecordPort({ ram });
  // The guest's kernel version changes only what the guest reads and prints; the host keeps 6.1.
  const guestRecords =
    c.kernel === undefined ? records : codecRecordPort({ ram, kernel: c.kernel });
  const sources = new HostErrorSources();
  const stage2 = (gpa: bigint) =>
    gpa >= region.gpa && gpa < region.gpa + region.size
      ? HOST_RAM_BASE + (gpa - region.gpa)
      : undefined;
  const hpaToHva = (hpa: bigint) =>
    hpa >= HOST_RAM_BASE && hpa < HOST_RAM_BASE + region.size
      ? region.hostAddress + (hpa - HOST_RAM_BASE)
      : undefined;
  const firmwareId = c.mode === 'firmware-first' ? 'fw.el3' : 'host.kvm';
  const dram = sim.add(new Dram(sim.context('hw.dram'), { firmware: 'fw.el3' }));
  const cpu = sim.add(
    new Cpu(sim.context('hw.cpu0'), {
      dram,
      stage2,
      exceptionTarget: 'fw.el3',
      ...(c.unassignedSea === true ? { unassignedSeaTarget: 'guest.kernel' } : {}),
    }),
  );
  void firmwareId;
  const firmware = sim.add(
    new El3Firmware(sim.context('fw.el3'), {
      mode: c.mode,
      cpu,
      records,
      sources,
      kvm: 'host.kvm',
      hostKernel: 'host.kernel',
      ...(c.firmwareNoRecord === true ? { noRecord: true } : {}),
    }),
  );
  const host = sim.add(
    new HostKernel(sim.context('host.kernel'), {
      mode: c.mode,
      records,
      sources,
      cpu,
      firmware: 'fw.el3',
      kvm: 'host.kvm',
      vmm: 'vmm',
      hpaToHva,
    }),
  );
  const firstPid = c.processes[0]?.pid ?? 1;
  const kvm = sim.add(
    new Kvm(sim.context('host.kvm'), {
      hostKernel: 'host.kernel',
      guestKernel: 'guest.kernel',
      vmm: 'vmm',
      injectSerrorEsr: c.injectSerrorEsr ?? true,
      currentPid: () => firstPid,
    }),
  );
  const machine =
    c.machine === 'qemu-7.2'
      ? qemuLegacyMachine()
      : c.machine === 'qemu-10.2'
        ? qemuHestAddrMachine()
        : c.machine;
  const vmm = sim.add(
    new Vmm(sim.context('vmm'), {
      memory,
      records,
      kvm: 'host.kvm',
      guestKernel: 'guest.kernel',
      guestFirmware: 'guest.fw',
      machine: c.arNotification === 'serror' ? withoutSea(machine) : machine,
      injectSErrorEsr: c.injectSerrorEsr ?? true,
      ...(c.serrorIss === undefined ? {} : { serrorIss: c.serrorIss }),
      ...(c.vmm === undefined ? {} : { profile: c.vmm }),
    }),
  );
  const layout = vmm.engine.layout;
  const guest = sim.add(
    new GuestKernel(sim.context('guest.kernel'), {
      memory,
      records: guestRecords,
      processes: c.processes,
      cpu: 'hw.cpu0',
      ...(c.kernel === undefined ? {} : { kernel: c.kernel }),
    }),
  );
  sim.add(
    new GuestFirmware(sim.context('guest.fw'), {
      memory,
      layout,
      guestKernel: 'guest.kernel',
      vmm: 'vmm',
      bootNs: 200_000_000,
    }),
  );
  sim.scheduler.post(0, 'guest.fw', { kind: 'power-on' });
  const world = { sim, dram, cpu, firmware, host, kvm, vmm, guest, memory };
  return { ...world, facts: () => armFacts(world) };
}

/**
 * The machine without its SEA sources (seed 002's VMM): a GPIO source takes the place of a lone
 * SEA source, so the HEST still has one.
 */
export function withoutSea(machine: MachineConfig): MachineConfig {
  const sources = machine.sources.filter((s) => s.notification !== HestNotificationType.ArmSea);
  return {
    ...machine,
    sources:
      sources.length > 0 ? sources : [{ id: 0, notification: HestNotificationType.GpioSignal }],
  };
}

/** What a run of one VM showed: the facts a scenario's outcome summary is made of. */
export interface WorldFacts {
  readonly guestPanic: string | null;
  readonly hostPanic: string | null;
  readonly halted: string | null;
  readonly killed: readonly { pid: number; comm: string; code: string }[];
  readonly offlined: readonly string[];
  readonly recordsDelivered: number;
  /** Records the VMM still holds undelivered when the run ended (must be 0). */
  readonly recordsLost: number;
  readonly guestConsole: readonly string[];
  readonly hostConsole: readonly string[];
}

function armFacts(w: Omit<ArmWorld, 'facts'>): WorldFacts {
  const halted = w.sim.halted;
  return {
    guestPanic: w.guest.state.panicked,
    hostPanic: w.host.panicked ?? (halted?.startsWith('host panic') ? halted : null),
    halted,
    killed: w.guest.state.killed.map((k) => ({ pid: k.pid, comm: k.comm, code: k.code })),
    offlined: [...w.guest.state.offlined],
    recordsDelivered: w.vmm.recordsWritten,
    recordsLost: w.vmm.recordsLost,
    guestConsole: [...w.guest.state.console],
    hostConsole: [...w.host.console],
  };
}
