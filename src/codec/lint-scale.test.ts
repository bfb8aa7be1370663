// lintInput() on CPER records with many sections (issue 14 item 4): a 65,535-section record took
// 115 s because every finding's block offset was mapped back to the record by scanning every
// section. The test bounds the time RATIO between 1,000 and 64,000 sections (64× the input):
// linear work gives about 64× (63–135× measured on the loaded 2-core machine), the quadratic
// scan thousands (16k sections took 330× the time of 1k); 300 leaves room for a noisy machine.
// It also checks that the mapped offsets still point into the right section.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { guidBytes } from './guid.js';
import { lintInput } from './lint.js';

const MEMORY_GUID = 'a5bc1114-6f64-4ede-b863-3e83ed7c83b1';
const BODY = 16; // shorter than a memory error section: one finding per section

/** A corrected CPER record (formats.md §5.1–5.2) with `n` 16-byte memory sections. */
function record(n: number): Uint8Array {
  const len = 128 + 72 * n + BODY * n;
  const b = new Uint8Array(len);
  const v = new DataView(b.buffer);
  b.set([0x43, 0x50, 0x45, 0x52]);
  v.setUint16(4, 0x0101, true);
  v.setUint32(6, 0xffffffff, true);
  v.setUint16(10, n, true);
  v.setUint32(12, 2, true);
  v.setUint32(20, len, true);
  for (let i = 0; i < n; i++) {
    const d = 128 + 72 * i;
    v.setUint32(d, 128 + 72 * n + BODY * i, true);
    v.setUint32(d + 4, BODY, true);
    v.setUint16(d + 8, 0x0300, true);
    b.set(guidBytes(MEMORY_GUID), d + 16);
    v.setUint32(d + 48, 2, true);
  }
  return b;
}

function timed(n: number): { ms: number; findings: ReturnType<typeof lintInput>['findings'] } {
  const bytes = record(n);
  const t0 = performance.now();
  const r = lintInput(bytes);
  return { ms: performance.now() - t0, findings: r.findings };
}

test('lintInput() on a 64,000-section record costs at most 300× a 1,000-section one (linear, not quadratic)', () => {
  timed(1000); // warm up
  const small = Math.min(timed(1000).ms, timed(1000).ms, timed(1000).ms);
  const first = timed(64_000);
  const big = { ...first, ms: Math.min(first.ms, timed(64_000).ms) };
  const ratio = big.ms / small;
  assert.ok(
    ratio < 300,
    `64k/1k time ratio ${ratio.toFixed(0)} (${big.ms.toFixed(0)} ms / ${small.toFixed(1)} ms)`,
  );
  // One too-small finding per section, each at an offset inside its own section's bytes.
  const tooSmall = big.findings.filter((f) => f.code === 'section.too-small');
  assert.equal(tooSmall.length, 64_000);
  const sections = 128 + 72 * 64_000;
  const last = tooSmall.at(-1)!;
  assert.ok(last.offset !== undefined);
  const inLastDescriptor = last.offset >= 128 + 72 * 63_999 && last.offset < sections;
  const inLastBody = last.offset >= sections + BODY * 63_999;
  assert.ok(inLastDescriptor || inLastBody, `last section's finding at ${last.offset}`);
});
