// The real-guest harness's scenarios (src/guest/scenarios.ts, captured in
// test/fixtures/real-guest/<kernel>/*.txt) as simulated counterparts, on the harness's own HEST
// (polled sources 0 and 1, SEA source 2, SEI source 3; the fatal group: one polled source) and
// with the very records the harness wrote (each fixture's `# record` header lines, below as
// hex; test/sim-harness.test.ts checks them against the files).
//
// The harness runs its main group in one boot, in MAIN_ORDER, so the print rate limit and the
// `{N}` counter carry over from one scenario to the next. A counterpart therefore replays every
// earlier scenario of the group, then its own, and compares the console from its own start
// (HarnessScenario.realGuestFromNs). Which records the kernel prints or suppresses depends on
// when they arrive: the harness waits on the guest (each record consumed, the victim's lines,
// its own rate-limit budget), not on a clock, and the fixtures keep no timestamps. The
// timelines below follow the harness's protocol (each step after the previous one's records
// were consumed; a record that must print waits for the rate-limit window) and place the queue
// where each kernel's capture shows it: on 6.1 and 6.12 all 8 queued corrected records were
// consumed within 5 s of the polled-corrected print (1 printed, 7 suppressed, reported before
// arm-multi's first record); on 7.3 the window ended after the 6th (1 printed, 5 suppressed,
// then 2 printed), so its queue starts 2 s later. Pids and victim pages are each capture's.

import type { KernelVersion } from '../codec/index.js';
import { resolveKernel } from '../codec/index.js';
import { buildArmWorld, type GuestProcess } from '../sim/index.js';
import type { Expectation, Scenario, ScheduledInput } from './catalogue.js';

const MS = 1_000_000;
const SEC = 1_000 * MS;

const POLLED_CORRECTED =
  '12000000ac0000000000000098000000020000001411bca5646fde4eb8633e83ed7c83b10200000000030000' +
  '5000000000000000000000000000000000000000000000000000000000000000000000000000000000000000' +
  '0000000003400000000000000000000000000000001002410000000000000000000000000000000000000000' +
  '00000000000000000000000000000000000000000000000000000000000000000300000000000000';
const MALFORMED_WRONG_DATA_LENGTH =
  '12000000ac00000000000000a0000000020000001411bca5646fde4eb8633e83ed7c83b10200000000030000' +
  '5000000000000000000000000000000000000000000000000000000000000000000000000000000000000000' +
  '0000000003400000000000000000000000000000001060410000000000000000000000000000000000000000' +
  '0000000000000000000000000000000000000000000000000000000000000000030000000000000000000000' +
  '00000000';
const MALFORMED_BLOCK_TOO_LONG =
  '12000000ac0000000000000000080000020000001411bca5646fde4eb8633e83ed7c83b10200000000030000' +
  '5000000000000000000000000000000000000000000000000000000000000000000000000000000000000000' +
  '0000000003400000000000000000000000000000001060410000000000000000000000000000000000000000' +
  '00000000000000000000000000000000000000000000000000000000000000000300000000000000';
const ARM_ONLY =
  '12000000a4000000000000009000000002000000163d9ee111bce4119caac2051d5d46b00200000000030000' +
  '4800000000000000000000000000000000000000000000000000000000000000000000000000000000000000' +
  '0000000005000000010000004800000000000000030000800000000000000000000000000000000000000000' +
  '00200400020100030f00910000000000efbeadde00000000ad0bbaab00000000';
const ARM_MULTI =
  '32000000d401000000000000c0010000020000001411bca5646fde4eb8633e83ed7c83b10200000000030000' +
  '5000000000000000000000000000000000000000000000000000000000000000000000000000000000000000' +
  '000000000340000000000000000000000000000000107d410000000000000000000000000000000000000000' +
  '00000000000000000000000000000000000000000000000000000000000000000300000000000000163d9ee1' +
  '11bce4119caac2051d5d46b00200000000030000480000000000000000000000000000000000000000000000' +
  '0000000000000000000000000000000000000000000000000500000001000000480000000000000003000080' +
  '000000000000000000000000000000000000000000200400020100030f00910000000000efbeadde00000000' +
  'ad0bbaab000000001411bca5646fde4eb8633e83ed7c83b10200000000030000500000000000000000000000' +
  '0000000000000000000000000000000000000000000000000000000000000000000000000340000000000000' +
  '00000000000000000000bd410000000000000000000000000000000000000000000000000000000000000000' +
  '00000000000000000000000000000000000000000300000000000000';
