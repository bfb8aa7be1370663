import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { CodecError } from './errors.js';
import { hexToBytes } from './hex.js';
import { ByteReader } from './reader.js';
import {
  buildQemuMachineCheckLog,
  decodeRtasErrorLog,
  decodeRtasV6Header,
  describeRtasSummary,
  encodeRtasErrorLog,
  encodeRtasV6Header,
  linuxPseriesMce,
  RTAS_ERROR_LOG_SIZE,
  type RtasErrorLog,
  readRtasErrorLog,
  rtasSummaryFromWord,
  rtasSummaryToWord,
} from './rtas.js';
import {
  decodeRtasMcSection,
  encodeRtasMcSection,
  RTAS_MC_SECTION_SIZE,
  rtasMcSubtypeName,
} from './rtas-mc-section.js';

// Golden logs, assembled by hand from formats.md §14.1–§14.5 (QEMU spapr_events.c field values):
//   saved r3 (8) | summary (4) | extended_length = 0x38 (4) |
//   v6 header 86 00 8e + 9 × 00 + 'IBM\0' | MC: 4d43 0028 01 00 0000 | FRU 0 | proc 0 |
//   error type | sub error type | 6 × 00 | effective address (8) | logical address (8)
const V6 = '86 00 8e 00 00 00 00 00 00 00 00 00 49 42 4d 00';
const MC_HEAD = '4d 43 00 28 01 00 00 00 00 00 00 00 00 00 00 00';
const R3 = '11 22 33 44 55 66 77 88';
const ZERO6 = '00 00 00 00 00 00';
const ZERO8 = '00 00 00 00 00 00 00 00';

function golden(summary: string, typeSub: string, ea: string, la = ZERO8): Uint8Array {
  return hexToBytes(
    `${R3} ${summary} 00 00 00 38 ${V6} ${MC_HEAD} ${typeSub} ${ZERO6} ${ea} ${la}`,
  );
}

// UE load/store (DSISR 0x8000), not recovered: summary 0x06000000 | 0x00040000 | 0x00100000 |
// 0x1000 | 0x00600000 = 0x06741000; type 0 UE, sub 3 load/store, no EA (QEMU's dar_valid false).
const UE_LOAD_STORE = golden('06 74 10 00', '00 03', ZERO8);
// SLB multihit from SRR1 (0x000c0000), recovered: 0x06641000; type 1, sub 1 | 0x80, EA = NIP.
const SLB_MULTIHIT_IFETCH = golden('06 64 10 00', '01 81', '00 00 00 00 10 00 12 34');
// No pattern, not recovered: 0x06000000 | 0x00040000 | 0x00100000 | 0x1000 = 0x06141000.
const UNMATCHED = golden('06 14 10 00', '00 00', ZERO8);
// UE page-table-walk load/store (DSISR 0x4000), EA = DAR, sub 4 | 0x40.
const UE_PTW_RECOVERED = golden('06 64 10 00', '00 44', '00 00 7f ff 12 34 00 00');
const UE_PTW_NOT_RECOVERED = golden('06 74 10 00', '00 44', '00 00 7f ff 12 34 00 00');

const SRR1_LOADSTORE = 1n << 21n;
const base = { savedR3: 0x1122334455667788n, dar: 0x7fff12340000n, nip: 0x10001234n };

function isCodecError(code: string, offset: number, field?: string) {
  return (e: unknown) =>
    e instanceof CodecError &&
    e.code === code &&
    e.offset === offset &&
    (field === undefined || e.field === field);
}

test('the RTAS error log is 72 bytes and the MC section 40', () => {
  assert.equal(RTAS_ERROR_LOG_SIZE, 72);
  assert.equal(RTAS_MC_SECTION_SIZE, 40);
  assert.equal(UE_LOAD_STORE.length, 72);
});

test('buildQemuMachineCheckLog() gives the golden bytes for a UE on load/store (DSISR 0x8000)', () => {
  const { log, matched } = buildQemuMachineCheckLog({
    ...base,
    srr1: SRR1_LOADSTORE,
    dsisr: 0x8000,
    recovered: false,
  });
  assert.deepEqual(matched, { table: 'derror', index: 0 });
  assert.deepEqual(encodeRtasErrorLog(log), UE_LOAD_STORE);
});

test('buildQemuMachineCheckLog() gives the golden bytes for an SLB multihit seen in SRR1', () => {
  const { log, matched } = buildQemuMachineCheckLog({
    ...base,
    srr1: 0x000c0000n,
    dsisr: 0,
    recovered: true,
  });
  assert.deepEqual(matched, { table: 'ierror', index: 2 });
  assert.deepEqual(encodeRtasErrorLog(log), SLB_MULTIHIT_IFETCH);
});

