// The fuzz harness must be able to fail: these targets misbehave on purpose.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CodecError } from '../src/codec/index.js';
import { runOne } from './fuzz/fuzz.js';

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
