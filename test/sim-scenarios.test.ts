import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PowerPcMachineCheck, RasEngine, VmmRas } from '../src/engine/index.js';
import {
  allScenarios,
  armScenarioWorld,
  checkOutcome,
  runScenario,
  SCENARIOS,
  scenarioByName,
  scenarioFromJson,
} from '../src/scenarios/index.js';
import { loadScenarioFiles } from '../src/scenarios/node/files.js';
import {
  type ArmWorld,
  buildPpcWorld,
  SimError,
  type TraceEvent,
  type VmmProfile,
} from '../src/sim/index.js';
import { readShared, repoRoot } from './support/shared.js';

/**
 * The kernel lines of a real-guest console excerpt (`N:[ secs] text`), timestamps aside. The
 * excerpts show the console and then dmesg again: a line is the same printk when its timestamp
 * and text are the same, so repeats are dropped. `ACPI:` table lines come from the ACPI core
 * before the HEST is parsed and are not modelled.
 */
export function realGuestKernelLines(name: string): string[] {
  const text = new TextDecoder().decode(
    readShared('reference', 'real-guest', `${name}.excerpt.txt`),
  );
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const m = /^\d+:\[\s*(\d+\.\d+)\] (.*)$/.exec(raw);
    if (m === null) continue;
    const key = `${m[1]} ${m[2]}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (m[2]!.startsWith('ACPI:')) continue;
    out.push(m[2]!);
  }
  return out;
}

loadScenarioFiles();

describe('scenario catalogue', () => {
  it('loads the JSON scenarios beside the catalogue', () => {
    const names = loadScenarioFiles().map((s) => s.name);
    for (const n of ['ao-storm', 'unacked-backlog', 'migration-mid-flow', 'polled-ce-storm']) {
      assert.ok(names.includes(n), n);
      assert.equal(scenarioByName(n)?.name, n);
    }
  });

  it('rejects a JSON scenario without the schema tag with code bad-scenario', () => {
    assert.throws(
      () => scenarioFromJson({ name: 'x', summary: '', world: {}, events: [] }, 'x.json'),
      (e: unknown) =>
        e instanceof SimError && e.code === 'bad-scenario' && /x\.json: schema/.test(e.message),
    );
  });

  it('rejects a JSON event whose stepped field is not a 0x value', () => {
    const doc = {
      schema: 'vras/scenario/v1',
      name: 'bad-step',
      summary: '',
      world: {},
      events: [
        {
          atNs: 0,
          target: 'vmm',
          message: { kind: 'migrate' },
          repeat: { count: 2, step: { hpa: '0x1000' } },
        },
      ],
    };
    assert.throws(
      () => scenarioFromJson(doc),
      (e: unknown) => e instanceof SimError && e.code === 'bad-scenario' && /hpa/.test(e.message),
    );
  });

  it("draws a JSON scenario's jitter from the seed: two seeds, two timelines, same outcome", () => {
    const s = scenarioByName('ao-storm')!;
    const a = runScenario(s, 1n);
    const b = runScenario(s, 2n);
    assert.notEqual(a.world.sim.trace.toJsonl(), b.world.sim.trace.toJsonl());
    assert.equal(a.outcome.recordsDelivered, b.outcome.recordsDelivered);
  });

  for (const s of allScenarios()) {
    it(`${s.name} shows its expected observables`, () => {
      const { outcome } = runScenario(s, 1n);
      assert.deepEqual(outcome.failures, []);
      assert.equal(outcome.recordsLost, 0);
    });
  }

  for (const s of SCENARIOS.filter((x) => x.realGuest !== undefined)) {
    it(`${s.name} prints the lines the real 6.1.192 guest printed in ${s.realGuest}`, () => {
      const { outcome } = runScenario(s, 1n);
      assert.deepEqual(outcome.guestConsole, realGuestKernelLines(s.realGuest!));
    });
  }

  it('reads an excerpt as its kernel lines once each, without timestamps', () => {
    const lines = realGuestKernelLines('fatal-panic');
    assert.equal(lines[0], 'HEST: Table parsing has been initialized.');
    assert.equal(lines.at(-1), 'Kernel panic - not syncing: GHES: Fatal hardware error');
    assert.equal(lines.length, 10);
  });

  it('gives the same guest outcome firmware-first and kernel-first (seed 000)', () => {
    const ff = runScenario(scenarioByName('ar-sea')!, 3n).outcome;
    const kf = runScenario(scenarioByName('ar-sea-kernel-first')!, 3n).outcome;
    assert.deepEqual(ff.killed, kf.killed);
    assert.deepEqual(ff.guestConsole, kf.guestConsole);
  });

  it('reproduces seed 004 cell by cell: panic, panic, unhandled NMI exit, kill or panic', () => {
    const { outcome } = runScenario(scenarioByName('ppc-compat-matrix')!, 1n);
    const table = Object.fromEntries(
      (outcome.cells ?? []).map((c) => [`${c.kernel}/${c.vmm}/${c.where}`, c.result]),
    );
    assert.deepEqual(table, {
      'old/old/user': 'guest-panic',
      'old/old/kernel': 'guest-panic',
      'old/new/user': 'guest-panic',
      'old/new/kernel': 'guest-panic',
      'new/old/user': 'vm-terminated',
      'new/old/kernel': 'vm-terminated',
      'new/new/user': 'process-killed',
      'new/new/kernel': 'guest-panic',
    });
    const user = outcome.cells?.find(
      (c) => c.kernel === 'new' && c.vmm === 'new' && c.where === 'user',
    );
    assert.equal(
      user?.guestConsole[0],
      'MCE: CPU0: machine check (Severe)  UE Load/Store [Not recovered]',
    );
  });

  it('checkOutcome names every expectation a run misses', () => {
    const facts = runScenario(scenarioByName('ar-sea')!, 1n).outcome;
    const failures = checkOutcome(
      {
        guestPanic: 'x',
        hostPanic: true,
        killedCode: null,
        recordsDelivered: 2,
        guestLines: ['nope'],
      },
      facts,
    );
    assert.equal(failures.length, 5);
    assert.match(failures[0]!, /^guest panic: expected "x", got null$/);
  });

  it('replays the same trace from the same seed', () => {
    const s = scenarioByName('ar-sea')!;
    const a = runScenario(s, 7n).world.sim.trace.toJsonl();
    const b = runScenario(s, 7n).world.sim.trace.toJsonl();
    assert.equal(a, b);
    assert.ok(a.length > 0);
  });

  const events = (trace: { readonly events: readonly TraceEvent[] }, ev: string, src = 'vmm') =>
    trace.events.filter((e) => e.ev === ev && e.src.endsWith(src));

  it("the VMM component is the engine itself: a VmmRas around a RasEngine, and its snapshot is the engine's", () => {
    const { world } = runScenario(scenarioByName('ar-sea')!, 1n);
    const vmm = (world as ArmWorld).vmm;
    assert.ok(vmm.ras instanceof VmmRas);
    assert.ok(vmm.engine instanceof RasEngine);
    assert.equal(vmm.ras.ghes, vmm.engine);
    assert.equal(vmm.engine.stats().sources[0]?.posted, 1);
    const snap = world.sim.snapshot().components.vmm as {
      ras: { schema: string; ghes: { schema: string } };
    };
    assert.equal(snap.ras.schema, 'vras/vmm-ras-snapshot/v1');
    assert.equal(snap.ras.ghes.schema, 'vras/engine-snapshot/v1');
    assert.deepEqual(snap.ras, JSON.parse(JSON.stringify(vmm.ras.snapshot())));
  });

  it("the PowerPC VMM's FWNMI state is in the same VmmRas snapshot (no separate engine snapshot)", () => {
    const world = buildPpcWorld(1n, [{ kernel: 'new', vmm: 'new', where: 'user' }]);
    world.sim.run({ untilNs: 500_000_000 });
    const vm = world.vms[0]!;
    assert.ok(vm.vmm.engine instanceof PowerPcMachineCheck);
    assert.equal(vm.vmm.ras?.powerpc, vm.vmm.engine);
    const snap = world.sim.snapshot().components[`${vm.prefix}.vmm`] as {
      ras: { schema: string; ghes: null; powerpc: { registration: { mceAddr: string } } };
    };
    assert.equal(snap.ras.schema, 'vras/vmm-ras-snapshot/v1');
    assert.equal(snap.ras.ghes, null);
    assert.equal(snap.ras.powerpc.registration.mceAddr, '0x7400');
  });

  it("serror-vmm-esr: the VMM's chosen ISS 0xc11 reaches the guest with KVM_CAP_ARM_INJECT_SERROR_ESR, KVM's IMPLEMENTATION DEFINED default without it", () => {
    const chosen = runScenario(scenarioByName('serror-vmm-esr')!, 1n).world.sim.trace;
    assert.deepEqual(
      events(chosen, 'request').map((e) => e.iss),
      ['0xc11'],
    );
    assert.deepEqual(
      events(chosen, 'serror', 'guest.kernel').map((e) => e.esr),
      ['0xbe000c11'],
    );
    const ids = runScenario(scenarioByName('serror-vmm-ids')!, 1n).world.sim.trace;
    assert.deepEqual(events(ids, 'request'), [
      { t: 1000006100, src: 'vmm', ev: 'request', kind: 'inject-serror', vcpu: 0 },
    ]);
    assert.deepEqual(
      events(ids, 'serror', 'guest.kernel').map((e) => e.esr),
      ['0xbf000000'],
    );
  });

  it("migration under the QEMU profile is refused with QEMU's hwpoison message once a page is poisoned; the vras profile migrates", () => {
    const qemu = runScenario(scenarioByName('migration-qemu-refused')!, 1n).world.sim.trace;
    assert.deepEqual(
      events(qemu, 'migration').map((e) => [e.allowed, e.reason]),
      [
        [true, undefined],
        [
          false,
          "Can't migrate this vm with hardware poisoned memory, please reboot the vm and try again",
        ],
      ],
    );
    const vras = runScenario(scenarioByName('migration-mid-flow')!, 1n).world.sim.trace;
    assert.deepEqual(
      events(vras, 'migration').map((e) => [e.allowed, e.poisonedPages]),
      [
        [true, 0],
        [true, 1],
      ],
    );
  });

  it("a harness record posted without notification raises none, as the engine's record event says", () => {
    const trace = runScenario(scenarioByName('sea-invalid-address')!, 1n).world.sim.trace;
    const written = events(trace, 'record-written');
    assert.equal(written.length, 1);
    assert.equal(written[0]!.notified, false);
    assert.deepEqual(events(trace, 'request'), []);
  });

  it("traces each record from the engine's events: backlog records marked fromBacklog, sizes given, no counter diffing", () => {
    const { world } = runScenario(scenarioByName('unacked-backlog')!, 1n);
    const written = events(world.sim.trace, 'record-written');
    const queued = events(world.sim.trace, 'record-queued');
    assert.ok(queued.length > 0);
    assert.equal(written.filter((e) => e.fromBacklog === true).length, queued.length);
    assert.ok(written.every((e) => e.size === 172));
    assert.equal(written.length, (world as ArmWorld).vmm.recordsWritten);
  });

  /** 16 scrubbed UEs 10 µs apart on QEMU 10.2's machine, faster than the guest acknowledges. */
  const storm = (vmm: VmmProfile) =>
    armScenarioWorld({ mode: 'firmware-first', machine: 'qemu-10.2', processes: [], vmm }, [
      ...Array.from({ length: 16 }, (_, i) => ({
        atNs: 1_000_000_000 + i * 10_000,
        target: 'hw.dram',
        message: {
          kind: 'inject',
          hpa: 0x8a000_0000n + BigInt(i) * 0x2000n,
          type: 'ue',
          scrub: true,
        },
      })),
    ])(1n, true);

  it("loses AO records under QEMU's reject policy that the vras engine queues and delivers", () => {
    const qemu = storm('qemu');
    qemu.sim.run({ untilNs: 5_000_000_000 });
    const q = qemu.facts();
    const rejected = qemu.vmm.engine.stats().sources.find((x) => x.id === 1)?.rejected ?? 0;
    assert.ok(rejected > 0, 'QEMU policy rejects records while the GPIO source is unacked');
    assert.equal(q.recordsLost, rejected);
    assert.equal(q.recordsDelivered + q.recordsLost, 16);
    const vras = storm('vras');
    vras.sim.run({ untilNs: 5_000_000_000 });
    assert.equal(vras.facts().recordsLost, 0);
    assert.equal(vras.facts().recordsDelivered, 16);
  });

  for (const name of [
    'ar-sea',
    'ppc-compat-matrix',
    'polled-corrected',
    'serror-vmm-esr',
    'unacked-backlog',
    'migration-qemu-refused',
  ]) {
    it(`${name} gives the same trace when snapshotted and restored at any event`, () => {
      const s = scenarioByName(name)!;
      const whole = runScenario(s, 5n).world.sim;
      const want = whole.trace.toJsonl();
      for (let k = 0; k <= whole.eventsRun; k++) {
        const first = s.build(5n, true);
        first.sim.run({ maxEvents: k });
        const snap = first.sim.snapshot();
        const second = s.build(5n, true);
        second.sim.restore(snap);
        second.sim.run({ untilNs: s.durationNs ?? 10_000_000_000 });
        assert.equal(second.sim.trace.toJsonl(), want, `restored at event ${k}`);
      }
    });
  }
});

/**
 * The kernel lines of a real-guest harness fixture (test/fixtures/real-guest/6.1/NAME.txt):
 * header comments, the harness's own user-space lines (`VRAS:`, `VICTIM:`, the shell's `Bus
 * error`) and the ACPI core's table lines dropped. The harness runs its scenarios in one boot,
 * so the `{N}` record counter is replaced by `{#}` on both sides.
 */
export function fixtureKernelLines(name: string): string[] {
  const path = join(repoRoot, 'test', 'fixtures', 'real-guest', '6.1', `${name}.txt`);
  return readFileSync(path, 'utf8')
    .split(/\r?\n/)
    .filter(
      (l) =>
        l !== '' && !l.startsWith('#') && !/^(VRAS:|VICTIM:|ACPI:)/.test(l) && l !== 'Bus error',
    )
    .map(withoutCounter);
}

const withoutCounter = (line: string): string => line.replace(/^\{\d+\}\[/, '{#}[');

describe('simulated guest against the real-guest harness fixtures (Linux 6.1.192)', () => {
  const BOOT_END = 'GHES: Failed to enable APEI firmware first mode.';

  // The harness counterparts (harness-*) replay a shared boot: test/sim-harness.test.ts.
  for (const s of allScenarios().filter(
    (x) => x.realGuestFixture !== undefined && !x.name.startsWith('harness-'),
  )) {
    it(`${s.name} boots with the lines the real guest printed for the same HEST (boot-ghes)`, () => {
      const con = runScenario(s, 1n).outcome.guestConsole;
      const boot = con.slice(0, con.indexOf(BOOT_END) + 1);
      assert.deepEqual(boot, fixtureKernelLines('boot-ghes'));
    });

    it(`${s.name} prints the lines the real guest printed in ${s.realGuestFixture}`, () => {
      const con = runScenario(s, 1n).outcome.guestConsole;
      const after = con.slice(con.indexOf(BOOT_END) + 1).map(withoutCounter);
      assert.deepEqual(after, fixtureKernelLines(s.realGuestFixture!));
    });
  }

  it('sea-ram: the SEA source registers, the SEI source does not, as on the real 6.1 guest', () => {
    const { world } = runScenario(scenarioByName('sea-ram')!, 1n);
    const registered = world.sim.trace.events.find((e) => e.ev === 'ghes-registered');
    assert.deepEqual(registered?.sources, [0, 1, 2]);
    assert.deepEqual(
      world.facts().killed.map((k) => `${k.comm}:${k.pid} ${k.code}`),
      ['devmem:100 SIGBUS BUS_OBJERR', 'victim:89 SIGBUS BUS_MCEERR_AR'],
    );
  });
});

describe('snapshot and restore in every scenario', () => {
  // Small scenarios are restored at every event (the list above); larger ones at 12 events
  // drawn from a fixed stream, first and last included.
  for (const s of allScenarios()) {
    it(`${s.name} gives the same trace when restored at events spread over the run`, () => {
      const whole = runScenario(s, 7n).world.sim;
      const want = whole.trace.toJsonl();
      const n = whole.eventsRun;
      const points = new Set([0, n]);
      let x = 0x9e3779b9;
      while (points.size < Math.min(n + 1, 14)) {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        points.add(x % (n + 1));
      }
      for (const k of points) {
        const first = s.build(7n, true);
        first.sim.run({ maxEvents: k });
        const second = s.build(7n, true);
        second.sim.restore(first.sim.snapshot());
        second.sim.run({ untilNs: s.durationNs ?? 10_000_000_000 });
        assert.equal(second.sim.trace.toJsonl(), want, `restored at event ${k} of ${n}`);
      }
    });
  }
});
