// The storm run behind `vras soak` and the engine's acceptance properties: many sources, a guest
// that acknowledges after random delays, bursts that overflow backlogs, optional snapshot and
// restore mid-run. Losses, overwrites of unacknowledged blocks and writes outside the error
// region are measured by the guest model and a memory watcher, not by the engine's counters.

import { HestNotificationType } from '../codec/index.js';
import { bootMachine, DEFAULT_ALLOCATE_FROM } from './boot.js';
import { type GuestMemory, type RamRegion, readU64, SparseGuestMemory } from './guest-memory.js';
import { GuestModel } from './guest-model.js';
import type { MachineConfig } from './machine-config.js';
import { buildMachineLayout } from './machine-layout.js';
import type { EngineReport, Platform, PlatformRequest } from './platform.js';
import { Prng } from './prng.js';
import { RasEngine } from './ras-engine.js';

export interface SoakOptions {
  readonly errors: number;
  readonly sources: number;
  readonly seed: number;
  /** Guest acknowledges 0..maxAckDelay steps after a notification (default 96). */
  readonly maxAckDelay?: number;
  readonly backlogLimit?: number;
  /** Probability (per 1000 steps) that a burst of errors hits one source (default 2). */
  readonly burstPerMille?: number;
  readonly burstSize?: number;
  /** Take a snapshot at this step, restore it into a fresh engine and memory, and go on. */
  readonly snapshotAt?: number;
  /**
   * Steps the run may take after the last error to drain backlogs and pending acks (default
   * 10,000,000). Records still queued when it runs out count as lost; the summary says so.
   */
  readonly drainStepLimit?: number;
}

export const DEFAULT_DRAIN_STEP_LIMIT = 10_000_000;

export interface SoakSummary {
  readonly errors: number;
  readonly sources: number;
  readonly seed: number;
  /** Records the guest read (each exactly once, intact). */
  readonly delivered: number;
  /** Records that waited in a backlog before being delivered. */
  readonly queued: number;
  /** Records the engine refused because a backlog was full (reported by the engine). */
  readonly dropped: number;
  /** Records accepted by the engine that the guest never read, or read damaged or twice. */
  readonly lost: number;
  /** Engine writes into a block whose record the guest had not acknowledged yet. */
  readonly overwrittenUnacked: number;
  /** Engine writes outside etc/hardware_errors. */
  readonly outOfRegionWrites: number;
  /** Records the guest read before an older record of the same source (backlogs are FIFO). */
  readonly outOfOrder: number;
  /** FNV-1a over every (source, record, step) the guest read, in order: equal runs, equal digest. */
  readonly deliveryDigest: string;
  readonly overflowReports: number;
  readonly maxBacklog: number;
  readonly steps: number;
  /** The drain-step limit of this run, and whether it stopped the run with work left. */
  readonly drainStepLimit: number;
  readonly drainStepLimitHit: boolean;
}

/** A view of guest memory that checks every write the engine makes. */
export class WatchedMemory implements GuestMemory {
  readonly inner: GuestMemory;
  outOfRegionWrites = 0;
  overwrittenUnacked = 0;
  private lo = 0;
  private hi = 0;
  private blockStarts: number[] = [];
  private blockLengths: number[] = [];
  private posted: boolean[] = [];

  constructor(inner: GuestMemory) {
    this.inner = inner;
  }

  get regions(): readonly RamRegion[] {
    return this.inner.regions;
  }

  arm(base: bigint, size: number, blocks: readonly bigint[], lengths: readonly number[]): void {
    this.lo = Number(base);
    this.hi = this.lo + size;
    this.blockStarts = blocks.map(Number);
    this.blockLengths = [...lengths];
    this.posted = blocks.map(() => false);
  }

  /** Source `i` holds a record the guest has not acknowledged (after a migration). */
  markPosted(i: number): void {
    this.posted[i] = true;
  }

  /** The guest acknowledged source `i`. */
  consumed(i: number): void {
    this.posted[i] = false;
  }

  read(gpa: bigint, length: number): Uint8Array {
    return this.inner.read(gpa, length);
  }

  readU64(gpa: bigint): bigint {
    return readU64(this.inner, gpa);
  }

  write(gpa: bigint, bytes: Uint8Array): void {
    const at = Number(gpa);
    if (at < this.lo || at + bytes.length > this.hi) this.outOfRegionWrites++;
    // Blocks are sorted and disjoint: start from the last one that begins at or before `at`.
    let lo = 0;
    let hi = this.blockStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.blockStarts[mid]! <= at) lo = mid;
      else hi = mid - 1;
    }
    for (let i = lo; i < this.blockStarts.length; i++) {
      const s = this.blockStarts[i]!;
      if (s >= at + bytes.length) break;
      if (at < s + this.blockLengths[i]! && at + bytes.length > s) {
        if (this.posted[i]) this.overwrittenUnacked++;
        if (
          at === s &&
          bytes.length >= 4 &&
          (bytes[0]! | bytes[1]! | bytes[2]! | bytes[3]!) !== 0
        ) {
          this.posted[i] = true;
        }
      }
    }
    this.inner.write(gpa, bytes);
  }
}

