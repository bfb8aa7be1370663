import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { readShared } from '../../test/support/shared.js';
import { guidBytes } from './guid.js';
import {
  cperEstatusLength,
  type KernelVersion,
  kernelBehaviour,
  type LinuxAcceptance,
  lintStatusBlock,
  linuxAcceptance,
  MfFlag,
  type StatusBlockContext,
} from './lint-status-block.js';

// Golden input: the 172-byte block QEMU 10.2.50 wrote for `inject-ghes-v2-error`
// (reference/qemu/captured/…/qmp_cper_payload.bin): recoverable memory error, PA 0x40001000.
const QMP_PAYLOAD = readShared(
  'reference/qemu/captured/qemu-10.2.50-ece408818d/virt/qmp_cper_payload.bin',
);
const RAM = [{ start: 0x40000000n, size: 0x40000000n }];
const SEA: StatusBlockContext = { errorBlockLength: 1024, notificationType: 8, ram: RAM };
const POLLED: StatusBlockContext = { errorBlockLength: 1024, notificationType: 0, ram: RAM };
const DEVMEM = { comm: 'devmem', pid: 100 };

const MEMORY = 'a5bc1114-6f64-4ede-b863-3e83ed7c83b1';
const ARM = 'e19e3d16-bc11-11e4-9caa-c2051d5d46b0';
const PCIE = 'd995e954-bbc1-430f-ad91-b44dcb3c6f35';

interface Entry {
  type: string;
  severity?: number;
  revision?: number;
  flags?: number;
  payload: Uint8Array;
  /** Overrides the error_data_length field (default: payload length). */
  length?: number;
}

/** Builds a status block by hand from formats.md §4.1–§4.2 (independent of the codecs). */
function block(
  h: {
    status?: number;
    rawOffset?: number;
    rawLength?: number;
    dataLength?: number;
    severity?: number;
  },
  entries: Entry[],
  tail: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const parts = entries.map((e) => {
    const rev = e.revision ?? 0x300;
    const hdr = rev >> 8 >= 3 ? 72 : 64;
    const b = new Uint8Array(hdr + e.payload.length);
    const v = new DataView(b.buffer);
    b.set(guidBytes(e.type), 0);
    v.setUint32(16, e.severity ?? 0, true);
    v.setUint16(20, rev, true);
    b[23] = e.flags ?? 0;
    v.setUint32(24, e.length ?? e.payload.length, true);
    b.set(e.payload, hdr);
    return b;
  });
  const data = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(20 + data + tail.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, h.status ?? 1, true);
  v.setUint32(4, h.rawOffset ?? 0, true);
  v.setUint32(8, h.rawLength ?? 0, true);
  v.setUint32(12, h.dataLength ?? data, true);
  v.setUint32(16, h.severity ?? 0, true);
  let o = 20;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  out.set(tail, o);
  return out;
}

/** Platform Memory section body (formats.md §7.1). */
function memory(valid: bigint, pa: bigint, size = 80): Uint8Array {
  const b = new Uint8Array(size);
  const v = new DataView(b.buffer);
  if (size >= 8) v.setBigUint64(0, valid, true);
  if (size >= 24) v.setBigUint64(16, pa, true);
  if (size > 72) b[72] = 3;
  return b;
}

/** ARM processor section with error-information entries (formats.md §8.1–§8.2). */
function arm(infos: { type: number; valid: number; pa: bigint; length?: number }[]): Uint8Array {
  const b = new Uint8Array(40 + 32 * infos.length);
  const v = new DataView(b.buffer);
  v.setUint16(4, infos.length, true);
  v.setUint32(8, b.length, true);
  infos.forEach((e, i) => {
    const o = 40 + 32 * i;
    b[o + 1] = e.length ?? 32;
    v.setUint16(o + 2, e.valid, true);
    b[o + 4] = e.type;
    v.setBigUint64(o + 24, e.pa, true);
  });
  return b;
}

function codes(r: LinuxAcceptance): string[] {
  return r.findings.map((f) => f.code);
}

