import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { GuestError } from './errors.js';
import { parseQmpAddress, QmpClient } from './qmp.js';

describe('parseQmpAddress', () => {
  it('accepts unix sockets and loopback TCP', () => {
    assert.deepEqual(parseQmpAddress('unix:/tmp/q.sock'), { kind: 'unix', path: '/tmp/q.sock' });
    assert.deepEqual(parseQmpAddress('tcp:127.0.0.1:4445'), {
      kind: 'tcp',
      host: '127.0.0.1',
      port: 4445,
    });
  });

  it('refuses any address off this machine', () => {
    assert.throws(
      () => parseQmpAddress('tcp:10.0.0.1:4445'),
      (e: unknown) => e instanceof GuestError && e.code === 'qmp',
    );
    assert.throws(() => parseQmpAddress('tcp:127.0.0.1:0'), GuestError);
  });
});

describe('QmpClient', () => {
  it('negotiates capabilities, matches replies by id out of order and keeps events', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vras-qmp-'));
    const path = join(dir, 'q.sock');
    const server = createServer((sock) => {
      sock.write(
        '{"QMP": {"version": {"qemu": {"major": 7, "minor": 2, "micro": 22}}, "capabilities": []}}\r\n',
      );
      let buf = '';
      const held: { id: string }[] = [];
      sock.on('data', (d) => {
        buf += d.toString();
        for (;;) {
          const nl = buf.indexOf('\n');
          if (nl < 0) break;
          const msg = JSON.parse(buf.slice(0, nl)) as { execute: string; id: string };
          buf = buf.slice(nl + 1);
          if (msg.execute === 'qmp_capabilities') sock.write(`{"return": {}, "id": "${msg.id}"}\n`);
          else if (msg.execute === 'slow') held.push(msg);
          else if (msg.execute === 'query-status') {
            sock.write(
              '{"event": "RESUME", "data": {}, "timestamp": {"seconds": 1, "microseconds": 2}}\n',
            );
            sock.write(`{"return": {"status": "running"}, "id": "${msg.id}"}\n`);
            for (const h of held.splice(0)) sock.write(`{"return": 7, "id": "${h.id}"}\n`);
          } else
            sock.write(
              `{"error": {"class": "CommandNotFound", "desc": "no ${msg.execute}"}, "id": "${msg.id}"}\n`,
            );
        }
      });
    });
    await new Promise<void>((r) => server.listen(path, r));
    try {
      const q = await QmpClient.connect({ kind: 'unix', path });
      assert.equal(q.greeting?.version.qemu.major, 7);
      const slow = q.execute('slow');
      assert.deepEqual(await q.execute('query-status'), { status: 'running' });
      assert.equal(await slow, 7);
      assert.equal(q.events[0]?.event, 'RESUME');
      await assert.rejects(
        q.execute('inject-ghes-v2-error', { cper: '' }),
        /CommandNotFound: no inject-ghes-v2-error/,
      );
      await assert.rejects(
        q.execute('slow', undefined, { timeoutMs: 30 }),
        (e: unknown) => e instanceof GuestError && e.code === 'timeout',
      );
      q.close();
      await assert.rejects(
        q.execute('query-status'),
        (e: unknown) => e instanceof GuestError && e.code === 'qmp',
      );
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