const hx = (v: bigint) => `0x${v.toString(16)}`;

const RECORD_SIZE = 32;

/** A 32-byte status block: header with 12 bytes of raw data carrying the sequence number. */
export function soakRecord(seq: number, sourceId: number): Uint8Array {
  const b = new Uint8Array(RECORD_SIZE);
  const v = new DataView(b.buffer);
  v.setUint32(0, 0x11, true); // uncorrectable valid, one entry's worth of status
  v.setUint32(4, 20, true); // raw data offset
  v.setUint32(8, 12, true); // raw data length
  v.setUint32(12, 0, true); // data length: no entries
  v.setUint32(16, 2, true); // corrected
  v.setUint32(20, seq, true);
  v.setUint32(24, sourceId, true);
  v.setUint32(28, Math.imul(seq ^ 0x5bd1e995, 0x9e3779b1) >>> 0, true);
  return b;
}

function decodeSoakRecord(r: Uint8Array): { seq: number; sourceId: number; ok: boolean } {
  if (r.length !== RECORD_SIZE) return { seq: -1, sourceId: -1, ok: false };
  const v = new DataView(r.buffer, r.byteOffset, r.byteLength);
  const seq = v.getUint32(20, true);
  const sourceId = v.getUint32(24, true);
  const ok = v.getUint32(28, true) === Math.imul(seq ^ 0x5bd1e995, 0x9e3779b1) >>> 0;
  return { seq, sourceId, ok };
}

class SoakPlatform implements Platform {
  guest: GuestModel | undefined;
  now = 0;
  overflowReports = 0;
  request(r: PlatformRequest): void {
    if ('sourceId' in r && this.guest !== undefined) this.guest.notify(r.sourceId, this.now);
  }
  report(r: EngineReport): void {
    if (r.code === 'backlog-overflow') this.overflowReports++;
  }
}

export function soakMachine(sources: number, backlogLimit: number): MachineConfig {
  return {
    layout: 'hest-addr',
    sources: Array.from({ length: sources }, (_, i) => ({
      id: i,
      notification: i % 4 === 0 ? HestNotificationType.ArmSea : HestNotificationType.GpioSignal,
      policy: 'queue' as const,
      backlogLimit,
    })),
  };
}

/**
 * The most sources a soak machine can have: the firmware model allocates etc/hardware_errors
 * (1040 bytes a source: slot, ack, 1 KiB block) and then the HEST (aligned to 64) from
 * DEFAULT_ALLOCATE_FROM to the end of `virt`'s 1 GiB of RAM at 0x40000000. Both grow linearly,
 * so two small layouts give the sizes for any count.
 */
