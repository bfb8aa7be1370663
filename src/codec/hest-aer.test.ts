import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HEST_ALL_TYPES } from '../../test/support/iasl.js';
import { CodecError } from './errors.js';
import {
  decodeHestAer,
  encodeHestAer,
  HEST_AER_BRIDGE_SIZE,
  HEST_AER_DEVICE_SIZE,
  HEST_AER_ROOT_PORT_SIZE,
  type HestAer,
} from './hest-aer.js';

// The AER sources of the fixture whose whole-table encoding hest.test.ts checks against iasl.
const aer = HEST_ALL_TYPES.sources.slice(3, 6) as HestAer[];

test('AER sizes: root port 48, device 44, bridge 56', () => {
  assert.deepEqual(
    aer.map((s) => encodeHestAer(s).length),
    [HEST_AER_ROOT_PORT_SIZE, HEST_AER_DEVICE_SIZE, HEST_AER_BRIDGE_SIZE],
  );
  assert.deepEqual(
    [HEST_AER_ROOT_PORT_SIZE, HEST_AER_DEVICE_SIZE, HEST_AER_BRIDGE_SIZE],
    [48, 44, 56],
  );
});

test('each AER type decodes back to itself', () => {
  for (const s of aer) assert.deepEqual(decodeHestAer(encodeHestAer(s)), s);
});

test('decodeHestAer() rejects type 9 (invalid, offset 0)', () => {
  const bytes = encodeHestAer(aer[0]!);
  bytes[0] = 9;
  assert.throws(
    () => decodeHestAer(bytes),
    (e) => e instanceof CodecError && e.code === 'invalid' && e.offset === 0,
  );
});

test('decodeHestAer() rejects a bridge entry cut to 44 bytes (truncated, offset 0)', () => {
  const bytes = encodeHestAer(aer[2]!).subarray(0, 44);
  assert.throws(
    () => decodeHestAer(bytes),
    (e) => e instanceof CodecError && e.code === 'truncated' && e.offset === 0,
  );
});

test('decodeHestAer() rejects a root port entry with 4 extra bytes (length-mismatch, offset 48)', () => {
  const bytes = new Uint8Array(52);
  bytes.set(encodeHestAer(aer[0]!));
  assert.throws(
    () => decodeHestAer(bytes),
    (e) => e instanceof CodecError && e.code === 'length-mismatch' && e.offset === 48,
  );
});