test('the QEMU 10.2 memory record is accepted and queues memory_failure(0x40001, 0) on 6.1', () => {
  const r = linuxAcceptance(QMP_PAYLOAD, SEA);
  assert.equal(r.accepted, true);
  assert.equal(r.cleared, true);
  assert.equal(r.acked, true);
  assert.equal(r.printed, true);
  assert.equal(r.panic, false);
  assert.equal(r.forcedSigbus, false);
  assert.equal(r.claimed, true);
  assert.equal(r.path, 'nmi');
  assert.equal(r.recordLength, 172);
  assert.deepEqual(
    r.memoryFailures.map((m) => [m.pfn, m.flags, m.via, m.how]),
    [[0x40001n, 0, 'memory', 'queue']],
  );
  assert.deepEqual(
    r.findings.filter((f) => f.severity !== 'info'),
    [],
  );
});

test('newer kernels run memory_failure with MF_ACTION_REQUIRED for an SEA source and 0 for a polled one', () => {
  const sea = linuxAcceptance(QMP_PAYLOAD, { ...SEA, kernel: 'newer' });
  assert.deepEqual(
    sea.memoryFailures.map((m) => [m.flags, m.flagNames, m.how]),
    [[MfFlag.MF_ACTION_REQUIRED, ['MF_ACTION_REQUIRED'], 'task-work']],
  );
  const polled = linuxAcceptance(QMP_PAYLOAD, { ...POLLED, kernel: 'newer' });
  assert.deepEqual(
    polled.memoryFailures.map((m) => m.flags),
    [0],
  );
  assert.equal(polled.path, 'irq');
  assert.equal(polled.claimed, false);
});

test('block_status 0 is ignored and never acked', () => {
  const bytes = QMP_PAYLOAD.slice();
  bytes[0] = 0;
  const r = linuxAcceptance(bytes, SEA);
  assert.deepEqual(codes(r), ['estatus.block-status-zero']);
  assert.equal(r.findings[0]!.consequence.kind, 'ignored-never-acked');
  assert.equal(r.findings[0]!.offset, 0);
  assert.equal(r.accepted, false);
  assert.equal(r.cleared, false);
  assert.equal(r.acked, false);
  assert.equal(r.claimed, false);
});

test('a zero Error Status Address register is ignored and never acked', () => {
  const r = linuxAcceptance(QMP_PAYLOAD, { ...SEA, pointer: 0n });
  assert.deepEqual(codes(r), ['estatus.null-pointer']);
  assert.equal(r.acked, false);
});

test('a record shorter than its header is "Truncated error status block!", cleared and acked', () => {
  const bytes = block({ rawOffset: 0, rawLength: 10 }, []);
  const r = linuxAcceptance(bytes, SEA);
  assert.deepEqual(codes(r), ['estatus.truncated']);
  const f = r.findings[0]!;
  assert.equal(f.message, '[Firmware Warn]: GHES: Truncated error status block!');
  assert.equal(f.consequence.kind, 'rejected-acked');
  assert.equal(f.offset, 8);
  assert.equal(r.cleared, true);
  assert.equal(r.acked, true);
  assert.equal(r.claimed, false);
});

test('cper_estatus_len() wraps at 2^32 like the kernel', () => {
  const bytes = block({ rawOffset: 0xfffffff8, rawLength: 0x10 }, []);
  assert.equal(cperEstatusLength(bytes), 8);
  assert.deepEqual(
    lintStatusBlock(bytes, SEA).map((f) => f.code),
    ['estatus.truncated'],
  );
});

test('a record longer than error_block_length is "Invalid error status block length!"', () => {
  const r = linuxAcceptance(QMP_PAYLOAD, { ...SEA, errorBlockLength: 100 });
  assert.deepEqual(codes(r), ['estatus.invalid-length']);
  assert.equal(r.findings[0]!.message, '[Firmware Warn]: GHES: Invalid error status block length!');
  assert.equal(r.findings[0]!.offset, 12);
  assert.equal(r.acked, true);
});

