import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sweepStaleGuestFiles } from './vm.js';

/** The pid of a process that has exited (and been reaped). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  });
  return Number(r.stdout);
}

describe('sweepStaleGuestFiles()', () => {
  it('removes the shared files and work directories of dead harnesses and nothing else', () => {
    const root = mkdtempSync(join(tmpdir(), 'vras-sweep-'));
    try {
      const shm = join(root, 'shm');
      const tmp = join(root, 'tmp');
      mkdirSync(shm);
      mkdirSync(tmp);
      const dead = deadPid();
      const stale = [
        join(shm, `vras-${dead}-0-main-dimm`),
        join(shm, `vras-${dead}-1-qemu-ras-ram`),
      ];
      const staleDir = join(tmp, `vras-guest-${dead}-main-AbC123`);
      const kept = [
        join(shm, `vras-${process.pid}-0-main-dimm`), // this process
        join(shm, `vras-1-0-main-dimm`), // pid 1 is alive
        join(shm, `vras-${dead}-0-main-other`), // not a harness file
        join(shm, 'unrelated'),
      ];
      const keptDirs = [
        join(tmp, `vras-guest-${process.pid}-main-x`),
        join(tmp, 'vras-guest-inject-y'),
      ];
      for (const f of [...stale, ...kept]) writeFileSync(f, 'x');
      for (const d of [staleDir, ...keptDirs]) {
        mkdirSync(d);
        writeFileSync(join(d, 'initrd-with-tables'), 'x');
      }
      const removed = sweepStaleGuestFiles({ shm, tmp });
      assert.deepEqual(removed.sort(), [...stale, staleDir].sort());
      for (const f of [...stale, staleDir]) assert.equal(existsSync(f), false, f);
      for (const f of [...kept, ...keptDirs]) assert.equal(existsSync(f), true, f);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('does nothing when the directories do not exist', () => {
    const missing = join(tmpdir(), `vras-sweep-missing-${process.pid}`);
    assert.deepEqual(sweepStaleGuestFiles({ shm: missing, tmp: missing }), []);
  });
});
