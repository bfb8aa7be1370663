// Fixed-layout structures described once as a field table, for the section codecs whose bodies
// are plain little-endian records (PCI/PCI-X bus, PCI component, DMAr, VT-d, IOMMU, CCIX PER,
// Ampere, NVIDIA, the IA32/X64 error information and context headers, …).
//
// A table lists the fields in spec order with their width; `readLayout` and `writeLayout` read
// and write them in that order with the reader's and writer's own checks (bounds on read, range
// on write), so each error names its field and offset. u8–u32 are numbers, u64 a bigint, byte
// arrays a Uint8Array of the stated length, GUIDs a Guid string; reserved fields are listed
// like any other field so that decode → encode is byte-exact.

import type { Guid } from '../guid.js';
import type { ByteReader } from '../reader.js';
import type { ByteWriter } from '../writer.js';

/** A field width: an integer type, a GUID, or a fixed number of bytes. */
export type FieldType = 'u8' | 'u16' | 'u32' | 'u64' | 'guid' | { readonly bytes: number };
export type FieldSpec = readonly [name: string, type: FieldType, label?: string];
export type Layout = readonly FieldSpec[];

type ValueOf<T> = T extends 'u64'
  ? bigint
  : T extends 'guid'
    ? Guid
    : T extends { readonly bytes: number }
      ? Uint8Array
      : number;

/** The value type a layout reads to: one readonly property per field, in table order. */
export type LayoutValue<L extends Layout> = {
  readonly [F in L[number] as F[0]]: ValueOf<F[1]>;
};

const SIZES = { u8: 1, u16: 2, u32: 4, u64: 8, guid: 16 } as const;

export function fieldSize(type: FieldType): number {
  return typeof type === 'string' ? SIZES[type] : type.bytes;
}

/** Bytes a layout occupies. */
export function layoutSize(layout: Layout): number {
  let n = 0;
  for (const f of layout) n += fieldSize(f[1]);
  return n;
}

/** The human field name used in error messages: the label, else the property name. */
function label(f: FieldSpec): string {
  return f[2] ?? f[0];
}

export function readLayout<L extends Layout>(r: ByteReader, layout: L): LayoutValue<L> {
  const out: Record<string, unknown> = {};
  for (const f of layout) {
    const [name, type] = f;
    const field = label(f);
    switch (type) {
      case 'u8':
        out[name] = r.u8(field);
        break;
      case 'u16':
        out[name] = r.u16(field);
        break;
      case 'u32':
        out[name] = r.u32(field);
        break;
      case 'u64':
        out[name] = r.u64(field);
        break;
      case 'guid':
        out[name] = r.guid(field);
        break;
      default:
        out[name] = r.bytesCopy(type.bytes, field);
    }
  }
  // Past 16 properties V8 keeps an object filled by computed names as a dictionary, which
  // later reads and the JSON writer's for-in walk slowly; a spread copy is a fast object.
  return (layout.length > 16 ? { ...out } : out) as LayoutValue<L>;
}

export function writeLayout<L extends Layout>(
  w: ByteWriter,
  layout: L,
  value: LayoutValue<L>,
): void {
  const v = value as Record<string, unknown>;
  for (const f of layout) {
    const [name, type] = f;
    const field = label(f);
    const x = v[name];
    switch (type) {
      case 'u8':
        w.u8(x as number, field);
        break;
      case 'u16':
        w.u16(x as number, field);
        break;
      case 'u32':
        w.u32(x as number, field);
        break;
      case 'u64':
        w.u64(x as bigint, field);
        break;
      case 'guid':
        w.guid(x as Guid, field);
        break;
      default:
        w.bytes(x as Uint8Array, field, type.bytes);
    }
  }
}

/** A value of `layout` with every field zero (bytes zero-filled, GUIDs nil). */
export function zeroLayout<L extends Layout>(layout: L): LayoutValue<L> {
  const out: Record<string, unknown> = {};
  for (const [name, type] of layout) {
    if (type === 'u64') out[name] = 0n;
    else if (type === 'guid') out[name] = '00000000-0000-0000-0000-000000000000';
    else if (typeof type === 'string') out[name] = 0;
    else out[name] = new Uint8Array(type.bytes);
  }
  return out as LayoutValue<L>;
}

/** A decoded fixed-layout section: its kind, its fields, and any bytes after the structure. */
export type FixedSection<K extends string, L extends Layout> = {
  readonly kind: K;
} & LayoutValue<L> & {
    readonly trailing?: Uint8Array;
  };

export interface FixedSectionCodecParts<K extends string, L extends Layout> {
  readonly size: number;
  read(r: ByteReader): FixedSection<K, L>;
  write(w: ByteWriter, s: FixedSection<K, L>): void;
  /** A zeroed section with `fields` applied. */
  make(fields?: Partial<LayoutValue<L> & { trailing: Uint8Array }>): FixedSection<K, L>;
}

/**
 * Reader and writer for a section body that is one fixed layout followed by optional trailing
 * bytes (kept so that decode → encode is exact). `what` names the structure in errors.
 */
export function fixedSectionParts<K extends string, L extends Layout>(
  kind: K,
  layout: L,
  what: string,
): FixedSectionCodecParts<K, L> {
  const size = layoutSize(layout);
  return {
    size,
    read(r) {
      r.need(size, what);
      const fields = readLayout(r, layout);
      const s = { kind, ...fields } as FixedSection<K, L>;
      return r.remaining === 0 ? s : { ...s, trailing: r.rest('trailing bytes') };
    },
    write(w, s) {
      writeLayout(w, layout, s);
      if (s.trailing !== undefined) w.bytes(s.trailing, 'trailing bytes');
    },
    make(fields = {}) {
      return { kind, ...zeroLayout(layout), ...fields } as FixedSection<K, L>;
    },
  };
}