test('newer kernels also reject a record longer than their 64 KiB buffer', () => {
  const bytes = block({ dataLength: 70000 }, []);
  const newer = linuxAcceptance(bytes, { ...POLLED, errorBlockLength: 100000, kernel: 'newer' });
  assert.equal(newer.findings.at(-1)!.code, 'estatus.invalid-length');
  const old = linuxAcceptance(bytes, { ...POLLED, errorBlockLength: 100000 });
  assert.ok(codes(old).includes('estatus.buffer-overflow'));
});

test('data_length between 1 and 63 is "Invalid CPER header!"', () => {
  const bytes = block({ dataLength: 40 }, [], new Uint8Array(40));
  const r = linuxAcceptance(bytes, SEA);
  assert.deepEqual(codes(r), ['estatus.invalid-header']);
  assert.equal(r.findings[0]!.message, '[Firmware Warn]: GHES: Invalid CPER header!');
  assert.equal(r.findings[0]!.field, 'data_length');
});

test('raw data placed inside data_length, as ghes_inject.py does, is "Invalid CPER header!"', () => {
  // qemu-vmm.md §19 item 14(d): raw_data_offset 0, raw bytes between the GEDE and the payload,
  // counted in data_length.
  const raw = new Uint8Array(32).fill(0xaa);
  const payload = new Uint8Array([...raw, ...arm([{ type: 2, valid: 0x10, pa: 0x40000000n }])]);
  const bytes = block({ rawOffset: 0, rawLength: raw.length }, [{ type: ARM, payload }]);
  const r = linuxAcceptance(bytes, SEA);
  assert.deepEqual(codes(r), ['estatus.invalid-header']);
  assert.equal(r.findings[0]!.field, 'raw_data_offset');
  assert.equal(r.findings[0]!.offset, 4);
});

test('raw data after the entries is accepted (raw_data_offset = 20 + data_length)', () => {
  const tail = new Uint8Array(16).fill(0x55);
  const bytes = block(
    { rawOffset: 172, rawLength: 16 },
    [{ type: MEMORY, payload: memory(0x4002n, 0x40001000n) }],
    tail,
  );
  const r = linuxAcceptance(bytes, SEA);
  assert.equal(r.accepted, true);
  assert.equal(r.recordLength, 188);
});

test('entries that do not fill data_length exactly are "Failed to read error status block!"', () => {
  const bytes = block({ dataLength: 152 }, [
    { type: MEMORY, payload: memory(0x4002n, 0x40001000n, 60) },
  ]);
  const r = linuxAcceptance(new Uint8Array([...bytes, ...new Uint8Array(20)]), SEA);
  assert.deepEqual(codes(r), ['estatus.entry-walk']);
  assert.equal(r.findings[0]!.message, '[Firmware Warn]: GHES: Failed to read error status block!');
  assert.equal(r.findings[0]!.offset, 20 + 132);
  assert.equal(r.acked, true);
  assert.equal(r.claimed, false);
});

test('an entry longer than what remains of data_length fails the walk at its length field', () => {
  const bytes = block({}, [{ type: MEMORY, payload: memory(0x4002n, 0x40001000n), length: 200 }]);
  const r = linuxAcceptance(bytes, SEA);
  assert.deepEqual(codes(r), ['estatus.entry-walk']);
  assert.equal(r.findings[0]!.offset, 20 + 24);
  assert.equal(r.findings[0]!.field, 'error_data_length');
});

test('an error_data_length that wraps the record size to 0 hangs the kernel walk', () => {
  const bytes = block({ dataLength: 152 }, [
    { type: MEMORY, payload: memory(0x4002n, 0x40001000n), length: 0x100000000 - 72 },
  ]);
  const r = linuxAcceptance(bytes, SEA);
  assert.deepEqual(codes(r), ['estatus.walk-hang']);
  assert.equal(r.findings[0]!.offset, 44);
  assert.equal(r.accepted, false);
});

