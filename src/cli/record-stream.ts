// The records in the CLI's inputs, read incrementally so memory stays bounded whatever an
// input's length. An input (a file, or `-` for standard input) is one of:
//
// - binary: records one after another, each framed by its own length (a HEST's table length, a
//   CPER record's Record Length, a status block's cper_estatus_len(), a section descriptor's
//   72 + Section Length; detect.ts recordExtent). Zero bytes between records are padding.
// - text, one record per line, in hex or base64 (each line detected, or --input);
// - a hex or base64 dump of binary records wrapped over several lines (`xxd -p`, `base64`):
//   recognised when the first line is short and holds only part of a record;
// - JSON: one document (a Redfish LogEntry or LogEntryCollection, an array, …) or JSON Lines,
//   each object a LogEntry or an object with a base64/hex field (redfish.ts).
//
// Limits: one record (or line) is at most `maxRecord` bytes and a whole JSON document at most
// `maxInput`; what is over a limit becomes an error naming the limit and the option that raises
// it. Nothing is held but the current record and one read chunk.

import { createReadStream } from 'node:fs';
import {
  CodecError,
  type InputKind,
  jsonRecords,
  type RedfishContext,
  recordExtent,
} from '../codec/index.js';
import { decodeInput, type InputEncoding } from './io.js';

export const DEFAULT_MAX_RECORD = 64 * 1024 * 1024;
export const DEFAULT_MAX_INPUT = 256 * 1024 * 1024;
const CHUNK = 1 << 16;

export interface StreamOptions {
  /** --input: how every input is encoded; detected per input when undefined. */
  readonly encoding?: InputEncoding;
  /** --as: the structure every record is; framing then uses that structure's length. */
  readonly as?: InputKind;
  /** --field: the JSON field holding a record in a plain object. */
  readonly field?: string;
  /** --max-record-size: the largest record or line, in bytes. */
  readonly maxRecord: number;
  /** --max-input-size: the largest whole JSON document, in bytes. */
  readonly maxInput: number;
}

/** One record read from an input, or why it could not be read. */
export interface InputRecord {
  readonly type: 'record';
  /** The input as the user named it (`standard input` for `-`). */
  readonly input: string;
  /** Index of the record in its input, from 0. */
  readonly index: number;
  /** Byte offset of the record (or of its line) in the input; in a dump, in the decoded bytes. */
  readonly offset: number;
  /** 1-based line, for text and JSON inputs. */
  readonly line?: number;
  /** Where in a JSON value (`Members[2]`). */
  readonly path?: string;
  readonly bytes?: Uint8Array;
  /** Why the record's bytes could not be taken. */
  readonly error?: string;
  /** For a record over the limit: how many input bytes it covered (skipped, never held). */
  readonly skipped?: number;
  /** The input itself could not be read: nothing more comes from it. */
  readonly fatal?: boolean;
  /** What the container says the record is (Redfish `DiagnosticDataType`). */
  readonly as?: InputKind;
  readonly redfish?: RedfishContext;
}

/** Zero bytes after a record (padding), counted, never held. */
export interface InputPadding {
  readonly type: 'padding';
  readonly input: string;
  readonly offset: number;
  readonly length: number;
}

export type InputEvent = InputRecord | InputPadding;

export function inputName(path: string | undefined): string {
  return path === undefined || path === '-' ? 'standard input' : path;
}

function capText(what: string, cap: number, option: string): string {
  return `${what} over the ${cap}-byte limit (raise it with ${option})`;
}

/** Chunks of a file or of standard input. */
async function* chunksOf(path: string | undefined): AsyncGenerator<Uint8Array> {
  const stream =
    path === undefined || path === '-'
      ? process.stdin
      : createReadStream(path, { highWaterMark: CHUNK });
  for await (const c of stream) {
    const b = c as Buffer;
    yield new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  }
}

/** A FIFO of byte chunks with contiguous peeks and takes. */
class ByteQueue {
  private chunks: Uint8Array[] = [];
  length = 0;

  push(c: Uint8Array): void {
    if (c.length === 0) return;
    this.chunks.push(c);
    this.length += c.length;
  }

