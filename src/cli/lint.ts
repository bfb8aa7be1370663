// `vras lint`: what a Linux guest does with a HEST, a GHES status block, a CPER record or a bare
// section (linux-guest.md §2–§12), as findings with the kernel's own text, what it then does,
// and where in the input. Exit 0 when clean, 1 with errors or warnings, 2 on unreadable input.
//
//   vras lint block.bin --notify sea --block-length 1024 --kernel 6.1
//   vras lint record.hex --as cper-record --json

import { parseArgs } from 'node:util';
import {
  CodecError,
  decodeSectionWithDescriptor,
  detectInput,
  encodeCperRecord,
  hex,
  type InputKind,
  type KernelVersion,
  type LintAs,
  type LintFinding,
  type LintInputReport,
  lintHest,
  lintInput,
  NIL_GUID,
  type StatusBlockContext,
  sectionWithDescriptorToRecord,
  toJson,
} from '../codec/index.js';
import type { CommandModule } from './commands.js';
import {
  CliError,
  decodeInput,
  parseCommandLine,
  parseInputEncoding,
  parseNumberOption,
  parseUnsignedOption,
  readInputBytes,
} from './io.js';
import { jsonErrorLine, jsonLine, Output, textHeader } from './record-output.js';
import {
  allRecords,
  DEFAULT_MAX_INPUT,
  DEFAULT_MAX_RECORD,
  type InputRecord,
  type StreamOptions,
} from './record-stream.js';

const USAGE = `usage: vras lint [FILE…|-] [options]

Reports what a Linux guest does with the input (HEST, status block, CPER record or section):
the kernel's message, what follows (rejected, panic, memory_failure, SIGBUS …) and the offset.
Input is raw, hex or base64 (detected; or --input). Many files, files of records one after
another, one hex/base64 record per line, JSON Lines and Redfish LogEntry JSON give one report
per record (JSON Lines with --json). Exit 0 clean, 1 findings or bad records, 2 unreadable.

options:
  --as KIND            hest | status-block | cper-record | section | section-with-descriptor
  --field NAME         the JSON field holding a record in JSON Lines objects
  --max-record-size N  the largest record or line, in bytes (default 64 MiB)
  --max-input-size N   the largest whole JSON document, in bytes (default 256 MiB)
  --section KIND|GUID  the kind of a bare section (memory, arm, pcie, … or a GUID)
  --input ENC          raw | hex | base64
  --block-length N     the source's Error Status Block Length (default 1024, as QEMU)
  --notify TYPE        sea | polled | external | sci | gpio | gsiv | sdei | nmi | N (default sea)
  --kernel K           6.1 | 6.1.N | 6.12 | 7.3 | newer (= 7.3); default 6.1, i.e. 6.1.192
  --ghes-version 1|2   type-9 GHES (no ack) or GHESv2 (default 2)
  --source-id N        the source id in messages (default 0)
  --ram START:SIZE     guest RAM for the 6.1 pfn check (repeatable; hex or decimal)
  --task COMM:PID      the task named in the SIGBUS line
  --json               print the report as a vras/v1 JSON document
  --verbose            also print info findings`;

const NOTIFY: Readonly<Record<string, number>> = {
  polled: 0,
  external: 1,
  local: 2,
  sci: 3,
  nmi: 4,
  cmci: 5,
  mce: 6,
  gpio: 7,
  sea: 8,
  sei: 9,
  gsiv: 10,
  sdei: 11,
};

const AS: Readonly<Record<string, Exclude<InputKind, 'unknown'>>> = {
  hest: 'hest',
  'status-block': 'ghes-status-block',
  'ghes-status-block': 'ghes-status-block',
  'cper-record': 'cper-record',
  section: 'section',
  'section-with-descriptor': 'section-with-descriptor',
};

export function parseAs(value: string | undefined): Exclude<InputKind, 'unknown'> | undefined {
  if (value === undefined) return undefined;
  const as = AS[value];
  if (as === undefined) {
    throw new CliError(
      `--as must be hest, status-block, cper-record, section or section-with-descriptor, got ${JSON.stringify(value)}`,
    );
  }
  return as;
}

