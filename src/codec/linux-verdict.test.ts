// linuxVerdict() against what real kernels printed: the real-guest fixtures (6.1.192, 6.12,
// 7.3 consoles; test/fixtures/real-guest/) and the libcper corpus's 6.1 consoles
// (../shared/reference/libcper-corpus/*.linux61.txt). The expected lines are the kernels' own.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot, sharedPath } from '../../test/support/shared.js';
import { HestNotificationType } from './hest-notification.js';
import { hexToBytes } from './hex.js';
import { KERNEL_VERSIONS, type KernelVersion } from './lint-status-block.js';
import { linuxVerdict } from './linux-verdict.js';

const FIXTURES = join(repoRoot, 'test', 'fixtures', 'real-guest');
/** The harness's guest RAM (src/guest/vm.ts RAM_GPA 1 GiB, DIMM_GPA 2 MiB). */
const GUEST_RAM = [
  { start: 0x40000000n, size: 1n << 30n },
  { start: 0x7c000000n, size: 2n << 20n },
];

/** Lines linuxVerdict() speaks for: the record, ghes.c's and memory_failure's own lines. */
const VERDICT_LINE =
  /^(\{\d+\}\[Hardware Error\]: |\[Firmware (Warn|Bug)\]: |GHES[: ]|Kernel panic - not syncing: GHES|Memory failure: 0x[0-9a-f]+: recovery action for non struct page|0x[0-9a-f]+: Sending SIGBUS)/;

function matches(want: string, got: string): boolean {
  if (!got.includes('%s:%d')) return want === got;
  const [a, b] = got.split('%s:%d') as [string, string];
  return (
    want.startsWith(a) &&
    want.endsWith(b) &&
    /^\S+:\d+$/.test(want.slice(a.length, want.length - b.length))
  );
}

function assertLines(got: readonly string[], want: readonly string[], what: string): void {
  const ok = got.length === want.length && got.every((g, i) => matches(want[i]!, g));
  assert.ok(ok, `${what}\nkernel:\n${want.join('\n')}\nlinuxVerdict:\n${got.join('\n')}`);
}

describe('linuxVerdict() prints what real kernels printed, in their order', () => {
  for (const kernel of KERNEL_VERSIONS as readonly KernelVersion[]) {
    for (const file of readdirSync(join(FIXTURES, kernel)).sort()) {
      const text = readFileSync(join(FIXTURES, kernel, file), 'utf8').split('\n');
      const records = text
        .map((l) => /^# record source=(\d+) ([0-9a-f]+)$/.exec(l))
        .filter((m) => m !== null)
        .map((m) => ({ sourceId: Number(m[1]), bytes: hexToBytes(m[2]!) }));
      if (records.length === 0) continue;
      const console = text.filter((l) => !l.startsWith('#') && VERDICT_LINE.test(l));
      // Rate-limited consoles (`callbacks suppressed`) depend on print history the fixture
      // does not record; queue.txt posts its records while others are pending.
      if (text.some((l) => l.includes('callbacks suppressed')) || file === 'queue.txt') continue;
      const name = file.replace(/\.txt$/, '');
      const sea = name === 'sea' || name === 'sea-ram' || name === 'qemu-ras';
      it(`${kernel}/${file}: ${records.length} record(s)`, () => {
        const seqs = [
          ...new Set(console.map((l) => /^\{(\d+)\}/.exec(l)?.[1]).filter((s) => s !== undefined)),
        ];
        let next = 0;
        const got = records.flatMap((r) => {
          const v = linuxVerdict(
            r.bytes,
            {
              errorBlockLength: 1024,
              notificationType: sea ? HestNotificationType.ArmSea : HestNotificationType.Polled,
              sourceId: r.sourceId,
              kernel,
              ram: GUEST_RAM,
            },
            { seq: Number(seqs[next] ?? 0) },
          );
          if (v.acceptance.printed) next++;
          return [...v.lines];
        });
        assertLines(got, console, `${kernel}/${file}`);
      });
    }
  }

  const CORPUS = sharedPath('reference', 'libcper-corpus');
  for (const file of readdirSync(CORPUS)
    .filter((f) => f.endsWith('.linux61.txt'))
    .sort()) {
    it(`libcper corpus ${file}: Linux 6.1.192 on the polled source 3, 2048-byte block`, () => {
      const want = readFileSync(join(CORPUS, file), 'utf8')
        .split('\n')
        .map((l) => l.replace(/^\[\s*\d+\.\d+\] /, ''))
        .filter((l) => VERDICT_LINE.test(l));
      const block = new Uint8Array(
        readFileSync(join(CORPUS, file.replace('.linux61.txt', '.block.bin'))),
      );
      const seq = Number(/^\{(\d+)\}/.exec(want[0] ?? '')?.[1] ?? 1);
      const v = linuxVerdict(
        block,
        {
          errorBlockLength: 2048,
          notificationType: HestNotificationType.Polled,
          sourceId: 3,
          kernel: '6.1',
          ram: [{ start: 0x40000000n, size: 1n << 30n }],
        },
        { seq },
      );
      assertLines(v.lines, want, file);
    });
  }
});
