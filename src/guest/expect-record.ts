// Waiting for one record's `{N}[Hardware Error]: ` lines on a guest console and comparing them
// with the codec's Linux printer for the guest's kernel (linux-format.ts). Shared by the
// real-guest scenarios and `vras inject`'s guest.

import type { KernelVersion } from '../codec/index.js';
import { type Console, type ConsoleLine, hardwareErrorRecords } from './console.js';
import { GuestError } from './errors.js';
import { expectedHardwareErrorLines } from './records.js';

export interface ExpectRecordOptions {
  /** The guest's kernel (default '6.1'): the codec prints as it does. */
  readonly kernel?: KernelVersion;
  readonly timeoutMs?: number;
  /** The record may panic the guest (fatal severity). */
  readonly allowPanic?: boolean;
}

/** Throws GuestError `mismatch` naming the first line that differs. */
export function assertLines(
  got: readonly string[],
  expected: readonly string[],
  what: string,
): void {
  const n = Math.max(got.length, expected.length);
  for (let i = 0; i < n; i++) {
    if (got[i] !== expected[i]) {
      throw new GuestError(
        'mismatch',
        `${what}: line ${i} differs\n  guest: ${got[i] ?? '(none)'}\n  codec: ${expected[i] ?? '(none)'}`,
      );
    }
  }
}

/**
 * Waits for the record printed from `sourceId` after console line `from`, checks every line
 * against the codec's expectation, and resolves with its sequence number and first line.
 */
export async function expectRecordPrinted(
  console: Console,
  record: Uint8Array,
  sourceId: number,
  from: number,
  options: ExpectRecordOptions = {},
): Promise<{ readonly seq: number; readonly first: ConsoleLine }> {
  const allowPanic = options.allowPanic ?? false;
  const header = `Hardware error from APEI Generic Hardware Error Source: ${sourceId}`;
  const first = await console.waitFor(
    (l) => /^\{\d+\}\[Hardware Error\]: /.test(l.text) && l.text.endsWith(header),
    {
      timeoutMs: options.timeoutMs ?? 4000,
      from,
      allowPanic,
      what: `the record header from source ${sourceId}`,
    },
  );
  const seq = Number(/^\{(\d+)\}/.exec(first.text)![1]);
  const expected = expectedHardwareErrorLines(record, sourceId, seq, {
    kernel: options.kernel ?? '6.1',
  });
  const prefix = `{${seq}}[Hardware Error]: `;
  let count = 0;
  await console.waitFor((l) => l.text.startsWith(prefix) && ++count >= expected.length, {
    timeoutMs: 2000,
    from: first.index,
    allowPanic,
    what: `the last line of record {${seq}}`,
  });
  const got = hardwareErrorRecords(console.lines.slice(first.index)).find((r) => r.seq === seq);
  if (got === undefined) throw new GuestError('mismatch', `record {${seq}} vanished`);
  assertLines(got.lines, expected, `record {${seq}} from source ${sourceId}`);
  return { seq, first };
}
