// Private folders for QEMU's pmemsave dumps (up to 64 MiB of guest RAM each). Named
// `vras-inject-<pid>-XXXXXX` under the temp folder so that a later run can tell a dead run's
// folder from a live one's: SIGINT, SIGTERM and SIGHUP remove this process's folders before it
// exits (128 + signal number, as the shell reports a signal death), and kill -9 leaves them to the
// next run's sweep, which removes every such folder whose process no longer exists (as the guest
// harness does for its /dev/shm files). Folders in the older pid-less form `vras-inject-XXXXXX`
// are swept once they are more than an hour old.

import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PID_DIR = /^vras-inject-(\d+)-[A-Za-z0-9]{6}$/;
const OLD_DIR = /^vras-inject-[A-Za-z0-9]{6}$/;
const OLD_AGE_MS = 60 * 60 * 1000;
const SIGNALS = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 } as const;

const live = new Set<string>();
let hooked = false;
let swept = false;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the pid exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function removeLive(): void {
  for (const d of live) rmSync(d, { recursive: true, force: true });
  live.clear();
}

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', removeLive);
  for (const [sig, n] of Object.entries(SIGNALS)) {
    process.once(sig, () => {
      removeLive();
      process.exit(128 + n);
    });
  }
}

/**
 * Removes the `vras-inject-<pid>-*` folders in `dir` (default: the temp folder) whose process is
 * gone, and pid-less ones older than an hour. Returns the paths removed.
 */
export function sweepStaleInjectDirs(dir = tmpdir(), now = Date.now()): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    const path = join(dir, name);
    const m = PID_DIR.exec(name);
    let stale: boolean;
    if (m !== null) {
      const pid = Number(m[1]);
      stale = pid !== process.pid && !processAlive(pid);
    } else if (OLD_DIR.test(name)) {
      try {
        stale = now - statSync(path).mtimeMs > OLD_AGE_MS;
      } catch {
        stale = false;
      }
    } else stale = false;
    if (!stale) continue;
    try {
      rmSync(path, { recursive: true, force: true });
      removed.push(path);
    } catch {
      // Another run may be sweeping the same folder.
    }
  }
  return removed;
}

/** A new private folder for dumps, removed on exit or a signal (also by removeInjectTempDir). */
export function injectTempDir(): string {
  if (!swept) {
    swept = true;
    sweepStaleInjectDirs();
  }
  hook();
  const d = mkdtempSync(join(tmpdir(), `vras-inject-${process.pid}-`));
  live.add(d);
  return d;
}

export function removeInjectTempDir(d: string): void {
  live.delete(d);
  rmSync(d, { recursive: true, force: true });
}
