// What the page was given, as a list of byte strings to decode: hex or base64 text, a raw file,
// a Redfish LogEntry (or a LogEntryCollection's Members), JSON Lines with a base64 field, or a
// log of many records (one hex or base64 record per line, or CPER records back to back in a raw
// file). Only the text is parsed here; what the bytes are is the codec's call (detectStructure).
// Never throws: a part that cannot be read becomes an InputProblem naming where it is.

import {
  ByteReader,
  base64ToBytes,
  bytesToBase64,
  CodecError,
  detectStructure,
  hexToBytes,
  type InputKind,
  isRedfishCollection,
  isRedfishLogEntry,
  type JsonRecord,
  jsonRecords,
  readCperRecord,
} from '../../codec/index.js';

export type InputEncoding = 'raw' | 'hex' | 'base64';

export interface InputRecord {
  /** Where the record came from: `input`, `line 3`, `Members[2]`, `record 1 at 0x1a0`. */
  readonly origin: string;
  readonly bytes: Uint8Array;
  /** How the text was read (raw for a binary file). */
  readonly encoding: InputEncoding | 'json';
  /** What the container says the bytes are (Redfish `DiagnosticDataType` CPER / CPERSection). */
  readonly as?: InputKind;
}

export interface InputProblem {
  readonly origin: string;
  readonly message: string;
}

export interface ParsedInput {
  /** What kind of input this was, for the page's status line. */
  readonly form: string;
  readonly records: readonly InputRecord[];
  readonly problems: readonly InputProblem[];
}

const HEX_TEXT = /^[\s0-9a-fA-Fx:,]*$/;
const BASE64_TEXT = /^[\sA-Za-z0-9+/]*={0,2}\s*$/;

/** hex, base64, or undefined when the text is neither. */
export function textEncoding(text: string): 'hex' | 'base64' | undefined {
  if (HEX_TEXT.test(text) && /[0-9a-fA-F]/.test(text)) return 'hex';
  if (BASE64_TEXT.test(text) && /[A-Za-z0-9+/]/.test(text)) return 'base64';
  return undefined;
}

function describe(error: unknown): string {
  if (error instanceof CodecError) {
    const where = error.offset === undefined ? '' : ` (character ${error.offset}, spacing ignored)`;
    return `${error.message}${where}`;
  }
  return error instanceof Error ? error.message : String(error);
}

function textBytes(
  text: string,
  origin: string,
): { bytes: Uint8Array; encoding: 'hex' | 'base64' } | InputProblem {
  const enc = textEncoding(text);
  if (enc === undefined) {
    // Neither alphabet: most often hex with a typo, so let the hex reader name the character.
    try {
      hexToBytes(text);
    } catch (error) {
      return { origin, message: `Cannot read the text as hex: ${describe(error)}` };
    }
    return { origin, message: 'Cannot read the text as hex or base64' };
  }
  try {
    return { bytes: enc === 'hex' ? hexToBytes(text) : base64ToBytes(text), encoding: enc };
  } catch (error) {
    return { origin, message: `Cannot read the ${enc} text: ${describe(error)}` };
  }
}

/** Records and problems from the codec's JSON reader (Redfish LogEntry, collection, JSONL). */
function fromJsonRecords(
  found: readonly JsonRecord[],
  records: InputRecord[],
  problems: InputProblem[],
): void {
  for (const r of found) {
    const origin = r.path === '' ? 'LogEntry' : r.path;
    if (r.bytes === undefined) {
      problems.push({ origin, message: r.error ?? 'no record' });
      continue;
    }
    records.push({
      origin,
      bytes: r.bytes,
      encoding: 'json',
      ...(r.as === undefined ? {} : { as: r.as }),
    });
  }
}

