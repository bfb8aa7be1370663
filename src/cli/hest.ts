// `vras hest build`: writes a HEST, either QEMU's own table for a machine profile or any set of
// error sources described in a JSON config. Output is hex on stdout, or raw bytes with -o.

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  bytesToHex,
  CodecError,
  encodeHest,
  escapeControlText,
  fromJson,
  type Gas,
  ghesSource,
  ghesV2Source,
  type Hest,
  type HestErrorSource,
  type HestNotification,
  hestNotification,
  isQemuHestProfileName,
  jsonReviver,
  parseHestNotificationType,
  QEMU_HEST_HEADER,
  QEMU_HEST_PROFILE_NAMES,
  QEMU_HEST_PROFILES,
  qemuHestBytes,
  qemuHestUnpatchedBytes,
  systemMemoryGas,
  withJsonPaths,
} from '../codec/index.js';
import type { CommandModule } from './commands.js';
import {
  CliError,
  parseCommandLine,
  parseNumberOption,
  parseUnsignedOption,
  writeOutput,
} from './io.js';

const USAGE = `usage: vras hest build CONFIG.json [-o FILE]
       vras hest build --profile NAME (--blob-address ADDR | --unpatched) [-o FILE]

Builds a HEST (ACPI 6.5 §18.3.2). Without -o the table is printed as hex; with -o the raw
bytes are written to FILE. Length, Error Source Count and the checksum are always computed.

profiles (QEMU -machine virt,ras=on; ADDR is where the firmware put etc/hardware_errors):
  qemu-7.2-virt    1 GHESv2 source: 0 SEA (QEMU 5.1-10.1, virt-10.1 and older machine types)
  qemu-10.2-virt   2 GHESv2 sources: 0 SEA, 1 GPIO (virt-10.2 and newer)
  --unpatched      the table as QEMU serves it in etc/acpi/tables (blob offsets, checksum 0)

CONFIG.json: either a vras/v1 document of kind "hest" (what 'vras decode --format json' prints
for a HEST), or an object like

  {
    "oemId": "BOCHS ", "oemTableId": "BXPC    ", "oemRevision": 1,
    "creatorId": "BXPC", "creatorRevision": 1, "revision": 1,
    "sources": [
      { "type": "ghes-v2", "sourceId": 0, "notification": "sea",
        "errorStatusAddress": "0x7c410000", "readAckAddress": "0x7c410008" },
      { "type": "ghes", "sourceId": 1,
        "notification": { "type": "polled", "pollInterval": 1000 },
        "errorStatusAddress": "0x7c410010", "errorStatusBlockLength": 4096 }
    ]
  }

Header fields default to QEMU's (BOCHS/BXPC, revisions 1); shorter ids are space-padded.
"ghes" (type 9) and "ghes-v2" (type 10) sources take QEMU's defaults for every field not
given: relatedSourceId 0xFFFF, enabled 1, recordsToPreallocate 1, maxSectionsPerRecord 1,
maxRawDataLength 1024, errorStatusBlockLength 1024, readAckPreserve 0xFFFFFFFFFFFFFFFE,
readAckWrite 1. Addresses are numbers or "0x…" strings (a SystemMemory, 64-bit, qword GAS),
or whole GAS objects {addressSpaceId, registerBitWidth, registerBitOffset, accessSize,
address}. "notification" is a name (polled external local sci nmi cmci mce gpio sea sei gsiv
sdei), a number 0-255, or an object with "type" and any of configurationWriteEnable,
pollInterval, vector, switchToPollingThresholdValue, switchToPollingThresholdWindow,
errorThresholdValue, errorThresholdWindow. Any other source is given with a numeric "type"
(0, 1, 2, 6, 7, 8, 11) and all of its fields, as 'vras decode --format json' prints them.

options:
  -o, --output FILE     write raw bytes to FILE instead of hex to stdout
  --profile NAME        build QEMU's table (${QEMU_HEST_PROFILE_NAMES.join(', ')})
  --blob-address ADDR   guest physical address of etc/hardware_errors (with --profile)
  --unpatched           QEMU's unpatched table (with --profile)
  -h, --help            this text`;

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

