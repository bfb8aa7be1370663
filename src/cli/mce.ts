// `vras mce`: decode an x86 machine check (MCi_STATUS, ADDR, MISC, MCG_STATUS, MCG_CAP) with
// Linux's grading of it, or build one from named bits (Intel SDM vol. 3B ch. 16; severity.c).
//
//   vras mce decode 0xbd80000000000134 [--mcg-status 7] [--addr A] [--misc 0x8c] [--bank 9]
//                   [--mcg-cap 0x100010a] [--context user|kernel|kernel-recoverable]
//                   [--vendor intel|amd] [--json]
//   vras mce encode --srar|--srao|[--val --uc --en --miscv --addrv --pcc --s --ar --over]
//                   [--mcacod N] [--mscod N] [--json]
//   vras mce inject --qmp unix:PATH (--ar | --ao) --addr GPA [--cpu N] [--lmce] [--no-broadcast]
//                   QEMU/KVM's values for a host SIGBUS (the engine's kvmMceValues), sent as
//                   HMP `mce` over QMP to a running x86 guest (QEMU with an Intel CPU model)

import { parseArgs } from 'node:util';
import {
  CodecError,
  decodeMachineCheck,
  decodeMcgCap,
  decodeMciStatus,
  encodeMciStatus,
  hex64,
  linuxMceOutcome,
  type MceContext,
  machineCheckTable,
  toJson,
} from '../codec/index.js';
import type { CommandModule } from './commands.js';
import { CliError, parseCommandLine, parseNumberOption, parseUnsignedOption } from './io.js';

const USAGE = `usage: vras mce decode <MCi_STATUS> [--mcg-status N] [--addr N] [--misc N] [--bank N]
                       [--mcg-cap N] [--context user|kernel|kernel-recoverable]
                       [--vendor intel|amd] [--json]
       vras mce encode [--srar | --srao] [--val] [--over] [--uc] [--en] [--miscv] [--addrv]
                       [--pcc] [--s] [--ar] [--mcacod N] [--mscod N] [--count N] [--json]
       vras mce inject --qmp unix:PATH (--ar | --ao) --addr GPA [--cpu N] [--lmce]
                       [--no-broadcast]

decode prints every register's fields, the MCA error code and what Linux does with the machine
check (severity.c's grade, then panic, kill the current task, memory_failure or keep).
--mcg-status defaults to 7 (RIPV EIPV MCIP), --bank to 9 (QEMU's bank for host SIGBUS);
with --mcg-cap, SER_P decides whether the recovery rules apply (default: they do).
encode --srar / --srao start from QEMU's kvm_mce_inject values.
inject sends QEMU/KVM's machine check for a host SIGBUS (bank 9, SRAR for --ar, SRAO for --ao;
--lmce: the guest enabled LMCE, so LMCES and no broadcast) to a running x86 guest through QMP
human-monitor-command \`mce\`, and prints the values and Linux's grade of them.`;

const FLAGS = ['val', 'over', 'uc', 'en', 'miscv', 'addrv', 'pcc', 's', 'ar'] as const;

function parse(argv: string[]) {
  const options: Record<string, { type: 'string' | 'boolean' }> = {
    json: { type: 'boolean' },
    help: { type: 'boolean' },
    srar: { type: 'boolean' },
    srao: { type: 'boolean' },
    'mcg-status': { type: 'string' },
    'mcg-cap': { type: 'string' },
    addr: { type: 'string' },
    misc: { type: 'string' },
    bank: { type: 'string' },
    context: { type: 'string' },
    vendor: { type: 'string' },
    mcacod: { type: 'string' },
    mscod: { type: 'string' },
    count: { type: 'string' },
    qmp: { type: 'string' },
    ao: { type: 'boolean' },
    cpu: { type: 'string' },
    lmce: { type: 'boolean' },
    'no-broadcast': { type: 'boolean' },
  };
  for (const f of FLAGS) options[f] = { type: 'boolean' };
  return parseCommandLine(
    () => parseArgs({ args: argv, options, allowPositionals: true, strict: true }),
    USAGE,
  );
}

type Parsed = NonNullable<ReturnType<typeof parse>>;

function big(p: Parsed, name: string, fallback: bigint): bigint {
  const v = p.values[name];
  return typeof v === 'string' ? parseUnsignedOption(`--${name}`, v, 64, true) : fallback;
}

