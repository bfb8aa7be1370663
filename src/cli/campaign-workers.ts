// `vras campaign --workers N`: the campaign's VMs split over N worker threads (VM index modulo
// N, src/sim/campaign.ts runCampaignPart), each drawing the same error stream and running only
// its own VMs' errors; the parts are added up by mergeCampaignParts into the summary one worker
// gives for the same seed, byte for byte. Node-only (worker_threads): the simulator stays
// browser-safe.
//
// This module is its own worker: a thread started on it with the campaign's options in
// `workerData` runs one part and posts it back. In the bundle (dist/cli) that is the chunk this
// code lands in; under tsx, this file (the worker inherits the tsx loader from execArgv).

import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import {
  type CampaignOptions,
  type CampaignPart,
  type CampaignProgress,
  type CampaignSummary,
  mergeCampaignParts,
  runCampaignPart,
} from '../sim/index.js';

const TAG = 'vras-campaign-part';

/** What a worker is given (bigints and functions do not cross: the seed goes as text). */
interface PartJob {
  readonly tag: typeof TAG;
  readonly options: Omit<CampaignOptions, 'seed' | 'onProgress' | 'partition'> & {
    readonly seed: string;
  };
  readonly part: number;
  readonly count: number;
  readonly progress: boolean;
}

type WorkerMessage =
  | { readonly kind: 'progress'; readonly progress: CampaignProgress }
  | { readonly kind: 'done'; readonly part: CampaignPart }
  | { readonly kind: 'error'; readonly message: string };

/**
 * Runs the campaign over `workers` threads and merges the parts. `onProgress` hears worker 0's
 * progress (the error stream is the same in every worker).
 */
export async function runCampaignInWorkers(
  options: CampaignOptions,
  workers: number,
): Promise<CampaignSummary> {
  if (!Number.isSafeInteger(workers) || workers < 1) {
    throw new RangeError(`workers must be a positive integer, got ${workers}`);
  }
  const { onProgress, seed, partition: _ignored, ...rest } = options;
  const threads: Worker[] = [];
  const jobs = Array.from({ length: workers }, (_, part) => {
    const job: PartJob = {
      tag: TAG,
      options: { ...rest, seed: seed.toString() },
      part,
      count: workers,
      progress: part === 0 && onProgress !== undefined,
    };
    return new Promise<CampaignPart>((resolve, reject) => {
      const w = startWorker(job);
      threads.push(w);
      let settled = false;
      w.on('message', (m: WorkerMessage) => {
        if (m.kind === 'progress') onProgress?.(m.progress);
        else if (m.kind === 'done') {
          settled = true;
          resolve(m.part);
        } else {
          settled = true;
          reject(new Error(m.message));
        }
      });
      w.on('error', (e) => {
        settled = true;
        reject(e);
      });
      w.on('exit', (code) => {
        if (!settled) reject(new Error(`campaign worker ${part} exited with code ${code}`));
      });
    });
  });
  try {
    return mergeCampaignParts(await Promise.all(jobs));
  } catch (error) {
    // One part failed: the others' work cannot be used, so they are stopped.
    await Promise.all(threads.map((t) => t.terminate()));
    throw error;
  }
}

/**
 * A thread running this module. As TypeScript (tests, VRAS_TSX=1) a worker does not inherit
 * the loader a test runner registered: a small script registers tsx's, then imports this file.
 */
function startWorker(job: PartJob): Worker {
  if (!import.meta.url.endsWith('.ts'))
    return new Worker(new URL(import.meta.url), { workerData: job });
  const api = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const self = JSON.stringify(import.meta.url);
  const script = `import(${api}).then((m) => m.register()).then(() => import(${self}));`;
  return new Worker(script, { eval: true, workerData: job });
}

function runJob(job: PartJob): void {
  const port = parentPort;
  if (port === null) return;
  try {
    const part = runCampaignPart({
      ...job.options,
      seed: BigInt(job.options.seed),
      partition: { part: job.part, count: job.count },
      ...(job.progress
        ? {
            onProgress: (progress: CampaignProgress) =>
              port.postMessage({ kind: 'progress', progress } satisfies WorkerMessage),
          }
        : {}),
    });
    port.postMessage({ kind: 'done', part } satisfies WorkerMessage);
  } catch (error) {
    port.postMessage({
      kind: 'error',
      message: error instanceof Error ? error.message : String(error),
    } satisfies WorkerMessage);
  }
}

if (!isMainThread && (workerData as PartJob | undefined)?.tag === TAG) {
  runJob(workerData as PartJob);
}