test('an empty payload (no entries) is accepted; an SEA source then forces SIGBUS on 6.1.164+', () => {
  const bytes = block({}, []);
  const r = linuxAcceptance(bytes, { ...SEA, task: DEVMEM });
  assert.equal(r.accepted, true);
  assert.equal(r.forcedSigbus, true);
  const f = r.findings.find((x) => x.code === 'estatus.forced-sigbus')!;
  assert.equal(f.message, 'GHES: devmem:100: synchronous unrecoverable error (SIGBUS)');
  assert.equal(f.consequence.kind, 'forced-sigbus');
  const old = linuxAcceptance(bytes, { ...SEA, sublevel: 163 });
  assert.equal(old.forcedSigbus, false);
  assert.ok(codes(old).includes('estatus.sea-not-recovered'));
  const polled = linuxAcceptance(bytes, POLLED);
  assert.equal(polled.forcedSigbus, false);
});

test('newer kernels print the forced SIGBUS line through dev_err with the source name', () => {
  const r = linuxAcceptance(block({}, []), { ...SEA, kernel: 'newer', task: DEVMEM, sourceId: 3 });
  assert.equal(
    r.findings.find((x) => x.code === 'estatus.forced-sigbus')!.message,
    'GHES GHES.3: [Hardware Error]: GHES: devmem:100: synchronous unrecoverable error (SIGBUS)',
  );
});

test('fatal severity panics with "GHES: Fatal hardware error" before any section is processed', () => {
  const bytes = QMP_PAYLOAD.slice();
  bytes[16] = 1;
  const r = linuxAcceptance(bytes, SEA);
  assert.equal(r.panic, true);
  assert.equal(r.acked, true);
  assert.deepEqual(r.memoryFailures, []);
  const f = r.findings.find((x) => x.code === 'estatus.fatal')!;
  assert.equal(f.message, 'Kernel panic - not syncing: GHES: Fatal hardware error');
  assert.deepEqual(f.consequence, { kind: 'panic', text: 'GHES: Fatal hardware error' });
  assert.equal(f.severity, 'warning');
  assert.equal(f.offset, 16);
});

test('an unknown severity value panics too, and is an error', () => {
  const bytes = QMP_PAYLOAD.slice();
  bytes[16] = 7;
  const f = lintStatusBlock(bytes, SEA).find((x) => x.code === 'estatus.fatal')!;
  assert.equal(f.severity, 'error');
  assert.equal(f.consequence.kind, 'panic');
});

test('a memory section without PA valid gives no recovery, and SIGBUS on an SEA source', () => {
  const bytes = block({}, [{ type: MEMORY, payload: memory(0x4000n, 0x40001000n) }]);
  const r = linuxAcceptance(bytes, { ...SEA, task: DEVMEM });
  assert.deepEqual(codes(r), ['estatus.entry-count', 'memory.no-pa', 'estatus.forced-sigbus']);
  assert.equal(r.findings[1]!.offset, 20 + 72);
  assert.equal(r.findings[1]!.consequence.kind, 'no-recovery');
  assert.deepEqual(r.memoryFailures, []);
});

test('a memory section shorter than 73 bytes prints "error section length is too small" and still recovers', () => {
  const bytes = block({}, [{ type: MEMORY, payload: memory(0x4002n, 0x40001000n, 64) }]);
  const r = linuxAcceptance(bytes, SEA);
  const f = r.findings.find((x) => x.code === 'section.too-small')!;
  assert.equal(f.message, '[Firmware Warn]: error section length is too small');
  assert.equal(f.offset, 20 + 24);
  assert.equal(r.memoryFailures.length, 1);
});

test('a 73-byte memory section with bits from 0x8000 warns "valid bits set for fields beyond structure"', () => {
  const bytes = block({}, [{ type: MEMORY, payload: memory(0x8002n, 0x40001000n, 73) }]);
  const r = linuxAcceptance(bytes, SEA);
  const f = r.findings.find((x) => x.code === 'memory.valid-bits-beyond')!;
  assert.equal(f.message, '[Firmware Warn]: valid bits set for fields beyond structure');
  assert.equal(f.offset, 92);
  assert.equal(r.memoryFailures.length, 1);
  const clean = block({}, [{ type: MEMORY, payload: memory(0x4002n, 0x40001000n, 73) }]);
  assert.ok(!codes(linuxAcceptance(clean, SEA)).includes('memory.valid-bits-beyond'));
});

