// Builds the vras page into a folder of static files (index.html, app.js, app.css, watch.js) that
// work offline, from file:// or any static web server (a BMC's, for example): classic scripts
// (IIFEs, since file:// pages cannot load ES modules), no requests to anything else. app.js holds
// Decode and Build; watch.js (the simulator and scenarios) is loaded the first time the Watch view
// opens, and uses app.js's preact (window.vrasPreact), so there is one preact on the page.
//
//   node scripts/build-web.mjs [OUTDIR]        (default dist/web)
//
// `vras ui` calls buildWeb() when dist/web is missing or older than src/web, src/codec,
// src/engine, src/sim or src/scenarios.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** Builds the page into `outDir`; returns the files written. */
export async function buildWeb({
  root = join(here, '..'),
  outDir = join(root, 'dist', 'web'),
  minify = true,
} = {}) {
  const { build } = await import('esbuild');
  const target = resolve(outDir);
  const tmp = `${target}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  // The JSON scenarios shipped beside the catalogue (the CLI reads them with node:fs): bundled
  // as data, so the page lists the same scenarios as `vras simulate --list`.
  const scenarioDir = join(root, 'src', 'scenarios');
  const scenarios = readdirSync(scenarioDir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ file: f, doc: JSON.parse(readFileSync(join(scenarioDir, f), 'utf8')) }));
  const common = {
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['chrome110', 'firefox110', 'safari16'],
    minify,
    legalComments: 'none',
    logLevel: 'warning',
  };
  await build({
    ...common,
    entryPoints: [join(root, 'src', 'web', 'main.ts')],
    outfile: join(tmp, 'app.js'),
  });
  // watch.js takes preact from app.js instead of a second copy (hooks need one instance).
  const sharedPreact = {
    name: 'shared-preact',
    setup(b) {
      b.onResolve({ filter: /^preact(\/hooks)?$/ }, (a) => ({
        path: a.path,
        namespace: 'shared-preact',
      }));
      b.onLoad({ filter: /.*/, namespace: 'shared-preact' }, (a) => ({
        contents: `module.exports = globalThis.${a.path === 'preact' ? 'vrasPreact' : 'vrasPreactHooks'};`,
        loader: 'js',
      }));
    },
  };
  await build({
    ...common,
    entryPoints: [join(root, 'src', 'web', 'watch-entry.ts')],
    outfile: join(tmp, 'watch.js'),
    define: { VRAS_SCENARIO_FILES: JSON.stringify(scenarios) },
    plugins: [sharedPreact],
  });
  for (const f of ['index.html', 'app.css'])
    copyFileSync(join(root, 'src', 'web', 'static', f), join(tmp, f));
  rmSync(target, { recursive: true, force: true });
  mkdirSync(dirname(target), { recursive: true });
  renameSync(tmp, target);
  return ['index.html', 'app.js', 'app.css', 'watch.js'].map((f) => join(target, f));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const files = await buildWeb(process.argv[2] === undefined ? {} : { outDir: process.argv[2] });
  process.stdout.write(`${files.join('\n')}\n`);
}
