// Lint any input vras reads: what structure it is (detect.ts), then what Linux does with it. A
// status block goes straight to the status-block lint; a CPER record (formats.md §5) is first
// turned into the status block a GHES source would carry (one 72-byte Generic Error Data Entry
// per section descriptor) and its findings are mapped back to record offsets; a bare section is
// wrapped in a one-entry recoverable block. The record layout itself is checked on raw bytes.

import {
  type Detection,
  detectInput,
  type InputDetection,
  type InputKind,
  resolveSectionHint,
} from './detect.js';
import type { LintFinding } from './finding.js';
import { guidBytes } from './guid.js';
import {
  type LinuxAcceptance,
  linuxAcceptance,
  type StatusBlockContext,
} from './lint-status-block.js';

/** What lintInput() can be told the input is: any kind detectInput() tells apart. */
export type LintAs = Exclude<InputKind, 'unknown'>;

/** A HEST linter (engineer A's `lintHest`), passed in so this file does not depend on it. */
export type HestLinter = (bytes: Uint8Array) => readonly LintFinding[];

export interface LintInputOptions {
  /** Skip detection and lint the input as this structure. */
  readonly as?: LintAs;
  /** Kind or GUID of a bare section. */
  readonly section?: string;
  /** The source that carries a status block. Defaults: QEMU's SEA source, 1024-byte block. */
  readonly source?: Partial<StatusBlockContext>;
  readonly lintHest?: HestLinter;
}

export interface LintInputReport {
  readonly kind: InputKind;
  readonly detection: Detection | InputDetection;
  readonly findings: readonly LintFinding[];
  /** For status blocks, CPER records and sections: what the guest kernel does. */
  readonly acceptance?: LinuxAcceptance;
}

/** QEMU `virt`'s source 0 (qemu-vmm.md): GHESv2, SEA, 1024-byte block. */
export const DEFAULT_SOURCE: StatusBlockContext = {
  errorBlockLength: 1024,
  notificationType: 8,
  ghesVersion: 2,
  sourceId: 0,
};

function u16(b: Uint8Array, o: number): number {
  return o + 2 <= b.length ? b[o]! | (b[o + 1]! << 8) : 0;
}
function u32(b: Uint8Array, o: number): number {
  return o + 4 <= b.length ? (u16(b, o) | (u16(b, o + 2) << 16)) >>> 0 : 0;
}

function recordFinding(code: string, offset: number, field: string, detail: string): LintFinding {
  return {
    code,
    severity: 'error',
    message: '',
    consequence: { kind: 'info' },
    offset,
    field,
    detail,
  };
}

/** A status block built from a CPER record, and a map from block offsets to record offsets. */
export interface LintConvertedRecord {
  readonly block: Uint8Array;
  readonly toRecordOffset: (blockOffset: number) => number;
  readonly findings: readonly LintFinding[];
}

/**
 * Turns a CPER record into the status block a GHES source would post: same severity, one
 * revision-0x300 entry per descriptor carrying its type, severity, flags (low byte), FRU id
 * and text, and the section bytes. Record-layout problems come back as findings; sections that
 * lie outside the input are left out. Never throws.
 */
