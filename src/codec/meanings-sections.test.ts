// The table's meanings for every section kind, walked over every record of the libcper corpus
// (../shared/reference/libcper-corpus: libcper's generator, every section type) and checked
// against independent readings of the same bytes: what the real Linux 6.1.192 kernel printed
// for them (*.linux61.txt) and the UEFI 2.10 tables.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sharedPath } from '../../test/support/shared.js';
import { readCperRecord } from './cper-record.js';
import { readGhesStatusBlock } from './generic-error-status.js';
import {
  CODEC_MEANINGS,
  meaningsForBareSection,
  SECTION_MEANINGS,
  sectionOfRow,
} from './meanings.js';
import type { FieldTrace } from './reader.js';
import { registeredSections } from './section.js';
import './sections/index.js';
import { annotate, type TableRow } from './table.js';

const CORPUS = sharedPath('reference', 'libcper-corpus');
const RECORDS = readdirSync(CORPUS)
  .filter((f) => f.endsWith('.cper'))
  .sort()
  .map((f) => ({ name: f, bytes: new Uint8Array(readFileSync(join(CORPUS, f))) }));

/** RTAS (PowerPC) names that must never describe a UEFI section's field. */
const RTAS_ONLY = /\b(SLB|ERAT|UE|D-cache|I-cache|RA_LOAD|RA_STORE)\b/;

function sectionRows(rows: readonly TableRow[]): TableRow[] {
  return rows.filter((r) => r.structure === 'section body' || r.structure.endsWith(' section'));
}

function traceOf(rows: readonly TableRow[]): FieldTrace[] {
  return rows
    .filter((r) => r.value !== undefined)
    .map((r) => ({
      offset: r.offset,
      size: r.size,
      structure: r.structure,
      field: r.field,
      value: r.value!,
    }));
}

