import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { sharedPath } from '../../test/support/shared.js';
import { detectInput, jsonRecords, recordExtent } from '../codec/index.js';
import { type InputEvent, inputRecords, type StreamOptions } from './record-stream.js';

const dir = mkdtempSync(join(tmpdir(), 'vras-record-stream-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const QMP = new Uint8Array(
  readFileSync(
    sharedPath('reference/qemu/captured/qemu-10.2.50-ece408818d/virt/qmp_cper_payload.bin'),
  ),
);
const OPTIONS: StreamOptions = { maxRecord: 1 << 20, maxInput: 1 << 22, encoding: 'raw' };

async function events(bytes: Uint8Array, o: StreamOptions = OPTIONS): Promise<InputEvent[]> {
  const path = join(dir, `in-${Math.random().toString(36).slice(2)}.bin`);
  writeFileSync(path, bytes);
  const out: InputEvent[] = [];
  for await (const e of inputRecords(path, o)) out.push(e);
  return out;
}

test('inputRecords() accounts for every byte of a binary input, in order, whatever the bytes', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.oneof(
          fc.constant(QMP),
          fc.uint8Array({ maxLength: 300 }),
          fc.nat({ max: 64 }).map((n) => new Uint8Array(n)),
        ),
        { maxLength: 6 },
      ),
      async (parts) => {
        const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
        let o = 0;
        for (const p of parts) {
          bytes.set(p, o);
          o += p.length;
        }
        const evs = await events(bytes);
        let at = 0;
        for (const e of evs) {
          assert.equal(e.offset, at, 'records and padding follow each other');
          const n = e.type === 'padding' ? e.length : (e.bytes?.length ?? e.skipped ?? 0);
          if (e.type === 'record' && e.bytes !== undefined) {
            assert.deepEqual(e.bytes, bytes.subarray(at, at + n));
          }
          at += n;
        }
        assert.equal(at, bytes.length);
      },
    ),
    { numRuns: 150 },
  );
});

test('inputRecords() splits concatenated status blocks by their own lengths', async () => {
  const two = new Uint8Array(QMP.length * 2);
  two.set(QMP);
  two.set(QMP, QMP.length);
  const evs = await events(two);
  assert.deepEqual(
    evs.map((e) => [e.type, e.offset]),
    [
      ['record', 0],
      ['record', 172],
    ],
  );
});

test('inputRecords() refuses a record over the limit, skips it, and goes on', async () => {
  const big = QMP.slice();
  new DataView(big.buffer).setUint32(12, 5000, true); // data_length: a 5020-byte record
  const bytes = new Uint8Array(5020 + QMP.length);
  bytes.set(big);
  bytes.set(QMP, 5020);
  const evs = await events(bytes, { ...OPTIONS, maxRecord: 4096 });
  assert.equal(evs.length, 2);
  const [first, second] = evs as [InputEvent & { error?: string }, InputEvent];
  assert.match(
    first.error!,
    /says it is 5020 bytes .*4096-byte limit \(raise it with --max-record-size\)/,
  );
  assert.equal(second.offset, 5020);
});

test('recordExtent(), detectInput() and jsonRecords() never throw', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 120 }), (b) => {
      const e = recordExtent(b);
      if (e.kind === 'length') assert.ok(e.length >= 8);
      assert.ok(detectInput(b).reasons.length > 0);
    }),
    { numRuns: 500 },
  );
  fc.assert(
    fc.property(fc.jsonValue(), (v) => {
      for (const r of jsonRecords(v)) assert.ok(r.bytes !== undefined || r.error !== undefined);
    }),
    { numRuns: 500 },
  );
});
