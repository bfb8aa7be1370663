// Records for `vras inject` from named options: a Platform Memory error (UEFI 2.10 N.2.5) and an
// ARM Processor error (N.2.4.4) with every option of QEMU's `scripts/ghes_inject.py arm`
// (qemu-vmm.md §15), wrapped in one Generic Error Data Entry (ACPI 6.5 §18.3.2.7.1, 72-byte form
// as QEMU writes) inside a Generic Error Status Block. Unlike the script, every value given is
// encoded (MPIDR, affinity level, PSCI state, GEDE flags — §19 item 14), a short FRU text is
// NUL-padded to 20 bytes, raw data sits after the entries at Raw Data Offset, and Block Status
// carries the entry count.
//
// Option values are parsed strictly: numbers in decimal or 0x hex, names from the tables below;
// anything else is an InjectError('usage') naming the option.

import {
  ARM_PROCESSOR_SECTION_GUID,
  type ArmContextBuild,
  type ArmErrorInfoBuild,
  type ArmErrorTypeName,
  type ArmInfoFlagName,
  ArmInfoFlags,
  ArmInfoValid,
  type ArmInfoValidName,
  type ArmProcessorBuildOptions,
  ArmValid,
  type ArmValidName,
  BlockStatus,
  buildArmProcessorSection,
  CperSeverity,
  type CperTimestamp,
  cperTimestampFromParts,
  encodeGhesStatusBlock,
  FRU_TEXT_SIZE,
  type GenericErrorDataEntry,
  GenericErrorDataValid,
  type GhesStatusBlock,
  type Guid,
  genericErrorDataEntry,
  ghesStatusBlock,
  hexToBytes,
  isGuid,
  MEMORY_SECTION_GUID,
  MemoryErrorType,
  MemoryValid,
  memoryErrorSection,
  parseUnsignedText,
  type SectionBody,
  SectionFlag,
} from '../codec/index.js';
import { InjectError } from './errors.js';

// ---- value parsers ----------------------------------------------------------------------------

function usage(message: string): never {
  throw new InjectError('usage', message);
}

/** Decimal or 0x-hex integer, as a bigint in [0, 2^bits). */
export function parseUnsigned(option: string, text: string, bits: number): bigint {
  const v = parseUnsignedText(option, text, bits);
  return typeof v === 'string' ? usage(v) : v;
}

function parseSmall(option: string, text: string, bits: number): number {
  return Number(parseUnsigned(option, text, bits));
}

/** A name from `table` (case-insensitive, `-`/`_` ignored) or a number. */
function parseNamed(
  option: string,
  text: string,
  table: Readonly<Record<string, number>>,
  bits: number,
): number {
  const key = text.toLowerCase().replace(/[-_ ]/g, '');
  for (const [name, value] of Object.entries(table))
    if (name.toLowerCase().replace(/[-_ ]/g, '') === key) return value;
  if (/^(0x[0-9a-fA-F]+|\d+)$/.test(text.trim())) return parseSmall(option, text, bits);
  return usage(
    `Cannot use ${option} ${JSON.stringify(text)}: expected one of ${Object.keys(table).join(', ')} or a number`,
  );
}

/** A comma-separated list of names from `table`, OR-ed; or a number. */
function parseFlags(
  option: string,
  text: string,
  table: Readonly<Record<string, number>>,
  bits: number,
): number {
  if (/^(0x[0-9a-fA-F]+|\d+)$/.test(text.trim())) return parseSmall(option, text, bits);
  let v = 0;
  for (const part of text.split(',')) {
    if (part.trim() === '') continue;
    v |= parseNamed(option, part.trim(), table, bits);
  }
  return v >>> 0;
}

