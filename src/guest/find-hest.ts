// Finds QEMU's HEST in guest RAM seen from outside (file-backed RAM or a pmemsave dump): a
// `HEST` signature whose length fits and whose checksum is valid (RECIPE.md "QEMU's own
// ras=on table"). UEFI places the ACPI tables near the top of RAM, so the scan runs downwards.

import { acpiTableChecksumValid } from '../codec/index.js';
import type { GuestMemory, RamRegion } from '../engine/index.js';
import { GuestError } from './errors.js';

const CHUNK = 16 << 20;
const SIGNATURE = Buffer.from('HEST');

export interface FoundHest {
  readonly gpa: bigint;
  readonly bytes: Uint8Array;
}

/** Scans `region` (default: the memory's first region) for a HEST with a valid checksum. */
export function findHestInRam(
  mem: GuestMemory,
  region: RamRegion | undefined = mem.regions[0],
): FoundHest {
  if (region === undefined) throw new GuestError('mismatch', 'Cannot scan guest RAM: no region');
  const size = Number(region.size);
  for (let end = size; end > 0; end -= CHUNK) {
    // Overlap the chunks by 3 bytes so a signature across a boundary is found.
    const start = Math.max(0, end - CHUNK - 3);
    const chunk = mem.read(region.gpa + BigInt(start), end - start);
    const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    let at = buf.lastIndexOf(SIGNATURE);
    while (at >= 0) {
      const length = at + 8 <= buf.length ? buf.readUInt32LE(at + 4) : 0;
      if (length >= 40 && length <= 4096 && at + length <= buf.length) {
        const bytes = new Uint8Array(buf.subarray(at, at + length));
        if (acpiTableChecksumValid(bytes)) return { gpa: region.gpa + BigInt(start + at), bytes };
      }
      at = at === 0 ? -1 : buf.lastIndexOf(SIGNATURE, at - 1);
    }
  }
  throw new GuestError('mismatch', 'Cannot find a HEST with a valid checksum in guest RAM');
}
