// `vras decode --format libcper` through bin/vras (run from the TypeScript sources with
// VRAS_TSX=1, so that the test does not depend on the CLI bundle being current).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseLibcperJson } from '../src/codec/index.js';
import { corpusDir, corpusRecords } from './support/libcper-corpus.js';

const vras = join(import.meta.dirname, '..', 'bin', 'vras');
const run = (...args: string[]) =>
  spawnSync(vras, args, { encoding: 'utf8', env: { ...process.env, VRAS_TSX: '1' } });

describe('vras decode --format libcper', () => {
  test('a corpus record prints libcper’s JSON for it', () => {
    const r = run('decode', join(corpusDir(), '12-dmarvtd-s2.cper'), '--format', 'libcper');
    assert.equal(r.status, 0, r.stderr);
    const expected = corpusRecords().find((x) => x.name === '12-dmarvtd-s2')!;
    assert.deepStrictEqual(parseLibcperJson(r.stdout), parseLibcperJson(expected.jsonText));
  });

  test('many records print one JSON line each; an input libcper has no form for is an error line and exit 1', () => {
    const files = ['09-pcibus-s1.cper', 'linux61-hest.bin', '24-ampere-s3.cper'].map((n) =>
      join(corpusDir(), n),
    );
    const r = run('decode', ...files, '--format', 'libcper');
    assert.equal(r.status, 1, r.stderr);
    // The failed record prints its header line and the error, as the text formats do.
    const lines = r.stdout
      .trimEnd()
      .split('\n')
      .filter((l) => !l.startsWith('==> '));
    assert.equal(lines.length, 3);
    const byName = new Map(corpusRecords().map((x) => [x.name, x]));
    assert.deepStrictEqual(
      parseLibcperJson(lines[0]!),
      parseLibcperJson(byName.get('09-pcibus-s1')!.jsonText),
    );
    assert.match(lines[1]!, /error: .*libcper reads CPER records and sections, not a hest/);
    assert.deepStrictEqual(
      parseLibcperJson(lines[2]!),
      parseLibcperJson(byName.get('24-ampere-s3')!.jsonText),
    );
  });

  test('vras encode takes libcper’s JSON back to the record libcper would write', () => {
    const r = run('encode', join(corpusDir(), '13-dmariommu-s2.libcper.json'));
    assert.equal(r.status, 0, r.stderr);
    const expected = corpusRecords().find((x) => x.name === '13-dmariommu-s2')!.cper;
    assert.equal(r.stdout.trim(), Buffer.from(expected).toString('hex'));
  });

  test('decode --format libcper piped into encode gives the input back (a record libcper keeps whole)', () => {
    const file = join(corpusDir(), '24-ampere-s2.cper');
    const json = run('decode', file, '--format', 'libcper');
    assert.equal(json.status, 0, json.stderr);
    const back = spawnSync(vras, ['encode', '-'], {
      encoding: 'utf8',
      input: json.stdout,
      env: { ...process.env, VRAS_TSX: '1' },
    });
    assert.equal(back.status, 0, back.stderr);
    const expected = corpusRecords().find((x) => x.name === '24-ampere-s2')!.cper;
    assert.equal(back.stdout.trim(), Buffer.from(expected).toString('hex'));
  });

  test('a HEST has no libcper form: exit 2 with the reason', () => {
    const r = run('decode', join(corpusDir(), 'linux61-hest.bin'), '--format', 'libcper');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /libcper reads CPER records and sections, not a hest/);
  });
});
