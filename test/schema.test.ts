// Every JSON document the CLI prints validates against the vras/v1 JSON Schema that ships in
// schema/vras-v1.schema.json: decode of every corpus record, status block and captured table
// in the reference folder (JSON Lines from one process), a single pretty document, error
// results, hest build's table decoded back, esr, lint, simulate and campaign. bin/vras runs the
// TypeScript sources (VRAS_TSX=1) so that the test does not depend on a current CLI bundle.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { corpusDir } from './support/libcper-corpus.js';

const root = join(import.meta.dirname, '..');
const vras = join(root, 'bin', 'vras');
const schema = JSON.parse(readFileSync(join(root, 'schema', 'vras-v1.schema.json'), 'utf8'));
const ajv = new Ajv2020({ allErrors: false, strict: true });
const validate = ajv.compile(schema);

function run(args: string[], input?: string) {
  const r = spawnSync(vras, args, {
    encoding: 'utf8',
    env: { ...process.env, VRAS_TSX: '1' },
    maxBuffer: 256 * 1024 * 1024,
    ...(input === undefined ? {} : { input }),
  });
  return r;
}

function check(what: string, text: string): void {
  const doc = JSON.parse(text);
  if (!validate(doc)) {
    assert.fail(`${what}: ${ajv.errorsText(validate.errors)}\n${text.slice(0, 400)}`);
  }
}

function checkLines(what: string, stdout: string): number {
  const lines = stdout.split('\n').filter((l) => l.length > 0);
  for (const [i, l] of lines.entries()) check(`${what} line ${i + 1}`, l);
  return lines.length;
}

const shared = join(corpusDir(), '..');
const qemu = join(shared, 'qemu', 'captured');
const qemuFiles = readdirSync(qemu, { recursive: true, encoding: 'utf8' })
  .filter((f) => /(HEST\.(un)?patched|qmp_cper_payload)\.bin$/.test(f))
  .map((f) => join(qemu, f));
const corpusFiles = readdirSync(corpusDir())
  .filter((f) => f.endsWith('.cper') || f.endsWith('.bin'))
  .map((f) => join(corpusDir(), f));

describe('vras/v1 JSON Schema', () => {
  test('the schema itself compiles under draft 2020-12 in strict mode', () => {
    assert.equal(typeof validate, 'function');
    assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
  });

  test('decode --format json of every corpus record, block and captured table validates', () => {
    const files = [
      ...corpusFiles,
      ...qemuFiles,
      join(shared, 'x86-guest', 'estatus-ghes-nmi.bin'),
      join(shared, 'x86-guest', 'hest.aml'),
    ];
    const r = run(['decode', ...files, '--format', 'json']);
    assert.ok(r.status === 0 || r.status === 1, r.stderr);
    const n = checkLines('decode', r.stdout);
    assert.ok(n >= files.length, `${n} documents for ${files.length} files`);
  });

  test('a single pretty document and a Redfish-wrapped one validate', () => {
    const one = run(['decode', join(corpusDir(), '26-mixed-s3.cper'), '--format', 'json']);
    assert.equal(one.status, 0, one.stderr);
    check('single decode', one.stdout);
    const b64 = readFileSync(join(corpusDir(), '05-memory-s1.cper')).toString('base64');
    const entry = JSON.stringify({
      '@odata.type': '#LogEntry.v1_15_0.LogEntry',
      Id: '7',
      DiagnosticDataType: 'CPER',
      DiagnosticData: b64,
    });
    const rf = run(['decode', '-', '--format', 'json'], entry);
    assert.equal(rf.status, 0, rf.stderr);
    check('redfish decode', rf.stdout);
  });

  test('error results of a stream validate (kind error, no value)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vras-schema-'));
    const bad = join(dir, 'bad.bin');
    writeFileSync(bad, 'not a record at all');
    const r = run(['decode', join(corpusDir(), '05-memory-s1.cper'), bad, '--format', 'json']);
    rmSync(dir, { recursive: true });
    assert.equal(r.status, 1, r.stderr);
    assert.equal(checkLines('errors', r.stdout), 2);
    assert.match(r.stdout, /"kind":"error"/);
  });

  test('hest build output decoded back, esr, lint, simulate and campaign JSON validate', () => {
    const hest = run([
      'hest',
      'build',
      '--profile',
      'qemu-7.2-virt',
      '--blob-address',
      '0x7c410000',
    ]);
    assert.equal(hest.status, 0, hest.stderr);
    const back = run(['decode', '-', '--format', 'json'], hest.stdout);
    assert.equal(back.status, 0, back.stderr);
    check('hest build → decode', back.stdout);
    const esr = run(['esr', 'decode', '0x92000410', '--json']);
    assert.equal(esr.status, 0, esr.stderr);
    check('esr', esr.stdout);
    const lint = run(['lint', join(corpusDir(), '05-memory-s1.block.bin'), '--json']);
    assert.ok(lint.status === 0 || lint.status === 1, lint.stderr);
    check('lint', lint.stdout);
    const sim = run(['simulate', 'ar-sea', '--json']);
    assert.equal(sim.status, 0, sim.stderr);
    check('simulate', sim.stdout);
    const camp = run(['campaign', '--vms', '4', '--errors', '50', '--seed', '1', '--json']);
    assert.equal(camp.status, 0, camp.stderr);
    check('campaign', camp.stdout);
  });

  test('the schema rejects what vras never prints', () => {
    const ok = {
      schema: 'vras/v1',
      kind: 'section',
      value: {
        sectionType: '00000000-0000-0000-0000-000000000000',
        body: { kind: 'opaque', bytes: 'hex:00', reason: 'x' },
      },
    };
    assert.ok(validate(ok), ajv.errorsText(validate.errors));
    assert.ok(!validate({ ...ok, schema: 'vras/v2' }));
    assert.ok(
      !validate({
        ...ok,
        value: {
          ...ok.value,
          body: { kind: 'ampere', typeId: 70000, subtypeId: 0, instanceId: 0 },
        },
      }),
    );
    assert.ok(
      !validate({
        ...ok,
        value: { ...ok.value, body: { kind: 'opaque', bytes: '0x00', reason: 'x' } },
      }),
    );
    assert.ok(!validate({ schema: 'vras/v1', kind: 'error', value: 1, error: 'x' }));
  });
});
