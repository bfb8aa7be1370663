// `vras inject` as a user runs it (bin/vras as a subprocess) against a stand-in for QEMU 10.2's
// QMP monitor (inject-fake-qemu.ts: QEMU's §8 record protocol on its captured tables): every
// record source (template, --file, --spec, JSONL --batch on stdin, --dry-run), both transports,
// and the failures a user meets — a guest that stops acking, QEMU dying mid-batch, a busy
// socket, QEMU closing before its greeting, nothing listening, a QEMU without the command —
// each a clear message within the timeout and a report of exactly what was delivered.
// Expected record bytes come from the codec's templates and the captured QEMU payload.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { bytesToHex, decodeGhesStatusBlock, toJson } from '../src/codec/index.js';
import { QmpClient } from '../src/guest/qmp.js';
import { parseTemplate, templateBytes } from '../src/inject/templates.js';
import { FAKE_MIDR, FakeQemu, type FakeQemuOptions } from './inject-fake-qemu.js';
import { repoRoot, sharedPath } from './support/shared.js';

const VRAS = join(repoRoot, 'bin/vras');
/** QEMU 10.2.50's own 172-byte QMP memory record. */
const QMP_PAYLOAD = sharedPath(
  'reference/qemu/captured/qemu-10.2.50-ece408818d/virt',
  'qmp_cper_payload.bin',
);

const dir = mkdtempSync(join(tmpdir(), 'vras-inject-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let socketCount = 0;

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Runs bin/vras without blocking: the fake QEMU in this process must keep answering. */
function vras(args: string[], input?: string): Promise<Run> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(VRAS, args, {
      env: { ...process.env, VRAS_DEBUG: '', VRAS_CACHE: join(dir, 'cache') },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: performance.now() - t0 }));
    child.stdin.on('error', () => {}).end(input ?? '');
  });
}

async function withQemu<T>(
  options: FakeQemuOptions,
  fn: (qemu: FakeQemu, address: string) => Promise<T>,
): Promise<T> {
  const qemu = new FakeQemu({ socketPath: join(dir, `qmp-${socketCount++}.sock`), ...options });
  const address = await qemu.start();
  try {
    return await fn(qemu, address);
  } finally {
    await qemu.stop();
  }
}

const memory = (pa: string, severity = 'corrected') =>
  templateBytes(parseTemplate('memory', ['--pa', pa, '--severity', severity]));

const u64 = (b: Uint8Array, o: number) =>
  new DataView(b.buffer, b.byteOffset).getBigUint64(o, true);

