import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PrintBudget, printClassOf } from './print-budget.js';

describe('PrintBudget', () => {
  it('lets the first two records of a class print at once', () => {
    const b = new PrintBudget(100);
    assert.equal(b.waitBefore('corrected', 0, 1000), 0);
    b.printed('corrected', 1000);
    assert.equal(b.waitBefore('corrected', 1000, 1000), 0);
  });

  it('makes a third record within five seconds wait for the window to end', () => {
    const b = new PrintBudget(100);
    b.printed('corrected', 1000);
    b.printed('corrected', 2000);
    assert.equal(b.waitBefore('corrected', 2500, 1000), 6000 + 100 - 2500);
  });

  it('keeps corrected and uncorrected windows apart', () => {
    const b = new PrintBudget(100);
    b.printed('corrected', 1000);
    b.printed('corrected', 1100);
    assert.equal(b.waitBefore('uncorrected', 1200, 1000), 0);
  });

  it('waits out a full window even when the print would come late', () => {
    const b = new PrintBudget(400);
    b.printed('uncorrected', 5000);
    b.printed('uncorrected', 7000);
    assert.equal(b.waitBefore('uncorrected', 9100, 1300), 10_400 - 9100);
  });

  it('waits out a window whose second print could land too close to its end', () => {
    const b = new PrintBudget(400);
    b.printed('uncorrected', 0);
    assert.equal(b.waitBefore('uncorrected', 3900, 1000), 5400 - 3900);
  });

  it('classes CPER severities 2 and 3 as corrected, everything else as uncorrected', () => {
    assert.deepEqual([0, 1, 2, 3, 4].map(printClassOf), [
      'uncorrected',
      'uncorrected',
      'corrected',
      'corrected',
      'uncorrected',
    ]);
  });
});
