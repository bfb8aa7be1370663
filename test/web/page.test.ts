// The page in headless Chromium (Debian's, through playwright-core), checked against the CLI:
// each input form decodes to the fields `vras decode --format json` gives for the same bytes
// (and the Linux lines to a real 6.1 guest's capture); a HEST built in the page equals
// `vras hest build`'s; a record built in the page equals `vras encode`'s; a scenario runs and
// steps as `vras simulate --trace` records it; and the page works with the network off.
// Screenshots of each view in both themes go to test-artifacts/web/.

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import type { Page } from 'playwright-core';
import {
  ARTIFACTS,
  CORPUS,
  camel,
  chromiumAvailable,
  cliJson,
  norm,
  type PageHarness,
  ROOT,
  SKIP_MESSAGE,
  startHarness,
  vras,
} from './support.js';

const available = chromiumAvailable();
let harness: PageHarness | undefined;

function skipped(t: TestContext): boolean {
  if (harness !== undefined) return false;
  t.skip(SKIP_MESSAGE);
  return true;
}

interface ShownRow {
  structure: string;
  field: string;
  value: string;
  offset: number;
  size: number;
}

/**
 * The page's URL once it matches `re`. The page writes its state into the hash after rendering
 * (an effect), so right after a click the URL may not have caught up yet; waits up to 5 s.
 */
