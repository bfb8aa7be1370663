// The engine's AO policy on a real QEMU 11.1 guest (kernel 6.1), driven through QMP: an
// unchanged RasEngine adopts QEMU's own tables, a host SIGBUS BUS_MCEERR_AO for the victim's
// page (host address = QEMU's mapping of the page, from HMP gpa2hva) becomes a record on the
// GPIO source sent with inject-ghes-v2-error, and the early-kill victim gets its SIGBUS
// (si_code 5) within milliseconds. Two AO errors in a row are both delivered, in order: the
// second waits in the engine's backlog until the guest acks, where QEMU alone refuses it.
// Expected lines: the codec's formatLinux; kernel messages: linux-guest.md (memory_failure).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ConsoleLine } from '../src/guest/console.js';
import { hasNewerQemu } from '../src/guest/newer.js';
import { CperSeverity, memoryRecord } from '../src/guest/records.js';
import { liveGuestCount } from '../src/guest/vm.js';
import { bridgeQmpTarget, type QmpEngineBridge, QmpPort } from '../src/inject/engine-bridge.js';
import { InjectError } from '../src/inject/errors.js';
import { InjectGuest } from '../src/inject/guest.js';
import { validatePayload } from '../src/inject/validate.js';
import { guestManifest, setupHint } from './real-guest/support.js';

interface Victim {
  readonly pid: number;
  readonly pfn: bigint;
  readonly paddr: bigint;
}

async function startVictim(guest: InjectGuest): Promise<Victim> {
  const from = guest.vm.console.lines.length;
  guest.vm.send('/bin/victim early 60 &');
  const line = await guest.vm.console.waitForText(/^VICTIM: pid=\d+ .*mode=early/, {
    timeoutMs: 5000,
    from,
    what: 'the victim report',
  });
  const m = /pid=(\d+) .*present=(\d) pfn=(0x[0-9a-f]+) paddr=(0x[0-9a-f]+)/.exec(line.text);
  assert.ok(m !== null && m[2] === '1', `victim page present: ${line.text}`);
  return { pid: Number(m[1]), pfn: BigInt(m[3]!), paddr: BigInt(m[4]!) };
}

function sigbusLine(guest: InjectGuest, v: Victim, from: number): Promise<ConsoleLine> {
  return guest.vm.console.waitFor(
    (l) =>
      l.text.startsWith(
        `Memory failure: 0x${v.pfn.toString(16)}: Sending SIGBUS to victim:${v.pid} `,
      ),
    { timeoutMs: 5000, from, what: `memory_failure signalling victim ${v.pid}` },
  );
}

