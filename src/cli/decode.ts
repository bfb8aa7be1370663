// `vras decode`: show a HEST, a GHES status block, a CPER record or a bare section as an
// annotated table (every field with its offset), as the vras/v1 JSON document `vras encode`
// turns back into the same bytes, or as the lines a Linux guest prints for it.
//
//   vras decode block.bin                       (table)
//   vras decode record.hex --format linux --kernel newer --source-id 1
//   vras decode body.bin --as section --section memory --format json

import { parseArgs } from 'node:util';
import {
  annotate,
  ByteReader,
  CODEC_MEANINGS,
  CodecError,
  cperRecordToStatusBlock,
  type DetectedKind,
  decodeCperRecord,
  decodeGhesStatusBlock,
  decodeHest,
  decodeSectionBody,
  detectStructure,
  formatLinux,
  formatTable,
  type GhesStatusBlock,
  hex,
  type LintAs,
  readCperRecord,
  readGhesStatusBlock,
  readHest,
  resolveSectionHint,
  sectionBlockForLint,
  toJson,
} from '../codec/index.js';
import type { CommandModule } from './commands.js';
import { CliError, parseCommandLine, parseNumberOption } from './io.js';
import { parseAs, parseKernel, readBytes } from './lint.js';

const USAGE = `usage: vras decode [FILE|-] [options]

Decodes a HEST, GHES status block, CPER record or bare section (detected, or --as).
Input is raw, hex or base64 (detected; or --input).

options:
  --format F           table (default) | json | linux
  --as KIND            hest | status-block | cper-record | section
  --section KIND|GUID  the kind of a bare section (memory, arm, pcie, … or a GUID)
  --input ENC          raw | hex | base64
  --kernel K           6.1 (default) | 6.12 | 7.3 | newer: which kernel's print style (linux format)
  --source-id N        the source id in the first Linux line (default 0)
  --seq N              the {N} record counter in Linux lines (default 1)`;

/** JSON kinds: the same ones `vras encode` reads. */
export const JSON_KIND: Readonly<Record<Exclude<DetectedKind, 'unknown'>, string>> = {
  hest: 'hest',
  'ghes-status-block': 'ghes-status-block',
  'cper-record': 'cper-record',
  section: 'section',
};

function kindName(kind: DetectedKind): string {
  return kind === 'ghes-status-block' ? 'status block' : kind;
}

/** Re-throws a decode failure as a one-line CLI message naming the structure and offset. */
function decoding<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof CodecError) {
      const where = error.offset === undefined ? '' : ` (offset ${hex(error.offset)})`;
      const text = error.message.includes('offset') ? error.message : `${error.message}${where}`;
      throw new CliError(`Cannot decode the input as ${what}: ${text}`, 2, { cause: error });
    }
    throw error;
  }
}

function trailingNote(used: number, total: number): void {
  if (total > used) {
    process.stderr.write(
      `vras: note: ${total - used} bytes from offset ${hex(used)} are after the structure and not part of it\n`,
    );
  }
}

