// `vras soak`: a storm of error records against the RAS engine and a guest model that
// acknowledges after random delays (src/engine/soak.ts). Prints a JSON summary; `lost`,
// `overwrittenUnacked`, `outOfRegionWrites` and `outOfOrder` are measured by the guest model and
// a memory watcher, and must be 0 for every seed (exit code 1 otherwise).
//
//   vras soak --errors 1000000 --sources 64 --seed 1

import { parseArgs } from 'node:util';
import { runSoak } from '../engine/index.js';
import { CliError, parseCommandLine } from './io.js';

const USAGE = `usage: vras soak [--errors N] [--sources S] [--seed SEED] [--max-ack-delay D] [--backlog B]

Runs N error records (default 1000000) over S GHESv2 sources (default 64, SEA and GPIO) against
a guest model that acknowledges each block 0..D steps after its notification (default 96), with
bursts that overflow the per-source backlog of B records (default 16). Prints a JSON summary:
delivered, queued, dropped (reported by the engine), lost, overwrittenUnacked and
outOfRegionWrites and outOfOrder (checked by the guest model and a memory watcher; must be 0),
and deliveryDigest (a hash of what the guest read, in order). Exit code 1 if any of the four
checked counts is not 0.`;

function integer(name: string, v: string | undefined, fallback: number, min: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min)
    throw new CliError(`--${name} must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
  return n;
}

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
          help: { type: 'boolean', short: 'h', default: false },
        },
      }),
    USAGE,
  );
  if (parsed === undefined) return 0;
  const { values, positionals } = parsed;
  if (positionals.length > 0) throw new CliError(USAGE);
  const sources = integer('sources', values.sources, 64, 1);
  if (sources > 0xffff) throw new CliError('--sources must be at most 65535');
  const summary = runSoak({
    errors: integer('errors', values.errors, 1_000_000, 0),
    sources,
    seed: integer('seed', values.seed, 1, 0) >>> 0,
    maxAckDelay: integer('max-ack-delay', values['max-ack-delay'], 96, 0),
    backlogLimit: integer('backlog', values.backlog, 16, 0),
  });
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  return summary.lost === 0 &&
    summary.overwrittenUnacked === 0 &&
    summary.outOfRegionWrites === 0 &&
    summary.outOfOrder === 0
    ? 0
    : 1;
}
