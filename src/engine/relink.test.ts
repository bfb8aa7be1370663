// After the firmware's first link, the error region cannot move (issue 14 item 7). A guest that
// copies the HEST and etc/hardware_errors elsewhere, fixes the copy's slots itself and rewrites
// the write pointer used to get the engine linked to the copy, unreported. The rule: until a
// system reset, the engine accepts only the pointer value of the boot's first link; any other
// value (0 included) is refused and reported, and records keep going to the original region.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  bootMachine,
  buildHest,
  type MachineConfig,
  qemuHestAddrMachine,
  qemuLegacyMachine,
  RecordingPlatform,
  readU64,
  rebootFirmware,
  SparseGuestMemory,
  soakRecord,
  writeU64,
} from './index.js';

const RAM = 0x4000_0000n;
const le64 = (v: bigint) => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, v, true);
  return b;
};

function boot(machine: MachineConfig) {
  const memory = SparseGuestMemory.virt();
  const platform = new RecordingPlatform();
  return { ...bootMachine({ machine, memory, platform }), memory, platform };
}

test('a HEST and blob copied elsewhere with their slots fixed cannot take over the link (hest-addr)', () => {
  const t = boot(qemuHestAddrMachine('queue'));
  const layout = t.engine.layout;
  const copyBlob = RAM + 0x20_0000n;
  const copyHest = RAM + 0x30_0000n;
  // The guest's copy: a HEST rebased onto the copied blob, and the copy's slots fixed up.
  t.memory.write(copyHest, buildHest(layout.sources, layout.blob, copyBlob, 'compute'));
  t.memory.write(copyBlob, t.memory.read(t.blobGpa, layout.blob.size));
  for (const o of layout.blob.sources)
    writeU64(t.memory, copyBlob + BigInt(o.slot), copyBlob + BigInt(o.block));
  const reports = t.platform.reports.length;
  t.engine.onWritePointer('etc/acpi_table_hest_addr', 0, le64(copyHest));
  assert.equal(t.engine.linkState?.base, t.blobGpa, 'still linked to the region laid out');
  assert.equal(t.engine.linkState?.hest, t.hestGpa);
  const r = t.platform.reports.slice(reports);
  assert.equal(r.length, 1, 'the attempt is reported');
  assert.equal(r[0]!.code, 'relink-refused');
  assert.equal(r[0]!.gpa, copyHest);
  assert.match(r[0]!.message, /0x40300000/);
  assert.match(r[0]!.message, new RegExp(`0x${t.hestGpa.toString(16)}`));
  // Records go to the original block, the copy stays as the guest wrote it.
  const before = t.memory.read(copyBlob, layout.blob.size);
  assert.equal(t.engine.record(1, soakRecord(1, 1)).status, 'posted');
  const block1 = t.blobGpa + BigInt(layout.blob.sources[1]!.block);
  assert.deepEqual(t.memory.read(block1, 32), soakRecord(1, 1));
  assert.deepEqual(t.memory.read(copyBlob, layout.blob.size), before);
});

test('legacy layout: a second etc/hardware_errors_addr value, or 0, is refused and reported; the same value is accepted', () => {
  const t = boot(qemuLegacyMachine('queue'));
  const copy = RAM + 0x20_0000n;
  const size = t.engine.layout.blob.size;
  t.memory.write(copy, t.memory.read(t.blobGpa, size));
  const o = t.engine.layout.blob.sources[0]!;
  writeU64(t.memory, copy + BigInt(o.slot), copy + BigInt(o.block));
  for (const value of [copy, 0n]) {
    const n = t.platform.reports.length;
    t.engine.onWritePointer('etc/hardware_errors_addr', 0, le64(value));
    assert.equal(t.engine.linkState?.base, t.blobGpa, `after ${value}`);
    assert.equal(t.platform.reports.slice(n).at(-1)?.code, 'relink-refused');
  }
  assert.equal(readU64(t.memory, copy + BigInt(o.slot)), copy + BigInt(o.block));
  const n = t.platform.reports.length;
  assert.equal(t.engine.onWritePointer('etc/hardware_errors_addr', 0, le64(t.blobGpa)), true);
  assert.equal(t.platform.reports.length, n, 'the same value again is no attempt to move');
});

test('after a system reset the firmware may place the tables anywhere again', () => {
  const t = boot(qemuHestAddrMachine('queue'));
  t.engine.reset();
  rebootFirmware(t.engine, t.memory, 0x7a00_0000n);
  assert.equal(t.engine.linked, true);
  assert.notEqual(t.engine.linkState?.base, t.blobGpa, 'linked at the new boot’s address');
  assert.equal(
    t.platform.reports.some((r) => r.code === 'relink-refused'),
    false,
  );
});
