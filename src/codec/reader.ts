// Bounds-checked little- and big-endian reader over one Uint8Array. Every read names its
// structure and field so a failure says what was being read and where. Offsets are absolute
// positions in the underlying buffer, so errors inside nested structures point at real bytes.

import { CodecError, CodecErrorCode, hexOffset } from './errors.js';
import { type Guid, guidFromBytes } from './guid.js';

/** One field as read: where it is, what it is called, and the value decoded from it. */
/** Characters made into a string by one String.fromCharCode call (bounded: they go on the stack). */
const ASCII_CHUNK = 4096;

export interface FieldTrace {
  readonly offset: number;
  readonly size: number;
  readonly structure: string;
  readonly field: string;
  readonly value: number | bigint | string | Uint8Array;
}

export class ByteReader {
  readonly bytes: Uint8Array;
  readonly structure: string;
  /** Absolute offset of the next byte to read. */
  offset: number;
  /** Absolute offset one past the last byte this reader may read. */
  readonly end: number;
  /**
   * When set, every read appends the field it read (absolute offset, size, name, value), which
   * is how the annotated-table output is produced for any structure without a second decoder.
   */
  trace: FieldTrace[] | undefined;
  private readonly view: DataView;
  /** What traced fields are attributed to while inside `scoped()`. */
  private scopeName: string | undefined;

