// Control characters from outside never reach the terminal raw (issue 14 item 10): a record's
// FRU text in the Linux lines, a JSON parser's message quoting the document, and a QMP peer's
// error description are printed with every C0/C1 control and DEL written as \u00XX (as JSON
// writes them), always, whether or not the output is a terminal.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { escapeControlText } from '../src/codec/index.js';
import { parseQmpAddress, QmpClient } from '../src/guest/qmp.js';
import { repoRoot, sharedPath } from './support/shared.js';

const VRAS = join(repoRoot, 'bin/vras');
const dir = mkdtempSync(join(tmpdir(), 'vras-escapes-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

function vras(args: string[], input = ''): Promise<{ stdout: string; stderr: string }> {
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
    child.on('close', () => resolve({ stdout, stderr }));
    child.stdin.on('error', () => {}).end(input);
  });
}

test('escapeControlText() writes C0, DEL and C1 controls as \\u00XX and leaves other text alone', () => {
  assert.equal(
    escapeControlText('a\x1b[31mb\x7f\x9b\u00e9\u20ac'),
    'a\\u001b[31mb\\u007f\\u009b\u00e9\u20ac',
  );
  assert.equal(escapeControlText('plain text'), 'plain text');
});

test('vras decode --format linux prints FRU text with its control characters escaped', async () => {
  const b = new Uint8Array(
    readFileSync(
      sharedPath('reference/qemu/captured/qemu-10.2.50-ece408818d/virt', 'qmp_cper_payload.bin'),
    ),
  );
  b[20 + 22]! |= 0x02; // FRU text valid (formats.md §4.2: validation bits at entry +22, bit 1)
  b.set([0x1b, 0x5b, 0x32, 0x4a, 0x41, 0x07, 0x9b], 20 + 44); // ESC [ 2 J, "A", BEL, CSI
  const file = join(dir, 'fru.bin');
  writeFileSync(file, b);
  const r = await vras(['decode', file, '--format', 'linux']);
  const line = r.stdout.split('\n').find((l) => l.includes('fru_text'));
  assert.ok(line !== undefined, r.stdout + r.stderr);
  assert.doesNotMatch(line, RAW_CONTROL);
  assert.match(line, /fru_text: \\u001b\[2JA\\u0007\\u009b$/);
});

test('vras encode reports a JSON parse error quoting control characters escaped', async () => {
  const r = await vras(['encode', '-'], '{"schema": \x1b[31m}');
  assert.match(r.stderr, /Cannot parse JSON/);
  assert.doesNotMatch(r.stderr, RAW_CONTROL);
  assert.match(r.stderr, /\\u001b/);
});

test('a QMP error description with control characters reaches the caller escaped', async () => {
  const path = join(dir, 'q.sock');
  const server = createServer((sock) => {
    sock.on('error', () => {});
    sock.write(
      '{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 10}}, "capabilities": []}}\r\n',
    );
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString();
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const c = JSON.parse(buf.slice(0, nl)) as { execute: string; id: unknown };
        buf = buf.slice(nl + 1);
        const reply =
          c.execute === 'qmp_capabilities'
            ? { return: {}, id: c.id }
            : {
                error: { class: 'Generic\x1bError', desc: 'bad \x1b]0;pwned\x07 thing' },
                id: c.id,
              };
        sock.write(`${JSON.stringify(reply)}\r\n`);
      }
    });
  });
  await new Promise<void>((r) => server.listen(path, r));
  const client = await QmpClient.connect(parseQmpAddress(`unix:${path}`), { timeoutMs: 5000 });
  await assert.rejects(client.execute('query-status'), (e: unknown) => {
    const m = (e as Error).message;
    assert.doesNotMatch(m, RAW_CONTROL);
    assert.match(m, /bad \\u001b\]0;pwned\\u0007 thing/);
    return true;
  });
  client.close();
  await new Promise<void>((r) => server.close(() => r()));
});

test('encodeDocument() errors quoting a document value keep its control characters escaped (found by fuzzing)', async () => {
  const { encodeDocument } = await import('../src/cli/encode.js');
  const { decodeGhesStatusBlock, toJson } = await import('../src/codec/index.js');
  const doc = JSON.parse(
    toJson(
      'ghes-status-block',
      decodeGhesStatusBlock(
        new Uint8Array(
          readFileSync(
            sharedPath(
              'reference/qemu/captured/qemu-10.2.50-ece408818d/virt',
              'qmp_cper_payload.bin',
            ),
          ),
        ),
      ),
    ),
  );
  doc.value.entries[0].revision = 'a\nb\u001b[2J';
  assert.throws(
    () => encodeDocument(JSON.stringify(doc)),
    (e: unknown) => {
      assert.doesNotMatch((e as Error).message, RAW_CONTROL);
      assert.doesNotMatch((e as Error).message, /\n/);
      return true;
    },
  );
});