const SEA_UNASSIGNED =
  '11000000ac0000000000000098000000000000001411bca5646fde4eb8633e83ed7c83b10000000000030000' +
  '5000000000000000000000000000000000000000000000000000000000000000000000000000000000000000' +
  '0000000003400000000000000000000000000000000010090000000000000000000000000000000000000000' +
  '00000000000000000000000000000000000000000000000000000000000000000300000000000000';
const FATAL =
  '11000000ac0000000000000098000000010000001411bca5646fde4eb8633e83ed7c83b10100000000030000' +
  '5000000000000000000000000000000000000000000000000000000000000000000000000000000000000000' +
  '0000000003400000000000000000000000000000001002500000000000000000000000000000000000000000' +
  '00000000000000000000000000000000000000000000000000000000000000000300000000000000';
const QUEUE_1 =
  '12000000ac0000000000000098000000020000001411bca5646fde4eb8633e83ed7c83b10200000000030000' +
  '5000000000000000000000000000000000000000000000000000000000000000000000000000000000000000' +
  '000000000340000000000000000000000000000000500c420000000000000000000000000000000000000000' +
  '00000000000000000000000000000000000000000000000000000000000000000300000000000000';
const QUEUE_2 =
  '12000000ac0000000000000098000000020000001411bca5646fde4eb8633e83ed7c83b10200000000030000' +
  '5000000000000000000000000000000000000000000000000000000000000000000000000000000000000000' +
  '000000000340000000000000000000000000000000600c420000000000000000000000000000000000000000' +
  '00000000000000000000000000000000000000000000000000000000000000000300000000000000';
const QUEUE_3 =
  '12000000ac0000000000000098000000020000001411bca5646fde4eb8633e83ed7c83b10200000000030000' +
  '5000000000000000000000000000000000000000000000000000000000000000000000000000000000000000' +
  '000000000340000000000000000000000000000000700c420000000000000000000000000000000000000000' +
  '00000000000000000000000000000000000000000000000000000000000000000300000000000000';
const QUEUE_4 =
  '12000000ac0000000000000098000000020000001411bca5646fde4eb8633e83ed7c83b10200000000030000' +
  '5000000000000000000000000000000000000000000000000000000000000000000000000000000000000000' +
  '000000000340000000000000000000000000000000800c420000000000000000000000000000000000000000' +
  '00000000000000000000000000000000000000000000000000000000000000000300000000000000';
const QUEUE_5 =
  '12000000ac0000000000000098000000020000001411bca5646fde4eb8633e83ed7c83b10200000000030000' +
  '5000000000000000000000000000000000000000000000000000000000000000000000000000000000000000' +
  '000000000340000000000000000000000000000000900c420000000000000000000000000000000000000000' +
  '00000000000000000000000000000000000000000000000000000000000000000300000000000000';
const QUEUE_6 =
  '12000000ac0000000000000098000000020000001411bca5646fde4eb8633e83ed7c83b10200000000030000' +
  '5000000000000000000000000000000000000000000000000000000000000000000000000000000000000000' +
  '000000000340000000000000000000000000000000a00c420000000000000000000000000000000000000000' +
  '00000000000000000000000000000000000000000000000000000000000000000300000000000000';
const QUEUE_7 =
  '12000000ac0000000000000098000000020000001411bca5646fde4eb8633e83ed7c83b10200000000030000' +
  '5000000000000000000000000000000000000000000000000000000000000000000000000000000000000000' +
  '000000000340000000000000000000000000000000b00c420000000000000000000000000000000000000000' +
  '00000000000000000000000000000000000000000000000000000000000000000300000000000000';
const QUEUE_8 =
  '12000000ac0000000000000098000000020000001411bca5646fde4eb8633e83ed7c83b10200000000030000' +
  '5000000000000000000000000000000000000000000000000000000000000000000000000000000000000000' +
  '000000000340000000000000000000000000000000c00c420000000000000000000000000000000000000000' +
  '00000000000000000000000000000000000000000000000000000000000000000300000000000000';
