// Bundles the CLI into dist/cli/ with esbuild (one chunk per command, loaded on demand), so
// `bin/vras` starts in tens of milliseconds instead of paying tsx's TypeScript loader on every
// run. bin/vras rebuilds it whenever a source file is newer than the bundle.
import { renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, 'dist', 'cli');
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
});
rmSync(`${target}.old`, { recursive: true, force: true });
try {
  renameSync(target, `${target}.old`);
} catch {
  // no previous bundle
}
renameSync(outdir, target);
rmSync(`${target}.old`, { recursive: true, force: true });
