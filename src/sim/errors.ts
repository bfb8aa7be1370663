// Errors raised by the simulator. Like the codec's errors they carry a stable `code`; the message
// says what could not be done and in which state ("Cannot schedule event: delay -1 is negative").

export const SimErrorCode = {
  /** A delay or time is not a non-negative safe integer number of nanoseconds. */
  BadTime: 'bad-time',
  /** An event names a component that is not registered. */
  UnknownTarget: 'unknown-target',
  /** Two components were registered with the same id. */
  DuplicateId: 'duplicate-id',
  /** A snapshot does not fit the simulation it is restored into. */
  BadSnapshot: 'bad-snapshot',
  /** A scenario definition is invalid. */
  BadScenario: 'bad-scenario',
  /** A component received a message it does not handle, or in a state where it cannot. */
  BadMessage: 'bad-message',
  /** An invariant checked while running does not hold. */
  Invariant: 'invariant',
} as const;
export type SimErrorCode = (typeof SimErrorCode)[keyof typeof SimErrorCode];

export class SimError extends Error {
  readonly code: SimErrorCode;
  constructor(code: SimErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SimError';
    this.code = code;
  }
}
