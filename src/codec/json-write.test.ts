import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { readShared, sharedPath } from '../../test/support/shared.js';
import { decodeCperRecord } from './cper-record.js';
import { genericErrorDataEntry } from './generic-error-data.js';
import {
  decodeGhesStatusBlock,
  encodeGhesStatusBlock,
  ghesStatusBlock,
} from './generic-error-status.js';
import { decodeHest } from './hest.js';
import { bytesToHex, hex64 } from './hex.js';
import { jsonReplacer, toJson, toJsonReference } from './json.js';
import { stringifyFast } from './json-write.js';
import { registeredSections } from './section.js';
import { decodeSection } from './sections/index.js';

// The oracle is JSON.stringify itself (with the vras/v1 replacer): the fast writer must give
// the same text, byte for byte, for everything the decoders produce, and either the same text
// or a fallback for anything else.

function assertSame(kind: string, value: unknown, label: string): void {
  for (const indent of [0, 2]) {
    const fast = stringifyFast({ schema: 'vras/v1', kind, value }, indent);
    // Decoded values are plain data: the fast path must take them, not fall back.
    assert.notEqual(fast, undefined, `${label}: fast path fell back (indent ${indent})`);
    assert.equal(fast, toJsonReference(kind, value, indent), `${label} (indent ${indent})`);
    assert.equal(toJson(kind, value, indent), fast);
  }
}

const CORPUS = 'reference/libcper-corpus';

function corpusFiles(suffix: string): string[] {
  return readdirSync(sharedPath(CORPUS))
    .filter((f) => f.endsWith(suffix))
    .sort();
}

