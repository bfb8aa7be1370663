// The libcper converter on damaged input: corpus records with bytes flipped, cut short or grown,
// and libcper JSON with values swapped for others of another type. Each conversion either gives a
// result or throws a CodecError with one line of text; a result converts on without anything else
// being thrown.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { corpusRecords } from '../../../test/support/libcper-corpus.js';
import { CodecError } from '../errors.js';
import { libcperToCperRecordBytes } from './from-libcper.js';
import { type LibcperJson, parseLibcperJson, stringifyLibcperJson } from './json-text.js';
import { cperRecordBytesToLibcper } from './to-libcper.js';

const records = corpusRecords();

function codecErrorOr<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof CodecError)) throw e;
    assert.ok(!e.message.includes('\n'), `multi-line message: ${e.message}`);
    return undefined;
  }
}

const damage = fc.record({
  record: fc.nat({ max: records.length - 1 }),
  flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
  cut: fc.option(fc.nat(), { nil: undefined }),
  grow: fc.uint8Array({ maxLength: 16 }),
});

// Replacement values of every JSON type, including numbers past 2^53 and out of u64 range.
const jsonValue = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.constantFrom(-1, 2 ** 53 + 1, 1e300, 0.5),
  fc.string({ maxLength: 12 }),
  fc.constantFrom('0x', '0xFFFFFFFFFFFFFFFFFF', 'zz', '00000000-0000-0000-0000-000000000000'),
  fc.constant([]),
  fc.constant({}),
);

// biome-ignore lint/suspicious/noExplicitAny: walks libcper's JSON generically
function paths(v: any, prefix: (string | number)[] = [], out: (string | number)[][] = []) {
  if (v !== null && typeof v === 'object') {
    for (const k of Object.keys(v)) {
      const p = [...prefix, Array.isArray(v) ? Number(k) : k];
      out.push(p);
      paths(v[k], p, out);
    }
  }
  return out;
}

describe('libcper converter on damaged input', () => {
  test('damaged CPER bytes: libcper JSON or a CodecError; the JSON converts back or fails the same way', () => {
    fc.assert(
      fc.property(damage, ({ record, flips, cut, grow }) => {
        const src = records[record]!.cper;
        const bytes = new Uint8Array([...src, ...grow]);
        for (const [at, v] of flips) bytes[at % bytes.length] = v;
        const input = cut === undefined ? bytes : bytes.subarray(0, cut % (bytes.length + 1));
        const json = codecErrorOr(() => cperRecordBytesToLibcper(input));
        if (json === undefined) return;
        const text = stringifyLibcperJson(json);
        codecErrorOr(() => libcperToCperRecordBytes(parseLibcperJson(text)));
      }),
      { numRuns: 400 },
    );
  });

  test('libcper JSON with a value replaced: bytes or a CodecError', () => {
    const parsed = records.map((r) => parseLibcperJson(r.jsonText));
    const allPaths = parsed.map((j) => paths(j));
    fc.assert(
      fc.property(
        fc.nat({ max: records.length - 1 }),
        fc.array(fc.tuple(fc.nat(), jsonValue), { minLength: 1, maxLength: 3 }),
        (record, swaps) => {
          const doc = structuredClone(parsed[record]);
          for (const [i, value] of swaps) {
            const p = allPaths[record]![i % allPaths[record]!.length]!;
            // biome-ignore lint/suspicious/noExplicitAny: generic walk
            let at: any = doc;
            for (const k of p.slice(0, -1)) at = at?.[k];
            if (at !== null && typeof at === 'object') at[p.at(-1)!] = value;
          }
          codecErrorOr(() => libcperToCperRecordBytes(doc as LibcperJson));
        },
      ),
      { numRuns: 600 },
    );
  });
});
