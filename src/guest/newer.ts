// A newer QEMU (11.1, with `inject-ghes-v2-error`) and newer arm64 guest kernels (6.12, 7.3)
// fetched into the cache without touching the host: apt runs with a private configuration
// (APT_CONFIG → a file in the cache: its own Dir, an empty dpkg status, one architecture,
// deb822 sources for trixie signed by the host's Debian keyring), `apt-get download` fetches
// the .debs, `dpkg-deb -x` unpacks them, and QEMU runs through trixie's own dynamic loader.
// Facts: shared/reference/real-guest/NEWER-QEMU.md.
//
// Cache layout (under $VRAS_CACHE):
//   apt-trixie-<arch>/            the private apt tree (config, lists, empty status)
//   qemu-<version>/root/          the unpacked QEMU and its library closure
//   qemu-<version>/ok.json        written last: version, binary, the query-commands check
//   kernel-<release>/             a newer kernel package, unpacked

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  cacheRoot,
  type GuestManifest,
  type KernelImage,
  type QemuInstall,
  readManifest,
  writeManifest,
} from './cache.js';
import { GuestError } from './errors.js';

/** The QEMU version tested (NEWER-QEMU.md). Backports keep only the newest: override with
 *  VRAS_QEMU_NEWER_VERSION when the mirror has moved on. */
export const QEMU_NEWER_VERSION = '1:11.1.3+ds-1~bpo13+1';
/** Name of the private QEMU in the guest manifest (`GuestVm`'s `qemu` option). */
export const QEMU_NEWER_NAME = '11.1';
/** The QMP command that marks QEMU ≥ 10.2's GHES injection. */
export const INJECT_COMMAND = 'inject-ghes-v2-error';

/** QEMU's library closure on trixie (NEWER-QEMU.md step 2). */
export const QEMU_LIBRARIES = [
  'libaio1t64',
  'libatomic1',
  'libblkid1',
  'libbpf1',
  'libc6',
  'libcap2',
  'libcapstone5',
  'libdaxctl1',
  'libelf1t64',
  'libfdt1',
  'libffi8',
  'libfuse3-4',
  'libglib2.0-0t64',
  'libgmp10',
  'libgnutls30t64',
  'libhogweed6t64',
  'libibverbs1',
  'libidn2-0',
  'libjpeg62-turbo',
  'libkmod2',
  'libmount1',
  'libndctl6',
  'libnettle8t64',
  'libnl-3-200',
  'libnl-route-3-200',
  'libnuma1',
  'libp11-kit0',
  'libpcre2-8-0',
  'libpixman-1-0',
  'libpmem1',
  'libpng16-16t64',
  'librdmacm1t64',
  'libsasl2-2',
  'libseccomp2',
  'libselinux1',
  'libslirp0',
  'libssl3t64',
  'libtasn1-6',
  'libudev1',
  'libunistring5',
  'liburing2',
  'libuuid1',
  'libvdeplug2t64',
  'libzstd1',
  'zlib1g',
] as const;

/** A newer kernel: its series, its package, and where the image sits inside the package. */
export interface NewerKernelSpec {
  readonly series: string;
  readonly release: string;
  readonly package: string;
  readonly suite: string;
  /** Image path inside the unpacked package. */
  readonly image: string;
}

export const NEWER_KERNELS: readonly NewerKernelSpec[] = [
  {
    series: '6.12',
    release: '6.12.107+deb13-arm64',
    package: 'linux-image-6.12.107+deb13-arm64-unsigned',
    suite: 'trixie',
    image: 'boot/vmlinuz-6.12.107+deb13-arm64',
  },
  {
    series: '7.3',
    release: '7.3.4+deb13-arm64',
    package: 'linux-binary-7.3.4+deb13-arm64',
    suite: 'trixie-backports',
    image: 'usr/lib/modules/7.3.4+deb13-arm64/vmlinuz',
  },
];

export const DEBIAN_KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';

export class NewerSetupError extends Error {
  readonly code: 'command-failed' | 'not-found' | 'no-inject-command';
  constructor(code: NewerSetupError['code'], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NewerSetupError';
    this.code = code;
  }
}

