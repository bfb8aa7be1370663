// `vras guest setup` and `vras guest run [SCENARIO…]`: the real arm64 Linux guest harness.

import { cacheRoot, readManifest } from '../guest/cache.js';
import { formatGroup, runGuestSuite, scenarioIdOf } from '../guest/runner.js';
import { SCENARIOS, type ScenarioId } from '../guest/scenarios.js';
import { setupGuest } from '../guest/setup.js';
import { CliError } from './io.js';

const HELP = `usage: vras guest setup [--refresh] [--no-newer] [--no-x86]
       vras guest run [SCENARIO…] [--seed N] [--serial]
       vras guest run --arch x86_64 [SCENARIO…] [--kernel 6.1|6.12]… [--seed N] [--serial]
       vras guest list [--arch x86_64]
       vras guest matrix [--json] [--cell QEMU:KERNEL]… [SCENARIO…]

setup   installs QEMU, UEFI, acpica-tools, cpio and the arm64 cross compiler (apt-get, as
        root), downloads the arm64 kernel and busybox into $VRAS_CACHE (default
        ~/.cache/vras), builds the victim program and the initramfs. Idempotent.
run     boots the guests and runs the scenarios (all, or those named by id or number);
        prints each verdict, boot time and write-to-decode latency. Failed groups keep
        their console log, records and seed under $VRAS_CACHE/failures/.
        --arch x86_64: q35 guests (Debian 6.1 and 6.12 amd64) under TCG with an Intel model
        (KVM only when a short probe shows it boots a guest); prints the accelerator.`;

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    process.stdout.write(`${HELP}\n`);
    return sub === undefined ? 2 : 0;
  }
  if (sub === 'matrix') {
    const { runMatrixCommand } = await import('./guest-matrix.js');
    return runMatrixCommand(rest);
  }
  if (sub === 'list') {
    if (archOf(rest) === 'x86_64') {
      const { X86_SCENARIOS } = await import('../guest/x86-scenarios.js');
      for (const s of X86_SCENARIOS)
        process.stdout.write(`x${s.n}. ${s.id.padEnd(22)} [${s.group}] ${s.title}\n`);
      return 0;
    }
    for (const s of SCENARIOS)
      process.stdout.write(
        `${String(s.n).padStart(2)}. ${s.id.padEnd(16)} [${s.group}] ${s.title}\n`,
      );
    return 0;
  }
  if (sub === 'setup') {
    const refresh = rest.includes('--refresh');
    const unknown = rest.filter((a) => a !== '--refresh' && a !== '--no-newer' && a !== '--no-x86');
    if (unknown.length > 0) throw new CliError(`guest setup: unknown argument ${unknown[0]}`);
    try {
      await setupGuest({ refresh, log: (l) => process.stdout.write(`${l}\n`) });
      // QEMU 11.1 and kernels 6.12/7.3 through a private apt tree (src/guest/newer.ts).
      if (!rest.includes('--no-newer')) {
        const { setupNewer } = await import('../guest/newer.js');
        await setupNewer({ log: (l) => process.stdout.write(`${l}\n`) });
      }
      // x86_64 guests: qemu-system-x86 and the amd64 kernels (src/guest/setup-x86.ts).
      if (!rest.includes('--no-x86')) {
        const { setupX86 } = await import('../guest/setup-x86.js');
        await setupX86({
          refresh,
          noNewer: rest.includes('--no-newer'),
          log: (l) => process.stdout.write(`${l}\n`),
        });
      }
    } catch (e) {
      throw new CliError(`guest setup: ${(e as Error).message}`, 1, { cause: e });
    }
    return 0;
  }
  if (sub === 'run' && archOf(rest) === 'x86_64') return runX86(rest);
  if (sub === 'run') {
    const only: ScenarioId[] = [];
    let seed: number | undefined;
    let concurrency = 2;
    for (let i = 0; i < rest.length; i++) {
      const a = rest[i]!;
      if (a === '--seed') {
        seed = Number(rest[++i]);
        if (!Number.isInteger(seed)) throw new CliError('guest run: --seed needs an integer');
      } else if (a === '--serial') {
        concurrency = 1;
      } else if (a === '--arch') {
        i++; // aarch64 (the default)
      } else {
        const id = scenarioIdOf(a);
        if (id === undefined)
          throw new CliError(`guest run: unknown scenario ${a} (see 'vras guest list')`);
        only.push(id);
      }
    }
    const manifest = readManifest();
    if (manifest === undefined) {
      throw new CliError(
        `guest run: no guest setup in ${cacheRoot()}; run 'bin/vras guest setup' first`,
        2,
      );
    }
    const result = await runGuestSuite({
      manifest,
      concurrency,
      ...(only.length === 0 ? {} : { only }),
      ...(seed === undefined ? {} : { seed }),
      onGroup: (g) => {
        for (const line of formatGroup(g)) process.stdout.write(`${line}\n`);
        process.stdout.write(
          `      group ${g.group}: seed ${g.seed}, ${(g.wallMs / 1000).toFixed(1)} s\n`,
        );
      },
    });
    process.stdout.write(
      `${result.passed} passed, ${result.failed} failed (${(result.wallMs / 1000).toFixed(1)} s)\n`,
    );
    for (const dir of result.artifacts) process.stdout.write(`failure artifacts: ${dir}\n`);
    return result.failed === 0 ? 0 : 1;
  }
  throw new CliError(`guest: unknown subcommand ${sub}\n${HELP}`);
}

