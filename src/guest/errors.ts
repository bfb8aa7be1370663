// Errors of the real-guest harness. Each carries a code the tests and the CLI can act on.

export const GuestErrorCode = {
  /** Setup has not been run (or its cache is incomplete). */
  SetupMissing: 'setup-missing',
  /** QEMU could not be started, or exited before the run was over. */
  QemuExited: 'qemu-exited',
  /** A wait ran out of time (the guest hangs, or never printed what was expected). */
  Timeout: 'timeout',
  /** The guest kernel panicked when no panic was expected. */
  Panic: 'panic',
  /** The guest did something other than what the scenario expects. */
  Mismatch: 'mismatch',
  /** A QMP command failed or the QMP connection broke. */
  Qmp: 'qmp',
} as const;
export type GuestErrorCode = (typeof GuestErrorCode)[keyof typeof GuestErrorCode];

export class GuestError extends Error {
  readonly code: GuestErrorCode;
  constructor(code: GuestErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GuestError';
    this.code = code;
  }
}
