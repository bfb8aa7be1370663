// A fuzz run in a worker thread under a watchdog, so a decoder that never returns fails the run
// (with the case and its replay command) instead of hanging `npm test`. A synchronous loop
// cannot be interrupted in its own thread: the worker is terminated from outside.

import { Worker } from 'node:worker_threads';
import type { FuzzFailure, FuzzResult } from './fuzz.js';

export interface WatchedOptions {
  readonly cases: number;
  readonly seed: number;
  /** The run fails when one case has not returned after this many milliseconds. */
  readonly stallMs: number;
  readonly only?: string;
  readonly withHangingTarget?: boolean;
}

/** tsx's ESM API, which lets the worker (a plain data: module) import TypeScript. */
const BOOT = `const { workerData } = await import('node:worker_threads');
const { tsImport } = await import(workerData.tsx);
await tsImport(workerData.file, workerData.parent);`;

export function fuzzWatched(options: WatchedOptions): Promise<FuzzResult> {
  const progress = new SharedArrayBuffer(4);
  const index = new Int32Array(progress);
  Atomics.store(index, 0, -1);
  const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(BOOT)}`), {
    workerData: {
      tsx: import.meta.resolve('tsx/esm/api'),
      file: './worker.ts',
      parent: import.meta.url,
      cases: options.cases,
      seed: options.seed,
      progress,
      ...(options.only === undefined ? {} : { only: options.only }),
      ...(options.withHangingTarget === true ? { withHangingTarget: true } : {}),
    },
  });
  return new Promise((resolve, reject) => {
    let names: string[] = [];
    let last = -1;
    let since = Date.now();
    let done = false;
    const finish = (f: () => void) => {
      if (done) return;
      done = true;
      clearInterval(timer);
      f();
    };
    const timer = setInterval(
      () => {
        const now = Atomics.load(index, 0);
        if (now !== last) {
          last = now;
          since = Date.now();
          return;
        }
        if (now < 0 || Date.now() - since < options.stallMs) return;
        const target = names.length === 0 ? '?' : names[now % names.length]!;
        const hung: FuzzFailure = {
          target,
          seed: options.seed,
          caseIndex: now,
          inputHex: '(see the replay command)',
          error: `hang: the case did not return within ${options.stallMs} ms`,
        };
        finish(() => {
          void worker.terminate();
          resolve({ cases: options.cases, perTarget: {}, perTargetMs: {}, failures: [hung] });
        });
      },
      Math.min(500, Math.max(50, options.stallMs / 4)),
    );
    worker.on('message', (m: { type: string; names?: string[]; result?: FuzzResult }) => {
      if (m.type === 'targets') names = m.names ?? [];
      else if (m.type === 'result') {
        finish(() => {
          void worker.terminate();
          resolve(m.result!);
        });
      }
    });
    worker.on('error', (e) => finish(() => reject(e)));
    worker.on('exit', (code) =>
      finish(() => reject(new Error(`the fuzz worker exited (${code}) before reporting`))),
    );
  });
}
