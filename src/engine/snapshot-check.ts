// Field checks for restoring snapshots. A snapshot is untrusted JSON (it crossed a migration
// stream or a file): every field is checked for type and range before anything is changed, and
// each failure is one `bad-snapshot` EngineError naming the field by its path
// (`sources[1].backlog[0].vcpu`).

import { EngineError, EngineErrorCode } from './errors.js';

export class SnapshotReader {
  constructor(private readonly what: string) {}

  fail(path: string, why: string): never {
    throw new EngineError(
      EngineErrorCode.BadSnapshot,
      `Cannot restore ${this.what}: ${path === '' ? 'the snapshot' : path} ${why}`,
    );
  }

  describe(v: unknown): string {
    if (v === undefined) return 'missing';
    if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
    if (Array.isArray(v)) return `a list of ${v.length}`;
    if (v !== null && typeof v === 'object') return 'an object';
    return String(v);
  }

  object(v: unknown, path: string): Record<string, unknown> {
    if (v === null || typeof v !== 'object' || Array.isArray(v))
      this.fail(path, `is not an object (got ${this.describe(v)})`);
    return v as Record<string, unknown>;
  }

  /** Refuses keys other than `allowed` (a field this version does not know would be lost). */
  keys(o: Record<string, unknown>, path: string, allowed: readonly string[]): void {
    for (const k of Object.keys(o)) {
      if (!allowed.includes(k))
        this.fail(`${path === '' ? '' : `${path}.`}${k}`, 'is not a known field');
    }
  }

  list(v: unknown, path: string, max: number): unknown[] {
    if (!Array.isArray(v)) this.fail(path, `is not a list (got ${this.describe(v)})`);
    if (v.length > max) this.fail(path, `holds ${v.length} entries, at most ${max} fit here`);
    return v;
  }

  int(v: unknown, path: string, min: number, max: number): number {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      this.fail(path, `is not an integer in ${min}..${max} (got ${this.describe(v)})`);
    return v;
  }

  count(v: unknown, path: string): number {
    return this.int(v, path, 0, Number.MAX_SAFE_INTEGER);
  }

  string(v: unknown, path: string): string {
    if (typeof v !== 'string') this.fail(path, `is not a string (got ${this.describe(v)})`);
    return v;
  }

  optionalString(v: unknown, path: string): string | undefined {
    return v === undefined ? undefined : this.string(v, path);
  }

  /** A `0x…` value of at most 64 bits. */
  u64(v: unknown, path: string): bigint {
    if (typeof v !== 'string' || !/^0x[0-9a-f]{1,16}$/.test(v))
      this.fail(path, `is not a 0x… value of at most 64 bits (got ${this.describe(v)})`);
    return BigInt(v);
  }

  hexBytes(v: unknown, path: string, maxBytes: number): Uint8Array {
    const text = this.string(v, path);
    if (text.length > 2 * maxBytes)
      this.fail(path, `holds ${Math.floor(text.length / 2)} bytes, at most ${maxBytes} fit here`);
    if (!/^([0-9a-f]{2})*$/.test(text)) this.fail(path, 'is not hex bytes');
    const out = new Uint8Array(text.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(text.slice(2 * i, 2 * i + 2), 16);
    return out;
  }
}
