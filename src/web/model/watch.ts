// The Watch view's data: a scenario run in the simulator (the same catalogue and scenario JSON as
// `vras simulate`), its trace events placed on the layers of a sequence diagram, the guest-memory
// writes that led to each event, the PowerPC outcome table and a campaign's summary. The trace
// is the data; the page only renders it (as Perfetto does).

import { decodeEsr, type KernelVersion } from '../../codec/index.js';
import type { GuestMemory } from '../../engine/index.js';
import {
  allScenarios,
  checkOutcome,
  DEFAULT_DURATION_NS,
  type Outcome,
  outcomeOf,
  registerScenarios,
  type Scenario,
  scenarioByName,
  scenarioFromJson,
} from '../../scenarios/index.js';
import { type CampaignSummary, runCampaign, type TraceEvent } from '../../sim/index.js';

export const LAYERS = [
  'hardware',
  'EL3 firmware',
  'host kernel',
  'KVM',
  'VMM',
  'guest firmware',
  'guest kernel',
  'processes',
] as const;
export type Layer = (typeof LAYERS)[number];

/** One write into guest memory made while the simulator ran up to an event. */
export interface MemoryWrite {
  readonly memory: string;
  readonly gpa: bigint;
  readonly bytes: Uint8Array;
}

export interface WatchEvent {
  readonly index: number;
  readonly event: TraceEvent;
  readonly layer: Layer;
  /** The PowerPC cell (`kvm-new qemu-old user`) or '' for arm64 worlds. */
  readonly vm: string;
  /** Guest-memory writes made since the previous event (what this event reports). */
  readonly writes: readonly MemoryWrite[];
}

export interface WatchRun {
  readonly scenario: Scenario;
  readonly seed: bigint;
  readonly events: readonly WatchEvent[];
  readonly outcome: Outcome;
}

/** The component ids of the PowerPC matrix's guest memories (ppc-world.ts prefixes). */
const PPC_PREFIXES = ['old', 'new'].flatMap((k) =>
  ['old', 'new'].flatMap((v) => ['user', 'kernel'].map((w) => `ppc.kvm-${k}.qemu-${v}.${w}.`)),
);

/** Which layer of the diagram a trace event belongs to. */
export function layerOf(e: TraceEvent): Layer {
  const src = e.src.startsWith('ppc.') ? e.src.split('.').slice(4).join('.') : e.src;
  if (src.startsWith('hw.')) return 'hardware';
  if (src.startsWith('fw.')) return 'EL3 firmware';
  if (src === 'host.kernel') return 'host kernel';
  if (src === 'host.kvm') return 'KVM';
  if (src === 'vmm') return 'VMM';
  if (src === 'guest.fw') return 'guest firmware';
  if (src.startsWith('guest.proc') || e.ev === 'signal') return 'processes';
  if (src.startsWith('guest.')) return 'guest kernel';
  return 'VMM';
}

function vmOf(e: TraceEvent): string {
  return e.src.startsWith('ppc.') ? e.src.split('.').slice(1, 4).join(' ') : '';
}

/**
 * The JSON scenarios of src/scenarios/*.json, put into the bundle by scripts/build-web.mjs (the
 * CLI reads the same files with node:fs); undefined when this code runs unbundled (tests).
 */
declare const VRAS_SCENARIO_FILES: readonly { file: string; doc: unknown }[] | undefined;

let bundledRegistered = false;

/** Registers the bundled JSON scenarios once (as the CLI's loadScenarioFiles does). */
function registerBundled(): void {
  if (bundledRegistered) return;
  bundledRegistered = true;
  if (typeof VRAS_SCENARIO_FILES === 'undefined') return;
  registerScenarios(VRAS_SCENARIO_FILES.map((f) => scenarioFromJson(f.doc, f.file)));
}

/** A scenario by name, or from a pasted `vras/scenario/v1` JSON document. */
export function findScenario(name: string, json?: string): Scenario {
  if (json !== undefined && json.trim() !== '') {
    let doc: unknown;
    try {
      doc = JSON.parse(json);
    } catch (error) {
      throw new Error(`Cannot parse the scenario JSON: ${(error as Error).message}`);
    }
    return scenarioFromJson(doc, 'pasted scenario');
  }
  registerBundled();
  const s = scenarioByName(name);
  if (s === undefined) {
    throw new Error(
      `No scenario named ${JSON.stringify(name)} (known: ${scenarioNames().join(', ')})`,
    );
  }
  return s;
}

