import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { readShared, sharedPath } from '../../test/support/shared.js';
import { decodeLinkerLoaderScript, encodeLinkerLoaderScript } from '../codec/index.js';
import { EngineError } from './errors.js';
import { bumpAllocator, runLinkerLoader } from './firmware.js';
import { SparseGuestMemory } from './guest-memory.js';
import {
  HARDWARE_ERRORS_ADDR_FILE,
  HEST_ADDR_FILE,
  qemuHestAddrMachine,
  qemuLegacyMachine,
} from './machine-config.js';
import { buildMachineLayout, ghesLoaderCommands, minimalFirmwareFiles } from './machine-layout.js';

// Golden bytes: fw_cfg files read from running QEMUs and the same files after the capture tool
// executed the linker/loader with etc/acpi/tables at 0x43000000, etc/hardware_errors at
// 0x43DA0000 and etc/acpi/rsdp at 0x43F00000 (../shared/reference/qemu/README.md §3).
const CASES = [
  {
    dir: 'qemu-10.2.50-ece408818d/virt',
    config: qemuHestAddrMachine(),
    hest: 6212,
    ghes: [12, 20],
  },
  {
    dir: 'qemu-10.2.50-ece408818d/virt-10.1',
    config: qemuLegacyMachine(),
    hest: 6212,
    ghes: [12, 17],
  },
  { dir: 'qemu-7.2.22-debian12/virt', config: qemuLegacyMachine(), hest: 6063, ghes: [12, 17] },
] as const;

const cap = (dir: string, file: string) =>
  readShared('reference', 'qemu', 'captured', ...dir.split('/'), file);

for (const c of CASES) {
  test(`buildMachineLayout() gives QEMU's unpatched HEST byte for byte (${c.dir})`, () => {
    const layout = buildMachineLayout(c.config);
    assert.deepEqual(layout.hest, cap(c.dir, 'HEST.unpatched.bin'));
    const tables = cap(c.dir, 'etc_acpi_tables.bin');
    assert.deepEqual(tables.subarray(c.hest, c.hest + layout.hest.length), layout.hest);
  });

  test(`buildMachineLayout() gives QEMU's etc/hardware_errors byte for byte (${c.dir})`, () => {
    assert.deepEqual(
      buildMachineLayout(c.config).hardwareErrors,
      cap(c.dir, 'etc_hardware_errors.bin'),
    );
  });

  test(`ghesLoaderCommands() gives QEMU's GHES loader commands byte for byte (${c.dir})`, () => {
    const script = cap(c.dir, 'etc_table-loader.bin');
    const ghes = ghesLoaderCommands(buildMachineLayout(c.config), c.hest);
    assert.deepEqual(encodeLinkerLoaderScript([ghes.allocate]), script.subarray(128, 256));
    assert.deepEqual(
      encodeLinkerLoaderScript(ghes.commands),
      script.subarray(c.ghes[0] * 128, c.ghes[1] * 128),
    );
  });

  test(`runLinkerLoader() turns QEMU's blobs into the linked captures (${c.dir})`, () => {
    const memory = SparseGuestMemory.virt();
    const files = new Map([
      ['etc/acpi/tables', cap(c.dir, 'etc_acpi_tables.bin')],
      ['etc/hardware_errors', cap(c.dir, 'etc_hardware_errors.bin')],
      ['etc/acpi/rsdp', cap(c.dir, 'etc_acpi_rsdp.bin')],
    ]);
    const alloc = bumpAllocator(0x4400_0000n, {
      'etc/acpi/tables': 0x4300_0000n,
      'etc/hardware_errors': 0x43da_0000n,
      'etc/acpi/rsdp': 0x43f0_0000n,
    });
    const run = runLinkerLoader(
      decodeLinkerLoaderScript(cap(c.dir, 'etc_table-loader.bin')),
      files,
      memory,
      alloc,
    );
    const hest = cap(c.dir, 'HEST.patched.bin');
    assert.deepEqual(memory.read(0x4300_0000n + BigInt(c.hest), hest.length), hest);
    const linked = cap(c.dir, 'hardware_errors.after_linking.bin');
    assert.deepEqual(memory.read(0x43da_0000n, linked.length), linked);
    const report = JSON.parse(
      readFileSync(
        sharedPath('reference', 'qemu', 'captured', ...c.dir.split('/'), 'report.json'),
        'utf8',
      ),
    );
    const wp = report.loader.find((l: { cmd: string }) => l.cmd === 'WRITE_POINTER');
    assert.equal(run.writePointers.length, 1);
    const w = run.writePointers[0]!;
    assert.equal(w.file, wp.dest);
    const value = new DataView(w.bytes.buffer).getBigUint64(0, true);
    assert.equal(
      value,
      BigInt(wp.written_value ?? (wp.dest === HEST_ADDR_FILE ? '0x43001844' : '0x43da0000')),
    );
  });
}

