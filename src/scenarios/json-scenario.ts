// Scenarios as JSON documents (the files beside this one): an arm64 world, the inputs it gets
// and the observables the run must show. Browser-safe: the caller reads the file; this only
// checks and converts the document. Strings of the form "0x…" in `world.processes` and in event
// messages become bigint. An event may repeat (`count` times, `everyNs` apart, adding `step` to
// its 0x… fields each time, with up to `jitterNs` of delay drawn from the scenario's own random
// stream, so the seed changes the run).
//
// {
//   "schema": "vras/scenario/v1", "name": "…", "summary": "…", "durationNs": 10000000000,
//   "world": { "mode": "firmware-first", "machine": "qemu-10.2", "processes": [ … ],
//              "vmm": "vras",     // or "qemu": the engine with QEMU's reject policy
//              "kernel": "6.1" }, // guest kernel: 6.1 (default), 6.12, 7.3 or newer
//   "events": [ { "atNs": 1000000000, "target": "hw.dram",
//                 "message": { "kind": "inject", "hpa": "0x8bc3c7000", "type": "ue", "scrub": true },
//                 "repeat": { "count": 20, "everyNs": 1000, "step": { "hpa": "0x1000" } } } ],
//   "expect": { "guestPanic": null, "killedCode": null, "recordsDelivered": 20 }
// }

import { escapeControlText, KERNEL_VERSIONS, type KernelVersion } from '../codec/index.js';
import { EngineError, type MachineConfig, resolveSources } from '../engine/index.js';
import {
  type ArmWorldConfig,
  buildArmWorld,
  type GuestProcess,
  Random,
  SimError,
  SimErrorCode,
} from '../sim/index.js';
import type { Expectation, Scenario, ScheduledInput } from './catalogue.js';

export const SCENARIO_SCHEMA = 'vras/scenario/v1';

/** The guest kernels a scenario's `world.kernel` may name. */
const KERNEL_NAMES: readonly KernelVersion[] = [...KERNEL_VERSIONS, 'newer'];
const isKernelVersion = (v: unknown): v is KernelVersion =>
  KERNEL_NAMES.includes(v as KernelVersion);

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function bad(name: string, message: string): never {
  throw new SimError(SimErrorCode.BadScenario, `Cannot load scenario ${name}: ${message}`);
}

const HEX = /^0x[0-9a-fA-F]+$/;

function toValue(v: Json): unknown {
  if (typeof v === 'string' && HEX.test(v)) return BigInt(v);
  if (Array.isArray(v)) return v.map(toValue);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toValue(x)]));
  }
  return v;
}

function obj(name: string, v: Json | undefined, what: string): { [k: string]: Json } {
  if (v === null || v === undefined || typeof v !== 'object' || Array.isArray(v)) {
    bad(name, `${what} must be an object`);
  }
  return v;
}

function int(name: string, v: Json | undefined, what: string, fallback?: number): number {
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    bad(name, `${what} must be a non-negative integer`);
  }
  return v;
}

function processes(name: string, v: Json | undefined): GuestProcess[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) bad(name, 'world.processes must be an array');
  return v.map((p, i) => {
    const o = obj(name, p, `world.processes[${i}]`);
    const x = toValue(o) as Record<string, unknown>;
    if (
      typeof x.pid !== 'number' ||
      typeof x.comm !== 'string' ||
      typeof x.vaddr !== 'bigint' ||
      typeof x.gpa !== 'bigint'
    ) {
      bad(name, `world.processes[${i}] needs pid, comm, vaddr "0x…" and gpa "0x…"`);
    }
    return {
      pid: x.pid,
      comm: x.comm,
      vaddr: x.vaddr,
      gpa: x.gpa,
      earlyKill: x.earlyKill === true,
      ...(x.catchesSigbus === true ? { catchesSigbus: true } : {}),
    };
  });
}

