import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { guidBytes, guidFromBytes, parseGuid } from './guid.js';

// formats.md §1: the Platform Memory section GUID and its wire bytes.
const MEMORY = 'a5bc1114-6f64-4ede-b863-3e83ed7c83b1';
const MEMORY_WIRE = [
  0x14, 0x11, 0xbc, 0xa5, 0x64, 0x6f, 0xde, 0x4e, 0xb8, 0x63, 0x3e, 0x83, 0xed, 0x7c, 0x83, 0xb1,
];

test('guidBytes() stores the first three fields little-endian (UEFI mixed-endian)', () => {
  assert.deepEqual([...guidBytes(MEMORY)], MEMORY_WIRE);
});

test('guidFromBytes() reads the wire form back as lower-case text', () => {
  assert.equal(guidFromBytes(new Uint8Array(MEMORY_WIRE), 0), MEMORY);
});

test('parseGuid() accepts upper case and braces and rejects malformed text', () => {
  assert.equal(parseGuid('{A5BC1114-6F64-4EDE-B863-3E83ED7C83B1}'), MEMORY);
  assert.throws(() => parseGuid('a5bc1114-6f64-4ede-b863'), RangeError);
});

test('GUID bytes round-trip for any 16 bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
      assert.deepEqual(guidBytes(guidFromBytes(bytes, 0)), bytes);
    }),
  );
});

test('guidBytes() takes upper case and refuses anything that is not a GUID', () => {
  assert.deepEqual(guidBytes(MEMORY.toUpperCase()), guidBytes(MEMORY));
  for (const bad of [
    'a5bc1114-6f64-4ede-b863-3e83ed7c83bg',
    'a5bc11146f64-4ede-b863-3e83ed7c83b1x',
    '',
    'a5bc1114-6f64-4ede-b863-3e83ed7c83b',
  ]) {
    assert.throws(() => guidBytes(bad), RangeError, bad);
  }
});
