import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type ArmWorld,
  buildArmWorld,
  codecRecordPort,
  HOST_RAM_BASE,
  type TraceEvent,
} from '../src/sim/index.js';

const SEC = 1_000_000_000;
const hpa = (gpa: bigint) => HOST_RAM_BASE + (gpa - 0x4000_0000n);
const world = () =>
  buildArmWorld({ seed: 1n, mode: 'firmware-first', machine: 'qemu-10.2', processes: [] });
const evs = (w: ArmWorld, ev: string, src = 'guest.kernel'): TraceEvent[] =>
  w.sim.trace.events.filter((e) => e.ev === ev && e.src === src);

/** A process on `gpa` whose page goes bad at `at`; it touches the page 200 ms later. */
function arError(w: ArmWorld, at: number, pid: number, gpa: bigint): void {
  const q = w.sim.scheduler;
  q.postAt(at, 'guest.kernel', {
    kind: 'spawn',
    process: { pid, comm: 'worker', vaddr: 0xffff_0000_0000n + gpa, gpa, earlyKill: false },
  });
  q.postAt(at, 'hw.dram', { kind: 'inject', hpa: hpa(gpa), type: 'ue' });
  q.postAt(at + SEC / 5, 'guest.kernel', { kind: 'touch', pid });
}

describe('a persistent world (one VM over many errors)', () => {
  it('kills each spawned process whose page goes bad, one SEA record each', () => {
    const w = world();
    arError(w, SEC, 1000, 0x4010_0000n);
    arError(w, 30 * SEC, 1001, 0x4010_1000n);
    w.sim.run();
    const f = w.facts();
    assert.deepEqual(
      f.killed.map((k) => `${k.comm}:${k.pid} ${k.code}`),
      ['worker:1000 SIGBUS BUS_MCEERR_AR', 'worker:1001 SIGBUS BUS_MCEERR_AR'],
    );
    assert.deepEqual(f.offlined, ['0x40100', '0x40101']);
    assert.equal(f.recordsDelivered, 2);
    assert.equal(f.recordsLost, 0);
  });

  it('refuses to spawn a pid that is still alive with code bad-message', () => {
    const w = world();
    const p = { pid: 7, comm: 'w', vaddr: 0n, gpa: 0x4010_0000n, earlyKill: false };
    w.sim.scheduler.postAt(SEC, 'guest.kernel', { kind: 'spawn', process: p });
    w.sim.scheduler.postAt(SEC, 'guest.kernel', { kind: 'spawn', process: p });
    assert.throws(
      () => w.sim.run(),
      (e: unknown) => (e as { code?: string }).code === 'bad-message',
    );
  });

  it("the EL3 firmware clears the CPU's error record after triage: a later scrubbed UE is described at its own address", () => {
    const w = world();
    arError(w, SEC, 1000, 0x4010_0000n);
    w.sim.scheduler.postAt(30 * SEC, 'hw.dram', {
      kind: 'inject',
      hpa: hpa(0x4010_1000n),
      type: 'ue',
      scrub: true,
    });
    w.sim.run();
    assert.deepEqual(w.facts().offlined, ['0x40100', '0x40101']);
    assert.equal(w.cpu.rasRecord.valid, false);
  });

  it("a guest SError without a RAS syndrome (IDS = 1) gets KVM's virtual SError and panics the guest, as kvm_handle_guest_serror() does", () => {
    const w = world();
    w.sim.scheduler.postAt(SEC, 'hw.cpu0', { kind: 'raise-serror', aet: 0, hpa: null, ids: true });
    w.sim.run();
    assert.equal(w.facts().guestPanic, 'Asynchronous SError Interrupt');
    assert.deepEqual(
      evs(w, 'serror').map((e) => e.esr),
      ['0xbf000000'],
    );
    assert.equal(w.facts().hostPanic, null);
  });

  it('a system reset boots the panicked guest again through the engine, which then handles the next error', () => {
    const w = world();
    w.sim.scheduler.postAt(SEC, 'hw.cpu0', { kind: 'raise-serror', aet: 0, hpa: null, ids: true });
    w.sim.run();
    assert.notEqual(w.guest.state.panicked, null);
    w.sim.scheduler.postAt(10 * SEC, 'vmm', { kind: 'system-reset' });
    arError(w, 12 * SEC, 1000, 0x4010_0000n);
    w.sim.run();
    assert.equal(evs(w, 'system-reset', 'vmm').length, 1);
    assert.equal(evs(w, 'ghes-registered').length, 2, 'the kernel registered its sources twice');
    assert.equal(w.guest.state.panicked, null);
    assert.deepEqual(
      w.guest.state.killed.map((k) => k.code),
      ['SIGBUS BUS_MCEERR_AR'],
    );
    assert.equal(w.facts().recordsLost, 0);
  });

  it('replays the same trace from the same seed across errors and a reset', () => {
    const run = () => {
      const w = world();
      arError(w, SEC, 1000, 0x4010_0000n);
      w.sim.scheduler.postAt(5 * SEC, 'hw.cpu0', {
        kind: 'raise-serror',
        aet: 0,
        hpa: null,
        ids: true,
      });
      w.sim.scheduler.postAt(10 * SEC, 'vmm', { kind: 'system-reset' });
      arError(w, 12 * SEC, 1001, 0x4010_1000n);
      w.sim.run();
      return w.sim.trace.toJsonl();
    };
    assert.equal(run(), run());
  });
});

describe('codecRecordPort', () => {
  it('checks and decodes a record once and gives the same answer for the same bytes, a new one for new bytes', () => {
    const port = codecRecordPort({ ram: [{ start: 0x4000_0000n, size: 1n << 30n }] });
    const a = port.encodeMemoryRecord({ severity: 2, physicalAddress: 0x4123_4000n, errorType: 2 });
    const b = port.encodeMemoryRecord({ severity: 2, physicalAddress: 0x4123_5000n, errorType: 2 });
    const first = port.readBlock(a);
    assert.equal(port.readBlock(a.slice()), first);
    const other = port.readBlock(b);
    assert.notEqual(other, first);
    assert.equal(other.kind, 'accepted');
    assert.equal(
      other.kind === 'accepted' ? other.record.sections[0]?.physicalAddress : undefined,
      0x4123_5000n,
    );
    assert.match(port.linuxLines(b, 1).join('\n'), /physical_address: 0x0000000041235000/);
    assert.match(port.linuxLines(a, 2).join('\n'), /physical_address: 0x0000000041234000/);
  });
});
