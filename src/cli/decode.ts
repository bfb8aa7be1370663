// `vras decode`: show a HEST, a GHES status block, a CPER record, a section with its descriptor
// or a bare section as an annotated table (every field with its offset), as the vras/v1 JSON
// document `vras encode` turns back into the same bytes, or as what a Linux guest prints for it
// (the `[Firmware Warn]` lines and the `[Hardware Error]` record, in the kernel's order).
//
// Many inputs, files of records one after another, and line-oriented text (hex, base64, JSON
// Lines, Redfish LogEntry JSON) are read as streams (record-stream.ts): one result per record,
// JSON Lines for --format json, text with a header line per record otherwise. One input holding
// one record prints exactly as a single record always did.
//
//   vras decode block.bin                       (table)
//   vras decode record.hex --format linux --kernel newer --source-id 1 --notify polled
//   vras decode body.bin --as section --section memory --format json
//   journal-export | vras decode - --format json        (one JSON line per record)

import { parseArgs } from 'node:util';
import {
  annotate,
  ByteReader,
  CODEC_MEANINGS,
  CodecError,
  cperRecordToStatusBlock,
  DEFAULT_SOURCE,
  decodeCperRecord,
  decodeGhesStatusBlock,
  decodeHest,
  decodeSectionBody,
  decodeSectionWithDescriptor,
  descriptorInsteadOfBody,
  detectInput,
  encodeGhesStatusBlock,
  formatTable,
  hex,
  type InputKind,
  linuxVerdict,
  type Meanings,
  meaningsForBareSection,
  readCperRecord,
  readGhesStatusBlock,
  readHest,
  readSectionWithDescriptor,
  resolveSectionHint,
  type StatusBlockContext,
  sectionBlockForLint,
  sectionDescriptorShape,
  sectionWithDescriptorToStatusBlock,
  toJson,
} from '../codec/index.js';
import type { CommandModule } from './commands.js';
import { CliError, parseCommandLine, parseInputEncoding, parseNumberOption } from './io.js';
import { libcperText, oneLine } from './libcper-output.js';
import { parseAs, sourceContext } from './lint.js';
import { jsonErrorLine, jsonLine, Output, textHeader } from './record-output.js';
import {
  allRecords,
  DEFAULT_MAX_INPUT,
  DEFAULT_MAX_RECORD,
  type InputRecord,
  type StreamOptions,
} from './record-stream.js';

const USAGE = `usage: vras decode [FILE…|-] [options]

Decodes a HEST, GHES status block, CPER record, section with its descriptor or bare section
(detected, or --as). Input is raw, hex or base64 (detected; or --input); many files, files of
records one after another, one hex/base64 record per line, JSON Lines, and Redfish LogEntry /
LogEntryCollection JSON (DiagnosticDataType CPER or CPERSection) give one result per record.
Exit 0 when every record decodes, 1 when some do not, 2 when an input cannot be read.

options:
  --format F             table (default) | json (JSON Lines for many records) | linux
                         | libcper (OpenBMC libcper's JSON; records and sections)
  --as KIND              hest | status-block | cper-record | section | section-with-descriptor
  --section KIND|GUID    the kind of a bare section (memory, arm, pcie, … or a GUID)
  --input ENC            raw | hex | base64
  --field NAME           the JSON field holding a record in JSON Lines objects
  --max-record-size N    the largest record or line, in bytes (default ${DEFAULT_MAX_RECORD})
  --max-input-size N     the largest whole JSON document, in bytes (default ${DEFAULT_MAX_INPUT})
  --seq N                the {N} record counter in Linux lines (default 1, then one per record)
 linux format: the HEST source that posts the block (as vras lint):
  --kernel K             6.1 (default) | 6.1.N | 6.12 | 7.3 | newer
  --source-id N          the source id (default 0)
  --block-length N       the source's Error Status Block Length (default 1024)
  --notify TYPE          sea (default) | polled | external | sci | gpio | gsiv | sdei | nmi | N
  --ghes-version 1|2     type-9 GHES or GHESv2 (default 2)
  --ram START:SIZE       guest RAM, for the kernel's pfn check (repeatable)
  --task COMM:PID        the task named in SIGBUS lines`;

/** JSON kinds: the same ones `vras encode` reads. */
export const JSON_KIND: Readonly<Record<Exclude<InputKind, 'unknown'>, string>> = {
  hest: 'hest',
  'ghes-status-block': 'ghes-status-block',
  'cper-record': 'cper-record',
  section: 'section',
  'section-with-descriptor': 'section-with-descriptor',
};

