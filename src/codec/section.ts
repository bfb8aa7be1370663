// The contract between CPER containers (GHES status blocks, CPER records) and the section
// bodies they carry. Each section type (UEFI 2.10 Appendix N.2.4–N.2.14) lives in its own file
// under sections/ and registers a SectionCodec; containers look codecs up by GUID.
//
// Lossless rule: decodeSection(guid, bytes) then encodeSection gives back `bytes` exactly. A
// body shorter than the codec's minimum, or one it refuses, stays as opaque bytes with the
// reason kept, so nothing is lost and nothing throws past the container.

import type { Guid } from './guid.js';
import type { ByteReader } from './reader.js';
import type { ByteWriter } from './writer.js';

/** Options that change how Linux output is printed. */
export interface LinuxFormatOptions {
  /**
   * Which kernel's text to reproduce: '6.1' (Linux 6.1.y, the default: Debian 12), '6.12'
   * (Debian 13), '7.3', or 'newer' (= '7.3'); lint-status-block.ts `kernelBehaviour` says how
   * they differ.
   */
  readonly kernel?: '6.1' | '6.12' | '7.3' | 'newer';
}

/** Context a section printer gets: the prefix every body line starts with. */
export interface SectionPrintContext {
  /** Body prefix, e.g. `{1}[Hardware Error]:   ` (the section header prefix plus one space). */
  readonly pfx: string;
  readonly options: LinuxFormatOptions;
}

export interface SectionCodec<T> {
  /** Stable short name used as the `kind` of decoded bodies and in JSON (`memory`, `arm`, …). */
  readonly kind: string;
  readonly guid: Guid;
  /** What Linux prints after `section_type: ` (cper_estatus_print_section), if it knows it. */
  readonly linuxName: string | undefined;
  /**
   * Smallest body the decoder accepts. Shorter bodies stay opaque (Linux prints
   * `error section length is too small` for them).
   */
  readonly minLength: number;
  /** Decodes the whole window of `r` (the section body); must consume or keep every byte. */
  decode(r: ByteReader): T;
  encode(w: ByteWriter, value: T): void;
  /** Lines Linux prints for the body, each already prefixed with `ctx.pfx` or as Linux does. */
  printLinux?(value: T, ctx: SectionPrintContext): string[];
}

/** A decoded section body: known kinds carry their fields, others their bytes. */
export type SectionBody =
  | { readonly kind: string; readonly [field: string]: unknown }
  | OpaqueSection;

export interface OpaqueSection {
  readonly kind: 'opaque';
  readonly bytes: Uint8Array;
  /** Why the body was not decoded (unknown GUID, too short, refused by its decoder). */
  readonly reason: string;
}

const registry = new Map<Guid, SectionCodec<unknown>>();
const byKind = new Map<string, SectionCodec<unknown>>();

export function registerSection<T>(codec: SectionCodec<T>): SectionCodec<T> {
  registry.set(codec.guid, codec as SectionCodec<unknown>);
  byKind.set(codec.kind, codec as SectionCodec<unknown>);
  return codec;
}

export function sectionCodecFor(guid: Guid): SectionCodec<unknown> | undefined {
  return registry.get(guid);
}

export function sectionCodecByKind(kind: string): SectionCodec<unknown> | undefined {
  return byKind.get(kind);
}

export function registeredSections(): readonly SectionCodec<unknown>[] {
  return [...registry.values()];
}
