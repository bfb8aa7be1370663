import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCampaignInWorkers } from '../src/cli/campaign-workers.js';
import { toJson } from '../src/codec/index.js';
import {
  type CampaignOptions,
  type CampaignPart,
  mergeCampaignParts,
  runCampaign,
  runCampaignPart,
} from '../src/sim/index.js';
import { repoRoot } from './support/shared.js';

// A campaign split over worker threads (VMs by index modulo N) must give the summary one
// thread gives for the same seed, byte for byte, whatever N.

const FIELD: CampaignOptions = { vms: 300, errors: 4000, seed: 7n };
const STORM: CampaignOptions = { vms: 40, errors: 600, seed: 3n, mix: 'uncorrected' };

describe('campaign over workers', () => {
  it('gives the one-thread summary for 2 and 3 worker threads (field and uncorrected mixes)', async () => {
    for (const o of [FIELD, STORM]) {
      const one = toJson('campaign-summary', runCampaign(o));
      for (const workers of [2, 3]) {
        const many = toJson('campaign-summary', await runCampaignInWorkers(o, workers));
        assert.equal(many, one, `${o.mix ?? 'field'} mix over ${workers} workers`);
      }
      // The run did real work in every layer, so the equality means something.
      const s = runCampaign(o);
      assert.ok(s.recordsDelivered > 0 && s.vmsTouched > 1);
      if (o.mix === 'uncorrected') assert.ok(s.fullStackErrors > 100 && s.processKills > 0);
    }
  });

  it('vras campaign --workers 2 prints the summary --workers 1 prints', () => {
    const run = (workers: string) =>
      spawnSync(
        join(repoRoot, 'bin/vras'),
        [
          'campaign',
          '--vms',
          '200',
          '--errors',
          '5000',
          '--seed',
          '5',
          '--json',
          '--workers',
          workers,
        ],
        { encoding: 'utf8' },
      );
    const one = run('1');
    const two = run('2');
    assert.equal(one.status, 0, one.stderr);
    assert.equal(two.status, 0, two.stderr);
    assert.match(one.stdout, /"kind": "campaign-summary"/);
    assert.equal(two.stdout, one.stdout);
    const bad = run('0');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--workers must be a positive number/);
  });

  it('adds up in-thread parts to the whole for 1 to 5 partitions', () => {
    const whole = toJson('campaign-summary', runCampaign(STORM));
    for (let count = 1; count <= 5; count++) {
      const parts = Array.from({ length: count }, (_, part) =>
        runCampaignPart({ ...STORM, partition: { part, count } }),
      );
      // Each part ran only its own VMs: the work is split, not repeated.
      if (count > 1)
        assert.ok(
          parts.every(
            (p) => p.summary.worldsBuilt < parts.reduce((t, q) => t + q.summary.worldsBuilt, 0),
          ),
        );
      assert.equal(toJson('campaign-summary', mergeCampaignParts(parts)), whole, `${count} parts`);
    }
  });

  it('orders failures from different parts as one thread would meet them', () => {
    const base = runCampaignPart({ ...STORM, partition: { part: 0, count: 2 } });
    const other = runCampaignPart({ ...STORM, partition: { part: 1, count: 2 } });
    const withFailures = (
      p: CampaignPart,
      failures: string[],
      order: [number, number][],
    ): CampaignPart => ({
      ...p,
      summary: { ...p.summary, failures },
      failureOrder: order,
    });
    const merged = mergeCampaignParts([
      withFailures(
        base,
        ['a@5', 'c@final-1'],
        [
          [0, 5],
          [1, 1],
        ],
      ),
      withFailures(
        other,
        ['b@9', 'd@final-0'],
        [
          [0, 9],
          [1, 0],
        ],
      ),
    ]);
    assert.deepEqual(merged.failures, ['a@5', 'b@9', 'd@final-0', 'c@final-1']);
  });

  it("rejects with the worker's error when a part fails, and stops the other threads", async () => {
    await assert.rejects(runCampaignInWorkers({ ...STORM, vms: 0 }, 2), /vms must be ≥ 1/);
    await assert.rejects(runCampaignInWorkers(STORM, 0), RangeError);
  });

  it('refuses a set of parts that misses or repeats a partition', () => {
    const p0 = runCampaignPart({ ...STORM, errors: 50, partition: { part: 0, count: 2 } });
    assert.throws(() => mergeCampaignParts([p0]), /each of 2 partitions exactly once/);
    assert.throws(() => mergeCampaignParts([p0, p0]), /each of 2 partitions exactly once/);
    assert.throws(
      () => runCampaignPart({ ...STORM, partition: { part: 2, count: 2 } }),
      RangeError,
    );
  });
});
