// Figures for `npm run bench` (wired by bench/run.ts): on QEMU 11.1 with a real guest, the cost
// of one record on a persistent QMP connection, the wall time of a one-shot `vras inject`
// (QEMU's scripts/ghes_inject.py: about 88 ms, NEWER-QEMU.md), and command-to-guest-line latency.

import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { GuestManifest } from '../guest/cache.js';
import { QEMU_NEWER_NAME } from '../guest/newer.js';
import { InjectGuest } from './guest.js';
import { QmpTarget } from './targets.js';
import { parseTemplate, templateBytes } from './templates.js';
import { validatePayload } from './validate.js';

/** QEMU's scripts/ghes_inject.py per injection (NEWER-QEMU.md, measured). */
export const GHES_INJECT_PY_MS = 88;

export interface InjectBenchFigures {
  readonly qemu: string;
  readonly kernel: string;
  /** Median QMP `inject-ghes-v2-error` round trip on a persistent connection (goal ≤ 1 ms). */
  readonly persistentCommandMs: number;
  /** Median command-to-ack cycle per record on a persistent connection. */
  readonly persistentCycleMs: number;
  readonly persistentRecords: number;
  /** Median wall time of `bin/vras inject memory … --qmp` as a new process (tsx included). */
  readonly oneShotCliMs: number;
  /** Median in-process one-shot: new connection, HEST check, inject, ack, close. */
  readonly oneShotInProcessMs: number;
  /** Median wall time of `node -e 0` on the same machine: the floor under any one-shot CLI. */
  readonly nodeStartupMs: number;
  /** ghes_inject.py's 88 ms over the one-shot CLI time (goal ≥ 2). */
  readonly speedupVsGhesInjectPy: number;
  /** Median host ms from the QMP command to the guest's first `[Hardware Error]` line. */
  readonly commandToLineMs: number;
  /** Host ms to find the HEST by scanning guest RAM (first connection). */
  readonly locateScanMs: number | undefined;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[Math.floor(s.length / 2)]!;
}

const VRAS = fileURLToPath(new URL('../../bin/vras', import.meta.url));

function timeNodeStartup(): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', '0'], (error) => {
      if (error !== null) reject(error);
      else resolve(performance.now() - t0);
    });
  });
}

function runCli(args: string[]): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    // Async: this process must keep draining the guest console (a full pipe stalls QEMU).
    execFile(VRAS, args, { encoding: 'utf8', timeout: 20_000 }, (error, _out, stderr) => {
      if (error !== null) reject(new Error(`vras ${args.join(' ')}: ${stderr || error.message}`));
      else resolve(performance.now() - t0);
    });
  });
}

