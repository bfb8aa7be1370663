// A fleet campaign: many VMs under field-study DRAM error rates, for `vras campaign` and the
// bench. Built for scale (1M errors over 10k VMs in seconds): VMs are created lazily the first
// time an error picks them, and each error still goes through the codec:
//
// - Corrected errors (the vast majority) take the fast path: the EL3 firmware's CPER for the
//   faulty location is encoded by the codec once per location (field errors are dominated by
//   hard errors that repeat at the same address, so the firmware's record for a location is the
//   same bytes every time), and every occurrence is read back by the host's GHES with Linux's
//   acceptance rules and decoded (codecRecordPort.headerLength + readBlock).
// - Uncorrected errors run the full stack: a fresh arm64 world for that VM (hardware → EL3 →
//   host kernel → KVM → VMM → guest kernel), with the flow the error's location calls for.
//
// No clock inside: the caller measures wall time.

import { codecRecordPort } from './codec-port.js';
import type { BlockRead } from './ports.js';
import { Random } from './random.js';
import { buildArmWorld, HOST_RAM_BASE } from './world.js';

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
  dead: boolean;
}

export function runCampaign(o: CampaignOptions): CampaignSummary {
  if (!Number.isSafeInteger(o.vms) || o.vms < 1) throw new RangeError('vms must be ≥ 1');
  if (o.hours === undefined && o.errors === undefined) {
    throw new RangeError('give hours or errors');
  }
  const endNs = o.hours === undefined ? Number.POSITIVE_INFINITY : o.hours * HOUR_NS;
  const maxErrors = o.errors ?? Number.POSITIVE_INFINITY;
  const every = o.progressEvery ?? 100_000;
  const rng = Random.fork(o.seed, 'campaign.fleet');
  const port = codecRecordPort({ ram: [{ start: HOST_RAM_BASE, size: 1n << 40n }] });
  const fleet = new Map<number, FleetVm>();
  const mix = o.mix ?? 'field';
  const r =
    mix === 'field'
      ? { ...FIELD_RATES, ...o.rates }
      : { ...FIELD_RATES, cePerDimmYear: 0, ueMachineYear: STORM_UE_PER_VM_HOUR * YEAR_HOURS };
  // Per-nanosecond fleet rates.
  const ceRate = (o.vms * r.cePerDimmYear * r.dimmsPerVm) / (YEAR_HOURS * HOUR_NS);
  const ueRate = (o.vms * r.ueMachineYear) / (YEAR_HOURS * HOUR_NS);

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
      vm = { index, ceProne, locations, records: new Array(n), dead: false };
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
  };
  const failures: string[] = [];

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
      let vm = vmAt(rng.int(o.vms));
      for (let k = 0; !vm.ceProne && k < 64; k++) vm = vmAt(rng.int(o.vms));
      const i = rng.int(vm.locations.length);
      let rec = vm.records[i];
      if (rec === undefined) {
        rec = port.encodeMemoryRecord({
          severity: 2,
          physicalAddress: vm.locations[i]!,
          errorType: 2,
        });
        vm.records[i] = rec;
      }
      s.ce++;
      if (readBack(rec).kind === 'accepted') s.delivered++;
      else {
        s.lost++;
        failures.push(`vm ${vm.index} error ${s.errors}: host rejected a corrected record`);
      }
    } else {
      nextUe = now + Math.max(1, rng.exponentialNs(1 / ueRate));
      s.ue++;
      uncorrected(vmAt(rng.int(o.vms)), rng.float());
    }
    if (o.onProgress !== undefined && s.errors % every === 0) {
      o.onProgress({ errors: s.errors, simulatedHours: now / HOUR_NS, vmsTouched: fleet.size });
    }
  }

  function uncorrected(vm: FleetVm, u: number): void {
    const split = UE_SPLIT;
    if (u >= split.guestUser + split.scrubbed + split.uncontained) {
      // Host kernel memory: the host's GHES reads the record (codec), then cannot recover.
      const rec = port.encodeMemoryRecord({
        severity: 1,
        physicalAddress: vm.locations[0]!,
        errorType: 3,
      });
      if (readBack(rec).kind === 'accepted') s.delivered++;
      else s.lost++;
      s.hostPanics++;
      return;
    }
    s.full++;
    const seed = (o.seed ^ (BigInt(vm.index) << 32n) ^ BigInt(s.errors)) & ((1n << 64n) - 1n);
    const victim = {
      pid: 99,
      comm: 'victim',
      vaddr: 0xffffa8d01000n,
      gpa: 0x4000_0000n + (BigInt(vm.index % 0x3c000) << 12n),
      earlyKill: false,
    };
    const hpa = HOST_RAM_BASE + (victim.gpa - 0x4000_0000n);
    const scrub = u >= split.guestUser && u < split.guestUser + split.scrubbed;
    const serror = u >= split.guestUser + split.scrubbed;
    const w = buildArmWorld({
      seed,
      trace: false,
      mode: 'firmware-first',
      machine: scrub ? 'qemu-10.2' : 'qemu-7.2',
      ...(serror ? { arNotification: 'serror' as const } : {}),
      processes: [victim],
    });
    const at = 1_000_000_000;
    if (serror) {
      w.sim.scheduler.postAt(at, 'hw.cpu0', { kind: 'raise-serror', aet: 3, hpa });
    } else {
      w.sim.scheduler.postAt(at, 'hw.dram', { kind: 'inject', hpa, type: 'ue', scrub });
      if (!scrub)
        w.sim.scheduler.postAt(at + 200_000_000, 'guest.kernel', { kind: 'touch', pid: 99 });
    }
    w.sim.run({ untilNs: 5_000_000_000 });
    const f = w.facts();
    s.kills += f.killed.length;
    s.offlined += f.offlined.length;
    if (f.guestPanic !== null) s.guestPanics++;
    if (f.hostPanic !== null) s.hostPanics++;
    // Host records (firmware → host GHES) and guest records (VMM → guest GHES).
    s.delivered += w.firmware.written + f.recordsDelivered;
    s.lost += f.recordsLost;
    const expected = serror
      ? f.guestPanic !== null
      : scrub
        ? f.offlined.length === 1
        : f.killed.length === 1;
    if (!expected || f.recordsLost !== 0) {
      failures.push(`vm ${vm.index} error ${s.errors}: unexpected outcome (seed ${seed})`);
    }
  }

  return {
    seed: `${o.seed}`,
    vms: o.vms,
    vmsTouched: fleet.size,
    simulatedHours: now / HOUR_NS,
    errors: s.errors,
    correctedErrors: s.ce,
    uncorrectedErrors: s.ue,
    mix,
    uncorrectedFraction: s.errors > 0 ? s.ue / s.errors : 0,
    fullStackErrors: s.full,
    fastPathErrors: s.errors - s.full,
    processKills: s.kills,
    pagesOfflined: s.offlined,
    guestPanics: s.guestPanics,
    hostPanics: s.hostPanics,
    recordsDelivered: s.delivered,
    recordsLost: s.lost,
    failures,
    rates: r,
  };
}
