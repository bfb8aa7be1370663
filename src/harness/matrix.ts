// src/harness: what drives both the real-guest harness (src/guest) and the injection tools
// (src/inject) sits here, above both, so that guest/ never imports inject/ (inject/ uses
// guest/'s QEMU, console and QMP): guest ← inject ← harness ← cli.
//
// The QEMU × kernel conformance matrix: the real-guest scenarios (scenarios.ts) on every cell of
// {QEMU 7.2 (Debian 12's), QEMU 11.1 (newer.ts)} × {Linux 6.1, 6.12, 7.3}, plus the QMP
// injection scenario on QEMUs that have `inject-ghes-v2-error`. A scenario a cell cannot run
// says why instead of passing. Each group boots the cell's QEMU and kernel, and every expected
// line comes from the codec for that kernel (runGroup's `kernel`).

import { KERNEL_VERSIONS } from '../codec/index.js';
import type { GuestManifest } from '../guest/cache.js';
import { QEMU_NEWER_NAME } from '../guest/newer.js';
import { groupsFor } from '../guest/runner.js';
import {
  codecKernel,
  type GroupResult,
  runGroup,
  SCENARIOS,
  type ScenarioId,
} from '../guest/scenarios.js';
import { readX86Setup } from '../guest/setup-x86.js';
import { runX86Group, X86_SCENARIOS, type X86GroupId } from '../guest/x86-scenarios.js';
import { InjectGuest } from '../inject/guest.js';
import { parseTemplate, templateBytes } from '../inject/templates.js';

export const MATRIX_QEMUS = ['system', QEMU_NEWER_NAME] as const;
export const MATRIX_KERNELS = ['6.1', '6.12', '7.3'] as const;
/** The scenario that injects over QMP (QEMU ≥ 10.2 only). */
export const QMP_INJECT_SCENARIO = 'qmp-inject';

export interface MatrixScenario {
  readonly name: string;
  readonly pass: boolean;
  /** Why the scenario failed, or why the cell cannot run it. */
  readonly why?: string;
  /** True when the cell cannot run the scenario (not a failure of the guest). */
  readonly notApplicable?: boolean;
}

export interface MatrixCell {
  /** QEMU version as QEMU reports it (`7.2.x`, `11.1.x`), or the install name. */
  readonly qemu: string;
  readonly kernel: string;
  readonly scenarios: readonly MatrixScenario[];
  readonly wallMs: number;
}

export interface MatrixResult {
  readonly cells: readonly MatrixCell[];
  readonly wallMs: number;
}

export interface CellSpec {
  /** Install name in the manifest (`system`, `11.1`); `x86_64` for an x86 cell. */
  readonly qemu: string;
  readonly kernel: string;
  /** `x86_64`: the x86 scenarios on Debian's qemu-system-x86_64 (setup-x86.ts). */
  readonly arch?: 'x86_64';
}

/** The x86_64 cells: Debian 12's qemu-system-x86_64 × the amd64 kernels 6.1 and 6.12. */
export function x86Cells(): CellSpec[] {
  return ['6.1', '6.12'].map((kernel) => ({ qemu: 'x86_64', kernel, arch: 'x86_64' as const }));
}

export interface MatrixOptions {
  readonly manifest: GuestManifest;
  readonly cells?: readonly CellSpec[];
  readonly only?: readonly ScenarioId[];
  readonly seed?: number;
  /** Called when a cell is done. */
  readonly onCell?: (cell: MatrixCell) => void;
}

export function allCells(): CellSpec[] {
  return MATRIX_QEMUS.flatMap((qemu) => MATRIX_KERNELS.map((kernel) => ({ qemu, kernel })));
}

/** Parses `QEMU:KERNEL` (e.g. `11.1:7.3`, `system:6.1`, `7.2:6.1`). */
export function parseCell(text: string): CellSpec {
  const m = /^([^:]+):([^:]+)$/.exec(text);
  if (m === null) throw new Error(`Cannot use cell ${JSON.stringify(text)}: expected QEMU:KERNEL`);
  if (m[1] === 'x86_64') return { qemu: 'x86_64', kernel: m[2]!, arch: 'x86_64' };
  // QEMU 7.2 is Debian 12's ('system'); any other version names the newer one the set-up resolved.
  const qemu = m[1] === '7.2' || m[1] === 'system' ? 'system' : QEMU_NEWER_NAME;
  return { qemu, kernel: m[2]! };
}

