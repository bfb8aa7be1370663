// Start-up of `vras decode` for one record, side by side with `node -e 0`, and two of Node 20's
// start-up options measured on the same command, so the choice not to ship them rests on
// figures:
//
// - a V8 start-up snapshot (`node --snapshot-blob B --build-snapshot`): the decode command
//   bundled as one CommonJS file, run to the point of waiting for its arguments and frozen;
//   `node --snapshot-blob B FILE --format json` then starts from that heap. The blob is tied to
//   the exact node binary, and needs a launcher flag, so the installed package (which runs
//   dist/cli/main.js as a plain script) could not use it;
// - V8's code cache: the whole CLI as one CommonJS file, compiled through vm.Script with the
//   cached data of an earlier run (Node 20 has no module compile cache: NODE_COMPILE_CACHE is
//   Node 22).
//
// Each variant's output is checked against dist/cli/main.js's before it is timed.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';

export interface StartupFigures {
  readonly runs: number;
  /** Medians, ms wall. */
  readonly nodeFloorMs: number;
  readonly decodeMs: number;
  readonly wrapperMs: number;
  readonly snapshotMs: number | undefined;
  readonly codeCacheMs: number | undefined;
  /** Why a variant was not measured. */
  readonly notes: string[];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function timed(cmd: string, args: string[]): { ms: number; out: string } {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { ms, out: r.stdout };
}

const CODE_CACHE_LOADER = `const fs = require('node:fs');
const vm = require('node:vm');
const Module = require('node:module');
const file = require('node:path').join(__dirname, 'cli.cjs');
const cacheFile = file + '.cache';
let cachedData;
try { cachedData = fs.readFileSync(cacheFile); } catch {}
const script = new vm.Script(Module.wrap(fs.readFileSync(file, 'utf8')), {
  filename: file,
  cachedData,
  importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
});
const m = { exports: {} };
script.runInThisContext().call(m.exports, m.exports, require, m, file, __dirname);
if (process.env.VRAS_MAKE_CODE_CACHE) process.on('exit', () => fs.writeFileSync(cacheFile, script.createCachedData()));
`;

/** Runs the start-up comparison over `record` (a file path), `runs` alternating rounds. */
export async function startupFigures(
  repoRoot: string,
  record: string,
  runs = 21,
): Promise<StartupFigures> {
  const main = join(repoRoot, 'dist/cli/main.js');
  const node = process.execPath;
  const args = [record, '--format', 'json'];
  const expected = timed(node, [main, 'decode', ...args]).out;
  const notes: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'vras-startup-'));
  try {
    let snapshot: string | undefined = join(dir, 'decode.blob');
    try {
      const entry = join(dir, 'snapshot-entry.ts');
      writeFileSync(
        entry,
        `import { startupSnapshot } from 'node:v8';
import { run } from ${JSON.stringify(join(repoRoot, 'src/cli/decode.ts'))};
startupSnapshot.setDeserializeMainFunction(() => {
  run(process.argv.slice(1)).then((code) => { process.exitCode = code; });
});
`,
      );
      await build({
        entryPoints: [entry],
        outfile: join(dir, 'snapshot.cjs'),
        bundle: true,
        format: 'cjs',
        platform: 'node',
        target: 'node20',
        logLevel: 'silent',
      });
      const b = spawnSync(node, ['--snapshot-blob', snapshot, '--build-snapshot', 'snapshot.cjs'], {
        cwd: dir,
        encoding: 'utf8',
      });
      if (b.status !== 0) throw new Error(b.stderr);
      if (timed(node, ['--snapshot-blob', snapshot, ...args]).out !== expected)
        throw new Error('its output differs from vras decode');
    } catch (error) {
      notes.push(`snapshot: ${(error as Error).message.split('\n')[0]}`);
      snapshot = undefined;
    }
    let loader: string | undefined = join(dir, 'run.cjs');
    try {
      await build({
        entryPoints: [join(repoRoot, 'src/cli/main.ts')],
        outfile: join(dir, 'cli.cjs'),
        bundle: true,
        format: 'cjs',
        platform: 'node',
        target: 'node20',
        packages: 'external',
        logLevel: 'silent',
      });
      writeFileSync(loader, CODE_CACHE_LOADER);
      const make = spawnSync(node, [loader, 'decode', ...args], {
        encoding: 'utf8',
        env: { ...process.env, VRAS_MAKE_CODE_CACHE: '1' },
      });
      if (make.status !== 0) throw new Error(make.stderr);
      if (timed(node, [loader, 'decode', ...args]).out !== expected)
        throw new Error('its output differs from vras decode');
    } catch (error) {
      notes.push(`code cache: ${(error as Error).message.split('\n')[0]}`);
      loader = undefined;
    }
    const t = { floor: [] as number[], decode: [] as number[], wrapper: [] as number[] };
    const snap: number[] = [];
    const cache: number[] = [];
    for (let i = 0; i < runs; i++) {
      t.floor.push(timed(node, ['-e', '0']).ms);
      t.decode.push(timed(node, [main, 'decode', ...args]).ms);
      t.wrapper.push(timed(join(repoRoot, 'bin/vras'), ['decode', ...args]).ms);
      if (snapshot !== undefined) snap.push(timed(node, ['--snapshot-blob', snapshot, ...args]).ms);
      if (loader !== undefined) cache.push(timed(node, [loader, 'decode', ...args]).ms);
    }
    return {
      runs,
      nodeFloorMs: median(t.floor),
      decodeMs: median(t.decode),
      wrapperMs: median(t.wrapper),
      snapshotMs: snap.length > 0 ? median(snap) : undefined,
      codeCacheMs: cache.length > 0 ? median(cache) : undefined,
      notes,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