export function scenarioNames(): string[] {
  registerBundled();
  return allScenarios().map((s) => s.name);
}

/** Runs a scenario with tracing, keeping every event and the memory writes before it. */
export function runWatch(scenario: Scenario, seed: bigint, kernel?: KernelVersion): WatchRun {
  const world = scenario.build(seed, true, kernel === undefined ? {} : { kernel });
  const sim = world.sim;
  let pending: MemoryWrite[] = [];
  for (const id of ['guest.ram', ...PPC_PREFIXES.map((p) => `${p}guest.ram`)]) {
    const memory = sim.component(id) as (GuestMemory & { write: GuestMemory['write'] }) | undefined;
    if (memory === undefined || typeof memory.write !== 'function') continue;
    const write = memory.write.bind(memory);
    // An own property shadows the class's method: the page watches writes without changing the
    // simulator; everything else goes through unchanged.
    memory.write = (gpa: bigint, bytes: Uint8Array): void => {
      pending.push({ memory: id, gpa, bytes: bytes.slice() });
      write(gpa, bytes);
    };
  }
  const events: WatchEvent[] = [];
  sim.trace.subscribe((event) => {
    events.push({
      index: events.length,
      event,
      layer: layerOf(event),
      vm: vmOf(event),
      writes: pending,
    });
    pending = [];
  });
  sim.run({ untilNs: scenario.durationNs ?? DEFAULT_DURATION_NS });
  return { scenario, seed, events, outcome: outcomeOf(scenario, world) };
}

/**
 * The writes of one event with each header joined to its body: a write that overlaps an earlier
 * one, or ends where an earlier one begins, is merged into it (firmware posts a record's body
 * first and its block_status last, so the merged span is the block as the guest reads it).
 * Writes that merely follow each other upwards (the address slots, then the read-ack register)
 * stay apart.
 */
export function mergeWrites(writes: readonly MemoryWrite[]): MemoryWrite[] {
  const spans: { memory: string; gpa: bigint; bytes: Uint8Array }[] = [];
  for (const w of writes) {
    const end = w.gpa + BigInt(w.bytes.length);
    const s = spans.find((x) => {
      const xEnd = x.gpa + BigInt(x.bytes.length);
      // Overlapping, or ending exactly where the earlier write starts.
      return x.memory === w.memory && w.gpa < xEnd && end >= x.gpa;
    });
    if (s === undefined) {
      spans.push({ memory: w.memory, gpa: w.gpa, bytes: w.bytes.slice() });
      continue;
    }
    const start = w.gpa < s.gpa ? w.gpa : s.gpa;
    const sEnd = s.gpa + BigInt(s.bytes.length);
    const bytes = new Uint8Array(Number((end > sEnd ? end : sEnd) - start));
    bytes.set(s.bytes, Number(s.gpa - start));
    bytes.set(w.bytes, Number(w.gpa - start));
    s.gpa = start;
    s.bytes = bytes;
  }
  return spans.sort((a, b) => (a.gpa < b.gpa ? -1 : a.gpa > b.gpa ? 1 : 0));
}

/** Field names that hold registers, and what the codec says about their values. */
export function registerNotes(e: TraceEvent): { name: string; value: string; note: string }[] {
  const out: { name: string; value: string; note: string }[] = [];
  for (const [k, v] of Object.entries(e)) {
    if (k === 't' || k === 'src' || k === 'ev') continue;
    const value = typeof v === 'string' ? v : JSON.stringify(v);
    let note = '';
    if (k === 'esr' && typeof v === 'string' && /^0x[0-9a-f]+$/i.test(v)) {
      try {
        note = decodeEsr(BigInt(v)).describe;
      } catch {
        note = '';
      }
    }
    out.push({ name: k, value, note });
  }
  return out;
}

export { checkOutcome };

/** A small campaign for the page's charts (the CLI's `vras campaign`, fewer VMs). */
export function runSmallCampaign(
  vms: number,
  hours: number,
  seed: bigint,
  mix: 'field' | 'uncorrected' = 'field',
): CampaignSummary {
  return runCampaign({ vms, hours, seed, mix });
}
