// Checks a record before it leaves for a VM (qemu-vmm.md §8, §19 item 13; NEWER-QEMU.md):
// QEMU aborts on invalid base64, consumes the ack and blocks the source forever on an empty
// record or one whose Block Status is 0, refuses records over 1024 bytes, and accepts malformed
// records that only the guest rejects. The first three are never sent; what the codec's lint
// says the guest would reject is refused unless `force`.

import {
  base64ToBytes,
  bytesToBase64,
  HestNotificationType,
  type LintFinding,
  type LinuxAcceptance,
  linuxAcceptance,
  type StatusBlockContext,
} from '../codec/index.js';
import { InjectError } from './errors.js';

/** QEMU's limit for one record (`ACPI_GHES_MAX_RAW_DATA_LENGTH`, §8 step 1). */
export const QEMU_RECORD_LIMIT = 1024;

/** The QMP source of QEMU ≥ 10.2 `virt` (source 1, GHESv2, GPIO, 1024-byte block). */
export const QMP_SOURCE_CONTEXT: StatusBlockContext = {
  errorBlockLength: 1024,
  notificationType: HestNotificationType.GpioSignal,
  ghesVersion: 2,
  sourceId: 1,
};

export interface ValidateOptions {
  /** Largest record the source takes (default 1024). */
  readonly limit?: number;
  /** The source as the guest sees it, for the lint (default QEMU's QMP source). */
  readonly context?: StatusBlockContext;
  /** Send even what the lint says the guest rejects (never empty, status 0 or too big). */
  readonly force?: boolean;
}

export interface ValidatedPayload {
  readonly bytes: Uint8Array;
  /** What QEMU's `inject-ghes-v2-error` gets: base64 we produced ourselves. */
  readonly base64: string;
  readonly acceptance: LinuxAcceptance;
  /** Lint findings of severity error or warning (info omitted). */
  readonly findings: readonly LintFinding[];
  /** True when the record was let through only because of `force`. */
  readonly forced: boolean;
}

/** Lint consequences that mean the guest does not take the record as sent. */
const REJECTING = new Set(['ignored-never-acked', 'rejected-acked', 'hest-rejected']);

export function validatePayload(
  bytes: Uint8Array,
  options: ValidateOptions = {},
): ValidatedPayload {
  const limit = options.limit ?? QEMU_RECORD_LIMIT;
  if (bytes.length === 0)
    throw new InjectError(
      'empty',
      'Cannot inject an empty record: QEMU would clear the ack and the guest would never acknowledge it',
      { offset: 0 },
    );
  if (bytes.length < 4)
    throw new InjectError(
      'empty',
      `Cannot inject a ${bytes.length}-byte record: shorter than Block Status`,
      { offset: 0 },
    );
  const blockStatus = (bytes[0]! | (bytes[1]! << 8) | (bytes[2]! << 16) | (bytes[3]! << 24)) >>> 0;
  if (blockStatus === 0)
    throw new InjectError(
      'block-status-zero',
      'Cannot inject a record whose block_status is 0: the guest ignores it and never acknowledges, so the source stays blocked until the guest reboots',
      { offset: 0 },
    );
  if (bytes.length > limit)
    throw new InjectError(
      'too-big',
      `Cannot inject a ${bytes.length}-byte record: the source takes at most ${limit} bytes`,
      { offset: limit },
    );
  const context = options.context ?? QMP_SOURCE_CONTEXT;
  const acceptance = linuxAcceptance(bytes, context);
  const findings = acceptance.findings.filter((f) => f.severity !== 'info');
  const rejecting = findings.filter(
    (f) => f.severity === 'error' && REJECTING.has(f.consequence.kind),
  );
  const rejected = rejecting.length > 0 || !acceptance.accepted;
  if (rejected && options.force !== true) {
    const first = rejecting[0] ?? findings[0];
    const why =
      first === undefined
        ? 'the guest would not accept it'
        : `${first.message !== '' ? first.message : first.code}${first.detail === undefined ? '' : ` (${first.detail})`}${first.offset === undefined ? '' : ` at offset 0x${first.offset.toString(16)}`}`;
    throw new InjectError(
      'guest-rejects',
      `Cannot inject: the guest would reject this record: ${why}; use --force to send it anyway`,
      first?.offset === undefined ? undefined : { offset: first.offset },
    );
  }
  return { bytes, base64: bytesToBase64(bytes), acceptance, findings, forced: rejected };
}

/** Parses base64 the user gave, strictly; never passes the text itself on to QEMU. */
export function bytesFromBase64(text: string): Uint8Array {
  try {
    return base64ToBytes(text, 'base64 record');
  } catch (cause) {
    const offset = (cause as { offset?: number }).offset;
    throw new InjectError('bad-base64', `Cannot inject: ${(cause as Error).message}`, {
      cause,
      ...(offset === undefined ? {} : { offset }),
    });
  }
}