test('buildQemuMachineCheckLog() leaves severity NO_ERROR and UE/indeterminate when nothing matches', () => {
  const { log, matched } = buildQemuMachineCheckLog({
    ...base,
    srr1: 0n,
    dsisr: 0,
    recovered: false,
  });
  assert.equal(matched, 'none');
  assert.deepEqual(encodeRtasErrorLog(log), UNMATCHED);
  // Load/store with a DSISR bit QEMU does not know also matches nothing.
  const ls = buildQemuMachineCheckLog({
    ...base,
    srr1: SRR1_LOADSTORE,
    dsisr: 0x2,
    recovered: false,
  });
  assert.equal(ls.matched, 'none');
  assert.deepEqual(encodeRtasErrorLog(ls.log), UNMATCHED);
});

test('buildQemuMachineCheckLog() sets only the disposition differently for recovered and not', () => {
  const input = { ...base, srr1: SRR1_LOADSTORE, dsisr: 0x4000 };
  assert.deepEqual(
    encodeRtasErrorLog(buildQemuMachineCheckLog({ ...input, recovered: true }).log),
    UE_PTW_RECOVERED,
  );
  assert.deepEqual(
    encodeRtasErrorLog(buildQemuMachineCheckLog({ ...input, recovered: false }).log),
    UE_PTW_NOT_RECOVERED,
  );
});

test('buildQemuMachineCheckLog() tests DSISR bits in QEMU’s order: UE first, SLB multihit before parity', () => {
  const at = (dsisr: number) =>
    buildQemuMachineCheckLog({ ...base, srr1: SRR1_LOADSTORE, dsisr, recovered: false }).log.mc;
  assert.equal(at(0xc000).subErrorType, 0x03);
  assert.deepEqual([at(0x180).errorType, at(0x180).subErrorType], [1, 0x81]);
  assert.deepEqual([at(0x100).errorType, at(0x100).subErrorType], [1, 0x80]);
  assert.deepEqual([at(0x800).errorType, at(0x800).subErrorType], [2, 0x82]);
  assert.deepEqual([at(0x400).errorType, at(0x400).subErrorType], [4, 0x82]);
});

test('buildQemuMachineCheckLog() fills the logical address and flag 0x20 only when asked', () => {
  const { log } = buildQemuMachineCheckLog({
    ...base,
    srr1: SRR1_LOADSTORE,
    dsisr: 0x8000,
    recovered: false,
    logicalAddress: 0x12345000n,
  });
  assert.deepEqual(
    encodeRtasErrorLog(log),
    golden('06 74 10 00', '00 23', ZERO8, '00 00 00 00 12 34 50 00'),
  );
});

test('decodeRtasErrorLog() reads the golden UE log field by field', () => {
  const log = decodeRtasErrorLog(UE_LOAD_STORE);
  assert.equal(log.savedR3, 0x1122334455667788n);
  assert.deepEqual(log.summary, {
    version: 6,
    severity: 3,
    disposition: 2,
    extended: 1,
    reserved: 0,
    initiator: 1,
    target: 0,
    type: 0,
  });
  assert.equal(log.v6.b0, 0x86);
  assert.equal(log.v6.b2, 0x8e);
  assert.equal(log.v6.companyId, 0x49424d00);
  assert.equal(log.mc.errorType, 0);
  assert.equal(rtasMcSubtypeName(log.mc.errorType, log.mc.subErrorType), 'load/store');
  assert.equal(
    describeRtasSummary(log.summary),
    'version 6, ERROR_SYNC, NOT_RECOVERED, extended, initiator CPU, target UNKNOWN, type OTHER',
  );
});

const arbLog: fc.Arbitrary<RtasErrorLog> = fc.record({
  savedR3: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  summary: fc.integer({ min: 0, max: 0xffffffff }).map(rtasSummaryFromWord),
  v6: fc.record({
    b0: fc.integer({ min: 0, max: 255 }),
    reserved1: fc.integer({ min: 0, max: 255 }),
    b2: fc.integer({ min: 0, max: 255 }),
    reserved2: fc.uint8Array({ minLength: 9, maxLength: 9 }),
    companyId: fc.integer({ min: 0, max: 0xffffffff }),
  }),
  mc: fc.record({
    version: fc.integer({ min: 0, max: 255 }),
    subtype: fc.integer({ min: 0, max: 255 }),
    creatorId: fc.integer({ min: 0, max: 0xffff }),
    fruId: fc.integer({ min: 0, max: 0xffffffff }),
    processorId: fc.integer({ min: 0, max: 0xffffffff }),
    errorType: fc.integer({ min: 0, max: 255 }),
    subErrorType: fc.integer({ min: 0, max: 255 }),
    reserved: fc.uint8Array({ minLength: 6, maxLength: 6 }),
    effectiveAddress: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    logicalAddress: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  }),
});

