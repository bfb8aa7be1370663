import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { CodecError, CodecErrorCode } from '../errors.js';
import { sectionCodecFor } from '../section.js';
import {
  cperPrintBits,
  decodeProcessorGenericSection,
  encodeProcessorGenericSection,
  PROCESSOR_GENERIC_SECTION_GUID,
  PROCESSOR_GENERIC_SECTION_SIZE,
  type ProcessorGenericSection,
  printProcessorGenericSectionLinux,
  processorGenericSection,
} from './processor-generic.js';

const PFX = '{1}[Hardware Error]:   ';
const print = (s: ProcessorGenericSection) =>
  printProcessorGenericSectionLinux(s, { pfx: PFX, options: { kernel: '6.1' } });

describe('Processor Generic Error section', () => {
  test('the section is 192 bytes and registers as general processor error', () => {
    assert.equal(PROCESSOR_GENERIC_SECTION_SIZE, 192);
    assert.equal(encodeProcessorGenericSection(processorGenericSection()).length, 192);
    const c = sectionCodecFor(PROCESSOR_GENERIC_SECTION_GUID);
    assert.equal(c?.kind, 'processor-generic');
    assert.equal(c?.linuxName, 'general processor error');
  });

  test('fields sit at the UEFI N.2.4.1 offsets (formats.md §9 table)', () => {
    // Hand-assembled from the formats.md §9 offset table.
    const b = new Uint8Array(192);
    const dv = new DataView(b.buffer);
    dv.setBigUint64(0, 0x1fffn, true);
    b.set([2, 4, 0x05, 1, 0x0a, 3], 8);
    dv.setUint16(14, 0xbeef, true);
    dv.setBigUint64(16, 0x410fd0c0n, true);
    b.set(new TextEncoder().encode('Cortex-A76'), 24);
    dv.setBigUint64(152, 1n, true);
    dv.setBigUint64(160, 0x4000_1000n, true);
    dv.setBigUint64(168, 2n, true);
    dv.setBigUint64(176, 3n, true);
    dv.setBigUint64(184, 0xffff_0000_0800_0000n, true);
    const s = decodeProcessorGenericSection(b);
    assert.equal(s.processorType, 2);
    assert.equal(s.processorIsa, 4);
    assert.equal(s.errorType, 5);
    assert.equal(s.operation, 1);
    assert.equal(s.flags, 0x0a);
    assert.equal(s.level, 3);
    assert.equal(s.reserved, 0xbeef);
    assert.equal(s.cpuBrandString.slice(0, 10), 'Cortex-A76');
    assert.equal(s.targetAddress, 0x4000_1000n);
    assert.equal(s.instructionIp, 0xffff_0000_0800_0000n);
    assert.deepEqual(encodeProcessorGenericSection(s), b);
    assert.deepEqual(print(s), [
      `${PFX}processor_type: 2, ARM`,
      `${PFX}processor_isa: 4, ARM A64`,
      `${PFX}error_type: 0x05`,
      `${PFX}cache error, bus error`,
      `${PFX}operation: 1, data read`,
      `${PFX}flags: 0x0a`,
      `${PFX}precise IP, corrected`,
      `${PFX}level: 3`,
      `${PFX}version_info: 0x00000000410fd0c0`,
      `${PFX}processor_id: 0x0000000000000001`,
      `${PFX}target_address: 0x0000000040001000`,
      `${PFX}requestor_id: 0x0000000000000002`,
      `${PFX}responder_id: 0x0000000000000003`,
      `${PFX}IP: 0xffff000008000000`,
    ]);
  });

  test('unknown codes print as unknown and the brand string never prints', () => {
    const s = processorGenericSection({
      validationBits: 0x8bn,
      processorType: 7,
      processorIsa: 9,
      operation: 4,
    });
    assert.deepEqual(print(s), [
      `${PFX}processor_type: 7, unknown`,
      `${PFX}processor_isa: 9, unknown`,
      `${PFX}operation: 4, unknown`,
    ]);
  });

  test('cperPrintBits() wraps at 80 columns counting the 2-byte printk level marker', () => {
    // cper_print_bits(): len = 2 + 23 + 11 = 36, +11 = 47, +11 = 58, then 58 + 25 + 2 > 80.
    assert.deepEqual(
      cperPrintBits(PFX, 0x0f, [
        'cache error',
        'TLB error',
        'bus error',
        'micro-architectural error',
      ]),
      [`${PFX}cache error, TLB error, bus error`, `${PFX}micro-architectural error`],
    );
    assert.deepEqual(cperPrintBits(PFX, 0, ['a']), []);
  });

  test('decode then encode is byte-identical for any body of 192 bytes or more', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 192, maxLength: 220 }), (bytes) => {
        assert.deepEqual(
          encodeProcessorGenericSection(decodeProcessorGenericSection(bytes)),
          bytes,
        );
      }),
      { numRuns: 300 },
    );
  });

  test('decodeProcessorGenericSection() throws Truncated at offset 0 for 191 bytes', () => {
    assert.throws(
      () => decodeProcessorGenericSection(new Uint8Array(191)),
      (e: unknown) =>
        e instanceof CodecError && e.code === CodecErrorCode.Truncated && e.offset === 0,
    );
  });

  test('encodeProcessorGenericSection() throws LengthMismatch at offset 24 for a short brand string', () => {
    assert.throws(
      () => encodeProcessorGenericSection(processorGenericSection({ cpuBrandString: 'x' })),
      (e: unknown) =>
        e instanceof CodecError && e.code === CodecErrorCode.LengthMismatch && e.offset === 24,
    );
  });
});
