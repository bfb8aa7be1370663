import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { CodecError } from './errors.js';
import {
  decodeMachineCheck,
  decodeMcaCode,
  decodeMcgCap,
  decodeMcgStatus,
  decodeMciMisc,
  decodeMciStatus,
  encodeMcgCap,
  encodeMcgStatus,
  encodeMciMisc,
  encodeMciStatus,
  machineCheckTable,
} from './mce.js';
import { apeiMceRecord, mcePanicLines, printMceLines, userAccessLine } from './mce-linux.js';
import { gradeMce, linuxMceOutcome, MceSeverity } from './mce-severity.js';

// Golden values: shared/reference/x86-guest/README.md (QEMU kvm_mce_inject's SRAR/SRAO values
// as sent by the spike, and the real 6.1 guest's console lines in out-tcg-skl-*.txt), the Intel
// SDM vol. 3B compound error code table (0x134 = DCACHEL0_DRD_ERR, 0xc0 = MS_CHANNEL0_ERR).

const SRAR = 0xbd80000000000134n;
const SRAO = 0xbd000000000000c0n;

test('decodeMciStatus() reads the SRAR status QEMU injects: VAL UC EN MISCV ADDRV S AR, MCACOD 0x134', () => {
  assert.deepEqual(decodeMciStatus(SRAR), {
    val: true,
    over: false,
    uc: true,
    en: true,
    miscv: true,
    addrv: true,
    pcc: false,
    s: true,
    ar: true,
    threshold: 0,
    correctedCount: 0,
    otherInfo: 0,
    mscod: 0,
    mcacod: 0x134,
  });
});

test('encodeMciStatus() builds the SRAR and SRAO values of the spike from named bits', () => {
  const common = { val: true, uc: true, en: true, miscv: true, addrv: true, s: true };
  assert.equal(encodeMciStatus({ ...common, ar: true, mcacod: 0x134 }), SRAR);
  assert.equal(encodeMciStatus({ ...common, mcacod: 0xc0 }), SRAO);
});

test('decodeMcaCode() names the SDM compound codes: data load, instruction fetch, scrub, L3 writeback, memory read', () => {
  assert.equal(decodeMcaCode(0x134).name, 'DCACHEL0_DRD_ERR');
  assert.equal(decodeMcaCode(0x150).name, 'ICACHEL0_IRD_ERR');
  assert.equal(decodeMcaCode(0xc0).name, 'MS_CHANNEL0_ERR');
  assert.equal(decodeMcaCode(0xc0).kind, 'memory-controller');
  assert.equal(decodeMcaCode(0x17a).name, 'GCACHEL2_EVICT_ERR');
  assert.equal(decodeMcaCode(0x9f).name, 'RD_CHANNELn_ERR');
  assert.match(decodeMcaCode(0x9f).description, /memory read error, channel unspecified/);
  assert.equal(decodeMcaCode(0x0010 | 0x1000 | 0x5).name, 'DTLBL1_ERR');
  assert.equal(decodeMcaCode(0x1015).filtered, true);
  assert.equal(decodeMcaCode(0x000c).name, 'L0_ERR');
  assert.equal(decodeMcaCode(0x0e0b).kind, 'io');
  assert.equal(decodeMcaCode(0x0400).kind, 'internal-timer');
  assert.equal(decodeMcaCode(0x0401).kind, 'internal-unclassified');
  assert.equal(decodeMcaCode(0x0005).kind, 'internal-parity');
  assert.equal(decodeMcaCode(0x0e00).kind, 'bus-interconnect');
});

test('decodeMciMisc() reads QEMU’s MISC 0x8c as physical address mode, LSB 12', () => {
  assert.deepEqual(decodeMciMisc(0x8cn), { addressLsb: 12, addressMode: 2, modelSpecific: 0n });
  assert.equal(encodeMciMisc({ addressLsb: 12, addressMode: 2 }), 0x8cn);
});

test('decodeMcgStatus() reads 7 as RIPV EIPV MCIP and 5 as RIPV MCIP', () => {
  assert.deepEqual(decodeMcgStatus(7n), {
    ripv: true,
    eipv: true,
    mcip: true,
    lmces: false,
    reserved: 0n,
  });
  assert.equal(encodeMcgStatus({ ripv: true, mcip: true }), 5n);
  assert.equal(encodeMcgStatus({ ripv: true, eipv: true, mcip: true, lmces: true }), 0xfn);
});

test('decodeMcgCap() reads QEMU’s default MCG_CAP (10 banks, CTL_P, SER_P) and LMCE_P', () => {
  const cap = decodeMcgCap(0x100010an);
  assert.equal(cap.count, 10);
  assert.equal(cap.ctlP, true);
  assert.equal(cap.serP, true);
  assert.equal(cap.lmceP, false);
  assert.equal(decodeMcgCap(0x900010an).lmceP, true);
  assert.equal(encodeMcgCap({ count: 10, ctlP: true, serP: true }), 0x100010an);
});

