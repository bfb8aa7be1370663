import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { readShared, repoRoot } from '../../test/support/shared.js';
import {
  detectInput,
  detectStructure,
  recordExtent,
  resolveSectionHint,
  statusBlockPlausibility,
} from './detect.js';
import { hexToBytes } from './hex.js';
import './sections/index.js';
import { registerSection } from './section.js';

// A section codec of our own, so the test needs no particular section module.
registerSection({
  kind: 'detect-test',
  guid: '0d0d0d0d-1111-2222-3333-444444444444',
  linuxName: undefined,
  minLength: 0,
  decode: (r) => r.rest('body'),
  encode: (w, v: Uint8Array) => w.bytes(v, 'body'),
});

const CAPTURED = 'reference/qemu/captured/qemu-10.2.50-ece408818d/virt';

test('detectStructure() recognises QEMU’s HEST by its signature', () => {
  // reference/qemu/tests/data/acpi/aarch64/virt/HEST: QEMU's own 224-byte expectation.
  const d = detectStructure(readShared('reference/qemu/tests/data/acpi/aarch64/virt/HEST'));
  assert.equal(d.kind, 'hest');
  assert.deepEqual(d.reasons, [
    "signature 'HEST' at offset 0",
    'table length 224 matches the input',
  ]);
});

test('detectStructure() recognises QEMU’s 172-byte memory record as a status block', () => {
  const d = detectStructure(readShared(CAPTURED, 'qmp_cper_payload.bin'));
  assert.equal(d.kind, 'ghes-status-block');
  assert.match(d.reasons.at(-1)!, /record length 172 of 172 bytes/);
});

test('detectStructure() accepts a status block followed by the rest of its zeroed region', () => {
  // hardware_errors.after_inject0.bin: the QMP source's block starts at +0x420 (1024 bytes).
  const blob = readShared(CAPTURED, 'hardware_errors.after_inject0.bin');
  assert.equal(detectStructure(blob.subarray(0x420, 0x820)).kind, 'ghes-status-block');
});

test('detectStructure() recognises a CPER record by CPER and 0xffffffff at offset 6', () => {
  const rec = new Uint8Array(128);
  rec.set([0x43, 0x50, 0x45, 0x52, 0x00, 0x01, 0xff, 0xff, 0xff, 0xff]);
  assert.equal(detectStructure(rec).kind, 'cper-record');
  rec[9] = 0;
  const d = detectStructure(rec);
  assert.notEqual(d.kind, 'cper-record');
  assert.match(d.reasons[0]!, /0x00ffffff \(not 0xffffffff\) at offset 6/);
});

test('detectStructure() needs a hint for a bare section, by kind or by GUID', () => {
  const body = new Uint8Array(80).fill(0xee);
  assert.equal(detectStructure(body).kind, 'unknown');
  const byKind = detectStructure(body, { section: 'detect-test' });
  assert.equal(byKind.kind, 'section');
  assert.equal(byKind.sectionGuid, '0d0d0d0d-1111-2222-3333-444444444444');
  assert.equal(byKind.sectionKind, 'detect-test');
  const byGuid = detectStructure(body, { section: '0D0D0D0D-1111-2222-3333-444444444444' });
  assert.equal(byGuid.sectionKind, 'detect-test');
  const bad = detectStructure(body, { section: 'nonsense' });
  assert.equal(bad.kind, 'unknown');
  assert.match(bad.reasons.at(-1)!, /neither a known section kind nor a GUID/);
});

test('resolveSectionHint() keeps an unregistered GUID without a kind', () => {
  assert.deepEqual(resolveSectionHint('{12345678-1234-1234-1234-123456789ABC}'), {
    guid: '12345678-1234-1234-1234-123456789abc',
  });
});

test('statusBlockPlausibility() says which length disagrees', () => {
  const b = new Uint8Array(40);
  new DataView(b.buffer).setUint32(12, 30, true);
  assert.deepEqual(statusBlockPlausibility(b), {
    ok: false,
    reason: 'data_length 30 is less than one entry header',
  });
  assert.equal(statusBlockPlausibility(new Uint8Array(5)).ok, false);
});

