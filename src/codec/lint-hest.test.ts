import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { HEST_ALL_TYPES } from '../../test/support/iasl.js';
import { readShared } from '../../test/support/shared.js';
import type { LintFinding } from './finding.js';
import type { Gas } from './gas.js';
import { encodeHest, type Hest, type HestErrorSource } from './hest.js';
import { ghesSource, ghesV2Source } from './hest-ghes.js';
import { hestNotification } from './hest-notification.js';
import { lintHest } from './lint-hest.js';
import { QEMU_HEST_PROFILES, qemuHestBytes } from './qemu-hest.js';

// Message texts: linux-guest.md §2–§3 and drivers/acpi/apei/{hest,ghes,apei-base}.c.

const HEADER = {
  signature: 'HEST',
  revision: 1,
  oemId: 'VRAS  ',
  oemTableId: 'LINTTEST',
  oemRevision: 1,
  creatorId: 'VRAS',
  creatorRevision: 1,
};

function table(...sources: HestErrorSource[]): Uint8Array {
  return encodeHest({ header: HEADER, sources } satisfies Hest);
}

function sea(sourceId = 0, extra: Partial<Parameters<typeof ghesV2Source>[0]> = {}) {
  return ghesV2Source({
    sourceId,
    notification: 8,
    errorStatusAddress: 0x7c410000n + BigInt(sourceId) * 8n,
    readAckAddress: 0x7c410100n + BigInt(sourceId) * 8n,
    ...extra,
  });
}

function only(findings: LintFinding[], code: string): LintFinding {
  const hits = findings.filter((f) => f.code === code);
  assert.equal(
    hits.length,
    1,
    `expected one ${code} in ${JSON.stringify(findings.map((f) => f.code))}`,
  );
  return hits[0]!;
}

test("lintHest() finds nothing wrong in QEMU's tables", () => {
  assert.deepEqual(lintHest(qemuHestBytes(QEMU_HEST_PROFILES['qemu-7.2-virt'], 0x7c410000n)), []);
  assert.deepEqual(
    lintHest(readShared('reference', 'real-guest', 'hest-qemu72-virt-ras-on.bin')),
    [],
  );
  const current = lintHest(qemuHestBytes(QEMU_HEST_PROFILES['qemu-10.2-virt'], 0x43da0000n));
  assert.deepEqual(
    current.map((f) => [f.code, f.offset]),
    [['hest.needs-hed', 0x84 + 32]],
  );
});

test('lintHest() reports the unpatched table’s checksum and zero addresses as Linux would', () => {
  const bytes = readShared(
    'reference',
    'qemu',
    'captured',
    'qemu-7.2.22-debian12',
    'virt',
    'HEST.unpatched.bin',
  );
  const findings = lintHest(bytes);
  assert.equal(
    only(findings, 'hest.checksum').message,
    'ACPI BIOS Warning (bug): Incorrect checksum in table [HEST] - 0x00, should be 0x1C',
  );
  // The read-ack register holds blob offset 8 (valid), the error status address offset 0.
  const gar = only(findings, 'hest.gar');
  assert.equal(gar.message, '[Firmware Bug]: APEI: Invalid physical address in GAR [0x0/64/0/4/0]');
  assert.deepEqual(gar.consequence, { kind: 'source-not-registered', sourceId: 0 });
  assert.equal(gar.offset, 60);
});

test('lintHest() rejects input shorter than the header without throwing', () => {
  const f = only(lintHest(new Uint8Array(10)), 'hest.truncated');
  assert.deepEqual(f.consequence, { kind: 'hest-rejected' });
});

test('lintHest() rejects another signature', () => {
  const bytes = table(sea());
  bytes[0] = 0x41;
  const f = only(lintHest(bytes), 'hest.signature');
  assert.deepEqual([f.severity, f.offset, f.consequence.kind], ['error', 0, 'hest-rejected']);
});

