import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeGhesStatusBlock } from './generic-error-status.js';
import { formatLinux } from './linux-format.js';
import { formatLinuxX86, x86CacheErrorRecord } from './mce-cper-x86.js';

// Golden lines: what the real Debian 6.1.192 amd64 guest printed for this record (x86
// real-guest scenario ghes-ia32x64, QEMU 7.2 q35 TCG Skylake-Client-v1, 2026-12-07).

const record = () => x86CacheErrorRecord(0n, 0xffffffff81000c49n);

test('formatLinuxX86() prints an IA32/X64 record as the real x86 6.1 guest did', () => {
  const lines = formatLinuxX86(decodeGhesStatusBlock(record()), {
    sourceId: 2,
    seq: 1,
    kernel: '6.1',
  });
  assert.deepEqual(lines, [
    '{1}[Hardware Error]: Hardware error from APEI Generic Hardware Error Source: 2',
    '{1}[Hardware Error]: It has been corrected by h/w and requires no further action',
    '{1}[Hardware Error]: event severity: corrected',
    '{1}[Hardware Error]:  Error 0, type: corrected',
    '{1}[Hardware Error]:   section_type: IA32/X64 processor error',
    '{1}[Hardware Error]:   Local APIC_ID: 0x0',
    '{1}[Hardware Error]:   CPUID Info:',
    '{1}[Hardware Error]:   00000000: 000506e3 00000000 00000000 00000000',
    '{1}[Hardware Error]:   00000010: 00000000 00000000 00000000 00000000',
    '{1}[Hardware Error]:   00000020: 00000000 00000000 00000000 00000000',
    '{1}[Hardware Error]:   Error Information Structure 0:',
    '{1}[Hardware Error]:    Error Structure Type: cache error',
    '{1}[Hardware Error]:    Check Information: 0x0000000000030207',
    '{1}[Hardware Error]:     Transaction Type: 3, unknown',
    '{1}[Hardware Error]:     Operation: 0, generic error',
    '{1}[Hardware Error]:     Level: 0',
    '{1}[Hardware Error]:    Instruction Pointer: 0xffffffff81000c49',
  ]);
});

test('formatLinuxX86() leaves records without an IA32/X64 section as formatLinux prints them', () => {
  const block = decodeGhesStatusBlock(record());
  const other = { ...block, entries: [] };
  assert.deepEqual(
    formatLinuxX86(other, { sourceId: 1, seq: 3 }),
    formatLinux(other, { sourceId: 1, seq: 3 }),
  );
  // On arm64 (formatLinux) the same section is unknown: the x86 form differs.
  assert.notDeepEqual(
    formatLinux(block, { sourceId: 2, seq: 1 }),
    formatLinuxX86(block, { sourceId: 2, seq: 1 }),
  );
});
