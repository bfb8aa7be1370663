// Seed 004's compatibility table as one simulation: one pseries VM per (host kernel, VMM, where
// the UE hit) combination, each a separate set of components under its own id prefix, all
// driven by the same scheduler so one trace shows every cell.

import { SparseGuestMemory } from '../engine/index.js';
import {
  PpcCpu,
  type PpcKernelVersion,
  PpcKvm,
  type PpcMachineCheckSite,
  PpcVmm,
  type PpcVmmVersion,
  PseriesGuestKernel,
} from './ppc.js';
import { Simulation } from './simulation.js';
import { SnapshotMemory } from './world.js';

/** A pseries guest's RAM: 1 GiB at real address 0 (RTAS and the FWNMI vectors live below 32 MiB). */
function pseriesMemory(): SparseGuestMemory {
  return new SparseGuestMemory([
    { name: 'ppc_spapr.ram', gpa: 0n, size: 1n << 30n, hostAddress: 0x7f00_0000_0000n },
  ]);
}

export interface PpcCellConfig {
  readonly kernel: PpcKernelVersion;
  readonly vmm: PpcVmmVersion;
  readonly where: 'user' | 'kernel';
}

export type PpcCellResult = 'guest-panic' | 'vm-terminated' | 'process-killed' | 'recovered';

export interface PpcCellFacts extends PpcCellConfig {
  readonly result: PpcCellResult;
  readonly guestConsole: readonly string[];
  readonly vmmConsole: readonly string[];
}

export interface PpcVm {
  readonly prefix: string;
  readonly cell: PpcCellConfig;
  readonly kvm: PpcKvm;
  readonly vmm: PpcVmm;
  readonly guest: PseriesGuestKernel;
}

export interface PpcWorld {
  readonly sim: Simulation;
  readonly vms: readonly PpcVm[];
  cells(): PpcCellFacts[];
}

/** A user process (the seed's "UE in a guest process") and the idle task (kernel). */
export const PPC_SITES: Readonly<Record<'user' | 'kernel', PpcMachineCheckSite>> = {
  user: { where: 'user', pid: 99, comm: 'victim', nip: 0x10000a3cn, dar: 0x7fffb7d01000n },
  kernel: {
    where: 'kernel',
    pid: 0,
    comm: 'swapper/0',
    nip: 0xc000000000a1b2c0n,
    dar: 0xc000000003c3c700n,
  },
};

export function buildPpcWorld(
  seed: bigint,
  cells: readonly PpcCellConfig[],
  options: { readonly trace?: boolean; readonly atNs?: number } = {},
): PpcWorld {
  const sim = new Simulation({ seed, trace: options.trace ?? true });
  const vms = cells.map((cell) => {
    const prefix = `ppc.kvm-${cell.kernel}.qemu-${cell.vmm}.${cell.where}`;
    const id = (x: string) => `${prefix}.${x}`;
    const memory = sim.add(new SnapshotMemory(pseriesMemory(), id('guest.ram')));
    sim.add(new PpcCpu(sim.context(id('hw.cpu0')), { kvm: id('host.kvm') }));
    const kvm = sim.add(
      new PpcKvm(sim.context(id('host.kvm')), {
        version: cell.kernel,
        vmm: id('vmm'),
        guest: id('guest.kernel'),
      }),
    );
    const vmm = sim.add(
      new PpcVmm(sim.context(id('vmm')), {
        version: cell.vmm,
        guest: id('guest.kernel'),
        memory,
      }),
    );
    const guest = sim.add(
      new PseriesGuestKernel(sim.context(id('guest.kernel')), { vmm: id('vmm'), memory }),
    );
    sim.scheduler.postAt(0, id('guest.kernel'), { kind: 'boot' });
    sim.scheduler.postAt(options.atNs ?? 1_000_000_000, id('hw.cpu0'), {
      kind: 'ue-load',
      site: PPC_SITES[cell.where],
    });
    return { prefix, cell, kvm, vmm, guest };
  });
  return {
    sim,
    vms,
    cells: () =>
      vms.map((vm) => ({
        ...vm.cell,
        result:
          vm.vmm.terminated !== null
            ? 'vm-terminated'
            : vm.guest.panicked !== null
              ? 'guest-panic'
              : vm.guest.killed.length > 0
                ? 'process-killed'
                : 'recovered',
        guestConsole: [...vm.guest.console],
        vmmConsole: [...vm.vmm.console],
      })),
  };
}

/** Every cell of seed 004's table, user and kernel UE for each pairing. */
export const PPC_MATRIX: readonly PpcCellConfig[] = (['old', 'new'] as const).flatMap((kernel) =>
  (['old', 'new'] as const).flatMap((vmm) =>
    (['user', 'kernel'] as const).map((where) => ({ kernel, vmm, where })),
  ),
);
