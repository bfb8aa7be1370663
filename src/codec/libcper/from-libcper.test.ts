import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { corpusDir, corpusRecords } from '../../../test/support/libcper-corpus.js';
import { CodecError, CodecErrorCode } from '../errors.js';
import {
  isLibcperJson,
  libcperToCperRecordBytes,
  libcperToSectionWithDescriptorBytes,
} from './from-libcper.js';
import { parseLibcperJson } from './json-text.js';
import { sectionWithDescriptorBytesToLibcper } from './to-libcper.js';

// MANIFEST.tsv says, per record, whether libcper's own `cper-convert to-cper` gave the record's
// bytes back (column 6) and, when not, how many bytes it wrote (column 5's note).
const manifest = readFileSync(join(corpusDir(), 'MANIFEST.tsv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((l) => l.split('\t'));
const identical = new Set(manifest.filter((c) => c[5] === 'yes').map((c) => c[0]!));
const toCperLength = new Map(
  manifest.flatMap((c) => {
    const m = /to-cper (\d+) bytes vs/.exec(c[4] ?? '');
    return m === null ? [] : [[c[0]!, Number(m[1])] as const];
  }),
);

describe('libcper JSON to CPER bytes', () => {
  test('records libcper gives back byte for byte come back byte for byte', () => {
    let n = 0;
    for (const r of corpusRecords()) {
      if (!identical.has(r.name)) continue;
      assert.deepEqual(libcperToCperRecordBytes(parseLibcperJson(r.jsonText)), r.cper, r.name);
      n++;
    }
    assert.ok(n >= 36, `only ${n} records`);
  });

  test('for the others the output has the length libcper’s to-cper wrote', () => {
    let n = 0;
    for (const r of corpusRecords()) {
      const expected = toCperLength.get(r.name);
      if (expected === undefined) continue;
      assert.equal(libcperToCperRecordBytes(parseLibcperJson(r.jsonText)).length, expected, r.name);
      n++;
    }
    assert.ok(n >= 67, `only ${n} records`);
  });

  test('the single-section form converts back to its descriptor and section', () => {
    const r = corpusRecords().find((x) => x.name === '12-dmarvtd-s1')!;
    const d = r.json.sectionDescriptors[0];
    const bytes = new Uint8Array(72 + d.sectionLength);
    bytes.set(r.cper.subarray(128, 200));
    bytes.set(r.cper.subarray(d.sectionOffset, d.sectionOffset + d.sectionLength), 72);
    new DataView(bytes.buffer).setUint32(0, 72, true);
    const json = sectionWithDescriptorBytesToLibcper(bytes);
    assert.ok(isLibcperJson(json));
    assert.deepEqual(libcperToSectionWithDescriptorBytes(json), bytes);
  });

  test('shapes are recognised and bad documents name the missing part', () => {
    assert.ok(isLibcperJson(corpusRecords()[0]!.json));
    assert.ok(!isLibcperJson({ schema: 'vras/v1', kind: 'cper-record', value: {} }));
    assert.throws(
      () => libcperToCperRecordBytes({ header: {} }),
      (e: unknown) =>
        e instanceof CodecError &&
        e.code === CodecErrorCode.Invalid &&
        e.field === 'sectionDescriptors',
    );
  });
});
