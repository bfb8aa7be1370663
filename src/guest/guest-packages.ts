// Which guest packages the harness takes, resolved from the archive at set-up time: the newest
// Linux 6.1 in bookworm, the newest 6.12 in trixie, the newest 7.x in trixie-backports and the
// newest QEMU ≥ 10.2 in trixie-backports. Nothing here names a Debian revision: the archive's
// rolling suites keep only their newest build, so a pinned one stops existing.

import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { KernelImage } from './cache.js';
import { upstreamMajorMinor } from './debian-version.js';
import {
  type AptCandidate,
  AptError,
  type DebianRelease,
  newestCandidate,
  type PrivateApt,
} from './private-apt.js';

/** One line of guest kernels the harness boots. */
export interface KernelLine {
  /** The line as the issue names it, for messages (`6.1`, `6.12`, `7.x`). */
  readonly line: string;
  readonly release: DebianRelease;
  /** Suites the newest is taken from. */
  readonly suites: readonly string[];
  /** Package names of this line (a regular expression for `apt-cache search`). */
  readonly names: string;
}

export function kernelLines(arch: string): readonly KernelLine[] {
  const a = arch.replace(/[^a-z0-9]/g, '');
  return [
    {
      line: '6.1',
      release: 'bookworm',
      suites: ['bookworm', 'bookworm-updates', 'bookworm-security'],
      names: `^linux-image-6\\.1\\.0-[0-9]+-${a}-unsigned$`,
    },
    {
      line: '6.12',
      release: 'trixie',
      suites: ['trixie', 'trixie-updates', 'trixie-security'],
      names: `^linux-image-6\\.12\\.[0-9]+\\+deb[0-9]+-${a}-unsigned$`,
    },
    {
      line: '7.x',
      release: 'trixie',
      suites: ['trixie-backports'],
      // 7.x packages the image as linux-binary-* (linux-image-* is a metapackage over it).
      names: `^linux-(binary-7\\.[0-9]+\\.[0-9]+\\+deb[0-9]+-${a}|image-7\\.[0-9]+\\.[0-9]+\\+deb[0-9]+-${a}-unsigned)$`,
    },
  ];
}

/** The kernel release a package installs (`linux-image-6.1.0-41-arm64-unsigned` → `6.1.0-41-arm64`). */
export function kernelRelease(pkg: string): string {
  return pkg.replace(/^linux-(image|binary)-/, '').replace(/-unsigned$/, '');
}

/**
 * The series the harness and the codec know a kernel by: `6.1`, `6.12`, or the 7.x line's own
 * `major.minor` from the package version (`7.3.4-1~bpo13+1` → `7.3`).
 */
export function kernelSeries(line: KernelLine, version: string): string {
  if (line.line !== '7.x') return line.line;
  const mm = upstreamMajorMinor(version);
  if (mm === undefined) throw new AptError('not-found', `Cannot read a series from ${version}`);
  return `${mm[0]}.${mm[1]}`;
}

/** The newest package of a kernel line, or an AptError naming what the archive offered. */
export function resolveKernel(apt: PrivateApt, line: KernelLine): AptCandidate {
  const names = apt.search(line.names);
  const offered = apt.candidates(names);
  const inSuites = offered.filter((c) => line.suites.includes(c.suite));
  const pick = newestCandidate(inSuites);
  if (pick === undefined)
    throw new AptError(
      'not-found',
      `Cannot find a Linux ${line.line} ${apt.arch} kernel in ${line.suites.join(', ')} (package names ${line.names}; the archive offered ${offered.length === 0 ? 'none' : offered.map((c) => `${c.name} ${c.version} (${c.suite})`).join(', ')})`,
    );
  return pick;
}

/** Where the uncompressed kernel image sits in an unpacked package, whichever layout it has. */
export function findKernelImage(dir: string, release: string): string | undefined {
  return [
    join(dir, 'boot', `vmlinuz-${release}`),
    join(dir, 'usr', 'lib', 'modules', release, 'vmlinuz'),
    join(dir, 'lib', 'modules', release, 'vmlinuz'),
  ].find((p) => existsSync(p));
}

export interface FetchKernelOptions {
  readonly root: string;
  readonly apt: PrivateApt;
  readonly line: KernelLine;
  /** What an earlier set-up took for this line, if it is still on disk. */
  readonly cached: KernelImage | undefined;
  readonly log: (line: string) => void;
  /** Unpacks a .deb into a directory (dpkg-deb -x). */
  readonly unpack: (deb: string, dir: string) => void;
}

/**
 * The newest kernel of a line, downloaded and unpacked once per version. When the archive can't
 * be reached, a cached kernel of the line is used as it is (and said so).
 */
export function fetchKernel(o: FetchKernelOptions): KernelImage {
  let pick: AptCandidate;
  try {
    pick = resolveKernel(o.apt, o.line);
  } catch (e) {
    if (e instanceof AptError && e.code === 'unreachable' && o.cached !== undefined) {
      o.log(
        `== archive unreachable; using the cached Linux ${o.cached.series} (${o.cached.package ?? o.cached.release} ${o.cached.version ?? ''})`.trimEnd(),
      );
      return o.cached;
    }
    throw e;
  }
  const release = kernelRelease(pick.name);
  const series = kernelSeries(o.line, pick.version);
  if (
    o.cached !== undefined &&
    o.cached.package === pick.name &&
    o.cached.version === pick.version &&
    existsSync(o.cached.image)
  )
    return o.cached;
  const dir = join(o.root, `kernel-${release}_${pick.version.replace(/[^0-9A-Za-z.+~-]/g, '_')}`);
  let image = findKernelImage(dir, release);
  if (image === undefined) {
    const debs = join(o.root, 'debs-kernel', `${o.apt.arch}-${o.line.line}`);
    rmSync(debs, { recursive: true, force: true });
    const files = o.apt.download([`${pick.name}=${pick.version}`], debs);
    o.log(`== unpacking ${pick.name} ${pick.version}`);
    const tmp = `${dir}.tmp`;
    rmSync(tmp, { recursive: true, force: true });
    for (const f of files) o.unpack(f, tmp);
    rmSync(debs, { recursive: true, force: true });
    if (findKernelImage(tmp, release) === undefined)
      throw new AptError(
        'not-found',
        `Cannot find the kernel image of ${release} in ${pick.name} ${pick.version}`,
      );
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(join(dir, '..'), { recursive: true });
    renameSync(tmp, dir);
    image = findKernelImage(dir, release)!;
  }
  return {
    series,
    release,
    image,
    package: pick.name,
    version: pick.version,
    suite: pick.suite,
  };
}
