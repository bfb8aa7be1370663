import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { corpusRecords } from '../../../test/support/libcper-corpus.js';
import { decodeCperRecord } from '../cper-record.js';
import { CodecError, CodecErrorCode } from '../errors.js';
import { type Guid, guidToBytes } from '../guid.js';
import { libcperToCperRecordBytes } from './from-libcper.js';
import { parseLibcperJson, stringifyLibcperJson } from './json-text.js';
import {
  cperRecordBytesToLibcper,
  cperRecordToLibcper,
  sectionToLibcper,
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

  test('memory messages follow libcper: the type name when valid, "at node" (memory) and "on node" (memory 2)', () => {
    const mem = new Uint8Array(80);
    const dv = new DataView(mem.buffer);
    dv.setBigUint64(0, (1n << 14n) | (1n << 1n) | (1n << 3n), true);
    dv.setBigUint64(16, 0x1234000n, true);
    dv.setUint16(32, 5, true);
    mem[72] = 3;
    assert.equal(
      sectionToLibcper('a5bc1114-6f64-4ede-b863-3e83ed7c83b1', mem).message,
      'A Multi-bit ECC Memory Error occurred at address 0x0000000001234000 at node 5',
    );
    mem[72] = 200;
    assert.equal(
      sectionToLibcper('a5bc1114-6f64-4ede-b863-3e83ed7c83b1', mem).message,
      'A Unknown (Reserved) Memory Error occurred at address 0x0000000001234000 at node 5',
    );
    const mem2 = new Uint8Array(96);
    const dv2 = new DataView(mem2.buffer);
    dv2.setBigUint64(0, (1n << 0n) | (1n << 3n), true);
    dv2.setBigUint64(16, 0xabcn, true);
    dv2.setUint16(32, 7, true);
    assert.equal(
      sectionToLibcper('61ec04fc-48e6-d813-25c9-8daa44750b12', mem2).message,
      'An Unknown Memory Error occurred at address 0x0000000000000ABC on node 7',
    );
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

  test('an IPF section is named "IPF" in its descriptor and printed as Unknown base64, as libcper does', () => {
    // libcper's section table lists IPF without a converter (sections/cper-section.c).
    const r = records.find((x) => x.name === '25-unknown-s1')!;
    const bytes = r.cper.slice();
    guidToBytes('e429faf1-3cb7-11d4-bca7-0080c73c8881' as Guid, bytes, 128 + 16);
    // biome-ignore lint/suspicious/noExplicitAny: libcper's JSON
    const out = cperRecordBytesToLibcper(bytes) as any;
    // biome-ignore lint/suspicious/noExplicitAny: libcper's JSON
    const unknown = parseLibcperJson(r.jsonText) as any;
    assert.equal(out.sectionDescriptors[0].sectionType.type, 'IPF');
    assert.deepStrictEqual(out.sections[0], unknown.sections[0]);
    // libcper's to-cper calls the missing converter (a crash); vras writes the Unknown data back.
    assert.deepStrictEqual(
      libcperToCperRecordBytes(parseLibcperJson(stringifyLibcperJson(out))),
      bytes,
    );
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
