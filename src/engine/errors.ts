// Errors raised by the RAS engine. Each carries a `code` a caller can switch on; messages read
// "Cannot X: state". Codec errors met while building records are wrapped with `{ cause }`.

export const EngineErrorCode = {
  /** The configuration of error sources or the machine layout is inconsistent. */
  InvalidConfig: 'invalid-config',
  /** A guest physical address range is not backed by guest RAM. */
  OutOfRam: 'out-of-ram',
  /** A guest-controlled pointer points outside the error region the engine laid out. */
  HostilePointer: 'hostile-pointer',
  /** The firmware has not run the linker/loader script yet (no write pointer received). */
  NotLinked: 'not-linked',
  /** No error source with this id, or the source cannot carry this kind of record. */
  UnknownSource: 'unknown-source',
  /** A record is larger than the source's error status block. */
  RecordTooLarge: 'record-too-large',
  /** A record the guest could never consume (shorter than 20 bytes, block_status 0). */
  InvalidRecord: 'invalid-record',
  /** The guest has not acknowledged the previous record and the policy is `reject`. */
  NotAcknowledged: 'not-acknowledged',
  /** The bounded backlog of a source is full; the record was dropped (and counted). */
  BacklogFull: 'backlog-full',
  /** A linker/loader command the firmware model cannot execute. */
  LoaderFailed: 'loader-failed',
  /** An ESR value outside the 24 ISS bits, or one the hypervisor cannot inject. */
  InvalidSyndrome: 'invalid-syndrome',
  /** A host signal that the engine must treat as fatal under the configured policy. */
  Fatal: 'fatal',
  /** A snapshot that does not match this engine's configuration or schema. */
  BadSnapshot: 'bad-snapshot',
  /** Migration refused by the configured policy (QEMU's hwpoison blocker, FWNMI in progress). */
  MigrationBlocked: 'migration-blocked',
  /** A request that makes no sense in the current state (e.g. PowerPC call on an arm machine). */
  InvalidState: 'invalid-state',
} as const;
export type EngineErrorCode = (typeof EngineErrorCode)[keyof typeof EngineErrorCode];

/** Where an engine error happened, when it concerns one place (guest memory, an error source). */
export interface EngineErrorContext {
  readonly cause?: unknown;
  /** Guest physical address the error concerns (a block, a pointer's target, a table). */
  readonly gpa?: bigint;
  /** HEST source id the error concerns. */
  readonly sourceId?: number;
}

export class EngineError extends Error {
  readonly code: EngineErrorCode;
  /** Guest physical address the error concerns, when there is one (also in the message). */
  readonly gpa: bigint | undefined;
  /** Error source the error concerns, when there is one (also in the message). */
  readonly sourceId: number | undefined;

  constructor(code: EngineErrorCode, message: string, options: EngineErrorContext = {}) {
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
    this.name = 'EngineError';
    this.code = code;
    this.gpa = options.gpa;
    this.sourceId = options.sourceId;
  }
}
