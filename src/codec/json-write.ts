// The fast path of `toJson` (json.ts): one walk over a decoded value that writes the exact text
// `JSON.stringify(value, jsonReplacer, indent)` gives (ECMA-262 §25.5.2, SerializeJSONProperty)
// as UTF-8 into one reused byte buffer, made a string once at the end: no replacer call per
// value, no intermediate object, no string per field. Generic over the value, so every section
// codec, present or added later, goes through it; json-write.test.ts compares the two paths on
// every corpus record, random bodies of every registered section kind, and arbitrary values.
//
// Anything this walker does not reproduce exactly (a `toJSON` method, a class instance, a typed
// array other than Uint8Array, a boxed primitive, a cycle or very deep nesting, a fractional
// indent, no TextDecoder) makes it return `undefined`, and the caller uses JSON.stringify.

import { hex64 } from './hex.js';

interface TextDecoderLike {
  decode(bytes: Uint8Array): string;
}
// TextDecoder is in every browser and in Node, but not in the ES library the codec builds against.
const Decoder = (globalThis as { TextDecoder?: new () => TextDecoderLike }).TextDecoder;
const utf8: TextDecoderLike | undefined = Decoder === undefined ? undefined : new Decoder();

/** Thrown inside the walk when JSON.stringify must decide (see the header); never escapes. */
class Fallback extends Error {}
const FALLBACK = new Fallback('fallback');

/** JSON.stringify throws on cycles; the walker gives up well before the stack would. */
const MAX_DEPTH = 512;
/** A buffer grown past this is dropped after the call, so memory stays bounded. */
const KEEP_BYTES = 1 << 20;

// ASCII codes written below.
const QUOTE = 0x22;
const COMMA = 0x2c;
const COLON = 0x3a;
const SPACE = 0x20;
const NEWLINE = 0x0a;
const ZERO = 0x30;

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const HEX_HI = new Uint8Array(256);
const HEX_LO = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  HEX_HI[i] = HEX[i]!.charCodeAt(0);
  HEX_LO[i] = HEX[i]!.charCodeAt(1);
}
const HEX_DIGIT = new Uint8Array([...'0123456789abcdef'].map((c) => c.charCodeAt(0)));

let buf = new Uint8Array(4096);
let pos = 0;
let busy = false;
/**
 * libcper's text (json-text.ts `stringifyLibcperJson`) instead of vras/v1: a bigint is written as
 * plain decimal digits, and anything that text would not write as JSON.stringify does (an
 * undefined value, a byte string) makes the walk give up.
 */
let libcper = false;

function ensure(n: number): void {
  if (pos + n <= buf.length) return;
  let size = buf.length * 2;
  while (size < pos + n) size *= 2;
  const next = new Uint8Array(size);
  next.set(buf.subarray(0, pos));
  buf = next;
}

/** Writes `t` as UTF-8 (JSON.stringify's text is well formed: lone surrogates are escaped). */
function writeText(t: string): void {
  const n = t.length;
  ensure(n * 3);
  const b = buf;
  let p = pos;
  for (let i = 0; i < n; i++) {
    let c = t.charCodeAt(i);
    if (c < 0x80) {
      b[p++] = c;
    } else if (c < 0x800) {
      b[p++] = 0xc0 | (c >> 6);
      b[p++] = 0x80 | (c & 0x3f);
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      const d = t.charCodeAt(i + 1);
      c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
      i++;
      b[p++] = 0xf0 | (c >> 18);
      b[p++] = 0x80 | ((c >> 12) & 0x3f);
      b[p++] = 0x80 | ((c >> 6) & 0x3f);
      b[p++] = 0x80 | (c & 0x3f);
    } else {
      b[p++] = 0xe0 | (c >> 12);
      b[p++] = 0x80 | ((c >> 6) & 0x3f);
      b[p++] = 0x80 | (c & 0x3f);
    }
  }
  pos = p;
}

/** JSON.stringify's own escape of each ASCII character that needs one, else ''. */
const ASCII_ESCAPE: readonly string[] = Array.from({ length: 128 }, (_, c) =>
  c < 0x20 || c === 0x22 || c === 0x5c ? JSON.stringify(String.fromCharCode(c)).slice(1, -1) : '',
);

/**
 * A JSON string literal: ASCII is copied, with JSON.stringify's escapes where it needs them; a
 * string with any other character is written as JSON.stringify quotes it.
 */
