import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { readShared, sharedPath } from '../../test/support/shared.js';
import { CodecError, CodecErrorCode } from './errors.js';
import { type GenericErrorDataEntry, genericErrorDataEntry } from './generic-error-data.js';
import {
  BlockStatus,
  blockStatusEntryCount,
  blockStatusFor,
  cperEstatusLen,
  decodeBlockStatus,
  decodeGhesStatusBlock,
  decodeGhesStatusHeader,
  encodeBlockStatus,
  encodeGhesStatusBlock,
  GHES_STATUS_HEADER_SIZE,
  type GhesStatusBlock,
  ghesStatusBlock,
  readGhesStatusBlock,
} from './generic-error-status.js';
import { hexToBytes } from './hex.js';
import { ByteReader } from './reader.js';
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

/** QEMU's acpi_ghes_memory_errors() record for `pa` with memory error type `type`. */
function qemuMemoryBlock(pa: bigint, type: number): GhesStatusBlock {
  const body = memoryErrorSection({
    validationBits: 0x4002n,
    physicalAddress: pa,
    errorType: type,
  });
  return ghesStatusBlock({
    blockStatus: BlockStatus.UncorrectableValid,
    rawDataOffset: 0,
    errorSeverity: 0,
    entries: [genericErrorDataEntry(MEMORY_SECTION_GUID, body)],
  });
}

