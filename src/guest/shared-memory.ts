// Guest memory the harness reaches from outside: a QEMU `memory-backend-file,share=on` file in
// /dev/shm (the pc-dimm of the own-HEST setup, or the whole RAM for QEMU's ras=on blob), where
// file offset = GPA − base. Implements the engine's GuestMemory interface.
// The harness itself now uses the engine's FileGuestMemory (src/engine/node/file-memory.ts);
// this class stays only for src/inject/targets.ts (pmemsave dumps and the shared-memory target).

import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import type { GuestMemory, RamRegion } from '../engine/index.js';
import { GuestError } from './errors.js';

export class SharedFileMemory implements GuestMemory {
  readonly regions: readonly RamRegion[];
  private fd: number | undefined;

  constructor(
    readonly path: string,
    readonly base: bigint,
    readonly size: number,
    name = 'shared-file',
  ) {
    this.regions = [{ name, gpa: base, size: BigInt(size), hostAddress: 0n }];
  }

  private handle(): number {
    if (this.fd === undefined) this.fd = openSync(this.path, 'r+');
    return this.fd;
  }

  private offset(gpa: bigint, length: number): number {
    if (gpa < this.base || gpa + BigInt(length) > this.base + BigInt(this.size)) {
      throw new GuestError(
        'mismatch',
        `Cannot access GPA 0x${gpa.toString(16)}+${length}: outside ${this.path} (0x${this.base.toString(16)}+0x${this.size.toString(16)})`,
      );
    }
    return Number(gpa - this.base);
  }

  read(gpa: bigint, length: number): Uint8Array {
    const out = new Uint8Array(length);
    readSync(this.handle(), out, 0, length, this.offset(gpa, length));
    return out;
  }

  write(gpa: bigint, bytes: Uint8Array): void {
    writeSync(this.handle(), bytes, 0, bytes.length, this.offset(gpa, bytes.length));
  }

  /** Reads `length` bytes at file offset `offset` (for scans). */
  readAt(offset: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    const n = readSync(this.handle(), out, 0, length, offset);
    return out.subarray(0, n);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
