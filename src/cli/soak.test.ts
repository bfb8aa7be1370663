import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runSoak } from '../engine/index.js';
import { CliError } from './io.js';
import { run } from './soak.js';

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

test('vras soak prints the JSON summary the issue names and exits 0 when nothing is lost, overwritten or misplaced', async () => {
  const { code, out } = await capture(['--errors', '20000', '--sources', '64', '--seed', '5']);
  assert.equal(code, 0);
  const s = JSON.parse(out);
  for (const k of [
    'delivered',
    'queued',
    'dropped',
    'lost',
    'overwrittenUnacked',
    'outOfRegionWrites',
    'outOfOrder',
  ]) {
    assert.equal(typeof s[k], 'number', k);
  }
  assert.equal(s.errors, 20000);
  assert.equal(s.sources, 64);
  assert.equal(s.lost + s.overwrittenUnacked + s.outOfRegionWrites + s.outOfOrder, 0);
  assert.equal(s.delivered + s.dropped, 20000, 'every record delivered or reported dropped');
  assert.ok(s.queued > 0 && s.dropped > 0, 'the storm exercises the backlog and its overflow');
  assert.equal(s.overflowReports, s.dropped);
  assert.deepEqual(s, JSON.parse(JSON.stringify(runSoak({ errors: 20000, sources: 64, seed: 5 }))));
});

test('vras soak refuses a non-integer --errors and more than 65535 sources (CliError)', async () => {
  await assert.rejects(capture(['--errors', '1e3x']), CliError);
  await assert.rejects(capture(['--sources', '65536']), CliError);
  await assert.rejects(capture(['--sources', '0']), CliError);
});