export function parseKernel(value: string | undefined): {
  kernel?: KernelVersion;
  sublevel?: number;
} {
  if (value === undefined) return {};
  if (value === 'newer' || value === '6.12' || value === '7.3') return { kernel: value };
  const m = /^6\.1(?:\.(\d+))?$/.exec(value);
  if (m === null) {
    throw new CliError(
      `--kernel must be 6.1, 6.1.N, 6.12, 7.3 or newer (= 7.3), got ${JSON.stringify(value)}`,
    );
  }
  return m[1] === undefined ? { kernel: '6.1' } : { kernel: '6.1', sublevel: Number(m[1]) };
}

/** Reads FILE (or stdin) as raw, hex or base64; bad text becomes a message with its offset. */
export function readBytes(path: string | undefined, encoding: string | undefined): Uint8Array {
  const data = readInputBytes(path);
  try {
    return decodeInput(data, parseInputEncoding(encoding));
  } catch (error) {
    if (error instanceof CodecError) {
      const where =
        error.offset === undefined ? '' : ` (character ${error.offset}, spacing ignored)`;
      throw new CliError(`Cannot read ${path ?? 'standard input'}: ${error.message}${where}`, 2, {
        cause: error,
      });
    }
    throw error;
  }
}

export function sourceContext(
  v: Record<string, string | boolean | string[] | undefined>,
): Partial<StatusBlockContext> {
  const out: { -readonly [K in keyof StatusBlockContext]?: StatusBlockContext[K] } = {};
  const ebl = parseNumberOption('--block-length', v['block-length'] as string | undefined);
  if (ebl !== undefined) out.errorBlockLength = ebl;
  const notify = v.notify as string | undefined;
  if (notify !== undefined) {
    const t = NOTIFY[notify] ?? parseNumberOption('--notify', notify);
    if (t === undefined) throw new CliError(`--notify: unknown type ${JSON.stringify(notify)}`);
    out.notificationType = t;
  }
  Object.assign(out, parseKernel(v.kernel as string | undefined));
  const gv = v['ghes-version'] as string | undefined;
  if (gv !== undefined) {
    if (gv !== '1' && gv !== '2')
      throw new CliError(`--ghes-version must be 1 or 2, got ${JSON.stringify(gv)}`);
    out.ghesVersion = gv === '1' ? 1 : 2;
  }
  const id = parseNumberOption('--source-id', v['source-id'] as string | undefined);
  if (id !== undefined) out.sourceId = id;
  const ram = v.ram as string[] | undefined;
  if (ram !== undefined && ram.length > 0) {
    out.ram = ram.map((r) => {
      const [start, size, extra] = r.split(':');
      if (start === undefined || size === undefined || extra !== undefined) {
        throw new CliError(`--ram must be START:SIZE, got ${JSON.stringify(r)}`);
      }
      return {
        start: parseUnsignedOption('--ram START', start),
        size: parseUnsignedOption('--ram SIZE', size),
      };
    });
  }
  const task = v.task as string | undefined;
  if (task !== undefined) {
    const m = /^(.+):(\d+)$/.exec(task);
    if (m === null) throw new CliError(`--task must be COMM:PID, got ${JSON.stringify(task)}`);
    out.task = { comm: m[1]!, pid: Number(m[2]) };
  }
  return out;
}

function consequenceText(f: LintFinding): string {
  const c = f.consequence;
  switch (c.kind) {
    case 'hest-rejected':
      return 'the whole HEST is ignored: no GHES source';
    case 'source-not-registered':
      return `source ${c.sourceId} is not registered`;
    case 'all-sources-removed':
      return 'every GHES source is removed';
    case 'ignored-never-acked':
      return 'ignored: never cleared or acknowledged';
    case 'rejected-acked':
      return 'rejected: cleared and acknowledged, record dropped, SEA not claimed';
    case 'panic':
      return `kernel panic (${c.text})`;
    case 'memory-failure':
      return `memory_failure(${hex(c.pfn)}, ${c.flagNames.join('|') || '0'})`;
    case 'no-recovery':
      return 'no recovery action';
    case 'forced-sigbus':
      return 'SIGBUS forced on the current task';
    case 'warning':
      return 'warning only; processing continues';
    case 'info':
      return 'information';
  }
}

