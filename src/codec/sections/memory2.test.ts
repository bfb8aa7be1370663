import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { CodecError, CodecErrorCode } from '../errors.js';
import { sectionCodecFor } from '../section.js';
import {
  decodeMemoryErrorSection2,
  encodeMemoryErrorSection2,
  MEMORY_ERROR_SECTION2_SIZE,
  MEMORY2_SECTION_GUID,
} from './memory2.js';

describe('Memory Error Section 2', () => {
  test('is 96 bytes, registered without a Linux name', () => {
    assert.equal(MEMORY_ERROR_SECTION2_SIZE, 96);
    const c = sectionCodecFor(MEMORY2_SECTION_GUID);
    assert.equal(c?.kind, 'memory2');
    assert.equal(c?.linuxName, undefined);
  });

  test('decodes fields at the offsets of EDK2 EFI_PLATFORM_MEMORY2_ERROR_DATA', () => {
    const b = new Uint8Array(96);
    const v = new DataView(b.buffer);
    v.setBigUint64(16, 0xabcdn, true);
    v.setUint32(40, 0x11223344, true); // device
    v.setUint32(52, 7, true); // rank
    b[60] = 1; // chip id
    b[61] = 3; // error type
    b[62] = 0x80; // status
    v.setUint32(92, 0x1100, true); // module handle
    const s = decodeMemoryErrorSection2(b);
    assert.equal(s.physicalAddress, 0xabcdn);
    assert.equal(s.device, 0x11223344);
    assert.equal(s.rank, 7);
    assert.equal(s.chipId, 1);
    assert.equal(s.errorType, 3);
    assert.equal(s.status, 0x80);
    assert.equal(s.moduleHandle, 0x1100);
    assert.deepEqual(encodeMemoryErrorSection2(s), b);
  });

  test('round-trips any 96..130-byte body', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 96, maxLength: 130 }), (bytes) => {
        assert.deepEqual(encodeMemoryErrorSection2(decodeMemoryErrorSection2(bytes)), bytes);
      }),
      { numRuns: 200 },
    );
  });

  test('decodeMemoryErrorSection2() throws truncated at offset 0 below 96 bytes', () => {
    assert.throws(
      () => decodeMemoryErrorSection2(new Uint8Array(95)),
      (e: unknown) =>
        e instanceof CodecError && e.code === CodecErrorCode.Truncated && e.offset === 0,
    );
  });
});
