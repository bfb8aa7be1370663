import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readShared } from '../../test/support/shared.js';
import { readGhesStatusBlock } from './generic-error-status.js';
import { readHest } from './hest.js';
import { bitNames, CODEC_MEANINGS, guidName } from './meanings.js';
import { annotate } from './table.js';

const meaningOf = (rows: ReturnType<typeof annotate>['rows'], field: string): string =>
  rows.find((r) => `${r.structure}.${r.field}` === field)?.meaning ?? '(no row)';

test("the annotated table explains QEMU's 172-byte memory record field by field", () => {
  const bytes = readShared(
    'reference/qemu/captured/qemu-10.2.50-ece408818d/virt/qmp_cper_payload.bin',
  );
  const { rows, error } = annotate(bytes, readGhesStatusBlock, {
    structure: 'GHES status block',
    meanings: CODEC_MEANINGS,
  });
  assert.equal(error, undefined);
  assert.equal(meaningOf(rows, 'GHES status block.block status'), 'uncorrectable; 0 entries');
  assert.equal(meaningOf(rows, 'GHES status block.error severity'), 'recoverable');
  assert.equal(meaningOf(rows, 'Generic Error Data Entry.section type'), 'Platform Memory');
  assert.equal(meaningOf(rows, 'memory section.validation bits'), 'PhysicalAddress | ErrorType');
  // UEFI 2.10 Table N-31: validation bit 1 (0x2) physical address, bit 14 (0x4000) error type.
  assert.equal(
    meaningOf(rows, 'memory section.physical address'),
    'pfn 0x40001; valid (validation bit 0x2)',
  );
  assert.equal(
    meaningOf(rows, 'memory section.memory error type'),
    'multi-bit ECC; valid (validation bit 0x4000)',
  );
  assert.equal(meaningOf(rows, 'memory section.node'), 'not valid: validation bit 0x8 is clear');
  // Every byte of the input is accounted for by a row.
  assert.equal(
    rows.reduce((n, r) => n + r.size, 0),
    bytes.length,
  );
});

test("the annotated table names QEMU's HEST sources, notifications and registers", () => {
  const bytes = readShared('reference/qemu/tests/data/acpi/aarch64/virt/HEST');
  const { rows } = annotate(bytes, readHest, { structure: 'HEST', meanings: CODEC_MEANINGS });
  const notifications = rows.filter((r) => r.structure === 'Notification' && r.field === 'type');
  assert.deepEqual(
    notifications.map((r) => r.meaning),
    ['sea', 'gpio'],
  );
  assert.equal(meaningOf(rows, 'GHESv2.relatedSourceId'), 'none');
  assert.equal(meaningOf(rows, 'Read Ack Register.addressSpaceId'), 'SystemMemory');
});

test('bitNames() spells out set bits and keeps unknown ones', () => {
  assert.equal(bitNames(0, { A: 1 }), 'none');
  assert.equal(bitNames(0b101, { A: 1, B: 2 }), 'A | unknown 0x4');
  assert.equal(guidName('e19e3d16-bc11-11e4-9caa-c2051d5d46b0'), 'ARM Processor');
  assert.equal(guidName('12345678-0000-0000-0000-000000000000'), 'unknown GUID');
});