/** A config number: a JSON number, or a "0x…" string (which the reviver made a bigint). */
function num(v: unknown, what: string): number {
  if (typeof v === 'bigint' && v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
  return parseNumberOption(what, String(v));
}

function big(v: unknown, what: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  return parseUnsignedOption(what, String(v));
}

function gas(v: unknown, what: string): Gas {
  if (!isObject(v)) return systemMemoryGas(big(v, what));
  return {
    addressSpaceId: num(v.addressSpaceId ?? 0, `${what}.addressSpaceId`),
    registerBitWidth: num(v.registerBitWidth ?? 64, `${what}.registerBitWidth`),
    registerBitOffset: num(v.registerBitOffset ?? 0, `${what}.registerBitOffset`),
    accessSize: num(v.accessSize ?? 4, `${what}.accessSize`),
    address: big(v.address, `${what}.address`),
  };
}

function notificationType(v: unknown, what: string): number {
  if (typeof v === 'string') {
    const t = parseHestNotificationType(v);
    if (t === undefined)
      throw new CliError(`${what} ${JSON.stringify(v)} is not a notification type`);
    return t;
  }
  return num(v, what);
}

function notification(v: unknown, what: string): HestNotification {
  if (!isObject(v)) return hestNotification(notificationType(v, what));
  const n = hestNotification(notificationType(v.type, `${what}.type`));
  const out: Record<string, number> = { ...n };
  for (const key of Object.keys(v)) {
    if (key === 'type') continue;
    if (!(key in n)) throw new CliError(`${what}: unknown field ${JSON.stringify(key)}`);
    out[key] = num(v[key], `${what}.${key}`);
  }
  return out as unknown as HestNotification;
}

const GHES_OPTIONAL = [
  'relatedSourceId',
  'flags',
  'enabled',
  'recordsToPreallocate',
  'maxSectionsPerRecord',
  'maxRawDataLength',
  'errorStatusBlockLength',
] as const;

function ghesFromConfig(s: Json, what: string): HestErrorSource {
  const v2 = s.type === 'ghes-v2';
  const known = new Set<string>([
    'type',
    'sourceId',
    'notification',
    'errorStatusAddress',
    ...GHES_OPTIONAL,
    ...(v2 ? ['readAckAddress', 'readAckPreserve', 'readAckWrite'] : []),
  ]);
  for (const key of Object.keys(s)) {
    if (!known.has(key)) throw new CliError(`${what}: unknown field ${JSON.stringify(key)}`);
  }
  for (const key of [
    'sourceId',
    'notification',
    'errorStatusAddress',
    ...(v2 ? ['readAckAddress'] : []),
  ]) {
    if (s[key] === undefined) throw new CliError(`${what}: missing "${key}"`);
  }
  const optional: Record<string, number> = {};
  for (const key of GHES_OPTIONAL) {
    if (s[key] !== undefined) optional[key] = num(s[key], `${what}.${key}`);
  }
  const base = {
    ...optional,
    sourceId: num(s.sourceId, `${what}.sourceId`),
    notification: notification(s.notification, `${what}.notification`),
    errorStatusAddress: gas(s.errorStatusAddress, `${what}.errorStatusAddress`),
  };
  if (!v2) return ghesSource(base);
  return ghesV2Source({
    ...base,
    readAckAddress: gas(s.readAckAddress, `${what}.readAckAddress`),
    ...(s.readAckPreserve === undefined
      ? {}
      : { readAckPreserve: big(s.readAckPreserve, `${what}.readAckPreserve`) }),
    ...(s.readAckWrite === undefined
      ? {}
      : { readAckWrite: big(s.readAckWrite, `${what}.readAckWrite`) }),
  });
}

function padded(v: unknown, width: number, what: string, fallback: string): string {
  if (v === undefined) return fallback;
  if (typeof v !== 'string' || v.length > width) {
    throw new CliError(`${what} must be a string of at most ${width} characters`);
  }
  return v.padEnd(width, ' ');
}

/** Turns a config object (see USAGE) into a Hest. Exported for tests. */
export function hestFromConfig(config: unknown): Hest {
  if (!isObject(config)) throw new CliError('the config must be a JSON object');
  const known = new Set([
    'oemId',
    'oemTableId',
    'oemRevision',
    'creatorId',
    'creatorRevision',
    'revision',
    'sources',
  ]);
  for (const key of Object.keys(config)) {
    if (!known.has(key)) throw new CliError(`config: unknown field ${JSON.stringify(key)}`);
  }
  if (!Array.isArray(config.sources)) throw new CliError('config: "sources" must be an array');
  const q = QEMU_HEST_HEADER;
  const header = {
    signature: 'HEST',
    revision: config.revision === undefined ? q.revision : num(config.revision, 'revision'),
    oemId: padded(config.oemId, 6, 'oemId', q.oemId),
    oemTableId: padded(config.oemTableId, 8, 'oemTableId', q.oemTableId),
    oemRevision:
      config.oemRevision === undefined ? q.oemRevision : num(config.oemRevision, 'oemRevision'),
    creatorId: padded(config.creatorId, 4, 'creatorId', q.creatorId),
    creatorRevision:
      config.creatorRevision === undefined
        ? q.creatorRevision
        : num(config.creatorRevision, 'creatorRevision'),
  };
  const sources = config.sources.map((s: unknown, i: number): HestErrorSource => {
    const what = `sources[${i}]`;
    if (!isObject(s)) throw new CliError(`${what} must be an object`);
    if (s.type === 'ghes' || s.type === 'ghes-v2') return ghesFromConfig(s, what);
    if (typeof s.type === 'number') return s as unknown as HestErrorSource;
    throw new CliError(
      `${what}.type must be "ghes", "ghes-v2" or a number, got ${JSON.stringify(s.type)}`,
    );
  });
  return { header, sources };
}

function buildFromConfig(path: string): Uint8Array {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new CliError(`Cannot read ${path}: ${(cause as Error).message}`, 2, { cause });
  }
  return hestFromConfigText(text, path);
}

