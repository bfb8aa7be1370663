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
  });

  test('the capability structure and AER image decode to register fields at their spec offsets', () => {
    const b = nvmeBody();
    const dv = new DataView(b.buffer);
    // Capability structure at 52 (PCIe Base §7.5.3): cap id 0x10, next 0x48, capabilities 0x0002
    // (version 2, endpoint), device control at +8, link status at +18, slot status 2 at +58.
    b[52] = 0x10;
    b[53] = 0x48;
    dv.setUint16(54, 0x0002, true);
    dv.setUint16(60, 0x2910, true);
    dv.setUint16(70, 0x1043, true);
    dv.setUint16(110, 0xbeef, true);
    // AER: capability header 0x14820001, TLP prefix log 3 at +68, last reserved byte at +95.
    dv.setUint32(112, 0x14820001, true);
    dv.setUint16(112 + 52, 0x0100, true);
    dv.setUint32(112 + 68, 0xcafef00d, true);
    b[112 + 95] = 0x5a;
    const s = decodePcieErrorSection(b);
    assert.equal(s.capability.capabilityId, 0x10);
    assert.equal(s.capability.nextCapabilityPointer, 0x48);
    assert.equal(s.capability.pcieCapabilities, 0x0002);
    assert.equal(s.capability.deviceControl, 0x2910);
    assert.equal(s.capability.linkStatus, 0x1043);
    assert.equal(s.capability.slotStatus2, 0xbeef);
    assert.equal(s.aerInfo.capabilityHeader, 0x14820001);
    assert.equal(s.aerInfo.uncorrectableErrorMask, 0x00100000);
    assert.equal(s.aerInfo.uncorrectableErrorSeverity, 0x004f6030);
    assert.equal(s.aerInfo.correctableErrorStatus, 0x00000001);
    assert.equal(s.aerInfo.headerLog0, 0x40008001);
    assert.equal(s.aerInfo.headerLog1, 0x00000a0f);
    assert.equal(s.aerInfo.correctableErrorSourceId, 0x0100);
    assert.equal(s.aerInfo.tlpPrefixLog3, 0xcafef00d);
    assert.equal(s.aerInfo.reserved[23], 0x5a);
    assert.deepEqual(encodePcieErrorSection(s), b);
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

  test('encodePcieErrorSection() throws LengthMismatch at offset 184 for a short AER reserved block', () => {
    const s = pcieErrorSection();
    assert.throws(
      () =>
        encodePcieErrorSection({ ...s, aerInfo: { ...s.aerInfo, reserved: new Uint8Array(20) } }),
      (e: unknown) =>
        e instanceof CodecError && e.code === CodecErrorCode.LengthMismatch && e.offset === 184,
    );
  });

  test('encodePcieErrorSection() throws OutOfRange naming a capability register too wide for it', () => {
    const s = pcieErrorSection();
    assert.throws(
      () => encodePcieErrorSection({ ...s, capability: { ...s.capability, linkStatus: 0x10000 } }),
      (e: unknown) =>
        e instanceof CodecError &&
        e.code === CodecErrorCode.OutOfRange &&
        e.field === 'link status' &&
        e.offset === 70,
    );
  });
});
