import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { sharedPath } from '../../test/support/shared.js';
import { CodecError } from './errors.js';
import {
  addChecksumCommand,
  addPointerCommand,
  allocateCommand,
  decodeLinkerLoaderCommand,
  decodeLinkerLoaderScript,
  describeLinkerLoaderCommand,
  encodeLinkerLoaderCommand,
  encodeLinkerLoaderScript,
  LINKER_LOADER_COMMAND_SIZE,
  type LinkerLoaderCommand,
  writePointerCommand,
} from './linker-loader.js';

// Golden data: fw_cfg `etc/table-loader` read from running QEMUs, and the capture tool's own
// one-line-per-command decoding of it (../shared/reference/qemu/captured/*/).
const CAPTURES = [
  'qemu-10.2.50-ece408818d/virt',
  'qemu-10.2.50-ece408818d/virt-10.1',
  'qemu-7.2.22-debian12/virt',
];

function capture(dir: string): { script: Uint8Array; lines: string[] } {
  const base = ['reference', 'qemu', 'captured', ...dir.split('/')];
  const script = new Uint8Array(readFileSync(sharedPath(...base, 'etc_table-loader.bin')));
  const lines = readFileSync(sharedPath(...base, 'table-loader.decoded.txt'), 'latin1')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => l.trim().replace(/^\d+ /, ''));
  return { script, lines };
}

test('a linker/loader command is 128 bytes', () => {
  assert.equal(LINKER_LOADER_COMMAND_SIZE, 128);
  assert.equal(encodeLinkerLoaderCommand(allocateCommand('etc/x', 8, 1)).length, 128);
});

for (const dir of CAPTURES) {
  test(`decodeLinkerLoaderScript() reads QEMU's captured script (${dir}) as the capture tool did`, () => {
    const { script, lines } = capture(dir);
    const cmds = decodeLinkerLoaderScript(script);
    const normalise = (l: string) => l.replace(/ (size|src_offset|dst_offset)=/g, ' $1=');
    // The capture tool prints ADD_POINTER as dest, src, offset, size and WRITE_POINTER as dest,
    // src, dst_offset, src_offset, size: the same order as describeLinkerLoaderCommand().
    assert.deepEqual(cmds.map(describeLinkerLoaderCommand), lines.map(normalise));
  });

  test(`encodeLinkerLoaderScript() gives back QEMU's captured script (${dir}) byte for byte`, () => {
    const { script } = capture(dir);
    assert.deepEqual(encodeLinkerLoaderScript(decodeLinkerLoaderScript(script)), script);
  });
}

test('builders reproduce the real WRITE_POINTER command of QEMU 10.2 virt (formats.md §12)', () => {
  const { script } = capture('qemu-10.2.50-ece408818d/virt');
  const cmd19 = script.subarray(19 * 128, 20 * 128);
  const built = writePointerCommand('etc/acpi_table_hest_addr', 'etc/acpi/tables', 0, 6212, 8);
  assert.deepEqual(encodeLinkerLoaderCommand(built), cmd19);
});

const name = fc.stringMatching(/^[a-z/_.0-9]{0,55}$/);
const u32 = fc.nat({ max: 0xffffffff });
const u8 = fc.nat({ max: 0xff });
const reserved = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const commandArb: fc.Arbitrary<LinkerLoaderCommand> = fc.oneof(
  fc.record({
    command: fc.constant(1 as const),
    file: name,
    align: u32,
    zone: u8,
    reserved: reserved(63),
  }),
  fc.record({
    command: fc.constant(2 as const),
    destFile: name,
    srcFile: name,
    offset: u32,
    size: u8,
    reserved: reserved(7),
  }),
  fc.record({
    command: fc.constant(3 as const),
    file: name,
    offset: u32,
    start: u32,
    length: u32,
    reserved: reserved(56),
  }),
  fc.record({
    command: fc.constant(4 as const),
    destFile: name,
    srcFile: name,
    dstOffset: u32,
    srcOffset: u32,
    size: u8,
    reserved: reserved(3),
  }),
  fc.record({
    command: u32.filter((c) => c < 1 || c > 4),
    body: reserved(124),
  }),
);

