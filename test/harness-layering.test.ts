// The real-guest layers depend one way: guest ← inject ← harness ← cli. guest/ (QEMU, console,
// QMP, scenarios) never imports inject/ or harness/; inject/ never imports harness/. Checked on
// the import statements of every source file, so a new cycle fails here with the file named.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoPath } from '../src/node-util/repo-root.js';

function importsOf(dir: string): { file: string; from: string }[] {
  const out: { file: string; from: string }[] = [];
  for (const name of readdirSync(repoPath('src', dir))) {
    if (!name.endsWith('.ts')) continue;
    const text = readFileSync(join(repoPath('src', dir), name), 'utf8');
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/g))
      out.push({ file: `src/${dir}/${name}`, from: m[1]! });
    for (const m of text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g))
      out.push({ file: `src/${dir}/${name}`, from: m[1]! });
  }
  return out;
}

test('src/guest imports neither src/inject nor src/harness', () => {
  const bad = importsOf('guest').filter((i) => /^\.\.\/(inject|harness)\//.test(i.from));
  assert.deepEqual(bad, []);
});

test('src/inject does not import src/harness', () => {
  const bad = importsOf('inject').filter((i) => /^\.\.\/harness\//.test(i.from));
  assert.deepEqual(bad, []);
});

test('the check sees imports: src/harness/matrix.ts imports both guest/ and inject/', () => {
  const froms = importsOf('harness').map((i) => i.from);
  assert.ok(froms.some((f) => f.startsWith('../guest/')));
  assert.ok(froms.some((f) => f.startsWith('../inject/')));
});
