// `vras guest matrix [--json] [--cell QEMU:KERNEL]… [SCENARIO…]`: the real-guest scenarios on
// every cell of {QEMU 7.2, 11.1} × {Linux 6.1, 6.12, 7.3}, as a table of verdicts or as JSON.

import { cacheRoot, readManifest } from '../guest/cache.js';
import { scenarioIdOf } from '../guest/runner.js';
import type { ScenarioId } from '../guest/scenarios.js';
import {
  type CellSpec,
  formatMatrix,
  matrixJson,
  parseCell,
  QMP_INJECT_SCENARIO,
  runMatrix,
} from '../harness/matrix.js';
import { CliError } from './io.js';

export const MATRIX_HELP = `usage: vras guest matrix [--json] [--cell QEMU:KERNEL]… [SCENARIO…]

Runs the real-guest scenarios and the QMP injection scenario (${QMP_INJECT_SCENARIO}) on every
cell of {QEMU 7.2, QEMU 11.1} × {Linux 6.1, 6.12, 7.3} (or the cells given, e.g. --cell 11.1:7.3)
and prints a table of verdicts; --json prints { cells: [{ qemu, kernel, scenarios: [{ name,
pass, why? }] }] }. A scenario a cell cannot run is n/a and says why. Exit 1 when any fails.`;

export async function runMatrixCommand(argv: readonly string[]): Promise<number> {
  let json = false;
  const cells: CellSpec[] = [];
  const only: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') json = true;
    else if (a === '--help' || a === '-h') {
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
      const id = scenarioIdOf(a);
      if (id === undefined) throw new CliError(`guest matrix: unknown scenario ${a}`);
      only.push(id);
    }
  }
  const manifest = readManifest();
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