function recordLength(block: Uint8Array): number {
  const v = new DataView(block.buffer, block.byteOffset, block.byteLength);
  if (block.length < 20) return block.length;
  const raw = v.getUint32(8, true);
  return raw !== 0 ? v.getUint32(4, true) + raw : 20 + v.getUint32(12, true);
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(() => parse(argv), USAGE);
  if (parsed === undefined) return 0;
  const { values: v, positionals } = parsed;
  if (positionals.length > 1) {
    throw new CliError(`decode takes one input, got ${positionals.length}\n\n${USAGE}`);
  }
  const format = v.format ?? 'table';
  if (format !== 'table' && format !== 'json' && format !== 'linux') {
    throw new CliError(`--format must be table, json or linux, got ${JSON.stringify(format)}`);
  }
  const { kernel } = parseKernel(v.kernel);
  const sourceId = parseNumberOption('--source-id', v['source-id']) ?? 0;
  const seq = parseNumberOption('--seq', v.seq) ?? 1;
  const bytes = readBytes(positionals[0], v.input);
  const as: LintAs | undefined = parseAs(v.as);

  let kind: DetectedKind;
  let sectionGuid: string | undefined;
  if (as === undefined) {
    const d = detectStructure(bytes, v.section === undefined ? {} : { section: v.section });
    if (d.kind === 'unknown') {
      throw new CliError(
        `Cannot tell what the input is (${bytes.length} bytes): ${d.reasons.join('; ')}; use --as`,
      );
    }
    kind = d.kind;
    sectionGuid = d.sectionGuid;
  } else {
    kind = as;
    if (as === 'section') {
      const resolved = v.section === undefined ? undefined : resolveSectionHint(v.section);
      if (resolved === undefined) {
        throw new CliError(
          `--as section needs --section KIND|GUID naming a known section kind or a GUID, got ${JSON.stringify(v.section ?? '')}`,
        );
      }
      sectionGuid = resolved.guid;
    }
  }

  const linuxLines = (block: GhesStatusBlock): string =>
    formatLinux(block, { sourceId, seq, ...(kernel === undefined ? {} : { kernel }) }).join('\n');
  let out: string;
  switch (kind) {
    case 'hest': {
      if (format === 'linux') {
        throw new CliError('--format linux applies to status blocks, CPER records and sections');
      }
      if (format === 'json') {
        const hest = decoding('a HEST', () => decodeHest(bytes));
        trailingNote(hest.header.length, bytes.length);
        out = toJson(JSON_KIND.hest, hest);
      } else out = table(bytes, readHest, 'HEST');
      break;
    }
    case 'ghes-status-block': {
      const block = decoding('a GHES status block', () => decodeGhesStatusBlock(bytes));
      trailingNote(recordLength(bytes), bytes.length);
      if (format === 'json') out = toJson(JSON_KIND['ghes-status-block'], block);
      else if (format === 'linux') out = linuxLines(block);
      else out = table(bytes, readGhesStatusBlock, 'GHES status block');
      break;
    }
    case 'cper-record': {
      const record = decoding('a CPER record', () => decodeCperRecord(bytes));
      if (format === 'json') out = toJson(JSON_KIND['cper-record'], record);
      else if (format === 'linux') {
        out = linuxLines(decoding('a CPER record', () => cperRecordToStatusBlock(record)));
      } else out = table(bytes, readCperRecord, 'CPER record');
      break;
    }
    case 'section': {
      const guid = sectionGuid!;
      if (format === 'json') {
        const body = decoding(`a ${guid} section`, () =>
          decodeSectionBody(guid, new ByteReader(bytes, 'section', 0, bytes.length)),
        );
        out = toJson(JSON_KIND.section, { sectionType: guid, body });
      } else if (format === 'linux') {
        const block = decoding('a section', () =>
          decodeGhesStatusBlock(sectionBlockForLint(bytes, guid)),
        );
        out = linuxLines(block);
      } else out = table(bytes, (r) => decodeSectionBody(guid, r), `section ${guid}`);
      break;
    }
    default:
      throw new CliError(`Cannot decode the input as ${kindName(kind)}`);
  }
  process.stdout.write(`${out}\n`);
  return 0;
}

function table<T>(bytes: Uint8Array, read: (r: ByteReader) => T, structure: string): string {
  const a = annotate(bytes, read, { structure, meanings: CODEC_MEANINGS });
  const text = formatTable(a.rows);
  if (a.error !== undefined) {
    process.stdout.write(`${text}\n`);
    const where = a.error.offset === undefined ? '' : ` (offset ${hex(a.error.offset)})`;
    throw new CliError(
      `Cannot decode the input as ${structure}: ${a.error.message}${a.error.message.includes('offset') ? '' : where}`,
    );
  }
  return text;
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
      kernel: { type: 'string' },
      'source-id': { type: 'string' },
      seq: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

export default { run } satisfies CommandModule;
