import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { readShared } from '../../test/support/shared.js';
import { decodeCperRecord } from './cper-record.js';
import { CodecError } from './errors.js';
import { encodeGhesStatusBlock } from './generic-error-status.js';
import {
  decodeSectionWithDescriptor,
  encodeSectionWithDescriptor,
  sectionDescriptorShape,
  sectionWithDescriptorToStatusBlock,
} from './section-with-descriptor.js';
import './sections/index.js';

/** libcper's generator record (reference/libcper-corpus): its first descriptor and body. */
function fromRecord(name: string): { blob: Uint8Array; record: Uint8Array } {
  const record = readShared('reference', 'libcper-corpus', name);
  const v = new DataView(record.buffer, record.byteOffset, record.byteLength);
  const offset = v.getUint32(128, true);
  const length = v.getUint32(132, true);
  const blob = new Uint8Array(72 + length);
  blob.set(record.subarray(128, 200));
  new DataView(blob.buffer).setUint32(0, 72, true);
  blob.set(record.subarray(offset, offset + length), 72);
  return { blob, record };
}

test('decodeSectionWithDescriptor() reads the descriptor and the body the record carries', () => {
  for (const name of ['05-memory-s1.cper', '03-arm-s2.cper', '07-pcie-s1.cper']) {
    const { blob, record } = fromRecord(name);
    const s = decodeSectionWithDescriptor(blob);
    const inRecord = decodeCperRecord(record).sections[0]!;
    assert.equal(s.sectionType, inRecord.sectionType);
    assert.equal(s.sectionSeverity, inRecord.sectionSeverity);
    assert.equal(s.fruId, inRecord.fruId);
    assert.deepEqual(s.body, inRecord.body);
    assert.deepEqual(encodeSectionWithDescriptor(s), blob, `${name} round trip`);
  }
});

test('sectionWithDescriptorToStatusBlock() carries the section as one entry', () => {
  const { blob } = fromRecord('05-memory-s1.cper');
  const block = sectionWithDescriptorToStatusBlock(decodeSectionWithDescriptor(blob));
  assert.equal(block.entries.length, 1);
  assert.equal(block.entries[0]!.sectionType, 'a5bc1114-6f64-4ede-b863-3e83ed7c83b1');
  assert.ok(encodeGhesStatusBlock(block).length > 20);
});

test('decodeSectionWithDescriptor() refuses a section length past the input, naming the field', () => {
  const { blob } = fromRecord('05-memory-s1.cper');
  const cut = blob.subarray(0, blob.length - 1);
  assert.throws(
    () => decodeSectionWithDescriptor(cut),
    (e: unknown) => e instanceof CodecError && e.field === 'section length' && e.offset === 4,
  );
  assert.throws(
    () => decodeSectionWithDescriptor(blob.subarray(0, 40)),
    (e: unknown) => e instanceof CodecError && e.code === 'truncated',
  );
  assert.equal(sectionDescriptorShape(cut).ok, false);
});

test('encode then decode gives the same value over any body bytes of an unknown type', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 64 }),
      fc.integer({ min: 0, max: 3 }),
      fc.integer({ min: 0, max: 0xffffffff }),
      (bytes, severity, flags) => {
        const value = {
          sectionOffset: 72,
          revision: 0x0300,
          validationBits: 0,
          reserved: 0,
          flags,
          sectionType: '01234567-89ab-cdef-0123-456789abcdef',
          fruId: '00000000-0000-0000-0000-000000000000',
          sectionSeverity: severity,
          fruText: new Uint8Array(20),
          body: { kind: 'opaque' as const, bytes, reason: 'unknown section type' },
        };
        const enc = encodeSectionWithDescriptor(value);
        assert.equal(enc.length, 72 + bytes.length);
        assert.deepEqual(encodeSectionWithDescriptor(decodeSectionWithDescriptor(enc)), enc);
      },
    ),
    { numRuns: 200 },
  );
});
