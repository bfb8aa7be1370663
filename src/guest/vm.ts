// Starts one arm64 `virt` guest under QEMU (TCG, UEFI, `-cpu cortex-a57`), captures its serial
// console as it arrives, controls it over QMP, and always cleans up: the QEMU process it
// started (by pid) and the /dev/shm files, whatever happened, including when this Node process
// exits. Facts: shared/reference/real-guest/RECIPE.md, qemu-vmm.md §18.

import { type ChildProcess, spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  ftruncateSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GuestManifest, KernelImage, QemuInstall } from './cache.js';
import { Console } from './console.js';
import { buildAcpiTableCpio } from './cpio.js';
import { GuestError } from './errors.js';
import { DONE_MARK, READY_MARK } from './init-script.js';
import { QmpClient } from './qmp.js';
import type { X86Setup } from './setup-x86.js';

/** Guest physical address of the first cold-plugged pc-dimm with `-m 1024` (RECIPE.md). */
export const DIMM_GPA = 0x8000_0000;
/** Guest RAM base on arm `virt`. */
export const RAM_GPA = 0x4000_0000;

export type AcpiTables = readonly { readonly name: string; readonly data: Uint8Array }[];

/** An x86_64 guest: q35, the x86 setup's kernel and initramfs, shared RAM (file offset = GPA). */
export interface X86VmChoice {
  readonly setup: X86Setup;
  /** `tcg` (default) or `kvm` (only after a probe showed KVM boots a guest). */
  readonly accel?: 'tcg' | 'kvm';
  /** An Intel model: Linux's SRAR recovery needs it (the spike's AMD `-cpu max` panicked). */
  readonly cpu?: string;
}

/** The x86 guests' CPU model (shared/reference/x86-guest/README.md). */
export const X86_CPU_MODEL = 'Skylake-Client-v1';

export interface VmOptions {
  readonly manifest: GuestManifest;
  /** Name in logs and error messages, e.g. `main` or `fatal`. */
  readonly label: string;
  /** Kernel series (default '6.1'). */
  readonly kernel?: string;
  /** QEMU install name (default 'system'). */
  readonly qemu?: string;
  /** `-M virt,ras=on`: QEMU builds its own HEST and `etc/hardware_errors`. */
  readonly ras?: boolean;
  /**
   * ACPI tables given to the kernel through the initrd table upgrade (`hest.aml`, …). A function
   * is called after `onBeforeBoot`, so the tables can be read back from what the firmware model
   * wrote into the shared pc-dimm.
   */
  readonly acpiTables?: AcpiTables | (() => AcpiTables);
  /** Size of a cold-plugged pc-dimm backed by a shared /dev/shm file (GPA DIMM_GPA). */
  readonly dimmBytes?: number;
  /** Back guest RAM with a shared /dev/shm file (for finding QEMU's own blob). */
  readonly ramFile?: boolean;
  readonly memoryMiB?: number;
  /** Extra kernel command line. */
  readonly append?: string;
  /** Replaces the initrd (robustness tests). */
  readonly initrd?: string;
  /** Hard limit of the whole run: QEMU is killed when it runs out. */
  readonly runTimeoutMs?: number;
  /**
   * Boot an x86_64 q35 guest instead of arm64 `virt`: RAM is always a shared file created
   * before QEMU starts (`ramPath`, file offset = GPA below 1 GiB), ACPI tables go to
   * `-acpitable`, `memoryMiB` must be at most 1024 so all RAM sits below 4 GiB.
   */
  readonly x86?: X86VmChoice;
  /** Limit for the guest to print READY. */
  readonly bootTimeoutMs?: number;
}

/**
 * Ties QEMU's life to this process: `setpriv --pdeathsig KILL` (util-linux) sets
 * PR_SET_PDEATHSIG and execs QEMU, so QEMU keeps its pid and the kernel kills it when the
 * harness dies without running its exit hooks (SIGKILL, OOM, a cancelled CI job).
 */
