import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { corpusRecords } from '../../../test/support/libcper-corpus.js';
import { decodeCperRecord } from '../cper-record.js';
import { CodecError, CodecErrorCode } from '../errors.js';
import { parseLibcperJson, stringifyLibcperJson } from './json-text.js';
import {
  cperRecordBytesToLibcper,
  cperRecordToLibcper,
  sectionWithDescriptorBytesToLibcper,
} from './to-libcper.js';

const records = corpusRecords();

describe('libcper JSON from CPER bytes', () => {
  test('every corpus record equals libcper’s own JSON, compared as parsed JSON', () => {
    for (const r of records) {
      const ours = parseLibcperJson(stringifyLibcperJson(cperRecordBytesToLibcper(r.cper)));
      assert.deepStrictEqual(ours, parseLibcperJson(r.jsonText), r.name);
    }
    assert.ok(records.length >= 100, `only ${records.length} records`);
  });

  test('a decoded record converts as its bytes do', () => {
    for (const r of records.slice(0, 20)) {
      assert.deepStrictEqual(
        cperRecordToLibcper(decodeCperRecord(r.cper)),
        cperRecordBytesToLibcper(r.cper),
        r.name,
      );
    }
  });

  test('the single-section form gives libcper’s descriptor and section objects', () => {
    const r = records.find((x) => x.name === '11-dmargeneric-s1')!;
    const d = r.json.sectionDescriptors[0];
    const bytes = new Uint8Array(72 + d.sectionLength);
    bytes.set(r.cper.subarray(128, 200));
    bytes.set(r.cper.subarray(d.sectionOffset, d.sectionOffset + d.sectionLength), 72);
    new DataView(bytes.buffer).setUint32(0, 72, true);
    const out = parseLibcperJson(stringifyLibcperJson(sectionWithDescriptorBytesToLibcper(bytes)));
    // biome-ignore lint/suspicious/noExplicitAny: libcper's JSON
    const exact = parseLibcperJson(r.jsonText) as any;
    assert.deepStrictEqual(out, {
      sectionDescriptor: { ...exact.sectionDescriptors[0], sectionOffset: 72 },
      section: exact.sections[0],
    });
  });

  test('bad signatures and bounds are Invalid errors with offsets', () => {
    const bytes = records[0]!.cper.slice();
    bytes[0] = 0;
    assert.throws(
      () => cperRecordBytesToLibcper(bytes),
      (e: unknown) => e instanceof CodecError && e.offset === 0,
    );
    assert.throws(
      () => cperRecordBytesToLibcper(records[0]!.cper.subarray(0, 200)),
      (e: unknown) => e instanceof CodecError && e.code === CodecErrorCode.Invalid,
    );
  });

  test('the JSON parser keeps u64 values exact', () => {
    assert.deepStrictEqual(parseLibcperJson('{"a":18446744073709551615,"b":[1,-2.5,"x\\/y"]}'), {
      a: 18446744073709551615n,
      b: [1, -2.5, 'x/y'],
    });
    assert.equal(
      stringifyLibcperJson({ a: 18446744073709551615n }, 0),
      '{"a":18446744073709551615}',
    );
  });
});
