import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { runAndReport } from '../src/cli/simulate.js';
import { scenarioByName } from '../src/scenarios/index.js';
import { repoRoot } from './support/shared.js';

const vras = (...args: string[]) =>
  spawnSync(`${repoRoot}/bin/vras`, args, { encoding: 'utf8', cwd: repoRoot });

function captured<T>(f: () => T): { value: T; stdout: string; stderr: string } {
  const out: string[] = [];
  const err: string[] = [];
  const ow = process.stdout.write.bind(process.stdout);
  const ew = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string) => out.push(s) > 0) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => err.push(s) > 0) as typeof process.stderr.write;
  try {
    return { value: f(), stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = ow;
    process.stderr.write = ew;
  }
}

describe('vras demo / simulate', () => {
  it('bin/vras demo prints every layer, the guest kernel lines and an outcome as expected', () => {
    const r = vras('demo');
    assert.equal(r.status, 0, r.stderr);
    for (const layer of ['hardware', 'EL3 firmware', 'host kernel', 'KVM', 'VMM', 'guest kernel']) {
      assert.match(r.stdout, new RegExp(`\\d\\.\\d{9}  ${layer} `), layer);
    }
    assert.match(r.stdout, /\{1\}\[Hardware Error\]: {3}physical_address: 0x000000007c3c7000/);
    assert.match(r.stdout, /processes killed: {3}victim:99 \(SIGBUS BUS_MCEERR_AR\)/);
    assert.match(r.stdout, /result: {13}as expected/);
  });

  it('bin/vras simulate ppc-compat-matrix --json reproduces seed 004 as JSON', () => {
    const doc = JSON.parse(
      execFileSync(`${repoRoot}/bin/vras`, ['simulate', 'ppc-compat-matrix', '--json'], {
        encoding: 'utf8',
      }),
    );
    assert.equal(doc.kind, 'simulation-outcome');
    const cells = doc.value.cells as {
      kernel: string;
      vmm: string;
      where: string;
      result: string;
    }[];
    assert.equal(cells.length, 8);
    assert.deepEqual(doc.value.failures, []);
    assert.equal(cells.find((c) => c.kernel === 'new' && c.vmm === 'old')?.result, 'vm-terminated');
  });

  it('a run that misses its expectations exits 1 and prints the seed and the replay command', () => {
    const s = scenarioByName('ar-sea')!;
    const r = captured(() =>
      runAndReport(
        { ...s, expect: { guestPanic: 'never' } },
        { seed: 42n, json: false, quiet: true },
      ),
    );
    assert.equal(r.value.code, 1);
    assert.match(r.stdout, /result: {13}FAILED/);
    assert.match(r.stderr, /with seed 42/);
    assert.match(r.stderr, /replay: bin\/vras simulate ar-sea --seed 42 --trace ar-sea-42\.jsonl/);
  });

  it('bin/vras campaign --mix uncorrected --json says every error it ran and how many took the full stack', () => {
    const r = vras(
      'campaign',
      '--vms',
      '10',
      '--errors',
      '30',
      '--seed',
      '4',
      '--mix',
      'uncorrected',
      '--json',
    );
    assert.equal(r.status, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as {
      kind: string;
      value: { mix: string; errors: number; fullStackErrors: number; fastPathErrors: number };
    };
    assert.equal(doc.kind, 'campaign-summary');
    assert.equal(doc.value.mix, 'uncorrected');
    assert.equal(doc.value.fullStackErrors + doc.value.fastPathErrors, 30);
    assert.ok(doc.value.fullStackErrors > 0);
  });

  it('bin/vras campaign refuses an unknown --mix', () => {
    const r = vras('campaign', '--vms', '10', '--errors', '30', '--mix', 'cosmic');
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /--mix must be 'field' or 'uncorrected'/);
  });

  it('bin/vras simulate harness-sea --kernel 7.3 prints the 7.3 memory_failure lines for devmem', () => {
    const r = vras('simulate', 'harness-sea', '--kernel', '7.3');
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.stdout,
      /\| Memory failure: 0x9100: recovery action for non struct page pfn: Ignored$/m,
    );
    assert.match(
      r.stdout,
      /\| 0x9100: Sending SIGBUS to devmem:96 due to hardware memory corruption$/m,
    );
    assert.doesNotMatch(r.stdout, /synchronous unrecoverable error/);
  });

  it('rejects --kernel 5.10 with exit code 2 and names the kernels it takes', () => {
    const r = vras('simulate', 'harness-sea', '--kernel', '5.10');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--kernel must be one of 6\.1, 6\.12, 7\.3, newer, got "5\.10"/);
  });

  it('rejects an unknown scenario with exit code 2', () => {
    const r = vras('simulate', 'no-such-scenario');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /unknown scenario 'no-such-scenario'/);
  });
});
