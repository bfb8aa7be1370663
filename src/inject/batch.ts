// Delivers records one after another on one target: each is validated before it leaves, sent
// only after the guest acknowledged the previous one (the rest wait in order), and timed. On the
// first failure the batch stops and reports exactly which records were delivered.

import { InjectError } from './errors.js';
import type { InjectTarget } from './targets.js';
import { validatePayload } from './validate.js';

export interface BatchRecord {
  /** Where the record came from (a JSONL line number, a file name), for messages. */
  readonly label: string;
  readonly bytes: Uint8Array;
}

export interface DeliveredRecord {
  readonly index: number;
  readonly label: string;
  readonly length: number;
  /** Host ms for the send (QMP round trip or memory writes). */
  readonly sendMs: number;
  /** Host ms from the send to the guest's acknowledgement; undefined when not watched. */
  readonly ackMs: number | undefined;
  readonly forced: boolean;
}

export interface BatchFailure {
  readonly index: number;
  readonly label: string;
  readonly code: string;
  readonly message: string;
}

export interface BatchReport {
  readonly target: string;
  readonly delivered: readonly DeliveredRecord[];
  /** Set when the batch stopped early. */
  readonly failure?: BatchFailure;
  /** Records never attempted after a failure. */
  readonly notAttempted: number;
  readonly wallMs: number;
}

export interface BatchOptions {
  readonly force?: boolean;
  readonly ackTimeoutMs?: number;
  /** Called after each record (for streaming output). */
  readonly onDelivered?: (record: DeliveredRecord) => void;
}

/** Validates every record first (nothing is sent when any is invalid), then delivers in order. */
export async function deliverBatch(
  target: InjectTarget,
  records: readonly BatchRecord[],
  options: BatchOptions = {},
): Promise<BatchReport> {
  const started = performance.now();
  const validated = records.map((r, index) => {
    try {
      return validatePayload(r.bytes, {
        context: target.context,
        limit: target.limit,
        ...(options.force === undefined ? {} : { force: options.force }),
      });
    } catch (e) {
      if (e instanceof InjectError)
        throw new InjectError(e.code, `record ${index} (${r.label}): ${e.message}`, {
          cause: e,
          ...(e.offset === undefined ? {} : { offset: e.offset }),
        });
      throw e;
    }
  });
  const delivered: DeliveredRecord[] = [];
  for (const [index, v] of validated.entries()) {
    const label = records[index]!.label;
    try {
      const t = await target.deliver(v.bytes, v.base64, options.ackTimeoutMs ?? 5000);
      const d: DeliveredRecord = {
        index,
        label,
        length: v.bytes.length,
        sendMs: t.sendMs,
        ackMs: t.ackMs,
        forced: v.forced,
      };
      delivered.push(d);
      options.onDelivered?.(d);
    } catch (e) {
      const err =
        e instanceof InjectError
          ? e
          : new InjectError('refused', (e as Error).message, { cause: e });
      return {
        target: target.description,
        delivered,
        failure: { index, label, code: err.code, message: err.message },
        notAttempted: records.length - index - 1,
        wallMs: performance.now() - started,
      };
    }
  }
  return {
    target: target.description,
    delivered,
    notAttempted: 0,
    wallMs: performance.now() - started,
  };
}
