// The codec's x86 machine-check lines against real kernels, without QEMU: the consoles captured
// from Debian's 6.1 and 6.12 amd64 guests (test/fixtures/real-guest/x86/, written by
// capture-x86-fixtures.ts) are parsed, and every `mce: [Hardware Error]:` record in them must be
// what the codec's __print_mce prints for the same values; the injected values must be QEMU's
// (the engine's kvmMceValues), the Bank 255 records what apei_mce_report_mem_error builds, and
// the recovery and panic lines those the codec predicts for the grade of each machine check.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  apeiMcePrinted,
  apeiMceRecord,
  ghesSeverityOf,
  type LinuxMceRecord,
  linuxMceOutcome,
  MCE_EVENTS_LOGGED_LINE,
  mceKillingLine,
  mcePanicLines,
  memoryFailureRecoveredLine,
  memoryFailureSigbusLine,
  printMceLines,
  userAccessLine,
} from '../../src/codec/index.js';
import { kvmMceValues, SigbusCode } from '../../src/engine/index.js';
import { repoPath } from '../../src/node-util/repo-root.js';

const DIR = repoPath('test', 'fixtures', 'real-guest', 'x86');
const KERNELS = ['6.1', '6.12'];

function fixture(kernel: string, name: string): string[] {
  return readFileSync(join(DIR, kernel, `${name}.txt`), 'utf8')
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'));
}

interface Block {
  readonly rec: LinuxMceRecord;
  readonly lines: string[];
  /** The kernel symbol after a kernel RIP (`{sym+off/len}`), which the codec does not print. */
  readonly symbol?: string;
}

const HEAD =
  /^mce: \[Hardware Error\]: CPU (\d+): Machine Check(?: Exception)?: ([0-9a-f]+) Bank (\d+): ([0-9a-f]{16})$/;
const RIP = /^mce: \[Hardware Error\]: RIP(?: !INEXACT!)? ([0-9a-f]{2}):<([0-9a-f]{16})> ?(.*)$/;
const TSC =
  /^mce: \[Hardware Error\]: TSC ([0-9a-f]+) (?:ADDR ([0-9a-f]+) )?(?:MISC ([0-9a-f]+) )?$/;
const PROC =
  /^mce: \[Hardware Error\]: PROCESSOR (\d+):([0-9a-f]+) TIME (\d+) SOCKET (\d+) APIC ([0-9a-f]+) microcode ([0-9a-f]+)$/;

/** Every __print_mce record in `lines`, parsed from the kernel's own text. */
function blocks(lines: readonly string[]): Block[] {
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const h = HEAD.exec(lines[i]!);
    if (h === null) continue;
    let j = i + 1;
    const r = RIP.exec(lines[j] ?? '');
    if (r !== null) j++;
    const t = TSC.exec(lines[j] ?? '');
    const p = PROC.exec(lines[j + 1] ?? '');
    assert.ok(t && p, `record at line ${i} is not followed by TSC and PROCESSOR lines`);
    const rec: LinuxMceRecord = {
      cpu: Number(h[1]),
      mcgStatus: BigInt(`0x${h[2]}`),
      bank: Number(h[3]),
      status: BigInt(`0x${h[4]}`),
      ip: r === null ? 0n : BigInt(`0x${r[2]}`),
      cs: r === null ? 0 : Number.parseInt(r[1]!, 16),
      tsc: BigInt(`0x${t[1]}`),
      addr: t[2] === undefined ? 0n : BigInt(`0x${t[2]}`),
      misc: t[3] === undefined ? 0n : BigInt(`0x${t[3]}`),
      cpuvendor: Number(p[1]),
      cpuid: Number.parseInt(p[2]!, 16),
      time: BigInt(p[3]!),
      socket: Number(p[4]),
      apicid: Number.parseInt(p[5]!, 16),
      microcode: Number.parseInt(p[6]!, 16),
    };
    const symbol = r?.[3] === '' || r === null ? undefined : r[3];
    out.push({ rec, lines: lines.slice(i, j + 2), ...(symbol === undefined ? {} : { symbol }) });
    i = j + 1;
  }
  return out;
}

/** The codec's lines for a parsed record, with a kernel RIP's symbol appended as the kernel does. */
function codecLines(b: Block): string[] {
  const lines = printMceLines(b.rec);
  if (b.symbol !== undefined) lines[1] = `${lines[1]}${b.symbol}`;
  return lines;
}

function victim(lines: readonly string[]): { pid: number; vaddr: bigint; pfn: bigint } {
  const v = lines.find((l) => l.startsWith('VICTIM: pid='));
  const m = v && /pid=(\d+) vaddr=(0x[0-9a-f]+) .*pfn=(0x[0-9a-f]+)/.exec(v);
  assert.ok(m, 'no victim line');
  return { pid: Number(m[1]), vaddr: BigInt(m[2]!), pfn: BigInt(m[3]!) };
}

