import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { layoutArbitrary } from '../../../test/support/layout-arbitrary.js';
import { corpusSections } from '../../../test/support/libcper-corpus.js';
import { CodecError, CodecErrorCode } from '../errors.js';
import {
  AMPERE_LAYOUT,
  AMPERE_SECTION_GUID,
  AMPERE_SECTION_SIZE,
  decodeAmpereErrorSection,
  encodeAmpereErrorSection,
} from './ampere.js';
import { decodeSection } from './opaque.js';

describe('Ampere section', () => {
  test('the structure is 8 bytes', () => {
    assert.equal(AMPERE_SECTION_SIZE, 8);
  });

  test('libcper corpus bodies decode to the values libcper printed and encode back exactly', () => {
    const sections = corpusSections(AMPERE_SECTION_GUID);
    assert.ok(sections.length >= 4);
    for (const c of sections) {
      const s = decodeAmpereErrorSection(c.body);
      const j = c.section.Ampere;
      // libcper prints u64 as JSON numbers: compare after the same rounding to a double.
      assert.equal(Number(s.typeId), j.typeId);
      assert.equal(Number(s.instanceId), j.instanceId);
      assert.deepEqual(encodeAmpereErrorSection(s), c.body);
      assert.equal(decodeSection(AMPERE_SECTION_GUID, c.body).kind, 'ampere');
    }
  });

  test('decode → encode is exact over full field ranges, trailing bytes kept', () => {
    fc.assert(
      fc.property(
        layoutArbitrary(AMPERE_LAYOUT),
        fc.uint8Array({ maxLength: 9 }),
        (fields, tail) => {
          const s = {
            kind: 'ampere' as const,
            ...fields,
            ...(tail.length > 0 ? { trailing: tail } : {}),
          };
          assert.deepEqual(decodeAmpereErrorSection(encodeAmpereErrorSection(s)), s);
        },
      ),
    );
  });

  test('a short body is a Truncated CodecError at offset 0', () => {
    assert.throws(
      () => decodeAmpereErrorSection(new Uint8Array(8 - 1)),
      (e: unknown) =>
        e instanceof CodecError && e.code === CodecErrorCode.Truncated && e.offset === 0,
    );
  });
});
