import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { CodecError, CodecErrorCode } from '../errors.js';
import { sectionCodecFor } from '../section.js';
import {
  CXL_EVENT_HEADER_SIZE,
  CXL_PROTOCOL_ERROR_SECTION_GUID,
  CXL_PROTOCOL_ERROR_SECTION_SIZE,
  CxlEventSectionGuid,
  decodeCxlEventSection,
  decodeCxlProtocolErrorSection,
  encodeCxlEventSection,
  encodeCxlProtocolErrorSection,
} from './cxl.js';

describe('CXL sections', () => {
  test('the protocol error header is 116 bytes and the event header 32', () => {
    assert.equal(CXL_PROTOCOL_ERROR_SECTION_SIZE, 116);
    assert.equal(CXL_EVENT_HEADER_SIZE, 32);
  });

  test('every CXL GUID of formats.md §6.1 registers without a Linux printer (6.1 prints them as unknown)', () => {
    const guids = [CXL_PROTOCOL_ERROR_SECTION_GUID, ...Object.values(CxlEventSectionGuid)];
    assert.equal(guids.length, 9);
    for (const g of guids) {
      const c = sectionCodecFor(g);
      assert.ok(c, g);
      assert.equal(c.linuxName, undefined);
      assert.equal(c.printLinux, undefined);
    }
    assert.equal(
      sectionCodecFor('fe927475-dd59-4339-a586-79bab113b774')?.kind,
      'cxl-memory-module',
    );
    assert.equal(
      sectionCodecFor('40d26425-3396-4c4d-a5da-3d47263af425')?.kind,
      'cxl-virtual-switch',
    );
  });

  test('the protocol error section reads DVSEC and error log by their lengths at offsets 108 and 110', () => {
    // Hand-assembled from the Linux struct cper_sec_prot_err layout (cper_cxl.h).
    const b = new Uint8Array(116 + 3 + 5 + 2);
    const dv = new DataView(b.buffer);
    dv.setBigUint64(0, 0x7fn, true);
    b[8] = 5;
    dv.setUint16(24, 0x8086, true);
    dv.setUint16(26, 0x0d93, true);
    dv.setUint32(40, 0xdead, true);
    dv.setUint16(108, 3, true);
    dv.setUint16(110, 5, true);
    b.set([1, 2, 3], 116);
    b.set([9, 8, 7, 6, 5], 119);
    b.set([0xee, 0xff], 124);
    const s = decodeCxlProtocolErrorSection(b);
    assert.equal(s.agentType, 5);
    assert.equal(s.vendorId, 0x8086);
    assert.equal(s.deviceId, 0x0d93);
    assert.equal(s.serialNumberLower, 0xdead);
    assert.deepEqual(s.dvsec, new Uint8Array([1, 2, 3]));
    assert.deepEqual(s.errorLog, new Uint8Array([9, 8, 7, 6, 5]));
    assert.deepEqual(s.trailing, new Uint8Array([0xee, 0xff]));
    assert.deepEqual(encodeCxlProtocolErrorSection(s), b);
  });

  test('an event section decodes its 32-byte header and keeps the event record', () => {
    const b = new Uint8Array(32 + 128);
    const dv = new DataView(b.buffer);
    dv.setUint32(0, 160, true);
    dv.setBigUint64(4, 0x7n, true);
    dv.setUint16(12, 0x1b36, true);
    b[18] = 0x0d;
    dv.setUint16(19, 0x0001, true);
    b[32] = 0xaa;
    const s = decodeCxlEventSection(b, 'cxl-dram');
    assert.equal(s.kind, 'cxl-dram');
    assert.equal(s.length, 160);
    assert.equal(s.vendorId, 0x1b36);
    assert.equal(s.busNumber, 0x0d);
    assert.equal(s.segmentNumber, 1);
    assert.equal(s.eventRecord.length, 128);
    assert.deepEqual(encodeCxlEventSection(s), b);
  });

  test('decode then encode is byte-identical for any protocol error and event body', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 116, maxLength: 160 }),
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 0, max: 20 }),
        (raw, dl, el) => {
          const b = new Uint8Array(raw.length + dl + el);
          b.set(raw);
          const dv = new DataView(b.buffer);
          dv.setUint16(108, dl, true);
          dv.setUint16(110, el, true);
          assert.deepEqual(encodeCxlProtocolErrorSection(decodeCxlProtocolErrorSection(b)), b);
        },
      ),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 200 }), (b) => {
        assert.deepEqual(encodeCxlEventSection(decodeCxlEventSection(b)), b);
      }),
      { numRuns: 200 },
    );
  });

  test('decodeCxlProtocolErrorSection() throws Truncated at offset 116 when the DVSEC length overruns', () => {
    const b = new Uint8Array(120);
    new DataView(b.buffer).setUint16(108, 5, true);
    assert.throws(
      () => decodeCxlProtocolErrorSection(b),
      (e: unknown) =>
        e instanceof CodecError && e.code === CodecErrorCode.Truncated && e.offset === 116,
    );
  });

  test('decodeCxlEventSection() throws Truncated at offset 0 for 31 bytes', () => {
    assert.throws(
      () => decodeCxlEventSection(new Uint8Array(31)),
      (e: unknown) =>
        e instanceof CodecError && e.code === CodecErrorCode.Truncated && e.offset === 0,
    );
  });
});
