import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';

// Plain objects (not null-prototype) so that assert.deepEqual compares them with decoded values.
function record<T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> {
  return fc.record(model, { noNullPrototype: true });
}

import { HEST_ALL_TYPES } from '../../test/support/iasl.js';
import { readShared } from '../../test/support/shared.js';
import { byteSum } from './checksum.js';
import { CodecError } from './errors.js';
import type { Gas } from './gas.js';
import {
  decodeHest,
  encodeHest,
  HEST_HEADER_SIZE,
  type Hest,
  type HestErrorSource,
  hestSourceSize,
} from './hest.js';
import type { HestMachineCheckBank } from './hest-ia32.js';
import type { HestNotification } from './hest-notification.js';
import { hexToBytes } from './hex.js';
import type { FieldTrace } from './reader.js';

// Every HEST QEMU produced that the reference holds (../shared/reference/qemu/README.md,
// real-guest/): upstream test expectations, tables captured from running QEMUs (patched and
// unpatched) and the table a Debian 12 guest read from /sys/firmware/acpi/tables/HEST.
const QEMU_FILES = [
  'qemu/tests/data/acpi/aarch64/virt/HEST',
  'qemu/history/cd16f08ad4/tests/data/acpi/aarch64/virt/HEST',
  'qemu/captured/qemu-10.2.50-ece408818d/virt/HEST.patched.bin',
  'qemu/captured/qemu-10.2.50-ece408818d/virt/HEST.unpatched.bin',
  'qemu/captured/qemu-10.2.50-ece408818d/virt-10.1/HEST.patched.bin',
  'qemu/captured/qemu-10.2.50-ece408818d/virt-10.1/HEST.unpatched.bin',
  'qemu/captured/qemu-7.2.22-debian12/virt/HEST.patched.bin',
  'qemu/captured/qemu-7.2.22-debian12/virt/HEST.unpatched.bin',
  'real-guest/hest-qemu72-virt-ras-on.bin',
];

function ref(path: string): Uint8Array {
  return readShared('reference', ...path.split('/'));
}

// Golden: ACPICA iasl 20200925 (Debian acpica-tools 20200925-8) compiling its own disassembly
// of HEST_ALL_TYPES (`iasl -d`, then `iasl -p`): ACPICA's encoding of one source of every type.
const IASL_ALL_TYPES = hexToBytes(
  [
    '48455354480200000156565241532020414c4c545950455302000000494e544c25092020090000000000100000000501',
    '02000000030000008877665544332211112233445566778802000000000000000701020007040000ffffffffffffffff',
    '08040000090400000a0400000801020008040000ffffffffffffffff090400000a0400000b0400000100110000000101',
    '0400000005000000051c3f00640000002100000003000000040000000500000006000000010000000201020002040000',
    'ffffffffffffffff03040000040400000504000002001200000000000600000007000000001000000600130000000101',
    '0100000001000000020001000300040005000000060000000700000008000000090000000a0000000700140000000000',
    '010000000100000002000100030004000500000006000000070000000800000009000000080015000000010101000000',
    '010000000200010003000400050000000600000007000000080000000900000028000000290000002a00000009001600',
    'ffff0001010000000100000000040000004000040010008000000000001c0000e8030000000000000000000000000000',
    '0000000000000000001000000a001700ffff00010100000001000000000400000040000400200080000000000b1c0000',
    '00000000030000000000000000000000000000000000000000040000004000040820008000000000feffffffffffffff',
    '01000000000000000b001800000004010100000001000000061c00000000000000000000000000000000000000000000',
    '0000000000000000',
  ].join(''),
);

