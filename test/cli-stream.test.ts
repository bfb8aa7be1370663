// `vras decode` and `vras lint` over streams of records, run through the real bin/vras: many
// files, files of records one after another, hex/base64/JSON lines on stdin, Redfish LogEntry
// JSON, the descriptor-plus-section form, the kernel's whole verdict in `--format linux`, the
// input limits, and memory that stays bounded over a 200 MB stream.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { repoRoot, sharedPath } from './support/shared.js';

const VRAS = join(repoRoot, 'bin/vras');
const CAPTURED = 'reference/qemu/captured/qemu-10.2.50-ece408818d/virt';
/** QEMU 10.2.50's 172-byte QMP memory record (a GHES status block). */
const QMP = new Uint8Array(readFileSync(sharedPath(CAPTURED, 'qmp_cper_payload.bin')));
/** QEMU's own expected HEST (224 bytes). */
const HEST = new Uint8Array(
  readFileSync(sharedPath('reference/qemu/tests/data/acpi/aarch64/virt/HEST')),
);
const CORPUS = sharedPath('reference', 'libcper-corpus');
const corpus = (name: string) => new Uint8Array(readFileSync(join(CORPUS, name)));
const MEMORY_CPER = corpus('05-memory-s1.cper');
const ARM_CPER = corpus('03-arm-s2.cper');

const dir = mkdtempSync(join(tmpdir(), 'vras-stream-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function vras(args: string[], input?: string | Uint8Array): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(VRAS, args, { env: { ...process.env, VRAS_DEBUG: '', VRAS_TSX: '' } });
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

function file(name: string, bytes: Uint8Array | string): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const hexOf = (b: Uint8Array) => Buffer.from(b).toString('hex');
const b64Of = (b: Uint8Array) => Buffer.from(b).toString('base64');
// biome-ignore lint/suspicious/noExplicitAny: JSON Lines documents
const jsonl = (s: string): any[] =>
  s
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l));

/** The descriptor-plus-section form of a CPER record's first section (libcper's single section). */
function descriptorForm(record: Uint8Array): Uint8Array {
  const v = new DataView(record.buffer, record.byteOffset, record.byteLength);
  const offset = v.getUint32(128, true);
  const length = v.getUint32(132, true);
  const d = record.slice(128, 200);
  new DataView(d.buffer).setUint32(0, 72, true);
  return concat(d, record.subarray(offset, offset + length));
}

