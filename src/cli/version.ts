// `vras --version` / `vras -V`: the version of the installed package (its package.json).

import { readFileSync } from 'node:fs';
import { repoPath } from '../node-util/repo-root.js';

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : 'unknown';
}
