// The engine in a real guest. Two ways to give it its tables:
//
// - Own HEST (`bootOwnHest`): the engine lays out the machine (HEST + `etc/hardware_errors`),
//   and the engine's firmware model executes the engine's linker/loader script into the shared
//   /dev/shm file behind a cold-plugged pc-dimm at DIMM_GPA before QEMU starts: ALLOCATE puts
//   the blob at DIMM_GPA and the tables after it, ADD_POINTER/ADD_CHECKSUM patch them, and the
//   WRITE_POINTER links the engine. The patched HEST is read back from the pc-dimm and given to
//   the kernel through the initrd ACPI table upgrade as `hest.aml` (RECIPE.md "Giving the guest
//   the project's own HEST"). The real UEFI never sees these files: the harness plays the
//   firmware for them, exactly as the firmware would.
// - QEMU's own `ras=on` tables (`adoptedMachine`): the HEST is found in file-backed guest RAM
//   (`findHestInRam`) and the engine's `adoptTables` configures and links the engine from it.
//
// Every record then goes through `RasEngine.record()` (and `service()` for the backlog).

import {
  adoptTables,
  BusyPolicy,
  bootMachine,
  type GuestMemory,
  type MachineConfig,
  type RamRegion,
  type RasEngine,
  RecordingPlatform,
  readU32,
  readU64,
} from '../engine/index.js';
import { GuestError } from './errors.js';
import { DIMM_GPA } from './vm.js';

const hx = (v: bigint) => `0x${v.toString(16)}`;

/**
 * Guest memory that tells the harness about every write before it happens, so a scenario can
 * check an invariant at the moment the engine writes (e.g. "the block is only rewritten after
 * the guest's ack").
 */
export class WatchedMemory implements GuestMemory {
  onWrite: ((gpa: bigint, bytes: Uint8Array) => void) | undefined;
  constructor(readonly inner: GuestMemory) {}

  get regions(): readonly RamRegion[] {
    return this.inner.regions;
  }

  read(gpa: bigint, length: number): Uint8Array {
    return this.inner.read(gpa, length);
  }

  write(gpa: bigint, bytes: Uint8Array): void {
    this.onWrite?.(gpa, bytes);
    this.inner.write(gpa, bytes);
  }
}

/** An engine linked to guest memory, the platform that receives its requests and reports. */
export interface EngineMachine {
  readonly engine: RasEngine;
  readonly platform: RecordingPlatform;
  readonly memory: WatchedMemory;
  /** GPA of the HEST the guest uses. */
  readonly hestGpa: bigint;
  /** The HEST as the guest sees it (addresses absolute, checksum valid). */
  readonly hest: Uint8Array;
  /** GPA of `etc/hardware_errors`. */
  readonly blobGpa: bigint;
}

function linkFailure(what: string, platform: RecordingPlatform): GuestError {
  const why = platform.reports
    .filter((r) => r.level === 'error')
    .map((r) => r.message)
    .join('; ');
  return new GuestError(
    'mismatch',
    `Cannot link the engine to ${what}: ${why === '' ? 'the engine did not link' : why}`,
  );
}

/** Boots `config` with the engine's firmware model into `memory` (the pc-dimm file). */
export function bootOwnHest(
  config: MachineConfig,
  memory: GuestMemory,
  base = BigInt(DIMM_GPA),
): EngineMachine {
  const platform = new RecordingPlatform();
  const watched = new WatchedMemory(memory);
  const booted = bootMachine({ machine: config, memory: watched, platform, allocateFrom: base });
  if (!booted.engine.linked) throw linkFailure(`its own tables at ${hx(base)}`, platform);
  return {
    engine: booted.engine,
    platform,
    memory: watched,
    hestGpa: booted.hestGpa,
    hest: watched.read(booted.hestGpa, booted.hestLength),
    blobGpa: booted.blobGpa,
  };
}

/**
 * The engine linked to tables already in guest RAM — QEMU's own `virt,ras=on` HEST at `hestGpa`
 * — through the engine's `adoptTables` (configuration read from the HEST, the legacy layout's
 * blob base derived from source 0, the HEST checked byte for byte against the engine's layout),
 * wrapped as a harness machine. An EngineError becomes GuestError `mismatch` with it as cause.
 */
