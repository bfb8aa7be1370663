import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { layoutArbitrary } from '../../../test/support/layout-arbitrary.js';
import { corpusSections } from '../../../test/support/libcper-corpus.js';
import { CodecError, CodecErrorCode } from '../errors.js';
import {
  DMAR_GENERIC_LAYOUT,
  DMAR_GENERIC_SECTION_GUID,
  DMAR_GENERIC_SECTION_SIZE,
  decodeDmarGenericErrorSection,
  encodeDmarGenericErrorSection,
} from './dmar-generic.js';
import { decodeSection } from './opaque.js';

describe('DmarGeneric section', () => {
  test('the structure is 32 bytes', () => {
    assert.equal(DMAR_GENERIC_SECTION_SIZE, 32);
  });

  test('libcper corpus bodies decode to the values libcper printed and encode back exactly', () => {
    const sections = corpusSections(DMAR_GENERIC_SECTION_GUID);
    assert.ok(sections.length >= 4);
    for (const c of sections) {
      const s = decodeDmarGenericErrorSection(c.body);
      const j = c.section.GenericDmar;
      // libcper prints u64 as JSON numbers: compare after the same rounding to a double.
      assert.equal(Number(s.deviceAddress), j.deviceAddress);
      assert.equal(Number(s.requesterId), j.requesterID);
      assert.deepEqual(encodeDmarGenericErrorSection(s), c.body);
      assert.equal(decodeSection(DMAR_GENERIC_SECTION_GUID, c.body).kind, 'dmar-generic');
    }
  });

  test('decode → encode is exact over full field ranges, trailing bytes kept', () => {
    fc.assert(
      fc.property(
        layoutArbitrary(DMAR_GENERIC_LAYOUT),
        fc.uint8Array({ maxLength: 9 }),
        (fields, tail) => {
          const s = {
            kind: 'dmar-generic' as const,
            ...fields,
            ...(tail.length > 0 ? { trailing: tail } : {}),
          };
          assert.deepEqual(decodeDmarGenericErrorSection(encodeDmarGenericErrorSection(s)), s);
        },
      ),
    );
  });

  test('a short body is a Truncated CodecError at offset 0', () => {
    assert.throws(
      () => decodeDmarGenericErrorSection(new Uint8Array(32 - 1)),
      (e: unknown) =>
        e instanceof CodecError && e.code === CodecErrorCode.Truncated && e.offset === 0,
    );
  });
});