describe('the engine on QEMU 11.1 through QMP (AO → GPIO source → GED)', {
  concurrency: false,
}, () => {
  let guest: InjectGuest | undefined;
  let bridge: QmpEngineBridge | undefined;

  before(async (t) => {
    const manifest = guestManifest(t as never);
    if (manifest === undefined) return;
    if (!hasNewerQemu(manifest)) {
      const msg = "the newer QEMU is not in the guest setup: run 'bin/vras guest setup'";
      if (process.env.CI === 'true') throw new Error(msg);
      return;
    }
    guest = new InjectGuest({ manifest, label: 'inject-engine' });
    await guest.start();
    bridge = await bridgeQmpTarget(guest.target!);
  });

  after(async () => {
    await guest?.stop();
    assert.equal(liveGuestCount(), 0);
  });

  it("adopts QEMU's own tables: linked at the HEST QEMU's firmware placed, RAM at QEMU's host address", (t) => {
    if (bridge === undefined || guest === undefined) return t.skip(setupHint());
    assert.equal(bridge.engine.linkState?.hest, guest.target!.hestAddress);
    assert.deepEqual(
      bridge.engine.layout.sources.map((s) => [s.id, s.notification]),
      [
        [0, 8],
        [1, 7],
      ],
    );
    const ram = bridge.memory.regions[0]!;
    assert.ok(
      ram.hostAddress > 0n && ram.hostAddress % 4096n === 0n,
      'a page-aligned host address',
    );
  });

  it('a SIGBUS BUS_MCEERR_AO on the victim page kills the early-kill victim within milliseconds', async (t) => {
    if (bridge === undefined || guest === undefined) return t.skip(setupHint());
    const v = await startVictim(guest);
    const from = guest.vm.console.lines.length;
    const hostAddress = bridge.engine.hostAddressOf(v.paddr + 0x123n)!;
    const t0 = performance.now();
    const out = await bridge.onSigbus({ code: 5, hostAddress, addressLsb: 12 });
    const returned = performance.now();
    assert.deepEqual(out, { action: 'recorded', gpa: v.paddr, sourceId: 1 });
    const sig = await guest.vm.console.waitForText(/^VICTIM: got SIGBUS si_code=\d+/, {
      timeoutMs: 5000,
      from,
      what: "the victim's SIGBUS",
    });
    assert.match(sig.text, /si_code=5 /, 'BUS_MCEERR_AO');
    await sigbusLine(guest, v, from);
    const latency = sig.hostMs - t0;
    t.diagnostic(
      `onSigbus → victim SIGBUS: ${latency.toFixed(1)} ms (engine step incl. xp + inject: ${(returned - t0).toFixed(1)} ms, QMP command ${bridge.delivered.at(-1)!.sendMs.toFixed(2)} ms)`,
    );
    // The polled source waits for its next poll (up to its interval, 1000 ms in Linux's usual
    // tables); the GED interrupt makes it milliseconds even under TCG.
    assert.ok(latency < 500, `victim signalled ${latency.toFixed(1)} ms after the host SIGBUS`);
    await guest.expectPrinted(bridge.delivered.at(-1)!.bytes, 1, from);
    await bridge.settle(3000);
  });

  it('two AO errors in a row are both delivered in order; QEMU alone refuses the second', async (t) => {
    if (bridge === undefined || guest === undefined) return t.skip(setupHint());
    const a = await startVictim(guest);
    const b = await startVictim(guest);
    const from = guest.vm.console.lines.length;
    const client = guest.target!.client;
    const sent = bridge.delivered.length;
    await client.execute('stop'); // the guest cannot ack until `cont`
    try {
      const first = await bridge.onSigbus({
        code: 5,
        hostAddress: bridge.engine.hostAddressOf(a.paddr)!,
        addressLsb: 12,
      });
      const second = await bridge.onSigbus({
        code: 5,
        hostAddress: bridge.engine.hostAddressOf(b.paddr)!,
        addressLsb: 12,
      });
      assert.equal(first.action, 'recorded');
      assert.equal(second.action, 'queued');
      assert.equal(bridge.delivered.length, sent + 1, 'the second record waits for the ack');
      // QEMU on its own: a second record before the ack is refused.
      const direct = validatePayload(memoryRecord(CperSeverity.Recoverable, b.paddr));
      await assert.rejects(new QmpPort(guest.target!).inject(direct.base64), (e: unknown) => {
        assert.ok(e instanceof InjectError);
        assert.equal(e.code, 'refused');
        assert.match(e.message, /OSPM does not acknowledge previous error/);
        return true;
      });
    } finally {
      await client.execute('cont');
    }
    await bridge.settle(5000);
    assert.equal(bridge.delivered.length, sent + 2);
    const pas = bridge.delivered
      .slice(sent)
      .map((d) => new DataView(d.bytes.buffer, d.bytes.byteOffset).getBigUint64(108, true));
    assert.deepEqual(pas, [a.paddr, b.paddr]);
    const la = await sigbusLine(guest, a, from);
    const lb = await sigbusLine(guest, b, from);
    assert.ok(la.index < lb.index, 'the guest handled the first error first');
    let killed = 0;
    await guest.vm.console.waitFor(
      (l) => /^VICTIM: got SIGBUS si_code=5 /.test(l.text) && ++killed === 2,
      { timeoutMs: 3000, from, what: 'both victims signalled with BUS_MCEERR_AO' },
    );
    t.diagnostic(
      `second record sent ${(bridge.delivered[sent + 1]!.at - bridge.delivered[sent]!.at).toFixed(1)} ms after the first (VM stopped in between)`,
    );
  });
});
