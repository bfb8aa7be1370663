// `vras mce` through the real bin/vras: decode (table, JSON, Linux's grade), encode from
// QEMU's SRAR/SRAO starting points, and the argument errors of inject (no QEMU needed).
// Expected values: QEMU kvm_mce_inject as the x86 spike sent it (0xbd80000000000134, 7, 0x8c).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from './support/shared.js';
import './support/cli-build.js';

const VRAS = join(repoRoot, 'bin/vras');
const vras = (args: string[]) =>
  spawnSync(VRAS, args, { encoding: 'utf8', env: { ...process.env, VRAS_DEBUG: '' } });

describe('vras mce', () => {
  it('decode names the SRAR bits, the error code and Linux’s action', () => {
    const r = vras([
      'mce',
      'decode',
      '0xbd80000000000134',
      '--addr',
      '0x29c3000',
      '--misc',
      '0x8c',
    ]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /MCACOD {3}0x0134 DCACHEL0_DRD_ERR/);
    assert.match(r.stdout, /AR {7}55 action required/);
    assert.match(
      r.stdout,
      /severity AR "Action required: data load error in a user process" \(user\) → kill-current/,
    );
    const k = vras(['mce', 'decode', '0xbd80000000000134', '--context', 'kernel']);
    assert.match(k.stdout, /→ panic \(Kernel panic - not syncing: Fatal machine check\)/);
  });

  it('decode --json keeps 64-bit values as hex strings and includes the grade', () => {
    const r = vras([
      'mce',
      'decode',
      '0xbd000000000000c0',
      '--mcg-status',
      '5',
      '--addr',
      '0x1000',
      '--misc',
      '0x8c',
      '--json',
    ]);
    assert.equal(r.status, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as {
      kind: string;
      value: { status: string; linux: { action: string } };
    };
    assert.equal(doc.kind, 'machine-check');
    assert.equal(doc.value.status, '0xbd000000000000c0');
    assert.equal(doc.value.linux.action, 'memory-failure');
    // Without MISC the address is not usable (mce_usable_address): logged, no memory_failure.
    const bare = vras(['mce', 'decode', '0xbd000000000000c0', '--mcg-status', '5', '--json']);
    assert.equal((JSON.parse(bare.stdout) as typeof doc).value.linux.action, 'log');
  });

  it('encode --srar / --srao give QEMU’s values; --pcc adds bit 57', () => {
    assert.equal(vras(['mce', 'encode', '--srar']).stdout.trim(), '0xbd80000000000134');
    assert.equal(vras(['mce', 'encode', '--srao']).stdout.trim(), '0xbd000000000000c0');
    assert.equal(vras(['mce', 'encode', '--srar', '--pcc']).stdout.trim(), '0xbf80000000000134');
  });

  it('bad input is a clear error with exit 2, never a crash', () => {
    const big = vras(['mce', 'decode', '0x1ffffffffffffffff']);
    assert.equal(big.status, 2);
    assert.match(big.stderr, /64 bits/);
    const inj = vras(['mce', 'inject', '--ar', '--addr', '0x1000']);
    assert.equal(inj.status, 2);
    assert.match(inj.stderr, /needs --qmp/);
    const both = vras([
      'mce',
      'inject',
      '--qmp',
      'unix:/nonexistent',
      '--ar',
      '--ao',
      '--addr',
      '1',
    ]);
    assert.match(both.stderr, /exactly one of --ar/);
  });

  it('vras inject --arch x86_64 mce is vras mce inject', () => {
    const r = vras(['inject', '--arch', 'x86_64', 'mce', '--ar', '--addr', '0x1000']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /mce inject needs --qmp/);
  });
});
