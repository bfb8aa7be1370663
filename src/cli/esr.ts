// `vras esr`: decode an ARMv8 ESR_ELx value, or build one from named fields (formats.md §11).
//
//   vras esr decode 0x92000410 [--json] [--no-ras] [--cpu N]
//   vras esr encode --ec 0x24 --dfsc 0x10 --fnv 1 [--il 1] [--json]
//   vras esr encode --serror --aet uer --dfsc 0x11      (EC 0x2F, IL 1)
//   vras esr encode --serror --ids 1 [--syndrome 0x…]   (KVM's default is --ids 1 alone)

import { parseArgs } from 'node:util';
import {
  CodecError,
  type DataAbortIssInput,
  decodeEsr,
  type Esr,
  EsrClass,
  encodeEsr,
  hex,
  hex64,
  type InstructionAbortIssInput,
  type LinuxSErrorDecision,
  linuxFaultInfo,
  linuxSErrorDecision,
  parseAet,
  type SErrorIssInput,
  toJson,
} from '../codec/index.js';
import type { CommandModule } from './commands.js';
import { CliError, parseCommandLine, parseNumberOption, parseUnsignedOption } from './io.js';

const USAGE = `usage: vras esr decode <value> [--json] [--no-ras] [--cpu N]
       vras esr encode [--ec N] [--il 0|1] [--iss N | named ISS fields] [--json]
       vras esr encode --serror [--ids 1 [--syndrome N] | --aet NAME --dfsc N ...]

Decodes or builds an ESR_ELx value. Numbers are decimal, 0x hex or 0b binary.

decode options:
  --json              print the vras/v1 JSON document
  --no-ras            SError decision for a CPU without the RAS extension
  --cpu N             CPU number in the SError panic line (default 0)

encode options (omitted fields are 0; IL defaults to 1):
  --ec N  --il N  --iss N  --iss2 N
  data abort (EC 0x24/0x25): --isv --sas --sse --srt --sf --ar --vncr --set --fnv
                             --ea --cm --s1ptw --wnr --dfsc
  instruction abort (EC 0x20/0x21): --set --fnv --ea --s1ptw --ifsc
  SError (--serror sets EC 0x2F): --ids --iesb --aet (uc|ueu|ueo|uer|ce|N) --ea --dfsc
                                  --syndrome (with --ids 1)`;

const NUMERIC_FIELDS = [
  'ec',
  'il',
  'iss',
  'iss2',
  'isv',
  'sas',
  'sse',
  'srt',
  'sf',
  'ar',
  'vncr',
  'set',
  'fnv',
  'ea',
  'cm',
  's1ptw',
  'wnr',
  'dfsc',
  'ifsc',
  'ids',
  'iesb',
  'syndrome',
  'cpu',
] as const;
type NumericField = (typeof NUMERIC_FIELDS)[number];

const ABORT_FIELDS = [
  'isv',
  'sas',
  'sse',
  'srt',
  'sf',
  'ar',
  'vncr',
  'set',
  'fnv',
  'ea',
  'cm',
  's1ptw',
  'wnr',
  'dfsc',
] as const;
const INSN_FIELDS = ['set', 'fnv', 'ea', 's1ptw', 'ifsc'] as const;
const SERROR_FIELDS = ['ids', 'iesb', 'ea', 'dfsc', 'syndrome'] as const;

function parse(argv: string[]) {
  const options: Record<string, { type: 'string' | 'boolean' }> = {
    json: { type: 'boolean' },
    serror: { type: 'boolean' },
    'no-ras': { type: 'boolean' },
    help: { type: 'boolean' },
    aet: { type: 'string' },
  };
  for (const f of NUMERIC_FIELDS) options[f] = { type: 'string' };
  return parseCommandLine(
    () => parseArgs({ args: argv, options, allowPositionals: true, strict: true }),
    USAGE,
  );
}

type Parsed = NonNullable<ReturnType<typeof parse>>;

function num(p: Parsed, name: NumericField): number | undefined {
  const v = p.values[name];
  return typeof v === 'string' ? parseNumberOption(`--${name}`, v, 53, true) : undefined;
}