/** Bytes as hex (`0a0b…`, spaces and colons allowed) or comma-separated byte values. */
export function parseBytes(option: string, text: string): Uint8Array {
  const t = text.trim();
  if (t.includes(',')) {
    return Uint8Array.from(t.split(',').map((p) => parseSmall(option, p, 8)));
  }
  try {
    return hexToBytes(t.replace(/^0x/, ''), option);
  } catch (cause) {
    throw new InjectError('usage', `Cannot use ${option}: ${(cause as Error).message}`, { cause });
  }
}

// ---- name tables (ghes_inject.py's spellings) ---------------------------------------------------

export const SEVERITY_NAMES: Readonly<Record<string, number>> = {
  recoverable: CperSeverity.Recoverable,
  fatal: CperSeverity.Fatal,
  corrected: CperSeverity.Corrected,
  none: CperSeverity.Informational,
  info: CperSeverity.Informational,
  informational: CperSeverity.Informational,
};

export const BLOCK_STATUS_NAMES: Readonly<Record<string, number>> = {
  uncorrectable: BlockStatus.UncorrectableValid,
  correctable: BlockStatus.CorrectableValid,
  'multi-uncorrectable': BlockStatus.MultipleUncorrectable,
  'multi-correctable': BlockStatus.MultipleCorrectable,
};

export const GEDE_VALID_NAMES: Readonly<Record<string, number>> = {
  'fru-id': GenericErrorDataValid.FruId,
  'fru-text': GenericErrorDataValid.FruText,
  timestamp: GenericErrorDataValid.Timestamp,
};

export const GEDE_FLAG_NAMES: Readonly<Record<string, number>> = {
  primary: SectionFlag.Primary,
  'containment-warning': SectionFlag.ContainmentWarning,
  reset: SectionFlag.Reset,
  'threshold-exceeded': SectionFlag.ErrorThresholdExceeded,
  'resource-not-accessible': SectionFlag.ResourceNotAccessible,
  'latent-error': SectionFlag.LatentError,
  propagated: SectionFlag.Propagated,
  overflow: SectionFlag.Overflow,
};

/**
 * ghes_inject.py's `--gedb-flags` names (qmp_helper.py `GEDB_FLAGS_BITS`): bits 0–2 named after
 * the CPER record-header flags (recovered, previous error, simulated). In the Generic Error Data
 * Entry Flags byte those bits are primary, containment-warning and reset; the script would write
 * them there (it parses the option but never applies it, qemu-vmm.md §19 item 14e). Accepted as
 * aliases of the same bits.
 */
export const GEDE_FLAG_SCRIPT_ALIASES: Readonly<Record<string, number>> = {
  recovered: SectionFlag.Primary,
  'prev-error': SectionFlag.ContainmentWarning,
  simulated: SectionFlag.Reset,
};

const GEDE_FLAG_INPUT_NAMES: Readonly<Record<string, number>> = {
  ...GEDE_FLAG_NAMES,
  ...GEDE_FLAG_SCRIPT_ALIASES,
};

const ARM_VALID_NAMES: Readonly<Record<string, number>> = {
  mpidr: ArmValid.Mpidr,
  affinity: ArmValid.AffinityLevel,
  running: ArmValid.RunningState,
  vendor: ArmValid.VendorInfo,
};

const ARM_INFO_VALID_NAMES: Readonly<Record<string, number>> = {
  'multiple-error': ArmInfoValid.MultipleError,
  flags: ArmInfoValid.Flags,
  'error-info': ArmInfoValid.ErrorInfo,
  'virt-addr': ArmInfoValid.VirtualAddress,
  'phy-addr': ArmInfoValid.PhysicalAddress,
};

const ARM_FLAG_NAMES: Readonly<Record<string, number>> = {
  first: ArmInfoFlags.First,
  last: ArmInfoFlags.Last,
  propagated: ArmInfoFlags.Propagated,
  overflow: ArmInfoFlags.Overflow,
};

const ARM_TYPE_NAMES: readonly ArmErrorTypeName[] = ['cache', 'tlb', 'bus', 'micro-arch'];

const MEMORY_ERROR_TYPE_NAMES: Readonly<Record<string, number>> = MemoryErrorType;

