// Range-checked little- and big-endian writer into a growable buffer. Nothing is truncated,
// wrapped or clamped: a value that does not fit its field is a CodecError naming the field.

import { CodecError, CodecErrorCode } from './errors.js';
import { type Guid, guidToBytes } from './guid.js';

const U64_MAX = (1n << 64n) - 1n;

// Integers are stored byte by byte and u64s through one shared scratch DataView: a DataView per
// writer costs more than most encodes (every record, section body and table builds a writer).
const SCRATCH = new Uint8Array(8);
const SCRATCH_VIEW = new DataView(SCRATCH.buffer);

export class ByteWriter {
  readonly structure: string;
  private buf: Uint8Array;
  private len = 0;

  constructor(structure: string, initialCapacity = 256) {
    this.structure = structure;
    this.buf = new Uint8Array(Math.max(16, initialCapacity));
  }

  /** Number of bytes written so far (the offset of the next byte). */
  get offset(): number {
    return this.len;
  }

  private ensure(extra: number): void {
    const want = this.len + extra;
    if (want <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < want) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  private put16(at: number, v: number, littleEndian: boolean): void {
    const b = this.buf;
    if (littleEndian) {
      b[at] = v & 0xff;
      b[at + 1] = v >>> 8;
    } else {
      b[at] = v >>> 8;
      b[at + 1] = v & 0xff;
    }
  }

  private put32(at: number, v: number, littleEndian: boolean): void {
    const b = this.buf;
    if (littleEndian) {
      b[at] = v & 0xff;
      b[at + 1] = (v >>> 8) & 0xff;
      b[at + 2] = (v >>> 16) & 0xff;
      b[at + 3] = v >>> 24;
    } else {
      b[at] = v >>> 24;
      b[at + 1] = (v >>> 16) & 0xff;
      b[at + 2] = (v >>> 8) & 0xff;
      b[at + 3] = v & 0xff;
    }
  }

  private put64(at: number, v: bigint, littleEndian: boolean): void {
    SCRATCH_VIEW.setBigUint64(0, v, littleEndian);
    const b = this.buf;
    for (let i = 0; i < 8; i++) b[at + i] = SCRATCH[i]!;
  }

  private range(field: string, value: number | bigint, max: number | bigint): never {
    // Values often come from JSON: say what is wrong with a missing or mistyped one rather
    // than that it "does not fit".
    const want = typeof max === 'bigint' ? 'bigint' : 'number';
    const got = value as unknown;
    const what =
      got === undefined || got === null
        ? 'is missing'
        : typeof got !== want
          ? `must be a ${want === 'bigint' ? 'bigint (in JSON a "0x…" string)' : 'number'}, got ${typeof got} ${JSON.stringify(typeof got === 'bigint' ? `0x${got.toString(16)}` : got) ?? String(got)}`
          : `= ${String(value)} does not fit (0..${String(max)})`;
    throw new CodecError(
      `Cannot encode ${this.structure}: ${field} ${what} at offset 0x${this.len.toString(16)}`,
      { code: CodecErrorCode.OutOfRange, structure: this.structure, field, offset: this.len },
    );
  }

  private checkInt(value: number, max: number, field: string): void {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
      this.range(field, value, max);
    }
  }

  private checkBig(value: bigint, field: string): void {
    if (typeof value !== 'bigint' || value < 0n || value > U64_MAX)
      this.range(field, value, U64_MAX);
  }

  u8(value: number, field: string): this {
    this.checkInt(value, 0xff, field);
    this.ensure(1);
    this.buf[this.len++] = value;
    return this;
  }

  u16(value: number, field: string): this {
    this.checkInt(value, 0xffff, field);
    this.ensure(2);
    this.put16(this.len, value, true);
    this.len += 2;
    return this;
  }

  u32(value: number, field: string): this {
    this.checkInt(value, 0xffffffff, field);
    this.ensure(4);
    this.put32(this.len, value, true);
    this.len += 4;
    return this;
  }

