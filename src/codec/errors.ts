// Errors raised by the codec layer. Every one names the structure, the field and the byte
// offset (from the start of the buffer being decoded) where decoding or encoding failed.

export const CodecErrorCode = {
  /** Fewer bytes remain than the field or structure needs. */
  Truncated: 'truncated',
  /** A value does not fit the field's width or allowed range. */
  OutOfRange: 'out-of-range',
  /** A fixed field (signature, length, version) holds a value the spec does not allow. */
  Invalid: 'invalid',
  /** A checksum does not sum to zero. */
  Checksum: 'checksum',
  /** Declared lengths disagree with each other or with the bytes. */
  LengthMismatch: 'length-mismatch',
  /** The input cannot be recognised as any structure the codec knows. */
  Unrecognised: 'unrecognised',
} as const;
export type CodecErrorCode = (typeof CodecErrorCode)[keyof typeof CodecErrorCode];

export interface CodecErrorDetails {
  readonly code: CodecErrorCode;
  readonly structure: string;
  readonly field?: string;
  readonly offset?: number;
  readonly cause?: unknown;
}

/** The only error the codec throws, for decoding and encoding alike. */
export class CodecError extends RangeError {
  readonly code: CodecErrorCode;
  readonly structure: string;
  readonly field: string | undefined;
  readonly offset: number | undefined;

  constructor(message: string, details: CodecErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'CodecError';
    this.code = details.code;
    this.structure = details.structure;
    this.field = details.field;
    this.offset = details.offset;
  }
}

/** `0x1c` style offset for messages. */
export function hexOffset(offset: number): string {
  return `0x${offset.toString(16)}`;
}

/**
 * Re-throws `error` with the outer structure's context when it is a CodecError raised while
 * decoding an embedded structure; offsets are already absolute because readers share one buffer.
 */
export function withContext<T>(structure: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof CodecError && !error.message.includes(structure)) {
      throw new CodecError(`${error.message} (in ${structure})`, {
        code: error.code,
        structure: error.structure,
        ...(error.field === undefined ? {} : { field: error.field }),
        ...(error.offset === undefined ? {} : { offset: error.offset }),
        cause: error,
      });
    }
    throw error;
  }
}
