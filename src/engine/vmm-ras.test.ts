import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  EngineError,
  KvmNmiDisposition,
  type MachineCheckExit,
  type PlatformRequest,
  qemuHestAddrMachine,
  RecordingPlatform,
  SparseGuestMemory,
  VmmRas,
  type VmmRasOptions,
} from './index.js';

const pseriesRam = () =>
  new SparseGuestMemory([
    { name: 'ppc_spapr.ram', gpa: 0n, size: 1n << 30n, hostAddress: 0x7f00_0000_0000n },
  ]);
const REG = { sresetAddr: 0x7300n, mceAddr: 0x7400n, rtasAddr: 0x1ff_0000n };
const LOG_GPA = 0x1ff_0030n;

function engineError(fn: () => unknown, code: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof EngineError, String(e));
    assert.equal(e.code, code);
    return true;
  });
}

/** One step of a PowerPC flow, as the VMM sees it. */
type PpcStep =
  | { readonly op: 'register' }
  | {
      readonly op: 'mce';
      readonly vcpu: number;
      readonly disposition: number;
      readonly dar: number;
    }
  | { readonly op: 'interlock'; readonly vcpu: number }
  | { readonly op: 'reset' };

const step: fc.Arbitrary<PpcStep> = fc.oneof(
  fc.constant({ op: 'register' as const }),
  fc.record({
    op: fc.constant('mce' as const),
    vcpu: fc.integer({ min: 0, max: 3 }),
    disposition: fc.constantFrom(
      KvmNmiDisposition.FullyRecovered,
      KvmNmiDisposition.LimitedRecovery,
      KvmNmiDisposition.NotRecovered,
    ),
    dar: fc.nat({ max: 0xffff }),
  }),
  fc.record({ op: fc.constant('interlock' as const), vcpu: fc.integer({ min: 0, max: 3 }) }),
  fc.constant({ op: 'reset' as const }),
);

function apply(ras: VmmRas, s: PpcStep): string {
  const mc = ras.powerpc!;
  switch (s.op) {
    case 'register':
      mc.register(REG);
      return 'registered';
    case 'mce': {
      const exit: MachineCheckExit = {
        vcpu: s.vcpu,
        srr1: 1n << 21n,
        dsisr: 0x8000,
        dar: BigInt(s.dar),
        nip: 0x4000n,
        r3: BigInt(s.vcpu),
        disposition: s.disposition,
      };
      return mc.onMachineCheck(exit);
    }
    case 'interlock':
      if (!mc.registered) return 'not registered';
      mc.interlock(s.vcpu);
      return 'interlock';
    case 'reset':
      ras.reset();
      return 'reset';
  }
}

function ppcVmm(memory: SparseGuestMemory, platform: RecordingPlatform): VmmRas {
  return new VmmRas({ memory, platform, powerpc: { queueLimit: 4 } });
}

/** Runs `steps`, migrating (snapshot → JSON → restore into a new VmmRas on copied RAM) before step `at`. */
function runPpc(steps: readonly PpcStep[], at?: number) {
  let memory = pseriesRam();
  let platform = new RecordingPlatform();
  let ras = ppcVmm(memory, platform);
  const requests: PlatformRequest[] = [];
  const results: string[] = [];
  steps.forEach((s, i) => {
    if (i === at) {
      const snap = JSON.parse(JSON.stringify(ras.migrationSnapshot()));
      requests.push(...platform.requests);
      memory = memory.clone();
      platform = new RecordingPlatform();
      ras = ppcVmm(memory, platform);
      ras.restore(snap);
    }
    results.push(apply(ras, s));
  });
  requests.push(...platform.requests);
  return { results, requests, log: memory.read(LOG_GPA, 256), snapshot: ras.snapshot() };
}

test('VmmRas: a snapshot → restore at any step of a PowerPC flow gives the same result as no snapshot', () => {
  fc.assert(
    fc.property(fc.array(step, { minLength: 1, maxLength: 24 }), fc.nat(), (steps, k) => {
      const plain = runPpc(steps);
      const migrated = runPpc(steps, k % steps.length);
      assert.deepEqual(migrated, plain);
    }),
    { numRuns: 200 },
  );
});

test('VmmRas: one snapshot carries both the GHES engine and the PowerPC state', () => {
  const memory = SparseGuestMemory.virt();
  const ras = new VmmRas({
    memory,
    platform: new RecordingPlatform(),
    ghes: { machine: qemuHestAddrMachine('queue') },
    powerpc: {},
  });
  ras.ghes!.onSigbus({ code: 5, hostAddress: 0x7f00_0000_3000n, addressLsb: 12 });
  ras.powerpc!.register({ sresetAddr: 0x100n, mceAddr: 0x200n, rtasAddr: 0x4100_0000n });
  const snap = JSON.parse(JSON.stringify(ras.snapshot()));
  assert.equal(snap.schema, 'vras/vmm-ras-snapshot/v1');
  assert.equal(snap.ghes.poison.length, 1);
  assert.equal(snap.powerpc.registration.mceAddr, '0x200');
  const dest = new VmmRas({
    memory: memory.clone(),
    platform: new RecordingPlatform(),
    ghes: { machine: qemuHestAddrMachine('queue') },
    powerpc: {},
  });
  dest.restore(snap);
  assert.deepEqual(dest.snapshot(), ras.snapshot());
});

test("VmmRas under refuse-while-poisoned blocks migration while an FWNMI machine check is handled (QEMU's blocker), until ibm,nmi-interlock", () => {
  const ras = new VmmRas({
    memory: pseriesRam(),
    platform: new RecordingPlatform(),
    powerpc: {},
    migration: 'refuse-while-poisoned',
  });
  ras.powerpc!.register(REG);
  apply(ras, { op: 'mce', vcpu: 0, disposition: KvmNmiDisposition.NotRecovered, dar: 0 });
  assert.deepEqual(ras.migrationBlockers(), [
    {
      code: 'fwnmi-in-progress',
      message:
        'A machine check is being handled during migration. The handler may run and log hardware error on the destination',
    },
  ]);
  engineError(() => ras.migrationSnapshot(), 'migration-blocked');
  ras.powerpc!.interlock(0);
  assert.equal(ras.canMigrate(), true);
  const ours = ppcVmm(pseriesRam(), new RecordingPlatform());
  ours.powerpc!.register(REG);
  apply(ours, { op: 'mce', vcpu: 0, disposition: KvmNmiDisposition.NotRecovered, dar: 0 });
  assert.equal(ours.canMigrate(), true, 'allow: the log in flight migrates');
});

test('VmmRas.restore() refuses a snapshot from a VMM with other parts (bad-snapshot)', () => {
  const arm: VmmRasOptions = {
    memory: SparseGuestMemory.virt(),
    platform: new RecordingPlatform(),
    ghes: { machine: qemuHestAddrMachine() },
  };
  const ppc = ppcVmm(pseriesRam(), new RecordingPlatform());
  engineError(() => new VmmRas(arm).restore(ppc.snapshot()), 'bad-snapshot');
  engineError(() => ppc.restore({ ...ppc.snapshot(), schema: 'x' } as never), 'bad-snapshot');
});

test('VmmRas needs GHES sources or PowerPC machine checks (invalid-config)', () => {
  engineError(
    () => new VmmRas({ memory: pseriesRam(), platform: new RecordingPlatform() }),
    'invalid-config',
  );
});
