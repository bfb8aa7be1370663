import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { CodecError, CodecErrorCode } from '../errors.js';
import { hexToBytes } from '../hex.js';
import { sectionCodecFor } from '../section.js';
import {
  ARM_ERROR_INFORMATION_SIZE,
  ARM_PROCESSOR_SECTION_GUID,
  ARM_PROCESSOR_SECTION_SIZE,
  type ArmProcessorSection,
  armErrorInfoFields,
  armErrorInfoValue,
  armErrorKinds,
  armOperationName,
  buildArmProcessorSection,
  decodeArmProcessorSection,
  encodeArmProcessorSection,
  linuxHexDumpLines,
  printArmProcessorSectionLinux,
} from './arm-processor.js';

// The prefix QEMU's scripts/arm_processor_error.py docstring shows (no `{N}` sequence).
const PFX = '[Hardware Error]:   ';
const print6 = (s: ArmProcessorSection, armStyle?: 'classic' | 'bitmask') =>
  printArmProcessorSectionLinux(s, {
    pfx: PFX,
    options: armStyle === undefined ? { kernel: '6.1' } : { kernel: '6.1', armStyle },
  } as never);

function codecError(fn: () => unknown, code: string, offset: number): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof CodecError, `expected CodecError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.equal(e.offset, offset);
    return true;
  });
}

// Bytes QEMU scripts/arm_processor_error.py (@92a0dcb, the data_add calls in send_cper) writes for
// `ghes_inject.py arm` with no options and MIDR 0: header valid = running (bit 2, always set when
// --arm is absent), one cache PEI with valid = error-info only, multiple error 1, flags first|last,
// error info 0x0091000F, VA 0xDEADBEEF, PA 0xABBA0BAD.
const QEMU_DEFAULT_ARM = hexToBytes(`
  04000000 0100 0000 48000000 00 000000
  0000000000000000 0000000000000000 00000000 00000000
  00 20 0400 02 0100 03 0f00910000000000 efbeadde00000000 ad0bbaab00000000