const SETPRIV = '/usr/bin/setpriv';

/** Where GuestVm puts its shared-memory files: `vras-<harness pid>-<n>-<label>-{dimm,ram}`. */
const SHM_DIR = '/dev/shm';
const SHM_FILE = /^vras-(\d+)-\d+-.*-(?:dimm|ram)$/;
/** Work directories (QMP socket, initrd with tables): `vras-guest-<harness pid>-<label>-XXXXXX`. */
const WORK_DIR = /^vras-guest-(\d+)-/;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the pid exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the shared-memory files and work directories of harness processes that no longer
 * exist (a harness killed by SIGKILL cannot clean up after itself; its QEMU died with it).
 * Files of live processes are never touched. Returns the paths removed.
 */
export function sweepStaleGuestFiles(
  dirs: { readonly shm?: string; readonly tmp?: string } = {},
): string[] {
  const removed: string[] = [];
  const sweep = (dir: string, pattern: RegExp): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const m = pattern.exec(name);
      if (m === null) continue;
      const pid = Number(m[1]);
      if (pid === process.pid || processAlive(pid)) continue;
      try {
        rmSync(join(dir, name), { recursive: true, force: true });
        removed.push(join(dir, name));
      } catch {
        // Another harness may be sweeping the same file.
      }
    }
  };
  sweep(dirs.shm ?? SHM_DIR, SHM_FILE);
  sweep(dirs.tmp ?? tmpdir(), WORK_DIR);
  return removed;
}

/** Every VM still running in this process; killed and cleaned on exit. */
const live = new Set<GuestVm>();
let hooksInstalled = false;
let serial = 0;

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', () => {
    for (const vm of live) vm.killNow();
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      for (const vm of live) vm.killNow();
      process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1));
    });
  }
}

/** Number of guests this process has running (tests assert it returns to 0). */
export function liveGuestCount(): number {
  return live.size;
}

export class GuestVm {
  readonly console: Console;
  readonly label: string;
  readonly dimmPath: string | undefined;
  readonly ramPath: string | undefined;
  readonly qmpPath: string;
  qmp: QmpClient | undefined;
  /** Host ms from spawn to READY. */
  bootMs: number | undefined;
  /** Guest uptime (s) at READY. */
  guestBootS: number | undefined;
  private child: ChildProcess | undefined;
  private readonly workDir: string;
  private exitPromise: Promise<void> | undefined;
  private runTimer: NodeJS.Timeout | undefined;
  private nextCommand = 1;
  private stderr = '';
  private startMs = 0;
  private readonly files: string[] = [];
  private dimmFd: number | undefined;
  /** Runs after the shared files exist and before QEMU starts (e.g. to place a blob). */
  onBeforeBoot: (() => void) | undefined;
  exitCode: number | null | undefined;
  exitSignal: NodeJS.Signals | null | undefined;

  constructor(private readonly options: VmOptions) {
    this.label = options.label;
    this.console = new Console(options.label);
    const n = serial++;
    this.workDir = mkdtempSync(join(tmpdir(), `vras-guest-${process.pid}-${options.label}-`));
    this.qmpPath = join(this.workDir, 'qmp.sock');
    const shmBase = `${SHM_DIR}/vras-${process.pid}-${n}-${options.label}`;
    this.dimmPath = options.dimmBytes === undefined ? undefined : `${shmBase}-dimm`;
    this.ramPath =
      options.ramFile === true || options.x86 !== undefined ? `${shmBase}-ram` : undefined;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.exitCode === undefined;
  }

  private kernelImage(): KernelImage {
    const series = this.options.kernel ?? '6.1';
    const kernels = this.options.x86?.setup.kernels ?? this.options.manifest.kernels;
    const k = kernels.find((x) => x.series === series);
    if (k === undefined)
      throw new GuestError(
        'setup-missing',
        `No kernel ${series} in the guest setup; run 'bin/vras guest setup'`,
      );
    return k;
  }

