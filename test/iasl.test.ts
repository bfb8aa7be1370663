// Cross-check of the HEST codec against ACPICA's iasl (an independent implementation): every
// table the codec tests build is disassembled with `iasl -d`, which must report no problem and
// show, field by field, the offsets, sizes and values our decoder reads; compiling iasl's
// disassembly back must give the same bytes (apart from the creator id/revision and checksum,
// which iasl replaces with its own).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hestFromConfig } from '../src/cli/hest.js';
import {
  bytesToHex,
  decodeHest,
  encodeHest,
  type FieldTrace,
  type Hest,
  QEMU_HEST_PROFILES,
  qemuHestBytes,
  qemuHestUnpatchedBytes,
} from '../src/codec/index.js';
import {
  buildHest,
  buildMachineLayout,
  type MachineConfig,
  qemuHestAddrMachine,
  qemuLegacyMachine,
} from '../src/engine/index.js';
import { fatalMachineConfig, mainMachineConfig } from '../src/guest/scenarios.js';
import {
  HEST_ALL_TYPES,
  hestEveryNotification,
  type IaslField,
  iaslCompile,
  iaslDisassemble,
  parseIaslFields,
  requireIasl,
} from './support/iasl.js';
import { readShared } from './support/shared.js';

const TABLES: [string, Uint8Array][] = [
  [
    'QEMU 7.2 virt, blob at 0x7c410000',
    qemuHestBytes(QEMU_HEST_PROFILES['qemu-7.2-virt'], 0x7c410000n),
  ],
  [
    'QEMU 10.2 virt, blob at 0x43da0000',
    qemuHestBytes(QEMU_HEST_PROFILES['qemu-10.2-virt'], 0x43da0000n),
  ],
  ['QEMU 7.2 virt, unpatched', qemuHestUnpatchedBytes(QEMU_HEST_PROFILES['qemu-7.2-virt'])],
  ['QEMU 10.2 virt, unpatched', qemuHestUnpatchedBytes(QEMU_HEST_PROFILES['qemu-10.2-virt'])],
  ['GHES v1 with every notification type 0–11', encodeHest(hestEveryNotification(1))],
  ['GHES v2 with every notification type 0–11', encodeHest(hestEveryNotification(2))],
  ['one source of every type, with MCE banks and AER types', encodeHest(HEST_ALL_TYPES)],
  // The tables the engine lays out (and the real-guest harness gives the kernel), linked at a
  // blob address as the firmware would.
  ['the engine’s QEMU ≤ 10.1 layout', engineHest(qemuLegacyMachine())],
  ['the engine’s QEMU ≥ 10.2 layout', engineHest(qemuHestAddrMachine())],
  ['the real-guest main machine (polled, queue, SEA, SEI)', engineHest(mainMachineConfig())],
  ['the real-guest fatal machine (one polled source)', engineHest(fatalMachineConfig())],
  // What `vras hest build CONFIG.json` writes for the example of its usage text.
  [
    'the `vras hest build` usage example',
    encodeHest(
      hestFromConfig({
        sources: [
          {
            type: 'ghes-v2',
            sourceId: 0,
            notification: 'sea',
            errorStatusAddress: 0x7c410000n,
            readAckAddress: 0x7c410008n,
          },
          {
            type: 'ghes',
            sourceId: 1,
            notification: { type: 'polled', pollInterval: 1000 },
            errorStatusAddress: 0x7c410010n,
            errorStatusBlockLength: 4096,
          },
        ],
      }),
    ),
  ],
];

/** The HEST an engine machine lays out, linked with etc/hardware_errors at 0x40010000. */
function engineHest(config: MachineConfig): Uint8Array {
  const layout = buildMachineLayout(config);
  return buildHest(layout.sources, layout.blob, 0x40010000n, 'compute');
}

/** iasl field name → our field name, where the name alone identifies the field. */
const NAMES: Record<string, string> = {
  Signature: 'signature',
  'Table Length': 'length',
  Revision: 'revision',
  Checksum: 'checksum',
  'Oem ID': 'oemId',
  'Oem Table ID': 'oemTableId',
  'Oem Revision': 'oemRevision',
  'Asl Compiler ID': 'creatorId',
  'Asl Compiler Revision': 'creatorRevision',
  'Error Source Count': 'errorSourceCount',
  'Subtable Type': 'type',
  'Source Id': 'sourceId',
  'Related Source Id': 'relatedSourceId',
  Enabled: 'enabled',
  'Records To Preallocate': 'recordsToPreallocate',
  'Max Sections Per Record': 'maxSectionsPerRecord',
  'Max Raw Data Length': 'maxRawDataLength',
  'Space ID': 'addressSpaceId',
  'Bit Width': 'registerBitWidth',
  'Bit Offset': 'registerBitOffset',
  'Encoded Access Width': 'accessSize',
  Address: 'address',
  'Notify Type': 'type',
  'Notify Length': 'length',
  'Configuration Write Enable': 'configurationWriteEnable',
  PollInterval: 'pollInterval',
  Vector: 'vector',
  'Polling Threshold Value': 'switchToPollingThresholdValue',
  'Polling Threshold Window': 'switchToPollingThresholdWindow',
  'Error Threshold Value': 'errorThresholdValue',
  'Error Threshold Window': 'errorThresholdWindow',
  'Error Status Block Length': 'errorStatusBlockLength',
  'Read Ack Preserve': 'readAckPreserve',
  'Read Ack Write': 'readAckWrite',
  'Global Capability Data': 'globalCapabilityInitData',
  'Global Control Data': 'globalControlInitData',
  'Num Hardware Banks': 'numberOfHardwareBanks',
  'Bank Number': 'bankNumber',
  'Clear Status On Init': 'clearStatusOnInit',
  'Status Format': 'statusDataFormat',
  'Control Register': 'controlRegisterMsrAddress',
  'Control Data': 'controlInitData',
  'Status Register': 'statusRegisterMsrAddress',
  'Address Register': 'addressRegisterMsrAddress',
  'Misc Register': 'miscRegisterMsrAddress',
  Bus: 'bus',
  Device: 'device',
  Function: 'function',
  DeviceControl: 'deviceControl',
  'Uncorrectable Mask': 'uncorrectableErrorMask',
  'Uncorrectable Severity': 'uncorrectableErrorSeverity',
  'Correctable Mask': 'correctableErrorMask',
  'Advanced Capabilities': 'advancedErrorCapabilities',
  'Root Error Command': 'rootErrorCommand',
  '2nd Uncorrectable Mask': 'secondaryUncorrectableErrorMask',
  '2nd Uncorrectable Severity': 'secondaryUncorrectableErrorSeverity',
  '2nd Advanced Capabilities': 'secondaryAdvancedCapabilities',
};