test('lintHest() rejects a Length below 40', () => {
  const bytes = table(sea());
  new DataView(bytes.buffer).setUint32(4, 36, true);
  assert.equal(only(lintHest(bytes), 'hest.length').offset, 4);
});

test('lintHest() flags a Length beyond the input and bytes after the table', () => {
  const bytes = table(sea());
  assert.equal(
    lintHest(bytes.subarray(0, bytes.length - 1)).some(
      (f) => f.code === 'hest.length-exceeds-input',
    ),
    true,
  );
  const longer = new Uint8Array(bytes.length + 4);
  longer.set(bytes);
  assert.deepEqual(
    lintHest(longer).map((f) => f.code),
    ['hest.trailing-bytes'],
  );
});

test('lintHest() warns about a bad checksum with ACPICA’s text', () => {
  const bytes = table(sea());
  const good = bytes[9]!;
  bytes[9] = (good + 1) & 0xff;
  const f = only(lintHest(bytes), 'hest.checksum');
  const h = (v: number) => `0x${v.toString(16).toUpperCase().padStart(2, '0')}`;
  assert.equal(
    f.message,
    `ACPI BIOS Warning (bug): Incorrect checksum in table [HEST] - ${h(bytes[9]!)}, should be ${h(good)}`,
  );
  assert.deepEqual(f.consequence, { kind: 'warning' });
});

for (const type of [3, 4, 5, 12, 300]) {
  test(`lintHest() rejects the whole HEST for reserved source type ${type}`, () => {
    const bytes = table(sea(), sea(1));
    new DataView(bytes.buffer).setUint16(40 + 92, type, true);
    bytes[9] = 0;
    bytes[9] = (0x100 - bytes.reduce((s, v) => s + v, 0)) & 0xff;
    const findings = lintHest(bytes);
    assert.deepEqual(findings, [
      {
        code: 'hest.unknown-type',
        severity: 'error',
        message: `[Firmware Warn]: HEST: Unknown or unused hardware error source type: ${type} for hardware error source: 1.`,
        consequence: { kind: 'hest-rejected' },
        offset: 132,
        field: 'type',
      },
    ]);
  });
}

test('lintHest() rejects the whole HEST when an entry runs past the end', () => {
  const bytes = table(sea(5));
  const cut = bytes.slice(0, 120);
  new DataView(cut.buffer).setUint32(4, 120, true);
  const f = only(lintHest(cut), 'hest.overflow');
  assert.equal(
    f.message,
    '[Firmware Bug]: HEST: Table contents overflow for hardware error source: 5.',
  );
  assert.deepEqual(f.consequence, { kind: 'hest-rejected' });
});

test('lintHest() sizes machine-check entries by their bank count when checking overflow', () => {
  const mc = HEST_ALL_TYPES.sources[0]!;
  const bytes = table(mc);
  bytes[40 + 32] = 3;
  const f = only(lintHest(bytes), 'hest.overflow');
  assert.equal(
    f.message,
    '[Firmware Bug]: HEST: Table contents overflow for hardware error source: 16.',
  );
});

test('lintHest() reports a count beyond the entries present as an overflow', () => {
  const bytes = table(sea());
  new DataView(bytes.buffer).setUint32(36, 2, true);
  const f = only(lintHest(bytes), 'hest.overflow');
  assert.equal(f.offset, 132);
});

test('lintHest() removes every source on a duplicate id', () => {
  const findings = lintHest(table(sea(3), sea(4), sea(3)));
  const f = only(findings, 'hest.duplicate-id');
  assert.equal(f.message, '[Firmware Warn]: HEST: Duplicated hardware error source ID: 3.');
  assert.deepEqual(f.consequence, { kind: 'all-sources-removed' });
  assert.equal(f.offset, 40 + 2 * 92 + 2);
});