test('a PA outside guest RAM on 6.1 prints the measured "Invalid address" and SIGBUS lines', () => {
  // reference/real-guest/sea-ghesv2-dimm.excerpt.txt: PA 0x09100000 on QEMU virt (not RAM).
  const bytes = block({ status: 0x11 }, [{ type: MEMORY, payload: memory(0x4003n, 0x09100000n) }]);
  const r = linuxAcceptance(bytes, { ...SEA, task: DEVMEM });
  assert.deepEqual(
    r.findings.filter((f) => f.message !== '').map((f) => f.message),
    [
      '[Firmware Warn]: GHES: Invalid address in generic error data: 0x9100000',
      'GHES: devmem:100: synchronous unrecoverable error (SIGBUS)',
    ],
  );
  assert.deepEqual(r.memoryFailures, []);
  assert.equal(r.forcedSigbus, true);
});

test('7.3 skips the pfn check: memory_failure ignores a non struct page pfn and the task gets SIGBUS (fixture 7.3/sea.txt)', () => {
  const bytes = block({}, [{ type: MEMORY, payload: memory(0x4002n, 0x09100000n) }]);
  for (const kernel of ['7.3', 'newer'] as const) {
    const r = linuxAcceptance(bytes, { ...SEA, kernel, task: DEVMEM });
    assert.equal(r.memoryFailures.length, 1);
    assert.deepEqual(
      r.findings.filter((x) => x.message !== '').map((x) => x.message),
      [
        'Memory failure: 0x9100: recovery action for non struct page pfn: Ignored',
        `0x9100: Sending SIGBUS to ${DEVMEM.comm}:${DEVMEM.pid} due to hardware memory corruption`,
      ],
    );
    assert.equal(r.forcedSigbus, true);
  }
});

test('6.12 keeps the pfn check but prints the forced SIGBUS through dev_err (fixture 6.12/sea.txt)', () => {
  const bytes = block({}, [{ type: MEMORY, payload: memory(0x4002n, 0x09100000n) }]);
  const r = linuxAcceptance(bytes, { ...SEA, kernel: '6.12', task: DEVMEM, sourceId: 2 });
  assert.deepEqual(r.memoryFailures, []);
  assert.deepEqual(
    r.findings.filter((x) => x.message !== '').map((x) => x.message),
    [
      '[Firmware Warn]: GHES: Invalid address in generic error data: 0x9100000',
      `GHES GHES.2: [Hardware Error]: GHES: ${DEVMEM.comm}:${DEVMEM.pid}: synchronous unrecoverable error (SIGBUS)`,
    ],
  );
  assert.equal(r.forcedSigbus, true);
});

test('a corrected memory error with the threshold flag is soft-offlined', () => {
  const bytes = block({ severity: 2 }, [
    { type: MEMORY, severity: 2, flags: 0x08, payload: memory(0x4002n, 0x40002000n) },
  ]);
  const r = linuxAcceptance(bytes, POLLED);
  assert.deepEqual(
    r.memoryFailures.map((m) => [m.pfn, m.flags]),
    [[0x40002n, MfFlag.MF_SOFT_OFFLINE]],
  );
  const plain = block({ severity: 2 }, [
    { type: MEMORY, severity: 2, payload: memory(0x4002n, 0x40002000n) },
  ]);
  const p = linuxAcceptance(plain, POLLED);
  assert.deepEqual(p.memoryFailures, []);
  assert.equal(p.findings.find((x) => x.code === 'memory.no-action')!.severity, 'info');
});

test('a recoverable block with a corrected memory section is not hard-offlined, and says why', () => {
  const bytes = block({}, [{ type: MEMORY, severity: 2, payload: memory(0x4002n, 0x40002000n) }]);
  const r = linuxAcceptance(bytes, POLLED);
  const f = r.findings.find((x) => x.code === 'memory.no-action')!;
  assert.equal(f.severity, 'warning');
  assert.equal(f.offset, 20 + 16);
  assert.deepEqual(r.memoryFailures, []);
});

