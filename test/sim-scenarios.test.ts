import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runScenario, SCENARIOS, scenarioByName } from '../src/scenarios/index.js';
import { readShared } from './support/shared.js';

describe('scenario catalogue', () => {
  for (const s of SCENARIOS) {
    it(`${s.name} shows its expected observables`, () => {
      const { outcome } = runScenario(s, 1n);
      if (s.expect.guestPanic !== undefined) assert.equal(outcome.guestPanic, s.expect.guestPanic);
      if (s.expect.hostPanic !== undefined)
        assert.equal(outcome.hostPanic !== null, s.expect.hostPanic);
      if (s.expect.killedCode !== undefined) {
        assert.equal(outcome.killed[0]?.code ?? null, s.expect.killedCode);
      }
      assert.equal(outcome.recordsLost, 0);
    });
  }

  it('gives the same guest outcome firmware-first and kernel-first (seed 000)', () => {
    const ff = runScenario(scenarioByName('ar-sea')!, 3n).outcome;
    const kf = runScenario(scenarioByName('ar-sea-kernel-first')!, 3n).outcome;
    assert.deepEqual(ff.killed, kf.killed);
    assert.deepEqual(ff.guestConsole, kf.guestConsole);
  });

  it('replays the same trace from the same seed', () => {
    const s = scenarioByName('ar-sea')!;
    const a = runScenario(s, 7n).world.sim.trace.toJsonl();
    const b = runScenario(s, 7n).world.sim.trace.toJsonl();
    assert.equal(a, b);
    assert.ok(a.length > 0);
  });

  it('gives the same trace when snapshotted and restored at any event', () => {
    const s = scenarioByName('ar-sea')!;
    const whole = runScenario(s, 5n).world.sim;
    const want = whole.trace.toJsonl();
    for (let k = 0; k <= whole.eventsRun; k++) {
      const first = s.build(5n, true);
      first.sim.run({ maxEvents: k });
      const snap = first.sim.snapshot();
      const second = s.build(5n, true);
      second.sim.restore(snap);
      second.sim.run({ untilNs: 10_000_000_000 });
      assert.equal(second.sim.trace.toJsonl(), want, `restored at event ${k}`);
    }
  });

  it('prints the record lines the real 6.1.192 guest printed for a recoverable memory error', () => {
    // real-guest/victim-recoverable-memory-failure.excerpt.txt, PA 0x7c3c7000, timestamps dropped.
    const real = new TextDecoder()
      .decode(
        readShared('reference', 'real-guest', 'victim-recoverable-memory-failure.excerpt.txt'),
      )
      .split(/\r?\n/)
      .filter((l) => l.includes('[Hardware Error]'))
      .slice(0, 7)
      .map((l) => l.replace(/^\d+:\[\s*[\d.]+\] /, ''));
    const { outcome } = runScenario(scenarioByName('ar-sea')!, 1n);
    const sim = outcome.guestConsole.filter((l) => l.includes('[Hardware Error]'));
    assert.deepEqual(sim, real);
  });
});
