// libcper's JSON carries u64 values as plain JSON numbers, which JavaScript's JSON.parse rounds
// above 2^53. This parser keeps every integer exactly: safe integers as numbers, larger ones as
// bigints; `stringifyLibcperJson` prints bigints as plain digits. Used for both directions of
// `--format libcper`.

import { CodecError, CodecErrorCode } from '../errors.js';
import { stringifyLibcperFast } from '../json-write.js';

export type LibcperJson =
  | null
  | boolean
  | number
  | bigint
  | string
  | readonly LibcperJson[]
  | { readonly [key: string]: LibcperJson };

const STRUCTURE = 'libcper JSON';

function fail(message: string, offset: number): never {
  throw new CodecError(`Cannot parse ${STRUCTURE}: ${message} at offset ${offset}`, {
    code: CodecErrorCode.Invalid,
    structure: STRUCTURE,
    offset,
  });
}

/** Parses JSON text; integers outside the safe range become bigints. Depth is bounded. */
export function parseLibcperJson(text: string): LibcperJson {
  let i = 0;
  const ws = () => {
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
  };
  const value = (depth: number): LibcperJson => {
    if (depth > 64) fail('nesting deeper than 64', i);
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const out: Record<string, LibcperJson> = {};
      ws();
      if (text[i] === '}') {
        i++;
        return out;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a property name', i);
        const key = string();
        ws();
        if (text[i] !== ':') fail("expected ':'", i);
        i++;
        out[key] = value(depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return out;
        }
        fail("expected ',' or '}'", i);
      }
    }
    if (c === '[') {
      i++;
      const out: LibcperJson[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return out;
      }
      for (;;) {
        out.push(value(depth + 1));
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return out;
        }
        fail("expected ',' or ']'", i);
      }
    }
    if (c === '"') return string();
    if (text.startsWith('true', i)) {
      i += 4;
      return true;
    }
    if (text.startsWith('false', i)) {
      i += 5;
      return false;
    }
    if (text.startsWith('null', i)) {
      i += 4;
      return null;
    }
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (m === null) fail('unexpected character', i);
    i += m[0].length;
    if (m[2] === undefined && m[3] === undefined) {
      const n = Number(m[0]);
      return Number.isSafeInteger(n) ? n : BigInt(m[0]);
    }
    return Number(m[0]);
  };
  const string = (): string => {
    const start = i;
    i++;
    let out = '';
    for (;;) {
      if (i >= text.length) fail('unterminated string', start);
      const ch = text[i]!;
      if (ch === '"') {
        i++;
        return out;
      }
      if (ch === '\\') {
        const e = text[i + 1];
        const simple: Record<string, string> = {
          '"': '"',
          '\\': '\\',
          '/': '/',
          b: '\b',
          f: '\f',
          n: '\n',
          r: '\r',
          t: '\t',
        };
        if (e !== undefined && simple[e] !== undefined) {
          out += simple[e];
          i += 2;
          continue;
        }
        if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
          out += String.fromCharCode(Number.parseInt(text.slice(i + 2, i + 6), 16));
          i += 6;
          continue;
        }
        fail('bad escape', i);
      }
      out += ch;
      i++;
    }
  };
  const v = value(0);
  ws();
  if (i !== text.length) fail('text after the JSON value', i);
  return v;
}

/**
 * JSON text with bigints as plain digits (libcper's form for u64). Written by json-write.ts's one
 * walk; the text is exactly `stringifyLibcperJsonReference`'s (json-text.test.ts checks).
 */
export function stringifyLibcperJson(value: LibcperJson, indent = 2): string {
  return stringifyLibcperFast(value, indent) ?? stringifyLibcperJsonReference(value, indent);
}

/** `stringifyLibcperJson` by definition: the text the fast writer must give. */
export function stringifyLibcperJsonReference(value: LibcperJson, indent = 2): string {
  const pad = (n: number) => (indent > 0 ? `\n${' '.repeat(indent * n)}` : '');
  const sep = indent > 0 ? ': ' : ':';
  const go = (v: LibcperJson, depth: number): string => {
    if (typeof v === 'bigint') return v.toString();
    if (v === null || typeof v !== 'object') return JSON.stringify(v);
    if (Array.isArray(v)) {
      if (v.length === 0) return '[]';
      return `[${v.map((x) => pad(depth + 1) + go(x, depth + 1)).join(',')}${pad(depth)}]`;
    }
    const entries = Object.entries(v as Record<string, LibcperJson>);
    if (entries.length === 0) return '{}';
    return `{${entries.map(([k, x]) => `${pad(depth + 1)}${JSON.stringify(k)}${sep}${go(x, depth + 1)}`).join(',')}${pad(depth)}}`;
  };
  return go(value, 0);
}
