// Fuzz targets for the CLI's JSON inputs (issue 14): `vras encode` documents, `vras hest build`
// configs, JSON scenarios and QMP replies. The fuzz input bytes drive a structural mutation of
// a valid seed document (a field replaced by a hostile value, removed, duplicated, wrapped, or
// the text cut or spliced), so a failure replays from its input like the byte targets. A target
// may refuse its input only with its own typed error, in one line, without JavaScript's internal
// wording ("is not iterable", "Cannot mix BigInt", a stack frame).

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { encodeDocument } from '../../src/cli/encode.js';
import { hestFromConfigText } from '../../src/cli/hest.js';
import { CliError } from '../../src/cli/io.js';
import * as codec from '../../src/codec/index.js';
import { EngineError } from '../../src/engine/index.js';
import { GuestError } from '../../src/guest/errors.js';
import { QmpClient } from '../../src/guest/qmp.js';
import { scenarioFromJson } from '../../src/scenarios/index.js';
import { SimError } from '../../src/sim/index.js';
import { Prng } from '../support/prng.js';
import { repoRoot, sharedRoot } from '../support/shared.js';
import type { FuzzTarget } from './fuzz.js';

/** JavaScript's own words: a message with these leaked from an internal failure. */
const INTERNAL =
  /is not iterable|is not a function|Cannot convert \S+ to a BigInt|serialize a BigInt|Cannot mix BigInt|Cannot read prop|Cannot set prop|toJSON|Maximum call stack|Invalid array length/;

/** A typed refusal of one of `classes`, one line, with no internal wording. */
function typedRefusal(
  classes: readonly (abstract new (...args: never[]) => Error)[],
): (error: unknown) => boolean {
  return (error) =>
    classes.some((c) => error instanceof c) &&
    !INTERNAL.test((error as Error).message) &&
    !(error as Error).message.includes('\n');
}

const HOSTILE: readonly unknown[] = [
  null,
  0,
  -1,
  1.5,
  2 ** 53,
  1e300,
  '',
  'lots',
  '0x',
  '0xzz',
  '0x1ffffffffffffffffffff',
  'hex:zz',
  'hex:00',
  '\u001b[31m\u0007',
  true,
  [],
  {},
  [1, 2, 3],
  { kind: 'x' },
];

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function paths(v: Json, at: (string | number)[], out: (string | number)[][]): void {
  out.push(at);
  if (out.length > 4000) return;
  if (Array.isArray(v)) {
    for (const [i, c] of v.entries()) paths(c, [...at, i], out);
  } else if (v !== null && typeof v === 'object')
    for (const [k, c] of Object.entries(v)) paths(c, [...at, k], out);
}

function fnv(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193);
  return h >>> 0;
}

/**
 * The text of `seeds[pick]` after one to four structural mutations chosen by `bytes`; now and then
 * the text itself is cut or spliced with the input bytes, so the parsers see broken JSON too.
 */
export function mutateJson(seeds: readonly string[], bytes: Uint8Array): string {
  const prng = new Prng(fnv(bytes));
  const doc = JSON.parse(seeds[prng.below(seeds.length)]!) as Json;
  let root: Json = doc;
  const rounds = 1 + prng.below(4);
  for (let r = 0; r < rounds; r++) {
    const all: (string | number)[][] = [];
    paths(root, [], all);
    const path = all[prng.below(all.length)]!;
    const op = prng.below(6);
    const value: Json =
      op === 5
        ? new TextDecoder('latin1').decode(bytes.subarray(0, 40))
        : (structuredClone(HOSTILE[prng.below(HOSTILE.length)]) as Json);
    if (path.length === 0) {
      root = op === 0 ? value : root;
      continue;
    }
    let parent = root as Record<string | number, Json>;
    for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, Json>;
    const key = path.at(-1)!;
    if (op === 1 && !Array.isArray(parent)) delete parent[key];
    else if (op === 2 && Array.isArray(parent[key]))
      (parent[key] as Json[]).push(...structuredClone(parent[key] as Json[]));
    else if (op === 3) parent[key] = [parent[key]!];
    else parent[key] = value;
  }
  let text = JSON.stringify(root);
  const edit = prng.below(16);
  if (edit === 0) text = text.slice(0, prng.below(text.length + 1));
  else if (edit === 1) {
    const at = prng.below(text.length + 1);
    text =
      text.slice(0, at) + new TextDecoder('latin1').decode(bytes.subarray(0, 16)) + text.slice(at);
  }
  return text;
}

