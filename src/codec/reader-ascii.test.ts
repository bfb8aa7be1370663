import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ByteReader } from './reader.js';

// ascii() reads each byte as the character with that code (latin1), whatever the length.
describe('ByteReader.ascii', () => {
  it('gives one character per byte, with that code, for any bytes, offset and length', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 9000 }), fc.nat(), fc.nat(), (bytes, a, b) => {
        const start = bytes.length === 0 ? 0 : a % (bytes.length + 1);
        const length = (bytes.length - start === 0 ? 0 : b % (bytes.length - start + 1)) | 0;
        const r = new ByteReader(bytes, 'test');
        r.skip(start, 'lead');
        const s = r.ascii(length, 'text');
        assert.equal(s.length, length);
        for (let i = 0; i < length; i++) assert.equal(s.charCodeAt(i), bytes[start + i]);
      }),
      { numRuns: 300, seed: 3 },
    );
  });
});