/** Why the guest setup cannot run `cell`, or undefined when it can. */
export function cellMissing(manifest: GuestManifest, cell: CellSpec): string | undefined {
  const q = manifest.qemu.find((x) => x.name === cell.qemu);
  if (q === undefined)
    return `QEMU ${cell.qemu} is not in the guest setup (run 'bin/vras guest setup')`;
  const k = manifest.kernels.find((x) => x.series === cell.kernel);
  if (k === undefined)
    return `kernel ${cell.kernel} is not in the guest setup (run 'bin/vras guest setup')`;
  try {
    codecKernel(cell.kernel);
  } catch {
    return `the codec has no model of kernel ${cell.kernel} (${KERNEL_VERSIONS.join(', ')})`;
  }
  return undefined;
}

/** The QEMU a cell names: `7.2` (Debian 12's), or the newer one's upstream version as the
 *  set-up resolved it (`1:11.1.3+ds-2~bpo13+1` → `11.1.3`). */
function qemuLabel(cell: CellSpec, manifest: GuestManifest): string {
  if (cell.qemu === 'system') return '7.2';
  const version = manifest.qemu.find((q) => q.name === cell.qemu)?.version;
  const upstream =
    version === undefined ? undefined : /^(?:\d+:)?(\d+(?:\.\d+)*)/.exec(version)?.[1];
  return upstream ?? cell.qemu;
}

/** The QMP injection scenario: a memory and an ARM record, printed as the codec says. */
async function qmpInjectScenario(manifest: GuestManifest, cell: CellSpec): Promise<MatrixScenario> {
  if (cell.qemu === 'system')
    return {
      name: QMP_INJECT_SCENARIO,
      pass: false,
      notApplicable: true,
      why: 'QEMU 7.2 has no inject-ghes-v2-error (QEMU >= 10.2 only)',
    };
  const guest = new InjectGuest({
    manifest,
    qemu: cell.qemu,
    kernel: cell.kernel,
    label: `matrix-${cell.qemu}-${cell.kernel}`,
    runTimeoutMs: 60_000,
  });
  try {
    await guest.start();
    await guest.injectAndCheck(
      templateBytes(parseTemplate('memory', ['--pa', '0x41000000', '--severity', 'corrected'])),
    );
    await guest.injectAndCheck(
      templateBytes(parseTemplate('arm', ['-t', 'cache', '-t', 'bus', '--mpidr', '0x80000000'])),
    );
    return { name: QMP_INJECT_SCENARIO, pass: true };
  } catch (e) {
    return { name: QMP_INJECT_SCENARIO, pass: false, why: (e as Error).message };
  } finally {
    await guest.stop();
  }
}

function fromGroups(groups: readonly GroupResult[]): MatrixScenario[] {
  const out: MatrixScenario[] = [];
  for (const id of SCENARIOS.map((s) => s.id)) {
    for (const g of groups) {
      const s = g.scenarios.find((x) => x.id === id);
      if (s === undefined) continue;
      out.push(
        s.ok ? { name: id, pass: true } : { name: id, pass: false, why: s.error ?? 'failed' },
      );
    }
  }
  return out;
}

/** An x86_64 cell: both x86 groups (two QEMUs at once) on the cell's amd64 kernel. */
async function runX86Cell(options: MatrixOptions, cell: CellSpec): Promise<MatrixCell> {
  const started = performance.now();
  const wanted = X86_SCENARIOS.filter(
    (s) => options.only === undefined || (options.only as readonly string[]).includes(s.id),
  );
  const setup = readX86Setup();
  const missing =
    setup === undefined
      ? "the x86_64 guests are not set up (run 'bin/vras guest setup')"
      : setup.kernels.some((k) => k.series === cell.kernel)
        ? undefined
        : `kernel ${cell.kernel} is not in the x86_64 setup`;
  if (setup === undefined || missing !== undefined)
    return {
      qemu: 'x86_64',
      kernel: cell.kernel,
      scenarios: wanted.map((s) => ({
        name: s.id,
        pass: false,
        notApplicable: true,
        why: missing ?? 'no x86_64 setup',
      })),
      wallMs: performance.now() - started,
    };
  const groups = [...new Set(wanted.map((s) => s.group))] as X86GroupId[];
  const results = await Promise.all(
    groups.map((group) =>
      runX86Group(group, {
        setup,
        kernel: cell.kernel,
        only: wanted.map((s) => s.id),
        ...(options.seed === undefined ? {} : { seed: options.seed }),
      }),
    ),
  );
  const scenarios: MatrixScenario[] = [];
  for (const s of wanted)
    for (const g of results) {
      const r = g.scenarios.find((x) => x.id === s.id);
      if (r !== undefined)
        scenarios.push(
          r.ok ? { name: s.id, pass: true } : { name: s.id, pass: false, why: r.error ?? 'failed' },
        );
    }
  return { qemu: 'x86_64', kernel: cell.kernel, scenarios, wallMs: performance.now() - started };
}

