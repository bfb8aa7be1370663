// `vras encode`: bytes from a vras/v1 JSON document, the kinds `vras decode --format json`
// prints (hest, ghes-status-block, cper-record, section). `decode --format json | encode`
// gives back the input byte for byte. Hex on stdout, or raw bytes with -o FILE.
//
//   vras encode block.json -o block.bin
//   vras decode table.bin --format json | vras encode -

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  ByteWriter,
  bytesToHex,
  CodecError,
  type CperRecord,
  type CperSectionWithDescriptor,
  type DecodedHest,
  encodeCperRecord,
  encodeGhesStatusBlock,
  encodeHest,
  encodeSectionBody,
  encodeSectionWithDescriptor,
  escapeControlText,
  fromJson,
  type GhesStatusBlock,
  hex,
  isGuid,
  type SectionBody,
  withJsonPaths,
} from '../codec/index.js';
import type { CommandModule } from './commands.js';
import { CliError, parseCommandLine, writeOutput } from './io.js';
import { libcperDocumentBytes } from './libcper-output.js';

const USAGE = `usage: vras encode SPEC.json|- [-o FILE]

Builds bytes from a vras/v1 JSON document of kind hest, ghes-status-block, cper-record or
section (as 'vras decode --format json' prints), or libcper's JSON for a record or a section
with its descriptor (as 'vras decode --format libcper' and libcper's cper-convert print). Without
-o the bytes go to stdout as hex.

options:
  -o, --output FILE   write the raw bytes to FILE`;

function readText(path: string): string {
  try {
    return path === '-' ? readFileSync(0, 'utf8') : readFileSync(path, 'utf8');
  } catch (cause) {
    throw new CliError(
      `Cannot read ${path === '-' ? 'standard input' : path}: ${(cause as Error).message}`,
      2,
      {
        cause,
      },
    );
  }
}

/**
 * Bytes for one vras/v1 document (as a JSON text). Messages quote values from the document:
 * their control characters (newlines included) come back escaped, so each is one safe line.
 */
export function encodeDocument(text: string): Uint8Array {
  try {
    return encodeDocumentText(text);
  } catch (error) {
    if (error instanceof CodecError) {
      throw new CodecError(escapeControlText(error.message), {
        code: error.code,
        structure: error.structure,
        ...(error.field === undefined ? {} : { field: error.field }),
        ...(error.offset === undefined ? {} : { offset: error.offset }),
        cause: error,
      });
    }
    if (error instanceof CliError) {
      throw new CliError(escapeControlText(error.message), error.exitCode, { cause: error });
    }
    throw error;
  }
}

function encodeDocumentText(text: string): Uint8Array {
  // libcper's JSON (cper-convert to-json, decode --format libcper) converts as libcper's to-cper.
  const libcper = libcperDocumentBytes(text);
  if (libcper !== undefined) return libcper;
  const doc = fromJson(text);
  const value = doc.value as Record<string, unknown>;
  if (value === undefined || value === null) {
    throw new CliError(`Cannot encode ${doc.kind}: value is missing`);
  }
  if (typeof value !== 'object') {
    throw new CliError(`Cannot encode ${doc.kind}: value must be an object`);
  }
  // Every encoder runs on a path-tracking view: a field the document lacks is reported by its
  // JSON path (`value.entries[0].body.validationBits is missing`), whichever encoder reads it.
  switch (doc.kind) {
    case 'hest':
      return withJsonPaths(value as unknown as DecodedHest, 'value', 'hest', (hest) =>
        // A table whose checksum was wrong when decoded keeps its byte, so the round trip holds.
        encodeHest(hest, { checksum: hest.checksumValid === false ? 'keep' : 'compute' }),
      );
    case 'ghes-status-block':
      return withJsonPaths(
        value as unknown as GhesStatusBlock,
        'value',
        'ghes-status-block',
        encodeGhesStatusBlock,
      );
    case 'cper-record':
      return withJsonPaths(
        value as unknown as CperRecord,
        'value',
        'cper-record',
        encodeCperRecord,
      );
    case 'section': {
      const guid = value.sectionType;
      if (guid === undefined || guid === null) {
        throw new CliError('Cannot encode section: value.sectionType is missing');
      }
      if (!isGuid(guid)) {
        throw new CliError(
          `Cannot encode section: value.sectionType must be a lower-case GUID, got ${JSON.stringify(guid)}`,
        );
      }
      return withJsonPaths(value, 'value', 'section', (v) => {
        const w = new ByteWriter('section', 256);
        encodeSectionBody(w, guid, v.body as SectionBody);
        return w.toBytes();
      });
    }
    case 'section-with-descriptor':
      return withJsonPaths(
        value as unknown as CperSectionWithDescriptor,
        'value',
        'section-with-descriptor',
        encodeSectionWithDescriptor,
      );
    default:
      throw new CliError(
        `Cannot encode kind ${JSON.stringify(doc.kind)}: expected hest, ghes-status-block, cper-record, section or section-with-descriptor`,
      );
  }
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(() => parse(argv), USAGE);
  if (parsed === undefined) return 0;
  const { values: v, positionals } = parsed;
  if (positionals.length !== 1) {
    throw new CliError(`encode takes one JSON document (a file or -)\n\n${USAGE}`);
  }
  const path = positionals[0]!;
  let bytes: Uint8Array;
  try {
    bytes = encodeDocument(readText(path));
  } catch (error) {
    if (error instanceof CodecError) {
      // A JSON path is already in the message; a writer field name is not.
      const where =
        error.field === undefined || error.field.startsWith('value')
          ? ''
          : ` (field ${error.field})`;
      throw new CliError(
        escapeControlText(
          `Cannot encode ${path === '-' ? 'standard input' : path}: ${error.message}${where}`,
        ),
        2,
        {
          cause: error,
        },
      );
    }
    if (error instanceof TypeError) {
      // A malformed document the path tracking could not pin down (a string where an object
      // belongs, say): still no stack trace.
      throw new CliError(
        escapeControlText(
          `Cannot encode ${path === '-' ? 'standard input' : path}: the document is malformed (${error.message})`,
        ),
        2,
        { cause: error },
      );
    }
    throw error;
  }
  if (v.output !== undefined) {
    writeOutput(v.output, bytes);
    process.stderr.write(
      `vras: wrote ${bytes.length} bytes (${hex(bytes.length)}) to ${v.output}\n`,
    );
  } else {
    process.stdout.write(`${bytesToHex(bytes)}\n`);
  }
  return 0;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      output: { type: 'string', short: 'o' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

export default { run } satisfies CommandModule;
