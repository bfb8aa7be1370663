// The simulated x86 guest against the real ones: for every x86 real-guest scenario, the lines
// the simulator's x86 world prints (host SIGBUS → the engine's x86 policy → machine check or
// GHES → the modelled kernel) equal the lines the real Debian 6.1 and 6.12 amd64 guests printed
// (test/fixtures/real-guest/x86/), once the values only one run knows are masked: pids, page
// and virtual addresses, the TSC, TIME, the user RIP and the record's instruction pointer. `{N}` record numbers, ratelimits,
// MCE status values and which lines appear at all are compared as they are; the order is
// compared within the two streams the kernel interleaves by timing (the `mce: [Hardware
// Error]` records of the MCE workqueue, and everything else).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoPath } from '../src/node-util/repo-root.js';
import { runX86Campaign, simulateX86Scenarios, X86_SIM_SCENARIOS } from '../src/sim/x86-world.js';

const DIR = repoPath('test', 'fixtures', 'real-guest', 'x86');

/** Masks run-specific values; drops the harness's own lines and timing notices. */
export function normalise(lines: readonly string[]): string[] {
  return lines
    .filter(
      (l) =>
        !l.startsWith('VRAS:DONE') &&
        !l.startsWith('INFO: NMI handler') &&
        !l.startsWith('#') &&
        l !== '',
    )
    .map((l) =>
      l
        .replace(/victim:\d+/g, 'victim:PID')
        .replace(/pid=\d+/g, 'pid=PID')
        .replace(
          /vaddr=0x[0-9a-f]+ pagemap=0x[0-9a-f]+ present=1 pfn=0x[0-9a-f]+ paddr=0x[0-9a-f]+/,
          'PAGE',
        )
        .replace(/addr=0x[0-9a-f]+ lsb=/, 'addr=VADDR lsb=')
        .replace(/fault at [0-9a-f]+$/, 'fault at VADDR')
        .replace(/^Memory failure: 0x[0-9a-f]+:/, 'Memory failure: PFN:')
        .replace(/in user-access at [0-9a-f]+$/, 'in user-access at PA')
        .replace(/physical_address: 0x[0-9a-f]{16}/, 'physical_address: PA')
        .replace(/TSC (?!0 )[0-9a-f]+ /, 'TSC T ')
        .replace(/ADDR [0-9a-f]+ /, 'ADDR PA ')
        .replace(/TIME \d+/, 'TIME T')
        .replace(/RIP 33:<[0-9a-f]{16}> /, 'RIP 33:<R> ')
        .replace(/Instruction Pointer: 0x[0-9a-f]{16}$/, 'Instruction Pointer: IP'),
    );
}

function fixture(kernel: string, id: string): string[] {
  return readFileSync(join(DIR, kernel, `${id}.txt`), 'utf8').split('\n');
}

for (const kernel of ['6.1', '6.12'] as const) {
  describe(`simulated x86 guest vs the real ${kernel} amd64 guest`, () => {
    const sim = simulateX86Scenarios(kernel, 12n);
    for (const id of X86_SIM_SCENARIOS) {
      it(`${id}: the simulator prints the real guest's lines`, () => {
        let real = normalise(fixture(kernel, id));
        // A kernel RIP (the machine check hit the kernel) names a symbol the model cannot know.
        real = real.map((l) => l.replace(/RIP 10:<[0-9a-f]{16}> \{.*\}$/, 'RIP 33:<R> '));
        // Two streams the kernel interleaves by timing (the mce records are printed from a
        // workqueue, the rest from the failing task and the GHES handler): each in order.
        const mce = (l: readonly string[]) =>
          l.filter((x) => x.startsWith('mce: [Hardware Error]'));
        const rest = (l: readonly string[]) =>
          l.filter((x) => !x.startsWith('mce: [Hardware Error]'));
        const got = normalise(sim[id]);
        assert.deepEqual(mce(got), mce(real), 'the mce: [Hardware Error] lines');
        assert.deepEqual(rest(got), rest(real), 'the other lines');
      });
    }
  });
}

describe('x86 campaign mix', () => {
  it('is deterministic for a seed, loses nothing, and every uncorrected error recovers or kills', () => {
    const o = { vms: 20, errors: 400, seed: 7n };
    const a = runX86Campaign(o);
    assert.deepEqual(runX86Campaign(o), a);
    assert.equal(a.lost, 0);
    assert.equal(a.panics, 0);
    assert.equal(a.corrected + a.ar + a.ao, a.errors);
    assert.ok(a.ar > 0 && a.ao > 0 && a.firmwareFirst > 0 && a.corrected > 0);
    assert.equal(a.memoryFailures, a.ar + a.ao, 'one memory_failure per uncorrected error');
    assert.equal(
      a.killed,
      a.ar + a.ao,
      'every victim is killed (AR at once, AO and GHES on its next read)',
    );
    assert.ok(a.acks >= a.corrected, 'every corrected record was acked');
    assert.notDeepEqual(runX86Campaign({ ...o, seed: 8n }), a);
  });
});
