// Private apt trees: one per Debian release and architecture, under the cache, so the harness
// can resolve and download guest packages (kernels, busybox, a newer QEMU and its libraries)
// without touching the host's apt configuration. apt runs with APT_CONFIG pointing at a file in
// the tree: its own Dir, an empty dpkg status, one architecture, deb822 sources signed by the
// host's Debian keyring. Versions are resolved from the archive at set-up time (`newest()`),
// never written in code: rolling suites such as backports and security keep only the newest.
// Facts: shared/reference/real-guest/NEWER-QEMU.md.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareDebianVersions } from './debian-version.js';

export const DEBIAN_KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';

export type DebianRelease = 'bookworm' | 'trixie';

/** Where the Debian archive is. The default is Debian's own; tests use a local `file:` one. */
export interface DebianArchive {
  readonly uri: string;
  readonly securityUri: string;
  /** Accept the archive without a signature (a local test archive). */
  readonly trusted?: boolean;
}

export function defaultArchive(env: NodeJS.ProcessEnv = process.env): DebianArchive {
  const mirror = env.VRAS_DEBIAN_MIRROR;
  if (mirror !== undefined && mirror !== '')
    return { uri: mirror, securityUri: env.VRAS_DEBIAN_SECURITY_MIRROR || mirror };
  return {
    uri: 'http://deb.debian.org/debian',
    securityUri: 'http://deb.debian.org/debian-security',
  };
}