const EARLY_6_1 =
  '11000000ac0000000000000098000000000000001411bca5646fde4eb8633e83ed7c83b10000000000030000' +
  '5000000000000000000000000000000000000000000000000000000000000000000000000000000000000000' +
  '000000000340000000000000000000000000000000f03e7c0000000000000000000000000000000000000000' +
  '00000000000000000000000000000000000000000000000000000000000000000300000000000000';
const LATE_6_1 =
  '11000000ac0000000000000098000000000000001411bca5646fde4eb8633e83ed7c83b10000000000030000' +
  '5000000000000000000000000000000000000000000000000000000000000000000000000000000000000000' +
  '000000000340000000000000000000000000000000603f7c0000000000000000000000000000000000000000' +
  '00000000000000000000000000000000000000000000000000000000000000000300000000000000';
const SEARAM_6_1 =
  '11000000ac0000000000000098000000000000001411bca5646fde4eb8633e83ed7c83b10000000000030000' +
  '5000000000000000000000000000000000000000000000000000000000000000000000000000000000000000' +
  '000000000340000000000000000000000000000000e03e7c0000000000000000000000000000000000000000' +
  '00000000000000000000000000000000000000000000000000000000000000000300000000000000';
const EARLY_6_12 =
  '11000000ac0000000000000098000000000000001411bca5646fde4eb8633e83ed7c83b10000000000030000' +
  '5000000000000000000000000000000000000000000000000000000000000000000000000000000000000000' +
  '000000000340000000000000000000000000000000203f7c0000000000000000000000000000000000000000' +
  '00000000000000000000000000000000000000000000000000000000000000000300000000000000';
const LATE_6_12 =
  '11000000ac0000000000000098000000000000001411bca5646fde4eb8633e83ed7c83b10000000000030000' +
  '5000000000000000000000000000000000000000000000000000000000000000000000000000000000000000' +
  '000000000340000000000000000000000000000000603e7c0000000000000000000000000000000000000000' +
  '00000000000000000000000000000000000000000000000000000000000000000300000000000000';
const SEARAM_6_12 =
  '11000000ac0000000000000098000000000000001411bca5646fde4eb8633e83ed7c83b10000000000030000' +
  '5000000000000000000000000000000000000000000000000000000000000000000000000000000000000000' +
  '000000000340000000000000000000000000000000303e7c0000000000000000000000000000000000000000' +
  '00000000000000000000000000000000000000000000000000000000000000000300000000000000';
const EARLY_7_3 =
  '11000000ac0000000000000098000000000000001411bca5646fde4eb8633e83ed7c83b10000000000030000' +
  '5000000000000000000000000000000000000000000000000000000000000000000000000000000000000000' +
  '000000000340000000000000000000000000000000c06d720000000000000000000000000000000000000000' +
  '00000000000000000000000000000000000000000000000000000000000000000300000000000000';
const LATE_7_3 =
  '11000000ac0000000000000098000000000000001411bca5646fde4eb8633e83ed7c83b10000000000030000' +
  '5000000000000000000000000000000000000000000000000000000000000000000000000000000000000000' +
  '000000000340000000000000000000000000000000206f720000000000000000000000000000000000000000' +
  '00000000000000000000000000000000000000000000000000000000000000000300000000000000';
const SEARAM_7_3 =
  '11000000ac0000000000000098000000000000001411bca5646fde4eb8633e83ed7c83b10000000000030000' +
  '5000000000000000000000000000000000000000000000000000000000000000000000000000000000000000' +
  '000000000340000000000000000000000000000000506d720000000000000000000000000000000000000000' +
  '00000000000000000000000000000000000000000000000000000000000000000300000000000000';

/** The kernels the harness captured. */
export type HarnessKernel = '6.1' | '6.12' | '7.3';

/** The main group's scenarios in the order the harness runs them (MAIN_ORDER). */
export const HARNESS_MAIN_ORDER = [
  'polled-corrected',
  'malformed',
  'early-kill',
  'queue',
  'late-kill',
  'arm-multi',
  'sea-ram',
  'sea',
] as const;
export type HarnessMainStep = (typeof HARNESS_MAIN_ORDER)[number];
export type HarnessStep = HarnessMainStep | 'fatal';

/** A record as the harness wrote it: source id and the status block's bytes as hex. */
export interface HarnessRecord {
  readonly sourceId: number;
  readonly hex: string;
}

/** The harness's victim program as its `VICTIM: pid=… vaddr=… paddr=…` line reported it. */
export interface HarnessVictim {
  readonly pid: number;
  readonly vaddr: bigint;
  readonly paddr: bigint;
}

