// The scenario catalogue: the seeds' flows as built-in scenarios, each with the observables a
// run must show. A scenario builds an arm64 world and schedules the hardware events.

import { type ArmWorld, buildArmWorld, HOST_RAM_BASE } from '../sim/index.js';

const VICTIM = {
  pid: 99,
  comm: 'victim',
  vaddr: 0xffffa8d01000n,
  gpa: 0x7c3c7000n,
  earlyKill: false,
} as const;
const hpaOf = (gpa: bigint) => HOST_RAM_BASE + (gpa - 0x4000_0000n);

export interface Outcome {
  readonly scenario: string;
  readonly seed: string;
  readonly guestPanic: string | null;
  readonly hostPanic: string | null;
  readonly halted: string | null;
  readonly killed: readonly { pid: number; comm: string; code: string }[];
  readonly offlined: readonly string[];
  readonly recordsDelivered: number;
  readonly recordsLost: number;
  readonly guestConsole: readonly string[];
  readonly hostConsole: readonly string[];
}

export interface Scenario {
  readonly name: string;
  readonly summary: string;
  build(seed: bigint, trace: boolean): ArmWorld;
  /** Observables the outcome must show. */
  readonly expect: Partial<{
    guestPanic: string | null;
    hostPanic: boolean;
    killedCode: string | null;
  }>;
}

const uePoisonThenTouch = (w: ArmWorld, gpa: bigint, scrub = false): void => {
  w.sim.scheduler.postAt(1_000_000_000, 'hw.dram', {
    kind: 'inject',
    hpa: hpaOf(gpa),
    type: 'ue',
    scrub,
  });
  if (!scrub)
    w.sim.scheduler.postAt(1_200_000_000, 'guest.kernel', { kind: 'touch', pid: VICTIM.pid });
};

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'ar-sea',
    summary:
      'UE in guest user memory → host SEA → SIGBUS AR → VMM CPER + SEA → guest kills the process',
    expect: { guestPanic: null, hostPanic: false, killedCode: 'SIGBUS BUS_MCEERR_AR' },
    build(seed, trace) {
      const w = buildArmWorld({
        seed,
        trace,
        mode: 'firmware-first',
        machine: 'qemu-7.2',
        processes: [VICTIM],
      });
      uePoisonThenTouch(w, VICTIM.gpa);
      return w;
    },
  },
  {
    name: 'ar-sea-kernel-first',
    summary:
      'the same error handled kernel-first on the host: the guest outcome is the same (seed 000)',
    expect: { guestPanic: null, hostPanic: false, killedCode: 'SIGBUS BUS_MCEERR_AR' },
    build(seed, trace) {
      const w = buildArmWorld({
        seed,
        trace,
        mode: 'kernel-first',
        machine: 'qemu-7.2',
        processes: [VICTIM],
      });
      uePoisonThenTouch(w, VICTIM.gpa);
      return w;
    },
  },
  {
    name: 'ao-gpio',
    summary:
      'patrol scrub finds a UE → host AO → VMM CPER on the GPIO source + GED IRQ → guest offlines the page',
    expect: { guestPanic: null, hostPanic: false, killedCode: null },
    build(seed, trace) {
      const w = buildArmWorld({
        seed,
        trace,
        mode: 'firmware-first',
        machine: 'qemu-10.2',
        processes: [VICTIM],
      });
      uePoisonThenTouch(w, VICTIM.gpa, true);
      return w;
    },
  },
  {
    name: 'serror-vmm-esr',
    summary:
      'an SError KVM could not contain → APEI → SIGBUS AR → the VMM injects a virtual SError with its ESR → guest panics',
    expect: { guestPanic: 'Asynchronous SError Interrupt', hostPanic: false },
    build(seed, trace) {
      const w = buildArmWorld({
        seed,
        trace,
        mode: 'firmware-first',
        machine: 'qemu-7.2',
        arNotification: 'serror',
        processes: [VICTIM],
      });
      w.sim.scheduler.postAt(1_000_000_000, 'hw.cpu0', {
        kind: 'raise-serror',
        aet: 3,
        hpa: hpaOf(VICTIM.gpa),
      });
      return w;
    },
  },
  {
    name: 'spurious-host-panic',
    summary: 'a RAS error with no CPER record and no error record → the host panics (seed 000)',
    expect: { hostPanic: true },
    build(seed, trace) {
      const w = buildArmWorld({
        seed,
        trace,
        mode: 'firmware-first',
        machine: 'qemu-7.2',
        firmwareNoRecord: true,
        processes: [VICTIM],
      });
      w.sim.scheduler.postAt(1_000_000_000, 'hw.cpu0', { kind: 'raise-serror', aet: 3, hpa: null });
      return w;
    },
  },
];

export function scenarioByName(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}

export function runScenario(
  s: Scenario,
  seed: bigint,
  trace = true,
  untilNs = 10_000_000_000,
): { world: ArmWorld; outcome: Outcome } {
  const world = s.build(seed, trace);
  world.sim.run({ untilNs });
  return { world, outcome: outcomeOf(s.name, world) };
}

export function outcomeOf(name: string, w: ArmWorld): Outcome {
  return {
    scenario: name,
    seed: `${w.sim.seed}`,
    guestPanic: w.guest.state.panicked,
    hostPanic: w.host.panicked ?? (w.sim.halted?.startsWith('host panic') ? w.sim.halted : null),
    halted: w.sim.halted,
    killed: w.guest.state.killed.map((k) => ({ pid: k.pid, comm: k.comm, code: k.code })),
    offlined: w.guest.state.offlined,
    recordsDelivered: w.vmm.recordsWritten,
    recordsLost: w.vmm.backlog,
    guestConsole: w.guest.state.console,
    hostConsole: w.host.console,
  };
}
