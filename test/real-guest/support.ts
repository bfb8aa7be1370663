// Shared by the real-guest tests: the guest setup, or a skip that says how to get it. With
// CI=true a missing setup is a failure, never a skip.

import { cacheRoot, type GuestManifest, readManifest } from '../../src/guest/cache.js';
import '../support/cli-build.js';

/** The one line a skipped real-guest test prints: what is missing and how to enable it. */
export function setupHint(): string {
  return `real guest not set up in ${cacheRoot()}: run 'bin/vras guest setup' as root to enable (it installs QEMU and downloads the guest kernels)`;
}

/**
 * The guest setup, or undefined (the caller returns). Outside CI a missing setup skips the
 * calling test: `t` is the test's context. Node 20's hook contexts (before/after) have no
 * skip(), so from a hook pass nothing and skip in each test with `setupHint()`.
 */
export function guestManifest(t?: {
  skip?: (message?: string) => void;
}): GuestManifest | undefined {
  const manifest = readManifest();
  if (manifest !== undefined) return manifest;
  if (process.env.CI === 'true') throw new Error(`CI=true and ${setupHint()}`);
  if (typeof t?.skip === 'function') t.skip(setupHint());
  return undefined;
}

/** True when a process with this pid still exists. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