describe('toJson fast writer', () => {
  it('writes every libcper corpus record exactly as JSON.stringify does', () => {
    const records = corpusFiles('.cper');
    const blocks = corpusFiles('.block.bin');
    assert.ok(records.length >= 90 && blocks.length >= 60, 'corpus present');
    for (const f of records) assertSame('cper-record', decodeCperRecord(readShared(CORPUS, f)), f);
    for (const f of blocks) {
      assertSame('ghes-status-block', decodeGhesStatusBlock(readShared(CORPUS, f)), f);
    }
  });

  it("writes QEMU's HEST and Linux 6.1's HEST exactly as JSON.stringify does", () => {
    const qemu = readShared(
      'reference/qemu/captured/qemu-10.2.50-ece408818d/virt/HEST.patched.bin',
    );
    assertSame('hest', decodeHest(qemu), 'QEMU HEST');
    assertSame('hest', decodeHest(readShared(CORPUS, 'linux61-hest.bin')), 'Linux 6.1 HEST');
  });

  it('writes random bodies of every registered section kind exactly as JSON.stringify does', () => {
    // Generic over the registry: a section codec added later is covered without a change here.
    const codecs = registeredSections();
    assert.ok(codecs.length >= 6, 'section codecs registered');
    for (const codec of codecs) {
      fc.assert(
        fc.property(
          fc.uint8Array({ minLength: codec.minLength, maxLength: codec.minLength + 300 }),
          fc.integer({ min: 0, max: 3 }),
          (bytes, severity) => {
            const body = decodeSection(codec.guid, bytes);
            assertSame('section', { sectionType: codec.guid, body }, `${codec.kind} body`);
            // The same body inside a status block that went through the wire form.
            const block = ghesStatusBlock({
              errorSeverity: severity,
              entries: [genericErrorDataEntry(codec.guid, body)],
            });
            const decoded = decodeGhesStatusBlock(encodeGhesStatusBlock(block));
            assertSame('ghes-status-block', decoded, `${codec.kind} block`);
          },
        ),
        { numRuns: 60, seed: 11 },
      );
    }
  });

  it('writes corpus blocks with random bytes changed exactly as JSON.stringify does', () => {
    const blocks = corpusFiles('.block.bin').map((f) => readShared(CORPUS, f));
    fc.assert(
      fc.property(
        fc.nat(blocks.length - 1),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        (which, edits) => {
          const bytes = blocks[which]!.slice();
          // Keep the 20-byte header (lengths) so that most changed blocks still decode.
          for (const [at, v] of edits) bytes[20 + (at % (bytes.length - 20))] = v;
          let decoded: unknown;
          try {
            decoded = decodeGhesStatusBlock(bytes);
          } catch {
            return;
          }
          assertSame('ghes-status-block', decoded, `corpus block ${which} edited`);
        },
      ),
      { numRuns: 400, seed: 12 },
    );
  });

  it('gives the same text as JSON.stringify or falls back, for arbitrary values', () => {
    const value = fc.anything({
      withBigInt: true,
      withTypedArray: true,
      withBoxedValues: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withNullPrototype: true,
      withObjectString: true,
      withSparseArray: true,
      withUnicodeString: true,
    });
    const bytes = fc.uint8Array({ maxLength: 600 });
    const extra = fc.oneof(
      value,
      bytes,
      fc.bigInt({ min: -(1n << 70n), max: 1n << 70n }),
      fc.array(fc.oneof(bytes, fc.bigInt(), fc.double(), fc.string({ unit: 'binary' }))),
      fc.dictionary(
        fc.string({ unit: 'binary' }),
        fc.oneof(bytes, fc.bigInt(), fc.constant(undefined)),
      ),
    );
    fc.assert(
      fc.property(extra, fc.integer({ min: -1, max: 12 }), (v, indent) => {
        const expected = JSON.stringify(v, jsonReplacer, indent);
        const fast = stringifyFast(v, indent);
        if (fast !== undefined) assert.equal(fast, expected);
        if (expected !== undefined)
          assert.equal(toJson('x', v, indent), toJsonReference('x', v, indent));
      }),
      { numRuns: 3000, seed: 13 },
    );
  });

  it('writes integers of every width as JSON.stringify does', () => {
    const edges = [0, -0, 9, 10, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, 2 ** 53];
    for (const e of edges) {
      for (const v of [e - 1, e, e + 1, -e]) {
        assert.equal(stringifyFast({ v, a: [v] }, 0), JSON.stringify({ v, a: [v] }));
      }
    }
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 + 5 }), fc.double(), (n, d) => {
        assert.equal(stringifyFast([n, n / 2, d], 0), JSON.stringify([n, n / 2, d]));
      }),
      { numRuns: 3000, seed: 7 },
    );
  });

  it('writes bytes of every length and alignment and 64-bit values of every width as the replacer does', () => {
    const backing = new Uint8Array(4096 + 8);
    for (let i = 0; i < backing.length; i++) backing[i] = (i * 151 + 7) & 0xff;
    for (const length of [0, 1, 3, 4, 31, 32, 255, 256, 257, 258, 259, 1024, 2048, 4095]) {
      for (const offset of [0, 1, 2, 3, 4]) {
        const b = backing.subarray(offset, offset + length);
        assert.equal(
          stringifyFast(b, 0),
          `"hex:${bytesToHex(b)}"`,
          `${length} bytes at +${offset}`,
        );
      }
    }
    for (let bits = 0; bits <= 66; bits++) {
      for (const v of [(1n << BigInt(bits)) - 1n, 1n << BigInt(bits), -(1n << BigInt(bits))]) {
        assert.equal(stringifyFast([v], 0), `["${hex64(v)}"]`, `${v}`);
      }
    }
  });

  it('falls back to JSON.stringify for what it does not reproduce, with the same text', () => {
    const cases: unknown[] = [
      { at: new Date(0) },
      { n: Object(1) },
      { b: new Uint16Array([1, 2]) },
      { m: new Map([[1, 2]]) },
      { custom: { toJSON: () => 'x' } },
      [
        new (class Point {
          x = 1n;
        })(),
      ],
    ];
    for (const v of cases) {
      assert.equal(stringifyFast(v, 0), undefined);
      assert.equal(toJson('x', v, 0), toJsonReference('x', v, 0));
    }
    const cyclic: { self?: unknown } = {};
    cyclic.self = cyclic;
    assert.throws(() => toJson('x', cyclic), TypeError);
  });
});
