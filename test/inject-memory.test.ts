// `vras inject --memory FILE`: the shared-memory target. Without a guest: QEMU 7.2's captured
// tables (shared/reference/qemu/captured/, README §3) in a RAM file, the record posted by an
// engine adopted from them. With a real guest: QEMU 7.2 `virt,ras=on` with its RAM in a shared
// /dev/shm file; the CLI finds QEMU's HEST by scanning the file and posts into QEMU's only (SEA)
// source; an SEA (a guest read of an unassigned address, as the harness does under TCG) makes
// the guest read it: it prints the codec's lines, memory_failure kills the early-kill victim
// whose page the record names, and the CLI sees the ack.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { closeSync, ftruncateSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { HestNotificationType } from '../src/codec/index.js';
import { bootMachine, PointerLayout, RecordingPlatform, writeU64 } from '../src/engine/index.js';
import { FileGuestMemory } from '../src/engine/node/file-memory.js';
import { UNASSIGNED_PA } from '../src/guest/scenarios.js';
import { liveGuestCount } from '../src/guest/vm.js';
import { InjectError } from '../src/inject/errors.js';
import { InjectGuest } from '../src/inject/guest.js';
import { MemoryTarget } from '../src/inject/targets.js';
import { parseTemplate, templateBytes } from '../src/inject/templates.js';
import { guestManifest, setupHint } from './real-guest/support.js';
import { readShared } from './support/shared.js';

const VRAS = fileURLToPath(new URL('../bin/vras', import.meta.url));
const DIR = ['reference', 'qemu', 'captured', 'qemu-7.2.22-debian12', 'virt'];
const RAM = 0x4000_0000n;
const BLOB = 0x43da_0000n; // captured/README §3
const HEST = 0x43f0_0000n;
const FILE_SIZE = 64 << 20;

function vras(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // Async: this process must keep draining the guest console (a full pipe stalls QEMU).
    execFile(VRAS, args, { encoding: 'utf8', timeout: 20_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ status: code, stdout, stderr });
    });
  });
}

const memory = (pa: bigint, severity = 'recoverable') =>
  templateBytes(parseTemplate('memory', ['--pa', `0x${pa.toString(16)}`, '--severity', severity]));

describe('MemoryTarget on a RAM file holding QEMU 7.2’s tables', () => {
  let dir: string;
  let file: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'vras-memtarget-'));
    file = join(dir, 'ram');
    const fd = openSync(file, 'w+');
    ftruncateSync(fd, FILE_SIZE);
    writeSync(fd, readShared(...DIR, 'HEST.patched.bin'), 0, undefined, Number(HEST - RAM));
    const blob = readShared(...DIR, 'hardware_errors.after_linking.bin');
    writeSync(fd, blob, 0, undefined, Number(BLOB - RAM));
    closeSync(fd);
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  const guestAcks = () => {
    const fd = openSync(file, 'r+');
    writeSync(fd, new Uint8Array(4), 0, 4, Number(BLOB - RAM) + 0x10); // block_status 0
    writeSync(fd, Uint8Array.of(1), 0, 1, Number(BLOB - RAM) + 0x08); // read ack ← 1
    closeSync(fd);
  };

  it("finds QEMU's HEST, takes its SEA source 0, and says the source is not polled", () => {
    const t = new MemoryTarget(file, FILE_SIZE);
    try {
      assert.equal(t.sourceId, 0);
      assert.equal(t.context.notificationType, 8);
      assert.equal(t.limit, 1024);
      assert.match(t.note ?? '', /not polled \(notification 8\)/);
      assert.equal(t.consumed(), true);
    } finally {
      t.close();
    }
  });

  it('posts the record into the block and waits for the ack; a second one before the ack is refused', async () => {
    const t = new MemoryTarget(file, FILE_SIZE);
    try {
      const rec = memory(0x4100_0000n);
      await assert.rejects(t.deliver(rec, '', 20), (e: unknown) => {
        assert.ok(e instanceof InjectError);
        assert.equal(e.code, 'no-ack');
        assert.match(e.message, /block_status 0x11, read ack 0x0/);
        return true;
      });
      assert.equal(t.blockStatus(), 0x11, 'uncorrectable, one entry');
      assert.deepEqual(t.engine.memory.read(BLOB + 0x10n, rec.length), rec);
      assert.deepEqual(
        t.requests.map((r) => r.kind),
        ['inject-sea'],
      );
      await assert.rejects(
        t.deliver(memory(0x4100_1000n), '', 20),
        (e: unknown) => e instanceof InjectError && e.code === 'refused',
      );
      guestAcks();
      const timing = await t.deliver(memory(0x4100_2000n), '', 20).catch((e) => e);
      assert.ok(timing instanceof InjectError && timing.code === 'no-ack', 'posted after the ack');
    } finally {
      guestAcks();
      t.close();
    }
  });

  it('throws a memory error for a file without a HEST', () => {
    const empty = join(dir, 'empty');
    const fd = openSync(empty, 'w+');
    ftruncateSync(fd, 1 << 20);
    closeSync(fd);
    assert.throws(
      () => new MemoryTarget(empty, 1 << 20),
      (e: unknown) =>
        e instanceof InjectError && e.code === 'memory' && /Cannot find a HEST/.test(e.message),
    );
  });
});

