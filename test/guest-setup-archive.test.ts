// `vras guest setup` against a Debian archive whose versions have moved on: a local `file:`
// archive (real apt-get, apt-cache and dpkg-deb; packages built here with dpkg-deb --build)
// offers newer kernels and a newer QEMU than any this checkout has seen, beside older ones and
// ones outside the suites the set-up takes from. The set-up must take the newest of each line,
// record what it took, and, when the archive can't be reached, keep using its complete cache.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readManifest } from '../src/guest/cache.js';
import { QEMU_LIBRARIES, setupNewer } from '../src/guest/newer.js';
import type { DebianArchive } from '../src/guest/private-apt.js';
import { HOST_PACKAGES, setupGuest } from '../src/guest/setup.js';

const HAS_APT =
  spawnSync('apt-get', ['--version']).status === 0 &&
  spawnSync('dpkg-deb', ['--version']).status === 0;
const root = mkdtempSync(join(tmpdir(), 'vras-archive-test-'));
after(() => rmSync(root, { recursive: true, force: true }));

interface FakePackage {
  readonly name: string;
  readonly version: string;
  readonly arch: 'arm64' | 'amd64';
  readonly suite: string;
  /** Files inside the package: path → [content, mode]. */
  readonly files?: Record<string, [string, number]>;
}

/** A fake QEMU that answers QMP on stdio: qmp_capabilities, query-commands, quit. */
const FAKE_QEMU = `#!/usr/bin/env node
process.stdout.write('{"QMP": {"version": {}, "capabilities": []}}\\n');
let buf = '';
process.stdin.on('data', (c) => {
  buf += c;
  let i;
  while ((i = buf.indexOf('\\n')) >= 0) {
    const m = JSON.parse(buf.slice(0, i));
    buf = buf.slice(i + 1);
    if (m.execute === 'query-commands')
      process.stdout.write(JSON.stringify({ return: [{ name: 'inject-ghes-v2-error' }, { name: 'quit' }], id: m.id }) + '\\n');
    else process.stdout.write(JSON.stringify({ return: {}, id: m.id }) + '\\n');
    if (m.execute === 'quit') process.exit(0);
  }
});
`;

const PACKAGES: FakePackage[] = [
  // bookworm arm64: an older 6.1 ABI in bookworm, the newest in bookworm-security.
  {
    name: 'linux-image-6.1.0-40-arm64-unsigned',
    version: '6.1.150-1',
    arch: 'arm64',
    suite: 'bookworm',
    files: { 'boot/vmlinuz-6.1.0-40-arm64': ['old', 0o644] },
  },
  {
    name: 'linux-image-6.1.0-99-arm64-unsigned',
    version: '6.1.300-2',
    arch: 'arm64',
    suite: 'bookworm-security',
    files: { 'boot/vmlinuz-6.1.0-99-arm64': ['kernel 6.1.300', 0o644] },
  },
  // Not a 6.1 line package at all (a 6.12 in bookworm-backports): never taken for 6.1.
  {
    name: 'linux-image-6.12.300+bpo-arm64-unsigned',
    version: '6.12.300-1~bpo12+1',
    arch: 'arm64',
    suite: 'bookworm-backports',
  },
  {
    name: 'busybox-static',
    version: '1:1.37.0-9',
    arch: 'arm64',
    suite: 'bookworm',
    files: { 'bin/busybox': ['busybox', 0o755] },
  },
  // trixie arm64: 6.12 moved on in trixie-security; 7.x moved on to 7.5 in backports.
  {
    name: 'linux-image-6.12.107+deb13-arm64-unsigned',
    version: '6.12.107-1',
    arch: 'arm64',
    suite: 'trixie',
    files: { 'boot/vmlinuz-6.12.107+deb13-arm64': ['old', 0o644] },
  },
  {
    name: 'linux-image-6.12.201+deb13-arm64-unsigned',
    version: '6.12.201-1',
    arch: 'arm64',
    suite: 'trixie-security',
    files: { 'boot/vmlinuz-6.12.201+deb13-arm64': ['kernel 6.12.201', 0o644] },
  },
  {
    name: 'linux-binary-7.3.4+deb13-arm64',
    version: '7.3.4-1~bpo13+1',
    arch: 'arm64',
    suite: 'trixie-backports',
    files: { 'usr/lib/modules/7.3.4+deb13-arm64/vmlinuz': ['old', 0o644] },
  },
  {
    name: 'linux-binary-7.5.1+deb13-arm64',
    version: '7.5.1-1~bpo13+1',
    arch: 'arm64',
    suite: 'trixie-backports',
    files: { 'usr/lib/modules/7.5.1+deb13-arm64/vmlinuz': ['kernel 7.5.1', 0o644] },
  },
  {
    name: 'linux-image-7.5.1+deb13-arm64',
    version: '7.5.1-1~bpo13+1',
    arch: 'arm64',
    suite: 'trixie-backports',
  },
  // trixie amd64: QEMU 10.0 in trixie (too old, wrong suite), 11.2 in backports.
  { name: 'qemu-system-arm', version: '1:10.0.2+ds-1', arch: 'amd64', suite: 'trixie' },
  {
    name: 'qemu-system-arm',
    version: '1:11.2.0+ds-3~bpo13+1',
    arch: 'amd64',
    suite: 'trixie-backports',
    files: {
      'usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2': [FAKE_QEMU, 0o755],
      'usr/bin/qemu-system-aarch64': ['', 0o755],
    },
  },
  ...QEMU_LIBRARIES.map(
    (name): FakePackage => ({ name, version: '1.0-1', arch: 'amd64', suite: 'trixie' }),
  ),
];

