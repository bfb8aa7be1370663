import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readShared } from '../../test/support/shared.js';
import { decodeCperRecord, encodeCperRecord, statusBlockToCperRecord } from './cper-record.js';
import { CodecError, CodecErrorCode } from './errors.js';
import { decodeGhesStatusBlock, encodeGhesStatusBlock } from './generic-error-status.js';
import type { Guid } from './guid.js';
import { decodeHest, encodeHest } from './hest.js';
import { fromJson, toJson, withJsonPaths } from './json.js';
import { registeredSections, type SectionBody } from './section.js';
import { decodeSection, encodeSectionBody } from './sections/index.js';
import { ByteWriter } from './writer.js';

// Documents as `vras decode --format json` prints them (toJson of the decoded value), from
// QEMU's own files in the shared reference tree.
const HEST = readShared('reference/qemu/tests/data/acpi/aarch64/virt/HEST');
const QMP_PAYLOAD = readShared(
  'reference/qemu/captured/qemu-10.2.50-ece408818d/virt/qmp_cper_payload.bin',
);

type Encoder = (value: never) => Uint8Array;

interface Kind {
  readonly name: string;
  readonly json: string;
  readonly encode: Encoder;
}

function sectionEncoder(guid: Guid): Encoder {
  return ((v: { body: SectionBody }) => {
    const w = new ByteWriter('section', 256);
    encodeSectionBody(w, guid, v.body);
    return w.toBytes();
  }) as Encoder;
}

const block = decodeGhesStatusBlock(QMP_PAYLOAD);
const KINDS: Kind[] = [
  { name: 'hest', json: toJson('hest', decodeHest(HEST)), encode: encodeHest as Encoder },
  {
    name: 'ghes-status-block',
    json: toJson('ghes-status-block', block),
    encode: encodeGhesStatusBlock as Encoder,
  },
  {
    name: 'cper-record',
    json: toJson('cper-record', decodeCperRecord(encodeCperRecord(statusBlockToCperRecord(block)))),
    encode: encodeCperRecord as Encoder,
  },
  // One section document per registered section kind, decoded from a zero body.
  ...registeredSections().map((codec) => ({
    name: `section ${codec.kind}`,
    json: toJson('section', {
      sectionType: codec.guid,
      body: decodeSection(codec.guid, new Uint8Array(Math.max(codec.minLength, 8))),
    }),
    encode: sectionEncoder(codec.guid),
  })),
];

/** Every property path under `v` (as key lists), objects and leaves alike. */
function propertyPaths(v: unknown, prefix: string[] = []): string[][] {
  if (typeof v !== 'object' || v === null) return [];
  return Object.entries(v).flatMap(([k, child]) => [
    [...prefix, k],
    ...propertyPaths(child, [...prefix, k]),
  ]);
}

const jsonPath = (keys: string[]): string =>
  `value${keys.map((k) => (/^\d+$/.test(k) ? `[${k}]` : `.${k}`)).join('')}`;

function encodeWithout(kind: Kind, keys: string[]): Uint8Array {
  const doc = fromJson<Record<string, unknown>>(kind.json);
  let parent = doc.value as Record<string, unknown>;
  for (const k of keys.slice(0, -1)) parent = parent[k] as Record<string, unknown>;
  delete parent[keys.at(-1)!];
  return withJsonPaths(doc.value, 'value', kind.name, kind.encode as (v: unknown) => Uint8Array);
}

describe('withJsonPaths()', () => {
  test('a complete document encodes to the bytes it was decoded from', () => {
    assert.deepEqual(
      withJsonPaths(
        fromJson(KINDS[0]!.json).value,
        'value',
        'hest',
        KINDS[0]!.encode as (v: unknown) => Uint8Array,
      ),
      HEST,
    );
    assert.deepEqual(
      withJsonPaths(
        fromJson(KINDS[1]!.json).value,
        'value',
        'block',
        KINDS[1]!.encode as (v: unknown) => Uint8Array,
      ),
      QMP_PAYLOAD,
    );
  });

  test('a status block without its section body names value.entries[0].body, not a TypeError', () => {
    assert.throws(
      () => encodeWithout(KINDS[1]!, ['entries', '0', 'body']),
      (e: unknown) =>
        e instanceof CodecError &&
        e.code === CodecErrorCode.Invalid &&
        e.field === 'value.entries[0].body' &&
        e.message === 'Cannot encode ghes-status-block: value.entries[0].body is missing' &&
        e.cause instanceof TypeError,
    );
  });

  test('a missing leaf names its JSON path and keeps the writer offset', () => {
    assert.throws(
      () => encodeWithout(KINDS[1]!, ['entries', '0', 'body', 'validationBits']),
      (e: unknown) =>
        e instanceof CodecError &&
        e.code === CodecErrorCode.Invalid &&
        e.field === 'value.entries[0].body.validationBits' &&
        e.offset === 0x5c &&
        /value\.entries\[0\]\.body\.validationBits is missing at output offset 0x5c$/.test(
          e.message,
        ),
    );
  });

  test('the same parsed value encoded twice reports its missing field both times', () => {
    const doc = fromJson<{ entries: { body: Record<string, unknown> }[] }>(KINDS[1]!.json);
    const encode = encodeGhesStatusBlock as (v: unknown) => Uint8Array;
    withJsonPaths(doc.value, 'value', 'block', encode);
    delete doc.value.entries[0]!.body.physicalAddress;
    for (let i = 0; i < 2; i++) {
      assert.throws(
        () => withJsonPaths(doc.value, 'value', 'block', encode),
        (e: unknown) =>
          e instanceof CodecError &&
          e.code === CodecErrorCode.Invalid &&
          e.field === 'value.entries[0].body.physicalAddress' &&
          e.offset === 0x6c,
      );
    }
  });

  test('a value that does not fit keeps its error and says where in the document it is', () => {
    const doc = fromJson<{ entries: { errorSeverity: number }[] }>(KINDS[1]!.json);
    doc.value.entries[0]!.errorSeverity = 2 ** 32;
    assert.throws(
      () =>
        withJsonPaths(
          doc.value,
          'value',
          'block',
          encodeGhesStatusBlock as (v: unknown) => Uint8Array,
        ),
      (e: unknown) =>
        e instanceof CodecError &&
        e.code === CodecErrorCode.OutOfRange &&
        e.offset === 0x24 &&
        e.message.endsWith('(in value.entries[0])'),
    );
  });

  for (const kind of KINDS) {
    test(`every field of a ${kind.name} document, when removed, is named by its JSON path (or is optional)`, () => {
      const paths = propertyPaths(fromJson(kind.json).value).filter((keys) => {
        // Array elements are not removed (the array only gets shorter).
        return !/^\d+$/.test(keys.at(-1)!);
      });
      assert.ok(paths.length > 5, kind.name);
      for (const keys of paths) {
        const path = jsonPath(keys);
        let error: unknown;
        try {
          encodeWithout(kind, keys);
        } catch (e) {
          error = e;
        }
        if (error === undefined) continue; // an optional field
        assert.ok(error instanceof CodecError, `${path}: ${String(error)}`);
        const parent = jsonPath(keys.slice(0, -1));
        const named =
          error.message.includes(`${path} is missing`) ||
          (error.message.includes(`(in ${parent})`) && error.message.includes(keys.at(-1)!));
        assert.ok(named, `${path}: ${error.message}`);
      }
    });
  }
});