/** What one kernel's capture used: its records, victims, devmem pid and the replay timeline. */
export interface HarnessCapture {
  readonly records: Readonly<Record<HarnessStep, readonly HarnessRecord[]>>;
  readonly victims: Readonly<Record<'early-kill' | 'late-kill' | 'sea-ram', HarnessVictim>>;
  /** The pid of `sea`'s devmem (its forced-SIGBUS or memory_failure line names it). */
  readonly seaDevmemPid: number;
  /** Simulated uptime (ns) at which each main-group scenario starts. */
  readonly startNs: Readonly<Record<HarnessMainStep, number>>;
  /** When the last scenario's lines are all printed. */
  readonly endNs: number;
}

const rec = (sourceId: number, ...hex: string[]): HarnessRecord[] =>
  hex.map((h) => ({ sourceId, hex: h }));

const sharedRecords = {
  'polled-corrected': rec(0, POLLED_CORRECTED),
  malformed: rec(1, MALFORMED_WRONG_DATA_LENGTH, MALFORMED_BLOCK_TOO_LONG),
  queue: rec(1, QUEUE_1, QUEUE_2, QUEUE_3, QUEUE_4, QUEUE_5, QUEUE_6, QUEUE_7, QUEUE_8),
  'arm-multi': rec(0, ARM_ONLY, ARM_MULTI),
  sea: rec(2, SEA_UNASSIGNED),
  fatal: rec(0, FATAL),
} as const;

/** 6.1 and 6.12: the queue right after early-kill; everything within one 5 s window. */
const TIMELINE_QUEUE_EARLY = {
  startNs: {
    'polled-corrected': 900 * MS,
    malformed: 1050 * MS,
    'early-kill': 1250 * MS,
    queue: 2050 * MS,
    'late-kill': 4250 * MS,
    'arm-multi': 6050 * MS,
    'sea-ram': 7 * SEC,
    sea: 8 * SEC,
  },
  endNs: 9 * SEC,
} as const;

/**
 * 7.3: the queue 2 s later, so the corrected window that began with polled-corrected's print
 * ends between its 6th and 7th record; arm-multi waits for the window its 7th record began.
 */
const TIMELINE_QUEUE_LATE = {
  startNs: {
    'polled-corrected': 900 * MS,
    malformed: 1050 * MS,
    'early-kill': 1250 * MS,
    queue: 4050 * MS,
    'late-kill': 6250 * MS,
    'arm-multi': 11150 * MS,
    'sea-ram': 12500 * MS,
    sea: 13500 * MS,
  },
  endNs: 14500 * MS,
} as const;

export const HARNESS_CAPTURES: Readonly<Record<HarnessKernel, HarnessCapture>> = {
  '6.1': {
    records: {
      ...sharedRecords,
      'early-kill': rec(0, EARLY_6_1),
      'late-kill': rec(0, LATE_6_1),
      'sea-ram': rec(2, SEARAM_6_1),
    },
    victims: {
      'early-kill': { pid: 87, vaddr: 0xffff923d6000n, paddr: 0x7c3ef000n },
      'late-kill': { pid: 88, vaddr: 0xffff99035000n, paddr: 0x7c3f6000n },
      'sea-ram': { pid: 89, vaddr: 0xffff9d0d3000n, paddr: 0x7c3ee000n },
    },
    seaDevmemPid: 92,
    ...TIMELINE_QUEUE_EARLY,
  },
  '6.12': {
    records: {
      ...sharedRecords,
      'early-kill': rec(0, EARLY_6_12),
      'late-kill': rec(0, LATE_6_12),
      'sea-ram': rec(2, SEARAM_6_12),
    },
    victims: {
      'early-kill': { pid: 130, vaddr: 0xffff95524000n, paddr: 0x7c3f2000n },
      'late-kill': { pid: 131, vaddr: 0xffff9c8dd000n, paddr: 0x7c3e6000n },
      'sea-ram': { pid: 132, vaddr: 0xffffa39ef000n, paddr: 0x7c3e3000n },
    },
    seaDevmemPid: 135,
    ...TIMELINE_QUEUE_EARLY,
  },
  '7.3': {
    records: {
      ...sharedRecords,
      'early-kill': rec(0, EARLY_7_3),
      'late-kill': rec(0, LATE_7_3),
      'sea-ram': rec(2, SEARAM_7_3),
    },
    victims: {
      'early-kill': { pid: 92, vaddr: 0xffffba054000n, paddr: 0x726dc000n },
      'late-kill': { pid: 93, vaddr: 0xffffb7ca8000n, paddr: 0x726f2000n },
      'sea-ram': { pid: 94, vaddr: 0xffffaa24d000n, paddr: 0x726d5000n },
    },
    seaDevmemPid: 96,
    ...TIMELINE_QUEUE_LATE,
  },
};

