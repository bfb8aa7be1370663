import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { EngineError } from '../errors.js';
import { FileGuestMemory } from './file-memory.js';

test("FileGuestMemory reads and writes guest RAM at the region's file offset", () => {
  const dir = mkdtempSync(join(tmpdir(), 'vras-mem-'));
  try {
    const path = join(dir, 'ram');
    writeFileSync(path, new Uint8Array(0x3000));
    const mem = new FileGuestMemory(path, [
      { name: 'ram', gpa: 0x4000_0000n, size: 0x2000n, hostAddress: 0n, fileOffset: 0x1000n },
    ]);
    mem.write(0x4000_0ffen, Uint8Array.of(1, 2, 3, 4));
    assert.deepEqual(mem.read(0x4000_0ffen, 4), Uint8Array.of(1, 2, 3, 4));
    assert.deepEqual([...readFileSync(path).subarray(0x1ffe, 0x2002)], [1, 2, 3, 4]);
    assert.throws(
      () => mem.read(0x4000_1ffen, 4),
      (e: unknown) => e instanceof EngineError && e.code === 'out-of-ram',
    );
    mem.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
