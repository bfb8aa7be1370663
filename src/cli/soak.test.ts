import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runSoak, soakSourceLimit } from '../engine/index.js';
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

test('vras soak refuses --seed above 2^32-1 instead of wrapping it (4294967297 ran as seed 1)', async () => {
  await assert.rejects(capture(['--errors', '10', '--seed', '4294967297']), (e: unknown) => {
    assert.ok(e instanceof CliError);
    assert.match(e.message, /--seed/);
    assert.match(e.message, /32 bits/);
    return true;
  });
  const { out } = await capture(['--errors', '10', '--sources', '1', '--seed', '4294967295']);
  assert.equal(JSON.parse(out).seed, 4294967295);
});

test('vras soak names the drain-step limit when it stops a run with records still queued', async () => {
  const { code, out } = await capture([
    '--errors',
    '200',
    '--sources',
    '1',
    '--max-ack-delay',
    '50000000',
    '--drain-steps',
    '1000',
  ]);
  assert.equal(code, 1);
  const s = JSON.parse(out);
  assert.equal(s.drainStepLimit, 1000);
  assert.equal(s.drainStepLimitHit, true);
  assert.ok(s.lost > 0, 'records still queued when the limit stopped the run count as lost');
  const ok = JSON.parse((await capture(['--errors', '200', '--sources', '2'])).out);
  assert.equal(ok.drainStepLimitHit, false);
  assert.equal(ok.drainStepLimit, 10_000_000);
});

test('vras soak refuses more sources than the firmware can lay out, naming the limit, before running', async () => {
  const limit = soakSourceLimit();
  // The virt machine's 64 MiB firmware window holds about 59,000 sources of 1 KiB blocks.
  assert.ok(limit > 50_000 && limit < 65_535, String(limit));
  await assert.rejects(capture(['--errors', '1', '--sources', String(limit + 1)]), (e: unknown) => {
    assert.ok(e instanceof CliError, String(e));
    assert.match(e.message, /--sources/);
    assert.match(e.message, new RegExp(String(limit)));
    return true;
  });
  assert.throws(() => runSoak({ errors: 1, sources: limit + 1, seed: 1 }), /at most/);
  // The limit itself boots and runs.
  assert.equal(runSoak({ errors: 1, sources: limit, seed: 1 }).lost, 0);
});