/** vras/v1 documents of every kind `vras encode` takes, from the reference bytes. */
function encodeSeeds(corpus: readonly Uint8Array[]): string[] {
  const out: string[] = [];
  const kinds = new Set<string>();
  for (const bytes of corpus) {
    for (const [kind, decode] of [
      ['ghes-status-block', codec.decodeGhesStatusBlock],
      ['hest', codec.decodeHest],
      ['cper-record', codec.decodeCperRecord],
    ] as const) {
      try {
        const text = codec.toJson(kind, (decode as (b: Uint8Array) => unknown)(bytes));
        if (out.length < 40 || !kinds.has(kind)) out.push(text);
        kinds.add(kind);
      } catch {
        // not this kind
      }
    }
  }
  for (const name of readdirSync(join(sharedRoot, 'reference', 'libcper-corpus')).slice(0, 60)) {
    if (!name.endsWith('.cper')) continue;
    try {
      const rec = codec.decodeCperRecord(
        new Uint8Array(readFileSync(join(sharedRoot, 'reference', 'libcper-corpus', name))),
      );
      out.push(codec.toJson('cper-record', rec));
      const s = rec.sections[0];
      if (s !== undefined) {
        out.push(codec.toJson('section', { sectionType: s.sectionType, body: s.body }));
      }
    } catch {
      // a record the codec refuses stays out of the seeds
    }
  }
  return out;
}

const HEST_CONFIG = JSON.stringify({
  oemId: 'BOCHS ',
  oemTableId: 'BXPC    ',
  oemRevision: 1,
  creatorId: 'BXPC',
  creatorRevision: 1,
  revision: 1,
  sources: [
    {
      type: 'ghes-v2',
      sourceId: 0,
      notification: 'sea',
      errorStatusAddress: '0x7c410000',
      readAckAddress: '0x7c410008',
    },
    { type: 'ghes', sourceId: 1, notification: 'gpio', errorStatusAddress: '0x7c410010' },
  ],
});

function scenarioSeeds(): string[] {
  const dir = join(repoRoot, 'src', 'scenarios');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => readFileSync(join(dir, f), 'utf8'));
}

/** Simulated events a mutated scenario may schedule before it is only parsed, not run. */
const MAX_RUN_EVENTS = 2000;

function scheduledEvents(doc: unknown): number {
  const events = (doc as { events?: unknown }).events;
  if (!Array.isArray(events)) return 0;
  let n = 0;
  for (const e of events) {
    const count = (e as { repeat?: { count?: unknown } } | null)?.repeat?.count;
    n += typeof count === 'number' ? count : 1;
  }
  return n;
}

const QMP_SEEDS = [
  '{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 10}, "package": ""}, "capabilities": ["oob"]}}',
  '{"return": {}, "id": "vras-1"}',
  '{"return": [{"name": "inject-ghes-v2-error"}, {"name": "pmemsave"}], "id": "vras-2"}',
  '{"error": {"class": "GenericError", "desc": "OSPM does not acknowledge previous error"}, "id": "vras-2"}',
  '{"event": "RESET", "data": {"guest": true}, "timestamp": {"seconds": 1, "microseconds": 2}}',
];

/** A socket the QMP client can be handed: what it writes is dropped, data arrives on demand. */
class FakeSocket extends Duplex {
  override _read(): void {}
  override _write(_c: unknown, _e: string, done: () => void): void {
    done();
  }
}

