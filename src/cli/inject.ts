// `vras inject`: hands a running VM a hardware error record, like QEMU's scripts/ghes_inject.py
// but validated first, waiting for the guest's ack between records, and timed.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  bytesToHex,
  type CperRecord,
  cperRecordToStatusBlock,
  decodeCperRecord,
  detectStructure,
  encodeGhesStatusBlock,
  escapeControlText,
  fromJson,
} from '../codec/index.js';
import { cacheRoot } from '../guest/cache.js';
import { QMP_MAX_TIMEOUT_MS } from '../guest/qmp.js';
import { type BatchRecord, type BatchReport, deliverBatch } from '../inject/batch.js';
import { InjectError } from '../inject/errors.js';
import { type InjectTarget, MemoryTarget, QmpTarget } from '../inject/targets.js';
import {
  objectToArgs,
  parseTemplate,
  type RecordSource,
  templateBytes,
} from '../inject/templates.js';
import { bytesFromBase64, validatePayload } from '../inject/validate.js';
import type { CommandModule } from './commands.js';
import { encodeDocument } from './encode.js';
import {
  CliError,
  decodeInput,
  parseInputEncoding,
  parseUnsignedOption,
  readInputBytes,
} from './io.js';

const USAGE = `usage: vras inject memory --pa ADDR [record options] TARGET [options]
       vras inject --arch x86_64 mce --qmp unix:PATH (--ar | --ao) --addr GPA   (vras mce inject)
       vras inject arm [ghes_inject.py arm options] TARGET [options]
       vras inject --file REC [--input raw|hex|base64] TARGET [options]
       vras inject --spec DOC.json TARGET [options]
       vras inject --batch TARGET [options]          (JSONL records on stdin)

targets:
  --qmp unix:PATH | tcp:127.0.0.1:PORT   QEMU >= 10.2 (inject-ghes-v2-error on source 1, GED)
  --memory FILE [--ram-base GPA] [--source ID]
                                          file-backed guest RAM (memory-backend-file,share=on)
  --dry-run                               validate and print the record (hex, base64), send nothing

record options (both templates): --error-severity recoverable|fatal|corrected|none,
  --block-status uncorrectable|correctable|multi-uncorrectable|multi-correctable|N,
  --gen-err-valid-bits fru-id,fru-text,timestamp, --fru-id GUID, --fru-text TEXT (<= 20),
  --timestamp now|'YYYY-MM-DD HH:MM:SS' [--precise], --gedb-flags primary,...|N, --raw-data HEX
  --gedb-flags names: primary, containment-warning, reset, threshold-exceeded,
  resource-not-accessible, latent-error, propagated, overflow; ghes_inject.py's names are
  aliases of bits 0-2: recovered = primary, prev-error = containment-warning, simulated = reset
memory: --pa ADDR [--pa-mask M] [--error-type multi-bit-ecc|N] [--error-status S] [--node N]
  [--card N] [--module N] [--bank N] [--device N] [--row N] [--column N] [--bit-position N]
  [--mem-valid BITS]
arm: [--arm mpidr,affinity,running,vendor] [-a LEVEL] [-l MPIDR] [-i MIDR] [-r] [--psci N]
  [-t cache|tlb|bus|micro-arch[,…]]… and per entry, in -t order: [-V bits] [-m N] [-f flags]
  [-e INFO] [-v VA] [-p PA]; [--ctx-type T] [--ctx-size N] [--ctx-array R1,R2,…]… [--vendor HEX]
  List options repeat or take several values after one flag (-t cache tlb), as in
  ghes_inject.py, whose long aliases are accepted too. Without -i, a QMP target's first CPU
  gives the MIDR (as ghes_inject.py does); otherwise it is 0.

options:
  --force            send a record the lint says the guest rejects (never an empty record,
                     block_status 0 or one over the source's limit)
  --ack-timeout MS   how long to wait for the guest's acknowledgement (default 5000)
  --timeout MS       QMP connection and command timeout (default 3000)
  --no-ack           do not watch the ack (QMP: skip locating the ack register)
  --json             print the batch report as JSON

A batch line is a JSON object: {"template":"memory","pa":"0x41000000","error-severity":
"corrected"} (keys are option names), {"hex":"…"}, {"base64":"…"}, or a vras/v1 document of
kind ghes-status-block or cper-record. All lines are validated before the first is sent.`;