test('any command round-trips through encode and decode, reserved bytes included', () => {
  fc.assert(
    fc.property(commandArb, (cmd) => {
      const bytes = encodeLinkerLoaderCommand(cmd);
      assert.deepEqual(decodeLinkerLoaderCommand(bytes), { ...cmd });
      assert.deepEqual(encodeLinkerLoaderCommand(decodeLinkerLoaderCommand(bytes)), bytes);
    }),
    { numRuns: 300 },
  );
});

test('any 128 bytes that decode encode back to the same bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 128, maxLength: 128 }), u8, (bytes, kind) => {
      const b = bytes.slice();
      b[0] = kind % 6;
      b[1] = 0;
      b[2] = 0;
      b[3] = 0;
      let cmd: LinkerLoaderCommand;
      try {
        cmd = decodeLinkerLoaderCommand(b);
      } catch (e) {
        assert.ok(e instanceof CodecError);
        return;
      }
      assert.deepEqual(encodeLinkerLoaderCommand(cmd), b);
    }),
    { numRuns: 300 },
  );
});

function codecError(fn: () => unknown, code: string, offset: number): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof CodecError);
    assert.equal(e.code, code);
    assert.equal(e.offset, offset);
    return true;
  });
}

test('decodeLinkerLoaderScript() rejects a script that is not a whole number of commands', () => {
  const script = encodeLinkerLoaderScript([allocateCommand('a', 8, 1), allocateCommand('b', 8, 1)]);
  codecError(() => decodeLinkerLoaderScript(script.subarray(0, 200)), 'length-mismatch', 128);
});

test('decodeLinkerLoaderCommand() rejects a file name with no NUL within 56 bytes', () => {
  const b = encodeLinkerLoaderCommand(allocateCommand('x', 8, 1));
  b.fill(0x41, 4, 60);
  codecError(() => decodeLinkerLoaderCommand(b), 'invalid', 4);
});

test('decodeLinkerLoaderCommand() rejects a non-zero byte after a file name NUL', () => {
  const b = encodeLinkerLoaderCommand(addPointerCommand('dst', 'src', 0, 8));
  b[60 + 10] = 0x5a; // inside src_file, after "src\0"
  codecError(() => decodeLinkerLoaderCommand(b), 'invalid', 70);
});

test('decodeLinkerLoaderCommand() rejects a truncated command', () => {
  const b = encodeLinkerLoaderCommand(addChecksumCommand('t', 9, 0, 36));
  codecError(() => decodeLinkerLoaderCommand(b.subarray(0, 100)), 'truncated', 0);
});

test('decodeLinkerLoaderCommand() rejects bytes after the command', () => {
  const b = new Uint8Array(130);
  b.set(encodeLinkerLoaderCommand(addChecksumCommand('t', 9, 0, 36)));
  codecError(() => decodeLinkerLoaderCommand(b), 'length-mismatch', 128);
});

test('encodeLinkerLoaderCommand() rejects a file name of 56 characters or more', () => {
  codecError(
    () => encodeLinkerLoaderCommand(allocateCommand('a'.repeat(56), 8, 1)),
    'out-of-range',
    4,
  );
});

test('encodeLinkerLoaderCommand() rejects a file name containing NUL', () => {
  codecError(
    () => encodeLinkerLoaderCommand(writePointerCommand('ok', 'b\0d', 0, 0, 8)),
    'invalid',
    61,
  );
});

test('encodeLinkerLoaderCommand() rejects a size that does not fit its u8 field', () => {
  codecError(
    () => encodeLinkerLoaderCommand(addPointerCommand('a', 'b', 0, 256)),
    'out-of-range',
    120,
  );
});
