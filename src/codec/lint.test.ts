import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readShared } from '../../test/support/shared.js';
import { guidBytes } from './guid.js';
import { cperRecordBlockForLint, lintInput, sectionBlockForLint } from './lint.js';

const QMP_PAYLOAD = readShared(
  'reference/qemu/captured/qemu-10.2.50-ece408818d/virt/qmp_cper_payload.bin',
);
const MEMORY_GUID = 'a5bc1114-6f64-4ede-b863-3e83ed7c83b1';
/** The memory section of QEMU's payload (bytes 92..172). */
const MEMORY_BODY = QMP_PAYLOAD.slice(92);

/** A one-section CPER record built by hand from formats.md §5.1–§5.2. */
function cperRecord(body: Uint8Array, severity = 0, sectionSeverity = 0): Uint8Array {
  const rec = new Uint8Array(128 + 72 + body.length);
  const v = new DataView(rec.buffer);
  rec.set([0x43, 0x50, 0x45, 0x52], 0);
  v.setUint16(4, 0x0100, true);
  v.setUint32(6, 0xffffffff, true);
  v.setUint16(10, 1, true);
  v.setUint32(12, severity, true);
  v.setUint32(20, rec.length, true);
  v.setUint32(128, 200, true);
  v.setUint32(132, body.length, true);
  v.setUint16(136, 0x0100, true);
  rec.set(guidBytes(MEMORY_GUID), 144);
  v.setUint32(176, sectionSeverity, true);
  rec.set(body, 200);
  return rec;
}

test('lintInput() lints a status block with QEMU’s SEA source by default', () => {
  const r = lintInput(QMP_PAYLOAD);
  assert.equal(r.kind, 'ghes-status-block');
  assert.equal(r.acceptance!.path, 'nmi');
  assert.equal(r.acceptance!.memoryFailures[0]!.pfn, 0x40001n);
});

test('cperRecordBlockForLint() gives the block QEMU would post for the same section', () => {
  const conv = cperRecordBlockForLint(cperRecord(MEMORY_BODY));
  assert.deepEqual(conv.findings, []);
  // Same entry header and body as QEMU's payload; only the header words QEMU leaves at 0 differ.
  assert.deepEqual(conv.block.subarray(20), QMP_PAYLOAD.subarray(20));
  assert.equal(new DataView(conv.block.buffer).getUint32(12, true), 152);
});

test('lintInput() maps a CPER record’s findings back to record offsets', () => {
  const body = MEMORY_BODY.slice();
  body[0] = 0x00; // clear PA valid: validation bits 0x4000
  const r = lintInput(cperRecord(body), { source: { task: { comm: 'a', pid: 1 } } });
  assert.equal(r.kind, 'cper-record');
  const f = r.findings.find((x) => x.code === 'memory.no-pa')!;
  assert.equal(f.offset, 200); // the section's validation bits in the record
  const sev = lintInput(cperRecord(MEMORY_BODY, 1)).findings.find(
    (x) => x.code === 'estatus.fatal',
  )!;
  assert.equal(sev.offset, 12);
});

test('lintInput() reports a section that lies outside the record', () => {
  const rec = cperRecord(MEMORY_BODY);
  new DataView(rec.buffer).setUint32(132, 500, true);
  const r = lintInput(rec);
  const f = r.findings.find((x) => x.code === 'cper.section-outside')!;
  assert.equal(f.severity, 'error');
  assert.equal(f.offset, 128);
});

test('lintInput() wraps a bare section and reports offsets inside the section', () => {
  const body = MEMORY_BODY.slice(0, 64);
  const r = lintInput(body, { section: MEMORY_GUID });
  assert.equal(r.kind, 'section');
  const f = r.findings.find((x) => x.code === 'section.too-small')!;
  assert.equal(f.offset, undefined); // the length field belongs to the wrapper, not the section
  assert.equal(sectionBlockForLint(body, MEMORY_GUID).length, 20 + 72 + 64);
});

test('lintInput() says what it could not recognise, and uses a given HEST linter', () => {
  const r = lintInput(new Uint8Array([1, 2, 3]));
  assert.equal(r.kind, 'unknown');
  assert.equal(r.findings[0]!.code, 'lint.unrecognised');
  assert.match(r.findings[0]!.detail!, /^Cannot tell what the input is: /);
  const hest = lintInput(new TextEncoder().encode('HEST'), {
    lintHest: () => [
      { code: 'hest.x', severity: 'warning', message: 'm', consequence: { kind: 'info' } },
    ],
  });
  assert.deepEqual(
    hest.findings.map((f) => f.code),
    ['hest.x'],
  );
});
