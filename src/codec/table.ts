// The annotated-table output for any structure: offset, size, field, value and meaning of every
// field a reader-based decoder reads. Rows come from the ByteReader's FieldTrace (reader.ts), so
// a decoder needs no second description of its layout. Bytes no field covered show up as
// `(not decoded)` rows, so the table always accounts for every byte of the input.

import { CodecError } from './errors.js';
import { isGuid } from './guid.js';
import { bytesToHex, hex, hex64 } from './hex.js';
import { ByteReader, type FieldTrace } from './reader.js';

export interface TableRow {
  /** Absolute byte offset in the input. */
  readonly offset: number;
  readonly size: number;
  /** The structure the field belongs to (the reader's structure name). */
  readonly structure: string;
  /** The field's own name. */
  readonly field: string;
  /** The decoded value; undefined for `(not decoded)` rows. */
  readonly value: FieldTrace['value'] | undefined;
  /** The value as text (hex, decimal, GUID, quoted ASCII, abbreviated bytes). */
  readonly valueText: string;
  /** What the value means, from the meanings hook; '' when nothing is known. */
  readonly meaning: string;
}

/**
 * Gives the meaning of a value; return undefined (or '') when there is nothing to say. `trace`
 * is every field read, so a meaning can depend on another field (a sub-type on its type).
 */
export type MeaningFn = (
  value: FieldTrace['value'],
  row: FieldTrace,
  trace: readonly FieldTrace[],
) => string | undefined;

/**
 * Meanings by field: keys are `Structure.field` (checked first) or a bare `field` name, matched
 * against the trace's structure and field names.
 */
export type Meanings = Readonly<Record<string, MeaningFn>>;

const BYTES_SHOWN = 16;

function asciiText(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22 || c === 0x5c) out += `\\${s[i]}`;
    else if (c >= 0x20 && c < 0x7f) out += s[i];
    else out += `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return `${out}"`;
}

/**
 * A value as table text: numbers as zero-padded hex for the field's width plus decimal for
 * values from 10 to 0xfffff, 64-bit values as `0x` + 16 digits, GUIDs as is, strings quoted, bytes in hex (the
 * first 16, then `… (n bytes)`).
 */
export function formatValue(value: FieldTrace['value'], size: number): string {
  if (typeof value === 'bigint') return hex64(value);
  if (typeof value === 'number') {
    const h = hex(value, Math.min(8, size) * 2);
    // Decimal only where it reads as a quantity (lengths, counts), not for ids and masks.
    return value > 9 && value < 0x100000 ? `${h} (${value})` : h;
  }
  if (typeof value === 'string') return isGuid(value) ? value : asciiText(value);
  if (value.length === 0) return '(empty)';
  const shown = bytesToHex(value.subarray(0, BYTES_SHOWN)).replace(/(..)(?!$)/g, '$1 ');
  return value.length > BYTES_SHOWN ? `${shown} … (${value.length} bytes)` : shown;
}

function meaningOf(
  t: FieldTrace,
  meanings: Meanings | undefined,
  trace: readonly FieldTrace[],
): string {
  if (!meanings) return '';
  const fn = meanings[`${t.structure}.${t.field}`] ?? meanings[t.field];
  if (!fn) return '';
  return fn(t.value, t, trace) ?? '';
}

/** Rows for trace entries, in offset order, with `(not decoded)` rows for uncovered bytes. */
export function rowsFromTrace(
  trace: readonly FieldTrace[],
  options: { readonly meanings?: Meanings; readonly start?: number; readonly end?: number } = {},
): TableRow[] {
  const sorted = [...trace].sort((a, b) => a.offset - b.offset);
  const rows: TableRow[] = [];
  let cursor = options.start ?? sorted[0]?.offset ?? 0;
  const gap = (from: number, to: number, structure: string): void => {
    rows.push({
      offset: from,
      size: to - from,
      structure,
      field: '(not decoded)',
      value: undefined,
      valueText: '',
      meaning: '',
    });
  };
  for (const t of sorted) {
    if (t.offset > cursor) gap(cursor, t.offset, t.structure);
    rows.push({
      offset: t.offset,
      size: t.size,
      structure: t.structure,
      field: t.field,
      value: t.value,
      valueText: formatValue(t.value, t.size),
      meaning: meaningOf(t, options.meanings, trace),
    });
    cursor = Math.max(cursor, t.offset + t.size);
  }
  if (options.end !== undefined && options.end > cursor) {
    gap(cursor, options.end, sorted.at(-1)?.structure ?? '');
  }
  return rows;
}

export interface AnnotateOptions {
  /** Structure name of the outer reader (what errors and unqualified rows are named after). */
  readonly structure?: string;
  readonly meanings?: Meanings;
}

export interface Annotated<T> {
  readonly rows: TableRow[];
  /** The decoded value, when decoding succeeded. */
  readonly value: T | undefined;
  /** The CodecError that stopped decoding; the rows read before it are kept. */
  readonly error: CodecError | undefined;
}

/**
 * Runs a reader-based decoder (`readX`) over `bytes` with tracing on and returns one row per
 * field read. A CodecError does not throw: the rows up to the failure come back with it.
 */
export function annotate<T>(
  bytes: Uint8Array,
  decode: (reader: ByteReader) => T,
  options: AnnotateOptions = {},
): Annotated<T> {
  const trace: FieldTrace[] = [];
  const reader = new ByteReader(bytes, options.structure ?? 'input', 0, bytes.length, trace);
  let value: T | undefined;
  let error: CodecError | undefined;
  try {
    value = decode(reader);
  } catch (e) {
    if (!(e instanceof CodecError)) throw e;
    error = e;
  }
  const rowOptions = {
    start: 0,
    end: bytes.length,
    ...(options.meanings === undefined ? {} : { meanings: options.meanings }),
  };
  return { rows: rowsFromTrace(trace, rowOptions), value, error };
}

export interface FormatTableOptions {
  /** Qualify field names with their structure (`GHES.source id`). Default true. */
  readonly qualify?: boolean;
}

/** Formats rows as an aligned text table with a header; one string, lines joined by `\n`. */
export function formatTable(rows: readonly TableRow[], options: FormatTableOptions = {}): string {
  const qualify = options.qualify ?? true;
  const maxOffset = rows.reduce((m, r) => Math.max(m, r.offset), 0);
  const offDigits = Math.max(4, maxOffset.toString(16).length);
  const cells = rows.map((r) => [
    hex(r.offset, offDigits),
    String(r.size),
    qualify && r.structure ? `${r.structure}.${r.field}` : r.field,
    r.valueText,
    r.meaning,
  ]);
  const header = ['offset', 'size', 'field', 'value', 'meaning'];
  // A loop, not Math.max(...cells): a spread of many rows overflows the call stack.
  const widths = header.map((h) => h.length);
  for (const c of cells) {
    for (let i = 0; i < widths.length; i++) if (c[i]!.length > widths[i]!) widths[i] = c[i]!.length;
  }
  const line = (c: readonly string[]): string =>
    c
      .map((s, i) => (i === 1 ? s.padStart(widths[i]!) : s.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}
