// The QMP client against a hostile or broken peer (issue 14 item 2): every protocol violation
// (a greeting or reply that is null, a number, not JSON, a line without end) becomes a typed
// GuestError on the pending call, at once, with the connection closed and nothing thrown from a
// socket handler; timeouts are bounded and printed in whole milliseconds; QEMU's pmemsave that
// leaves no file is named as such. Each peer here is a few lines of net server.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { GuestError } from '../src/guest/errors.js';
import { parseQmpAddress, QMP_EVENT_LIMIT, QMP_LINE_LIMIT, QmpClient } from '../src/guest/qmp.js';
import { InjectError } from '../src/inject/errors.js';
import { QmpTarget } from '../src/inject/targets.js';
import { repoRoot } from './support/shared.js';

const dir = mkdtempSync(join(tmpdir(), 'vras-qmp-hostile-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

const GREETING =
  '{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 10}, "package": ""}, "capabilities": []}}\r\n';

/** A peer that sends `greeting` and answers each command line with `reply(command)`. */
async function peer(
  greeting: string | Uint8Array,
  reply: (
    c: { execute: string; id: unknown; arguments?: Record<string, unknown> },
    s: Socket,
  ) => string | undefined = () => undefined,
): Promise<{ address: string; server: Server; closed: Promise<void> }> {
  const path = join(dir, `p${n++}.sock`);
  let markClosed: () => void = () => {};
  const closed = new Promise<void>((r) => {
    markClosed = r;
  });
  const server = createServer((sock) => {
    sock.on('error', () => {});
    sock.on('close', () => markClosed());
    sock.write(greeting);
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString();
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const out = reply(JSON.parse(line), sock);
        if (out !== undefined) sock.write(out);
      }
    });
  });
  await new Promise<void>((r) => server.listen(path, r));
  return { address: `unix:${path}`, server, closed };
}

const stop = (s: Server) => new Promise<void>((r) => s.close(() => r()));

/** connect() must fail with a GuestError well before its (long) timeout. */
async function refusedQuickly(address: string, pattern: RegExp): Promise<GuestError> {
  const t0 = performance.now();
  const error = await QmpClient.connect(parseQmpAddress(address), { timeoutMs: 20_000 }).then(
    (c) => {
      c.close();
      assert.fail('connected');
    },
    (e: unknown) => e,
  );
  assert.ok(error instanceof GuestError, `not a GuestError: ${String(error)}`);
  assert.equal(error.code, 'qmp');
  assert.match(error.message, pattern);
  assert.doesNotMatch(error.message, /\n/);
  assert.ok(performance.now() - t0 < 5000, 'reported at once, not after the timeout');
  return error;
}

test('a greeting of null, 42, a string, a list or a QMP object without a version is a typed error at once', async () => {
  for (const g of ['null', '42', '"QMP"', '[1]', '{"QMP": 5}', '{"QMP": {"capabilities": []}}']) {
    const p = await peer(`${g}\r\n`);
    await refusedQuickly(p.address, /greeting/);
    await p.closed; // the client closed the connection
    await stop(p.server);
  }
});

