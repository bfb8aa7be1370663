// Guest firmware (UEFI/ArmVirtQemu at boot, seed 003: "keep runtime firmware involvement to
// zero"): runs the engine's linker/loader script against guest memory, hands the VMM the
// WRITE_POINTER result (where etc/hardware_errors landed) and boots the guest kernel with the
// HEST's address. It does nothing at runtime.

import { qemuHardwareErrorsLayout } from '../codec/index.js';
import {
  ACPI_TABLES_FILE,
  bumpAllocator,
  type GuestMemory,
  HARDWARE_ERRORS_FILE,
  type MachineLayout,
  minimalFirmwareFiles,
  runLinkerLoader,
} from '../engine/index.js';
import type { GuestKernelMessage } from './guest-kernel.js';
import type { Component, SimContext } from './simulation.js';
import type { VmmMessage } from './vmm.js';

export interface GuestFirmwareDeps {
  readonly memory: GuestMemory;
  readonly layout: MachineLayout;
  readonly guestKernel: string;
  readonly vmm: string;
  /** Guest uptime at which the kernel probes GHES (measured ≈0.2 s on 6.1.192). */
  readonly bootNs: number;
}

export class GuestFirmware implements Component<{ kind: 'power-on' }> {
  readonly id: string;
  readonly #ctx: SimContext;
  readonly #deps: GuestFirmwareDeps;

  constructor(ctx: SimContext, deps: GuestFirmwareDeps) {
    this.id = ctx.id;
    this.#ctx = ctx;
    this.#deps = deps;
  }

  receive(_m: { kind: 'power-on' }): void {
    const { layout, memory } = this.#deps;
    const fw = minimalFirmwareFiles(layout);
    const run = runLinkerLoader(
      fw.script,
      fw.files,
      memory,
      bumpAllocator(0x7c400000n, { [HARDWARE_ERRORS_FILE]: 0x7c410000n }),
    );
    const tables = run.placements.get(ACPI_TABLES_FILE)!;
    const blob = run.placements.get(HARDWARE_ERRORS_FILE)!;
    this.#ctx.trace.emit('loader-done', { tables: tables.gpa, hardwareErrors: blob.gpa });
    const l = qemuHardwareErrorsLayout(layout.sources.length);
    this.#ctx.link<VmmMessage>(this.#deps.vmm).send(
      {
        kind: 'sources',
        sources: layout.sources.map((s, i) => ({
          sourceId: s.id,
          notifyType: s.notification,
          slotGpa: blob.gpa + BigInt(l.slotOffset(i)),
          ackGpa: blob.gpa + BigInt(l.ackOffset(i)),
        })),
      },
      0,
    );
    this.#ctx
      .link<GuestKernelMessage>(this.#deps.guestKernel)
      .send(
        { kind: 'boot', hestAddress: tables.gpa, hestLength: layout.hest.length },
        this.#deps.bootNs,
      );
  }

  snapshot(): Record<string, unknown> {
    return {};
  }
  restore(_s: Record<string, unknown>): void {}
}
