// Boots a machine the way the simulator and the tests need it: build the engine, run the
// firmware model over the minimal fw_cfg files (the HEST alone in etc/acpi/tables), and hand
// the firmware's WRITE_POINTER to the engine, as QEMU's fw_cfg write callback would.

import { bumpAllocator, type FirmwareRun, runLinkerLoader } from './firmware.js';
import type { GuestMemory } from './guest-memory.js';
import { ACPI_TABLES_FILE, HARDWARE_ERRORS_FILE } from './machine-config.js';
import { minimalFirmwareFiles } from './machine-layout.js';
import { RasEngine, type RasEngineOptions } from './ras-engine.js';

/** Where the firmware model starts allocating by default (inside `virt`'s RAM below 2 GiB). */
export const DEFAULT_ALLOCATE_FROM = 0x7c00_0000n;

export interface BootedMachine {
  readonly engine: RasEngine;
  readonly firmware: FirmwareRun;
  readonly hestGpa: bigint;
  readonly hestLength: number;
  readonly blobGpa: bigint;
}

export interface BootOptions extends RasEngineOptions {
  /** Where the firmware starts allocating (default: 0x7C000000, inside `virt` -m 1G... 2G RAM). */
  readonly allocateFrom?: bigint;
  /** Firmware memory, if the engine's memory is a watched view of it. */
  readonly firmwareMemory?: GuestMemory;
}

export function bootMachine(options: BootOptions): BootedMachine {
  const engine = new RasEngine(options);
  const fw = minimalFirmwareFiles(engine.layout);
  const firmware = runLinkerLoader(
    fw.script,
    fw.files,
    options.firmwareMemory ?? options.memory,
    bumpAllocator(options.allocateFrom ?? DEFAULT_ALLOCATE_FROM),
    (w) => {
      engine.onWritePointer(w.file, w.offset, w.bytes);
    },
  );
  return {
    engine,
    firmware,
    hestGpa: firmware.placements.get(ACPI_TABLES_FILE)!.gpa,
    hestLength: engine.layout.hest.length,
    blobGpa: firmware.placements.get(HARDWARE_ERRORS_FILE)!.gpa,
  };
}

/** Re-runs the firmware after a reset (new boot), linking `engine` again. */
export function rebootFirmware(
  engine: RasEngine,
  memory: GuestMemory,
  allocateFrom = DEFAULT_ALLOCATE_FROM,
): FirmwareRun {
  const fw = minimalFirmwareFiles(engine.layout);
  return runLinkerLoader(fw.script, fw.files, memory, bumpAllocator(allocateFrom), (w) => {
    engine.onWritePointer(w.file, w.offset, w.bytes);
  });
}