type Format = 'table' | 'json' | 'linux' | 'libcper';

interface Settings {
  readonly format: Format;
  readonly as: InputKind | undefined;
  readonly section: string | undefined;
  readonly source: StatusBlockContext;
  /** --block-length given: records and sections are then not given a block that fits them. */
  readonly blockLengthGiven: boolean;
}

/** What one record gives: text (table, Linux lines) or a JSON document, and notes for stderr. */
interface Rendered {
  readonly kind: string;
  readonly text?: string;
  readonly json?: { readonly kind: string; readonly value: unknown };
  readonly notes: readonly string[];
}

/** A record that does not decode: the message, and the table rows read before the failure. */
class RenderError extends CliError {
  readonly partial: string | undefined;
  constructor(message: string, partial?: string, options?: { cause?: unknown }) {
    super(message, 2, options);
    this.partial = partial;
  }
}

function kindName(kind: InputKind): string {
  return kind === 'ghes-status-block' ? 'status block' : kind;
}

/** Re-throws a decode failure as a one-line message naming the structure and offset. */
function decoding<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof CodecError) {
      const where = error.offset === undefined ? '' : ` (offset ${hex(error.offset)})`;
      const text = error.message.includes('offset') ? error.message : `${error.message}${where}`;
      throw new RenderError(`Cannot decode the input as ${what}: ${text}`, undefined, {
        cause: error,
      });
    }
    throw error;
  }
}

function trailingNote(used: number, total: number): string[] {
  return total > used
    ? [`${total - used} bytes from offset ${hex(used)} are after the structure and not part of it`]
    : [];
}

function recordLength(block: Uint8Array): number {
  const v = new DataView(block.buffer, block.byteOffset, block.byteLength);
  if (block.length < 20) return block.length;
  const raw = v.getUint32(8, true);
  return raw !== 0 ? v.getUint32(4, true) + raw : 20 + v.getUint32(12, true);
}

function table<T>(
  bytes: Uint8Array,
  read: (r: ByteReader) => T,
  structure: string,
  meanings: Meanings = CODEC_MEANINGS,
): string {
  const a = annotate(bytes, read, { structure, meanings });
  const text = formatTable(a.rows);
  if (a.error !== undefined) {
    const where = a.error.offset === undefined ? '' : ` (offset ${hex(a.error.offset)})`;
    throw new RenderError(
      `Cannot decode the input as ${structure}: ${a.error.message}${a.error.message.includes('offset') ? '' : where}`,
      text,
    );
  }
  return text;
}

