// The real-guest conformance suite (issue #4): a real arm64 Linux 6.1 guest under QEMU,
// driven by the engine's layout and the codec's records; every expected `[Hardware Error]`
// line comes from the codec's Linux printers and every rejection message from its lint.
// Runs all groups once (two QEMUs at a time), then reports each scenario as its own test.

import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { readManifest } from '../../src/guest/cache.js';
import { runGuestSuite, type SuiteResult } from '../../src/guest/runner.js';
import { QUEUE_RECORDS, SCENARIOS, type ScenarioResult } from '../../src/guest/scenarios.js';
import { liveGuestCount } from '../../src/guest/vm.js';
import { guestManifest } from './support.js';

describe('real arm64 guest scenarios', () => {
  let suite: SuiteResult | undefined;
  let suiteError: unknown;

  before(async () => {
    const manifest = readManifest();
    if (manifest === undefined) return;
    try {
      suite = await runGuestSuite({ manifest });
    } catch (e) {
      suiteError = e;
    }
  });

  after(() => {
    assert.equal(liveGuestCount(), 0);
    const left = existsSync('/dev/shm')
      ? readdirSync('/dev/shm').filter((f) => f.startsWith(`vras-${process.pid}-`))
      : [];
    assert.deepEqual(left, []);
  });

  const byId = (id: string): ScenarioResult => {
    if (suiteError !== undefined) throw suiteError;
    const r = suite?.groups.flatMap((g) => g.scenarios).find((s) => s.id === id);
    assert.ok(r, `scenario ${id} did not run`);
    return r;
  };

  for (const s of SCENARIOS) {
    it(`scenario ${s.n}: ${s.title}`, (t) => {
      if (guestManifest(t) === undefined) return;
      const r = byId(s.id);
      assert.equal(r.ok, true, r.error);
      assert.ok(r.records.length > 0, 'the scenario wrote no record');
      assert.ok(r.latenciesMs.length > 0, 'no write-to-decode latency was measured');
    });
  }

  it('scenario 6 handed every record to the engine at once and saw one ack per record', (t) => {
    if (guestManifest(t) === undefined) return;
    const r = byId('queue');
    assert.equal(r.ok, true, r.error);
    assert.equal(r.records.length, QUEUE_RECORDS);
    assert.equal(r.latenciesMs.length, QUEUE_RECORDS, 'one post-to-ack latency per record');
    assert.equal(new Set(r.records.map((x) => x.hex)).size, QUEUE_RECORDS, 'records are distinct');
  });
});