test('encodeRtasErrorLog() then decodeRtasErrorLog() round-trips over full field ranges', () => {
  fc.assert(
    fc.property(arbLog, (log) => {
      const bytes = encodeRtasErrorLog(log);
      assert.equal(bytes.length, 72);
      // fast-check builds some records without a prototype: compare plain copies.
      assert.deepEqual(decodeRtasErrorLog(bytes), { ...log, v6: { ...log.v6 }, mc: { ...log.mc } });
      assert.deepEqual(encodeRtasErrorLog(decodeRtasErrorLog(bytes)), bytes);
    }),
    { numRuns: 200 },
  );
});

test('rtasSummaryToWord() is the inverse of rtasSummaryFromWord() for every word', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffffffff }), (w) => {
      assert.equal(rtasSummaryToWord(rtasSummaryFromWord(w)), w);
    }),
    { numRuns: 300 },
  );
});

test('rtasSummaryToWord() rejects a severity of 8 with an out-of-range CodecError', () => {
  const s = rtasSummaryFromWord(0x06741000);
  assert.throws(
    () => rtasSummaryToWord({ ...s, severity: 8 }),
    (e: unknown) => e instanceof CodecError && e.code === 'out-of-range' && e.field === 'severity',
  );
});

test('decodeRtasErrorLog() rejects a short log as truncated at offset 0', () => {
  assert.throws(() => decodeRtasErrorLog(UE_LOAD_STORE.slice(0, 71)), isCodecError('truncated', 0));
});

test('decodeRtasErrorLog() rejects an extended length other than 56 at offset 12', () => {
  const bad = UE_LOAD_STORE.slice();
  bad[15] = 0x39;
  assert.throws(
    () => decodeRtasErrorLog(bad),
    isCodecError('length-mismatch', 12, 'extended length'),
  );
});

test('decodeRtasErrorLog() rejects a section id other than MC at offset 32', () => {
  const bad = UE_LOAD_STORE.slice();
  bad[32] = 0x50;
  assert.throws(() => decodeRtasErrorLog(bad), isCodecError('invalid', 32, 'section id'));
});

test('decodeRtasErrorLog() rejects an MC section length other than 40 at offset 34', () => {
  const bad = UE_LOAD_STORE.slice();
  bad[35] = 0x30;
  assert.throws(
    () => decodeRtasErrorLog(bad),
    isCodecError('length-mismatch', 34, 'section length'),
  );
});

test('decodeRtasErrorLog() rejects bytes after the log at offset 72', () => {
  const long = new Uint8Array(73);
  long.set(UE_LOAD_STORE);
  assert.throws(() => decodeRtasErrorLog(long), isCodecError('length-mismatch', 72));
});

test('the v6 header and MC section decode and encode on their own', () => {
  const v6 = hexToBytes(V6);
  assert.deepEqual(encodeRtasV6Header(decodeRtasV6Header(v6)), v6);
  const mc = UE_LOAD_STORE.slice(32);
  assert.deepEqual(encodeRtasMcSection(decodeRtasMcSection(mc)), mc);
  assert.throws(() => decodeRtasMcSection(mc.slice(0, 39)), isCodecError('truncated', 0));
});

test('readRtasErrorLog() reads a log at an offset inside a larger buffer (rtas_addr + 0x30)', () => {
  const rtas = new Uint8Array(0x30 + 72);
  rtas.set(SLB_MULTIHIT_IFETCH, 0x30);
  const r = new ByteReader(rtas, 'RTAS area', 0x30);
  assert.equal(readRtasErrorLog(r).mc.effectiveAddress, 0x10001234n);
  assert.equal(r.remaining, 0);
});

// Linux's view (linux-guest.md §13; mce.c format string `MCE: CPU%d: machine check (%s) %s %s %s %s[%s]`).

const user = { cpu: 0, nip: 0x10001234n, pid: 99, comm: 'victim' };

