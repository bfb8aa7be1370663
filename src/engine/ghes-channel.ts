// One GHES/GHESv2 error source at run time: its error status block in guest memory, the
// read-ack handshake and the backlog. Write order (so a guest never sees half a record):
// clear a stale block_status, write the rest of the record, (re)write the error-status-address
// slot, reset the read-ack bits, and write block_status last. The slot and the ack register live
// in guest memory, so the guest can change them: a slot that no longer points at this source's
// block is reported as a hostile pointer and never followed.
//
// Read ack (ACPI 6.5 §18.3.2.8, Linux `ghes_ack_error`): OSPM writes
// `(old & preserve) | write`. The record has been consumed when all Read Ack Write bits are
// set; posting clears exactly those bits and keeps the rest (QEMU instead treats any non-zero
// value as an ack and writes 0 over all 64 bits: qemu-vmm.md §19 item 9).

import type { SourceOffsets } from './blob-layout.js';
import { EngineError, EngineErrorCode } from './errors.js';
import type { ResolvedSource } from './machine-config.js';

/** A record waiting for its source's block, with what its notification needs. */
export interface PendingRecord {
  readonly block: Uint8Array;
  /** vCPU to notify (SEA) and the EL it was at when the error hit (SEA syndrome). */
  readonly vcpu: number;
  readonly el: 0 | 1;
  /** Coalescing key, e.g. the poisoned page (`0x…`), so a repeated SIGBUS is not queued twice. */
  readonly tag?: string;
  /** false: write the record but raise no notification (the guest finds it by polling). */
  readonly notify?: boolean;
}

export interface SourceCounters {
  /** Records written into the block. */
  posted: number;
  /** Records that had to wait in the backlog (posted later or still waiting). */
  queued: number;
  /** Records refused because the backlog was full. */
  dropped: number;
  /** Records refused under the `reject` policy. */
  rejected: number;
  /** Times the error-status-address slot did not point at this source's block. */
  hostilePointers: number;
  /** Largest backlog seen. */
  maxBacklog: number;
}

/** Bounded accessor for the error region the engine laid out: nothing else is ever written. */
export interface ErrorRegion {
  readonly base: bigint;
  readonly size: number;
  read(gpa: bigint, length: number): Uint8Array;
  write(gpa: bigint, bytes: Uint8Array): void;
  readU64(gpa: bigint): bigint;
  readU32(gpa: bigint): number;
  writeU64(gpa: bigint, value: bigint): void;
  writeU32(gpa: bigint, value: number): void;
}

export type PostObservation = { readonly hostileSlot?: bigint };

const U64 = (1n << 64n) - 1n;

export class GhesChannel {
  readonly source: ResolvedSource;
  readonly offsets: SourceOffsets;
  backlog: PendingRecord[] = [];
  /** Tag of the record most recently posted (still in the block until the guest acks it). */
  postedTag: string | undefined;
  readonly counters: SourceCounters = {
    posted: 0,
    queued: 0,
    dropped: 0,
    rejected: 0,
    hostilePointers: 0,
    maxBacklog: 0,
  };

  constructor(source: ResolvedSource, offsets: SourceOffsets) {
    this.source = source;
    this.offsets = offsets;
  }

  get id(): number {
    return this.source.id;
  }

  slotGpa(region: ErrorRegion): bigint {
    return region.base + BigInt(this.offsets.slot);
  }

  ackGpa(region: ErrorRegion): bigint {
    return region.base + BigInt(this.offsets.ack);
  }

  blockGpa(region: ErrorRegion): bigint {
    return region.base + BigInt(this.offsets.block);
  }

  /** Whether the guest has consumed the previous record (GHESv2: ack bits; GHES: block_status 0). */
  isFree(region: ErrorRegion): boolean {
    if (this.source.version === 2) {
      const w = this.source.readAckWrite;
      return (region.readU64(this.ackGpa(region)) & w) === w;
    }
    return region.readU32(this.blockGpa(region)) === 0;
  }

  checkRecord(block: Uint8Array): void {
    if (block.length > this.source.blockLength) {
      throw new EngineError(
        EngineErrorCode.RecordTooLarge,
        `Cannot record error on source ${this.id}: the record is ${block.length} bytes, the error status block ${this.source.blockLength}`,
        { sourceId: this.id },
      );
    }
    if (block.length < 20) {
      throw new EngineError(
        EngineErrorCode.InvalidRecord,
        `Cannot record error on source ${this.id}: a record is at least the 20-byte status block header, got ${block.length} bytes`,
        { sourceId: this.id },
      );
    }
    const status = (block[0]! | (block[1]! << 8) | (block[2]! << 16) | (block[3]! << 24)) >>> 0;
    if (status === 0) {
      // A block with block_status 0 is never read nor acknowledged by Linux (linux-guest.md §5):
      // posting it would block the source for good (QEMU's empty-payload bug, §19 item 13b).
      throw new EngineError(
        EngineErrorCode.InvalidRecord,
        `Cannot record error on source ${this.id}: block_status is 0, the guest would never see or acknowledge the record`,
        { sourceId: this.id },
      );
    }
  }

  /** Writes `record` into the block in the safe order. The caller checked `isFree`. */
  post(region: ErrorRegion, record: PendingRecord): PostObservation {
    const block = this.blockGpa(region);
    const slot = this.slotGpa(region);
    const slotValue = region.readU64(slot);
    const observation: PostObservation = slotValue === block ? {} : { hostileSlot: slotValue };
    if (observation.hostileSlot !== undefined) this.counters.hostilePointers++;
    if (region.readU32(block) !== 0) region.writeU32(block, 0);
    region.write(block + 4n, record.block.subarray(4));
    region.writeU64(slot, block);
    if (this.source.version === 2) {
      const ack = this.ackGpa(region);
      region.writeU64(ack, region.readU64(ack) & (U64 ^ this.source.readAckWrite));
    }
    region.write(block, record.block.subarray(0, 4));
    this.counters.posted++;
    this.postedTag = record.tag;
    return observation;
  }
}
