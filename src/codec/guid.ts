// UEFI GUIDs (UEFI 2.10 Appendix A): the first three fields little-endian (u32, u16, u16), the
// last eight bytes as written. A Guid is its canonical lower-case text, as Linux prints it (%pUl).

/** Canonical lower-case GUID text: `a5bc1114-6f64-4ede-b863-3e83ed7c83b1`. */
export type Guid = string;

const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
/** Byte order of the 16 wire bytes when read in text order. */
const TEXT_ORDER = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15] as const;

export const NIL_GUID: Guid = '00000000-0000-0000-0000-000000000000';

export function isGuid(value: unknown): value is Guid {
  return typeof value === 'string' && GUID_RE.test(value);
}

/** Parses any-case GUID text into the canonical form; throws RangeError otherwise. */
export function parseGuid(text: string): Guid {
  const lower = text
    .trim()
    .toLowerCase()
    .replace(/^\{|\}$/g, '');
  if (!GUID_RE.test(lower)) throw new RangeError(`Cannot parse GUID: ${JSON.stringify(text)}`);
  return lower;
}

export function guidFromBytes(bytes: Uint8Array, offset: number): Guid {
  let s = '';
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) s += '-';
    s += HEX[bytes[offset + TEXT_ORDER[i]!]!];
  }
  return s;
}

export function guidToBytes(guid: Guid, out: Uint8Array, offset: number): void {
  if (!GUID_RE.test(guid)) throw new RangeError(`Cannot encode GUID: ${JSON.stringify(guid)}`);
  const hex = guid.replace(/-/g, '');
  for (let i = 0; i < 16; i++) {
    out[offset + TEXT_ORDER[i]!] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  }
}

export function guidBytes(guid: Guid): Uint8Array {
  const out = new Uint8Array(16);
  guidToBytes(guid, out, 0);
  return out;
}
