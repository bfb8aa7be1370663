import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { readShared } from '../../test/support/shared.js';
import { detectStructure, resolveSectionHint, statusBlockPlausibility } from './detect.js';
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
