// A fleet campaign: many VMs under field-study DRAM error rates, for `vras campaign` and the
// bench. Built for scale (1M errors over 10k VMs in seconds): VMs are created lazily the first
// time an error picks them, and each error still goes through the codec:
//
// - Corrected errors (the vast majority) take the fast path: the EL3 firmware's CPER for the
//   faulty location is encoded by the codec once per location (field errors are dominated by
//   hard errors that repeat at the same address, so the firmware's record for a location is the
//   same bytes every time), and every occurrence is read back by the host's GHES with Linux's
//   acceptance rules and decoded (codecRecordPort.headerLength + readBlock).
// - Uncorrected errors run the full stack in the VM's own persistent arm64 world (hardware →
//   EL3 → host kernel → KVM → VMM engine → guest kernel on QEMU 10.2's machine: SEA + GPIO),
//   created on the VM's first uncorrected error and reused for every later one, with the
//   world's scheduler advanced to each error's time; a guest panic resets the VM in place on
//   its next error (the engine's reset(), the vCPU's, firmware and kernel boot again). Each
//   flow's outcome is checked once the world settles.
//
// No clock inside: the caller measures wall time.

import { codecRecordPort } from './codec-port.js';
import type { BlockRead } from './ports.js';
import { Random } from './random.js';
import { type ArmWorld, buildArmWorld, HOST_RAM_BASE } from './world.js';

/**
 * Field rates. Source: B. Schroeder, E. Pinheiro, W.-D. Weber, "DRAM Errors in the Wild: A
 * Large-Scale Field Study", SIGMETRICS 2009 (Google fleet, 2.5 years): about a third of machines
 * and over 8% of DIMMs see at least one correctable error per year; a mean of 3,751
 * correctable errors per DIMM per year; uncorrectable errors affect 1.3% of machines per year.
 * The DIMMs per VM and the split of uncorrected errors by where they land are this model's
 * assumptions, not field data.
 */
export const FIELD_RATES = {
  /** Fraction of machines with at least one correctable error per year (Schroeder 2009). */
  ceMachineFraction: 0.32,
  /** Mean correctable errors per DIMM per year (Schroeder 2009). */
  cePerDimmYear: 3751,
  /** Machines with an uncorrectable error per year (Schroeder 2009). */
  ueMachineYear: 0.013,
  /** Assumption: a VM has the DRAM exposure of one 4-DIMM machine. */
  dimmsPerVm: 4,
} as const;

/** Assumption: where an uncorrected error lands, and so which flow handles it. */
export const UE_SPLIT = {
  /** Consumed by a guest process → SEA → SIGBUS AR → the guest kills it. */
  guestUser: 0.6,
  /** Found by the patrol scrubber first → AO → the guest offlines the page. */
  scrubbed: 0.3,
  /** Consumed where KVM cannot contain it → virtual SError → the guest panics. */
  uncontained: 0.07,
  /** In the host kernel's own memory: not a VM's problem; the host panics. */
  hostKernel: 0.03,
} as const;

/**
 * The error mixes a campaign can run. 'field': FIELD_RATES, where nearly every error is corrected
 * and takes the fast path. 'uncorrected': only uncorrected errors, each through every layer (the
 * full stack), at STORM_UE_PER_VM_HOUR per VM: a stress mix to measure the full path, not field
 * data.
 */
export type CampaignMix = 'field' | 'uncorrected';
/** The 'uncorrected' mix's rate: one uncorrected error per VM per simulated minute on average. */
export const STORM_UE_PER_VM_HOUR = 60;

const HOUR_NS = 3_600_000_000_000;
const YEAR_HOURS = 8766;

