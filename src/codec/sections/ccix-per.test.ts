import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { u8, u16, u32, u64 } from '../../../test/support/layout-arbitrary.js';
import { corpusSections } from '../../../test/support/libcper-corpus.js';
import { CodecError, CodecErrorCode } from '../errors.js';
import {
  CCIX_PER_HEADER_SIZE,
  CCIX_PER_SECTION_GUID,
  decodeCcixPerErrorSection,
  encodeCcixPerErrorSection,
} from './ccix-per.js';

describe('CCIX PER Log Error section', () => {
  test('the header is 16 bytes (UEFI N.2.12)', () => {
    assert.equal(CCIX_PER_HEADER_SIZE, 16);
  });

  test('libcper corpus bodies decode to the values libcper printed and encode back exactly', () => {
    const sections = corpusSections(CCIX_PER_SECTION_GUID);
    assert.ok(sections.length >= 4);
    for (const c of sections) {
      const s = decodeCcixPerErrorSection(c.body);
      const j = c.section.CcixPer;
      assert.equal(s.length, j.length);
      if (j.ccixSourceID !== undefined) assert.equal(s.ccixSourceId, j.ccixSourceID);
      if (j.ccixPortID !== undefined) assert.equal(s.ccixPortId, j.ccixPortID);
      if (j.ccixPERLog !== undefined) {
        const log = Buffer.from(j.ccixPERLog, 'base64');
        assert.deepEqual(Buffer.from(s.perLog.subarray(0, log.length)), log);
      }
      assert.deepEqual(encodeCcixPerErrorSection(s), c.body);
    }
  });

  test('decode → encode is exact over full field ranges', () => {
    fc.assert(
      fc.property(
        u32,
        u64,
        u8,
        u8,
        u16,
        fc.uint8Array({ maxLength: 64 }),
        (l, v, src, port, res, log) => {
          const s = {
            kind: 'ccix-per' as const,
            length: l,
            validationBits: v,
            ccixSourceId: src,
            ccixPortId: port,
            reserved: res,
            perLog: log,
          };
          assert.deepEqual(decodeCcixPerErrorSection(encodeCcixPerErrorSection(s)), s);
        },
      ),
    );
  });

  test('a body shorter than the header is a Truncated CodecError at offset 0', () => {
    assert.throws(
      () => decodeCcixPerErrorSection(new Uint8Array(15)),
      (e: unknown) =>
        e instanceof CodecError && e.code === CodecErrorCode.Truncated && e.offset === 0,
    );
  });
});
