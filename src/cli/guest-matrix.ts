// `vras guest matrix [--json] [--cell QEMU:KERNEL]… [SCENARIO…]`: the real-guest scenarios on
// every cell of {QEMU 7.2, 11.1} × {Linux 6.1, 6.12, 7.3}, as a table of verdicts or as JSON.

import { cacheRoot, readManifest } from '../guest/cache.js';
import { scenarioIdOf } from '../guest/runner.js';
import type { ScenarioId } from '../guest/scenarios.js';
import { readX86Setup } from '../guest/setup-x86.js';
import { x86ScenarioIdOf } from '../guest/x86-runner.js';
import { x86Manifest } from '../guest/x86-scenarios.js';
import {
  type CellSpec,
  formatMatrix,
  matrixJson,
  parseCell,
  QMP_INJECT_SCENARIO,
  runMatrix,
  x86Cells,
} from '../harness/matrix.js';
import { CliError } from './io.js';

export const MATRIX_HELP = `usage: vras guest matrix [--json] [--arch x86_64] [--cell QEMU:KERNEL]… [SCENARIO…]

Runs the real-guest scenarios and the QMP injection scenario (${QMP_INJECT_SCENARIO}) on every
cell of {QEMU 7.2, QEMU 11.1} × {Linux 6.1, 6.12, 7.3} (or the cells given, e.g. --cell 11.1:7.3)
and prints a table of verdicts; --json prints { cells: [{ qemu, kernel, scenarios: [{ name,
pass, why? }] }] }. A scenario a cell cannot run is n/a and says why. Exit 1 when any fails.
--arch x86_64 (or --cell x86_64:6.12): the x86 scenarios on Debian's qemu-system-x86_64 with
the amd64 kernels 6.1 and 6.12.`;

export async function runMatrixCommand(argv: readonly string[]): Promise<number> {
  let json = false;
  const cells: CellSpec[] = [];
  const only: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') json = true;
    else if (a === '--arch') {
      const v = argv[++i];
      if (v === 'x86_64') cells.push(...x86Cells());
      else if (v !== 'aarch64')
        throw new CliError(`guest matrix: --arch must be aarch64 or x86_64, got ${v ?? 'nothing'}`);
    } else if (a === '--help' || a === '-h') {
      process.stdout.write(`${MATRIX_HELP}\n`);
      return 0;
    } else if (a === '--cell') {
      const v = argv[++i];
      if (v === undefined) throw new CliError('guest matrix: --cell needs QEMU:KERNEL');
      try {
        cells.push(parseCell(v));
      } catch (e) {
        throw new CliError(`guest matrix: ${(e as Error).message}`);
      }
    } else if (a === QMP_INJECT_SCENARIO) only.push(a);
    else {
      const id = scenarioIdOf(a) ?? x86ScenarioIdOf(a);
      if (id === undefined) throw new CliError(`guest matrix: unknown scenario ${a}`);
      only.push(id);
    }
  }
  const x86Only = cells.length > 0 && cells.every((c) => c.arch === 'x86_64');
  const x86 = x86Only ? readX86Setup() : undefined;
  // x86 cells read their own setup; the arm64 manifest is only a stand-in for them.
  const manifest = readManifest() ?? (x86 === undefined ? undefined : x86Manifest(x86));
  if (manifest === undefined)
    throw new CliError(
      `guest matrix: no guest setup in ${cacheRoot()}; run 'bin/vras guest setup' first`,
      2,
    );
  const result = await runMatrix({
    manifest,
    ...(cells.length === 0 ? {} : { cells }),
    ...(only.length === 0 ? {} : { only: only as ScenarioId[] }),
    onCell: (c) => {
      if (!json) {
        const pass = c.scenarios.filter((s) => s.pass).length;
        process.stderr.write(
          `cell QEMU ${c.qemu} / Linux ${c.kernel}: ${pass}/${c.scenarios.length} passed (${(c.wallMs / 1000).toFixed(1)} s)\n`,
        );
      }
    },
  });
  if (json) process.stdout.write(`${JSON.stringify(matrixJson(result), null, 2)}\n`);
  else for (const line of formatMatrix(result)) process.stdout.write(`${line}\n`);
  const failed = result.cells.some((c) =>
    c.scenarios.some((s) => !s.pass && s.notApplicable !== true),
  );
  return failed ? 1 : 0;
}
