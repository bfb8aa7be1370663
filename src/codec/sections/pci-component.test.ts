import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { layoutArbitrary, u64 } from '../../../test/support/layout-arbitrary.js';
import { corpusSections } from '../../../test/support/libcper-corpus.js';
import { CodecError, CodecErrorCode } from '../errors.js';
import {
  decodePciComponentErrorSection,
  encodePciComponentErrorSection,
  PCI_COMPONENT_HEADER_SIZE,
  PCI_COMPONENT_LAYOUT,
  PCI_COMPONENT_SECTION_GUID,
  type PciComponentErrorSection,
} from './pci-component.js';

describe('PCI/PCI-X Component Error section', () => {
  test('the header is 40 bytes (UEFI N.2.9)', () => {
    assert.equal(PCI_COMPONENT_HEADER_SIZE, 40);
  });

  test('libcper corpus bodies decode to the values libcper printed and encode back exactly', () => {
    const sections = corpusSections(PCI_COMPONENT_SECTION_GUID);
    assert.ok(sections.length >= 4);
    for (const c of sections) {
      const s = decodePciComponentErrorSection(c.body);
      const j = c.section.PciComponent;
      if (j.memoryNumber !== undefined) assert.equal(s.memoryNumber, j.memoryNumber);
      if (j.ioNumber !== undefined) assert.equal(s.ioNumber, j.ioNumber);
      if (j.idInfo !== undefined) assert.equal(s.vendorId, j.idInfo.vendorID);
      assert.equal(s.registerPairs.length, s.memoryNumber + s.ioNumber);
      assert.deepEqual(encodePciComponentErrorSection(s), c.body);
    }
  });

  test('decode → encode is exact over full field ranges', () => {
    const arb = fc
      .tuple(
        layoutArbitrary(PCI_COMPONENT_LAYOUT),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 3 }),
        fc.array(fc.record({ address: u64, value: u64 }, { noNullPrototype: true }), {
          minLength: 6,
          maxLength: 6,
        }),
      )
      .map(
        ([f, m, io, pairs]): PciComponentErrorSection => ({
          kind: 'pci-component',
          ...f,
          memoryNumber: m,
          ioNumber: io,
          registerPairs: pairs.slice(0, m + io),
        }),
      );
    fc.assert(
      fc.property(arb, (s) => {
        assert.deepEqual(decodePciComponentErrorSection(encodePciComponentErrorSection(s)), s);
      }),
    );
  });

  test('counts larger than the body are a LengthMismatch at the first pair (offset 0x28)', () => {
    const b = new Uint8Array(56);
    b[32] = 2; // memory number 2: 32 bytes of pairs, 16 remain
    assert.throws(
      () => decodePciComponentErrorSection(b),
      (e: unknown) =>
        e instanceof CodecError &&
        e.code === CodecErrorCode.LengthMismatch &&
        e.offset === 0x28 &&
        e.field === 'register data pairs',
    );
  });

  test('encoding a pair list that disagrees with the counts is a LengthMismatch', () => {
    const s = decodePciComponentErrorSection(new Uint8Array(40));
    assert.throws(
      () => encodePciComponentErrorSection({ ...s, memoryNumber: 1 }),
      (e: unknown) => e instanceof CodecError && e.code === CodecErrorCode.LengthMismatch,
    );
  });
});