// ---- the generic part (status block + entry) ----------------------------------------------------

/** Options of `qmp_helper.qmp.argparse` (ghes_inject.py's generic error data options). */
export interface GenericRecordOptions {
  readonly blockStatus?: number;
  readonly errorSeverity?: number;
  readonly validationBits?: number;
  readonly fruId?: Guid;
  /** At most 20 ASCII bytes; NUL-padded. */
  readonly fruText?: string;
  readonly timestamp?: CperTimestamp;
  readonly gedeFlags?: number;
  readonly rawData?: Uint8Array;
}

/** Encodes a FRU text: ASCII, at most 20 bytes, NUL-padded to 20. */
export function fruTextBytes(text: string): Uint8Array {
  if (text.length > FRU_TEXT_SIZE)
    usage(`Cannot use --fru-text: ${text.length} characters, at most ${FRU_TEXT_SIZE}`);
  const out = new Uint8Array(FRU_TEXT_SIZE);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) usage(`Cannot use --fru-text: character ${i} is not printable ASCII`);
    out[i] = c;
  }
  return out;
}

/** `now` (from `clock`) or `YYYY-MM-DD HH:MM:SS` as a BCD CPER timestamp. */
export function parseTimestamp(text: string, precise: boolean, clock: () => Date): CperTimestamp {
  let d: { y: number; mo: number; da: number; h: number; mi: number; s: number };
  if (text === 'now') {
    const n = clock();
    d = {
      y: n.getUTCFullYear(),
      mo: n.getUTCMonth() + 1,
      da: n.getUTCDate(),
      h: n.getUTCHours(),
      mi: n.getUTCMinutes(),
      s: n.getUTCSeconds(),
    };
  } else {
    const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/.exec(text.trim());
    if (m === null)
      usage(`Cannot use --timestamp ${JSON.stringify(text)}: expected now or YYYY-MM-DD HH:MM:SS`);
    d = {
      y: Number(m[1]),
      mo: Number(m[2]),
      da: Number(m[3]),
      h: Number(m[4]),
      mi: Number(m[5]),
      s: Number(m[6]),
    };
    if (d.mo < 1 || d.mo > 12 || d.da < 1 || d.da > 31 || d.h > 23 || d.mi > 59 || d.s > 60)
      usage(`Cannot use --timestamp ${JSON.stringify(text)}: not a calendar date and time`);
  }
  return cperTimestampFromParts({
    year: d.y,
    month: d.mo,
    day: d.da,
    hours: d.h,
    minutes: d.mi,
    seconds: d.s,
    precise,
  });
}

/** One entry around `body`, then the status block. */
export function wrapSection(
  sectionType: Guid,
  body: SectionBody,
  g: GenericRecordOptions,
): GhesStatusBlock {
  const severity = g.errorSeverity ?? CperSeverity.Recoverable;
  let valid = g.validationBits;
  if (valid === undefined) {
    valid = 0;
    if (g.fruId !== undefined) valid |= GenericErrorDataValid.FruId;
    if (g.fruText !== undefined) valid |= GenericErrorDataValid.FruText;
    if (g.timestamp !== undefined) valid |= GenericErrorDataValid.Timestamp;
  }
  const entry: GenericErrorDataEntry = genericErrorDataEntry(sectionType, body, {
    errorSeverity: severity,
    validationBits: valid,
    flags: g.gedeFlags ?? 0,
    ...(g.fruId === undefined ? {} : { fruId: g.fruId }),
    ...(g.fruText === undefined ? {} : { fruText: fruTextBytes(g.fruText) }),
    ...(g.timestamp === undefined ? {} : { timestamp: g.timestamp }),
  });
  return ghesStatusBlock({
    errorSeverity: severity,
    entries: [entry],
    ...(g.blockStatus === undefined ? {} : { blockStatus: g.blockStatus }),
    ...(g.rawData === undefined ? {} : { rawData: g.rawData }),
  });
}

