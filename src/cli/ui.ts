// `vras ui`: the vras page (decode, build, watch) served on 127.0.0.1, or written as static
// files that work offline (`--out DIR`, e.g. for a BMC's web server). The page has no server-side
// logic: the server only hands out index.html, app.js, app.css and watch.js. In a checkout the page is
// (re)built by scripts/build-web.mjs when dist/web is missing or older than its sources.
//
//   vras ui [--port N]
//   vras ui --out DIR

import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { repoPath } from '../node-util/repo-root.js';
import type { CommandModule } from './commands.js';
import { CliError, parseCommandLine, parseNumberOption } from './io.js';

const USAGE = `usage: vras ui [--port N]
       vras ui --out DIR

Serves the vras page on http://127.0.0.1:PORT/ (default port 8417; 0 picks a free one): decode
records in the browser, build a HEST or a record, watch a scenario cross the layers. Everything
runs in the browser; the server only hands out four static files. Stop it with Ctrl-C.

options:
  --port N     the port on 127.0.0.1 (default 8417)
  --out DIR    write the page to DIR (index.html, app.js, app.css, watch.js) and exit; it works offline,
               from file:// or any static web server
  -h, --help   this text`;

export const PAGE_FILES = ['index.html', 'app.js', 'app.css', 'watch.js'] as const;
const TYPES: Record<(typeof PAGE_FILES)[number], string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
  'watch.js': 'text/javascript; charset=utf-8',
};
/** The layers the page bundles: a newer file in any of them means a rebuild. */
const SOURCES = ['web', 'codec', 'engine', 'sim', 'scenarios'];

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** The folder holding the built page, building it first when it is missing or stale. */
export async function ensurePage(): Promise<string> {
  const dir = repoPath('dist', 'web');
  const built = PAGE_FILES.every((f) => existsSync(join(dir, f)))
    ? Math.min(...PAGE_FILES.map((f) => statSync(join(dir, f)).mtimeMs))
    : 0;
  const src = repoPath('src');
  const script = repoPath('scripts', 'build-web.mjs');
  const stale =
    built === 0 ||
    (existsSync(src) && Math.max(...SOURCES.map((s) => newest(join(src, s)))) > built);
  if (!stale) return dir;
  if (!existsSync(script)) {
    if (built !== 0) return dir;
    throw new CliError(`Cannot find the page: ${dir} is missing and ${script} is not here`);
  }
  try {
    const mod = (await import(pathToFileURL(script).href)) as {
      buildWeb(o: { outDir: string }): Promise<string[]>;
    };
    await mod.buildWeb({ outDir: dir });
  } catch (cause) {
    if (built !== 0) return dir; // keep serving the last good build
    throw new CliError(`Cannot build the page: ${(cause as Error).message}`, 2, { cause });
  }
  return dir;
}

export interface UiServer {
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

/** Serves the page's files from `dir` on 127.0.0.1:`port` (0 = any free port). */
export function serveUi(dir: string, port: number): Promise<UiServer> {
  const files = new Map(PAGE_FILES.map((f) => [f, readFileSync(join(dir, f))]));
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const name = (path === '/' ? 'index.html' : path.slice(1)) as (typeof PAGE_FILES)[number];
    const body = files.get(name);
    if ((req.method !== 'GET' && req.method !== 'HEAD') || body === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('not found: the page is /, app.js, app.css and watch.js\n');
      return;
    }
    res.writeHead(200, {
      'content-type': TYPES[name],
      'content-length': body.length,
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  return new Promise((resolvePromise, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new CliError(
          e.code === 'EADDRINUSE'
            ? `Cannot serve on 127.0.0.1:${port}: the port is in use (try --port 0)`
            : `Cannot serve on 127.0.0.1:${port}: ${e.message}`,
          2,
          { cause: e },
        ),
      ),
    );
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const actual = typeof address === 'object' && address !== null ? address.port : port;
      resolvePromise({
        url: `http://127.0.0.1:${actual}/`,
        server,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
}

/** Writes the page's files into `out`. */
export function writePage(from: string, out: string): string[] {
  const target = resolve(out);
  try {
    mkdirSync(target, { recursive: true });
    return PAGE_FILES.map((f) => {
      copyFileSync(join(from, f), join(target, f));
      return join(target, f);
    });
  } catch (cause) {
    throw new CliError(`Cannot write the page to ${out}: ${(cause as Error).message}`, 2, {
      cause,
    });
  }
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(
    () =>
      parseArgs({
        args: argv,
        allowPositionals: false,
        strict: true,
        options: {
          port: { type: 'string' },
          out: { type: 'string' },
          help: { type: 'boolean', short: 'h' },
        },
      }),
    USAGE,
  );
  if (parsed === undefined) return 0;
  const { values: v } = parsed;
  const port = parseNumberOption('--port', v.port) ?? 8417;
  if (port > 65535) throw new CliError(`--port must be at most 65535, got ${port}`);
  if (v.out !== undefined && v.port !== undefined) {
    throw new CliError('--out writes files and exits; --port goes with serving');
  }
  const dir = await ensurePage();
  if (v.out !== undefined) {
    for (const f of writePage(dir, v.out)) process.stdout.write(`${f}\n`);
    process.stdout.write(
      `open ${join(resolve(v.out), 'index.html')} in a browser (works offline)\n`,
    );
    return 0;
  }
  const ui = await serveUi(dir, port);
  process.stdout.write(`vras page on ${ui.url} (Ctrl-C stops it)\n`);
  await new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void ui.close().then(done);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return 0;
}

export default { run } satisfies CommandModule;
