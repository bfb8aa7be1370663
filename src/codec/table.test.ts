import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CodecError } from './errors.js';
import { hexToBytes } from './hex.js';
import type { ByteReader } from './reader.js';
import { readRtasErrorLog, readRtasV6Header, rtasErrorLogMeanings } from './rtas.js';
import { annotate, formatTable, formatValue, rowsFromTrace } from './table.js';

// QEMU's v6 header (formats.md §14.3: b0 0x86, b2 0x8E, company 'IBM\0').
const V6 = hexToBytes('86 00 8e 00 00 00 00 00 00 00 00 00 49 42 4d 00');

test('formatTable() prints offset, size, qualified field, value and meaning for the v6 header', () => {
  const { rows, value, error } = annotate(V6, readRtasV6Header, { meanings: rtasErrorLogMeanings });
  assert.equal(error, undefined);
  assert.equal(value?.companyId, 0x49424d00);
  assert.equal(
    formatTable(rows),
    [
      'offset  size  field                      value                       meaning',
      '------  ----  -------------------------  --------------------------  ----------------------------------------------',
      '0x0000     1  RTAS v6 header.b0          0x86 (134)                  Valid | NewLog | BigEndian',
      '0x0001     1  RTAS v6 header.reserved    0x00',
      '0x0002     1  RTAS v6 header.b2          0x8e (142)                  PowerPC format, log format 14 (platform event)',
      '0x0003     9  RTAS v6 header.reserved    00 00 00 00 00 00 00 00 00',
      "0x000c     4  RTAS v6 header.company id  0x49424d00                  'IBM\\0'",
    ].join('\n'),
  );
});

test('annotate() covers every byte of the 72-byte RTAS log, and a meaning can read another field', () => {
  const log = hexToBytes(
    '0000000000001122 06741000 00000038 86008e000000000000000000 49424d00 ' +
      '4d430028 01 00 0000 00000000 00000000 00 44 000000000000 00007fff12340000 0000000000000000',
  );
  const { rows, error } = annotate(log, readRtasErrorLog, { meanings: rtasErrorLogMeanings });
  assert.equal(error, undefined);
  assert.equal(rows.length, 20);
  assert.equal(
    rows.reduce((n, r) => n + r.size, 0),
    72,
  );
  const sub = rows.find((r) => r.field === 'sub error type');
  assert.equal(sub?.meaning, 'page-table-walk load/store, EA provided');
  assert.equal(rows.find((r) => r.field === 'effective address')?.valueText, '0x00007fff12340000');
});

test('annotate() keeps the rows read before a CodecError and returns the error', () => {
  const read = (r: ByteReader) => [r.u8('a'), r.u32be('b')];
  const { rows, value, error } = annotate(hexToBytes('07 00 01'), read, { structure: 'toy' });
  assert.equal(value, undefined);
  assert.ok(error instanceof CodecError);
  assert.equal(error.code, 'truncated');
  assert.equal(error.field, 'b');
  assert.equal(error.offset, 1);
  assert.deepEqual(
    rows.map((r) => [r.offset, r.size, r.field]),
    [
      [0, 1, 'a'],
      [1, 2, '(not decoded)'],
    ],
  );
});

test('annotate() marks skipped and trailing bytes as (not decoded)', () => {
  const read = (r: ByteReader) => {
    const a = r.u8('a');
    r.skip(2, 'gap');
    return a + r.u16be('b');
  };
  const { rows, value } = annotate(hexToBytes('01 ff ff 00 02 aa'), read, { structure: 'toy' });
  assert.equal(value, 3);
  assert.deepEqual(
    rows.map((r) => [r.offset, r.size, r.structure, r.field]),
    [
      [0, 1, 'toy', 'a'],
      [1, 2, 'toy', '(not decoded)'],
      [3, 2, 'toy', 'b'],
      [5, 1, 'toy', '(not decoded)'],
    ],
  );
});

test('annotate() lets errors other than CodecError through', () => {
  assert.throws(
    () =>
      annotate(V6, () => {
        throw new TypeError('bug');
      }),
    TypeError,
  );
});

test('formatValue() abbreviates long byte strings and quotes ASCII with escapes', () => {
  assert.equal(
    formatValue(new Uint8Array(20).fill(0xab), 20),
    'ab ab ab ab ab ab ab ab ab ab ab ab ab ab ab ab … (20 bytes)',
  );
  assert.equal(formatValue('HEST', 4), '"HEST"');
  assert.equal(formatValue('IBM\0', 4), '"IBM\\x00"');
  assert.equal(
    formatValue('a5bc1114-6f64-4ede-b863-3e83ed7c83b1', 16),
    'a5bc1114-6f64-4ede-b863-3e83ed7c83b1',
  );
  assert.equal(formatValue(0x1234n, 8), '0x0000000000001234');
  assert.equal(formatValue(5, 2), '0x0005');
  assert.equal(formatValue(new Uint8Array(0), 0), '(empty)');
});

test('rowsFromTrace() orders rows by offset and looks up Structure.field before field', () => {
  const rows = rowsFromTrace(
    [
      { offset: 2, size: 1, structure: 'S', field: 'x', value: 1 },
      { offset: 0, size: 2, structure: 'S', field: 'y', value: 2 },
    ],
    { meanings: { x: () => 'bare', 'S.x': () => 'qualified', y: () => undefined } },
  );
  assert.deepEqual(
    rows.map((r) => [r.field, r.meaning]),
    [
      ['y', ''],
      ['x', 'qualified'],
    ],
  );
  assert.equal(formatTable(rows, { qualify: false }).split('\n')[2], '0x0000     2  y      0x0002');
});
