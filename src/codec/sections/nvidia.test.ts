import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { bytes, u8, u16, u64 } from '../../../test/support/layout-arbitrary.js';
import { corpusSections } from '../../../test/support/libcper-corpus.js';
import { CodecError, CodecErrorCode } from '../errors.js';
import {
  decodeNvidiaErrorSection,
  encodeNvidiaErrorSection,
  NVIDIA_HEADER_SIZE,
  NVIDIA_SECTION_GUID,
  type NvidiaErrorSection,
} from './nvidia.js';

describe('NVIDIA error section', () => {
  test('the header is 32 bytes', () => {
    assert.equal(NVIDIA_HEADER_SIZE, 32);
  });

  test('libcper corpus bodies decode to the values libcper printed and encode back exactly', () => {
    const sections = corpusSections(NVIDIA_SECTION_GUID);
    assert.ok(sections.length >= 4);
    for (const c of sections) {
      const s = decodeNvidiaErrorSection(c.body);
      const j = c.section.Nvidia;
      const sig = Buffer.from(s.signature).toString('latin1').replace(/\0.*$/s, '');
      assert.equal(sig, j.signature);
      assert.equal(s.errorType, j.errorType);
      assert.equal(s.socket, j.socket);
      assert.equal(s.registers.length, j.registerCount);
      s.registers.forEach((r, i) => {
        assert.equal(Number(r.address), j.registers[i].address);
        assert.equal(Number(r.value), j.registers[i].value);
      });
      assert.deepEqual(encodeNvidiaErrorSection(s), c.body);
    }
  });

  test('decode → encode is exact over full field ranges', () => {
    const arb = fc
      .record({
        signature: bytes(16),
        errorType: u16,
        errorInstance: u16,
        severity: u8,
        socket: u8,
        reserved: u8,
        instanceBase: u64,
        registers: fc.array(fc.record({ address: u64, value: u64 }, { noNullPrototype: true }), {
          maxLength: 5,
        }),
      })
      .map((f): NvidiaErrorSection => ({ kind: 'nvidia', ...f }));
    fc.assert(
      fc.property(arb, (s) => {
        assert.deepEqual(decodeNvidiaErrorSection(encodeNvidiaErrorSection(s)), s);
      }),
    );
  });

  test('a register count past the body is a LengthMismatch at the count (offset 0x16)', () => {
    const b = new Uint8Array(40);
    b[22] = 1;
    assert.throws(
      () => decodeNvidiaErrorSection(b),
      (e: unknown) =>
        e instanceof CodecError && e.code === CodecErrorCode.LengthMismatch && e.offset === 0x16,
    );
  });
});
