// Where the real-guest harness keeps what it downloads and builds: a cache directory outside
// the repository ($VRAS_CACHE, default ~/.cache/vras). Nothing in it is ever committed.
//
// Layout (every entry is rebuilt by `vras guest setup` when missing):
//   debs/                          .deb files fetched with `apt-get download`
//   kernel-<version>/              a kernel package unpacked with `dpkg-deb -x`
//   busybox/bin/busybox            busybox-static:arm64, unpacked
//   victim-<hash>                  the victim program, cross-compiled from src/guest/victim.c
//   initrd-<hash>.cpio.gz          busybox + init + victim, newc, gzip
//   setup.json                     the manifest below, written last
//   failures/<run>/                console log, records and seed of every failed scenario

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.VRAS_CACHE;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return join(homedir(), '.cache', 'vras');
}

/** One guest kernel the harness can boot. `series` names it (`6.1`, later `6.12`, `7.3`). */
export interface KernelImage {
  readonly series: string;
  /** Kernel release, e.g. `6.1.0-56-arm64`. */
  readonly release: string;
  /** Uncompressed arm64 Image (Debian's `boot/vmlinuz-*`). */
  readonly image: string;
  /** The Debian package it came from, resolved at set-up time (absent in older manifests). */
  readonly package?: string;
  /** That package's Debian version (`6.1.158-1`). */
  readonly version?: string;
  /** The suite it was taken from (`bookworm-security`, `trixie-backports`…). */
  readonly suite?: string;
}

/** One QEMU the harness can start. Debian 12's is `system`; later a private 11.1 tree. */
export interface QemuInstall {
  readonly name: string;
  /** Program to execute (the binary, or the dynamic loader of a private tree). */
  readonly command: string;
  /** Arguments placed before QEMU's own (loader arguments and the binary of a private tree). */
  readonly prefixArgs: readonly string[];
  /** Extra environment (QEMU_MODULE_DIR for a private tree). */
  readonly env: Readonly<Record<string, string>>;
  /** `-L` data directory, when not the system one. */
  readonly dataDir: string | undefined;
  /** Debian version of a QEMU resolved at set-up time (`1:11.1.3+ds-2~bpo13+1`). */
  readonly version?: string;
}

/** What `vras guest setup` produced; read by every run. */
export interface GuestManifest {
  readonly schema: 'vras-guest/v1';
  readonly kernels: readonly KernelImage[];
  readonly busybox: string;
  readonly victim: string;
  /** Base initramfs (gzip newc): busybox, /init, /bin/victim. */
  readonly initrd: string;
  /** UEFI firmware for `-bios`. */
  readonly firmware: string;
  readonly qemu: readonly QemuInstall[];
}

export function manifestPath(root = cacheRoot()): string {
  return join(root, 'setup.json');
}

export function readManifest(root = cacheRoot()): GuestManifest | undefined {
  const path = manifestPath(root);
  if (!existsSync(path)) return undefined;
  let value: GuestManifest;
  try {
    value = JSON.parse(readFileSync(path, 'utf8')) as GuestManifest;
  } catch {
    // A truncated or hand-edited manifest: the setup is incomplete, `vras guest setup` rewrites it.
    return undefined;
  }
  if (value === null || typeof value !== 'object' || value.schema !== 'vras-guest/v1')
    return undefined;
  if (!Array.isArray(value.kernels) || !Array.isArray(value.qemu)) return undefined;
  const files = [value.busybox, value.victim, value.initrd, value.firmware];
  for (const k of value.kernels) files.push(k.image);
  return files.every((f) => existsSync(f)) ? value : undefined;
}

export function writeManifest(manifest: GuestManifest, root = cacheRoot()): void {
  mkdirSync(root, { recursive: true });
  writeFileSync(manifestPath(root), `${JSON.stringify(manifest, null, 2)}\n`);
}

/** Thrown when the guest prerequisites are not in the cache; says how to get them. */
export class GuestSetupMissing extends Error {
  readonly code = 'setup-missing';
  constructor(root: string) {
    super(
      `Cannot run a real guest: no complete setup in ${root}. Run 'bin/vras guest setup' (needs root or sudo for apt-get; set VRAS_CACHE to use another cache directory).`,
    );
    this.name = 'GuestSetupMissing';
  }
}

export function requireManifest(root = cacheRoot()): GuestManifest {
  const manifest = readManifest(root);
  if (manifest === undefined) throw new GuestSetupMissing(root);
  return manifest;
}
