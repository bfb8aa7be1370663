// `vras demo`: the README's main job. Runs the default scenario — the seeds' action-required
// flow end to end (a UE in guest user memory: DRAM poison → SEA at EL3 → the host's CPER →
// host memory_failure → SIGBUS AR to the VMM → the VMM's CPER in guest memory + a virtual SEA
// → the guest's GHES driver prints the record and kills the process) — and prints each layer's
// steps, the guest kernel's lines and the outcome.
//
//   vras demo [--seed N] [--scenario NAME] [--json] [--quiet]

import { parseArgs } from 'node:util';
import { scenarioByName } from '../scenarios/index.js';
import { loadScenarioFiles } from '../scenarios/node/files.js';
import { CliError, parseCommandLine } from './io.js';
import { parseSeedOption, runAndReport } from './simulate.js';

export const DEMO_SCENARIO = 'ar-sea';

const USAGE = `usage: vras demo [--seed N] [--scenario NAME] [--json] [--quiet]

Runs the simulator's default scenario (${DEMO_SCENARIO}: an uncorrected memory error in a guest
process, handled firmware-first from the hardware to the guest kernel) and prints every
layer's step, the guest kernel's console lines and the outcome. 'vras simulate --list' shows
the other scenarios.`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(
    () =>
      parseArgs({
        args: argv,
        allowPositionals: true,
        options: {
          seed: { type: 'string' },
          scenario: { type: 'string', default: DEMO_SCENARIO },
          json: { type: 'boolean', default: false },
          quiet: { type: 'boolean', default: false },
          help: { type: 'boolean', short: 'h', default: false },
        },
      }),
    USAGE,
  );
  if (parsed === undefined) return 0;
  const { values, positionals } = parsed;
  if (positionals.length > 0) throw new CliError(USAGE);
  loadScenarioFiles();
  const scenario = scenarioByName(values.scenario);
  if (scenario === undefined) throw new CliError(`unknown scenario '${values.scenario}'`);
  const seed = parseSeedOption(values.seed);
  const { code, outcome } = runAndReport(scenario, {
    seed,
    json: values.json,
    quiet: values.quiet,
    intro: [
      `vras demo: ${scenario.name} — ${scenario.summary}`,
      `seed ${seed}; replay with: bin/vras simulate ${scenario.name} --seed ${seed}`,
      '',
      '     time (s)  layer          event',
    ],
  });
  if (outcome !== undefined && !values.json) {
    process.stdout.write('\nguest kernel console:\n');
    for (const line of outcome.guestConsole) process.stdout.write(`  ${line}\n`);
  }
  return code;
}
