// Shared set-up for the browser tests: build the page into a temporary folder, serve it on
// 127.0.0.1, launch Debian's chromium through playwright-core (never a downloaded browser), and
// run bin/vras for the oracle. With CI=true a missing chromium is a failure; elsewhere the tests
// skip with one line saying how to install it.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { serveUi, type UiServer } from '../../src/cli/ui.js';
import '../support/cli-build.js'; // bin/vras runs the CLI built from these sources

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Debian's chromium (VRAS_CHROMIUM overrides it, e.g. to check the missing-browser path). */
export const CHROMIUM = process.env.VRAS_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
export const SKIP_MESSAGE = `no ${CHROMIUM}: apt-get install chromium (browser tests skipped)`;
/** Where the screenshots go (gitignored). */
export const ARTIFACTS = join(ROOT, 'test-artifacts', 'web');
export const CORPUS = join(
  process.env.VRAS_SHARED ?? join(ROOT, '..', 'shared'),
  'reference',
  'libcper-corpus',
);

export interface PageHarness {
  readonly browser: Browser;
  readonly dir: string;
  readonly server: UiServer;
  /** The page's http://127.0.0.1:PORT/ origin. */
  readonly url: string;
  readonly fileUrl: string;
  newPage(options?: {
    colorScheme?: 'light' | 'dark';
  }): Promise<{ context: BrowserContext; page: Page }>;
  close(): Promise<void>;
}

/** True when the browser tests can run; throws under CI=true when they cannot. */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI === 'true') {
    throw new Error(`${CHROMIUM} is missing and CI=true: apt-get install chromium`);
  }
  return false;
}

export async function startHarness(): Promise<PageHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'vras-web-'));
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
    args: CHROMIUM_ARGS,
  });
  rmArtifacts(); // only this run's screenshots
  mkdirSync(ARTIFACTS, { recursive: true });
  return {
    browser,
    dir,
    server,
    url: server.url,
    fileUrl: pathToFileURL(join(dir, 'index.html')).href,
    async newPage(options = {}) {
      const context = await browser.newContext({
        viewport: { width: 1400, height: 1000 },
        colorScheme: options.colorScheme ?? 'light',
        acceptDownloads: true,
      });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      (page as Page & { errors: string[] }).errors = errors;
      return { context, page };
    },
    async close() {
      await browser.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs bin/vras; returns stdout, stderr and the exit code. */
export function vras(
  args: readonly string[],
  input?: string,
): { stdout: string; stderr: string; code: number } {
  const r = spawnSync(join(ROOT, 'bin', 'vras'), args, {
    cwd: ROOT,
    encoding: 'utf8',
    ...(input === undefined ? {} : { input }),
    timeout: 60_000,
  });
  return { stdout: r.stdout ?? '', stderr: r.stderr ?? '', code: r.status ?? -1 };
}

/** `vras decode FILE --format json` parsed. */
export function cliJson(file: string): { kind: string; value: Record<string, unknown> } {
  const r = vras(['decode', file, '--format', 'json']);
  if (r.code !== 0) throw new Error(`vras decode ${file} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as { kind: string; value: Record<string, unknown> };
}

/** "physical address mask" → "physicalAddressMask". */
export function camel(field: string): string {
  const words = field.split(/[\s_-]+/).filter((w) => w !== '');
  return words
    .map((w, i) => (i === 0 ? w.toLowerCase() : w[0]!.toUpperCase() + w.slice(1).toLowerCase()))
    .join('');
}

/** A JSON or page value as a bigint (numbers, "0x…" strings, decimal text), else the text. */
export function norm(v: unknown): string {
  if (typeof v === 'number') return BigInt(v).toString();
  if (typeof v === 'string' && /^(0x[0-9a-f]+|\d+)$/i.test(v)) return BigInt(v).toString();
  return String(v).toLowerCase();
}

export function rmArtifacts(): void {
  rmSync(ARTIFACTS, { recursive: true, force: true });
}
