// Where the read-only reference material lives: `../shared` beside the checkout, or
// $VRAS_SHARED. Tests that need it fail (never skip) when it is missing.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
// Tests that run bin/vras need the bundle built from the sources under test.
import './cli-build.js';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export const sharedRoot = process.env.VRAS_SHARED ?? resolve(repoRoot, '../shared');

export function sharedPath(...parts: string[]): string {
  const p = join(sharedRoot, ...parts);
  if (!existsSync(p)) {
    throw new Error(`Reference file missing: ${p} (set VRAS_SHARED to the shared/ directory)`);
  }
  return p;
}

export function readShared(...parts: string[]): Uint8Array {
  const data = readFileSync(sharedPath(...parts));
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
