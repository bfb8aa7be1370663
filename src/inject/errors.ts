// Errors of `vras inject`: each carries a code the CLI, the batch report and the tests act on.

export const InjectErrorCode = {
  /** An option is missing, unknown or has a value that cannot be parsed. */
  Usage: 'usage',
  /** The record is empty: QEMU would consume the ack and write nothing (qemu-vmm.md §19 13b). */
  Empty: 'empty',
  /** Block Status is 0: the guest ignores the block and never acks, the source blocks forever. */
  BlockStatusZero: 'block-status-zero',
  /** Longer than the source's limit (QEMU: 1024 bytes, `GHES CPER record is too big`). */
  TooBig: 'too-big',
  /** The codec's lint says the guest would reject the record (override with --force). */
  GuestRejects: 'guest-rejects',
  /** Text given as base64 is not valid base64 (QEMU aborts on invalid base64). */
  BadBase64: 'bad-base64',
  /** The QMP connection could not be made, or it broke (QEMU gone, socket busy). */
  Connection: 'connection',
  /** QEMU refused the command (no inject command, previous record not acked, …). */
  Refused: 'refused',
  /** The guest did not acknowledge a record within the timeout. */
  NoAck: 'no-ack',
  /** The shared-memory target could not find or use the error source. */
  Memory: 'memory',
} as const;
export type InjectErrorCode = (typeof InjectErrorCode)[keyof typeof InjectErrorCode];

export class InjectError extends Error {
  readonly code: InjectErrorCode;
  /** Byte offset in the record the error is about, when there is one. */
  readonly offset: number | undefined;
  constructor(
    code: InjectErrorCode,
    message: string,
    options?: { cause?: unknown; offset?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'InjectError';
    this.code = code;
    this.offset = options?.offset;
  }
}
