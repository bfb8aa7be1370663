// `vras simulate`: runs a scenario of the deterministic simulator and prints a readable log per
// layer and an outcome summary (or, with --json, the outcome as JSON). Every failure prints the
// seed and the command that replays it.
//
//   vras simulate SCENARIO [--seed N] [--kernel K] [--trace FILE] [--json] [--quiet]
//   vras simulate --list

import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { KERNEL_VERSIONS, type KernelVersion, toJson } from '../codec/index.js';
import {
  allScenarios,
  type Outcome,
  outcomeOf,
  type Scenario,
  scenarioByName,
} from '../scenarios/index.js';
import { loadScenarioFiles } from '../scenarios/node/files.js';
import { parseSeed, type TraceEvent } from '../sim/index.js';
import { CliError, parseCommandLine } from './io.js';

const USAGE = `usage: vras simulate SCENARIO [--seed N] [--kernel K] [--trace FILE] [--json] [--quiet]
       vras simulate --list

Runs SCENARIO in the deterministic full-stack simulator (hardware, EL3 firmware, host kernel,
KVM, VMM, guest firmware, guest kernel) and prints each layer's steps and an outcome summary.

options:
  --seed N        root seed, decimal or 0x hex (default 1); the same seed replays the same run
  --kernel K      guest kernel: 6.1 (default), 6.12, 7.3 or newer (= 7.3); the harness-*
                  scenarios use that kernel's records, pids and timeline
  --trace FILE    write the JSONL trace to FILE
  --json          print the outcome as a vras/v1 JSON document instead of the log
  --quiet         print only the outcome summary
  --list          list the scenarios`;

/** Which layer a component id belongs to, for the log's left column. */
export function layerOf(src: string): string {
  const id = src.startsWith('ppc.') ? src.split('.').slice(4).join('.') : src;
  if (id.startsWith('hw.')) return 'hardware';
  if (id.startsWith('fw.')) return 'EL3 firmware';
  if (id === 'host.kernel') return 'host kernel';
  if (id === 'host.kvm') return 'KVM';
  if (id === 'vmm') return 'VMM';
  if (id === 'guest.fw') return 'guest firmware';
  if (id.startsWith('guest.')) return 'guest kernel';
  return id;
}

function seconds(ns: number): string {
  return `${Math.floor(ns / 1e9)}.${String(ns % 1e9).padStart(9, '0')}`;
}

/** One trace event as a log line: time, layer, what happened and its fields. */
export function formatEvent(e: TraceEvent): string {
  const vm = e.src.startsWith('ppc.') ? `[${e.src.split('.').slice(1, 4).join(' ')}] ` : '';
  const head = `${seconds(e.t).padStart(13)}  ${layerOf(e.src).padEnd(14)} ${vm}`;
  if (e.ev === 'console') return `${head}| ${String(e.line)}`;
  const fields = Object.entries(e)
    .filter(([k]) => k !== 't' && k !== 'src' && k !== 'ev')
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .map((f) => (f.length > 80 ? `${f.slice(0, 77)}...` : f));
  return `${head}${e.ev}${fields.length > 0 ? ` ${fields.join(' ')}` : ''}`;
}

/** The outcome summary printed after the log. */
export function formatOutcome(o: Outcome): string[] {
  const lines = [
    `outcome of ${o.scenario} (seed ${o.seed}), ${o.eventsRun} events, ${seconds(o.endNs)} s simulated:`,
  ];
  if (o.cells !== undefined) {
    for (const c of o.cells) {
      lines.push(
        `  ${`${c.kernel} kernel × ${c.vmm} VMM, UE in ${c.where}:`.padEnd(40)} ${c.result}`,
      );
    }
  } else {
    lines.push(`  guest panic:        ${o.guestPanic ?? 'none'}`);
    lines.push(`  host panic:         ${o.hostPanic ?? 'none'}`);
    const killed = o.killed.map((k) => `${k.comm}:${k.pid} (${k.code})`).join(', ');
    lines.push(`  processes killed:   ${killed === '' ? 'none' : killed}`);
    lines.push(`  pages offlined:     ${o.offlined.length === 0 ? 'none' : o.offlined.join(', ')}`);
    lines.push(`  records delivered:  ${o.recordsDelivered}`);
    lines.push(`  records lost:       ${o.recordsLost}`);
  }
  lines.push(
    o.failures.length === 0 ? '  result:             as expected' : '  result:             FAILED',
  );
  for (const f of o.failures) lines.push(`    - ${f}`);
  return lines;
}

export function replayCommand(name: string, seed: bigint, kernel?: KernelVersion): string {
  const k = kernel === undefined ? '' : ` --kernel ${kernel}`;
  return `bin/vras simulate ${name} --seed ${seed}${k} --trace ${name}-${seed}.jsonl`;
}