// ---- memory template ----------------------------------------------------------------------------

export interface MemoryTemplateOptions {
  readonly physicalAddress: bigint;
  readonly physicalAddressMask?: bigint;
  readonly errorType?: number;
  readonly errorStatus?: bigint;
  readonly node?: number;
  readonly card?: number;
  readonly module?: number;
  readonly bank?: number;
  readonly device?: number;
  readonly row?: number;
  readonly column?: number;
  readonly bitPosition?: number;
  /** Explicit validation bits; by default every field given plus PA and error type. */
  readonly validationBits?: bigint;
}

export function memoryTemplateSection(o: MemoryTemplateOptions): SectionBody {
  let valid = o.validationBits;
  if (valid === undefined) {
    valid = MemoryValid.PhysicalAddress | MemoryValid.ErrorType;
    const bits: [unknown, bigint][] = [
      [o.errorStatus, MemoryValid.ErrorStatus],
      [o.physicalAddressMask, MemoryValid.PhysicalAddressMask],
      [o.node, MemoryValid.Node],
      [o.card, MemoryValid.Card],
      [o.module, MemoryValid.Module],
      [o.bank, MemoryValid.Bank],
      [o.device, MemoryValid.Device],
      [o.row, MemoryValid.Row],
      [o.column, MemoryValid.Column],
      [o.bitPosition, MemoryValid.BitPosition],
    ];
    for (const [v, bit] of bits) if (v !== undefined) valid |= bit;
  }
  return memoryErrorSection({
    validationBits: valid,
    physicalAddress: o.physicalAddress,
    errorType: o.errorType ?? MemoryErrorType.MultiBitEcc,
    ...(o.errorStatus === undefined ? {} : { errorStatus: o.errorStatus }),
    ...(o.physicalAddressMask === undefined ? {} : { physicalAddressMask: o.physicalAddressMask }),
    ...(o.node === undefined ? {} : { node: o.node }),
    ...(o.card === undefined ? {} : { card: o.card }),
    ...(o.module === undefined ? {} : { module: o.module }),
    ...(o.bank === undefined ? {} : { bank: o.bank }),
    ...(o.device === undefined ? {} : { device: o.device }),
    ...(o.row === undefined ? {} : { row: o.row }),
    ...(o.column === undefined ? {} : { column: o.column }),
    ...(o.bitPosition === undefined ? {} : { bitPosition: o.bitPosition }),
  });
}

// ---- argv → request ------------------------------------------------------------------------------

/** What to inject: a template with its options, or bytes from elsewhere. */
export type RecordSource =
  | {
      readonly kind: 'memory';
      readonly generic: GenericRecordOptions;
      readonly memory: MemoryTemplateOptions;
    }
  | {
      readonly kind: 'arm';
      readonly generic: GenericRecordOptions;
      readonly arm: ArmProcessorBuildOptions;
    };

export interface TemplateParseOptions {
  /** Clock for `--timestamp now` (the only place a clock is read). */
  readonly clock?: () => Date;
}

interface ArgCursor {
  readonly argv: readonly string[];
  i: number;
}

function value(c: ArgCursor, option: string): string {
  const v = c.argv[++c.i];
  if (v === undefined) usage(`${option} needs a value`);
  return v;
}

