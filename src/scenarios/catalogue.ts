// The scenario catalogue: the seeds' flows, the real-guest runs and seed 004's PowerPC table as
// built-in scenarios, each with the observables a run must show. More scenarios come as JSON
// documents (json-scenario.ts; the files beside this one, loaded by node/files.ts). A scenario
// builds a world (one Simulation) and schedules what happens; its expectations are checked by
// checkOutcome(), which the tests and the CLI share.

import type { KernelVersion } from '../codec/index.js';
import {
  type ArmWorld,
  type ArmWorldConfig,
  buildArmWorld,
  buildPpcWorld,
  HOST_RAM_BASE,
  PPC_MATRIX,
  type PpcCellFacts,
  type PpcCellResult,
  type Simulation,
  type WorldFacts,
} from '../sim/index.js';
import { HARNESS_SCENARIOS } from './harness.js';

export const SEC = 1_000_000_000;

/** The harness's victim program (real-guest/victim-recoverable-memory-failure, pid 99). */
export const VICTIM = {
  pid: 99,
  comm: 'victim',
  vaddr: 0xffffa8d01000n,
  gpa: 0x7c3c7000n,
  earlyKill: false,
} as const;

/** Seed 002's VMM-chosen virtual SError syndrome: AET UER (3 << 10), DFSC 0x11. */
export const SEED_002_SERROR_ISS = 0xc11;

export const hpaOf = (gpa: bigint): bigint => HOST_RAM_BASE + (gpa - 0x4000_0000n);

/** One PowerPC cell's expected result (seed 004). */
export interface PpcCellExpectation {
  readonly kernel: 'old' | 'new';
  readonly vmm: 'old' | 'new';
  readonly where: 'user' | 'kernel';
  readonly result: PpcCellResult;
}

export interface Expectation {
  readonly guestPanic?: string | null;
  readonly hostPanic?: boolean;
  /** The first killed process's signal, or null for none. */
  readonly killedCode?: string | null;
  readonly offlined?: readonly string[];
  readonly recordsDelivered?: number;
  /** Lines the guest console must contain, in this order (others may come between). */
  readonly guestLines?: readonly string[];
  readonly cells?: readonly PpcCellExpectation[];
}

export interface Outcome extends WorldFacts {
  readonly scenario: string;
  readonly seed: string;
  /** Simulated time at the end of the run, ns. */
  readonly endNs: number;
  readonly eventsRun: number;
  readonly cells?: readonly PpcCellFacts[];
  /** Expectations the run did not meet (empty: it passed). */
  readonly failures: readonly string[];
}

/** A built scenario: its simulation and a way to read what happened. */
export interface ScenarioWorld {
  readonly sim: Simulation;
  facts(): WorldFacts & { readonly cells?: readonly PpcCellFacts[] };
}

/** How to build a scenario's world beyond its seed. */
export interface ScenarioOptions {
  /**
   * The guest kernel to simulate (default: the scenario's own, else '6.1'). The PowerPC
   * matrix has its own old/new kernels and ignores it.
   */
  readonly kernel?: KernelVersion;
}

export interface Scenario {
  readonly name: string;
  readonly summary: string;
  build(seed: bigint, trace: boolean, options?: ScenarioOptions): ScenarioWorld;
  readonly expect: Expectation;
  /** How long to run, simulated ns (default 10 s). */
  readonly durationNs?: number;
  /** The real-guest console excerpt (reference/real-guest/NAME.excerpt.txt) it reproduces. */
  readonly realGuest?: string;
  /**
   * The real-guest harness scenario (test/fixtures/real-guest/6.1/NAME.txt, captured on Linux
   * 6.1.192) whose kernel lines it reproduces; the harness runs it in a shared boot, so only
   * the `{N}` record counter differs.
   */
  readonly realGuestFixture?: string;
}

/** What a scenario schedules, as data (also the JSON scenario format's `events`). */
export interface ScheduledInput {
  readonly atNs: number;
  readonly target: string;
  readonly message: { readonly kind: string; readonly [k: string]: unknown };
}