test('a greeting that is not JSON is reported at once, with what was received (escaped)', async () => {
  const p = await peer('SSH-2.0-OpenSSH_9.2\x1b[31m\r\n');
  const e = await refusedQuickly(p.address, /not JSON/);
  assert.match(e.message, /SSH-2\.0-OpenSSH_9\.2\\u001b\[31m/);
  assert.doesNotMatch(e.message, /\x1b/);
  await stop(p.server);
});

test('a reply of null, 42 or an object with a null error fails the pending command, typed, and closes', async () => {
  for (const r of [
    'null',
    '42',
    '"x"',
    '{"id": "ID", "error": null}',
    '{"id": "ID", "error": 7}',
  ]) {
    const p = await peer(GREETING, (c) =>
      c.execute === 'qmp_capabilities'
        ? `{"return": {}, "id": "${String(c.id)}"}\r\n`
        : `${r.replace('ID', String(c.id))}\r\n`,
    );
    const client = await QmpClient.connect(parseQmpAddress(p.address), { timeoutMs: 20_000 });
    const t0 = performance.now();
    const e = await client.execute('query-status', undefined, { timeoutMs: 20_000 }).then(
      () => assert.fail(`${r}: resolved`),
      (x: unknown) => x,
    );
    assert.ok(e instanceof GuestError, `${r}: ${String(e)}`);
    assert.equal(e.code, 'qmp', r);
    assert.ok(performance.now() - t0 < 5000, `${r}: at once`);
    await p.closed;
    // Later calls fail at once too.
    await assert.rejects(client.execute('query-status'), GuestError);
    await stop(p.server);
  }
});

test('a peer that never ends its line is cut off at the line limit, named in the error', async () => {
  assert.equal(QMP_LINE_LIMIT, 16 << 20);
  const p = await peer(new Uint8Array(QMP_LINE_LIMIT + 1024 * 1024).fill(0x61));
  const e = await refusedQuickly(p.address, /16 MiB/);
  assert.match(e.message, /line/);
  await stop(p.server);
});

test('timeouts are bounded (setTimeout takes at most 2^31-1 ms) and printed in whole milliseconds', async () => {
  const p = await peer(GREETING, (c) =>
    c.execute === 'qmp_capabilities' ? `{"return": {}, "id": "${String(c.id)}"}\r\n` : undefined,
  );
  await assert.rejects(
    QmpClient.connect(parseQmpAddress(p.address), { timeoutMs: 3_000_000_000 }),
    (e: unknown) => e instanceof GuestError && /2147483647/.test(e.message),
  );
  const client = await QmpClient.connect(parseQmpAddress(p.address), { timeoutMs: 2000 });
  await assert.rejects(
    client.execute('query-status', undefined, { timeoutMs: 2e10 }),
    /2147483647/,
  );
  await assert.rejects(
    client.execute('query-status', undefined, { timeoutMs: 49.99613399 }),
    (e: unknown) => e instanceof GuestError && /within 50 ms$/.test(e.message),
  );
  client.close();
  await stop(p.server);
});

test('a pmemsave that leaves no file is reported as such, not as "nothing listens"', async () => {
  const p = await peer(GREETING, (c) => {
    const ret = (v: unknown) => `${JSON.stringify({ return: v, id: c.id })}\r\n`;
    switch (c.execute) {
      case 'query-commands':
        return ret([{ name: 'inject-ghes-v2-error' }, { name: 'pmemsave' }]);
      case 'query-memory-size-summary':
        return ret({ 'base-memory': 64 << 20 });
      default:
        return ret({}); // pmemsave "succeeds" on another host's file system
    }
  });
  const e = await QmpTarget.connect(p.address, { timeoutMs: 2000 }).then(
    () => assert.fail('connected'),
    (x: unknown) => x,
  );
  assert.ok(e instanceof InjectError, String(e));
  assert.match(e.message, /pmemsave/);
  assert.doesNotMatch(e.message, /nothing listens/);
  await stop(p.server);
});

test('vras inject --timeout above 2^31-1 ms is refused up front, naming the limit', async () => {
  const run = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn(join(repoRoot, 'bin/vras'), [
      'inject',
      'memory',
      '--pa',
      '0x40000000',
      '--qmp',
      'unix:/nonexistent',
      '--timeout',
      '3000000000',
    ]);
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.stdin.end();
    child.on('close', (code) => resolve({ code, stderr }));
  });
  assert.equal(run.code, 2, run.stderr);
  assert.match(run.stderr, /--timeout/);
  assert.match(run.stderr, /2147483647/);
});

test('a query-commands reply that is not a list of {name} is a typed error naming the command, not "r.map is not a function"', async () => {
  for (const ret of ['5', '{"name": "x"}', '[5]', '[{"name": 7}]', 'null']) {
    const p = await peer(GREETING, (c) => `{"return": ${ret}, "id": "${String(c.id)}"}\r\n`);
    const client = await QmpClient.connect(parseQmpAddress(p.address), { timeoutMs: 5000 });
    await assert.rejects(client.commands(), (e: unknown) => {
      assert.ok(e instanceof GuestError, `${ret}: ${String(e)}`);
      assert.match(e.message, /query-commands/);
      assert.doesNotMatch(e.message, /is not a function|Cannot read/);
      return true;
    });
    client.close();
    await stop(p.server);
  }
});

test('a peer flooding events cannot grow the client without bound: the last QMP_EVENT_LIMIT are kept', async () => {
  const flood = Array.from(
    { length: QMP_EVENT_LIMIT + 500 },
    (_, i) => `{"event": "E${i}", "data": {}, "timestamp": {"seconds": 0, "microseconds": 0}}\r\n`,
  ).join('');
  const p = await peer(GREETING, (c) =>
    c.execute === 'qmp_capabilities'
      ? `{"return": {}, "id": "${String(c.id)}"}\r\n${flood}`
      : `{"return": {}, "id": "${String(c.id)}"}\r\n`,
  );
  const client = await QmpClient.connect(parseQmpAddress(p.address), { timeoutMs: 5000 });
  await client.execute('query-status'); // the flood arrived before this reply
  assert.equal(client.events.length, QMP_EVENT_LIMIT);
  assert.equal(client.events.at(-1)?.event, `E${QMP_EVENT_LIMIT + 499}`);
  client.close();
  await stop(p.server);
});