function parseJson(text: string): ParsedInput {
  const records: InputRecord[] = [];
  const problems: InputProblem[] = [];
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (whole) {
    // JSON Lines: one object per line.
    const lines = text.split('\n');
    let parsed = 0;
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      try {
        const one = JSON.parse(line) as unknown;
        parsed++;
        fromJsonRecords(jsonRecords(one, {}, `line ${i + 1}`), records, problems);
      } catch (error) {
        problems.push({
          origin: `line ${i + 1}`,
          message: `Cannot parse JSON: ${describe(error)}`,
        });
      }
    });
    if (parsed === 0) {
      return {
        form: 'JSON',
        records: [],
        problems: [
          { origin: 'input', message: `Cannot parse the input as JSON: ${describe(whole)}` },
        ],
      };
    }
    return { form: `JSON Lines (${parsed} objects)`, records, problems };
  }
  fromJsonRecords(jsonRecords(doc), records, problems);
  const o =
    typeof doc === 'object' && doc !== null && !Array.isArray(doc)
      ? (doc as Record<string, unknown>)
      : undefined;
  const form =
    o !== undefined && isRedfishCollection(o)
      ? `Redfish LogEntryCollection (${(o.Members as unknown[]).length} members)`
      : o !== undefined && isRedfishLogEntry(o)
        ? 'Redfish LogEntry'
        : Array.isArray(doc)
          ? `JSON array (${doc.length} entries)`
          : 'JSON';
  return { form, records, problems };
}

/**
 * Splits raw bytes holding CPER records back to back (each one's own record length). Anything
 * else stays one record, for the codec to detect.
 */
function splitRaw(bytes: Uint8Array): ParsedInput {
  const records: InputRecord[] = [];
  const problems: InputProblem[] = [];
  let at = 0;
  while (at < bytes.length) {
    const rest = bytes.subarray(at);
    if (detectStructure(rest).kind !== 'cper-record') break;
    const reader = new ByteReader(rest, 'CPER record');
    try {
      readCperRecord(reader);
    } catch (error) {
      if (at === 0) break; // one damaged record: show it as one, with its error
      problems.push({
        origin: `record ${records.length + 1} at 0x${at.toString(16)}`,
        message: describe(error),
      });
      return { form: 'CPER records', records, problems };
    }
    const used = reader.offset;
    if (used === 0) break;
    if (used === rest.length && at === 0) break;
    records.push({
      origin: `record ${records.length + 1} at 0x${at.toString(16)}`,
      bytes: rest.subarray(0, used),
      encoding: 'raw',
    });
    at += used;
  }
  if (records.length === 0) {
    return {
      form: `raw bytes (${bytes.length})`,
      records: [{ origin: 'input', bytes, encoding: 'raw' }],
      problems,
    };
  }
  if (at < bytes.length) {
    records.push({
      origin: `bytes after record ${records.length} at 0x${at.toString(16)}`,
      bytes: bytes.subarray(at),
      encoding: 'raw',
    });
  }
  return { form: `${records.length} CPER records back to back`, records, problems };
}

/** Parses pasted or typed text. */
export function parseTextInput(text: string): ParsedInput {
  const trimmed = text.trim();
  if (trimmed === '') return { form: 'empty', records: [], problems: [] };
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) return parseJson(trimmed);
  const lines = trimmed
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  if (lines.length > 1) {
    // A log: every line a record the codec recognises on its own. Otherwise one dump.
    const each = lines.map((l, i) => textBytes(l, `line ${i + 1}`));
    const all = each.every(
      (r) => 'bytes' in r && r.bytes.length > 0 && detectStructure(r.bytes).kind !== 'unknown',
    );
    if (all) {
      const records = each.map((r, i) => {
        const ok = r as { bytes: Uint8Array; encoding: 'hex' | 'base64' };
        return { origin: `line ${i + 1}`, bytes: ok.bytes, encoding: ok.encoding };
      });
      return { form: `log of ${records.length} records, one per line`, records, problems: [] };
    }
  }
  const one = textBytes(trimmed, 'input');
  if (!('bytes' in one)) return { form: 'text', records: [], problems: [one] };
  const split = splitRaw(one.bytes);
  return {
    form: `${one.encoding} text, ${one.bytes.length} bytes${split.records.length > 1 ? `, ${split.form}` : ''}`,
    records: split.records.map((r) => ({ ...r, encoding: one.encoding })),
    problems: split.problems,
  };
}

function printable(bytes: Uint8Array): boolean {
  for (const b of bytes)
    if (b > 0x7e || (b < 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09)) return false;
  return true;
}

/** Parses a dropped or opened file: text files as text, anything else as raw bytes. */
export function parseFileInput(bytes: Uint8Array): ParsedInput {
  if (bytes.length > 0 && printable(bytes)) {
    return parseTextInput(new TextDecoder('latin1').decode(bytes));
  }
  return splitRaw(bytes);
}

/** The text that parses back to `bytes` (for the URL and the input box). */
export function bytesAsText(bytes: Uint8Array): string {
  return bytesToBase64(bytes);
}