// Golden: `iasl -T HEST` then `iasl hest.asl` (iasl 20200925): ACPICA's HEST template. Its
// Error Source Count says 4 although 8 subtables follow.
const IASL_TEMPLATE = hexToBytes(
  [
    '484553547c0200000166494e54454c2054656d706c61746501000000494e544c25092020040000000000000000000001',
    '010000000100000000000000000000000000000000000000020000000000000000000000000000000000000000000000',
    '000000000000000000000000010000000000000000000000000000000000000000000000000000000100010000000001',
    '0100000001000000001c0000000000000000000000000000000000000000000000000000020000000000000000000000',
    '000000000000000000000000000000000000000001000000000000000000000000000000000000000000000000000000',
    '070000000000000101000000010000000000000000000000000000000000000000000000000000000000000008000000',
    '000000010100000001000000000000000000000000000000000000000000000000000000000000000000000000000000',
    '0000000009000200ffff0001010000000100000000100000004000040000000000000000031c00000000000000000000',
    '000000000000000000000000000000000010000009000300000000010100000001000000001000000040000400000000',
    '00000000041c0000000000000000000000000000000000000000000000000000001000000a0003000000000101000000',
    '0100000000100000004000040000000000000000041c0000000000000000000000000000000000000000000000000000',
    '00100000004000040000000000000000000000000000000000000000000000000b000100000000010100000001000000',
    '001c00000000000000000000000000000000000000000000000000000100000000000000000000000000000000000000',
    '000000000000000000000000',
  ].join(''),
);