export function cperRecordBlockForLint(rec: Uint8Array): LintConvertedRecord {
  const findings: LintFinding[] = [];
  const count = u16(rec, 10);
  const severity = u32(rec, 12);
  const recordLength = u32(rec, 20);
  if (rec.length < 128) {
    findings.push(
      recordFinding(
        'cper.truncated',
        rec.length,
        'header',
        `a CPER record header is 128 bytes, the input has ${rec.length}`,
      ),
    );
  }
  if (recordLength !== rec.length) {
    findings.push(
      recordFinding(
        'cper.record-length',
        20,
        'record_length',
        `record_length ${recordLength} but the input has ${rec.length} bytes`,
      ),
    );
  }
  const segments: { block: number; record: number; size: number }[] = [];
  const parts: Uint8Array[] = [];
  let blockPos = 20;
  for (let i = 0; i < count; i++) {
    const d = 128 + 72 * i;
    if (d + 72 > rec.length) {
      findings.push(
        recordFinding(
          'cper.descriptor-outside',
          d,
          'section_count',
          `descriptor ${i} of ${count} lies past the end of the input`,
        ),
      );
      break;
    }
    const offset = u32(rec, d);
    const length = u32(rec, d + 4);
    if (offset + length > rec.length || offset < 128 + 72 * count) {
      findings.push(
        recordFinding(
          'cper.section-outside',
          d,
          'section_offset',
          `section ${i} at ${offset}+${length} is outside the sections area (${128 + 72 * count}..${rec.length})`,
        ),
      );
      continue;
    }
    const entry = new Uint8Array(72 + length);
    const v = new DataView(entry.buffer);
    entry.set(rec.subarray(d + 16, d + 32), 0); // section type
    v.setUint32(16, u32(rec, d + 48), true); // severity
    v.setUint16(20, 0x300, true);
    entry[22] = rec[d + 10]! & 0x03; // FRU id / FRU text valid
    entry[23] = rec[d + 12]!; // flags, low byte
    v.setUint32(24, length, true);
    entry.set(rec.subarray(d + 32, d + 48), 28); // FRU id
    entry.set(rec.subarray(d + 52, d + 72), 44); // FRU text
    if ((u32(rec, 16) & 0x2) !== 0) {
      entry.set(rec.subarray(24, 32), 64);
      entry[22]! |= 0x04;
    }
    entry.set(rec.subarray(offset, offset + length), 72);
    segments.push(
      { block: blockPos, record: d + 16, size: 16 },
      { block: blockPos + 16, record: d + 48, size: 4 },
      { block: blockPos + 20, record: d + 8, size: 3 },
      { block: blockPos + 23, record: d + 12, size: 1 },
      { block: blockPos + 24, record: d + 4, size: 4 },
      { block: blockPos + 28, record: d + 32, size: 16 },
      { block: blockPos + 44, record: d + 52, size: 20 },
      { block: blockPos + 64, record: 24, size: 8 },
      { block: blockPos + 72, record: offset, size: length },
    );
    parts.push(entry);
    blockPos += entry.length;
  }
  const dataLength = blockPos - 20;
  const block = new Uint8Array(blockPos);
  const v = new DataView(block.buffer);
  const uncorrected = severity === 0 || severity === 1;
  v.setUint32(0, ((uncorrected ? 1 : 2) | ((parts.length & 0x3ff) << 4)) >>> 0, true);
  v.setUint32(4, blockPos, true);
  v.setUint32(12, dataLength, true);
  v.setUint32(16, severity, true);
  let o = 20;
  for (const p of parts) {
    block.set(p, o);
    o += p.length;
  }
  // Segments are in increasing, disjoint block order: binary search for the last one starting at
  // or before `b` (a scan per finding made a 65,535-section record take minutes).
  const toRecordOffset = (b: number): number => {
    if (b >= 16 && b < 20) return 12 + (b - 16);
    let lo = 0;
    let hi = segments.length - 1;
    if (hi < 0 || b < segments[0]!.block) return 0;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (segments[mid]!.block <= b) lo = mid;
      else hi = mid - 1;
    }
    // Only an empty section body shares its start with another segment (the next entry's, which
    // comes later and so is the one found): the segment found is the only one that can hold b.
    const s = segments[lo]!;
    return b < s.block + s.size ? s.record + (b - s.block) : 0;
  };
  return { block, toRecordOffset, findings };
}

