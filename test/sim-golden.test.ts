import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { describeDiff, goldenCases, renderGolden } from './update-golden.js';

describe('golden traces (test/golden, updated only by test/update-golden.ts)', () => {
  for (const c of goldenCases()) {
    it(`${c.scenario} with seed ${c.seed} produces its golden trace byte for byte`, () => {
      assert.ok(existsSync(c.file), `missing ${c.file}: run npx tsx test/update-golden.ts --write`);
      const want = readFileSync(c.file, 'utf8');
      const got = renderGolden(c);
      assert.ok(got === want, describeDiff(want, got).join('\n'));
    });
  }

  it('describeDiff points at the first differing line', () => {
    assert.deepEqual(describeDiff('a\nb\n', 'a\nc\n', 1), [
      'first difference at line 2 (golden 2 lines, now 2)',
      '- b',
      '+ c',
    ]);
  });
});