/** Parses `memory …` or `arm …` template arguments (after the template name). */
export function parseTemplate(
  kind: 'memory' | 'arm',
  argv: readonly string[],
  options: TemplateParseOptions = {},
): RecordSource {
  const clock = options.clock ?? (() => new Date());
  const c: ArgCursor = { argv, i: -1 };
  const g: {
    -readonly [K in keyof GenericRecordOptions]: GenericRecordOptions[K];
  } = {};
  let timestampText: string | undefined;
  let precise = false;
  const mem: { -readonly [K in keyof MemoryTemplateOptions]?: MemoryTemplateOptions[K] } = {};
  const arm: { -readonly [K in keyof ArmProcessorBuildOptions]: ArmProcessorBuildOptions[K] } = {};
  const types: (ArmErrorTypeName[] | number)[] = [];
  const perEntry: { [k: string]: string[] } = { V: [], m: [], f: [], e: [], v: [], p: [] };
  const ctx: { type: string[]; size: string[]; array: string[] } = {
    type: [],
    size: [],
    array: [],
  };
  while (++c.i < argv.length) {
    const a = argv[c.i]!;
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const name = eq > 0 ? a.slice(0, eq) : a;
    const take = (): string => (eq > 0 ? a.slice(eq + 1) : value(c, name));
    // ghes_inject.py's list options take several values after one flag (`-t cache tlb`).
    const takeAll = (): string[] => {
      const out = [take()];
      if (eq > 0) return out;
      while (c.i + 1 < argv.length && !argv[c.i + 1]!.startsWith('-')) out.push(argv[++c.i]!);
      return out;
    };
    switch (name) {
      // generic error data (both templates)
      case '--block-status':
        g.blockStatus = parseFlags(name, take(), BLOCK_STATUS_NAMES, 32);
        break;
      case '--error-severity':
      case '--severity':
        g.errorSeverity = parseNamed(name, take(), SEVERITY_NAMES, 32);
        break;
      case '--gen-err-valid-bits':
      case '--generic-error-validation-bits':
        g.validationBits = parseFlags(name, take(), GEDE_VALID_NAMES, 8);
        break;
      case '--fru-id': {
        const t = take().toLowerCase();
        if (!isGuid(t)) usage(`Cannot use --fru-id ${JSON.stringify(t)}: not a GUID`);
        g.fruId = t;
        break;
      }
      case '--fru-text':
        g.fruText = take();
        fruTextBytes(g.fruText);
        break;
      case '--timestamp':
        timestampText = take();
        break;
      case '--precise':
      case '--precise-timestamp':
        precise = true;
        break;
      case '--gedb-flags':
      case '--gede-flags':
        g.gedeFlags = parseFlags(name, take(), GEDE_FLAG_INPUT_NAMES, 8);
        break;
      case '--raw-data':
        g.rawData = concatBytes(takeAll().map((t) => parseBytes(name, t)));
        break;
      default:
        if (kind === 'memory') parseMemoryOption(name, take, mem);
        else parseArmOption(name, take, takeAll, a, arm, types, perEntry, ctx);
    }
  }
  if (timestampText !== undefined) g.timestamp = parseTimestamp(timestampText, precise, clock);
  else if (precise) usage('--precise needs --timestamp');
  if (kind === 'memory') {
    if (mem.physicalAddress === undefined) usage('memory: --pa is required');
    return { kind, generic: g, memory: mem as MemoryTemplateOptions };
  }
  const count = Math.max(1, types.length);
  for (const [k, list] of Object.entries(perEntry))
    if (list.length > count)
      usage(`arm: ${list.length} values of -${k} for ${count} error-information entries`);
  const errors: ArmErrorInfoBuild[] = [];
  for (let i = 0; i < count; i++) {
    const e: { -readonly [K in keyof ArmErrorInfoBuild]: ArmErrorInfoBuild[K] } = {};
    const t = types[i];
    if (t !== undefined) e.type = t;
    const V = perEntry.V![i];
    if (V !== undefined)
      e.validation = parseFlags('-V', V, ARM_INFO_VALID_NAMES, 16) as number as ArmInfoValidName[] &
        number;
    const m = perEntry.m![i];
    if (m !== undefined) e.multipleError = parseSmall('-m', m, 16);
    const f = perEntry.f![i];
    if (f !== undefined)
      e.flags = parseFlags('-f', f, ARM_FLAG_NAMES, 8) as number as ArmInfoFlagName[] & number;
    const ei = perEntry.e![i];
    if (ei !== undefined) e.errorInfo = parseUnsigned('-e', ei, 64);
    const v = perEntry.v![i];
    if (v !== undefined) e.virtualAddress = parseUnsigned('-v', v, 64);
    const p = perEntry.p![i];
    if (p !== undefined) e.physicalAddress = parseUnsigned('-p', p, 64);
    errors.push(e);
  }
  arm.errors = errors;
  const nctx = Math.max(ctx.type.length, ctx.size.length, ctx.array.length);
  if (nctx > 0) {
    const contexts: ArmContextBuild[] = [];
    for (let i = 0; i < nctx; i++) {
      const b: { -readonly [K in keyof ArmContextBuild]: ArmContextBuild[K] } = {};
      const t = ctx.type[i];
      if (t !== undefined) b.type = parseSmall('--ctx-type', t, 16);
      const s = ctx.size[i];
      if (s !== undefined) b.minimalSize = parseSmall('--ctx-size', s, 16);
      const arr = ctx.array[i];
      if (arr !== undefined)
        b.registers = arr
          .split(',')
          .filter((x) => x.trim() !== '')
          .map((x) => parseUnsigned('--ctx-array', x, 64));
      contexts.push(b);
    }
    arm.contexts = contexts;
  }
  return { kind, generic: g, arm };
}

