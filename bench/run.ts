// `npm run bench`: every benchmark vras reports, as per-operation times and ratios to the
// goals in the issues, with the machine noted. Speed is measured here, never in tests.

import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import type { Bench } from 'tinybench';
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

const machine = `${cpus()[0]?.model ?? 'unknown CPU'} ×${cpus().length}, Node ${process.version}`;
console.error(`vras bench on ${machine}`);

if (want('codec')) {
  const inputs = codecInputs(sharedRoot);
  const bench = await codecBench(inputs, time);
  fromBench('codec', bench, { [`decode memory block (${inputs.memory.length} B)`]: 2000 });
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