function expectCodecError(fn: () => unknown, code: string, offset: number): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof CodecError, `expected CodecError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.equal(e.offset, offset);
    return true;
  });
}

for (const path of QEMU_FILES) {
  test(`decodeHest() then encodeHest() gives back ${path} byte for byte`, () => {
    const bytes = ref(path);
    const hest = decodeHest(bytes);
    const keep = path.endsWith('unpatched.bin') ? 'keep' : 'compute';
    assert.equal(hest.checksumValid, keep === 'compute');
    assert.deepEqual(encodeHest(hest, { checksum: keep }), bytes);
    assert.equal(hest.rest, undefined);
  });
}

test('decodeHest() reads the QEMU 10.2 expectation as qemu-vmm.md §5 lists it', () => {
  const hest = decodeHest(ref('qemu/tests/data/acpi/aarch64/virt/HEST'));
  assert.equal(hest.header.length, 224);
  assert.equal(hest.header.checksum, 0x6c);
  assert.equal(hest.header.oemId, 'BOCHS ');
  assert.equal(hest.sources.length, 2);
  const [s0, s1] = hest.sources;
  assert.ok(s0?.type === 10 && s1?.type === 10);
  assert.equal(s0.notification.type, 8);
  assert.equal(s1.notification.type, 7);
  assert.equal(s0.errorStatusAddress.address, 0x43da0000n);
  assert.equal(s0.readAckRegister.address, 0x43da0010n);
  assert.equal(s1.errorStatusAddress.address, 0x43da0008n);
  assert.equal(s1.readAckRegister.address, 0x43da0018n);
  assert.equal(s1.readAckPreserve, 0xfffffffffffffffen);
  assert.equal(s1.errorStatusBlockLength, 1024);
});

test('encodeHest() of one source of every type equals what iasl compiles for it', () => {
  assert.deepEqual(encodeHest(HEST_ALL_TYPES), IASL_ALL_TYPES);
});

test('decodeHest() of the iasl-compiled table gives back every field of every type', () => {
  const { header, sources, rest } = decodeHest(IASL_ALL_TYPES);
  assert.deepEqual(sources, HEST_ALL_TYPES.sources);
  assert.equal(header.creatorId, 'INTL');
  assert.equal(rest, undefined);
});

test("decodeHest() keeps the template's uncounted subtables as rest and re-encodes it", () => {
  const hest = decodeHest(IASL_TEMPLATE);
  assert.deepEqual(
    hest.sources.map((s) => [s.type, s.sourceId]),
    [
      [0, 0],
      [1, 1],
      [7, 0],
      [8, 0],
    ],
  );
  assert.equal(hest.rest?.sourceCount, 0);
  assert.equal(hest.rest?.bytes.length, IASL_TEMPLATE.length - 0x154);
  assert.match(hest.rest?.reason ?? '', /after the last counted error source at offset 0x154/);
  assert.deepEqual(encodeHest(hest), IASL_TEMPLATE);
});

function withReserved(type: number): Uint8Array {
  // A GHESv2 source, then a source of a reserved type followed by 24 more bytes; count 2.
  const ghes = encodeHest(
    decodeHest(ref('qemu/history/cd16f08ad4/tests/data/acpi/aarch64/virt/HEST')),
  );
  const extra = new Uint8Array(28);
  extra[0] = type & 0xff;
  extra[1] = type >> 8;
  extra[2] = 7;
  const bytes = new Uint8Array(ghes.length + extra.length);
  bytes.set(ghes);
  bytes.set(extra, ghes.length);
  const view = new DataView(bytes.buffer);
  view.setUint32(4, bytes.length, true);
  view.setUint32(36, 2, true);
  bytes[9] = 0;
  bytes[9] = (0x100 - byteSum(bytes)) & 0xff;
  return bytes;
}

for (const type of [3, 4, 5, 12, 0xffff]) {
  test(`decodeHest() stops at reserved type ${type} and keeps the rest as bytes, losslessly`, () => {
    const bytes = withReserved(type);
    const hest = decodeHest(bytes);
    assert.equal(hest.sources.length, 1);
    assert.equal(hest.rest?.sourceCount, 1);
    assert.equal(hest.rest?.bytes.length, 28);
    assert.match(
      hest.rest?.reason ?? '',
      new RegExp(`reserved error source type ${type} at offset 0x84`),
    );
    assert.deepEqual(encodeHest(hest), bytes);
  });
}

test('encodeHest() computes length, count and a checksum that makes the table sum to 0', () => {
  const bytes = encodeHest(HEST_ALL_TYPES);
  const view = new DataView(bytes.buffer);
  assert.equal(view.getUint32(4, true), bytes.length);
  assert.equal(view.getUint32(36, true), HEST_ALL_TYPES.sources.length);
  assert.equal(byteSum(bytes), 0);
  const total = HEST_ALL_TYPES.sources.reduce((n, s) => n + hestSourceSize(s), HEST_HEADER_SIZE);
  assert.equal(bytes.length, total);
});

test('encodeHest() ignores a stale checksum in the header unless told to keep it', () => {
  const stale = { ...HEST_ALL_TYPES, header: { ...HEST_ALL_TYPES.header, checksum: 0x12 } };
  assert.equal(byteSum(encodeHest(stale)), 0);
  assert.equal(encodeHest(stale, { checksum: 'keep' })[9], 0x12);
});

test('decodeHest() reports a bad checksum without throwing', () => {
  const bytes = encodeHest(HEST_ALL_TYPES);
  bytes[9] = (bytes[9]! + 1) & 0xff;
  assert.equal(decodeHest(bytes).checksumValid, false);
});

test('decodeHest() traces every field with its absolute offset', () => {
  const trace: FieldTrace[] = [];
  decodeHest(ref('qemu/tests/data/acpi/aarch64/virt/HEST'), { trace });
  const ack1 = trace.filter((f) => f.field === 'address');
  assert.deepEqual(
    ack1.map((f) => [f.offset, f.value]),
    [
      [0x40, 0x43da0000n],
      [0x6c, 0x43da0010n],
      [0x9c, 0x43da0008n],
      [0xc8, 0x43da0018n],
    ],
  );
});

// ---- errors ----

test('decodeHest() rejects another signature (invalid, offset 0)', () => {
  const bytes = encodeHest(HEST_ALL_TYPES);
  bytes[0] = 0x58;
  expectCodecError(() => decodeHest(bytes), 'invalid', 0);
});

test('decodeHest() rejects a length below the 40-byte header (invalid, offset 4)', () => {
  const bytes = encodeHest(HEST_ALL_TYPES);
  new DataView(bytes.buffer).setUint32(4, 39, true);
  expectCodecError(() => decodeHest(bytes), 'invalid', 4);
});

test('decodeHest() rejects a length beyond the bytes given (truncated, offset 4)', () => {
  const bytes = encodeHest(HEST_ALL_TYPES);
  expectCodecError(() => decodeHest(bytes.subarray(0, bytes.length - 1)), 'truncated', 4);
});

test('decodeHest() rejects bytes after the table (length-mismatch at the table end)', () => {
  const bytes = encodeHest(HEST_ALL_TYPES);
  const longer = new Uint8Array(bytes.length + 3);
  longer.set(bytes);
  expectCodecError(() => decodeHest(longer), 'length-mismatch', bytes.length);
});

test('decodeHest() rejects a buffer shorter than the SDT header (truncated, offset 0)', () => {
  expectCodecError(() => decodeHest(new Uint8Array(20)), 'truncated', 0);
});

test('decodeHest() rejects a count larger than the sources present (truncated at the end)', () => {
  const bytes = encodeHest(HEST_ALL_TYPES);
  new DataView(bytes.buffer).setUint32(36, 10, true);
  expectCodecError(() => decodeHest(bytes), 'truncated', bytes.length);
});

test('decodeHest() rejects a source cut short by the table length (truncated at the source)', () => {
  const full = ref('qemu/history/cd16f08ad4/tests/data/acpi/aarch64/virt/HEST');
  const bytes = full.slice(0, 100);
  new DataView(bytes.buffer).setUint32(4, 100, true);
  expectCodecError(() => decodeHest(bytes), 'truncated', 40);
});

test('decodeHest() rejects banks running past the table (truncated at the first bank)', () => {
  const bytes = encodeHest({ ...HEST_ALL_TYPES, sources: [HEST_ALL_TYPES.sources[0]!] });
  bytes[40 + 32] = 3; // three banks declared, two present
  expectCodecError(() => decodeHest(bytes), 'truncated', 80);
});

test('decodeHest() rejects a notification length other than 28 (invalid, at the length byte)', () => {
  const bytes = encodeHest(decodeHest(ref('qemu/tests/data/acpi/aarch64/virt/HEST')));
  bytes[0x49] = 27;
  expectCodecError(() => decodeHest(bytes), 'invalid', 0x49);
});

test('encodeHest() refuses another signature (invalid, offset 0)', () => {
  const bad = { ...HEST_ALL_TYPES, header: { ...HEST_ALL_TYPES.header, signature: 'APIC' } };
  expectCodecError(() => encodeHest(bad), 'invalid', 0);
});

test('encodeHest() refuses a reserved type in sources (invalid, at the source)', () => {
  const bad = { ...HEST_ALL_TYPES, sources: [{ type: 3 } as unknown as HestErrorSource] };
  expectCodecError(() => encodeHest(bad), 'invalid', 40);
});

test('encodeHest() refuses a field that does not fit (out-of-range, at the field)', () => {
  const nmi = {
    type: 2,
    sourceId: 0x10000,
    reserved: 0,
    recordsToPreallocate: 0,
    maxSectionsPerRecord: 0,
    maxRawDataLength: 0,
  } as const;
  expectCodecError(() => encodeHest({ ...HEST_ALL_TYPES, sources: [nmi] }), 'out-of-range', 42);
});

test('encodeHest() refuses more than 255 machine-check banks (out-of-range, at the count)', () => {
  const mc = HEST_ALL_TYPES.sources[0]!;
  assert.equal(mc.type, 0);
  const banks = Array.from(
    { length: 256 },
    () => (mc as { banks: readonly HestMachineCheckBank[] }).banks[0]!,
  );
  expectCodecError(
    () => encodeHest({ ...HEST_ALL_TYPES, sources: [{ ...mc, banks } as HestErrorSource] }),
    'out-of-range',
    40 + 32,
  );
});

test('encodeHest() refuses reserved bytes of the wrong length (length-mismatch)', () => {
  const mc = { ...HEST_ALL_TYPES.sources[0]!, reserved2: new Uint8Array(6) } as HestErrorSource;
  expectCodecError(() => encodeHest({ ...HEST_ALL_TYPES, sources: [mc] }), 'length-mismatch', 73);
});

// ---- properties ----

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const bytesOf = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });

const gas: fc.Arbitrary<Gas> = record({
  addressSpaceId: u8,
  registerBitWidth: u8,
  registerBitOffset: u8,
  accessSize: u8,
  address: u64,
});
const notification: fc.Arbitrary<HestNotification> = record({
  type: u8,
  configurationWriteEnable: u16,
  pollInterval: u32,
  vector: u32,
  switchToPollingThresholdValue: u32,
  switchToPollingThresholdWindow: u32,
  errorThresholdValue: u32,
  errorThresholdWindow: u32,
});
const bank: fc.Arbitrary<HestMachineCheckBank> = record({
  bankNumber: u8,
  clearStatusOnInit: u8,
  statusDataFormat: u8,
  reserved: u8,
  controlRegisterMsrAddress: u32,
  controlInitData: u64,
  statusRegisterMsrAddress: u32,
  addressRegisterMsrAddress: u32,
  miscRegisterMsrAddress: u32,
});
const banks = fc.array(bank, { maxLength: 4 });
const common = { sourceId: u16, recordsToPreallocate: u32, maxSectionsPerRecord: u32 };
const aerCommon = {
  ...common,
  reserved1: u16,
  flags: u8,
  enabled: u8,
  bus: u32,
  device: u16,
  function: u16,
  deviceControl: u16,
  reserved2: u16,
  uncorrectableErrorMask: u32,
  uncorrectableErrorSeverity: u32,
  correctableErrorMask: u32,
  advancedErrorCapabilities: u32,
};
const ghesCommon = {
  ...common,
  relatedSourceId: u16,
  flags: u8,
  enabled: u8,
  maxRawDataLength: u32,
  errorStatusAddress: gas,
  notification,
  errorStatusBlockLength: u32,
};

const SOURCE_ARBITRARIES: Record<string, fc.Arbitrary<HestErrorSource>> = {
  'IA-32 machine check (0)': record({
    type: fc.constant(0 as const),
    ...common,
    reserved1: u16,
    flags: u8,
    enabled: u8,
    globalCapabilityInitData: u64,
    globalControlInitData: u64,
    reserved2: bytesOf(7),
    banks,
  }),
  'IA-32 corrected/deferred check (1, 11)': record({
    type: fc.constantFrom(1 as const, 11 as const),
    ...common,
    reserved1: u16,
    flags: u8,
    enabled: u8,
    notification,
    reserved2: bytesOf(3),
    banks,
  }),
  'IA-32 NMI (2)': record({
    type: fc.constant(2 as const),
    ...common,
    reserved: u32,
    maxRawDataLength: u32,
  }),
  'PCIe root port AER (6)': record({
    type: fc.constant(6 as const),
    ...aerCommon,
    rootErrorCommand: u32,
  }),
  'PCIe device AER (7)': record({ type: fc.constant(7 as const), ...aerCommon }),
  'PCIe bridge AER (8)': record({
    type: fc.constant(8 as const),
    ...aerCommon,
    secondaryUncorrectableErrorMask: u32,
    secondaryUncorrectableErrorSeverity: u32,
    secondaryAdvancedCapabilities: u32,
  }),
  'GHES (9)': record({ type: fc.constant(9 as const), ...ghesCommon }),
  'GHESv2 (10)': record({
    type: fc.constant(10 as const),
    ...ghesCommon,
    readAckRegister: gas,
    readAckPreserve: u64,
    readAckWrite: u64,
  }),
};

const header = record({
  signature: fc.constant('HEST'),
  revision: u8,
  oemId: fc.string({ minLength: 6, maxLength: 6, unit: 'binary-ascii' }),
  oemTableId: fc.string({ minLength: 8, maxLength: 8, unit: 'binary-ascii' }),
  oemRevision: u32,
  creatorId: fc.string({ minLength: 4, maxLength: 4, unit: 'binary-ascii' }),
  creatorRevision: u32,
});

for (const [name, arb] of Object.entries(SOURCE_ARBITRARIES)) {
  test(`decodeHest(encodeHest(x)) is x for any ${name} source over full field ranges`, () => {
    fc.assert(
      fc.property(header, fc.array(arb, { minLength: 1, maxLength: 3 }), (h, sources) => {
        const hest: Hest = { header: h, sources };
        const bytes = encodeHest(hest);
        const back = decodeHest(bytes);
        assert.deepEqual(back.sources, sources);
        assert.equal(back.checksumValid, true);
        assert.deepEqual(encodeHest(back), bytes);
      }),
      { numRuns: 150 },
    );
  });
}

test('decodeHest() then encodeHest() is the identity on any table of mixed sources', () => {
  const anySource = fc.oneof(...Object.values(SOURCE_ARBITRARIES));
  fc.assert(
    fc.property(header, fc.array(anySource, { maxLength: 6 }), u8, (h, sources, checksum) => {
      const bytes = encodeHest({ header: { ...h, checksum }, sources }, { checksum: 'keep' });
      assert.deepEqual(encodeHest(decodeHest(bytes), { checksum: 'keep' }), bytes);
    }),
    { numRuns: 200 },
  );
});