function expectCodecError(
  fn: () => unknown,
  code: CodecErrorCode,
  offset: number,
  field?: string,
): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof CodecError, `expected CodecError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.equal(e.offset, offset);
    if (field !== undefined) assert.equal(e.field, field);
    return true;
  });
}

describe('GHES status block', () => {
  test('qmp_cper_payload.bin decodes to the field table of formats.md §4.3', () => {
    const bytes = readShared(...QMP_PAYLOAD);
    assert.equal(bytes.length, 172);
    const b = decodeGhesStatusBlock(bytes);
    assert.equal(b.blockStatus, 0x00000001);
    assert.equal(b.rawDataOffset, 0);
    assert.equal(b.rawData.length, 0);
    assert.equal(b.errorSeverity, 0);
    assert.equal(b.entries.length, 1);
    const e = b.entries[0]!;
    assert.equal(e.sectionType, 'a5bc1114-6f64-4ede-b863-3e83ed7c83b1');
    assert.equal(e.errorSeverity, 0);
    assert.equal(e.revision, 0x0300);
    assert.equal(e.validationBits, 0);
    assert.equal(e.flags, 0);
    assert.equal(e.fruId, '00000000-0000-0000-0000-000000000000');
    assert.deepEqual(e.fruText, new Uint8Array(20));
    assert.deepEqual(e.timestamp, {
      seconds: 0,
      minutes: 0,
      hours: 0,
      flags: 0,
      day: 0,
      month: 0,
      year: 0,
      century: 0,
    });
    const m = e.body as MemoryErrorSection;
    assert.equal(m.kind, 'memory');
    assert.equal(m.validationBits, 0x4002n);
    assert.equal(m.errorStatus, 0n);
    assert.equal(m.physicalAddress, 0x40001000n);
    assert.equal(m.errorType, 3);
    assert.equal(m.extended, 0);
    assert.equal(m.moduleHandle, 0);
    assert.equal(b.trailing, undefined);
    assert.equal(b.gap, undefined);
  });

  test('qmp_cper_payload.bin re-encodes byte for byte', () => {
    const bytes = readShared(...QMP_PAYLOAD);
    assert.deepEqual(encodeGhesStatusBlock(decodeGhesStatusBlock(bytes)), bytes);
  });

  test('the encoder builds qmp_cper_payload.bin from fields (QEMU layout, error type 3)', () => {
    assert.deepEqual(
      encodeGhesStatusBlock(qemuMemoryBlock(0x40001000n, 3)),
      readShared(...QMP_PAYLOAD),
    );
  });

  test('the encoder gives the bytes qemu-vmm.md §7 derives for GPA 0x40001000 (error type 0)', () => {
    // Transcribed from qemu-vmm.md §7 "Expected bytes for GPA 0x40001000".
    const expected = hexToBytes(
      '01000000 00000000 00000000 98000000 00000000' +
        '1411BCA5 646FDE4E B8633E83 ED7C83B1 00000000 0003 00 00 50000000' +
        '00'.repeat(16) +
        '00'.repeat(20) +
        '00'.repeat(8) +
        '0240000000000000 0000000000000000 0010004000000000' +
        '00'.repeat(48) +
        '00' +
        '00'.repeat(7),
    );
    assert.equal(expected.length, 172);
    assert.deepEqual(encodeGhesStatusBlock(qemuMemoryBlock(0x40001000n, 0)), expected);
  });

  test('the encoder reproduces the xp dump of seed 001 at 0x785d80b0', () => {
    // seeds/001: `(qemu) xp /100x 0x785d80b0` after an SEA, little-endian u32 words. The dump
    // lists 24 words, all inside the 172-byte record; the PA is not among them.
    const text = readFileSync(sharedPath('seeds', '001_39c6710921e9b5ed.txt'), 'latin1');
    const start = text.indexOf('xp /100x 0x785d80b0');
    assert.ok(start > 0);
    const words: number[] = [];
    for (const line of text.slice(start).split('\n').slice(1)) {
      const m = /^\s*0000000078[0-9a-f]{6}:((?:\s+0x[0-9a-f]{8})+)\s*$/.exec(line);
      if (m === null) break;
      for (const w of m[1]!.trim().split(/\s+/)) words.push(Number.parseInt(w, 16));
    }
    assert.equal(words.length, 24);
    const bytes = encodeGhesStatusBlock(qemuMemoryBlock(0x40fa6000n, 0));
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const covered = Math.min(words.length, Math.floor(bytes.length / 4));
    for (let i = 0; i < covered; i++) {
      assert.equal(
        view.getUint32(i * 4, true),
        words[i],
        `word ${i} at +0x${(i * 4).toString(16)}`,
      );
    }
  });

  test('decoding from a 1024-byte block region reads only cper_estatus_len bytes', () => {
    const record = readShared(...QMP_PAYLOAD);
    const region = new Uint8Array(1024).fill(0xaa);
    region.set(record);
    const b = decodeGhesStatusBlock(region);
    assert.deepEqual(encodeGhesStatusBlock(b), record);
    assert.equal(cperEstatusLen(decodeGhesStatusHeader(region)), 172);
  });

  test('readGhesStatusBlock() leaves the reader just after the record, offsets absolute', () => {
    const record = readShared(...QMP_PAYLOAD);
    const region = new Uint8Array(300);
    region.set(record, 8);
    const r = new ByteReader(region, 'region', 8);
    const b = readGhesStatusBlock(r);
    assert.equal(b.entries.length, 1);
    assert.equal(r.offset, 8 + 172);
  });

  test('Raw Data Offset is kept as written when there is no raw data', () => {
    const qemu = encodeGhesStatusBlock(qemuMemoryBlock(0x1000n, 0));
    assert.equal(new DataView(qemu.buffer).getUint32(4, true), 0);
    const linuxStyle = encodeGhesStatusBlock({
      ...qemuMemoryBlock(0x1000n, 0),
      rawDataOffset: 172,
    });
    assert.equal(new DataView(linuxStyle.buffer).getUint32(4, true), 172);
    assert.equal(decodeGhesStatusBlock(linuxStyle).rawDataOffset, 172);
    const { rawDataOffset: _omit, ...computed } = qemuMemoryBlock(0x1000n, 0);
    const c = encodeGhesStatusBlock(computed);
    assert.equal(new DataView(c.buffer).getUint32(4, true), GHES_STATUS_HEADER_SIZE + 152);
  });

  test('raw data, a gap before it and trailing entry bytes survive decode→encode', () => {
    const block: GhesStatusBlock = {
      blockStatus: 0x12,
      errorSeverity: 2,
      entries: [
        genericErrorDataEntry(
          '01234567-89ab-cdef-0123-456789abcdef',
          opaqueSection(new Uint8Array([1, 2, 3]), 'x'),
        ),
      ],
      trailing: new Uint8Array([9, 9, 9, 9, 9]),
      gap: new Uint8Array([7, 7]),
      rawData: new Uint8Array([0xde, 0xad, 0xbe, 0xef]),
    };
    const bytes = encodeGhesStatusBlock(block);
    const view = new DataView(bytes.buffer);
    const dataLength = 72 + 3 + 5;
    assert.equal(view.getUint32(12, true), dataLength);
    assert.equal(view.getUint32(4, true), 20 + dataLength + 2);
    assert.equal(view.getUint32(8, true), 4);
    assert.equal(bytes.length, 20 + dataLength + 2 + 4);
    const back = decodeGhesStatusBlock(bytes);
    assert.deepEqual(back.trailing, block.trailing);
    assert.deepEqual(back.gap, block.gap);
    assert.deepEqual(back.rawData, block.rawData);
    assert.deepEqual(encodeGhesStatusBlock(back), bytes);
  });

  test('a data length too short for any entry decodes as zero entries and trailing bytes', () => {
    const bytes = new Uint8Array(20 + 10);
    new DataView(bytes.buffer).setUint32(0, 1, true);
    new DataView(bytes.buffer).setUint32(12, 10, true);
    const b = decodeGhesStatusBlock(bytes);
    assert.equal(b.entries.length, 0);
    assert.equal(b.trailing?.length, 10);
    assert.deepEqual(encodeGhesStatusBlock(b), bytes);
  });

  test('an entry whose error data length overruns data length stays as trailing bytes', () => {
    const bytes = encodeGhesStatusBlock(qemuMemoryBlock(0x1000n, 0));
    const view = new DataView(bytes.buffer);
    view.setUint32(20 + 24, 81, true); // error data length 81 > 80 available
    const b = decodeGhesStatusBlock(bytes);
    assert.equal(b.entries.length, 0);
    assert.equal(b.trailing?.length, 152);
    assert.deepEqual(encodeGhesStatusBlock(b), bytes);
  });

  test('a 64-byte (revision 0x0200) entry inside a block is walked with the short header', () => {
    const body = memoryErrorSection({ validationBits: 0x2n, physicalAddress: 0x5000n });
    const block = ghesStatusBlock({
      errorSeverity: 0,
      entries: [genericErrorDataEntry(MEMORY_SECTION_GUID, body, { revision: 0x0201 })],
    });
    const bytes = encodeGhesStatusBlock(block);
    assert.equal(bytes.length, 20 + 64 + 80);
    const back = decodeGhesStatusBlock(bytes);
    assert.equal(back.entries[0]!.timestamp, undefined);
    assert.equal((back.entries[0]!.body as MemoryErrorSection).physicalAddress, 0x5000n);
  });

  test('decodeGhesStatusBlock() throws truncated at offset 0 for fewer than 20 bytes', () => {
    expectCodecError(() => decodeGhesStatusBlock(new Uint8Array(12)), CodecErrorCode.Truncated, 0);
  });

  test('decodeGhesStatusBlock() throws truncated at offset 0x14 when data length exceeds the bytes', () => {
    const bytes = readShared(...QMP_PAYLOAD).slice(0, 100);
    expectCodecError(
      () => decodeGhesStatusBlock(bytes),
      CodecErrorCode.Truncated,
      20,
      'data length',
    );
  });

  test('decodeGhesStatusBlock() throws length-mismatch at offset 4 when raw data overlaps the entries', () => {
    const bytes = readShared(...QMP_PAYLOAD).slice();
    const view = new DataView(bytes.buffer);
    view.setUint32(4, 100, true);
    view.setUint32(8, 8, true);
    expectCodecError(
      () => decodeGhesStatusBlock(bytes),
      CodecErrorCode.LengthMismatch,
      4,
      'raw data offset',
    );
  });

  test('decodeGhesStatusBlock() throws truncated when raw data runs past the buffer', () => {
    const bytes = readShared(...QMP_PAYLOAD).slice();
    const view = new DataView(bytes.buffer);
    view.setUint32(4, 172, true);
    view.setUint32(8, 0xffffffff, true);
    expectCodecError(() => decodeGhesStatusBlock(bytes), CodecErrorCode.Truncated, 172, 'raw data');
  });

  test('encodeGhesStatusBlock() refuses a raw data offset that disagrees with the layout', () => {
    const block = { ...qemuMemoryBlock(0x1000n, 0), rawData: new Uint8Array(4) };
    expectCodecError(
      () => encodeGhesStatusBlock(block),
      CodecErrorCode.LengthMismatch,
      4,
      'raw data offset',
    );
  });

  test('encodeGhesStatusBlock() refuses gap bytes without raw data', () => {
    const block = { ...qemuMemoryBlock(0x1000n, 0), gap: new Uint8Array(2) };
    expectCodecError(() => encodeGhesStatusBlock(block), CodecErrorCode.LengthMismatch, 172, 'gap');
  });

  test('encodeGhesStatusBlock() range-checks block status', () => {
    const block = { ...qemuMemoryBlock(0x1000n, 0), blockStatus: 2 ** 32 };
    expectCodecError(
      () => encodeGhesStatusBlock(block),
      CodecErrorCode.OutOfRange,
      0,
      'block status',
    );
  });
});

describe('Block Status', () => {
  test('decodeBlockStatus() splits the four flags, the 10-bit count and the reserved bits', () => {
    assert.deepEqual(decodeBlockStatus(0x80003ffe), {
      uncorrectable: false,
      correctable: true,
      multipleUncorrectable: true,
      multipleCorrectable: true,
      entryCount: 0x3ff,
      reserved: 0x80000000,
    });
    assert.equal(blockStatusEntryCount(0x11), 1);
  });

  test('blockStatusFor() matches the real-guest records (0x11 uncorrectable, 0x12 corrected)', () => {
    assert.equal(blockStatusFor(0, 1), 0x11);
    assert.equal(blockStatusFor(1, 1), 0x11);
    assert.equal(blockStatusFor(2, 1), 0x12);
  });

  test('encodeBlockStatus() inverts decodeBlockStatus() for every u32', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (v) => {
        assert.equal(encodeBlockStatus(decodeBlockStatus(v)), v);
      }),
      { numRuns: 300 },
    );
  });

  test('encodeBlockStatus() refuses an entry count above 1023', () => {
    assert.throws(() => encodeBlockStatus({ entryCount: 1024 }), RangeError);
  });
});

const guidArb = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => {
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
});
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u8 = fc.integer({ min: 0, max: 0xff });

const memoryArb = fc
  .record({
    validationBits: u64,
    errorStatus: u64,
    physicalAddress: u64,
    physicalAddressMask: u64,
    node: u16,
    card: u16,
    module: u16,
    bank: u16,
    device: u16,
    row: u16,
    column: u16,
    bitPosition: u16,
    requestorId: u64,
    responderId: u64,
    targetId: u64,
    errorType: u8,
    extended: u8,
    rankNumber: u16,
    cardHandle: u16,
    moduleHandle: u16,
  })
  .map((f) => memoryErrorSection(f));

const entryArb: fc.Arbitrary<GenericErrorDataEntry> = fc
  .record({
    kind: fc.constantFrom('memory', 'opaque'),
    memory: memoryArb,
    opaqueType: guidArb,
    opaqueBytes: fc.uint8Array({ maxLength: 40 }),
    errorSeverity: u32,
    revision: u16,
    validationBits: u8,
    flags: u8,
    fruId: guidArb,
    fruText: fc.uint8Array({ minLength: 20, maxLength: 20 }),
    ts: fc.uint8Array({ minLength: 8, maxLength: 8 }),
  })
  .map((f) => {
    const [sectionType, body] =
      f.kind === 'memory' || f.opaqueType === MEMORY_SECTION_GUID
        ? [MEMORY_SECTION_GUID, f.memory]
        : [f.opaqueType, opaqueSection(f.opaqueBytes, 'unknown section type')];
    const t = f.ts;
    return genericErrorDataEntry(sectionType, body, {
      errorSeverity: f.errorSeverity,
      revision: f.revision,
      validationBits: f.validationBits,
      flags: f.flags,
      fruId: f.fruId,
      fruText: f.fruText,
      timestamp: {
        seconds: t[0]!,
        minutes: t[1]!,
        hours: t[2]!,
        flags: t[3]!,
        day: t[4]!,
        month: t[5]!,
        year: t[6]!,
        century: t[7]!,
      },
    });
  });

describe('GHES status block properties', () => {
  test('decode(encode(block)) gives the block back, over full field ranges', () => {
    fc.assert(
      fc.property(
        u32,
        u32,
        fc.array(entryArb, { maxLength: 3 }),
        fc.uint8Array({ maxLength: 16 }),
        fc.option(u32, { nil: undefined }),
        (blockStatus, errorSeverity, entries, rawData, rawOffset) => {
          const block: GhesStatusBlock = {
            blockStatus,
            errorSeverity,
            entries,
            rawData,
            ...(rawData.length === 0 && rawOffset !== undefined
              ? { rawDataOffset: rawOffset }
              : {}),
          };
          const bytes = encodeGhesStatusBlock(block);
          const back = decodeGhesStatusBlock(bytes);
          assert.deepEqual(encodeGhesStatusBlock(back), bytes);
          assert.equal(back.entries.length, entries.length);
          assert.deepEqual(back.entries, entries);
          assert.deepEqual(back.rawData, rawData);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('any bytes that decode re-encode to the first cper_estatus_len bytes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 20, maxLength: 400 }),
        fc.integer({ min: 0, max: 380 }),
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 0, max: 400 }),
        (bytes, dataLength, rawLength, rawOffset) => {
          const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
          view.setUint32(12, dataLength, true);
          view.setUint32(8, rawLength, true);
          view.setUint32(4, rawOffset, true);
          let block: GhesStatusBlock;
          try {
            block = decodeGhesStatusBlock(bytes);
          } catch (e) {
            assert.ok(e instanceof CodecError);
            return;
          }
          const len = cperEstatusLen(decodeGhesStatusHeader(bytes));
          assert.deepEqual(encodeGhesStatusBlock(block), bytes.subarray(0, len));
        },
      ),
      { numRuns: 400 },
    );
  });
});