function parseMemoryOption(
  name: string,
  take: () => string,
  mem: { -readonly [K in keyof MemoryTemplateOptions]?: MemoryTemplateOptions[K] },
): void {
  switch (name) {
    case '--pa':
    case '--physical-address':
      mem.physicalAddress = parseUnsigned(name, take(), 64);
      return;
    case '--pa-mask':
      mem.physicalAddressMask = parseUnsigned(name, take(), 64);
      return;
    case '--error-type':
      mem.errorType = parseNamed(name, take(), MEMORY_ERROR_TYPE_NAMES, 8);
      return;
    case '--error-status':
      mem.errorStatus = parseUnsigned(name, take(), 64);
      return;
    case '--node':
      mem.node = parseSmall(name, take(), 16);
      return;
    case '--card':
      mem.card = parseSmall(name, take(), 16);
      return;
    case '--module':
      mem.module = parseSmall(name, take(), 16);
      return;
    case '--bank':
      mem.bank = parseSmall(name, take(), 16);
      return;
    case '--device':
      mem.device = parseSmall(name, take(), 16);
      return;
    case '--row':
      mem.row = parseSmall(name, take(), 16);
      return;
    case '--column':
      mem.column = parseSmall(name, take(), 16);
      return;
    case '--bit-position':
      mem.bitPosition = parseSmall(name, take(), 16);
      return;
    case '--mem-valid':
      mem.validationBits = parseUnsigned(name, take(), 64);
      return;
    default:
      usage(`memory: unknown option ${name}`);
  }
}

function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * One `arm` option. The spellings and aliases are ghes_inject.py's; list options (`-t`, `-V`,
 * `-m`, `-f`, `-e`, `-v`, `-p`, `--ctx-*`, `--vendor`) take one value per error-information
 * entry (or context), given either as repeated flags or as several values after one flag.
 */