const KERNEL_NAMES: readonly KernelVersion[] = [...KERNEL_VERSIONS, 'newer'];

export function parseKernelOption(value: string | undefined): KernelVersion | undefined {
  if (value === undefined) return undefined;
  if (!KERNEL_NAMES.includes(value as KernelVersion)) {
    throw new CliError(
      `--kernel must be one of ${KERNEL_NAMES.join(', ')}, got ${JSON.stringify(value)}`,
      2,
    );
  }
  return value as KernelVersion;
}

export interface RunReportOptions {
  readonly seed: bigint;
  /** Guest kernel to simulate (the scenario's own when absent). */
  readonly kernel?: KernelVersion;
  readonly json: boolean;
  readonly quiet: boolean;
  readonly tracePath?: string;
  /** Printed before the log (the demo's introduction). */
  readonly intro?: readonly string[];
}

/** Runs `scenario` and prints its log and outcome; `code` is 1 when it failed. */
export function runAndReport(
  scenario: Scenario,
  o: RunReportOptions,
): { code: number; outcome?: Outcome } {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  let outcome: Outcome;
  let jsonl: string;
  try {
    const world = scenario.build(o.seed, true, o.kernel === undefined ? {} : { kernel: o.kernel });
    if (!o.json) {
      for (const line of o.intro ?? []) out(line);
      if (!o.quiet) world.sim.trace.subscribe((e) => out(formatEvent(e)));
    }
    world.sim.run({ untilNs: scenario.durationNs ?? 10_000_000_000 });
    jsonl = world.sim.trace.toJsonl();
    outcome = outcomeOf(scenario, world);
  } catch (cause) {
    process.stderr.write(
      `vras: scenario ${scenario.name} failed with seed ${o.seed}: ${(cause as Error).message}\n` +
        `replay: ${replayCommand(scenario.name, o.seed, o.kernel)}\n`,
    );
    return { code: 1 };
  }
  if (o.tracePath !== undefined) {
    try {
      writeFileSync(o.tracePath, jsonl);
    } catch (cause) {
      throw new CliError(`Cannot write ${o.tracePath}: ${(cause as Error).message}`, 2, { cause });
    }
  }
  if (o.json) out(toJson('simulation-outcome', outcome));
  else {
    if (!o.quiet) out('');
    for (const line of formatOutcome(outcome)) out(line);
  }
  if (outcome.failures.length > 0) {
    process.stderr.write(
      `vras: scenario ${scenario.name} did not show its expected outcome with seed ${o.seed}\n` +
        `replay: ${replayCommand(scenario.name, o.seed, o.kernel)}\n`,
    );
    return { code: 1, outcome };
  }
  return { code: 0, outcome };
}

export function parseSeedOption(value: string | undefined): bigint {
  if (value === undefined) return 1n;
  try {
    return parseSeed(value);
  } catch (cause) {
    throw new CliError(
      `--seed must be a u64 (decimal or 0x hex), got ${JSON.stringify(value)}`,
      2,
      {
        cause,
      },
    );
  }
}

export function listScenarios(): string[] {
  const list = allScenarios();
  const width = Math.max(...list.map((s) => s.name.length));
  return list.map((s) => `${s.name.padEnd(width)}  ${s.summary}`);
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(
    () =>
      parseArgs({
        args: argv,
        allowPositionals: true,
        options: {
          seed: { type: 'string' },
          kernel: { type: 'string' },
          trace: { type: 'string' },
          json: { type: 'boolean', default: false },
          quiet: { type: 'boolean', default: false },
          list: { type: 'boolean', default: false },
          help: { type: 'boolean', short: 'h', default: false },
        },
      }),
    USAGE,
  );
  if (parsed === undefined) return 0;
  const { values, positionals } = parsed;
  loadScenarioFiles();
  if (values.list) {
    for (const line of listScenarios()) process.stdout.write(`${line}\n`);
    return 0;
  }
  const [name, ...extra] = positionals;
  if (name === undefined || extra.length > 0) throw new CliError(USAGE);
  const scenario = scenarioByName(name);
  if (scenario === undefined) {
    throw new CliError(`unknown scenario '${name}'; scenarios:\n${listScenarios().join('\n')}`);
  }
  const kernel = parseKernelOption(values.kernel);
  return runAndReport(scenario, {
    seed: parseSeedOption(values.seed),
    ...(kernel === undefined ? {} : { kernel }),
    json: values.json,
    quiet: values.quiet,
    ...(values.trace === undefined ? {} : { tracePath: values.trace }),
  }).code;
}
