import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compareDebianVersions, parseDebianVersion, upstreamMajorMinor } from './debian-version.js';

/** dpkg's own answer, the independent oracle (Debian hosts only). */
function dpkgCompare(a: string, b: string): number | undefined {
  const lt = spawnSync('dpkg', ['--compare-versions', a, 'lt', b]);
  if (lt.error !== undefined) return undefined;
  if (lt.status === 0) return -1;
  const eq = spawnSync('dpkg', ['--compare-versions', a, 'eq', b]);
  return eq.status === 0 ? 0 : 1;
}

const HAS_DPKG = dpkgCompare('1', '2') === -1;

describe('compareDebianVersions()', () => {
  it('orders the versions the archive really carries', () => {
    assert.ok(compareDebianVersions('1:11.1.3+ds-1~bpo13+1', '1:11.1.3+ds-2~bpo13+1') < 0);
    assert.ok(compareDebianVersions('1:11.1.3+ds-2~bpo13+1', '1:11.1.3+ds-2') < 0);
    assert.ok(compareDebianVersions('1:7.2+dfsg-7+deb12u7', '1:10.2.0+ds-1') < 0);
    assert.ok(compareDebianVersions('6.12.107-1', '6.12.99-1') > 0);
    assert.ok(compareDebianVersions('1.0~rc1', '1.0') < 0);
    assert.ok(compareDebianVersions('2:1.0', '1:9.9') > 0);
    assert.equal(compareDebianVersions('1.0-1', '1.00-1'), 0);
  });

  it('agrees with dpkg --compare-versions on random versions', { skip: !HAS_DPKG }, () => {
    const part = fc.stringMatching(/^[0-9][0-9a-z.+~]{0,6}$/);
    const version = fc
      .tuple(fc.nat(3), part, fc.option(fc.stringMatching(/^[0-9a-z.+~]{1,5}$/)))
      .map(([e, u, r]) => `${e === 0 ? '' : `${e}:`}${u}${r === null ? '' : `-${r}`}`);
    fc.assert(
      fc.property(version, version, (a, b) => {
        assert.equal(Math.sign(compareDebianVersions(a, b)), dpkgCompare(a, b), `${a} vs ${b}`);
      }),
      { numRuns: 150 },
    );
  });

  it('refuses a version without a numeric upstream start', () => {
    assert.throws(() => parseDebianVersion('x:1.0'), /bad epoch/);
    assert.throws(() => parseDebianVersion('abc'), /bad upstream version/);
  });

  it('reads major.minor past the epoch', () => {
    assert.deepEqual(upstreamMajorMinor('1:11.1.3+ds-2~bpo13+1'), [11, 1]);
    assert.deepEqual(upstreamMajorMinor('6.12.107-1'), [6, 12]);
  });
});
