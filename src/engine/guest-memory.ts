// Guest memory as the VMM sees it: RAM regions at guest physical addresses (GPA), each backed by
// host memory at a host virtual address (HVA), and bounded reads and writes by GPA. The engine
// reaches guest RAM only through this interface, so the simulator can hand it a sparse in-memory
// map and the real-guest harness QEMU's `memory-backend-file` (see node/file-memory.ts).
// All integers in guest memory are little-endian (arm64 and the ACPI structures).

import { EngineError, EngineErrorCode } from './errors.js';

/** One RAM region of the guest memory map. Sizes and addresses in bytes. */
export interface RamRegion {
  readonly name: string;
  /** First guest physical address of the region. */
  readonly gpa: bigint;
  readonly size: bigint;
  /** Host virtual address where the VMM mapped the region (used to translate SIGBUS addresses). */
  readonly hostAddress: bigint;
}

export interface GuestMemory {
  readonly regions: readonly RamRegion[];
  /** Reads `length` bytes at `gpa`; the whole range must be RAM. */
  read(gpa: bigint, length: number): Uint8Array;
  /** Writes `bytes` at `gpa`; the whole range must be RAM. */
  write(gpa: bigint, bytes: Uint8Array): void;
  /** Optional fast path for a little-endian u64 (same checks as `read`). */
  readU64?(gpa: bigint): bigint;
}

const hexAddr = (v: bigint) => `0x${v.toString(16)}`;

/** The region holding `[gpa, gpa+length)` entirely, or undefined. */
export function regionOf(
  regions: readonly RamRegion[],
  gpa: bigint,
  length: bigint | number,
): RamRegion | undefined {
  const len = BigInt(length);
  for (const r of regions) {
    if (gpa >= r.gpa && gpa + len <= r.gpa + r.size) return r;
  }
  return undefined;
}

export function isRam(
  regions: readonly RamRegion[],
  gpa: bigint,
  length: bigint | number,
): boolean {
  return regionOf(regions, gpa, length) !== undefined;
}

/** Throws OutOfRam unless `[gpa, gpa+length)` lies inside one RAM region. */
export function requireRam(
  regions: readonly RamRegion[],
  gpa: bigint,
  length: bigint | number,
  what: string,
): RamRegion {
  if ((typeof length === 'number' && !Number.isSafeInteger(length)) || length < 0) {
    throw new EngineError(
      EngineErrorCode.OutOfRam,
      `Cannot access ${what}: ${String(length)} is not a byte count (at GPA ${hexAddr(gpa)})`,
      { gpa },
    );
  }
  const r = regionOf(regions, gpa, length);
  if (r === undefined) {
    throw new EngineError(
      EngineErrorCode.OutOfRam,
      `Cannot access ${what}: ${String(length)} bytes at GPA ${hexAddr(gpa)} are not guest RAM`,
      { gpa },
    );
  }
  return r;
}

/** Host virtual address → guest physical address, or undefined when not guest RAM. */
export function hostToGuest(regions: readonly RamRegion[], hva: bigint): bigint | undefined {
  for (const r of regions) {
    if (hva >= r.hostAddress && hva < r.hostAddress + r.size) return r.gpa + (hva - r.hostAddress);
  }
  return undefined;
}

/** Guest physical address → host virtual address, or undefined when not guest RAM. */
export function guestToHost(regions: readonly RamRegion[], gpa: bigint): bigint | undefined {
  for (const r of regions) {
    if (gpa >= r.gpa && gpa < r.gpa + r.size) return r.hostAddress + (gpa - r.gpa);
  }
  return undefined;
}

export function validateRegions(regions: readonly RamRegion[]): void {
  const sorted = [...regions].sort((a, b) => (a.gpa < b.gpa ? -1 : a.gpa > b.gpa ? 1 : 0));
  for (let i = 0; i < sorted.length; i++) {
    const r = sorted[i]!;
    if (r.size <= 0n || r.gpa < 0n || r.hostAddress < 0n) {
      throw new EngineError(
        EngineErrorCode.InvalidConfig,
        `Cannot use RAM region ${r.name}: size and addresses must be positive`,
      );
    }
    const next = sorted[i + 1];
    if (next !== undefined && r.gpa + r.size > next.gpa) {
      throw new EngineError(
        EngineErrorCode.InvalidConfig,
        `Cannot use RAM region ${next.name}: it overlaps ${r.name} at GPA ${hexAddr(next.gpa)}`,
        { gpa: next.gpa },
      );
    }
  }
}

