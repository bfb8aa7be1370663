import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { layoutArbitrary } from '../../../test/support/layout-arbitrary.js';
import { corpusSections } from '../../../test/support/libcper-corpus.js';
import { CodecError, CodecErrorCode } from '../errors.js';
import { decodeSection } from './opaque.js';
import {
  decodePciBusErrorSection,
  encodePciBusErrorSection,
  PCI_BUS_LAYOUT,
  PCI_BUS_SECTION_GUID,
  PCI_BUS_SECTION_SIZE,
} from './pci-bus.js';

describe('PCI/PCI-X Bus Error section', () => {
  test('the structure is 72 bytes (UEFI N.2.8)', () => {
    assert.equal(PCI_BUS_SECTION_SIZE, 72);
  });

  test('libcper corpus bodies decode to the values libcper printed and encode back exactly', () => {
    const sections = corpusSections(PCI_BUS_SECTION_GUID);
    assert.ok(sections.length >= 4);
    for (const c of sections) {
      const s = decodePciBusErrorSection(c.body);
      const j = c.section.PciBus;
      if (j.errorStatus !== undefined) {
        assert.equal(Number((s.errorStatus >> 8n) & 0xffn), j.errorStatus.errorType.value);
      }
      // libcper prints u64 as JSON numbers: compare after the same rounding to a double.
      if (j.targetID !== undefined) assert.equal(Number(s.targetId), j.targetID);
      if (j.busId !== undefined) assert.equal(s.busId & 0xff, j.busId.busNumber);
      assert.deepEqual(encodePciBusErrorSection(s), c.body);
      assert.equal(decodeSection(PCI_BUS_SECTION_GUID, c.body).kind, 'pci-bus');
    }
  });

  test('decode → encode is exact over full field ranges', () => {
    fc.assert(
      fc.property(layoutArbitrary(PCI_BUS_LAYOUT), (fields) => {
        const s = { kind: 'pci-bus' as const, ...fields };
        assert.deepEqual(decodePciBusErrorSection(encodePciBusErrorSection(s)), s);
      }),
    );
  });

  test('a short body is a Truncated CodecError at offset 0', () => {
    assert.throws(
      () => decodePciBusErrorSection(new Uint8Array(71)),
      (e: unknown) =>
        e instanceof CodecError && e.code === CodecErrorCode.Truncated && e.offset === 0,
    );
  });
});
