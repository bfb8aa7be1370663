// The fuzz harness must be able to fail: these targets misbehave on purpose.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CodecError } from '../src/codec/index.js';
import { codecTargets, fuzz, referenceCorpus, runOne } from './fuzz/fuzz.js';
import { fuzzWatched } from './fuzz/watched.js';

const input = new Uint8Array(16);

test('runOne() reports an allocation sized from an unchecked length', () => {
  const target = {
    name: 'bad',
    mayThrowCodecError: true,
    run: (bytes: Uint8Array) => new Uint8Array(bytes.length * 0 + 0x7fffffff),
  };
  assert.match(runOne(target, input) ?? '', /unchecked allocation/);
  const arrays = { ...target, run: () => Array.from({ length: 1e9 }) };
  assert.match(runOne(arrays, input) ?? '', /unchecked allocation/);
});

test('runOne() reports any error but CodecError from a decoder, and any error from lint', () => {
  const typeError = {
    name: 't',
    mayThrowCodecError: true,
    run: () => (null as never as number[])[0],
  };
  assert.match(runOne(typeError, input) ?? '', /TypeError/);
  const codecError = () => {
    throw new CodecError('x', { code: 'invalid', structure: 's', offset: 0 });
  };
  assert.equal(runOne({ name: 'd', mayThrowCodecError: true, run: codecError }, input), undefined);
  assert.match(runOne({ name: 'l', mayThrowCodecError: false, run: codecError }, input) ?? '', /x/);
});

test('runOne() lets small allocations through', () => {
  const ok = {
    name: 'ok',
    mayThrowCodecError: true,
    run: (b: Uint8Array) => new Uint8Array(b.length),
  };
  assert.equal(runOne(ok, input), undefined);
  assert.ok(new Uint8Array(4) instanceof Uint8Array);
});

test('fuzz() reports a case slower than the per-case limit', () => {
  const slow = {
    name: 'slow',
    mayThrowCodecError: false,
    run: () => {
      const end = performance.now() + 30;
      while (performance.now() < end) {
        // busy
      }
    },
  };
  const result = fuzz({ targets: [slow], corpus: [], cases: 2, seed: 1, slowMs: 10 });
  assert.equal(result.failures.length, 2);
  assert.match(result.failures[0]!.error, /^slow: one case took \d+ ms \(limit 10 ms\)$/);
});

test('fuzzWatched() ends a run whose case never returns, naming the case and its target', async () => {
  const result = await fuzzWatched({ cases: 10, seed: 3, stallMs: 1000, withHangingTarget: true });
  assert.equal(result.failures.length, 1);
  const f = result.failures[0]!;
  assert.equal(f.target, 'hangs');
  assert.equal(f.caseIndex, 0);
  assert.match(f.error, /^hang: the case did not return within 1000 ms$/);
});

test('fuzzWatched() gives the same result as fuzz() in this thread', async () => {
  const watched = await fuzzWatched({ cases: 300, seed: 9, stallMs: 60_000 });
  const direct = fuzz({ targets: codecTargets(), corpus: referenceCorpus(), cases: 300, seed: 9 });
  // Everything but the time each target took.
  const { perTargetMs: wMs, ...w } = watched;
  const { perTargetMs: dMs, ...d } = direct;
  assert.deepEqual(w, d);
  assert.deepEqual(Object.keys(wMs).sort(), Object.keys(dMs).sort());
});

test('the JSON-input targets are fuzzed too, and an internal TypeError from one is a failure', () => {
  const targets = codecTargets();
  for (const prefix of [
    'vras encode: mutated JSON document',
    'vras hest build: mutated config',
    'vras simulate: mutated JSON scenario',
    'QMP client: mutated greeting and replies',
  ]) {
    assert.ok(
      targets.some((t) => t.name === prefix),
      prefix,
    );
  }
  const encode = targets.find((t) => t.name === 'vras encode: mutated JSON document')!;
  const leaky = {
    ...encode,
    run: () => {
      throw new TypeError('b.entries is not iterable');
    },
  };
  assert.match(runOne(leaky, new Uint8Array(4)) ?? '', /TypeError: b\.entries is not iterable/);
  const r = fuzz({ targets, corpus: referenceCorpus(), cases: 2000, seed: 4, only: encode.name });
  assert.equal(r.failures.length, 0, JSON.stringify(r.failures[0]));
  assert.ok((r.perTarget[encode.name] ?? 0) > 0 && (r.perTargetMs[encode.name] ?? 0) > 0);
});
