// `vras ui`: --out writes the four static files, the server answers only them on 127.0.0.1, and
// bad options are CLI errors with the usage's words.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT, vras } from './support.js';

describe('vras ui', () => {
  it('--out DIR writes index.html, app.js, app.css and watch.js that load nothing from elsewhere', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vras-ui-out-'));
    try {
      const r = vras(['ui', '--out', dir]);
      assert.equal(r.code, 0, r.stderr);
      for (const f of ['index.html', 'app.js', 'app.css', 'watch.js'])
        assert.ok(existsSync(join(dir, f)), f);
      const html = readFileSync(join(dir, 'index.html'), 'utf8');
      // Only relative references: the folder works from file:// or any static server.
      const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
      assert.deepEqual(refs.sort(), ['app.css', 'app.js']);
      assert.doesNotMatch(
        readFileSync(join(dir, 'app.js'), 'utf8'),
        /\bfetch\(|XMLHttpRequest|WebSocket\(/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('serves the page on 127.0.0.1 and nothing else', async () => {
    const child = spawn(join(ROOT, 'bin', 'vras'), ['ui', '--port', '0'], { cwd: ROOT });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`no URL printed: ${out}`)), 60_000);
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /http:\/\/127\.0\.0\.1:\d+\//.exec(out);
          if (m !== null) {
            clearTimeout(timer);
            resolve(m[0]);
          }
        });
        child.once('exit', (code) => reject(new Error(`vras ui exited with ${code}: ${out}`)));
      });
      const index = await fetch(url);
      assert.equal(index.status, 200);
      assert.match(index.headers.get('content-type') ?? '', /text\/html/);
      assert.match(await index.text(), /<script src="app.js"/);
      assert.equal((await fetch(`${url}app.js`)).status, 200);
      assert.equal((await fetch(`${url}watch.js`)).status, 200);
      assert.equal((await fetch(`${url}../package.json`)).status, 404);
      assert.equal((await fetch(`${url}src/web/main.ts`)).status, 404);
      assert.equal((await fetch(url, { method: 'POST' })).status, 404);
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('refuses a bad port and --out with --port', () => {
    const bad = vras(['ui', '--port', 'eighty']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--port must be a decimal or 0x hex number/);
    const both = vras(['ui', '--port', '1', '--out', '/tmp/x']);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /--out writes files and exits/);
  });
});
