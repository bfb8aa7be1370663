// The QEMU × kernel conformance matrix on real guests. By default (npm test, CI) a subset:
// QEMU 11.1 on Linux 6.1 and 7.3 and QEMU 7.2 on 7.3 (QEMU 7.2 on 6.1 is the scenarios test),
// with the scenarios that every one of those cells must pass. VRAS_MATRIX=full (npm run
// test:matrix) runs every cell and every scenario and checks the JSON shape and the baseline.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  allCells,
  type CellSpec,
  formatMatrix,
  matrixJson,
  parseCell,
  QMP_INJECT_SCENARIO,
  runMatrix,
} from '../../src/guest/matrix.js';
import { hasNewerQemu } from '../../src/guest/newer.js';
import { SCENARIOS, type ScenarioId } from '../../src/guest/scenarios.js';
import { liveGuestCount } from '../../src/guest/vm.js';
import { guestManifest } from './support.js';

const FULL = process.env.VRAS_MATRIX === 'full';
const CI_CELLS: CellSpec[] = ['11.1:6.1', '11.1:7.3', '7.2:7.3'].map(parseCell);
/** Every cell passes every scenario (measured on all six cells, expectations per kernel). */
const BASELINE: readonly string[] = SCENARIOS.map((s) => s.id);
/** What the default run boots the cells for: one short scenario of each group and the SEA one. */
const CI_ONLY = ['polled-corrected', 'early-kill', 'fatal', 'malformed', 'sea'];

describe('conformance matrix', () => {
  it(`runs ${FULL ? 'every cell' : 'QEMU 11.1 on 6.1 and 7.3 and QEMU 7.2 on 7.3'} and the baseline passes everywhere`, async (t) => {
    const manifest = guestManifest(t);
    if (manifest === undefined) return;
    if (!hasNewerQemu(manifest)) {
      const msg =
        "QEMU 11.1 and the newer kernels are not in the guest setup: run 'bin/vras guest setup'";
      if (process.env.CI === 'true') throw new Error(msg);
      return t.skip(msg);
    }
    const cells = FULL ? allCells() : CI_CELLS;
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
