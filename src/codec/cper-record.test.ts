import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { readShared } from '../../test/support/shared.js';
import {
  CPER_RECORD_HEADER_SIZE,
  CPER_SECTION_DESCRIPTOR_SIZE,
  CperNotificationType,
  type CperRecord,
  cperRecordToStatusBlock,
  decodeCperRecord,
  encodeCperRecord,
  statusBlockToCperRecord,
} from './cper-record.js';
import { CodecError, CodecErrorCode } from './errors.js';
import { genericErrorDataEntry } from './generic-error-data.js';
import {
  decodeGhesStatusBlock,
  encodeGhesStatusBlock,
  ghesStatusBlock,
} from './generic-error-status.js';
import { hexToBytes } from './hex.js';
import {
  MEMORY_SECTION_GUID,
  type MemoryErrorSection,
  memoryErrorSection,
} from './sections/memory.js';
import { opaqueSection } from './sections/opaque.js';

const QMP_PAYLOAD = [
  'reference',
  'qemu',
  'captured',
  'qemu-10.2.50-ece408818d',
  'virt',
  'qmp_cper_payload.bin',
];
const TS = {
  seconds: 0x30,
  minutes: 0x20,
  hours: 0x10,
  flags: 1,
  day: 0x02,
  month: 0x03,
  year: 0x25,
  century: 0x20,
};

function sampleRecord(): CperRecord {
  return {
    revision: 0x0100,
    errorSeverity: 2,
    validationBits: 0x2,
    timestamp: TS,
    platformId: '00000000-0000-0000-0000-000000000000',
    partitionId: '00000000-0000-0000-0000-000000000000',
    creatorId: '11111111-2222-3333-4444-555555555555',
    notificationType: CperNotificationType.Cmc,
    recordId: 0x0123456789abcdefn,
    flags: 0,
    persistenceInformation: 0n,
    reserved: new Uint8Array(12),
    sections: [
      {
        revision: 0x0100,
        validationBits: 0,
        reserved: 0,
        flags: 0x01,
        sectionType: MEMORY_SECTION_GUID,
        fruId: '00000000-0000-0000-0000-000000000000',
        sectionSeverity: 2,
        fruText: new Uint8Array(20),
        body: memoryErrorSection({
          validationBits: 0x4002n,
          physicalAddress: 0x40001000n,
          errorType: 2,
        }),
      },
    ],
  };
}