export function formatFinding(f: LintFinding): string[] {
  const where =
    f.offset === undefined
      ? ''
      : ` at ${hex(f.offset)}${f.field === undefined ? '' : ` (${f.field})`}`;
  const lines = [`${f.severity.padEnd(7)} ${f.code}${where}`];
  if (f.message !== '') lines.push(`        ${f.message}`);
  lines.push(`        → ${consequenceText(f)}`);
  if (f.detail !== undefined) lines.push(`        ${f.detail}`);
  return lines;
}

function summary(report: LintInputReport, kind: InputKind = report.kind): string {
  const a = report.acceptance;
  if (a === undefined) return `${kind}`;
  const parts = [
    a.accepted ? 'accepted' : 'not accepted',
    a.acked ? 'acked' : a.cleared ? 'cleared (no ack register)' : 'not acked',
    a.printed ? 'printed' : 'not printed',
  ];
  if (a.panic) parts.push('panic');
  for (const m of a.memoryFailures)
    parts.push(`memory_failure(${hex(m.pfn)}, ${m.flagNames.join('|') || '0'})`);
  if (a.forcedSigbus) parts.push('SIGBUS');
  return `${kind}: ${parts.join(', ')}`;
}

/** A lint report for one record, with the kind detectInput() gave (it knows the descriptor form). */
interface RecordLint {
  readonly kind: InputKind;
  readonly report: LintInputReport;
}

/**
 * Lints one record. A section with its descriptor is linted as the one-section CPER record that
 * carries it (the notification type from Redfish when known), its offsets mapped back.
 */
function lintRecord(
  bytes: Uint8Array,
  as: Exclude<InputKind, 'unknown'> | undefined,
  section: string | undefined,
  source: Partial<StatusBlockContext>,
  notificationType: string | undefined,
): RecordLint {
  const kind = as ?? detectInput(bytes, section === undefined ? {} : { section }).kind;
  if (kind !== 'section-with-descriptor') {
    const report = lintInput(bytes, {
      ...(as === undefined ? {} : { as: as as LintAs }),
      ...(section === undefined ? {} : { section }),
      source,
      lintHest,
    });
    return { kind: report.kind, report };
  }
  const detection = detectInput(bytes);
  let record: Uint8Array;
  try {
    const v = decodeSectionWithDescriptor(bytes);
    record = encodeCperRecord(sectionWithDescriptorToRecord(v, notificationType ?? NIL_GUID));
  } catch (error) {
    if (!(error instanceof CodecError)) throw error;
    const finding: LintFinding = {
      code: 'lint.descriptor-unreadable',
      severity: 'error',
      message: '',
      consequence: { kind: 'info' },
      ...(error.offset === undefined ? {} : { offset: error.offset }),
      detail: error.message,
    };
    return {
      kind: 'unknown',
      report: {
        kind: 'unknown',
        detection: { ...detection, kind: 'unknown' },
        findings: [finding],
      },
    };
  }
  const report = lintInput(record, { as: 'cper-record', source, lintHest });
  const back = (f: LintFinding): LintFinding => {
    if (f.offset === undefined) return f;
    const { offset, ...rest } = f;
    return offset >= 128 ? { ...rest, offset: offset - 128 } : rest;
  };
  const findings = report.findings.filter((f) => !f.code.startsWith('cper.')).map(back);
  return {
    kind,
    report: {
      ...report,
      detection: { ...detection, kind: 'section' },
      findings,
      ...(report.acceptance === undefined
        ? {}
        : { acceptance: { ...report.acceptance, findings } }),
    },
  };
}

