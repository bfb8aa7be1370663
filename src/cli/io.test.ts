import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseArgs } from 'node:util';
import { CliError, parseCommandLine, parseNumberOption, parseUnsignedOption } from './io.js';

const USAGE = 'usage: vras thing [--n N]';
const parse = (args: string[]) => () =>
  parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: { n: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });

function captureStdout<T>(fn: () => T): { result: T; out: string } {
  const chunks: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string) => {
    chunks.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  try {
    return { result: fn(), out: chunks.join('') };
  } finally {
    process.stdout.write = write;
  }
}

test('parseCommandLine() returns the parsed arguments when they are valid', () => {
  const p = parseCommandLine(parse(['--n', '3', 'file']), USAGE);
  assert.equal(p?.values.n, '3');
  assert.deepEqual(p?.positionals, ['file']);
});

test('parseCommandLine() turns a parseArgs error into a CliError ending with the usage', () => {
  assert.throws(
    () => parseCommandLine(parse(['--nope']), USAGE),
    (e: unknown) =>
      e instanceof CliError &&
      e.exitCode === 2 &&
      e.message.startsWith("Unknown option '--nope'") &&
      e.message.endsWith(`\n\n${USAGE}`),
  );
});

test('parseCommandLine() lets a CliError from the parser through unchanged', () => {
  const own = new CliError('mine');
  assert.throws(
    () =>
      parseCommandLine(() => {
        throw own;
      }, USAGE),
    (e: unknown) => e === own,
  );
});

test('parseCommandLine() prints the usage for --help and -h and returns undefined', () => {
  for (const flag of ['--help', '-h']) {
    const { result, out } = captureStdout(() => parseCommandLine(parse([flag]), USAGE));
    assert.equal(result, undefined);
    assert.equal(out, `${USAGE}\n`);
  }
});

test('parseUnsignedOption() and parseNumberOption() throw a CliError with the one number message', () => {
  assert.equal(parseUnsignedOption('--addr', '0xffffffffffffffff'), (1n << 64n) - 1n);
  assert.equal(parseNumberOption('--seq', '0x10'), 16);
  assert.equal(parseNumberOption('--seq', undefined), undefined);
  assert.throws(
    () => parseNumberOption('--seq', '0x20000000000000'),
    (e: unknown) =>
      e instanceof CliError &&
      e.exitCode === 2 &&
      e.message ===
        '--seq must be a decimal or 0x hex number (at most 53 bits), got "0x20000000000000"',
  );
});