function parseArmOption(
  name: string,
  take: () => string,
  takeAll: () => string[],
  raw: string,
  arm: { -readonly [K in keyof ArmProcessorBuildOptions]: ArmProcessorBuildOptions[K] },
  types: (ArmErrorTypeName[] | number)[],
  perEntry: { [k: string]: string[] },
  ctx: { type: string[]; size: string[]; array: string[] },
): void {
  switch (name) {
    case '--arm':
    case '--arm-valid':
      arm.validation = parseFlags(name, take(), ARM_VALID_NAMES, 32) as number as ArmValidName[] &
        number;
      return;
    case '-a':
    case '--affinity':
    case '--level':
    case '--affinity-level':
      arm.affinityLevel = parseSmall(name, take(), 8);
      return;
    case '-l':
    case '--mpidr':
      arm.mpidr = parseUnsigned(name, take(), 64);
      return;
    case '-i':
    case '--midr':
      arm.midr = parseUnsigned(name, take(), 64);
      return;
    case '-r':
    case '--running':
      arm.running = true;
      return;
    case '--no-running':
      arm.running = false;
      return;
    case '--psci':
    case '--psci-state':
      arm.psciState = parseSmall(name, take(), 32);
      return;
    case '-t':
    case '--type':
      for (const t of takeAll()) {
        if (/^(0x[0-9a-fA-F]+|\d+)$/.test(t)) types.push(parseSmall(name, t, 8));
        else {
          const names = t.split(',').map((x) => x.trim());
          for (const n of names)
            if (!ARM_TYPE_NAMES.includes(n as ArmErrorTypeName))
              usage(
                `Cannot use ${name} ${JSON.stringify(n)}: expected ${ARM_TYPE_NAMES.join(', ')}`,
              );
          types.push(names as ArmErrorTypeName[]);
        }
      }
      return;
    case '-V':
    case '--validation':
    case '--pei-valid':
    case '--error-valid':
      perEntry.V!.push(...takeAll());
      return;
    case '-m':
    case '--multiple-error':
      perEntry.m!.push(...takeAll());
      return;
    case '-f':
    case '--flags':
      perEntry.f!.push(...takeAll());
      return;
    case '-e':
    case '--error':
    case '--error-info':
      perEntry.e!.push(...takeAll());
      return;
    case '-v':
    case '--virt-addr':
    case '--virtual-address':
      perEntry.v!.push(...takeAll());
      return;
    case '-p':
    case '--phy-addr':
    case '--physical-address':
      perEntry.p!.push(...takeAll());
      return;
    case '--ctx-type':
    case '--context-type':
      ctx.type.push(...takeAll());
      return;
    case '--ctx-size':
    case '--context-size':
      ctx.size.push(...takeAll());
      return;
    case '--ctx-array':
    case '--context-array':
      ctx.array.push(...takeAll());
      return;
    case '--vendor':
    case '--vendor-specific':
      arm.vendor = concatBytes([
        ...(arm.vendor === undefined ? [] : [arm.vendor]),
        ...takeAll().map((t) => parseBytes(name, t)),
      ]);
      return;
    default:
      usage(`arm: unknown option ${raw}`);
  }
}

/** The status block a template describes. */
export function templateBlock(source: RecordSource): GhesStatusBlock {
  if (source.kind === 'memory')
    return wrapSection(MEMORY_SECTION_GUID, memoryTemplateSection(source.memory), source.generic);
  return wrapSection(
    ARM_PROCESSOR_SECTION_GUID,
    buildArmProcessorSection(source.arm) as unknown as SectionBody,
    source.generic,
  );
}

/** The record bytes a template describes. */
export function templateBytes(source: RecordSource): Uint8Array {
  return encodeGhesStatusBlock(templateBlock(source));
}

/**
 * Turns a JSON object (one JSONL line of a batch) into template arguments: `template` is the
 * template name, every other key an option (`"pa": "0x1000"` → `--pa 0x1000`; one-letter keys
 * get one dash; `true` is a flag; an array repeats the option).
 */
export function objectToArgs(obj: Readonly<Record<string, unknown>>): {
  template: string | undefined;
  args: string[];
} {
  const args: string[] = [];
  let template: string | undefined;
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'template') {
      if (typeof v !== 'string') usage('"template" must be a string');
      template = v;
      continue;
    }
    const opt = k.length === 1 ? `-${k}` : `--${k}`;
    const values = Array.isArray(v) ? v : [v];
    for (const x of values) {
      if (x === true) args.push(opt);
      else if (x === false || x === null) continue;
      else if (typeof x === 'string' || typeof x === 'number' || typeof x === 'bigint')
        args.push(opt, String(x));
      else usage(`Cannot use "${k}": expected a string, number, boolean or array of them`);
    }
  }
  return { template, args };
}
