// Fuzzing of every byte decoder the codec exports: random and mutated inputs, a guard against
// allocations sized from unchecked lengths, and a report that names the seed and the input of
// every failure so it replays. `npm test` runs 100k cases (test/fuzz.test.ts); `npm run fuzz`
// runs millions (test/fuzz/run.ts).

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { encodeDocument } from '../../src/cli/encode.js';
import * as codec from '../../src/codec/index.js';
import { Prng } from '../support/prng.js';
import { sharedRoot } from '../support/shared.js';
import { jsonTargets } from './json-targets.js';

export interface FuzzTarget {
  readonly name: string;
  /** Decoders may throw CodecError only; lint and detect functions may not throw at all. */
  readonly mayThrowCodecError: boolean;
  /** A refusal this target may make (the JSON inputs' typed errors); anything else fails. */
  readonly accepts?: (error: unknown) => boolean;
  run(bytes: Uint8Array): unknown;
}

/** Exports named decode* that decode a number, not bytes. */
const VALUE_DECODERS = new Set([
  'decodeEsr',
  'decodeBlockStatus',
  'decodeMemoryErrorStatus',
  // x86 machine-check registers and codes (mce.ts): numbers, or a decoded record's fields
  'decodeMciStatus',
  'decodeMcaCode',
  'decodeMciMisc',
  'decodeMcgStatus',
  'decodeMcgCap',
  'decodeMachineCheck',
]);

/** The contexts the status-block lint is fuzzed under: each notification path and kernel. */
const STATUS_CONTEXTS: readonly codec.StatusBlockContext[] = [
  { errorBlockLength: 1024, notificationType: 8 },
  { errorBlockLength: 1024, notificationType: 0, kernel: 'newer' },
  { errorBlockLength: 64, notificationType: 7, ghesVersion: 1, sublevel: 100 },
  {
    errorBlockLength: 65536,
    notificationType: 11,
    kernel: 'newer',
    ram: [{ start: 0x40000000n, size: 0x40000000n }],
    history: { printedInLast5s: 2, identicalWithin10s: true },
    explainRateLimit: true,
  },
];

/** Functions whose extra arguments the fuzzer supplies (every variant is exercised in turn). */
function withArguments(name: string, fn: (...args: never[]) => unknown): FuzzTarget[] | undefined {
  const call = fn as (...args: unknown[]) => unknown;
  if (name === 'lintStatusBlock' || name === 'linuxAcceptance') {
    let i = 0;
    const run = (bytes: Uint8Array) => call(bytes, STATUS_CONTEXTS[i++ % STATUS_CONTEXTS.length]);
    return [{ name, mayThrowCodecError: false, run }];
  }
  if (name === 'decodeSection') {
    const guids = codec.registeredSections().map((c) => c.guid);
    guids.push('00000000-0000-0000-0000-000000000001');
    let i = 0;
    const run = (bytes: Uint8Array) => call(guids[i++ % guids.length], bytes);
    return [{ name, mayThrowCodecError: true, run }];
  }
  if (name === 'decodeSectionBody') return []; // reader-based; decodeSection covers it
  return undefined;
}

/** Every `decode*`, `lint*` and `detect*` function the codec exports, called on bytes. */
export function codecTargets(): FuzzTarget[] {
  const targets: FuzzTarget[] = [];
  for (const [name, value] of Object.entries(codec)) {
    if (typeof value !== 'function' || VALUE_DECODERS.has(name)) continue;
    const special = withArguments(name, value as (...args: never[]) => unknown);
    if (special !== undefined) {
      targets.push(...special);
      continue;
    }
    const fn = value as (bytes: Uint8Array) => unknown;
    if (/^decode[A-Z]/.test(name)) targets.push({ name, mayThrowCodecError: true, run: fn });
    else if (/^(lint|detect)[A-Z]/.test(name)) {
      targets.push({ name, mayThrowCodecError: false, run: fn });
    }
  }
  targets.push(...pipelineTargets());
  targets.push(...jsonTargets(referenceCorpus()));
  return targets.sort((a, b) => a.name.localeCompare(b.name));
}

