import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { bytes, guid, u8, u16, u32, u64 } from '../../../test/support/layout-arbitrary.js';
import { corpusSections } from '../../../test/support/libcper-corpus.js';
import { CodecError, CodecErrorCode } from '../errors.js';
import {
  ARM_RAS_NODE_SIZE,
  ARM_RAS_SECTION_GUID,
  type ArmRasSection,
  decodeArmRasSection,
  encodeArmRasSection,
} from './arm-ras.js';
import { decodeSection } from './opaque.js';

const hex = (v: bigint) => `0x${v.toString(16).toUpperCase().padStart(16, '0')}`;

describe('Arm RAS node section', () => {
  test('the node is 80 bytes (DEN0085)', () => {
    assert.equal(ARM_RAS_NODE_SIZE, 80);
  });

  test('libcper corpus bodies decode to the values libcper printed and encode back exactly', () => {
    const sections = corpusSections(ARM_RAS_SECTION_GUID);
    assert.ok(sections.length >= 4);
    for (const c of sections) {
      const s = decodeArmRasSection(c.body);
      const j = c.section.ArmRas;
      assert.equal(s.revision, j.revision);
      assert.equal(s.componentType, j.componentType.raw);
      assert.equal(s.errorSyndromes.length, j.errorSyndromeArrayNumEntries);
      assert.equal(s.ipInstanceFormat, j.ipInstanceFormat.raw);
      s.errorSyndromes.forEach((e, i) => {
        const je = j.errorSyndromes[i];
        assert.equal(e.errorRecordIndex, je.errorRecordIndex);
        assert.equal(e.rasExtensionRevision >> 4, je.rasExtensionRevisionField);
        assert.equal(hex(e.errStatus), je.errorRecordPrimaryStatusRegister);
      });
      const aux = s.auxData!;
      assert.equal(aux.version, j.auxData.version);
      assert.equal(aux.contexts.length, j.auxData.contexts.length);
      aux.contexts.forEach((ctx, i) => {
        assert.deepEqual(
          ctx.registers.map((r) => [hex(r.address), hex(r.value)]),
          // biome-ignore lint/suspicious/noExplicitAny: libcper's JSON
          j.auxData.contexts[i].registers.map((r: any) => [r.address, r.value]),
        );
      });
      assert.deepEqual(
        aux.keyValuePairs.map((k) => k.key),
        // biome-ignore lint/suspicious/noExplicitAny: libcper's JSON
        j.auxData.keyValuePairs.map((k: any) => k.key),
      );
      assert.deepEqual(encodeArmRasSection(s), c.body);
      assert.equal(decodeSection(ARM_RAS_SECTION_GUID, c.body).kind, 'arm-ras');
    }
  });

  const record = fc.record(
    {
      errorRecordIndex: u32,
      rasExtensionRevision: u8,
      reserved: bytes(3),
      errFr: u64,
      errCtlr: u64,
      errStatus: u64,
      errAddr: u64,
      errMisc0: u64,
      errMisc1: u64,
      errMisc2: u64,
      errMisc3: u64,
    },
    { noNullPrototype: true },
  );
  const reg = fc.record({ address: u64, value: u64 }, { noNullPrototype: true });
  const context = fc
    .tuple(u16, u64, fc.array(reg, { maxLength: 3 }), fc.uint8Array({ maxLength: 5 }))
    .map(([flags, addressSpaceIdentifier, registers, extra]) => ({
      flags,
      addressSpaceIdentifier,
      registers,
      ...(extra.length > 0 ? { extra } : {}),
    }));
  const aux = fc
    .tuple(
      u16,
      fc.array(context, { maxLength: 3 }),
      fc.uint8Array({ maxLength: 4 }),
      fc.array(fc.record({ key: guid, value: u64 }, { noNullPrototype: true }), { maxLength: 3 }),
      fc.uint8Array({ maxLength: 4 }),
    )
    .map(([version, contexts, gap, keyValuePairs, tail]) => ({
      version,
      contexts,
      ...(gap.length > 0 ? { gapBeforePairs: gap } : {}),
      keyValuePairs,
      ...(tail.length > 0 ? { auxTrailing: tail } : {}),
    }));
  const section = fc
    .tuple(
      fc.record(
        {
          revision: u32,
          componentType: u32,
          reserved: u16,
          ipInstanceFormat: u8,
          ipTypeFormat: u8,
          reserved2: bytes(6),
          ipInstance: bytes(16),
          ipType: bytes(24),
          userData: bytes(16),
          errorSyndromes: fc.array(record, { maxLength: 3 }),
        },
        { noNullPrototype: true },
      ),
      fc.option(aux, { nil: undefined }),
      fc.uint8Array({ maxLength: 4 }),
      fc.uint8Array({ maxLength: 4 }),
    )
    .map(
      ([f, a, gap, tail]): ArmRasSection => ({
        kind: 'arm-ras',
        ...f,
        ...(a !== undefined && gap.length > 0 ? { gapBeforeAux: gap } : {}),
        ...(a !== undefined ? { auxData: a } : {}),
        ...(tail.length > 0 && a === undefined ? { trailing: tail } : {}),
      }),
    );

  test('decode → encode is exact over full field ranges', () => {
    fc.assert(
      fc.property(section, (s) => {
        assert.deepEqual(decodeArmRasSection(encodeArmRasSection(s)), s);
      }),
    );
  });

  test('a syndrome array not right after the node is refused at its offset field (0xc)', () => {
    const b = encodeArmRasSection(
      decodeArmRasSection(corpusSections(ARM_RAS_SECTION_GUID)[0]!.body),
    );
    const bad = b.slice();
    bad[12] = 0x58;
    assert.throws(
      () => decodeArmRasSection(bad),
      (e: unknown) =>
        e instanceof CodecError && e.code === CodecErrorCode.LengthMismatch && e.offset === 12,
    );
  });

  test('a declared syndrome offset with no syndromes is kept and encodes back exactly', () => {
    const b = new Uint8Array(80);
    b[0] = 1;
    const s = decodeArmRasSection(b);
    assert.equal(s.emptySyndromeArrayOffset, 0);
    assert.deepEqual(encodeArmRasSection(s), b);
  });

  test('an auxiliary data size past the section is a LengthMismatch at the size field', () => {
    const c = corpusSections(ARM_RAS_SECTION_GUID)[0]!;
    const bad = c.body.slice();
    const auxAt = bad[14]! | (bad[15]! << 8);
    bad[auxAt + 4] = 0xff;
    bad[auxAt + 5] = 0xff;
    assert.throws(
      () => decodeArmRasSection(bad),
      (e: unknown) =>
        e instanceof CodecError &&
        e.code === CodecErrorCode.LengthMismatch &&
        e.offset === auxAt + 4,
    );
  });
});