/** Our value in iasl's spelling: quoted text, or upper-case hex of the field's width. */
function asIasl(f: FieldTrace): string {
  if (typeof f.value === 'string') return `"${f.value}"`;
  if (f.value instanceof Uint8Array) return bytesToHex(f.value).toUpperCase();
  return f.value
    .toString(16)
    .toUpperCase()
    .padStart(f.size * 2, '0');
}

function compareFields(bytes: Uint8Array, fields: readonly IaslField[]): void {
  const trace: FieldTrace[] = [];
  decodeHest(bytes, { trace });
  const ours = new Map(trace.map((f) => [f.offset, f]));
  // iasl's leaf fields: a value (not a `[sub-structure]` line) of a field's own width.
  const leaves = fields.filter((f) => !f.value.startsWith('['));
  assert.ok(leaves.length > 10, 'iasl printed fields');
  for (const field of leaves) {
    const mine = ours.get(field.offset);
    const where = `${field.name} at offset ${field.offset}`;
    assert.ok(mine, `we read no field at ${where}`);
    assert.equal(mine.size, field.length, `size of ${where}`);
    // Quoted text as printed (padding included), else the first token (hex digits).
    const value = /^"[^"]*"/.exec(field.value)?.[0] ?? field.value.split(/\s+/)[0];
    assert.equal(asIasl(mine), value, where);
    const expected = NAMES[field.name.replace(/ \(decoded below\)$/, '')];
    if (expected !== undefined) assert.equal(mine.field, expected, `name of ${where}`);
  }
  // …and every field we read is one iasl printed.
  const theirs = new Set(leaves.map((f) => f.offset));
  for (const f of trace)
    assert.ok(theirs.has(f.offset), `iasl shows no field at ${f.offset} (${f.field})`);
}

for (const [name, bytes] of TABLES) {
  test(`iasl -d disassembles ${name} without problems and with our decoder's fields`, (t) => {
    if (!requireIasl(t)) return;
    const dis = iaslDisassemble(bytes);
    assert.equal(dis.status, 0);
    assert.deepEqual(dis.problems, []);
    compareFields(bytes, dis.fields);
  });

  test(`iasl compiles its disassembly of ${name} back to our bytes`, (t) => {
    if (!requireIasl(t)) return;
    const { bytes: compiled, problems } = iaslCompile(iaslDisassemble(bytes).text);
    assert.deepEqual(problems, []);
    assert.equal(compiled.length, bytes.length);
    // iasl writes its own creator id/revision (INTL 20200925) and so its own checksum.
    const mask = (b: Uint8Array) => {
      const c = b.slice();
      c.fill(0, 28, 36);
      c[9] = 0;
      return c;
    };
    assert.deepEqual(mask(compiled), mask(bytes));
    const decoded = decodeHest(compiled);
    assert.equal(decoded.checksumValid, true);
    assert.deepEqual(decoded.sources, decodeHest(bytes).sources);
  });
}

test('the iasl fixtures cover GHES v1 and v2 with every notification type 0–11', () => {
  for (const version of [1, 2] as const) {
    const hest: Hest = hestEveryNotification(version);
    assert.deepEqual(
      hest.sources.map((s) => [s.type, 'notification' in s ? s.notification.type : -1]),
      Array.from({ length: 12 }, (_, i) => [version === 1 ? 9 : 10, i]),
    );
  }
  assert.deepEqual(
    HEST_ALL_TYPES.sources.map((s) => s.type),
    [0, 1, 2, 6, 7, 8, 9, 10, 11],
  );
});

// The disassemblies kept in the reference (iasl 20200925 run on QEMU's files and on the table a
// Debian 12 guest read): checked without needing iasl here.
const REFERENCE_DSL: [string, string, string][] = [
  ['qemu/disassembly/HEST.ece408818d.dsl', 'qemu/tests/data/acpi/aarch64/virt/HEST', 'QEMU 10.2'],
  [
    'qemu/disassembly/HEST.cd16f08ad4.dsl',
    'qemu/history/cd16f08ad4/tests/data/acpi/aarch64/virt/HEST',
    'QEMU cd16f08ad4',
  ],
  [
    'real-guest/hest-qemu72-virt-ras-on.dsl',
    'real-guest/hest-qemu72-virt-ras-on.bin',
    'Debian 12 guest',
  ],
];

for (const [dsl, bin, what] of REFERENCE_DSL) {
  test(`our decoder reads the ${what} HEST field by field as the reference iasl disassembly shows`, () => {
    const text = new TextDecoder().decode(readShared('reference', ...dsl.split('/')));
    compareFields(readShared('reference', ...bin.split('/')), parseIaslFields(text));
  });
}
