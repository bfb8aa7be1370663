// adoptTables(): the engine configured from a HEST already in guest RAM and linked to its blob.
// Golden: tables captured from running QEMUs (shared/reference/qemu/captured/, README §3) — the
// engine's record must land exactly where and as QEMU's own did.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readShared } from '../../test/support/shared.js';
import { HestNotificationType } from '../codec/index.js';
import { adoptTables, machineConfigFromHest } from './adopt-tables.js';
import { bootMachine } from './boot.js';
import { EngineError, EngineErrorCode } from './errors.js';
import { SparseGuestMemory } from './guest-memory.js';
import { BusyPolicy, type MachineConfig, PointerLayout } from './machine-config.js';
import { RecordingPlatform } from './platform.js';

const CAPTURED = ['reference', 'qemu', 'captured'];
/** Where the captures' EDK2 put `etc/hardware_errors` (captured/README §3). */
const CAPTURED_BLOB = 0x43da_0000n;

function captured(version: string, machine: string, hestGpa: bigint): SparseGuestMemory {
  const dir = [...CAPTURED, version, machine];
  const mem = SparseGuestMemory.virt();
  mem.write(hestGpa, readShared(...dir, 'HEST.patched.bin'));
  mem.write(CAPTURED_BLOB, readShared(...dir, 'hardware_errors.after_linking.bin'));
  return mem;
}

describe('machineConfigFromHest()', () => {
  it("reads QEMU 10.2's two sources: SEA 0 and GPIO 1, 1024-byte blocks, hest-addr layout", () => {
    const hest = readShared(...CAPTURED, 'qemu-10.2.50-ece408818d', 'virt', 'HEST.patched.bin');
    const c = machineConfigFromHest(hest);
    assert.equal(c.layout, PointerLayout.HestAddr);
    assert.deepEqual(
      c.sources.map((s) => [s.id, s.notification, s.blockLength, s.version, s.policy]),
      [
        [0, HestNotificationType.ArmSea, 1024, 2, 'queue'],
        [1, HestNotificationType.GpioSignal, 1024, 2, 'queue'],
      ],
    );
  });

  it("takes QEMU 7.2's single SEA source as the hardware-errors-addr layout", () => {
    const hest = readShared(...CAPTURED, 'qemu-7.2.22-debian12', 'virt', 'HEST.patched.bin');
    assert.equal(machineConfigFromHest(hest).layout, PointerLayout.HardwareErrorsAddr);
  });

  it('throws invalid-config for a HEST that does not decode', () => {
    assert.throws(
      () => machineConfigFromHest(new Uint8Array(12)),
      (e: unknown) =>
        e instanceof EngineError &&
        e.code === EngineErrorCode.InvalidConfig &&
        /Cannot adopt the HEST/.test(e.message),
    );
  });
});