/** The apt.conf of a private apt tree (NEWER-QEMU.md step 1). */
export function privateAptConfig(dir: string, arch: string): string {
  return [
    `Dir "${dir}/";`,
    `Dir::State::status "${dir}/status";`,
    `Dir::Etc::main "${dir}/apt.conf";`,
    `Dir::Etc::parts "${dir}/apt.conf.d";`,
    `Dir::Etc::sourcelist "${dir}/sources.list";`,
    `Dir::Etc::sourceparts "${dir}/sources.list.d";`,
    `Dir::Etc::preferences "${dir}/preferences";`,
    `Dir::Etc::preferencesparts "${dir}/preferences.d";`,
    `APT::Architecture "${arch}";`,
    `APT::Architectures { "${arch}"; };`,
    'APT::Sandbox::User "root";',
    'Acquire::Languages "none";',
    '',
  ].join('\n');
}

/** deb822 sources for trixie, trixie-updates, trixie-backports and trixie-security. */
export function trixieSources(keyring = DEBIAN_KEYRING): string {
  return [
    'Types: deb',
    'URIs: http://deb.debian.org/debian',
    'Suites: trixie trixie-updates trixie-backports',
    'Components: main',
    `Signed-By: ${keyring}`,
    '',
    'Types: deb',
    'URIs: http://deb.debian.org/debian-security',
    'Suites: trixie-security',
    'Components: main',
    `Signed-By: ${keyring}`,
    '',
  ].join('\n');
}