const TARGET_VALUE = new Set([
  '--qmp',
  '--memory',
  '--ram-base',
  '--source',
  '--ack-timeout',
  '--timeout',
  '--file',
  '--input',
  '--spec',
]);
const TARGET_FLAG = new Set(['--force', '--no-ack', '--json', '--dry-run', '--batch']);

interface CliOptions {
  values: Map<string, string>;
  flags: Set<string>;
  template: 'memory' | 'arm' | undefined;
  rest: string[];
}

function split(argv: readonly string[]): CliOptions {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  const rest: string[] = [];
  let template: 'memory' | 'arm' | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const name = eq > 0 ? a.slice(0, eq) : a;
    if (TARGET_VALUE.has(name)) {
      const v = eq > 0 ? a.slice(eq + 1) : argv[++i];
      if (v === undefined) throw new CliError(`inject: ${name} needs a value`);
      values.set(name, v);
    } else if (TARGET_FLAG.has(a)) flags.add(a);
    else if (i === 0 && (a === 'memory' || a === 'arm')) template = a;
    else rest.push(a);
  }
  return { values, flags, template, rest };
}

function int(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new CliError(`inject: ${name} needs a whole number`);
  return n;
}

/** A timeout option: whole milliseconds a timer can honour (1..2^31-1). */
function timeoutOption(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || n < 1 || n > QMP_MAX_TIMEOUT_MS)
    throw new CliError(
      `inject: ${name} must be 1..${QMP_MAX_TIMEOUT_MS} ms (the longest timer Node sets), got ${JSON.stringify(text)}`,
    );
  return n;
}

/** A status block from bytes that are a status block or a CPER record. */
function blockBytes(bytes: Uint8Array, label: string): Uint8Array {
  const kind = detectStructure(bytes).kind;
  if (kind === 'cper-record') {
    const rec: CperRecord = decodeCperRecord(bytes);
    return encodeGhesStatusBlock(cperRecordToStatusBlock(rec));
  }
  if (kind === 'ghes-status-block' || bytes.length < 20) return bytes;
  throw new CliError(`inject: ${label} is neither a GHES status block nor a CPER record (${kind})`);
}

function fromDocument(text: string, label: string): Uint8Array {
  const kind = fromJson(text).kind;
  if (kind !== 'ghes-status-block' && kind !== 'cper-record')
    throw new CliError(`inject: ${label}: a ${kind} document is not a record`);
  return blockBytes(encodeDocument(text), label);
}

/** A record to send; `source` when it came from a template (rebuilt with QEMU's MIDR). */
interface InputRecord extends BatchRecord {
  readonly source?: RecordSource;
}

function fromTemplate(label: string, source: RecordSource): InputRecord {
  return { label, bytes: templateBytes(source), source };
}

/** One JSONL batch line → the record. */
function batchLineRecord(line: string, label: string): InputRecord {
  let obj: Record<string, unknown>;
  try {
    obj = JSON.parse(line) as Record<string, unknown>;
  } catch (cause) {
    throw new CliError(
      `inject: ${label} is not JSON: ${escapeControlText((cause as Error).message)}`,
      2,
      { cause },
    );
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj))
    throw new CliError(`inject: ${label} must be a JSON object`);
  if ('schema' in obj) return { label, bytes: fromDocument(line, label) };
  if (typeof obj.base64 === 'string')
    return { label, bytes: blockBytes(bytesFromBase64(obj.base64), label) };
  if (typeof obj.hex === 'string')
    return {
      label,
      bytes: blockBytes(decodeInput(new TextEncoder().encode(obj.hex), 'hex'), label),
    };
  const { template, args } = objectToArgs(obj);
  if (template !== 'memory' && template !== 'arm')
    throw new CliError(
      `inject: ${label} needs "template": "memory" or "arm", "hex", "base64" or a vras/v1 document`,
    );
  return fromTemplate(label, parseTemplate(template, args));
}

