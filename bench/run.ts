// `npm run bench`: every benchmark vras reports, as per-operation times and ratios to the
// goals in the issues, with the machine noted. Speed is measured here, never in tests.

import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { Bench } from 'tinybench';
import { runRecordAckCycles } from '../src/engine/index.js';
import { readManifest } from '../src/guest/cache.js';
import { hasNewerQemu } from '../src/guest/newer.js';
import { guestBenchFigures, runGuestSuite } from '../src/guest/runner.js';
import { engineAoFigures, injectBenchFigures } from '../src/inject/bench.js';
import { benchSimulatedErrors } from '../src/sim/bench.js';
import { sharedRoot } from '../test/support/shared.js';
import { codecBench, codecInputs } from './codec.js';

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    time: { type: 'string', default: '500' },
    json: { type: 'boolean', default: false },
  },
});
const time = Number(values.time);

export interface Figure {
  readonly group: string;
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly goal?: { readonly value: number; readonly better: 'lower' | 'higher' };
}

const figures: Figure[] = [];

function fromBench(group: string, bench: Bench, goals: Record<string, number> = {}): void {
  for (const task of bench.tasks) {
    const r = task.result;
    if (r === undefined || r.error !== undefined) {
      throw new Error(`benchmark ${task.name} failed: ${String(r?.error ?? 'no result')}`);
    }
    const ns = r.latency.mean * 1e6;
    const goal = goals[task.name];
    figures.push({
      group,
      name: task.name,
      value: ns,
      unit: 'ns/op',
      ...(goal === undefined ? {} : { goal: { value: goal, better: 'lower' as const } }),
    });
  }
}

function want(group: string): boolean {
  return values.only === undefined || values.only.split(',').includes(group);
}

const machine = `${cpus()[0]?.model ?? 'unknown CPU'} ×${cpus().length}, Node ${process.version}, load average ${loadavg()[0]!.toFixed(1)} at start`;
console.error(`vras bench on ${machine}`);

if (want('codec')) {
  const inputs = codecInputs(sharedRoot);
  const bench = await codecBench(inputs, time);
  fromBench('codec', bench, { [`decode memory block (${inputs.memory.length} B)`]: 2000 });
}

if (want('engine')) {
  // Record → guest ack → next record, one source, the guest model acking at once.
  const cycles = 200_000;
  runRecordAckCycles(10_000);
  const t0 = performance.now();
  const consumed = runRecordAckCycles(cycles);
  const ms = performance.now() - t0;
  if (consumed !== cycles)
    throw new Error(`engine bench: ${consumed} of ${cycles} records consumed`);
  figures.push({
    group: 'engine',
    name: 'record → ack cycle',
    value: (ms * 1e6) / cycles,
    unit: 'ns/op',
  });
  figures.push({
    group: 'engine',
    name: 'records per second',
    value: (cycles * 1000) / ms,
    unit: 'records/s',
  });
}

if (want('sim')) {
  const now = () => performance.now();
  const pct = (r: { summary: { uncorrectedFraction: number } }) =>
    `${(r.summary.uncorrectedFraction * 100).toPrecision(2)}% uncorrected`;
  // Field mix (Schroeder 2009 rates): nearly every error is corrected and takes the fast path.
  benchSimulatedErrors(now, 20_000, 1_000);
  const small = benchSimulatedErrors(now, 200_000, 1_000);
  if (small.summary.recordsLost !== 0) throw new Error('sim bench lost records');
  figures.push({
    group: 'sim',
    name: `field-mix simulated errors (1 core; ${pct(small)}, ${small.fullStackErrors} of ${small.errors} through the full stack)`,
    value: small.errorsPerSecond,
    unit: 'errors/s',
    goal: { value: 100_000, better: 'higher' },
  });
  const full = benchSimulatedErrors(now, 1_000_000, 10_000);
  if (full.summary.recordsLost !== 0) throw new Error('sim bench lost records');
  figures.push({
    group: 'sim',
    name: `field mix: 1M errors over 10k VMs (wall; ${pct(full)}, ${full.fullStackErrors} full-stack)`,
    value: full.milliseconds / 1000,
    unit: 's',
    goal: { value: 30, better: 'lower' },
  });
  // Full stack alone: only uncorrected errors, each through hardware → EL3 → host kernel → KVM
  // → VMM engine → guest kernel (host-kernel-memory UEs, 3%, stop at the host's panic).
  benchSimulatedErrors(now, 2_000, 200, 1n, 'uncorrected');
  const ue = benchSimulatedErrors(now, 50_000, 1_000, 1n, 'uncorrected');
  if (ue.summary.recordsLost !== 0 || ue.summary.failures.length > 0)
    throw new Error(`sim bench full stack: ${ue.summary.failures[0] ?? 'records lost'}`);
  figures.push({
    group: 'sim',
    name: `full-stack uncorrected error (${ue.fullStackErrors} of ${ue.errors} through every layer)`,
    value: ue.microsecondsPerError * 1000,
    unit: 'ns/op',
  });
  figures.push({
    group: 'sim',
    name: 'full-stack uncorrected errors per second (1 core)',
    value: ue.errorsPerSecond,
    unit: 'errors/s',
    goal: { value: 10_000, better: 'higher' },
  });
}

