// QEMU crashing, a guest that hangs and a guest that panics early each end in a clear
// GuestError within the time limit, with no QEMU process and no /dev/shm file left behind.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { buildCpio } from '../../src/guest/cpio.js';
import { GuestError } from '../../src/guest/errors.js';
import { GuestVm, sweepStaleGuestFiles } from '../../src/guest/vm.js';
import { repoPath } from '../../src/node-util/repo-root.js';
import { guestManifest, pidAlive } from './support.js';

async function waitUntil(test: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = performance.now() + timeoutMs;
  while (performance.now() < end) {
    if (test()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return test();
}

describe('real guest robustness', { concurrency: 2 }, () => {
  it('reports QEMU crashing mid-run as qemu-exited and leaves nothing behind', async (t) => {
    const manifest = guestManifest(t);
    if (manifest === undefined) return;
    const vm = new GuestVm({ manifest, label: 'crash', dimmBytes: 2 << 20, runTimeoutMs: 40_000 });
    await vm.start();
    const pid = vm.pid!;
    assert.ok(existsSync(vm.dimmPath!));
    process.kill(pid, 'SIGSEGV');
    const started = performance.now();
    await assert.rejects(vm.run('sleep 5', 20_000), (e: unknown) => {
      assert.ok(e instanceof GuestError);
      assert.equal(e.code, 'qemu-exited');
      assert.match(e.message, /crash: QEMU was killed by SIGSEGV/);
      return true;
    });
    assert.ok(performance.now() - started < 5000);
    await vm.stop();
    assert.equal(pidAlive(pid), false);
    assert.equal(existsSync(vm.dimmPath!), false);
    assert.equal(vm.running, false);
  });

  it('reports a guest that never becomes ready as a timeout and kills QEMU', async (t) => {
    const manifest = guestManifest(t);
    if (manifest === undefined) return;
    const dir = mkdtempSync(join(tmpdir(), 'vras-hang-'));
    try {
      const initrd = join(dir, 'hang.cpio.gz');
      const busybox = new Uint8Array(readFileSync(manifest.busybox));
      const init = new TextEncoder().encode('#!/bin/busybox sh\nexec /bin/busybox sleep 1000\n');
      writeFileSync(
        initrd,
        gzipSync(
          buildCpio([
            { kind: 'dir', path: 'bin' },
            { kind: 'dir', path: 'dev' },
            { kind: 'char', path: 'dev/console', major: 5, minor: 1 },
            { kind: 'file', path: 'bin/busybox', data: busybox, mode: 0o755 },
            { kind: 'file', path: 'init', data: init, mode: 0o755 },
          ]),
        ),
      );
      const vm = new GuestVm({
        manifest,
        label: 'hang',
        initrd,
        dimmBytes: 2 << 20,
        bootTimeoutMs: 12_000,
      });
      const started = performance.now();
      await assert.rejects(vm.start(), (e: unknown) => {
        assert.ok(e instanceof GuestError);
        assert.equal(e.code, 'timeout');
        assert.match(
          e.message,
          /hang: timed out after 12000 ms waiting for VRAS:READY from the guest init/,
        );
        return true;
      });
      assert.ok(performance.now() - started < 16_000);
      assert.equal(vm.running, false);
      assert.equal(pidAlive(vm.pid!), false);
      assert.equal(existsSync(vm.dimmPath!), false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a guest that panics during boot as a panic, and QEMU is gone', async (t) => {
    const manifest = guestManifest(t);
    if (manifest === undefined) return;
    const vm = new GuestVm({
      manifest,
      label: 'early-panic',
      append: 'rdinit=/nonexistent',
      dimmBytes: 2 << 20,
      bootTimeoutMs: 30_000,
    });
    await assert.rejects(vm.start(), (e: unknown) => {
      assert.ok(e instanceof GuestError);
      assert.equal(e.code, 'panic');
      assert.match(e.message, /early-panic: the guest panicked \(VFS: Unable to mount root fs/);
      return true;
    });
    assert.equal(vm.running, false);
    assert.equal(pidAlive(vm.pid!), false);
    assert.equal(existsSync(vm.dimmPath!), false);
  });

  it('kills the run at its hard time limit with a timeout error, even during boot', async (t) => {
    const manifest = guestManifest(t);
    if (manifest === undefined) return;
    const vm = new GuestVm({ manifest, label: 'limit', dimmBytes: 2 << 20, runTimeoutMs: 1500 });
    const started = performance.now();
    await assert.rejects(vm.start(), (e: unknown) => {
      assert.ok(e instanceof GuestError);
      assert.equal(e.code, 'timeout');
      assert.match(e.message, /limit: the run exceeded its 1500 ms limit; QEMU killed/);
      return true;
    });
    assert.ok(performance.now() - started < 6000);
    assert.equal(vm.running, false);
    assert.equal(pidAlive(vm.pid!), false);
    assert.equal(existsSync(vm.dimmPath!), false);
  });

  it('takes QEMU down with a harness killed by SIGKILL, and the next run sweeps its files', async (t) => {
    const manifest = guestManifest(t);
    if (manifest === undefined) return;
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', repoPath('test', 'real-guest', 'orphan-child.ts')],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const info = await new Promise<{ harness: number; qemu: number; dimm: string }>(
        (resolve, reject) => {
          let out = '';
          child.stdout!.setEncoding('utf8');
          child.stdout!.on('data', (c: string) => {
            out += c;
            const nl = out.indexOf('\n');
            if (nl >= 0) resolve(JSON.parse(out.slice(0, nl)));
          });
          child.once('exit', (code) => reject(new Error(`the child exited with ${code}`)));
        },
      );
      assert.equal(info.harness, child.pid);
      assert.ok(pidAlive(info.qemu));
      assert.ok(existsSync(info.dimm));
      const workDirs = () =>
        readdirSync(tmpdir()).filter((f) => f.startsWith(`vras-guest-${info.harness}-orphan-`));
      assert.equal(workDirs().length, 1);
      child.kill('SIGKILL');
      assert.ok(await waitUntil(() => !pidAlive(info.qemu), 5000), 'QEMU outlived its harness');
      // The files stay until a harness sweeps them: this one now (or any other that started a
      // guest meanwhile, which is why only their absence is asserted).
      sweepStaleGuestFiles();
      assert.equal(existsSync(info.dimm), false);
      assert.deepEqual(workDirs(), []);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
