import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  cacheRoot,
  type GuestManifest,
  GuestSetupMissing,
  manifestPath,
  readManifest,
  requireManifest,
  writeManifest,
} from './cache.js';

const root = mkdtempSync(join(tmpdir(), 'vras-cache-test-'));
after(() => rmSync(root, { recursive: true, force: true }));

function manifest(dir: string): GuestManifest {
  const file = (name: string) => {
    const path = join(dir, name);
    writeFileSync(path, name);
    return path;
  };
  return {
    schema: 'vras-guest/v1',
    kernels: [{ series: '6.1', release: '6.1.0-56-arm64', image: file('vmlinuz') }],
    busybox: file('busybox'),
    victim: file('victim'),
    initrd: file('initrd.cpio.gz'),
    firmware: file('QEMU_EFI.fd'),
    qemu: [{ name: 'system', command: 'qemu', prefixArgs: [], env: {}, dataDir: undefined }],
  };
}

describe('the guest cache', () => {
  it('lives in $VRAS_CACHE, or under the home cache directory', () => {
    assert.equal(cacheRoot({ VRAS_CACHE: '/x/y' }), '/x/y');
    assert.match(cacheRoot({ VRAS_CACHE: '' }), /\/\.cache\/vras$/);
  });

  it('reads back the manifest it wrote while every file it names exists', () => {
    const dir = mkdtempSync(join(root, 'ok-'));
    const m = manifest(dir);
    writeManifest(m, dir);
    assert.deepEqual(readManifest(dir), JSON.parse(JSON.stringify(m)));
    rmSync(m.kernels[0]!.image);
    assert.equal(readManifest(dir), undefined);
  });

  it('treats a corrupt or foreign manifest as no setup instead of throwing', () => {
    const dir = mkdtempSync(join(root, 'bad-'));
    for (const text of [
      '{"schema":"vras-guest/v1",',
      'null',
      '{"schema":"other"}',
      '{"schema":"vras-guest/v1"}',
    ]) {
      writeFileSync(manifestPath(dir), text);
      assert.equal(readManifest(dir), undefined, text);
    }
  });

  it('says how to set up when the manifest is missing', () => {
    const dir = mkdtempSync(join(root, 'none-'));
    assert.throws(
      () => requireManifest(dir),
      (e: unknown) => {
        assert.ok(e instanceof GuestSetupMissing);
        assert.equal(e.code, 'setup-missing');
        assert.match(
          e.message,
          new RegExp(`no complete setup in ${dir}\\. Run 'bin/vras guest setup'`),
        );
        return true;
      },
    );
  });
});
