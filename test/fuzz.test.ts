// 100k fuzz cases over every decoder, lint and detect function the codec exports. A failure
// prints the seed, the case and the input, and the command that replays it.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { codecTargets, fuzz, referenceCorpus } from './fuzz/fuzz.js';

const SEED = Number(process.env.VRAS_FUZZ_SEED ?? 20261121);
const CASES = 100_000;

test('decoders throw only CodecError, lint and detect never throw, on 100k random and mutated inputs', () => {
  const targets = codecTargets();
  assert.ok(targets.length >= 1, 'the codec exports no decoder to fuzz');
  const result = fuzz({ targets, corpus: referenceCorpus(), cases: CASES, seed: SEED });
  const report = result.failures
    .map(
      (f) =>
        `${f.target} case ${f.caseIndex}: ${f.error}\n  input: ${f.inputHex}\n  replay: npm run fuzz -- --seed ${f.seed} --only ${f.target} --cases ${f.caseIndex + 1}`,
    )
    .join('\n');
  assert.equal(result.failures.length, 0, `fuzz failures (seed ${SEED}):\n${report}`);
  assert.equal(
    Object.values(result.perTarget).reduce((a, b) => a + b, 0),
    CASES,
  );
});