const KERNELS: readonly codec.KernelVersion[] = ['6.1', '6.12', '7.3', 'newer'];

/** Throws a plain Error (a fuzz failure) unless `back` equals `bytes[0, back.length)` exactly. */
function sameBytes(what: string, bytes: Uint8Array, length: number, back: Uint8Array): void {
  if (back.length !== length) {
    throw new Error(`${what}: ${length} bytes decoded, ${back.length} encoded`);
  }
  for (let i = 0; i < length; i++) {
    if (back[i] !== bytes[i]) throw new Error(`${what}: byte ${codec.hex(i)} changed`);
  }
}

/**
 * What `vras decode` does with bytes that decode, for each structure: the Linux lines (every
 * kernel in turn), the annotated table, and the JSON document, which `vras encode` must turn
 * back into the decoded bytes. Decoding may throw CodecError; nothing after it may throw.
 */
function pipelineTargets(): FuzzTarget[] {
  let n = 0;
  const kernel = () => KERNELS[n++ % KERNELS.length]!;
  const table = <T>(bytes: Uint8Array, read: (r: codec.ByteReader) => T, structure: string) =>
    codec.formatTable(
      codec.annotate(bytes, read, { structure, meanings: codec.CODEC_MEANINGS }).rows,
    );
  const printBlock = (block: codec.GhesStatusBlock) =>
    codec.formatLinux(block, { sourceId: 0, seq: 1, kernel: kernel() });
  return [
    {
      name: 'vras decode: GHES status block → linux, table, JSON → encode',
      mayThrowCodecError: true,
      run(bytes) {
        const block = codec.decodeGhesStatusBlock(bytes);
        printBlock(block);
        table(bytes, codec.readGhesStatusBlock, 'GHES status block');
        const length = codec.cperEstatusLen(codec.decodeGhesStatusHeader(bytes));
        const back = encodeDocument(codec.toJson('ghes-status-block', block));
        sameBytes('status block JSON round trip', bytes, length, back);
      },
    },
    {
      name: 'vras decode: CPER record → linux, table, JSON → encode',
      mayThrowCodecError: true,
      run(bytes) {
        const record = codec.decodeCperRecord(bytes);
        table(bytes, codec.readCperRecord, 'CPER record');
        const back = encodeDocument(codec.toJson('cper-record', record));
        const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(20, true);
        sameBytes('CPER record JSON round trip', bytes, length, back);
        // The conversion may refuse what a status block cannot carry, with a CodecError.
        printBlock(codec.cperRecordToStatusBlock(record));
      },
    },
    {
      name: 'vras decode: HEST → table, JSON → encode, lint',
      mayThrowCodecError: true,
      run(bytes) {
        const hest = codec.decodeHest(bytes);
        table(bytes, codec.readHest, 'HEST');
        codec.lintHest(bytes);
        const back = encodeDocument(codec.toJson('hest', hest));
        sameBytes('HEST JSON round trip', bytes, bytes.length, back);
      },
    },
  ];
}

/** Seed inputs: every binary reference file (HEST tables, blobs, CPER payloads). */
export function referenceCorpus(): Uint8Array[] {
  const out: Uint8Array[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (/\.bin$|\/HEST$/.test(p) && st.size <= 4096) {
        const data = readFileSync(p);
        out.push(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      }
    }
  };
  walk(join(sharedRoot, 'reference'));
  // hardware_errors blobs carry records at block offsets: add those windows as seeds too.
  for (const blob of [...out]) {
    for (const at of [0x10, 0x20, 0x420]) {
      if (blob.length > at + 20) out.push(blob.slice(at, Math.min(blob.length, at + 1024)));
    }
  }
  // The reference has no CPER record and no ARM section: build them from what it has.
  const arm = codec.encodeGhesStatusBlock(
    codec.ghesStatusBlock({
      errorSeverity: 0,
      entries: [
        codec.genericErrorDataEntry(
          'e19e3d16-bc11-11e4-9caa-c2051d5d46b0',
          codec.buildArmProcessorSection({
            mpidr: 0x80000000n,
            midr: 0x411fd070n,
            contexts: [{ registers: [1n, 2n, 3n, 4n] }],
          } as Parameters<typeof codec.buildArmProcessorSection>[0]),
        ),
      ],
    }),
  );
  out.push(arm);
  for (const bytes of [...out]) {
    try {
      const block = codec.decodeGhesStatusBlock(bytes);
      if (block.entries.length > 0 && block.rawData.length === 0) {
        out.push(codec.encodeCperRecord(codec.statusBlockToCperRecord(block)));
      }
    } catch {
      // not a status block: nothing to convert
    }
  }
  return out;
}

