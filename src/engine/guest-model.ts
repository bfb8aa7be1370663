// A model of the guest OS side of GHES (linux-guest.md §4–§5), used to test the engine and to
// soak it: it reads the HEST from guest memory like OSPM, and on each notification it reads the
// error-status-address register, the block and the record, then clears block_status and
// acknowledges with `(old & preserve) | write` — after a random delay drawn from its own PRNG.
// It checks every block it reads, independently of the engine's counters.

import { decodeHest, type HestGhes, type HestGhesV2 } from '../codec/index.js';
import type { GuestMemory } from './guest-memory.js';
import type { Prng } from './prng.js';

export interface GuestSourceView {
  readonly id: number;
  readonly statusRegister: bigint;
  readonly ackRegister?: bigint;
  readonly preserve: bigint;
  readonly write: bigint;
  readonly blockLength: number;
}

export interface ConsumedRecord {
  readonly sourceId: number;
  readonly blockAddress: bigint;
  readonly record: Uint8Array;
  readonly at: number;
}

export interface GuestModelOptions {
  /** Acknowledge between 0 and this many steps after the notification. */
  readonly maxAckDelay: number;
  /** Called with every record read, before it is acknowledged. */
  readonly onRecord?: (record: ConsumedRecord) => void;
}

const readLe = (b: Uint8Array, off: number, n: number): bigint => {
  let v = 0n;
  for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[off + i]!);
  return v;
};

export class GuestModel {
  /** Memory is looked up on every access so a test can swap it (migration). */
  memory: GuestMemory;
  readonly sources: readonly GuestSourceView[];
  private readonly byId = new Map<number, number>();
  private readonly rng: Prng;
  private readonly options: GuestModelOptions;
  /** Step at which each source's pending notification is handled, or -1. */
  private readonly due: number[];
  private readonly buckets = new Map<number, number[]>();
  /** Notifications that found nothing to read (block_status 0 or a zero register). */
  spurious = 0;
  /** Records whose header Linux would reject (cper_estatus checks, linux-guest.md §4). */
  invalid = 0;
  consumed = 0;
  private lastStep = -1;

  constructor(
    memory: GuestMemory,
    hestGpa: bigint,
    hestLength: number,
    rng: Prng,
    options: GuestModelOptions,
  ) {
    this.memory = memory;
    this.rng = rng;
    this.options = options;
    const hest = decodeHest(memory.read(hestGpa, hestLength));
    this.sources = hest.sources
      .filter((s): s is HestGhes | HestGhesV2 => s.type === 9 || s.type === 10)
      .map((s) => ({
        id: s.sourceId,
        statusRegister: s.errorStatusAddress.address,
        ...(s.type === 10 ? { ackRegister: s.readAckRegister.address } : {}),
        preserve: s.type === 10 ? s.readAckPreserve : 0n,
        write: s.type === 10 ? s.readAckWrite : 0n,
        blockLength: s.errorStatusBlockLength,
      }));
    for (const [i, s] of this.sources.entries()) this.byId.set(s.id, i);
    this.due = this.sources.map(() => -1);
  }

  /** Block address each register holds now (what Linux 7.x maps once at probe). */
  blockAddresses(): bigint[] {
    return this.sources.map((s) => readLe(this.memory.read(s.statusRegister, 8), 0, 8));
  }

  /** A notification for `sourceId` (SEA, GED event, interrupt) arriving at step `now`. */
  notify(sourceId: number, now: number): void {
    const i = this.byId.get(sourceId);
    if (i === undefined || this.due[i]! >= 0) return;
    // A notification raised after this step's handling is seen on the next step at the earliest.
    const at = Math.max(now, this.lastStep + 1) + this.rng.below(this.options.maxAckDelay + 1);
    this.due[i] = at;
    const b = this.buckets.get(at);
    if (b === undefined) this.buckets.set(at, [i]);
    else b.push(i);
  }

  get pending(): number {
    let n = 0;
    for (const d of this.due) if (d >= 0) n++;
    return n;
  }

  /** Handles the notifications due at `now`. */
  step(now: number): void {
    this.lastStep = now;
    const list = this.buckets.get(now);
    if (list === undefined) return;
    this.buckets.delete(now);
    for (const i of list) {
      this.due[i] = -1;
      this.handle(i, now);
    }
  }

  /** Reads, checks, clears and acknowledges source `i`'s block (ghes_proc order). */
  private handle(i: number, now: number): void {
    const s = this.sources[i]!;
    const mem = this.memory;
    const block = readLe(mem.read(s.statusRegister, 8), 0, 8);
    if (block === 0n) {
      this.spurious++;
      return;
    }
    const header = mem.read(block, 20);
    const status = Number(readLe(header, 0, 4));
    if (status === 0) {
      this.spurious++;
      return;
    }
    const rawOffset = Number(readLe(header, 4, 4));
    const rawLength = Number(readLe(header, 8, 4));
    const dataLength = Number(readLe(header, 12, 4));
    const len = rawLength !== 0 ? rawOffset + rawLength : 20 + dataLength;
    const bad =
      len < 20 ||
      len > s.blockLength ||
      (dataLength > 0 && dataLength < 64) ||
      (rawLength !== 0 && rawOffset < 20 + dataLength);
    if (bad) {
      this.invalid++;
    } else {
      this.consumed++;
      this.options.onRecord?.({
        sourceId: s.id,
        blockAddress: block,
        record: mem.read(block, len),
        at: now,
      });
    }
    // Clear, then acknowledge (linux-guest.md §5), also after a rejected block.
    mem.write(block, new Uint8Array(4));
    if (s.ackRegister !== undefined) {
      const old = readLe(mem.read(s.ackRegister, 8), 0, 8);
      const value = (old & s.preserve) | s.write;
      const out = new Uint8Array(8);
      new DataView(out.buffer).setBigUint64(0, value, true);
      mem.write(s.ackRegister, out);
    }
  }
}
