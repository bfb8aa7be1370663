// ACPICA's iasl as an independent oracle for ACPI tables: `iasl -d` disassembles a binary table
// into `[HexOffset DecimalOffset ByteLength]  FieldName : FieldValue` lines, and compiling that
// disassembly back gives ACPICA's own encoding of the same fields. Also holds the HEST fixtures
// the codec tests and the iasl cross-check share.
//
// iasl comes from the `acpica-tools` package (.ci/run installs it). Without it, tests fail when
// CI=true and are skipped with a message otherwise.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import {
  ghesSource,
  ghesV2Source,
  type Hest,
  type HestMachineCheckBank,
  hestNotification,
} from '../../src/codec/index.js';

export const IASL_MISSING =
  'iasl not found: apt-get install acpica-tools (the iasl cross-check is skipped outside CI)';

let available: boolean | undefined;

export function iaslAvailable(): boolean {
  if (available === undefined) {
    const r = spawnSync('iasl', ['-v'], { encoding: 'utf8' });
    available = r.error === undefined && /ACPI|iasl|Intel/i.test(`${r.stdout}${r.stderr}`);
  }
  return available;
}

/**
 * Returns true when iasl can run. Otherwise fails the test under CI=true and skips it (with
 * the install hint) elsewhere.
 */
export function requireIasl(t: TestContext): boolean {
  if (iaslAvailable()) return true;
  if (process.env.CI === 'true') throw new Error(IASL_MISSING);
  t.skip(IASL_MISSING);
  return false;
}

/** One `[off dec len] Field : Value` line of a disassembly. */
export interface IaslField {
  readonly offset: number;
  readonly length: number;
  readonly name: string;
  /** The value text without the trailing `[annotation]`: `"HEST"`, `0000000043DA0000`, … */
  readonly value: string;
  /** The bracketed annotation iasl adds (`SEA`, `Generic Address Structure`), if any. */
  readonly annotation: string | undefined;
}

export interface IaslDisassembly {
  readonly text: string;
  readonly fields: IaslField[];
  /** iasl's error/warning lines (stdout and stderr), for assertions that there are none. */
  readonly problems: string[];
  readonly status: number | null;
}

const FIELD_LINE = /^\[([0-9A-F]+)h ([0-9]+) +([0-9]+)\]\s+(.*?)\s+:\s?(.*)$/;

export function parseIaslFields(text: string): IaslField[] {
  const fields: IaslField[] = [];
  for (const line of text.split('\n')) {
    const m = FIELD_LINE.exec(line.trim());
    if (!m) continue;
    const raw = m[5]!.trim();
    const ann = /^(.*?)\s*\[(.*)\]$/.exec(raw);
    const value = ann && !raw.startsWith('[') ? ann[1]! : raw;
    const annotation = ann ? ann[2] : undefined;
    const offset = Number.parseInt(m[1]!, 16);
    if (offset !== Number(m[2])) throw new Error(`iasl offsets disagree in line: ${line}`);
    fields.push({ offset, length: Number(m[3]), name: m[4]!, value, annotation });
  }
  return fields;
}

function problemsOf(output: string): string[] {
  return output
    .split('\n')
    .filter((l) => /\b(Error|Warning)\b\s+\d+|Invalid|unknown/i.test(l))
    .map((l) => l.trim());
}