describe('vras inject against a QMP monitor', { concurrency: false }, () => {
  it('delivers a JSONL batch over loopback TCP on one connection, each record acked before the next', async () => {
    await withQemu({ transport: 'tcp', ackDelayMs: 20 }, async (qemu, address) => {
      const arm = templateBytes(parseTemplate('arm', ['-t', 'tlb', '--midr', '0x1']));
      const doc = toJson('ghes-status-block', decodeGhesStatusBlock(memory('0x41002000')));
      const lines = [
        JSON.stringify({ template: 'memory', pa: '0x41001000', 'error-severity': 'corrected' }),
        JSON.stringify({ hex: bytesToHex(arm) }),
        JSON.stringify(JSON.parse(doc)),
      ];
      const r = await vras(['inject', '--batch', '--qmp', address], `${lines.join('\n')}\n`);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(qemu.connections, 1, 'one connection for the whole batch');
      assert.deepEqual(qemu.injected, [memory('0x41001000'), arm, memory('0x41002000')]);
      // QEMU refuses a record while the previous one is unacknowledged: all three were taken,
      // so the client waited for each ack (20 ms) before sending the next.
      for (const i of [0, 1, 2])
        assert.match(
          r.stdout,
          new RegExp(
            `record ${i} \\(line ${i + 1}\\): \\d+ bytes, sent in [\\d.]+ ms, acked [\\d.]+ ms after sending`,
          ),
        );
    });
  });

  it('takes a record from --file (raw bytes) and from --spec (a vras/v1 document) over a unix socket', async () => {
    await withQemu({}, async (qemu, address) => {
      const payload = new Uint8Array(readFileSync(QMP_PAYLOAD));
      const f = await vras(['inject', '--file', QMP_PAYLOAD, '--qmp', address]);
      assert.equal(f.code, 0, f.stderr);
      const specFile = join(dir, 'spec.json');
      writeFileSync(specFile, toJson('ghes-status-block', decodeGhesStatusBlock(payload)));
      const s = await vras(['inject', '--spec', specFile, '--qmp', address]);
      assert.equal(s.code, 0, s.stderr);
      assert.deepEqual(qemu.injected, [payload, payload]);
    });
  });

  it('--dry-run validates and prints the record as hex and base64 without any target', async () => {
    const r = await vras(['inject', 'memory', '--pa', '0x41000000', '--dry-run']);
    assert.equal(r.code, 0, r.stderr);
    const expected = memory('0x41000000', 'recoverable');
    assert.match(r.stdout, /^memory: 172 bytes\n/);
    assert.equal(/^hex (\S+)$/m.exec(r.stdout)?.[1], bytesToHex(expected));
    const b64 = /^base64 (\S+)$/m.exec(r.stdout)?.[1] ?? '';
    assert.deepEqual(Uint8Array.from(Buffer.from(b64, 'base64')), expected);
  });

  it('refuses the whole batch before sending anything when one line is invalid', async () => {
    await withQemu({}, async (qemu, address) => {
      const lines = [
        JSON.stringify({ template: 'memory', pa: '0x41000000' }),
        JSON.stringify({ template: 'memory', pa: '0x41001000', 'block-status': '0' }),
      ];
      const r = await vras(['inject', '--batch', '--qmp', address], lines.join('\n'));
      assert.equal(r.code, 1);
      assert.match(r.stderr, /record 1 \(line 2\): Cannot inject a record whose block_status is 0/);
      assert.deepEqual(qemu.injected, []);
    });
  });

  it('a guest that stops acking ends the batch with no-ack; the JSON report lists exactly what was delivered', async () => {
    await withQemu({ ackLimit: 1 }, async (qemu, address) => {
      const lines = ['0x41000000', '0x41001000', '0x41002000'].map((pa) =>
        JSON.stringify({ template: 'memory', pa }),
      );
      const r = await vras(
        ['inject', '--batch', '--json', '--ack-timeout', '200', '--qmp', address],
        lines.join('\n'),
      );
      assert.equal(r.code, 1);
      const report = JSON.parse(r.stdout) as {
        delivered: { index: number; label: string; ackMs: number }[];
        failure: { index: number; label: string; code: string; message: string };
        notAttempted: number;
      };
      assert.deepEqual(
        report.delivered.map((d) => [d.index, d.label]),
        [[0, 'line 1']],
      );
      assert.equal(report.failure.index, 1);
      assert.equal(report.failure.code, 'no-ack');
      assert.match(report.failure.message, /within 200 ms/);
      assert.equal(report.notAttempted, 1);
      assert.equal(qemu.injected.length, 2, 'record 1 reached QEMU, record 2 was never sent');
      assert.equal(qemu.ack(), 0n);
    });
  });

  it('QEMU dying mid-batch: the report names the delivered records and the CLI exits at once', async () => {
    await withQemu({ dieOnInject: 1 }, async (qemu, address) => {
      const lines = ['0x41000000', '0x41001000', '0x41002000'].map((pa) =>
        JSON.stringify({ template: 'memory', pa }),
      );
      const r = await vras(['inject', '--batch', '--qmp', address], lines.join('\n'));
      assert.equal(r.code, 1);
      assert.match(r.stdout, /^record 0 \(line 1\): 172 bytes, sent in .* acked/m);
      assert.match(r.stdout, /^record 1 \(line 2\) NOT delivered: QEMU went away/m);
      assert.match(r.stdout, /^1 delivered, 1 not attempted$/m);
      assert.equal(qemu.injected.length, 1);
      assert.ok(r.ms < 5000, `exited after ${r.ms} ms`);
    });
  });

  it('a socket held by another client gives a clear error within --timeout', async () => {
    await withQemu({}, async (qemu, address) => {
      const first = await QmpClient.connect({ kind: 'unix', path: address.slice(5) });
      try {
        const r = await vras([
          'inject',
          '--file',
          QMP_PAYLOAD,
          '--timeout',
          '500',
          '--qmp',
          address,
        ]);
        assert.equal(r.code, 1);
        assert.match(
          r.stderr,
          /no greeting\. QEMU serves one QMP client per socket: is another client/,
        );
        assert.ok(r.ms < 3000, `gave up after ${r.ms} ms`);
        assert.equal(qemu.injected.length, 0);
      } finally {
        first.close();
      }
    });
  });

  it('QEMU closing the connection before its greeting is reported at once, not after the timeout', async () => {
    await withQemu({ closeBeforeGreeting: true }, async (_qemu, address) => {
      const r = await vras([
        'inject',
        '--file',
        QMP_PAYLOAD,
        '--timeout',
        '10000',
        '--qmp',
        address,
      ]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /QEMU went away: .*closed the connection before its greeting/);
      assert.ok(r.ms < 5000, `gave up after ${r.ms} ms`);
    });
  });

  it('nothing listening on the socket, and a QEMU without inject-ghes-v2-error, are clear errors', async () => {
    const none = await vras([
      'inject',
      '--file',
      QMP_PAYLOAD,
      '--qmp',
      `unix:${join(dir, 'nobody.sock')}`,
    ]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /nothing listens there/);
    await withQemu({ noInjectCommand: true }, async (qemu, address) => {
      const r = await vras(['inject', '--file', QMP_PAYLOAD, '--qmp', address]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /has no inject-ghes-v2-error .*use --memory/);
      assert.equal(qemu.injected.length, 0);
    });
  });

  it('refuses a QMP address off this machine before connecting', async () => {
    const r = await vras(['inject', '--file', QMP_PAYLOAD, '--qmp', 'tcp:192.168.1.2:4445']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /loopback only/);
  });

  it('an ARM record without --midr carries the first CPU’s MIDR from QEMU; a --midr given is kept', async () => {
    await withQemu({}, async (qemu, address) => {
      const a = await vras(['inject', 'arm', '-t', 'cache', '--qmp', address]);
      assert.equal(a.code, 0, a.stderr);
      const b = await vras(['inject', 'arm', '-t', 'cache', '--midr', '0x1234', '--qmp', address]);
      assert.equal(b.code, 0, b.stderr);
      const section = 20 + 72;
      assert.equal(u64(qemu.injected[0]!, section + 24), BigInt(FAKE_MIDR));
      assert.equal(u64(qemu.injected[1]!, section + 24), 0x1234n);
    });
  });
});