test('lintHest() skips a disabled source silently and does not count it as a duplicate', () => {
  const findings = lintHest(table(sea(3, { enabled: 0 }), sea(3)));
  const f = only(findings, 'hest.disabled');
  assert.deepEqual([f.message, f.offset], ['', 47]);
  assert.deepEqual(f.consequence, { kind: 'source-not-registered', sourceId: 3 });
  assert.equal(findings.length, 1);
});

test('lintHest() skips a GHES that assists a machine-check source with GHES_ASSIST', () => {
  const mc = { ...HEST_ALL_TYPES.sources[0]!, flags: 4 } as HestErrorSource;
  const findings = lintHest(table(mc, sea(0x20, { relatedSourceId: 0x10 })));
  const f = only(findings, 'hest.ghes-assist');
  assert.deepEqual(f.consequence, { kind: 'source-not-registered', sourceId: 0x20 });
});

const UNSUPPORTED: [number, string, string][] = [
  [
    2,
    'hest.notify-local',
    'GHES: Generic hardware error source: 7 notified via local interrupt is not supported!',
  ],
  [
    4,
    'hest.notify-nmi',
    'GHES: Generic hardware error source: 7 notified via NMI interrupt is not supported!',
  ],
  [
    5,
    'hest.notify-unknown',
    '[Firmware Warn]: GHES: Unknown notification type: 5 for generic hardware error source: 7',
  ],
  [
    6,
    'hest.notify-unknown',
    '[Firmware Warn]: GHES: Unknown notification type: 6 for generic hardware error source: 7',
  ],
  [
    9,
    'hest.notify-unknown',
    '[Firmware Warn]: GHES: Unknown notification type: 9 for generic hardware error source: 7',
  ],
  [
    12,
    'hest.notify-unknown',
    '[Firmware Warn]: GHES: Unknown notification type: 12 for generic hardware error source: 7',
  ],
  [
    255,
    'hest.notify-unknown',
    '[Firmware Warn]: GHES: Unknown notification type: 255 for generic hardware error source: 7',
  ],
];

for (const [type, code, message] of UNSUPPORTED) {
  test(`lintHest() refuses notification type ${type} on arm64 with the kernel's message`, () => {
    const f = only(lintHest(table(sea(7, { notification: type }))), code);
    assert.equal(f.message, message);
    assert.deepEqual(f.consequence, { kind: 'source-not-registered', sourceId: 7 });
    assert.equal(f.offset, 40 + 32);
  });
}

test('lintHest() accepts notification types 0, 1, 3, 7, 8, 10, 11 with the right notes', () => {
  for (const type of [0, 1, 3, 7, 8, 10, 11]) {
    const n = { ...hestNotification(type), pollInterval: 100 };
    const codes = lintHest(table(sea(1, { notification: n }))).map((f) => f.code);
    const expected = [3, 7, 10].includes(type)
      ? ['hest.needs-hed']
      : type === 11
        ? ['hest.needs-sdei']
        : [];
    assert.deepEqual(codes, expected, `notification ${type}`);
  }
});

test('lintHest() notes that SCI, GPIO and GSIV sources need a PNP0C33 HED device', () => {
  const f = only(lintHest(table(sea(1, { notification: 7 }))), 'hest.needs-hed');
  assert.deepEqual([f.severity, f.consequence.kind], ['info', 'info']);
  assert.match(f.detail ?? '', /PNP0C33/);
});

test('lintHest() reports a polled source with interval 0 as never read', () => {
  const f = only(
    lintHest(table(ghesSource({ sourceId: 2, notification: 0, errorStatusAddress: 0x1000n }))),
    'hest.poll-interval-zero',
  );
  assert.equal(
    f.message,
    '[Firmware Warn]: GHES: Poll interval is 0 for generic hardware error source: 2, disabled.',
  );
  assert.deepEqual(f.consequence, { kind: 'source-not-registered', sourceId: 2 });
});