test('detectStructure() never throws, whatever the bytes and hint', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.option(fc.string()), (bytes, hint) => {
      const d = detectStructure(bytes, hint === null ? {} : { section: hint });
      assert.ok(d.reasons.length > 0);
    }),
    { numRuns: 300 },
  );
});

/** The two records of the real 6.1 guest's malformed.txt: Linux rejected both. */
function malformedRecords(): Uint8Array[] {
  const text = readFileSync(join(repoRoot, 'test/fixtures/real-guest/6.1/malformed.txt'), 'utf8');
  return [...text.matchAll(/^# record source=\d+ ([0-9a-f]+)$/gm)].map((m) => hexToBytes(m[1]!));
}

test('detectStructure() still calls a status block the kernel rejected a status block', () => {
  // 6.1.192 printed 'Failed to read error status block!' and 'Invalid error status block length!'.
  const [walk, length] = malformedRecords() as [Uint8Array, Uint8Array];
  assert.equal(detectStructure(walk).kind, 'ghes-status-block');
  const d = detectStructure(length);
  assert.equal(d.kind, 'ghes-status-block');
  assert.match(d.reasons.at(-1)!, /lengths the kernel would reject/);
  // Not any bytes: a header with reserved block_status bits stays unknown.
  const bad = length.slice();
  bad[3] = 0x80;
  assert.equal(detectStructure(bad).kind, 'unknown');
});

test('detectInput() recognises a section with its descriptor, even with a section hint', () => {
  // UEFI 2.10 Table N-5 descriptor: length at 4, type at 16, severity at 48; body after 72.
  const blob = new Uint8Array(72 + 80);
  const v = new DataView(blob.buffer);
  v.setUint32(0, 72, true);
  v.setUint32(4, 80, true);
  blob.set(hexToBytes('1411bca5646fde4eb8633e83ed7c83b1'), 16); // Platform Memory, LE fields
  v.setUint32(48, 0, true);
  const d = detectInput(blob);
  assert.equal(d.kind, 'section-with-descriptor');
  assert.equal(d.sectionGuid, 'a5bc1114-6f64-4ede-b863-3e83ed7c83b1');
  assert.equal(detectInput(blob, { section: 'arm' }).kind, 'section-with-descriptor');
  assert.deepEqual(recordExtent(blob.subarray(0, 72)), {
    kind: 'length',
    length: 152,
    what: 'section descriptor length',
  });
  v.setUint32(48, 9, true); // not a CPER severity
  assert.notEqual(detectInput(blob).kind, 'section-with-descriptor');
});

test('recordExtent() frames HEST, CPER records and status blocks by their own lengths', () => {
  const hest = readShared('reference/qemu/tests/data/acpi/aarch64/virt/HEST');
  assert.deepEqual(recordExtent(hest.subarray(0, 4)), { kind: 'need', bytes: 8 });
  assert.equal((recordExtent(hest) as { length: number }).length, 224);
  const block = readShared(CAPTURED, 'qmp_cper_payload.bin');
  assert.equal((recordExtent(block) as { length: number }).length, 172);
  assert.deepEqual(recordExtent(block.subarray(0, 10)), { kind: 'need', bytes: 20 });
  const rec = new Uint8Array(128);
  rec.set([0x43, 0x50, 0x45, 0x52, 0x00, 0x01, 0xff, 0xff, 0xff, 0xff]);
  new DataView(rec.buffer).setUint32(20, 4000, true);
  assert.equal((recordExtent(rec) as { length: number }).length, 4000);
  assert.deepEqual(recordExtent(new Uint8Array(80).fill(0xee)), { kind: 'unframed' });
  assert.deepEqual(recordExtent(new Uint8Array(80), 'section'), { kind: 'unframed' });
});