function worldConfig(
  name: string,
  w: { [k: string]: Json },
): Omit<ArmWorldConfig, 'seed' | 'trace'> {
  const mode = w.mode ?? 'firmware-first';
  if (mode !== 'firmware-first' && mode !== 'kernel-first') {
    bad(name, 'world.mode must be firmware-first or kernel-first');
  }
  const m = w.machine ?? 'qemu-7.2';
  let machine: ArmWorldConfig['machine'];
  if (m === 'qemu-7.2' || m === 'qemu-10.2') machine = m;
  else {
    const config = toValue(obj(name, m, 'world.machine')) as MachineConfig;
    if (!Array.isArray(config.sources)) bad(name, 'world.machine.sources must be an array');
    for (const [i, src] of config.sources.entries()) {
      if (src === null || typeof src !== 'object' || Array.isArray(src))
        bad(name, `world.machine.sources[${i}] must be an object`);
    }
    try {
      resolveSources(config); // the engine's own checks, before a world is built on it
    } catch (cause) {
      if (!(cause instanceof EngineError)) throw cause;
      bad(name, `world.machine: ${escapeControlText(cause.message)}`);
    }
    machine = config as ArmWorldConfig['machine'];
  }
  const ar = w.arNotification ?? 'sea';
  if (ar !== 'sea' && ar !== 'serror') bad(name, 'world.arNotification must be sea or serror');
  const vmm = w.vmm ?? 'vras';
  if (vmm !== 'vras' && vmm !== 'qemu') bad(name, 'world.vmm must be vras or qemu');
  const kernel = w.kernel;
  if (kernel !== undefined && !isKernelVersion(kernel)) {
    bad(name, `world.kernel must be one of ${KERNEL_NAMES.join(', ')}`);
  }
  return {
    mode,
    machine,
    arNotification: ar,
    vmm,
    ...(w.unassignedSea === true ? { unassignedSea: true } : {}),
    ...(w.firmwareNoRecord === true ? { firmwareNoRecord: true } : {}),
    ...(kernel === undefined ? {} : { kernel }),
    processes: processes(name, w.processes),
  };
}

/** A message field: its JSON form once "0x…" strings became bigint. */
type FieldSpec =
  | { readonly type: 'bigint' | 'boolean' | 'string'; readonly optional?: boolean }
  | { readonly type: 'int'; readonly max: number; readonly optional?: boolean }
  | { readonly type: 'enum'; readonly values: readonly string[]; readonly optional?: boolean }
  | { readonly type: 'object'; readonly fields: Readonly<Record<string, FieldSpec>> };

/**
 * What a JSON scenario may send, by target and kind, and each message's fields (the sim's own
 * message types: DramMessage, VmmMessage, GuestKernelMessage). Anything else is refused at load
 * time: a wrong field would otherwise fail deep inside a component in the middle of a run.
 */
const MESSAGES: Readonly<Record<string, Readonly<Record<string, Record<string, FieldSpec>>>>> = {
  'hw.dram': {
    inject: {
      hpa: { type: 'bigint' },
      type: { type: 'enum', values: ['ce', 'ue'] },
      scrub: { type: 'boolean', optional: true },
    },
  },
  vmm: {
    migrate: {},
    'system-reset': {},
    'post-record': {
      sourceId: { type: 'int', max: 0xffff },
      notify: { type: 'boolean' },
      report: {
        type: 'object',
        fields: {
          severity: { type: 'int', max: 0xffff_ffff },
          physicalAddress: { type: 'bigint', optional: true },
          errorType: { type: 'int', max: 0xff },
        },
      },
    },
    'post-bytes': {
      sourceId: { type: 'int', max: 0xffff },
      notify: { type: 'boolean' },
      hex: { type: 'string' },
    },
  },
  'guest.kernel': { touch: { pid: { type: 'int', max: 0xffff_ffff } } },
};

function checkFields(
  name: string,
  where: string,
  v: Record<string, unknown>,
  fields: Readonly<Record<string, FieldSpec>>,
  skip: readonly string[] = [],
): void {
  for (const k of Object.keys(v)) {
    if (!skip.includes(k) && !(k in fields))
      bad(name, `${where}.${k} is not a field of this message`);
  }
  for (const [k, f] of Object.entries(fields)) {
    const x = v[k];
    const at = `${where}.${k}`;
    if (x === undefined) {
      if (f.type === 'object' || f.optional !== true) bad(name, `${at} is missing`);
      continue;
    }
    switch (f.type) {
      case 'bigint':
        if (typeof x !== 'bigint') bad(name, `${at} must be a "0x…" string`);
        break;
      case 'boolean':
      case 'string':
        if (typeof x !== f.type) bad(name, `${at} must be a ${f.type}`);
        break;
      case 'int':
        if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x > f.max)
          bad(name, `${at} must be an integer in 0..${f.max}`);
        break;
      case 'enum':
        if (typeof x !== 'string' || !f.values.includes(x))
          bad(name, `${at} must be one of ${f.values.join(', ')}`);
        break;
      default:
        if (x === null || typeof x !== 'object' || Array.isArray(x))
          bad(name, `${at} must be an object`);
        checkFields(name, at, x as Record<string, unknown>, f.fields);
    }
  }
}