function reportText(l: RecordLint, verbose: boolean): string {
  const problems = l.report.findings.filter((f) => f.severity !== 'info');
  const shown = verbose ? l.report.findings : problems;
  const out = [`${summary(l.report, l.kind)} (${l.report.detection.reasons[0] ?? ''})`];
  for (const f of shown) out.push(...formatFinding(f));
  if (shown.length === 0) out.push('no findings');
  return out.join('\n');
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(() => parse(argv), USAGE);
  if (parsed === undefined) return 0;
  const { values: v, positionals } = parsed;
  const as = parseAs(v.as);
  const source = sourceContext(v);
  const stream: StreamOptions = {
    maxRecord:
      parseNumberOption('--max-record-size', v['max-record-size'], 32) ?? DEFAULT_MAX_RECORD,
    maxInput: parseNumberOption('--max-input-size', v['max-input-size'], 32) ?? DEFAULT_MAX_INPUT,
    ...(v.input === undefined ? {} : { encoding: parseInputEncoding(v.input)! }),
    ...(as === undefined ? {} : { as }),
    ...(v.field === undefined ? {} : { field: v.field }),
  };
  const verbose = v.verbose === true;
  const out = new Output();
  let held: InputRecord | undefined;
  let heldPadding = 0;
  let multi = false;
  let findings = 0;
  let bad = 0;
  let unreadable = 0;

  const lintOne = (r: InputRecord, bytes: Uint8Array): RecordLint =>
    lintRecord(
      bytes,
      (r.as === 'unknown' ? undefined : r.as) ?? as,
      v.section,
      source,
      r.redfish?.notificationType,
    );

  const emit = async (r: InputRecord): Promise<void> => {
    if (r.error !== undefined || r.bytes === undefined) {
      if (r.fatal === true) unreadable++;
      else bad++;
      const message = `Cannot read ${r.input}: ${r.error ?? 'no record'}`;
      await out.write(
        v.json === true ? jsonErrorLine(r, message) : `${textHeader(r)}error: ${message}\n`,
      );
      return;
    }
    const l = lintOne(r, r.bytes);
    if (l.kind === 'unknown') bad++;
    else if (l.report.findings.some((f) => f.severity !== 'info')) findings++;
    await out.write(
      v.json === true
        ? jsonLine(r, 'lint-report', { ...l.report, kind: l.kind })
        : `${textHeader(r, l.kind)}${reportText(l, verbose)}\n`,
    );
  };

  for await (const ev of allRecords(positionals, stream)) {
    if (ev.type === 'padding') {
      if (!multi) heldPadding += ev.length;
      continue;
    }
    if (!multi) {
      if (held === undefined && positionals.length <= 1) {
        held = ev;
        continue;
      }
      multi = true;
      if (held !== undefined) await emit(held);
      held = undefined;
    }
    await emit(ev);
  }
  await out.flush();
  if (multi || held === undefined) return unreadable > 0 ? 2 : bad + findings > 0 ? 1 : 0;

  // One input, one record: as vras lint always printed it.
  if (held.error !== undefined || held.bytes === undefined) {
    throw new CliError(`Cannot read ${held.input}: ${held.error ?? 'no record'}`, 2);
  }
  let bytes = held.bytes;
  if (heldPadding > 0 && heldPadding <= stream.maxRecord) {
    bytes = new Uint8Array(held.bytes.length + heldPadding);
    bytes.set(held.bytes);
  }
  const l = lintOne(held, bytes);
  if (v.json === true) {
    process.stdout.write(`${toJson('lint-report', { ...l.report, kind: l.kind })}\n`);
  } else process.stdout.write(`${reportText(l, verbose)}\n`);
  if (l.kind === 'unknown') return 2;
  return l.report.findings.some((f) => f.severity !== 'info') ? 1 : 0;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      as: { type: 'string' },
      section: { type: 'string' },
      input: { type: 'string' },
      'block-length': { type: 'string' },
      notify: { type: 'string' },
      kernel: { type: 'string' },
      'ghes-version': { type: 'string' },
      'source-id': { type: 'string' },
      ram: { type: 'string', multiple: true },
      task: { type: 'string' },
      json: { type: 'boolean' },
      field: { type: 'string' },
      'max-record-size': { type: 'string' },
      'max-input-size': { type: 'string' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

export default { run } satisfies CommandModule;
