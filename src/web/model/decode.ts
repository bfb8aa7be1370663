// One record as the page shows it, built from the same codec calls as `vras decode` and
// `vras lint`: the annotated rows (table.ts), the vras/v1 JSON, the Linux lines for a chosen
// kernel and the lint's verdict. Pure data: no DOM, so it is tested under Node beside the CLI.

import {
  annotate,
  ByteReader,
  CODEC_MEANINGS,
  CodecError,
  type CperRecord,
  type CperTimestamp,
  cperRecordToStatusBlock,
  cperSeverityName,
  type DetectedKind,
  decodeCperRecord,
  decodeGhesStatusBlock,
  decodeHest,
  decodeSectionBody,
  detectStructure,
  formatCperTimestampLinux,
  formatLinux,
  type GhesStatusBlock,
  guidName,
  hex,
  type KernelVersion,
  type LintFinding,
  type LintInputReport,
  lintHest,
  lintInput,
  readCperRecord,
  readGhesStatusBlock,
  readHest,
  sectionBlockForLint,
  type TableRow,
  toJson,
} from '../../codec/index.js';

export const KERNELS: readonly KernelVersion[] = ['6.1', '6.12', '7.3'];

export interface DecodeOptions {
  readonly kernel?: KernelVersion;
  /** A bare section's kind or GUID (Redfish CPERSection, or the user's choice). */
  readonly section?: string;
}

export interface DecodeProblem {
  readonly message: string;
  readonly offset?: number;
  readonly field?: string;
}

export interface RecordSummary {
  readonly time: string;
  readonly severity: string;
  readonly sectionType: string;
  readonly address: string;
  readonly verdict: string;
  /** 'ok' accepted without findings, 'warn' accepted with findings, 'bad' rejected or panic. */
  readonly tone: 'ok' | 'warn' | 'bad';
}

export interface DecodedRecord {
  readonly kind: DetectedKind;
  /** Why detection chose the kind. */
  readonly reasons: readonly string[];
  readonly structure: string;
  readonly rows: readonly TableRow[];
  /** Where decoding stopped, if it did. */
  readonly problem?: DecodeProblem;
  /** The vras/v1 document `vras decode --format json` prints, when the bytes decode. */
  readonly json?: string;
  readonly linux?: readonly string[];
  readonly linuxProblem?: string;
  readonly lint: LintInputReport;
  readonly summary: RecordSummary;
}

const STRUCTURE: Readonly<Record<string, string>> = {
  hest: 'HEST',
  'ghes-status-block': 'GHES status block',
  'cper-record': 'CPER record',
  section: 'section',
  unknown: 'unknown',
};

function problemOf(error: unknown): DecodeProblem {
  if (error instanceof CodecError) {
    return {
      message: error.message,
      ...(error.offset === undefined ? {} : { offset: error.offset }),
      ...(error.field === undefined ? {} : { field: error.field }),
    };
  }
  return { message: error instanceof Error ? error.message : String(error) };
}

function attempt<T>(fn: () => T): { value: T } | { problem: DecodeProblem } {
  try {
    return { value: fn() };
  } catch (error) {
    return { problem: problemOf(error) };
  }
}

function timeText(t: CperTimestamp | undefined): string {
  if (t === undefined) return '';
  if (t.seconds === 0 && t.minutes === 0 && t.hours === 0 && t.day === 0 && t.month === 0)
    return '';
  return formatCperTimestampLinux(t).replace(/^(im)?precise tstamp: /, '');
}

function firstFinding(findings: readonly LintFinding[]): LintFinding | undefined {
  return (
    findings.find((f) => f.severity === 'error') ?? findings.find((f) => f.severity === 'warning')
  );
}

/** The lint's verdict in a few words: what the guest kernel does. */
export function verdictText(report: LintInputReport): {
  text: string;
  tone: RecordSummary['tone'];
} {
  const a = report.acceptance;
  const worst = firstFinding(report.findings);
  if (a === undefined) {
    if (report.kind === 'hest') {
      return worst === undefined
        ? { text: 'HEST accepted', tone: 'ok' }
        : { text: `HEST: ${worst.message || worst.detail || worst.code}`, tone: 'bad' };
    }
    return { text: worst?.detail ?? 'not checked', tone: 'bad' };
  }
  if (a.panic) return { text: 'panic', tone: 'bad' };
  if (!a.accepted) {
    return { text: a.acked ? 'rejected (acked)' : 'ignored (never acked)', tone: 'bad' };
  }
  const parts: string[] = ['accepted'];
  for (const m of a.memoryFailures) {
    parts.push(
      `memory_failure pfn ${hex(m.pfn)}${m.flagNames.length > 0 ? ` ${m.flagNames.join('|')}` : ''}`,
    );
  }
  if (a.forcedSigbus) parts.push('SIGBUS');
  return { text: parts.join(', '), tone: worst === undefined ? 'ok' : 'warn' };
}

