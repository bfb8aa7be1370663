// Shared by the real-guest tests: the guest setup, or a skip that says how to get it. With
// CI=true a missing setup is a failure, never a skip.

import type { TestContext } from 'node:test';
import { cacheRoot, type GuestManifest, readManifest } from '../../src/guest/cache.js';

export function guestManifest(t: TestContext): GuestManifest | undefined {
  const manifest = readManifest();
  if (manifest !== undefined) return manifest;
  const message = `real guest not set up in ${cacheRoot()}: run 'bin/vras guest setup' (as root; it installs QEMU and downloads an arm64 kernel)`;
  if (process.env.CI === 'true') throw new Error(`CI=true and ${message}`);
  t.skip(message);
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