export function soakSourceLimit(backlogLimit = 16): number {
  const size = (n: number) => {
    const l = buildMachineLayout(soakMachine(n, backlogLimit));
    return { blob: l.blob.size, hest: l.hest.length };
  };
  const one = size(1);
  const two = size(2);
  const ram = SparseGuestMemory.virt().regions[0]!;
  const window = Number(ram.gpa + ram.size - DEFAULT_ALLOCATE_FROM);
  const fits = (n: number) => {
    const blob = one.blob + (n - 1) * (two.blob - one.blob);
    const hest = one.hest + (n - 1) * (two.hest - one.hest);
    return Math.ceil(blob / 64) * 64 + hest <= window;
  };
  let lo = 1;
  let hi = 0xffff;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (fits(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

export function runSoak(options: SoakOptions): SoakSummary {
  const { errors, sources, seed } = options;
  if (!Number.isInteger(errors) || errors < 0)
    throw new RangeError(`errors must be a natural number, got ${errors}`);
  if (!Number.isInteger(sources) || sources < 1 || sources > 0xffff)
    throw new RangeError(`sources must be 1..65535, got ${sources}`);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffff_ffff)
    throw new RangeError(`seed must be 0..4294967295 (32 bits), got ${seed}`);
  const sourceLimit = soakSourceLimit(options.backlogLimit ?? 16);
  if (sources > sourceLimit)
    throw new RangeError(
      `sources must be at most ${sourceLimit}: the firmware's tables for more do not fit the virt machine's RAM above ${hx(DEFAULT_ALLOCATE_FROM)}, got ${sources}`,
    );
  const drainStepLimit = options.drainStepLimit ?? DEFAULT_DRAIN_STEP_LIMIT;
  if (!Number.isSafeInteger(drainStepLimit) || drainStepLimit < 0)
    throw new RangeError(`drainStepLimit must be a natural number, got ${drainStepLimit}`);
  const root = new Prng(seed);
  const pick = root.fork();
  const guestRng = root.fork();
  const platform = new SoakPlatform();
  let raw = SparseGuestMemory.virt();
  let watched = new WatchedMemory(raw);
  const machine = soakMachine(sources, options.backlogLimit ?? 16);
  const booted = bootMachine({ machine, memory: watched, firmwareMemory: raw, platform });
  let engine: RasEngine = booted.engine;
  const seen = new Uint8Array(errors);
  let delivered = 0;
  let lost = 0;
  let outOfOrder = 0;
  const lastSeq = new Map<number, number>();
  let digest = 0x811c9dc5;
  const mix = (v: number) => {
    for (let k = 0; k < 4; k++) digest = Math.imul(digest ^ ((v >>> (8 * k)) & 0xff), 0x01000193);
  };
  const sourceIndex = new Map<number, number>();
  const guest = new GuestModel(raw, booted.hestGpa, booted.hestLength, guestRng, {
    maxAckDelay: options.maxAckDelay ?? 96,
    onRecord: (c) => {
      const r = decodeSoakRecord(c.record);
      if (!r.ok || r.seq >= errors || r.sourceId !== c.sourceId || seen[r.seq] !== 1) {
        lost++; // damaged, misrouted, never accepted, or read twice
      } else {
        seen[r.seq] = 2;
        delivered++;
        if ((lastSeq.get(c.sourceId) ?? -1) > r.seq) outOfOrder++;
        lastSeq.set(c.sourceId, r.seq);
      }
      mix(c.sourceId);
      mix(r.seq);
      mix(c.at);
      watched.consumed(sourceIndex.get(c.sourceId)!);
    },
  });
  for (const [i, s] of guest.sources.entries()) sourceIndex.set(s.id, i);
  platform.guest = guest;
  const arm = () =>
    watched.arm(
      booted.blobGpa,
      engine.layout.blob.size,
      guest.blockAddresses(),
      engine.layout.sources.map((s) => s.blockLength),
    );
  arm();
  let dropped = 0;
  let step = 0;
  const burstPerMille = options.burstPerMille ?? 2;
  const burstSize = options.burstSize ?? 48;
  let burstLeft = 0;
  let burstSource = 0;
  const tick = () => {
    guest.step(step);
    engine.service();
    step++;
    platform.now = step;
  };
  for (let seq = 0; seq < errors; seq++) {
    if (options.snapshotAt === seq) {
      // Migration: engine state as JSON text, guest RAM copied, a new engine on the other side.
      const text = JSON.stringify(engine.snapshot());
      const overwritten = watched.overwrittenUnacked;
      const outside = watched.outOfRegionWrites;
      raw = (raw as SparseGuestMemory).clone();
      const next = new WatchedMemory(raw);
      next.outOfRegionWrites = outside;
      next.overwrittenUnacked = overwritten;
      const oldPosted = guest.blockAddresses();
      guest.memory = raw;
      watched = next;
      arm();
      // Blocks posted and not yet acknowledged stay posted across the migration.
      oldPosted.forEach((addr, i) => {
        if (raw.read(addr, 4).some((b) => b !== 0)) watched.markPosted(i);
      });
      engine = new RasEngine({ machine, memory: watched, platform });
      engine.restore(JSON.parse(text));
    }
    let src: number;
    if (burstLeft > 0) {
      burstLeft--;
      src = burstSource;
    } else if (pick.below(1000) < burstPerMille) {
      burstSource = pick.below(sources);
      burstLeft = burstSize;
      src = burstSource;
    } else {
      src = pick.below(sources);
    }
    const out = engine.record(src, soakRecord(seq, src));
    if (out.status === 'dropped') dropped++;
    else seen[seq] = 1;
    tick();
  }
  let guard = 0;
  while ((engine.backlogSize > 0 || guest.pending > 0) && guard < drainStepLimit) {
    tick();
    guard++;
  }
  const drainStepLimitHit = engine.backlogSize > 0 || guest.pending > 0;
  for (let i = 0; i < errors; i++) if (seen[i] === 1) lost++;
  const stats = engine.stats();
  return {
    errors,
    sources,
    seed,
    delivered,
    queued: stats.sources.reduce((a, s) => a + s.queued, 0),
    dropped,
    lost,
    overwrittenUnacked: watched.overwrittenUnacked,
    outOfRegionWrites: watched.outOfRegionWrites,
    outOfOrder,
    deliveryDigest: `0x${(digest >>> 0).toString(16).padStart(8, '0')}`,
    overflowReports: platform.overflowReports,
    maxBacklog: stats.sources.reduce((a, s) => Math.max(a, s.maxBacklog), 0),
    steps: step,
    drainStepLimit,
    drainStepLimitHit,
  };
}

/**
 * `npm run bench` entry: `cycles` record → guest read and ack → record cycles on one source.
 * Returns the number of records the guest read (equal to `cycles`).
 */
export function runRecordAckCycles(cycles: number): number {
  const memory = SparseGuestMemory.virt();
  let consumed = 0;
  let guest: GuestModel | undefined;
  let now = 0;
  const platform: Platform = {
    request: (r) => {
      if ('sourceId' in r) guest?.notify(r.sourceId, now);
    },
    report: () => {},
  };
  const booted = bootMachine({ machine: soakMachine(1, 1), memory, platform });
  guest = new GuestModel(memory, booted.hestGpa, booted.hestLength, new Prng(1), {
    maxAckDelay: 0,
    onRecord: () => {
      consumed++;
    },
  });
  const record = soakRecord(0, 0);
  for (now = 0; now < cycles; now++) {
    booted.engine.record(0, record);
    guest.step(now);
  }
  return consumed;
}