  /** The first `n` bytes (fewer if fewer are queued), contiguous. */
  peek(n: number): Uint8Array {
    const want = Math.min(n, this.length);
    const first = this.chunks[0];
    if (first === undefined) return new Uint8Array(0);
    if (first.length >= want) return first.subarray(0, want);
    const out = new Uint8Array(want);
    let o = 0;
    for (const c of this.chunks) {
      const k = Math.min(c.length, want - o);
      out.set(c.subarray(0, k), o);
      o += k;
      if (o === want) break;
    }
    return out;
  }

  take(n: number): Uint8Array {
    const out = this.peek(n);
    this.skip(out.length);
    return out;
  }

  skip(n: number): void {
    let left = Math.min(n, this.length);
    this.length -= left;
    while (left > 0) {
      const c = this.chunks[0]!;
      if (c.length <= left) {
        left -= c.length;
        this.chunks.shift();
      } else {
        this.chunks[0] = c.subarray(left);
        left = 0;
      }
    }
  }

  /** Index of the first `byte` at or after `from`, or -1; walks the chunks without copying. */
  indexOf(byte: number, from: number): number {
    let base = 0;
    for (const c of this.chunks) {
      if (from < base + c.length) {
        const i = c.indexOf(byte, Math.max(0, from - base));
        if (i >= 0) return base + i;
      }
      base += c.length;
    }
    return -1;
  }

  /** How many zero bytes the queue starts with (up to its length). */
  leadingZeros(): number {
    let n = 0;
    for (const c of this.chunks) {
      for (let i = 0; i < c.length; i++) {
        if (c[i] !== 0) return n + i;
      }
      n += c.length;
    }
    return n;
  }
}

/** Pulls chunks from an iterator into a queue. */
class Puller {
  readonly q = new ByteQueue();
  eof = false;
  constructor(private readonly it: AsyncIterator<Uint8Array>) {}

  /** Reads until `n` bytes are queued or the input ends. */
  async fill(n: number): Promise<void> {
    while (this.q.length < n && !this.eof) {
      const r = await this.it.next();
      if (r.done === true) this.eof = true;
      else this.q.push(r.value);
    }
  }
}

/** Splits binary bytes into records by their own lengths (see the file comment). */
async function* binaryRecords(
  name: string,
  source: AsyncIterator<Uint8Array>,
  o: StreamOptions,
  first: Uint8Array | undefined,
): AsyncGenerator<InputEvent> {
  const p = new Puller(source);
  if (first !== undefined) p.q.push(first);
  let offset = 0;
  let index = 0;
  const base = { type: 'record' as const, input: name };
  for (;;) {
    await p.fill(72);
    if (p.q.length === 0) break;
    // Zero padding: a boundary whose next 20 bytes (or all that is left) are zero.
    const zeros = p.q.leadingZeros();
    if (zeros >= Math.min(20, p.q.length) && o.as !== 'section') {
      let run = 0;
      for (;;) {
        const z = p.q.leadingZeros();
        run += z;
        p.q.skip(z);
        if (run > o.maxRecord) {
          yield {
            ...base,
            index,
            offset,
            fatal: true,
            error: capText(
              `the zero bytes from offset ${hexOff(offset)} (no record in them) run`,
              o.maxRecord,
              '--max-record-size',
            ),
          };
          return;
        }
        if (p.q.length > 0) break;
        await p.fill(1);
        if (p.q.length === 0) break;
      }
      if (p.q.length === 0 && index === 0) {
        // The whole input is zeros: one (empty) record, as a single block would be read.
        yield { ...base, index: index++, offset, bytes: new Uint8Array(run) };
        return;
      }
      yield { type: 'padding', input: name, offset, length: run };
      offset += run;
      continue;
    }
    const extent = recordExtent(p.q.peek(72), o.as);
    let length: number;
    if (extent.kind === 'need') {
      await p.fill(extent.bytes);
      if (p.q.length < extent.bytes) {
        length = p.q.length; // the input ends inside the header: the rest is the record
      } else continue;
    } else if (extent.kind === 'length') {
      length = extent.length;
      if (length > o.maxRecord) {
        const error = capText(
          `the record at offset ${hexOff(offset)} says it is ${length} bytes (${extent.what}),`,
          o.maxRecord,
          '--max-record-size',
        );
        // Skip it without holding it, and go on with what follows.
        let left = length;
        while (left > 0) {
          await p.fill(1);
          if (p.q.length === 0) break;
          const k = Math.min(left, p.q.length);
          p.q.skip(k);
          left -= k;
        }
        yield { ...base, index: index++, offset, skipped: length - left, error };
        offset += length - left;
        continue;
      }
    } else {
      // No length to frame by: the rest of the input is one record.
      await p.fill(o.maxRecord + 1);
      if (p.q.length > o.maxRecord) {
        yield {
          ...base,
          index,
          offset,
          fatal: true,
          error: capText(
            `the bytes from offset ${hexOff(offset)} carry no record length vras can read and run`,
            o.maxRecord,
            '--max-record-size',
          ),
        };
        return;
      }
      length = p.q.length;
    }
    await p.fill(length);
    const bytes = p.q.take(length);
    yield { ...base, index: index++, offset, bytes };
    offset += bytes.length;
  }
  if (index === 0 && offset === 0) yield { ...base, index: 0, offset: 0, bytes: new Uint8Array(0) };
}