function runChecked(
  command: string,
  args: readonly string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): string {
  const r = spawnSync(command, args, {
    cwd: opts.cwd,
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive', ...opts.env },
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (r.error !== undefined || r.status !== 0) {
    const tail = `${r.stderr ?? ''}${r.stdout ?? ''}`.trim().split('\n').slice(-8).join('\n');
    throw new NewerSetupError(
      'command-failed',
      `Cannot complete the newer-QEMU setup: '${command} ${args.join(' ')}' ${r.error === undefined ? `exited with ${r.status}` : `failed (${r.error.message})`}:\n${tail}`,
      { cause: r.error },
    );
  }
  return r.stdout;
}

/** A private apt tree for `arch`: creates it, and runs `apt-get update` at most once a day. */
export class PrivateApt {
  readonly dir: string;
  private updated = false;
  constructor(
    root: string,
    readonly arch: string,
    private readonly log: (line: string) => void = () => {},
  ) {
    this.dir = join(root, `apt-trixie-${arch}`);
  }

  get env(): NodeJS.ProcessEnv {
    return { APT_CONFIG: join(this.dir, 'apt.conf') };
  }

  private prepare(): void {
    for (const d of [
      'apt.conf.d',
      'sources.list.d',
      'preferences.d',
      'var/lib/apt/lists/partial',
      'var/cache/apt/archives/partial',
    ])
      mkdirSync(join(this.dir, d), { recursive: true });
    writeFileSync(join(this.dir, 'apt.conf'), privateAptConfig(this.dir, this.arch));
    writeFileSync(join(this.dir, 'sources.list'), '');
    writeFileSync(join(this.dir, 'sources.list.d', 'trixie.sources'), trixieSources());
    if (!existsSync(join(this.dir, 'status'))) writeFileSync(join(this.dir, 'status'), '');
  }

  update(force = false): void {
    if (this.updated) return;
    this.prepare();
    const stamp = join(this.dir, 'updated');
    const fresh =
      existsSync(stamp) && Date.now() - Number(readFileSync(stamp, 'utf8')) < 24 * 3600 * 1000;
    if (!fresh || force) {
      this.log(`== apt-get update (private, trixie ${this.arch})`);
      runChecked('apt-get', ['update', '-q'], { env: this.env });
      writeFileSync(stamp, String(Date.now()));
    }
    this.updated = true;
  }

  /** `apt-get download` into `dest`; returns the .deb paths, one per package. */
  download(packages: readonly string[], dest: string): string[] {
    this.update();
    mkdirSync(dest, { recursive: true });
    this.log(`== apt-get download ${packages.length} package(s) (${this.arch})`);
    runChecked('apt-get', ['download', '-q', ...packages], { cwd: dest, env: this.env });
    return readdirSync(dest)
      .filter((f) => f.endsWith('.deb'))
      .map((f) => join(dest, f));
  }
}

/** A QEMU install entry for an unpacked private tree (run through its own loader). */
export function privateQemuInstall(name: string, root: string): QemuInstall {
  const lib = join(root, 'usr', 'lib', 'x86_64-linux-gnu');
  return {
    name,
    command: join(lib, 'ld-linux-x86-64.so.2'),
    prefixArgs: ['--library-path', lib, join(root, 'usr', 'bin', 'qemu-system-aarch64')],
    env: { QEMU_MODULE_DIR: join(lib, 'qemu') },
    dataDir: join(root, 'usr', 'share', 'qemu'),
  };
}

/** Runs `query-commands` on a QEMU (machine `none`, QMP on stdio); returns the names. */
export function queryCommands(q: QemuInstall, timeoutMs = 10_000): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const args = [
      ...q.prefixArgs,
      '-M',
      'none',
      '-nodefaults',
      '-display',
      'none',
      '-qmp',
      'stdio',
    ];
    if (q.dataDir !== undefined) args.push('-L', q.dataDir);
    const child = spawn(q.command, args, { env: { ...process.env, ...q.env }, stdio: 'pipe' });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new NewerSetupError(
          'command-failed',
          `QEMU ${q.name}: no query-commands reply within ${timeoutMs} ms`,
        ),
      );
    }, timeoutMs);
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (c: string) => {
      err += c;
    });
    child.stdout.on('data', (c: string) => {
      out += c;
      if (out.includes('"QMP"') && !out.includes('"id": "caps"') && !out.includes('"id":"caps"'))
        child.stdin.write(
          '{"execute":"qmp_capabilities","id":"caps"}\n{"execute":"query-commands","id":"cmds"}\n{"execute":"quit"}\n',
        );
    });
    child.stdin.on('error', () => {});
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(
        new NewerSetupError('command-failed', `Cannot start QEMU ${q.name}: ${e.message}`, {
          cause: e,
        }),
      );
    });
    child.once('exit', () => {
      clearTimeout(timer);
      for (const line of out.split('\n')) {
        if (!line.includes('"cmds"')) continue;
        const msg = JSON.parse(line) as { return?: { name: string }[] };
        resolve((msg.return ?? []).map((c) => c.name));
        return;
      }
      reject(
        new NewerSetupError(
          'command-failed',
          `QEMU ${q.name} gave no query-commands reply: ${err.trim().slice(-300)}`,
        ),
      );
    });
  });
}

export interface NewerSetupOptions {
  readonly root?: string;
  readonly log?: (line: string) => void;
  /** Which kernels (default all of NEWER_KERNELS). */
  readonly kernels?: readonly string[];
  /** Skip QEMU 11.1 (kernels only). */
  readonly noQemu?: boolean;
}

export interface NewerSetupResult {
  readonly qemu: QemuInstall | undefined;
  readonly kernels: readonly KernelImage[];
}

interface QemuStamp {
  readonly version: string;
  readonly commands: number;
  readonly inject: boolean;
}