describe('every annotated section field gets its meaning from its own structure', () => {
  it('the corpus covers every section kind vras decodes that libcper generates', () => {
    const kinds = new Set<string>();
    for (const r of RECORDS) {
      const a = annotate(r.bytes, readCperRecord, { structure: 'CPER record' });
      const trace = traceOf(a.rows);
      for (const row of sectionRows(a.rows)) {
        const s = sectionOfRow(trace.find((t) => t.offset === row.offset) ?? trace[0]!, trace);
        const kind = registeredSections().find((c) => c.guid === s?.guid)?.kind;
        if (kind !== undefined) kinds.add(kind);
      }
    }
    // libcper's generator makes no memory sparing or dynamic capacity events.
    const notGenerated = new Set(['cxl-memory-sparing', 'cxl-dynamic-capacity']);
    for (const k of Object.keys(SECTION_MEANINGS).filter((x) => !notGenerated.has(x))) {
      assert.ok(kinds.has(k), `no ${k} section`);
    }
  });

  for (const r of RECORDS) {
    it(`${r.name}: each row's meaning is its own section kind's, or none`, () => {
      const a = annotate(r.bytes, readCperRecord, {
        structure: 'CPER record',
        meanings: CODEC_MEANINGS,
      });
      const trace = traceOf(a.rows);
      for (const row of sectionRows(a.rows)) {
        if (row.meaning === '') continue;
        const t = trace.find((x) => x.offset === row.offset && x.field === row.field)!;
        const s = sectionOfRow(t, trace);
        assert.ok(s !== undefined, `${row.field} at ${row.offset}: no section found`);
        const kind = registeredSections().find((c) => c.guid === s.guid)?.kind ?? '(unknown)';
        assert.ok(
          SECTION_MEANINGS[kind]?.[row.field] !== undefined,
          `${r.name} ${row.field} at ${row.offset} (a ${kind} section) has meaning '${row.meaning}' from a table that is not ${kind}'s`,
        );
        assert.doesNotMatch(row.meaning, RTAS_ONLY, `${r.name} ${row.field}: an RTAS name`);
      }
    });
  }

  it("ARM error types read as UEFI 2.9A bitmasks, as Linux 6.1.192 printed them for the corpus's records", () => {
    let checked = 0;
    for (const r of RECORDS.filter((x) => /^(03-arm|26-mixed)/.test(x.name))) {
      const console = join(CORPUS, r.name.replace('.cper', '.linux61.txt'));
      let lines: string[];
      try {
        lines = readFileSync(console, 'utf8').split('\n');
      } catch {
        continue; // fatal records were not given to the kernel
      }
      const kernel = lines
        .map((l) => /error_type: 0x([0-9a-f]{2}): (.*)$/.exec(l))
        .filter((m) => m !== null)
        .map((m) => ({ type: Number.parseInt(m[1]!, 16), names: m[2]! }));
      const a = annotate(r.bytes, readCperRecord, {
        structure: 'CPER record',
        meanings: CODEC_MEANINGS,
      });
      const rows = a.rows.filter((x) => x.field === 'error type');
      assert.equal(rows.length, kernel.length, r.name);
      rows.forEach((row, i) => {
        const k = kernel[i]!;
        assert.equal(row.value, k.type);
        for (const name of ['cache', 'TLB', 'bus', 'micro-architectural']) {
          const kernelSays = k.names.includes(`${name} error`);
          assert.equal(
            new RegExp(`\\b${name}\\b`).test(row.meaning),
            kernelSays,
            `${r.name} error type 0x${k.type.toString(16)}: kernel '${k.names}', table '${row.meaning}'`,
          );
        }
        assert.equal(/reserved/.test(row.meaning), /reserved/.test(k.names), row.meaning);
        checked++;
      });
    }
    assert.ok(checked >= 4, `only ${checked} error types checked`);
  });

  it('a memory section row has a meaning wherever UEFI 2.10 Table N-31 gives one', () => {
    for (const r of RECORDS.filter((x) => /^(05-memory|06-memory2)/.test(x.name))) {
      const a = annotate(r.bytes, readCperRecord, {
        structure: 'CPER record',
        meanings: CODEC_MEANINGS,
      });
      const rows = sectionRows(a.rows).filter(
        (x) => x.field !== 'reserved' && x.field !== '(not decoded)',
      );
      assert.ok(rows.length >= 18, `${r.name}: ${rows.length} rows`);
      for (const row of rows) assert.notEqual(row.meaning, '', `${r.name} ${row.field}`);
      // Validity follows the section's own validation bits (Table N-31: bit 3 node, 0x8).
      const valid = a.rows.find(
        (x) => x.field === 'validation bits' && x.structure === 'section body',
      );
      const node = rows.find((x) => x.field === 'node')!;
      const set = (BigInt(valid!.value as bigint) & 0x8n) !== 0n;
      assert.match(node.meaning, set ? /^valid/ : /^not valid/);
    }
  });

  it('memory error types and ARM types in a status block match what Linux printed for the same block', () => {
    for (const name of ['05-memory-s2', '03-arm-s2']) {
      const block = new Uint8Array(readFileSync(join(CORPUS, `${name}.block.bin`)));
      const lines = readFileSync(join(CORPUS, `${name}.linux61.txt`), 'utf8');
      const a = annotate(block, readGhesStatusBlock, {
        structure: 'GHES status block',
        meanings: CODEC_MEANINGS,
      });
      const rows = a.rows.filter(
        (x) => x.field === 'memory error type' || x.field === 'error type',
      );
      assert.ok(rows.length > 0, name);
      for (const row of rows) {
        const first = row.meaning.split(/[;(]/)[0]!.trim();
        assert.ok(first !== '', `${name} ${row.field} has no meaning`);
        // Linux prints a memory error type only when its validation bit (0x4000) is set.
        if (row.field === 'memory error type' && /not valid/.test(row.meaning)) {
          assert.doesNotMatch(lines, /error_type: \d+,/, name);
          continue;
        }
        for (const part of first.split(' | ')) {
          assert.ok(lines.includes(part), `${name}: '${part}' is not in the kernel's lines`);
        }
      }
    }
  });

  it('a bare section (vras decode --as section) gets the same meanings as inside a record', () => {
    const r = RECORDS.find((x) => x.name === '05-memory-s1.cper')!;
    const inRecord = annotate(r.bytes, readCperRecord, {
      structure: 'CPER record',
      meanings: CODEC_MEANINGS,
    });
    const body = sectionRows(inRecord.rows);
    const start = body[0]!.offset;
    const end = body.at(-1)!.offset + body.at(-1)!.size;
    const guid = 'a5bc1114-6f64-4ede-b863-3e83ed7c83b1';
    const structure = `section ${guid}`;
    const codec = registeredSections().find((c) => c.guid === guid)!;
    const bare = annotate(r.bytes.subarray(start, end), (rd) => codec.decode(rd), {
      structure,
      meanings: meaningsForBareSection(structure, guid),
    });
    assert.deepEqual(
      bare.rows.map((x) => x.meaning),
      body.map((x) => x.meaning),
    );
  });

  it("DMAr generic access and address types read as libcper's JSON names them", () => {
    for (const seed of ['s1', 's2', 's3', 's4']) {
      const r = RECORDS.find((x) => x.name === `11-dmargeneric-${seed}.cper`)!;
      const libcper = JSON.parse(
        readFileSync(join(CORPUS, `11-dmargeneric-${seed}.libcper.json`), 'utf8'),
      ).sections[0].GenericDmar;
      const a = annotate(r.bytes, readCperRecord, {
        structure: 'CPER record',
        meanings: CODEC_MEANINGS,
      });
      const meaning = (f: string) => a.rows.find((x) => x.field === f)!.meaning.toLowerCase();
      assert.equal(meaning('access type'), libcper.accessType.name.toLowerCase());
      assert.equal(meaning('address type'), libcper.addressType.name.toLowerCase());
    }
  });

  it('IA32/X64 error information rows take validity from their own structure’s validation bits', () => {
    const r = RECORDS.find((x) => x.name === '02-ia32x64-s1.cper')!;
    const a = annotate(r.bytes, readCperRecord, {
      structure: 'CPER record',
      meanings: CODEC_MEANINGS,
    });
    const vb = a.rows.find((x) => x.field === 'error information 0 validation bits')!;
    const ip = a.rows.find((x) => x.field === 'error information 0 instruction pointer')!;
    // UEFI 2.10 Table N-20: bit 4 (0x10) instruction pointer valid.
    const set = (BigInt(vb.value as bigint) & 0x10n) !== 0n;
    assert.match(ip.meaning, set ? /^valid/ : /^not valid/);
    const type = a.rows.find((x) => x.field === 'error information 0 error structure type')!;
    assert.match(type.meaning, /error \(Table N-21\)$/);
  });
});

/** libcper's JSON body for section `i` of a corpus record. */
function libcperBody(name: string, i: number): Record<string, unknown> {
  const json = JSON.parse(
    readFileSync(join(CORPUS, name.replace('.cper', '.libcper.json')), 'utf8'),
  );
  const section = json.sections[i] as Record<string, unknown>;
  const key = Object.keys(section).find((k) => k !== 'message')!;
  return section[key] as Record<string, unknown>;
}

// biome-ignore lint/suspicious/noExplicitAny: libcper's JSON is read as it comes.
type Json = any;
type Check = (meaning: string, body: Json, i: number, value: TableRow['value']) => void;

/** A libcper `add_dict` pair: its name, or `reserved (raw)` where libcper has no name. */
const dictName = (d: Json): string => d.value ?? `reserved (${d.raw})`;
const hexOf = (n: number, digits: number) => `0x${n.toString(16).padStart(digits, '0')}`;

/**
 * For each annotated field of the Arm RAS node, VT-d DMAr, NVIDIA and NVIDIA event sections,
 * what libcper printed for the same bytes. A field name carries its index (`error record 1 …`).
 */
const LIBCPER_CHECKS: Record<string, Array<[RegExp, Check]>> = {
  'arm-ras': [
    [
      /^revision$/,
      (m, b, _i, v) => {
        assert.equal(b.revision, v);
        assert.equal(m.startsWith('revision 1 '), b.revision === 1, m);
      },
    ],
    [/^component type$/, (m, b) => assert.equal(m, dictName(b.componentType))],
    [/^IP instance format$/, (m, b) => assert.equal(m, dictName(b.ipInstanceFormat))],
    [/^IP type format$/, (m, b) => assert.equal(m, dictName(b.ipTypeFormat))],
    [/^user data$/, (m, b) => assert.equal(m, `"${b.userData}"`)],
    [
      /^error record (\d+) RAS extension revision$/,
      (m, b, i) => {
        const e = b.errorSyndromes[i];
        assert.equal(
          m,
          `revision field ${e.rasExtensionRevisionField}, architecture version ${e.rasExtensionArchVersion}`,
        );
      },
    ],
    [
      /^auxiliary context (\d+) flags$/,
      (m, b, i) => assert.equal(m, b.auxData.contexts[i].flags.addressSpaceIdentifierScope),
    ],
    [
      /^key-value pair (\d+) key$/,
      (m, b, i, v) => {
        const kv = b.auxData.keyValuePairs[i];
        assert.equal(v, kv.key);
        assert.equal(m, 'mpamPartId' in kv ? 'MPAM PARTID' : 'vendor key');
      },
    ],
    [
      /^key-value pair (\d+) value$/,
      (m, b, i) => {
        const kv = b.auxData.keyValuePairs[i];
        assert.ok('mpamPartId' in kv, `pair ${i} is not MPAM in libcper, yet '${m}'`);
        assert.equal(m, `MPAM PARTID ${kv.mpamPartId}`);
      },
    ],
  ],
  'dmar-vtd': [
    [
      /^fault record$/,
      (m, b) => {
        const f = b.faultRecord;
        const parts = m.split(', ');
        assert.equal(parts[0], f.type.name);
        assert.ok(m.includes(`source id ${hexOf(f.sourceIdentifier, 4)} (`), m);
        assert.ok(parts.includes(`fault reason ${hexOf(f.faultReason, 2)}`), m);
        assert.ok(parts.includes(`address type ${f.addressType}`), m);
        assert.ok(
          parts.includes(f.pasidPresent ? `PASID ${hexOf(f.pasidValue, 5)}` : 'no PASID'),
          m,
        );
        assert.equal(parts.includes('privileged'), f.privelegeModeRequested, m);
        assert.equal(parts.includes('execute'), f.executePermissionRequested, m);
        const info = BigInt(f.faultInformation) << 12n;
        assert.ok(parts.includes(`fault information 0x${info.toString(16)}`), m);
      },
    ],
  ],
  'dmar-iommu': [
    [
      // libcper gives the entry as base64; Linux's amd/iommu.c reads event[1] >> 28 as the event
      // code and event[0] & 0xffff as the device id, printed `[NAME device=%02x:%02x.%x …]`.
      /^event log entry$/,
      (m, b) => {
        const e = new Uint8Array(Buffer.from(b.eventLogEntry, 'base64'));
        const dv = new DataView(e.buffer, e.byteOffset);
        const type = dv.getUint32(4, true) >>> 28;
        const devid = dv.getUint32(0, true) & 0xffff;
        const linux: Record<number, string> = {
          1: 'ILLEGAL_DEV_TABLE_ENTRY',
          2: 'IO_PAGE_FAULT',
          3: 'DEV_TAB_HARDWARE_ERROR',
          4: 'PAGE_TAB_HARDWARE_ERROR',
          5: 'ILLEGAL_COMMAND_ERROR',
          6: 'COMMAND_HARDWARE_ERROR',
          7: 'IOTLB_INV_TIMEOUT',
          8: 'INVALID_DEVICE_REQUEST',
          9: 'INVALID_PPR_REQUEST',
        };
        const bdf = `${hexOf(devid >> 8, 2).slice(2)}:${hexOf((devid >> 3) & 0x1f, 2).slice(2)}.${devid & 7}`;
        const name = linux[type] ?? `event code ${type}`;
        assert.equal(m, `${name} device=${bdf}`);
      },
    ],
  ],
  nvidia: [
    [/^signature$/, (m, b) => assert.equal(m, `"${b.signature}"`)],
    [/^severity$/, (m, b) => assert.equal(m, b.severity.name)],
  ],
  'nvidia-event': [
    [/^signature$/, (m, b) => assert.equal(m, `"${b.eventHeader.signature}"`)],
    [/^source device type$/, (m, b) => assert.equal(m, b.eventHeader.sourceDeviceType)],
    [/^info version$/, (m, b) => assert.equal(m, `version ${b.eventInfo.version}`)],
  ],
};

describe('Arm RAS node, VT-d, IOMMU, NVIDIA and NVIDIA event meanings agree with libcper (and Linux) for the same bytes', () => {
  for (const [kind, checks] of Object.entries(LIBCPER_CHECKS)) {
    it(`${kind}: every annotated field of every corpus record agrees with libcper's JSON`, () => {
      const guid = registeredSections().find((c) => c.kind === kind)!.guid;
      let records = 0;
      const seen = new Set<string>();
      for (const r of RECORDS) {
        const a = annotate(r.bytes, readCperRecord, {
          structure: 'CPER record',
          meanings: CODEC_MEANINGS,
        });
        const trace = traceOf(a.rows);
        const types = trace.filter(
          (t) => t.structure === 'CPER record' && t.field === 'section type',
        );
        const index = types.findIndex((t) => t.value === guid);
        if (index < 0) continue;
        assert.equal(
          types.filter((t) => t.value === guid).length,
          1,
          `${r.name}: one ${kind} section expected`,
        );
        records++;
        const body = libcperBody(r.name, index);
        for (const row of sectionRows(a.rows)) {
          const t = trace.find((x) => x.offset === row.offset && x.field === row.field);
          if (t === undefined || sectionOfRow(t, trace)?.guid !== guid) continue;
          if (row.meaning === '') continue;
          const check = checks.find(([re]) => re.test(row.field));
          assert.ok(
            check,
            `${r.name}: '${row.field}' has meaning '${row.meaning}' that no check covers`,
          );
          const i = Number(check[0].exec(row.field)![1] ?? 0);
          check[1](row.meaning, body, i, row.value);
          seen.add(check[0].source);
        }
      }
      assert.ok(records >= 4, `${kind}: ${records} records`);
      // Every check ran on some record: no meaning is left unexercised by the corpus.
      for (const [re] of checks) assert.ok(seen.has(re.source), `${kind}: ${re} never checked`);
    });
  }

  it('every field of these kinds that has a meaning table entry is one a check covers', () => {
    for (const [kind, checks] of Object.entries(LIBCPER_CHECKS)) {
      for (const field of Object.keys(SECTION_MEANINGS[kind]!)) {
        assert.ok(
          checks.some(([re]) => re.test(field)),
          `${kind} '${field}' has a meaning no libcper check covers`,
        );
      }
    }
  });
});
