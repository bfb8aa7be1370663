import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { CodecError } from './errors.js';
import { ByteWriter } from './writer.js';

function rejects(f: () => void, message: RegExp, offset: number, field: string): void {
  assert.throws(
    f,
    (e: unknown) =>
      e instanceof CodecError &&
      e.code === 'out-of-range' &&
      e.offset === offset &&
      e.field === field &&
      message.test(e.message),
  );
}

test('ByteWriter says a field is missing when its value is undefined', () => {
  const w = new ByteWriter('GHES');
  w.u32(1, 'blockStatus');
  rejects(
    () => w.u16(undefined as never, 'reserved1'),
    /^Cannot encode GHES: reserved1 is missing at offset 0x4$/,
    4,
    'reserved1',
  );
  rejects(() => w.u64(null as never, 'address'), /address is missing at offset 0x4$/, 4, 'address');
});

test('ByteWriter asks for a bigint (a "0x…" string in JSON) when a u64 is given as a number', () => {
  const w = new ByteWriter('memory section');
  rejects(
    () => w.u64(1073745920 as never, 'physical address'),
    /^Cannot encode memory section: physical address must be a bigint \(in JSON a "0x…" string\), got number 1073745920 at offset 0x0$/,
    0,
    'physical address',
  );
});

test('ByteWriter asks for a number when a u8–u32 is given another type', () => {
  const w = new ByteWriter('x');
  rejects(
    () => w.u32(5n as never, 'length'),
    /length must be a number, got bigint "0x5"/,
    0,
    'length',
  );
  rejects(() => w.u8('7' as never, 'type'), /type must be a number, got string "7"/, 0, 'type');
});

test('ByteWriter still says a value of the right type does not fit', () => {
  const w = new ByteWriter('x');
  rejects(
    () => w.u8(256, 'type'),
    /^Cannot encode x: type = 256 does not fit \(0\.\.255\) at offset 0x0$/,
    0,
    'type',
  );
  rejects(() => w.u8(1.5, 'type'), /type = 1\.5 does not fit/, 0, 'type');
  rejects(() => w.u64(-1n, 'a'), /a = -1 does not fit \(0\.\.18446744073709551615\)/, 0, 'a');
});

test('ByteWriter stores every integer width in both byte orders as DataView does, patches included', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 0xffff }),
      fc.integer({ min: 0, max: 0xffff_ffff }),
      fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
      fc.integer({ min: 0, max: 0xffff }),
      fc.integer({ min: 0, max: 0xffff_ffff }),
      fc.integer({ min: 0, max: 40 }),
      (a16, a32, a64, p16, p32, pad) => {
        // A small initial capacity so the writes also cross a buffer growth.
        const w = new ByteWriter('x', 1);
        w.zeros(pad, 'pad');
        w.u16(a16, 'a').u32(a32, 'b').u64(a64, 'c').u16be(a16, 'd').u32be(a32, 'e');
        w.u64be(a64, 'f').u32(0, 'g').u16(0, 'h');
        w.patchU32(pad + 28, p32, 'g');
        w.patchU16(pad + 32, p16, 'h');
        const want = new DataView(new ArrayBuffer(pad + 34));
        want.setUint16(pad, a16, true);
        want.setUint32(pad + 2, a32, true);
        want.setBigUint64(pad + 6, a64, true);
        want.setUint16(pad + 14, a16, false);
        want.setUint32(pad + 16, a32, false);
        want.setBigUint64(pad + 20, a64, false);
        want.setUint32(pad + 28, p32, true);
        want.setUint16(pad + 32, p16, true);
        assert.deepEqual(w.toBytes(), new Uint8Array(want.buffer));
      },
    ),
    { numRuns: 300 },
  );
});

test('ByteWriter.reset() starts over at offset 0 and the next bytes replace the old ones', () => {
  const w = new ByteWriter('x', 4);
  w.u32(0xdeadbeef, 'a').u32(0x01020304, 'b');
  w.reset();
  assert.equal(w.offset, 0);
  w.u16(0x0a0b, 'c');
  assert.deepEqual(w.toBytes(), Uint8Array.of(0x0b, 0x0a));
});
