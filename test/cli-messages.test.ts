// Messages that used to come straight from JavaScript internals (issue 14 item 9), each now one
// line that names the field, option, offset or line: "b.entries is not iterable", a field
// blamed as "….toJSON is missing", "Cannot convert zz to a BigInt" (--ram-base zz), "Cannot
// encode block status" for a 65,535-section record printed as Linux lines, batch lines whose
// hex, base64 or template errors did not say which line, and "r.map is not a function" from a
// QMP peer whose query-commands reply is not a list. Run through bin/vras as a user meets them.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { decodeGhesStatusBlock, toJson } from '../src/codec/index.js';
import { repoRoot, sharedPath } from './support/shared.js';

const VRAS = join(repoRoot, 'bin/vras');
const dir = mkdtempSync(join(tmpdir(), 'vras-cli-messages-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const PAYLOAD = sharedPath(
  'reference/qemu/captured/qemu-10.2.50-ece408818d/virt',
  'qmp_cper_payload.bin',
);
const INTERNAL =
  /is not iterable|is not a function|Cannot convert \S+ to a BigInt|toJSON|serialize a BigInt|Cannot mix BigInt|Cannot read prop|undefined|\bat \S+:\d+/;

function vras(args: string[], input = ''): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(VRAS, args, {
      env: { ...process.env, VRAS_DEBUG: '', VRAS_CACHE: join(dir, 'cache') },
    });
    let stderr = '';
    child.stdout.resume();
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
    child.stdin.on('error', () => {}).end(input);
  });
}

/** One `vras: …` line naming `names`, nothing from the engine room. */
function oneLine(r: { code: number | null; stderr: string }, names: RegExp): void {
  assert.notEqual(r.code, 0, r.stderr);
  assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
  assert.doesNotMatch(r.stderr, INTERNAL);
  assert.match(r.stderr, names);
}

const blockDoc = () =>
  JSON.parse(
    toJson('ghes-status-block', decodeGhesStatusBlock(new Uint8Array(readFileSync(PAYLOAD)))),
  );

describe('messages name the field, option, offset or line', { concurrency: true }, () => {
  it('vras encode: entries that are not a list name value.entries', async () => {
    const doc = blockDoc();
    doc.value.entries = 5;
    oneLine(await vras(['encode', '-'], JSON.stringify(doc)), /value\.entries/);
  });

  it('vras encode: a field given as an object is named itself, not as ….toJSON', async () => {
    const doc = blockDoc();
    doc.value.errorSeverity = {};
    oneLine(await vras(['encode', '-'], JSON.stringify(doc)), /error severity.*offset 0x10/);
    const d2 = blockDoc();
    d2.value.entries[0].revision = 'lots';
    oneLine(await vras(['encode', '-'], JSON.stringify(d2)), /value\.entries\[0\]/);
  });

  it('vras inject --ram-base zz names the option', async () => {
    const ram = join(dir, 'ram.bin');
    writeFileSync(ram, new Uint8Array(4096));
    oneLine(
      await vras(['inject', 'memory', '--pa', '0x40000000', '--memory', ram, '--ram-base', 'zz']),
      /--ram-base/,
    );
  });

  it('vras decode --format linux of a 65,535-section record names the section count and the 1023 limit', async () => {
    const n = 65_535;
    const rec = new Uint8Array(128 + 72 * n);
    const v = new DataView(rec.buffer);
    rec.set([0x43, 0x50, 0x45, 0x52]);
    v.setUint16(4, 0x0101, true);
    v.setUint32(6, 0xffffffff, true);
    v.setUint16(10, n, true);
    v.setUint32(12, 2, true);
    v.setUint32(20, rec.length, true);
    for (let i = 0; i < n; i++) {
      const d = 128 + 72 * i;
      v.setUint32(d, 128 + 72 * n, true); // empty sections, all at the end
      v.setUint16(d + 8, 0x0300, true);
      v.setUint32(d + 48, 2, true);
    }
    const file = join(dir, 'sections.bin');
    writeFileSync(file, rec);
    const r = await vras(['decode', file, '--format', 'linux']);
    oneLine(r, /65535 sections/);
    assert.match(r.stderr, /1023/);
  });

  it('vras inject --batch names the line of a bad hex, base64 or template line', async () => {
    const good = `{"hex":"${readFileSync(PAYLOAD).toString('hex')}"}`;
    for (const bad of [
      '{"hex":"zz"}',
      '{"base64":"!!!"}',
      '{"template":"memory","pa":"lots"}',
      '{"hex":"00"}',
    ]) {
      const r = await vras(['inject', '--batch', '--dry-run'], `${good}\n\n${bad}\n`);
      oneLine(r, /line 3\b/);
    }
  });
});
