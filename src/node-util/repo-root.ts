// Where the checkout is, for Node-only code that reads files shipped in the repository
// (scenario JSON, the victim program's source). Works from the TypeScript sources and from the
// bundled CLI in dist/, which live at different depths.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/** The directory holding vras's package.json, found upwards from `fromUrl`. */
export function repoRoot(fromUrl: string = import.meta.url): string {
  if (cached !== undefined) return cached;
  let dir = dirname(fileURLToPath(fromUrl));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && /"name":\s*"vras"/.test(readFileSync(pkg, 'utf8'))) {
      cached = dir;
      return dir;
    }
    const up = dirname(dir);
    if (up === dir)
      throw new Error(`Cannot find the vras checkout above ${fileURLToPath(fromUrl)}`);
    dir = up;
  }
}

/** A path inside the checkout: `repoPath('src', 'guest', 'victim.c')`. */
export function repoPath(...parts: string[]): string {
  return join(repoRoot(), ...parts);
}
