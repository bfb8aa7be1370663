// The `decode`, `encode` and `lint` commands, run through the real `bin/vras` as a subprocess:
// exit codes, round trips, input detection and the messages a user sees.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { repoRoot, sharedPath } from './support/shared.js';

const VRAS = join(repoRoot, 'bin/vras');
const CAPTURED = 'reference/qemu/captured/qemu-10.2.50-ece408818d/virt';
/** QEMU 10.2.50's 172-byte QMP memory record (recoverable, PA 0x40001000, error type 3). */
const QMP_PAYLOAD = sharedPath(CAPTURED, 'qmp_cper_payload.bin');
/** QEMU's own expected HEST (224 bytes, two GHESv2 sources). */
const QEMU_HEST = sharedPath('reference/qemu/tests/data/acpi/aarch64/virt/HEST');
/** The same HEST before linking: checksum byte 0, so its checksum does not verify. */
const UNPATCHED_HEST = sharedPath(CAPTURED, 'HEST.unpatched.bin');

const dir = mkdtempSync(join(tmpdir(), 'vras-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function vras(args: string[], input?: string | Uint8Array): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(VRAS, args, { env: { ...process.env, VRAS_DEBUG: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.on('error', () => {}).end(input ?? '');
  });
}

function noStack(r: Run): void {
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}

function hexOf(path: string): string {
  return Buffer.from(readFileSync(path)).toString('hex');
}

/** A one-section CPER record around QEMU's memory section, built from formats.md §5.1–§5.2. */
let records = 0;
function cperRecordFile(): string {
  const body = readFileSync(QMP_PAYLOAD).subarray(92);
  const rec = Buffer.alloc(128 + 72 + body.length);
  rec.write('CPER', 0, 'latin1');
  rec.writeUInt16LE(0x0100, 4);
  rec.writeUInt32LE(0xffffffff, 6);
  rec.writeUInt16LE(1, 10);
  rec.writeUInt32LE(rec.length, 20);
  rec.writeUInt32LE(200, 128);
  rec.writeUInt32LE(body.length, 132);
  rec.writeUInt16LE(0x0100, 136);
  Buffer.from('1411bca5646fde4eb8633e83ed7c83b1', 'hex').copy(rec, 144);
  body.copy(rec, 200);
  const path = join(dir, `record-${records++}.bin`);
  writeFileSync(path, rec);
  return path;
}