function summaryOf(kind: DetectedKind, value: unknown, report: LintInputReport): RecordSummary {
  const v = verdictText(report);
  let time = '';
  let severity = '';
  let sectionType = '';
  let address = '';
  const sections: { type: string; body: Record<string, unknown> }[] = [];
  if (kind === 'ghes-status-block' && value !== undefined) {
    const b = value as GhesStatusBlock;
    severity = cperSeverityName(b.errorSeverity);
    for (const e of b.entries) {
      sections.push({ type: e.sectionType, body: e.body as Record<string, unknown> });
      if (time === '') time = timeText(e.timestamp);
    }
  } else if (kind === 'cper-record' && value !== undefined) {
    const r = value as CperRecord;
    severity = cperSeverityName(r.errorSeverity);
    time = timeText(r.timestamp);
    for (const s of r.sections)
      sections.push({ type: s.sectionType, body: s.body as Record<string, unknown> });
  } else if (kind === 'section' && value !== undefined) {
    const s = value as { type: string; body: Record<string, unknown> };
    sections.push(s);
  } else if (kind === 'hest') {
    sectionType = 'HEST';
  }
  if (sections.length > 0) {
    sectionType = sections.map((s) => guidName(s.type) ?? s.type).join(', ');
  }
  const mf = report.acceptance?.memoryFailures[0];
  if (mf !== undefined) address = hex(mf.physicalAddress, 16);
  else {
    for (const s of sections) {
      const pa = s.body.physicalAddress;
      if (typeof pa === 'bigint') {
        address = hex(pa, 16);
        break;
      }
    }
  }
  return { time, severity, sectionType, address, verdict: v.text, tone: v.tone };
}

/** Decodes one record for the page. Never throws. */
export function decodeRecord(bytes: Uint8Array, options: DecodeOptions = {}): DecodedRecord {
  const detection = detectStructure(
    bytes,
    options.section === undefined ? {} : { section: options.section },
  );
  const kind = detection.kind;
  const lint = lintInput(bytes, {
    ...(options.section === undefined ? {} : { section: options.section }),
    ...(options.kernel === undefined ? {} : { source: { kernel: options.kernel } }),
    lintHest,
  });
  const linuxOptions = {
    sourceId: 0,
    seq: 1,
    ...(options.kernel === undefined ? {} : { kernel: options.kernel }),
  };
  const base = { kind, reasons: detection.reasons, structure: STRUCTURE[kind] ?? kind, lint };
  const linuxOf = (block: () => GhesStatusBlock) => {
    const b = attempt(block);
    if ('problem' in b) return { linuxProblem: b.problem.message };
    const lines = attempt(() => formatLinux(b.value, linuxOptions));
    return 'problem' in lines ? { linuxProblem: lines.problem.message } : { linux: lines.value };
  };
  switch (kind) {
    case 'hest': {
      const a = annotate(bytes, readHest, { structure: 'HEST', meanings: CODEC_MEANINGS });
      const full = attempt(() => decodeHest(bytes));
      return {
        ...base,
        rows: a.rows,
        ...(a.error === undefined ? {} : { problem: problemOf(a.error) }),
        ...('value' in full ? { json: toJson('hest', full.value) } : {}),
        summary: summaryOf(kind, undefined, lint),
      };
    }
    case 'ghes-status-block': {
      const a = annotate(bytes, readGhesStatusBlock, {
        structure: 'GHES status block',
        meanings: CODEC_MEANINGS,
      });
      const full = attempt(() => decodeGhesStatusBlock(bytes));
      const value = 'value' in full ? full.value : undefined;
      return {
        ...base,
        rows: a.rows,
        ...(a.error === undefined
          ? 'problem' in full
            ? { problem: full.problem }
            : {}
          : { problem: problemOf(a.error) }),
        ...(value === undefined ? {} : { json: toJson('ghes-status-block', value) }),
        ...(value === undefined
          ? { linuxProblem: 'the block does not decode' }
          : linuxOf(() => value)),
        summary: summaryOf(kind, value, lint),
      };
    }
    case 'cper-record': {
      const a = annotate(bytes, readCperRecord, {
        structure: 'CPER record',
        meanings: CODEC_MEANINGS,
      });
      const full = attempt(() => decodeCperRecord(bytes));
      const value = 'value' in full ? full.value : undefined;
      return {
        ...base,
        rows: a.rows,
        ...(a.error === undefined
          ? 'problem' in full
            ? { problem: full.problem }
            : {}
          : { problem: problemOf(a.error) }),
        ...(value === undefined ? {} : { json: toJson('cper-record', value) }),
        ...(value === undefined
          ? { linuxProblem: 'the record does not decode' }
          : linuxOf(() => cperRecordToStatusBlock(value))),
        summary: summaryOf(kind, value, lint),
      };
    }
    case 'section': {
      const guid = detection.sectionGuid!;
      const structure = `section ${detection.sectionKind ?? guid}`;
      const a = annotate(bytes, (r) => decodeSectionBody(guid, r), {
        structure,
        meanings: CODEC_MEANINGS,
      });
      const full = attempt(() =>
        decodeSectionBody(guid, new ByteReader(bytes, 'section', 0, bytes.length)),
      );
      const value =
        'value' in full ? { type: guid, body: full.value as Record<string, unknown> } : undefined;
      return {
        ...base,
        structure,
        rows: a.rows,
        ...(a.error === undefined ? {} : { problem: problemOf(a.error) }),
        ...(value === undefined
          ? {}
          : { json: toJson('section', { sectionType: guid, body: value.body }) }),
        ...linuxOf(() => decodeGhesStatusBlock(sectionBlockForLint(bytes, guid))),
        summary: summaryOf(kind, value, lint),
      };
    }
    default:
      return {
        ...base,
        rows: [],
        problem: {
          message: `Cannot tell what the input is (${bytes.length} bytes): ${detection.reasons.join('; ')}`,
        },
        summary: {
          time: '',
          severity: '',
          sectionType: '',
          address: '',
          verdict: 'not recognised',
          tone: 'bad',
        },
      };
  }
}
