// The QEMU × kernel conformance matrix on real guests. By default (npm test, CI) a subset:
// the newer QEMU on Linux 6.1 and 7.x and QEMU 7.2 on 7.x (QEMU 7.2 on 6.1 is the scenarios
// test), with the kernels and QEMU the set-up resolved (their series, not exact builds),
// with the scenarios that every one of those cells must pass. VRAS_MATRIX=full (npm run
// test:matrix) runs every cell and every scenario and checks the JSON shape and the baseline.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hasNewerQemu, newestSevenSeries } from '../../src/guest/newer.js';
import { SCENARIOS, type ScenarioId } from '../../src/guest/scenarios.js';
import { liveGuestCount } from '../../src/guest/vm.js';
import {
  type CellSpec,
  formatMatrix,
  MATRIX_QEMUS,
  matrixJson,
  parseCell,
  QMP_INJECT_SCENARIO,
  runMatrix,
} from '../../src/harness/matrix.js';
import { guestManifest } from './support.js';

const FULL = process.env.VRAS_MATRIX === 'full';
/** Every cell passes every scenario (measured on all six cells, expectations per kernel). */
const BASELINE: readonly string[] = SCENARIOS.map((s) => s.id);
/** What the default run boots the cells for: one short scenario of each group and the SEA one. */
const CI_ONLY = ['polled-corrected', 'early-kill', 'fatal', 'malformed', 'sea'];

describe('conformance matrix', () => {
  it(`runs ${FULL ? 'every cell' : 'the newer QEMU on 6.1 and 7.x and QEMU 7.2 on 7.x'} and the baseline passes everywhere`, async (t) => {
    const manifest = guestManifest(t);
    if (manifest === undefined) return;
    if (!hasNewerQemu(manifest)) {
      const msg =
        "the newer QEMU and kernels are not in the guest setup: run 'bin/vras guest setup'";
      if (process.env.CI === 'true') throw new Error(msg);
      return t.skip(msg);
    }
    // Cells by kernel series, as the set-up resolved them (7.x is whatever 7 it found).
    const seven = newestSevenSeries(manifest) ?? '7.3';
    const cells: CellSpec[] = FULL
      ? MATRIX_QEMUS.flatMap((qemu) => manifest.kernels.map((k) => ({ qemu, kernel: k.series })))
      : ['newer:6.1', `newer:${seven}`, `7.2:${seven}`].map(parseCell);
    const only = FULL ? undefined : ([...CI_ONLY, QMP_INJECT_SCENARIO] as ScenarioId[]);
    const result = await runMatrix({ manifest, cells, ...(only === undefined ? {} : { only }) });
    for (const line of formatMatrix(result)) t.diagnostic(line);
    const json = matrixJson(result) as {
      cells: {
        qemu: string;
        kernel: string;
        scenarios: { name: string; pass: boolean; why?: string }[];
      }[];
    };
    assert.equal(json.cells.length, cells.length);
    for (const cell of json.cells) {
      const label = `QEMU ${cell.qemu} / Linux ${cell.kernel}`;
      for (const name of BASELINE) {
        const s = cell.scenarios.find((x) => x.name === name);
        if (s === undefined) continue;
        assert.equal(s.pass, true, `${label}: ${name}: ${s.why ?? ''}`);
      }
      const qmp = cell.scenarios.find((x) => x.name === QMP_INJECT_SCENARIO)!;
      if (cell.qemu === '7.2') {
        assert.equal(qmp.pass, false);
        assert.match(qmp.why!, /no inject-ghes-v2-error/);
      } else assert.equal(qmp.pass, true, `${label}: ${qmp.why ?? ''}`);
      for (const s of cell.scenarios)
        if (!s.pass) assert.ok((s.why ?? '') !== '', `${label}: ${s.name} says why`);
    }
    assert.equal(liveGuestCount(), 0);
  });
});
