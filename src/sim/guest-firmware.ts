// Guest firmware (UEFI/ArmVirtQemu at boot, seed 003: "keep runtime firmware involvement to
// zero"): runs the engine's linker/loader script against guest memory, hands the VMM each
// WRITE_POINTER as the fw_cfg DMA write it is (the engine learns where its tables landed) and
// boots the guest kernel with the HEST's address. It does nothing at runtime.

import {
  ACPI_TABLES_FILE,
  bumpAllocator,
  type GuestMemory,
  HARDWARE_ERRORS_FILE,
  type MachineLayout,
  minimalFirmwareFiles,
  runLinkerLoader,
  type WritePointerWrite,
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
    const writes: WritePointerWrite[] = [];
    const run = runLinkerLoader(
      fw.script,
      fw.files,
      memory,
      bumpAllocator(0x7c400000n, { [HARDWARE_ERRORS_FILE]: 0x7c410000n }),
      (w) => writes.push(w),
    );
    const tables = run.placements.get(ACPI_TABLES_FILE)!;
    const blob = run.placements.get(HARDWARE_ERRORS_FILE)!;
    this.#ctx.trace.emit('loader-done', { tables: tables.gpa, hardwareErrors: blob.gpa });
    const vmm = this.#ctx.link<VmmMessage>(this.#deps.vmm);
    for (const w of writes) {
      vmm.send({ kind: 'fw-cfg-write', file: w.file, offset: w.offset, bytes: w.bytes }, 0);
    }
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