/** The harness's main HEST (src/guest/scenarios.ts mainMachineConfig). */
const MAIN_MACHINE = {
  layout: 'hest-addr',
  sources: [
    { id: 0, notification: 0, pollIntervalMs: 100 },
    { id: 1, notification: 0, pollIntervalMs: 100 },
    { id: 2, notification: 8 },
    { id: 3, notification: 9 },
  ],
} as const;

/** The fatal group's HEST (fatalMachineConfig): one polled source. */
const FATAL_MACHINE = {
  layout: 'hest-addr',
  sources: [{ id: 0, notification: 0, pollIntervalMs: 100 }],
} as const;

/** The physical address `devmem` reads: unassigned on `virt`, so TCG raises an SEA. */
const UNASSIGNED_PA = 0x0910_0000n;
/** Where the devmem processes are mapped (any user address; only the GPA matters). */
const DEVMEM_VADDR = 0xffff9a000000n;
/** Gaps inside one harness step (the harness waits for each record to be consumed). */
const NEXT_RECORD_NS = 100 * MS;
const DEVMEM_AFTER_POST_NS = 100 * MS;
const VICTIM_TOUCH_NS = 500 * MS;
const LATE_TOUCH_NS = 1250 * MS;

const post = (atNs: number, r: HarnessRecord): ScheduledInput => ({
  atNs,
  target: 'vmm',
  message: { kind: 'post-bytes', sourceId: r.sourceId, hex: r.hex, notify: false },
});
const touch = (atNs: number, pid: number): ScheduledInput => ({
  atNs,
  target: 'guest.kernel',
  message: { kind: 'touch', pid },
});

/** The capture of `kernel` ('newer' is 7.3; undefined is 6.1). */
export function harnessCapture(kernel?: KernelVersion): HarnessCapture {
  return HARNESS_CAPTURES[resolveKernel(kernel)];
}

/** The pid of `sea-ram`'s devmem (not printed by any kernel: the victim's pid + 1). */
const seaRamDevmemPid = (c: HarnessCapture): number => c.victims['sea-ram'].pid + 1;

/** The processes of the main group's boot: the three victims and the two devmem reads. */
function mainProcesses(c: HarnessCapture): GuestProcess[] {
  const v = c.victims;
  const victim = (x: HarnessVictim, earlyKill: boolean): GuestProcess => ({
    pid: x.pid,
    comm: 'victim',
    vaddr: x.vaddr,
    gpa: x.paddr,
    earlyKill,
    catchesSigbus: true,
  });
  const devmem = (pid: number): GuestProcess => ({
    pid,
    comm: 'devmem',
    vaddr: DEVMEM_VADDR,
    gpa: UNASSIGNED_PA,
    earlyKill: false,
  });
  return [
    victim(v['early-kill'], true),
    victim(v['late-kill'], false),
    victim(v['sea-ram'], false),
    devmem(seaRamDevmemPid(c)),
    devmem(c.seaDevmemPid),
  ];
}

/** What the harness does in one main-group step, from `t0`. */
function stepInputs(step: HarnessMainStep, c: HarnessCapture, t0: number): ScheduledInput[] {
  const r = c.records[step];
  switch (step) {
    case 'polled-corrected':
    case 'early-kill':
    case 'malformed':
    case 'arm-multi':
      // One record at a time, the next once the guest consumed the previous.
      return r.map((x, i) => post(t0 + i * NEXT_RECORD_NS, x));
    case 'queue':
      // All at once: the engine posts the first and queues the rest behind the guest's acks.
      return r.map((x) => post(t0, x));
    case 'late-kill':
      return [post(t0, r[0]!), touch(t0 + LATE_TOUCH_NS, c.victims['late-kill'].pid)];
    case 'sea-ram':
      return [
        post(t0, r[0]!),
        touch(t0 + DEVMEM_AFTER_POST_NS, seaRamDevmemPid(c)),
        touch(t0 + VICTIM_TOUCH_NS, c.victims['sea-ram'].pid),
      ];
    case 'sea':
      return [post(t0, r[0]!), touch(t0 + DEVMEM_AFTER_POST_NS, c.seaDevmemPid)];
  }
}