/** Fetches (once) QEMU 11.1 into the cache and checks it offers `inject-ghes-v2-error`. */
export async function setupNewerQemu(
  root: string,
  log: (line: string) => void = () => {},
): Promise<QemuInstall> {
  const version = process.env.VRAS_QEMU_NEWER_VERSION ?? QEMU_NEWER_VERSION;
  const key = version.replace(/[^0-9A-Za-z.+~-]/g, '_');
  const dir = join(root, `qemu-${key}`);
  const tree = join(dir, 'root');
  const stampPath = join(dir, 'ok.json');
  const install = privateQemuInstall(QEMU_NEWER_NAME, tree);
  if (existsSync(stampPath)) {
    const stamp = JSON.parse(readFileSync(stampPath, 'utf8')) as QemuStamp;
    if (stamp.version === version && stamp.inject && existsSync(install.command)) {
      log(`== QEMU ${version} cached`);
      return install;
    }
  }
  const apt = new PrivateApt(root, 'amd64', log);
  const debs = join(dir, 'debs');
  rmSync(dir, { recursive: true, force: true });
  let files: string[];
  try {
    files = apt.download([`qemu-system-arm=${version}`, ...QEMU_LIBRARIES], debs);
  } catch (e) {
    throw new NewerSetupError(
      'not-found',
      `Cannot fetch qemu-system-arm ${version} from trixie-backports (backports keep only the newest version; set VRAS_QEMU_NEWER_VERSION to the one the mirror has and re-test): ${(e as Error).message}`,
      { cause: e },
    );
  }
  log(`== unpacking ${files.length} .debs`);
  for (const f of files) runChecked('dpkg-deb', ['-x', f, tree]);
  mkdirSync(install.dataDir!, { recursive: true });
  rmSync(debs, { recursive: true, force: true });
  const commands = await queryCommands(install);
  const inject = commands.includes(INJECT_COMMAND);
  if (!inject)
    throw new NewerSetupError(
      'no-inject-command',
      `QEMU ${version} does not list ${INJECT_COMMAND} in query-commands (${commands.length} commands)`,
    );
  const stamp: QemuStamp = { version, commands: commands.length, inject };
  writeFileSync(stampPath, `${JSON.stringify(stamp)}\n`);
  log(`== QEMU ${version}: ${INJECT_COMMAND} present`);
  return install;
}

/** Fetches (once) one newer kernel package and returns its image. */
export function setupNewerKernel(
  root: string,
  spec: NewerKernelSpec,
  log: (line: string) => void = () => {},
): KernelImage {
  const dir = join(root, `kernel-${spec.release}`);
  const image = join(dir, spec.image);
  if (!existsSync(image)) {
    const apt = new PrivateApt(root, 'arm64', log);
    const debs = join(root, 'debs-newer', spec.series);
    rmSync(debs, { recursive: true, force: true });
    const files = apt.download([`${spec.package}/${spec.suite}`], debs);
    log(`== unpacking ${spec.package}`);
    rmSync(dir, { recursive: true, force: true });
    for (const f of files) runChecked('dpkg-deb', ['-x', f, dir]);
    rmSync(debs, { recursive: true, force: true });
    if (!existsSync(image))
      throw new NewerSetupError(
        'not-found',
        `Cannot find the kernel image ${image} in ${spec.package}`,
      );
  }
  log(`== kernel ${spec.release}`);
  return { series: spec.series, release: spec.release, image };
}

/**
 * Adds QEMU 11.1 and the newer kernels to the guest manifest (run after `setupGuest`, which
 * writes the base manifest). Idempotent: cached trees are only checked.
 */
export async function setupNewer(options: NewerSetupOptions = {}): Promise<GuestManifest> {
  const root = options.root ?? cacheRoot();
  const log = options.log ?? (() => {});
  const base = readManifest(root);
  if (base === undefined)
    throw new GuestError(
      'setup-missing',
      `No base guest setup in ${root}; run 'bin/vras guest setup'`,
    );
  const qemu = options.noQemu === true ? undefined : await setupNewerQemu(root, log);
  const wanted = options.kernels ?? NEWER_KERNELS.map((k) => k.series);
  const kernels = NEWER_KERNELS.filter((k) => wanted.includes(k.series)).map((k) =>
    setupNewerKernel(root, k, log),
  );
  const manifest: GuestManifest = {
    ...base,
    kernels: [
      ...base.kernels.filter((k) => !kernels.some((n) => n.series === k.series)),
      ...kernels,
    ],
    qemu: [
      ...base.qemu.filter((q) => q.name !== qemu?.name),
      ...(qemu === undefined ? [] : [qemu]),
    ],
  };
  writeManifest(manifest, root);
  return manifest;
}

/** Whether the manifest has the newer QEMU (for tests and the matrix). */
export function hasNewerQemu(manifest: GuestManifest): boolean {
  return manifest.qemu.some((q) => q.name === QEMU_NEWER_NAME);
}
