import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { CodecError } from './errors.js';
import {
  decodeHestNotification,
  encodeHestNotification,
  HEST_NOTIFICATION_NAMES,
  HEST_NOTIFICATION_SIZE,
  HestNotificationType,
  hestNotification,
  hestNotificationName,
  parseHestNotificationType,
} from './hest-notification.js';
import { hexToBytes } from './hex.js';

test('a notification structure is 28 bytes', () => {
  assert.equal(HEST_NOTIFICATION_SIZE, 28);
  assert.equal(encodeHestNotification(hestNotification(8)).length, 28);
});

test("encodeHestNotification() of SEA is QEMU's `08 1C` + 26 zero bytes (qemu-vmm.md §5)", () => {
  const golden = hexToBytes(`081c${'00'.repeat(26)}`);
  assert.deepEqual(encodeHestNotification(hestNotification(HestNotificationType.ArmSea)), golden);
});

test('the named types are ACPI 6.5 types 0–11 in order', () => {
  assert.deepEqual(Object.values(HestNotificationType), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  assert.equal(HEST_NOTIFICATION_NAMES.length, 12);
  assert.equal(hestNotificationName(7), 'gpio');
  assert.equal(hestNotificationName(12), 'reserved (12)');
  assert.equal(parseHestNotificationType('SEA'), 8);
  assert.equal(parseHestNotificationType('0x0b'), 11);
  assert.equal(parseHestNotificationType('256'), undefined);
  assert.equal(parseHestNotificationType('bogus'), undefined);
});

test('decodeHestNotification(encodeHestNotification(x)) is x over full field ranges', () => {
  const u32 = fc.integer({ min: 0, max: 0xffffffff });
  const arb = fc.record(
    {
      type: fc.integer({ min: 0, max: 255 }),
      configurationWriteEnable: fc.integer({ min: 0, max: 0xffff }),
      pollInterval: u32,
      vector: u32,
      switchToPollingThresholdValue: u32,
      switchToPollingThresholdWindow: u32,
      errorThresholdValue: u32,
      errorThresholdWindow: u32,
    },
    { noNullPrototype: true },
  );
  fc.assert(
    fc.property(arb, (n) => assert.deepEqual(decodeHestNotification(encodeHestNotification(n)), n)),
    { numRuns: 300 },
  );
});

test('decodeHestNotification() rejects a Length byte other than 28 (invalid, offset 1)', () => {
  const bytes = encodeHestNotification(hestNotification(0));
  bytes[1] = 0;
  assert.throws(
    () => decodeHestNotification(bytes),
    (e) =>
      e instanceof CodecError && e.code === 'invalid' && e.offset === 1 && e.field === 'length',
  );
});

test('decodeHestNotification() rejects 27 bytes (truncated, offset 0)', () => {
  assert.throws(
    () => decodeHestNotification(new Uint8Array(27)),
    (e) => e instanceof CodecError && e.code === 'truncated' && e.offset === 0,
  );
});

test('decodeHestNotification() rejects bytes after the structure (length-mismatch, offset 28)', () => {
  const bytes = new Uint8Array(29);
  bytes.set(encodeHestNotification(hestNotification(1)));
  assert.throws(
    () => decodeHestNotification(bytes),
    (e) => e instanceof CodecError && e.code === 'length-mismatch' && e.offset === 28,
  );
});
