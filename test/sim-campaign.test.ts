import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { benchSimulatedErrors, FIELD_RATES, runCampaign } from '../src/sim/index.js';

describe('runCampaign', () => {
  it('delivers every corrected record through the codec and loses none', () => {
    const s = runCampaign({ vms: 100, errors: 3000, seed: 1n });
    assert.equal(s.errors, 3000);
    assert.equal(s.correctedErrors + s.uncorrectedErrors, 3000);
    assert.equal(s.recordsLost, 0);
    assert.ok(s.recordsDelivered >= 3000);
    assert.deepEqual(s.failures, []);
  });

  it('replays the same summary from the same seed and a different one from another seed', () => {
    const a = runCampaign({ vms: 50, errors: 500, seed: 9n });
    const b = runCampaign({ vms: 50, errors: 500, seed: 9n });
    const c = runCampaign({ vms: 50, errors: 500, seed: 10n });
    assert.deepEqual(a, b);
    assert.notEqual(a.simulatedHours, c.simulatedHours);
  });

  it('runs uncorrected errors through the full stack: kills, offlines, panics, nothing lost', () => {
    const s = runCampaign({
      vms: 20,
      errors: 40,
      seed: 2n,
      rates: { cePerDimmYear: 0, ueMachineYear: 1000 },
    });
    assert.equal(s.uncorrectedErrors, 40);
    assert.deepEqual(s.failures, []);
    assert.equal(s.recordsLost, 0);
    assert.ok(s.processKills > 0, 'some UEs hit guest processes');
    assert.ok(s.pagesOfflined >= s.processKills);
    assert.ok(s.processKills + s.guestPanics + s.hostPanics <= 40);
  });

  it('says how many errors took the full stack and how many the fast path', () => {
    const field = runCampaign({ vms: 100, errors: 2000, seed: 1n });
    assert.equal(field.mix, 'field');
    assert.equal(field.fullStackErrors + field.fastPathErrors, 2000);
    assert.ok(field.fullStackErrors <= field.uncorrectedErrors);
    assert.equal(field.uncorrectedFraction, field.uncorrectedErrors / 2000);
    const ue = runCampaign({ vms: 20, errors: 60, seed: 3n, mix: 'uncorrected' });
    assert.equal(ue.mix, 'uncorrected');
    assert.equal(ue.correctedErrors, 0);
    assert.equal(ue.uncorrectedFraction, 1);
    assert.equal(ue.rates.cePerDimmYear, 0);
    // Only UEs in host kernel memory (3%) stop short of the VM.
    assert.ok(ue.fullStackErrors >= 50, `${ue.fullStackErrors} of 60 through the full stack`);
    assert.equal(ue.fullStackErrors + ue.fastPathErrors, 60);
    assert.deepEqual(ue.failures, []);
    assert.equal(ue.recordsLost, 0);
  });

  it('keeps one world per VM across its uncorrected errors and resets a panicked guest in place', () => {
    const s = runCampaign({ vms: 5, errors: 200, seed: 6n, mix: 'uncorrected' });
    assert.deepEqual(s.failures, []);
    assert.equal(s.recordsLost, 0);
    // One world per VM; every guest or host panic is followed by a reset unless it was the VM's
    // last error.
    assert.equal(s.worldsBuilt, 5);
    const panics = s.guestPanics + s.hostPanics;
    assert.ok(s.guestResets <= panics && s.guestResets >= panics - 5, `${s.guestResets} resets`);
    assert.ok(s.processKills > 50, `${s.processKills} kills`);
  });

  it('stops at the simulated time asked for and reports the field rates it used', () => {
    const s = runCampaign({ vms: 10, hours: 1, seed: 1n });
    assert.equal(s.simulatedHours, 1);
    assert.equal(s.rates.cePerDimmYear, FIELD_RATES.cePerDimmYear);
    // 10 VMs × 4 DIMMs × 3751/yr ≈ 17 corrected errors per hour.
    assert.ok(s.errors > 3 && s.errors < 60, `${s.errors} errors`);
  });

  it('benchSimulatedErrors reports errors per second with the clock it is given', () => {
    let t = 0;
    const r = benchSimulatedErrors(() => (t += 500), 1000, 100);
    assert.equal(r.errors, 1000);
    assert.equal(r.milliseconds, 500);
    assert.equal(r.errorsPerSecond, 2000);
  });
});