function hexOff(n: number): string {
  return `0x${n.toString(16)}`;
}

interface Line {
  readonly text: string;
  readonly offset: number;
  readonly line: number;
  /** Set when the line was over the limit (its text is then empty). */
  readonly tooLong?: number;
}

/** Lines of a byte stream (latin1 text), each at most `cap` bytes; longer ones are skipped. */
async function* linesOf(p: Puller, cap: number): AsyncGenerator<Line> {
  let offset = 0;
  let lineNo = 1;
  for (;;) {
    await p.fill(1);
    if (p.q.length === 0) return;
    // Find the newline within the first cap+1 bytes, scanning each byte once.
    let scanned = 0;
    let nl = -1;
    for (;;) {
      nl = p.q.indexOf(0x0a, scanned);
      if (nl >= 0 && nl <= cap) break;
      if (nl > cap) {
        nl = -1;
        break;
      }
      scanned = p.q.length;
      if (p.q.length > cap || p.eof) break;
      await p.fill(p.q.length + CHUNK);
      if (p.q.length === scanned) break;
    }
    if (nl < 0 && p.q.length > cap) {
      // Over the limit: drop it up to its newline without holding it.
      let dropped = 0;
      for (;;) {
        await p.fill(1);
        if (p.q.length === 0) break;
        const view = p.q.peek(Math.min(p.q.length, CHUNK));
        const i = view.indexOf(0x0a);
        if (i >= 0) {
          p.q.skip(i + 1);
          dropped += i + 1;
          break;
        }
        p.q.skip(view.length);
        dropped += view.length;
      }
      yield { text: '', offset, line: lineNo, tooLong: dropped };
      offset += dropped;
      lineNo++;
      continue;
    }
    const len = nl < 0 ? p.q.length : nl + 1;
    const raw = p.q.take(len);
    const text = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength)
      .toString('latin1')
      .replace(/\r?\n$/, '');
    yield { text, offset, line: lineNo };
    offset += len;
    lineNo++;
  }
}

function decodeLine(text: string, encoding: InputEncoding | undefined): Uint8Array | string {
  try {
    const bytes = new TextEncoder().encode(text);
    const enc =
      encoding ??
      (/^[\s0-9a-fA-Fx:,]*$/.test(text) && /[0-9a-fA-F]/.test(text)
        ? 'hex'
        : /^[\sA-Za-z0-9+/]*={0,2}\s*$/.test(text)
          ? 'base64'
          : undefined);
    if (enc === undefined) return 'the line is neither hex nor base64';
    return decodeInput(bytes, enc);
  } catch (error) {
    if (error instanceof CodecError) {
      const where =
        error.offset === undefined ? '' : ` (character ${error.offset}, spacing ignored)`;
      return `${error.message}${where}`;
    }
    throw error;
  }
}

function isTextByte(b: number): boolean {
  return !(b > 0x7e || (b < 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09));
}