export interface CampaignOptions {
  readonly vms: number;
  readonly seed: bigint;
  /** Stop after this much simulated time (hours) … */
  readonly hours?: number;
  /** … or after this many errors (whichever is given; at least one). */
  readonly errors?: number;
  /** Called every `progressEvery` errors (default 100 000). */
  readonly onProgress?: (p: CampaignProgress) => void;
  readonly progressEvery?: number;
  /** Overrides of FIELD_RATES (tests, what-if runs); the summary reports what was used. */
  readonly rates?: Partial<Record<keyof typeof FIELD_RATES, number>>;
  /** Error mix (default 'field'); 'uncorrected' ignores `rates`. */
  readonly mix?: CampaignMix;
  /**
   * Run only the VMs with `index % count === part` (runCampaignPart, for one worker of a
   * parallel campaign); default: all of them.
   */
  readonly partition?: CampaignPartition;
}

/** One share of a campaign's VMs: those whose index is `part` modulo `count`. */
export interface CampaignPartition {
  readonly part: number;
  readonly count: number;
}

/**
 * What one partition of a campaign did. The error stream (times, kinds, which VM each error
 * hits) is drawn from the campaign's root stream in every partition alike; each partition runs
 * only its own VMs' errors. `mergeCampaignParts` adds the parts up into the summary one
 * partition of all VMs gives, byte for byte (sim-campaign-workers.test.ts).
 */
export interface CampaignPart {
  readonly partition: CampaignPartition;
  /** Whole-campaign figures (the same in every part) and this part's own counts. */
  readonly summary: CampaignSummary;
  /** Per failure, where it falls in a whole-campaign run: [phase (0 running, 1 final), n]. */
  readonly failureOrder: readonly (readonly [number, number])[];
}

export interface CampaignProgress {
  readonly errors: number;
  readonly simulatedHours: number;
  readonly vmsTouched: number;
}

export interface CampaignSummary {
  readonly seed: string;
  readonly vms: number;
  readonly vmsTouched: number;
  readonly simulatedHours: number;
  readonly errors: number;
  readonly correctedErrors: number;
  readonly uncorrectedErrors: number;
  /** The mix that was run, and the fraction of its errors that were uncorrected. */
  readonly mix: CampaignMix;
  readonly uncorrectedFraction: number;
  /**
   * Errors that ran through every layer (hardware → EL3 → host kernel → KVM → VMM engine →
   * guest kernel): the uncorrected errors that land in a VM.
   */
  readonly fullStackErrors: number;
  /**
   * Errors that took the fast path: corrected errors (one cached CPER encode per location, then
   * the host's GHES acceptance and decode per occurrence) and uncorrected errors in host kernel
   * memory (one encode, acceptance and decode, then the host panics).
   */
  readonly fastPathErrors: number;
  /** Full-stack worlds built (one per VM) and guest resets in them (after guest or host panics). */
  readonly worldsBuilt: number;
  readonly guestResets: number;
  readonly processKills: number;
  readonly pagesOfflined: number;
  readonly guestPanics: number;
  readonly hostPanics: number;
  /** CPER records written (host and guest) and read back by the kernel they were for. */
  readonly recordsDelivered: number;
  /** Records written and never consumed (must be 0). */
  readonly recordsLost: number;
  /** The first VM and error index of every failure, for replay. */
  readonly failures: readonly string[];
  readonly rates: Record<keyof typeof FIELD_RATES, number>;
}

interface FleetVm {
  readonly index: number;
  readonly ceProne: boolean;
  /** The faulty locations' host physical addresses and their firmware records. */
  readonly locations: readonly bigint[];
  readonly records: (Uint8Array | undefined)[];
  /** The VM's full-stack world, created on its first uncorrected error and kept. */
  world: VmWorld | undefined;
  /** Worlds booted so far (a reboot after a panic is the next generation). */
  generation: number;
}

/** Full VMs by index: an array up to 2^20 VMs (a lookup per error), a map beyond. */
class FullVms {
  readonly #array: (FleetVm | undefined)[] | undefined;
  readonly #map: Map<number, FleetVm> | undefined;

  constructor(vms: number) {
    if (vms <= 1 << 20) this.#array = new Array<FleetVm | undefined>(vms).fill(undefined);
    else this.#map = new Map();
  }

  get(index: number): FleetVm | undefined {
    return this.#array !== undefined ? this.#array[index] : this.#map!.get(index);
  }

