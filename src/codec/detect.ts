// Which structure a byte string holds, from its signatures and lengths alone: an ACPI HEST
// (formats.md §3, signature `HEST`), a UEFI CPER record (§5.1, `CPER` + 0xFFFFFFFF at offset 6),
// a Generic Error Status Block (§4.1, no signature: recognised by lengths that agree), or a bare
// section body (§6–§10, no header at all: only with a hint naming its kind or GUID), or a section
// with its 72-byte descriptor in front (§5.2 + body: libcper's single-section form, Redfish's
// `CPERSection`). A status block the kernel would reject (lengths that disagree with the input)
// is still a status block when its header and first entry look like one. Never throws.

import { type Guid, isGuid, parseGuid } from './guid.js';
import { hex } from './hex.js';
import { sectionCodecByKind, sectionCodecFor } from './section.js';
import { sectionDescriptorShape } from './section-with-descriptor.js';

export type DetectedKind = 'hest' | 'cper-record' | 'ghes-status-block' | 'section' | 'unknown';

/** What detectInput() tells apart: detectStructure()'s kinds and the descriptor-plus-section form. */
export type InputKind = DetectedKind | 'section-with-descriptor';

export interface InputDetection extends Omit<Detection, 'kind'> {
  readonly kind: InputKind;
}

export interface Detection {
  readonly kind: DetectedKind;
  /** Why, one sentence each: what matched and what did not. */
  readonly reasons: readonly string[];
  /** For `section`: the section type GUID, and the registered codec's kind when known. */
  readonly sectionGuid?: Guid;
  readonly sectionKind?: string;
}

export interface DetectHint {
  /** A bare section's kind (`memory`, `arm`, …) or type GUID. */
  readonly section?: string;
}

function u32(b: Uint8Array, off: number): number {
  return ((b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16)) + b[off + 3]! * 0x1000000) >>> 0;
}

function ascii(b: Uint8Array, off: number, n: number): string {
  let s = '';
  for (let i = 0; i < n && off + i < b.length; i++) s += String.fromCharCode(b[off + i]!);
  return s;
}

/** Resolves a section hint (kind or GUID) to a GUID; undefined when it names nothing known. */
export function resolveSectionHint(hint: string): { guid: Guid; kind?: string } | undefined {
  const codec = sectionCodecByKind(hint);
  if (codec !== undefined) return { guid: codec.guid, kind: codec.kind };
  let guid: Guid;
  try {
    guid = parseGuid(hint);
  } catch {
    return undefined;
  }
  const byGuid = sectionCodecFor(guid);
  return byGuid === undefined ? { guid } : { guid, kind: byGuid.kind };
}

/** Why `bytes` is (or is not) a plausible Generic Error Status Block. */
export function statusBlockPlausibility(bytes: Uint8Array): { ok: boolean; reason: string } {
  if (bytes.length < 20) {
    return { ok: false, reason: `${bytes.length} bytes: a status block needs its 20-byte header` };
  }
  const status = u32(bytes, 0);
  const rawOffset = u32(bytes, 4);
  const rawLength = u32(bytes, 8);
  const dataLength = u32(bytes, 12);
  const severity = u32(bytes, 16);
  if ((status & 0xffffc000) !== 0) {
    return { ok: false, reason: `block_status ${hex(status, 8)} sets reserved bits 31:14` };
  }
  if (severity > 3) {
    return { ok: false, reason: `error_severity ${severity} is not a CPER severity (0–3)` };
  }
  if (dataLength !== 0 && dataLength < 64) {
    return { ok: false, reason: `data_length ${dataLength} is less than one entry header` };
  }
  if (20 + dataLength > bytes.length) {
    return {
      ok: false,
      reason: `data_length ${dataLength} runs past the ${bytes.length} bytes of input`,
    };
  }
  // Raw data overlapping the entries is Linux's rejection, not a reason to doubt the layout
  // (QEMU's ghes_inject.py writes raw_data_offset 0); raw data past the input is.
  if (rawLength !== 0 && rawOffset + rawLength > bytes.length) {
    return {
      ok: false,
      reason: `raw data ${rawOffset}+${rawLength} runs past the ${bytes.length} bytes of input`,
    };
  }
  if (dataLength !== 0) {
    const revision = bytes[40]! | (bytes[41]! << 8);
    const header = revision >> 8 >= 3 ? 72 : 64;
    const first = header + u32(bytes, 44);
    if (first > dataLength) {
      return {
        ok: false,
        reason: `the first entry (${first} bytes) does not fit data_length ${dataLength}`,
      };
    }
  }
  const len = rawLength !== 0 ? rawOffset + rawLength : 20 + dataLength;
  return {
    ok: true,
    reason: `lengths agree: record length ${len} of ${bytes.length} bytes, data_length ${dataLength}, severity ${severity}`,
  };
}

