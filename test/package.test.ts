// What users install: `npm pack` (which builds first, through prepack), the tarball installed
// into a scratch project outside the repository without dev dependencies, every entry point
// imported from plain Node ESM, a TypeScript consumer typechecked under several settings, the
// installed `vras` run on a CPER record, and the README's library example run as written.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { repoRoot, sharedPath } from './support/shared.js';

const scratch = mkdtempSync(join(tmpdir(), 'vras-package-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function run(
  cmd: string,
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv = {},
): { stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', ...env },
    maxBuffer: 64 << 20,
  });
  if (r.error !== undefined || r.status !== 0)
    throw new Error(
      `${cmd} ${args.join(' ')} (in ${cwd}) exited with ${r.status}:\n${r.stderr}${r.stdout}`,
    );
  return { stdout: r.stdout, stderr: r.stderr };
}

interface PackEntry {
  readonly filename: string;
  readonly size: number;
  readonly unpackedSize: number;
  readonly files: readonly { readonly path: string }[];
}

let pack: PackEntry;
const project = join(scratch, 'consumer');
const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');

describe('the npm package', { concurrency: false }, () => {
  before(() => {
    // npm pack runs prepack (npm run build) in the checkout, then packs what `files` allows.
    const out = run('npm', ['pack', '--json', '--pack-destination', scratch], repoRoot).stdout;
    pack = (JSON.parse(out.slice(out.indexOf('['))) as PackEntry[])[0]!;
    mkdirSync(project);
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
    );
    run(
      'npm',
      ['install', '--omit=dev', '--no-package-lock', join(scratch, pack.filename)],
      project,
    );
  });

  it('ships the build, the victim source and scenarios, and no tests or fixtures', () => {
    const paths = pack.files.map((f) => f.path);
    assert.ok(paths.includes('dist/cli/main.js'));
    assert.ok(paths.includes('dist/lib/codec/index.js'));
    assert.ok(paths.includes('dist/lib/codec/index.d.ts'));
    assert.ok(paths.includes('dist/lib/codec/index.js.map'));
    assert.ok(paths.includes('src/guest/victim.c'));
    assert.deepEqual(
      paths.filter((p) => /\.test\.|(^|\/)test\/|fixtures|\.ts$/.test(p) && !p.endsWith('.d.ts')),
      [],
    );
  });

  it('imports every entry point from plain Node ESM', () => {
    const script = `
      import * as root from 'vras';
      import * as codec from 'vras/codec';
      import * as engine from 'vras/engine';
      import * as sim from 'vras/sim';
      const out = {
        root: Object.keys(root).sort(),
        codec: typeof codec.decodeCperRecord,
        engine: typeof engine.RasEngine,
        sim: typeof sim.Scheduler,
        same: root.codec.decodeCperRecord === codec.decodeCperRecord,
      };
      console.log(JSON.stringify(out));`;
    const out = JSON.parse(
      run(process.execPath, ['--input-type=module', '-e', script], project).stdout,
    );
    assert.deepEqual(out, {
      root: ['codec', 'engine', 'sim'],
      codec: 'function',
      engine: 'function',
      sim: 'function',
      same: true,
    });
  });

  const consumer = `import { decodeCperRecord, type CperRecord } from 'vras/codec';
import { RasEngine } from 'vras/engine';
import { Scheduler } from 'vras/sim';
import { codec } from 'vras';
export function sections(bytes: Uint8Array): number {
  const record: CperRecord = decodeCperRecord(bytes);
  return record.sections.length + codec.decodeCperRecord(bytes).sections.length;
}
export const kinds = [typeof RasEngine, typeof Scheduler];
`;
  for (const strict of [true, false])
    for (const resolution of ['node16', 'bundler'] as const)
      it(`typechecks a TypeScript consumer (strict ${strict}, target ES2020, moduleResolution ${resolution})`, () => {
        const dir = join(project, `ts-${strict}-${resolution}`);
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, 'consumer.ts'), consumer);
        writeFileSync(
          join(dir, 'tsconfig.json'),
          JSON.stringify({
            compilerOptions: {
              target: 'ES2020',
              module: resolution === 'node16' ? 'node16' : 'esnext',
              moduleResolution: resolution,
              strict,
              noEmit: true,
              types: [],
              skipLibCheck: false,
            },
            files: ['consumer.ts'],
          }),
        );
        run(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], project);
      });

  it('runs the installed vras: --version and decode of a CPER record', () => {
    const bin = join(project, 'node_modules', '.bin', 'vras');
    const version = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version;
    assert.equal(run(bin, ['--version'], project).stdout, `vras ${version}\n`);
    assert.equal(run(bin, ['-V'], project).stdout, `vras ${version}\n`);
    // libcper's generator wrote this record; libcper's own JSON is the oracle.
    const cper = sharedPath('reference/libcper-corpus/05-memory-s1.cper');
    const libcper = JSON.parse(
      readFileSync(sharedPath('reference/libcper-corpus/05-memory-s1.libcper.json'), 'utf8'),
    );
    const out = JSON.parse(run(bin, ['decode', cper, '--format', 'json'], project).stdout);
    assert.equal(out.schema, 'vras/v1');
    assert.equal(out.kind, 'cper-record');
    assert.equal(BigInt(out.value.recordId), BigInt(libcper.header.recordID));
    assert.equal(out.value.sections.length, libcper.header.sectionCount);
    assert.equal(out.value.sections[0].sectionType, libcper.sectionDescriptors[0].sectionType.data);
    assert.equal(out.value.sections[0].body.kind, 'memory');
  });

  it("runs the README's library example as written", () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const m = /<!-- example:library -->\s*```js\n([\s\S]*?)```/.exec(readme);
    assert.ok(m !== null, 'README has a ```js block after <!-- example:library -->');
    const example = m[1]!;
    assert.ok(example.trim().split('\n').length <= 8, 'the example stays short');
    writeFileSync(join(project, 'example.mjs'), example);
    const cper = sharedPath('reference/libcper-corpus/05-memory-s1.cper');
    const out = run(process.execPath, ['example.mjs', cper], project).stdout;
    // The record's memory section as libcper reads it: physical address and its severity.
    assert.match(out, /memory/);
    assert.match(out, /0x4febb93319910808/);
  });
});
