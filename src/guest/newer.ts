// A newer QEMU (the newest ≥ 10.2 in trixie-backports, with `inject-ghes-v2-error`) and newer
// arm64 guest kernels (the newest 6.12 in trixie and 7.x in trixie-backports), resolved at
// set-up time and fetched into the cache without touching the host: private apt trees
// (private-apt.ts), `apt-get download`, `dpkg-deb -x`, and QEMU runs through trixie's own
// dynamic loader. Facts: shared/reference/real-guest/NEWER-QEMU.md.
//
// Cache layout (under $VRAS_CACHE):
//   apt-trixie-<arch>/            the private apt tree (config, lists, empty status)
//   qemu-<version>/root/          the unpacked QEMU and its library closure
//   qemu-<version>/ok.json        written last: version, binary, the query-commands check
//   kernel-<release>_<version>/   a newer kernel package, unpacked

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  cacheRoot,
  type GuestManifest,
  type KernelImage,
  type QemuInstall,
  readManifest,
  writeManifest,
} from './cache.js';
import { upstreamMajorMinor } from './debian-version.js';
import { GuestError } from './errors.js';
import { fetchKernel, kernelLines } from './guest-packages.js';
import {
  type AptCandidate,
  AptError,
  type DebianArchive,
  newestCandidate,
  PrivateApt,
} from './private-apt.js';

export { PrivateApt } from './private-apt.js';

/** The oldest QEMU with `inject-ghes-v2-error` (NEWER-QEMU.md). */
export const QEMU_NEWER_MINIMUM: readonly [number, number] = [10, 2];
/** Suite the newer QEMU comes from. */
export const QEMU_NEWER_SUITE = 'trixie-backports';
/** Name of the private QEMU in the guest manifest (`GuestVm`'s `qemu` option); its resolved
 *  version is in the manifest entry. */
export const QEMU_NEWER_NAME = 'newer';
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

