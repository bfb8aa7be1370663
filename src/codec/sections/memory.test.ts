import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { CodecError, CodecErrorCode } from '../errors.js';
import { sectionCodecFor } from '../section.js';
import {
  decodeMemoryErrorSection,
  decodeMemoryErrorStatus,
  encodeMemoryErrorSection,
  encodeMemoryErrorStatus,
  MEMORY_ERROR_SECTION_OLD_SIZE,
  MEMORY_ERROR_SECTION_SIZE,
  MEMORY_SECTION_GUID,
  type MemoryErrorSection,
  MemoryValid,
  memoryErrorSection,
  memoryErrorStatusName,
  memoryErrorTypeName,
  printMemoryErrorSectionLinux,
} from './memory.js';

const PFX = '{1}[Hardware Error]:   ';
const print = (s: MemoryErrorSection, options = {}) =>
  printMemoryErrorSectionLinux(s, { pfx: PFX, options });

/** Bytes with field values equal to distinct markers, offsets from formats.md §7.1. */
function golden(): Uint8Array {
  const b = new Uint8Array(80);
  const v = new DataView(b.buffer);
  v.setBigUint64(0, 0x3fffffn, true); // validation bits
  v.setBigUint64(8, 0x0000000000400400n, true); // error status: type 4, overflow
  v.setBigUint64(16, 0x1122334455667788n, true); // PA
  v.setBigUint64(24, 0xfffffffffffff000n, true); // PA mask
  v.setUint16(32, 1, true); // node
  v.setUint16(34, 2, true); // card
  v.setUint16(36, 3, true); // module
  v.setUint16(38, 0x0506, true); // bank: group 5, address 6
  v.setUint16(40, 7, true); // device
  v.setUint16(42, 0x1234, true); // row
  v.setUint16(44, 9, true); // column
  v.setUint16(46, 10, true); // bit position
  v.setBigUint64(48, 0xan, true); // requestor
  v.setBigUint64(56, 0xbn, true); // responder
  v.setBigUint64(64, 0xcn, true); // target
  b[72] = 3; // error type
  b[73] = 0xa2; // extended: chip id 5, row bits 17:16 = 2
  v.setUint16(74, 13, true); // rank
  v.setUint16(76, 0x0014, true); // card handle
  v.setUint16(78, 0x0015, true); // module handle
  return b;
}

describe('Platform Memory Error section', () => {
  test('is 80 bytes, 73 in the UEFI 2.1 form, registered under A5BC1114-…', () => {
    assert.equal(MEMORY_ERROR_SECTION_SIZE, 80);
    assert.equal(MEMORY_ERROR_SECTION_OLD_SIZE, 73);
    const c = sectionCodecFor(MEMORY_SECTION_GUID);
    assert.equal(c?.kind, 'memory');
    assert.equal(c?.linuxName, 'memory error');
    assert.equal(c?.minLength, 73);
  });

  test('decodes every field at the offsets of formats.md §7.1', () => {
    const s = decodeMemoryErrorSection(golden());
    assert.deepEqual(s, {
      kind: 'memory',
      validationBits: 0x3fffffn,
      errorStatus: 0x400400n,
      physicalAddress: 0x1122334455667788n,
      physicalAddressMask: 0xfffffffffffff000n,
      node: 1,
      card: 2,
      module: 3,
      bank: 0x0506,
      device: 7,
      row: 0x1234,
      column: 9,
      bitPosition: 10,
      requestorId: 0xan,
      responderId: 0xbn,
      targetId: 0xcn,
      errorType: 3,
      extended: 0xa2,
      rankNumber: 13,
      cardHandle: 0x14,
      moduleHandle: 0x15,
    });
    assert.deepEqual(encodeMemoryErrorSection(s), golden());
  });

  test('a 73-byte body decodes as the old form and re-encodes to 73 bytes', () => {
    const bytes = golden().slice(0, 73);
    const s = decodeMemoryErrorSection(bytes);
    assert.equal(s.extended, undefined);
    assert.equal(s.moduleHandle, undefined);
    assert.deepEqual(encodeMemoryErrorSection(s), bytes);
  });

  test('bytes after the structure are kept as trailing (76- and 90-byte bodies)', () => {
    for (const n of [76, 90]) {
      const bytes = new Uint8Array(n).fill(0x5a);
      const s = decodeMemoryErrorSection(bytes);
      assert.equal(s.trailing?.length, n < 80 ? n - 73 : n - 80);
      assert.deepEqual(encodeMemoryErrorSection(s), bytes);
    }
  });

  test('decodeMemoryErrorSection() throws truncated at offset 0 below 73 bytes', () => {
    assert.throws(
      () => decodeMemoryErrorSection(new Uint8Array(72)),
      (e: unknown) =>
        e instanceof CodecError && e.code === CodecErrorCode.Truncated && e.offset === 0,
    );
  });

  test('encodeMemoryErrorSection() refuses a half-present 80-byte tail, naming the missing field', () => {
    const { rankNumber: _r, ...partial } = memoryErrorSection();
    assert.throws(
      () => encodeMemoryErrorSection(partial),
      (e: unknown) =>
        e instanceof CodecError &&
        e.code === CodecErrorCode.Invalid &&
        e.field === 'rankNumber' &&
        e.offset === 0 &&
        /rankNumber is missing but extended, cardHandle, moduleHandle are given/.test(e.message),
    );
  });

  test('encodeMemoryErrorSection() range-checks a u16 field with its offset', () => {
    assert.throws(
      () => encodeMemoryErrorSection(memoryErrorSection({ node: 0x10000 })),
      (e: unknown) =>
        e instanceof CodecError &&
        e.code === CodecErrorCode.OutOfRange &&
        e.field === 'node' &&
        e.offset === 32,
    );
  });

  test('round-trips any 73..120-byte body', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 73, maxLength: 120 }), (bytes) => {
        assert.deepEqual(encodeMemoryErrorSection(decodeMemoryErrorSection(bytes)), bytes);
      }),
      { numRuns: 300 },
    );
  });

  test('validation bit names follow formats.md §7.2', () => {
    assert.equal(MemoryValid.PhysicalAddress | MemoryValid.ErrorType, 0x4002n);
    assert.equal(MemoryValid.ModuleHandle, 0x20000n);
    assert.equal(MemoryValid.ChipId, 0x200000n);
  });

  test('error status helpers split and rebuild the field (formats.md §7.3)', () => {
    const s = decodeMemoryErrorStatus(0x0000000000400400n | (1n << 63n) | 0x7n);
    assert.equal(s.errorType, 4);
    assert.equal(s.overflow, true);
    assert.equal(s.address, false);
    assert.equal(s.reserved, (1n << 63n) | 0x7n);
    assert.equal(encodeMemoryErrorStatus(s), 0x0000000000400400n | (1n << 63n) | 0x7n);
    assert.equal(memoryErrorStatusName(0x400n), 'Storage error in DRAM memory');
    assert.equal(memoryErrorStatusName(0n), 'Reserved');
    assert.equal(
      memoryErrorStatusName(0x1a00n),
      'A read was issued to data that has been poisoned',
    );
  });

  test('memory error type names are cper_mem_err_type_strs, `unknown` from 16 on', () => {
    assert.equal(memoryErrorTypeName(3), 'multi-bit ECC');
    assert.equal(memoryErrorTypeName(11), 'mirror Broken');
    assert.equal(memoryErrorTypeName(15), 'physical memory map-out event');
    assert.equal(memoryErrorTypeName(16), 'unknown');
  });
});

