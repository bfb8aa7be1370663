// QmpEngineBridge without a guest: the engine adopts QEMU 10.2's captured tables and drives a
// model of QEMU's `inject-ghes-v2-error` (qemu-vmm.md §8: ack 0 → refused; else ack ← 0, record
// written through the slot, GED event). Golden: shared/reference/qemu/captured/ (blobs read
// from a running QEMU 10.2 before and after it injected qmp_cper_payload.bin).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  EngineError,
  EngineErrorCode,
  type RamRegion,
  readU64,
  SparseGuestMemory,
  writeU64,
} from '../src/engine/index.js';
import { type GuestPort, parseXpU64s, QmpEngineBridge } from '../src/inject/engine-bridge.js';
import { InjectError } from '../src/inject/errors.js';
import { bytesFromBase64 } from '../src/inject/validate.js';
import { readShared } from './support/shared.js';

const DIR = ['reference', 'qemu', 'captured', 'qemu-10.2.50-ece408818d', 'virt'];
const HEST = 0x4300_1844n; // report.json: the WRITE_POINTER value
const BLOB = 0x43da_0000n; // captured/README §3
const ACK1 = BLOB + 0x18n;
const SLOT1 = BLOB + 0x08n;
const HVA = 0x7f00_0000_0000n;

/** QEMU ≥ 10.2 as §8 describes it, on guest RAM holding the captured tables. */
class ModelQemu implements GuestPort {
  readonly mem = SparseGuestMemory.virt();
  readonly injected: Uint8Array[] = [];
  gedEvents = 0;
  constructor() {
    this.mem.write(HEST, readShared(...DIR, 'HEST.patched.bin'));
    this.mem.write(BLOB, readShared(...DIR, 'hardware_errors.after_linking.bin'));
  }
  async ramRegions(): Promise<RamRegion[]> {
    return this.mem.regions.map((r) => ({ ...r }));
  }
  async read(gpa: bigint, length: number): Promise<Uint8Array> {
    return this.mem.read(gpa, length);
  }
  async readU64s(gpa: bigint, count: number): Promise<bigint[]> {
    return Array.from({ length: count }, (_, i) => readU64(this.mem, gpa + 8n * BigInt(i)));
  }
  async inject(base64: string): Promise<void> {
    const cper = bytesFromBase64(base64);
    if (cper.length > 1024) throw new InjectError('refused', 'GHES CPER record is too big');
    const count = Number(readU64(this.mem, HEST + 36n) & 0xffff_ffffn);
    for (let i = 0; i < count; i++) {
      const entry = HEST + 40n + 92n * BigInt(i);
      if (Number(readU64(this.mem, entry) >> 16n) % 0x10000 !== 1) continue;
      const slot = readU64(this.mem, entry + 24n);
      const ack = readU64(this.mem, entry + 68n);
      if (readU64(this.mem, ack) === 0n)
        throw new InjectError(
          'refused',
          'QEMU refused the record: OSPM does not acknowledge previous error, so can not record CPER for current error anymore',
        );
      writeU64(this.mem, ack, 0n);
      this.mem.write(readU64(this.mem, slot), cper);
      this.injected.push(cper);
      this.gedEvents++;
      return;
    }
    throw new InjectError('refused', 'HEST: Source 1 not found.');
  }
  /** Linux's ghes_clear_estatus + ghes_ack_error on source 1. */
  guestAcks(): void {
    this.mem.write(BLOB + 0x420n, new Uint8Array(4));
    writeU64(this.mem, ACK1, (readU64(this.mem, ACK1) & ~1n) | 1n);
  }
}

const pageHva = (gpa: bigint) => HVA + (gpa - 0x4000_0000n);