test('ARM cache errors with a PA are recovered by the type encoding of each kernel', () => {
  // Enumerated (cache = 0) before the 6.1.y backport of the UEFI 2.9A bitmask; bitmask
  // (cache = bit 1) from it on, as the real 6.1.192 guest showed, and on newer kernels.
  const classic = block({}, [
    { type: ARM, payload: arm([{ type: 0, valid: 0x10, pa: 0x40003000n }]) },
  ]);
  assert.deepEqual(
    linuxAcceptance(classic, { ...SEA, sublevel: 100 }).memoryFailures.map((m) => [m.via, m.pfn]),
    [['arm', 0x40003n]],
  );
  const bitmask = block({}, [
    { type: ARM, payload: arm([{ type: 2, valid: 0x10, pa: 0x40003000n }]) },
  ]);
  const old = linuxAcceptance(bitmask, { ...SEA, task: DEVMEM, sublevel: 100 });
  assert.deepEqual(old.memoryFailures, []);
  assert.equal(
    old.findings.find((x) => x.code === 'arm.unhandled-type')!.message,
    '[Firmware Warn]: GHES: Unhandled processor error type: bus error',
  );
  assert.equal(old.forcedSigbus, false, '6.1.100 has no forced SIGBUS');
  const debian = linuxAcceptance(bitmask, SEA);
  assert.deepEqual(
    debian.memoryFailures.map((m) => [m.via, m.pfn, m.flags]),
    [['arm', 0x40003n, 0]],
  );
  const enumeratedOnDebian = linuxAcceptance(classic, { ...SEA, task: DEVMEM });
  assert.equal(
    enumeratedOnDebian.findings.find((x) => x.code === 'arm.unhandled-type')!.message,
    '[Firmware Warn]: GHES: Unhandled processor error type 0x00: ',
  );
  assert.equal(enumeratedOnDebian.forcedSigbus, true);
  const newer = linuxAcceptance(bitmask, { ...SEA, kernel: 'newer' });
  assert.deepEqual(
    newer.memoryFailures.map((m) => m.flags),
    [MfFlag.MF_ACTION_REQUIRED],
  );
});

test('newer kernels name unhandled ARM types as a bitmask, with reserved bits flagged', () => {
  const bytes = block({}, [{ type: ARM, payload: arm([{ type: 0x05, valid: 0x10, pa: 0n }]) }]);
  const f = lintStatusBlock(bytes, { ...POLLED, kernel: 'newer' }).find(
    (x) => x.code === 'arm.unhandled-type',
  )!;
  assert.equal(
    f.message,
    '[Firmware Warn]: GHES: Unhandled processor error type 0x05: TLB error with reserved bit(s)',
  );
  assert.equal(f.offset, 20 + 72 + 40 + 4);
});

test('newer kernels refuse an ARM section shorter than its 40-byte header', () => {
  const bytes = block({}, [{ type: ARM, payload: new Uint8Array(16) }]);
  const r = linuxAcceptance(bytes, { ...POLLED, kernel: 'newer' });
  assert.deepEqual(
    r.findings.filter((f) => f.code === 'arm.length').map((f) => f.message),
    [
      '[Firmware Bug]: arm error length: 16',
      '[Firmware Bug]: length is too small',
      '[Firmware Bug]: firmware-generated error record is incorrect',
    ],
  );
});

test('a PCIe section with device id and AER info is queued for AER recovery', () => {
  const payload = new Uint8Array(208);
  const v = new DataView(payload.buffer);
  v.setBigUint64(0, 0x88n, true);
  payload[31] = 1; // function
  payload[32] = 2; // device
  v.setUint16(33, 0, true);
  payload[35] = 3; // bus
  const r = linuxAcceptance(block({}, [{ type: PCIE, flags: 0x04, payload }]), POLLED);
  const f = r.findings.find((x) => x.code === 'pcie.aer-recover')!;
  assert.match(f.detail!, /aer_recover_queue\(0000:03:02\.1, AER_FATAL \(reset flag\)\)/);
  const none = new Uint8Array(208);
  none[0] = 0x08;
  assert.ok(
    codes(linuxAcceptance(block({}, [{ type: PCIE, payload: none }]), POLLED)).includes(
      'pcie.no-aer',
    ),
  );
});

