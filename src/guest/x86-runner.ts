// Runs the x86_64 real-guest scenarios: every kernel of the x86 setup, one boot per group
// (`x86-main`, `x86-fatal`), at most two QEMUs at once (the machine has two cores). The
// accelerator is TCG unless a short probe shows KVM really boots a guest here (the spike's
// /dev/kvm was a nested module that never got past the kernel decompressor); the probe's verdict
// is kept in the cache, keyed by the QEMU version, kernel and host kernel.

import { accessSync, constants, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { cacheRoot } from './cache.js';
import type { X86Setup } from './setup-x86.js';
import { GuestVm } from './vm.js';
import {
  runX86Group,
  X86_SCENARIOS,
  type X86GroupId,
  type X86GroupResult,
  type X86ScenarioId,
  x86Manifest,
} from './x86-scenarios.js';

export interface X86SuiteOptions {
  readonly setup: X86Setup;
  /** Kernel series (default: every kernel of the setup). */
  readonly kernels?: readonly string[];
  readonly only?: readonly X86ScenarioId[];
  readonly concurrency?: number;
  readonly seed?: number;
  /** Force an accelerator instead of probing (tests of the probe itself). */
  readonly accel?: 'tcg' | 'kvm';
  readonly onGroup?: (result: X86GroupResult) => void;
}

export interface X86SuiteResult {
  readonly accel: 'tcg' | 'kvm';
  readonly probe: string;
  readonly groups: readonly X86GroupResult[];
  readonly wallMs: number;
  readonly passed: number;
  readonly failed: number;
}

export function x86ScenarioIdOf(name: string): X86ScenarioId | undefined {
  return X86_SCENARIOS.find((s) => s.id === name || `x${s.n}` === name)?.id;
}

interface ProbeVerdict {
  readonly key: string;
  readonly kvm: boolean;
  readonly detail: string;
}

/**
 * Whether KVM boots an x86 guest on this host: /dev/kvm must be usable and a guest must reach
 * the init's READY line within `timeoutMs` under `-accel kvm`. Kept per QEMU/kernel/host.
 */
export async function probeKvm(
  setup: X86Setup,
  options: { readonly timeoutMs?: number; readonly root?: string } = {},
): Promise<ProbeVerdict> {
  const kernel = setup.kernels[0];
  const key = `${setup.qemuVersion}|${kernel?.release}|${release()}`;
  const path = join(options.root ?? cacheRoot(), 'kvm-probe.json');
  if (existsSync(path)) {
    try {
      const v = JSON.parse(readFileSync(path, 'utf8')) as ProbeVerdict;
      if (v.key === key) return v;
    } catch {
      // A damaged verdict is probed again.
    }
  }
  let verdict: ProbeVerdict;
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch {
    verdict = { key, kvm: false, detail: 'no usable /dev/kvm' };
    writeFileSync(path, `${JSON.stringify(verdict)}\n`);
    return verdict;
  }
  const timeoutMs = options.timeoutMs ?? 30_000;
  const vm = new GuestVm({
    manifest: x86Manifest(setup),
    label: 'kvm-probe',
    kernel: kernel?.series ?? '6.1',
    x86: { setup, accel: 'kvm' },
    bootTimeoutMs: timeoutMs,
    runTimeoutMs: timeoutMs + 10_000,
  });
  try {
    const ms = await vm.start();
    verdict = {
      key,
      kvm: true,
      detail: `KVM booted a guest to READY in ${(ms / 1000).toFixed(1)} s`,
    };
  } catch (e) {
    verdict = {
      key,
      kvm: false,
      detail: `KVM did not boot a guest within ${timeoutMs / 1000} s: ${(e as Error).message.split('\n')[0]}`,
    };
  } finally {
    await vm.stop();
  }
  writeFileSync(path, `${JSON.stringify(verdict)}\n`);
  return verdict;
}

export async function runX86Suite(options: X86SuiteOptions): Promise<X86SuiteResult> {
  const started = performance.now();
  let accel = options.accel;
  let probe = accel === undefined ? '' : `forced ${accel}`;
  if (accel === undefined) {
    const v = await probeKvm(options.setup);
    accel = v.kvm ? 'kvm' : 'tcg';
    probe = v.detail;
  }
  const kernels = options.kernels ?? options.setup.kernels.map((k) => k.series);
  const groupIds: X86GroupId[] = ['x86-main', 'x86-fatal'];
  const queue: { group: X86GroupId; kernel: string }[] = [];
  for (const kernel of kernels)
    for (const group of groupIds)
      if (X86_SCENARIOS.some((s) => s.group === group && (options.only?.includes(s.id) ?? true)))
        queue.push({ group, kernel });
  const groups: X86GroupResult[] = [];
  const chosen = accel;
  const worker = async (): Promise<void> => {
    for (;;) {
      const job = queue.shift();
      if (job === undefined) return;
      const r = await runX86Group(job.group, {
        setup: options.setup,
        kernel: job.kernel,
        accel: chosen,
        ...(options.only === undefined ? {} : { only: options.only }),
        ...(options.seed === undefined ? {} : { seed: options.seed }),
      });
      groups.push(r);
      options.onGroup?.(r);
    }
  };
  const n = Math.max(1, Math.min(2, options.concurrency ?? 2));
  await Promise.all(Array.from({ length: n }, worker));
  const all = groups.flatMap((g) => g.scenarios);
  return {
    accel,
    probe,
    groups,
    wallMs: performance.now() - started,
    passed: all.filter((s) => s.ok).length,
    failed: all.filter((s) => !s.ok).length,
  };
}

/** One line per scenario: verdict, kernel, accelerator, boot time and latency. */
export function formatX86Group(r: X86GroupResult): string[] {
  const boot = r.bootMs === undefined ? 'n/a' : `${(r.bootMs / 1000).toFixed(2)} s`;
  const lines: string[] = [];
  for (const s of r.scenarios) {
    const meta = X86_SCENARIOS.find((x) => x.id === s.id)!;
    const lat =
      s.latenciesMs.length === 0
        ? 'n/a'
        : `${s.latenciesMs.map((ms) => ms.toFixed(1)).join('/')} ms`;
    lines.push(
      `${s.ok ? 'PASS' : 'FAIL'}  x${meta.n}. ${s.id.padEnd(22)} ${r.kernel.padEnd(5)} ${r.accel} boot ${boot}  ${lat}`,
    );
    if (!s.ok) lines.push(`      ${s.error?.split('\n').join('\n      ')}`);
  }
  return lines;
}
