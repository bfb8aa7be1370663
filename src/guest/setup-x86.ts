// `vras guest setup`, x86_64 part: installs qemu-system-x86 (Debian host package), resolves and
// fetches the newest Debian 6.1 amd64 kernel (bookworm) and the newest 6.12 amd64 kernel
// (trixie) through private apt trees (guest-packages.ts), busybox-static (amd64), builds the x86 victim with the host's gcc -static and the
// x86 initramfs. What it resolved goes into the guest manifest (setup.json) as the optional
// field `x86`; nothing here names an exact Debian revision.
// Facts: shared/reference/x86-guest/README.md (the spike that booted 6.1 under TCG, q35,
// Skylake-Client-v1).

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoPath } from '../node-util/repo-root.js';
import { cacheRoot, type KernelImage, manifestPath } from './cache.js';
import { fetchKernel, kernelLines } from './guest-packages.js';
import { INIT_SCRIPT } from './init-script.js';
import { PrivateApt } from './private-apt.js';
import { aptStep, buildBaseInitrd, GuestSetupError } from './setup.js';

/** Host packages the x86 guests need (Debian 12). */
export const X86_HOST_PACKAGES = ['qemu-system-x86', 'cpio', 'gcc', 'libc6-dev'] as const;

export const X86_VICTIM_SOURCE = repoPath('src', 'guest', 'x86-victim.c');

/** What the x86 setup resolved; stored as `x86` in setup.json. */
export interface X86Setup {
  readonly schema: 'vras-guest-x86/v1';
  /** The QEMU binary (Debian's qemu-system-x86). */
  readonly qemu: string;
  /** `qemu-system-x86_64 --version`, first line. */
  readonly qemuVersion: string;
  /** 6.1 (bookworm) and 6.12 (trixie) amd64 kernels, bzImage. */
  readonly kernels: readonly KernelImage[];
  readonly busybox: string;
  readonly victim: string;
  /** gzip newc: busybox, /init, /bin/victim (x86_64). */
  readonly initrd: string;
}

export interface X86SetupOptions {
  readonly root?: string;
  readonly log?: (line: string) => void;
  /** Refresh the package lists now instead of at most once a day. */
  readonly refresh?: boolean;
  /** Skip the trixie kernel (6.1 only). */
  readonly noNewer?: boolean;
}

