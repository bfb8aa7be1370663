// `vras guest setup` on hosts that cannot complete it: fake host tools on PATH stand in for a
// machine without dpkg, a user without root or sudo, and an apt-get that fails. The real
// set-up is exercised by .ci/run and every real-guest test.

import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { GuestSetupError, setupGuest } from './setup.js';

const root = mkdtempSync(join(tmpdir(), 'vras-setup-test-'));
after(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
/** A directory of fake host tools (shell scripts) to use as the whole PATH. */
function fakeHost(tools: Record<string, string>): { bin: string; cache: string } {
  const dir = join(root, `host-${n++}`);
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  for (const [name, body] of Object.entries(tools)) {
    const path = join(bin, name);
    writeFileSync(path, `#!/bin/sh\n${body}\n`);
    chmodSync(path, 0o755);
  }
  return { bin, cache: join(dir, 'cache') };
}

/** dpkg knows arm64, dpkg-query says nothing is installed. */
const DEBIAN_WITHOUT_PACKAGES = {
  dpkg: 'echo arm64',
  'dpkg-query': 'echo "unknown ok not-installed"',
};

describe('setupGuest() on a host that cannot complete it', () => {
  it('says it needs a Debian host when dpkg is not installed', async () => {
    const host = fakeHost({});
    await assert.rejects(
      setupGuest({ root: host.cache, env: { PATH: host.bin }, privileged: true }),
      (e: unknown) => {
        assert.ok(e instanceof GuestSetupError);
        assert.equal(e.code, 'no-apt');
        assert.equal(
          e.message,
          "Cannot run 'dpkg': not installed. vras guest setup needs a Debian host with apt-get and dpkg.",
        );
        return true;
      },
    );
  });

  it('says it needs root when packages are missing and sudo is refused, and never runs apt-get', async () => {
    const host = fakeHost({
      ...DEBIAN_WITHOUT_PACKAGES,
      sudo: 'exit 1',
      'apt-get': `touch "$(dirname "$0")/apt-get-ran"`,
    });
    await assert.rejects(
      setupGuest({ root: host.cache, env: { PATH: host.bin }, privileged: false }),
      (e: unknown) => {
        assert.ok(e instanceof GuestSetupError);
        assert.equal(e.code, 'not-root');
        assert.match(e.message, /^Cannot run 'apt-get update .*': it needs root\. /);
        assert.match(e.message, /as root or with passwordless sudo/);
        return true;
      },
    );
    assert.equal(existsSync(join(host.bin, 'apt-get-ran')), false);
  });

  it("shows its progress and apt-get's own error when apt-get fails", async () => {
    const host = fakeHost({
      ...DEBIAN_WITHOUT_PACKAGES,
      'apt-get': `case "$1" in
  update) echo "Reading package lists..." ;;
  *) echo "E: Unable to locate package qemu-system-arm" >&2; exit 100 ;;
esac`,
    });
    const log: string[] = [];
    await assert.rejects(
      setupGuest({
        root: host.cache,
        env: { PATH: host.bin },
        privileged: true,
        log: (l) => log.push(l),
      }),
      (e: unknown) => {
        assert.ok(e instanceof GuestSetupError);
        assert.equal(e.code, 'command-failed');
        assert.match(e.message, /^Cannot complete setup: 'apt-get install -y .*' exited with 100:/);
        assert.match(e.message, /E: Unable to locate package qemu-system-arm/);
        return true;
      },
    );
    assert.equal(log[0], `== cache ${host.cache}`);
    assert.ok(log.includes('== apt-get update'), log.join('\n'));
    assert.ok(
      log.some((l) => l.startsWith('== apt-get install qemu-system-arm qemu-efi-aarch64')),
      log.join('\n'),
    );
  });
});