  u64(value: bigint, field: string): this {
    this.checkBig(value, field);
    this.ensure(8);
    this.put64(this.len, value, true);
    this.len += 8;
    return this;
  }

  u16be(value: number, field: string): this {
    this.checkInt(value, 0xffff, field);
    this.ensure(2);
    this.put16(this.len, value, false);
    this.len += 2;
    return this;
  }

  u32be(value: number, field: string): this {
    this.checkInt(value, 0xffffffff, field);
    this.ensure(4);
    this.put32(this.len, value, false);
    this.len += 4;
    return this;
  }

  u64be(value: bigint, field: string): this {
    this.checkBig(value, field);
    this.ensure(8);
    this.put64(this.len, value, false);
    this.len += 8;
    return this;
  }

  /** Writes `bytes`; with `length`, the field must be exactly that long. */
  bytes(bytes: Uint8Array, field: string, length?: number): this {
    if (!(bytes instanceof Uint8Array)) {
      throw new CodecError(`Cannot encode ${this.structure}: ${field} must be bytes`, {
        code: CodecErrorCode.Invalid,
        structure: this.structure,
        field,
        offset: this.len,
      });
    }
    if (length !== undefined && bytes.length !== length) {
      throw new CodecError(
        `Cannot encode ${this.structure}: ${field} must be ${length} bytes, got ${bytes.length}`,
        {
          code: CodecErrorCode.LengthMismatch,
          structure: this.structure,
          field,
          offset: this.len,
        },
      );
    }
    this.ensure(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
    return this;
  }

  zeros(count: number, field: string): this {
    this.checkInt(count, 0x7fffffff, field);
    this.ensure(count);
    this.buf.fill(0, this.len, this.len + count);
    this.len += count;
    return this;
  }

  guid(value: Guid, field: string): this {
    this.ensure(16);
    try {
      guidToBytes(value, this.buf, this.len);
    } catch (cause) {
      throw new CodecError(
        `Cannot encode ${this.structure}: ${field} = ${JSON.stringify(value)} is not a GUID`,
        { code: CodecErrorCode.Invalid, structure: this.structure, field, offset: this.len, cause },
      );
    }
    this.len += 16;
    return this;
  }

  /** Fixed-width latin1 field: the string must be exactly `length` characters, each < 256. */
  ascii(value: string, length: number, field: string): this {
    if (typeof value !== 'string' || value.length !== length) {
      throw new CodecError(
        `Cannot encode ${this.structure}: ${field} must be ${length} characters, got ${JSON.stringify(value)}`,
        {
          code: CodecErrorCode.LengthMismatch,
          structure: this.structure,
          field,
          offset: this.len,
        },
      );
    }
    this.ensure(length);
    for (let i = 0; i < length; i++) {
      const c = value.charCodeAt(i);
      if (c > 0xff) this.range(`${field}[${i}]`, c, 0xff);
      this.buf[this.len + i] = c;
    }
    this.len += length;
    return this;
  }

  /** Overwrites a u8 already written at `at` (for checksums). */
  patchU8(at: number, value: number, field: string): void {
    this.checkInt(value, 0xff, field);
    this.buf[at] = value;
  }

  /** Overwrites a u16 already written at `at` (for counts known only at the end). */
  patchU16(at: number, value: number, field: string): void {
    this.checkInt(value, 0xffff, field);
    this.put16(at, value, true);
  }

  /** Overwrites a u32 already written at `at` (for lengths known only at the end). */
  patchU32(at: number, value: number, field: string): void {
    this.checkInt(value, 0xffffffff, field);
    this.put32(at, value, true);
  }

  /** Starts over at offset 0, keeping the buffer (for a writer reused to measure encodes). */
  reset(): void {
    this.len = 0;
  }

  /** The bytes written so far, as a new array. */
  toBytes(): Uint8Array {
    return this.buf.slice(0, this.len);
  }

  /** The bytes written so far, without copying (valid until the next write). */
  view8(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}
