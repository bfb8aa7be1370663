import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readShared } from '../../test/support/shared.js';
import { Console, hardwareErrorRecords, parseConsoleLine } from './console.js';
import { GuestError } from './errors.js';

describe('parseConsoleLine', () => {
  it('splits the printk timestamp from the text and drops carriage returns', () => {
    const l = parseConsoleLine(
      '[    1.194819] {1}[Hardware Error]: event severity: corrected\r',
      3,
      10,
    );
    assert.equal(l.guestS, 1.194819);
    assert.equal(l.text, '{1}[Hardware Error]: event severity: corrected');
    assert.equal(l.index, 3);
  });

  it('keeps user-space lines whole', () => {
    const l = parseConsoleLine('VRAS:READY uptime=1.31', 0, 0);
    assert.equal(l.guestS, undefined);
    assert.equal(l.text, 'VRAS:READY uptime=1.31');
  });
});

describe('hardwareErrorRecords', () => {
  it('groups the measured polled excerpt into its two records of eight lines', () => {
    const text = new TextDecoder().decode(
      readShared('reference', 'real-guest', 'polled-ghesv2-corrected.excerpt.txt'),
    );
    const lines = text
      .split('\n')
      .map((raw, i) => parseConsoleLine(raw.replace(/^\d+:/, ''), i, i));
    const records = hardwareErrorRecords(lines);
    assert.deepEqual(
      records.map((r) => [r.seq, r.lines.length]),
      [
        [1, 8],
        [2, 8],
      ],
    );
    assert.equal(
      records[1]!.lines[6],
      '{2}[Hardware Error]:   physical_address: 0x0000000041235000',
    );
  });
});

describe('Console', () => {
  it('resolves a waiter on a line that arrives in pieces', async () => {
    const c = new Console('t');
    const p = c.waitForText('VRAS:DONE 1 0', { timeoutMs: 1000 });
    c.push('VRAS:DO');
    c.push('NE 1 0\r\n');
    assert.equal((await p).index, 0);
  });

  it('rejects a waiter with code panic when the kernel panics', async () => {
    const c = new Console('t');
    const p = c.waitForText('never', { timeoutMs: 1000 });
    c.push('[    2.0] Kernel panic - not syncing: GHES: Fatal hardware error\n');
    await assert.rejects(
      p,
      (e: unknown) =>
        e instanceof GuestError &&
        e.code === 'panic' &&
        /GHES: Fatal hardware error/.test(e.message),
    );
  });

  it('lets a waiter that allows a panic see the panic line', async () => {
    const c = new Console('t');
    const p = c.waitForText('Kernel panic', { timeoutMs: 1000, allowPanic: true });
    c.push('Kernel panic - not syncing: x\n');
    assert.equal((await p).text, 'Kernel panic - not syncing: x');
  });

  it('rejects with code timeout when nothing matches in time', async () => {
    const c = new Console('t');
    await assert.rejects(
      c.waitForText('x', { timeoutMs: 20, what: 'x' }),
      (e: unknown) =>
        e instanceof GuestError &&
        e.code === 'timeout' &&
        e.message === 't: timed out after 20 ms waiting for x',
    );
  });

  it('rejects pending and later waiters once QEMU has exited', async () => {
    const c = new Console('t');
    const p = c.waitForText('x', { timeoutMs: 1000 });
    c.end(new GuestError('qemu-exited', 't: QEMU exited with code 1'));
    await assert.rejects(p, (e: unknown) => e instanceof GuestError && e.code === 'qemu-exited');
    await assert.rejects(
      c.waitForText('y', { timeoutMs: 1000 }),
      (e: unknown) => e instanceof GuestError && e.code === 'qemu-exited',
    );
  });
});