function pick<K extends string>(p: Parsed, keys: readonly K[]): Partial<Record<K, number>> {
  const out: Partial<Record<K, number>> = {};
  for (const k of keys) {
    const v = num(p, k as NumericField);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

function given(p: Parsed, keys: readonly string[]): string[] {
  return keys.filter((k) => p.values[k] !== undefined);
}

function decodeLines(e: Esr, value: bigint, decision: LinuxSErrorDecision | undefined): string[] {
  const lines = [
    `ESR   ${hex64(value)}`,
    `EC    ${hex(e.ec, 2)}  ${e.ecName}`,
    `IL    ${e.il}`,
    `ISS   ${hex(e.iss, 7)}`,
  ];
  if (e.iss2) lines.push(`ISS2  ${hex(e.iss2)}`);
  if (e.res0) lines.push(`RES0  ${hex(e.res0, 2)} (bits 63:56 should be 0)`);
  const v = e.view;
  if (v) {
    const fields = Object.entries(v).filter(([k]) => k !== 'kind');
    lines.push(`${v.kind}:`);
    for (const [k, val] of fields)
      lines.push(`  ${k.padEnd(8)} ${typeof val === 'number' ? hex(val) : String(val)}`);
    if (v.kind === 'data-abort' || v.kind === 'instruction-abort') {
      const info = linuxFaultInfo(v.kind === 'data-abort' ? v.dfsc : v.ifsc);
      lines.push(
        `Linux: ${info.name}; a user task gets ${info.signal}/${info.siCode}${info.sea ? ' (do_sea)' : ''}`,
      );
    }
  }
  if (decision) {
    lines.push(
      `Linux SError: severity ${decision.severityName}, ${decision.outcome} (${decision.reason})`,
    );
    for (const l of decision.lines) lines.push(`  ${l}`);
  }
  lines.push(e.describe);
  return lines;
}

function runDecode(p: Parsed): number {
  const [, text, ...extra] = p.positionals;
  if (text === undefined) throw new CliError(`esr decode needs a value\n\n${USAGE}`);
  if (extra.length) throw new CliError(`esr decode takes one value, got ${extra.length + 1}`);
  const value = parseUnsignedOption('ESR value', text, 64, true);
  const e = decodeEsr(value);
  const cpu = num(p, 'cpu') ?? 0;
  const decision =
    e.ec === EsrClass.SError
      ? linuxSErrorDecision(value, { ras: !p.values['no-ras'], cpu })
      : undefined;
  if (p.values.json) {
    process.stdout.write(
      `${toJson('esr', { value, ...e, ...(decision ? { linuxSError: decision } : {}) })}\n`,
    );
  } else {
    process.stdout.write(`${decodeLines(e, value, decision).join('\n')}\n`);
  }
  return 0;
}

function runEncode(p: Parsed): number {
  if (p.positionals.length > 1) throw new CliError('esr encode takes only options, no values');
  const serror = p.values.serror === true;
  const ec = num(p, 'ec') ?? (serror ? EsrClass.SError : undefined);
  if (ec === undefined) throw new CliError(`esr encode needs --ec (or --serror)\n\n${USAGE}`);
  if (serror && ec !== EsrClass.SError)
    throw new CliError(`--serror means EC 0x2f, but --ec is ${hex(ec)}`);
  const il = num(p, 'il') ?? 1;
  const iss2 = num(p, 'iss2');
  const rawIss = num(p, 'iss');
  const isAbort = ec === EsrClass.DabtLow || ec === EsrClass.DabtCur;
  const isInsn = ec === EsrClass.IabtLow || ec === EsrClass.IabtCur;
  const allowed: readonly string[] = isAbort
    ? ABORT_FIELDS
    : isInsn
      ? INSN_FIELDS
      : ec === EsrClass.SError
        ? [...SERROR_FIELDS, 'aet']
        : [];
  const named = given(p, [...new Set([...ABORT_FIELDS, ...INSN_FIELDS, ...SERROR_FIELDS, 'aet'])]);
  const wrong = named.filter((k) => !allowed.includes(k));
  if (wrong.length) {
    throw new CliError(
      `--${wrong.join(', --')} ${wrong.length > 1 ? 'are' : 'is'} not a field of EC ${hex(ec, 2)} (${decodeEsr(BigInt(ec) << 26n).ecName})`,
    );
  }
  if (rawIss !== undefined && named.length)
    throw new CliError('give either --iss or named ISS fields, not both');
  let iss: number | DataAbortIssInput | InstructionAbortIssInput | SErrorIssInput | undefined =
    rawIss;
  if (named.length) {
    if (isAbort) iss = pick(p, ABORT_FIELDS);
    else if (isInsn) iss = pick(p, INSN_FIELDS);
    else {
      const aetText = p.values.aet;
      let aet: number | undefined;
      if (typeof aetText === 'string') {
        aet = parseAet(aetText);
        if (aet === undefined)
          throw new CliError(
            `--aet must be uc, ueu, ueo, uer, ce or 0..7, got ${JSON.stringify(aetText)}`,
          );
      }
      iss = { ...pick(p, SERROR_FIELDS), ...(aet === undefined ? {} : { aet }) };
    }
  }
  const value = encodeEsr({
    ec,
    il,
    ...(iss2 === undefined ? {} : { iss2 }),
    ...(iss === undefined ? {} : { iss }),
  });
  const e = decodeEsr(value);
  if (p.values.json) process.stdout.write(`${toJson('esr', { value, ...e })}\n`);
  else process.stdout.write(`${hex64(value)}\n${e.describe}\n`);
  return 0;
}

export async function run(argv: string[]): Promise<number> {
  const p = parse(argv);
  if (p === undefined) return 0;
  const sub = p.positionals[0];
  if (sub === undefined || sub === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return sub === undefined ? 2 : 0;
  }
  try {
    if (sub === 'decode') return runDecode(p);
    if (sub === 'encode') return runEncode(p);
  } catch (error) {
    if (error instanceof CodecError) throw new CliError(error.message, 2, { cause: error });
    throw error;
  }
  throw new CliError(`unknown esr subcommand '${sub}' (decode or encode)\n\n${USAGE}`);
}

export default { run } satisfies CommandModule;
