import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decodeGhesStatusBlock,
  HestNotificationType,
  MEMORY_SECTION_GUID,
} from '../codec/index.js';
import {
  BusyPolicy,
  bootMachine,
  EngineError,
  type MachineConfig,
  PointerLayout,
  RecordingPlatform,
  readU32,
  readU64,
  SigbusCode,
  SparseGuestMemory,
  writeU64,
} from './index.js';
import {
  kvmMceValues,
  QEMU_DEFAULT_MCG_CAP,
  type X86MceRequest,
  type X86Platform,
  X86Ras,
} from './x86-policy.js';

// Golden values: QEMU target/i386/kvm/kvm.c kvm_mce_inject (Intel) as the x86 spike sent them
// (shared/reference/x86-guest/README.md: 0xbd80000000000134 / 7 / 0x8c for AR,
// 0xbd000000000000c0 / 5 for AO) and QEMU's MCE_CAP_DEF|MCE_BANKS_DEF = 0x100010a.

const HVA = 0x7f00_0000_0000n;
const ram = () =>
  new SparseGuestMemory([{ name: 'pc.ram', gpa: 0n, size: 1n << 30n, hostAddress: HVA }]);

class X86RecordingPlatform extends RecordingPlatform implements X86Platform {
  readonly mces: X86MceRequest[] = [];
  injectMce(r: X86MceRequest): void {
    this.mces.push(r);
  }
}

function engineError(fn: () => unknown, code: string, match?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof EngineError, String(e));
    assert.equal(e.code, code);
    if (match) assert.match(e.message, match);
    return true;
  });
}

const ffConfig = (): MachineConfig => ({
  layout: PointerLayout.HestAddr,
  sources: [
    { id: 1, notification: HestNotificationType.Nmi, policy: BusyPolicy.Queue, backlogLimit: 8 },
    { id: 2, notification: HestNotificationType.Polled, pollIntervalMs: 100 },
  ],
});

function ffMachine() {
  const memory = ram();
  const platform = new X86RecordingPlatform();
  const booted = bootMachine({
    machine: ffConfig(),
    memory,
    platform,
    allocateFrom: 0x2000_0000n,
  });
  return { memory, platform, engine: booted.engine };
}

test('kvmMceValues() gives QEMU’s SRAR and SRAO values, with LMCES when LMCE is on', () => {
  assert.deepEqual(kvmMceValues(SigbusCode.ActionRequired, 0x29c3000n, false), {
    bank: 9,
    status: 0xbd80000000000134n,
    mcgStatus: 7n,
    addr: 0x29c3000n,
    misc: 0x8cn,
  });
  const ao = kvmMceValues(SigbusCode.ActionOptional, 0x29dd000n, false);
  assert.equal(ao.status, 0xbd000000000000c0n);
  assert.equal(ao.mcgStatus, 5n);
  assert.equal(kvmMceValues(SigbusCode.ActionRequired, 0n, true).mcgStatus, 0xfn);
});

test('X86Ras without firmware-first sources injects QEMU’s machine check for AR and AO, broadcast on Skylake', () => {
  const platform = new X86RecordingPlatform();
  const x86 = new X86Ras({ platform, memory: ram(), cpu: { mcgCap: QEMU_DEFAULT_MCG_CAP } });
  const out = x86.onSigbus({
    code: SigbusCode.ActionRequired,
    hostAddress: HVA + 0x29c3000n,
    addressLsb: 12,
  });
  assert.equal(out.action, 'machine-check');
  assert.deepEqual(platform.mces[0], {
    kind: 'inject-mce',
    vcpu: 0,
    bank: 9,
    status: 0xbd80000000000134n,
    mcgStatus: 7n,
    addr: 0x29c3000n,
    misc: 0x8cn,
    broadcast: true,
  });
  x86.onSigbus({
    code: SigbusCode.ActionOptional,
    hostAddress: HVA + 0x29dd123n,
    addressLsb: 12,
    vcpu: 1,
  });
  assert.equal(platform.mces[1]!.status, 0xbd000000000000c0n);
  assert.equal(platform.mces[1]!.addr, 0x29dd000n);
  assert.equal(platform.mces[1]!.vcpu, 1);
});

test('X86Ras with LMCE enabled sets LMCES and does not broadcast; LMCE without LMCE_P is refused', () => {
  const platform = new X86RecordingPlatform();
  const x86 = new X86Ras({
    platform,
    memory: ram(),
    cpu: { mcgCap: QEMU_DEFAULT_MCG_CAP | (1n << 27n), lmceEnabled: true },
  });
  x86.onSigbus({ code: SigbusCode.ActionRequired, hostAddress: HVA + 0x1000n, addressLsb: 12 });
  assert.equal(platform.mces[0]!.mcgStatus, 0xfn);
  assert.equal(platform.mces[0]!.broadcast, false);
  engineError(
    () =>
      new X86Ras({
        platform,
        memory: ram(),
        cpu: { mcgCap: QEMU_DEFAULT_MCG_CAP, lmceEnabled: true },
      }),
    'invalid-config',
    /no LMCE_P/,
  );
});