  private qemuInstall(): QemuInstall {
    const x86 = this.options.x86;
    if (x86 !== undefined)
      return { name: 'x86', command: x86.setup.qemu, prefixArgs: [], env: {}, dataDir: undefined };
    const name = this.options.qemu ?? 'system';
    const q = this.options.manifest.qemu.find((x) => x.name === name);
    if (q === undefined)
      throw new GuestError(
        'setup-missing',
        `No QEMU '${name}' in the guest setup; run 'bin/vras guest setup'`,
      );
    return q;
  }

  /** The full QEMU argument list (after the install's prefix arguments). */
  qemuArgs(initrd: string, acpiFiles: readonly string[] = []): string[] {
    const o = this.options;
    const mem = o.memoryMiB ?? 1024;
    if (o.x86 !== undefined) return this.x86Args(o.x86, initrd, acpiFiles, mem);
    const args = [
      '-M',
      `virt,ras=${o.ras === true ? 'on' : 'off'}`,
      '-cpu',
      'cortex-a57',
      '-smp',
      '1',
      '-m',
      o.dimmBytes === undefined ? `${mem}` : `${mem},slots=2,maxmem=${mem * 2}M`,
      '-nodefaults',
      '-no-user-config',
      '-display',
      'none',
      '-no-reboot',
      '-bios',
      o.manifest.firmware,
      '-kernel',
      this.kernelImage().image,
      '-initrd',
      initrd,
      '-append',
      `console=ttyAMA0 acpi=force panic=-1 ${o.append ?? ''}`.trim(),
      '-chardev',
      'stdio,id=con,signal=off',
      '-serial',
      'chardev:con',
      '-qmp',
      `unix:${this.qmpPath},server=on,wait=off`,
    ];
    if (this.ramPath !== undefined) {
      args.push(
        '-object',
        `memory-backend-file,id=mem,size=${mem}M,mem-path=${this.ramPath},share=on`,
        '-machine',
        'memory-backend=mem',
      );
    }
    if (this.dimmPath !== undefined) {
      args.push(
        '-object',
        `memory-backend-file,id=dimm0,size=${o.dimmBytes},mem-path=${this.dimmPath},share=on`,
        '-device',
        'pc-dimm,id=dimm0dev,memdev=dimm0',
      );
    }
    const q = this.qemuInstall();
    if (q.dataDir !== undefined) args.push('-L', q.dataDir);
    return args;
  }

  private x86Args(
    x86: X86VmChoice,
    initrd: string,
    acpiFiles: readonly string[],
    mem: number,
  ): string[] {
    const o = this.options;
    if (mem > 1024)
      throw new GuestError('mismatch', `${this.label}: an x86 guest has at most 1024 MiB here`);
    const args = [
      '-M',
      'q35,memory-backend=ram',
      '-accel',
      x86.accel ?? 'tcg',
      '-cpu',
      x86.cpu ?? X86_CPU_MODEL,
      '-smp',
      '1',
      '-m',
      `${mem}`,
      '-object',
      `memory-backend-file,id=ram,size=${mem}M,mem-path=${this.ramPath},share=on`,
      '-nodefaults',
      '-no-user-config',
      '-display',
      'none',
      '-no-reboot',
      '-kernel',
      this.kernelImage().image,
      '-initrd',
      initrd,
      '-append',
      `console=ttyS0 panic=-1 nokaslr ${o.append ?? ''}`.trim(),
      '-chardev',
      'stdio,id=con,signal=off',
      '-serial',
      'chardev:con',
      '-qmp',
      `unix:${this.qmpPath},server=on,wait=off`,
    ];
    for (const f of acpiFiles) args.push('-acpitable', `file=${f}`);
    return args;
  }