/**
 * Feeds a client a greeting (usually well formed) and mutated QMP lines while `commands()` is
 * pending. The data handler must never throw, and the pending call may only fail with a
 * GuestError; the promise's verdict arrives later, so a wrong one fails the next case.
 */
function qmpTarget(): FuzzTarget {
  const late: string[] = [];
  return {
    name: 'QMP client: mutated greeting and replies',
    mayThrowCodecError: false,
    run(bytes) {
      if (late.length > 0) throw new Error(late.splice(0).join('; '));
      const socket = new FakeSocket();
      const make = QmpClient as unknown as new (s: FakeSocket, a: unknown) => QmpClient;
      const client = new make(socket, { kind: 'unix', path: '/fuzz' });
      const greeted = bytes[0]! % 4 !== 0;
      const c = client as unknown as {
        greetingWaiter: ((g: unknown) => void) | undefined;
        greetingFailer: ((e: GuestError) => void) | undefined;
      };
      c.greetingFailer = (e) => {
        if (!(e instanceof GuestError)) late.push(`greeting failed with ${String(e)}`);
      };
      c.greetingWaiter = () => {
        c.greetingFailer = undefined;
      };
      if (greeted) socket.emit('data', `${QMP_SEEDS[0]}\r\n`);
      const pending = client.commands().then(
        (names) => {
          if (!Array.isArray(names) || names.some((n) => typeof n !== 'string'))
            late.push(`commands() resolved with ${JSON.stringify(names)}`);
        },
        (e: unknown) => {
          if (!(e instanceof GuestError) || INTERNAL.test(e.message) || e.message.includes('\n'))
            late.push(`commands() failed with ${String(e)}`);
        },
      );
      void pending;
      const lines = 1 + ((bytes[1] ?? 0) % 3);
      for (let i = 0; i < lines; i++) {
        const text = mutateJson(QMP_SEEDS, bytes.subarray(i));
        socket.emit('data', `${text.replace(/"vras-2"/g, '"vras-1"')}\r\n`);
      }
      client.close();
    },
  };
}

/** The JSON-input targets, seeded from `corpus` (the byte fuzzer's reference corpus). */
export function jsonTargets(corpus: readonly Uint8Array[]): FuzzTarget[] {
  const encodeDocs = encodeSeeds(corpus);
  const scenarios = scenarioSeeds();
  const hestSeeds = [HEST_CONFIG, ...encodeDocs.filter((t) => t.includes('"kind":"hest"'))];
  return [
    {
      name: 'vras encode: mutated JSON document',
      mayThrowCodecError: false,
      accepts: typedRefusal([codec.CodecError, CliError]),
      run(bytes) {
        encodeDocument(mutateJson(encodeDocs, bytes));
      },
    },
    {
      name: 'vras hest build: mutated config',
      mayThrowCodecError: false,
      accepts: typedRefusal([CliError]),
      run(bytes) {
        hestFromConfigText(mutateJson(hestSeeds, bytes), 'config.json');
      },
    },
    {
      name: 'vras simulate: mutated JSON scenario',
      mayThrowCodecError: false,
      accepts: typedRefusal([SimError, EngineError, codec.CodecError]),
      run(bytes) {
        let doc: unknown;
        try {
          doc = JSON.parse(mutateJson(scenarios, bytes));
        } catch {
          return; // not JSON: the CLI's parse error, not the scenario loader's concern
        }
        const scenario = scenarioFromJson(doc, 'fuzz.json');
        const world = scenario.build(BigInt(bytes[0] ?? 0), false);
        if (scheduledEvents(doc) <= MAX_RUN_EVENTS)
          world.sim.run({ untilNs: Math.min(scenario.durationNs ?? 10e9, 60e9) });
      },
    },
    qmpTarget(),
  ];
}