export class AptError extends Error {
  readonly code: 'command-failed' | 'not-found' | 'unreachable';
  constructor(code: AptError['code'], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AptError';
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

/** The suites of a release: the release, its updates, its backports and its security suite. */
export function releaseSuites(release: DebianRelease): {
  readonly main: readonly string[];
  readonly security: string;
} {
  return {
    main: [release, `${release}-updates`, `${release}-backports`],
    security: `${release}-security`,
  };
}

/** deb822 sources for a release (all of `releaseSuites`). */
export function debianSources(
  release: DebianRelease,
  archive: DebianArchive = defaultArchive(),
  keyring = DEBIAN_KEYRING,
): string {
  const suites = releaseSuites(release);
  const trust = archive.trusted === true ? 'Trusted: yes' : `Signed-By: ${keyring}`;
  return [
    'Types: deb',
    `URIs: ${archive.uri}`,
    `Suites: ${suites.main.join(' ')}`,
    'Components: main',
    trust,
    '',
    'Types: deb',
    `URIs: ${archive.securityUri}`,
    `Suites: ${suites.security}`,
    'Components: main',
    trust,
    '',
  ].join('\n');
}

/** deb822 sources for trixie (kept for callers of the first layout). */
export function trixieSources(keyring = DEBIAN_KEYRING): string {
  return debianSources('trixie', defaultArchive(), keyring);
}

/** One version of a package as the archive offers it. */
export interface AptCandidate {
  readonly name: string;
  readonly version: string;
  /** Suite it comes from (`trixie-backports`, `bookworm-security`…). */
  readonly suite: string;
}

/** Parses `apt-cache madison` lines: `name | version | URI suite/component arch Packages`. */
export function parseMadison(text: string): AptCandidate[] {
  const out: AptCandidate[] = [];
  for (const line of text.split('\n')) {
    const cols = line.split('|').map((c) => c.trim());
    if (cols.length < 3) continue;
    const where = cols[2]!.split(/\s+/);
    const suite = where[1]?.split('/')[0];
    if (suite === undefined || cols[0] === '' || cols[1] === '') continue;
    out.push({ name: cols[0]!, version: cols[1]!, suite });
  }
  return out;
}

/** The newest candidate by Debian version order, or undefined when there is none. */
export function newestCandidate(candidates: readonly AptCandidate[]): AptCandidate | undefined {
  let best: AptCandidate | undefined;
  for (const c of candidates)
    if (best === undefined || compareDebianVersions(c.version, best.version) > 0) best = c;
  return best;
}

export interface PrivateAptOptions {
  readonly release?: DebianRelease;
  readonly archive?: DebianArchive;
  /** Environment of apt (default process.env). */
  readonly env?: NodeJS.ProcessEnv;
}

/** A private apt tree for one release and architecture; `apt-get update` at most once a day. */
export class PrivateApt {
  readonly dir: string;
  readonly release: DebianRelease;
  private readonly archive: DebianArchive;
  private readonly baseEnv: NodeJS.ProcessEnv;
  private updated = false;

  constructor(
    root: string,
    readonly arch: string,
    private readonly log: (line: string) => void = () => {},
    options: PrivateAptOptions = {},
  ) {
    this.release = options.release ?? 'trixie';
    this.archive = options.archive ?? defaultArchive(options.env);
    this.baseEnv = options.env ?? process.env;
    this.dir = join(root, `apt-${this.release}-${arch}`);
  }

  get env(): NodeJS.ProcessEnv {
    return { APT_CONFIG: join(this.dir, 'apt.conf') };
  }

  private run(args: readonly string[], cwd?: string): string {
    const r = spawnSync(args[0]!, args.slice(1), {
      cwd,
      env: { ...this.baseEnv, DEBIAN_FRONTEND: 'noninteractive', ...this.env },
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
    if (r.error !== undefined || r.status !== 0) {
      const tail = `${r.stderr ?? ''}${r.stdout ?? ''}`.trim().split('\n').slice(-8).join('\n');
      throw new AptError(
        'command-failed',
        `'${args.join(' ')}' (private apt, ${this.release} ${this.arch}) ${r.error === undefined ? `exited with ${r.status}` : `failed (${r.error.message})`}:\n${tail}`,
        { cause: r.error },
      );
    }
    return r.stdout;
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
    const sources = debianSources(this.release, this.archive);
    const sourcesPath = join(this.dir, 'sources.list.d', 'debian.sources');
    const changed = !existsSync(sourcesPath) || readFileSync(sourcesPath, 'utf8') !== sources;
    writeFileSync(sourcesPath, sources);
    if (changed) rmSync(join(this.dir, 'updated'), { force: true });
    if (!existsSync(join(this.dir, 'status'))) writeFileSync(join(this.dir, 'status'), '');
  }

  /**
   * `apt-get update` unless done in the last day (or `force`). An archive that cannot be
   * reached is an AptError 'unreachable'; apt prints only warnings for it, so the lists are
   * checked too.
   */
  update(force = false): void {
    if (this.updated && !force) return;
    this.prepare();
    const stamp = join(this.dir, 'updated');
    const fresh =
      existsSync(stamp) && Date.now() - Number(readFileSync(stamp, 'utf8')) < 24 * 3600 * 1000;
    if (!fresh || force) {
      this.log(`== apt-get update (private, ${this.release} ${this.arch})`);
      let out: string;
      try {
        out = this.run(['apt-get', 'update', '-q']);
      } catch (e) {
        throw new AptError(
          'unreachable',
          `Cannot reach the Debian archive: ${(e as Error).message}`,
          {
            cause: e,
          },
        );
      }
      if (/^(W|E): (Failed to fetch|Some index files failed)/m.test(out) || !this.hasLists())
        throw new AptError(
          'unreachable',
          `Cannot reach the Debian archive (${this.archive.uri}): apt-get update fetched no package lists`,
        );
      writeFileSync(stamp, String(Date.now()));
    }
    this.updated = true;
  }

  private hasLists(): boolean {
    const lists = join(this.dir, 'var', 'lib', 'apt', 'lists');
    return existsSync(lists) && readdirSync(lists).some((f) => f.endsWith('_Packages'));
  }

  /** Package names matching `regex` (apt-cache search --names-only). */
  search(regex: string): string[] {
    this.update();
    return this.run(['apt-cache', 'search', '--names-only', regex])
      .split('\n')
      .map((l) => l.split(' - ')[0]!.trim())
      .filter((n) => n !== '' && new RegExp(regex).test(n));
  }

  /** Every version the archive offers of `names`, with its suite. */
  candidates(names: readonly string[]): AptCandidate[] {
    if (names.length === 0) return [];
    this.update();
    return parseMadison(this.run(['apt-cache', 'madison', ...names])).filter((c) =>
      names.includes(c.name),
    );
  }

  /** `apt-get download` into `dest` (`name=version` pins a resolved version); the .deb paths. */
  download(packages: readonly string[], dest: string): string[] {
    this.update();
    mkdirSync(dest, { recursive: true });
    this.log(`== apt-get download ${packages.length} package(s) (${this.release} ${this.arch})`);
    this.run(['apt-get', 'download', '-q', ...packages], dest);
    return readdirSync(dest)
      .filter((f) => f.endsWith('.deb'))
      .map((f) => join(dest, f));
  }
}
