// Runs the real-guest scenarios: one boot per group, at most two QEMUs at once (the machine
// has two cores), and keeps the console log, the records written and the seed of every group
// with a failed scenario under <cache>/failures/. Exported for the CLI, the tests and
// `npm run bench` (boot time and write-to-decode latency).

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheRoot, type GuestManifest } from './cache.js';
import {
  type GroupId,
  type GroupResult,
  runGroup,
  SCENARIOS,
  type ScenarioId,
} from './scenarios.js';

export interface SuiteOptions {
  readonly manifest: GuestManifest;
  readonly only?: readonly ScenarioId[];
  readonly concurrency?: number;
  readonly seed?: number;
  /** Where failure artifacts go (default <cache>/failures). */
  readonly failuresDir?: string;
  readonly onGroup?: (result: GroupResult) => void;
}

export interface SuiteResult {
  readonly groups: readonly GroupResult[];
  readonly wallMs: number;
  readonly passed: number;
  readonly failed: number;
  /** Directories holding artifacts of failed groups. */
  readonly artifacts: readonly string[];
}

export function scenarioIdOf(name: string): ScenarioId | undefined {
  return SCENARIOS.find((s) => s.id === name || String(s.n) === name)?.id;
}

/** Groups to boot for the wanted scenarios, the longest first. */
export function groupsFor(only: readonly ScenarioId[] | undefined): GroupId[] {
  const order: GroupId[] = ['main', 'fatal', 'qemu-ras'];
  return order.filter((g) =>
    SCENARIOS.some((s) => s.group === g && (only === undefined || only.includes(s.id))),
  );
}

export function saveFailure(dir: string, result: GroupResult): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const out = join(dir, `${stamp}-${result.group}`);
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'console.log'), `${result.console}\n`);
  const { console: _console, ...rest } = result;
  writeFileSync(join(out, 'result.json'), `${JSON.stringify(rest, null, 2)}\n`);
  writeFileSync(join(out, 'seed'), `${result.seed}\n`);
  return out;
}

export async function runGuestSuite(options: SuiteOptions): Promise<SuiteResult> {
  const started = performance.now();
  const queue = groupsFor(options.only);
  const groups: GroupResult[] = [];
  const artifacts: string[] = [];
  const failuresDir = options.failuresDir ?? join(cacheRoot(), 'failures');
  const worker = async (): Promise<void> => {
    for (;;) {
      const group = queue.shift();
      if (group === undefined) return;
      const result = await runGroup(group, {
        manifest: options.manifest,
        ...(options.only === undefined ? {} : { only: options.only }),
        ...(options.seed === undefined ? {} : { seed: options.seed }),
      });
      groups.push(result);
      if (result.scenarios.some((s) => !s.ok) || result.error !== undefined)
        artifacts.push(saveFailure(failuresDir, result));
      options.onGroup?.(result);
    }
  };
  const n = Math.max(1, Math.min(2, options.concurrency ?? 2));
  await Promise.all(Array.from({ length: n }, worker));
  const all = groups.flatMap((g) => g.scenarios);
  return {
    groups,
    wallMs: performance.now() - started,
    passed: all.filter((s) => s.ok).length,
    failed: all.filter((s) => !s.ok).length,
    artifacts,
  };
}

/** One line per scenario: verdict, boot time of its group and write-to-decode latency. */
export function formatGroup(result: GroupResult): string[] {
  const lines: string[] = [];
  const boot = result.bootMs === undefined ? 'n/a' : `${(result.bootMs / 1000).toFixed(2)} s`;
  for (const s of result.scenarios) {
    const meta = SCENARIOS.find((x) => x.id === s.id)!;
    const lat =
      s.latenciesMs.length === 0
        ? 'n/a'
        : `${s.latenciesMs.map((ms) => `${ms.toFixed(1)}`).join('/')} ms`;
    lines.push(
      `${s.ok ? 'PASS' : 'FAIL'}  ${meta.n}. ${s.id.padEnd(16)} boot ${boot} (${result.group})  write→decode ${lat}`,
    );
    if (!s.ok) lines.push(`      ${s.error?.split('\n').join('\n      ')}`);
  }
  return lines;
}

export interface GuestBenchFigures {
  /** Host ms from QEMU spawn to the guest init's READY, per group. */
  readonly bootMs: Readonly<Record<string, number>>;
  /** Guest uptime (s) when init was ready, per group. */
  readonly guestBootS: Readonly<Record<string, number>>;
  /** Median write-to-decode latency (ms) per scenario. */
  readonly latencyMs: Readonly<Record<string, number>>;
  readonly wallMs: number;
}

/** Boot times and write-to-decode latencies of a suite run, for `npm run bench`. */
export function guestBenchFigures(result: SuiteResult): GuestBenchFigures {
  const bootMs: Record<string, number> = {};
  const guestBootS: Record<string, number> = {};
  const latencyMs: Record<string, number> = {};
  for (const g of result.groups) {
    if (g.bootMs !== undefined) bootMs[g.group] = g.bootMs;
    if (g.guestBootS !== undefined) guestBootS[g.group] = g.guestBootS;
    for (const s of g.scenarios) {
      const sorted = [...s.latenciesMs].sort((a, b) => a - b);
      if (sorted.length > 0) latencyMs[s.id] = sorted[Math.floor(sorted.length / 2)]!;
    }
  }
  return { bootMs, guestBootS, latencyMs, wallMs: result.wallMs };
}