export async function injectBenchFigures(
  manifest: GuestManifest,
  options: { records?: number; oneShots?: number; kernel?: string } = {},
): Promise<InjectBenchFigures> {
  const n = options.records ?? 50;
  const shots = options.oneShots ?? 5;
  const guest = new InjectGuest({
    manifest,
    label: 'inject-bench',
    ...(options.kernel === undefined ? {} : { kernel: options.kernel }),
  });
  try {
    await guest.start();
    const target = guest.target!;
    const locateScanMs = target.locateMs;
    const record = (i: number, severity = 'corrected') =>
      templateBytes(
        parseTemplate('memory', [
          '--pa',
          `0x${(0x4100_0000 + (i % 256) * 0x1000).toString(16)}`,
          '--severity',
          severity,
        ]),
      );
    // Command to guest line (before the corrected rate limit is used up).
    const lines: number[] = [];
    lines.push((await guest.injectAndCheck(record(0, 'corrected'))).lineMs);
    lines.push((await guest.injectAndCheck(record(1, 'recoverable'))).lineMs);
    // Persistent connection.
    const send: number[] = [];
    const cycle: number[] = [];
    for (let i = 0; i < n; i++) {
      const v = validatePayload(record(i + 2), { context: target.context, limit: target.limit });
      const t = await target.deliver(v.bytes, v.base64, 3000);
      send.push(t.sendMs);
      if (t.ackMs !== undefined) cycle.push(t.ackMs);
    }
    const hint = target.hestAddress;
    guest.release();
    // One-shot, in process.
    const inProc: number[] = [];
    for (let i = 0; i < shots; i++) {
      const t0 = performance.now();
      const t = await QmpTarget.connect(guest.qmpAddress, {
        timeoutMs: 3000,
        ...(hint === undefined ? {} : { hestHint: hint }),
      });
      const v = validatePayload(record(100 + i), { context: t.context, limit: t.limit });
      await t.deliver(v.bytes, v.base64, 3000);
      t.close();
      inProc.push(performance.now() - t0);
    }
    // One-shot CLI (the first run may scan; the rest reuse the remembered HEST address).
    const cli: number[] = [];
    for (let i = 0; i < shots + 1; i++) {
      const ms = await runCli([
        'inject',
        'memory',
        '--pa',
        `0x${(0x4200_0000 + i * 0x1000).toString(16)}`,
        '--severity',
        'corrected',
        '--qmp',
        guest.qmpAddress,
      ]);
      if (i > 0) cli.push(ms);
    }
    const node: number[] = [];
    for (let i = 0; i < shots; i++) node.push(await timeNodeStartup());
    await guest.connect();
    const oneShotCliMs = median(cli);
    return {
      qemu: QEMU_NEWER_NAME,
      kernel: options.kernel ?? '6.1',
      persistentCommandMs: median(send),
      persistentCycleMs: median(cycle),
      persistentRecords: n,
      oneShotCliMs,
      oneShotInProcessMs: median(inProc),
      nodeStartupMs: median(node),
      speedupVsGhesInjectPy: GHES_INJECT_PY_MS / oneShotCliMs,
      commandToLineMs: median(lines),
      locateScanMs,
    };
  } finally {
    await guest.stop();
  }
}

export interface EngineAoFigures {
  readonly qemu: string;
  readonly kernel: string;
  /** Median host ms from `onSigbus` (AO) to the early-kill victim's SIGBUS line. */
  readonly sigbusToVictimMs: number;
  /** Median host ms of the engine step itself (xp refresh, engine, inject-ghes-v2-error). */
  readonly engineStepMs: number;
  readonly runs: number;
}

/** The engine's AO policy through QMP on QEMU 11.1: host SIGBUS → victim SIGBUS latency. */
export async function engineAoFigures(
  manifest: GuestManifest,
  options: { runs?: number; kernel?: string } = {},
): Promise<EngineAoFigures> {
  const { bridgeQmpTarget } = await import('./engine-bridge.js');
  const runs = options.runs ?? 3;
  const guest = new InjectGuest({
    manifest,
    label: 'inject-ao-bench',
    ...(options.kernel === undefined ? {} : { kernel: options.kernel }),
  });
  try {
    await guest.start();
    const bridge = await bridgeQmpTarget(guest.target!);
    const total: number[] = [];
    const step: number[] = [];
    for (let i = 0; i < runs; i++) {
      const from = guest.vm.console.lines.length;
      guest.vm.send('/bin/victim early 60 &');
      const line = await guest.vm.console.waitForText(/^VICTIM: pid=\d+ .*mode=early/, {
        timeoutMs: 5000,
        from,
      });
      const paddr = BigInt(/paddr=(0x[0-9a-f]+)/.exec(line.text)![1]!);
      const t0 = performance.now();
      await bridge.onSigbus({
        code: 5,
        hostAddress: bridge.engine.hostAddressOf(paddr)!,
        addressLsb: 12,
      });
      step.push(performance.now() - t0);
      const sig = await guest.vm.console.waitForText(/^VICTIM: got SIGBUS si_code=5 /, {
        timeoutMs: 5000,
        from,
      });
      total.push(sig.hostMs - t0);
      await bridge.settle(3000);
    }
    return {
      qemu: QEMU_NEWER_NAME,
      kernel: options.kernel ?? '6.1',
      sigbusToVictimMs: median(total),
      engineStepMs: median(step),
      runs,
    };
  } finally {
    await guest.stop();
  }
}
