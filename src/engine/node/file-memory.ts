// Guest memory backed by a file, for QEMU's `-object memory-backend-file,mem-path=…,share=on`:
// the real-guest harness opens the same file and reads/writes guest RAM at file offsets. Node
// only (node:fs), so it sits outside the browser-safe engine core.

import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { type GuestMemory, type RamRegion, requireRam, validateRegions } from '../index.js';

export interface FileRamRegion extends RamRegion {
  /** Offset of the region's first byte in the backing file. */
  readonly fileOffset: bigint;
}

export class FileGuestMemory implements GuestMemory {
  readonly regions: readonly FileRamRegion[];
  private fd: number | undefined;

  constructor(path: string, regions: readonly FileRamRegion[]) {
    validateRegions(regions);
    this.regions = regions.map((r) => ({ ...r }));
    this.fd = openSync(path, 'r+');
  }

  private position(gpa: bigint, length: number): number {
    const r = requireRam(this.regions, gpa, length, 'file-backed guest memory') as FileRamRegion;
    return Number(r.fileOffset + (gpa - r.gpa));
  }

  private handle(): number {
    if (this.fd === undefined)
      throw new Error('Cannot access file-backed guest memory: it is closed');
    return this.fd;
  }

  read(gpa: bigint, length: number): Uint8Array {
    const out = new Uint8Array(length);
    const at = this.position(gpa, length);
    let done = 0;
    while (done < length) {
      const n = readSync(this.handle(), out, done, length - done, at + done);
      if (n === 0) break; // beyond the end of a sparse file: zeros
      done += n;
    }
    return out;
  }

  write(gpa: bigint, bytes: Uint8Array): void {
    const at = this.position(gpa, bytes.length);
    let done = 0;
    while (done < bytes.length)
      done += writeSync(this.handle(), bytes, done, bytes.length - done, at + done);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