describe('MemoryTarget on a RAM file holding tables the engine laid out', () => {
  it('finds the engine’s own HEST, posts into the polled source asked for and sees the guest ack', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vras-memtarget-own-'));
    try {
      const file = join(dir, 'ram');
      const fd = openSync(file, 'w+');
      ftruncateSync(fd, FILE_SIZE);
      closeSync(fd);
      const region = { name: 'ram', gpa: RAM, size: BigInt(FILE_SIZE), hostAddress: 0n };
      // The VMM side: the engine's firmware model boots its own tables into the shared file.
      const vmm = new FileGuestMemory(file, [{ ...region, fileOffset: 0n }]);
      const booted = bootMachine({
        machine: {
          layout: PointerLayout.HestAddr,
          sources: [
            { id: 0, notification: HestNotificationType.ArmSea },
            { id: 7, notification: HestNotificationType.Polled, pollIntervalMs: 100 },
          ],
        },
        memory: vmm,
        platform: new RecordingPlatform(),
        allocateFrom: 0x4300_0000n,
      });
      vmm.close();
      const t = new MemoryTarget(file, FILE_SIZE, { sourceId: 7 });
      try {
        assert.equal(t.sourceId, 7);
        assert.equal(t.note, undefined, 'a polled source needs no notification');
        assert.equal(t.context.notificationType, HestNotificationType.Polled);
        const slot = booted.engine.layout.blob.sources[1]!;
        // The guest: on its poll it reads the block, then writes the read ack (GHESv2).
        const guest = new FileGuestMemory(file, [{ ...region, fileOffset: 0n }]);
        const rec = memory(0x4100_0000n, 'corrected');
        const polled = setTimeout(() => {
          assert.deepEqual(guest.read(booted.blobGpa + BigInt(slot.block), rec.length), rec);
          writeU64(guest, booted.blobGpa + BigInt(slot.ack), 1n);
        }, 30);
        try {
          const timing = await t.deliver(rec, '', 2000);
          assert.ok(timing.ackMs !== undefined && timing.ackMs >= 25, `acked ${timing.ackMs} ms`);
        } finally {
          clearTimeout(polled);
          guest.close();
        }
      } finally {
        t.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('vras inject --memory on QEMU 7.2 (ras=on, RAM in a shared file)', {
  concurrency: false,
}, () => {
  let guest: InjectGuest | undefined;

  before(async (t) => {
    const manifest = guestManifest(t as never);
    if (manifest === undefined) return;
    guest = new InjectGuest({ manifest, label: 'inject-mem', qemu: 'system', ramFile: true });
    await guest.start({ connect: false });
  });

  after(async () => {
    await guest?.stop();
    assert.equal(liveGuestCount(), 0);
  });

  it("posts into QEMU's SEA source; on the next SEA the guest prints it and the victim is killed", async (t) => {
    if (guest === undefined) return t.skip(setupHint());
    const vm = guest.vm;
    const from0 = vm.console.lines.length;
    vm.send('/bin/victim early 60 &');
    const line = await vm.console.waitForText(/^VICTIM: pid=\d+ .*mode=early/, {
      timeoutMs: 5000,
      from: from0,
    });
    const m = /pid=(\d+) .*pfn=(0x[0-9a-f]+) paddr=(0x[0-9a-f]+)/.exec(line.text)!;
    const paddr = BigInt(m[3]!);
    const probe = new MemoryTarget(vm.ramPath!, 1 << 30);
    try {
      const from = vm.console.lines.length;
      const cli = vras([
        'inject',
        'memory',
        '--pa',
        `0x${paddr.toString(16)}`,
        '--severity',
        'recoverable',
        '--memory',
        vm.ramPath!,
        '--ack-timeout',
        '8000',
      ]);
      const deadline = performance.now() + 8000;
      while (probe.blockStatus() === 0 && performance.now() < deadline)
        await new Promise((r) => setTimeout(r, 5));
      assert.notEqual(probe.blockStatus(), 0, 'the CLI posted the record');
      assert.equal(probe.consumed(), false);
      vm.send(`devmem 0x${UNASSIGNED_PA.toString(16)}`); // an SEA: the guest reads source 0
      const r = await cli;
      assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /note: source 0 is not polled/);
      assert.match(r.stdout, /record 0 \(memory\): 172 bytes, sent in [\d.]+ ms, acked [\d.]+ ms/);
      assert.equal(probe.consumed(), true);
      await guest.expectPrinted(memory(paddr), 0, from);
      await vm.console.waitForText(
        `Memory failure: ${m[2]}: Sending SIGBUS to victim:${m[1]} due to hardware memory corruption`,
        { timeoutMs: 3000, from },
      );
      await vm.console.waitForText(/^VICTIM: got SIGBUS si_code=5 /, { timeoutMs: 3000, from });
    } finally {
      probe.close();
    }
  });
});
