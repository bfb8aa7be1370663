import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { corpusSections } from '../../../test/support/libcper-corpus.js';
import { CodecError, CodecErrorCode } from '../errors.js';
import { genericErrorDataEntry } from '../generic-error-data.js';
import { ghesStatusBlock } from '../generic-error-status.js';
import { formatLinux } from '../linux-format.js';
import { sectionCodecFor } from '../section.js';
import {
  CXL_EVENT_HEADER_SIZE,
  CXL_PROTOCOL_ERROR_SECTION_GUID,
  CXL_PROTOCOL_ERROR_SECTION_SIZE,
  type CxlEventKind,
  CxlEventSectionGuid,
  decodeCxlEventSection,
  decodeCxlProtocolErrorSection,
  encodeCxlEventSection,
  encodeCxlProtocolErrorSection,
  printCxlProtocolErrorSectionLinux,
} from './cxl.js';

/**
 * A CXL Protocol Error section assembled by hand from the UEFI 2.10 Appendix N.2.13 table
 * (offsets as in the table: validation bits 0, agent type 8, agent address 16, device id 24,
 * serial 40, capability 48, DVSEC length 108, error log length 110, DVSEC at 116, then the error
 * log: a CXL 3.0 §8.2.4.16 RAS capability of six u32 and a 64-byte header log).
 */
function cxlProtocolErrorFixture(agentType = 2, errorLogLength = 88): Uint8Array {
  const b = new Uint8Array(116 + 8 + errorLogLength);
  const dv = new DataView(b.buffer);
  dv.setBigUint64(0, 0x7fn, true); // every field valid
  b[8] = agentType;
  // Agent address for a device/port: function 1, device 0, bus 0x0d, segment 0x0001.
  b.set([0x01, 0x00, 0x0d, 0x01, 0x00], 16);
  dv.setUint16(24, 0x8086, true); // vendor id
  dv.setUint16(26, 0x0d93, true); // device id
  dv.setUint16(28, 0x1af4, true); // subsystem vendor id
  dv.setUint16(30, 0x1100, true); // subsystem id
  b.set([0x02, 0x05], 32); // class code
  dv.setUint16(34, 0x0028, true); // slot: bits 15:3 = 5
  dv.setUint32(40, 0x12345678, true); // serial lower
  dv.setUint32(44, 0x9abcdef0, true); // serial upper
  for (let i = 0; i < 60; i++) b[48 + i] = i; // capability structure
  dv.setUint16(108, 8, true);
  dv.setUint16(110, errorLogLength, true);
  b.set([0x98, 0x1e, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00], 116); // DVSEC
  const log = 124;
  if (errorLogLength >= 24) {
    dv.setUint32(log, 0x40, true); // uncorrectable status
    dv.setUint32(log + 4, 0, true); // uncorrectable mask
    dv.setUint32(log + 8, 0x40, true); // uncorrectable severity
    dv.setUint32(log + 12, 0x2, true); // correctable status
    dv.setUint32(log + 16, 0, true); // correctable mask
    dv.setUint32(log + 20, 0x6, true); // capability & control
  }
  if (errorLogLength >= 28) dv.setUint32(log + 24, 0x4a000001, true); // header log dword 0
  return b;
}

const P = '{3}[Hardware Error]: ';
/** Lines written out by hand from the format strings of cper_print_prot_err() (cper_cxl.c). */
const CXL_DEVICE_LINES = [
  `${P}   agent_type: 2, CXL Device`,
  `${P}   agent_address: 0001:0d:00.1`,
  `${P}   slot: 5`,
  `${P}   vendor_id: 0x8086, device_id: 0x0d93`,
  `${P}   sub_vendor_id: 0x1af4, sub_device_id: 0x1100`,
  `${P}   class_code: 0502`,
  `${P}   lower_dw: 0x12345678, upper_dw: 0x9abcdef0`,
  `${P}  00000000: 03020100 07060504 0b0a0908 0f0e0d0c`,
  `${P}  00000010: 13121110 17161514 1b1a1918 1f1e1d1c`,
  `${P}  00000020: 23222120 27262524 2b2a2928 2f2e2d2c`,
  `${P}  00000030: 33323130 37363534 3b3a3938`,
  `${P}   DVSEC length: 0x0008`,
  `${P}   CXL DVSEC:`,
  `${P}  00000000: 00001e98 00000001`,
  `${P}   Error log length: 0x0058`,
  `${P}   CXL Error Log:`,
  `${P}   cxl_ras_uncor_status: 0x00000040`,
  `${P}   cxl_ras_uncor_mask: 0x00000000`,
  `${P}   cxl_ras_uncor_severity: 0x00000040`,
  `${P}   cxl_ras_cor_status: 0x00000002`,
  `${P}   cxl_ras_cor_mask: 0x00000000`,
  `${P}   cap_control: 0x00000006`,
  `${P}   Header Log Registers:`,
  `${P}  00000000: 4a000001 00000000 00000000 00000000`,
  `${P}  00000010: 00000000 00000000 00000000 00000000`,
  `${P}  00000020: 00000000 00000000 00000000 00000000`,
  `${P}  00000030: 00000000 00000000 00000000 00000000`,
];

