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

/** Hex digit value by character code, -1 for anything else (encode also takes upper case). */
const NIBBLE = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) NIBBLE[48 + i] = i;
for (let i = 0; i < 6; i++) {
  NIBBLE[97 + i] = 10 + i;
  NIBBLE[65 + i] = 10 + i;
}
/** Character index in the text of each of the 16 bytes, in text order. */
const TEXT_POS = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34] as const;

export function guidToBytes(guid: Guid, out: Uint8Array, offset: number): void {
  // A hand-written parse: this runs for every entry a record encodes (regex + parseInt cost ~2 µs).
  if (typeof guid !== 'string' || guid.length !== 36) {
    throw new RangeError(`Cannot encode GUID: ${JSON.stringify(guid)}`);
  }
  if (
    guid.charCodeAt(8) !== 45 ||
    guid.charCodeAt(13) !== 45 ||
    guid.charCodeAt(18) !== 45 ||
    guid.charCodeAt(23) !== 45
  ) {
    throw new RangeError(`Cannot encode GUID: ${JSON.stringify(guid)}`);
  }
  for (let i = 0; i < 16; i++) {
    const p = TEXT_POS[i]!;
    const hi = NIBBLE[guid.charCodeAt(p) & 0x7f]!;
    const lo = NIBBLE[guid.charCodeAt(p + 1) & 0x7f]!;
    if (hi < 0 || lo < 0 || guid.charCodeAt(p) > 0x7f || guid.charCodeAt(p + 1) > 0x7f) {
      throw new RangeError(`Cannot encode GUID: ${JSON.stringify(guid)}`);
    }
    out[offset + TEXT_ORDER[i]!] = (hi << 4) | lo;
  }
}

export function guidBytes(guid: Guid): Uint8Array {
  const out = new Uint8Array(16);
  guidToBytes(guid, out, 0);
  return out;
}
