// Input and output helpers shared by the CLI commands: reading a file or stdin as bytes in raw,
// hex or base64 form, and the error type commands use to exit with a message, never a stack.

import { readFileSync, writeFileSync } from 'node:fs';
import { base64ToBytes, hexToBytes, parseUnsignedText } from '../codec/index.js';

/** An error the CLI prints as `vras: message` and exits with `exitCode`. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 2, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

export type InputEncoding = 'raw' | 'hex' | 'base64';

export function readInputBytes(path: string | undefined): Uint8Array {
  try {
    const data = path === undefined || path === '-' ? readFileSync(0) : readFileSync(path);
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  } catch (cause) {
    throw new CliError(`Cannot read ${path ?? 'standard input'}: ${(cause as Error).message}`, 2, {
      cause,
    });
  }
}

const HEX_TEXT = /^[\s0-9a-fA-Fx:,]*$/;
const BASE64_TEXT = /^[\sA-Za-z0-9+/]*={0,2}\s*$/;

/**
 * Decides how input bytes are encoded: text made only of hex digits (and spacing) is hex,
 * text of the base64 alphabet is base64, anything else is raw binary.
 */
export function detectEncoding(data: Uint8Array): InputEncoding {
  if (data.length === 0) return 'raw';
  for (const b of data)
    if (b > 0x7e || (b < 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09)) return 'raw';
  const text = new TextDecoder('latin1').decode(data);
  if (HEX_TEXT.test(text) && /[0-9a-fA-F]/.test(text)) return 'hex';
  if (BASE64_TEXT.test(text)) return 'base64';
  return 'raw';
}

export function decodeInput(data: Uint8Array, encoding: InputEncoding | undefined): Uint8Array {
  const enc = encoding ?? detectEncoding(data);
  if (enc === 'raw') return data;
  const text = new TextDecoder('latin1').decode(data);
  return enc === 'hex' ? hexToBytes(text) : base64ToBytes(text);
}

export function parseInputEncoding(value: string | undefined): InputEncoding | undefined {
  if (value === undefined) return undefined;
  if (value === 'raw' || value === 'hex' || value === 'base64') return value;
  throw new CliError(`--input must be raw, hex or base64, got ${JSON.stringify(value)}`);
}

export function writeOutput(path: string, bytes: Uint8Array): void {
  try {
    writeFileSync(path, bytes);
  } catch (cause) {
    throw new CliError(`Cannot write ${path}: ${(cause as Error).message}`, 2, { cause });
  }
}

/**
 * An unsigned number option (`name` as the user wrote it, e.g. `--seq`): decimal or 0x hex
 * (0b binary when `binary`), at most `bits` bits, else a CliError with codec's one message shape.
 */
export function parseUnsignedOption(name: string, text: string, bits = 64, binary = false): bigint {
  const v = parseUnsignedText(name, text, bits, binary);
  if (typeof v === 'string') throw new CliError(v);
  return v;
}

/**
 * parseUnsignedOption() for a field a JavaScript number holds exactly (at most 53 bits); an
 * option not given (`undefined`) stays undefined.
 */
export function parseNumberOption(
  name: string,
  text: string,
  bits?: number,
  binary?: boolean,
): number;
export function parseNumberOption(
  name: string,
  text: string | undefined,
  bits?: number,
  binary?: boolean,
): number | undefined;
export function parseNumberOption(
  name: string,
  text: string | undefined,
  bits = 53,
  binary = false,
): number | undefined {
  return text === undefined ? undefined : Number(parseUnsignedOption(name, text, bits, binary));
}

/**
 * The start of every command's `run`: parses the arguments with `parse` (node:util parseArgs),
 * turning a parse error into a CliError that ends with the command's usage, and prints the usage
 * for `--help`/`-h`, returning undefined (the command then exits 0).
 */
export function parseCommandLine<P extends { values: { help?: boolean | undefined } }>(
  parse: () => P,
  usage: string,
): P | undefined {
  let parsed: P;
  try {
    parsed = parse();
  } catch (cause) {
    if (cause instanceof CliError) throw cause;
    throw new CliError(`${(cause as Error).message}\n\n${usage}`, 2, { cause });
  }
  if (parsed.values.help === true) {
    process.stdout.write(`${usage}\n`);
    return undefined;
  }
  return parsed;
}