export function readU64(mem: GuestMemory, gpa: bigint): bigint {
  if (mem.readU64 !== undefined) return mem.readU64(gpa);
  const b = mem.read(gpa, 8);
  return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
}

export function readU32(mem: GuestMemory, gpa: bigint): number {
  const b = mem.read(gpa, 4);
  return new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true);
}

export function writeU64(mem: GuestMemory, gpa: bigint, value: bigint): void {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, value), true);
  mem.write(gpa, b);
}

export function writeU32(mem: GuestMemory, gpa: bigint, value: number): void {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, value >>> 0, true);
  mem.write(gpa, b);
}

function readU64Slow(mem: GuestMemory, gpa: bigint): bigint {
  const b = mem.read(gpa, 8);
  return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
}

const PAGE_SHIFT = 12;
const PAGE_SIZE = 1 << PAGE_SHIFT;

/**
 * Guest RAM held in memory, one 4 KiB page at a time, allocated on first write (unwritten bytes
 * read as zero). Gigabytes of guest RAM cost nothing until touched.
 */
export class SparseGuestMemory implements GuestMemory {
  readonly regions: readonly RamRegion[];
  private readonly pages = new Map<number, Uint8Array>();
  private readonly views = new Map<number, DataView>();

  constructor(regions: readonly RamRegion[]) {
    validateRegions(regions);
    this.regions = regions.map((r) => ({ ...r }));
  }

  /** One 1 GiB region at GPA 0x40000000 (QEMU `virt` with `-m 1G`), HVA 0x7f0000000000. */
  static virt(sizeBytes = 1n << 30n): SparseGuestMemory {
    return new SparseGuestMemory([
      { name: 'mach-virt.ram', gpa: 0x4000_0000n, size: sizeBytes, hostAddress: 0x7f00_0000_0000n },
    ]);
  }

  /** An independent copy (what a migration would carry). */
  clone(): SparseGuestMemory {
    const copy = new SparseGuestMemory(this.regions);
    for (const [k, v] of this.pages) copy.pages.set(k, v.slice());
    return copy;
  }

  /** Number of pages that have been written. */
  get touchedPages(): number {
    return this.pages.size;
  }

  readU64(gpa: bigint): bigint {
    const off = Number(gpa & BigInt(PAGE_SIZE - 1));
    if (off > PAGE_SIZE - 8) return readU64Slow(this, gpa);
    requireRam(this.regions, gpa, 8, 'guest memory');
    const key = Number(gpa >> BigInt(PAGE_SHIFT));
    let view = this.views.get(key);
    if (view === undefined) {
      const p = this.pages.get(key);
      if (p === undefined) return 0n;
      view = new DataView(p.buffer, p.byteOffset, p.byteLength);
      this.views.set(key, view);
    }
    return view.getBigUint64(off, true);
  }

  read(gpa: bigint, length: number): Uint8Array {
    requireRam(this.regions, gpa, length, 'guest memory');
    const out = new Uint8Array(length);
    let done = 0;
    let page = Number(gpa >> BigInt(PAGE_SHIFT));
    let off = Number(gpa & BigInt(PAGE_SIZE - 1));
    while (done < length) {
      const n = Math.min(PAGE_SIZE - off, length - done);
      const p = this.pages.get(page);
      if (p !== undefined) out.set(p.subarray(off, off + n), done);
      done += n;
      page++;
      off = 0;
    }
    return out;
  }

  write(gpa: bigint, bytes: Uint8Array): void {
    requireRam(this.regions, gpa, bytes.length, 'guest memory');
    let done = 0;
    let page = Number(gpa >> BigInt(PAGE_SHIFT));
    let off = Number(gpa & BigInt(PAGE_SIZE - 1));
    while (done < bytes.length) {
      const n = Math.min(PAGE_SIZE - off, bytes.length - done);
      let p = this.pages.get(page);
      if (p === undefined) {
        p = new Uint8Array(PAGE_SIZE);
        this.pages.set(page, p);
      }
      p.set(bytes.subarray(done, done + n), off);
      done += n;
      page++;
      off = 0;
    }
  }
}
