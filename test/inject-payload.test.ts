// `vras inject` payloads: templates from named options and the checks before a record leaves.
// Golden bytes: QEMU's own memory record (qemu-vmm.md §7, derived from acpi_ghes_memory_errors)
// and the ARM Processor Error section layout (UEFI 2.10 N.2.4.4, formats.md §8).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  base64ToBytes,
  CperSeverity,
  decodeGhesStatusBlock,
  encodeGhesStatusBlock,
  hexToBytes,
} from '../src/codec/index.js';
import { InjectError } from '../src/inject/errors.js';
import {
  fruTextBytes,
  objectToArgs,
  parseTemplate,
  templateBlock,
  templateBytes,
} from '../src/inject/templates.js';
import { bytesFromBase64, validatePayload } from '../src/inject/validate.js';

const u32 = (b: Uint8Array, o: number) => new DataView(b.buffer, b.byteOffset).getUint32(o, true);
const u64 = (b: Uint8Array, o: number) =>
  new DataView(b.buffer, b.byteOffset).getBigUint64(o, true);

/** qemu-vmm.md §7: the 172-byte record QEMU writes for GPA 0x40001000. */
const QEMU_MEMORY_RECORD = hexToBytes(
  [
    '01000000 00000000 00000000 98000000 00000000',
    '1411BCA5 646FDE4E B8633E83 ED7C83B1 00000000 0003 00 00 50000000',
    '00'.repeat(16 + 20 + 8),
    '0240000000000000 0000000000000000 0010004000000000',
    '00'.repeat(48 + 8),
  ].join(' '),
);

function expectInjectError(fn: () => unknown, code: string, offset?: number): InjectError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof InjectError, `expected InjectError, got ${String(caught)}`);
  assert.equal(caught.code, code);
  if (offset !== undefined) assert.equal(caught.offset, offset);
  return caught;
}