/**
 * A status block whose lengths do not agree (the kernel rejects it: `Invalid error status block
 * length!`, `Failed to read error status block!`, …) is still recognised when its header and
 * first entry header look like a status block's: block_status reserved bits clear, a CPER
 * severity, and a first entry naming a section type vras knows with a CPER severity. Returns
 * the reason, or undefined.
 */
function rejectedStatusBlock(bytes: Uint8Array): string | undefined {
  if (bytes.length < 20 + 64) return undefined;
  if ((u32(bytes, 0) & 0xffffc000) !== 0 || u32(bytes, 16) > 3) return undefined;
  const type = guidAt(bytes, 20);
  if (sectionCodecFor(type) === undefined || u32(bytes, 36) > 3) return undefined;
  return `its header and first entry (section type ${type}) are a status block's, whose lengths the kernel would reject`;
}

function guidAt(b: Uint8Array, o: number): string {
  const h = (i: number) => b[o + i]!.toString(16).padStart(2, '0');
  const le = (idx: number[]) => idx.map(h).join('');
  return `${le([3, 2, 1, 0])}-${le([5, 4])}-${le([7, 6])}-${le([8, 9])}-${le([10, 11, 12, 13, 14, 15])}`;
}

/** Where a record that starts at offset 0 of `head` ends, from its own length fields. */
export type RecordExtent =
  /** The record is `length` bytes long. */
  | { readonly kind: 'length'; readonly length: number; readonly what: string }
  /** At least `bytes` bytes are needed to tell. */
  | { readonly kind: 'need'; readonly bytes: number }
  /** The bytes carry no length vras can read (bare section, unknown data). */
  | { readonly kind: 'unframed' };

/**
 * How long the record at the start of `head` is, by its own length fields: a HEST's table
 * length, a CPER record's Record Length, a status block's `cper_estatus_len()` (raw data end,
 * or 20 + data_length), or a section descriptor's 72 + Section Length. `as` skips detection.
 * Never throws; needs at most 72 bytes of `head`.
 */
export function recordExtent(head: Uint8Array, as?: InputKind): RecordExtent {
  const sig = head.length >= 4 ? ascii(head, 0, 4) : '';
  if (as === 'hest' || (as === undefined && sig === 'HEST')) {
    if (head.length < 8) return { kind: 'need', bytes: 8 };
    return { kind: 'length', length: Math.max(8, u32(head, 4)), what: 'HEST table length' };
  }
  if (as === 'cper-record' || (as === undefined && sig === 'CPER')) {
    if (head.length < 24) return { kind: 'need', bytes: 24 };
    if (as === 'cper-record' || u32(head, 6) === 0xffffffff) {
      return { kind: 'length', length: Math.max(24, u32(head, 20)), what: 'CPER record length' };
    }
  }
  if (as === 'section') return { kind: 'unframed' };
  if (as === 'section-with-descriptor' || as === undefined) {
    if (head.length < 72 && as === 'section-with-descriptor') return { kind: 'need', bytes: 72 };
    if (head.length >= 72) {
      const d = sectionDescriptorShape(head);
      if (d.length !== undefined && (as !== undefined || d.sectionType !== undefined)) {
        return { kind: 'length', length: d.length, what: 'section descriptor length' };
      }
      if (as === 'section-with-descriptor') {
        return { kind: 'length', length: 72 + u32(head, 4), what: 'section descriptor length' };
      }
    }
  }
  if (as === 'ghes-status-block' || as === undefined) {
    if (head.length < 20) return { kind: 'need', bytes: 20 };
    if (as === undefined && ((u32(head, 0) & 0xffffc000) !== 0 || u32(head, 16) > 3)) {
      return { kind: 'unframed' };
    }
    const rawOffset = u32(head, 4);
    const rawLength = u32(head, 8);
    const len = rawLength !== 0 ? rawOffset + rawLength : 20 + u32(head, 12);
    return { kind: 'length', length: Math.max(20, len), what: 'status block length' };
  }
  return { kind: 'unframed' };
}

