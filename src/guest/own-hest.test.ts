// The harness's bridge to the engine, checked without a guest: the engine's own HEST booted
// into a pc-dimm, QEMU's tables adopted (golden: blobs captured from a running QEMU,
// shared/reference/qemu/captured/, README §3), and the block-ownership guard.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readShared } from '../../test/support/shared.js';
import { acpiTableChecksumValid, decodeHest } from '../codec/index.js';
import { EngineError, EngineErrorCode, PointerLayout, SparseGuestMemory } from '../engine/index.js';
import { GuestError } from './errors.js';
import { adoptedMachine, bootOwnHest, sourceRegisters, sourceState } from './own-hest.js';
import { memoryRecord } from './records.js';
import { fatalMachineConfig, MAIN_SOURCE, mainMachineConfig } from './scenarios.js';
import { DIMM_GPA, RAM_GPA } from './vm.js';

const CAPTURED = ['reference', 'qemu', 'captured'];
/** Where the captures' EDK2 put `etc/hardware_errors` (README §3). */
const CAPTURED_BLOB = 0x43da_0000n;

function dimm(): SparseGuestMemory {
  return new SparseGuestMemory([
    { name: 'pc-dimm0', gpa: BigInt(DIMM_GPA), size: 2n << 20n, hostAddress: 0n },
  ]);
}

function virtRam(): SparseGuestMemory {
  return new SparseGuestMemory([
    { name: 'mach-virt.ram', gpa: BigInt(RAM_GPA), size: 1n << 30n, hostAddress: 0n },
  ]);
}

/** The guest acks the way Linux does: block_status 0, then the Read Ack Write bits set. */
function _guestAck(mem: SparseGuestMemory, block: bigint, ack: bigint): void {
  mem.write(block, new Uint8Array(4));
  const v = new Uint8Array(8);
  v[0] = 1;
  mem.write(ack, v);
}

describe('bootOwnHest()', () => {
  it('links the engine and puts the blob at the start of the pc-dimm', () => {
    const m = bootOwnHest(mainMachineConfig(), dimm());
    assert.equal(m.engine.linked, true);
    assert.equal(m.blobGpa, BigInt(DIMM_GPA));
    assert.equal(m.engine.linkState?.base, BigInt(DIMM_GPA));
  });

  it('gives the guest a HEST with a valid checksum whose addresses point into the pc-dimm', () => {
    const m = bootOwnHest(mainMachineConfig(), dimm());
    assert.equal(acpiTableChecksumValid(m.hest), true);
    const hest = decodeHest(m.hest);
    assert.deepEqual(
      hest.sources.map((s) => s.sourceId),
      [0, 1, 2, 3],
    );
    hest.sources.forEach((s, i) => {
      assert.equal(s.type, 10);
      if (s.type !== 10) return;
      const regs = sourceRegisters(m.engine, s.sourceId);
      assert.equal(s.errorStatusAddress.address, BigInt(DIMM_GPA) + BigInt(8 * i));
      assert.equal(s.errorStatusAddress.address, regs.slot);
      assert.equal(s.readAckRegister.address, regs.ack);
    });
    // The slot the firmware patched points at the block.
    const regs = sourceRegisters(m.engine, MAIN_SOURCE.queue);
    const slot = m.memory.read(regs.slot, 8);
    assert.equal(new DataView(slot.buffer).getBigUint64(0, true), regs.block);
  });

  it('reports the SEI source the guest will refuse', () => {
    const m = bootOwnHest(mainMachineConfig(), dimm());
    assert.deepEqual(
      m.platform.reports.map((r) => [r.code, r.sourceId]),
      [['sei-source', MAIN_SOURCE.sei]],
    );
    assert.equal(bootOwnHest(fatalMachineConfig(), dimm()).platform.reports.length, 0);
  });

  it("throws the engine's loader-failed error when the pc-dimm cannot hold the tables", () => {
    const small = new SparseGuestMemory([
      { name: 'pc-dimm0', gpa: BigInt(DIMM_GPA), size: 0x1000n, hostAddress: 0n },
    ]);
    assert.throws(
      () => bootOwnHest(mainMachineConfig(), small),
      (e: unknown) => {
        assert.ok(e instanceof EngineError);
        assert.equal(e.code, EngineErrorCode.LoaderFailed);
        assert.match(e.message, /ALLOCATE/);
        return true;
      },
    );
  });
});