function writeString(s: string): void {
  const n = s.length;
  ensure(n + 2);
  const start = pos;
  let b = buf;
  let p = start;
  b[p++] = QUOTE;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c !== 0x22 && c !== 0x5c && c < 0x80) {
      b[p++] = c;
      continue;
    }
    if (c >= 0x80) {
      pos = start;
      writeText(JSON.stringify(s));
      return;
    }
    // An escape: up to 6 bytes for this character, and room for the rest.
    pos = p;
    ensure(6 + (n - i) + 1);
    b = buf;
    const e = ASCII_ESCAPE[c]!;
    for (let k = 0; k < e.length; k++) b[p++] = e.charCodeAt(k);
  }
  b[p++] = QUOTE;
  pos = p;
}

function writeNumber(v: number): void {
  if ((v | 0) === v && v >= 0) {
    // Also -0, which JSON writes as 0.
    ensure(10);
    if (v < 10) {
      buf[pos++] = ZERO + v;
      return;
    }
    let digits = 1;
    for (let x = v; x >= 10; x = (x / 10) | 0) digits++;
    let p = pos + digits;
    pos = p;
    for (let x = v; x > 0; x = (x / 10) | 0) buf[--p] = ZERO + (x % 10);
    return;
  }
  writeText(Number.isFinite(v) ? `${v}` : 'null');
}

/** hex.ts `hex64` (`"0x` + 16 digits`"`) from two 32-bit halves, no bigint toString. */
function writeBigint(v: bigint): void {
  if (libcper) {
    writeLiteral(v.toString());
    return;
  }
  let hi: number;
  let lo: number;
  if (v >= 0n && v <= 0x1fffffffffffffn) {
    const n = Number(v);
    hi = Math.floor(n / 0x100000000);
    lo = n % 0x100000000;
  } else if (v >= 0n && v <= 0xffffffffffffffffn) {
    hi = Number(v >> 32n);
    lo = Number(v & 0xffffffffn);
  } else {
    writeString(hex64(v));
    return;
  }
  ensure(20);
  const b = buf;
  let p = pos;
  b[p++] = QUOTE;
  b[p++] = ZERO;
  b[p++] = 0x78; // x
  for (let s = 28; s >= 0; s -= 4) b[p++] = HEX_DIGIT[(hi >>> s) & 15]!;
  for (let s = 28; s >= 0; s -= 4) b[p++] = HEX_DIGIT[(lo >>> s) & 15]!;
  b[p++] = QUOTE;
  pos = p;
}

const HEX_PREFIX = [0x68, 0x65, 0x78, 0x3a]; // hex:

/** Two hex digits of a byte as one u16 in memory order (first digit at the lower address). */
const PAIR = new Uint16Array(256);
{
  const bytes = new Uint8Array(PAIR.buffer);
  for (let i = 0; i < 256; i++) {
    bytes[2 * i] = HEX_HI[i]!;
    bytes[2 * i + 1] = HEX_LO[i]!;
  }
}
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** Four hex digits of two bytes read as a little-endian u16, as one u32; built on first use. */
let quad: Uint32Array | undefined;
let scratch32 = new Uint32Array(1024);

/** Hex digits of `bytes` (length ≥ 4, 4-byte aligned, little-endian machine) into the scratch. */
function hexWords(bytes: Uint8Array): Uint8Array {
  const n = bytes.length;
  let q = quad;
  if (q === undefined) {
    q = quad = new Uint32Array(65536);
    for (let k = 0; k < 65536; k++) q[k] = PAIR[k & 255]! | (PAIR[k >> 8]! << 16);
  }
  if (scratch32.length * 4 < n * 2 + 4) scratch32 = new Uint32Array((n >> 1) + 2);
  const out = scratch32;
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset, n >> 2);
  const m = words.length;
  for (let k = 0; k < m; k++) {
    const w = words[k]!;
    out[2 * k] = q[w & 0xffff]!;
    out[2 * k + 1] = q[w >>> 16]!;
  }
  const out16 = new Uint16Array(out.buffer);
  for (let i = m * 4; i < n; i++) out16[i] = PAIR[bytes[i]!]!;
  return new Uint8Array(out.buffer, 0, n * 2);
}