/** A bare section wrapped in a recoverable one-entry block (section severity recoverable). */
export function sectionBlockForLint(body: Uint8Array, guid: string): Uint8Array {
  const block = new Uint8Array(20 + 72 + body.length);
  const v = new DataView(block.buffer);
  v.setUint32(0, 0x11, true);
  v.setUint32(4, block.length, true);
  v.setUint32(12, 72 + body.length, true);
  block.set(guidBytes(guid), 20);
  v.setUint16(40, 0x300, true);
  v.setUint32(44, body.length, true);
  block.set(body, 92);
  return block;
}

function remap(f: LintFinding, map: (n: number) => number | undefined): LintFinding {
  if (f.offset === undefined) return f;
  const o = map(f.offset);
  const { offset: _drop, ...rest } = f;
  return o === undefined ? rest : { ...rest, offset: o };
}

/** Lints `bytes` as whatever they hold. Never throws. */
export function lintInput(bytes: Uint8Array, options: LintInputOptions = {}): LintInputReport {
  const detection: Detection | InputDetection =
    options.as === undefined
      ? detectInput(bytes, options.section === undefined ? {} : { section: options.section })
      : asDetection(options.as, options.section);
  const source: StatusBlockContext = { ...DEFAULT_SOURCE, ...options.source };
  switch (detection.kind) {
    case 'hest': {
      if (options.lintHest === undefined) {
        return {
          kind: 'hest',
          detection,
          findings: [
            {
              code: 'lint.hest-unavailable',
              severity: 'info',
              message: '',
              consequence: { kind: 'info' },
              detail: 'no HEST linter was given',
            },
          ],
        };
      }
      return { kind: 'hest', detection, findings: options.lintHest(bytes) };
    }
    case 'ghes-status-block': {
      const acceptance = linuxAcceptance(bytes, source);
      return { kind: detection.kind, detection, findings: acceptance.findings, acceptance };
    }
    case 'cper-record': {
      const conv = cperRecordBlockForLint(bytes);
      const acceptance = linuxAcceptance(conv.block, {
        ...source,
        errorBlockLength: Math.max(source.errorBlockLength, conv.block.length),
      });
      const findings = [
        ...conv.findings,
        ...acceptance.findings.map((f) => remap(f, conv.toRecordOffset)),
      ];
      return { kind: 'cper-record', detection, findings, acceptance: { ...acceptance, findings } };
    }
    case 'section': {
      const guid = detection.sectionGuid!;
      const block = sectionBlockForLint(bytes, guid);
      const acceptance = linuxAcceptance(block, {
        ...source,
        errorBlockLength: Math.max(source.errorBlockLength, block.length),
      });
      // Only what the section itself causes; offsets relative to the section body.
      const findings = acceptance.findings
        .filter((f) => f.code !== 'estatus.entry-count')
        .map((f) => remap(f, (o) => (o >= 92 ? o - 92 : undefined)));
      return { kind: 'section', detection, findings, acceptance: { ...acceptance, findings } };
    }
    case 'section-with-descriptor':
      return lintSectionWithDescriptor(bytes, detection, source);
    default:
      return {
        kind: 'unknown',
        detection,
        findings: [
          {
            code: 'lint.unrecognised',
            severity: 'error',
            message: '',
            consequence: { kind: 'info' },
            detail: `Cannot tell what the input is: ${detection.reasons.join('; ')}`,
          },
        ],
      };
  }
}

/**
 * What lintInput() says first about a section with its own descriptor: Linux never receives that
 * form. Firmware hands sections to the kernel as Generic Error Data Entries in a GHES status block
 * (ghes.c), or as whole CPER records (ERST, BERT); the 72-byte CPER section descriptor travels
 * only inside a record, after its header.
 */
export const DESCRIPTOR_FORM_NOTE =
  "Linux never receives a section with its CPER section descriptor (libcper's single-section form, Redfish CPERSection): firmware gives the kernel sections as Generic Error Data Entries in a GHES status block, or as whole CPER records (ERST, BERT). Linted as the one-entry block a GHES source would post for it: block and entry severity the section's, its type, flags, FRU id and text, and its body";