/** Refuses a message its target does not take, or one whose fields are not what it expects. */
function checkMessage(name: string, i: number, target: string, message: Record<string, unknown>) {
  const kinds = MESSAGES[target];
  const known = Object.entries(MESSAGES)
    .map(([t, k]) => `${t} (${Object.keys(k).join(', ')})`)
    .join('; ');
  if (kinds === undefined)
    bad(name, `events[${i}].target ${JSON.stringify(target)} is not one of: ${known}`);
  const fields = kinds[message.kind as string];
  if (fields === undefined)
    bad(
      name,
      `events[${i}].message.kind ${JSON.stringify(message.kind)} is not one ${target} takes: ${known}`,
    );
  checkFields(name, `events[${i}].message`, message, fields, ['kind']);
}

interface EventSpec {
  readonly input: ScheduledInput;
  readonly count: number;
  readonly everyNs: number;
  readonly jitterNs: number;
  readonly step: Record<string, bigint>;
}

function events(name: string, v: Json | undefined): EventSpec[] {
  if (!Array.isArray(v)) bad(name, 'events must be an array');
  return v.map((e, i) => {
    const o = obj(name, e, `events[${i}]`);
    const message = toValue(
      obj(name, o.message, `events[${i}].message`),
    ) as ScheduledInput['message'];
    if (typeof message.kind !== 'string') bad(name, `events[${i}].message.kind must be a string`);
    if (typeof o.target !== 'string') bad(name, `events[${i}].target must be a string`);
    checkMessage(name, i, o.target, message as Record<string, unknown>);
    const r = o.repeat === undefined ? {} : obj(name, o.repeat, `events[${i}].repeat`);
    const step: Record<string, bigint> = {};
    for (const [k, s] of Object.entries(r.step === undefined ? {} : obj(name, r.step, 'step'))) {
      if (typeof s !== 'string' || !HEX.test(s))
        bad(name, `events[${i}].repeat.step.${k} must be "0x…"`);
      if (typeof message[k] !== 'bigint')
        bad(name, `events[${i}].message.${k} must be "0x…" to step it`);
      step[k] = BigInt(s);
    }
    const count = int(name, r.count, `events[${i}].repeat.count`, 1);
    if (count > 1_000_000) bad(name, `events[${i}].repeat.count ${count} is over 1000000`);
    return {
      input: { atNs: int(name, o.atNs, `events[${i}].atNs`), target: o.target, message },
      count,
      everyNs: int(name, r.everyNs, `events[${i}].repeat.everyNs`, 0),
      jitterNs: int(name, r.jitterNs, `events[${i}].repeat.jitterNs`, 0),
      step,
    };
  });
}

/** Checks a parsed JSON document and turns it into a Scenario. */
export function scenarioFromJson(doc: unknown, origin = 'document'): Scenario {
  const d = obj(origin, doc as Json, 'the document');
  if (d.schema !== SCENARIO_SCHEMA) bad(origin, `schema must be "${SCENARIO_SCHEMA}"`);
  if (typeof d.name !== 'string' || !/^[a-z0-9-]+$/.test(d.name)) {
    bad(origin, 'name must be kebab-case');
  }
  const name = d.name;
  if (typeof d.summary !== 'string') bad(name, 'summary must be a string');
  const config = worldConfig(name, obj(name, d.world, 'world'));
  const specs = events(name, d.events);
  const expect = (d.expect === undefined ? {} : obj(name, d.expect, 'expect')) as Expectation;
  const durationNs = int(name, d.durationNs, 'durationNs', 10_000_000_000);
  return {
    name,
    summary: d.summary,
    expect,
    durationNs,
    build(seed, trace, options = {}) {
      const w = buildArmWorld({
        ...config,
        seed,
        trace,
        ...(options.kernel === undefined ? {} : { kernel: options.kernel }),
      });
      const random = Random.fork(seed, `scenario.${name}`);
      for (const s of specs) {
        for (let k = 0; k < s.count; k++) {
          const message: Record<string, unknown> = { ...s.input.message };
          for (const [f, inc] of Object.entries(s.step)) {
            message[f] = (message[f] as bigint) + inc * BigInt(k);
          }
          const jitter = s.jitterNs > 0 ? random.int(s.jitterNs + 1) : 0;
          w.sim.scheduler.postAt(s.input.atNs + k * s.everyNs + jitter, s.input.target, {
            ...message,
            kind: s.input.message.kind,
          });
        }
      }
      return w;
    },
  };
}