function records(o: CliOptions): InputRecord[] {
  if (o.flags.has('--batch')) {
    if (o.template !== undefined || o.rest.length > 0)
      throw new CliError('inject: --batch takes records from stdin only');
    const text = readFileSync(0, 'utf8');
    const out: InputRecord[] = [];
    for (const [i, line] of text.split('\n').entries()) {
      if (line.trim() === '') continue;
      const label = `line ${i + 1}`;
      try {
        out.push(batchLineRecord(line, label));
      } catch (e) {
        // Hex, base64, template and decoder errors do not know the line: say it once.
        const m = (e as Error).message.replace(/^inject: /, '');
        if (m.includes(label)) throw e;
        const code = e instanceof InjectError ? e.code : 'usage';
        throw new InjectError(code, `${label}: ${m}`, { cause: e });
      }
    }
    if (out.length === 0) throw new CliError('inject: --batch read no records from stdin');
    return out;
  }
  if (o.template !== undefined)
    return [fromTemplate(o.template, parseTemplate(o.template, o.rest))];
  if (o.rest.length > 0) throw new CliError(`inject: unknown argument ${o.rest[0]}\n${USAGE}`);
  const file = o.values.get('--file');
  if (file !== undefined) {
    const enc = parseInputEncoding(o.values.get('--input'));
    const data = readInputBytes(file);
    const bytes =
      enc === 'base64' ? bytesFromBase64(new TextDecoder().decode(data)) : decodeInput(data, enc);
    return [{ label: file, bytes: blockBytes(bytes, file) }];
  }
  const spec = o.values.get('--spec');
  if (spec !== undefined) {
    const text = readFileSync(spec === '-' ? 0 : spec, 'utf8');
    return [{ label: spec, bytes: fromDocument(text, spec) }];
  }
  throw new CliError(`inject: no record given\n${USAGE}`);
}

async function openTarget(o: CliOptions): Promise<InjectTarget> {
  const qmp = o.values.get('--qmp');
  const memory = o.values.get('--memory');
  if ((qmp === undefined) === (memory === undefined))
    throw new CliError(
      'inject: give exactly one target: --qmp ADDRESS or --memory FILE (or --dry-run)',
    );
  if (qmp !== undefined) {
    const hint = readHestHint(qmp);
    const target = await QmpTarget.connect(qmp, {
      timeoutMs: timeoutOption('--timeout', o.values.get('--timeout'), 3000),
      noAckWatch: o.flags.has('--no-ack'),
      ...(hint === undefined ? {} : { hestHint: hint }),
    });
    if (target.hestAddress !== undefined && target.hestAddress !== hint)
      writeHestHint(qmp, target.hestAddress);
    return target;
  }
  const { statSync } = await import('node:fs');
  let size: number;
  try {
    size = statSync(memory!).size;
  } catch (cause) {
    throw new CliError(`inject: cannot use ${memory}: ${(cause as Error).message}`, 2, { cause });
  }
  const base = o.values.get('--ram-base');
  const source = o.values.get('--source');
  const t = new MemoryTarget(memory!, size, {
    ...(base === undefined ? {} : { base: parseUnsignedOption('--ram-base', base) }),
    ...(source === undefined ? {} : { sourceId: int('--source', source, 0) }),
  });
  if (t.note !== undefined) process.stderr.write(`vras inject: note: ${t.note}\n`);
  return t;
}

/** Where the HEST was found per QMP address ($VRAS_CACHE/inject-hest.json): a one-shot inject
 *  checks that address with one small pmemsave instead of scanning guest RAM again. */
function hintFile(): string {
  return join(cacheRoot(), 'inject-hest.json');
}

function readHints(): Record<string, string> {
  try {
    return JSON.parse(readFileSync(hintFile(), 'utf8')) as Record<string, string>;
  } catch {
    return {};
  }
}

function readHestHint(address: string): bigint | undefined {
  const v = readHints()[address];
  return v === undefined || !/^0x[0-9a-f]+$/.test(v) ? undefined : BigInt(v);
}

function writeHestHint(address: string, gpa: bigint): void {
  try {
    mkdirSync(cacheRoot(), { recursive: true });
    writeFileSync(
      hintFile(),
      `${JSON.stringify({ ...readHints(), [address]: `0x${gpa.toString(16)}` })}\n`,
    );
  } catch {
    // Only a speed-up: without the file the next run scans again.
  }
}

