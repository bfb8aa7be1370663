// Tests that run bin/vras get the CLI built from the sources they test: once per test process,
// the bundle is rebuilt under a lock when any source is newer (the CLI itself never checks).

import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

mkdirSync(join(repoRoot, 'dist'), { recursive: true });
const r = spawnSync(
  'flock',
  [
    join(repoRoot, 'dist', '.build.lock'),
    process.execPath,
    join(repoRoot, 'scripts', 'build-cli.mjs'),
    '--if-stale',
  ],
  { encoding: 'utf8' },
);
if (r.error !== undefined || r.status !== 0)
  throw new Error(`Cannot build the CLI for the tests: ${r.error?.message ?? r.stderr}`);
