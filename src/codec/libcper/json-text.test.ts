import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { corpusRecords } from '../../../test/support/libcper-corpus.js';
import { stringifyLibcperFast } from '../json-write.js';
import {
  type LibcperJson,
  parseLibcperJson,
  stringifyLibcperJson,
  stringifyLibcperJsonReference,
} from './json-text.js';
import { cperRecordBytesToLibcper } from './to-libcper.js';

// The oracle is the recursive writer `stringifyLibcperJsonReference` (JSON.stringify per leaf,
// bigints as digits): the one-walk writer must give the same text, byte for byte, or fall back.

describe('libcper JSON text, one-walk writer', () => {
  test('every corpus record converts to the same text as the reference writer', () => {
    const records = corpusRecords();
    assert.ok(records.length >= 100, `only ${records.length} records`);
    for (const r of records) {
      const value = cperRecordBytesToLibcper(r.cper);
      for (const indent of [0, 2]) {
        const fast = stringifyLibcperFast(value, indent);
        assert.notEqual(fast, undefined, `${r.name}: fell back (indent ${indent})`);
        assert.equal(fast, stringifyLibcperJsonReference(value, indent), r.name);
      }
    }
  });

  test("libcper's own JSON, parsed, prints the same text through both writers", () => {
    for (const r of corpusRecords()) {
      const value = parseLibcperJson(r.jsonText);
      for (const indent of [0, 2, 4]) {
        assert.equal(
          stringifyLibcperJson(value, indent),
          stringifyLibcperJsonReference(value, indent),
          r.name,
        );
      }
    }
  });

  test('arbitrary values give the reference text or a fallback', () => {
    const value = fc.anything({
      withBigInt: true,
      withTypedArray: true,
      withBoxedValues: true,
      withDate: true,
      withMap: true,
      withNullPrototype: true,
      withObjectString: true,
      withSparseArray: true,
      withUnicodeString: true,
    });
    const extra = fc.oneof(
      value,
      fc.bigInt({ min: -(1n << 70n), max: 1n << 70n }),
      fc.array(fc.oneof(fc.bigInt(), fc.double(), fc.string({ unit: 'binary' }))),
      fc.dictionary(
        fc.string({ unit: 'binary' }),
        fc.oneof(fc.bigInt(), fc.double(), fc.constant(undefined), fc.constant(null)),
      ),
    );
    let fastCount = 0;
    fc.assert(
      fc.property(extra, fc.integer({ min: -1, max: 14 }), (v, indent) => {
        const expected = stringifyLibcperJsonReference(v as LibcperJson, indent);
        const fast = stringifyLibcperFast(v, indent);
        if (fast !== undefined) {
          fastCount++;
          assert.equal(fast, expected);
        }
        assert.equal(stringifyLibcperJson(v as LibcperJson, indent), expected);
      }),
      { numRuns: 1500, seed: 11 },
    );
    assert.ok(fastCount > 500, `fast path taken only ${fastCount} times`);
  });

  test('u64 values of every width are written as their decimal digits', () => {
    const edges = [0n, 9n, 10n, 9999n, 10000n, 65536n, 4294967296n, 1n << 53n, 10n ** 19n];
    for (const e of edges)
      for (const d of [-1n, 0n, 1n]) {
        const v = e + d;
        assert.equal(stringifyLibcperFast([v], 0), `[${v.toString()}]`);
      }
    fc.assert(
      fc.property(fc.bigInt({ min: -(1n << 70n), max: 1n << 70n }), fc.nat(64), (v, shift) => {
        const w = v >> BigInt(shift);
        assert.equal(stringifyLibcperFast({ w }, 0), `{"w":${w.toString()}}`);
      }),
      { numRuns: 3000, seed: 5 },
    );
  });

  test('bigints are plain digits, undefined falls back to the reference', () => {
    assert.equal(
      stringifyLibcperFast({ a: 18446744073709551615n, b: [-5n, 1.5, 'x"\u2028'] }, 0),
      '{"a":18446744073709551615,"b":[-5,1.5,"x\\"\u2028"]}',
    );
    assert.equal(stringifyLibcperFast({ a: undefined }, 0), undefined);
    assert.equal(stringifyLibcperFast([1, undefined], 0), undefined);
    assert.equal(stringifyLibcperFast({ a: 1 }, 11), undefined);
  });
});
