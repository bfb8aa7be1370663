import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { readShared } from '../../test/support/shared.js';
import { bytesToHex, decodeHest, encodeHest, hexToBytes, toJson } from '../codec/index.js';
import { hestFromConfig, run } from './hest.js';
import { CliError } from './io.js';

const dir = mkdtempSync(join(tmpdir(), 'vras-hest-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function capture(argv: string[]): Promise<{ code: number; out: string }> {
  const chunks: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string) => {
    chunks.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  try {
    const code = await run(argv);
    return { code, out: chunks.join('') };
  } finally {
    process.stdout.write = write;
  }
}

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

async function rejects(argv: string[], pattern: RegExp): Promise<void> {
  await assert.rejects(capture(argv), (e: unknown) => {
    assert.ok(e instanceof CliError, `expected CliError, got ${String(e)}`);
    assert.match(e.message, pattern);
    return true;
  });
}

test('vras hest build --profile qemu-7.2-virt prints the guest-captured table as hex', async () => {
  const { code, out } = await capture([
    'build',
    '--profile',
    'qemu-7.2-virt',
    '--blob-address',
    '0x7c410000',
  ]);
  assert.equal(code, 0);
  assert.equal(
    out.trim(),
    bytesToHex(readShared('reference', 'real-guest', 'hest-qemu72-virt-ras-on.bin')),
  );
});

test('vras hest build --profile qemu-10.2-virt -o writes QEMU’s 224-byte expectation', async () => {
  const o = join(dir, 'hest.bin');
  await capture(['build', '--profile', 'qemu-10.2-virt', '--blob-address', '0x43DA0000', '-o', o]);
  assert.deepEqual(
    new Uint8Array(readFileSync(o)),
    readShared('reference', 'qemu', 'tests', 'data', 'acpi', 'aarch64', 'virt', 'HEST'),
  );
});

test('vras hest build --profile … --unpatched prints what QEMU serves in etc/acpi/tables', async () => {
  const { out } = await capture(['build', '--profile', 'qemu-10.2-virt', '--unpatched']);
  const golden = readShared(
    'reference',
    'qemu',
    'captured',
    'qemu-10.2.50-ece408818d',
    'virt',
    'HEST.unpatched.bin',
  );
  assert.deepEqual(hexToBytes(out), golden);
});

test('vras hest build CONFIG.json with QEMU’s sources reproduces QEMU’s table', async () => {
  const config = file(
    'qemu.json',
    JSON.stringify({
      sources: [
        {
          type: 'ghes-v2',
          sourceId: 0,
          notification: 'sea',
          errorStatusAddress: '0x43da0000',
          readAckAddress: '0x43da0010',
        },
        {
          type: 'ghes-v2',
          sourceId: 1,
          notification: 7,
          errorStatusAddress: '0x43da0008',
          readAckAddress: 1138360344,
        },
      ],
    }),
  );
  const { out } = await capture(['build', config]);
  assert.deepEqual(
    hexToBytes(out),
    readShared('reference', 'qemu', 'tests', 'data', 'acpi', 'aarch64', 'virt', 'HEST'),
  );
});

test('a config can set header ids, GHES fields, notification fields and raw sources', () => {
  const hest = hestFromConfig({
    oemId: 'VRAS',
    oemTableId: 'TEST',
    creatorRevision: 7,
    sources: [
      {
        type: 'ghes',
        sourceId: 3,
        notification: { type: 'polled', pollInterval: 1000 },
        errorStatusAddress: { addressSpaceId: 1, address: '0x60' },
        errorStatusBlockLength: 4096,
        enabled: 0,
      },
      {
        type: 2,
        sourceId: 9,
        reserved: 0,
        recordsToPreallocate: 1,
        maxSectionsPerRecord: 1,
        maxRawDataLength: 64,
      },
    ],
  });
  assert.equal(hest.header.oemId, 'VRAS  ');
  assert.equal(hest.header.oemTableId, 'TEST    ');
  const decoded = decodeHest(encodeHest(hest));
  const [ghes, nmi] = decoded.sources;
  assert.ok(ghes?.type === 9 && nmi?.type === 2);
  assert.equal(ghes.notification.pollInterval, 1000);
  assert.equal(ghes.errorStatusAddress.addressSpaceId, 1);
  assert.equal(ghes.errorStatusAddress.address, 0x60n);
  assert.equal(ghes.enabled, 0);
  assert.equal(ghes.relatedSourceId, 0xffff);
  assert.equal(nmi.maxRawDataLength, 64);
});

test('vras hest build accepts the vras/v1 JSON of a decoded HEST', async () => {
  const bytes = readShared(
    'reference',
    'qemu',
    'history',
    'cd16f08ad4',
    'tests',
    'data',
    'acpi',
    'aarch64',
    'virt',
    'HEST',
  );
  const config = file('doc.json', toJson('hest', decodeHest(bytes)));
  const { out } = await capture(['build', config]);
  assert.deepEqual(hexToBytes(out), bytes);
});

test('vras hest --help documents the config format', async () => {
  const { code, out } = await capture(['--help']);
  assert.equal(code, 0);
  assert.match(out, /"ghes-v2"/);
  assert.match(out, /--blob-address/);
});

test('vras hest build reports bad input as one-line CliErrors', async () => {
  await rejects(['frobnicate'], /unknown subcommand 'frobnicate'/);
  await rejects(
    ['build', '--profile', 'qemu-9-virt', '--blob-address', '0'],
    /unknown profile 'qemu-9-virt'/,
  );
  await rejects(['build', '--profile', 'qemu-7.2-virt'], /needs --blob-address/);
  await rejects(
    ['build', '--profile', 'qemu-7.2-virt', '--blob-address', 'zz'],
    /^--blob-address must be a decimal or 0x hex number \(at most 64 bits\), got "zz"$/,
  );
  await rejects(['build', join(dir, 'missing.json')], /Cannot read/);
  await rejects(['build', file('bad.json', '{')], /Cannot parse .* as JSON/);
  await rejects(
    ['build', file('notype.json', '{"sources":[{"type":"ghes9"}]}')],
    /sources\[0\]\.type must be/,
  );
  await rejects(
    [
      'build',
      file(
        'unknown.json',
        '{"sources":[{"type":"ghes","sourceId":0,"notification":"sea","errorStatusAddress":1,"colour":1}]}',
      ),
    ],
    /unknown field "colour"/,
  );
  await rejects(
    [
      'build',
      file(
        'badnotify.json',
        '{"sources":[{"type":"ghes","sourceId":0,"notification":"smoke","errorStatusAddress":1}]}',
      ),
    ],
    /"smoke" is not a notification type/,
  );
  await rejects(
    [
      'build',
      file(
        'range.json',
        '{"sources":[{"type":"ghes","sourceId":70000,"notification":"sea","errorStatusAddress":1}]}',
      ),
    ],
    /Cannot build the HEST .*sourceId = 70000 does not fit/,
  );
  await rejects(['build', '--bogus'], /Unknown option '--bogus'/);
});
