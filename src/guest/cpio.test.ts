import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ACPI_TABLE_NAME_MAX, buildAcpiTableCpio, buildCpio } from './cpio.js';

const hasCpio = spawnSync('cpio', ['--version']).status === 0;

describe('buildCpio', () => {
  it('writes newc headers: magic 070701, 110-byte header, name and data padded to 4', () => {
    const a = buildCpio([{ kind: 'file', path: 'ab', data: new Uint8Array([1, 2, 3]) }]);
    const text = new TextDecoder('latin1').decode(a);
    assert.equal(text.slice(0, 6), '070701');
    assert.equal(text.slice(6 + 8, 6 + 16), '000081a4'); // S_IFREG | 0644
    assert.equal(text.slice(6 + 48, 6 + 56), '00000003'); // filesize
    assert.equal(text.slice(6 + 88, 6 + 96), '00000003'); // namesize "ab\0"
    assert.equal(text.slice(110, 113), 'ab\0');
    assert.deepEqual([...a.subarray(116, 119)], [1, 2, 3]); // 110 + 3 → 116
    assert.equal(a.length % 4, 0);
    assert.ok(text.includes('TRAILER!!!'));
  });

  it('is read back by GNU cpio (an independent reader): files, modes, symlinks, directories', {
    skip: !hasCpio && process.env.CI !== 'true' ? 'cpio not installed' : false,
  }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'vras-cpio-'));
    try {
      const data = new Uint8Array(1001).map((_, i) => i & 0xff);
      const archive = buildCpio([
        { kind: 'dir', path: 'bin' },
        { kind: 'file', path: 'bin/tool', data, mode: 0o755 },
        { kind: 'symlink', path: 'bin/alias', target: 'tool' },
        { kind: 'file', path: 'init', data: new TextEncoder().encode('#!/bin/sh\n') },
      ]);
      const r = spawnSync('cpio', ['-idm', '--quiet', '--no-absolute-filenames'], {
        cwd: dir,
        input: archive,
      });
      assert.equal(r.status, 0, String(r.stderr));
      assert.deepEqual(new Uint8Array(readFileSync(join(dir, 'bin/tool'))), data);
      assert.equal(statSync(join(dir, 'bin/tool')).mode & 0o777, 0o755);
      assert.equal(readlinkSync(join(dir, 'bin/alias')), 'tool');
      assert.equal(readFileSync(join(dir, 'init'), 'utf8'), '#!/bin/sh\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses an empty path', () => {
    assert.throws(() => buildCpio([{ kind: 'dir', path: '/' }]), RangeError);
  });
});

describe('buildAcpiTableCpio', () => {
  it('puts tables under kernel/firmware/acpi/', () => {
    const a = buildAcpiTableCpio([{ name: 'hest.aml', data: new Uint8Array([0x48]) }]);
    assert.ok(new TextDecoder('latin1').decode(a).includes('kernel/firmware/acpi/hest.aml\0'));
  });

  it(`refuses names longer than ${ACPI_TABLE_NAME_MAX} characters (the kernel warns at 17)`, () => {
    assert.throws(
      () => buildAcpiTableCpio([{ name: 'a'.repeat(17), data: new Uint8Array(1) }]),
      /at most 16/,
    );
  });
});