/** A harness counterpart: a scenario whose console from realGuestFromNs() is the fixture's. */
export interface HarnessScenario extends Scenario {
  readonly realGuestFixture: HarnessStep;
  /** Simulated time from which the console is this scenario's (earlier lines replay others). */
  realGuestFromNs(kernel?: KernelVersion): number;
  /** Simulated time by which every line of the scenario is printed, for `kernel`. */
  realGuestToNs(kernel?: KernelVersion): number;
}

const countRecords = (c: HarnessCapture, steps: readonly HarnessStep[]): number =>
  steps.reduce((n, s) => n + c.records[s].length, 0);

function mainStepScenario(step: HarnessMainStep): HarnessScenario {
  const upTo = HARNESS_MAIN_ORDER.slice(0, HARNESS_MAIN_ORDER.indexOf(step) + 1);
  const next = HARNESS_MAIN_ORDER[upTo.length];
  const toNs = (c: HarnessCapture) => (next === undefined ? c.endNs : c.startNs[next]);
  const expect: Expectation = {
    guestPanic: null,
    hostPanic: false,
    // Same for every kernel: the records were the same in number.
    recordsDelivered: countRecords(HARNESS_CAPTURES['6.1'], upTo),
  };
  return {
    name: `harness-${step}`,
    summary: `the real-guest harness's ${step} scenario after the earlier ones of its shared boot (${upTo.slice(0, -1).join(', ') || 'none'}), with the records and pids of each kernel's capture; its console equals test/fixtures/real-guest/<kernel>/${step}.txt`,
    realGuestFixture: step,
    expect,
    durationNs: Math.max(...Object.values(HARNESS_CAPTURES).map(toNs)),
    realGuestFromNs: (kernel) => harnessCapture(kernel).startNs[step],
    realGuestToNs: (kernel) => toNs(harnessCapture(kernel)),
    build(seed, trace, options = {}) {
      const c = harnessCapture(options.kernel);
      const w = buildArmWorld({
        seed,
        trace,
        mode: 'firmware-first',
        machine: MAIN_MACHINE,
        unassignedSea: true,
        processes: mainProcesses(c),
        ...(options.kernel === undefined ? {} : { kernel: options.kernel }),
      });
      for (const s of upTo) {
        for (const i of stepInputs(s, c, c.startNs[s])) {
          w.sim.scheduler.postAt(i.atNs, i.target, i.message);
        }
      }
      return w;
    },
  };
}

/** The fatal group: its own boot, one fatal record on the polled source. */
const FATAL_POST_NS = 900 * MS;
const FATAL_END_NS = 2 * SEC;

function fatalScenario(): HarnessScenario {
  return {
    name: 'harness-fatal',
    summary:
      "the real-guest harness's fatal scenario (its own boot, one polled source): a fatal memory error record → the guest panics; its console equals test/fixtures/real-guest/<kernel>/fatal.txt",
    realGuestFixture: 'fatal',
    expect: { guestPanic: 'GHES: Fatal hardware error', hostPanic: false, killedCode: null },
    durationNs: FATAL_END_NS,
    realGuestFromNs: () => FATAL_POST_NS,
    realGuestToNs: () => FATAL_END_NS,
    build(seed, trace, options = {}) {
      const c = harnessCapture(options.kernel);
      const w = buildArmWorld({
        seed,
        trace,
        mode: 'firmware-first',
        machine: FATAL_MACHINE,
        processes: [],
        ...(options.kernel === undefined ? {} : { kernel: options.kernel }),
      });
      const i = post(FATAL_POST_NS, c.records.fatal[0]!);
      w.sim.scheduler.postAt(i.atNs, i.target, i.message);
      return w;
    },
  };
}

/** Every harness counterpart: the main group in MAIN_ORDER, then fatal. */
export const HARNESS_SCENARIOS: readonly HarnessScenario[] = [
  ...HARNESS_MAIN_ORDER.map(mainStepScenario),
  fatalScenario(),
];