export function adoptedMachine(
  memory: GuestMemory,
  hestGpa: bigint,
  policy: BusyPolicy = BusyPolicy.Queue,
): EngineMachine {
  const platform = new RecordingPlatform();
  const watched = new WatchedMemory(memory);
  try {
    const a = adoptTables({ memory: watched, platform, hestGpa, policy });
    return {
      engine: a.engine,
      platform,
      memory: watched,
      hestGpa,
      hest: a.hest,
      blobGpa: a.blobGpa,
    };
  } catch (cause) {
    throw new GuestError(
      'mismatch',
      `Cannot link the engine to QEMU's tables at ${hx(hestGpa)}: ${(cause as Error).message}`,
      { cause },
    );
  }
}

/** Where one source's registers are in guest memory, from the engine's layout and link. */
export interface SourceRegisters {
  readonly block: bigint;
  readonly ack: bigint;
  readonly slot: bigint;
  readonly blockLength: number;
  readonly readAckWrite: bigint;
}

export function sourceRegisters(engine: RasEngine, sourceId: number): SourceRegisters {
  const link = engine.linkState;
  const index = engine.layout.sources.findIndex((s) => s.id === sourceId);
  if (link === null || index < 0) {
    throw new GuestError(
      'mismatch',
      `Cannot locate source ${sourceId}: ${link === null ? 'the engine is not linked' : 'no such source'}`,
    );
  }
  const o = engine.layout.blob.sources[index]!;
  return {
    block: link.base + BigInt(o.block),
    ack: link.base + BigInt(o.ack),
    slot: link.base + BigInt(o.slot),
    blockLength: o.blockLength,
    readAckWrite: engine.layout.sources[index]!.readAckWrite,
  };
}

/** The guest's side of a source: `block_status`, the read-ack register and whether it acked. */
export interface SourceState {
  readonly blockStatus: number;
  readonly ack: bigint;
  /** All Read Ack Write bits set and `block_status` 0: the guest consumed the last record. */
  readonly consumed: boolean;
}

export function sourceState(engine: RasEngine, sourceId: number): SourceState {
  const r = sourceRegisters(engine, sourceId);
  const blockStatus = readU32(engine.memory, r.block);
  const ack = readU64(engine.memory, r.ack);
  return {
    blockStatus,
    ack,
    consumed: blockStatus === 0 && (ack & r.readAckWrite) === r.readAckWrite,
  };
}

/**
 * Watches the engine's writes into one source's error status block. The guest owns the block
 * from the engine's final (non-zero) `block_status` write until it has acked (all Read Ack Write
 * bits set); any write into the block in between would overwrite an unconsumed record and is
 * kept in `violations`. Call `stop()` when done.
 */
export function guardBlockOwnership(
  m: EngineMachine,
  sourceId: number,
): { readonly violations: readonly string[]; stop(): void } {
  const regs = sourceRegisters(m.engine, sourceId);
  const end = regs.block + BigInt(regs.blockLength);
  const violations: string[] = [];
  let published = !sourceState(m.engine, sourceId).consumed;
  const previous = m.memory.onWrite;
  m.memory.onWrite = (gpa, bytes) => {
    previous?.(gpa, bytes);
    if (gpa + BigInt(bytes.length) <= regs.block || gpa >= end) return;
    if (published) {
      const ack = readU64(m.memory, regs.ack);
      if ((ack & regs.readAckWrite) !== regs.readAckWrite) {
        violations.push(
          `${bytes.length} bytes at ${hx(gpa)} before the guest acked (read ack ${hx(ack)})`,
        );
      }
      published = false;
    }
    if (gpa === regs.block && bytes.length === 4 && bytes.some((b) => b !== 0)) published = true;
  };
  return {
    violations,
    stop: () => {
      m.memory.onWrite = previous;
    },
  };
}

/** Resolves with host ms once the guest has consumed the record on `sourceId`. */
export async function waitConsumed(
  engine: RasEngine,
  sourceId: number,
  timeoutMs: number,
): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const s = sourceState(engine, sourceId);
    if (s.consumed) return performance.now();
    if (performance.now() > deadline) {
      throw new GuestError(
        'timeout',
        `The guest did not consume the record on source ${sourceId} within ${timeoutMs} ms (block_status 0x${s.blockStatus.toString(16)}, ack 0x${s.ack.toString(16)})`,
      );
    }
    await new Promise((r) => setTimeout(r, 1));
  }
}
