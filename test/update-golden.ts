// Golden traces: the JSONL trace of every scenario for seeds 1 and 2 under test/golden/. They are
// the scenario oracle (test/sim-golden.test.ts compares byte for byte) and change only through
// this script, which shows the difference and writes only when asked:
//
//   npx tsx test/update-golden.ts            # show what would change
//   npx tsx test/update-golden.ts --write    # accept it

import { existsSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { allScenarios, runScenario } from '../src/scenarios/index.js';
import { loadScenarioFiles } from '../src/scenarios/node/files.js';

export const GOLDEN_DIR = join(dirname(fileURLToPath(import.meta.url)), 'golden');
export const GOLDEN_SEEDS = [1n, 2n] as const;

export interface GoldenCase {
  readonly scenario: string;
  readonly seed: bigint;
  readonly file: string;
}

export function goldenCases(): GoldenCase[] {
  loadScenarioFiles();
  return allScenarios().flatMap((s) =>
    GOLDEN_SEEDS.map((seed) => ({
      scenario: s.name,
      seed,
      file: join(GOLDEN_DIR, `${s.name}.seed-${seed}.jsonl`),
    })),
  );
}

export function renderGolden(c: GoldenCase): string {
  const s = allScenarios().find((x) => x.name === c.scenario)!;
  return runScenario(s, c.seed).world.sim.trace.toJsonl();
}

/** A short line diff: the first differing lines with their numbers, then the line counts. */
export function describeDiff(want: string, got: string, context = 3): string[] {
  const a = want.split('\n');
  const b = got.split('\n');
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const out: string[] = [
    `first difference at line ${i + 1} (golden ${a.length - 1} lines, now ${b.length - 1})`,
  ];
  for (let k = i; k < Math.min(i + context, a.length); k++) if (a[k] !== '') out.push(`- ${a[k]}`);
  for (let k = i; k < Math.min(i + context, b.length); k++) if (b[k] !== '') out.push(`+ ${b[k]}`);
  return out;
}

function main(write: boolean): number {
  const cases = goldenCases();
  const keep = new Set(cases.map((c) => c.file));
  let changed = 0;
  for (const c of cases) {
    const got = renderGolden(c);
    const want = existsSync(c.file) ? readFileSync(c.file, 'utf8') : undefined;
    if (want === got) continue;
    changed++;
    const name = `${c.scenario} seed ${c.seed}`;
    if (want === undefined)
      process.stdout.write(`new: ${name} (${got.split('\n').length - 1} events)\n`);
    else {
      process.stdout.write(`changed: ${name}\n`);
      for (const line of describeDiff(want, got)) process.stdout.write(`  ${line}\n`);
    }
    if (write) writeFileSync(c.file, got);
  }
  const stale = readdirSync(GOLDEN_DIR)
    .map((f) => join(GOLDEN_DIR, f))
    .filter((f) => f.endsWith('.jsonl') && !keep.has(f));
  for (const f of stale) {
    changed++;
    process.stdout.write(`stale: ${f}\n`);
    if (write) unlinkSync(f);
  }
  if (changed === 0) process.stdout.write(`golden traces up to date (${cases.length})\n`);
  else if (!write) process.stdout.write(`${changed} difference(s); run with --write to accept\n`);
  else process.stdout.write(`${changed} golden trace(s) written\n`);
  return changed > 0 && !write ? 1 : 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = main(process.argv.includes('--write'));
}