  constructor(
    bytes: Uint8Array,
    structure: string,
    offset = 0,
    end = bytes.length,
    trace?: FieldTrace[],
    /** The parent's view of the same bytes (sub-readers share it: a DataView is not free). */
    view?: DataView,
  ) {
    if (offset < 0 || end > bytes.length || offset > end) {
      throw new CodecError(
        `Cannot read ${structure}: window ${hexOffset(offset)}..${hexOffset(end)} is outside ${bytes.length} bytes`,
        { code: CodecErrorCode.Truncated, structure, offset },
      );
    }
    this.bytes = bytes;
    this.structure = structure;
    this.offset = offset;
    this.end = end;
    this.trace = trace;
    this.view = view ?? new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  /** Throws a Truncated error unless `size` bytes remain. */
  need(size: number, field: string): void {
    if (size > this.end - this.offset || size < 0) {
      throw new CodecError(
        `Cannot decode ${this.structure}: ${field} needs ${size} bytes at offset ${hexOffset(this.offset)}, ${this.end - this.offset} remain`,
        {
          code: CodecErrorCode.Truncated,
          structure: this.structure,
          field,
          offset: this.offset,
        },
      );
    }
  }

  /** A reader over the next `length` bytes, for an embedded structure; advances this reader. */
  sub(length: number, structure: string, field = structure): ByteReader {
    this.need(length, field);
    const r = new ByteReader(
      this.bytes,
      structure,
      this.offset,
      this.offset + length,
      this.trace,
      this.view,
    );
    this.offset += length;
    return r;
  }

  skip(size: number, field: string): void {
    this.need(size, field);
    this.offset += size;
  }

  u8(field: string): number {
    this.need(1, field);
    const v = this.bytes[this.offset]!;
    if (this.trace) this.record(1, field, v);
    this.offset++;
    return v;
  }

  u16(field: string): number {
    this.need(2, field);
    const v = this.view.getUint16(this.offset, true);
    if (this.trace) this.record(2, field, v);
    this.offset += 2;
    return v;
  }

  u32(field: string): number {
    this.need(4, field);
    const v = this.view.getUint32(this.offset, true);
    if (this.trace) this.record(4, field, v);
    this.offset += 4;
    return v;
  }

  u64(field: string): bigint {
    this.need(8, field);
    const v = this.view.getBigUint64(this.offset, true);
    if (this.trace) this.record(8, field, v);
    this.offset += 8;
    return v;
  }

  u16be(field: string): number {
    this.need(2, field);
    const v = this.view.getUint16(this.offset, false);
    if (this.trace) this.record(2, field, v);
    this.offset += 2;
    return v;
  }

  u32be(field: string): number {
    this.need(4, field);
    const v = this.view.getUint32(this.offset, false);
    if (this.trace) this.record(4, field, v);
    this.offset += 4;
    return v;
  }

  u64be(field: string): bigint {
    this.need(8, field);
    const v = this.view.getBigUint64(this.offset, false);
    if (this.trace) this.record(8, field, v);
    this.offset += 8;
    return v;
  }

  /** A copy of the next `length` bytes (checked before anything is allocated). */
  bytesCopy(length: number, field: string): Uint8Array {
    this.need(length, field);
    const out = this.bytes.slice(this.offset, this.offset + length);
    if (this.trace) this.record(length, field, out);
    this.offset += length;
    return out;
  }

  /** The rest of this reader's window, copied. */
  rest(field: string): Uint8Array {
    return this.bytesCopy(this.end - this.offset, field);
  }

  guid(field: string): Guid {
    this.need(16, field);
    const g = guidFromBytes(this.bytes, this.offset);
    if (this.trace) this.record(16, field, g);
    this.offset += 16;
    return g;
  }

  /** Fixed-width ASCII field, kept byte for byte as a latin1 string (no trimming). */
  ascii(length: number, field: string): string {
    this.need(length, field);
    // One flat string per chunk (a concatenation per character leaves a rope that every later
    // read, the JSON writer's included, must flatten first).
    let s = '';
    for (let at = 0; at < length; at += ASCII_CHUNK) {
      const end = Math.min(length, at + ASCII_CHUNK);
      const part = this.bytes.subarray(this.offset + at, this.offset + end);
      s += String.fromCharCode.apply(null, part as unknown as number[]);
    }
    if (this.trace) this.record(length, field, s);
    this.offset += length;
    return s;
  }

  private record(size: number, field: string, value: FieldTrace['value']): void {
    const structure = this.scopeName ?? this.structure;
    this.trace!.push({ offset: this.offset, size, structure, field, value });
  }

  /**
   * Runs `read` with the fields it reads attributed to `structure` in the trace (an embedded
   * structure read from the same window: a GAS, a notification structure). Errors keep naming
   * the reader's own structure. Without a trace it only calls `read`.
   */
  scoped<T>(structure: string, read: () => T): T {
    if (this.trace === undefined) return read();
    const outer = this.scopeName;
    this.scopeName = structure;
    try {
      return read();
    } finally {
      this.scopeName = outer;
    }
  }

  /** Raises an Invalid error about `field` at `offset` (default: the current offset). */
  invalid(field: string, message: string, offset = this.offset): never {
    throw new CodecError(
      `Cannot decode ${this.structure}: ${field} ${message} at offset ${hexOffset(offset)}`,
      { code: CodecErrorCode.Invalid, structure: this.structure, field, offset },
    );
  }

  /**
   * Ends a whole-buffer decode: throws LengthMismatch on field `bytes` at the current offset
   * ("N left over after the structure") when bytes remain.
   */
  expectEnd(): void {
    if (this.remaining !== 0)
      this.lengthMismatch('bytes', `${this.remaining} left over after the structure`);
  }

  lengthMismatch(field: string, message: string, offset = this.offset): never {
    throw new CodecError(
      `Cannot decode ${this.structure}: ${field} ${message} at offset ${hexOffset(offset)}`,
      { code: CodecErrorCode.LengthMismatch, structure: this.structure, field, offset },
    );
  }
}

/**
 * Reads one whole structure from `bytes` with `read` and refuses bytes left over after it
 * (the `decodeX(bytes)` form of a reader-based `readX`).
 */
export function readWhole<T>(bytes: Uint8Array, structure: string, read: (r: ByteReader) => T): T {
  const r = new ByteReader(bytes, structure);
  const value = read(r);
  r.expectEnd();
  return value;
}
