import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { bytes, u8, u16, u64 } from '../../../test/support/layout-arbitrary.js';
import { corpusSections } from '../../../test/support/libcper-corpus.js';
import { CodecError, CodecErrorCode } from '../errors.js';
import {
  decodeNvidiaEventSection,
  encodeNvidiaEventSection,
  NVIDIA_EVENT_HEADER_SIZE,
  NVIDIA_EVENT_SECTION_GUID,
  type NvidiaEventSection,
} from './nvidia-event.js';
import { decodeSection } from './opaque.js';

describe('NVIDIA event section', () => {
  test('the event header is 32 bytes', () => {
    assert.equal(NVIDIA_EVENT_HEADER_SIZE, 32);
  });

  test('libcper corpus bodies decode to the values libcper printed and encode back exactly', () => {
    const sections = corpusSections(NVIDIA_EVENT_SECTION_GUID);
    assert.ok(sections.length >= 4);
    for (const c of sections) {
      const s = decodeNvidiaEventSection(c.body);
      const j = c.section.NvidiaEvent;
      const sig = Buffer.from(s.signature).toString('latin1').replace(/\0.*$/s, '');
      assert.equal(sig, j.eventHeader.signature);
      assert.equal(s.eventVersion, j.eventHeader.version);
      assert.equal(
        `0x${s.eventType.toString(16).toUpperCase().padStart(4, '0')}`,
        j.eventHeader.type,
      );
      assert.equal(`${s.infoVersion >> 8}.${s.infoVersion & 0xff}`, j.eventInfo.version);
      assert.equal(s.contexts.length, j.eventContexts.length);
      s.contexts.forEach((ctx, i) => {
        assert.equal(ctx.data.length, j.eventContexts[i].dataSize);
        assert.equal(ctx.dataFormatVersion, j.eventContexts[i].dataFormatVersion);
      });
      assert.deepEqual(encodeNvidiaEventSection(s), c.body);
      assert.equal(decodeSection(NVIDIA_EVENT_SECTION_GUID, c.body).kind, 'nvidia-event');
    }
  });

  const context = fc.record(
    {
      version: u16,
      reserved: u16,
      dataFormatType: u16,
      dataFormatVersion: u16,
      data: fc.uint8Array({ maxLength: 40 }),
      padding: fc.uint8Array({ maxLength: 15 }),
    },
    { noNullPrototype: true },
  );
  const section = fc
    .record(
      {
        eventVersion: u8,
        sourceDeviceType: u8,
        reserved: u8,
        eventType: u16,
        eventSubtype: u16,
        eventLinkId: u64,
        signature: bytes(16),
        infoVersion: u16,
        info: fc.uint8Array({ maxLength: 40 }),
        contexts: fc.array(context, { maxLength: 4 }),
      },
      { noNullPrototype: true },
    )
    .map((f): NvidiaEventSection => ({ kind: 'nvidia-event', ...f }));

  test('decode → encode is exact over full field ranges', () => {
    fc.assert(
      fc.property(section, (s) => {
        assert.deepEqual(decodeNvidiaEventSection(encodeNvidiaEventSection(s)), s);
      }),
    );
  });

  test('an info size below 3 is kept as shortInfoSize and encodes back exactly', () => {
    const b = new Uint8Array(40);
    b[34] = 2;
    const s = decodeNvidiaEventSection(b);
    assert.equal(s.shortInfoSize, 2);
    assert.equal(s.info.length, 0);
    assert.deepEqual(encodeNvidiaEventSection(s), b);
    assert.throws(
      () => encodeNvidiaEventSection({ ...s, shortInfoSize: 3 }),
      (e: unknown) =>
        e instanceof CodecError && e.code === CodecErrorCode.Invalid && e.offset === 0x22,
    );
  });

  test('a context size past the section is a LengthMismatch at the context (offset 0x23)', () => {
    const b = new Uint8Array(35 + 16);
    b[1] = 1; // one context
    b[34] = 3; // no device info
    b[35] = 0x40; // context size 64, 16 bytes present
    assert.throws(
      () => decodeNvidiaEventSection(b),
      (e: unknown) =>
        e instanceof CodecError && e.code === CodecErrorCode.LengthMismatch && e.offset === 0x23,
    );
  });
});
