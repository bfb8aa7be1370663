// `vras inject --qmp` keeps QEMU's pmemsave dumps (64 MiB of guest RAM each) in a
// `vras-inject-<pid>-XXXXXX` folder under the temp folder (issue 14 item 6). Interrupted with
// SIGINT or SIGTERM it removes the folder before exiting; killed with SIGKILL it cannot, and the
// next run sweeps the folders of runs whose process is gone, never those of a live one. The
// child is the real bin/vras, held inside its RAM scan by a QMP peer that writes the dump and
// never answers.

import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { repoRoot } from './support/shared.js';

const VRAS = join(repoRoot, 'bin/vras');
const dir = mkdtempSync(join(tmpdir(), 'vras-tempdir-test-'));
/** The children's temp folder (TMPDIR), so only their folders are looked at. */
const tmp = join(dir, 'tmp');
mkdirSync(tmp);
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

const GREETING =
  '{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 10}, "package": ""}, "capabilities": []}}\r\n';

/** A QMP peer whose pmemsave writes the dump file (1 MiB here) and then never returns. */
async function stallingPeer(): Promise<{
  address: string;
  server: Server;
  dumped: Promise<string>;
}> {
  const path = join(dir, `q${n++}.sock`);
  let dumped: (file: string) => void = () => {};
  const done = new Promise<string>((r) => {
    dumped = r;
  });
  const server = createServer((sock) => {
    sock.on('error', () => {});
    sock.write(GREETING);
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString();
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const c = JSON.parse(buf.slice(0, nl)) as {
          execute: string;
          id: unknown;
          arguments?: { filename?: string };
        };
        buf = buf.slice(nl + 1);
        const ret = (v: unknown) => sock.write(`${JSON.stringify({ return: v, id: c.id })}\r\n`);
        if (c.execute === 'query-commands')
          ret([{ name: 'inject-ghes-v2-error' }, { name: 'pmemsave' }]);
        else if (c.execute === 'query-memory-size-summary') ret({ 'base-memory': 64 << 20 });
        else if (c.execute === 'pmemsave') {
          writeFileSync(c.arguments!.filename!, new Uint8Array(1 << 20));
          dumped(c.arguments!.filename!);
        } else ret({});
      }
    });
  });
  await new Promise<void>((r) => server.listen(path, r));
  return { address: `unix:${path}`, server, dumped: done };
}

function vras(args: string[]): { child: ChildProcess; closed: Promise<number | null> } {
  const child = spawn(VRAS, args, {
    env: { ...process.env, TMPDIR: tmp, VRAS_DEBUG: '', VRAS_CACHE: join(dir, 'cache') },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr!.resume();
  const closed = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  return { child, closed };
}

const injectArgs = (address: string) => [
  'inject',
  'memory',
  '--pa',
  '0x40000000',
  '--qmp',
  address,
  '--timeout',
  '60000',
];

const folders = () => readdirSync(tmp).filter((f) => f.startsWith('vras-inject-'));

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`vras inject --qmp interrupted by ${signal} removes its RAM dump folder`, async () => {
    const peer = await stallingPeer();
    const run = vras(injectArgs(peer.address));
    const file = await peer.dumped;
    assert.ok(existsSync(file), 'the dump exists while the run waits');
    assert.match(file, new RegExp(`vras-inject-${run.child.pid}-`), 'the folder carries the pid');
    run.child.kill(signal);
    await run.closed;
    assert.equal(existsSync(file), false, `${file} left behind`);
    assert.deepEqual(folders(), []);
    await new Promise<void>((r) => peer.server.close(() => r()));
  });
}

test('after kill -9 the next vras inject --qmp sweeps the dead run’s folder, never a live run’s', async () => {
  const peer = await stallingPeer();
  const run = vras(injectArgs(peer.address));
  const file = await peer.dumped;
  run.child.kill('SIGKILL');
  await run.closed;
  assert.ok(existsSync(file), 'SIGKILL leaves the folder (nothing can run)');
  // A folder of a live process (this one) must survive the sweep.
  const live = join(tmp, `vras-inject-${process.pid}-keepme`);
  mkdirSync(live);
  // The next run: nothing listens at the address, but it sweeps first.
  const next = vras(injectArgs(`unix:${join(dir, 'nobody.sock')}`));
  assert.notEqual(await next.closed, 0);
  assert.equal(existsSync(file), false, 'the dead run’s dump was swept');
  assert.ok(existsSync(live), 'a live run’s folder is kept');
  rmSync(live, { recursive: true });
  await new Promise<void>((r) => peer.server.close(() => r()));
});