/** Builds an arm64 world and schedules `inputs` on it. */
export function armScenarioWorld(
  config: Omit<ArmWorldConfig, 'seed' | 'trace'>,
  inputs: readonly ScheduledInput[],
): (seed: bigint, trace: boolean, options?: ScenarioOptions) => ArmWorld {
  return (seed, trace, options = {}) => {
    const w = buildArmWorld({
      ...config,
      seed,
      trace,
      ...(options.kernel === undefined ? {} : { kernel: options.kernel }),
    });
    for (const i of inputs) w.sim.scheduler.postAt(i.atNs, i.target, i.message);
    return w;
  };
}

const ueThenTouch = (gpa: bigint, pid: number, atNs = SEC): ScheduledInput[] => [
  { atNs, target: 'hw.dram', message: { kind: 'inject', hpa: hpaOf(gpa), type: 'ue' } },
  { atNs: atNs + SEC / 5, target: 'guest.kernel', message: { kind: 'touch', pid } },
];

/** A record the real-guest harness writes into a source from outside (no host error). */
export const postRecord = (
  atNs: number,
  severity: number,
  physicalAddress: bigint,
  sourceId = 0,
): ScheduledInput => ({
  atNs,
  target: 'vmm',
  message: {
    kind: 'post-record',
    sourceId,
    notify: false,
    report: { severity, physicalAddress, errorType: 3 },
  },
});

/** The harness's own HEST (t0-hest-dimm): one GHESv2 source, id 0, polled every 100 ms. */
export const OWN_POLLED_MACHINE = {
  layout: 'hest-addr',
  sources: [{ id: 0, notification: 0, pollIntervalMs: 100 }],
} as const;

/**
 * The real-guest harness's main HEST (src/guest/scenarios.ts mainMachineConfig): polled sources
 * 0 and 1, an SEA source 2 and an SEI source 3.
 */
export const HARNESS_MAIN_MACHINE = {
  layout: 'hest-addr',
  sources: [
    { id: 0, notification: 0, pollIntervalMs: 100 },
    { id: 1, notification: 0, pollIntervalMs: 100 },
    { id: 2, notification: 8 },
    { id: 3, notification: 9 },
  ],
} as const;

