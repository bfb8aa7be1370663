import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { MAIN_ORDER } from '../src/guest/scenarios.js';
import {
  HARNESS_CAPTURES,
  HARNESS_MAIN_ORDER,
  HARNESS_SCENARIOS,
  type HarnessKernel,
  type HarnessScenario,
  runScenario,
  scenarioByName,
  scenarioFromJson,
} from '../src/scenarios/index.js';
import { pollDelayNs, SimError } from '../src/sim/index.js';
import { repoRoot } from './support/shared.js';

const KERNELS: readonly HarnessKernel[] = ['6.1', '6.12', '7.3'];

it("the harness captures follow the real harness's main-group order (guest MAIN_ORDER)", () => {
  assert.deepEqual([...HARNESS_MAIN_ORDER], [...MAIN_ORDER]);
});

/** A real-guest harness fixture (test/fixtures/real-guest/KERNEL/NAME.txt), split in lines. */
function fixture(kernel: string, name: string): string[] {
  const path = join(repoRoot, 'test', 'fixtures', 'real-guest', kernel, `${name}.txt`);
  return readFileSync(path, 'utf8').split(/\r?\n/);
}

/**
 * The kernel's lines of a fixture: header comments, the harness's own user-space lines
 * (`VRAS:`, `VICTIM:`, the shell's `Bus error`) and the ACPI core's table lines dropped.
 * Printk timestamps were stripped by the capture; the `{N}` record counter is kept (the
 * counterparts replay the shared boot, so it is the same).
 */
function fixtureKernelLines(kernel: string, name: string): string[] {
  return fixture(kernel, name).filter(
    (l) => l !== '' && !l.startsWith('#') && !/^(VRAS:|VICTIM:|ACPI:)/.test(l) && l !== 'Bus error',
  );
}

/** The `# record source=N HEX` header lines of a fixture. */
function fixtureRecords(kernel: string, name: string): { sourceId: number; hex: string }[] {
  return fixture(kernel, name).flatMap((l) => {
    const m = /^# record source=(\d+) ([0-9a-f]+)$/.exec(l);
    return m === null ? [] : [{ sourceId: Number(m[1]), hex: m[2]! }];
  });
}

/** The guest console a counterpart printed from its own start, for `kernel`. */
function counterpartLines(s: HarnessScenario, kernel: HarnessKernel): string[] {
  const w = s.build(1n, false, { kernel });
  w.sim.run({ untilNs: s.realGuestFromNs(kernel) });
  const from = w.facts().guestConsole.length;
  w.sim.run({ untilNs: s.realGuestToNs(kernel) });
  return w.facts().guestConsole.slice(from);
}

describe('real-guest harness counterparts: the records, victims and pids of each capture', () => {
  for (const kernel of KERNELS) {
    it(`writes the very records of the ${kernel} fixture headers, scenario by scenario`, () => {
      const c = HARNESS_CAPTURES[kernel];
      for (const step of [...HARNESS_MAIN_ORDER, 'fatal'] as const) {
        assert.deepEqual(c.records[step], fixtureRecords(kernel, step), step);
      }
    });

    it(`runs the victims the ${kernel} capture reported (pid, vaddr, paddr)`, () => {
      const c = HARNESS_CAPTURES[kernel];
      for (const step of ['early-kill', 'late-kill', 'sea-ram'] as const) {
        const line = fixture(kernel, step).find((l) => l.startsWith('VICTIM: pid='))!;
        const v = c.victims[step];
        assert.match(
          line,
          new RegExp(
            `^VICTIM: pid=${v.pid} vaddr=0x${v.vaddr.toString(16)} .* paddr=0x${v.paddr.toString(16)} `,
          ),
          step,
        );
      }
      assert.ok(
        fixture(kernel, 'sea').some((l) => l.includes(`devmem:${c.seaDevmemPid}`)),
        'the sea fixture names devmem with this pid',
      );
    });
  }
});

