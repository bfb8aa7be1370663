// The x86_64 real-guest suite (issue #12): Debian's 6.1 and 6.12 amd64 kernels on q35 under
// QEMU (TCG unless a probe shows KVM boots a guest), with an Intel CPU model; machine checks from
// the engine's x86 policy and firmware-first records from the engine's own HEST. Every expected
// kernel line comes from the codec. Runs every group once (two QEMUs at a time), then reports
// each scenario on each kernel as its own test. Without the x86 setup the tests skip (CI=true:
// they fail).

import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { cacheRoot } from '../../src/guest/cache.js';
import { readX86Setup, type X86Setup } from '../../src/guest/setup-x86.js';
import { liveGuestCount } from '../../src/guest/vm.js';
import { runX86Suite, type X86SuiteResult } from '../../src/guest/x86-runner.js';
import { X86_QUEUE_RECORDS, X86_SCENARIOS } from '../../src/guest/x86-scenarios.js';
import '../support/cli-build.js';

/** The x86 setup, or a skip (outside CI) saying how to get it; with CI=true, a failure. */
function x86Setup(t: { skip?: (message?: string) => void }): X86Setup | undefined {
  const setup = readX86Setup();
  if (setup !== undefined) return setup;
  const hint = `x86_64 real guest not set up in ${cacheRoot()}: run 'bin/vras guest setup' as root (it installs qemu-system-x86 and downloads the amd64 kernels)`;
  if (process.env.CI === 'true') throw new Error(`CI=true and ${hint}`);
  t.skip?.(hint);
  return undefined;
}

const KERNELS = ['6.1', '6.12'] as const;

describe('real x86_64 guest scenarios', () => {
  let suite: X86SuiteResult | undefined;
  let suiteError: unknown;

  before(async () => {
    const setup = readX86Setup();
    if (setup === undefined) return;
    try {
      suite = await runX86Suite({ setup });
      process.stdout.write(
        `# x86 suite: accelerator ${suite.accel} (${suite.probe}), ${(suite.wallMs / 1000).toFixed(1)} s, boots ${suite.groups.map((g) => `${g.group}/${g.kernel} ${((g.bootMs ?? 0) / 1000).toFixed(1)} s`).join(', ')}\n`,
      );
    } catch (e) {
      suiteError = e;
    }
  });

  after(() => {
    assert.equal(liveGuestCount(), 0);
    const left = existsSync('/dev/shm')
      ? readdirSync('/dev/shm').filter((f) => f.startsWith(`vras-${process.pid}-`))
      : [];
    assert.deepEqual(left, []);
  });

  const result = (kernel: string, id: string) => {
    if (suiteError !== undefined) throw suiteError;
    const g = suite?.groups.find(
      (x) => x.kernel === kernel && x.scenarios.some((s) => s.id === id),
    );
    const r = g?.scenarios.find((s) => s.id === id);
    assert.ok(r, `x86 scenario ${id} did not run on ${kernel}`);
    return r;
  };

  it('the setup has both kernels and the suite reports its accelerator', (t) => {
    const setup = x86Setup(t);
    if (setup === undefined) return;
    if (suiteError !== undefined) throw suiteError;
    assert.deepEqual(
      setup.kernels.map((k) => k.series),
      [...KERNELS],
    );
    assert.ok(suite?.accel === 'tcg' || suite?.accel === 'kvm');
    assert.notEqual(suite?.probe, '');
  });

  for (const kernel of KERNELS) {
    for (const s of X86_SCENARIOS) {
      it(`x${s.n} on ${kernel}: ${s.title}`, (t) => {
        if (x86Setup(t) === undefined) return;
        const r = result(kernel, s.id);
        assert.equal(r.ok, true, r.error);
        assert.ok(r.latenciesMs.length > 0, 'no latency was measured');
        if (s.id === 'ghes-nmi-queue')
          assert.equal(r.latenciesMs.length, X86_QUEUE_RECORDS, 'one post-to-ack per record');
      });
    }
  }
});