// Each test starts bin/vras (about a second of tsx start-up): run them side by side.
describe('vras decode, encode and lint', { concurrency: true }, () => {
  it('vras lint accepts QEMU’s memory record and names the memory_failure it queues', async () => {
    const r = await vras(['lint', QMP_PAYLOAD]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /^ghes-status-block: accepted, acked, printed, memory_failure\(0x40001, 0\)/,
    );
    assert.match(r.stdout, /no findings/);
  });

  it('vras lint reads hex from stdin and exits 1 for a block_status of 0', async () => {
    const hex = hexOf(QMP_PAYLOAD).replace(/^01/, '00');
    const r = await vras(['lint', '-'], `${hex.match(/.{1,32}/g)!.join('\n')}\n`);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /error {3}estatus\.block-status-zero at 0x0 \(block_status\)/);
    assert.match(r.stdout, /→ ignored: never cleared or acknowledged/);
  });

  it('vras lint reads base64 and reports ghes_inject.py’s raw-data layout as Invalid CPER header!', async () => {
    const block = Buffer.from(readFileSync(QMP_PAYLOAD));
    block.writeUInt32LE(0, 4); // raw_data_offset 0
    block.writeUInt32LE(32, 8); // raw data counted inside data_length
    const r = await vras(['lint'], block.toString('base64'));
    assert.equal(r.code, 1);
    assert.match(r.stdout, /estatus\.invalid-header at 0x4 \(raw_data_offset\)/);
    assert.match(r.stdout, /\[Firmware Warn\]: GHES: Invalid CPER header!/);
  });

  it('vras lint prints the newer kernel’s forced SIGBUS line for an empty SEA record', async () => {
    const empty = Buffer.alloc(20);
    empty.writeUInt32LE(1, 0);
    const path = join(dir, 'empty.bin');
    writeFileSync(path, empty);
    const r = await vras([
      'lint',
      path,
      '--kernel',
      'newer',
      '--task',
      'devmem:100',
      '--notify',
      'sea',
    ]);
    assert.equal(r.code, 1);
    assert.match(
      r.stdout,
      /GHES GHES\.0: \[Hardware Error\]: GHES: devmem:100: synchronous unrecoverable error \(SIGBUS\)/,
    );
    const polled = await vras(['lint', path, '--notify', 'polled']);
    assert.equal(polled.code, 0, polled.stdout);
  });

  it('vras lint maps a CPER record’s findings to record offsets', async () => {
    const r = await vras([
      'lint',
      cperRecordFile(),
      '--ram',
      '0x80000000:0x1000',
      '--task',
      'victim:7',
    ]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^cper-record: /);
    assert.match(
      r.stdout,
      /memory\.invalid-address at 0xd8 \(physical_address\)\n {8}\[Firmware Warn\]: GHES: Invalid address in generic error data: 0x40001000/,
    );
    assert.match(r.stdout, /GHES: victim:7: synchronous unrecoverable error \(SIGBUS\)/);
  });

  it('vras lint exits 2 with a message and no stack trace on unreadable input', async () => {
    const bad = await vras(['lint', '--input', 'hex'], 'zz\n');
    assert.equal(bad.code, 2);
    assert.match(
      bad.stderr,
      /^vras: Cannot read standard input: Cannot parse hex input: 'z' is not a hex digit \(character 0/,
    );
    noStack(bad);
    const unknown = await vras(['lint', '--input', 'raw'], '\x01\x02\x03');
    assert.equal(unknown.code, 2);
    assert.match(unknown.stdout, /Cannot tell what the input is/);
    const missing = await vras(['lint', join(dir, 'no-such-file')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^vras: Cannot read .*no-such-file: ENOENT/);
    noStack(missing);
    const option = await vras(['lint', QMP_PAYLOAD, '--kernel', '5.10']);
    assert.equal(option.code, 2);
    assert.match(
      option.stderr,
      /--kernel must be 6\.1, 6\.1\.N, 6\.12, 7\.3 or newer \(= 7\.3\), got "5\.10"/,
    );
  });

  it('vras decode --format json | vras encode gives back a status block, a HEST and a CPER record', async () => {
    const paths = [QMP_PAYLOAD, QEMU_HEST, UNPATCHED_HEST, cperRecordFile()];
    await Promise.all(
      paths.map(async (path) => {
        const json = await vras(['decode', path, '--format', 'json']);
        assert.equal(json.code, 0, json.stderr);
        const back = await vras(['encode', '-'], json.stdout);
        assert.equal(back.code, 0, back.stderr);
        assert.equal(back.stdout.trim(), hexOf(path), path);
      }),
    );
  });

  it('vras decode --format json names the kind, and encode -o writes raw bytes', async () => {
    const json = await vras(['decode', QMP_PAYLOAD, '--format', 'json']);
    assert.match(json.stdout, /"schema": "vras\/v1",\n {2}"kind": "ghes-status-block"/);
    const spec = join(dir, 'block.json');
    writeFileSync(spec, json.stdout);
    const out = join(dir, 'block.bin');
    const r = await vras(['encode', spec, '-o', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readFileSync(out), readFileSync(QMP_PAYLOAD));
  });

  it('vras decode --format linux prints what the guest prints for QEMU’s record', async () => {
    // Line shapes as measured on 6.1.192 (linux-guest.md §8.3); QEMU sets validation 0x4002.
    const r = await vras(['decode', QMP_PAYLOAD, '--format', 'linux']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trimEnd().split('\n'), [
      '{1}[Hardware Error]: Hardware error from APEI Generic Hardware Error Source: 0',
      '{1}[Hardware Error]: event severity: recoverable',
      '{1}[Hardware Error]:  Error 0, type: recoverable',
      '{1}[Hardware Error]:   section_type: memory error',
      '{1}[Hardware Error]:   physical_address: 0x0000000040001000',
      '{1}[Hardware Error]:   error_type: 3, multi-bit ECC',
    ]);
  });

  it('vras decode shows an annotated table by default, and a bare section with --section', async () => {
    const t = await vras(['decode', QMP_PAYLOAD]);
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stdout, /^offset +size +field +value/);
    assert.match(t.stdout, /0x0000 +4 .*0x00000001/);
    const body = join(dir, 'memory.bin');
    writeFileSync(body, readFileSync(QMP_PAYLOAD).subarray(92));
    const s = await vras(['decode', body, '--section', 'memory', '--format', 'json']);
    assert.equal(s.code, 0, s.stderr);
    assert.match(s.stdout, /"kind": "section"/);
    const back = await vras(['encode', '-'], s.stdout);
    assert.equal(back.stdout.trim(), hexOf(body));
  });

  it('vras encode names a missing object or field by its JSON path for every document kind', async () => {
    const body = join(dir, 'memory-body.bin');
    writeFileSync(body, readFileSync(QMP_PAYLOAD).subarray(92));
    // biome-ignore lint/suspicious/noExplicitAny: a decoded JSON document, edited in place
    const cases: [string[], (value: Record<string, any>) => void, RegExp][] = [
      [
        [QMP_PAYLOAD],
        (v) => delete v.entries[0].body,
        /^vras: Cannot encode standard input: Cannot encode ghes-status-block: value\.entries\[0\]\.body is missing$/m,
      ],
      [
        [QMP_PAYLOAD],
        (v) => delete v.entries[0].body.validationBits,
        /ghes-status-block: value\.entries\[0\]\.body\.validationBits is missing at output offset 0x5c$/m,
      ],
      [[QEMU_HEST], (v) => delete v.header, /hest: value\.header is missing$/m],
      [
        [QEMU_HEST],
        (v) => delete v.sources[1].notification,
        /hest: value\.sources\[1\]\.notification is missing$/m,
      ],
      [
        [cperRecordFile()],
        (v) => delete v.sections[0].body,
        /cper-record: value\.sections\[0\]\.body is missing$/m,
      ],
      [
        [body, '--section', 'memory'],
        (v) => delete v.body.physicalAddress,
        /section: value\.body\.physicalAddress is missing at output offset 0x10$/m,
      ],
      [[body, '--section', 'memory'], (v) => delete v.body, /section: value\.body is missing$/m],
    ];
    await Promise.all(
      cases.map(async ([input, remove, message]) => {
        const json = await vras(['decode', ...input, '--format', 'json']);
        assert.equal(json.code, 0, json.stderr);
        const doc = JSON.parse(json.stdout);
        remove(doc.value);
        const r = await vras(['encode', '-'], JSON.stringify(doc));
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stderr, message);
        assert.doesNotMatch(r.stderr, /Cannot read properties/);
        noStack(r);
      }),
    );
  });

  it('vras inject --gedb-flags takes ghes_inject.py’s names as aliases of bits 0-2, listed in --help', async () => {
    const hexLine = (r: Run): string => r.stdout.split('\n').find((l) => l.startsWith('hex '))!;
    const args = (flags: string) => [
      'inject',
      'memory',
      '--pa',
      '0x40001000',
      '--gedb-flags',
      flags,
      '--dry-run',
    ];
    const [script, acpi, help] = await Promise.all([
      vras(args('recovered,prev-error,simulated')),
      vras(args('primary,containment-warning,reset')),
      vras(['inject', '--help']),
    ]);
    assert.equal(script.code, 0, script.stderr);
    assert.equal(acpi.code, 0, acpi.stderr);
    assert.equal(hexLine(script), hexLine(acpi));
    // GEDE Flags is byte 20 + 23 = 43 of the block (ACPI 6.5 Table 18.13): 0x07.
    assert.equal(hexLine(script).slice(4 + 2 * 43, 4 + 2 * 44), '07');
    const single = await vras(args('simulated'));
    assert.equal(hexLine(single).slice(4 + 2 * 43, 4 + 2 * 44), '04');
    assert.match(
      help.stdout,
      /recovered = primary, prev-error = containment-warning, simulated = reset/,
    );
  });

  it('vras decode and encode fail with the structure and offset, never a stack trace', async () => {
    const cut = join(dir, 'cut-hest.bin');
    writeFileSync(cut, readFileSync(QEMU_HEST).subarray(0, 60));
    const r = await vras(['decode', cut, '--format', 'json']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^vras: Cannot decode the input as a HEST: .*offset 0x/);
    noStack(r);
    const e = await vras(['encode', '-'], '{"schema":"vras/v1","kind":"hest"');
    assert.equal(e.code, 2);
    assert.match(e.stderr, /^vras: Cannot encode standard input: Cannot parse JSON/);
    noStack(e);
    const k = await vras(['encode', '-'], '{"schema":"vras/v1","kind":"table","value":{}}');
    assert.equal(k.code, 2);
    assert.match(k.stderr, /Cannot encode kind "table"/);
  });

  it('vras decode prints the table of a 12,000-entry status block and a 20,000-section record (no stack overflow)', async () => {
    const G = [
      0x14, 0x11, 0xbc, 0xa5, 0x64, 0x6f, 0xde, 0x4e, 0xb8, 0x63, 0x3e, 0x83, 0xed, 0x7c, 0x83,
      0xb1,
    ];
    // A corrected status block (formats.md §4.1) of n empty memory-section entries.
    const n = 12_000;
    const block = new Uint8Array(20 + 72 * n);
    const bv = new DataView(block.buffer);
    bv.setUint32(0, 0x12 | (0x3ff << 4), true);
    bv.setUint32(12, 72 * n, true);
    bv.setUint32(16, 2, true);
    for (let i = 0; i < n; i++) {
      block.set(G, 20 + 72 * i);
      bv.setUint32(20 + 72 * i + 16, 2, true);
      bv.setUint16(20 + 72 * i + 20, 0x300, true);
    }
    const blockFile = join(dir, 'many-entries.bin');
    writeFileSync(blockFile, block);
    // A corrected CPER record (formats.md §5.1–5.2) of m 16-byte memory sections.
    const m = 20_000;
    const rec = new Uint8Array(128 + 88 * m);
    const rv = new DataView(rec.buffer);
    rec.set([0x43, 0x50, 0x45, 0x52]);
    rv.setUint16(4, 0x0101, true);
    rv.setUint32(6, 0xffffffff, true);
    rv.setUint16(10, m, true);
    rv.setUint32(12, 2, true);
    rv.setUint32(20, rec.length, true);
    for (let i = 0; i < m; i++) {
      const d = 128 + 72 * i;
      rv.setUint32(d, 128 + 72 * m + 16 * i, true);
      rv.setUint32(d + 4, 16, true);
      rv.setUint16(d + 8, 0x0300, true);
      rec.set(G, d + 16);
      rv.setUint32(d + 48, 2, true);
    }
    const recFile = join(dir, 'many-sections.bin');
    writeFileSync(recFile, rec);
    for (const [file, last] of [
      [blockFile, `0x${(20 + 72 * n).toString(16)}`],
      [recFile, `0x${(128 + 72 * m + 16 * (m - 1)).toString(16)}`],
    ] as const) {
      const r = await vras(['decode', file]);
      assert.equal(r.code, 0, r.stderr.slice(0, 200));
      noStack(r);
      assert.doesNotMatch(r.stderr, /call stack/);
      // The last entry's or section's row is printed, at its offset.
      assert.match(r.stdout, new RegExp(`^${last} `, 'm'), file);
    }
  });
});
