// JSON form of decoded structures. 64-bit values (bigint) become "0x…" strings with 16 digits
// and byte strings become "hex:…", so nothing loses precision in JavaScript (libcper's JSON
// does above 2^53). `fromJson` reverses both, so JSON → bytes gives back the original.

import { CodecError, CodecErrorCode } from './errors.js';
import { bytesToHex, hex64, hexToBytes } from './hex.js';
import { stringifyFast } from './json-write.js';

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

/**
 * The JSON text of a document (`indent` 0: one line). Written by one walk over `value`
 * (json-write.ts); the text is exactly `toJsonReference`'s, which json-write.test.ts checks.
 */
export function toJson(kind: string, value: unknown, indent = 2): string {
  const doc: JsonDocument = { schema: JSON_SCHEMA, kind, value };
  return stringifyFast(doc, indent) ?? JSON.stringify(doc, jsonReplacer, indent);
}

/** `toJson` as JSON.stringify with `jsonReplacer` writes it: the definition the fast path meets. */
export function toJsonReference(kind: string, value: unknown, indent = 2): string {
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

// ---------------------------------------------------------------------------------------------
// Missing fields in a JSON document. Encoders and the writer take typed values; a document from
// JSON may lack any of them, and an encoder then either hands `undefined` to the writer ("is
// missing", no path) or reads a property of a missing object (a TypeError). Rather than check
// shapes per encoder, `withJsonPaths` runs an encoder on a view of the value that remembers the
// JSON path of the property read last when it was absent, and turns either failure into a
// CodecError naming that path: `value.entries[0].body.validationBits is missing`.

/** A read of an absent property, as the JSON path from the document root. */
interface PathTracker {
  missing: string | undefined;
  /** The object or array a property was read from last. */
  lastObject: string;
  /** The path of the property read last (what a failure that is not an absence concerns). */
  lastRead: string;
  /** Views handed out so far, by object and path (one per call: they report to this tracker). */
  readonly proxies: WeakMap<object, Map<string, unknown>>;
}

function isTracked(v: unknown): v is object {
  // Typed arrays stay as they are: their accessors refuse a proxy receiver.
  return (
    typeof v === 'object' &&
    v !== null &&
    !ArrayBuffer.isView(v) &&
    (Array.isArray(v) || Object.getPrototypeOf(v) === Object.prototype)
  );
}

function track<T>(value: T, path: string, tracker: PathTracker): T {
  if (!isTracked(value)) return value;
  const isArray = Array.isArray(value);
  return new Proxy(value, {
    get(target, key, receiver) {
      const v: unknown = Reflect.get(target, key, receiver);
      // toJSON: JSON.stringify looking for a method while a message quotes the value.
      if (typeof key === 'symbol' || key === 'toJSON') return v;
      tracker.lastObject = path;
      const child = isArray && /^(0|[1-9]\d*)$/.test(key) ? `${path}[${key}]` : `${path}.${key}`;
      tracker.lastRead = child;
      if (v === undefined || v === null) {
        tracker.missing = child;
        return v;
      }
      tracker.missing = undefined;
      if (!isTracked(v)) return v;
      let byPath = tracker.proxies.get(v);
      if (byPath === undefined) {
        byPath = new Map();
        tracker.proxies.set(v, byPath);
      }
      let p = byPath.get(child);
      if (p === undefined) {
        p = track(v, child, tracker);
        byPath.set(child, p);
      }
      return p;
    },
  }) as T;
}

/**
 * Runs `encode` on `value` (parsed JSON, found at `root` in its document) and reports a field
 * the document lacks by its JSON path: a CodecError (code Invalid, `field` = the path) instead of
 * the writer's path-less "is missing" or a TypeError from reading into a missing object.
 *
 * The cause is the last property read before the failure when that read found nothing (absent
 * or null); a failure after a read that found a value is rethrown unchanged. The encoder's own
 * reason stays in the message, so a failure that merely follows an absent optional field still
 * says what went wrong. Only plain objects and arrays are tracked (typed arrays are used as is).
 */
export function withJsonPaths<T, R>(
  value: T,
  root: string,
  structure: string,
  encode: (value: T) => R,
): R {
  const tracker: PathTracker = {
    missing: undefined,
    lastObject: root,
    lastRead: root,
    proxies: new WeakMap(),
  };
  try {
    return encode(track(value, root, tracker));
  } catch (error) {
    // The read just before the failure found nothing: that absence is the cause. The encoder's
    // own reason is kept unless it is the writer's path-less "is missing".
    const missing = tracker.missing;
    if (missing === undefined && error instanceof CodecError && !error.message.includes(root)) {
      // Not an absent field (or one read from a copy): say where in the document it happened.
      throw new CodecError(`${error.message} (in ${tracker.lastObject})`, {
        code: error.code,
        structure: error.structure,
        ...(error.field === undefined ? {} : { field: error.field }),
        ...(error.offset === undefined ? {} : { offset: error.offset }),
        cause: error,
      });
    }
    if (
      missing === undefined &&
      (error instanceof TypeError || error instanceof SyntaxError || error instanceof RangeError)
    ) {
      // A value of the wrong type or range that the encoder tripped over (`x is not iterable`,
      // a BigInt conversion): name the field read last. JavaScript's own words stay in the cause;
      // a RangeError the codec wrote itself is kept as the reason.
      const own = error instanceof RangeError && !/BigInt|array length/.test(error.message);
      throw new CodecError(
        `Cannot encode ${structure}: ${tracker.lastRead} has the wrong type or value${own ? ` (${error.message})` : ''}`,
        { code: CodecErrorCode.Invalid, structure, field: tracker.lastRead, cause: error },
      );
    }
    if (missing === undefined || !(error instanceof TypeError || error instanceof CodecError)) {
      throw error;
    }
    const reason =
      error instanceof CodecError && !/ is missing at offset /.test(error.message)
        ? ` (${error.message})`
        : '';
    const offset = error instanceof CodecError ? error.offset : undefined;
    throw new CodecError(
      `Cannot encode ${structure}: ${missing} is missing${offset === undefined ? '' : ` at output offset 0x${offset.toString(16)}`}${reason}`,
      {
        code: CodecErrorCode.Invalid,
        structure,
        field: missing,
        ...(offset === undefined ? {} : { offset }),
        cause: error,
      },
    );
  }
}