test('register round trips keep every one of the 64 bits', () => {
  const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
  fc.assert(
    fc.property(u64, (v) => {
      assert.equal(encodeMciStatus(decodeMciStatus(v)), v);
      assert.equal(encodeMciMisc(decodeMciMisc(v)), v);
      assert.equal(encodeMcgStatus(decodeMcgStatus(v)), v);
      assert.equal(encodeMcgCap(decodeMcgCap(v)), v);
    }),
  );
});

test('decoders and encoders throw CodecError naming the field on values that do not fit', () => {
  const is = (field: string) => (e: unknown) =>
    e instanceof CodecError && e.code === 'out-of-range' && e.field === field;
  assert.throws(() => decodeMciStatus(1n << 64n), is('value'));
  assert.throws(() => decodeMciStatus(-1), is('value'));
  assert.throws(() => encodeMciStatus({ mcacod: 0x10000 }), is('mcacod'));
  assert.throws(() => encodeMcgCap({ count: 256 }), is('count'));
  assert.throws(() => encodeMciMisc({ addressMode: 8 }), is('addressMode'));
  assert.throws(() => decodeMcaCode(0x10000), is('mcacod'));
  assert.throws(
    () => decodeMachineCheck({ bank: 256, status: 0n, mcgStatus: 0n, addr: 0n, misc: 0n }),
    is('bank'),
  );
});

test('machineCheckTable() annotates the SRAR machine check', () => {
  const t = machineCheckTable(
    { bank: 9, status: SRAR, mcgStatus: 7n, addr: 0x29c3000n, misc: 0x8cn },
    0x100010an,
  );
  assert.ok(t.includes('MCi_STATUS    0xbd80000000000134'));
  assert.ok(t.some((l) => /MCACOD {3}0x0134 DCACHEL0_DRD_ERR/.test(l)));
  assert.ok(t.some((l) => /mode {5}2 physical address/.test(l)));
  assert.ok(t.some((l) => /SER_P/.test(l)));
  assert.ok(!t.some((l) => /PCC/.test(l)));
});

// ---- severity.c ----

test('gradeMce(): SRAR in a user process is AR "data load error in a user process"', () => {
  const g = gradeMce({ bank: 9, status: SRAR, mcgStatus: 7n });
  assert.equal(g.severity, MceSeverity.Ar);
  assert.equal(g.message, 'Action required: data load error in a user process');
});

test('gradeMce(): the same SRAR in the kernel panics ("Data load in unrecoverable area of kernel")', () => {
  const g = gradeMce({ bank: 9, status: SRAR, mcgStatus: 7n }, { context: 'kernel' });
  assert.equal(g.severity, MceSeverity.Panic);
  assert.equal(g.message, 'Data load in unrecoverable area of kernel');
});

test('gradeMce(): SRAO is AO "memory scrubbing error"; PCC panics first; OVER on SRAR panics', () => {
  assert.equal(
    gradeMce({ bank: 9, status: SRAO, mcgStatus: 5n }).message,
    'Action optional: memory scrubbing error',
  );
  assert.equal(gradeMce({ bank: 9, status: SRAO, mcgStatus: 5n }).severity, MceSeverity.Ao);
  const pcc = gradeMce({ bank: 9, status: SRAR | (1n << 57n), mcgStatus: 7n });
  assert.deepEqual([pcc.severity, pcc.message], [MceSeverity.Panic, 'Processor context corrupt']);
  const over = gradeMce({ bank: 9, status: SRAR | (1n << 62n), mcgStatus: 7n });
  assert.equal(over.message, 'Action required with lost events');
  assert.equal(
    gradeMce({ bank: 9, status: SRAR, mcgStatus: 3n }).message,
    'MCIP not set in MCA handler',
  );
  assert.equal(
    gradeMce({ bank: 9, status: SRAR, mcgStatus: 1n | 4n }).message,
    'Action required but unaffected thread is continuable',
  );
  assert.equal(gradeMce({ bank: 9, status: 0n, mcgStatus: 7n }).severity, MceSeverity.No);
});

test('gradeMce(): without SER_P an uncorrected error is UC, and AMD panics on SRAR (the spike’s -cpu max)', () => {
  assert.equal(
    gradeMce({ bank: 9, status: SRAR, mcgStatus: 7n }, { ser: false }).message,
    'Uncorrected',
  );
  const amd = linuxMceOutcome(
    { bank: 9, status: SRAR, mcgStatus: 7n, addr: 0x29dc000n, misc: 0x8cn },
    { vendor: 'amd' },
  );
  // console-tcg-max.log: "Machine check: Uncorrected error without MCA Recovery",
  // "Kernel panic - not syncing: Fatal local machine check".
  assert.equal(amd.action, 'panic');
  assert.equal(amd.message, 'Uncorrected error without MCA Recovery');
  assert.equal(amd.panicMessage, 'Fatal local machine check');
  assert.equal(
    gradeMce({ bank: 9, status: SRAR, mcgStatus: 7n }, { vendor: 'amd', succor: true }).severity,
    MceSeverity.Ar,
  );
});

