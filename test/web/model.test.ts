// The page's data layer under Node (no browser): HESTs built from the Build form equal the HESTs
// QEMU itself served (captured from running QEMUs, reference/qemu/captured); inputs split and
// read as the page says, with problems naming where they are; a Redfish CPERSection decodes to
// the section vras decode finds in the whole record; the Watch view's run is the trace
// `vras simulate` writes, on every layer of the diagram.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { bytesToHex } from '../../src/codec/index.js';
import { buildHest, DEFAULT_HEST_FORM, type HestForm } from '../../src/web/model/build.js';
import { decodeRecord } from '../../src/web/model/decode.js';
import { parseFileInput, parseTextInput } from '../../src/web/model/input.js';
import { findScenario, LAYERS, mergeWrites, runWatch } from '../../src/web/model/watch.js';
import { readShared } from '../support/shared.js';
import { CORPUS, cliJson, vras } from './support.js';

const ghesV2 = (id: string, notification: string, status: string, ack: string) => ({
  type: 'ghes-v2' as const,
  sourceId: id,
  notification,
  errorStatusAddress: status,
  readAckAddress: ack,
  errorStatusBlockLength: '1024',
});

describe('the Build form', () => {
  it("builds QEMU 7.2's linked HEST byte for byte (blob at 0x43DA0000)", () => {
    const form: HestForm = {
      ...DEFAULT_HEST_FORM,
      sources: [ghesV2('0', 'sea', '0x43da0000', '0x43da0008')],
    };
    const want = readShared(
      'reference',
      'qemu',
      'captured',
      'qemu-7.2.22-debian12',
      'virt',
      'HEST.patched.bin',
    );
    assert.equal(bytesToHex(buildHest(form).bytes!), bytesToHex(want));
  });

  it("builds QEMU 10.2's two-source linked HEST byte for byte", () => {
    const form: HestForm = {
      ...DEFAULT_HEST_FORM,
      sources: [
        ghesV2('0', 'sea', '0x43da0000', '0x43da0010'),
        ghesV2('1', 'gpio', '0x43da0008', '0x43da0018'),
      ],
    };
    const want = readShared(
      'reference',
      'qemu',
      'captured',
      'qemu-10.2.50-ece408818d',
      'virt',
      'HEST.patched.bin',
    );
    assert.equal(bytesToHex(buildHest(form).bytes!), bytesToHex(want));
  });

  it('names the form field a bad value is in', () => {
    const bad = buildHest({ ...DEFAULT_HEST_FORM, sources: [ghesV2('0', 'sea', '0x12g', '0x8')] });
    assert.equal(bad.bytes, undefined);
    assert.match(bad.error!, /^source 1 error status address must be a decimal or 0x hex number/);
    const notif = buildHest({
      ...DEFAULT_HEST_FORM,
      sources: [ghesV2('0', 'carrier-pigeon', '0', '8')],
    });
    assert.match(
      notif.error!,
      /source 1: notification "carrier-pigeon" is not a notification type/,
    );
  });
});

