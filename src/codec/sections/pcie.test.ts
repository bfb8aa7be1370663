import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { CodecError, CodecErrorCode } from '../errors.js';
import { sectionCodecFor } from '../section.js';
import {
  decodePcieErrorSection,
  encodePcieErrorSection,
  PCIE_SECTION_GUID,
  PCIE_SECTION_SIZE,
  type PcieErrorSection,
  pcieErrorSection,
  printPcieErrorSectionLinux,
} from './pcie.js';

const PFX = '{3}[Hardware Error]:   ';
const print = (s: PcieErrorSection, kernel: '6.1' | 'newer', sectionSeverity?: number) =>
  printPcieErrorSectionLinux(s, {
    pfx: PFX,
    options: sectionSeverity === undefined ? { kernel } : ({ kernel, sectionSeverity } as never),
  });

// A 208-byte body hand-assembled from the formats.md §10 offset table, with the device and AER
// values of a real guest log (nvme 0000:01:00.0, Samsung 144d:a80a, class 010802, correctable
// receiver error status 0x1, uncorrectable mask 0x00100000, severity 0x004f6030).
function nvmeBody(): Uint8Array {
  const b = new Uint8Array(208);
  const dv = new DataView(b.buffer);
  dv.setBigUint64(0, 0xffn, true);
  dv.setUint32(8, 0, true);
  b[12] = 0x01;
  b[13] = 0x02;
  dv.setUint16(16, 0x0406, true);
  dv.setUint16(18, 0x0010, true);
  dv.setUint16(24, 0x144d, true);
  dv.setUint16(26, 0xa80a, true);
  b.set([0x02, 0x08, 0x01], 28);
  b[31] = 0;
  b[32] = 0;
  dv.setUint16(33, 0, true);
  b[35] = 1;
  b[36] = 0;
  dv.setUint16(37, 0, true);
  dv.setUint32(40, 0x1234, true);
  dv.setUint32(44, 0xabcd, true);
  const aer = 112;
  dv.setUint32(aer + 8, 0x00100000, true);
  dv.setUint32(aer + 12, 0x004f6030, true);
  dv.setUint32(aer + 16, 0x00000001, true);
  dv.setUint32(aer + 28, 0x40008001, true);
  dv.setUint32(aer + 32, 0x00000a0f, true);
  return b;
}

describe('PCI Express Error section', () => {
  test('the section is 208 bytes and registers as PCIe error', () => {
    assert.equal(PCIE_SECTION_SIZE, 208);
    assert.equal(encodePcieErrorSection(pcieErrorSection()).length, 208);
    assert.equal(sectionCodecFor(PCIE_SECTION_GUID)?.linuxName, 'PCIe error');
  });

  test('device id sub-fields decode at their N.2.7 offsets', () => {
    const s = decodePcieErrorSection(nvmeBody());
    assert.equal(s.deviceId.vendorId, 0x144d);
    assert.equal(s.deviceId.deviceId, 0xa80a);
    assert.deepEqual(s.deviceId.classCode, new Uint8Array([2, 8, 1]));
    assert.equal(s.deviceId.bus, 1);
    assert.equal(s.versionMajor, 2);
    assert.equal(s.aerInfo.length, 96);
    assert.equal(s.capability.length, 60);
  });

  test('6.1 prints the AER lines only when the section severity has bit 0 set', () => {
    const s = decodePcieErrorSection(nvmeBody());
    const head = [
      `${PFX}port_type: 0, PCIe end point`,
      `${PFX}version: 2.1`,
      `${PFX}command: 0x0406, status: 0x0010`,
      `${PFX}device_id: 0000:01:00.0`,
      `${PFX}slot: 0`,
      `${PFX}secondary_bus: 0x00`,
      `${PFX}vendor_id: 0x144d, device_id: 0xa80a`,
      `${PFX}class_code: 010802`,
      `${PFX}serial number: 0x1234, 0xabcd`,
      `${PFX}bridge: secondary_status: 0x0000, control: 0x0000`,
    ];
    const aer = [
      `${PFX}aer_uncor_status: 0x00000000, aer_uncor_mask: 0x00100000`,
      `${PFX}aer_uncor_severity: 0x004f6030`,
      `${PFX}TLP Header: 40008001 00000a0f 00000000 00000000`,
    ];
    assert.deepEqual(print(s, '6.1', 0), head);
    assert.deepEqual(print(s, '6.1', 2), head);
    assert.deepEqual(print(s, '6.1', 1), [...head, ...aer]);
    assert.deepEqual(print(s, '6.1', 3), [...head, ...aer]);
    assert.deepEqual(print(s, 'newer', 2), [
      ...head,
      `${PFX}aer_cor_status: 0x00000001, aer_cor_mask: 0x00000000`,
      ...aer,
    ]);
  });

  test('slot prints bits 15:3 and unknown port types print unknown', () => {
    const base = pcieErrorSection();
    const s = pcieErrorSection({
      validationBits: 0x9n,
      portType: 11,
      deviceId: { ...base.deviceId, slot: 0x2a, segment: 0x1f, device: 0x1c, function: 7 },
    });
    assert.deepEqual(print(s, '6.1').slice(0, 3), [
      `${PFX}port_type: 11, unknown`,
      `${PFX}device_id: 001f:00:1c.7`,
      `${PFX}slot: 5`,
    ]);
  });

  test('decode then encode is byte-identical for any body of 208 bytes or more', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 208, maxLength: 240 }), (bytes) => {
        assert.deepEqual(encodePcieErrorSection(decodePcieErrorSection(bytes)), bytes);
      }),
      { numRuns: 300 },
    );
  });

  test('decodePcieErrorSection() throws Truncated at offset 0 for 207 bytes', () => {
    assert.throws(
      () => decodePcieErrorSection(new Uint8Array(207)),
      (e: unknown) =>
        e instanceof CodecError && e.code === CodecErrorCode.Truncated && e.offset === 0,
    );
  });

  test('encodePcieErrorSection() throws LengthMismatch at offset 112 for a short AER image', () => {
    assert.throws(
      () => encodePcieErrorSection(pcieErrorSection({ aerInfo: new Uint8Array(56) })),
      (e: unknown) =>
        e instanceof CodecError && e.code === CodecErrorCode.LengthMismatch && e.offset === 112,
    );
  });
});