describe('inject templates', () => {
  it('memory template with QEMU-style options gives QEMU’s record, except the computed raw data offset', () => {
    const bytes = templateBytes(
      parseTemplate('memory', [
        '--pa',
        '0x40001000',
        '--error-type',
        '0',
        '--block-status',
        'uncorrectable',
      ]),
    );
    assert.equal(bytes.length, 172);
    assert.equal(QEMU_MEMORY_RECORD.length, 172);
    assert.deepEqual(bytes.subarray(0, 4), QEMU_MEMORY_RECORD.subarray(0, 4));
    assert.equal(u32(bytes, 4), 172, 'raw data offset = 20 + data length (QEMU writes 0)');
    assert.deepEqual(bytes.subarray(8), QEMU_MEMORY_RECORD.subarray(8));
  });

  it('memory template sets the valid bit of every field given and the block status from severity', () => {
    const block = templateBlock(
      parseTemplate('memory', [
        '--pa',
        '0x41000000',
        '--severity',
        'corrected',
        '--node',
        '1',
        '--error-type',
        'single-bit-ecc',
      ]),
    );
    assert.equal(block.errorSeverity, CperSeverity.Corrected);
    assert.equal(block.blockStatus, 0x12, 'correctable valid, entry count 1');
    const body = block.entries[0]!.body as unknown as {
      validationBits: bigint;
      node: number;
      errorType: number;
    };
    assert.equal(body.validationBits, 0x4002n | 0x8n);
    assert.equal(body.node, 1);
    assert.equal(body.errorType, 2);
  });

  it('arm template encodes MPIDR, affinity level and PSCI state as given (ghes_inject.py writes 0)', () => {
    const bytes = templateBytes(
      parseTemplate('arm', ['--mpidr', '0x444', '--affinity', '2', '--psci', '0x55', '-r']),
    );
    const section = 20 + 72;
    assert.equal(u32(bytes, section) & 0x7, 0x7, 'MPIDR, affinity and running state valid');
    assert.equal(bytes[section + 12], 2, 'error affinity level at +12');
    assert.equal(u64(bytes, section + 16), 0x444n, 'MPIDR_EL1 at +16');
    assert.equal(u32(bytes, section + 32), 1, 'running state at +32');
    assert.equal(u32(bytes, section + 36), 0x55, 'PSCI state at +36');
  });

  it('arm template builds one error-information entry per -t with its own options', () => {
    const bytes = templateBytes(
      parseTemplate('arm', [
        '-t',
        'cache',
        '-t',
        'tlb,micro-arch',
        '-p',
        '0x1000',
        '-p',
        '0x2000',
        '-f',
        'overflow',
      ]),
    );
    const section = 20 + 72;
    assert.equal(bytes[section + 4], 2, 'error information count');
    const info0 = section + 40;
    const info1 = info0 + 32;
    assert.equal(bytes[info0 + 4], 0x02, 'cache bit');
    assert.equal(bytes[info1 + 4], 0x14, 'TLB | micro-architectural bits');
    assert.equal(u64(bytes, info0 + 24), 0x1000n);
    assert.equal(u64(bytes, info1 + 24), 0x2000n);
    assert.equal(bytes[info0 + 7], 0x8, 'flags overflow on entry 0 only');
    assert.equal(bytes[info1 + 7], 0x3, 'entry 1 keeps first|last');
  });

  it('arm template takes ghes_inject.py’s own example command line, several values after one flag', () => {
    // scripts/arm_processor_error.py's docstring example (qemu-vmm.md §15); expected values from
    // the guest output printed there, except MPIDR and affinity, which the script drops.
    const block = templateBlock(
      parseTemplate('arm', [
        '--mpidr',
        '0x444',
        '--running',
        '--affinity',
        '1',
        '--error-info',
        '12345678',
        '--vendor',
        '0x13,123,4,5,1',
        '--ctx-array',
        '0,1,2,3,4,5',
        '-t',
        'cache',
        'tlb',
        'bus',
        'micro-arch',
        'tlb,micro-arch',
      ]),
    );
    const body = block.entries[0]!.body as unknown as {
      mpidr: bigint;
      errorAffinityLevel: number;
      runningState: number;
      errorInfo: {
        type: number;
        errorInfo: bigint;
        validationBits: number;
        multipleError: number;
      }[];
      contextInfo: { registerContextType: number; registers: Uint8Array }[];
      vendorSpecific: Uint8Array;
    };
    assert.equal(body.mpidr, 0x444n);
    assert.equal(body.errorAffinityLevel, 1);
    assert.equal(body.runningState, 1);
    assert.deepEqual(
      body.errorInfo.map((e) => e.type),
      [0x02, 0x04, 0x08, 0x10, 0x14],
    );
    assert.deepEqual(
      body.errorInfo.map((e) => e.errorInfo),
      [0xbc614en, 0x54007fn, 0x80d6460fffn, 0x78da03ffn, 0n],
    );
    assert.deepEqual(
      body.errorInfo.map((e) => (e.validationBits & 0x4) !== 0),
      [true, true, true, true, false],
      'error info valid except for the combined type, which has no default',
    );
    assert.deepEqual(
      body.errorInfo.map((e) => e.multipleError),
      [1, 1, 1, 1, 1],
    );
    assert.equal(body.contextInfo[0]!.registerContextType, 5, 'AArch64 EL1 by default');
    assert.deepEqual(
      [...new BigUint64Array(body.contextInfo[0]!.registers.slice().buffer)],
      [0n, 1n, 2n, 3n, 4n, 5n],
    );
    assert.deepEqual([...body.vendorSpecific], [0x13, 0x7b, 0x04, 0x05, 0x01]);
  });

  it('arm template takes the script’s long aliases and per-entry lists after one flag', () => {
    const a = templateBytes(
      parseTemplate('arm', [
        '--arm-valid',
        'mpidr,vendor',
        '--affinity-level',
        '3',
        '--psci-state',
        '7',
        '-t',
        'cache',
        'bus',
        '--physical-address',
        '0x1000',
        '0x2000',
        '--virtual-address',
        '0x3000',
        '-m',
        '4',
        '5',
        '--pei-valid',
        'phy-addr',
        'virt-addr,multiple-error',
        '--vendor-specific',
        'aa',
        'bb',
      ]),
    );
    const section = 20 + 72;
    assert.equal(u32(a, section), 0x9, '--arm-valid mpidr,vendor');
    assert.equal(a[section + 12], 3);
    assert.equal(u32(a, section + 36), 7);
    const info0 = section + 40;
    const info1 = info0 + 32;
    assert.equal(a[info0 + 2], 0x10, 'entry 0 valid: phy-addr');
    assert.equal(a[info1 + 2], 0x09, 'entry 1 valid: virt-addr|multiple-error');
    assert.equal(a[info0 + 5], 4);
    assert.equal(a[info1 + 5], 5);
    assert.equal(u64(a, info0 + 16), 0x3000n);
    assert.equal(u64(a, info1 + 16), 0xdeadbeefn, 'default VA for the entry without one');
    assert.equal(u64(a, info0 + 24), 0x1000n);
    assert.equal(u64(a, info1 + 24), 0x2000n);
    assert.deepEqual([...a.subarray(a.length - 2)], [0xaa, 0xbb], 'vendor bytes concatenated');
    expectInjectError(() => parseTemplate('arm', ['-t', 'cache', 'l2']), 'usage');
  });

  it('arm template context registers hold exactly the registers given (no +1)', () => {
    const block = templateBlock(
      parseTemplate('arm', ['--ctx-type', '5', '--ctx-array', '0x1,0x2,0x3', '--vendor', 'aabb']),
    );
    const body = block.entries[0]!.body as unknown as {
      contextInfo: { registerContextType: number; registers: Uint8Array }[];
      vendorSpecific: Uint8Array;
    };
    assert.equal(body.contextInfo[0]!.registerContextType, 5);
    assert.equal(body.contextInfo[0]!.registers.length, 24);
    assert.deepEqual(body.vendorSpecific, Uint8Array.of(0xaa, 0xbb));
  });

  it('a short FRU text is NUL-padded to 20 bytes and marks the FRU text valid', () => {
    const block = templateBlock(parseTemplate('memory', ['--pa', '0x1000', '--fru-text', 'DIMM7']));
    const e = block.entries[0]!;
    assert.equal(e.fruText.length, 20);
    assert.deepEqual([...e.fruText.subarray(0, 6)], [0x44, 0x49, 0x4d, 0x4d, 0x37, 0]);
    assert.equal(e.validationBits & 0x2, 0x2);
  });

  it('--timestamp takes a calendar time in BCD and now from the given clock', () => {
    const fixed = parseTemplate('memory', [
      '--pa',
      '1',
      '--timestamp',
      '2024-05-01 12:34:56',
      '--precise',
    ]);
    const ts = templateBlock(fixed).entries[0]!.timestamp!;
    assert.deepEqual([ts.century, ts.year, ts.month, ts.day], [0x20, 0x24, 0x05, 0x01]);
    assert.deepEqual([ts.hours, ts.minutes, ts.seconds, ts.flags], [0x12, 0x34, 0x56, 1]);
    const now = parseTemplate('memory', ['--pa', '1', '--timestamp', 'now'], {
      clock: () => new Date(Date.UTC(2030, 0, 2, 3, 4, 5)),
    });
    assert.equal(templateBlock(now).entries[0]!.timestamp!.year, 0x30);
  });

  it('--gedb-flags are encoded in the entry flags (ghes_inject.py drops them)', () => {
    const block = templateBlock(
      parseTemplate('memory', ['--pa', '1', '--gedb-flags', 'primary,latent-error']),
    );
    assert.equal(block.entries[0]!.flags, 0x21);
  });

  it('raw data goes after the entries at raw data offset, outside data length', () => {
    const bytes = templateBytes(parseTemplate('memory', ['--pa', '1', '--raw-data', '0102030405']));
    assert.equal(u32(bytes, 12), 152, 'data length excludes raw data');
    assert.equal(u32(bytes, 4), 172, 'raw data offset after the entry');
    assert.equal(u32(bytes, 8), 5);
    assert.deepEqual(bytes.subarray(172), Uint8Array.of(1, 2, 3, 4, 5));
    assert.equal(validatePayload(bytes).acceptance.accepted, true);
  });

  it('template options that cannot be parsed are usage errors naming the option', () => {
    expectInjectError(() => parseTemplate('memory', ['--pa', 'zz']), 'usage');
    expectInjectError(() => parseTemplate('memory', []), 'usage');
    expectInjectError(() => parseTemplate('memory', ['--pa', '1', '--bogus', '1']), 'usage');
    expectInjectError(() => parseTemplate('arm', ['-t', 'cache', '-m', '1', '-m', '2']), 'usage');
    expectInjectError(() => parseTemplate('arm', ['-t', 'l2']), 'usage');
    expectInjectError(() => parseTemplate('arm', ['--affinity', '256']), 'usage');
    expectInjectError(() => fruTextBytes('x'.repeat(21)), 'usage');
    const e = expectInjectError(
      () => parseTemplate('memory', ['--pa', '1', '--severity', 'bad']),
      'usage',
    );
    assert.match(e.message, /--severity/);
  });

  it('a batch line object becomes template arguments', () => {
    assert.deepEqual(
      objectToArgs({ template: 'arm', t: ['cache', 'tlb'], mpidr: '0x1', running: true }),
      { template: 'arm', args: ['-t', 'cache', '-t', 'tlb', '--mpidr', '0x1', '--running'] },
    );
  });
});