/** Runs one cell: the harness's groups (two at once) and the QMP scenario. */
export async function runCell(options: MatrixOptions, cell: CellSpec): Promise<MatrixCell> {
  if (cell.arch === 'x86_64') return runX86Cell(options, cell);
  const started = performance.now();
  const m = cellMissing(options.manifest, cell);
  const wantQmp =
    options.only === undefined || (options.only as readonly string[]).includes(QMP_INJECT_SCENARIO);
  if (m !== undefined) {
    const names = [
      ...SCENARIOS.filter((s) => options.only === undefined || options.only.includes(s.id)).map(
        (s) => s.id as string,
      ),
      ...(wantQmp ? [QMP_INJECT_SCENARIO] : []),
    ];
    return {
      qemu: qemuLabel(cell, options.manifest),
      kernel: cell.kernel,
      scenarios: names.map((name) => ({ name, pass: false, notApplicable: true, why: m })),
      wallMs: performance.now() - started,
    };
  }
  const only = options.only?.filter((x) => SCENARIOS.some((s) => s.id === x));
  const queue: (() => Promise<MatrixScenario[]>)[] = groupsFor(
    options.only === undefined ? undefined : only,
  ).map((group) => async () => {
    const r = await runGroup(group, {
      manifest: options.manifest,
      qemu: cell.qemu,
      kernel: cell.kernel,
      ...(only === undefined || options.only === undefined ? {} : { only }),
      ...(options.seed === undefined ? {} : { seed: options.seed }),
    });
    return fromGroups([r]);
  });
  if (wantQmp) queue.push(async () => [await qmpInjectScenario(options.manifest, cell)]);
  const results: MatrixScenario[] = [];
  const worker = async (): Promise<void> => {
    for (;;) {
      const job = queue.shift();
      if (job === undefined) return;
      results.push(...(await job()));
    }
  };
  await Promise.all([worker(), worker()]);
  const order = [...SCENARIOS.map((s) => s.id as string), QMP_INJECT_SCENARIO];
  results.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
  return {
    qemu: qemuLabel(cell, options.manifest),
    kernel: cell.kernel,
    scenarios: results,
    wallMs: performance.now() - started,
  };
}

export async function runMatrix(options: MatrixOptions): Promise<MatrixResult> {
  const started = performance.now();
  const cells: MatrixCell[] = [];
  for (const spec of options.cells ?? allCells()) {
    const cell = await runCell(options, spec);
    cells.push(cell);
    options.onCell?.(cell);
  }
  return { cells, wallMs: performance.now() - started };
}

/** A table: one row per scenario, one column per cell (PASS, FAIL, n/a). */
export function formatMatrix(result: MatrixResult): string[] {
  const names: string[] = [];
  for (const c of result.cells)
    for (const s of c.scenarios) if (!names.includes(s.name)) names.push(s.name);
  const heads = result.cells.map((c) => `${c.qemu}/${c.kernel}`);
  const w0 = Math.max(8, ...names.map((n) => n.length));
  const ws = heads.map((h) => Math.max(5, h.length));
  const lines = [`${'scenario'.padEnd(w0)}  ${heads.map((h, i) => h.padEnd(ws[i]!)).join('  ')}`];
  for (const n of names) {
    const cols = result.cells.map((c, i) => {
      const s = c.scenarios.find((x) => x.name === n);
      const v = s === undefined ? '-' : s.pass ? 'PASS' : s.notApplicable ? 'n/a' : 'FAIL';
      return v.padEnd(ws[i]!);
    });
    lines.push(`${n.padEnd(w0)}  ${cols.join('  ')}`);
  }
  const notes: string[] = [];
  for (const c of result.cells)
    for (const s of c.scenarios)
      if (!s.pass)
        notes.push(
          `${c.qemu}/${c.kernel} ${s.name}: ${s.notApplicable ? 'n/a: ' : ''}${(s.why ?? '').split('\n')[0]}`,
        );
  if (notes.length > 0) lines.push('', ...notes);
  return lines;
}

/** The `--json` shape: `{ cells: [{ qemu, kernel, scenarios: [{ name, pass, why? }] }] }`. */
export function matrixJson(result: MatrixResult): unknown {
  return {
    cells: result.cells.map((c) => ({
      qemu: c.qemu,
      kernel: c.kernel,
      scenarios: c.scenarios.map((s) => ({
        name: s.name,
        pass: s.pass,
        ...(s.why === undefined ? {} : { why: s.why }),
        ...(s.notApplicable === true ? { notApplicable: true } : {}),
      })),
    })),
  };
}