test('the legacy layout writes etc/hardware_errors_addr, the new one etc/acpi_table_hest_addr', () => {
  assert.equal(buildMachineLayout(qemuLegacyMachine()).writePointerFile, HARDWARE_ERRORS_ADDR_FILE);
  assert.equal(buildMachineLayout(qemuHestAddrMachine()).writePointerFile, HEST_ADDR_FILE);
});

test("QEMU limitations 2 and 4: a layout with more sources, other block lengths and notifications (GSIV, polled, GHES v1) keeps QEMU's rules", () => {
  // QEMU has fixed 1024-byte blocks and only SEA/GPIO sources, with Vector and Poll Interval 0.
  const layout = buildMachineLayout({
    layout: 'hest-addr',
    sources: [
      { id: 0, notification: 8, blockLength: 4096 },
      { id: 7, notification: 10, vector: 45, blockLength: 100 },
      { id: 9, notification: 0, pollIntervalMs: 100, version: 1 },
    ],
  });
  assert.equal(layout.hest.length, 40 + 92 + 92 + 64);
  const o = layout.blob.sources;
  assert.deepEqual(
    o.map((s) => [s.slot, s.ack, s.block]),
    [
      [0, 24, 48],
      [8, 32, 48 + 4096],
      [16, 40, 48 + 4096 + 104],
    ],
  );
  assert.equal(layout.blob.size, 48 + 4096 + 104 + 1024);
  const view = new DataView(layout.hest.buffer);
  assert.equal(view.getUint32(40 + 92 + 32 + 8, true), 45, 'GSIV vector in the notification');
  assert.equal(view.getUint32(40 + 92 * 2 + 32 + 4, true), 100, 'poll interval');
  assert.equal(view.getUint16(40 + 92 * 2, true), 9, 'type 9 GHES');
});

test('minimalFirmwareFiles() boots: the HEST checksum holds and the pointers reach the blocks', () => {
  const layout = buildMachineLayout(qemuHestAddrMachine());
  const fw = minimalFirmwareFiles(layout);
  const memory = SparseGuestMemory.virt();
  const run = runLinkerLoader(fw.script, fw.files, memory, bumpAllocator(0x7c00_0000n));
  const blob = run.placements.get('etc/hardware_errors')!.gpa;
  const hestGpa = run.placements.get('etc/acpi/tables')!.gpa;
  const hest = memory.read(hestGpa, layout.hest.length);
  assert.equal(hest.reduce((a, b) => a + b, 0) & 0xff, 0);
  const slot0 = new DataView(memory.read(blob, 8).buffer).getBigUint64(0, true);
  assert.equal(slot0, blob + 0x20n);
  assert.equal(run.writePointers[0]!.file, HEST_ADDR_FILE);
});

function loaderError(fn: () => unknown, text: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof EngineError);
    assert.equal(e.code, 'loader-failed');
    assert.match(e.message, text);
    return true;
  });
}

test('runLinkerLoader() refuses a pointer outside its file, an unknown file and a bad size', () => {
  const memory = SparseGuestMemory.virt();
  const files = new Map([['f', new Uint8Array(16)]]);
  const alloc = bumpAllocator(0x4000_0000n);
  const a = { command: 1 as const, file: 'f', align: 8, zone: 1, reserved: new Uint8Array(63) };
  const p = (offset: number, size: number, src = 'f') => ({
    command: 2 as const,
    destFile: 'f',
    srcFile: src,
    offset,
    size,
    reserved: new Uint8Array(7),
  });
  loaderError(() => runLinkerLoader([a, p(12, 8)], files, memory, alloc), /command 1 .*outside f/);
  loaderError(
    () => runLinkerLoader([a, p(0, 8, 'g')], files, memory, bumpAllocator(0x4000_0000n)),
    /g is not allocated/,
  );
  loaderError(
    () => runLinkerLoader([a, p(0, 3)], files, memory, bumpAllocator(0x4000_0000n)),
    /size 3/,
  );
  loaderError(() => runLinkerLoader([{ ...a, align: 3 }], files, memory, alloc), /power of 2/);
  loaderError(
    () => runLinkerLoader([{ ...a, file: 'nope' }], files, memory, alloc),
    /no fw_cfg file nope/,
  );
});
