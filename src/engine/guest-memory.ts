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

// Little-endian integers are assembled byte by byte: a DataView per access costs more than the
// access (allocation and GC on the record/ack hot path).
const SCRATCH = new Uint8Array(8);
const SCRATCH_VIEW = new DataView(SCRATCH.buffer);

function u32At(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

function u64At(b: Uint8Array, at: number): bigint {
  const lo = u32At(b, at);
  const hi = u32At(b, at + 4);
  return hi === 0 ? BigInt(lo) : (BigInt(hi) << 32n) | BigInt(lo);
}

export function readU64(mem: GuestMemory, gpa: bigint): bigint {
  if (mem.readU64 !== undefined) return mem.readU64(gpa);
  return u64At(mem.read(gpa, 8), 0);
}

export function readU32(mem: GuestMemory, gpa: bigint): number {
  return u32At(mem.read(gpa, 4), 0);
}

export function writeU64(mem: GuestMemory, gpa: bigint, value: bigint): void {
  SCRATCH_VIEW.setBigUint64(0, BigInt.asUintN(64, value), true);
  mem.write(gpa, SCRATCH.slice());
}

export function writeU32(mem: GuestMemory, gpa: bigint, value: number): void {
  const v = value >>> 0;
  mem.write(gpa, Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24));
}

const PAGE_SHIFT = 12;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const PAGE_SIZE = 1 << PAGE_SHIFT;

/**
 * Guest RAM held in memory, one 4 KiB page at a time, allocated on first write (unwritten bytes
 * read as zero). Gigabytes of guest RAM cost nothing until touched.
 *
 * Addresses below 2^53 are handled as numbers (no bigint arithmetic per access); anything else,
 * and every access that is not RAM, goes through requireRam() and its errors.
 */
export class SparseGuestMemory implements GuestMemory {
  readonly regions: readonly RamRegion[];
  private readonly pages = new Map<number, Uint8Array>();
  /** [start, end) of each region as numbers, or null when one does not fit in 2^53. */
  private readonly spans: readonly number[] | null;

  constructor(regions: readonly RamRegion[]) {
    validateRegions(regions);
    this.regions = regions.map((r) => ({ ...r }));
    const spans: number[] = [];
    for (const r of this.regions) spans.push(Number(r.gpa), Number(r.gpa + r.size));
    this.spans = this.regions.every((r) => r.gpa + r.size <= MAX_SAFE) ? spans : null;
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

  /** `gpa` as a number when `[gpa, gpa+length)` is RAM; otherwise requireRam() throws. */
  private address(gpa: bigint, length: number): number {
    const spans = this.spans;
    if (
      spans !== null &&
      typeof gpa === 'bigint' &&
      gpa >= 0n &&
      gpa <= MAX_SAFE &&
      Number.isSafeInteger(length) &&
      length >= 0
    ) {
      const a = Number(gpa);
      for (let i = 0; i < spans.length; i += 2) {
        if (a >= spans[i]! && a + length <= spans[i + 1]!) return a;
      }
    }
    requireRam(this.regions, gpa, length, 'guest memory');
    // requireRam accepted what the fast check did not (a region beyond 2^53): bigint pages.
    return Number.NaN;
  }

  readU64(gpa: bigint): bigint {
    const a = this.address(gpa, 8);
    if (Number.isNaN(a)) return u64At(this.readSlow(gpa, 8), 0);
    const off = a % PAGE_SIZE;
    if (off > PAGE_SIZE - 8) return u64At(this.read(gpa, 8), 0);
    const p = this.pages.get((a - off) / PAGE_SIZE);
    return p === undefined ? 0n : u64At(p, off);
  }

  read(gpa: bigint, length: number): Uint8Array {
    const a = this.address(gpa, length);
    if (Number.isNaN(a)) return this.readSlow(gpa, length);
    let off = a % PAGE_SIZE;
    let page = (a - off) / PAGE_SIZE;
    if (off + length <= PAGE_SIZE) {
      const p = this.pages.get(page);
      return p === undefined ? new Uint8Array(length) : p.slice(off, off + length);
    }
    const out = new Uint8Array(length);
    let done = 0;
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
    const a = this.address(gpa, bytes.length);
    if (Number.isNaN(a)) {
      this.writeSlow(gpa, bytes);
      return;
    }
    let off = a % PAGE_SIZE;
    let page = (a - off) / PAGE_SIZE;
    if (off + bytes.length <= PAGE_SIZE) {
      let p = this.pages.get(page);
      if (p === undefined) {
        if (bytes.length === 0) return;
        p = new Uint8Array(PAGE_SIZE);
        this.pages.set(page, p);
      }
      p.set(bytes, off);
      return;
    }
    let done = 0;
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

  private readSlow(gpa: bigint, length: number): Uint8Array {
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

  private writeSlow(gpa: bigint, bytes: Uint8Array): void {
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
