import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { acpiChecksum, byteSum } from './checksum.js';
import { CodecError } from './errors.js';
import { base64ToBytes, bytesToBase64, bytesToHex, hexToBytes, parseUnsignedText } from './hex.js';
import { fromJson, toJson } from './json.js';

test('hexToBytes() ignores spacing and 0x, and rejects odd or non-hex input with its offset', () => {
  assert.deepEqual([...hexToBytes('0x01 02:0a,FF')], [1, 2, 10, 255]);
  assert.throws(
    () => hexToBytes('0g'),
    (e: unknown) => e instanceof CodecError && e.offset === 1,
  );
  assert.throws(() => hexToBytes('abc'), CodecError);
});

test('base64 round-trips any bytes and rejects characters outside the alphabet', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      assert.deepEqual(base64ToBytes(bytesToBase64(bytes)), bytes);
      assert.deepEqual(hexToBytes(bytesToHex(bytes)), bytes);
    }),
  );
  assert.throws(() => base64ToBytes('!!!!'), CodecError);
});

test('acpiChecksum() makes the table sum to zero', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 10, maxLength: 64 }), (bytes) => {
      bytes[9] = acpiChecksum(bytes, 9);
      assert.equal(byteSum(bytes), 0);
    }),
  );
});

test('toJson()/fromJson() keep 64-bit values and bytes exact', () => {
  const value = { pa: (1n << 63n) + 1n, small: 7, raw: new Uint8Array([0, 255]) };
  const text = toJson('example', value);
  assert.match(text, /"0x8000000000000001"/);
  assert.match(text, /"hex:00ff"/);
  const back = fromJson<typeof value>(text, 'example').value;
  assert.equal(back.pa, value.pa);
  assert.deepEqual(back.raw, value.raw);
  assert.throws(() => fromJson(text, 'other'), CodecError);
});

test('parseUnsignedText() reads decimal and 0x hex, with space and _ separators', () => {
  assert.equal(parseUnsignedText('--seq', '42', 32), 42n);
  assert.equal(parseUnsignedText('--seq', ' 0xFF_FF ', 32), 0xffffn);
  assert.equal(parseUnsignedText('--seq', '0xffffffff', 32), 0xffffffffn);
  assert.equal(parseUnsignedText('-e', '0xffffffffffffffff', 64), (1n << 64n) - 1n);
});

test('parseUnsignedText() reads 0b binary only when asked', () => {
  assert.equal(parseUnsignedText('--iss', '0b101', 25, true), 5n);
  assert.equal(
    parseUnsignedText('--iss', '0b101', 25),
    '--iss must be a decimal or 0x hex number (at most 25 bits), got "0b101"',
  );
});

test('parseUnsignedText() names the option, the forms and the width for bad or too-wide text', () => {
  assert.equal(
    parseUnsignedText('--seq', '-1', 32),
    '--seq must be a decimal or 0x hex number (at most 32 bits), got "-1"',
  );
  assert.equal(
    parseUnsignedText('--seq', '0x100000000', 32),
    '--seq must be a decimal or 0x hex number (at most 32 bits), got "0x100000000"',
  );
  assert.equal(
    parseUnsignedText('ESR value', 'zz', 64, true),
    'ESR value must be a decimal, 0x hex or 0b binary number (at most 64 bits), got "zz"',
  );
  assert.equal(typeof parseUnsignedText('x', '', 8), 'string');
});