const SEVERITY = { recoverable: 0, fatal: 1, corrected: 2 } as const;

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'ar-sea',
    summary:
      'UE in guest user memory → host SEA → SIGBUS AR → VMM CPER + SEA → guest kills the process',
    expect: {
      guestPanic: null,
      hostPanic: false,
      killedCode: 'SIGBUS BUS_MCEERR_AR',
      offlined: ['0x7c3c7'],
      recordsDelivered: 1,
    },
    build: armScenarioWorld(
      { mode: 'firmware-first', machine: 'qemu-7.2', processes: [VICTIM] },
      ueThenTouch(VICTIM.gpa, VICTIM.pid),
    ),
  },
  {
    name: 'ar-sea-kernel-first',
    summary:
      'the same error handled kernel-first on the host: the guest outcome is the same (seed 000)',
    expect: { guestPanic: null, hostPanic: false, killedCode: 'SIGBUS BUS_MCEERR_AR' },
    build: armScenarioWorld(
      { mode: 'kernel-first', machine: 'qemu-7.2', processes: [VICTIM] },
      ueThenTouch(VICTIM.gpa, VICTIM.pid),
    ),
  },
  {
    name: 'ao-gpio',
    summary:
      'patrol scrub finds a UE → host AO → VMM CPER on the GPIO source + GED IRQ → guest offlines the page',
    expect: { guestPanic: null, hostPanic: false, killedCode: null, offlined: ['0x7c3c7'] },
    build: armScenarioWorld({ mode: 'firmware-first', machine: 'qemu-10.2', processes: [VICTIM] }, [
      {
        atNs: SEC,
        target: 'hw.dram',
        message: { kind: 'inject', hpa: hpaOf(VICTIM.gpa), type: 'ue', scrub: true },
      },
    ]),
  },
  {
    name: 'serror-vmm-esr',
    summary:
      'an SError KVM could not contain → APEI → SIGBUS AR → a VMM with no SEA source injects a virtual SError with its own ESR (AET UER, DFSC 0x11: ISS 0xc11, seed 002) through KVM_CAP_ARM_INJECT_SERROR_ESR → guest panics',
    expect: {
      guestPanic: 'Asynchronous SError Interrupt',
      hostPanic: false,
      guestLines: ['SError Interrupt on CPU0, code 0x00000000be000c11 -- SError'],
    },
    build: armScenarioWorld(
      {
        mode: 'firmware-first',
        machine: 'qemu-7.2',
        arNotification: 'serror',
        serrorIss: SEED_002_SERROR_ISS,
        processes: [VICTIM],
      },
      [
        {
          atNs: SEC,
          target: 'hw.cpu0',
          message: { kind: 'raise-serror', aet: 3, hpa: hpaOf(VICTIM.gpa) },
        },
      ],
    ),
  },
  {
    name: 'serror-vmm-ids',
    summary:
      "the same VMM on a host without KVM_CAP_ARM_INJECT_SERROR_ESR: its chosen ISS cannot be set, so the virtual SError has KVM's IMPLEMENTATION DEFINED syndrome (0xbf000000) → guest panics",
    expect: {
      guestPanic: 'Asynchronous SError Interrupt',
      hostPanic: false,
      guestLines: ['SError Interrupt on CPU0, code 0x00000000bf000000 -- SError'],
    },
    build: armScenarioWorld(
      {
        mode: 'firmware-first',
        machine: 'qemu-7.2',
        arNotification: 'serror',
        injectSerrorEsr: false,
        serrorIss: SEED_002_SERROR_ISS,
        processes: [VICTIM],
      },
      [
        {
          atNs: SEC,
          target: 'hw.cpu0',
          message: { kind: 'raise-serror', aet: 3, hpa: hpaOf(VICTIM.gpa) },
        },
      ],
    ),
  },
  {
    name: 'spurious-host-panic',
    summary: 'a RAS error with no CPER record and no error record → the host panics (seed 000)',
    expect: { hostPanic: true, guestPanic: null },
    build: armScenarioWorld(
      {
        mode: 'firmware-first',
        machine: 'qemu-7.2',
        firmwareNoRecord: true,
        processes: [VICTIM],
      },
      [{ atNs: SEC, target: 'hw.cpu0', message: { kind: 'raise-serror', aet: 3, hpa: null } }],
    ),
  },
  {
    name: 'guest-fatal-panic',
    summary:
      'a fatal memory error record on a polled GHESv2 source → the guest panics with "GHES: Fatal hardware error"',
    realGuest: 'fatal-panic',
    expect: { guestPanic: 'GHES: Fatal hardware error', hostPanic: false, killedCode: null },
    build: armScenarioWorld(
      { mode: 'firmware-first', machine: OWN_POLLED_MACHINE, processes: [] },
      [postRecord(SEC, SEVERITY.fatal, 0x5000_0000n)],
    ),
  },
  {
    name: 'polled-corrected',
    summary:
      'two corrected memory errors on a polled GHESv2 source, one poll period apart → printed, acked, nothing offlined',
    realGuest: 'polled-ghesv2-corrected',
    expect: { guestPanic: null, killedCode: null, offlined: [], recordsDelivered: 2 },
    build: armScenarioWorld(
      { mode: 'firmware-first', machine: OWN_POLLED_MACHINE, processes: [] },
      [
        postRecord(SEC, SEVERITY.corrected, 0x4123_4000n),
        postRecord(2 * SEC, SEVERITY.corrected, 0x4123_5000n),
      ],
    ),
  },
  {
    name: 'polled-early-kill',
    summary:
      'a recoverable error on a page of an early-kill process (polled) → memory_failure sends it SIGBUS AO',
    realGuest: 'victim-recoverable-memory-failure',
    expect: { guestPanic: null, killedCode: 'SIGBUS BUS_MCEERR_AO', offlined: ['0x7c3c7'] },
    build: armScenarioWorld(
      {
        mode: 'firmware-first',
        machine: OWN_POLLED_MACHINE,
        processes: [{ ...VICTIM, earlyKill: true }],
      },
      [postRecord(SEC, SEVERITY.recoverable, VICTIM.gpa)],
    ),
  },
  {
    name: 'polled-late-kill',
    summary:
      'the same without early kill: the page is unmapped and the process gets SIGBUS AR when it touches it again',
    realGuest: 'victim-latekill',
    expect: { guestPanic: null, killedCode: 'SIGBUS BUS_MCEERR_AR', offlined: ['0x7c3e2'] },
    build: armScenarioWorld(
      {
        mode: 'firmware-first',
        machine: OWN_POLLED_MACHINE,
        processes: [{ ...VICTIM, vaddr: 0xffffa202c000n, gpa: 0x7c3e2000n }],
      },
      [
        postRecord(SEC, SEVERITY.recoverable, 0x7c3e2000n),
        { atNs: 3 * SEC, target: 'guest.kernel', message: { kind: 'touch', pid: VICTIM.pid } },
      ],
    ),
  },
  {
    name: 'sea-invalid-address',
    summary:
      "a record for an address outside RAM pre-loaded in QEMU 7.2's SEA source, then a user access to unassigned space (TCG SEA) → forced SIGBUS",
    realGuest: 'sea-qemu-ras-on-hest',
    expect: { guestPanic: null, killedCode: 'SIGBUS', offlined: [] },
    build: armScenarioWorld(
      {
        mode: 'firmware-first',
        machine: 'qemu-7.2',
        unassignedSea: true,
        processes: [
          { pid: 100, comm: 'devmem', vaddr: 0xffff9a000000n, gpa: 0x0910_0000n, earlyKill: false },
        ],
      },
      [
        postRecord(SEC, SEVERITY.recoverable, 0x0910_0000n),
        { atNs: 2 * SEC, target: 'guest.kernel', message: { kind: 'touch', pid: 100 } },
      ],
    ),
  },
  {
    name: 'sea-ram',
    summary:
      "a recoverable record naming a late-kill victim's RAM page pre-loaded in the SEA source (id 2 of the harness's main HEST), then a user access to unassigned space (TCG SEA) → memory_failure unmaps the page, no forced SIGBUS; the victim gets SIGBUS AR when it touches the page",
    realGuestFixture: 'sea-ram',
    expect: {
      guestPanic: null,
      hostPanic: false,
      killedCode: 'SIGBUS BUS_OBJERR',
      offlined: ['0x7c3ee'],
      guestLines: ['Memory failure: 0x7c3ee: recovery action for dirty LRU page: Recovered'],
    },
    build: armScenarioWorld(
      {
        mode: 'firmware-first',
        machine: HARNESS_MAIN_MACHINE,
        unassignedSea: true,
        processes: [
          { pid: 89, comm: 'victim', vaddr: 0xffff9d0d3000n, gpa: 0x7c3ee000n, earlyKill: false },
          { pid: 100, comm: 'devmem', vaddr: 0xffff9a000000n, gpa: 0x0910_0000n, earlyKill: false },
        ],
      },
      [
        postRecord(SEC, SEVERITY.recoverable, 0x7c3ee000n, 2),
        { atNs: 2 * SEC, target: 'guest.kernel', message: { kind: 'touch', pid: 100 } },
        { atNs: 3 * SEC, target: 'guest.kernel', message: { kind: 'touch', pid: 89 } },
      ],
    ),
  },
  {
    name: 'ppc-compat-matrix',
    summary:
      'seed 004: old/new host kernel (KVM_EXIT_NMI) × old/new QEMU (FWNMI), UE in a user process and in the kernel',
    expect: {
      cells: PPC_MATRIX.map((c) => ({
        ...c,
        result:
          c.kernel === 'old'
            ? 'guest-panic'
            : c.vmm === 'old'
              ? 'vm-terminated'
              : c.where === 'user'
                ? 'process-killed'
                : 'guest-panic',
      })),
    },
    build(seed, trace) {
      const w = buildPpcWorld(seed, PPC_MATRIX, { trace });
      return {
        sim: w.sim,
        facts: () => {
          const cells = w.cells();
          return {
            guestPanic: null,
            hostPanic: null,
            halted: w.sim.halted,
            killed: [],
            offlined: [],
            recordsDelivered: 0,
            recordsLost: 0,
            guestConsole: [],
            hostConsole: [],
            cells,
          };
        },
      };
    },
  },
];

