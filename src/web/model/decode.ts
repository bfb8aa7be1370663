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
  DEFAULT_SOURCE,
  decodeCperRecord,
  decodeGhesStatusBlock,
  decodeHest,
  decodeSectionBody,
  decodeSectionWithDescriptor,
  detectInput,
  encodeGhesStatusBlock,
  formatCperTimestampLinux,
  type GhesStatusBlock,
  guidName,
  hex,
  type InputKind,
  type KernelVersion,
  type LintFinding,
  type LintInputReport,
  lintHest,
  lintInput,
  linuxVerdict,
  meaningsForBareSection,
  readCperRecord,
  readGhesStatusBlock,
  readHest,
  readSectionWithDescriptor,
  type StatusBlockContext,
  sectionBlockForLint,
  sectionWithDescriptorToStatusBlock,
  type TableRow,
  toJson,
} from '../../codec/index.js';

export const KERNELS: readonly KernelVersion[] = ['6.1', '6.12', '7.3'];

export interface DecodeOptions {
  readonly kernel?: KernelVersion;
  /** The HEST notification type of the source that posts the record (default 8, SEA). */
  readonly notificationType?: number;
  /** The source id in the Linux lines (default 0). */
  readonly sourceId?: number;
  /** What the container says the bytes are (Redfish `DiagnosticDataType`). */
  readonly as?: InputKind;
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
  readonly kind: InputKind;
  /** Why detection chose the kind. */
  readonly reasons: readonly string[];
  readonly structure: string;
  readonly rows: readonly TableRow[];
  /** Where decoding stopped, if it did. */
  readonly problem?: DecodeProblem;
  /** The vras/v1 document `vras decode --format json` prints, when the bytes decode. */
  readonly json?: string;
  /** What the guest prints, in the kernel's order (`vras decode --format linux`). */
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
  'section-with-descriptor': 'section with its descriptor',
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

function summaryOf(kind: InputKind, value: unknown, report: LintInputReport): RecordSummary {
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
  } else if ((kind === 'section' || kind === 'section-with-descriptor') && value !== undefined) {
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

/** The source that posts the record, as `vras decode --format linux` takes it. */
function sourceOf(options: DecodeOptions): StatusBlockContext {
  return {
    ...DEFAULT_SOURCE,
    ...(options.kernel === undefined ? {} : { kernel: options.kernel }),
    ...(options.notificationType === undefined
      ? {}
      : { notificationType: options.notificationType }),
    ...(options.sourceId === undefined ? {} : { sourceId: options.sourceId }),
  };
}

/** Decodes one record for the page. Never throws. */
export function decodeRecord(bytes: Uint8Array, options: DecodeOptions = {}): DecodedRecord {
  const hint = options.section === undefined ? {} : { section: options.section };
  const detection =
    options.as === undefined || options.as === 'section'
      ? detectInput(bytes, hint)
      : { kind: options.as, reasons: [`taken as ${options.as} (the container says so)`] };
  const kind = detection.kind;
  const source = sourceOf(options);
  const lint: LintInputReport =
    kind === 'section-with-descriptor' || kind === 'unknown'
      ? {
          kind: 'unknown',
          detection: { kind: 'unknown', reasons: detection.reasons },
          findings: [],
        }
      : lintInput(bytes, { as: kind, ...hint, source, lintHest });
  const base = { kind, reasons: detection.reasons, structure: STRUCTURE[kind] ?? kind, lint };
  // The kernel's whole output for the block the record becomes (`vras decode --format linux`);
  // a block converted from a record or section gets a source block long enough to hold it.
  const linuxOf = (block: () => Uint8Array, fit: boolean) => {
    const b = attempt(block);
    if ('problem' in b) return { linuxProblem: b.problem.message };
    const ctx = fit
      ? { ...source, errorBlockLength: Math.max(source.errorBlockLength, b.value.length) }
      : source;
    const v = attempt(() => linuxVerdict(b.value, ctx, { seq: 1 }));
    if ('problem' in v) return { linuxProblem: v.problem.message };
    if (v.value.printError !== undefined)
      return { linuxProblem: v.value.printError.message, linux: v.value.lines };
    return { linux: v.value.lines, verdictAcceptance: v.value.acceptance };
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
      const { verdictAcceptance: _a, ...linux } = linuxOf(() => bytes, false);
      return {
        ...base,
        rows: a.rows,
        ...(a.error === undefined
          ? 'problem' in full
            ? { problem: full.problem }
            : {}
          : { problem: problemOf(a.error) }),
        ...(value === undefined ? {} : { json: toJson('ghes-status-block', value) }),
        ...linux,
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
      const { verdictAcceptance: _a, ...linux } =
        value === undefined
          ? { linuxProblem: 'the record does not decode', verdictAcceptance: undefined }
          : linuxOf(() => encodeGhesStatusBlock(cperRecordToStatusBlock(value)), true);
      return {
        ...base,
        rows: a.rows,
        ...(a.error === undefined
          ? 'problem' in full
            ? { problem: full.problem }
            : {}
          : { problem: problemOf(a.error) }),
        ...(value === undefined ? {} : { json: toJson('cper-record', value) }),
        ...linux,
        summary: summaryOf(kind, value, lint),
      };
    }
    case 'section-with-descriptor': {
      const a = annotate(bytes, readSectionWithDescriptor, {
        structure: 'section descriptor',
        meanings: CODEC_MEANINGS,
      });
      const full = attempt(() => decodeSectionWithDescriptor(bytes));
      const value = 'value' in full ? full.value : undefined;
      const { verdictAcceptance, ...linux } =
        value === undefined
          ? { linuxProblem: 'the section does not decode', verdictAcceptance: undefined }
          : linuxOf(() => encodeGhesStatusBlock(sectionWithDescriptorToStatusBlock(value)), true);
      // lintInput does not take this form: the verdict's acceptance stands in, without offsets
      // (they are offsets in the converted block, not in these bytes).
      const findings = (verdictAcceptance?.findings ?? []).map(({ offset: _o, ...f }) => f);
      const lintHere: LintInputReport = {
        kind: 'unknown',
        detection: { kind: 'unknown', reasons: detection.reasons },
        findings,
        ...(verdictAcceptance === undefined
          ? {}
          : { acceptance: { ...verdictAcceptance, findings } }),
      };
      const v = value as { sectionType?: string; body?: Record<string, unknown> } | undefined;
      return {
        ...base,
        lint: lintHere,
        rows: a.rows,
        ...(a.error === undefined
          ? 'problem' in full
            ? { problem: full.problem }
            : {}
          : { problem: problemOf(a.error) }),
        ...(value === undefined ? {} : { json: toJson('section-with-descriptor', value) }),
        ...linux,
        summary: summaryOf(
          kind,
          v?.sectionType === undefined ? undefined : { type: v.sectionType, body: v.body ?? {} },
          lintHere,
        ),
      };
    }
    case 'section': {
      const guid = detection.sectionGuid!;
      const structure = `section ${guid}`;
      const a = annotate(bytes, (r) => decodeSectionBody(guid, r), {
        structure,
        meanings: meaningsForBareSection(structure, guid),
      });
      const full = attempt(() =>
        decodeSectionBody(guid, new ByteReader(bytes, 'section', 0, bytes.length)),
      );
      const value =
        'value' in full ? { type: guid, body: full.value as Record<string, unknown> } : undefined;
      const { verdictAcceptance: _a, ...linux } = linuxOf(() => {
        const block = sectionBlockForLint(bytes, guid);
        decodeGhesStatusBlock(block);
        return block;
      }, true);
      return {
        ...base,
        structure: `section ${detection.sectionKind ?? guid}`,
        rows: a.rows,
        ...(a.error === undefined ? {} : { problem: problemOf(a.error) }),
        ...(value === undefined
          ? {}
          : { json: toJson('section', { sectionType: guid, body: value.body }) }),
        ...linux,
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