function archOf(args: readonly string[]): string {
  const i = args.indexOf('--arch');
  if (i < 0) return 'aarch64';
  const a = args[i + 1];
  if (a === 'x86_64' || a === 'aarch64') return a;
  throw new CliError(`guest: --arch must be aarch64 or x86_64, got ${a ?? 'nothing'}`);
}

/** `vras guest run --arch x86_64 …`. */
async function runX86(rest: readonly string[]): Promise<number> {
  const { readX86Setup } = await import('../guest/setup-x86.js');
  const { formatX86Group, runX86Suite, x86ScenarioIdOf } = await import('../guest/x86-runner.js');
  const only: NonNullable<ReturnType<typeof x86ScenarioIdOf>>[] = [];
  const kernels: string[] = [];
  let seed: number | undefined;
  let concurrency = 2;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === '--arch') i++;
    else if (a === '--seed') {
      seed = Number(rest[++i]);
      if (!Number.isInteger(seed)) throw new CliError('guest run: --seed needs an integer');
    } else if (a === '--kernel') {
      const k = rest[++i];
      if (k === undefined) throw new CliError('guest run: --kernel needs a series (6.1, 6.12)');
      kernels.push(k);
    } else if (a === '--serial') concurrency = 1;
    else {
      const id = x86ScenarioIdOf(a);
      if (id === undefined)
        throw new CliError(
          `guest run: unknown x86 scenario ${a} (see 'vras guest list --arch x86_64')`,
        );
      only.push(id);
    }
  }
  const setup = readX86Setup();
  if (setup === undefined)
    throw new CliError(
      `guest run: no x86_64 guest setup in ${cacheRoot()}; run 'bin/vras guest setup' first`,
      2,
    );
  for (const k of kernels)
    if (!setup.kernels.some((x) => x.series === k))
      throw new CliError(
        `guest run: no x86_64 kernel ${k} in the setup (${setup.kernels.map((x) => x.series).join(', ')})`,
      );
  const result = await runX86Suite({
    setup,
    concurrency,
    ...(kernels.length === 0 ? {} : { kernels }),
    ...(only.length === 0 ? {} : { only }),
    ...(seed === undefined ? {} : { seed }),
    onGroup: (g) => {
      for (const line of formatX86Group(g)) process.stdout.write(`${line}\n`);
      process.stdout.write(
        `      group ${g.group} (${g.kernel}): seed ${g.seed}, ${(g.wallMs / 1000).toFixed(1)} s\n`,
      );
    },
  });
  process.stdout.write(`accelerator: ${result.accel} (${result.probe})\n`);
  process.stdout.write(
    `${result.passed} passed, ${result.failed} failed (${(result.wallMs / 1000).toFixed(1)} s)\n`,
  );
  return result.failed === 0 ? 0 : 1;
}
