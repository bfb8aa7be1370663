import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromJson } from '../codec/index.js';
import { run } from './esr.js';
import { CliError } from './io.js';

async function capture(argv: string[]): Promise<{ code: number; out: string }> {
  const chunks: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string) => {
    chunks.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  try {
    const code = await run(argv);
    return { code, out: chunks.join('') };
  } finally {
    process.stdout.write = write;
  }
}

test('vras esr encode builds QEMU’s SEA syndrome from named fields', async () => {
  const { code, out } = await capture([
    'encode',
    '--ec',
    '0x24',
    '--il',
    '1',
    '--dfsc',
    '0x10',
    '--fnv',
    '1',
  ]);
  assert.equal(code, 0);
  assert.equal(out.split('\n')[0], '0x0000000092000410');
});

test('vras esr encode --serror --aet uer --dfsc 0x11 gives the seed-001 SError 0xbe000c11', async () => {
  const { out } = await capture(['encode', '--serror', '--aet', 'uer', '--dfsc', '0x11']);
  assert.equal(out.split('\n')[0], '0x00000000be000c11');
});

test('vras esr decode --json prints a vras/v1 document with the Linux SError decision', async () => {
  const { code, out } = await capture(['decode', '0xbf000000', '--json']);
  assert.equal(code, 0);
  const doc = fromJson<{ value: bigint; ec: number; linuxSError: { outcome: string } }>(out, 'esr');
  assert.equal(doc.value.value, 0xbf000000n);
  assert.equal(doc.value.ec, 0x2f);
  assert.equal(doc.value.linuxSError.outcome, 'panic');
});

test('vras esr decode prints Linux’s fault name and signal for an abort', async () => {
  const { out } = await capture(['decode', '0x92000010']);
  assert.match(
    out,
    /^Linux: synchronous external abort; a user task gets SIGBUS\/BUS_OBJERR \(do_sea\)$/m,
  );
});

test('vras esr rejects fields of another class, bad numbers and out-of-range values with a CliError', async () => {
  await assert.rejects(
    run(['encode', '--ec', '0x24', '--aet', 'uer']),
    (e: unknown) => e instanceof CliError && /not a field of EC 0x24/.test(e.message),
  );
  await assert.rejects(
    run(['encode', '--ec', '0x24', '--dfsc', '0x40']),
    (e: unknown) => e instanceof CliError && /DFSC = 64 does not fit/.test(e.message),
  );
  await assert.rejects(run(['decode', 'zz']), CliError);
  await assert.rejects(run(['encode', '--nope', '1']), CliError);
  await assert.rejects(run(['frob']), CliError);
});

test('vras esr takes decimal, 0x hex and 0b binary, and names the option and forms otherwise', async () => {
  const dec = await capture(['encode', '--json', '--ec', '36', '--il', '1', '--dfsc', '16']);
  const bin = await capture([
    'encode',
    '--json',
    '--ec',
    '0x24',
    '--il',
    '0b1',
    '--dfsc',
    '0b10000',
  ]);
  assert.equal(bin.out, dec.out);
  await assert.rejects(
    run(['encode', '--ec=-1']),
    (e: unknown) =>
      e instanceof CliError &&
      e.message ===
        '--ec must be a decimal, 0x hex or 0b binary number (at most 53 bits), got "-1"',
  );
  await assert.rejects(
    run(['decode', '0x1_0000_0000_0000_0000']),
    (e: unknown) =>
      e instanceof CliError &&
      e.message ===
        'ESR value must be a decimal, 0x hex or 0b binary number (at most 64 bits), got "0x1_0000_0000_0000_0000"',
  );
});