if (want('guest')) {
  const manifest = readManifest();
  if (manifest === undefined) {
    console.error('bench: guest figures skipped: run `bin/vras guest setup` first');
  } else {
    const result = await runGuestSuite({ manifest });
    const g = guestBenchFigures(result);
    for (const [group, ms] of Object.entries(g.bootMs)) {
      figures.push({
        group: 'real guest',
        name: `boot to ready (${group})`,
        value: ms,
        unit: 'ms',
      });
    }
    for (const [id, ms] of Object.entries(g.latencyMs)) {
      figures.push({
        group: 'real guest',
        name: `write → decode median (${id})`,
        value: ms,
        unit: 'ms',
      });
    }
    figures.push({
      group: 'real guest',
      name: 'whole suite (wall)',
      value: g.wallMs / 1000,
      unit: 's',
      goal: { value: 120, better: 'lower' },
    });
  }
}

if (want('inject')) {
  const manifest = readManifest();
  if (manifest === undefined || !hasNewerQemu(manifest)) {
    console.error('bench: inject figures skipped: run `bin/vras guest setup` (QEMU 11.1) first');
  } else {
    const f = await injectBenchFigures(manifest);
    const g = `inject (QEMU ${f.qemu}, Linux ${f.kernel})`;
    figures.push({
      group: g,
      name: 'QMP command, persistent connection',
      value: f.persistentCommandMs,
      unit: 'ms',
      goal: { value: 1, better: 'lower' },
    });
    figures.push({
      group: g,
      name: 'record → guest ack, persistent',
      value: f.persistentCycleMs,
      unit: 'ms',
    });
    figures.push({
      group: g,
      name: 'one-shot bin/vras inject (wall)',
      value: f.oneShotCliMs,
      unit: 'ms',
      goal: { value: 44, better: 'lower' },
    });
    figures.push({
      group: g,
      name: 'node -e 0 (floor of any one-shot CLI)',
      value: f.nodeStartupMs,
      unit: 'ms',
    });
    figures.push({
      group: g,
      name: 'one-shot inside a process',
      value: f.oneShotInProcessMs,
      unit: 'ms',
    });
    figures.push({
      group: g,
      name: 'command → guest [Hardware Error] line',
      value: f.commandToLineMs,
      unit: 'ms',
    });
    const ao = await engineAoFigures(manifest);
    figures.push({
      group: g,
      name: 'engine AO: host SIGBUS → victim SIGBUS',
      value: ao.sigbusToVictimMs,
      unit: 'ms',
    });
    figures.push({
      group: g,
      name: 'engine AO: engine step (xp, engine, QMP)',
      value: ao.engineStepMs,
      unit: 'ms',
    });
  }
}

function fmt(f: Figure): string {
  const v =
    f.unit === 'ns/op' && f.value >= 1000
      ? `${(f.value / 1000).toFixed(2)} µs/op`
      : `${f.value.toFixed(f.value < 10 ? 2 : 0)} ${f.unit}`;
  if (f.goal === undefined) return v;
  const ratio = f.goal.better === 'lower' ? f.goal.value / f.value : f.value / f.goal.value;
  const goalText = f.unit === 'ns/op' ? `${f.goal.value / 1000} µs` : `${f.goal.value} ${f.unit}`;
  return `${v}  (goal ${goalText}: ${ratio.toFixed(1)}× ${ratio >= 1 ? 'better' : 'WORSE'})`;
}

if (values.json) {
  console.log(JSON.stringify({ machine, figures }, null, 2));
} else {
  console.log(`machine: ${machine}`);
  let group = '';
  for (const f of figures) {
    if (f.group !== group) {
      group = f.group;
      console.log(`\n${group}`);
    }
    console.log(`  ${f.name.padEnd(44)} ${fmt(f)}`);
  }
}