/** Built-in and registered (JSON) scenarios, by name. */
const registry = new Map<string, Scenario>(
  [...SCENARIOS, ...HARNESS_SCENARIOS].map((s) => [s.name, s]),
);

/** Adds scenarios (e.g. loaded from JSON); a name may not be taken twice. */
export function registerScenarios(list: readonly Scenario[]): void {
  for (const s of list) {
    if (registry.has(s.name) && registry.get(s.name) !== s) {
      throw new Error(`Cannot register scenario ${s.name}: the name is taken`);
    }
    registry.set(s.name, s);
  }
}

export function allScenarios(): Scenario[] {
  return [...registry.values()];
}

export function scenarioByName(name: string): Scenario | undefined {
  return registry.get(name);
}

export const DEFAULT_DURATION_NS = 10 * SEC;

export function runScenario(
  s: Scenario,
  seed: bigint,
  trace = true,
  untilNs = s.durationNs ?? DEFAULT_DURATION_NS,
  options: ScenarioOptions = {},
): { world: ScenarioWorld; outcome: Outcome } {
  const world = s.build(seed, trace, options);
  world.sim.run({ untilNs });
  return { world, outcome: outcomeOf(s, world) };
}

export function outcomeOf(s: Scenario, w: ScenarioWorld): Outcome {
  const facts = w.facts();
  const base = {
    scenario: s.name,
    seed: `${w.sim.seed}`,
    endNs: w.sim.scheduler.now,
    eventsRun: w.sim.eventsRun,
    ...facts,
  };
  return { ...base, failures: checkOutcome(s.expect, base) };
}