const INTERESTING_U32 = [
  0, 1, 19, 20, 63, 64, 72, 80, 0x7f, 0x80, 0xff, 0x100, 0x400, 0x7fffffff, 0xffffffff,
];

export function mutate(prng: Prng, input: Uint8Array, corpus: readonly Uint8Array[]): Uint8Array {
  let bytes: Uint8Array = input.slice();
  const rounds = 1 + prng.below(4);
  for (let r = 0; r < rounds; r++) {
    const op = prng.below(7);
    if (bytes.length === 0 && op < 4) {
      bytes = prng.bytes(1 + prng.below(64));
      continue;
    }
    const at = prng.below(bytes.length);
    switch (op) {
      case 0:
        bytes[at] = bytes[at]! ^ (1 << prng.below(8));
        break;
      case 1:
        bytes[at] = prng.pick([0, 0xff, 0x7f, 0x80, 1]);
        break;
      case 2: {
        const v = prng.pick([
          ...INTERESTING_U32,
          bytes.length,
          bytes.length - 20,
          bytes.length + 1,
        ]);
        for (let i = 0; i < 4 && at + i < bytes.length; i++) bytes[at + i] = (v >>> (8 * i)) & 0xff;
        break;
      }
      case 3:
        bytes = bytes.slice(0, at);
        break;
      case 4: {
        const extra = prng.bytes(prng.below(128));
        const next = new Uint8Array(bytes.length + extra.length);
        next.set(bytes);
        next.set(extra, bytes.length);
        bytes = next;
        break;
      }
      case 5: {
        const other = prng.pick(corpus);
        const start = prng.below(other.length + 1);
        const piece = other.subarray(start, start + prng.below(256));
        const next = new Uint8Array(at + piece.length);
        next.set(bytes.subarray(0, at));
        next.set(piece, at);
        bytes = next;
        break;
      }
      default: {
        const len = prng.below(Math.min(64, bytes.length - at) + 1);
        const chunk = bytes.slice(at, at + len);
        const next = new Uint8Array(bytes.length + chunk.length);
        next.set(bytes.subarray(0, at + len));
        next.set(chunk, at + len);
        next.set(bytes.subarray(at + len), at + 2 * len);
        bytes = next;
      }
    }
  }
  return bytes;
}

export class AllocationError extends Error {}

/**
 * Runs `fn` with Uint8Array and Array construction limited to `limit` elements, so a decoder
 * that sizes an allocation from a length it has not checked against the input is caught.
 */
export function withAllocationLimit<T>(limit: number, fn: () => T): T {
  const g = globalThis as unknown as Record<string, unknown>;
  const RealU8 = g.Uint8Array as Uint8ArrayConstructor;
  const RealArray = g.Array as ArrayConstructor;
  const guard = <C extends object>(real: C, kind: string): C =>
    new Proxy(real, {
      construct(target, args, newTarget) {
        const n = args[0];
        if (typeof n === 'number' && n > limit) {
          throw new AllocationError(`${kind}(${n}) exceeds the ${limit}-element limit`);
        }
        // `new Proxy(...)` arrives here with newTarget = the proxy: construct the real class.
        const nt = newTarget === g.Array || newTarget === g.Uint8Array ? target : newTarget;
        return Reflect.construct(
          target as unknown as new (
            ...a: unknown[]
          ) => object,
          args,
          nt as unknown as new (
            ...a: unknown[]
          ) => object,
        );
      },
    });
  g.Uint8Array = guard(RealU8, 'new Uint8Array');
  g.Array = guard(RealArray, 'new Array');
  try {
    return fn();
  } finally {
    g.Uint8Array = RealU8;
    g.Array = RealArray;
  }
}