describe('adoptTables()', () => {
  it("links to QEMU 10.2's tables and writes the QMP record byte for byte as QEMU did", () => {
    const dir = [...CAPTURED, 'qemu-10.2.50-ece408818d', 'virt'];
    const hestGpa = 0x4300_1844n; // report.json: the WRITE_POINTER value
    const mem = captured('qemu-10.2.50-ece408818d', 'virt', hestGpa);
    const platform = new RecordingPlatform();
    const a = adoptTables({ memory: mem, platform, hestGpa });
    assert.equal(a.blobGpa, CAPTURED_BLOB);
    assert.equal(a.engine.linkState?.hest, hestGpa);
    assert.equal(a.engine.record(1, readShared(...dir, 'qmp_cper_payload.bin')).status, 'posted');
    const after = readShared(...dir, 'hardware_errors.after_inject0.bin');
    assert.deepEqual(mem.read(CAPTURED_BLOB, after.length), after);
    assert.deepEqual(platform.requests, [{ kind: 'ged-event', event: 0x20, sourceId: 1 }]);
  });

  it("links to QEMU 7.2's legacy blob through etc/hardware_errors_addr", () => {
    const hestGpa = 0x43f0_0000n;
    const mem = captured('qemu-7.2.22-debian12', 'virt', hestGpa);
    const a = adoptTables({ memory: mem, platform: new RecordingPlatform(), hestGpa });
    assert.equal(a.config.layout, PointerLayout.HardwareErrorsAddr);
    assert.equal(a.engine.linkState?.base, CAPTURED_BLOB);
    assert.equal(a.engine.linkState?.hest, undefined);
  });

  it('adopts a HEST the engine laid out in another process (own polled layout)', () => {
    const config: MachineConfig = {
      layout: PointerLayout.HestAddr,
      sources: [
        { id: 0, notification: HestNotificationType.Polled, pollIntervalMs: 100 },
        { id: 5, notification: HestNotificationType.ArmSea, blockLength: 300 },
      ],
    };
    const mem = SparseGuestMemory.virt();
    const booted = bootMachine({ machine: config, memory: mem, platform: new RecordingPlatform() });
    const a = adoptTables({
      memory: mem,
      platform: new RecordingPlatform(),
      hestGpa: booted.hestGpa,
      policy: BusyPolicy.Reject,
    });
    assert.equal(a.blobGpa, booted.blobGpa);
    assert.deepEqual(
      a.engine.layout.sources.map((s) => [s.id, s.pollIntervalMs, s.blockLength, s.policy]),
      [
        [0, 100, 1024, 'reject'],
        [5, 0, 300, 'reject'],
      ],
    );
  });

  it('throws hostile-pointer when the address holds no HEST', () => {
    const mem = SparseGuestMemory.virt();
    assert.throws(
      () => adoptTables({ memory: mem, platform: new RecordingPlatform(), hestGpa: 0x5000_0000n }),
      (e: unknown) => {
        assert.ok(e instanceof EngineError);
        assert.equal(e.code, EngineErrorCode.HostilePointer);
        assert.equal(e.gpa, 0x5000_0000n);
        assert.match(e.message, /signature "\\u0000/);
        return true;
      },
    );
  });

  it('throws hostile-pointer for a legacy HEST that is not the engine layout for its blob', () => {
    const hestGpa = 0x43f0_0000n;
    const mem = captured('qemu-7.2.22-debian12', 'virt', hestGpa);
    const hest = mem.read(hestGpa, 132);
    hest[40 + 4] = 0x01; // source 0: Related Source Id 0xffff → 0xff01 (the engine writes 0xffff)
    mem.write(hestGpa, hest);
    assert.throws(
      () => adoptTables({ memory: mem, platform: new RecordingPlatform(), hestGpa }),
      (e: unknown) => {
        assert.ok(e instanceof EngineError);
        assert.equal(e.code, EngineErrorCode.HostilePointer);
        assert.match(
          e.message,
          /not the engine's hardware-errors-addr layout for etc\/hardware_errors at 0x43da0000 \(byte 44 differs/,
        );
        return true;
      },
    );
  });

  it("throws hostile-pointer when a hest-addr HEST's ack register points outside its blob", () => {
    const hestGpa = 0x4300_1844n;
    const mem = captured('qemu-10.2.50-ece408818d', 'virt', hestGpa);
    const ackField = hestGpa + 40n + 92n + 68n; // source 1's Read Ack Register address
    const v = new Uint8Array(8);
    new DataView(v.buffer).setBigUint64(0, 0x4000_0000n, true);
    mem.write(ackField, v);
    const platform = new RecordingPlatform();
    assert.throws(
      () => adoptTables({ memory: mem, platform, hestGpa }),
      (e: unknown) => {
        assert.ok(e instanceof EngineError);
        assert.equal(e.code, EngineErrorCode.HostilePointer);
        assert.match(e.message, /source 1 read ack address/);
        return true;
      },
    );
    assert.equal(platform.reports[0]?.code, 'link-refused');
  });
});