function runDecode(p: Parsed): number {
  const [, text, ...extra] = p.positionals;
  if (text === undefined) throw new CliError(`mce decode needs an MCi_STATUS value\n\n${USAGE}`);
  if (extra.length) throw new CliError(`mce decode takes one value, got ${extra.length + 1}`);
  const status = parseUnsignedOption('MCi_STATUS', text, 64, true);
  const bankText = p.values.bank;
  const bank = typeof bankText === 'string' ? parseNumberOption('--bank', bankText, 8) : 9;
  const mcgCap = typeof p.values['mcg-cap'] === 'string' ? big(p, 'mcg-cap', 0n) : undefined;
  const m = {
    bank,
    status,
    mcgStatus: big(p, 'mcg-status', 7n),
    addr: big(p, 'addr', 0n),
    misc: big(p, 'misc', 0n),
  };
  const context = (p.values.context ?? 'user') as string;
  if (!['user', 'kernel', 'kernel-recoverable'].includes(context))
    throw new CliError(`--context must be user, kernel or kernel-recoverable, got "${context}"`);
  const vendor = (p.values.vendor ?? 'intel') as string;
  if (vendor !== 'intel' && vendor !== 'amd')
    throw new CliError(`--vendor must be intel or amd, got "${vendor}"`);
  const outcome = linuxMceOutcome(m, {
    context: context as MceContext,
    vendor,
    ...(mcgCap === undefined ? {} : { ser: decodeMcgCap(mcgCap).serP }),
  });
  if (p.values.json) {
    process.stdout.write(
      `${toJson('machine-check', { ...decodeMachineCheck(m), ...(mcgCap === undefined ? {} : { mcgCap, mcgCapFields: decodeMcgCap(mcgCap) }), linux: outcome })}\n`,
    );
    return 0;
  }
  const lines = machineCheckTable(m, mcgCap);
  lines.push(
    `Linux: severity ${outcome.severityName} "${outcome.message}" (${outcome.context}) → ${outcome.action}${outcome.panicMessage === undefined ? '' : ` (Kernel panic - not syncing: ${outcome.panicMessage})`}`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

function runEncode(p: Parsed): number {
  if (p.positionals.length > 1) throw new CliError('mce encode takes only options, no values');
  if (p.values.srar && p.values.srao) throw new CliError('give --srar or --srao, not both');
  const base = p.values.srar ? 0xbd80000000000134n : p.values.srao ? 0xbd000000000000c0n : 0n;
  const f = { ...decodeMciStatus(base) } as Record<string, boolean | number>;
  for (const k of FLAGS) if (p.values[k] === true) f[k] = true;
  for (const k of ['mcacod', 'mscod', 'count'] as const) {
    const v = p.values[k];
    if (typeof v === 'string')
      f[k === 'count' ? 'correctedCount' : k] = parseNumberOption(`--${k}`, v, 16);
  }
  const value = encodeMciStatus(f);
  if (p.values.json)
    process.stdout.write(`${toJson('mci-status', { value, ...decodeMciStatus(value) })}\n`);
  else process.stdout.write(`${hex64(value)}\n`);
  return 0;
}

async function runInject(p: Parsed): Promise<number> {
  const qmpText = p.values.qmp;
  if (typeof qmpText !== 'string')
    throw new CliError(`mce inject needs --qmp unix:PATH\n\n${USAGE}`);
  if (p.values.ar === p.values.ao)
    throw new CliError(
      'mce inject needs exactly one of --ar (BUS_MCEERR_AR) and --ao (BUS_MCEERR_AO)',
    );
  if (typeof p.values.addr !== 'string') throw new CliError('mce inject needs --addr GPA');
  const addr = big(p, 'addr', 0n);
  const cpuText = p.values.cpu;
  const cpu = typeof cpuText === 'string' ? parseNumberOption('--cpu', cpuText, 16) : 0;
  const lmce = p.values.lmce === true;
  const { kvmMceValues, SigbusCode } = await import('../engine/index.js');
  const { parseQmpAddress, QmpClient } = await import('../guest/qmp.js');
  const m = kvmMceValues(
    p.values.ar ? SigbusCode.ActionRequired : SigbusCode.ActionOptional,
    addr,
    lmce,
  );
  const broadcast = !lmce && p.values['no-broadcast'] !== true;
  const h = (v: bigint) => `0x${v.toString(16)}`;
  const line = `mce ${broadcast ? '-b ' : ''}${cpu} ${m.bank} ${h(m.status)} ${h(m.mcgStatus)} ${h(m.addr)} ${h(m.misc)}`;
  const qmp = await QmpClient.connect(parseQmpAddress(qmpText), { timeoutMs: 5000 });
  try {
    const out = await qmp.execute('human-monitor-command', { 'command-line': line });
    if (typeof out === 'string' && out.trim() !== '')
      throw new CliError(`QEMU refused '${line}': ${out.trim()}`, 1);
  } finally {
    qmp.close();
  }
  const outcome = linuxMceOutcome(m, { context: 'user' });
  process.stdout.write(
    `${line}\nLinux (in user mode): severity ${outcome.severityName} "${outcome.message}" → ${outcome.action}\n`,
  );
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
    if (sub === 'inject') return await runInject(p);
  } catch (error) {
    if (error instanceof CodecError) throw new CliError(error.message, 2, { cause: error });
    throw error;
  }
  throw new CliError(`unknown mce subcommand '${sub}' (decode, encode or inject)\n\n${USAGE}`);
}

export default { run } satisfies CommandModule;