describe('CPER record', () => {
  test('header is 128 bytes and a descriptor 72 (formats.md §5)', () => {
    assert.equal(CPER_RECORD_HEADER_SIZE, 128);
    assert.equal(CPER_SECTION_DESCRIPTOR_SIZE, 72);
  });

  test('the encoder lays out the header and descriptor as in the formats.md §5 tables', () => {
    const bytes = encodeCperRecord(sampleRecord());
    assert.equal(bytes.length, 128 + 72 + 80);
    // Header, hand-assembled from §5.1: "CPER", rev 0x0100, 0xFFFFFFFF, count 1, severity 2,
    // valid 0x2, length 280, timestamp, platform, partition, creator, notification (CMC).
    const header = hexToBytes(
      '43504552 0001 ffffffff 0100 02000000 02000000 18010000' +
        '3020100102032520' +
        '00'.repeat(32) +
        '11111111 2222 3333 4444555555555555' +
        'b18bce2d d7bd 0e45 b9ad9cf4ebd4f890' +
        'efcdab8967452301 00000000 0000000000000000' +
        '00'.repeat(12),
    );
    assert.deepEqual(bytes.subarray(0, 128), header);
    // Descriptor, §5.2: offset 200, length 80, rev 0x0100, valid 0, reserved 0, flags 1 (primary),
    // type, FRU id, severity 2, FRU text.
    const descriptor = hexToBytes(
      'c8000000 50000000 0001 00 00 01000000' +
        '1411bca5 646f de4e b8633e83ed7c83b1' +
        '00'.repeat(16) +
        '02000000' +
        '00'.repeat(20),
    );
    assert.deepEqual(bytes.subarray(128, 200), descriptor);
  });

  test('decode(encode(record)) is the record, and re-encodes identically', () => {
    const bytes = encodeCperRecord(sampleRecord());
    const back = decodeCperRecord(bytes);
    assert.deepEqual(back, sampleRecord());
    assert.deepEqual(encodeCperRecord(back), bytes);
  });

  test('gaps before bodies and bytes after the last body are kept', () => {
    const rec: CperRecord = {
      ...sampleRecord(),
      sections: [
        { ...sampleRecord().sections[0]!, gapBefore: new Uint8Array([1, 2, 3]) },
        {
          ...sampleRecord().sections[0]!,
          sectionType: '01234567-89ab-cdef-0123-456789abcdef',
          body: opaqueSection(new Uint8Array([5]), 'unknown section type'),
          gapBefore: new Uint8Array([4]),
        },
      ],
      trailing: new Uint8Array([9, 9]),
    };
    const bytes = encodeCperRecord(rec);
    const view = new DataView(bytes.buffer);
    assert.equal(view.getUint32(128, true), 128 + 144 + 3);
    assert.equal(view.getUint32(128 + 72, true), 128 + 144 + 3 + 80 + 1);
    assert.equal(view.getUint32(20, true), bytes.length);
    assert.deepEqual(decodeCperRecord(bytes), rec);
  });

  test('decoding from a longer buffer reads only Record Length bytes', () => {
    const bytes = encodeCperRecord(sampleRecord());
    const longer = new Uint8Array(bytes.length + 50).fill(0xee);
    longer.set(bytes);
    assert.deepEqual(encodeCperRecord(decodeCperRecord(longer)), bytes);
  });

  test('decodeCperRecord() throws invalid at offset 0 without the CPER signature', () => {
    const bytes = encodeCperRecord(sampleRecord());
    bytes[0] = 0x58;
    assert.throws(
      () => decodeCperRecord(bytes),
      (e: unknown) =>
        e instanceof CodecError && e.code === CodecErrorCode.Invalid && e.offset === 0,
    );
  });

  test('decodeCperRecord() throws invalid at offset 6 when Signature End is not 0xFFFFFFFF', () => {
    const bytes = encodeCperRecord(sampleRecord());
    bytes[6] = 0;
    assert.throws(
      () => decodeCperRecord(bytes),
      (e: unknown) =>
        e instanceof CodecError &&
        e.code === CodecErrorCode.Invalid &&
        e.offset === 6 &&
        e.field === 'signature end',
    );
  });

  test('decodeCperRecord() throws length-mismatch at offset 0x14 when Record Length is below the descriptors', () => {
    const bytes = encodeCperRecord(sampleRecord());
    new DataView(bytes.buffer).setUint32(20, 150, true);
    assert.throws(
      () => decodeCperRecord(bytes),
      (e: unknown) =>
        e instanceof CodecError && e.code === CodecErrorCode.LengthMismatch && e.offset === 20,
    );
  });

  test('decodeCperRecord() throws truncated when Record Length exceeds the bytes', () => {
    const bytes = encodeCperRecord(sampleRecord());
    new DataView(bytes.buffer).setUint32(20, 1000, true);
    assert.throws(
      () => decodeCperRecord(bytes),
      (e: unknown) =>
        e instanceof CodecError && e.code === CodecErrorCode.Truncated && e.offset === 128,
    );
  });

  test('decodeCperRecord() throws invalid at the descriptor when a body starts inside the descriptors', () => {
    const bytes = encodeCperRecord(sampleRecord());
    new DataView(bytes.buffer).setUint32(128, 100, true);
    assert.throws(
      () => decodeCperRecord(bytes),
      (e: unknown) =>
        e instanceof CodecError &&
        e.code === CodecErrorCode.Invalid &&
        e.offset === 128 &&
        e.field === 'section offset',
    );
  });

  test('decodeCperRecord() throws length-mismatch at offset 0x84 when a body runs past Record Length', () => {
    const bytes = encodeCperRecord(sampleRecord());
    new DataView(bytes.buffer).setUint32(132, 81, true);
    assert.throws(
      () => decodeCperRecord(bytes),
      (e: unknown) =>
        e instanceof CodecError && e.code === CodecErrorCode.LengthMismatch && e.offset === 132,
    );
  });

  test('decodeCperRecord() throws truncated at offset 0 below 128 bytes', () => {
    assert.throws(
      () => decodeCperRecord(new Uint8Array(100)),
      (e: unknown) =>
        e instanceof CodecError && e.code === CodecErrorCode.Truncated && e.offset === 0,
    );
  });

  test('any record built from random fields round-trips', () => {
    const u32 = fc.integer({ min: 0, max: 0xffffffff });
    fc.assert(
      fc.property(
        u32,
        u32,
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        fc.uint8Array({ minLength: 12, maxLength: 12 }),
        fc.array(fc.uint8Array({ maxLength: 30 }), { maxLength: 3 }),
        (sev, flags, recordId, reserved, bodies) => {
          const rec: CperRecord = {
            ...sampleRecord(),
            errorSeverity: sev,
            flags,
            recordId,
            reserved,
            sections: bodies.map((b) => ({
              ...sampleRecord().sections[0]!,
              sectionType: '01234567-89ab-cdef-0123-456789abcdef',
              sectionSeverity: sev,
              body: opaqueSection(b, 'unknown section type'),
            })),
          };
          const bytes = encodeCperRecord(rec);
          assert.deepEqual(decodeCperRecord(bytes), rec);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('CPER record ⇄ GHES status block', () => {
  test('QEMU’s status block becomes a one-section record and converts back byte for byte', () => {
    const blockBytes = readShared(...QMP_PAYLOAD);
    const block = decodeGhesStatusBlock(blockBytes);
    const rec = statusBlockToCperRecord(block, { notificationType: CperNotificationType.Sea });
    assert.equal(rec.sections.length, 1);
    assert.equal(rec.errorSeverity, 0);
    assert.equal(rec.validationBits, 0);
    assert.equal((rec.sections[0]!.body as MemoryErrorSection).physicalAddress, 0x40001000n);
    const bytes = encodeCperRecord(rec);
    assert.equal(bytes.length, 128 + 72 + 80);
    const back = cperRecordToStatusBlock(decodeCperRecord(bytes), {
      blockStatus: 1,
      rawDataOffset: 0,
    });
    assert.deepEqual(encodeGhesStatusBlock(back), blockBytes);
  });

  test('a record converts to a block with one GEDE per section and the record timestamp', () => {
    const block = cperRecordToStatusBlock(sampleRecord());
    assert.equal(block.blockStatus, 0x12);
    assert.equal(block.errorSeverity, 2);
    const e = block.entries[0]!;
    assert.equal(e.revision, 0x0300);
    assert.equal(e.validationBits, 0x4);
    assert.deepEqual(e.timestamp, TS);
    assert.equal(e.flags, 0x01);
    const rec = statusBlockToCperRecord(block, {
      creatorId: '11111111-2222-3333-4444-555555555555',
      notificationType: CperNotificationType.Cmc,
      recordId: 0x0123456789abcdefn,
    });
    assert.deepEqual(rec, sampleRecord());
  });

  test('64-byte entries can be requested and then carry no timestamp', () => {
    const block = cperRecordToStatusBlock(sampleRecord(), { entryRevision: 0x0200 });
    assert.equal(block.entries[0]!.timestamp, undefined);
    assert.equal(encodeGhesStatusBlock(block).length, 20 + 64 + 80);
  });

  test('statusBlockToCperRecord() refuses raw data, which a record cannot carry', () => {
    const block = ghesStatusBlock({ errorSeverity: 0, entries: [], rawData: new Uint8Array(4) });
    assert.throws(
      () => statusBlockToCperRecord(block),
      (e: unknown) =>
        e instanceof CodecError && e.code === CodecErrorCode.Invalid && e.field === 'raw data',
    );
  });

  test('cperRecordToStatusBlock() refuses descriptor flags above one byte', () => {
    const rec = { ...sampleRecord(), sections: [{ ...sampleRecord().sections[0]!, flags: 0x100 }] };
    assert.throws(
      () => cperRecordToStatusBlock(rec),
      (e: unknown) => e instanceof CodecError && e.code === CodecErrorCode.OutOfRange,
    );
  });

  test('entries keep FRU id/text valid bits and drop the timestamp bit in descriptors', () => {
    const e = genericErrorDataEntry(MEMORY_SECTION_GUID, memoryErrorSection(), {
      validationBits: 0x7,
    });
    const rec = statusBlockToCperRecord(ghesStatusBlock({ errorSeverity: 0, entries: [e] }));
    assert.equal(rec.sections[0]!.validationBits, 0x3);
    assert.equal(rec.validationBits, 0x2);
  });
});