/**
 * Per-case time limit: the slowest decoder takes well under a millisecond on inputs of a few
 * kB, so a case over a second (even on a loaded machine) is super-linear work on hostile input.
 */
export const SLOW_CASE_MS = 1000;

export interface FuzzFailure {
  readonly target: string;
  readonly seed: number;
  readonly caseIndex: number;
  readonly inputHex: string;
  readonly error: string;
}

export interface FuzzResult {
  readonly cases: number;
  readonly perTarget: Record<string, number>;
  /** Milliseconds spent in each target's cases (for cases per second). */
  readonly perTargetMs: Record<string, number>;
  readonly failures: FuzzFailure[];
}

/** Runs `cases` inputs spread over every target. Each case is replayable from (seed, index). */
export function fuzz(options: {
  targets: readonly FuzzTarget[];
  corpus: readonly Uint8Array[];
  cases: number;
  seed: number;
  maxFailures?: number;
  /** Run only this target; inputs stay those of the full run, so a failure replays exactly. */
  only?: string;
  /** A case that takes longer than this (ms) is a failure: decoders must not hang. */
  slowMs?: number;
  /** Receives the index of the case about to run (a watchdog in another thread reads it). */
  progress?: Int32Array;
}): FuzzResult {
  const { targets, corpus, cases, seed } = options;
  const failures: FuzzFailure[] = [];
  const perTarget: Record<string, number> = {};
  const perTargetMs: Record<string, number> = {};
  const prng = new Prng(seed);
  for (let i = 0; i < cases && failures.length < (options.maxFailures ?? 10); i++) {
    const target = targets[i % targets.length]!;
    const input =
      prng.below(4) === 0 || corpus.length === 0
        ? prng.bytes(prng.below(300))
        : mutate(prng, prng.pick(corpus), corpus);
    if (options.only !== undefined && target.name !== options.only) continue;
    perTarget[target.name] = (perTarget[target.name] ?? 0) + 1;
    if (options.progress !== undefined) Atomics.store(options.progress, 0, i);
    const started = performance.now();
    let error = runOne(target, input);
    const ms = performance.now() - started;
    perTargetMs[target.name] = (perTargetMs[target.name] ?? 0) + ms;
    if (error === undefined && ms > (options.slowMs ?? SLOW_CASE_MS)) {
      error = `slow: one case took ${ms.toFixed(0)} ms (limit ${options.slowMs ?? SLOW_CASE_MS} ms)`;
    }
    if (error !== undefined) {
      failures.push({
        target: target.name,
        seed,
        caseIndex: i,
        inputHex: codec.bytesToHex(input),
        error,
      });
    }
  }
  return { cases, perTarget, perTargetMs, failures };
}

/** Undefined when the target behaved, else what went wrong. */
export function runOne(target: FuzzTarget, input: Uint8Array): string | undefined {
  try {
    withAllocationLimit(input.length * 2 + 4096, () => target.run(input));
    return undefined;
  } catch (error) {
    if (error instanceof AllocationError) return `unchecked allocation: ${error.message}`;
    if (target.accepts?.(error) === true) return undefined;
    if (target.mayThrowCodecError && error instanceof codec.CodecError) {
      if (error.offset === undefined && error.code === 'truncated') {
        return `CodecError without an offset: ${error.message}`;
      }
      return undefined;
    }
    const e = error as Error;
    return `${e?.name ?? 'throw'}: ${e?.message ?? String(error)}\n${e?.stack?.split('\n').slice(1, 4).join('\n') ?? ''}`;
  }
}
