// lintInput() on a section with its own descriptor (libcper's single-section form, Redfish
// CPERSection): Linux never receives that form, so lint says so and lints the one-entry status
// block a GHES source would post for the section. Checked against what the real Linux 6.1.192
// guest did with the libcper corpus's records (../shared/reference/libcper-corpus).

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sharedPath } from '../../test/support/shared.js';
import { DESCRIPTOR_FORM_NOTE, lintInput } from './lint.js';
import type { StatusBlockContext } from './lint-status-block.js';

const CORPUS = sharedPath('reference', 'libcper-corpus');

/** The corpus guest's source (README): GHESv2, polled, id 3, 2048-byte block, 1 GiB RAM. */
const GUEST: StatusBlockContext = {
  errorBlockLength: 2048,
  notificationType: 0,
  ghesVersion: 2,
  sourceId: 3,
  ram: [{ start: 0x4000_0000n, size: 0x4000_0000n }],
};

const u32 = (b: Uint8Array, o: number) => new DataView(b.buffer, b.byteOffset).getUint32(o, true);

/** Single-section corpus records, as the descriptor form: the record's descriptor + body. */
const SINGLE = readdirSync(CORPUS)
  .filter((f) => f.endsWith('.cper'))
  .sort()
  .map((f) => ({ name: f, rec: new Uint8Array(readFileSync(join(CORPUS, f))) }))
  .filter((r) => r.rec[10] === 1 && r.rec[11] === 0)
  .map((r) => {
    const offset = u32(r.rec, 128);
    const length = u32(r.rec, 132);
    const form = new Uint8Array(72 + length);
    form.set(r.rec.subarray(128, 200), 0);
    form.set(r.rec.subarray(offset, offset + length), 72);
    return {
      ...r,
      form,
      recordSeverity: u32(r.rec, 12),
      sectionSeverity: u32(r.rec, 176),
    };
  });

const kernelLines = (name: string): string | undefined => {
  const p = join(CORPUS, name.replace('.cper', '.linux61.txt'));
  return existsSync(p) ? readFileSync(p, 'utf8') : undefined;
};

describe('lintInput() on a section with its descriptor', () => {
  it('detects the form, says Linux never receives it, and lints it', () => {
    assert.ok(SINGLE.length >= 90, `${SINGLE.length} records`);
    for (const r of SINGLE) {
      // A random section type (25-unknown) is not told apart from other bytes: it needs --as.
      const unknown = r.name.startsWith('25-unknown');
      const report = lintInput(r.form, {
        source: GUEST,
        ...(unknown ? { as: 'section-with-descriptor' as const } : {}),
      });
      assert.equal(report.kind, 'section-with-descriptor', r.name);
      assert.equal(report.findings[0]!.code, 'lint.descriptor-form', r.name);
      assert.equal(report.findings[0]!.detail, DESCRIPTOR_FORM_NOTE);
      assert.match(DESCRIPTOR_FORM_NOTE, /never receives/);
      assert.ok(report.acceptance !== undefined, r.name);
    }
  });

  it('a fatal section panics the guest, as the real 6.1 kernel did for the same section', () => {
    let checked = 0;
    for (const r of SINGLE.filter((x) => x.sectionSeverity === 1 && x.recordSeverity === 1)) {
      const lines = kernelLines(r.name);
      if (lines === undefined) continue;
      assert.match(lines, /Kernel panic - not syncing: GHES: Fatal hardware error/);
      const a = lintInput(r.form, { source: GUEST, as: 'section-with-descriptor' }).acceptance!;
      assert.equal(a.panic, true, r.name);
      checked++;
    }
    assert.ok(checked >= 1, 'no fatal record the kernel saw');
  });

  it('a non-fatal section is printed and not a panic, as the real kernel did where both severities were non-fatal', () => {
    let checked = 0;
    for (const r of SINGLE.filter((x) => x.sectionSeverity !== 1 && x.recordSeverity !== 1)) {
      const lines = kernelLines(r.name);
      if (lines === undefined) continue;
      const a = lintInput(r.form, { source: GUEST, as: 'section-with-descriptor' }).acceptance!;
      assert.equal(a.panic, /Kernel panic/.test(lines), r.name);
      assert.equal(
        a.printed,
        /\[Hardware Error\]/.test(lines),
        `${r.name}: ${lines.slice(0, 300)}`,
      );
      checked++;
    }
    assert.ok(checked >= 5, `only ${checked} records checked`);
  });

  it("findings point into the input: the body's fields at 72 on, the severity at 48", () => {
    const r = SINGLE.find((x) => x.name === '05-memory-s1.cper')!;
    const form = r.form.slice();
    new DataView(form.buffer).setUint32(48, 0, true); // recoverable
    form.fill(0, 72, 80); // memory validation bits: nothing valid, so no physical address
    const report = lintInput(form, { source: { ...GUEST, task: { comm: 'a', pid: 1 } } });
    const noPa = report.findings.find((f) => f.code === 'memory.no-pa');
    assert.ok(noPa, report.findings.map((f) => f.code).join(', '));
    assert.equal(noPa.offset, 72); // the memory section's validation bits (UEFI Table N-31)
    const fatal = new Uint8Array(r.form);
    new DataView(fatal.buffer).setUint32(48, 1, true);
    const f = lintInput(fatal, { source: GUEST }).findings.find((x) => x.code === 'estatus.fatal');
    assert.ok(f);
    assert.equal(f.offset, 48); // Section Severity in the descriptor
  });

  it('a descriptor that is cut short or overruns gets a clear error, never a throw', () => {
    const r = SINGLE.find((x) => x.name === '05-memory-s1.cper')!;
    const short = lintInput(r.form.subarray(0, 40), { as: 'section-with-descriptor' });
    assert.equal(short.kind, 'section-with-descriptor');
    const t = short.findings.find((f) => f.code === 'descriptor.truncated')!;
    assert.equal(t.severity, 'error');
    assert.equal(t.offset, 40);
    const cut = lintInput(r.form.subarray(0, r.form.length - 1), {
      as: 'section-with-descriptor',
    });
    const l = cut.findings.find((f) => f.code === 'descriptor.section-length')!;
    assert.equal(l.offset, 4);
    assert.match(l.detail ?? '', /runs past/);
    const extra = new Uint8Array(r.form.length + 3);
    extra.set(r.form);
    const tr = lintInput(extra, { as: 'section-with-descriptor' }).findings.find(
      (f) => f.code === 'descriptor.trailing',
    )!;
    assert.equal(tr.offset, r.form.length);
  });
});
