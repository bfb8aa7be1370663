import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HEST_ALL_TYPES } from '../../test/support/iasl.js';
import { CodecError } from './errors.js';
import {
  decodeHestIa32MachineCheck,
  decodeHestIa32Nmi,
  decodeHestIa32NotifiedCheck,
  decodeHestMachineCheckBank,
  encodeHestIa32MachineCheck,
  encodeHestIa32Nmi,
  encodeHestIa32NotifiedCheck,
  encodeHestMachineCheckBank,
  HEST_IA32_CORRECTED_CHECK_SIZE,
  HEST_IA32_MACHINE_CHECK_SIZE,
  HEST_IA32_NMI_SIZE,
  HEST_MACHINE_CHECK_BANK_SIZE,
  type HestIa32MachineCheck,
  type HestIa32Nmi,
  type HestIa32NotifiedCheck,
} from './hest-ia32.js';

// The IA-32 sources of the fixture whose whole-table encoding hest.test.ts checks against iasl.
const [mc, cmc, nmi] = HEST_ALL_TYPES.sources as [
  HestIa32MachineCheck,
  HestIa32NotifiedCheck,
  HestIa32Nmi,
];
const dmc = HEST_ALL_TYPES.sources[8] as HestIa32NotifiedCheck;

test('sizes: MCE 40 + 28·banks, CMC/deferred 48 + 28·banks, NMI 20, bank 28', () => {
  assert.equal(HEST_MACHINE_CHECK_BANK_SIZE, 28);
  assert.equal(encodeHestIa32MachineCheck(mc).length, HEST_IA32_MACHINE_CHECK_SIZE + 2 * 28);
  assert.equal(encodeHestIa32NotifiedCheck(cmc).length, HEST_IA32_CORRECTED_CHECK_SIZE + 28);
  assert.equal(encodeHestIa32NotifiedCheck(dmc).length, HEST_IA32_CORRECTED_CHECK_SIZE);
  assert.equal(encodeHestIa32Nmi(nmi).length, HEST_IA32_NMI_SIZE);
  assert.equal(encodeHestMachineCheckBank(mc.banks[0]!).length, 28);
});

test('each IA-32 structure decodes back to itself', () => {
  assert.deepEqual(decodeHestIa32MachineCheck(encodeHestIa32MachineCheck(mc)), mc);
  assert.deepEqual(decodeHestIa32NotifiedCheck(encodeHestIa32NotifiedCheck(cmc)), cmc);
  assert.deepEqual(decodeHestIa32NotifiedCheck(encodeHestIa32NotifiedCheck(dmc)), dmc);
  assert.deepEqual(decodeHestIa32Nmi(encodeHestIa32Nmi(nmi)), nmi);
  assert.deepEqual(
    decodeHestMachineCheckBank(encodeHestMachineCheckBank(mc.banks[1]!)),
    mc.banks[1],
  );
});

test('the bank count is written at offset 32 (type 0) and 44 (types 1, 11)', () => {
  assert.equal(encodeHestIa32MachineCheck(mc)[32], 2);
  assert.equal(encodeHestIa32NotifiedCheck(cmc)[44], 1);
});

test('decodeHestIa32NotifiedCheck() rejects type 0 (invalid, offset 0)', () => {
  assert.throws(
    () => decodeHestIa32NotifiedCheck(encodeHestIa32MachineCheck({ ...mc, banks: [mc.banks[0]!] })),
    (e) => e instanceof CodecError && e.code === 'invalid' && e.offset === 0,
  );
});

test('decodeHestIa32MachineCheck() rejects a bank count past the end (truncated, offset 40)', () => {
  const bytes = encodeHestIa32MachineCheck({ ...mc, banks: [] });
  bytes[32] = 1;
  assert.throws(
    () => decodeHestIa32MachineCheck(bytes),
    (e) => e instanceof CodecError && e.code === 'truncated' && e.offset === 40,
  );
});

test('decodeHestIa32Nmi() rejects 19 bytes (truncated, offset 0)', () => {
  assert.throws(
    () => decodeHestIa32Nmi(new Uint8Array(19)),
    (e) => e instanceof CodecError && e.code === 'truncated' && e.offset === 0,
  );
});

test('decodeHestIa32Nmi() rejects an NMI entry with 4 extra bytes (length-mismatch, offset 20)', () => {
  const bytes = new Uint8Array(HEST_IA32_NMI_SIZE + 4);
  bytes.set(encodeHestIa32Nmi(nmi));
  assert.throws(
    () => decodeHestIa32Nmi(bytes),
    (e) =>
      e instanceof CodecError &&
      e.code === 'length-mismatch' &&
      e.field === 'bytes' &&
      e.offset === 20,
  );
});