export function detectStructure(bytes: Uint8Array, hint: DetectHint = {}): Detection {
  const reasons: string[] = [];
  if (bytes.length >= 4 && ascii(bytes, 0, 4) === 'HEST') {
    reasons.push("signature 'HEST' at offset 0");
    if (bytes.length >= 8) {
      const length = u32(bytes, 4);
      reasons.push(
        length === bytes.length
          ? `table length ${length} matches the input`
          : `table length ${length} differs from the ${bytes.length} bytes of input`,
      );
    }
    return { kind: 'hest', reasons };
  }
  if (bytes.length >= 10 && ascii(bytes, 0, 4) === 'CPER') {
    if (u32(bytes, 6) === 0xffffffff) {
      reasons.push("signature 'CPER' at offset 0 and 0xffffffff at offset 6");
      return { kind: 'cper-record', reasons };
    }
    reasons.push(`'CPER' at offset 0 but ${hex(u32(bytes, 6), 8)} (not 0xffffffff) at offset 6`);
  } else {
    reasons.push("no 'HEST' or 'CPER' signature at offset 0");
  }
  if (hint.section !== undefined) {
    const resolved = resolveSectionHint(hint.section);
    if (resolved === undefined) {
      reasons.push(
        `section hint ${JSON.stringify(hint.section)} is neither a known section kind nor a GUID`,
      );
      return { kind: 'unknown', reasons };
    }
    reasons.push(
      `taken as a bare section body: ${resolved.kind ?? 'unregistered type'} ${resolved.guid}`,
    );
    return {
      kind: 'section',
      reasons,
      sectionGuid: resolved.guid,
      ...(resolved.kind === undefined ? {} : { sectionKind: resolved.kind }),
    };
  }
  const gesb = statusBlockPlausibility(bytes);
  reasons.push(gesb.ok ? `status block: ${gesb.reason}` : `not a status block: ${gesb.reason}`);
  if (gesb.ok) return { kind: 'ghes-status-block', reasons };
  const rejected = rejectedStatusBlock(bytes);
  if (rejected !== undefined) {
    reasons.push(rejected);
    return { kind: 'ghes-status-block', reasons };
  }
  reasons.push('a bare section needs a hint (--section memory|arm|… or a GUID)');
  return { kind: 'unknown', reasons };
}

/** True when `text` names a section kind or is GUID-shaped (for option parsing). */
export function isSectionHint(text: string): boolean {
  return sectionCodecByKind(text) !== undefined || isGuid(text.toLowerCase());
}

/**
 * detectStructure() plus the descriptor-plus-section form: a section descriptor naming a known
 * section type, whose body fits the input, is recognised before a status block or a section
 * hint (so `--section memory` on such a blob does not decode the descriptor as the body).
 */
export function detectInput(bytes: Uint8Array, hint: DetectHint = {}): InputDetection {
  const sig = bytes.length >= 4 ? ascii(bytes, 0, 4) : '';
  if (sig !== 'HEST' && sig !== 'CPER') {
    const d = sectionDescriptorShape(bytes);
    if (d.ok && d.sectionType !== undefined) {
      const reasons = [d.reason, "no 'HEST' or 'CPER' signature at offset 0"];
      if (hint.section !== undefined) {
        const resolved = resolveSectionHint(hint.section);
        if (resolved !== undefined && resolved.guid !== d.sectionType) {
          reasons.push(
            `the section hint names ${resolved.guid} but the descriptor says ${d.sectionType}`,
          );
        }
      }
      const kind = sectionCodecFor(d.sectionType)?.kind;
      return {
        kind: 'section-with-descriptor',
        reasons,
        sectionGuid: d.sectionType,
        ...(kind === undefined ? {} : { sectionKind: kind }),
      };
    }
  }
  return detectStructure(bytes, hint);
}
