import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readShared } from '../../test/support/shared.js';
import { CodecError } from './errors.js';
import {
  decodeHestGhes,
  decodeHestGhesV2,
  encodeHestGhes,
  encodeHestGhesV2,
  ghesSource,
  ghesV2Source,
  HEST_GHES_SIZE,
  HEST_GHES_V2_SIZE,
} from './hest-ghes.js';

// Golden: the first GHESv2 entry (bytes 40–131) of QEMU's 224-byte HEST expectation.
const QEMU_ENTRY0 = readShared(
  'reference',
  'qemu',
  'tests',
  'data',
  'acpi',
  'aarch64',
  'virt',
  'HEST',
).slice(40, 132);

test('GHES is 64 bytes and GHESv2 92', () => {
  assert.equal(HEST_GHES_SIZE, 64);
  assert.equal(HEST_GHES_V2_SIZE, 92);
  assert.equal(
    encodeHestGhes(ghesSource({ sourceId: 0, notification: 0, errorStatusAddress: 1n })).length,
    64,
  );
});

test("ghesV2Source() with QEMU's defaults reproduces QEMU's SEA entry byte for byte", () => {
  const entry = ghesV2Source({
    sourceId: 0,
    notification: 8,
    errorStatusAddress: 0x43da0000n,
    readAckAddress: 0x43da0010n,
  });
  assert.deepEqual(encodeHestGhesV2(entry), QEMU_ENTRY0);
  assert.deepEqual(decodeHestGhesV2(QEMU_ENTRY0), entry);
});

test('ghesSource() accepts every notification type 0–11 and overrides', () => {
  for (let type = 0; type < 12; type++) {
    const s = ghesSource({
      sourceId: type,
      notification: type,
      errorStatusAddress: 0x1000n,
      enabled: 0,
    });
    assert.equal(s.notification.type, type);
    assert.equal(s.enabled, 0);
    assert.equal(s.relatedSourceId, 0xffff);
    assert.deepEqual(decodeHestGhes(encodeHestGhes(s)), s);
  }
});

test('decodeHestGhesV2() rejects a type 9 entry (invalid, offset 0)', () => {
  const bytes = QEMU_ENTRY0.slice();
  bytes[0] = 9;
  assert.throws(
    () => decodeHestGhesV2(bytes),
    (e) => e instanceof CodecError && e.code === 'invalid' && e.offset === 0 && e.field === 'type',
  );
});

test('decodeHestGhes() rejects 63 bytes (truncated, offset 0)', () => {
  assert.throws(
    () => decodeHestGhes(new Uint8Array(63)),
    (e) => e instanceof CodecError && e.code === 'truncated' && e.offset === 0,
  );
});

test('decodeHestGhes() rejects a GHESv2 entry as having extra bytes (length-mismatch, offset 64)', () => {
  const bytes = QEMU_ENTRY0.slice();
  bytes[0] = 9;
  assert.throws(
    () => decodeHestGhes(bytes),
    (e) => e instanceof CodecError && e.code === 'length-mismatch' && e.offset === 64,
  );
});
