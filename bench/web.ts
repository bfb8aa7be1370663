// The page's weight and speed (issue 13): the gzipped bytes of everything the page loads, and
// the time from navigation to the first decoded record on screen in headless Chromium (Debian's
// /usr/bin/chromium through playwright-core). Goals: ≤ 250 KB gzipped, ≤ 300 ms.
//
//   import { webFigures } from './web.js';  figures.push(...(await webFigures()));
//   npx tsx bench/web.ts                    (prints the figures)
//
// The time is read inside the page: performance.now() (ms since navigation start) at the first
// mutation that puts the decoded record's field tree in the document, for a link that carries a
// 172-byte memory-error status block (#decode?in=HEX), as a shared link would.

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { serveUi } from '../src/cli/ui.js';
import { bytesToHex } from '../src/codec/index.js';
import { buildRecord, DEFAULT_RECORD_FORM } from '../src/web/model/build.js';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..');
const CHROMIUM = '/usr/bin/chromium';

export interface WebBench {
  /** Gzipped bytes (level 9) of every response the page loaded, with all three views opened. */
  readonly pageBytesGzip: number;
  /** The same for a decode link alone (index.html, app.css, app.js: watch.js is not loaded). */
  readonly decodeBytesGzip: number;
  readonly pageBytesRaw: number;
  readonly files: readonly { url: string; bytes: number; gzip: number }[];
  /** Navigation start → first decoded record shown, ms, per run (first run: cold browser cache). */
  readonly loadToDecodeMs: readonly number[];
  readonly medianMs: number;
}

/** Same shape as bench/run.ts's Figure. */
export interface WebFigure {
  readonly group: string;
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly goal?: { readonly value: number; readonly better: 'lower' | 'higher' };
}

export const WEB_GOALS = { pageKb: 250, loadToDecodeMs: 300 } as const;

/** Builds the page, serves it on 127.0.0.1 and measures `runs` loads in fresh contexts. */
export async function benchWeb(options: { runs?: number } = {}): Promise<WebBench> {
  if (!existsSync(CHROMIUM)) throw new Error(`no ${CHROMIUM}: apt-get install chromium`);
  const runs = options.runs ?? 7;
  const dir = mkdtempSync(join(tmpdir(), 'vras-web-bench-'));
  const { buildWeb } = (await import(
    pathToFileURL(join(ROOT, 'scripts', 'build-web.mjs')).href
  )) as {
    buildWeb(o: { outDir: string }): Promise<string[]>;
  };
  await buildWeb({ outDir: dir });
  const server = await serveUi(dir, 0);
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    const record = bytesToHex(buildRecord(DEFAULT_RECORD_FORM).bytes!);
    const link = `${server.url}#decode?in=${record}`;
    const times: number[] = [];
    const files = new Map<string, { url: string; bytes: number; gzip: number }>();
    for (let i = 0; i < runs; i++) {
      const context = await browser.newContext();
      // Stamps performance.now() (ms since navigation start) at the first mutation that puts a
      // decoded field row in the document.
      await context.addInitScript(() => {
        const g = globalThis as { vrasFirstDecode?: number };
        new MutationObserver((_, observer) => {
          if (
            g.vrasFirstDecode === undefined &&
            document.querySelector('.fields tr[data-offset]')
          ) {
            g.vrasFirstDecode = performance.now();
            observer.disconnect();
          }
        }).observe(document, { childList: true, subtree: true });
      });
      const page = await context.newPage();
      page.on('response', (r) => {
        void r.body().then(
          (b) =>
            files.set(r.url(), {
              url: r.url(),
              bytes: b.length,
              gzip: gzipSync(b, { level: 9 }).length,
            }),
          () => undefined,
        );
      });
      await page.goto(link, { waitUntil: 'commit' });
      const t = await page.waitForFunction(
        () => (globalThis as { vrasFirstDecode?: number }).vrasFirstDecode ?? false,
        undefined,
        { timeout: 10_000 },
      );
      times.push(Number(await t.jsonValue()));
      await page.waitForLoadState('load');
      await context.close();
    }
    // Then every view once, so the weight counts all the page can load (watch.js comes with Watch).
    {
      const context = await browser.newContext();
      const page = await context.newPage();
      page.on('response', (r) => {
        void r.body().then(
          (b) =>
            files.set(r.url(), {
              url: r.url(),
              bytes: b.length,
              gzip: gzipSync(b, { level: 9 }).length,
            }),
          () => undefined,
        );
      });
      await page.goto(link);
      await page.click('#tab-build');
      await page.click('#tab-watch');
      await page.waitForSelector('.diagram .ev', { timeout: 30_000 });
      await page.waitForLoadState('networkidle');
      await context.close();
    }
    const list = [...files.values()];
    const sorted = [...times].sort((a, b) => a - b);
    return {
      pageBytesGzip: list.reduce((s, f) => s + f.gzip, 0),
      decodeBytesGzip: list
        .filter((f) => !f.url.endsWith('/watch.js'))
        .reduce((s, f) => s + f.gzip, 0),
      pageBytesRaw: list.reduce((s, f) => s + f.bytes, 0),
      files: list,
      loadToDecodeMs: times,
      medianMs: sorted[Math.floor(sorted.length / 2)]!,
    };
  } finally {
    await browser.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The figures for bench/run.ts: page weight (KB gzipped) and median load → decode (ms). */
export async function webFigures(options: { runs?: number } = {}): Promise<WebFigure[]> {
  const r = await benchWeb(options);
  return [
    {
      group: 'web',
      name: 'page weight, every view opened (gzip -9)',
      value: r.pageBytesGzip / 1024,
      unit: 'KB',
      goal: { value: WEB_GOALS.pageKb, better: 'lower' },
    },
    {
      group: 'web',
      name: 'load → first decoded record, headless Chromium (median)',
      value: r.medianMs,
      unit: 'ms',
      goal: { value: WEB_GOALS.loadToDecodeMs, better: 'lower' },
    },
  ];
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await benchWeb();
  for (const f of r.files) console.log(`${f.url}  ${f.bytes} B, ${f.gzip} B gzipped`);
  console.log(
    `page weight: ${(r.pageBytesGzip / 1024).toFixed(1)} KB gzipped with every view opened (${(r.pageBytesRaw / 1024).toFixed(1)} KB raw), ${(r.decodeBytesGzip / 1024).toFixed(1)} KB for a decode link; goal ≤ ${WEB_GOALS.pageKb} KB`,
  );
  console.log(
    `load → first decoded record: median ${r.medianMs.toFixed(0)} ms over ${r.loadToDecodeMs.length} loads (${r.loadToDecodeMs.map((t) => t.toFixed(0)).join(', ')}); goal ≤ ${WEB_GOALS.loadToDecodeMs} ms`,
  );
}
