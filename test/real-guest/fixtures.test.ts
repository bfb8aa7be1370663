// The codec against what real guest kernels printed: the fixtures under
// test/fixtures/real-guest/<kernel>/<scenario>.txt were captured by capture-fixtures.ts (each
// header names QEMU, the kernel build and the records written, as hex). These tests need no
// QEMU: they re-run the codec's printer and lint for each kernel on the recorded bytes and
// compare with the console lines.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { hexToBytes } from '../../src/codec/hex.js';
import {
  decodeGhesStatusBlock,
  formatLinux,
  HestNotificationType,
  KERNEL_VERSIONS,
  type KernelVersion,
  type LinuxAcceptance,
  linuxAcceptance,
} from '../../src/codec/index.js';
import { MAIN_SOURCE } from '../../src/guest/scenarios.js';
import { DIMM_GPA, RAM_GPA } from '../../src/guest/vm.js';
import { repoRoot } from '../../src/node-util/repo-root.js';

const DIR = join(repoRoot(), 'test', 'fixtures', 'real-guest');

interface Fixture {
  readonly kernel: KernelVersion;
  readonly name: string;
  readonly path: string;
  readonly records: readonly { readonly sourceId: number; readonly bytes: Uint8Array }[];
  readonly lines: readonly string[];
}

function load(kernel: KernelVersion, file: string): Fixture {
  const path = join(DIR, kernel, file);
  const text = readFileSync(path, 'utf8').split('\n');
  const records = text
    .map((l) => /^# record source=(\d+) ([0-9a-f]+)$/.exec(l))
    .filter((m) => m !== null)
    .map((m) => ({ sourceId: Number(m[1]), bytes: hexToBytes(m[2]!) }));
  const lines = text.filter((l) => !l.startsWith('#') && l !== '');
  return { kernel, name: file.replace(/\.txt$/, ''), path, records, lines };
}

const FIXTURES: Fixture[] = KERNEL_VERSIONS.flatMap((k) =>
  readdirSync(join(DIR, k))
    .filter((f) => f.endsWith('.txt'))
    .sort()
    .map((f) => load(k, f)),
);

/** The printed records of a console: `{N}[Hardware Error]: ` lines grouped by N. */
function printed(lines: readonly string[]): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const l of lines) {
    const m = /^\{(\d+)\}\[Hardware Error\]: /.exec(l);
    if (m === null) continue;
    const seq = Number(m[1]);
    out.set(seq, [...(out.get(seq) ?? []), l]);
  }
  return out;
}

const GUEST_RAM = [
  { start: BigInt(RAM_GPA), size: 1n << 30n },
  { start: BigInt(DIMM_GPA), size: 2n << 20n },
];

/** The lint's view of a record in a fixture: SEA for the SEA scenarios, polled otherwise. */
function acceptance(f: Fixture, r: Fixture['records'][number]): LinuxAcceptance {
  const sea = f.name === 'sea' || f.name === 'sea-ram' || f.name === 'qemu-ras';
  return linuxAcceptance(r.bytes, {
    errorBlockLength: 1024,
    notificationType: sea ? HestNotificationType.ArmSea : HestNotificationType.Polled,
    sourceId: r.sourceId,
    kernel: f.kernel,
    ram: GUEST_RAM,
  });
}

/** Lines the GHES driver or memory_failure print outside the record, as the lint predicts them. */
const GHES_LINE =
  /^(\[Firmware Warn\]: GHES|GHES[: ]|Memory failure: 0x[0-9a-f]+: recovery action for non struct page|0x[0-9a-f]+: Sending SIGBUS)/;

function pattern(message: string): RegExp {
  const quoted = message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${quoted.replace('%s:%d', '\\S+:\\d+')}$`);
}

describe('real-guest fixtures', () => {
  it('cover every scenario on every kernel', () => {
    for (const k of KERNEL_VERSIONS) {
      const names = FIXTURES.filter((f) => f.kernel === k).map((f) => f.name);
      for (const want of ['polled-corrected', 'early-kill', 'late-kill', 'fatal', 'sea', 'sea-ram'])
        assert.ok(names.includes(want), `${k}/${want}.txt is missing`);
      for (const want of ['queue', 'qemu-ras', 'malformed', 'arm-multi', 'boot-ghes'])
        assert.ok(names.includes(want), `${k}/${want}.txt is missing`);
    }
  });

  for (const f of FIXTURES) {
    const rel = `${f.kernel}/${f.name}.txt`;
    if (f.records.length === 0) continue;

    it(`${rel}: every record the guest printed is the codec's formatLinux output for ${f.kernel}`, () => {
      const got = printed(f.lines);
      for (const [seq, lines] of got) {
        const source = Number(/Source: (\d+)$/.exec(lines[0]!)?.[1]);
        const candidates = f.records
          .filter((r) => r.sourceId === source)
          .map((r) =>
            formatLinux(decodeGhesStatusBlock(r.bytes), {
              seq,
              sourceId: source,
              kernel: f.kernel,
            }),
          );
        assert.ok(
          candidates.some((c) => JSON.stringify(c) === JSON.stringify(lines)),
          `record {${seq}} in ${rel} matches no written record:\n${lines.join('\n')}\ncodec:\n${candidates[0]?.join('\n')}`,
        );
      }
    });

    it(`${rel}: the lint's GHES and memory_failure lines for ${f.kernel} are the ones the guest printed`, () => {
      const predicted = f.records.flatMap((r) =>
        acceptance(f, r)
          .findings.filter((x) => x.message !== '' && x.severity !== 'info')
          .map((x) => x.message)
          .filter((m) => !m.startsWith('Kernel panic')),
      );
      for (const m of predicted)
        assert.ok(
          f.lines.some((l) => pattern(m).test(l)),
          `${rel}: the lint predicts '${m}', the guest did not print it`,
        );
      for (const l of f.lines.filter((x) => GHES_LINE.test(x)))
        assert.ok(
          predicted.some((m) => pattern(m).test(l)),
          `${rel}: the guest printed '${l}', the lint does not predict it`,
        );
    });
  }

  it('boot-ghes.txt: every kernel refuses the SEI source with the lint message', () => {
    for (const k of KERNEL_VERSIONS) {
      const boot = FIXTURES.find((f) => f.kernel === k && f.name === 'boot-ghes')!;
      const a = linuxAcceptance(new Uint8Array(0), {
        errorBlockLength: 1024,
        notificationType: HestNotificationType.ArmSei,
        sourceId: MAIN_SOURCE.sei,
        kernel: k,
      });
      const msg = a.findings.find((x) => x.code === 'source.unsupported-notification')!.message;
      assert.ok(boot.lines.includes(msg), `${k}/boot-ghes.txt lacks '${msg}'`);
    }
  });
});