function formatCxl(bytes: Uint8Array, kernel: '6.1' | '6.12' | '7.3'): string[] {
  const body = decodeCxlProtocolErrorSection(bytes);
  const entry = genericErrorDataEntry(CXL_PROTOCOL_ERROR_SECTION_GUID, body, { errorSeverity: 1 });
  return formatLinux(ghesStatusBlock({ errorSeverity: 1, entries: [entry] }), {
    sourceId: 4,
    seq: 3,
    kernel,
  });
}

describe('CXL sections', () => {
  test('the protocol error header is 116 bytes and the event header 32', () => {
    assert.equal(CXL_PROTOCOL_ERROR_SECTION_SIZE, 116);
    assert.equal(CXL_EVENT_HEADER_SIZE, 32);
  });

  test('only the protocol error section has a Linux printer; no CXL GUID has a kernel-independent name', () => {
    const guids = [CXL_PROTOCOL_ERROR_SECTION_GUID, ...Object.values(CxlEventSectionGuid)];
    assert.equal(guids.length, 9);
    for (const g of guids) {
      const c = sectionCodecFor(g);
      assert.ok(c, g);
      assert.equal(c.linuxName, undefined);
      assert.equal(c.printLinux !== undefined, g === CXL_PROTOCOL_ERROR_SECTION_GUID, g);
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

  for (const kernel of ['6.12', '7.3'] as const) {
    test(`a ${kernel} kernel prints the cper_print_prot_err() body of a CXL Protocol Error section`, () => {
      const lines = formatCxl(cxlProtocolErrorFixture(), kernel);
      assert.deepEqual(lines.slice(0, 5), [
        `${P}Hardware error from APEI Generic Hardware Error Source: 4`,
        `${P}event severity: fatal`,
        `${P} Error 0, type: fatal`,
        `${P}  section_type: CXL Protocol Error`,
        CXL_DEVICE_LINES[0],
      ]);
      assert.deepEqual(lines.slice(4), CXL_DEVICE_LINES);
    });
  }

  test('a 6.1 kernel prints a CXL Protocol Error section as unknown with a hex dump', () => {
    const lines = formatCxl(cxlProtocolErrorFixture(), '6.1');
    assert.deepEqual(lines.slice(3, 6), [
      `${P}  section type: unknown, 80b9efb4-52b5-4de3-a777-68784b771048`,
      `${P}  section length: 0xd4`,
      `${P}  00000000: 0000007f 00000000 00000002 00000000  ................`,
    ]);
    assert.equal(lines.length, 5 + Math.ceil(212 / 16));
  });

  test('newer kernels print the component event sections as unknown (no section_type: line)', () => {
    const body = decodeCxlEventSection(new Uint8Array(32 + 16), 'cxl-general-media');
    const entry = genericErrorDataEntry(CxlEventSectionGuid['cxl-general-media'], body);
    for (const kernel of ['6.1', '6.12', '7.3'] as const) {
      const lines = formatLinux(ghesStatusBlock({ errorSeverity: 0, entries: [entry] }), {
        sourceId: 0,
        seq: 3,
        kernel,
      });
      assert.equal(lines[3], `${P}  section type: unknown, fbcd0a77-c260-417f-85a9-088b1621eba6`);
      assert.equal(lines[4], `${P}  section length: 0x30`);
    }
  });

  test('a Restricted CXL Host Downstream Port prints its RCRB base and no device id or serial', () => {
    const body = decodeCxlProtocolErrorSection(cxlProtocolErrorFixture(1));
    const lines = printCxlProtocolErrorSectionLinux(body, { pfx: `${P}  `, options: {} });
    assert.deepEqual(lines.slice(0, 3), [
      `${P}   agent_type: 1, Restricted CXL Host Downstream Port`,
      `${P}   rcrb_base_address: 0x00000000010d0001`,
      `${P}   DVSEC length: 0x0008`,
    ]);
  });

  test('an unknown agent type prints as unknown and skips every per-type line', () => {
    const body = decodeCxlProtocolErrorSection(cxlProtocolErrorFixture(9));
    const lines = printCxlProtocolErrorSectionLinux(body, { pfx: `${P}  `, options: {} });
    assert.deepEqual(lines.slice(0, 2), [
      `${P}   agent_type: 9, unknown`,
      `${P}   DVSEC length: 0x0008`,
    ]);
  });

  test('an error log shorter than the RAS capability prints only the registers inside the section', () => {
    const body = decodeCxlProtocolErrorSection(cxlProtocolErrorFixture(2, 28));
    const lines = printCxlProtocolErrorSectionLinux(body, { pfx: `${P}  `, options: {} });
    assert.equal(lines.at(-1), `${P}   Header Log Registers:`);
    assert.equal(lines.at(-2), `${P}   cap_control: 0x00000006`);
    const short = decodeCxlProtocolErrorSection(cxlProtocolErrorFixture(2, 10));
    const shortLines = printCxlProtocolErrorSectionLinux(short, { pfx: `${P}  `, options: {} });
    assert.deepEqual(shortLines.slice(-3), [
      `${P}   CXL Error Log:`,
      `${P}   cxl_ras_uncor_status: 0x00000000`,
      `${P}   cxl_ras_uncor_mask: 0x00000000`,
    ]);
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

  test('an event section decodes its 32-byte header and the common event record header', () => {
    const b = new Uint8Array(32 + 128);
    const dv = new DataView(b.buffer);
    dv.setUint32(0, 160, true);
    dv.setBigUint64(4, 0x7n, true);
    dv.setUint16(12, 0x1b36, true);
    b[18] = 0x0d;
    dv.setUint16(19, 0x0001, true);
    // Common Event Record header at 32 (CXL 3.1 Table 8-42): the DRAM event UUID, length 128,
    // handle 0x0102 at +20, timestamp at +24, maintenance operation class 2 at +32.
    b.set(
      [
        0xb3, 0xcb, 0x1d, 0x60, 0x06, 0x9c, 0xab, 0x4e, 0xb8, 0xaf, 0x4e, 0x9b, 0xfb, 0x5c, 0x96,
        0x24,
      ],
      32,
    );
    b[48] = 128;
    dv.setUint16(52, 0x0102, true);
    dv.setBigUint64(56, 0x1122334455667788n, true);
    b[64] = 2;
    b[80] = 0xaa;
    const s = decodeCxlEventSection(b, 'cxl-dram');
    assert.equal(s.kind, 'cxl-dram');
    assert.equal(s.length, 160);
    assert.equal(s.vendorId, 0x1b36);
    assert.equal(s.busNumber, 0x0d);
    assert.equal(s.segmentNumber, 1);
    assert.ok('eventHeader' in s);
    assert.equal(s.eventHeader.eventType, '601dcbb3-9c06-4eab-b8af-4e9bfb5c9624');
    assert.equal(s.eventHeader.length, 128);
    assert.equal(s.eventHeader.handle, 0x0102);
    assert.equal(s.eventHeader.timestamp, 0x1122334455667788n);
    assert.equal(s.eventHeader.maintenanceOperationClass, 2);
    assert.equal(s.eventData.length, 80);
    assert.equal(s.eventData[0], 0xaa);
    assert.deepEqual(encodeCxlEventSection(s), b);
  });

  test('libcper corpus component-event bodies decode (header values libcper printed) and encode back', () => {
    let n = 0;
    for (const [kind, guid] of Object.entries(CxlEventSectionGuid)) {
      for (const c of corpusSections(guid)) {
        const s = decodeCxlEventSection(c.body, kind as CxlEventKind);
        const j = c.section.CxlComponent;
        assert.equal(s.length, j.length);
        if (j.deviceID !== undefined) {
          assert.equal(s.vendorId, j.deviceID.vendorID);
          assert.equal(s.slotNumber >> 3, j.deviceID.slotNumber);
        }
        assert.deepEqual(encodeCxlEventSection(s), c.body);
        n++;
      }
    }
    assert.ok(n >= 24, `only ${n} bodies`);
  });

  test('an event record shorter than its common header stays bytes', () => {
    const b = new Uint8Array(32 + 20);
    b[32] = 7;
    const s = decodeCxlEventSection(b);
    assert.ok('eventRecord' in s && s.eventRecord.length === 20);
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
