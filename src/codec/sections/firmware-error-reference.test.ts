import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { CodecError, CodecErrorCode } from '../errors.js';
import { hexToBytes } from '../hex.js';
import { sectionCodecFor } from '../section.js';
import {
  decodeFirmwareErrorReferenceSection,
  encodeFirmwareErrorReferenceSection,
  FIRMWARE_ERROR_REFERENCE_SECTION_GUID,
  FIRMWARE_ERROR_REFERENCE_SECTION_SIZE,
  printFirmwareErrorReferenceSectionLinux,
} from './firmware-error-reference.js';

const PFX = '{2}[Hardware Error]:   ';
const print = (bytes: Uint8Array) =>
  printFirmwareErrorReferenceSectionLinux(decodeFirmwareErrorReferenceSection(bytes), {
    pfx: PFX,
    options: { kernel: '6.1' },
  });

// Hand-assembled from the Linux struct cper_sec_fw_err_rec_ref layout (type, revision,
// reserved[6], u64 record_identifier, guid_t record_identifier_guid).
const REV2 = hexToBytes(`
  01 02 000000000000 8877665544332211
  14 11 bc a5 64 6f de 4e b8 63 3e 83 ed 7c 83 b1
  41 42 43 44
`);

describe('Firmware Error Record Reference section', () => {
  test('the structure is 32 bytes and registers under its Linux name with a 16-byte minimum', () => {
    assert.equal(FIRMWARE_ERROR_REFERENCE_SECTION_SIZE, 32);
    const c = sectionCodecFor(FIRMWARE_ERROR_REFERENCE_SECTION_GUID);
    assert.equal(c?.linuxName, 'Firmware Error Record Reference');
    assert.equal(c?.minLength, 16);
  });

  test('a revision 2 body decodes the GUID and keeps trailing bytes', () => {
    const s = decodeFirmwareErrorReferenceSection(REV2);
    assert.equal(s.recordType, 1);
    assert.equal(s.revision, 2);
    assert.equal(s.recordIdentifier, 0x1122334455667788n);
    assert.equal(s.recordIdentifierGuid, 'a5bc1114-6f64-4ede-b863-3e83ed7c83b1');
    assert.deepEqual(s.trailing, new Uint8Array([0x41, 0x42, 0x43, 0x44]));
    assert.deepEqual(encodeFirmwareErrorReferenceSection(s), REV2);
  });

  test('revision 2 prints the GUID and dumps the bytes after offset 32', () => {
    assert.deepEqual(print(REV2), [
      `${PFX}Firmware Error Record Type: SOC Firmware Error Record Type1 (Legacy CrashLog Support)`,
      `${PFX}Revision: 2`,
      `${PFX}Record Identifier: a5bc1114-6f64-4ede-b863-3e83ed7c83b1`,
      `${PFX}00000000: 44434241                             ABCD`,
    ]);
  });

  test('revision 0 prints the identifier as %08llx and dumps from offset 16', () => {
    const b = REV2.slice(0, 16);
    b[0] = 0;
    b[1] = 0;
    b[8] = 0x2a;
    b.fill(0, 9, 16);
    assert.deepEqual(print(b), [
      `${PFX}Firmware Error Record Type: IPF SAL Error Record`,
      `${PFX}Revision: 0`,
      `${PFX}Record Identifier: 0000002a`,
    ]);
  });

  test('revision 1 dumps from offset 8 and an unknown type prints unknown', () => {
    const b = REV2.slice(0, 16);
    b[0] = 9;
    b[1] = 1;
    assert.deepEqual(print(b), [
      `${PFX}Firmware Error Record Type: unknown`,
      `${PFX}Revision: 1`,
      `${PFX}00000000: 55667788 11223344                    .wfUD3".`,
    ]);
  });

  test('revision 2 in 16 bytes prints the offset guard line of current kernels', () => {
    const b = REV2.slice(0, 16);
    assert.deepEqual(
      print(b).at(-1),
      `${PFX}error section length is too small: offset=32, length=16`,
    );
  });

  test('decode then encode is byte-identical for any body of 16 bytes or more', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 64 }), (bytes) => {
        assert.deepEqual(
          encodeFirmwareErrorReferenceSection(decodeFirmwareErrorReferenceSection(bytes)),
          bytes,
        );
      }),
      { numRuns: 300 },
    );
  });

  test('decodeFirmwareErrorReferenceSection() throws Truncated at offset 0 for 15 bytes', () => {
    assert.throws(
      () => decodeFirmwareErrorReferenceSection(new Uint8Array(15)),
      (e: unknown) =>
        e instanceof CodecError && e.code === CodecErrorCode.Truncated && e.offset === 0,
    );
  });

  test('encodeFirmwareErrorReferenceSection() throws Invalid at offset 16 for 16 trailing bytes without a GUID', () => {
    const s = decodeFirmwareErrorReferenceSection(REV2.slice(0, 16));
    assert.throws(
      () => encodeFirmwareErrorReferenceSection({ ...s, trailing: new Uint8Array(16) }),
      (e: unknown) =>
        e instanceof CodecError && e.code === CodecErrorCode.Invalid && e.offset === 16,
    );
  });
});
