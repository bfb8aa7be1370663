import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { CodecError } from './errors.js';
import {
  decodeGas,
  encodeGas,
  GAS_SIZE,
  GasAccessSize,
  GasAddressSpace,
  gasAddressSpaceName,
  systemMemoryGas,
} from './gas.js';
import { hexToBytes } from './hex.js';

test('a GAS is 12 bytes', () => {
  assert.equal(GAS_SIZE, 12);
  assert.equal(encodeGas(systemMemoryGas(0n)).length, 12);
});

test("decodeGas() reads QEMU's error-status GAS (bytes 0x3c–0x47 of its 224-byte HEST)", () => {
  // qemu-vmm.md §5: `00 40 00 04 00 00 DA 43 00 00 00 00`, which iasl disassembles as
  // SystemMemory, Bit Width 40, Bit Offset 00, QWord Access, 0000000043DA0000.
  const gas = decodeGas(hexToBytes('00 40 00 04 00 00 DA 43 00 00 00 00'));
  assert.deepEqual(gas, {
    addressSpaceId: GasAddressSpace.SystemMemory,
    registerBitWidth: 64,
    registerBitOffset: 0,
    accessSize: GasAccessSize.Qword,
    address: 0x43da0000n,
  });
  assert.deepEqual(gas, systemMemoryGas(0x43da0000n));
});

test('gasAddressSpaceName() names defined, OEM and reserved ids', () => {
  assert.equal(gasAddressSpaceName(0), 'SystemMemory');
  assert.equal(gasAddressSpaceName(0x7f), 'FunctionalFixedHardware');
  assert.equal(gasAddressSpaceName(0x80), 'OEM 0x80');
  assert.equal(gasAddressSpaceName(0x0c), 'reserved 0x0c');
});

test('decodeGas(encodeGas(x)) is x over full field ranges', () => {
  const u8 = fc.integer({ min: 0, max: 255 });
  fc.assert(
    fc.property(
      u8,
      u8,
      u8,
      u8,
      fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
      (a, w, o, s, addr) => {
        const gas = {
          addressSpaceId: a,
          registerBitWidth: w,
          registerBitOffset: o,
          accessSize: s,
          address: addr,
        };
        assert.deepEqual(decodeGas(encodeGas(gas)), gas);
      },
    ),
    { numRuns: 300 },
  );
});

test('decodeGas() rejects 11 bytes (truncated, offset 0)', () => {
  assert.throws(
    () => decodeGas(new Uint8Array(11)),
    (e) => e instanceof CodecError && e.code === 'truncated' && e.offset === 0,
  );
});

test('decodeGas() rejects 13 bytes (length-mismatch, offset 12)', () => {
  assert.throws(
    () => decodeGas(new Uint8Array(13)),
    (e) => e instanceof CodecError && e.code === 'length-mismatch' && e.offset === 12,
  );
});

test('encodeGas() refuses a bit width above 255 (out-of-range, offset 1)', () => {
  assert.throws(
    () => encodeGas({ ...systemMemoryGas(0n), registerBitWidth: 256 }),
    (e) => e instanceof CodecError && e.code === 'out-of-range' && e.offset === 1,
  );
});