function descriptorFinding(
  code: string,
  offset: number,
  field: string,
  detail: string,
): LintFinding {
  return { ...recordFinding(code, offset, field, detail), severity: 'error' };
}

/**
 * A section with its descriptor (section-with-descriptor.ts), linted as the one-entry status
 * block a GHES source would post for it; offsets are mapped back to the input (the descriptor at
 * 0, the body at 72). Never throws.
 */
function lintSectionWithDescriptor(
  bytes: Uint8Array,
  detection: Detection | InputDetection,
  source: StatusBlockContext,
): LintInputReport {
  const note: LintFinding = {
    code: 'lint.descriptor-form',
    severity: 'info',
    message: '',
    consequence: { kind: 'info' },
    detail: DESCRIPTOR_FORM_NOTE,
  };
  const kind = 'section-with-descriptor' as const;
  if (bytes.length < CPER_DESCRIPTOR_SIZE) {
    const f = descriptorFinding(
      'descriptor.truncated',
      bytes.length,
      'section descriptor',
      `a section descriptor is 72 bytes, the input has ${bytes.length}`,
    );
    return { kind, detection, findings: [note, f] };
  }
  const length = u32(bytes, 4);
  if (length > bytes.length - CPER_DESCRIPTOR_SIZE) {
    const f = descriptorFinding(
      'descriptor.section-length',
      4,
      'section length',
      `section length ${length} runs past the ${bytes.length - CPER_DESCRIPTOR_SIZE} bytes after the descriptor`,
    );
    return { kind, detection, findings: [note, f] };
  }
  const findings: LintFinding[] = [note];
  const end = CPER_DESCRIPTOR_SIZE + length;
  if (end < bytes.length) {
    findings.push({
      ...recordFinding(
        'descriptor.trailing',
        end,
        'section length',
        `${bytes.length - end} bytes after the section's ${length} are not part of it`,
      ),
      severity: 'warning',
    });
  }
  // The one-section CPER record carrying it: record severity the section's, the body right
  // after the descriptor (Section Offset 200 in the record, whatever the input says).
  const rec = new Uint8Array(128 + end);
  const v = new DataView(rec.buffer);
  rec.set([0x43, 0x50, 0x45, 0x52], 0);
  v.setUint16(4, 0x0100, true);
  v.setUint32(6, 0xffffffff, true);
  v.setUint16(10, 1, true);
  v.setUint32(12, u32(bytes, 48), true);
  v.setUint32(20, rec.length, true);
  rec.set(bytes.subarray(0, end), 128);
  v.setUint32(128, 128 + CPER_DESCRIPTOR_SIZE, true);
  const conv = cperRecordBlockForLint(rec);
  const acceptance = linuxAcceptance(conv.block, {
    ...source,
    errorBlockLength: Math.max(source.errorBlockLength, conv.block.length),
  });
  const toInput = (b: number): number | undefined => {
    const r = conv.toRecordOffset(b);
    if (r >= 12 && r < 16) return 48 + (r - 12); // the block's severity is the section's
    return r >= 128 ? r - 128 : undefined;
  };
  findings.push(...acceptance.findings.map((f) => remap(f, toInput)));
  return { kind, detection, findings, acceptance: { ...acceptance, findings } };
}

const CPER_DESCRIPTOR_SIZE = 72;

function asDetection(as: LintAs, section: string | undefined): Detection | InputDetection {
  const reasons = [`taken as ${as} (--as)`];
  if (as !== 'section') return { kind: as, reasons };
  const resolved = section === undefined ? undefined : resolveSectionHint(section);
  if (resolved === undefined) {
    return {
      kind: 'unknown',
      reasons: [
        ...reasons,
        'a bare section needs --section KIND|GUID naming a known kind or a GUID',
      ],
    };
  }
  return {
    kind: 'section',
    reasons,
    sectionGuid: resolved.guid,
    ...(resolved.kind === undefined ? {} : { sectionKind: resolved.kind }),
  };
}
