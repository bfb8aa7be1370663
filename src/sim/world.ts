// One arm64 host running one VM, wired layer by layer: hardware → EL3 firmware → host kernel →
// KVM → VMM → guest firmware → guest kernel. Addresses follow QEMU virt with -m 1G (RAM at
// GPA 0x40000000) and the measured 7.2 blob placement (etc/hardware_errors at 0x7C410000).

import {
  buildMachineLayout,
  type GuestMemory,
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
import { Vmm } from './vmm.js';

/** Host physical address of guest RAM's first byte (an arbitrary host DRAM location). */
export const HOST_RAM_BASE = 0x8_8000_0000n;

export interface ArmWorldConfig {
  readonly seed: bigint;
  readonly trace?: boolean;
  readonly mode: 'firmware-first' | 'kernel-first';
  /** 'qemu-7.2' (one SEA source) or 'qemu-10.2' (SEA + GPIO). */
  readonly machine: 'qemu-7.2' | 'qemu-10.2';
  readonly arNotification?: 'sea' | 'serror';
  readonly injectSerrorEsr?: boolean;
  readonly firmwareNoRecord?: boolean;
  readonly processes: readonly GuestProcess[];
}

/** Guest memory that remembers which pages were written, so it can be snapshotted. */
class SnapshotMemory implements GuestMemory, Component {
  readonly id = 'guest.ram';
  readonly #inner: SparseGuestMemory;
  #written = new Set<bigint>();
  constructor(inner: SparseGuestMemory) {
    this.#inner = inner;
  }
  get regions(): readonly RamRegion[] {
    return this.#inner.regions;
  }
  read(gpa: bigint, length: number): Uint8Array {
    return this.#inner.read(gpa, length);
  }
  write(gpa: bigint, bytes: Uint8Array): void {
    this.#inner.write(gpa, bytes);
    for (let p = gpa >> 12n; p <= (gpa + BigInt(bytes.length) - 1n) >> 12n; p++)
      this.#written.add(p);
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
}

export function buildArmWorld(c: ArmWorldConfig): ArmWorld {
  const sim = new Simulation({ seed: c.seed, trace: c.trace ?? true });
  const sparse = SparseGuestMemory.virt();
  const memory = sim.add(new SnapshotMemory(sparse));
  const region = memory.regions[0]!;
  const ram = [{ start: region.gpa, size: region.size }];
  const records = codecRecordPort({ ram });
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
  const cpu = sim.add(new Cpu(sim.context('hw.cpu0'), { dram, stage2, exceptionTarget: 'fw.el3' }));
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
  const vmm = sim.add(
    new Vmm(sim.context('vmm'), {
      memory,
      records,
      kvm: 'host.kvm',
      arNotification: c.arNotification ?? 'sea',
    }),
  );
  const layout = buildMachineLayout(
    c.machine === 'qemu-7.2' ? qemuLegacyMachine() : qemuHestAddrMachine(),
  );
  const guest = sim.add(
    new GuestKernel(sim.context('guest.kernel'), {
      memory,
      records,
      processes: c.processes,
      cpu: 'hw.cpu0',
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
  return { sim, dram, cpu, firmware, host, kvm, vmm, guest, memory };
}
