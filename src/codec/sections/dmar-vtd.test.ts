import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { layoutArbitrary } from '../../../test/support/layout-arbitrary.js';
import { corpusSections } from '../../../test/support/libcper-corpus.js';
import { CodecError, CodecErrorCode } from '../errors.js';
import {
  DMAR_VTD_LAYOUT,
  DMAR_VTD_SECTION_GUID,
  DMAR_VTD_SECTION_SIZE,
  decodeDmarVtdErrorSection,
  encodeDmarVtdErrorSection,
} from './dmar-vtd.js';
import { decodeSection } from './opaque.js';

describe('DmarVtd section', () => {
  test('the structure is 144 bytes', () => {
    assert.equal(DMAR_VTD_SECTION_SIZE, 144);
  });

  test('libcper corpus bodies decode to the values libcper printed and encode back exactly', () => {
    const sections = corpusSections(DMAR_VTD_SECTION_GUID);
    assert.ok(sections.length >= 4);
    for (const c of sections) {
      const s = decodeDmarVtdErrorSection(c.body);
      const j = c.section.VtdDmar;
      // libcper prints u64 as JSON numbers: compare after the same rounding to a double.
      assert.equal(Number(s.capability), j.capabilityRegister);
      assert.equal(Number(s.globalStatus), j.globalStatusRegister);
      assert.deepEqual(encodeDmarVtdErrorSection(s), c.body);
      assert.equal(decodeSection(DMAR_VTD_SECTION_GUID, c.body).kind, 'dmar-vtd');
    }
  });

  test('decode → encode is exact over full field ranges, trailing bytes kept', () => {
    fc.assert(
      fc.property(
        layoutArbitrary(DMAR_VTD_LAYOUT),
        fc.uint8Array({ maxLength: 9 }),
        (fields, tail) => {
          const s = {
            kind: 'dmar-vtd' as const,
            ...fields,
            ...(tail.length > 0 ? { trailing: tail } : {}),
          };
          assert.deepEqual(decodeDmarVtdErrorSection(encodeDmarVtdErrorSection(s)), s);
        },
      ),
    );
  });

  test('a short body is a Truncated CodecError at offset 0', () => {
    assert.throws(
      () => decodeDmarVtdErrorSection(new Uint8Array(144 - 1)),
      (e: unknown) =>
        e instanceof CodecError && e.code === CodecErrorCode.Truncated && e.offset === 0,
    );
  });
});
