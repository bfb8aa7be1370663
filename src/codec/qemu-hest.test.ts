import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readShared } from '../../test/support/shared.js';
import { decodeHest } from './hest.js';
import { HestNotificationType } from './hest-notification.js';
import {
  QEMU_HEST_PROFILES,
  qemuHardwareErrorsLayout,
  qemuHest,
  qemuHestBytes,
  qemuHestUnpatchedBytes,
} from './qemu-hest.js';

// Golden files: ../shared/reference/qemu/README.md and real-guest/ (QEMU's own bytes).
function ref(path: string): Uint8Array {
  return readShared('reference', ...path.split('/'));
}
const legacy = QEMU_HEST_PROFILES['qemu-7.2-virt'];
const current = QEMU_HEST_PROFILES['qemu-10.2-virt'];

test('qemu-7.2-virt with the blob at 0x7c410000 is the table a Debian 12 guest read', () => {
  assert.deepEqual(
    qemuHestBytes(legacy, 0x7c410000n),
    ref('real-guest/hest-qemu72-virt-ras-on.bin'),
  );
});

test("qemu-7.2-virt with the blob at 0x43da0000 is QEMU's cd16f08ad4 test expectation", () => {
  assert.deepEqual(
    qemuHestBytes(legacy, 0x43da0000n),
    ref('qemu/history/cd16f08ad4/tests/data/acpi/aarch64/virt/HEST'),
  );
});

test("qemu-10.2-virt with the blob at 0x43da0000 is QEMU's current 224-byte expectation", () => {
  const bytes = qemuHestBytes(current, 0x43da0000n);
  assert.equal(bytes.length, 224);
  assert.deepEqual(bytes, ref('qemu/tests/data/acpi/aarch64/virt/HEST'));
});

test('the patched tables equal the ones captured from running QEMUs after linking', () => {
  const base = 'qemu/captured';
  assert.deepEqual(
    qemuHestBytes(current, 0x43da0000n),
    ref(`${base}/qemu-10.2.50-ece408818d/virt/HEST.patched.bin`),
  );
  assert.deepEqual(
    qemuHestBytes(legacy, 0x43da0000n),
    ref(`${base}/qemu-10.2.50-ece408818d/virt-10.1/HEST.patched.bin`),
  );
  assert.deepEqual(
    qemuHestBytes(legacy, 0x43da0000n),
    ref(`${base}/qemu-7.2.22-debian12/virt/HEST.patched.bin`),
  );
});

test('the unpatched tables (blob offsets, checksum 0) equal what QEMU serves in etc/acpi/tables', () => {
  const base = 'qemu/captured';
  const cur = qemuHestUnpatchedBytes(current);
  assert.equal(cur[9], 0);
  assert.deepEqual(cur, ref(`${base}/qemu-10.2.50-ece408818d/virt/HEST.unpatched.bin`));
  assert.deepEqual(
    qemuHestUnpatchedBytes(legacy),
    ref(`${base}/qemu-10.2.50-ece408818d/virt-10.1/HEST.unpatched.bin`),
  );
  assert.deepEqual(
    qemuHestUnpatchedBytes(legacy),
    ref(`${base}/qemu-7.2.22-debian12/virt/HEST.unpatched.bin`),
  );
});

test('the unpatched table is also a slice of the captured etc/acpi/tables at the HEST offset', () => {
  const tables = ref('qemu/captured/qemu-7.2.22-debian12/virt/etc_acpi_tables.bin');
  assert.deepEqual(tables.subarray(6063, 6063 + 132), qemuHestUnpatchedBytes(legacy));
});

test('etc/hardware_errors offsets follow formats.md §13 for both layouts', () => {
  const one = qemuHardwareErrorsLayout(1);
  assert.deepEqual(
    [one.slotOffset(0), one.ackOffset(0), one.blockOffset(0), one.size],
    [0, 8, 0x10, 1040],
  );
  const two = qemuHardwareErrorsLayout(2);
  assert.deepEqual(
    [two.slotOffset(1), two.ackOffset(0), two.ackOffset(1), two.blockOffset(1), two.size],
    [8, 0x10, 0x18, 0x420, 2080],
  );
});

test('the profiles export the source list and notification types the engine reuses', () => {
  assert.deepEqual(
    current.sources.map((s) => [s.sourceId, s.notificationType]),
    [
      [0, HestNotificationType.ArmSea],
      [1, HestNotificationType.GpioSignal],
    ],
  );
  assert.equal(legacy.layout, 'legacy');
  assert.equal(current.layout, 'hest-addr');
  const hest = qemuHest(current, 0x1000n);
  assert.deepEqual(decodeHest(qemuHestBytes(current, 0x1000n)).sources, hest.sources);
});