  /** Spawns QEMU and waits until the guest's init accepts commands. Resolves with boot ms. */
  async start(): Promise<number> {
    installExitHooks();
    live.add(this);
    try {
      sweepStaleGuestFiles();
      if (this.dimmPath !== undefined) {
        // Create the backing file ourselves (zeroed) so it exists before QEMU maps it.
        const fd = openSync(this.dimmPath, 'w+', 0o600);
        ftruncateSync(fd, this.options.dimmBytes!);
        closeSync(fd);
        this.files.push(this.dimmPath);
      }
      if (this.ramPath !== undefined) this.files.push(this.ramPath);
      if (this.options.x86 !== undefined) {
        // The engine writes its blob into guest RAM before QEMU maps the file.
        const fd = openSync(this.ramPath!, 'w+', 0o600);
        ftruncateSync(fd, (this.options.memoryMiB ?? 1024) * 1024 * 1024);
        closeSync(fd);
      }
      this.onBeforeBoot?.();
      let initrd =
        this.options.initrd ?? this.options.x86?.setup.initrd ?? this.options.manifest.initrd;
      const acpi = this.options.acpiTables;
      const acpiTables = typeof acpi === 'function' ? acpi() : acpi;
      const acpiFiles: string[] = [];
      if (this.options.x86 !== undefined) {
        for (const t of acpiTables ?? []) {
          const file = join(this.workDir, t.name.replace(/[^A-Za-z0-9_.-]/g, '_'));
          writeFileSync(file, t.data);
          acpiFiles.push(file);
        }
      } else if (acpiTables !== undefined && acpiTables.length > 0) {
        const tables = buildAcpiTableCpio(acpiTables);
        const combined = join(this.workDir, 'initrd-with-tables');
        const base = readFileSync(initrd);
        const out = new Uint8Array(tables.length + base.length);
        out.set(tables, 0);
        out.set(base, tables.length);
        writeFileSync(combined, out);
        initrd = combined;
      }
      const q = this.qemuInstall();
      let command = q.command;
      let args = [...q.prefixArgs, ...this.qemuArgs(initrd, acpiFiles)];
      if (existsSync(SETPRIV)) {
        args = ['--pdeathsig', 'KILL', '--', command, ...args];
        command = SETPRIV;
      }
      this.startMs = performance.now();
      const child = spawn(command, args, {
        stdio: ['pipe', 'pipe', 'pipe'],
        env: { ...process.env, ...q.env },
      });
      this.child = child;
      child.stdout!.setEncoding('latin1');
      child.stdout!.on('data', (c: string) => this.console.push(c));
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (c: string) => {
        this.stderr = (this.stderr + c).slice(-4000);
      });
      child.stdin!.on('error', () => {});
      this.exitPromise = new Promise((resolve) => {
        let done = false;
        const finish = (
          code: number | null,
          signal: NodeJS.Signals | null,
          spawnError?: Error,
        ): void => {
          if (done) return;
          done = true;
          this.exitCode = code;
          this.exitSignal = signal;
          if (this.runTimer !== undefined) clearTimeout(this.runTimer);
          const how =
            spawnError !== undefined
              ? `could not be started (${spawnError.message})`
              : signal !== null
                ? `was killed by ${signal}`
                : `exited with code ${code}`;
          const tail =
            this.stderr.trim() === ''
              ? ''
              : `: ${this.stderr.trim().split('\n').slice(-3).join(' | ')}`;
          this.console.end(new GuestError('qemu-exited', `${this.label}: QEMU ${how}${tail}`));
          this.qmp?.close();
          this.cleanupFiles();
          live.delete(this);
          resolve();
        };
        child.once('exit', (code, signal) => finish(code, signal));
        child.once('error', (e) => finish(null, null, e));
      });
      if (this.options.runTimeoutMs !== undefined) {
        this.runTimer = setTimeout(() => {
          this.console.end(
            new GuestError(
              'timeout',
              `${this.label}: the run exceeded its ${this.options.runTimeoutMs} ms limit; QEMU killed`,
            ),
          );
          this.killNow();
        }, this.options.runTimeoutMs);
      }
      const ready = await this.console.waitForText(READY_MARK, {
        timeoutMs: this.options.bootTimeoutMs ?? 30_000,
        what: 'VRAS:READY from the guest init',
      });
      this.bootMs = performance.now() - this.startMs;
      const up = /uptime=([\d.]+)/.exec(ready.text);
      this.guestBootS = up === null ? undefined : Number(up[1]);
      this.qmp = await QmpClient.connect(
        { kind: 'unix', path: this.qmpPath },
        { timeoutMs: 5000, retry: true },
      );
      return this.bootMs;
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  /** Sends a shell command to the guest init without waiting (the command may run in background with `&`). */
  send(command: string): number {
    if (!this.running)
      throw new GuestError(
        'qemu-exited',
        `${this.label}: cannot send a command, QEMU is not running`,
      );
    if (command.includes('\n'))
      throw new GuestError('mismatch', 'Cannot send a guest command containing a newline');
    const id = this.nextCommand++;
    this.child!.stdin!.write(`@${id} ${command}\n`);
    return id;
  }

  /** Runs a shell command in the guest and waits for it to finish; resolves with its exit status. */
  async run(command: string, timeoutMs = 10_000): Promise<number> {
    const from = this.console.lines.length;
    const id = this.send(command);
    const done = await this.console.waitFor((l) => l.text.startsWith(`${DONE_MARK} ${id} `), {
      timeoutMs,
      from,
      what: `the end of guest command '${command}'`,
    });
    return Number(done.text.split(' ')[2]);
  }

  /** Host ms since QEMU was spawned. */
  elapsedMs(): number {
    return performance.now() - this.startMs;
  }

  // ---- the shared pc-dimm region (file offset = GPA − DIMM_GPA) ----

  private dimm(): number {
    if (this.dimmPath === undefined)
      throw new GuestError('mismatch', `${this.label}: this guest has no shared pc-dimm`);
    if (this.dimmFd === undefined) this.dimmFd = openSync(this.dimmPath, 'r+');
    return this.dimmFd;
  }

  readDimm(offset: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    readSync(this.dimm(), out, 0, length, offset);
    return out;
  }

  writeDimm(offset: number, bytes: Uint8Array): void {
    writeSync(this.dimm(), bytes, 0, bytes.length, offset);
  }

  /** The shared RAM file's path (x86 guests and `ramFile`), or an error naming the guest. */
  ramFilePath(): string {
    if (this.ramPath === undefined)
      throw new GuestError('mismatch', `${this.label}: this guest has no shared RAM file`);
    return this.ramPath;
  }

  /** Asks QEMU to quit (QMP), then kills it by pid if it lingers; removes every file. Idempotent. */
  async stop(graceMs = 2000): Promise<void> {
    if (this.child === undefined) {
      this.cleanupFiles();
      live.delete(this);
      return;
    }
    if (this.running) {
      try {
        await this.qmp?.execute('quit', undefined, { timeoutMs: 500 });
      } catch {
        // QEMU may already be going away; the kill below covers it.
      }
      const timer = setTimeout(() => this.killNow(), this.qmp === undefined ? 0 : graceMs);
      await this.exitPromise;
      clearTimeout(timer);
    }
    await this.exitPromise;
    this.cleanupFiles();
  }

  /** Kills QEMU by pid at once (synchronous; safe in exit handlers). */
  killNow(): void {
    if (this.child?.pid !== undefined && this.exitCode === undefined) {
      try {
        process.kill(this.child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    this.cleanupFiles();
  }

  private cleanupFiles(): void {
    if (this.dimmFd !== undefined) {
      try {
        closeSync(this.dimmFd);
      } catch {}
      this.dimmFd = undefined;
    }
    for (const f of this.files) {
      try {
        if (existsSync(f)) unlinkSync(f);
      } catch {}
    }
    rmSync(this.workDir, { recursive: true, force: true });
  }

  /** QEMU's recent stderr, for failure logs. */
  stderrTail(): string {
    return this.stderr;
  }
}