function run(
  command: string,
  args: readonly string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): string {
  const r = spawnSync(command, args, {
    cwd: opts.cwd,
    encoding: 'utf8',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive', ...opts.env },
    maxBuffer: 64 << 20,
  });
  if (r.error !== undefined) {
    const missing = (r.error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new GuestSetupError(
      missing ? 'no-apt' : 'command-failed',
      missing
        ? `Cannot run '${command}': not installed (the x86 guest setup needs a Debian host with apt-get and dpkg)`
        : `Cannot run '${command}': ${r.error.message}`,
      { cause: r.error },
    );
  }
  if (r.status !== 0) {
    const tail = `${r.stderr ?? ''}${r.stdout ?? ''}`.trim().split('\n').slice(-8).join('\n');
    throw new GuestSetupError(
      'command-failed',
      `Cannot complete the x86 setup: '${command} ${args.join(' ')}' exited with ${r.status}:\n${tail}`,
    );
  }
  return r.stdout;
}

function installed(pkg: string): boolean {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format syntax
  const r = spawnSync('dpkg-query', ['-W', '-f', '${Status}', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('install ok installed');
}

const APT_LOCK = ['-o', 'DPkg::Lock::Timeout=300'];

function sha(...parts: (string | Uint8Array)[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex').slice(0, 16);
}

/**
 * Where the x86 setup is kept besides setup.json's `x86` field: the arm64 setup rewrites
 * setup.json whole (dropping fields it does not know), so the x86 record also has a file of
 * its own, read when the field is missing.
 */
export function x86SetupPath(root = cacheRoot()): string {
  return join(root, 'setup-x86.json');
}

function validX86(x: X86Setup | undefined | null): X86Setup | undefined {
  if (x === undefined || x === null || x.schema !== 'vras-guest-x86/v1') return undefined;
  if (!Array.isArray(x.kernels)) return undefined;
  const files = [x.busybox, x.victim, x.initrd, ...x.kernels.map((k) => k.image)];
  return files.every((f) => typeof f === 'string' && existsSync(f)) ? x : undefined;
}

function readJson<T>(path: string): T | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** The x86 setup (setup.json's `x86`, else setup-x86.json); undefined when incomplete. */
export function readX86Setup(root = cacheRoot()): X86Setup | undefined {
  return (
    validX86(readJson<{ x86?: X86Setup }>(manifestPath(root))?.x86) ??
    validX86(readJson<X86Setup>(x86SetupPath(root)))
  );
}

/** Writes `x86` into setup.json (keeping every other field) and into setup-x86.json. */
function writeX86Setup(x86: X86Setup, root: string): void {
  const value = readJson<Record<string, unknown>>(manifestPath(root)) ?? {};
  writeFileSync(manifestPath(root), `${JSON.stringify({ ...value, x86 }, null, 2)}\n`);
  writeFileSync(x86SetupPath(root), `${JSON.stringify(x86, null, 2)}\n`);
}

/** The x86_64 guest setup; idempotent (cached kernels and builds are only checked). */
export async function setupX86(options: X86SetupOptions = {}): Promise<X86Setup> {
  const root = options.root ?? cacheRoot();
  const log = options.log ?? (() => {});
  mkdirSync(root, { recursive: true });
  const previous = readX86Setup(root);

  // 1. Host packages.
  let updated = false;
  const aptUpdate = (): void => {
    if (updated) return;
    log('== apt-get update');
    run('apt-get', ['update', '-q', ...APT_LOCK]);
    updated = true;
  };
  const missing = X86_HOST_PACKAGES.filter((p) => !installed(p));
  if (missing.length > 0) {
    aptUpdate();
    log(`== apt-get install ${missing.join(' ')}`);
    run('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...APT_LOCK, ...missing]);
  }
  const qemu = 'qemu-system-x86_64';
  const qemuVersion = run(qemu, ['--version']).split('\n')[0]!.trim();
  log(`== ${qemuVersion}`);

  // 2. Kernels: the newest 6.1 in bookworm and 6.12 in trixie (amd64), resolved now from
  // private apt trees (guest-packages.ts, as for arm64); a cached one is used as it is when the
  // archive can't be reached.
  const kernels: KernelImage[] = [];
  const unpack = (deb: string, dir: string): void => {
    run('dpkg-deb', ['-x', deb, dir]);
  };
  const lines = kernelLines('amd64').filter(
    (l) => l.line === '6.1' || (l.line === '6.12' && options.noNewer !== true),
  );
  for (const line of lines) {
    const apt = new PrivateApt(root, 'amd64', log, { release: line.release });
    if (options.refresh === true) aptStep(() => apt.update(true));
    const cached = previous?.kernels.find((k) => k.series === line.line);
    const k = aptStep(() => fetchKernel({ root, apt, line, cached, log, unpack }));
    log(
      `== x86_64 kernel ${k.series}: ${k.release} (${k.package ?? '?'} ${k.version ?? '?'}, ${k.suite ?? 'cached'})`,
    );
    kernels.push(k);
  }

  // 4. busybox-static (amd64: the host's own architecture).
  const busybox = join(root, 'busybox-amd64', 'bin', 'busybox');
  if (!existsSync(busybox)) {
    const debs = join(root, 'debs-x86', 'busybox');
    mkdirSync(debs, { recursive: true });
    log('== downloading busybox-static:amd64');
    run('apt-get', ['download', ...APT_LOCK, 'busybox-static:amd64'], { cwd: debs });
    const deb = readdirSync(debs).find((f) => f.startsWith('busybox-static_'));
    if (deb === undefined)
      throw new GuestSetupError('not-found', 'Cannot find busybox-static after apt-get download');
    run('dpkg-deb', ['-x', join(debs, deb), join(root, 'busybox-amd64')]);
    rmSync(debs, { recursive: true, force: true });
  }
  if (!existsSync(busybox))
    throw new GuestSetupError('not-found', `Cannot find ${busybox} in busybox-static`);

  // 5. The x86 victim, keyed by its source.
  const source = readFileSync(X86_VICTIM_SOURCE);
  const victim = join(root, `victim-x86_64-${sha(source)}`);
  if (!existsSync(victim)) {
    log('== compiling x86-victim.c (gcc -static)');
    run('gcc', ['-static', '-O2', '-Wall', '-o', `${victim}.tmp`, X86_VICTIM_SOURCE]);
    run('mv', [`${victim}.tmp`, victim]);
  }

  // 6. The x86 initramfs, keyed by its contents.
  const bb = readFileSync(busybox);
  const vb = readFileSync(victim);
  const initrd = join(root, `initrd-x86_64-${sha(bb, vb, INIT_SCRIPT)}.cpio.gz`);
  if (!existsSync(initrd)) {
    log('== building the x86_64 initramfs');
    writeFileSync(initrd, buildBaseInitrd(bb, vb));
  }

  const setup: X86Setup = {
    schema: 'vras-guest-x86/v1',
    qemu,
    qemuVersion,
    kernels,
    busybox,
    victim,
    initrd,
  };
  writeX86Setup(setup, root);
  log('== x86_64 guest setup complete');
  return setup;
}