function writeBytes(bytes: Uint8Array): void {
  const n = bytes.length;
  ensure(n * 2 + 7);
  const b = buf;
  let p = pos;
  b[p++] = QUOTE;
  b[p++] = HEX_PREFIX[0]!;
  b[p++] = HEX_PREFIX[1]!;
  b[p++] = HEX_PREFIX[2]!;
  b[p++] = HEX_PREFIX[3]!;
  if (n >= 256 && LITTLE_ENDIAN && (bytes.byteOffset & 3) === 0) {
    b.set(hexWords(bytes), p);
    p += n * 2;
    if (scratch32.length > KEEP_BYTES) scratch32 = new Uint32Array(1024);
  } else {
    const hi = HEX_HI;
    const lo = HEX_LO;
    for (let i = 0; i < n; i++) {
      const x = bytes[i]!;
      b[p++] = hi[x]!;
      b[p++] = lo[x]!;
    }
  }
  b[p++] = QUOTE;
  pos = p;
}

/** UTF-8 of `"key":` (compact) or `"key": ` (indented), per key; bounded (keys can come from input). */
const KEY_CACHE_LIMIT = 4096;
const compactKeys = new Map<string, Uint8Array>();
const prettyKeys = new Map<string, Uint8Array>();

function keyBytes(k: string, spaced: boolean): Uint8Array {
  const cache = spaced ? prettyKeys : compactKeys;
  let t = cache.get(k);
  if (t === undefined) {
    const save = pos;
    writeString(k);
    ensure(2);
    buf[pos++] = COLON;
    if (spaced) buf[pos++] = SPACE;
    t = buf.slice(save, pos);
    pos = save;
    if (cache.size >= KEY_CACHE_LIMIT) cache.clear();
    cache.set(k, t);
  }
  return t;
}

function writeKey(k: string, spaced: boolean): void {
  const t = keyBytes(k, spaced);
  const n = t.length;
  ensure(n);
  const b = buf;
  const p = pos;
  for (let i = 0; i < n; i++) b[p + i] = t[i]!;
  pos = p + n;
}

function writeLiteral(t: string): void {
  ensure(t.length);
  for (let i = 0; i < t.length; i++) buf[pos++] = t.charCodeAt(i);
}

/** Where JSON.stringify would leave a property out (undefined, a function, a symbol). */
function omitted(v: unknown): boolean {
  return v === undefined || typeof v === 'function' || typeof v === 'symbol';
}

const objectProto = Object.prototype;

/**
 * Writes `v`, which is not omitted. `gap` is the indent per level ('' for one line), `depth`
 * the nesting level.
 */
function writeValue(v: unknown, gap: string, depth: number): void {
  switch (typeof v) {
    case 'string':
      writeString(v);
      return;
    case 'number':
      writeNumber(v);
      return;
    case 'boolean':
      writeLiteral(v ? 'true' : 'false');
      return;
    case 'bigint':
      writeBigint(v);
      return;
    default:
      break;
  }
  if (v === null) {
    writeLiteral('null');
    return;
  }
  if (depth > MAX_DEPTH) throw FALLBACK;
  if (typeof (v as { toJSON?: unknown }).toJSON === 'function') throw FALLBACK;
  if (Array.isArray(v)) {
    writeArray(v, gap, depth);
    return;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto === objectProto || proto === null) {
    writeObject(v as Record<string, unknown>, gap, depth);
    return;
  }
  if (proto === Uint8Array.prototype && !libcper) {
    writeBytes(v as Uint8Array);
    return;
  }
  throw FALLBACK;
}

function writeIndent(gap: string, depth: number): void {
  const n = gap.length * depth;
  ensure(n + 1);
  buf[pos++] = NEWLINE;
  for (let i = 0; i < n; i++) buf[pos++] = SPACE;
}

function writeArray(a: readonly unknown[], gap: string, depth: number): void {
  const n = a.length;
  ensure(2);
  buf[pos++] = 0x5b; // [
  for (let i = 0; i < n; i++) {
    if (i > 0) {
      ensure(1);
      buf[pos++] = COMMA;
    }
    if (gap !== '') writeIndent(gap, depth + 1);
    const e = a[i];
    if (omitted(e)) {
      if (libcper) throw FALLBACK;
      writeLiteral('null');
    } else writeValue(e, gap, depth + 1);
  }
  if (gap !== '' && n > 0) writeIndent(gap, depth);
  ensure(1);
  buf[pos++] = 0x5d; // ]
}