test('linuxPseriesMce() prints QEMU’s UE load/store as Severe, not recovered, and kills the task', () => {
  const m = linuxPseriesMce(decodeRtasErrorLog(UE_LOAD_STORE), user);
  assert.equal(m.severity, 'Severe');
  assert.equal(m.errorType, 'UE');
  assert.equal(m.subtype, 'Load/Store');
  assert.equal(m.effectiveAddress, undefined);
  assert.equal(m.memoryFailurePfn, undefined);
  assert.deepEqual(m.lines, [
    'MCE: CPU0: machine check (Severe)  UE Load/Store [Not recovered]',
    'MCE: CPU0: PID: 99 Comm: victim NIP: [0000000010001234]',
    'MCE: CPU0: Initiator CPU',
    'MCE: CPU0: Unknown',
  ]);
  assert.deepEqual(m.outcome, { kind: 'sigbus', siCode: 4, siAddr: 0x10001234n });
});

test('linuxPseriesMce() prints `Host` for older kernels, as linux-guest.md §13.3 shows', () => {
  const m = linuxPseriesMce(decodeRtasErrorLog(UE_LOAD_STORE), { ...user, kernel: 'old' });
  assert.equal(m.lines[0], 'MCE: CPU0: machine check (Severe) Host UE Load/Store [Not recovered]');
});

test('linuxPseriesMce() shows no DAR when the EA is the NIP, and a recovered SLB multihit', () => {
  const m = linuxPseriesMce(decodeRtasErrorLog(SLB_MULTIHIT_IFETCH), user);
  assert.equal(m.lines[0], 'MCE: CPU0: machine check (Severe)  SLB Multihit [Recovered]');
  assert.deepEqual(m.outcome, { kind: 'recovered' });
});

test('linuxPseriesMce() reads the unmatched log as Harmless UE Indeterminate', () => {
  const m = linuxPseriesMce(decodeRtasErrorLog(UNMATCHED), user);
  assert.equal(m.lines[0], 'MCE: CPU0: machine check (Harmless)  UE Indeterminate [Not recovered]');
  assert.equal(m.syncError, true);
});

test('linuxPseriesMce() prints the DAR of a page-table-walk UE and uses a logical address for memory_failure', () => {
  const m = linuxPseriesMce(decodeRtasErrorLog(UE_PTW_NOT_RECOVERED), user);
  assert.equal(
    m.lines[0],
    'MCE: CPU0: machine check (Severe)  UE Page table walk Load/Store DAR: 00007fff12340000 [Not recovered]',
  );
  const { log } = buildQemuMachineCheckLog({
    ...base,
    srr1: SRR1_LOADSTORE,
    dsisr: 0x8000,
    recovered: false,
    logicalAddress: 0x12345000n,
  });
  const withPa = linuxPseriesMce(log, user);
  assert.equal(withPa.physicalAddress, 0x12345000n);
  assert.equal(withPa.memoryFailurePfn, 0x12345n);
  assert.equal(
    withPa.lines[1],
    'MCE: CPU0: PID: 99 Comm: victim NIP: [0000000010001234] paddr: 0000000012345000',
  );
});

test('linuxPseriesMce() fixes an unrecovered ERAT in real mode and treats kernel mode by die_will_crash', () => {
  const erat = buildQemuMachineCheckLog({
    ...base,
    srr1: SRR1_LOADSTORE,
    dsisr: 0x800,
    recovered: false,
  });
  assert.equal(linuxPseriesMce(erat.log, user).recovered, true);
  const ue = decodeRtasErrorLog(UE_LOAD_STORE);
  const kernel = { cpu: 1, nip: 0xc000000000012340n, userMode: false };
  assert.deepEqual(linuxPseriesMce(ue, kernel).outcome, { kind: 'die', text: 'Machine check' });
  assert.deepEqual(linuxPseriesMce(ue, { ...kernel, dieWillCrash: true }).outcome, {
    kind: 'panic',
    text: 'Machine check',
  });
  assert.equal(
    linuxPseriesMce(ue, kernel).lines[1],
    'MCE: CPU1: NIP: [c000000000012340] 0xc000000000012340',
  );
});

test('linuxPseriesMce() ignores the MC section unless the log is v6 format 14 from IBM', () => {
  const log = decodeRtasErrorLog(UE_LOAD_STORE);
  const m = linuxPseriesMce({ ...log, v6: { ...log.v6, companyId: 0 } }, user);
  assert.equal(m.mcParsed, false);
  assert.equal(m.errorType, 'Unknown');
  assert.equal(m.lines[0], 'MCE: CPU0: machine check (Severe)  Unknown  [Not recovered]');
});