test('a duplicate on an SEA source is dropped but acked and claimed; on a polled source it is still processed', () => {
  const history = { identicalWithin10s: true };
  const sea = linuxAcceptance(QMP_PAYLOAD, { ...SEA, history });
  assert.equal(sea.printed, false);
  assert.equal(sea.acked, true);
  assert.equal(sea.claimed, true);
  assert.deepEqual(sea.memoryFailures, []);
  const polled = linuxAcceptance(QMP_PAYLOAD, { ...POLLED, history });
  assert.equal(polled.printed, false);
  assert.equal(polled.memoryFailures.length, 1);
});

test('a third record of a class within 5 s is processed but not printed', () => {
  const r = linuxAcceptance(QMP_PAYLOAD, { ...POLLED, history: { printedInLast5s: 2 } });
  assert.equal(r.printed, false);
  assert.equal(r.memoryFailures.length, 1);
  assert.ok(codes(r).includes('estatus.rate-limited'));
  const explained = linuxAcceptance(QMP_PAYLOAD, { ...POLLED, explainRateLimit: true });
  assert.ok(codes(explained).includes('estatus.rate-limit-explained'));
});

test('a source with an unsupported notification type never reads its block', () => {
  const r = linuxAcceptance(QMP_PAYLOAD, { errorBlockLength: 1024, notificationType: 9 });
  assert.deepEqual(codes(r), ['source.unsupported-notification']);
  assert.equal(
    r.findings[0]!.message,
    '[Firmware Warn]: GHES: Unknown notification type: 9 for generic hardware error source: 0',
  );
  assert.deepEqual(r.findings[0]!.consequence, { kind: 'source-not-registered', sourceId: 0 });
  assert.equal(r.acked, false);
});

test('a GHES v1 source clears block_status but has no ack to write', () => {
  const r = linuxAcceptance(QMP_PAYLOAD, { ...POLLED, ghesVersion: 1 });
  assert.equal(r.cleared, true);
  assert.equal(r.acked, false);
});

test('linuxAcceptance() never throws on arbitrary bytes and contexts', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 400 }),
      fc.integer({ min: 0, max: 0x20000 }),
      fc.integer({ min: 0, max: 13 }),
      fc.constantFrom<KernelVersion>('6.1', '6.12', '7.3', 'newer'),
      (bytes, ebl, notify, kernel) => {
        const r = linuxAcceptance(bytes, {
          errorBlockLength: ebl,
          notificationType: notify,
          kernel,
        });
        assert.equal(typeof r.accepted, 'boolean');
        if (r.acked) assert.equal(r.cleared, true);
      },
    ),
    { numRuns: 300 },
  );
});

test('linuxAcceptance() walks random entry headers without throwing', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 64, maxLength: 300 }), (body) => {
      const bytes = new Uint8Array(20 + body.length);
      bytes.set(body, 20);
      new DataView(bytes.buffer).setUint32(0, 1, true);
      new DataView(bytes.buffer).setUint32(12, body.length, true);
      const r = linuxAcceptance(bytes, { errorBlockLength: 4096, notificationType: 8 });
      assert.equal(r.recordLength, 20 + body.length);
    }),
    { numRuns: 300 },
  );
});

test("kernelBehaviour() names what each measured kernel does, and 'newer' is 7.3", () => {
  assert.deepEqual(kernelBehaviour('newer'), kernelBehaviour('7.3'));
  assert.deepEqual(
    (['6.1', '6.12', '7.3'] as const).map((k) => {
      const b = kernelBehaviour(k);
      return [b.forcedSigbus, b.pfnCheck, b.syncActionRequired, b.armBitmask];
    }),
    [
      ['pr_err', true, false, true],
      ['dev_err', true, false, true],
      ['dev_err', false, true, true],
    ],
  );
  assert.equal(kernelBehaviour('6.1', 163).forcedSigbus, 'none');
  assert.equal(kernelBehaviour('6.1', 161).armBitmask, false);
});