/** Decodes one record's bytes in the chosen format. Throws RenderError (exit 2) when it fails. */
function render(bytes: Uint8Array, s: Settings, seq: number, as: InputKind | undefined): Rendered {
  let kind: InputKind;
  let sectionGuid: string | undefined;
  const reasons: string[] = [];
  if (as === undefined) {
    const d = detectInput(bytes, s.section === undefined ? {} : { section: s.section });
    if (d.kind === 'unknown') {
      throw new RenderError(
        `Cannot tell what the input is (${bytes.length} bytes): ${d.reasons.join('; ')}; use --as`,
      );
    }
    kind = d.kind;
    sectionGuid = d.sectionGuid;
    reasons.push(...d.reasons);
  } else {
    kind = as;
    if (as === 'section') {
      const resolved = s.section === undefined ? undefined : resolveSectionHint(s.section);
      if (resolved === undefined) {
        throw new CliError(
          `--as section needs --section KIND|GUID naming a known section kind or a GUID, got ${JSON.stringify(s.section ?? '')}`,
        );
      }
      const shape = sectionDescriptorShape(bytes);
      if (shape.ok && shape.length === bytes.length) {
        throw new RenderError(descriptorInsteadOfBody(shape).message);
      }
      sectionGuid = resolved.guid;
    }
  }
  if (s.format === 'libcper') {
    const text = decoding('libcper JSON', () => libcperText(kind, bytes, sectionGuid));
    return { kind, text, notes: [] };
  }
  const verdict = (block: Uint8Array, fitBlock: boolean): string => {
    const ctx =
      fitBlock && !s.blockLengthGiven
        ? { ...s.source, errorBlockLength: Math.max(s.source.errorBlockLength, block.length) }
        : s.source;
    const v = linuxVerdict(block, ctx, { seq });
    if (v.printError !== undefined) {
      throw new RenderError(`Cannot print the record as Linux does: ${v.printError.message}`);
    }
    return v.lines.join('\n');
  };
  const notes: string[] = [];
  const f = s.format;
  switch (kind) {
    case 'hest': {
      if (f === 'linux') {
        throw new RenderError('--format linux applies to status blocks, CPER records and sections');
      }
      if (f === 'json') {
        const hest = decoding('a HEST', () => decodeHest(bytes));
        notes.push(...trailingNote(hest.header.length, bytes.length));
        return { kind, json: { kind: JSON_KIND.hest, value: hest }, notes };
      }
      return { kind, text: table(bytes, readHest, 'HEST'), notes };
    }
    case 'ghes-status-block': {
      if (f === 'linux') {
        notes.push(...trailingNote(recordLength(bytes), bytes.length));
        return { kind, text: verdict(bytes, false), notes };
      }
      const block = decoding('a GHES status block', () => decodeGhesStatusBlock(bytes));
      notes.push(...trailingNote(recordLength(bytes), bytes.length));
      if (f === 'json') return { kind, json: { kind: JSON_KIND[kind], value: block }, notes };
      return { kind, text: table(bytes, readGhesStatusBlock, 'GHES status block'), notes };
    }
    case 'cper-record': {
      const record = decoding('a CPER record', () => decodeCperRecord(bytes));
      if (f === 'json') return { kind, json: { kind: JSON_KIND[kind], value: record }, notes };
      if (f === 'linux') {
        const block = decoding('a CPER record', () =>
          encodeGhesStatusBlock(cperRecordToStatusBlock(record)),
        );
        return { kind, text: verdict(block, true), notes };
      }
      return { kind, text: table(bytes, readCperRecord, 'CPER record'), notes };
    }
    case 'section-with-descriptor': {
      const v = decoding('a section with its descriptor', () => decodeSectionWithDescriptor(bytes));
      if (f === 'json') return { kind, json: { kind: JSON_KIND[kind], value: v }, notes };
      if (f === 'linux') {
        const block = decoding('a section with its descriptor', () =>
          encodeGhesStatusBlock(sectionWithDescriptorToStatusBlock(v)),
        );
        return { kind, text: verdict(block, true), notes };
      }
      return {
        kind,
        text: table(bytes, readSectionWithDescriptor, 'section descriptor'),
        notes,
      };
    }
    case 'section': {
      const guid = sectionGuid!;
      if (f === 'json') {
        const body = decoding(`a ${guid} section`, () =>
          decodeSectionBody(guid, new ByteReader(bytes, 'section', 0, bytes.length)),
        );
        return {
          kind,
          json: { kind: JSON_KIND.section, value: { sectionType: guid, body } },
          notes,
        };
      }
      if (f === 'linux') {
        const block = sectionBlockForLint(bytes, guid);
        decoding('a section', () => decodeGhesStatusBlock(block));
        return { kind, text: verdict(block, true), notes };
      }
      return {
        kind,
        text: table(
          bytes,
          (r) => decodeSectionBody(guid, r),
          `section ${guid}`,
          meaningsForBareSection(`section ${guid}`, guid),
        ),
        notes,
      };
    }
    default:
      throw new RenderError(`Cannot decode the input as ${kindName(kind)}`);
  }
}

