// `vras guest setup`: installs the host packages the real-guest harness needs, downloads the
// arm64 guest kernel and busybox with `apt-get download`, unpacks them into the cache
// (cache.ts), cross-compiles the victim program and builds the base initramfs. Idempotent:
// when everything is in place it only checks and returns (well under a second).
// Facts: shared/reference/real-guest/RECIPE.md.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { repoPath } from '../node-util/repo-root.js';
import {
  cacheRoot,
  type GuestManifest,
  type QemuInstall,
  readManifest,
  writeManifest,
} from './cache.js';
import { buildCpio, type CpioEntry } from './cpio.js';
import { fetchKernel, kernelLines } from './guest-packages.js';
import { INIT_SCRIPT } from './init-script.js';
import { AptError, type DebianArchive, PrivateApt } from './private-apt.js';

/** Host packages (Debian 12) the harness uses. */
export const HOST_PACKAGES = [
  'qemu-system-arm',
  'qemu-efi-aarch64',
  'acpica-tools',
  'cpio',
  'gcc-aarch64-linux-gnu',
  'libc6-dev-arm64-cross',
] as const;

export const UEFI_FIRMWARE = '/usr/share/qemu-efi-aarch64/QEMU_EFI.fd';

export class GuestSetupError extends Error {
  readonly code: 'no-apt' | 'not-root' | 'command-failed' | 'not-found';
  constructor(code: GuestSetupError['code'], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GuestSetupError';
    this.code = code;
  }
}

export interface SetupOptions {
  readonly root?: string;
  /** Progress lines (`== installing …`). */
  readonly log?: (line: string) => void;
  /** Refresh the package lists now instead of at most once a day. */
  readonly refresh?: boolean;
  /** Environment of the host commands (default process.env; its PATH finds apt-get, dpkg…). */
  readonly env?: NodeJS.ProcessEnv;
  /** Whether apt-get may run without sudo (default: this process runs as root). */
  readonly privileged?: boolean;
  /** The Debian archive guest packages come from (default Debian's, or $VRAS_DEBIAN_MIRROR). */
  readonly archive?: DebianArchive;
  /** UEFI firmware for the arm64 guests (default Debian's qemu-efi-aarch64). */
  readonly firmware?: string;
}

export const VICTIM_SOURCE = repoPath('src', 'guest', 'victim.c');

type Runner = (
  command: string,
  args: readonly string[],
  opts?: { cwd?: string; root?: boolean },
) => string;

function makeRunner(log: (line: string) => void, env: NodeJS.ProcessEnv, isRoot: boolean): Runner {
  let sudo: boolean | undefined;
  return (command, args, opts = {}) => {
    let cmd = command;
    let argv = [...args];
    if (opts.root === true && !isRoot) {
      if (sudo === undefined) sudo = spawnSync('sudo', ['-n', 'true'], { env }).status === 0;
      if (!sudo) {
        throw new GuestSetupError(
          'not-root',
          `Cannot run '${command} ${args.join(' ')}': it needs root. Run 'bin/vras guest setup' as root or with passwordless sudo.`,
        );
      }
      argv = [command, ...argv];
      cmd = 'sudo';
    }
    const r = spawnSync(cmd, argv, {
      cwd: opts.cwd,
      encoding: 'utf8',
      env: { ...env, DEBIAN_FRONTEND: 'noninteractive' },
      maxBuffer: 64 * 1024 * 1024,
    });
    if (r.error !== undefined) {
      const missing = (r.error as NodeJS.ErrnoException).code === 'ENOENT';
      throw new GuestSetupError(
        missing ? 'no-apt' : 'command-failed',
        missing
          ? `Cannot run '${cmd}': not installed. vras guest setup needs a Debian host with apt-get and dpkg.`
          : `Cannot run '${cmd}': ${r.error.message}`,
        { cause: r.error },
      );
    }
    if (r.status !== 0) {
      const tail = `${r.stderr ?? ''}${r.stdout ?? ''}`.trim().split('\n').slice(-8).join('\n');
      log(tail);
      throw new GuestSetupError(
        'command-failed',
        `Cannot complete setup: '${cmd} ${argv.join(' ')}' exited with ${r.status}:\n${tail}`,
      );
    }
    return r.stdout;
  };
}

function installed(run: Runner, pkg: string): boolean {
  try {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format syntax
    return run('dpkg-query', ['-W', '-f', '${Status}', pkg]).includes('install ok installed');
  } catch {
    return false;
  }
}

const APT_LOCK = ['-o', 'DPkg::Lock::Timeout=300'];

/** Runs a private-apt step, turning its errors into GuestSetupErrors. */
export function aptStep<T>(step: () => T): T {
  try {
    return step();
  } catch (e) {
    if (e instanceof AptError)
      throw new GuestSetupError(
        e.code === 'not-found' ? 'not-found' : 'command-failed',
        e.message,
        {
          cause: e,
        },
      );
    throw e;
  }
}

