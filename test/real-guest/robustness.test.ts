// QEMU crashing, a guest that hangs and a guest that panics early each end in a clear
// GuestError within the time limit, with no QEMU process and no /dev/shm file left behind.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { buildCpio } from '../../src/guest/cpio.js';
import { GuestError } from '../../src/guest/errors.js';
import { GuestVm } from '../../src/guest/vm.js';
import { guestManifest, pidAlive } from './support.js';

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
});
