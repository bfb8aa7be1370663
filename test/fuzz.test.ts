// 100k fuzz cases over every decoder, lint and detect function the codec exports, and over what
// `vras decode` does with what decodes (Linux lines, annotated table, JSON back to bytes). The
// run is in a worker under a watchdog: a case that never returns fails the test. A failure
// prints the seed, the case and the input, and the command that replays it.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { codecTargets, referenceCorpus } from './fuzz/fuzz.js';
import { fuzzWatched } from './fuzz/watched.js';

const SEED = Number(process.env.VRAS_FUZZ_SEED ?? 20261121);
const CASES = 100_000;

test('decoders throw only CodecError, lint and detect never throw, on 100k random and mutated inputs', async () => {
  const targets = codecTargets();
  assert.ok(targets.length >= 1, 'the codec exports no decoder to fuzz');
  assert.ok(referenceCorpus().length >= 50, 'the reference corpus is missing');
  const result = await fuzzWatched({ cases: CASES, seed: SEED, stallMs: 60_000 });
  const report = result.failures
    .map(
      (f) =>
        `${f.target} case ${f.caseIndex}: ${f.error}\n  input: ${f.inputHex}\n  replay: npm run fuzz -- --seed ${f.seed} --only '${f.target}' --cases ${f.caseIndex + 1}`,
    )
    .join('\n');
  assert.equal(result.failures.length, 0, `fuzz failures (seed ${SEED}):\n${report}`);
  assert.equal(
    Object.values(result.perTarget).reduce((a, b) => a + b, 0),
    CASES,
  );
  // Every target ran, the `vras decode` pipelines included.
  assert.deepEqual(Object.keys(result.perTarget).sort(), targets.map((t) => t.name).sort());
  assert.ok(targets.some((t) => t.name.startsWith('vras decode: GHES status block')));
});
