// `npm run fuzz [-- --cases N --seed S --only NAME]`: millions of cases, in rounds with fresh
// seeds, printing progress and every failure with its replay command. Each round runs in a
// worker under a watchdog (watched.ts), so a hang is reported with its case.

import { parseArgs } from 'node:util';
import { codecTargets } from './fuzz.js';
import { fuzzWatched } from './watched.js';

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '2000000' },
    seed: { type: 'string', default: String(Date.now() % 1_000_000_007) },
    only: { type: 'string' },
  },
});
const total = Number(values.cases);
const seed = Number(values.seed);
const targets = codecTargets();
if (values.only !== undefined && !targets.some((t) => t.name === values.only)) {
  console.error(`fuzz: no target named ${values.only}`);
  process.exit(2);
}
const round = 250_000;
let done = 0;
let failed = 0;
/** Cases and milliseconds per target over every round, for the cases/s table. */
const perTarget = new Map<string, { cases: number; ms: number }>();
const started = performance.now();
for (let r = 0; done < total; r++) {
  const cases = Math.min(round, total - done);
  // In a worker under a watchdog: a case that never returns is reported, not waited for.
  const result = await fuzzWatched({
    cases,
    seed: seed + r,
    stallMs: 60_000,
    ...(values.only === undefined ? {} : { only: values.only }),
  });
  for (const f of result.failures) {
    failed++;
    console.log(`FAIL ${f.target} seed ${f.seed} case ${f.caseIndex}: ${f.error}`);
    console.log(`  input: ${f.inputHex}`);
    console.log(
      `  replay: npm run fuzz -- --seed ${f.seed} --only '${f.target}' --cases ${f.caseIndex + 1}`,
    );
  }
  for (const [name, n] of Object.entries(result.perTarget)) {
    const t = perTarget.get(name) ?? { cases: 0, ms: 0 };
    t.cases += n;
    t.ms += result.perTargetMs[name] ?? 0;
    perTarget.set(name, t);
  }
  done += cases;
  const secs = (performance.now() - started) / 1000;
  console.error(
    `fuzz: ${done}/${total} cases, ${targets.length} targets, ${failed} failures, ${Math.round(done / secs)} cases/s`,
  );
}
// Cases per second of each target's own time (the run's wall time is spread over all of them).
const width = Math.max(...[...perTarget.keys()].map((n) => n.length), 6);
console.log(`${'target'.padEnd(width)}  ${'cases'.padStart(9)}  ${'cases/s'.padStart(10)}`);
for (const [name, t] of [...perTarget].sort((a, b) => a[0].localeCompare(b[0]))) {
  const rate = t.ms > 0 ? Math.round(t.cases / (t.ms / 1000)) : 0;
  console.log(
    `${name.padEnd(width)}  ${String(t.cases).padStart(9)}  ${String(rate).padStart(10)}`,
  );
}
console.log(`${done - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