/** The expectations `facts` does not meet, as sentences (empty when all hold). */
export function checkOutcome(
  e: Expectation,
  facts: WorldFacts & { readonly cells?: readonly PpcCellFacts[] },
): string[] {
  const out: string[] = [];
  const show = (v: unknown) => JSON.stringify(v);
  if (e.guestPanic !== undefined && facts.guestPanic !== e.guestPanic) {
    out.push(`guest panic: expected ${show(e.guestPanic)}, got ${show(facts.guestPanic)}`);
  }
  if (e.hostPanic !== undefined && (facts.hostPanic !== null) !== e.hostPanic) {
    out.push(`host panic: expected ${e.hostPanic}, got ${show(facts.hostPanic)}`);
  }
  if (e.killedCode !== undefined) {
    const got = facts.killed[0]?.code ?? null;
    if (got !== e.killedCode) out.push(`killed: expected ${show(e.killedCode)}, got ${show(got)}`);
  }
  if (e.offlined !== undefined && show(facts.offlined) !== show(e.offlined)) {
    out.push(`offlined pages: expected ${show(e.offlined)}, got ${show(facts.offlined)}`);
  }
  if (e.recordsDelivered !== undefined && facts.recordsDelivered !== e.recordsDelivered) {
    out.push(`records delivered: expected ${e.recordsDelivered}, got ${facts.recordsDelivered}`);
  }
  if (facts.recordsLost !== 0) out.push(`records lost: ${facts.recordsLost} (must be 0)`);
  if (e.guestLines !== undefined) {
    let i = 0;
    for (const line of facts.guestConsole) if (line === e.guestLines[i]) i++;
    if (i < e.guestLines.length) {
      out.push(`guest console lacks ${show(e.guestLines[i])} (in order)`);
    }
  }
  if (e.cells !== undefined) {
    for (const c of e.cells) {
      const got = facts.cells?.find(
        (x) => x.kernel === c.kernel && x.vmm === c.vmm && x.where === c.where,
      );
      if (got?.result !== c.result) {
        out.push(
          `${c.kernel} kernel × ${c.vmm} VMM, UE in ${c.where}: expected ${c.result}, got ${got?.result ?? 'no cell'}`,
        );
      }
    }
  }
  return out;
}