/** Whether the Redfish context contradicts what the bytes say (SectionType vs the descriptor). */
function redfishNotes(r: InputRecord): string[] {
  const st = r.redfish?.sectionType;
  if (st === undefined || r.bytes === undefined || r.as !== 'section-with-descriptor') return [];
  const shape = sectionDescriptorShape(r.bytes);
  return shape.sectionType !== undefined && shape.sectionType !== st
    ? [`Redfish CPER.SectionType ${st} but the descriptor says ${shape.sectionType}`]
    : [];
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(() => parse(argv), USAGE);
  if (parsed === undefined) return 0;
  const { values: v, positionals } = parsed;
  const format = v.format ?? 'table';
  if (format !== 'table' && format !== 'json' && format !== 'linux' && format !== 'libcper') {
    throw new CliError(
      `--format must be table, json, linux or libcper, got ${JSON.stringify(format)}`,
    );
  }
  const seq0 = parseNumberOption('--seq', v.seq) ?? 1;
  const as = parseAs(v.as);
  const source: StatusBlockContext = { ...DEFAULT_SOURCE, ...sourceContext(v) };
  const settings: Settings = {
    format,
    as,
    section: v.section,
    source,
    blockLengthGiven: v['block-length'] !== undefined,
  };
  const stream: StreamOptions = {
    maxRecord:
      parseNumberOption('--max-record-size', v['max-record-size'], 32) ?? DEFAULT_MAX_RECORD,
    maxInput: parseNumberOption('--max-input-size', v['max-input-size'], 32) ?? DEFAULT_MAX_INPUT,
    ...(v.input === undefined ? {} : { encoding: parseInputEncoding(v.input)! }),
    ...(as === undefined ? {} : { as }),
    ...(v.field === undefined ? {} : { field: v.field }),
  };
  if (as === 'section') {
    const resolved = v.section === undefined ? undefined : resolveSectionHint(v.section);
    if (resolved === undefined) {
      throw new CliError(
        `--as section needs --section KIND|GUID naming a known section kind or a GUID, got ${JSON.stringify(v.section ?? '')}`,
      );
    }
  }

  const out = new Output();
  let held: InputRecord | undefined;
  let heldPadding = 0;
  let multi = false;
  let seq = seq0;
  let bad = 0;
  let unreadable = 0;

  const emit = async (r: InputRecord): Promise<void> => {
    if (r.error !== undefined || r.bytes === undefined) {
      if (r.fatal === true) unreadable++;
      else bad++;
      const message = `Cannot read ${r.input}: ${r.error ?? 'no record'}`;
      await out.write(
        format === 'json' ? jsonErrorLine(r, message) : `${textHeader(r)}error: ${message}\n`,
      );
      return;
    }
    try {
      const got = render(r.bytes, settings, seq++, r.as ?? as);
      for (const n of [...redfishNotes(r), ...got.notes]) {
        process.stderr.write(`vras: note: ${r.input} record ${r.index}: ${n}\n`);
      }
      await out.write(
        got.json !== undefined
          ? jsonLine(r, got.json.kind, got.json.value)
          : format === 'libcper'
            ? `${oneLine(got.text!)}\n`
            : `${textHeader(r, got.kind)}${got.text}\n`,
      );
    } catch (error) {
      if (!(error instanceof CliError)) throw error;
      bad++;
      const partial = error instanceof RenderError ? error.partial : undefined;
      await out.write(
        format === 'json'
          ? jsonErrorLine(r, error.message)
          : `${textHeader(r)}${partial === undefined ? '' : `${partial}\n`}error: ${error.message}\n`,
      );
    }
  };

  for await (const ev of allRecords(positionals, stream)) {
    if (ev.type === 'padding') {
      if (!multi) heldPadding += ev.length;
      continue;
    }
    if (!multi) {
      if (held === undefined && positionals.length <= 1) {
        held = ev;
        continue;
      }
      multi = true;
      if (held !== undefined) await emit(held);
      held = undefined;
    }
    await emit(ev);
  }
  if (!multi && held !== undefined) return single(held, heldPadding, settings, seq0, stream);
  await out.flush();
  return unreadable > 0 ? 2 : bad > 0 ? 1 : 0;
}

/** One input holding one record: printed exactly as vras always printed a single record. */
function single(
  r: InputRecord,
  padding: number,
  settings: Settings,
  seq: number,
  stream: StreamOptions,
): number {
  if (r.error !== undefined || r.bytes === undefined) {
    throw new CliError(`Cannot read ${r.input}: ${r.error ?? 'no record'}`, 2);
  }
  let bytes = r.bytes;
  if (padding > 0 && padding <= stream.maxRecord) {
    bytes = new Uint8Array(r.bytes.length + padding);
    bytes.set(r.bytes);
  }
  let got: Rendered;
  try {
    got = render(bytes, settings, seq, r.as ?? settings.as);
  } catch (error) {
    if (error instanceof RenderError && error.partial !== undefined) {
      process.stdout.write(`${error.partial}\n`);
    }
    throw error;
  }
  for (const n of [...redfishNotes(r), ...got.notes]) process.stderr.write(`vras: note: ${n}\n`);
  const text =
    got.json !== undefined
      ? r.redfish === undefined
        ? toJson(got.json.kind, got.json.value)
        : toJson(got.json.kind, got.json.value).replace(
            /\n}$/,
            `,\n  "redfish": ${JSON.stringify(r.redfish)}\n}`,
          )
      : got.text!;
  process.stdout.write(`${text}\n`);
  return 0;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      format: { type: 'string' },
      as: { type: 'string' },
      section: { type: 'string' },
      input: { type: 'string' },
      field: { type: 'string' },
      'max-record-size': { type: 'string' },
      'max-input-size': { type: 'string' },
      kernel: { type: 'string' },
      'source-id': { type: 'string' },
      seq: { type: 'string' },
      'block-length': { type: 'string' },
      notify: { type: 'string' },
      'ghes-version': { type: 'string' },
      ram: { type: 'string', multiple: true },
      task: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

export default { run } satisfies CommandModule;