for (const kernel of KERNELS) {
  describe(`x86 fixtures of the real ${kernel} amd64 guest`, () => {
    it('has a fixture for every scenario', () => {
      assert.deepEqual(readdirSync(join(DIR, kernel)).sort(), [
        'ghes-ia32x64.txt',
        'ghes-nmi-kill.txt',
        'ghes-nmi-queue.txt',
        'ghes-polled-corrected.txt',
        'mce-ao-early-kill.txt',
        'mce-ao-late-kill.txt',
        'mce-ar-kill.txt',
        'mce-fatal-panic.txt',
      ]);
    });

    it('every machine-check record the kernel printed is the codec’s __print_mce for its values', () => {
      let n = 0;
      for (const f of readdirSync(join(DIR, kernel))) {
        for (const b of blocks(fixture(kernel, f.replace(/\.txt$/, '')))) {
          assert.deepEqual(b.lines, codecLines(b), `${f}: bank ${b.rec.bank}`);
          n++;
        }
      }
      assert.ok(n >= 3, `only ${n} records in the fixtures`);
    });

    it('mce-ar-kill: QEMU’s SRAR values, graded kill-current, with kill_me_maybe and memory_failure lines', () => {
      const lines = fixture(kernel, 'mce-ar-kill');
      const v = victim(lines);
      const [b] = blocks(lines);
      assert.ok(b);
      const q = kvmMceValues(SigbusCode.ActionRequired, v.pfn << 12n, false);
      assert.deepEqual(
        [b.rec.bank, b.rec.status, b.rec.mcgStatus, b.rec.addr, b.rec.misc],
        [q.bank, q.status, q.mcgStatus, q.addr, q.misc],
      );
      assert.equal(b.rec.cs & 3, 3, 'the machine check hit user mode');
      assert.equal(linuxMceOutcome(q).action, 'kill-current');
      for (const want of [
        userAccessLine(q.addr),
        memoryFailureSigbusLine(v.pfn, 'victim', v.pid),
        memoryFailureRecoveredLine(v.pfn),
      ])
        assert.ok(lines.includes(want), `missing: ${want}`);
      assert.ok(
        lines.includes(`VICTIM: got SIGBUS si_code=4 addr=0x${v.vaddr.toString(16)} lsb=12`),
      );
    });

    it('mce-ao-early-kill and mce-ao-late-kill: SRAO handled by memory_failure, so no record is printed', () => {
      const ao = kvmMceValues(SigbusCode.ActionOptional, 0x1000n, false);
      assert.equal(linuxMceOutcome(ao).action, 'memory-failure');
      const early = fixture(kernel, 'mce-ao-early-kill');
      const e = victim(early);
      assert.deepEqual(blocks(early), []);
      assert.ok(early.includes(memoryFailureSigbusLine(e.pfn, 'victim', e.pid)));
      assert.ok(early.includes(memoryFailureRecoveredLine(e.pfn)));
      assert.ok(early.some((l) => l.startsWith('VICTIM: got SIGBUS si_code=5 ')));
      const late = fixture(kernel, 'mce-ao-late-kill');
      const l = victim(late);
      assert.deepEqual(blocks(late), []);
      assert.ok(late.includes(memoryFailureRecoveredLine(l.pfn)));
      assert.ok(late.includes(mceKillingLine('victim', l.pid, l.vaddr)));
      assert.ok(!late.some((x) => x.includes(`Sending SIGBUS to victim:${l.pid}`)));
    });

    it('GHES memory errors: the Bank 255 record is apei_mce_report_mem_error’s, printed unless the CEC takes a corrected one', () => {
      const corrected = fixture(kernel, 'ghes-polled-corrected');
      const pa = BigInt(/physical_address: (0x[0-9a-f]+)/.exec(corrected.join('\n'))![1]!);
      const cb = blocks(corrected);
      const printed = apeiMcePrinted(ghesSeverityOf(2), kernel);
      assert.equal(cb.length, printed ? 1 : 0, `${kernel}: Bank 255 printed=${printed}`);
      if (printed) {
        const want = apeiMceRecord(ghesSeverityOf(2), pa, undefined)!;
        assert.deepEqual(
          [cb[0]!.rec.bank, cb[0]!.rec.status, cb[0]!.rec.addr, cb[0]!.rec.misc],
          [want.bank, want.status, want.addr, want.misc],
        );
      }
      const kill = fixture(kernel, 'ghes-nmi-kill');
      const v = victim(kill);
      const [kb] = blocks(kill);
      const want = apeiMceRecord(ghesSeverityOf(0), v.pfn << 12n, 0xfffffffffffff000n)!;
      assert.ok(kb);
      assert.deepEqual(
        [kb.rec.bank, kb.rec.status, kb.rec.mcgStatus, kb.rec.tsc, kb.rec.misc],
        [255, want.status, 0n, 0n, want.misc],
      );
      assert.ok(kill.includes(memoryFailureRecoveredLine(v.pfn)));
      assert.ok(kill.includes(mceKillingLine('victim', v.pid, v.vaddr)));
    });

    it('mce-fatal-panic: PCC is graded panic and the kernel ends with the codec’s mce_panic lines', () => {
      const lines = fixture(kernel, 'mce-fatal-panic');
      const [b] = blocks(lines);
      assert.ok(b);
      const outcome = linuxMceOutcome(b.rec);
      assert.equal(outcome.action, 'panic');
      const want = mcePanicLines(b.rec, outcome.message, outcome.panicMessage!).slice(-3);
      const at = lines.indexOf(b.lines[b.lines.length - 1]!);
      assert.deepEqual(lines.slice(at + 1, at + 4), want);
    });

    it('the only mce line the codec leaves to a ratelimit is "Machine check events logged"', () => {
      for (const f of readdirSync(join(DIR, kernel))) {
        const lines = fixture(kernel, f.replace(/\.txt$/, ''));
        const covered = new Set(blocks(lines).flatMap((b) => b.lines));
        for (const l of lines.filter((x) => x.startsWith('mce: ')))
          assert.ok(
            covered.has(l) ||
              l === MCE_EVENTS_LOGGED_LINE ||
              l.startsWith('mce: Uncorrected hardware memory error in user-access at ') ||
              /^mce: \[Hardware Error\]: (Run the above|Machine check: )/.test(l),
            `${f}: a line the codec does not model: ${l}`,
          );
      }
    });
  });
}
