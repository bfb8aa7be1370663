import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readShared } from '../../test/support/shared.js';
import {
  ACPI_TABLE_HEADER_SIZE,
  acpiTableChecksum,
  acpiTableChecksumValid,
  decodeAcpiTableHeader,
  encodeAcpiTable,
  encodeAcpiTableHeader,
} from './acpi-header.js';
import { byteSum } from './checksum.js';
import { CodecError } from './errors.js';

// Golden: QEMU's 132-byte HEST expectation (../shared/reference/qemu/history/cd16f08ad4/...),
// whose header iasl disassembles (disassembly/HEST.cd16f08ad4.dsl) as below.
const LEGACY = readShared(
  'reference',
  'qemu',
  'history',
  'cd16f08ad4',
  'tests',
  'data',
  'acpi',
  'aarch64',
  'virt',
  'HEST',
);

test('the SDT header is 36 bytes', () => {
  assert.equal(ACPI_TABLE_HEADER_SIZE, 36);
  assert.equal(encodeAcpiTableHeader(decodeAcpiTableHeader(LEGACY)).length, 36);
});

test('decodeAcpiTableHeader() reads the fields iasl shows for QEMU’s legacy HEST', () => {
  assert.deepEqual(decodeAcpiTableHeader(LEGACY), {
    signature: 'HEST',
    length: 0x84,
    revision: 1,
    checksum: 0xe2,
    oemId: 'BOCHS ',
    oemTableId: 'BXPC    ',
    oemRevision: 1,
    creatorId: 'BXPC',
    creatorRevision: 1,
  });
  assert.deepEqual(encodeAcpiTableHeader(decodeAcpiTableHeader(LEGACY)), LEGACY.subarray(0, 36));
});

test('encodeAcpiTable() computes Length and a checksum over the whole table', () => {
  const header = decodeAcpiTableHeader(LEGACY);
  const bytes = encodeAcpiTable('HEST', { ...header, checksum: 0, length: 0 }, (w) =>
    w.bytes(LEGACY.subarray(36), 'body'),
  );
  assert.deepEqual(bytes, LEGACY);
  assert.equal(byteSum(bytes), 0);
  assert.equal(acpiTableChecksum(bytes), 0xe2);
});

test("encodeAcpiTable() keeps the header's checksum with { checksum: 'keep' }", () => {
  const header = { ...decodeAcpiTableHeader(LEGACY), checksum: 0 };
  const bytes = encodeAcpiTable('HEST', header, (w) => w.bytes(LEGACY.subarray(36), 'body'), {
    checksum: 'keep',
  });
  assert.equal(bytes[9], 0);
  assert.equal(acpiTableChecksumValid(bytes), false);
});

test('acpiTableChecksumValid() is true only when the table sums to 0', () => {
  assert.equal(acpiTableChecksumValid(LEGACY), true);
  const bad = LEGACY.slice();
  bad[100] = (bad[100]! + 1) & 0xff;
  assert.equal(acpiTableChecksumValid(bad), false);
  assert.equal(acpiTableChecksumValid(LEGACY.subarray(0, 20)), false);
});

test('decodeAcpiTableHeader() rejects 35 bytes (truncated, offset 0)', () => {
  assert.throws(
    () => decodeAcpiTableHeader(LEGACY.subarray(0, 35)),
    (e) => e instanceof CodecError && e.code === 'truncated' && e.offset === 0,
  );
});

test('encodeAcpiTableHeader() refuses a 5-character OEM id (length-mismatch, offset 10)', () => {
  assert.throws(
    () => encodeAcpiTableHeader({ ...decodeAcpiTableHeader(LEGACY), oemId: 'BOCHS' }),
    (e) => e instanceof CodecError && e.code === 'length-mismatch' && e.offset === 10,
  );
});
