// JSON form of decoded structures. 64-bit values (bigint) become "0x…" strings with 16 digits
// and byte strings become "hex:…", so nothing loses precision in JavaScript (libcper's JSON
// does above 2^53). `fromJson` reverses both, so JSON → bytes gives back the original.

import { CodecError, CodecErrorCode } from './errors.js';
import { bytesToHex, hex64, hexToBytes } from './hex.js';

export const JSON_SCHEMA_VERSION = 1;
export const JSON_SCHEMA = 'vras/v1';

/** The envelope every JSON document carries. */
export interface JsonDocument<T = unknown> {
  readonly schema: typeof JSON_SCHEMA;
  readonly kind: string;
  readonly value: T;
}

const U64_TEXT = /^0x[0-9a-fA-F]{1,16}$/;
const BYTES_TEXT = /^hex:([0-9a-fA-F]*)$/;

export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return hex64(value);
  if (value instanceof Uint8Array) return `hex:${bytesToHex(value)}`;
  return value;
}

export function jsonReviver(_key: string, value: unknown): unknown {
  if (typeof value === 'string') {
    if (U64_TEXT.test(value)) return BigInt(value);
    const m = BYTES_TEXT.exec(value);
    if (m) return hexToBytes(m[1]!, 'JSON byte string');
  }
  return value;
}

export function toJson(kind: string, value: unknown, indent = 2): string {
  const doc: JsonDocument = { schema: JSON_SCHEMA, kind, value };
  return JSON.stringify(doc, jsonReplacer, indent);
}

/** Parses a vras JSON document; `kind` is checked when given. */
export function fromJson<T = unknown>(text: string, kind?: string): JsonDocument<T> {
  let doc: unknown;
  try {
    doc = JSON.parse(text, jsonReviver);
  } catch (cause) {
    if (cause instanceof CodecError) throw cause;
    throw new CodecError(`Cannot parse JSON: ${(cause as Error).message}`, {
      code: CodecErrorCode.Invalid,
      structure: 'JSON document',
      cause,
    });
  }
  if (typeof doc !== 'object' || doc === null || (doc as JsonDocument).schema !== JSON_SCHEMA) {
    throw new CodecError(`Cannot parse JSON: expected "schema": "${JSON_SCHEMA}"`, {
      code: CodecErrorCode.Invalid,
      structure: 'JSON document',
      field: 'schema',
    });
  }
  const d = doc as JsonDocument<T>;
  if (typeof d.kind !== 'string' || (kind !== undefined && d.kind !== kind)) {
    throw new CodecError(
      `Cannot parse JSON: expected "kind": "${kind ?? 'a structure kind'}", got ${JSON.stringify(d.kind)}`,
      { code: CodecErrorCode.Invalid, structure: 'JSON document', field: 'kind' },
    );
  }
  return d;
}
