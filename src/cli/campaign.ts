// `vras campaign`: many VMs under field-study DRAM error rates (Schroeder et al., SIGMETRICS
// 2009; see src/sim/campaign.ts), with progress on stderr and a summary: process kills, guest
// and host panics, records delivered and lost (must be 0). Every failure prints the seed and
// the command that replays it.
//
//   vras campaign --vms N (--hours H | --errors E) --seed S [--mix field|uncorrected] [--json]

import { parseArgs } from 'node:util';
import { toJson } from '../codec/index.js';
import { type CampaignOptions, type CampaignSummary, runCampaign } from '../sim/index.js';
import { runCampaignInWorkers } from './campaign-workers.js';
import { CliError, parseCommandLine } from './io.js';
import { parseSeedOption } from './simulate.js';

const USAGE = `usage: vras campaign --vms N (--hours H | --errors E) --seed S [--mix field|uncorrected] [--workers N] [--json]

Simulates N VMs under field-study DRAM error rates (Schroeder, Pinheiro, Weber, "DRAM Errors in
the Wild", SIGMETRICS 2009) for H simulated hours or until E errors, and prints what happened:
process kills, guest panics, host panics, records delivered and records lost (must be 0).
Corrected errors go through the codec on a fast path; uncorrected ones through the full stack
(the summary says how many took each).

options:
  --vms N       number of VMs (created lazily when an error first hits them)
  --hours H     simulated hours to run
  --errors E    stop after E errors
  --seed S      root seed (decimal or 0x hex, default 1)
  --mix M       'field' (default: the field-study rates) or 'uncorrected' (only uncorrected
                errors, one per VM per simulated minute, every one through the full stack)
  --workers N   run the VMs on N worker threads (default 1: in this thread); the summary is
                the same, byte for byte, for any N
  --json        print the summary as a vras/v1 JSON document`;

function positive(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new CliError(`--${name} must be a positive number`);
  return n;
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(
    () =>
      parseArgs({
        args: argv,
        allowPositionals: true,
        options: {
          vms: { type: 'string' },
          hours: { type: 'string' },
          errors: { type: 'string' },
          seed: { type: 'string' },
          mix: { type: 'string', default: 'field' },
          workers: { type: 'string', default: '1' },
          json: { type: 'boolean', default: false },
          help: { type: 'boolean', short: 'h', default: false },
        },
      }),
    USAGE,
  );
  if (parsed === undefined) return 0;
  const { values, positionals } = parsed;
  if (positionals.length > 0) throw new CliError(USAGE);
  const vms = positive('vms', values.vms);
  const hours = positive('hours', values.hours);
  const errors = positive('errors', values.errors);
  if (vms === undefined || !Number.isSafeInteger(vms))
    throw new CliError('--vms N is required (an integer)');
  if ((hours === undefined) === (errors === undefined)) {
    throw new CliError('give exactly one of --hours H or --errors E');
  }
  if (errors !== undefined && !Number.isSafeInteger(errors))
    throw new CliError('--errors must be an integer');
  const seed = parseSeedOption(values.seed);
  const mix = values.mix;
  if (mix !== 'field' && mix !== 'uncorrected')
    throw new CliError(`--mix must be 'field' or 'uncorrected', not '${mix}'`);
  const workers = positive('workers', values.workers);
  if (workers === undefined || !Number.isSafeInteger(workers) || workers > 256)
    throw new CliError('--workers must be an integer from 1 to 256');
  const replay = `bin/vras campaign --vms ${vms} ${hours !== undefined ? `--hours ${hours}` : `--errors ${errors}`} --seed ${seed}${mix === 'field' ? '' : ` --mix ${mix}`}`;
  const started = performance.now();
  let summary: CampaignSummary;
  try {
    const options: CampaignOptions = {
      vms,
      seed,
      mix,
      ...(hours === undefined ? {} : { hours }),
      ...(errors === undefined ? {} : { errors }),
      onProgress: (p) =>
        process.stderr.write(
          `campaign: ${p.errors} errors, ${p.simulatedHours.toFixed(1)} h simulated, ${p.vmsTouched} VMs touched, ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
        ),
    };
    summary = workers === 1 ? runCampaign(options) : await runCampaignInWorkers(options, workers);
  } catch (cause) {
    process.stderr.write(
      `vras: campaign failed with seed ${seed}: ${(cause as Error).message}\nreplay: ${replay}\n`,
    );
    return 1;
  }
  const seconds = (performance.now() - started) / 1000;
  if (values.json) process.stdout.write(`${toJson('campaign-summary', summary)}\n`);
  else {
    const lines = [
      `campaign of ${summary.vms} VMs (seed ${summary.seed}): ${summary.simulatedHours.toFixed(1)} h simulated in ${seconds.toFixed(1)} s`,
      `  errors:              ${summary.errors} (${summary.correctedErrors} corrected, ${summary.uncorrectedErrors} uncorrected)`,
      `  error paths:         ${summary.fullStackErrors} through the full stack, ${summary.fastPathErrors} on the fast path (${summary.mix} mix, ${(summary.uncorrectedFraction * 100).toPrecision(3)}% uncorrected)`,
      `  VMs touched:         ${summary.vmsTouched}`,
      `  process kills:       ${summary.processKills}`,
      `  pages offlined:      ${summary.pagesOfflined}`,
      `  guest panics:        ${summary.guestPanics}`,
      `  host panics:         ${summary.hostPanics}`,
      `  records delivered:   ${summary.recordsDelivered}`,
      `  records lost:        ${summary.recordsLost}`,
      '  rates: Schroeder, Pinheiro, Weber, "DRAM Errors in the Wild", SIGMETRICS 2009',
    ];
    for (const l of lines) process.stdout.write(`${l}\n`);
  }
  if (summary.recordsLost !== 0 || summary.failures.length > 0) {
    for (const f of summary.failures.slice(0, 10)) process.stderr.write(`vras: ${f}\n`);
    process.stderr.write(`vras: campaign failed with seed ${seed}\nreplay: ${replay}\n`);
    return 1;
  }
  return 0;
}
