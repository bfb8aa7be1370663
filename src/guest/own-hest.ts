// The engine's own HEST in a real guest: the engine's machine layout (HEST + the
// `etc/hardware_errors` blob: address slots, read-ack registers, status blocks) placed in a
// cold-plugged pc-dimm at DIMM_GPA, backed by a shared /dev/shm file the harness writes
// (RECIPE.md "Giving the guest the project's own HEST"). The HEST goes to the kernel through
// the initrd ACPI table upgrade as `hest.aml`.

import {
  type BlobLayout,
  buildHest,
  buildMachineLayout,
  type GuestMemory,
  type MachineConfig,
  type MachineLayout,
  readU32,
  readU64,
  writeU64,
} from '../engine/index.js';
import { GuestError } from './errors.js';
import { DIMM_GPA } from './vm.js';

export interface OwnHestMachine {
  readonly layout: MachineLayout;
  readonly base: bigint;
  /** The HEST as the guest gets it (addresses absolute, checksum computed). */
  readonly hest: Uint8Array;
  /** `etc/hardware_errors` with the slots pointing at absolute block addresses. */
  readonly blob: Uint8Array;
  /** GPA of each source's status block, read-ack register and address slot. */
  readonly sources: readonly {
    readonly block: bigint;
    readonly ack: bigint;
    readonly slot: bigint;
  }[];
}

export function ownHestMachine(config: MachineConfig, base = BigInt(DIMM_GPA)): OwnHestMachine {
  const layout = buildMachineLayout(config);
  const hest = buildHest(layout.sources, layout.blob, base, 'compute');
  const blob = layout.hardwareErrors.slice();
  const view = new DataView(blob.buffer);
  // What the firmware's ADD_POINTER does: slot += blob address.
  for (const s of layout.blob.sources) view.setBigUint64(s.slot, base + BigInt(s.block), true);
  return { layout, base, hest, blob, sources: sourceAddresses(layout.blob, base) };
}

export function sourceAddresses(blob: BlobLayout, base: bigint): OwnHestMachine['sources'] {
  return blob.sources.map((s) => ({
    block: base + BigInt(s.block),
    ack: base + BigInt(s.ack),
    slot: base + BigInt(s.slot),
  }));
}

/** One source's registers, as the VMM side sees them. */
export interface SourceRegisters {
  readonly block: bigint;
  readonly ack: bigint;
}

/**
 * Posts records into one GHESv2 source the way RECIPE.md orders it: the record body, then the
 * read-ack register reset to 0, then `block_status` last; and watches the guest consume it
 * (block_status cleared, ack written). Minimal stand-in until the engine's record protocol is
 * available (see the report); the ack check refuses to overwrite an unconsumed record.
 */
export class GhesPoster {
  constructor(
    private readonly mem: GuestMemory,
    readonly regs: SourceRegisters,
  ) {}

  blockStatus(): number {
    return readU32(this.mem, this.regs.block);
  }

  ack(): bigint {
    return readU64(this.mem, this.regs.ack);
  }

  /** True when the guest has consumed the last record (or none was posted). */
  free(): boolean {
    return this.blockStatus() === 0 && (this.ack() & 1n) === 1n;
  }

  /** Writes `record` (a whole status block) into the source. Returns host ms of the final write. */
  post(record: Uint8Array, options: { force?: boolean } = {}): number {
    if (options.force !== true && !this.free()) {
      throw new GuestError(
        'mismatch',
        `Cannot post a record at 0x${this.regs.block.toString(16)}: the guest has not acknowledged the previous one`,
      );
    }
    if (record.length < 4)
      throw new GuestError('mismatch', 'Cannot post a record shorter than block_status');
    this.mem.write(this.regs.block + 4n, record.subarray(4));
    writeU64(this.mem, this.regs.ack, 0n);
    this.mem.write(this.regs.block, record.subarray(0, 4));
    return performance.now();
  }

  /** Preloads a record without touching the ack (SEA sources consumed at the abort). */
  postAcked(record: Uint8Array): number {
    return this.post(record);
  }

  /** Resolves with host ms when block_status is 0 and the ack bit is set again. */
  async waitConsumed(timeoutMs: number): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      if (this.free()) return performance.now();
      if (performance.now() > deadline) {
        throw new GuestError(
          'timeout',
          `The guest did not consume the record at 0x${this.regs.block.toString(16)} within ${timeoutMs} ms (block_status 0x${this.blockStatus().toString(16)}, ack 0x${this.ack().toString(16)})`,
        );
      }
      await new Promise((r) => setTimeout(r, 1));
    }
  }
}
