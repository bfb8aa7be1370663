// fast-check arbitraries over the full range of every field of a section layout
// (src/codec/sections/layout.ts): u8–u32 as integers, u64 as bigints, GUIDs from 16 random bytes.

import fc from 'fast-check';
import { guidFromBytes } from '../../src/codec/guid.js';
import type { FieldType, Layout, LayoutValue } from '../../src/codec/sections/layout.js';

export const u8 = fc.integer({ min: 0, max: 0xff });
export const u16 = fc.integer({ min: 0, max: 0xffff });
export const u32 = fc.integer({ min: 0, max: 0xffffffff });
export const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
export const guid = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => guidFromBytes(b, 0));
export const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });

export function fieldArbitrary(type: FieldType): fc.Arbitrary<unknown> {
  switch (type) {
    case 'u8':
      return u8;
    case 'u16':
      return u16;
    case 'u32':
      return u32;
    case 'u64':
      return u64;
    case 'guid':
      return guid;
    default:
      return bytes(type.bytes);
  }
}

export function layoutArbitrary<L extends Layout>(layout: L): fc.Arbitrary<LayoutValue<L>> {
  const record: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [name, type] of layout) record[name] = fieldArbitrary(type);
  return fc.record(record) as unknown as fc.Arbitrary<LayoutValue<L>>;
}