test('lintHest() refuses an error block length below 20', () => {
  const f = only(
    lintHest(table(sea(1, { errorStatusBlockLength: 19 }))),
    'hest.block-length-short',
  );
  assert.equal(
    f.message,
    '[Firmware Bug]: GHES: Invalid error block length: 19 for generic hardware error source: 1',
  );
  assert.equal(f.offset, 100);
});

test('lintHest() warns that an error block length above 65536 is clamped', () => {
  const f = only(
    lintHest(table(sea(1, { errorStatusBlockLength: 65537 }))),
    'hest.block-length-long',
  );
  assert.equal(
    f.message,
    '[Firmware Warn]: GHES: Error status block length is too long: 65537 for generic hardware error source: 1.',
  );
  assert.deepEqual(f.consequence, { kind: 'warning' });
});

const GAS_CASES: [string, Partial<Gas>, string][] = [
  ['a zero address', { address: 0n }, 'Invalid physical address in GAR [0x0/64/0/4/0]'],
  ['access size 0', { accessSize: 0 }, 'Invalid access size code in GAR [0x7c410000/64/0/0/0]'],
  ['access size 5', { accessSize: 5 }, 'Invalid access size code in GAR [0x7c410000/64/0/5/0]'],
  [
    'width + offset beyond the access',
    { accessSize: 3, registerBitOffset: 1 },
    'Invalid bit width + offset in GAR [0x7c410000/64/1/3/0]',
  ],
  [
    'a PCI config space',
    { addressSpaceId: 2 },
    'Invalid address space type in GAR [0x7c410000/64/0/4/2]',
  ],
];

for (const [what, change, message] of GAS_CASES) {
  test(`lintHest() refuses an error status GAR with ${what} (apei_check_gar)`, () => {
    const gas = { ...sea(0).errorStatusAddress, ...change };
    const f = only(lintHest(table(sea(0, { errorStatusAddress: gas }))), 'hest.gar');
    assert.equal(f.message, `[Firmware Bug]: APEI: ${message}`);
    assert.deepEqual(f.consequence, { kind: 'source-not-registered', sourceId: 0 });
    assert.equal(f.offset, 60);
  });
}

test('lintHest() widens a dword access for an aligned 64-bit register, as apei_check_gar does', () => {
  const gas = { ...sea(0).errorStatusAddress, accessSize: 3 };
  assert.deepEqual(lintHest(table(sea(0, { errorStatusAddress: gas }))), []);
});

test('lintHest() checks the GHESv2 read-ack GAR before the error status GAR', () => {
  const bad = { ...sea(0).errorStatusAddress, address: 0n };
  const f = only(
    lintHest(table(sea(0, { errorStatusAddress: bad, readAckAddress: bad }))),
    'hest.gar',
  );
  assert.equal(f.offset, 40 + 64);
  assert.equal(f.field, 'readAckRegister.address');
});

test('lintHest() accepts System I/O registers', () => {
  const io = { ...sea(0).errorStatusAddress, addressSpaceId: 1 };
  assert.deepEqual(lintHest(table(sea(0, { errorStatusAddress: io }))), []);
});

test('lintHest() walks every non-GHES type without findings', () => {
  const codes = lintHest(encodeHest(HEST_ALL_TYPES)).map((f) => f.code);
  // Sources 0x16 (polled, 1000 ms) and 0x17 (SDEI) are the two GHES ones.
  assert.deepEqual(codes, ['hest.needs-sdei']);
});

test('lintHest() never throws on arbitrary bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), fc.boolean(), (tail, asHest) => {
      const bytes = new Uint8Array(tail);
      if (asHest && bytes.length >= 8) {
        bytes.set([0x48, 0x45, 0x53, 0x54]);
        new DataView(bytes.buffer).setUint32(4, bytes.length, true);
      }
      const findings = lintHest(bytes);
      assert.ok(Array.isArray(findings));
    }),
    { numRuns: 500 },
  );
});