/** Text of hex or base64 lines turned back into bytes, for a wrapped dump. */
async function* dumpBytes(
  first: Line,
  lines: AsyncGenerator<Line>,
  encoding: 'hex' | 'base64',
  name: string,
): AsyncGenerator<Uint8Array> {
  let carry = '';
  const unit = encoding === 'hex' ? 2 : 4;
  const clean = (t: string) =>
    encoding === 'hex' ? t.replace(/0x/gi, '').replace(/[\s:,]/g, '') : t.replace(/\s/g, '');
  const decode = (t: string, l: Line): Uint8Array => {
    const r = decodeLine(t, encoding);
    if (typeof r === 'string') throw new DumpError(`${name}, line ${l.line}: ${r}`);
    return r;
  };
  for (let l: Line | undefined = first; l !== undefined; ) {
    if (l.tooLong !== undefined) throw new DumpError(`${name}, line ${l.line}: too long`);
    carry += clean(l.text);
    const whole = carry.length - (carry.length % unit);
    if (whole > 0) {
      yield decode(carry.slice(0, whole), l);
      carry = carry.slice(whole);
    }
    const n = await lines.next();
    l = n.done === true ? undefined : n.value;
  }
  if (carry !== '') yield decode(carry, first);
}

class DumpError extends Error {}

/** Every record of one input, in order. Reading errors come back as fatal error records. */
export async function* inputRecords(
  path: string | undefined,
  o: StreamOptions,
): AsyncGenerator<InputEvent> {
  const name = inputName(path);
  const base = { type: 'record' as const, input: name };
  try {
    const source = chunksOf(path);
    const p = new Puller(source);
    await p.fill(4096);
    const head = p.q.peek(4096);
    let firstNonSpace = -1;
    for (let i = 0; i < head.length; i++) {
      const b = head[i]!;
      if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) {
        firstNonSpace = b;
        break;
      }
    }
    const text = head.length > 0 && head.every(isTextByte);
    const json = o.encoding === undefined && (firstNonSpace === 0x7b || firstNonSpace === 0x5b);
    if (o.encoding === 'raw' || (o.encoding === undefined && !text && !json)) {
      const first = p.q.take(p.q.length);
      yield* binaryRecords(name, source, o, first);
      return;
    }
    if (json) {
      yield* jsonInput(name, p, o);
      return;
    }
    // Hex or base64 text: one record per line, or a dump wrapped over lines.
    const lines = linesOf(p, o.maxRecord * 2 + 2);
    let firstLine: Line | undefined;
    for (;;) {
      const n = await lines.next();
      if (n.done === true) break;
      if (n.value.tooLong !== undefined || n.value.text.trim() !== '') {
        firstLine = n.value;
        break;
      }
    }
    if (firstLine === undefined) {
      yield { ...base, index: 0, offset: 0, bytes: new Uint8Array(0) };
      return;
    }
    const firstBytes =
      firstLine.tooLong === undefined ? decodeLine(firstLine.text, o.encoding) : undefined;
    if (
      firstBytes instanceof Uint8Array &&
      firstLine.text.trim().length <= 128 &&
      isPartial(firstBytes, o.as)
    ) {
      const enc =
        o.encoding === 'hex' || o.encoding === 'base64'
          ? o.encoding
          : /^[\s0-9a-fA-Fx:,]*$/.test(firstLine.text)
            ? 'hex'
            : 'base64';
      try {
        const dump = dumpBytes(firstLine, lines, enc, name);
        yield* binaryRecords(name, dump, o, undefined);
      } catch (e) {
        if (e instanceof DumpError) {
          yield { ...base, index: 0, offset: 0, fatal: true, error: e.message };
          return;
        }
        throw e;
      }
      return;
    }
    let index = 0;
    for (let l: Line | undefined = firstLine; l !== undefined; ) {
      if (l.tooLong !== undefined) {
        yield {
          ...base,
          index: index++,
          offset: l.offset,
          line: l.line,
          error: capText(
            `line ${l.line} is ${l.tooLong} bytes,`,
            o.maxRecord * 2 + 2,
            '--max-record-size',
          ),
        };
      } else if (l.text.trim() !== '') {
        const r =
          l === firstLine && firstBytes !== undefined ? firstBytes : decodeLine(l.text, o.encoding);
        yield typeof r === 'string'
          ? { ...base, index: index++, offset: l.offset, line: l.line, error: r }
          : { ...base, index: index++, offset: l.offset, line: l.line, bytes: r };
      }
      const n = await lines.next();
      l = n.done === true ? undefined : n.value;
    }
  } catch (error) {
    if (error instanceof CodecError || (error as NodeJS.ErrnoException).code !== undefined) {
      yield { ...base, index: 0, offset: 0, fatal: true, error: (error as Error).message };
      return;
    }
    throw error;
  }
}