/**
 * The HEST a config text describes (a vras/v1 document of kind hest, or the config object);
 * `label` names the input in messages. Every failure is a one-line CliError.
 */
export function hestFromConfigText(text: string, label: string): Uint8Array {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text, jsonReviver);
  } catch (cause) {
    throw new CliError(
      `Cannot parse ${label} as JSON: ${escapeControlText((cause as Error).message)}`,
      2,
      { cause },
    );
  }
  const isDocument = isObject(parsed) && parsed.schema !== undefined;
  try {
    const hest = isDocument ? (fromJson<Hest>(text, 'hest').value as Hest) : hestFromConfig(parsed);
    // A field is named by its JSON path (value.sources[0].… in a document, config.… otherwise).
    return withJsonPaths(hest, isDocument ? 'value' : 'config', 'hest', encodeHest);
  } catch (error) {
    if (error instanceof CodecError) {
      throw new CliError(
        `Cannot build the HEST from ${label}: ${escapeControlText(error.message)}`,
        2,
        { cause: error },
      );
    }
    throw error;
  }
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(() => parse(argv), USAGE);
  if (parsed === undefined) return 0;
  const { values, positionals } = parsed;
  const [sub, ...rest] = positionals;
  if (sub !== 'build') {
    throw new CliError(
      `${sub === undefined ? 'missing subcommand' : `unknown subcommand '${sub}'`}\n\n${USAGE}`,
    );
  }
  let bytes: Uint8Array;
  if (values.profile !== undefined) {
    if (rest.length > 0) throw new CliError('give either CONFIG.json or --profile, not both');
    if (!isQemuHestProfileName(values.profile)) {
      throw new CliError(
        `unknown profile '${values.profile}' (known: ${QEMU_HEST_PROFILE_NAMES.join(', ')})`,
      );
    }
    const profile = QEMU_HEST_PROFILES[values.profile];
    if (values.unpatched) {
      if (values['blob-address'] !== undefined) {
        throw new CliError('--unpatched and --blob-address exclude each other');
      }
      bytes = qemuHestUnpatchedBytes(profile);
    } else {
      if (values['blob-address'] === undefined) {
        throw new CliError('--profile needs --blob-address ADDR (or --unpatched)');
      }
      bytes = qemuHestBytes(profile, parseUnsignedOption('--blob-address', values['blob-address']));
    }
  } else {
    if (values['blob-address'] !== undefined || values.unpatched) {
      throw new CliError('--blob-address and --unpatched go with --profile');
    }
    if (rest.length !== 1) throw new CliError(`expected one CONFIG.json\n\n${USAGE}`);
    bytes = buildFromConfig(rest[0]!);
  }
  if (values.output !== undefined) writeOutput(values.output, bytes);
  else process.stdout.write(`${bytesToHex(bytes)}\n`);
  return 0;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      output: { type: 'string', short: 'o' },
      profile: { type: 'string' },
      'blob-address': { type: 'string' },
      unpatched: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

export default { run } satisfies CommandModule;
