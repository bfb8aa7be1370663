// Bundles the CLI into dist/cli/ with esbuild (one chunk per command, loaded on demand): the
// `vras` the package installs (package.json "bin": dist/cli/main.js) and the one bin/vras runs
// in a checkout. `--if-stale` builds only when a source file is newer than the bundle (the test
// support calls it once per test process; the CLI itself never scans the sources).
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, 'dist', 'cli');
const bundle = join(target, 'main.js');

/** Newest mtime (ms) of the files under `dir` (recursively). */
function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

export function isStale() {
  if (!existsSync(bundle)) return true;
  const built = statSync(bundle).mtimeMs;
  return (
    newest(join(root, 'src')) > built ||
    statSync(fileURLToPath(import.meta.url)).mtimeMs > built ||
    statSync(join(root, 'package.json')).mtimeMs > built
  );
}

if (process.argv.includes('--if-stale') && !isStale()) process.exit(0);

// Build beside the bundle and swap it in, so nobody runs a half-written one.
const outdir = `${target}.tmp-${process.pid}`;
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: { main: join(root, 'src', 'cli', 'main.ts') },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  logLevel: 'warning',
  chunkNames: 'chunks/[name]-[hash]',
  banner: { js: '#!/usr/bin/env node' },
  // Minified: V8 parses every chunk a command loads before running it, and the codec chunk is
  // most of `vras decode`'s start-up (509 -> 309 kB loaded; about 5 ms less CPU per run). The
  // error classes set their own `name`; stack traces map back through the linked source maps
  // (VRAS_DEBUG=1 runs node --enable-source-maps).
  minify: true,
});
rmSync(`${target}.old-${process.pid}`, { recursive: true, force: true });
try {
  renameSync(target, `${target}.old-${process.pid}`);
} catch {
  // no previous bundle
}
renameSync(outdir, target);
rmSync(`${target}.old-${process.pid}`, { recursive: true, force: true });