describe('vras decode and lint over streams', { concurrency: true }, () => {
  it('decode takes many files and prints one JSON line per record with input, index and offset', async () => {
    const a = file('a.bin', QMP);
    const b = file('b.cper', MEMORY_CPER);
    const r = await vras(['decode', a, b, '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const docs = jsonl(r.stdout);
    assert.deepEqual(
      docs.map((d) => [d.schema, d.kind, d.input, d.index, d.offset]),
      [
        ['vras/v1', 'ghes-status-block', a, 0, 0],
        ['vras/v1', 'cper-record', b, 0, 0],
      ],
    );
    // Each line is the same document a single-record decode prints.
    const single = JSON.parse((await vras(['decode', b, '--format', 'json'])).stdout);
    assert.deepEqual(docs[1].value, single.value);
  });

  it('a file of records one after another is split by their own lengths, zero padding skipped', async () => {
    const pad = new Uint8Array(44);
    const f = file('concat.bin', concat(QMP, MEMORY_CPER, pad, HEST, QMP));
    const r = await vras(['decode', f, '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const docs = jsonl(r.stdout);
    const o2 = QMP.length + MEMORY_CPER.length + pad.length;
    assert.deepEqual(
      docs.map((d) => [d.kind, d.index, d.offset]),
      [
        ['ghes-status-block', 0, 0],
        ['cper-record', 1, QMP.length],
        ['hest', 2, o2],
        ['ghes-status-block', 3, o2 + HEST.length],
      ],
    );
  });

  it('stdin with one hex or base64 record per line: a bad line is an error result and the rest go on (exit 1)', async () => {
    const lines = [hexOf(QMP), b64Of(MEMORY_CPER), 'zz-not-a-record', b64Of(ARM_CPER), ''].join(
      '\n',
    );
    const r = await vras(['decode', '-', '--format', 'json'], lines);
    assert.equal(r.code, 1, r.stderr);
    const docs = jsonl(r.stdout);
    assert.deepEqual(
      docs.map((d) => [d.kind, d.index, d.line]),
      [
        ['ghes-status-block', 0, 1],
        ['cper-record', 1, 2],
        ['error', 2, 3],
        ['cper-record', 3, 4],
      ],
    );
    const offset3 = hexOf(QMP).length + 1 + b64Of(MEMORY_CPER).length + 1;
    assert.equal(docs[2].offset, offset3);
    assert.match(docs[2].error, /neither hex nor base64/);
  });

  it('text output has a header line per record, and lint exits 1 when any record has findings', async () => {
    const blockStatusZero = QMP.slice();
    blockStatusZero[0] = 0;
    const lines = `${hexOf(QMP)}\n${hexOf(blockStatusZero)}\n`;
    const t = await vras(['decode', '-', '--format', 'linux'], lines);
    assert.equal(t.code, 0, t.stderr);
    assert.match(
      t.stdout,
      /^==> standard input: record 0 \(offset 0x0, line 1\): ghes-status-block <==\n\{1\}\[Hardware Error\]/,
    );
    assert.match(
      t.stdout,
      /\n==> standard input: record 1 \(offset 0x159, line 2\): ghes-status-block <==\n/,
    );
    const l = await vras(['lint', '-'], lines);
    assert.equal(l.code, 1);
    assert.match(l.stdout, /record 1 .*\n.*\nerror {3}estatus\.block-status-zero/);
    const clean = await vras(['lint', '-', '--json'], `${hexOf(QMP)}\n${hexOf(QMP)}\n`);
    assert.equal(clean.code, 0, clean.stdout);
    assert.deepEqual(
      jsonl(clean.stdout).map((d) => [d.kind, d.index, d.value.kind]),
      [
        ['lint-report', 0, 'ghes-status-block'],
        ['lint-report', 1, 'ghes-status-block'],
      ],
    );
  });

  it('JSON Lines objects with a base64 field, and --field naming another', async () => {
    const lines = [
      JSON.stringify({ host: 'a', data: b64Of(QMP) }),
      JSON.stringify({ host: 'b', data: b64Of(MEMORY_CPER) }),
    ].join('\n');
    const r = await vras(['decode', '-', '--format', 'json'], lines);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      jsonl(r.stdout).map((d) => [d.kind, d.line, d.path]),
      [
        ['ghes-status-block', 1, 'data'],
        ['cper-record', 2, 'data'],
      ],
    );
    const named = await vras(
      ['decode', '-', '--format', 'json', '--field', 'blob'],
      JSON.stringify({ data: 'ignored', blob: b64Of(QMP) }),
    );
    assert.equal(named.code, 0, named.stderr);
    assert.equal(JSON.parse(named.stdout).kind, 'ghes-status-block');
  });

  it('a Redfish LogEntryCollection: CPER and CPERSection entries decoded, others skipped, bad data an error', async () => {
    const section = descriptorForm(ARM_CPER);
    const collection = {
      '@odata.type': '#LogEntryCollection.LogEntryCollection',
      Members: [
        {
          '@odata.type': '#LogEntry.v1_15_0.LogEntry',
          Id: '1',
          EntryType: 'Event',
          DiagnosticDataType: 'CPER',
          DiagnosticData: b64Of(MEMORY_CPER),
          CPER: {
            NotificationType: '09a9d5ac-5204-4214-96e5-94992e752bcd',
            SectionType: 'a5bc1114-6f64-4ede-b863-3e83ed7c83b1',
          },
        },
        { '@odata.type': '#LogEntry.v1_15_0.LogEntry', Id: '2', EntryType: 'SEL', Message: 'fan' },
        {
          '@odata.type': '#LogEntry.v1_15_0.LogEntry',
          Id: '3',
          EntryType: 'Event',
          DiagnosticDataType: 'CPERSection',
          DiagnosticData: b64Of(section),
          CPER: {
            NotificationType: '9a78788a-bbe8-11e4-809e-67611e5d46b0',
            SectionType: 'E19E3D16-BC11-11E4-9CAA-C2051D5D46B0',
          },
        },
        {
          '@odata.type': '#LogEntry.v1_15_0.LogEntry',
          Id: '4',
          DiagnosticDataType: 'CPER',
          DiagnosticData: 'not base64!',
        },
      ],
    };
    const f = file('collection.json', JSON.stringify(collection, null, 2));
    const r = await vras(['decode', f, '--format', 'json']);
    assert.equal(r.code, 1, r.stderr);
    const docs = jsonl(r.stdout);
    assert.deepEqual(
      docs.map((d) => [d.kind, d.path, d.redfish?.id]),
      [
        ['cper-record', 'Members[0]', '1'],
        ['section-with-descriptor', 'Members[2]', '3'],
        ['error', 'Members[3]', '4'],
      ],
    );
    assert.equal(docs[0].redfish.notificationType, '09a9d5ac-5204-4214-96e5-94992e752bcd');
    assert.equal(docs[1].redfish.sectionType, 'e19e3d16-bc11-11e4-9caa-c2051d5d46b0');
    assert.equal(docs[1].value.sectionType, docs[1].redfish.sectionType);
    assert.equal(docs[1].value.body.kind, 'arm');
    // A CPER.SectionType that disagrees with the descriptor is reported.
    const wrong = file(
      'wrong.json',
      JSON.stringify({
        ...collection.Members[2],
        CPER: { SectionType: 'a5bc1114-6f64-4ede-b863-3e83ed7c83b1' },
      }),
    );
    const note = await vras(['decode', wrong, '--format', 'json']);
    assert.match(note.stderr, /CPER\.SectionType a5bc1114-.* but the descriptor says e19e3d16-/);
    // One LogEntry on its own is one record, printed as a single decode.
    const one = file('entry.json', JSON.stringify(collection.Members[2]));
    const single = await vras(['decode', one, '--format', 'json']);
    assert.equal(single.code, 0, single.stderr);
    assert.equal(JSON.parse(single.stdout).kind, 'section-with-descriptor');
  });

  it('the descriptor-plus-section form is detected, selected by --as, and never read as a bare body', async () => {
    const section = descriptorForm(ARM_CPER);
    const f = file('section.bin', section);
    const detected = await vras(['decode', f, '--format', 'json']);
    assert.equal(detected.code, 0, detected.stderr);
    const doc = JSON.parse(detected.stdout);
    assert.equal(doc.kind, 'section-with-descriptor');
    assert.equal(doc.value.body.kind, 'arm');
    const hinted = await vras(['decode', f, '--section', 'memory', '--format', 'json']);
    assert.equal(JSON.parse(hinted.stdout).kind, 'section-with-descriptor');
    const forced = await vras(['decode', f, '--as', 'section-with-descriptor']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(
      forced.stdout,
      /section descriptor\.section type +e19e3d16-bc11-11e4-9caa-c2051d5d46b0 +ARM Processor/,
    );
    const bare = await vras(['decode', f, '--as', 'section', '--section', 'memory']);
    assert.equal(bare.code, 2);
    assert.match(
      bare.stderr,
      /starts with a 72-byte section descriptor .*use --as section-with-descriptor/,
    );
    const back = await vras(['encode', '-'], detected.stdout);
    assert.equal(back.code, 0, back.stderr);
    assert.equal(back.stdout.trim(), hexOf(section));
    const linted = await vras(['lint', f, '--notify', 'polled']);
    assert.match(linted.stdout, /^section-with-descriptor: accepted/);
  });

  it('decode --format linux prints the kernel’s whole verdict: 6.1/sea.txt line for line', async () => {
    // The real 6.1.192 console (test/fixtures/real-guest/6.1/sea.txt) for this record on source 2.
    const fixture = readFileSync(join(repoRoot, 'test/fixtures/real-guest/6.1/sea.txt'), 'utf8');
    const record = /^# record source=2 ([0-9a-f]+)$/m.exec(fixture)![1]!;
    const console = fixture.split('\n').filter((l) => /^(\[Firmware|GHES|\{8\})/.test(l));
    const r = await vras(
      [
        'decode',
        '-',
        '--format',
        'linux',
        '--kernel',
        '6.1',
        '--source-id',
        '2',
        '--notify',
        'sea',
        '--ram',
        '0x40000000:0x40000000',
        '--task',
        'devmem:92',
        '--seq',
        '8',
      ],
      record,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trimEnd().split('\n'), console);
  });

  it('decode --format linux prints a block the kernel rejects as the kernel does, and detects it', async () => {
    const fixture = readFileSync(
      join(repoRoot, 'test/fixtures/real-guest/6.1/malformed.txt'),
      'utf8',
    );
    const records = [...fixture.matchAll(/^# record source=1 ([0-9a-f]+)$/gm)].map((m) => m[1]!);
    const r = await vras(
      ['decode', '-', '--format', 'linux', '--notify', 'polled'],
      records.join('\n'),
    );
    assert.equal(r.code, 0, r.stderr);
    const printed = r.stdout.split('\n').filter((l) => l.startsWith('['));
    assert.deepEqual(
      printed,
      fixture.split('\n').filter((l) => l.startsWith('[Firmware Warn]')),
    );
    const json = await vras(['decode', '-', '--format', 'json'], `${records[1]}\n`);
    assert.equal(json.code, 2);
    assert.match(json.stderr, /Cannot decode the input as a GHES status block/);
    assert.doesNotMatch(json.stderr, /Cannot tell what the input is/);
  });

  it('decode --format linux puts ghes_do_proc()’s lines after the record when polled, before it on SEA', async () => {
    // The corpus's ARM block (errors 0x02 cache, 0x04 TLB, 0x08 bus) made recoverable: Linux
    // recovers only cache errors and warns about the others (ghes_handle_arm_hw_error).
    const block = new Uint8Array(readFileSync(join(CORPUS, '03-arm-s2.block.bin')));
    const v = new DataView(block.buffer);
    v.setUint32(16, 0, true); // block error_severity: recoverable
    v.setUint32(36, 0, true); // entry error_severity: recoverable
    const f = file('arm-recoverable.bin', block);
    const warn =
      /^\[Firmware Warn\]: GHES: Unhandled processor error type 0x0[48]: (TLB|bus) error$/;
    const polled = (await vras(['decode', f, '--format', 'linux', '--notify', 'polled'])).stdout
      .trimEnd()
      .split('\n');
    assert.match(polled[0]!, /^\{1\}\[Hardware Error\]: Hardware error from APEI/);
    assert.deepEqual(
      polled.slice(-2).map((l) => warn.test(l)),
      [true, true],
    );
    const sea = (await vras(['decode', f, '--format', 'linux', '--notify', 'sea'])).stdout
      .trimEnd()
      .split('\n');
    assert.deepEqual(
      sea.slice(0, 2).map((l) => warn.test(l)),
      [true, true],
    );
    assert.match(sea[2]!, /^\{1\}\[Hardware Error\]: Hardware error from APEI/);
    const small = await vras(['decode', f, '--format', 'linux', '--block-length', '100']);
    assert.equal(small.stdout, '[Firmware Warn]: GHES: Invalid error status block length!\n');
  });

  it('vras decode /dev/zero fails fast naming the limit and the option that raises it', async () => {
    const r = await vras(['decode', '/dev/zero']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^vras: Cannot read \/dev\/zero: .*67108864.*--max-record-size/);
    const small = await vras(['decode', '/dev/zero', '--max-record-size', '4096']);
    assert.match(small.stderr, /4096-byte limit \(raise it with --max-record-size\)/);
    const line = await vras(
      ['decode', '-', '--max-record-size', '200', '--format', 'json'],
      `${'ab'.repeat(500)}\n${hexOf(QMP)}\n`,
    );
    assert.equal(line.code, 1);
    const docs = jsonl(line.stdout);
    assert.equal(docs[0].kind, 'error');
    assert.match(docs[0].error, /line 1 is 1001 bytes.*--max-record-size/);
    assert.equal(docs[1].kind, 'ghes-status-block');
  });
});

describe('memory stays bounded over a long stream', () => {
  it('200 MB of records through one bin/vras decode keeps its peak RSS under 200 MB', async () => {
    // One 1 MiB CPER record with an opaque section (its table row shows 16 bytes), then QEMU's
    // 172-byte record, repeated: about 200 MB, generated as the child reads it.
    const big = new Uint8Array(1 << 20);
    big.set(MEMORY_CPER.subarray(0, 128));
    const v = new DataView(big.buffer);
    v.setUint16(10, 1, true); // one section
    v.setUint32(20, big.length, true); // record length
    v.setUint32(128, 200, true); // section offset
    v.setUint32(132, big.length - 200, true); // section length
    big.set([0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 9, 9, 9, 9, 9, 9, 9, 9], 144);
    for (let i = 200; i < big.length; i++) big[i] = (i * 7) & 0xff;
    const unit = concat(big, QMP);
    const repeats = Math.ceil((200 * 1024 * 1024) / unit.length);
    const child = spawn(VRAS, ['decode', '-', '--format', 'table'], {
      env: { ...process.env, VRAS_DEBUG: '', VRAS_TSX: '' },
    });
    let headers = 0;
    let tail = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      const text = tail + d;
      headers += text.split('\n==> ').length - 1;
      // Keep one byte less than the 5-byte marker: a marker split across chunks is counted once,
      // and one that ended inside the kept tail (counted already) cannot be counted again.
      tail = text.slice(-4);
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    // VmHWM is the process's high-water mark, so any reading taken after the last input was
    // written covers (almost) the whole run; the 10 ms samples only add readings on the way.
    let peakKb = 0;
    let samples = 0;
    let afterInput = false;
    const sample = () => {
      try {
        const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
        const m = /VmHWM:\s+(\d+) kB/.exec(status);
        if (m !== null) {
          peakKb = Math.max(peakKb, Number(m[1]));
          samples++;
        }
      } catch {
        // the process has exited
      }
    };
    const timer = setInterval(sample, 10);
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    child.stdin.on('error', () => {});
    for (let i = 0; i < repeats; i++) {
      if (!child.stdin.write(unit)) await new Promise((r) => child.stdin.once('drain', r));
      if (i === repeats - 1) {
        const before = samples;
        sample();
        afterInput = samples > before;
      }
    }
    child.stdin.end();
    const code = await closed;
    clearInterval(timer);
    assert.equal(code, 0, stderr);
    assert.equal(headers + 1, repeats * 2, 'every record decoded');
    assert.ok(afterInput, 'no RSS reading after the whole input was written');
    assert.ok(samples >= 3, `only ${samples} RSS samples`);
    assert.ok(peakKb > 0 && peakKb < 200 * 1024, `peak RSS ${peakKb} kB`);
    process.stdout.write(
      `# 200 MB stream: ${repeats * 2} records, peak RSS (VmHWM) ${(peakKb / 1024).toFixed(1)} MB\n`,
    );
  });
});
