import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { CodecError } from './errors.js';
import { ByteReader, type FieldTrace } from './reader.js';
import { ByteWriter } from './writer.js';

test('ByteReader reads little- and big-endian integers', () => {
  const r = new ByteReader(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]), 'x');
  assert.equal(r.u16('a'), 0x0201);
  assert.equal(r.u32be('b'), 0x03040506);
  assert.equal(r.u64('c'), 0x0e0d0c0b0a090807n);
  assert.equal(r.remaining, 0);
});

test('ByteReader throws a truncated CodecError with field and offset', () => {
  const r = new ByteReader(new Uint8Array(6), 'GHES status block');
  r.u32('block status');
  assert.throws(
    () => r.u32('raw data offset'),
    (e: unknown) =>
      e instanceof CodecError &&
      e.code === 'truncated' &&
      e.field === 'raw data offset' &&
      e.offset === 4 &&
      /needs 4 bytes at offset 0x4, 2 remain/.test(e.message),
  );
});

test('ByteReader.sub() keeps absolute offsets in errors', () => {
  const r = new ByteReader(new Uint8Array(10), 'outer');
  r.skip(4, 'head');
  const inner = r.sub(4, 'inner');
  inner.u16('x');
  assert.throws(
    () => inner.u32('y'),
    (e: unknown) => e instanceof CodecError && e.offset === 6,
  );
});

test('ByteReader.bytesCopy() refuses a length larger than what remains before allocating', () => {
  const r = new ByteReader(new Uint8Array(4), 'x');
  assert.throws(() => r.bytesCopy(0xffffffff, 'raw data'), CodecError);
});

test('ByteReader traces every field when asked', () => {
  const trace: FieldTrace[] = [];
  const r = new ByteReader(new Uint8Array([1, 0, 2, 0, 0, 0]), 'x', 0, 6, trace);
  r.u16('a');
  r.u32('b');
  assert.deepEqual(
    trace.map((t) => [t.offset, t.size, t.field, t.value]),
    [
      [0, 2, 'a', 1],
      [2, 4, 'b', 2],
    ],
  );
});

test('ByteWriter range-checks every field', () => {
  const w = new ByteWriter('x');
  assert.throws(
    () => w.u8(256, 'f'),
    (e: unknown) => e instanceof CodecError && e.code === 'out-of-range',
  );
  assert.throws(() => w.u16(-1, 'f'), CodecError);
  assert.throws(() => w.u32(1.5, 'f'), CodecError);
  assert.throws(() => w.u64(1n << 64n, 'f'), CodecError);
  assert.throws(() => w.bytes(new Uint8Array(3), 'f', 4), CodecError);
});

test('ByteWriter output reads back identically for any values', () => {
  fc.assert(
    fc.property(
      fc.nat(0xff),
      fc.nat(0xffff),
      fc.nat(0xffffffff),
      fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
      (a, b, c, d) => {
        const w = new ByteWriter('x', 1);
        w.u8(a, 'a').u16(b, 'b').u32(c, 'c').u64(d, 'd').u32be(c, 'e').u64be(d, 'f');
        const r = new ByteReader(w.toBytes(), 'x');
        assert.deepEqual(
          [r.u8('a'), r.u16('b'), r.u32('c'), r.u64('d'), r.u32be('e'), r.u64be('f')],
          [a, b, c, d, c, d],
        );
      },
    ),
  );
});

test('ByteReader.expectEnd() passes at the end and throws length-mismatch where bytes remain', () => {
  const r = new ByteReader(new Uint8Array(6), 'thing');
  r.u32('a');
  assert.throws(
    () => r.expectEnd(),
    (e) =>
      e instanceof CodecError &&
      e.code === 'length-mismatch' &&
      e.structure === 'thing' &&
      e.field === 'bytes' &&
      e.offset === 4 &&
      e.message === 'Cannot decode thing: bytes 2 left over after the structure at offset 0x4',
  );
  r.u16('b');
  r.expectEnd();
  assert.equal(r.remaining, 0);
});
