// Text forms of integers and byte strings shared by the JSON, table and Linux outputs, and the
// input side: bytes given as hex or base64 text (no Buffer: this runs in a browser).

import { CodecError, CodecErrorCode } from './errors.js';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** `0x` + lower-case hex, zero-padded to `digits`. */
export function hex(value: number | bigint, digits = 0): string {
  return `0x${value.toString(16).padStart(digits, '0')}`;
}

/** 64-bit value as the fixed `0x` + 16 digits form used in JSON. */
export function hex64(value: bigint): string {
  return `0x${value.toString(16).padStart(16, '0')}`;
}

export function bytesToHex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i]!];
  return s;
}

/** Parses hex text; whitespace, `0x` prefixes, `:` and `,` separators are ignored. */
export function hexToBytes(text: string, structure = 'hex input'): Uint8Array {
  const clean = text.replace(/0x/gi, '').replace(/[\s:,]/g, '');
  const bad = clean.search(/[^0-9a-fA-F]/);
  if (bad >= 0) {
    throw new CodecError(`Cannot parse ${structure}: '${clean[bad]}' is not a hex digit`, {
      code: CodecErrorCode.Invalid,
      structure,
      offset: bad,
    });
  }
  if (clean.length % 2 !== 0) {
    throw new CodecError(`Cannot parse ${structure}: odd number of hex digits (${clean.length})`, {
      code: CodecErrorCode.Invalid,
      structure,
      offset: clean.length,
    });
  }
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Map([...B64].map((c, i) => [c, i]));

export function bytesToBase64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i]!;
    const b = bytes[i + 1];
    const c = bytes[i + 2];
    out += B64[a >> 2];
    out += B64[((a & 3) << 4) | ((b ?? 0) >> 4)];
    out += b === undefined ? '=' : B64[((b & 15) << 2) | ((c ?? 0) >> 6)];
    out += c === undefined ? '=' : B64[c & 63];
  }
  return out;
}

/** Strict base64 (standard alphabet, padding required, whitespace ignored). */
export function base64ToBytes(text: string, structure = 'base64 input'): Uint8Array {
  const clean = text.replace(/\s/g, '');
  if (clean.length % 4 !== 0) {
    throw new CodecError(
      `Cannot parse ${structure}: length ${clean.length} is not a multiple of 4`,
      {
        code: CodecErrorCode.Invalid,
        structure,
        offset: clean.length,
      },
    );
  }
  const pad = clean.endsWith('==') ? 2 : clean.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((clean.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < clean.length; i += 4) {
    let n = 0;
    for (let j = 0; j < 4; j++) {
      const ch = clean[i + j]!;
      const isPad = ch === '=' && i + j >= clean.length - pad;
      const v = isPad ? 0 : B64_INDEX.get(ch);
      if (v === undefined) {
        throw new CodecError(`Cannot parse ${structure}: '${ch}' is not base64`, {
          code: CodecErrorCode.Invalid,
          structure,
          offset: i + j,
        });
      }
      n = (n << 6) | v;
    }
    if (o < out.length) out[o++] = (n >> 16) & 0xff;
    if (o < out.length) out[o++] = (n >> 8) & 0xff;
    if (o < out.length) out[o++] = n & 0xff;
  }
  return out;
}

/** Classic 16-bytes-per-line dump: `00000000: 01020304 05060708 ...`. */
export function hexDumpLines(bytes: Uint8Array): string[] {
  const lines: string[] = [];
  for (let off = 0; off < bytes.length; off += 16) {
    const groups: string[] = [];
    for (let g = off; g < Math.min(off + 16, bytes.length); g += 4) {
      groups.push(bytesToHex(bytes.subarray(g, Math.min(g + 4, bytes.length))));
    }
    lines.push(`${off.toString(16).padStart(8, '0')}: ${groups.join(' ')}`);
  }
  return lines;
}

/**
 * Parses an unsigned number as a person writes it on a command line or in a configuration file:
 * decimal or `0x` hex (and `0b` binary when `binary`), surrounding space and `_` separators
 * allowed, at most `bits` bits wide (53 = what a JavaScript number holds exactly). Returns the
 * value, or the one message every caller reports: `NAME must be a decimal or 0x hex number (at
 * most N bits), got "TEXT"`. Callers wrap the message in their own error class.
 */
export function parseUnsignedText(
  name: string,
  text: string,
  bits: number,
  binary = false,
): bigint | string {
  const t = text.trim().replace(/_/g, '');
  const ok = binary ? /^(0x[0-9a-f]+|0b[01]+|\d+)$/i : /^(0x[0-9a-f]+|\d+)$/i;
  if (ok.test(t)) {
    const v = BigInt(t);
    if (v < 1n << BigInt(bits)) return v;
  }
  const forms = binary ? 'a decimal, 0x hex or 0b binary number' : 'a decimal or 0x hex number';
  return `${name} must be ${forms} (at most ${bits} bits), got ${JSON.stringify(text)}`;
}
