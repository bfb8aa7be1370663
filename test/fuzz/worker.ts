// The body of a watched fuzz run (test/fuzz/watched.ts): runs in a worker thread, stores the
// index of the case about to run in shared memory for the watchdog, and posts the result.

import { parentPort, workerData } from 'node:worker_threads';
import { codecTargets, type FuzzTarget, fuzz, referenceCorpus } from './fuzz.js';

interface WorkerInput {
  readonly cases: number;
  readonly seed: number;
  readonly progress: SharedArrayBuffer;
  readonly only?: string;
  /** Test hook for the watchdog's own test: a target that never returns. */
  readonly withHangingTarget?: boolean;
}

const input = workerData as WorkerInput;
const targets: FuzzTarget[] = codecTargets();
if (input.withHangingTarget === true) {
  targets.unshift({
    name: 'hangs',
    mayThrowCodecError: false,
    run: () => {
      for (;;) {
        // never returns
      }
    },
  });
}
const progress = new Int32Array(input.progress);
// The stored index names the target: the watchdog needs their order.
parentPort!.postMessage({ type: 'targets', names: targets.map((t) => t.name) });
const result = fuzz({
  targets,
  corpus: referenceCorpus(),
  cases: input.cases,
  seed: input.seed,
  progress,
  ...(input.only === undefined ? {} : { only: input.only }),
});
parentPort!.postMessage({ type: 'result', result });