describe('QmpEngineBridge on a model of QEMU 10.2', () => {
  it('adopts the captured tables: source 1 is GPIO, RAM mapped at the host address given', async () => {
    const qemu = new ModelQemu();
    const b = await QmpEngineBridge.attach(qemu, HEST);
    assert.equal(b.engine.linkState?.hest, HEST);
    assert.equal(b.engine.hostAddressOf(0x4000_1000n), HVA + 0x1000n);
    assert.equal(b.acked(), true);
  });

  it("sends the engine's record through inject-ghes-v2-error and the guest blob ends as QEMU 10.2's did", async () => {
    const qemu = new ModelQemu();
    const b = await QmpEngineBridge.attach(qemu, HEST);
    const payload = readShared(...DIR, 'qmp_cper_payload.bin');
    assert.deepEqual(await b.record(payload), { status: 'posted', sourceId: 1 });
    assert.deepEqual(qemu.injected, [payload]);
    const after = readShared(...DIR, 'hardware_errors.after_inject0.bin');
    assert.deepEqual(qemu.mem.read(BLOB, after.length), after);
    assert.equal(b.delivered.length, 1);
  });

  it('an AO SIGBUS becomes one recoverable memory record for the guest page on source 1', async () => {
    const qemu = new ModelQemu();
    const b = await QmpEngineBridge.attach(qemu, HEST);
    const out = await b.onSigbus({ code: 5, hostAddress: pageHva(0x7c3c_6123n), addressLsb: 12 });
    assert.deepEqual(out, { action: 'recorded', gpa: 0x7c3c_6000n, sourceId: 1 });
    assert.equal(qemu.gedEvents, 1);
    const rec = qemu.injected[0]!;
    const view = new DataView(rec.buffer, rec.byteOffset);
    assert.equal(view.getUint32(16, true), 0, 'error severity recoverable (0)');
    assert.equal(view.getBigUint64(20 + 72 + 16, true), 0x7c3c_6000n, 'section physical address');
  });

  it('a second AO before the ack waits in the backlog and is sent, in order, after the ack', async () => {
    const qemu = new ModelQemu();
    const b = await QmpEngineBridge.attach(qemu, HEST);
    const a = await b.onSigbus({ code: 5, hostAddress: pageHva(0x5000_0000n), addressLsb: 12 });
    const c = await b.onSigbus({ code: 5, hostAddress: pageHva(0x5000_1000n), addressLsb: 12 });
    assert.equal(a.action, 'recorded');
    assert.equal(c.action, 'queued');
    assert.equal(qemu.injected.length, 1, 'nothing sent while the guest has not acked');
    assert.equal(await b.service(), 0);
    assert.equal(qemu.injected.length, 1);
    qemu.guestAcks();
    await b.settle(100).catch(() => undefined); // sends the second; its ack is still missing
    assert.equal(qemu.injected.length, 2);
    const pa = (r: Uint8Array) =>
      new DataView(r.buffer, r.byteOffset).getBigUint64(20 + 72 + 16, true);
    assert.deepEqual(qemu.injected.map(pa), [0x5000_0000n, 0x5000_1000n]);
    qemu.guestAcks();
    await b.settle(100);
    assert.equal(b.engine.backlogSize, 0);
  });

  it('settle() ends in no-ack when the guest never acknowledges', async () => {
    const qemu = new ModelQemu();
    const b = await QmpEngineBridge.attach(qemu, HEST);
    await b.onSigbus({ code: 5, hostAddress: pageHva(0x5000_0000n), addressLsb: 12 });
    await b.onSigbus({ code: 5, hostAddress: pageHva(0x5000_1000n), addressLsb: 12 });
    await assert.rejects(b.settle(20), (e: unknown) => {
      assert.ok(e instanceof InjectError);
      assert.equal(e.code, 'no-ack');
      assert.match(e.message, /1 records still queued/);
      return true;
    });
  });

  it('refuses to inject when the guest moved the error status address (QEMU would follow it)', async () => {
    const qemu = new ModelQemu();
    const b = await QmpEngineBridge.attach(qemu, HEST);
    writeU64(qemu.mem, SLOT1, 0x4000_0000n);
    await assert.rejects(
      b.onSigbus({ code: 5, hostAddress: pageHva(0x5000_0000n), addressLsb: 12 }),
      (e: unknown) => {
        assert.ok(e instanceof InjectError);
        assert.equal(e.code, 'refused');
        assert.match(
          e.message,
          /Not injecting: Source 1: the error status address register held 0x40000000/,
        );
        return true;
      },
    );
    assert.equal(qemu.injected.length, 0);
  });

  it('refuses an action-required SIGBUS before the engine sees it (QMP cannot inject an SEA)', async () => {
    const qemu = new ModelQemu();
    const b = await QmpEngineBridge.attach(qemu, HEST);
    await assert.rejects(
      b.onSigbus({ code: 4, hostAddress: pageHva(0x5000_0000n), addressLsb: 12 }),
      (e: unknown) => e instanceof InjectError && e.code === 'refused' && /SEA/.test(e.message),
    );
    assert.equal(b.engine.stats().poisonedPages, 0);
    assert.equal(qemu.injected.length, 0);
  });

  it('never sends a record with block_status 0: the engine refuses it (invalid-record)', async () => {
    const qemu = new ModelQemu();
    const b = await QmpEngineBridge.attach(qemu, HEST);
    const zero = readShared(...DIR, 'qmp_cper_payload.bin').slice();
    zero.fill(0, 0, 4);
    await assert.rejects(
      b.record(zero),
      (e: unknown) => e instanceof EngineError && e.code === EngineErrorCode.InvalidRecord,
    );
    assert.equal(qemu.injected.length, 0);
  });

  it('refuses records for another source than the QMP source', async () => {
    const b = await QmpEngineBridge.attach(new ModelQemu(), HEST);
    await assert.rejects(
      b.record(readShared(...DIR, 'qmp_cper_payload.bin'), {}, 0),
      (e: unknown) =>
        e instanceof InjectError && e.code === 'refused' && /source 0/.test(e.message),
    );
  });
});

describe('parseXpU64s()', () => {
  it("reads HMP xp /4gx output (QEMU 11.1's format, two values a line)", () => {
    const out =
      '000000007c410000: 0x000000007c410020 0x000000007c410420\r\n000000007c410010: 0x0000000000000001 0x0000000000000000\r\n';
    assert.deepEqual(parseXpU64s(out, 4), [0x7c41_0020n, 0x7c41_0420n, 1n, 0n]);
  });

  it('throws a memory error when xp printed fewer values than asked', () => {
    assert.throws(
      () => parseXpU64s('Cannot access memory\r\n', 4),
      (e: unknown) => e instanceof InjectError && e.code === 'memory' && /xp said/.test(e.message),
    );
  });
});