describe('real-guest harness counterparts print what each real kernel printed', () => {
  for (const kernel of KERNELS) {
    for (const s of HARNESS_SCENARIOS) {
      if (s.name === 'harness-fatal' && kernel === '6.12') continue;
      it(`${s.name} on ${kernel} prints the lines of real-guest/${kernel}/${s.realGuestFixture}.txt`, () => {
        assert.deepEqual(
          counterpartLines(s, kernel),
          fixtureKernelLines(kernel, s.realGuestFixture),
        );
      });
    }

    it(`the main group boots on ${kernel} with the lines of real-guest/${kernel}/boot-ghes.txt`, () => {
      const s = scenarioByName('harness-polled-corrected') as HarnessScenario;
      const w = s.build(1n, false, { kernel });
      w.sim.run({ untilNs: s.realGuestFromNs(kernel) });
      assert.deepEqual(w.facts().guestConsole, fixtureKernelLines(kernel, 'boot-ghes'));
    });
  }

  it('harness-fatal on 6.12 prints the fixture up to the panic; the capture also caught the dump_stack header after it', () => {
    const want = fixtureKernelLines('6.12', 'fatal');
    const panic = want.indexOf('Kernel panic - not syncing: GHES: Fatal hardware error');
    assert.ok(panic > 0);
    // The capture stops at the panic line; on 6.12 one more line had reached the console (the
    // kernel build's dump_stack header, not modelled). 6.1 and 7.3 stopped at the panic.
    assert.deepEqual(want.slice(panic + 1).length, 1);
    assert.match(want[panic + 1]!, /^CPU: 0 UID: 0 PID: 0 Comm: swapper\/0 Tainted: /);
    const s = scenarioByName('harness-fatal') as HarnessScenario;
    assert.deepEqual(counterpartLines(s, '6.12'), want.slice(0, panic + 1));
  });

  it('queue: 6.1 and 6.12 print 1 of 8 queued records and report 7 suppressed at arm-multi; 7.3 prints 3', () => {
    const suppressed = (kernel: HarnessKernel, name: string) =>
      counterpartLines(scenarioByName(name) as HarnessScenario, kernel).filter((l) =>
        l.endsWith('callbacks suppressed'),
      );
    assert.deepEqual(suppressed('6.1', 'harness-queue'), []);
    assert.deepEqual(suppressed('6.1', 'harness-arm-multi'), [
      'ghes_print_estatus: 7 callbacks suppressed',
    ]);
    assert.deepEqual(suppressed('7.3', 'harness-queue'), [
      'ghes_print_estatus: 5 callbacks suppressed',
    ]);
    assert.deepEqual(suppressed('7.3', 'harness-arm-multi'), []);
  });

  it('every counterpart shows its expected observables on every kernel', () => {
    for (const kernel of KERNELS) {
      for (const s of HARNESS_SCENARIOS) {
        const { outcome } = runScenario(s, 1n, false, undefined, { kernel });
        assert.deepEqual(outcome.failures, [], `${s.name} on ${kernel}`);
      }
    }
  });

  it('sea on 7.3 kills devmem from memory_failure (BUS_MCEERR_AR), on 6.1 with the forced SIGBUS', () => {
    const s = scenarioByName('harness-sea')!;
    const devmem = (kernel: HarnessKernel) =>
      runScenario(s, 1n, false, undefined, { kernel })
        .outcome.killed.filter((k) => k.pid === HARNESS_CAPTURES[kernel].seaDevmemPid)
        .map((k) => k.code);
    assert.deepEqual(devmem('7.3'), ['SIGBUS BUS_MCEERR_AR']);
    assert.deepEqual(devmem('6.1'), ['SIGBUS']);
  });
});

describe('the guest kernel option and the poll cadence', () => {
  it('pollDelayNs() rounds a 100 ms poll as round_jiffies_relative() does: x.0, x.1, x.2, then the next second', () => {
    const MS = 1_000_000;
    assert.equal(pollDelayNs(200 * MS, 100), 800 * MS);
    assert.equal(pollDelayNs(1000 * MS, 100), 100 * MS);
    assert.equal(pollDelayNs(1100 * MS, 100), 100 * MS);
    assert.equal(pollDelayNs(1200 * MS, 100), 800 * MS);
    assert.equal(pollDelayNs(1150 * MS, 100), 850 * MS);
    assert.equal(pollDelayNs(0, 5000), 5000 * MS);
  });

  const doc = (world: Record<string, unknown>) => ({
    schema: 'vras/scenario/v1',
    name: 'kernel-option',
    summary: '',
    world: {
      machine: {
        layout: 'hest-addr',
        sources: [
          { id: 0, notification: 0, pollIntervalMs: 100 },
          { id: 3, notification: 9 },
        ],
      },
      ...world,
    },
    events: [],
  });

  it("a JSON scenario's world.kernel picks the guest kernel's printk formats", () => {
    const probe = (world: Record<string, unknown>) =>
      runScenario(scenarioFromJson(doc(world)), 1n, false).outcome.guestConsole.find((l) =>
        l.includes('probe'),
      );
    assert.equal(probe({}), 'GHES: probe of GHES.3 failed with error -22');
    assert.equal(
      probe({ kernel: '7.3' }),
      'GHES GHES.3: probe with driver GHES failed with error -22',
    );
  });

  it('rejects a JSON world.kernel that is not a measured kernel with code bad-scenario', () => {
    assert.throws(
      () => scenarioFromJson(doc({ kernel: '5.10' })),
      (e: unknown) =>
        e instanceof SimError && e.code === 'bad-scenario' && /world\.kernel/.test(e.message),
    );
  });

  it('refuses a post-bytes record that is not hex with code bad-message', () => {
    const s = scenarioFromJson({
      ...doc({}),
      events: [
        {
          atNs: 1_000_000_000,
          target: 'vmm',
          message: { kind: 'post-bytes', sourceId: 0, hex: '12zz', notify: false },
        },
      ],
    });
    assert.throws(
      () => runScenario(s, 1n, false),
      (e: unknown) =>
        e instanceof SimError && e.code === 'bad-message' && /not a hex digit/.test(e.message),
    );
  });
});
