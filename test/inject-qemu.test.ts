// `vras inject` against a real QEMU 11.1 guest (kernel 6.1): records delivered over one QMP
// connection, each acknowledged before the next, printed as the codec's Linux printer says;
// and the failure modes — a busy socket, a guest that never acks, QEMU dying mid-batch — end in
// clear errors within the timeout with nothing left running. Expected lines: formatLinux.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { hasNewerQemu } from '../src/guest/newer.js';
import { liveGuestCount } from '../src/guest/vm.js';
import { deliverBatch } from '../src/inject/batch.js';
import { InjectError } from '../src/inject/errors.js';
import { InjectGuest } from '../src/inject/guest.js';
import { QmpTarget } from '../src/inject/targets.js';
import { parseTemplate, templateBytes } from '../src/inject/templates.js';
import { guestManifest, pidAlive, setupHint } from './real-guest/support.js';

const VRAS = fileURLToPath(new URL('../bin/vras', import.meta.url));

/** Runs bin/vras without blocking this process: QEMU's console pipe must keep draining, or the
 *  guest's printk stalls QEMU's main loop and with it the monitor. */
function vras(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(VRAS, args, { encoding: 'utf8', timeout: 20_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ status: code, stdout, stderr });
    });
  });
}

const memory = (pa: number, severity = 'corrected') =>
  templateBytes(parseTemplate('memory', ['--pa', `0x${pa.toString(16)}`, '--severity', severity]));

describe('vras inject on QEMU 11.1', { concurrency: false }, () => {
  let guest: InjectGuest | undefined;

  before(async (t) => {
    const manifest = guestManifest(t as never);
    if (manifest === undefined) return;
    if (!hasNewerQemu(manifest)) {
      const msg = "the newer QEMU is not in the guest setup: run 'bin/vras guest setup'";
      if (process.env.CI === 'true') throw new Error(msg);
      return;
    }
    guest = new InjectGuest({ manifest, label: 'inject-test' });
    await guest.start();
  });

  after(async () => {
    await guest?.stop();
  });

  it('delivers a memory and an ARM record; the guest prints exactly the codec’s lines', async (t) => {
    if (guest === undefined) return t.skip(setupHint());
    assert.equal(guest.target!.context.notificationType, 7, 'QMP source notifies by GPIO');
    // -cpu cortex-a57: QEMU's cortex_a57_initfn sets MIDR 0x411fd070 (r1p0); an ARM record
    // without --midr carries it, as ghes_inject.py's does.
    assert.equal(await guest.target!.cpuMidr(), 0x411fd070n);
    const mem = await guest.injectAndCheck(memory(0x4100_0000));
    assert.ok(mem.ackMs !== undefined && mem.ackMs < 1000, `acked in ${mem.ackMs} ms`);
    const arm = templateBytes(
      parseTemplate('arm', [
        '-t',
        'cache',
        '-t',
        'tlb',
        '--mpidr',
        '0x80000001',
        '--psci',
        '3',
        '--fru-text',
        'CPU1',
      ]),
    );
    const a = await guest.injectAndCheck(arm);
    assert.ok(a.lineMs < 2000);
  });

  it('a batch over one connection is acked record by record with per-record latency', async (t) => {
    if (guest === undefined) return t.skip(setupHint());
    const records = [0, 1, 2, 3].map((i) => ({
      label: `r${i}`,
      bytes: memory(0x4200_0000 + i * 0x1000),
    }));
    const report = await deliverBatch(guest.target!, records, { ackTimeoutMs: 3000 });
    assert.equal(report.failure, undefined);
    assert.deepEqual(
      report.delivered.map((d) => d.index),
      [0, 1, 2, 3],
    );
    for (const d of report.delivered) {
      assert.ok(d.ackMs !== undefined && d.ackMs >= d.sendMs);
      assert.ok(d.ackMs < 3000);
    }
  });

  it('a second client on the busy socket gets a clear error within its timeout', async (t) => {
    if (guest === undefined) return t.skip(setupHint());
    const started = performance.now();
    await assert.rejects(QmpTarget.connect(guest.qmpAddress, { timeoutMs: 800 }), (e: unknown) => {
      assert.ok(e instanceof InjectError);
      assert.equal(e.code, 'connection');
      assert.match(e.message, /another client/);
      return true;
    });
    assert.ok(performance.now() - started < 3000);
  });

  it('a guest that never acks ends in no-ack, and QEMU refuses the next record until it does', async (t) => {
    if (guest === undefined) return t.skip(setupHint());
    const target = guest.target!;
    await target.client.execute('stop');
    try {
      const report = await deliverBatch(
        target,
        [
          { label: 'a', bytes: memory(0x4300_0000) },
          { label: 'b', bytes: memory(0x4300_1000) },
        ],
        { ackTimeoutMs: 300 },
      );
      assert.equal(report.delivered.length, 0);
      assert.equal(report.failure?.index, 0);
      assert.equal(report.failure?.code, 'no-ack');
      assert.equal(report.notAttempted, 1);
      await assert.rejects(
        target.deliver(memory(0x4300_2000), '', 100).then(() => undefined),
        (e: unknown) => e instanceof InjectError && e.code === 'refused',
      );
    } finally {
      await target.client.execute('cont');
    }
    // Once running again the guest consumes the pending record and acks it.
    const deadline = performance.now() + 3000;
    while ((await target.readAck()) === 0n && performance.now() < deadline)
      await new Promise((r) => setTimeout(r, 5));
    assert.notEqual(await target.readAck(), 0n);
  });

  it('one-shot vras inject delivers a record and reports its latency', async (t) => {
    if (guest === undefined) return t.skip(setupHint());
    guest.release();
    try {
      const r = await vras([
        'inject',
        'memory',
        '--pa',
        '0x44000000',
        '--severity',
        'recoverable',
        '--qmp',
        guest.qmpAddress,
      ]);
      assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /record 0 \(memory\): 172 bytes, sent in [\d.]+ ms, acked [\d.]+ ms/);
      const bad = await vras([
        'inject',
        'memory',
        '--pa',
        '0x44000000',
        '--block-status',
        '0',
        '--qmp',
        guest.qmpAddress,
      ]);
      assert.equal(bad.status, 1);
      assert.match(bad.stderr, /block_status is 0/);
    } finally {
      await guest.connect();
    }
  });

  it('QEMU dying mid-batch reports exactly which records were delivered', async (t) => {
    if (guest === undefined) return t.skip(setupHint());
    const pid = guest.vm.pid!;
    const records = [0, 1, 2].map((i) => ({
      label: `k${i}`,
      bytes: memory(0x4500_0000 + i * 0x1000),
    }));
    const started = performance.now();
    const report = await deliverBatch(guest.target!, records, {
      ackTimeoutMs: 3000,
      onDelivered: (d) => {
        if (d.index === 0) process.kill(pid, 'SIGKILL');
      },
    });
    assert.deepEqual(
      report.delivered.map((d) => d.label),
      ['k0'],
    );
    assert.equal(report.failure?.index, 1);
    assert.equal(report.failure?.code, 'connection');
    assert.match(report.failure!.message, /QEMU went away/);
    assert.equal(report.notAttempted, 1);
    assert.ok(performance.now() - started < 5000);
    await guest.stop();
    assert.equal(pidAlive(pid), false);
    assert.equal(liveGuestCount(), 0);
  });
});