function run(cmd: string, args: string[], cwd?: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

const sha256 = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');

/** Builds a file: archive (pool + dists/<suite>/main/binary-<arch>/Packages + Release). */
function buildArchive(dir: string, packages: readonly FakePackage[]): void {
  const index = new Map<string, string[]>();
  for (const p of packages) {
    const tree = join(dir, 'build', `${p.name}_${p.version}_${p.arch}`.replace(/:/g, '%'));
    mkdirSync(join(tree, 'DEBIAN'), { recursive: true });
    writeFileSync(
      join(tree, 'DEBIAN', 'control'),
      `Package: ${p.name}\nVersion: ${p.version}\nArchitecture: ${p.arch}\nMaintainer: vras tests <t@example.invalid>\nDescription: fake ${p.name}\n`,
    );
    for (const [path, [content, mode]] of Object.entries(p.files ?? {})) {
      mkdirSync(dirname(join(tree, path)), { recursive: true });
      writeFileSync(join(tree, path), content);
      chmodSync(join(tree, path), mode);
    }
    const rel = `pool/${p.suite}/${p.name}_${p.version.replace(/^\d+:/, '')}_${p.arch}.deb`;
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    run('dpkg-deb', ['--root-owner-group', '-Zgzip', '--build', tree, join(dir, rel)]);
    const deb = readFileSync(join(dir, rel));
    const stanza = [
      `Package: ${p.name}`,
      `Version: ${p.version}`,
      `Architecture: ${p.arch}`,
      'Maintainer: vras tests <t@example.invalid>',
      `Filename: ${rel}`,
      `Size: ${deb.length}`,
      `SHA256: ${sha256(deb)}`,
      `Description: fake ${p.name}`,
      '',
    ].join('\n');
    const key = `${p.suite}/${p.arch}`;
    index.set(key, [...(index.get(key) ?? []), stanza]);
  }
  const suites = [
    'bookworm',
    'bookworm-updates',
    'bookworm-backports',
    'bookworm-security',
    'trixie',
    'trixie-updates',
    'trixie-backports',
    'trixie-security',
  ];
  for (const suite of suites) {
    const sums: string[] = [];
    for (const arch of ['amd64', 'arm64']) {
      const rel = `main/binary-${arch}/Packages`;
      const text = (index.get(`${suite}/${arch}`) ?? []).join('\n');
      mkdirSync(join(dir, 'dists', suite, 'main', `binary-${arch}`), { recursive: true });
      writeFileSync(join(dir, 'dists', suite, rel), text);
      sums.push(` ${sha256(text)} ${Buffer.byteLength(text)} ${rel}`);
    }
    writeFileSync(
      join(dir, 'dists', suite, 'Release'),
      `Origin: vras-test\nSuite: ${suite}\nCodename: ${suite}\nDate: ${new Date().toUTCString()}\nArchitectures: amd64 arm64\nComponents: main\nSHA256:\n${sums.join('\n')}\n`,
    );
  }
}

/** Host tools: every host package installed, a cross compiler that writes its output. */
function fakeHostBin(): string {
  const bin = join(root, 'bin');
  mkdirSync(bin, { recursive: true });
  const tools: Record<string, string> = {
    'dpkg-query': 'echo "install ok installed"',
    'aarch64-linux-gnu-gcc':
      'while [ $# -gt 0 ]; do if [ "$1" = -o ]; then echo victim > "$2"; fi; shift; done',
  };
  for (const [name, body] of Object.entries(tools)) {
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  }
  return bin;
}

describe('vras guest setup against an archive that has moved on', () => {
  it('takes the newest of each line, records it, and uses its cache when the archive is gone', async (t) => {
    if (!HAS_APT) {
      if (process.env.CI === 'true') throw new Error('CI=true and apt-get/dpkg-deb are missing');
      return t.skip('needs a Debian host (apt-get, dpkg-deb)');
    }
    const archiveDir = join(root, 'archive');
    buildArchive(archiveDir, PACKAGES);
    const archive: DebianArchive = {
      uri: `file:${archiveDir}`,
      securityUri: `file:${archiveDir}`,
      trusted: true,
    };
    const cache = join(root, 'cache');
    const firmware = join(root, 'QEMU_EFI.fd');
    writeFileSync(firmware, 'uefi');
    const env = { ...process.env, PATH: `${fakeHostBin()}:${process.env.PATH ?? ''}` };
    const log: string[] = [];
    const options = {
      root: cache,
      env,
      privileged: true,
      archive,
      firmware,
      log: (l: string) => log.push(l),
    };

    await setupGuest(options);
    await setupNewer({ root: cache, env, archive, log: (l) => log.push(l) });
    const m = readManifest(cache);
    assert.ok(m !== undefined, log.join('\n'));
    const k = (series: string) => m.kernels.find((x) => x.series === series);
    assert.deepEqual(
      m.kernels.map((x) => [x.series, x.package, x.version, x.suite]),
      [
        ['6.1', 'linux-image-6.1.0-99-arm64-unsigned', '6.1.300-2', 'bookworm-security'],
        ['6.12', 'linux-image-6.12.201+deb13-arm64-unsigned', '6.12.201-1', 'trixie-security'],
        ['7.5', 'linux-binary-7.5.1+deb13-arm64', '7.5.1-1~bpo13+1', 'trixie-backports'],
      ],
    );
    assert.equal(readFileSync(k('6.1')!.image, 'utf8'), 'kernel 6.1.300');
    assert.equal(readFileSync(k('6.12')!.image, 'utf8'), 'kernel 6.12.201');
    assert.equal(readFileSync(k('7.5')!.image, 'utf8'), 'kernel 7.5.1');
    const newer = m.qemu.find((q) => q.name !== 'system');
    assert.equal(newer?.version, '1:11.2.0+ds-3~bpo13+1');
    assert.ok(
      log.includes(
        '== QEMU 1:11.2.0+ds-3~bpo13+1 (trixie-backports): inject-ghes-v2-error present',
      ),
      log.join('\n'),
    );
    assert.ok(
      log.some((l) =>
        l.startsWith('== kernel 6.1.0-99-arm64 (linux-image-6.1.0-99-arm64-unsigned 6.1.300-2'),
      ),
    );
    assert.ok(HOST_PACKAGES.length > 0);

    // The archive disappears: the complete cache is used as it is, and the set-up says so.
    const gone: DebianArchive = {
      ...archive,
      uri: `file:${join(root, 'nowhere')}`,
      securityUri: `file:${join(root, 'nowhere')}`,
    };
    const log2: string[] = [];
    await setupGuest({ ...options, archive: gone, log: (l) => log2.push(l) });
    await setupNewer({ root: cache, env, archive: gone, log: (l) => log2.push(l) });
    const again = readManifest(cache);
    assert.deepEqual(again?.kernels, m.kernels);
    assert.deepEqual(again?.qemu, m.qemu);
    assert.equal(
      log2.filter((l) => l.startsWith('== archive unreachable; using the cached')).length,
      4,
      log2.join('\n'),
    );
    const busybox = statSync(m.busybox);
    assert.ok(busybox.isFile());
  });
});