/** Runs `iasl -d` on a temporary copy of `bytes` and parses the result. */
export function iaslDisassemble(bytes: Uint8Array, signature = 'HEST'): IaslDisassembly {
  const dir = mkdtempSync(join(tmpdir(), 'vras-iasl-'));
  try {
    const file = join(dir, `${signature.toLowerCase()}.dat`);
    writeFileSync(file, bytes);
    const r = spawnSync('iasl', ['-d', file], { cwd: dir, encoding: 'utf8' });
    const text = readFileSync(join(dir, `${signature.toLowerCase()}.dsl`), 'utf8');
    return {
      text,
      fields: parseIaslFields(text),
      problems: problemsOf(`${r.stdout}\n${r.stderr}`),
      status: r.status,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Compiles a data-table source (e.g. a disassembly) with iasl; returns the table bytes. */
export function iaslCompile(source: string): { bytes: Uint8Array; problems: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'vras-iasl-'));
  try {
    const file = join(dir, 'table.dsl');
    writeFileSync(file, source);
    const r = spawnSync('iasl', ['-p', join(dir, 'out'), file], { cwd: dir, encoding: 'utf8' });
    const problems = problemsOf(`${r.stdout}\n${r.stderr}`);
    if (r.status !== 0) throw new Error(`iasl failed (${r.status}): ${problems.join('; ')}`);
    const data = readFileSync(join(dir, 'out.aml'));
    return { bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), problems };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- HEST fixtures shared by src/codec/hest.test.ts and test/iasl.test.ts ----

function bank(n: number): HestMachineCheckBank {
  return {
    bankNumber: n,
    clearStatusOnInit: 1,
    statusDataFormat: 2,
    reserved: 0,
    controlRegisterMsrAddress: 0x400 + n,
    controlInitData: 0xffffffffffffffffn,
    statusRegisterMsrAddress: 0x401 + n,
    addressRegisterMsrAddress: 0x402 + n,
    miscRegisterMsrAddress: 0x403 + n,
  };
}

const AER_COMMON = {
  reserved1: 0,
  flags: 1,
  enabled: 1,
  recordsToPreallocate: 1,
  maxSectionsPerRecord: 1,
  bus: 0x10002,
  device: 3,
  function: 4,
  deviceControl: 5,
  reserved2: 0,
  uncorrectableErrorMask: 6,
  uncorrectableErrorSeverity: 7,
  correctableErrorMask: 8,
  advancedErrorCapabilities: 9,
} as const;

/**
 * One source of every type 0–2 and 6–11, with MCE banks. The creator id/revision are iasl's
 * own (`INTL` 20200925) so that iasl recompiling its disassembly gives identical bytes.
 * AER flags stay 0 or 1: iasl 20200925 decodes the AER Global flag from bit 0, so any other
 * value does not survive its disassemble/compile round trip.
 */
export const HEST_ALL_TYPES: Hest = {
  header: {
    signature: 'HEST',
    revision: 1,
    oemId: 'VRAS  ',
    oemTableId: 'ALLTYPES',
    oemRevision: 2,
    creatorId: 'INTL',
    creatorRevision: 0x20200925,
  },
  sources: [
    {
      type: 0,
      sourceId: 0x10,
      reserved1: 0,
      flags: 5,
      enabled: 1,
      recordsToPreallocate: 2,
      maxSectionsPerRecord: 3,
      globalCapabilityInitData: 0x1122334455667788n,
      globalControlInitData: 0x8877665544332211n,
      reserved2: new Uint8Array(7),
      banks: [bank(7), bank(8)],
    },
    {
      type: 1,
      sourceId: 0x11,
      reserved1: 0,
      flags: 1,
      enabled: 1,
      recordsToPreallocate: 4,
      maxSectionsPerRecord: 5,
      notification: {
        type: 5,
        configurationWriteEnable: 0x3f,
        pollInterval: 100,
        vector: 0x21,
        switchToPollingThresholdValue: 3,
        switchToPollingThresholdWindow: 4,
        errorThresholdValue: 5,
        errorThresholdWindow: 6,
      },
      reserved2: new Uint8Array(3),
      banks: [bank(2)],
    },
    {
      type: 2,
      sourceId: 0x12,
      reserved: 0,
      recordsToPreallocate: 6,
      maxSectionsPerRecord: 7,
      maxRawDataLength: 0x1000,
    },
    { type: 6, sourceId: 0x13, ...AER_COMMON, rootErrorCommand: 10 },
    { type: 7, sourceId: 0x14, ...AER_COMMON, flags: 0, enabled: 0 },
    {
      type: 8,
      sourceId: 0x15,
      ...AER_COMMON,
      secondaryUncorrectableErrorMask: 0x28,
      secondaryUncorrectableErrorSeverity: 0x29,
      secondaryAdvancedCapabilities: 0x2a,
    },
    ghesSource({
      sourceId: 0x16,
      notification: { ...hestNotification(0), pollInterval: 1000 },
      errorStatusAddress: 0x80001000n,
      errorStatusBlockLength: 0x1000,
    }),
    ghesV2Source({
      sourceId: 0x17,
      notification: { ...hestNotification(11), vector: 3 },
      errorStatusAddress: 0x80002000n,
      readAckAddress: 0x80002008n,
    }),
    {
      type: 11,
      sourceId: 0x18,
      reserved1: 0,
      flags: 4,
      enabled: 1,
      recordsToPreallocate: 1,
      maxSectionsPerRecord: 1,
      notification: hestNotification(6),
      reserved2: new Uint8Array(3),
      banks: [],
    },
  ],
};

/** A table of `count` sources of one GHES version, one per notification type from 0. */
export function hestEveryNotification(version: 1 | 2, count = 12): Hest {
  const sources = Array.from({ length: count }, (_, i) => {
    const base = 0x90000000n + BigInt(i) * 0x1000n;
    const options = {
      sourceId: i,
      notification: { ...hestNotification(i), pollInterval: i === 0 ? 1000 : 0, vector: i },
      errorStatusAddress: base,
    };
    return version === 1
      ? ghesSource(options)
      : ghesV2Source({ ...options, readAckAddress: base + 8n });
  });
  return {
    header: {
      signature: 'HEST',
      revision: 1,
      oemId: 'VRAS  ',
      oemTableId: version === 1 ? 'GHESV1  ' : 'GHESV2  ',
      oemRevision: 1,
      creatorId: 'INTL',
      creatorRevision: 0x20200925,
    },
    sources,
  };
}
