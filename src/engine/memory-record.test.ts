import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  CodecError,
  CperSeverity,
  decodeGhesStatusBlock,
  encodeGhesStatusBlock,
  genericErrorDataEntry,
  ghesStatusBlock,
  MEMORY_SECTION_GUID,
  type MemoryErrorSection,
  MemoryErrorType,
  MemoryValid,
  memoryErrorSection,
} from '../codec/index.js';
import { MEMORY_ENTRY_SIZE, type MemoryRecordRequest, memoryErrorRecord } from './memory-record.js';

// The reference: the record built field by field with the codec and encoded whole by
// encodeGhesStatusBlock, as memory-record.ts did before it patched templates. The fast path must
// give the same bytes for every request.
function fullEncode(req: MemoryRecordRequest): Uint8Array {
  const areaShift = req.addressLsb;
  const guestShift = Math.min(req.guestPageShift ?? areaShift, areaShift);
  const pages = 2 ** (areaShift - guestShift);
  const fit = Math.floor((req.blockLength - 20) / 152);
  const perPage = pages > 1 && pages <= req.maxSections && pages <= fit;
  const shift = perPage ? guestShift : areaShift;
  const count = perPage ? pages : 1;
  const severity = req.severity ?? CperSeverity.Recoverable;
  const mask = ((1n << 64n) - 1n) ^ ((1n << BigInt(shift)) - 1n);
  const entries = Array.from({ length: count }, (_, i) =>
    genericErrorDataEntry(
      MEMORY_SECTION_GUID,
      memoryErrorSection({
        validationBits:
          MemoryValid.PhysicalAddress | MemoryValid.PhysicalAddressMask | MemoryValid.ErrorType,
        physicalAddress: req.gpa + (BigInt(i) << BigInt(shift)),
        physicalAddressMask: mask,
        errorType: MemoryErrorType.Unknown,
      }),
      { errorSeverity: severity },
    ),
  );
  return encodeGhesStatusBlock(ghesStatusBlock({ errorSeverity: severity, entries }));
}

/** The bytes, or the error's class, code and offset, so failures are compared too. */
function outcome(build: () => Uint8Array): Uint8Array | string {
  try {
    return build();
  } catch (e) {
    return e instanceof CodecError ? `CodecError ${e.code} @${e.offset}` : String(e);
  }
}

const request = fc
  .record({
    addressLsb: fc.integer({ min: 0, max: 63 }),
    // Mostly a few bits below the area (per-page records), sometimes anything or nothing.
    guestPageShift: fc.oneof(
      { arbitrary: fc.integer({ min: -5, max: -1 }), weight: 3 },
      { arbitrary: fc.integer({ min: 0, max: 63 }), weight: 1 },
      { arbitrary: fc.constant(undefined), weight: 1 },
    ),
    severity: fc.option(fc.integer({ min: 0, max: 0xffff_ffff }), { nil: undefined }),
    maxSections: fc.integer({ min: 1, max: 20 }),
    blockLength: fc.integer({ min: 20, max: 4096 }),
    page: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  })
  .map(({ page, ...r }): MemoryRecordRequest => {
    const { guestPageShift: g, severity, ...rest } = r;
    const guestPageShift = g === undefined || g >= 0 ? g : Math.max(0, r.addressLsb + g);
    return {
      ...rest,
      ...(guestPageShift === undefined ? {} : { guestPageShift }),
      ...(severity === undefined ? {} : { severity }),
      gpa: (page >> BigInt(r.addressLsb)) << BigInt(r.addressLsb),
    };
  });

test('memoryErrorRecord() gives the same bytes as a full encodeGhesStatusBlock for any request', () => {
  fc.assert(
    fc.property(request, (req) => {
      assert.deepEqual(
        outcome(() => memoryErrorRecord(req)),
        outcome(() => fullEncode(req)),
      );
    }),
    { numRuns: 400 },
  );
});

test('memoryErrorRecord() gives the same bytes twice in a row for records of one shape', () => {
  fc.assert(
    fc.property(request, fc.bigInt({ min: 0n, max: (1n << 52n) - 1n }), (req, other) => {
      const second = { ...req, gpa: (other << 12n) & req.gpa };
      const a = outcome(() => memoryErrorRecord(req));
      if (typeof a !== 'string') a.fill(0xee); // scribbling on a record does not reach the next
      assert.deepEqual(
        outcome(() => memoryErrorRecord(second)),
        outcome(() => fullEncode(second)),
      );
    }),
    { numRuns: 200 },
  );
});

test('memoryErrorRecord() writes one section per 4 KiB guest page of a 64 KiB area when 16 fit', () => {
  const block = memoryErrorRecord({
    gpa: 0x4123_0000n,
    addressLsb: 16,
    guestPageShift: 12,
    maxSections: 16,
    blockLength: 20 + 16 * MEMORY_ENTRY_SIZE,
  });
  const d = decodeGhesStatusBlock(block);
  assert.equal(d.entries.length, 16);
  const sections = d.entries.map((e) => e.body as unknown as MemoryErrorSection);
  assert.equal(sections[0]!.physicalAddress, 0x4123_0000n);
  assert.equal(sections[15]!.physicalAddress, 0x4123_f000n);
  assert.equal(sections[15]!.physicalAddressMask, 0xffff_ffff_ffff_f000n);
  assert.equal(d.errorSeverity, CperSeverity.Recoverable);
});

test('memoryErrorRecord() writes one section masking the whole area when the block is too small', () => {
  const block = memoryErrorRecord({
    gpa: 0x4020_0000n,
    addressLsb: 21,
    guestPageShift: 12,
    maxSections: 1,
    blockLength: 1024,
  });
  const d = decodeGhesStatusBlock(block);
  assert.equal(d.entries.length, 1);
  const m = d.entries[0]!.body as unknown as MemoryErrorSection;
  assert.equal(m.physicalAddress, 0x4020_0000n);
  assert.equal(m.physicalAddressMask, 0xffff_ffff_ffe0_0000n);
});

test('memoryErrorRecord() throws the codec error for a physical address beyond 64 bits', () => {
  assert.throws(
    () =>
      memoryErrorRecord({
        gpa: 1n << 64n,
        addressLsb: 12,
        maxSections: 1,
        blockLength: 1024,
      }),
    (e: unknown) =>
      e instanceof CodecError && e.code === 'out-of-range' && e.offset === 20 + 72 + 16,
  );
});
