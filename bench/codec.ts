// Codec benchmarks: per-record decode, encode and decode→JSON for the two records vras handles
// most (a 172-byte memory-error status block, an ARM processor status block), and the Linux
// printer. Inputs: QEMU's own 172-byte QMP payload (independent bytes) and a block built with
// the codec's ARM builder (ghes_inject.py defaults, one cache error, one context).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Bench } from 'tinybench';
import {
  buildArmProcessorSection,
  decodeGhesStatusBlock,
  encodeGhesStatusBlock,
  formatLinux,
  genericErrorDataEntry,
  ghesStatusBlock,
  toJson,
} from '../src/codec/index.js';

const ARM_GUID = 'e19e3d16-bc11-11e4-9caa-c2051d5d46b0';

export interface Inputs {
  readonly memory: Uint8Array;
  readonly arm: Uint8Array;
}

export function codecInputs(sharedRoot: string): Inputs {
  const path = join(
    sharedRoot,
    'reference/qemu/captured/qemu-10.2.50-ece408818d/virt/qmp_cper_payload.bin',
  );
  const data = readFileSync(path);
  const memory = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const section = buildArmProcessorSection({
    mpidr: 0x80000000n,
    midr: 0x411fd070n,
    contexts: [{ registers: [1n, 2n, 3n, 4n] }],
  } as Parameters<typeof buildArmProcessorSection>[0]);
  const arm = encodeGhesStatusBlock(
    ghesStatusBlock({
      errorSeverity: 0,
      entries: [genericErrorDataEntry(ARM_GUID, section)],
    }),
  );
  return { memory, arm };
}

export async function codecBench(inputs: Inputs, time = 500): Promise<Bench> {
  const memBlock = decodeGhesStatusBlock(inputs.memory);
  const armBlock = decodeGhesStatusBlock(inputs.arm);
  let sink = 0;
  const bench = new Bench({ time, warmupTime: 100 });
  bench
    .add(`decode memory block (${inputs.memory.length} B)`, () => {
      sink += decodeGhesStatusBlock(inputs.memory).entries.length;
    })
    .add(`encode memory block (${inputs.memory.length} B)`, () => {
      sink += encodeGhesStatusBlock(memBlock).length;
    })
    .add('decode→JSON memory block', () => {
      sink += toJson('ghes-status-block', decodeGhesStatusBlock(inputs.memory), 0).length;
    })
    .add('Linux lines memory block', () => {
      sink += formatLinux(memBlock, { sourceId: 0, seq: 1 }).length;
    })
    .add(`decode ARM block (${inputs.arm.length} B)`, () => {
      sink += decodeGhesStatusBlock(inputs.arm).entries.length;
    })
    .add(`encode ARM block (${inputs.arm.length} B)`, () => {
      sink += encodeGhesStatusBlock(armBlock).length;
    })
    .add('decode→JSON ARM block', () => {
      sink += toJson('ghes-status-block', decodeGhesStatusBlock(inputs.arm), 0).length;
    });
  await bench.run();
  if (sink === -1) console.log(sink);
  return bench;
}