test('linuxMceOutcome(): SRAR kills the current task, SRAO goes to memory_failure, PCC panics with "Fatal machine check"', () => {
  const m = { bank: 9, status: SRAR, mcgStatus: 7n, addr: 0x29c3000n, misc: 0x8cn };
  assert.equal(linuxMceOutcome(m).action, 'kill-current');
  assert.equal(linuxMceOutcome({ ...m, misc: 0n }).action, 'kill-current-no-address');
  assert.equal(linuxMceOutcome({ ...m, status: SRAO, mcgStatus: 5n }).action, 'memory-failure');
  const p = linuxMceOutcome({ ...m, status: SRAR | (1n << 57n) });
  assert.equal(p.action, 'panic');
  assert.equal(p.panicMessage, 'Fatal machine check');
  assert.equal(
    linuxMceOutcome({ ...m, status: SRAR | (1n << 57n), mcgStatus: 0xfn }).panicMessage,
    'Fatal local machine check',
  );
});

// ---- printed lines (out-tcg-skl-mce-ar.txt, out-tcg-skl-ghes-nmi.txt) ----

const SKL = { cpu: 0, cpuvendor: 0, cpuid: 0x506e3, socket: 0, apicid: 0, microcode: 1 } as const;

test('printMceLines() prints the SRAR record of the real 6.1 guest byte for byte', () => {
  const lines = printMceLines({
    ...SKL,
    mcgStatus: 7n,
    bank: 9,
    status: SRAR,
    ip: 0x401640n,
    cs: 0x33,
    tsc: 0x3d810049an,
    addr: 0x29c3000n,
    misc: 0x8cn,
    time: 1796638478n,
  });
  assert.deepEqual(lines, [
    'mce: [Hardware Error]: CPU 0: Machine Check Exception: 7 Bank 9: bd80000000000134',
    'mce: [Hardware Error]: RIP 33:<0000000000401640> ',
    'mce: [Hardware Error]: TSC 3d810049a ADDR 29c3000 MISC 8c ',
    'mce: [Hardware Error]: PROCESSOR 0:506e3 TIME 1796638478 SOCKET 0 APIC 0 microcode 1',
  ]);
  assert.equal(
    userAccessLine(0x29c3000n),
    'mce: Uncorrected hardware memory error in user-access at 29c3000',
  );
});

test('apeiMceRecord() gives the Bank 255 record of a recoverable CPER memory error (bc0000000000009f, MISC 8c)', () => {
  const r = apeiMceRecord(2, 0x29ea000n, 0xfffffffffffff000n)!;
  const lines = printMceLines({ ...SKL, ...r, cs: 0, tsc: 0n, time: 1796638483n });
  assert.deepEqual(lines, [
    'mce: [Hardware Error]: CPU 0: Machine Check: 0 Bank 255: bc0000000000009f',
    'mce: [Hardware Error]: TSC 0 ADDR 29ea000 MISC 8c ',
    'mce: [Hardware Error]: PROCESSOR 0:506e3 TIME 1796638483 SOCKET 0 APIC 0 microcode 1',
  ]);
  assert.equal(apeiMceRecord(0, 0x1000n, undefined)!.status, 0x9c0000000000009fn);
  assert.equal(apeiMceRecord(3, 0x1000n, undefined)!.status & (1n << 57n), 1n << 57n);
  assert.equal(apeiMceRecord(2, undefined, undefined), undefined);
});

test('mcePanicLines() ends with the severity message and the panic (AMD: no mcelog hint)', () => {
  const amd = mcePanicLines(
    {
      ...SKL,
      cpuvendor: 2,
      cpuid: 0x60fb1,
      microcode: 0x1000065,
      mcgStatus: 7n,
      bank: 9,
      status: SRAR,
      ip: 0x401640n,
      cs: 0x33,
      tsc: 0x42c2608f0n,
      addr: 0x29dc000n,
      misc: 0x8cn,
      time: 1796638606n,
    },
    'Uncorrected error without MCA Recovery',
    'Fatal local machine check',
  );
  // console-tcg-max.log, the AMD guest's panic.
  assert.deepEqual(amd, [
    'mce: [Hardware Error]: CPU 0: Machine Check Exception: 7 Bank 9: bd80000000000134',
    'mce: [Hardware Error]: RIP 33:<0000000000401640> ',
    'mce: [Hardware Error]: TSC 42c2608f0 ADDR 29dc000 MISC 8c ',
    'mce: [Hardware Error]: PROCESSOR 2:60fb1 TIME 1796638606 SOCKET 0 APIC 0 microcode 1000065',
    'mce: [Hardware Error]: Machine check: Uncorrected error without MCA Recovery',
    'Kernel panic - not syncing: Fatal local machine check',
  ]);
});
