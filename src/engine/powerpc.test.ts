import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeRtasErrorLog, RtasDisposition, RtasSeverity } from '../codec/index.js';
import { SparseGuestMemory } from './guest-memory.js';
import { RecordingPlatform } from './platform.js';
import { KvmNmiDisposition, PowerPcMachineCheck } from './powerpc.js';

const ram = () =>
  new SparseGuestMemory([
    { name: 'ppc_spapr.ram', gpa: 0n, size: 1n << 30n, hostAddress: 0x7f00_0000_0000n },
  ]);
const reg = { sresetAddr: 0x100n, mceAddr: 0x7000n, rtasAddr: 0x1ff_0000n };
// SRR1 load/store bit with DSISR 0x8000: QEMU's derror table row 0, UE load/store (formats.md §14.5).
const ue = {
  vcpu: 0,
  srr1: 1n << 21n,
  dsisr: 0x8000,
  dar: 0x1234n,
  nip: 0x4000n,
  r3: 0xabn,
  disposition: KvmNmiDisposition.NotRecovered,
};

test('without FWNMI a machine check goes to the architected 0x200 vector', () => {
  const p = new RecordingPlatform();
  assert.equal(new PowerPcMachineCheck(ram(), p).onMachineCheck(ue), 'vector');
  assert.deepEqual(p.requests, [
    { kind: 'machine-check', vcpu: 0, via: 'vector', vector: 0x200n, srr1: 1n << 21n },
  ]);
});

test('with FWNMI the log is written at rtas_addr + 0x30 and r3 points at it', () => {
  const memory = ram();
  const p = new RecordingPlatform();
  const mc = new PowerPcMachineCheck(memory, p);
  mc.register(reg);
  assert.equal(mc.onMachineCheck(ue), 'fwnmi');
  assert.deepEqual(p.requests, [
    {
      kind: 'machine-check',
      vcpu: 0,
      via: 'fwnmi',
      vector: 0x7000n,
      r3: 0x1ff_0030n,
      srr1: 1n << 21n,
    },
  ]);
  const log = decodeRtasErrorLog(memory.read(0x1ff_0030n, 72));
  assert.equal(log.savedR3, 0xabn);
  assert.equal(log.summary.disposition, RtasDisposition.NotRecovered);
});

test('QEMU limitation 19(c): a second machine check before ibm,nmi-interlock is queued, not dropped', () => {
  const p = new RecordingPlatform();
  const mc = new PowerPcMachineCheck(ram(), p);
  mc.register(reg);
  mc.onMachineCheck(ue);
  assert.equal(mc.onMachineCheck({ ...ue, vcpu: 1 }), 'queued');
  mc.interlock(1); // not the owner: no effect
  assert.equal(p.requests.length, 1);
  mc.interlock(0);
  assert.equal(p.requests.length, 2);
  assert.equal((p.requests[1] as { vcpu: number }).vcpu, 1);
});

test('QEMU limitations 19(a) and 19(e): LIMITED_RECOV is kept and an unknown pattern is not NO_ERROR', () => {
  const memory = ram();
  const mc = new PowerPcMachineCheck(memory, new RecordingPlatform());
  mc.register(reg);
  mc.onMachineCheck({ ...ue, srr1: 0n, dsisr: 0, disposition: KvmNmiDisposition.LimitedRecovery });
  const log = decodeRtasErrorLog(memory.read(0x1ff_0030n, 72));
  assert.equal(log.summary.disposition, RtasDisposition.LimitedRecovery);
  assert.equal(log.summary.severity, RtasSeverity.ErrorSync);
});

test('QEMU limitation 19(d): FWNMI state, the interlock and queued checks migrate', () => {
  const a = new PowerPcMachineCheck(ram(), new RecordingPlatform());
  a.register(reg);
  a.onMachineCheck(ue);
  a.onMachineCheck({ ...ue, vcpu: 3, logicalAddress: 0x5000n });
  const p = new RecordingPlatform();
  const b = new PowerPcMachineCheck(ram(), p);
  b.restore(JSON.parse(JSON.stringify(a.snapshot())));
  assert.deepEqual(b.snapshot(), a.snapshot());
  b.interlock(0);
  assert.equal((p.requests[0] as { vcpu: number }).vcpu, 3);
});

test('ibm,nmi-register refuses handlers at or above 32 MiB', () => {
  const mc = new PowerPcMachineCheck(ram(), new RecordingPlatform());
  assert.throws(() => mc.register({ ...reg, mceAddr: 32n << 20n }), {
    name: 'EngineError',
    code: 'invalid-state',
  });
});