`);

describe('ARM Processor Error section', () => {
  test('sizes are 40 for the header and 32 per error information entry', () => {
    assert.equal(ARM_PROCESSOR_SECTION_SIZE, 40);
    assert.equal(ARM_ERROR_INFORMATION_SIZE, 32);
    assert.equal(QEMU_DEFAULT_ARM.length, 72);
  });

  test('buildArmProcessorSection() with no options gives the bytes ghes_inject.py arm writes', () => {
    assert.deepEqual(encodeArmProcessorSection(buildArmProcessorSection()), QEMU_DEFAULT_ARM);
  });

  test('decodeArmProcessorSection() reads the QEMU default section field by field', () => {
    const s = decodeArmProcessorSection(QEMU_DEFAULT_ARM);
    assert.equal(s.validationBits, 4);
    assert.equal(s.sectionLength, undefined);
    assert.equal(s.errorInfo.length, 1);
    assert.deepEqual(s.errorInfo[0], {
      version: 0,
      length: 32,
      validationBits: 4,
      type: 2,
      multipleError: 1,
      flags: 3,
      errorInfo: 0x0091000fn,
      virtualFaultAddress: 0xdeadbeefn,
      physicalFaultAddress: 0xabba0badn,
    });
    assert.deepEqual(s.contextInfo, []);
    assert.equal(s.vendorSpecific.length, 0);
  });

  test('the section registers under its GUID as kind arm with the Linux name', () => {
    const c = sectionCodecFor(ARM_PROCESSOR_SECTION_GUID);
    assert.equal(c?.kind, 'arm');
    assert.equal(c?.linuxName, 'ARM processor error');
    assert.equal(c?.minLength, 40);
  });

  test('the printer gives the lines of the ghes_inject.py docstring for the default section', () => {
    // scripts/arm_processor_error.py docstring, first example (guest dmesg).
    assert.deepEqual(print6(buildArmProcessorSection()), [
      '[Hardware Error]:   MIDR: 0x0000000000000000',
      '[Hardware Error]:   running state: 0x0',
      '[Hardware Error]:   Power State Coordination Interface state: 0',
      '[Hardware Error]:   Error info structure 0:',
      '[Hardware Error]:   num errors: 2',
      '[Hardware Error]:    error_type: 0x02: cache error',
      '[Hardware Error]:    error_info: 0x000000000091000f',
      '[Hardware Error]:     transaction type: Data Access',
      '[Hardware Error]:     cache error, operation type: Data write',
      '[Hardware Error]:     cache level: 2',
      '[Hardware Error]:     processor context not corrupted',
    ]);
  });

  test('the printer gives the lines of the ghes_inject.py docstring for five types, a context and vendor bytes', () => {
    // scripts/arm_processor_error.py docstring, second example: the values the guest printed
    // (the script wrote MPIDR and affinity 0 and one zero register).
    const s = buildArmProcessorSection({
      validation: ['Mpidr', 'AffinityLevel', 'RunningState'],
      mpidr: 0n,
      affinityLevel: 0,
      running: true,
      errors: [
        { type: ['cache'], errorInfo: 12345678n },
        { type: ['tlb'] },
        { type: ['bus'] },
        { type: ['micro-arch'] },
        { type: ['tlb', 'micro-arch'] },
      ],
      contexts: [{ registers: [0n] }],
      vendor: new Uint8Array([0x13, 123, 4, 5, 1]),
    });
    assert.deepEqual(print6(s, 'bitmask'), [
      '[Hardware Error]:   MIDR: 0x0000000000000000',
      '[Hardware Error]:   Multiprocessor Affinity Register (MPIDR): 0x0000000000000000',
      '[Hardware Error]:   error affinity level: 0',
      '[Hardware Error]:   running state: 0x1',
      '[Hardware Error]:   Power State Coordination Interface state: 0',
      '[Hardware Error]:   Error info structure 0:',
      '[Hardware Error]:   num errors: 2',
      '[Hardware Error]:    error_type: 0x02: cache error',
      '[Hardware Error]:    error_info: 0x0000000000bc614e',
      '[Hardware Error]:     cache level: 2',
      '[Hardware Error]:     processor context not corrupted',
      '[Hardware Error]:   Error info structure 1:',
      '[Hardware Error]:   num errors: 2',
      '[Hardware Error]:    error_type: 0x04: TLB error',
      '[Hardware Error]:    error_info: 0x000000000054007f',
      '[Hardware Error]:     transaction type: Instruction',
      '[Hardware Error]:     TLB error, operation type: Instruction fetch',
      '[Hardware Error]:     TLB level: 1',
      '[Hardware Error]:     processor context not corrupted',
      '[Hardware Error]:     the error has not been corrected',
      '[Hardware Error]:     PC is imprecise',
      '[Hardware Error]:   Error info structure 2:',
      '[Hardware Error]:   num errors: 2',
      '[Hardware Error]:    error_type: 0x08: bus error',
      '[Hardware Error]:    error_info: 0x00000080d6460fff',
      '[Hardware Error]:     transaction type: Generic',
      '[Hardware Error]:     bus error, operation type: Generic read (type of instruction or data request cannot be determined)',
      '[Hardware Error]:     affinity level at which the bus error occurred: 1',
      '[Hardware Error]:     processor context corrupted',
      '[Hardware Error]:     the error has been corrected',
      '[Hardware Error]:     PC is imprecise',
      '[Hardware Error]:     Program execution can be restarted reliably at the PC associated with the error.',
      '[Hardware Error]:     participation type: Local processor observed',
      '[Hardware Error]:     request timed out',
      '[Hardware Error]:     address space: External Memory Access',
      '[Hardware Error]:     memory access attributes:0x20',
      '[Hardware Error]:     access mode: secure',
      '[Hardware Error]:   Error info structure 3:',
      '[Hardware Error]:   num errors: 2',
      '[Hardware Error]:    error_type: 0x10: micro-architectural error',
      '[Hardware Error]:    error_info: 0x0000000078da03ff',
      '[Hardware Error]:   Error info structure 4:',
      '[Hardware Error]:   num errors: 2',
      '[Hardware Error]:    error_type: 0x14: TLB error|micro-architectural error',
      '[Hardware Error]:   Context info structure 0:',
      '[Hardware Error]:    register context type: AArch64 EL1 context registers',
      '[Hardware Error]:    00000000: 00000000 00000000',
      '[Hardware Error]:   Vendor specific error info has 5 bytes:',
      '[Hardware Error]:    00000000: 13 7b 04 05 01                                   .{...',
    ]);
  });

  test('the classic printer decodes the enumerated type (Linux 6.1.0–6.1.15x cper-arm.c)', () => {
    // Hand-derived from torvalds/linux 60a5825e9cbe cper-arm.c: type 0 is a cache error.
    const s = buildArmProcessorSection({
      errors: [
        { type: 0, errorInfo: 0x0091000fn, flags: ['First', 'Overflow'], physicalAddress: 0x1000n },
      ],
    });
    assert.deepEqual(print6(s, 'classic').slice(3), [
      '[Hardware Error]:   Error info structure 0:',
      '[Hardware Error]:   num errors: 2',
      '[Hardware Error]:    first error captured',
      '[Hardware Error]:    overflow occurred, error info is incomplete',
      '[Hardware Error]:    error_type: 0, cache error',
      '[Hardware Error]:    error_info: 0x000000000091000f',
      '[Hardware Error]:     transaction type: Data Access',
      '[Hardware Error]:     operation type: Data write',
      '[Hardware Error]:     cache level: 2',
      '[Hardware Error]:     processor context not corrupted',
      '[Hardware Error]:    physical fault address: 0x0000000000001000',
    ]);
  });

  test('the classic printer names types above 3 unknown and decodes nothing for them', () => {
    const s = buildArmProcessorSection({ errors: [{ type: 0x02 << 2, errorInfo: 0xffn }] });
    const lines = print6(s, 'classic');
    assert.ok(lines.includes('[Hardware Error]:    error_type: 8, unknown'));
    assert.equal(lines.at(-1), '[Hardware Error]:    error_info: 0x00000000000000ff');
  });

  test('the bitmask printer flags reserved type bits and prints every named kind', () => {
    const s = buildArmProcessorSection({ errors: [{ type: 0x07, errorInfo: 0x0091000en }] });
    const lines = print6(s);
    assert.ok(
      lines.includes(
        '[Hardware Error]:    error_type: 0x07: cache error|TLB error with reserved bit(s)',
      ),
    );
    assert.ok(lines.includes('[Hardware Error]:     cache error, operation type: Data write'));
    assert.ok(lines.includes('[Hardware Error]:     TLB error, operation type: Data write'));
    assert.ok(lines.includes('[Hardware Error]:     TLB level: 2'));
  });

  test('a declared length below the error information prints the classic length lines and stops', () => {
    const s = { ...buildArmProcessorSection(), sectionLength: 40 };
    assert.deepEqual(print6(s, 'classic'), [
      '[Hardware Error]:   MIDR: 0x0000000000000000',
      '[Hardware Error]:   section length: 40',
      '[Hardware Error]:   section length is too small',
      '[Hardware Error]:   firmware-generated error record is incorrect',
      '[Hardware Error]:   ERR_INFO_NUM is 1',
    ]);
  });

  test('the bitmask printer reports the CPER size and a section length that is too big', () => {
    const s = { ...buildArmProcessorSection(), sectionLength: 0x100 };
    assert.deepEqual(print6(s).slice(1, 3), [
      '[Hardware Error]:   section length: 256, CPER size: 72',
      '[Hardware Error]:   section length is too big',
    ]);
    const huge = { ...buildArmProcessorSection(), sectionLength: 0xffffffff };
    // (int)(0xffffffff - 72) is negative: Linux calls it too small and prints -1.
    assert.deepEqual(print6(huge).slice(1, 3), [
      '[Hardware Error]:   section length: -1, CPER size: 72',
      '[Hardware Error]:   section length is too small',
    ]);
  });

  test('a context beyond the declared length and an invalid context type stop the printer', () => {
    const base = buildArmProcessorSection({ contexts: [{ type: 9, registers: [1n] }] });
    assert.deepEqual(print6(base).slice(-2), [
      '[Hardware Error]:   Context info structure 0:',
      '[Hardware Error]:    Invalid context type: 9 (max: 8)',
    ]);
    const short = {
      ...buildArmProcessorSection({ contexts: [{ registers: [1n] }] }),
      sectionLength: 80,
    };
    assert.deepEqual(print6(short).slice(-3), [
      '[Hardware Error]:   Context info structure 0:',
      '[Hardware Error]:    section length is too small',
      '[Hardware Error]:   firmware-generated error record is incorrect',
    ]);
  });

  test('context registers dump as little-endian u32 groups without ASCII', () => {
    const s = buildArmProcessorSection({
      contexts: [{ registers: [0x0807060504030201n, 0x100f0e0d0c0b0a09n, 0x11n] }],
    });
    assert.deepEqual(print6(s).slice(-2), [
      '[Hardware Error]:    00000000: 04030201 08070605 0c0b0a09 100f0e0d',
      '[Hardware Error]:    00000010: 00000011 00000000',
    ]);
  });

  test('linuxHexDumpLines() pads the ASCII column to 37 for full groups', () => {
    const bytes = new TextEncoder().encode('ABCDEFGHIJKLMNOPQR\n\0');
    assert.deepEqual(linuxHexDumpLines('p ', bytes, true), [
      'p 00000000: 44434241 48474645 4c4b4a49 504f4e4d  ABCDEFGHIJKLMNOP',
      'p 00000010: 000a5251                             QR..',
    ]);
  });

  test('a declared length shorter than the vendor bytes dumps only that many', () => {
    const s = {
      ...buildArmProcessorSection({ vendor: new Uint8Array([1, 2, 3, 4, 5, 6]) }),
      sectionLength: 74,
    };
    assert.deepEqual(print6(s).slice(-2), [
      '[Hardware Error]:   Vendor specific error info has 2 bytes:',
      '[Hardware Error]:    00000000: 01 02                                            ..',
    ]);
  });

  test('a declared Section Length that disagrees with the body is kept and re-encoded', () => {
    const bytes = QEMU_DEFAULT_ARM.slice();
    bytes[8] = 0x30;
    const s = decodeArmProcessorSection(bytes);
    assert.equal(s.sectionLength, 0x30);
    assert.deepEqual(encodeArmProcessorSection(s), bytes);
  });

  test('decode then encode is byte-identical for any well-formed body', () => {
    const errInfo = fc.uint8Array({ minLength: 32, maxLength: 32 });
    const ctx = fc
      .tuple(
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.uint8Array({ maxLength: 40 }),
      )
      .map(([v, t, regs]) => {
        const h = new Uint8Array(8 + regs.length);
        const dv = new DataView(h.buffer);
        dv.setUint16(0, v, true);
        dv.setUint16(2, t, true);
        dv.setUint32(4, regs.length, true);
        h.set(regs, 8);
        return h;
      });
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 40, maxLength: 40 }),
        fc.array(errInfo, { maxLength: 4 }),
        fc.array(ctx, { maxLength: 3 }),
        fc.uint8Array({ maxLength: 20 }),
        (head, infos, ctxs, vendor) => {
          const parts = [head, ...infos, ...ctxs, vendor];
          const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
          let o = 0;
          for (const p of parts) {
            bytes.set(p, o);
            o += p.length;
          }
          const dv = new DataView(bytes.buffer);
          dv.setUint16(4, infos.length, true);
          dv.setUint16(6, ctxs.length, true);
          const s = decodeArmProcessorSection(bytes);
          assert.deepEqual(encodeArmProcessorSection(s), bytes);
          assert.equal(s.vendorSpecific.length, vendor.length);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('encode then decode gives back any section value over full field ranges', () => {
    const u8 = fc.integer({ min: 0, max: 0xff });
    const u16 = fc.integer({ min: 0, max: 0xffff });
    const u32 = fc.integer({ min: 0, max: 0xffffffff });
    const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
    const info = fc
      .record({
        version: u8,
        length: u8,
        validationBits: u16,
        type: u8,
        multipleError: u16,
        flags: u8,
        errorInfo: u64,
        virtualFaultAddress: u64,
        physicalFaultAddress: u64,
      })
      .map((x) => ({ ...x }));
    const ctx = fc
      .record({
        version: u16,
        registerContextType: u16,
        registers: fc.uint8Array({ maxLength: 24 }),
      })
      .map((x) => ({ ...x }));
    fc.assert(
      fc.property(
        fc.record({
          validationBits: u32,
          errorAffinityLevel: u8,
          reserved: fc.uint8Array({ minLength: 3, maxLength: 3 }),
          mpidr: u64,
          midr: u64,
          runningState: u32,
          psciState: u32,
          errorInfo: fc.array(info, { maxLength: 3 }),
          contextInfo: fc.array(ctx, { maxLength: 3 }),
          vendorSpecific: fc.uint8Array({ maxLength: 16 }),
        }),
        (fields) => {
          const s: ArmProcessorSection = { kind: 'arm', ...fields };
          assert.deepEqual(decodeArmProcessorSection(encodeArmProcessorSection(s)), s);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('decodeArmProcessorSection() throws Truncated at offset 0 for a body shorter than 40 bytes', () => {
    codecError(() => decodeArmProcessorSection(new Uint8Array(39)), CodecErrorCode.Truncated, 0);
  });

  test('decodeArmProcessorSection() throws Truncated at offset 40 when ERR_INFO_NUM overruns the body', () => {
    const bytes = QEMU_DEFAULT_ARM.slice();
    bytes[4] = 2;
    codecError(() => decodeArmProcessorSection(bytes), CodecErrorCode.Truncated, 40);
  });

  test('decodeArmProcessorSection() throws Truncated at the context header when it is cut short', () => {
    const bytes = new Uint8Array([...QEMU_DEFAULT_ARM, 0, 0, 5, 0]);
    bytes[6] = 1;
    codecError(() => decodeArmProcessorSection(bytes), CodecErrorCode.Truncated, 72);
  });

  test('decodeArmProcessorSection() throws Truncated at the register array when its size overruns', () => {
    const bytes = new Uint8Array([...QEMU_DEFAULT_ARM, 0, 0, 5, 0, 0xff, 0xff, 0xff, 0xff, 1, 2]);
    bytes[6] = 1;
    codecError(() => decodeArmProcessorSection(bytes), CodecErrorCode.Truncated, 80);
  });

  test('encodeArmProcessorSection() throws LengthMismatch at offset 13 for reserved bytes of the wrong size', () => {
    const s = { ...buildArmProcessorSection(), reserved: new Uint8Array(2) };
    codecError(() => encodeArmProcessorSection(s), CodecErrorCode.LengthMismatch, 13);
  });

  test('encodeArmProcessorSection() throws OutOfRange for a type that does not fit a byte', () => {
    const base = buildArmProcessorSection();
    const s = { ...base, errorInfo: [{ ...base.errorInfo[0]!, type: 0x100 }] };
    codecError(() => encodeArmProcessorSection(s), CodecErrorCode.OutOfRange, 44);
  });
});

describe('ARM error information helpers', () => {
  test('armErrorInfoFields() decodes the ghes_inject.py bus default', () => {
    assert.deepEqual(armErrorInfoFields(0x80d6460fffn), {
      transactionType: 2,
      operation: 1,
      level: 1,
      processorContextCorrupt: true,
      corrected: true,
      precisePc: false,
      restartablePc: true,
      participationType: 2,
      timeOut: true,
      addressSpace: 0,
      memoryAttributes: 0x20,
      accessMode: 0,
    });
  });

  test('armErrorInfoFields() leaves out fields whose valid bit is clear', () => {
    assert.deepEqual(armErrorInfoFields(0x0091000fn), {
      transactionType: 1,
      operation: 4,
      level: 2,
      processorContextCorrupt: false,
    });
  });

  test('armErrorInfoValue() is the inverse of armErrorInfoFields() for the QEMU defaults', () => {
    for (const v of [0x0091000fn, 0x0054007fn, 0x80d6460fffn]) {
      assert.equal(armErrorInfoValue(armErrorInfoFields(v)), v);
    }
  });

  test('armErrorInfoValue() throws OutOfRange for a level above 7', () => {
    assert.throws(
      () => armErrorInfoValue({ level: 8 }),
      (e: unknown) => e instanceof CodecError && e.code === CodecErrorCode.OutOfRange,
    );
  });

  test('armErrorKinds() reads both type encodings', () => {
    assert.deepEqual(armErrorKinds(0, 'enumerated'), { kinds: ['cache'], reserved: false });
    assert.deepEqual(armErrorKinds(4, 'enumerated'), { kinds: [], reserved: true });
    assert.deepEqual(armErrorKinds(0x14, 'bitmask'), {
      kinds: ['tlb', 'micro-architectural'],
      reserved: false,
    });
    assert.deepEqual(armErrorKinds(0x03, 'bitmask'), { kinds: ['cache'], reserved: true });
  });

  test('armOperationName() has the cache-only and TLB-only operations', () => {
    assert.equal(armOperationName('cache', 10), 'Management');
    assert.equal(armOperationName('bus', 7), undefined);
    assert.match(armOperationName('tlb', 8) ?? '', /^External management operation/);
  });
});