describe('adoptedMachine()', () => {
  it("links to QEMU 7.2's legacy tables (one SEA source, etc/hardware_errors_addr)", () => {
    const dir = [...CAPTURED, 'qemu-7.2.22-debian12', 'virt'];
    const mem = virtRam();
    const hestGpa = 0x43f0_0000n;
    mem.write(hestGpa, readShared(...dir, 'HEST.patched.bin'));
    mem.write(CAPTURED_BLOB, readShared(...dir, 'hardware_errors.after_linking.bin'));
    const m = adoptedMachine(mem, hestGpa);
    assert.equal(m.engine.layout.config.layout, PointerLayout.HardwareErrorsAddr);
    assert.equal(m.blobGpa, CAPTURED_BLOB);
    const regs = sourceRegisters(m.engine, 0);
    assert.deepEqual([regs.slot, regs.ack, regs.block], [0x43da_0000n, 0x43da_0008n, 0x43da_0010n]);
    const record = memoryRecord(1, 0x4123_4000n);
    assert.equal(m.engine.record(0, record).status, 'posted');
    assert.deepEqual(mem.read(regs.block, record.length), record);
    assert.equal(sourceState(m.engine, 0).ack, 0n);
    assert.deepEqual(
      m.platform.requests.map((r) => r.kind),
      ['inject-sea'],
    );
  });

  it("writes QEMU 10.2's QMP record exactly where and as QEMU did (hest-addr layout)", () => {
    const dir = [...CAPTURED, 'qemu-10.2.50-ece408818d', 'virt'];
    const mem = virtRam();
    const hestGpa = 0x4300_1844n; // report.json: the WRITE_POINTER value
    mem.write(hestGpa, readShared(...dir, 'HEST.patched.bin'));
    mem.write(CAPTURED_BLOB, readShared(...dir, 'hardware_errors.after_linking.bin'));
    const m = adoptedMachine(mem, hestGpa);
    assert.equal(m.engine.layout.config.layout, PointerLayout.HestAddr);
    assert.equal(m.engine.linkState?.hest, hestGpa);
    const payload = readShared(...dir, 'qmp_cper_payload.bin');
    assert.equal(m.engine.record(1, payload).status, 'posted');
    const after = readShared(...dir, 'hardware_errors.after_inject0.bin');
    assert.deepEqual(mem.read(CAPTURED_BLOB, after.length), after);
    assert.deepEqual(
      m.platform.requests.map((r) => r.kind),
      ['ged-event'],
    );
  });

  it("refuses a HEST whose read-ack register is not the engine's layout, with the engine's error as cause", () => {
    const dir = [...CAPTURED, 'qemu-7.2.22-debian12', 'virt'];
    const hest = readShared(...dir, 'HEST.patched.bin').slice();
    // Source 0's Read Ack Register address (GAS at 40 + 64, address at +4): 8 bytes further.
    hest[40 + 64 + 4] = (hest[40 + 64 + 4]! + 8) & 0xff;
    hest[9] = (hest[9]! - 8) & 0xff; // checksum still valid
    const mem = virtRam();
    mem.write(0x43f0_0000n, hest);
    assert.throws(
      () => adoptedMachine(mem, 0x43f0_0000n),
      (e: unknown) => {
        assert.ok(e instanceof GuestError);
        assert.equal(e.code, 'mismatch');
        assert.ok(e.cause instanceof EngineError);
        assert.equal(e.cause.code, EngineErrorCode.HostilePointer);
        assert.match(
          e.message,
          /not the engine's hardware-errors-addr layout .*\(byte 108 differs/,
        );
        return true;
      },
    );
  });
});