  set(index: number, vm: FleetVm): void {
    if (this.#array !== undefined) this.#array[index] = vm;
    else this.#map!.set(index, vm);
  }
}

/**
 * The VMs an error stream has touched, each as one identity byte (0: not yet): bit 0 set, bits
 * 1–2 its number of faulty locations − 1, bit 3 CE-prone. A byte array up to 2^24 VMs, a map
 * beyond; `order` lists them in first-touch order.
 */
class FleetIndex {
  readonly order: number[] = [];
  readonly #bytes: Uint8Array | undefined;
  readonly #map: Map<number, number> | undefined;

  constructor(vms: number) {
    if (vms <= 1 << 24) this.#bytes = new Uint8Array(vms);
    else this.#map = new Map();
  }

  static identity(ceProne: boolean, locations: number): number {
    return 1 | ((locations - 1) << 1) | (ceProne ? 8 : 0);
  }

  static ceProne(id: number): boolean {
    return (id & 8) !== 0;
  }

  static locations(id: number): number {
    return ((id >> 1) & 3) + 1;
  }

  get(index: number): number {
    return this.#bytes !== undefined ? this.#bytes[index]! : (this.#map!.get(index) ?? 0);
  }

  add(index: number, id: number): void {
    if (this.#bytes !== undefined) this.#bytes[index] = id;
    else this.#map!.set(index, id);
    this.order.push(index);
  }
}

type Flow = 'guest-user' | 'scrub' | 'serror';

/**
 * One VM's persistent world (hardware → EL3 → host kernel → KVM → VMM engine → guest kernel):
 * every uncorrected error the VM gets runs in it, with simulated time advanced between errors,
 * so the guest's rate limit, duplicate cache and poisoned pages carry over as on a real machine.
 */
interface VmWorld {
  readonly w: ArmWorld;
  readonly seed: bigint;
  /** Fleet time (ns) of the world's time 0. */
  readonly bornNs: number;
  nextPid: number;
  nextPage: number;
  expectKills: number;
  expectOfflined: number;
  expectPanic: boolean;
  /** A failure was already reported for this world. */
  checked: boolean;
  /** Its host panicked since its last error: the guest is reset first. */
  down: boolean;
}

/** A world is created this long (ns) before its first error: the guest has booted by then. */
const BOOTED_NS = 1_000_000_000;
/** Worlds are rebooted before their integer-ns clock leaves the safe range. */
const MAX_WORLD_NS = 2 ** 52;
/** Upper bound on events to settle one world (a flow takes a few dozen). */
const SETTLE_EVENTS = 100_000;
/** Guest RAM (QEMU virt -m 1G) and the pages the fleet's errors land on: 0x40100000 up, 512 MiB. */
const GUEST_RAM_GPA = 0x4000_0000n;
const FLEET_GUEST_PAGE_BASE = 0x4010_0000n;
const FLEET_GUEST_PAGES = 0x2_0000;

export function runCampaign(o: CampaignOptions): CampaignSummary {
  return runCampaignPart(o).summary;
}

/** Adds up the parts of one campaign (every partition once) into its summary. */
export function mergeCampaignParts(parts: readonly CampaignPart[]): CampaignSummary {
  const first = parts[0];
  if (first === undefined) throw new RangeError('no campaign parts to merge');
  const count = first.partition.count;
  const seen = new Set(parts.map((p) => p.partition.part));
  if (
    parts.length !== count ||
    seen.size !== count ||
    parts.some((p) => p.partition.count !== count)
  ) {
    throw new RangeError(`campaign parts: need each of ${count} partitions exactly once`);
  }
  const sum = (f: (x: CampaignSummary) => number): number =>
    parts.reduce((t, p) => t + f(p.summary), 0);
  const ordered: { phase: number; n: number; part: number; i: number; text: string }[] = [];
  for (const p of parts) {
    p.summary.failures.forEach((text, i) => {
      const [phase, n] = p.failureOrder[i] ?? [2, 0];
      ordered.push({ phase, n, part: p.partition.part, i, text });
    });
  }
  // One error (or one final VM) belongs to one partition: ties are within a part, in its order.
  ordered.sort((a, b) => a.phase - b.phase || a.n - b.n || a.part - b.part || a.i - b.i);
  const f = first.summary;
  return {
    seed: f.seed,
    vms: f.vms,
    vmsTouched: f.vmsTouched,
    simulatedHours: f.simulatedHours,
    errors: f.errors,
    correctedErrors: f.correctedErrors,
    uncorrectedErrors: f.uncorrectedErrors,
    mix: f.mix,
    uncorrectedFraction: f.uncorrectedFraction,
    fullStackErrors: f.fullStackErrors,
    fastPathErrors: f.fastPathErrors,
    worldsBuilt: sum((x) => x.worldsBuilt),
    guestResets: sum((x) => x.guestResets),
    processKills: sum((x) => x.processKills),
    pagesOfflined: sum((x) => x.pagesOfflined),
    guestPanics: sum((x) => x.guestPanics),
    hostPanics: sum((x) => x.hostPanics),
    recordsDelivered: sum((x) => x.recordsDelivered),
    recordsLost: sum((x) => x.recordsLost),
    failures: ordered.map((x) => x.text),
    rates: f.rates,
  };
}

/** Runs the campaign's errors for the VMs of `o.partition` (all by default). */
export function runCampaignPart(o: CampaignOptions): CampaignPart {
  if (!Number.isSafeInteger(o.vms) || o.vms < 1) throw new RangeError('vms must be ≥ 1');
  const partition = o.partition ?? { part: 0, count: 1 };
  if (
    !Number.isSafeInteger(partition.count) ||
    partition.count < 1 ||
    !Number.isSafeInteger(partition.part) ||
    partition.part < 0 ||
    partition.part >= partition.count
  ) {
    throw new RangeError(`bad campaign partition ${partition.part} of ${partition.count}`);
  }
  const owns = (index: number): boolean => index % partition.count === partition.part;
  if (o.hours === undefined && o.errors === undefined) {
    throw new RangeError('give hours or errors');
  }
  const endNs = o.hours === undefined ? Number.POSITIVE_INFINITY : o.hours * HOUR_NS;
  const maxErrors = o.errors ?? Number.POSITIVE_INFINITY;
  const every = o.progressEvery ?? 100_000;
  const rng = Random.fork(o.seed, 'campaign.fleet');
  const port = codecRecordPort({ ram: [{ start: HOST_RAM_BASE, size: 1n << 40n }] });
  // Every VM the error stream touches (in every partition alike) needs only whether it is
  // CE-prone and how many faulty locations it has: kept a byte per VM, in first-touch order.
  // The full FleetVm (locations, records, world) exists only for the partition's own VMs that
  // need it.
  const touched = new FleetIndex(o.vms);
  const fleet = new FullVms(o.vms);
  const mix = o.mix ?? 'field';
  const r =
    mix === 'field'
      ? { ...FIELD_RATES, ...o.rates }
      : { ...FIELD_RATES, cePerDimmYear: 0, ueMachineYear: STORM_UE_PER_VM_HOUR * YEAR_HOURS };
  // Per-nanosecond fleet rates.
  const ceRate = (o.vms * r.cePerDimmYear * r.dimmsPerVm) / (YEAR_HOURS * HOUR_NS);
  const ueRate = (o.vms * r.ueMachineYear) / (YEAR_HOURS * HOUR_NS);

  /** VM `index`'s identity (FleetIndex bits), drawn from its own stream when first touched. */
  const touch = (index: number): number => {
    let id = touched.get(index);
    if (id === 0) {
      const vr = Random.fork(o.seed, `campaign.vm${index}`);
      const ceProne = vr.chance(r.ceMachineFraction);
      const n = 1 + vr.int(4);
      id = FleetIndex.identity(ceProne, n);
      touched.add(index, id);
    }
    return id;
  };
  /** VM `index` in full: the same stream again, then its locations. */
  const vmAt = (index: number): FleetVm => {
    let vm = fleet.get(index);
    if (vm === undefined) {
      const vr = Random.fork(o.seed, `campaign.vm${index}`);
      const ceProne = vr.chance(r.ceMachineFraction);
      const n = 1 + vr.int(4);
      const locations = Array.from(
        { length: n },
        () => HOST_RAM_BASE + (BigInt(vr.int(0x40000)) << 12n),
      );
      vm = { index, ceProne, locations, records: new Array(n), world: undefined, generation: 0 };
      fleet.set(index, vm);
    }
    return vm;
  };

  let now = 0;
  let nextCe = ceRate > 0 ? rng.exponentialNs(1 / ceRate) : Number.POSITIVE_INFINITY;
  let nextUe = ueRate > 0 ? rng.exponentialNs(1 / ueRate) : Number.POSITIVE_INFINITY;
  const s = {
    errors: 0,
    ce: 0,
    ue: 0,
    kills: 0,
    offlined: 0,
    guestPanics: 0,
    hostPanics: 0,
    delivered: 0,
    lost: 0,
    full: 0,
    worlds: 0,
    resets: 0,
  };
  const failures: string[] = [];
  const failureOrder: [number, number][] = [];
  /** 0 while errors run (n = the error's number), 1 while the fleet is retired (n = VM order). */
  let phase = 0;
  let retiring = 0;
  const fail = (text: string): void => {
    failures.push(text);
    failureOrder.push([phase, phase === 0 ? s.errors : retiring]);
  };

  const readBack = (block: Uint8Array): BlockRead => {
    const len = port.headerLength(block.subarray(0, 20), 4096);
    if (typeof len !== 'number') return len;
    return port.readBlock(block.subarray(0, len));
  };

  while (s.errors < maxErrors) {
    const ce = nextCe <= nextUe;
    const t = ce ? nextCe : nextUe;
    if (t > endNs) {
      now = endNs;
      break;
    }
    now = t;
    s.errors++;
    if (ce) {
      nextCe = now + Math.max(1, rng.exponentialNs(1 / ceRate));
      // A correctable error lands on a CE-prone VM (rejection keeps VMs lazy).
      let index = rng.int(o.vms);
      let id = touch(index);
      for (let k = 0; !FleetIndex.ceProne(id) && k < 64; k++) {
        index = rng.int(o.vms);
        id = touch(index);
      }
      const i = rng.int(FleetIndex.locations(id));
      s.ce++;
      if (owns(index)) corrected(vmAt(index), i);
    } else {
      nextUe = now + Math.max(1, rng.exponentialNs(1 / ueRate));
      s.ue++;
      const index = rng.int(o.vms);
      touch(index);
      uncorrected(index, rng.float());
    }
    if (o.onProgress !== undefined && s.errors % every === 0) {
      o.onProgress({
        errors: s.errors,
        simulatedHours: now / HOUR_NS,
        vmsTouched: touched.order.length,
      });
    }
  }

  /** Location `i` of `vm` reports a corrected error: the host's GHES reads the firmware's record. */
  function corrected(vm: FleetVm, i: number): void {
    let rec = vm.records[i];
    if (rec === undefined) {
      rec = port.encodeMemoryRecord({
        severity: 2,
        physicalAddress: vm.locations[i]!,
        errorType: 2,
      });
      vm.records[i] = rec;
    }
    if (readBack(rec).kind === 'accepted') s.delivered++;
    else {
      s.lost++;
      fail(`vm ${vm.index} error ${s.errors}: host rejected a corrected record`);
    }
  }

  function uncorrected(index: number, u: number): void {
    const split = UE_SPLIT;
    const hostKernel = u >= split.guestUser + split.scrubbed + split.uncontained;
    // Which flow an error takes is the same in every partition; only the VM's owner runs it.
    if (!hostKernel) s.full++;
    if (!owns(index)) return;
    const vm = vmAt(index);
    if (hostKernel) {
      // Host kernel memory: the host's GHES reads the record (codec), then cannot recover. The
      // host's panic takes the VM down with it: its guest is reset before its next error (the
      // world's host-side components keep their state: pages are fresh per error anyway).
      const rec = port.encodeMemoryRecord({
        severity: 1,
        physicalAddress: vm.locations[0]!,
        errorType: 3,
      });
      if (readBack(rec).kind === 'accepted') s.delivered++;
      else s.lost++;
      s.hostPanics++;
      if (vm.world !== undefined) vm.world.down = true;
      return;
    }
    const flow: Flow =
      u < split.guestUser
        ? 'guest-user'
        : u < split.guestUser + split.scrubbed
          ? 'scrub'
          : 'serror';
    let vw = vm.world;
    if (vw !== undefined) {
      // Bring the VM's world to this error's time. One flow at a time per VM: an error that
      // arrives while the last one is still in flight (under ~1.3 s of simulated time; rare at
      // one error per VM-minute) waits until it settles.
      const sim = vw.w.sim;
      const rel = now - vw.bornNs;
      sim.run({ untilNs: Math.floor(Math.min(rel, MAX_WORLD_NS)) });
      if (sim.scheduler.size > 0) sim.run({ maxEvents: SETTLE_EVENTS });
      // A world older than the scheduler's integer-ns range (~52 simulated days) is replaced
      // by a fresh one; a guest that panicked is reset (qemu_system_reset: the engine's
      // reset, the vCPU's, the firmware and kernel boot again) and is up 1 s later.
      if (rel >= MAX_WORLD_NS) vw = retire(vm);
      else if (vw.w.guest.state.panicked !== null || vw.down) reboot(vm, vw);
    }
    if (vw === undefined) vw = boot(vm);
    const w = vw.w;
    const sim = w.sim;
    check(vm, vw);
    const at = sim.scheduler.now;
    const page = vw.nextPage++;
    if (page >= FLEET_GUEST_PAGES) {
      fail(`vm ${vm.index} error ${s.errors}: out of fresh guest pages (seed ${o.seed})`);
      return;
    }
    const gpa = FLEET_GUEST_PAGE_BASE + (BigInt(page) << 12n);
    const hpa = HOST_RAM_BASE + (gpa - GUEST_RAM_GPA);
    const q = sim.scheduler;
    if (flow === 'serror') {
      // Consumed where KVM cannot contain it and with no RAS syndrome (IDS = 1): nothing for
      // APEI to describe, so KVM makes a virtual SError pending and the guest panics.
      q.postAt(at, 'hw.cpu0', { kind: 'raise-serror', aet: 0, hpa: null, ids: true });
      vw.expectPanic = true;
      return;
    }
    if (flow === 'scrub') {
      q.postAt(at, 'hw.dram', { kind: 'inject', hpa, type: 'ue', scrub: true });
      vw.expectOfflined++;
      return;
    }
    // A guest process owns the page (its workload restarted after any earlier kill), the DRAM
    // line goes bad, the process touches it 200 ms later: SEA → … → SIGBUS AR in the guest.
    const pid = vw.nextPid++;
    q.postAt(at, 'guest.kernel', {
      kind: 'spawn',
      process: {
        pid,
        comm: 'worker',
        vaddr: 0xffff_a000_0000n + (BigInt(page) << 12n),
        gpa,
        earlyKill: false,
      },
    });
    q.postAt(at, 'hw.dram', { kind: 'inject', hpa, type: 'ue' });
    q.postAt(at + 200_000_000, 'guest.kernel', { kind: 'touch', pid });
    vw.expectKills++;
    vw.expectOfflined++;
  }

  /** A VM's world, booted at fleet time `now` − 1 s (the guest is up when its error comes). */
  function boot(vm: FleetVm): VmWorld {
    const gen = vm.generation++;
    s.worlds++;
    const seed =
      (o.seed ^ (BigInt(vm.index) << 32n) ^ (BigInt(gen) << 16n) ^ 0x5eedn) & ((1n << 64n) - 1n);
    const w = buildArmWorld({
      seed,
      trace: false,
      mode: 'firmware-first',
      machine: 'qemu-10.2',
      processes: [],
    });
    w.sim.run({ untilNs: BOOTED_NS });
    const vw: VmWorld = {
      w,
      seed,
      bornNs: now - BOOTED_NS,
      nextPid: 1000,
      nextPage: 0,
      expectKills: 0,
      expectOfflined: 0,
      expectPanic: false,
      checked: false,
      down: false,
    };
    vm.world = vw;
    return vw;
  }

  /** Counts what the guest's boot did (its state is gone after a reset). */
  function harvest(vw: VmWorld): void {
    const g = vw.w.guest.state;
    s.kills += g.killed.length;
    s.offlined += g.offlined.length;
    if (g.panicked !== null) s.guestPanics++;
  }

  function reboot(vm: FleetVm, vw: VmWorld): void {
    s.resets++;
    check(vm, vw);
    harvest(vw);
    const sim = vw.w.sim;
    const at = sim.scheduler.now;
    sim.scheduler.postAt(at, 'vmm', { kind: 'system-reset' });
    sim.run({ untilNs: at + BOOTED_NS });
    vw.expectKills = 0;
    vw.expectOfflined = 0;
    vw.expectPanic = false;
    vw.checked = false;
    vw.down = false;
  }

  /** Checks a settled world's outcome against what its flows call for (once per world). */
  function check(vm: FleetVm, vw: VmWorld): void {
    if (vw.checked || vw.w.sim.scheduler.size > 0) return;
    const g = vw.w.guest.state;
    const ok =
      g.killed.length === vw.expectKills &&
      g.offlined.length === vw.expectOfflined &&
      (g.panicked !== null) === vw.expectPanic &&
      vw.w.host.panicked === null;
    if (!ok) {
      vw.checked = true;
      fail(
        `vm ${vm.index} error ${s.errors}: unexpected outcome (world seed ${vw.seed}: ${g.killed.length}/${vw.expectKills} kills, ${g.offlined.length}/${vw.expectOfflined} pages offlined, guest panic ${g.panicked ?? 'none'}; campaign seed ${o.seed})`,
      );
    }
    // dmesg -c: the campaign keeps counts, not every printed line.
    g.console.length = 0;
    vw.w.host.console.length = 0;
  }

  /** Runs a world to quiescence, counts what it did and drops it; returns undefined. */
  function retire(vm: FleetVm): undefined {
    const vw = vm.world;
    if (vw === undefined) return undefined;
    const w = vw.w;
    if (w.sim.scheduler.size > 0) w.sim.run({ maxEvents: SETTLE_EVENTS });
    check(vm, vw);
    harvest(vw);
    if (w.host.panicked !== null) s.hostPanics++;
    // Host records (firmware → host GHES) and guest records (VMM engine → guest GHES).
    s.delivered += w.firmware.written + w.vmm.recordsWritten;
    const lost = w.vmm.recordsLost;
    s.lost += lost;
    if (lost !== 0)
      fail(`vm ${vm.index}: ${lost} records lost (world seed ${vw.seed}, campaign seed ${o.seed})`);
    vm.world = undefined;
    return undefined;
  }

  phase = 1;
  for (const index of touched.order) {
    retiring++;
    const vm = fleet.get(index);
    if (vm !== undefined) retire(vm);
  }

  const summary: CampaignSummary = {
    seed: `${o.seed}`,
    vms: o.vms,
    vmsTouched: touched.order.length,
    simulatedHours: now / HOUR_NS,
    errors: s.errors,
    correctedErrors: s.ce,
    uncorrectedErrors: s.ue,
    mix,
    uncorrectedFraction: s.errors > 0 ? s.ue / s.errors : 0,
    fullStackErrors: s.full,
    fastPathErrors: s.errors - s.full,
    worldsBuilt: s.worlds,
    guestResets: s.resets,
    processKills: s.kills,
    pagesOfflined: s.offlined,
    guestPanics: s.guestPanics,
    hostPanics: s.hostPanics,
    recordsDelivered: s.delivered,
    recordsLost: s.lost,
    failures,
    rates: r,
  };
  return { partition, summary, failureOrder };
}
