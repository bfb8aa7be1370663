// The bench entry point (`npm run bench`): N simulated errors end to end through the campaign
// path (codec encode/accept/decode for corrected errors, the full stack for uncorrected ones).
// Two mixes: 'field' (field-study rates: nearly all corrected, so nearly all on the fast path)
// and 'uncorrected' (every error through every layer); report them separately.
// The simulator has no clock: the caller passes one (e.g. performance.now) to get errors/s.

import { type CampaignMix, type CampaignSummary, runCampaign } from './campaign.js';

export interface BenchResult {
  readonly errors: number;
  readonly vms: number;
  readonly milliseconds: number;
  readonly errorsPerSecond: number;
  /** Wall time per error, µs. */
  readonly microsecondsPerError: number;
  /** Errors that ran through every layer (summary.fullStackErrors). */
  readonly fullStackErrors: number;
  readonly summary: CampaignSummary;
}

/** Runs `errors` simulated errors over `vms` VMs; `now()` returns milliseconds. */
export function benchSimulatedErrors(
  now: () => number,
  errors = 100_000,
  vms = 10_000,
  seed = 1n,
  mix: CampaignMix = 'field',
): BenchResult {
  const t0 = now();
  const summary = runCampaign({ vms, errors, seed, mix });
  const milliseconds = now() - t0;
  return {
    errors: summary.errors,
    vms,
    milliseconds,
    errorsPerSecond:
      milliseconds > 0 ? (summary.errors * 1000) / milliseconds : Number.POSITIVE_INFINITY,
    microsecondsPerError: summary.errors > 0 ? (milliseconds * 1000) / summary.errors : 0,
    fullStackErrors: summary.fullStackErrors,
    summary,
  };
}