function sha(...parts: (string | Uint8Array)[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex').slice(0, 16);
}

/** Base initramfs: busybox, /init and /bin/victim, as a gzip newc archive. */
export function buildBaseInitrd(busybox: Uint8Array, victim: Uint8Array): Uint8Array {
  const entries: CpioEntry[] = [
    { kind: 'dir', path: 'bin' },
    { kind: 'dir', path: 'dev' },
    { kind: 'char', path: 'dev/console', major: 5, minor: 1 },
    { kind: 'dir', path: 'proc' },
    { kind: 'dir', path: 'sys' },
    { kind: 'dir', path: 'tmp' },
    { kind: 'file', path: 'bin/busybox', data: busybox, mode: 0o755 },
    { kind: 'symlink', path: 'bin/sh', target: 'busybox' },
    { kind: 'file', path: 'bin/victim', data: victim, mode: 0o755 },
    { kind: 'file', path: 'init', data: new TextEncoder().encode(INIT_SCRIPT), mode: 0o755 },
  ];
  return gzipSync(buildCpio(entries), { level: 6 });
}

export async function setupGuest(options: SetupOptions = {}): Promise<GuestManifest> {
  const root = options.root ?? cacheRoot();
  const log = options.log ?? (() => {});
  const env = options.env ?? process.env;
  const run = makeRunner(log, env, options.privileged ?? process.getuid?.() === 0);
  mkdirSync(root, { recursive: true });
  log(`== cache ${root}`);

  // 1. Host packages.
  let updated = false;
  const aptUpdate = (): void => {
    if (updated) return;
    log('== apt-get update');
    run('apt-get', ['update', '-q', ...APT_LOCK], { root: true });
    updated = true;
  };
  // A Debian host: dpkg answers (the guest packages come from private apt trees).
  run('dpkg', ['--print-architecture']);
  const missing = HOST_PACKAGES.filter((p) => !installed(run, p));
  if (missing.length > 0) {
    aptUpdate();
    log(`== apt-get install ${missing.join(' ')}`);
    run('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...APT_LOCK, ...missing], {
      root: true,
    });
  } else {
    log(`== host packages present: ${HOST_PACKAGES.join(' ')}`);
  }
  const firmware = options.firmware ?? UEFI_FIRMWARE;
  if (!existsSync(firmware))
    throw new GuestSetupError(
      'not-found',
      `Cannot find ${firmware} after installing qemu-efi-aarch64`,
    );

  const previous = readManifest(root);

  // 2. Guest kernel: the newest 6.1 in bookworm, from a private arm64 apt tree (the host's apt
  // configuration is left alone), resolved now and recorded in the manifest.
  const apt = new PrivateApt(root, 'arm64', log, {
    release: 'bookworm',
    ...(options.archive === undefined ? {} : { archive: options.archive }),
    env,
  });
  const unpack = (deb: string, dir: string): void => {
    run('dpkg-deb', ['-x', deb, dir]);
  };
  if (options.refresh === true) aptStep(() => apt.update(true));
  const line = kernelLines('arm64').find((l) => l.line === '6.1')!;
  const cached = previous?.kernels.find((k) => k.series === '6.1');
  const kernel = aptStep(() => fetchKernel({ root, apt, line, cached, log, unpack }));
  log(
    `== kernel ${kernel.release} (${kernel.package ?? '?'} ${kernel.version ?? '?'}, ${kernel.suite ?? 'cached'})`,
  );

  // 3. busybox-static:arm64 (bookworm).
  const busybox = join(root, 'busybox', 'bin', 'busybox');
  if (!existsSync(busybox)) {
    const debs = join(root, 'debs-busybox');
    rmSync(debs, { recursive: true, force: true });
    const files = aptStep(() => apt.download(['busybox-static'], debs));
    log('== unpacking busybox-static');
    for (const f of files) unpack(f, join(root, 'busybox'));
    rmSync(debs, { recursive: true, force: true });
  }
  if (!existsSync(busybox))
    throw new GuestSetupError('not-found', `Cannot find ${busybox} in busybox-static`);

  // 4. Victim program, keyed by its source.
  const source = readFileSync(VICTIM_SOURCE);
  const victim = join(root, `victim-${sha(source)}`);
  if (!existsSync(victim)) {
    log('== compiling victim.c (aarch64-linux-gnu-gcc -static)');
    run('aarch64-linux-gnu-gcc', ['-static', '-O2', '-Wall', '-o', `${victim}.tmp`, VICTIM_SOURCE]);
    run('mv', [`${victim}.tmp`, victim]);
  }

  // 5. Base initramfs, keyed by its contents.
  const bb = readFileSync(busybox);
  const vb = readFileSync(victim);
  const initrd = join(root, `initrd-${sha(bb, vb, INIT_SCRIPT)}.cpio.gz`);
  if (!existsSync(initrd)) {
    log('== building initramfs');
    writeFileSync(initrd, buildBaseInitrd(bb, vb));
  }

  const qemu: QemuInstall = {
    name: 'system',
    command: 'qemu-system-aarch64',
    prefixArgs: [],
    env: {},
    dataDir: undefined,
  };
  const manifest: GuestManifest = {
    ...previous,
    schema: 'vras-guest/v1',
    kernels: [kernel, ...(previous?.kernels.filter((k) => k.series !== '6.1') ?? [])],
    busybox,
    victim,
    initrd,
    firmware,
    qemu: [qemu, ...(previous?.qemu.filter((q) => q.name !== 'system') ?? [])],
  };
  writeManifest(manifest, root);
  log('== guest setup complete');
  return manifest;
}
