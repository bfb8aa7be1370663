// Bundles the CLI into dist/cli/ with esbuild (one bundle per command, loaded on demand): the
// `vras` the package installs (package.json "bin": dist/cli/main.js) and the one bin/vras runs
// in a checkout. `--if-stale` builds only when a source file is newer than the bundle (the test
// support calls it once per test process; the CLI itself never scans the sources).
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
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
// One bundle per command (dist/cli/<command>/<command>.js, with its own lazily loaded chunks),
// which main.js's command table imports: a command parses only the code it uses (vras decode:
// 213 kB minified) instead of the chunks every command shares (309 kB for decode). Modules two
// commands use are copied into both; main.ts tells a CliError by its name, not instanceof.
const cli = join(root, 'src', 'cli');
const commandNames = [
  ...readFileSync(join(cli, 'commands.ts'), 'utf8').matchAll(/import\('\.\/([a-z0-9-]+)\.js'\)/g),
].map((m) => m[1]);
const commandBundles = {
  name: 'vras-command-bundles',
  setup(b) {
    b.onResolve({ filter: /^\.\/[a-z0-9-]+\.js$/ }, (args) => {
      const name = args.path.slice(2, -3);
      if (args.importer !== join(cli, 'commands.ts') || !commandNames.includes(name))
        return undefined;
      return { path: `./${name}/${name}.js`, external: true };
    });
  },
};
const common = {
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  // Maps without the sources' text (the package ships no .ts): stack lines still map to the
  // original file and line, at a tenth of the size.
  sourcesContent: false,
  logLevel: 'warning',
  // Minified: V8 parses every chunk a command loads before running it, and the codec chunk is
  // most of `vras decode`'s start-up (509 -> 309 kB loaded; about 5 ms less CPU per run). The
  // error classes set their own `name`; stack traces map back through the linked source maps
  // (VRAS_DEBUG=1 runs node --enable-source-maps).
  minify: true,
};
await Promise.all([
  build({
    ...common,
    entryPoints: { main: join(cli, 'main.ts') },
    outdir,
    chunkNames: 'chunks/[name]-[hash]',
    banner: { js: '#!/usr/bin/env node' },
    plugins: [commandBundles],
  }),
  ...commandNames.map((name) =>
    build({
      ...common,
      entryPoints: { [name]: join(cli, `${name}.ts`) },
      outdir: join(outdir, name),
      chunkNames: '[name]-[hash]',
    }),
  ),
]);
rmSync(`${target}.old-${process.pid}`, { recursive: true, force: true });
try {
  renameSync(target, `${target}.old-${process.pid}`);
} catch {
  // no previous bundle
}
renameSync(outdir, target);
rmSync(`${target}.old-${process.pid}`, { recursive: true, force: true });
