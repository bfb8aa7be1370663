import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CodecError, CodecErrorCode } from './errors.js';
import {
  decodeGenericErrorData,
  encodeGenericErrorData,
  GENERIC_ERROR_DATA_SIZE,
  GENERIC_ERROR_DATA_V300_SIZE,
  genericErrorDataEntry,
  genericErrorDataHeaderSize,
} from './generic-error-data.js';
import { hexToBytes } from './hex.js';
import type { FieldTrace } from './reader.js';
import { MEMORY_SECTION_GUID, type MemoryErrorSection } from './sections/memory.js';
import { opaqueSection } from './sections/opaque.js';

const UNKNOWN = '11223344-5566-7788-99aa-bbccddeeff00';

describe('Generic Error Data Entry', () => {
  test('the header is 64 bytes below revision 0x300 and 72 from it (formats.md §4.2)', () => {
    assert.equal(GENERIC_ERROR_DATA_SIZE, 64);
    assert.equal(GENERIC_ERROR_DATA_V300_SIZE, 72);
    assert.equal(genericErrorDataHeaderSize(0x0201), 64);
    assert.equal(genericErrorDataHeaderSize(0x02ff), 64);
    assert.equal(genericErrorDataHeaderSize(0x0300), 72);
    assert.equal(genericErrorDataHeaderSize(0xff00), 72);
  });

  test('a 64-byte (revision 0x0201) entry has the bytes of the formats.md §4.2 table', () => {
    const e = genericErrorDataEntry(UNKNOWN, opaqueSection(new Uint8Array([0xaa, 0xbb]), 'x'), {
      revision: 0x0201,
      errorSeverity: 2,
      validationBits: 0x3,
      flags: 0x08,
      fruId: '01020304-0506-0708-090a-0b0c0d0e0f10',
      fruText: new Uint8Array(20).fill(0x41),
    });
    // Hand-assembled from the table: GUID (mixed-endian), severity, revision, valid, flags, length,
    // FRU id, FRU text, body.
    const expected = hexToBytes(
      '44332211 6655 8877 99aabbccddeeff00' +
        '02000000 0102 03 08 02000000' +
        '04030201 0605 0807 090a0b0c0d0e0f10' +
        '41'.repeat(20) +
        'aabb',
    );
    const bytes = encodeGenericErrorData(e);
    assert.equal(bytes.length, 64 + 2);
    assert.deepEqual(bytes, expected);
    const back = decodeGenericErrorData(bytes);
    assert.equal(back.timestamp, undefined);
    assert.deepEqual(back, {
      ...e,
      body: { kind: 'opaque', bytes: new Uint8Array([0xaa, 0xbb]), reason: 'unknown section type' },
    });
  });

  test('a 72-byte entry carries the timestamp at offset 64', () => {
    const e = genericErrorDataEntry(UNKNOWN, opaqueSection(new Uint8Array(0), 'x'), {
      timestamp: {
        seconds: 1,
        minutes: 2,
        hours: 3,
        flags: 1,
        day: 4,
        month: 5,
        year: 6,
        century: 0x20,
      },
    });
    const bytes = encodeGenericErrorData(e);
    assert.equal(bytes.length, 72);
    assert.deepEqual(bytes.subarray(64), new Uint8Array([1, 2, 3, 1, 4, 5, 6, 0x20]));
    assert.deepEqual(decodeGenericErrorData(bytes).timestamp, e.timestamp);
  });

  test('a memory body shorter than 73 bytes stays opaque with the reason', () => {
    const e = genericErrorDataEntry(MEMORY_SECTION_GUID, opaqueSection(new Uint8Array(10), 'x'));
    const back = decodeGenericErrorData(encodeGenericErrorData(e));
    assert.equal(back.body.kind, 'opaque');
    assert.match((back.body as { reason: string }).reason, /too short: 10 bytes, memory needs 73/);
  });

  test('a memory body of 80 bytes decodes through the registry', () => {
    const body = new Uint8Array(80);
    body[16] = 0x10;
    const e = genericErrorDataEntry(MEMORY_SECTION_GUID, opaqueSection(body, 'x'));
    const back = decodeGenericErrorData(encodeGenericErrorData(e));
    assert.equal((back.body as MemoryErrorSection).physicalAddress, 0x10n);
  });

  test('decoding with a trace records every header field at absolute offsets', () => {
    const trace: FieldTrace[] = [];
    const e = genericErrorDataEntry(UNKNOWN, opaqueSection(new Uint8Array(4), 'x'));
    decodeGenericErrorData(encodeGenericErrorData(e), { trace });
    const at = Object.fromEntries(trace.map((t) => [t.field, t.offset]));
    assert.equal(at['section type'], 0);
    assert.equal(at['error data length'], 24);
    assert.equal(at['FRU id'], 28);
    assert.equal(at['FRU text'], 44);
    assert.equal(at['timestamp seconds'], 64);
  });

  test('decodeGenericErrorData() throws length-mismatch at offset 0x18 when the body overruns', () => {
    const bytes = encodeGenericErrorData(
      genericErrorDataEntry(UNKNOWN, opaqueSection(new Uint8Array(4), 'x')),
    );
    new DataView(bytes.buffer).setUint32(24, 5, true);
    assert.throws(
      () => decodeGenericErrorData(bytes),
      (e: unknown) =>
        e instanceof CodecError &&
        e.code === CodecErrorCode.LengthMismatch &&
        e.field === 'error data length' &&
        e.offset === 24,
    );
  });

  test('decodeGenericErrorData() throws truncated at offset 0 below 64 bytes', () => {
    assert.throws(
      () => decodeGenericErrorData(new Uint8Array(63)),
      (e: unknown) =>
        e instanceof CodecError && e.code === CodecErrorCode.Truncated && e.offset === 0,
    );
  });

  test('decodeGenericErrorData() throws truncated at offset 0x40 for a v3 header cut at 64 bytes', () => {
    const bytes = new Uint8Array(64);
    bytes[21] = 0x03;
    assert.throws(
      () => decodeGenericErrorData(bytes),
      (e: unknown) =>
        e instanceof CodecError && e.code === CodecErrorCode.Truncated && e.offset === 64,
    );
  });

  test('decodeGenericErrorData() throws length-mismatch when bytes follow the entry', () => {
    const bytes = new Uint8Array(73);
    assert.throws(
      () => decodeGenericErrorData(bytes),
      (e: unknown) =>
        e instanceof CodecError && e.code === CodecErrorCode.LengthMismatch && e.offset === 64,
    );
  });

  test('encodeGenericErrorData() refuses a v3 entry without a timestamp and a v2 entry with one', () => {
    const base = genericErrorDataEntry(UNKNOWN, opaqueSection(new Uint8Array(0), 'x'));
    const { timestamp, ...noTs } = base;
    assert.throws(
      () => encodeGenericErrorData(noTs),
      (e: unknown) =>
        e instanceof CodecError && e.code === CodecErrorCode.Invalid && e.field === 'timestamp',
    );
    assert.throws(
      () => encodeGenericErrorData({ ...base, revision: 0x0200, timestamp: timestamp! }),
      (e: unknown) =>
        e instanceof CodecError && e.code === CodecErrorCode.Invalid && e.offset === 0,
    );
  });

  test('encodeGenericErrorData() refuses a decoded body under another section type', () => {
    const body = { kind: 'memory' } as never;
    assert.throws(
      () => encodeGenericErrorData(genericErrorDataEntry(UNKNOWN, body)),
      (e: unknown) =>
        e instanceof CodecError && e.code === CodecErrorCode.Invalid && e.offset === 72,
    );
  });

  test('encodeGenericErrorData() refuses FRU text that is not 20 bytes', () => {
    const e = genericErrorDataEntry(UNKNOWN, opaqueSection(new Uint8Array(0), 'x'), {
      fruText: new Uint8Array(19),
    });
    assert.throws(
      () => encodeGenericErrorData(e),
      (err: unknown) =>
        err instanceof CodecError &&
        err.code === CodecErrorCode.LengthMismatch &&
        err.offset === 44,
    );
  });
});
