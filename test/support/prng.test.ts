import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Prng } from './prng.js';

test('Prng output is pinned for a seed, so fuzz failures replay', () => {
  const a = new Prng(1);
  const first = [a.u32(), a.u32(), a.u32()];
  const b = new Prng(1);
  assert.deepEqual([b.u32(), b.u32(), b.u32()], first);
  assert.notDeepEqual([new Prng(2).u32()], [first[0]]);
  // Pinned values: a change to the generator changes every recorded fuzz seed.
  assert.deepEqual(first, [264704485, 1194741267, 1678852802]);
});

test('Prng.below() stays in range', () => {
  const p = new Prng(7);
  for (let i = 0; i < 1000; i++) {
    const v = p.below(13);
    assert.ok(v >= 0 && v < 13);
  }
});