export class NewerSetupError extends Error {
  readonly code: 'command-failed' | 'not-found' | 'no-inject-command';
  constructor(code: NewerSetupError['code'], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NewerSetupError';
    this.code = code;
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
  /** Which kernel lines (`6.12`, `7.x`; default both). */
  readonly kernels?: readonly string[];
  /** Skip the newer QEMU (kernels only). */
  readonly noQemu?: boolean;
  /** The Debian archive (default Debian's, or $VRAS_DEBIAN_MIRROR). */
  readonly archive?: DebianArchive;
  /** Environment of apt and dpkg-deb (default process.env). */
  readonly env?: NodeJS.ProcessEnv;
}

interface QemuStamp {
  readonly version: string;
  readonly commands: number;
  readonly inject: boolean;
}

function unpacker(env: NodeJS.ProcessEnv): (deb: string, dir: string) => void {
  return (deb, dir) => {
    const r = spawnSync('dpkg-deb', ['-x', deb, dir], { env, encoding: 'utf8' });
    if (r.error !== undefined || r.status !== 0)
      throw new NewerSetupError(
        'command-failed',
        `Cannot unpack ${deb}: dpkg-deb ${r.error === undefined ? `exited with ${r.status}: ${r.stderr.trim()}` : r.error.message}`,
        { cause: r.error },
      );
  };
}

function asSetupError(e: unknown): never {
  if (e instanceof AptError)
    throw new NewerSetupError(e.code === 'not-found' ? 'not-found' : 'command-failed', e.message, {
      cause: e,
    });
  throw e;
}

/** The newest QEMU ≥ 10.2 in trixie-backports (qemu-system-arm), or an error naming the offer. */
export function resolveNewerQemu(apt: PrivateApt): AptCandidate {
  const offered = apt.candidates(['qemu-system-arm']);
  const fits = offered.filter((c) => {
    const mm = upstreamMajorMinor(c.version);
    return (
      c.suite === QEMU_NEWER_SUITE &&
      mm !== undefined &&
      (mm[0] > QEMU_NEWER_MINIMUM[0] ||
        (mm[0] === QEMU_NEWER_MINIMUM[0] && mm[1] >= QEMU_NEWER_MINIMUM[1]))
    );
  });
  const pick = newestCandidate(fits);
  if (pick === undefined)
    throw new AptError(
      'not-found',
      `Cannot find qemu-system-arm >= ${QEMU_NEWER_MINIMUM.join('.')} in ${QEMU_NEWER_SUITE} (the archive offered ${offered.length === 0 ? 'none' : offered.map((c) => `${c.version} (${c.suite})`).join(', ')})`,
    );
  return pick;
}

/** Reads a finished QEMU tree's stamp, or undefined. */
function readStamp(path: string): QemuStamp | undefined {
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as QemuStamp;
    return typeof v?.version === 'string' && v.inject === true ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Fetches (once per version) the newest QEMU ≥ 10.2 from trixie-backports into the cache and
 * checks that it offers `inject-ghes-v2-error`. When the archive can't be reached, the cached
 * one (`cached`, from the manifest) is used as it is.
 */
export async function setupNewerQemu(
  root: string,
  log: (line: string) => void = () => {},
  options: { archive?: DebianArchive; env?: NodeJS.ProcessEnv; cached?: QemuInstall } = {},
): Promise<QemuInstall> {
  const env = options.env ?? process.env;
  const apt = new PrivateApt(root, 'amd64', log, {
    release: 'trixie',
    ...(options.archive === undefined ? {} : { archive: options.archive }),
    env,
  });
  let pick: AptCandidate;
  try {
    pick = resolveNewerQemu(apt);
  } catch (e) {
    const c = options.cached;
    if (
      e instanceof AptError &&
      e.code === 'unreachable' &&
      c !== undefined &&
      existsSync(c.command)
    ) {
      log(`== archive unreachable; using the cached QEMU ${c.version ?? c.name}`);
      return c;
    }
    return asSetupError(e);
  }
  const version = pick.version;
  const key = version.replace(/[^0-9A-Za-z.+~-]/g, '_');
  const dir = join(root, `qemu-${key}`);
  const tree = join(dir, 'root');
  const stampPath = join(dir, 'ok.json');
  const install: QemuInstall = { ...privateQemuInstall(QEMU_NEWER_NAME, tree), version };
  const stamp = readStamp(stampPath);
  if (stamp?.version === version && existsSync(install.command)) {
    log(`== QEMU ${version} (${pick.suite}) cached`);
    return install;
  }
  const debs = join(dir, 'debs');
  rmSync(dir, { recursive: true, force: true });
  let files: string[];
  try {
    files = apt.download([`qemu-system-arm=${version}`, ...QEMU_LIBRARIES], debs);
  } catch (e) {
    return asSetupError(e);
  }
  log(`== unpacking ${files.length} .debs`);
  const unpack = unpacker(env);
  for (const f of files) unpack(f, tree);
  mkdirSync(install.dataDir!, { recursive: true });
  rmSync(debs, { recursive: true, force: true });
  const commands = await queryCommands(install);
  const inject = commands.includes(INJECT_COMMAND);
  if (!inject)
    throw new NewerSetupError(
      'no-inject-command',
      `QEMU ${version} does not list ${INJECT_COMMAND} in query-commands (${commands.length} commands)`,
    );
  const done: QemuStamp = { version, commands: commands.length, inject };
  writeFileSync(stampPath, `${JSON.stringify(done)}\n`);
  log(`== QEMU ${version} (${pick.suite}): ${INJECT_COMMAND} present`);
  return install;
}

/**
 * Adds the newer QEMU and the newer kernels to the guest manifest (run after `setupGuest`, which
 * writes the base manifest). Idempotent: cached trees are only checked; a newer build in the
 * archive replaces them.
 */
export async function setupNewer(options: NewerSetupOptions = {}): Promise<GuestManifest> {
  const root = options.root ?? cacheRoot();
  const log = options.log ?? (() => {});
  const env = options.env ?? process.env;
  const base = readManifest(root);
  if (base === undefined)
    throw new GuestError(
      'setup-missing',
      `No base guest setup in ${root}; run 'bin/vras guest setup'`,
    );
  const cachedQemu = base.qemu.find((q) => q.name === QEMU_NEWER_NAME);
  const qemu =
    options.noQemu === true
      ? undefined
      : await setupNewerQemu(root, log, {
          ...(options.archive === undefined ? {} : { archive: options.archive }),
          env,
          ...(cachedQemu === undefined ? {} : { cached: cachedQemu }),
        });
  const wanted = options.kernels ?? ['6.12', '7.x'];
  const apt = new PrivateApt(root, 'arm64', log, {
    release: 'trixie',
    ...(options.archive === undefined ? {} : { archive: options.archive }),
    env,
  });
  const unpack = unpacker(env);
  const kernels: KernelImage[] = [];
  for (const line of kernelLines('arm64').filter((l) => wanted.includes(l.line))) {
    const cached = base.kernels.find((k) =>
      line.line === '7.x' ? /^7\./.test(k.series) : k.series === line.line,
    );
    try {
      const k = fetchKernel({ root, apt, line, cached, log, unpack });
      log(
        `== kernel ${k.release} (${k.package ?? '?'} ${k.version ?? '?'}, ${k.suite ?? 'cached'})`,
      );
      kernels.push(k);
    } catch (e) {
      asSetupError(e);
    }
  }
  const replaced = (k: KernelImage): boolean =>
    kernels.some((n) => n.series === k.series || (/^7\./.test(n.series) && /^7\./.test(k.series)));
  const manifest: GuestManifest = {
    ...base,
    kernels: [...base.kernels.filter((k) => !replaced(k)), ...kernels],
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

/** The series of the newest 7.x kernel in the manifest (`7.3`), if any. */
export function newestSevenSeries(manifest: GuestManifest): string | undefined {
  return manifest.kernels.map((k) => k.series).find((s) => /^7\./.test(s));
}
