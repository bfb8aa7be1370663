// Offsets inside `etc/hardware_errors` (formats.md §13; QEMU `build_ghes_error_table()`): for
// N sources, the error-status-address slots at 8·i, the read-ack registers at 8·(N+i), then the
// error status blocks. QEMU's blocks are all 1024 bytes (block i at 16·N + 1024·i); with other
// lengths each block starts at the previous one's end rounded up to 8 bytes.

import type { ResolvedSource } from './machine-config.js';

export interface SourceOffsets {
  readonly slot: number;
  readonly ack: number;
  readonly block: number;
  readonly blockLength: number;
  /** Initial read-ack value: the source's Read Ack Write bits ("acknowledged"). */
  readonly ackInit: bigint;
}

export interface BlobLayout {
  readonly size: number;
  readonly sources: readonly SourceOffsets[];
}

const align8 = (n: number) => (n + 7) & ~7;

export function blobLayout(sources: readonly ResolvedSource[]): BlobLayout {
  const n = sources.length;
  let next = 16 * n;
  const out = sources.map((s, i) => {
    const o = {
      slot: 8 * i,
      ack: 8 * (n + i),
      block: next,
      blockLength: s.blockLength,
      ackInit: s.version === 2 ? s.readAckWrite : 0n,
    };
    next = align8(next + s.blockLength);
    return o;
  });
  return { size: next, sources: out };
}

/**
 * `etc/hardware_errors` as the VMM serves it: slots hold block offsets (ADD_POINTER adds the
 * blob's address), acks hold the Read Ack Write bits (QEMU: 1, "acknowledged", so the first
 * record can be posted), blocks 0.
 */
export function buildHardwareErrorsBlob(layout: BlobLayout): Uint8Array {
  const bytes = new Uint8Array(layout.size);
  const view = new DataView(bytes.buffer);
  for (const s of layout.sources) {
    view.setBigUint64(s.slot, BigInt(s.block), true);
    view.setBigUint64(s.ack, s.ackInit, true);
  }
  return bytes;
}