test('X86Ras checks MCG_CAP: without SER_P or with too few banks AR is fatal and AO ignored, as in QEMU', () => {
  for (const mcgCap of [0x10an /* 10 banks, no SER_P */, 0x1000108n /* 8 banks */]) {
    const platform = new X86RecordingPlatform();
    const x86 = new X86Ras({ platform, memory: ram(), cpu: { mcgCap } });
    assert.equal(x86.mceDeliverable(), false);
    const ar = x86.onSigbus({ code: SigbusCode.ActionRequired, hostAddress: HVA, addressLsb: 12 });
    assert.equal(ar.action, 'fatal');
    assert.equal(platform.requests[0]!.kind, 'fatal');
    const ao = x86.onSigbus({ code: SigbusCode.ActionOptional, hostAddress: HVA, addressLsb: 12 });
    assert.equal(ao.action, 'ignored');
    assert.equal(platform.mces.length, 0);
  }
  engineError(
    () => new X86Ras({ platform: new X86RecordingPlatform(), memory: ram(), ar: 'machine-check' }),
    'invalid-config',
  );
});

test('X86Ras firmware first: AR goes to the NMI source, AO to the polled one, through the engine’s record protocol', () => {
  const { memory, platform, engine } = ffMachine();
  const x86 = new X86Ras({ platform, engine, cpu: { mcgCap: QEMU_DEFAULT_MCG_CAP } });
  const ar = x86.onSigbus({
    code: SigbusCode.ActionRequired,
    hostAddress: HVA + 0x29ea000n,
    addressLsb: 12,
  });
  assert.equal(ar.action, 'recorded');
  assert.deepEqual(ar.route, {
    kind: 'firmware-first',
    sourceId: 1,
    notification: HestNotificationType.Nmi,
  });
  assert.ok(platform.requests.some((r) => r.kind === 'nmi' && r.sourceId === 1));
  assert.equal(platform.mces.length, 0);
  // The record in the NMI source's block: a memory error at the page.
  const link = engine.linkState!;
  const o = engine.layout.blob.sources[0]!;
  const block = memory.read(link.base + BigInt(o.block), o.blockLength);
  const decoded = decodeGhesStatusBlock(
    block.subarray(0, 20 + readU32(memory, link.base + BigInt(o.block) + 12n)),
  );
  assert.equal(decoded.entries[0]!.sectionType.toString(), MEMORY_SECTION_GUID.toString());
  const ao = x86.onSigbus({
    code: SigbusCode.ActionOptional,
    hostAddress: HVA + 0x29cb000n,
    addressLsb: 12,
  });
  assert.equal(ao.route?.kind, 'firmware-first');
  assert.equal(ao.route?.kind === 'firmware-first' ? ao.route.sourceId : -1, 2);
});

test('X86Ras firmware first keeps the engine’s queue: a second AR waits for the guest’s ack, then service() posts it', () => {
  const { memory, platform, engine } = ffMachine();
  const x86 = new X86Ras({ platform, engine, ar: 'firmware-first' });
  assert.equal(
    x86.onSigbus({ code: SigbusCode.ActionRequired, hostAddress: HVA + 0x1000n, addressLsb: 12 })
      .action,
    'recorded',
  );
  assert.equal(
    x86.onSigbus({ code: SigbusCode.ActionRequired, hostAddress: HVA + 0x2000n, addressLsb: 12 })
      .action,
    'queued',
  );
  assert.equal(engine.service(), 0, 'nothing posted before the ack');
  // The guest consumes: block_status 0 and the read-ack bit set.
  const link = engine.linkState!;
  const o = engine.layout.blob.sources[0]!;
  memory.write(link.base + BigInt(o.block), new Uint8Array(4));
  writeU64(memory, link.base + BigInt(o.ack), 1n);
  assert.equal(engine.service(), 1);
  assert.equal(readU64(memory, link.base + BigInt(o.block) + 20n + 72n + 16n), 0x2000n);
});

test('X86Ras refuses a non-memory si_code and a bad si_addr_lsb with typed errors; a VMM address is fatal for AR', () => {
  const platform = new X86RecordingPlatform();
  const x86 = new X86Ras({ platform, memory: ram(), cpu: { mcgCap: QEMU_DEFAULT_MCG_CAP } });
  engineError(() => x86.onSigbus({ code: 3, hostAddress: HVA, addressLsb: 12 }), 'invalid-state');
  engineError(() => x86.onSigbus({ code: 4, hostAddress: HVA, addressLsb: 64 }), 'invalid-state');
  assert.equal(x86.onSigbus({ code: 4, hostAddress: 0x1000n, addressLsb: 12 }).action, 'fatal');
  assert.equal(x86.onSigbus({ code: 5, hostAddress: 0x1000n, addressLsb: 12 }).action, 'ignored');
  engineError(
    () =>
      new X86Ras({
        platform,
        memory: ram(),
        ao: 'firmware-first',
        cpu: { mcgCap: QEMU_DEFAULT_MCG_CAP },
      }),
    'invalid-config',
    /firmware first needs/,
  );
});
