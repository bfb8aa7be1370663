// `vras lint`: what a Linux guest does with a HEST, a GHES status block, a CPER record or a bare
// section (linux-guest.md §2–§12), as findings with the kernel's own text, what it then does,
// and where in the input. Exit 0 when clean, 1 with errors or warnings, 2 on unreadable input.
//
//   vras lint block.bin --notify sea --block-length 1024 --kernel 6.1
//   vras lint record.hex --as cper-record --json

import { parseArgs } from 'node:util';
import {
  CodecError,
  hex,
  type KernelVersion,
  type LintAs,
  type LintFinding,
  type LintInputReport,
  lintHest,
  lintInput,
  type StatusBlockContext,
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

const USAGE = `usage: vras lint [FILE|-] [options]

Reports what a Linux guest does with the input (HEST, status block, CPER record or section):
the kernel's message, what follows (rejected, panic, memory_failure, SIGBUS …) and the offset.
Input is raw, hex or base64 (detected; or --input). Exit 0 clean, 1 findings, 2 unreadable.

options:
  --as KIND            hest | status-block | cper-record | section (default: detected)
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

const AS: Readonly<Record<string, LintAs>> = {
  hest: 'hest',
  'status-block': 'ghes-status-block',
  'ghes-status-block': 'ghes-status-block',
  'cper-record': 'cper-record',
  section: 'section',
};

export function parseAs(value: string | undefined): LintAs | undefined {
  if (value === undefined) return undefined;
  const as = AS[value];
  if (as === undefined) {
    throw new CliError(
      `--as must be hest, status-block, cper-record or section, got ${JSON.stringify(value)}`,
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

function sourceContext(
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

function summary(report: LintInputReport): string {
  const a = report.acceptance;
  if (a === undefined) return `${report.kind}`;
  const parts = [
    a.accepted ? 'accepted' : 'not accepted',
    a.acked ? 'acked' : a.cleared ? 'cleared (no ack register)' : 'not acked',
    a.printed ? 'printed' : 'not printed',
  ];
  if (a.panic) parts.push('panic');
  for (const m of a.memoryFailures)
    parts.push(`memory_failure(${hex(m.pfn)}, ${m.flagNames.join('|') || '0'})`);
  if (a.forcedSigbus) parts.push('SIGBUS');
  return `${report.kind}: ${parts.join(', ')}`;
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(() => parse(argv), USAGE);
  if (parsed === undefined) return 0;
  const { values: v, positionals } = parsed;
  if (positionals.length > 1)
    throw new CliError(`lint takes one input, got ${positionals.length}\n\n${USAGE}`);
  const bytes = readBytes(positionals[0], v.input);
  const as = parseAs(v.as);
  const report = lintInput(bytes, {
    ...(as === undefined ? {} : { as }),
    ...(v.section === undefined ? {} : { section: v.section }),
    source: sourceContext(v),
    lintHest,
  });
  const problems = report.findings.filter((f) => f.severity !== 'info');
  if (v.json === true) {
    process.stdout.write(`${toJson('lint-report', report)}\n`);
  } else {
    const shown = v.verbose === true ? report.findings : problems;
    const out = [`${summary(report)} (${report.detection.reasons[0] ?? ''})`];
    for (const f of shown) out.push(...formatFinding(f));
    if (shown.length === 0) out.push('no findings');
    process.stdout.write(`${out.join('\n')}\n`);
  }
  if (report.kind === 'unknown') return 2;
  return problems.length > 0 ? 1 : 0;
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
      verbose: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

export default { run } satisfies CommandModule;
