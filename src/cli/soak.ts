// `vras soak`: a storm of error records against the RAS engine and a guest model that
// acknowledges after random delays (src/engine/soak.ts). Prints a JSON summary; `lost`,
// `overwrittenUnacked`, `outOfRegionWrites` and `outOfOrder` are measured by the guest model and
// a memory watcher, and must be 0 for every seed (exit code 1 otherwise).
//
//   vras soak --errors 1000000 --sources 64 --seed 1

import { parseArgs } from 'node:util';
import { DEFAULT_DRAIN_STEP_LIMIT, runSoak, soakSourceLimit } from '../engine/index.js';
import { CliError, parseCommandLine, parseNumberOption } from './io.js';

const USAGE = `usage: vras soak [--errors N] [--sources S] [--seed SEED] [--max-ack-delay D] [--backlog B]
                 [--drain-steps N]

Runs N error records (default 1000000) over S GHESv2 sources (default 64, SEA and GPIO) against
a guest model that acknowledges each block 0..D steps after its notification (default 96), with
bursts that overflow the per-source backlog of B records (default 16). Prints a JSON summary:
delivered, queued, dropped (reported by the engine), lost, overwrittenUnacked and
outOfRegionWrites and outOfOrder (checked by the guest model and a memory watcher; must be 0),
and deliveryDigest (a hash of what the guest read, in order). Exit code 1 if any of the four
checked counts is not 0. SEED is 32 bits. S is at most what the firmware can lay out in the
virt machine's RAM (about 59,000). After the last error the run drains backlogs for at most
--drain-steps steps (default 10000000); records still queued then count as lost, and the
summary says the limit stopped it (drainStepLimitHit).`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(
    () =>
      parseArgs({
        args: argv,
        allowPositionals: true,
        options: {
          errors: { type: 'string' },
          sources: { type: 'string' },
          seed: { type: 'string' },
          'max-ack-delay': { type: 'string' },
          backlog: { type: 'string' },
          'drain-steps': { type: 'string' },
          help: { type: 'boolean', short: 'h', default: false },
        },
      }),
    USAGE,
  );
  if (parsed === undefined) return 0;
  const { values, positionals } = parsed;
  if (positionals.length > 0) throw new CliError(USAGE);
  const errors = parseNumberOption('--errors', values.errors) ?? 1_000_000;
  const sources = parseNumberOption('--sources', values.sources, 16) ?? 64;
  const seed = parseNumberOption('--seed', values.seed, 32) ?? 1;
  const maxAckDelay = parseNumberOption('--max-ack-delay', values['max-ack-delay']) ?? 96;
  const backlogLimit = parseNumberOption('--backlog', values.backlog, 20) ?? 16;
  const drainStepLimit =
    parseNumberOption('--drain-steps', values['drain-steps']) ?? DEFAULT_DRAIN_STEP_LIMIT;
  if (sources < 1) throw new CliError('--sources must be at least 1, got 0');
  const sourceLimit = soakSourceLimit(backlogLimit);
  if (sources > sourceLimit)
    throw new CliError(
      `--sources must be at most ${sourceLimit} (the firmware's tables for more do not fit the virt machine's RAM), got ${sources}`,
    );
  const summary = runSoak({ errors, sources, seed, maxAckDelay, backlogLimit, drainStepLimit });
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  if (summary.drainStepLimitHit)
    process.stderr.write(
      `vras soak: stopped draining at the --drain-steps limit of ${drainStepLimit} steps with records still queued or unacknowledged; they count as lost (raise --drain-steps, or lower --max-ack-delay)\n`,
    );
  return summary.lost === 0 &&
    summary.overwrittenUnacked === 0 &&
    summary.outOfRegionWrites === 0 &&
    summary.outOfOrder === 0
    ? 0
    : 1;
}
