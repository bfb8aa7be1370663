import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { layoutArbitrary } from '../../../test/support/layout-arbitrary.js';
import { corpusSections } from '../../../test/support/libcper-corpus.js';
import { CodecError, CodecErrorCode } from '../errors.js';
import {
  DMAR_IOMMU_LAYOUT,
  DMAR_IOMMU_SECTION_GUID,
  DMAR_IOMMU_SECTION_SIZE,
  decodeDmarIommuErrorSection,
  encodeDmarIommuErrorSection,
} from './dmar-iommu.js';
import { decodeSection } from './opaque.js';

describe('DmarIommu section', () => {
  test('the structure is 144 bytes', () => {
    assert.equal(DMAR_IOMMU_SECTION_SIZE, 144);
  });

  test('libcper corpus bodies decode to the values libcper printed and encode back exactly', () => {
    const sections = corpusSections(DMAR_IOMMU_SECTION_GUID);
    assert.ok(sections.length >= 4);
    for (const c of sections) {
      const s = decodeDmarIommuErrorSection(c.body);
      const j = c.section.IommuDmar;
      // libcper prints u64 as JSON numbers: compare after the same rounding to a double.
      assert.equal(Number(s.control), j.controlRegister);
      assert.equal(Number(s.revision), j.revision);
      assert.deepEqual(encodeDmarIommuErrorSection(s), c.body);
      assert.equal(decodeSection(DMAR_IOMMU_SECTION_GUID, c.body).kind, 'dmar-iommu');
    }
  });

  test('decode → encode is exact over full field ranges, trailing bytes kept', () => {
    fc.assert(
      fc.property(
        layoutArbitrary(DMAR_IOMMU_LAYOUT),
        fc.uint8Array({ maxLength: 9 }),
        (fields, tail) => {
          const s = {
            kind: 'dmar-iommu' as const,
            ...fields,
            ...(tail.length > 0 ? { trailing: tail } : {}),
          };
          assert.deepEqual(decodeDmarIommuErrorSection(encodeDmarIommuErrorSection(s)), s);
        },
      ),
    );
  });

  test('a short body is a Truncated CodecError at offset 0', () => {
    assert.throws(
      () => decodeDmarIommuErrorSection(new Uint8Array(144 - 1)),
      (e: unknown) =>
        e instanceof CodecError && e.code === CodecErrorCode.Truncated && e.offset === 0,
    );
  });
});