describe('printMemoryErrorSectionLinux()', () => {
  test('prints every line of cper_print_mem() with all bits valid', () => {
    assert.deepEqual(print(decodeMemoryErrorSection(golden())), [
      `${PFX} error_status: Storage error in DRAM memory (0x0000000000400400)`,
      `${PFX}physical_address: 0x1122334455667788`,
      `${PFX}physical_address_mask: 0xfffffffffffff000`,
      `${PFX}node:1 card:2 module:3 rank:13 bank:1286 bank_group:5 bank_address:6 device:7 row:135732 column:9 bit_position:10 requestor_id:0x000000000000000a responder_id:0x000000000000000b target_id:0x000000000000000c chip_id:5 `,
      `${PFX}error_type: 3, multi-bit ECC`,
      `${PFX}DIMM location: not present. DMI handle: 0x0015 `,
    ]);
  });

  test('row bits 17:16 are added only when the row extension bit is valid', () => {
    const s = memoryErrorSection({ validationBits: MemoryValid.Row, row: 0x1234, extended: 0x3 });
    assert.deepEqual(print(s), [`${PFX}row:4660 `]);
  });

  test('the DIMM line names the SMBIOS device when the caller knows it', () => {
    const s = memoryErrorSection({
      validationBits: MemoryValid.ModuleHandle,
      moduleHandle: 0x1100,
    });
    const dmiMemoryDevices = new Map([[0x1100, { bank: 'Bank 0', device: 'DIMM 0' }]]);
    assert.deepEqual(print(s, { dmiMemoryDevices }), [`${PFX}DIMM location: Bank 0 DIMM 0 `]);
  });

  test('a 73-byte section with bits ≥ 0x8000 prints only the firmware warning', () => {
    const s = decodeMemoryErrorSection(golden().slice(0, 73));
    assert.deepEqual(print(s), ['[Firmware Warn]: valid bits set for fields beyond structure']);
  });

  test('a 73-byte section with bits below 0x8000 prints normally', () => {
    const bytes = golden().slice(0, 73);
    new DataView(bytes.buffer).setBigUint64(0, 0x4002n, true);
    assert.deepEqual(print(decodeMemoryErrorSection(bytes)), [
      `${PFX}physical_address: 0x1122334455667788`,
      `${PFX}error_type: 3, multi-bit ECC`,
    ]);
  });
});