/** Whether `bytes` hold only the start of a record (its own length says more follow). */
function isPartial(bytes: Uint8Array, as: InputKind | undefined): boolean {
  const e = recordExtent(bytes, as);
  if (e.kind === 'need') return true;
  return e.kind === 'length' && e.length > bytes.length;
}

async function* jsonInput(name: string, p: Puller, o: StreamOptions): AsyncGenerator<InputEvent> {
  const base = { type: 'record' as const, input: name };
  const lines = linesOf(p, o.maxRecord * 2 + 2);
  const parse = (text: string): { value: unknown } | { error: string } => {
    try {
      return { value: JSON.parse(text) as unknown };
    } catch (e) {
      return { error: `Cannot parse JSON: ${(e as Error).message}` };
    }
  };
  const options = o.field === undefined ? {} : { field: o.field };
  let first: Line | undefined;
  for (;;) {
    const n = await lines.next();
    if (n.done === true) break;
    if (n.value.tooLong !== undefined || n.value.text.trim() !== '') {
      first = n.value;
      break;
    }
  }
  if (first === undefined) return;
  const firstParsed = first.tooLong === undefined ? parse(first.text) : undefined;
  let index = 0;
  if (firstParsed !== undefined && 'value' in firstParsed) {
    // JSON Lines: every line its own value.
    for (let l: Line | undefined = first; l !== undefined; ) {
      if (l.tooLong !== undefined) {
        yield {
          ...base,
          index: index++,
          offset: l.offset,
          line: l.line,
          error: capText(
            `line ${l.line} is ${l.tooLong} bytes,`,
            o.maxRecord * 2 + 2,
            '--max-record-size',
          ),
        };
      } else if (l.text.trim() !== '') {
        const parsed = l === first ? firstParsed : parse(l.text);
        const at = { offset: l.offset, line: l.line };
        if ('error' in parsed) yield { ...base, index: index++, ...at, error: parsed.error };
        else {
          for (const r of jsonRecords(parsed.value, options)) {
            yield jsonEvent(base, index++, at, r);
          }
        }
      }
      const n = await lines.next();
      l = n.done === true ? undefined : n.value;
    }
    return;
  }
  // One document over many lines: held whole, up to maxInput.
  const parts: string[] = [first.text];
  let size = first.text.length;
  for (;;) {
    const n = await lines.next();
    if (n.done === true) break;
    if (n.value.tooLong !== undefined) size += n.value.tooLong;
    else {
      parts.push(n.value.text);
      size += n.value.text.length + 1;
    }
    if (size > o.maxInput || n.value.tooLong !== undefined) {
      yield {
        ...base,
        index: 0,
        offset: 0,
        fatal: true,
        error:
          n.value.tooLong !== undefined
            ? capText(
                `line ${n.value.line} is ${n.value.tooLong} bytes,`,
                o.maxRecord * 2 + 2,
                '--max-record-size',
              )
            : capText('the JSON document is', o.maxInput, '--max-input-size'),
      };
      return;
    }
  }
  const parsed = parse(parts.join('\n'));
  if ('error' in parsed) {
    yield { ...base, index: 0, offset: 0, fatal: true, error: parsed.error };
    return;
  }
  for (const r of jsonRecords(parsed.value, options)) {
    yield jsonEvent(base, index++, { offset: first.offset, line: first.line }, r);
  }
}

function jsonEvent(
  base: { type: 'record'; input: string },
  index: number,
  at: { offset: number; line: number },
  r: ReturnType<typeof jsonRecords>[number],
): InputRecord {
  return {
    ...base,
    index,
    ...at,
    ...(r.path === '' ? {} : { path: r.path }),
    ...(r.bytes === undefined ? {} : { bytes: r.bytes }),
    ...(r.error === undefined ? {} : { error: r.error }),
    ...(r.as === undefined ? {} : { as: r.as }),
    ...(r.redfish === undefined ? {} : { redfish: r.redfish }),
  };
}

/** Every record of every input, in order. */
export async function* allRecords(
  paths: readonly string[],
  o: StreamOptions,
): AsyncGenerator<InputEvent> {
  const list = paths.length === 0 ? ['-'] : paths;
  for (const path of list) yield* inputRecords(path, o);
}