function writeObject(o: Record<string, unknown>, gap: string, depth: number): void {
  if (gap !== '') {
    writeObjectIndented(o, gap, depth);
    return;
  }
  ensure(1);
  buf[pos++] = 0x7b; // {
  let first = true;
  // for-in gives the own enumerable string keys in Object.keys order (the prototype, plain
  // Object.prototype or null, has none: stringifyFast checks) and lets V8 load each value
  // through the object's enum cache instead of a keyed lookup.
  for (const k in o) {
    const e = o[k];
    const type = typeof e;
    if (type === 'undefined' || type === 'function' || type === 'symbol') {
      if (libcper) throw FALLBACK;
      continue;
    }
    const n = k.length;
    // A comma, the key, and room for any number or 64-bit value.
    ensure(n + 32);
    const b = buf;
    let p = pos;
    if (!first) b[p++] = COMMA;
    first = false;
    // Keys are copied as they are when plain ASCII, else written as JSON.stringify quotes them.
    const start = p;
    b[p++] = QUOTE;
    for (let i = 0; i < n; i++) {
      const c = k.charCodeAt(i);
      if (c < 0x20 || c === 0x22 || c === 0x5c || c >= 0x80) {
        p = -1;
        break;
      }
      b[p++] = c;
    }
    if (p >= 0) {
      b[p++] = QUOTE;
      b[p++] = COLON;
      pos = p;
    } else {
      pos = start;
      writeString(k);
      ensure(1);
      buf[pos++] = COLON;
    }
    if (type === 'number') writeNumber(e as number);
    else if (type === 'string') writeString(e as string);
    else if (type === 'boolean') writeLiteral(e ? 'true' : 'false');
    else if (type === 'bigint') writeBigint(e as bigint);
    else writeValue(e, gap, depth + 1);
  }
  ensure(1);
  buf[pos++] = 0x7d; // }
}

function writeObjectIndented(o: Record<string, unknown>, gap: string, depth: number): void {
  ensure(1);
  buf[pos++] = 0x7b; // {
  let first = true;
  for (const k in o) {
    const e = o[k];
    if (omitted(e)) {
      if (libcper) throw FALLBACK;
      continue;
    }
    if (!first) {
      ensure(1);
      buf[pos++] = COMMA;
    }
    first = false;
    writeIndent(gap, depth + 1);
    writeKey(k, true);
    writeValue(e, gap, depth + 1);
  }
  if (!first) writeIndent(gap, depth);
  ensure(1);
  buf[pos++] = 0x7d; // }
}

/** Whether Object.prototype has an enumerable property (for-in would then list it). */
function prototypePolluted(): boolean {
  for (const _ in objectProto) return true;
  return false;
}

const GAPS = Array.from({ length: 11 }, (_, i) => ' '.repeat(i));

/**
 * `JSON.stringify(value, jsonReplacer, indent)` for the values vras documents hold, or
 * `undefined` when the caller must use JSON.stringify itself (see the header).
 */
export function stringifyFast(value: unknown, indent: number): string | undefined {
  // A BigInt.prototype.toJSON (some libraries add one) would run before the replacer.
  if (typeof (BigInt.prototype as { toJSON?: unknown }).toJSON === 'function') return undefined;
  return run(value, indent, false);
}

/**
 * libcper's JSON text as json-text.ts `stringifyLibcperJson` writes it (bigints as plain digits,
 * keys in Object.entries order, `indent` spaces per level), or `undefined` when that function
 * must write it itself: a value it would not write as JSON.stringify does (undefined, a function,
 * a typed array, a class instance, a `toJSON` method), an indent above 10 or not an integer.
 */
export function stringifyLibcperFast(value: unknown, indent: number): string | undefined {
  if (indent > 10) return undefined;
  return run(value, indent, true);
}

function run(value: unknown, indent: number, libcperText: boolean): string | undefined {
  if (utf8 === undefined || !Number.isInteger(indent)) return undefined;
  if (omitted(value) || prototypePolluted()) return undefined;
  // A getter that serialises while we do would share the buffer: let JSON.stringify do it.
  if (busy) return undefined;
  const gap = indent < 1 ? '' : GAPS[Math.min(10, indent)]!;
  pos = 0;
  busy = true;
  libcper = libcperText;
  try {
    writeValue(value, gap, 0);
    return utf8.decode(buf.subarray(0, pos));
  } catch (error) {
    if (error === FALLBACK) return undefined;
    throw error;
  } finally {
    busy = false;
    libcper = false;
    if (buf.length > KEEP_BYTES) buf = new Uint8Array(4096);
  }
}