describe('the Decode input', () => {
  const cper = readFileSync(join(CORPUS, '05-memory-s1.cper'));

  it('decodes a Redfish CPERSection (descriptor + body) to the section vras decode finds in the record', () => {
    // UEFI N.2.2: the first descriptor is at 128, its section at the offset it names.
    const offset = cper.readUInt32LE(128);
    const length = cper.readUInt32LE(132);
    const payload = Buffer.concat([
      cper.subarray(128, 200),
      cper.subarray(offset, offset + length),
    ]);
    const parsed = parseTextInput(
      JSON.stringify({
        DiagnosticDataType: 'CPERSection',
        DiagnosticData: payload.toString('base64'),
      }),
    );
    assert.deepEqual(parsed.problems, []);
    assert.equal(parsed.records.length, 1);
    const r = parsed.records[0]!;
    assert.equal(r.as, 'section-with-descriptor');
    const d = decodeRecord(r.bytes, { as: r.as! });
    assert.equal(d.kind, 'section-with-descriptor');
    // The section is the one vras decode finds in the whole record.
    const cli = cliJson(join(CORPUS, '05-memory-s1.cper'));
    const section = (cli.value.sections as { sectionType: string; body: unknown }[])[0]!;
    const shown = JSON.parse(d.json!) as { value: { sectionType: string; body: unknown } };
    assert.equal(shown.value.sectionType, section.sectionType);
    assert.deepEqual(shown.value.body, section.body);
  });

  it('reads a LogEntryCollection member by member and names a bad member and character', () => {
    const good = cper.toString('base64');
    const parsed = parseTextInput(
      JSON.stringify({
        Members: [
          { DiagnosticDataType: 'CPER', DiagnosticData: good },
          { DiagnosticDataType: 'CPER', DiagnosticData: `${good.slice(0, 8)}!${good.slice(9)}` },
          { DiagnosticDataType: 'OEM', DiagnosticData: good },
        ],
      }),
    );
    // The OEM entry carries no CPER: not a record, and not a problem either (the codec's rule).
    assert.deepEqual(
      parsed.records.map((r) => [r.origin, r.as]),
      [['Members[0]', 'cper-record']],
    );
    assert.equal(parsed.problems.length, 1);
    assert.equal(parsed.problems[0]!.origin, 'Members[1]');
    assert.match(parsed.problems[0]!.message, /character 8/);
  });

  it('splits CPER records back to back in a raw file, and one record per line in a text log', () => {
    const other = readFileSync(join(CORPUS, '03-arm-s1.cper'));
    const raw = parseFileInput(
      new Uint8Array(Buffer.concat([cper, other, Buffer.from([1, 2, 3])])),
    );
    assert.deepEqual(
      raw.records.map((r) => [r.origin, r.bytes.length]),
      [
        ['record 1 at 0x0', cper.length],
        [`record 2 at 0x${cper.length.toString(16)}`, other.length],
        [`bytes after record 2 at 0x${(cper.length + other.length).toString(16)}`, 3],
      ],
    );
    const log = parseTextInput(`${cper.toString('base64')}\n\n${other.toString('hex')}\n`);
    assert.equal(log.records.length, 2);
    assert.deepEqual([...log.records[1]!.bytes], [...other]);
  });

  it("names the character where hex text goes wrong, as vras decode's --input hex does", () => {
    // Neither hex (a 'g') nor base64 (the ':'): read as the hex it was meant to be.
    const text = '43:50:45:5g';
    const parsed = parseTextInput(text);
    assert.equal(parsed.records.length, 0);
    assert.match(
      parsed.problems[0]!.message,
      /'g' is not a hex digit \(character 7, spacing ignored\)/,
    );
    const cli = vras(['decode', '-', '--input', 'hex'], text);
    assert.equal(cli.code, 2);
    assert.match(cli.stderr, /character 7/);
  });

  it("gives the lint's verdict as vras lint does (memory_failure pfn, accepted)", () => {
    const file = join(CORPUS, '05-memory-s2.block.bin');
    const d = decodeRecord(new Uint8Array(readFileSync(file)));
    const lint = JSON.parse(vras(['lint', file, '--json']).stdout) as {
      value: {
        acceptance?: { accepted: boolean; panic: boolean; memoryFailures: { pfn: string }[] };
      };
    };
    const a = lint.value.acceptance!;
    assert.equal(d.lint.acceptance!.accepted, a.accepted);
    assert.equal(d.lint.acceptance!.panic, a.panic);
    for (const m of a.memoryFailures) assert.match(d.summary.verdict, new RegExp(`pfn ${m.pfn}`));
  });
});

describe('the Watch run', () => {
  it('is the trace vras simulate writes, and every layer of the diagram is used by some scenario', () => {
    const run = runWatch(findScenario('ar-sea'), 1n);
    const path = join(tmpdir(), `vras-web-model-trace-${process.pid}.jsonl`);
    assert.equal(vras(['simulate', 'ar-sea', '--seed', '1', '--trace', path, '--quiet']).code, 0);
    const trace = readFileSync(path, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as unknown);
    assert.deepEqual(
      run.events.map((e) => e.event),
      trace,
    );
    const used = new Set<string>();
    for (const name of ['ar-sea', 'sea-invalid-address', 'ao-gpio']) {
      for (const e of runWatch(findScenario(name), 1n).events) used.add(e.layer);
    }
    assert.deepEqual(
      LAYERS.filter((l) => !used.has(l)),
      [],
    );
  });

  it('shows the record the VMM wrote, and it names the victim page', () => {
    const run = runWatch(findScenario('ar-sea'), 1n);
    const posted = run.events.find(
      (e) => e.event.src === 'vmm' && e.event.ev === 'record-written',
    )!;
    // Body first, block_status last: merged, the spans hold the whole block.
    const block = mergeWrites(posted.writes).find(
      (w) => w.bytes.length === Number(posted.event.size),
    )!;
    assert.ok(block !== undefined, 'a write of the record size');
    const d = decodeRecord(block.bytes);
    assert.equal(d.kind, 'ghes-status-block');
    // The catalogue's victim page (VICTIM.gpa = 0x7c3c7000, the harness's victim).
    assert.match(d.summary.address, /0x000000007c3c7000/);
  });
});