/**
 * ARM records from a template without `--midr` get the MIDR of QEMU's first CPU, as
 * ghes_inject.py does (it asks QEMU even when --midr is given: its lookup key never matches).
 */
async function withQemuMidr(
  target: InjectTarget,
  recs: readonly InputRecord[],
): Promise<InputRecord[]> {
  const needs = (r: InputRecord): boolean =>
    r.source?.kind === 'arm' && r.source.arm.midr === undefined;
  if (!(target instanceof QmpTarget) || !recs.some(needs)) return [...recs];
  const midr = await target.cpuMidr();
  if (midr === undefined) return [...recs];
  return recs.map((r) =>
    needs(r) && r.source?.kind === 'arm'
      ? fromTemplate(r.label, { ...r.source, arm: { ...r.source.arm, midr } })
      : r,
  );
}

function printReport(r: BatchReport): void {
  for (const d of r.delivered) {
    const ack =
      d.ackMs === undefined ? 'ack not watched' : `acked ${d.ackMs.toFixed(2)} ms after sending`;
    process.stdout.write(
      `record ${d.index} (${d.label}): ${d.length} bytes, sent in ${d.sendMs.toFixed(2)} ms, ${ack}${d.forced ? ' (forced)' : ''}\n`,
    );
  }
  if (r.failure !== undefined)
    process.stdout.write(
      `record ${r.failure.index} (${r.failure.label}) NOT delivered: ${r.failure.message}\n${r.delivered.length} delivered, ${r.notAttempted} not attempted\n`,
    );
}

export async function run(argv: string[]): Promise<number> {
  // x86_64 guests (issue 12): `mce` is `vras mce inject` (QEMU's machine check over QMP); a
  // --memory target's RAM starts at GPA 0 (q35). Stripped here so the rest is unchanged.
  const arch = argv.indexOf('--arch');
  if (arch >= 0 && argv[arch + 1] === 'x86_64') {
    argv = argv.filter((_, i) => i !== arch && i !== arch + 1);
    if (argv[0] === 'mce') return (await import('./mce.js')).run(['inject', ...argv.slice(1)]);
    if (argv.includes('--memory') && !argv.includes('--ram-base')) argv.push('--ram-base', '0');
  }
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return argv.length === 0 ? 2 : 0;
  }
  try {
    const o = split(argv);
    const ackTimeoutMs = timeoutOption('--ack-timeout', o.values.get('--ack-timeout'), 5000);
    timeoutOption('--timeout', o.values.get('--timeout'), 3000);
    const recs = records(o);
    const force = o.flags.has('--force');
    if (o.flags.has('--dry-run')) {
      for (const r of recs) {
        let v: ReturnType<typeof validatePayload>;
        try {
          v = validatePayload(r.bytes, { force });
        } catch (e) {
          if (!(e instanceof InjectError)) throw e;
          throw new InjectError(e.code, `${r.label}: ${e.message}`, {
            cause: e,
            ...(e.offset === undefined ? {} : { offset: e.offset }),
          });
        }
        process.stdout.write(`${r.label}: ${r.bytes.length} bytes${v.forced ? ' (forced)' : ''}\n`);
        process.stdout.write(`hex ${bytesToHex(r.bytes)}\nbase64 ${v.base64}\n`);
        for (const f of v.findings)
          process.stdout.write(`  ${f.severity}: ${f.message || f.code}\n`);
      }
      return 0;
    }
    const target = await openTarget(o);
    try {
      const report = await deliverBatch(target, await withQemuMidr(target, recs), {
        force,
        ackTimeoutMs,
      });
      if (o.flags.has('--json')) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else printReport(report);
      return report.failure === undefined ? 0 : 1;
    } finally {
      await target.close();
    }
  } catch (e) {
    if (e instanceof InjectError) {
      const where = e.offset === undefined ? '' : ` (offset 0x${e.offset.toString(16)})`;
      throw new CliError(`inject: ${e.message}${where}`, e.code === 'usage' ? 2 : 1, { cause: e });
    }
    throw e;
  }
}

export default { run } satisfies CommandModule;