async function urlMatching(page: Page, re: RegExp): Promise<string> {
  const end = Date.now() + 5000;
  for (;;) {
    const url = page.url();
    if (re.test(url) || Date.now() > end) {
      assert.match(url, re);
      return url;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function rows(page: Page): Promise<ShownRow[]> {
  return page.$$eval('.fields tr[data-offset]', (trs) =>
    trs.map((tr) => {
      const d = (tr as HTMLElement).dataset;
      return {
        structure: d.structure ?? '',
        field: d.field ?? '',
        value: d.value ?? '',
        offset: Number(d.offset),
        size: Number(d.size),
      };
    }),
  );
}

async function paste(page: Page, text: string): Promise<void> {
  await page.fill('#input', text);
  await page.waitForSelector('.record [data-kind]');
}

/** The first section body in a vras/v1 value (status block entries or record sections). */
function firstBody(value: Record<string, unknown>): Record<string, unknown> {
  const list = (value.entries ?? value.sections) as { body: Record<string, unknown> }[];
  return list[0]!.body;
}

/**
 * The page shows what the CLI's JSON says: the JSON pane parses to the same document, and every
 * shown section-body field the JSON names has the JSON's value (the page's rows come from the
 * reader's field trace, the JSON from the decoded value: two paths through the codec).
 */
async function checkAgainstCli(page: Page, file: string, minBodyFields: number): Promise<void> {
  const cli = cliJson(file);
  const shownJson = await page.$eval('pre.json', (e) => e.textContent ?? '');
  assert.deepEqual(JSON.parse(shownJson), cli);
  const body = firstBody(cli.value);
  const top = new Set(['CPER record', 'GHES status block', 'Generic Error Data Entry']);
  let compared = 0;
  for (const r of await rows(page)) {
    if (top.has(r.structure)) continue;
    const v = body[camel(r.field)];
    if (v === undefined || typeof v === 'object') continue;
    assert.equal(norm(r.value), norm(v), `${r.structure}.${r.field} at ${r.offset}`);
    compared++;
  }
  assert.ok(compared >= minBodyFields, `compared ${compared} body fields, wanted ${minBodyFields}`);
  const kind = await page.$eval('.record [data-kind]', (e) => (e as HTMLElement).dataset.kind);
  assert.equal(kind, cli.kind);
}

async function shoot(page: Page, name: string): Promise<void> {
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.screenshot({ path: join(ARTIFACTS, `${name}-${scheme}.png`) });
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

describe('the vras page in headless Chromium', { skip: available ? false : SKIP_MESSAGE }, () => {
  before(async () => {
    if (!available) {
      process.stdout.write(`# ${SKIP_MESSAGE}\n`);
      return;
    }
    harness = await startHarness();
  });
  after(async () => {
    await harness?.close();
  });

  it('decodes a status block pasted as hex: the CLI JSON fields and a real 6.1 guest’s lines', async (t) => {
    if (skipped(t)) return;
    const { context, page } = await harness!.newPage();
    await page.goto(harness!.url);
    const file = join(CORPUS, '05-memory-s1.block.bin');
    const bytes = readFileSync(file);
    await paste(page, bytes.toString('hex').replace(/(.{32})/g, '$1\n'));
    await checkAgainstCli(page, file, 15);
    // What the guest prints: with the capture's source (polled, id 3) the real kernel's lines, up
    // to the {N} counter; with the default SEA source what vras decode --format linux prints.
    const linux = async () =>
      (await page.$eval('pre.linux', (e) => e.textContent ?? '')).split('\n');
    const sea = vras(['decode', file, '--format', 'linux']).stdout.replace(/\n$/, '').split('\n');
    assert.deepEqual(await linux(), sea);
    await page.selectOption('select[name=notify]', 'polled');
    await page.fill('input[name=sourceId]', '3');
    const real = readFileSync(join(CORPUS, '05-memory-s1.linux61.txt'), 'utf8')
      .trimEnd()
      .split('\n');
    // The capture's lines are stored without trailing spaces.
    const canon = (l: string) => l.trimEnd().replace(/^\{\d+\}/, '{N}');
    assert.deepEqual((await linux()).map(canon), real.map(canon));
    await urlMatching(page, /n=polled/);
    // Hovering a field highlights exactly its bytes; hovering a byte highlights its field.
    const pa = (await rows(page)).find((r) => r.field === 'physical address')!;
    await page.hover(`.fields tr[data-offset="${pa.offset}"]`);
    const lit = await page.$$eval('.hex .b.hl', (bs) =>
      bs.map((b) => Number((b as HTMLElement).dataset.o)),
    );
    assert.deepEqual(
      lit,
      Array.from({ length: pa.size }, (_, i) => pa.offset + i),
    );
    await page.hover(`.hex .b[data-o="${pa.offset + 3}"]`);
    assert.equal(
      await page.$eval('.fields tr.hl', (e) => (e as HTMLElement).dataset.field),
      'physical address',
    );
    // The selection goes into the URL and comes back from it.
    await page.click(`.fields tr[data-offset="${pa.offset}"]`);
    const link = await urlMatching(page, new RegExp(`sel=0x${pa.offset.toString(16)}`));
    await page.goto('about:blank');
    await page.goto(link);
    await page.waitForSelector('.fields tr.sel');
    assert.equal(
      await page.$eval('.fields tr.sel', (e) => (e as HTMLElement).dataset.field),
      'physical address',
    );
    // Keyboard: ↓ moves through the fields (selecting each), and ← → move between the views.
    await page.focus('.fields tr[data-offset="0"]');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    assert.equal(
      await page.$eval('.fields tr.sel', (e) => Number((e as HTMLElement).dataset.offset)),
      8,
    );
    await urlMatching(page, /sel=0x8(&|$)/);
    await page.focus('#tab-decode');
    await page.keyboard.press('ArrowRight');
    await page.waitForSelector('.view.build');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'tab-build');
    await page.goBack();
    await page.waitForSelector('.record [data-kind]');
    await shoot(page, 'decode');
    assert.deepEqual((page as Page & { errors: string[] }).errors, []);
    await context.close();
  });

  it('decodes a CPER record given as base64 and as a raw file like vras decode', async (t) => {
    if (skipped(t)) return;
    const { context, page } = await harness!.newPage();
    await page.goto(harness!.url);
    const file = join(CORPUS, '03-arm-s1.cper');
    await paste(page, readFileSync(file).toString('base64'));
    await checkAgainstCli(page, file, 3);
    await page.fill('#input', '');
    await page.setInputFiles('input[type=file]', join(CORPUS, '05-memory-s2.cper'));
    await page.waitForSelector('.record [data-kind]');
    await checkAgainstCli(page, join(CORPUS, '05-memory-s2.cper'), 15);
    await context.close();
  });

  it('decodes a Redfish LogEntry (CPER) like vras decode decodes its DiagnosticData', async (t) => {
    if (skipped(t)) return;
    const { context, page } = await harness!.newPage();
    await page.goto(harness!.url);
    const file = join(CORPUS, '07-pcie-s1.cper');
    const entry = {
      '@odata.type': '#LogEntry.v1_16_0.LogEntry',
      Id: '7',
      EntryType: 'CPER',
      DiagnosticDataType: 'CPER',
      DiagnosticData: readFileSync(file).toString('base64'),
    };
    await paste(page, JSON.stringify(entry, null, 1));
    assert.match((await page.textContent('.status')) ?? '', /Redfish LogEntry/);
    await checkAgainstCli(page, file, 3);
    // A LogEntryCollection with a CPERSection member (descriptor + body, libcper's single-section
    // form): the second record decodes as vras decode decodes those bytes.
    const mem = readFileSync(join(CORPUS, '05-memory-s1.cper'));
    const off = mem.readUInt32LE(128);
    const swd = Buffer.concat([
      mem.subarray(128, 200),
      mem.subarray(off, off + mem.readUInt32LE(132)),
    ]);
    const swdFile = join(tmpdir(), `vras-web-swd-${process.pid}.bin`);
    writeFileSync(swdFile, swd);
    await page.fill(
      '#input',
      JSON.stringify({
        Members: [
          entry,
          {
            ...entry,
            Id: '8',
            DiagnosticDataType: 'CPERSection',
            DiagnosticData: swd.toString('base64'),
          },
        ],
      }),
    );
    await page.waitForSelector('table.records tbody tr[data-index="1"]');
    await page.click('table.records tbody tr[data-index="1"]');
    await page.waitForSelector('.record [data-kind="section-with-descriptor"]');
    const cli = cliJson(swdFile);
    assert.deepEqual(JSON.parse(await page.$eval('pre.json', (e) => e.textContent ?? '')), cli);
    await context.close();
  });

  it('shows a log of records as a sortable table that opens each record', async (t) => {
    if (skipped(t)) return;
    const { context, page } = await harness!.newPage();
    await page.goto(harness!.url);
    const files = ['05-memory-s1.cper', '03-arm-s3.cper', '05-memory-s2.cper'].map((f) =>
      join(CORPUS, f),
    );
    await page.fill('#input', files.map((f) => readFileSync(f).toString('base64')).join('\n'));
    await page.waitForSelector('table.records tbody tr');
    assert.equal(await page.locator('table.records tbody tr').count(), 3);
    const severities = files.map((f) => cliJson(f).value.errorSeverity as number);
    // Linux's cper_severity_strs (drivers/firmware/efi/cper.c).
    const names = ['recoverable', 'fatal', 'corrected', 'info'];
    const shownSev = await page.$$eval('table.records tbody tr td:nth-child(3)', (tds) =>
      tds.map((td) => td.textContent),
    );
    assert.deepEqual(
      shownSev,
      severities.map((s) => names[s]),
    );
    // Sort by severity: the rows come back in the order of their severity names.
    await page.click('table.records th:nth-child(3) button');
    const sorted = await page.$$eval('table.records tbody tr td:nth-child(3)', (tds) =>
      tds.map((td) => td.textContent ?? ''),
    );
    assert.deepEqual(sorted, [...sorted].sort());
    // Open the second record with the keyboard.
    await page.focus('table.records tbody tr[data-index="1"]');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() =>
      document.querySelector('h2')?.textContent?.startsWith('Record 2 of 3'),
    );
    await checkAgainstCli(page, files[1]!, 3);
    await urlMatching(page, /rec=1/);
    await page.screenshot({ path: join(ARTIFACTS, 'decode-log-light.png') });
    await context.close();
  });

  it('names the offset where bad input fails, and never shows a blank page', async (t) => {
    if (skipped(t)) return;
    const { context, page } = await harness!.newPage();
    await page.goto(harness!.url);
    const truncated = readFileSync(join(CORPUS, '05-memory-s1.block.bin')).subarray(0, 100);
    const tmp = join(tmpdir(), `vras-web-trunc-${process.pid}.bin`);
    writeFileSync(tmp, truncated);
    const cli = vras(['decode', tmp, '--as', 'status-block']);
    assert.equal(cli.code, 2);
    const cliOffset = /at offset (0x[0-9a-f]+)/.exec(cli.stderr)?.[1];
    assert.ok(cliOffset !== undefined, cli.stderr);
    await page.fill('#input', truncated.toString('hex'));
    await page.waitForSelector('.record .error');
    const shownOffset = await page.$eval(
      '.record .error',
      (e) => (e as HTMLElement).dataset.errorOffset,
    );
    assert.equal(Number(shownOffset), Number(cliOffset));
    assert.match(
      (await page.textContent('.record .error')) ?? '',
      new RegExp(`offset ${cliOffset}`),
    );
    // The fields read before the failure are still there, and the failing byte is marked.
    assert.ok((await rows(page)).length >= 5);
    await page.screenshot({ path: join(ARTIFACTS, 'decode-error-light.png') });
    // Text that is neither hex nor base64: a message naming the character.
    await page.fill('#input', 'CPER-not-hex!');
    const msg = (await page.textContent('[role=alert]')) ?? '';
    assert.match(msg, /character \d+/);
    assert.ok((await page.textContent('header'))?.includes('vras'));
    assert.deepEqual((page as Page & { errors: string[] }).errors, []);
    await context.close();
  });

  it('builds a HEST whose bytes equal vras hest build (a config and a QEMU profile)', async (t) => {
    if (skipped(t)) return;
    const { context, page } = await harness!.newPage();
    await page.goto(`${harness!.url}#build`);
    await page.click('text=Add a source');
    await page.fill('input[name=errorStatusAddress1]', '0x7c410100');
    await page.selectOption('select[name=notification1]', 'gpio');
    await page.selectOption('select[name=type1]', 'ghes');
    await page.fill('input[name=errorStatusBlockLength1]', '4096');
    const shown = await page.$eval('pre.dump', (e) => (e as HTMLElement).dataset.hex ?? '');
    const command = (await page.textContent('pre.command')) ?? '';
    const config = /<<'EOF'\n([\s\S]*)\nEOF\n/.exec(command)?.[1];
    assert.ok(config !== undefined, command);
    const cfgFile = join(tmpdir(), `vras-web-hest-${process.pid}.json`);
    writeFileSync(cfgFile, config);
    const cli = vras(['hest', 'build', cfgFile]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal(shown, cli.stdout.trim());
    // The downloads hold the same bytes: raw, hex and base64.
    const fetchDownload = async (label: string): Promise<Buffer> => {
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.click(`.output button:text-is("${label}")`),
      ]);
      return readFileSync((await download.path())!);
    };
    assert.equal((await fetchDownload('raw')).toString('hex'), shown);
    assert.equal((await fetchDownload('hex')).toString('utf8').trim(), shown);
    assert.equal(
      Buffer.from((await fetchDownload('base64')).toString('utf8').trim(), 'base64').toString(
        'hex',
      ),
      shown,
    );
    await shoot(page, 'build');
    // QEMU's profile.
    await page.selectOption('select[name=profile]', 'qemu-10.2-virt');
    await page.fill('input[name=blobAddress]', '0x7c410000');
    const profile = vras([
      'hest',
      'build',
      '--profile',
      'qemu-10.2-virt',
      '--blob-address',
      '0x7c410000',
    ]);
    assert.equal(
      await page.$eval('pre.dump', (e) => (e as HTMLElement).dataset.hex),
      profile.stdout.trim(),
    );
    assert.match(
      (await page.textContent('pre.command')) ?? '',
      /vras hest build --profile qemu-10.2-virt --blob-address 0x7c410000/,
    );
    // A bad field names itself.
    await page.fill('input[name=blobAddress]', '0xZZ');
    assert.match(
      (await page.textContent('[role=alert]')) ?? '',
      /blob address must be a decimal or 0x hex number/,
    );
    await context.close();
  });

  it('builds a CPER record whose bytes equal vras encode of the command’s JSON', async (t) => {
    if (skipped(t)) return;
    const { context, page } = await harness!.newPage();
    await page.goto(`${harness!.url}#build?what=record`);
    await page.selectOption('select[name=container]', 'cper-record');
    await page.fill('input[name=physicalAddress]', '0x12345000');
    await page.selectOption('select[name=severity]', '2');
    const shown = await page.$eval('pre.dump', (e) => (e as HTMLElement).dataset.hex ?? '');
    const command = (await page.textContent('pre.command')) ?? '';
    const doc = /<<'EOF'\n([\s\S]*)\nEOF\n/.exec(command)?.[1];
    assert.ok(doc !== undefined);
    const f = join(tmpdir(), `vras-web-record-${process.pid}.json`);
    writeFileSync(f, doc);
    const cli = vras(['encode', f]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal(shown, cli.stdout.trim());
    // The ARM section form gives what vras encode gives too.
    await page.selectOption('select[name=section]', 'arm');
    await page.selectOption('select[name=armErrorType]', 'Tlb');
    const armShown = await page.$eval('pre.dump', (e) => (e as HTMLElement).dataset.hex ?? '');
    const armDoc = /<<'EOF'\n([\s\S]*)\nEOF\n/.exec(
      (await page.textContent('pre.command')) ?? '',
    )?.[1];
    const armFile = join(tmpdir(), `vras-web-arm-${process.pid}.json`);
    writeFileSync(armFile, armDoc ?? '');
    assert.equal(armShown, vras(['encode', armFile]).stdout.trim());
    assert.notEqual(armShown, shown);
    // And the CLI decodes the memory record's bytes to the address typed in the form.
    const bin = join(tmpdir(), `vras-web-record-${process.pid}.bin`);
    writeFileSync(bin, Buffer.from(shown, 'hex'));
    assert.equal(norm(firstBody(cliJson(bin).value).physicalAddress), norm('0x12345000'));
    await context.close();
  });

  it('runs a scenario, steps through it as vras simulate traces it, and shows the PowerPC table', async (t) => {
    if (skipped(t)) return;
    const { context, page } = await harness!.newPage();
    const tracePath = join(tmpdir(), `vras-web-trace-${process.pid}.jsonl`);
    const sim = vras(['simulate', 'ar-sea', '--seed', '1', '--trace', tracePath, '--quiet']);
    assert.equal(sim.code, 0, sim.stderr);
    const trace = readFileSync(tracePath, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { ev: string; src: string });
    await page.goto(`${harness!.url}#watch?s=ar-sea&seed=1`);
    await page.waitForSelector('.diagram .ev');
    assert.equal(await page.locator('.diagram .ev').count(), trace.length);
    const at = async () =>
      Number(await page.$eval('.step', (e) => (e as HTMLElement).dataset.step));
    const ev = async () => page.$eval('.detail', (e) => (e as HTMLElement).dataset.ev);
    assert.equal(await ev(), trace[0]!.ev);
    for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowRight');
    assert.equal(await at(), 5);
    assert.equal(await ev(), trace[5]!.ev);
    await page.click('button[name=back]');
    assert.equal(await at(), 4);
    assert.equal(await ev(), trace[4]!.ev);
    // The event where the VMM posts the record shows the bytes it wrote: a status block the CLI
    // decodes as the recoverable memory error at the victim's page.
    const posted = trace.findIndex((e) => e.src === 'vmm' && e.ev === 'record-written');
    await page.click(`.diagram .ev[data-step="${posted}"]`);
    assert.equal(await at(), posted);
    assert.match((await page.textContent('.detail')) ?? '', /Bytes written to guest memory/);
    await urlMatching(page, new RegExp(`step=${posted}(&|$)`));
    await shoot(page, 'watch');
    // Its "decode" link opens the block in the Decode view: a recoverable memory error at the
    // victim's page (the catalogue's VICTIM.gpa, which the trace's sigbus-handled event names).
    const victim = (trace.find((e) => e.ev === 'sigbus-handled') as unknown as { gpa: string }).gpa;
    await Promise.all([page.waitForURL(/#decode/), page.click('.detail a[data-decode]')]);
    await page.waitForSelector('.record [data-kind="ghes-status-block"]');
    const pa = (await rows(page)).find((r) => r.field === 'physical address');
    assert.equal(norm(pa?.value), norm(victim));
    await page.goBack();
    await page.waitForSelector('.diagram .ev');
    // PowerPC old/new kernel × old/new VMM, as vras simulate ppc-compat-matrix --json says.
    const ppc = vras(['simulate', 'ppc-compat-matrix', '--json']);
    const cells = (
      JSON.parse(ppc.stdout) as {
        value: { cells: { kernel: string; vmm: string; where: string; result: string }[] };
      }
    ).value.cells;
    assert.equal(cells.length, 8);
    for (const c of cells) {
      const shown = await page.textContent(`[data-cell="${c.kernel}-${c.vmm}-${c.where}"]`);
      assert.equal(shown, c.result, `${c.kernel} kernel × ${c.vmm} VMM, ${c.where}`);
    }
    await page.locator('.ppc').screenshot({ path: join(ARTIFACTS, 'watch-ppc-light.png') });
    // A small campaign (uncorrected errors, so every layer runs) draws its charts; its counts are
    // the CLI's for the same options.
    await page.fill('input[name=vms]', '4');
    await page.fill('input[name=hours]', '2');
    await page.selectOption('select[name=mix]', 'uncorrected');
    await page.click('button[name=run-campaign]');
    await page.waitForSelector('.charts svg');
    const camp = vras([
      'campaign',
      '--vms',
      '4',
      '--hours',
      '2',
      '--seed',
      '1',
      '--mix',
      'uncorrected',
      '--json',
    ]);
    const summary = (JSON.parse(camp.stdout) as { value: { errors: number; processKills: number } })
      .value;
    assert.ok(summary.errors > 0);
    assert.equal(
      Number(await page.$eval('.charts', (e) => (e as HTMLElement).dataset.errors)),
      summary.errors,
    );
    assert.match(
      (await page.textContent('.charts')) ?? '',
      new RegExp(`processes killed${summary.processKills}`),
    );
    await page
      .locator('.campaign')
      .screenshot({ path: join(ARTIFACTS, 'watch-campaign-light.png') });
    await context.close();
  });

  it('runs the JSON scenarios vras simulate lists, and one pasted as JSON', async (t) => {
    if (skipped(t)) return;
    const { context, page } = await harness!.newPage();
    const traceOf = (name: string): number => {
      const path = join(tmpdir(), `vras-web-${name}-${process.pid}.jsonl`);
      const r = vras(['simulate', name, '--seed', '1', '--trace', path, '--quiet']);
      assert.equal(r.code, 0, r.stderr);
      return readFileSync(path, 'utf8').trimEnd().split('\n').length;
    };
    await page.goto(`${harness!.url}#watch?s=unacked-backlog`);
    await page.waitForSelector('.diagram .ev');
    assert.equal(await page.locator('.diagram .ev').count(), traceOf('unacked-backlog'));
    assert.match((await page.textContent('.outcome')) ?? '', /as expected/);
    // The same document pasted under another name runs the same events.
    const doc = JSON.parse(
      readFileSync(join(ROOT, 'src', 'scenarios', 'polled-ce-storm.json'), 'utf8'),
    );
    await page.click('text=Run a scenario pasted as JSON');
    await page.fill('textarea[name=scenario-json]', JSON.stringify({ ...doc, name: 'my-storm' }));
    await page.waitForFunction(() =>
      document.querySelector('.step')?.textContent?.startsWith('event 1 of'),
    );
    const storm = traceOf('polled-ce-storm');
    assert.equal(await page.locator('.diagram .ev').count(), storm);
    // The pasted scenario is in the link: reopened, it runs again.
    const link = await urlMatching(page, /[?&]j=/);
    await page.goto('about:blank');
    await page.goto(link);
    await page.waitForSelector('.diagram .ev');
    assert.equal(await page.locator('.diagram .ev').count(), storm);
    // A broken document is a message, not a blank view.
    await page.fill('textarea[name=scenario-json]', '{"schema": "vras/scenario/v1", "name": 5');
    assert.match((await page.textContent('[role=alert]')) ?? '', /Cannot parse the scenario JSON/);
    assert.deepEqual((page as Page & { errors: string[] }).errors, []);
    await context.close();
  });

  it('works with the network off: from file:// and from its origin with every other request blocked', async (t) => {
    if (skipped(t)) return;
    const { context, page } = await harness!.newPage();
    const foreign: string[] = [];
    const origin = new URL(harness!.url).origin;
    await context.route('**/*', (route) => {
      const u = route.request().url();
      if (
        u.startsWith(origin) ||
        u.startsWith('file:') ||
        u.startsWith('data:') ||
        u.startsWith('blob:')
      ) {
        return route.continue();
      }
      foreign.push(u);
      return route.abort();
    });
    await page.goto(harness!.url);
    await page.click('button[data-sample="cper"]');
    await page.waitForSelector('.record [data-kind="cper-record"]');
    await page.reload();
    await page.waitForSelector('.record [data-kind="cper-record"]');
    // Offline (localhost included): the built files from file:// still do everything.
    await context.setOffline(true);
    await page.goto(`${harness!.fileUrl}#watch?s=ao-gpio`);
    await page.waitForSelector('.diagram .ev');
    await page.goto(`${harness!.fileUrl}#decode`);
    await page.click('button[data-sample="redfish"]');
    await page.waitForSelector('.record [data-kind="cper-record"]');
    assert.deepEqual(foreign, []);
    assert.deepEqual((page as Page & { errors: string[] }).errors, []);
    await context.close();
  });
});
