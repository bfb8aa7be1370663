import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { EngineError } from './errors.js';
import {
  guestToHost,
  hostToGuest,
  type RamRegion,
  readU64,
  SparseGuestMemory,
  writeU64,
} from './guest-memory.js';

const LOW: RamRegion = {
  name: 'low',
  gpa: 0x4000_0000n,
  size: 0x10_0000n,
  hostAddress: 0x7f00_0000_0000n,
};
const HIGH: RamRegion = {
  name: 'high',
  gpa: 0x1_0000_0000n,
  size: 0x2000n,
  hostAddress: 0x7f10_0000_0000n,
};

function outOfRam(fn: () => unknown, gpa: bigint): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof EngineError, String(e));
    assert.equal(e.code, 'out-of-ram');
    assert.equal(e.gpa, gpa);
    assert.ok(e.message.includes(`0x${gpa.toString(16)}`), e.message);
    return true;
  });
}

test('SparseGuestMemory reads untouched RAM as zeros and allocates only the pages written', () => {
  const mem = new SparseGuestMemory([LOW, HIGH]);
  assert.deepEqual(mem.read(0x4000_1000n, 16), new Uint8Array(16));
  assert.equal(readU64(mem, 0x4000_1000n), 0n);
  assert.equal(mem.touchedPages, 0);
  mem.write(0x4000_0ffcn, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8));
  assert.equal(mem.touchedPages, 2, 'a write across a page boundary touches both pages');
  assert.deepEqual(mem.read(0x4000_0ffcn, 8), Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8));
});

test('SparseGuestMemory keeps what is written at any address and length, and its u64 fast path agrees', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 0x10_0000 - 300 }),
      fc.uint8Array({ minLength: 0, maxLength: 300 }),
      fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
      (off, bytes, value) => {
        const mem = new SparseGuestMemory([LOW]);
        const gpa = LOW.gpa + BigInt(off);
        mem.write(gpa, bytes);
        assert.deepEqual(mem.read(gpa, bytes.length), bytes);
        writeU64(mem, gpa, value);
        assert.equal(readU64(mem, gpa), value);
        const b = mem.read(gpa, 8);
        assert.equal(new DataView(b.buffer).getBigUint64(0, true), value);
      },
    ),
    { numRuns: 200 },
  );
});

test('SparseGuestMemory refuses reads and writes outside RAM, across a region end or between regions (out-of-ram)', () => {
  const mem = new SparseGuestMemory([LOW, HIGH]);
  outOfRam(() => mem.read(0x3fff_fff8n, 8), 0x3fff_fff8n);
  outOfRam(() => mem.read(0x400f_fffcn, 8), 0x400f_fffcn);
  outOfRam(() => mem.write(0x400f_fffcn, new Uint8Array(8)), 0x400f_fffcn);
  outOfRam(() => mem.readU64(0x1_0000_1ffcn), 0x1_0000_1ffcn);
  outOfRam(() => mem.write(0x8000_0000n, new Uint8Array(1)), 0x8000_0000n);
  outOfRam(() => mem.read(0x4000_0000n, -1), 0x4000_0000n);
  outOfRam(() => mem.read(0x4000_0000n, 1.5), 0x4000_0000n);
  assert.equal(mem.touchedPages, 0, 'a refused write changes nothing');
});

test('SparseGuestMemory refuses overlapping or empty regions (invalid-config)', () => {
  assert.throws(
    () => new SparseGuestMemory([LOW, { ...HIGH, gpa: LOW.gpa + 0x1000n }]),
    (e: unknown) =>
      e instanceof EngineError && e.code === 'invalid-config' && e.gpa === LOW.gpa + 0x1000n,
  );
  assert.throws(
    () => new SparseGuestMemory([{ ...LOW, size: 0n }]),
    (e: unknown) => e instanceof EngineError && e.code === 'invalid-config',
  );
});

test('hostToGuest() and guestToHost() translate through the memory map and say undefined outside RAM', () => {
  const regions = [LOW, HIGH];
  assert.equal(hostToGuest(regions, 0x7f10_0000_1234n), 0x1_0000_1234n);
  assert.equal(guestToHost(regions, 0x1_0000_1234n), 0x7f10_0000_1234n);
  assert.equal(hostToGuest(regions, 0x7f00_0010_0000n), undefined, 'one past the low region');
  assert.equal(guestToHost(regions, 0x4010_0000n), undefined);
  assert.equal(hostToGuest(regions, 0x1000n), undefined, "the VMM's own memory");
});

test('SparseGuestMemory.clone() is an independent copy (what a migration carries)', () => {
  const mem = new SparseGuestMemory([LOW]);
  mem.write(LOW.gpa, Uint8Array.of(1));
  const copy = mem.clone();
  mem.write(LOW.gpa, Uint8Array.of(2));
  assert.deepEqual(copy.read(LOW.gpa, 1), Uint8Array.of(1));
  assert.deepEqual(copy.regions, mem.regions);
});

test('SparseGuestMemory keeps what is written in a region above 2^53 (bigint page path) and refuses its ends', () => {
  const far: RamRegion = {
    name: 'far',
    gpa: 1n << 60n,
    size: 0x2000n,
    hostAddress: 0x7f20_0000_0000n,
  };
  const mem = new SparseGuestMemory([LOW, far]);
  mem.write(far.gpa + 0xffcn, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8));
  assert.deepEqual(mem.read(far.gpa + 0xffcn, 8), Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8));
  assert.equal(readU64(mem, far.gpa + 0xffcn), 0x0807_0605_0403_0201n);
  writeU64(mem, LOW.gpa, 0x1122n);
  assert.equal(readU64(mem, LOW.gpa), 0x1122n, 'the low region still works beside it');
  assert.equal(mem.touchedPages, 3);
  outOfRam(() => mem.read(far.gpa + far.size - 4n, 8), far.gpa + far.size - 4n);
  outOfRam(() => mem.write(far.gpa - 1n, Uint8Array.of(0)), far.gpa - 1n);
});