describe('inject validation', () => {
  const good = templateBytes(
    parseTemplate('memory', ['--pa', '0x41000000', '--severity', 'corrected']),
  );

  it('accepts a well-formed record and gives base64 that decodes to the same bytes', () => {
    const v = validatePayload(good);
    assert.equal(v.forced, false);
    assert.deepEqual(base64ToBytes(v.base64), good);
  });

  it('refuses an empty record', () => {
    expectInjectError(() => validatePayload(new Uint8Array(0)), 'empty', 0);
  });

  it('refuses a record shorter than block status', () => {
    expectInjectError(() => validatePayload(Uint8Array.of(1, 0)), 'empty', 0);
  });

  it('refuses block_status 0 even with force', () => {
    const zero = good.slice();
    zero.fill(0, 0, 4);
    expectInjectError(() => validatePayload(zero, { force: true }), 'block-status-zero', 0);
  });

  it('refuses a record over the source limit', () => {
    const big = encodeGhesStatusBlock({
      ...decodeGhesStatusBlock(good),
      rawData: new Uint8Array(1024 - good.length + 1),
    });
    assert.equal(big.length, 1025);
    expectInjectError(() => validatePayload(big, { force: true }), 'too-big', 1024);
    expectInjectError(() => validatePayload(good, { limit: 100 }), 'too-big', 100);
  });

  it('refuses what the lint says the guest rejects, and --force sends it', () => {
    const wrong = new Uint8Array(good.length + 8);
    wrong.set(good);
    new DataView(wrong.buffer).setUint32(12, good.length - 20 + 8, true);
    const e = expectInjectError(() => validatePayload(wrong), 'guest-rejects');
    assert.match(e.message, /--force/);
    const forced = validatePayload(wrong, { force: true });
    assert.equal(forced.forced, true);
    assert.ok(forced.findings.length > 0);
  });

  it('invalid base64 from the user is an error with its offset', () => {
    expectInjectError(() => bytesFromBase64('AAA!'), 'bad-base64', 3);
    expectInjectError(() => bytesFromBase64('AAA'), 'bad-base64');
    assert.deepEqual(bytesFromBase64('AQID'), Uint8Array.of(1, 2, 3));
  });

  it('every memory template record the guest accepts round-trips through base64', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: (1n << 48n) - 1n }),
        fc.constantFrom('recoverable', 'corrected', 'none'),
        fc.integer({ min: 0, max: 15 }),
        (pa, severity, type) => {
          const bytes = templateBytes(
            parseTemplate('memory', [
              '--pa',
              `0x${pa.toString(16)}`,
              '--severity',
              severity,
              '--error-type',
              String(type),
            ]),
          );
          const v = validatePayload(bytes);
          assert.deepEqual(base64ToBytes(v.base64), bytes);
          assert.equal(v.acceptance.accepted, true);
        },
      ),
      { numRuns: 200 },
    );
  });
});
