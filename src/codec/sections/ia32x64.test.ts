import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { bytes, guid, u8, u16, u32, u64 } from '../../../test/support/layout-arbitrary.js';
import { corpusSections } from '../../../test/support/libcper-corpus.js';
import { CodecError, CodecErrorCode } from '../errors.js';
import {
  decodeIa32X64ProcessorSection,
  encodeIa32X64ProcessorSection,
  IA32X64_HEADER_SIZE,
  IA32X64_SECTION_GUID,
  Ia32X64ErrorType,
  type Ia32X64ProcessorSection,
  printIa32X64SectionLinux,
} from './ia32x64.js';
import { decodeSection } from './opaque.js';

const LIBCPER_TYPE_NAMES: Record<string, string> = {
  [Ia32X64ErrorType.Cache]: 'Cache Check Error',
  [Ia32X64ErrorType.Tlb]: 'TLB Check Error',
  [Ia32X64ErrorType.Bus]: 'Bus Check Error',
  [Ia32X64ErrorType.Ms]: 'MS Check Error',
};

describe('IA32/X64 Processor Error section', () => {
  test('the fixed part is 64 bytes (UEFI N.2.4.2)', () => {
    assert.equal(IA32X64_HEADER_SIZE, 64);
  });

  test('libcper corpus bodies decode to the values libcper printed and encode back exactly', () => {
    const sections = corpusSections(IA32X64_SECTION_GUID);
    assert.ok(sections.length >= 4);
    for (const c of sections) {
      const s = decodeIa32X64ProcessorSection(c.body);
      const j = c.section.Ia32x64Processor;
      assert.equal(s.errorInfo.length, j.processorErrorInfoNum);
      assert.equal(s.contexts.length, j.processorContextInfoNum);
      if (j.localAPICID !== undefined) assert.equal(Number(s.localApicId), j.localAPICID);
      s.errorInfo.forEach((e, i) => {
        const ji = j.processorErrorInfo[i];
        assert.equal(e.errorType, ji.type.guid);
        assert.equal(LIBCPER_TYPE_NAMES[e.errorType], ji.type.name);
      });
      s.contexts.forEach((ctx, i) => {
        const jc = j.processorContextInfo[i];
        assert.equal(ctx.registerContextType, jc.registerContextType.value);
        assert.equal(ctx.registerArray.length, jc.registerArraySize);
      });
      assert.deepEqual(encodeIa32X64ProcessorSection(s), c.body);
      assert.equal(decodeSection(IA32X64_SECTION_GUID, c.body).kind, 'ia32x64');
    }
  });

  const info = fc.record(
    {
      errorType: fc.oneof(fc.constantFrom(...Object.values(Ia32X64ErrorType)), guid),
      validationBits: u64,
      checkInfo: u64,
      targetId: u64,
      requestorId: u64,
      responderId: u64,
      instructionPointer: u64,
    },
    { noNullPrototype: true },
  );
  const context = fc.record(
    {
      registerContextType: u16,
      msrAddress: u32,
      mmRegisterAddress: u64,
      registerArray: fc.uint8Array({ maxLength: 40 }),
    },
    { noNullPrototype: true },
  );
  const section = fc
    .tuple(
      u64,
      u64,
      bytes(48),
      fc.array(info, { maxLength: 3 }),
      fc.array(context, { maxLength: 3 }),
      u8,
    )
    .map(
      ([v, apic, cpuid, errorInfo, contexts]): Ia32X64ProcessorSection => ({
        kind: 'ia32x64',
        validationBits:
          (v & ~0x3ffcn) | (BigInt(errorInfo.length) << 2n) | (BigInt(contexts.length) << 8n),
        localApicId: apic,
        cpuidInfo: cpuid,
        errorInfo,
        contexts,
      }),
    );

  test('decode → encode is exact over full field ranges', () => {
    fc.assert(
      fc.property(section, (s) => {
        assert.deepEqual(decodeIa32X64ProcessorSection(encodeIa32X64ProcessorSection(s)), s);
      }),
    );
  });

  test('an error information count past the body is a LengthMismatch at offset 0x40', () => {
    const b = new Uint8Array(64);
    b[0] = 1 << 2;
    assert.throws(
      () => decodeIa32X64ProcessorSection(b),
      (e: unknown) =>
        e instanceof CodecError && e.code === CodecErrorCode.LengthMismatch && e.offset === 0x40,
    );
  });

  test('a register array past the body is Truncated at the array (offset 0x50)', () => {
    const b = new Uint8Array(64 + 16 + 4);
    b[1] = 1; // one context structure
    b[64 + 2] = 8; // register array size 8, 4 bytes remain
    assert.throws(
      () => decodeIa32X64ProcessorSection(b),
      (e: unknown) =>
        e instanceof CodecError && e.code === CodecErrorCode.Truncated && e.offset === 0x50,
    );
  });

  test('encoding lists that disagree with the counts in the validation bits is a LengthMismatch', () => {
    const s = decodeIa32X64ProcessorSection(new Uint8Array(64));
    assert.throws(
      () => encodeIa32X64ProcessorSection({ ...s, validationBits: 1n << 2n }),
      (e: unknown) => e instanceof CodecError && e.code === CodecErrorCode.LengthMismatch,
    );
  });

  test('x86 Linux lines follow cper_print_proc_ia (format strings of cper-x86.c)', () => {
    // A bus check: valid transaction type, operation, level, uncorrected, participation, time out.
    const check =
      0x0001n |
      0x0002n |
      0x0004n |
      0x0010n |
      0x0100n |
      0x0200n |
      (2n << 16n) |
      (3n << 18n) |
      (1n << 22n) |
      (1n << 26n) |
      (1n << 30n) |
      (1n << 32n);
    const s: Ia32X64ProcessorSection = {
      kind: 'ia32x64',
      validationBits: 0x1n | (1n << 2n) | (1n << 8n),
      localApicId: 0x2an,
      cpuidInfo: new Uint8Array(48),
      errorInfo: [
        {
          errorType: Ia32X64ErrorType.Bus,
          validationBits: 0x11n,
          checkInfo: check,
          targetId: 0n,
          requestorId: 0n,
          responderId: 0n,
          instructionPointer: 0xffffffff81000000n,
        },
      ],
      contexts: [
        {
          registerContextType: 1,
          msrAddress: 0x179,
          mmRegisterAddress: 0n,
          registerArray: Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 0x80]),
        },
      ],
    };
    const p = '{1}[Hardware Error]:   ';
    assert.deepEqual(printIa32X64SectionLinux(s, { pfx: p, options: {} }), [
      `${p}Local APIC_ID: 0x2a`,
      `${p}Error Information Structure 0:`,
      `${p} Error Structure Type: bus error`,
      `${p} Check Information: 0x00000001444e0317`,
      `${p}  Transaction Type: 2, Generic`,
      `${p}  Operation: 3, data read`,
      `${p}  Level: 1`,
      `${p}  Uncorrected: true`,
      `${p}  Participation Type: 1, Local Processor responded to request`,
      `${p}  Time Out: true`,
      `${p} Instruction Pointer: 0xffffffff81000000`,
      `${p}Context Information Structure 0:`,
      `${p} Register Context Type: MSR Registers (Machine Check and other MSRs)`,
      `${p} Register Array Size: 0x0008`,
      `${p} MSR Address: 0x00000179`,
      `${p} Register Array:`,
      `${p} 00000000: 8000000000000001`,
    ]);
  });
});
