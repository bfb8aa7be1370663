import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  bcdToBin,
  binToBcd,
  CPER_TIMESTAMP_SIZE,
  cperTimestampFromParts,
  decodeCperTimestamp,
  encodeCperTimestamp,
  formatCperTimestampLinux,
} from './cper-timestamp.js';
import { CodecError, CodecErrorCode } from './errors.js';
import { cperSeverityName, GhesSeverity, ghesSeverity } from './severity.js';

test('a CPER timestamp is 8 bytes: sec, min, hour, flags, day, month, year, century (UEFI N.2.1)', () => {
  assert.equal(CPER_TIMESTAMP_SIZE, 8);
  const t = cperTimestampFromParts({
    year: 2025,
    month: 11,
    day: 9,
    hours: 23,
    minutes: 5,
    seconds: 59,
    precise: true,
  });
  assert.deepEqual(
    encodeCperTimestamp(t),
    new Uint8Array([0x59, 0x05, 0x23, 0x01, 0x09, 0x11, 0x25, 0x20]),
  );
});

test('formatCperTimestampLinux() prints cper_print_tstamp()’s text', () => {
  const t = decodeCperTimestamp(new Uint8Array([0x59, 0x05, 0x23, 0x00, 0x09, 0x11, 0x25, 0x20]));
  assert.equal(formatCperTimestampLinux(t), 'imprecise tstamp: 2025-11-09 23:05:59');
});

test('bcdToBin() applies bcd2bin() arithmetic even to invalid BCD', () => {
  assert.equal(bcdToBin(0x99), 99);
  assert.equal(bcdToBin(0xff), 165);
  assert.throws(() => binToBcd(100), RangeError);
});

test('any 8 bytes round-trip', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 8, maxLength: 8 }), (b) => {
      assert.deepEqual(encodeCperTimestamp(decodeCperTimestamp(b)), b);
    }),
    { numRuns: 200 },
  );
});

test('decodeCperTimestamp() throws truncated at offset 0 for 7 bytes', () => {
  assert.throws(
    () => decodeCperTimestamp(new Uint8Array(7)),
    (e: unknown) =>
      e instanceof CodecError && e.code === CodecErrorCode.Truncated && e.offset === 0,
  );
});

test('severity names are cper_severity_str() and unknown values map to GHES panic', () => {
  assert.deepEqual([0, 1, 2, 3, 4].map(cperSeverityName), [
    'recoverable',
    'fatal',
    'corrected',
    'info',
    'unknown',
  ]);
  assert.equal(ghesSeverity(3), GhesSeverity.No);
  assert.equal(ghesSeverity(2), GhesSeverity.Corrected);
  assert.equal(ghesSeverity(0), GhesSeverity.Recoverable);
  assert.equal(ghesSeverity(1), GhesSeverity.Panic);
  assert.equal(ghesSeverity(0x10000), GhesSeverity.Panic);
});
