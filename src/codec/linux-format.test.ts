import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { readShared, sharedPath } from '../../test/support/shared.js';
import { genericErrorDataEntry } from './generic-error-data.js';
import { decodeGhesStatusBlock, ghesStatusBlock } from './generic-error-status.js';
import { formatLinux, linuxSectionName } from './linux-format.js';
import { MEMORY_SECTION_GUID, memoryErrorSection } from './sections/memory.js';
import { opaqueSection } from './sections/opaque.js';

/**
 * The `{N}[Hardware Error]:` records of a real-guest excerpt, timestamps stripped: runs of
 * consecutive console lines (by their `NNN:` line number) that start with the `Hardware error
 * from APEI` line. Excerpts quote some records twice (console and dmesg); each copy is a record.
 */
function excerptRecords(name: string): { seq: number; lines: string[]; cut: boolean }[] {
  const text = readFileSync(sharedPath('reference', 'real-guest', name), 'utf8');
  const records: { seq: number; lines: string[]; last: number }[] = [];
  let current: { seq: number; lines: string[]; last: number } | undefined;
  const all = text.split(/\r?\n/).filter((l) => l !== '');
  const lastLineNo = Number(/^(\d+):/.exec(all[all.length - 1] ?? '')?.[1] ?? -1);
  for (const raw of all) {
    const m = /^(\d+):\[\s*\d+\.\d+\] (\{(\d+)\}\[Hardware Error\]: (.*))$/.exec(raw);
    const lineNo = m === null ? -1 : Number(m[1]);
    const seq = m === null ? -1 : Number(m[3]);
    if (m !== null && m[4]!.startsWith('Hardware error from APEI')) {
      current = { seq, lines: [m[2]!], last: lineNo };
      records.push(current);
    } else if (
      m !== null &&
      current !== undefined &&
      seq === current.seq &&
      lineNo === current.last + 1
    ) {
      current.lines.push(m[2]!);
      current.last = lineNo;
    } else {
      current = undefined;
    }
  }
  // A record that runs to the end of the excerpt may have been cut off by the excerpt.
  return records.map(({ seq, lines, last }) => ({ seq, lines, cut: last === lastLineNo }));
}

/**
 * The record the real-guest harness wrote (real-guest/RECIPE.md "Writing a record"): block status
 * bit 0 or 1 with entry count 1, raw data offset 20 + data length, one 72-byte GEDE and an 80-byte
 * memory section with error status, PA and error type valid (0x4003), error type 3.
 */
function recipeBlock(severity: number, pa: bigint) {
  const body = memoryErrorSection({ validationBits: 0x4003n, physicalAddress: pa, errorType: 3 });
  return ghesStatusBlock({
    errorSeverity: severity,
    rawDataOffset: 172,
    entries: [genericErrorDataEntry(MEMORY_SECTION_GUID, body, { errorSeverity: severity })],
  });
}

const SEVERITY = { recoverable: 0, fatal: 1, corrected: 2 } as const;

describe('formatLinux() against the real 6.1.192 guest', () => {
  const excerpts = readdirSync(sharedPath('reference', 'real-guest')).filter((f) =>
    f.endsWith('.excerpt.txt'),
  );

  test('every excerpt has at least one record to compare', () => {
    assert.ok(excerpts.length >= 5);
    for (const f of excerpts) assert.ok(excerptRecords(f).length >= 1, f);
  });

  for (const file of excerpts) {
    test(`formatLinux() prints exactly the kernel lines of ${file}`, () => {
      const records = excerptRecords(file);
      assert.ok(records.length >= 1);
      for (const { seq, lines, cut } of records) {
        // Inputs of the run (RECIPE.md): the severity and the PA the harness wrote, read back
        // from the two lines that carry them.
        const sevName = /event severity: (\w+)/.exec(lines.join('\n'))![1] as keyof typeof SEVERITY;
        const pa = BigInt(/physical_address: (0x[0-9a-f]+)/.exec(lines.join('\n'))![1]!);
        const sourceId = Number(/Error Source: (\d+)/.exec(lines[0]!)![1]);
        const block = recipeBlock(SEVERITY[sevName], pa);
        const printed = formatLinux(block, { sourceId, seq, kernel: '6.1' });
        assert.deepEqual(cut ? printed.slice(0, lines.length) : printed, lines);
      }
    });
  }

  test('the polled corrected excerpt is the §8.3 record, line for line', () => {
    const records = excerptRecords('polled-ghesv2-corrected.excerpt.txt');
    assert.deepEqual(
      formatLinux(recipeBlock(2, 0x41234000n), { sourceId: 0, seq: 1 }),
      records[0]!.lines,
    );
  });
});

describe('formatLinux() line shapes', () => {
  const P = '{7}[Hardware Error]: ';

  test('QEMU’s own record (valid bits 0x4002, error type 3) prints PA and `error_type: 3, multi-bit ECC`', () => {
    const block = decodeGhesStatusBlock(
      readShared(
        'reference',
        'qemu',
        'captured',
        'qemu-10.2.50-ece408818d',
        'virt',
        'qmp_cper_payload.bin',
      ),
    );
    assert.deepEqual(formatLinux(block, { sourceId: 1, seq: 7 }), [
      `${P}Hardware error from APEI Generic Hardware Error Source: 1`,
      `${P}event severity: recoverable`,
      `${P} Error 0, type: recoverable`,
      `${P}  section_type: memory error`,
      `${P}  physical_address: 0x0000000040001000`,
      `${P}  error_type: 3, multi-bit ECC`,
    ]);
  });

  test('timestamp, FRU id and FRU text lines come before and after `Error N` as cper.c orders them', () => {
    const body = memoryErrorSection({ validationBits: 0n });
    const e = genericErrorDataEntry(MEMORY_SECTION_GUID, body, {
      errorSeverity: 2,
      validationBits: 0x7,
      fruId: '01020304-0506-0708-090a-0b0c0d0e0f10',
      fruText: new Uint8Array(
        [...'DIMM A1', '\0', 'junk']
          .join('')
          .split('')
          .map((c) => c.charCodeAt(0))
          .concat(Array(9).fill(0)),
      ),
      timestamp: {
        seconds: 0x56,
        minutes: 0x34,
        hours: 0x12,
        flags: 1,
        day: 0x09,
        month: 0x11,
        year: 0x25,
        century: 0x20,
      },
    });
    const lines = formatLinux(ghesStatusBlock({ errorSeverity: 2, entries: [e] }), {
      sourceId: 0,
      seq: 7,
    });
    assert.deepEqual(lines.slice(3), [
      `${P} precise tstamp: 2025-11-09 12:34:56`,
      `${P} Error 0, type: corrected`,
      `${P} fru_id: 01020304-0506-0708-090a-0b0c0d0e0f10`,
      `${P} fru_text: DIMM A1`,
      `${P}  section_type: memory error`,
    ]);
  });

  test('a 64-byte entry never prints a timestamp, and severities keep only their low 16 bits', () => {
    const body = memoryErrorSection({ validationBits: 0n });
    const e = genericErrorDataEntry(MEMORY_SECTION_GUID, body, {
      revision: 0x0200,
      validationBits: 0x4,
      errorSeverity: 0x10002,
    });
    const lines = formatLinux(ghesStatusBlock({ errorSeverity: 0x30002, entries: [e] }), {
      sourceId: 3,
      seq: 7,
    });
    assert.deepEqual(lines, [
      `${P}Hardware error from APEI Generic Hardware Error Source: 3`,
      `${P}It has been corrected by h/w and requires no further action`,
      `${P}event severity: corrected`,
      `${P} Error 0, type: corrected`,
      `${P}  section_type: memory error`,
    ]);
  });

  test('an unknown severity prints `unknown`', () => {
    const lines = formatLinux(ghesStatusBlock({ errorSeverity: 7, entries: [] }), {
      sourceId: 0,
      seq: 7,
    });
    assert.deepEqual(lines, [
      `${P}Hardware error from APEI Generic Hardware Error Source: 0`,
      `${P}event severity: unknown`,
    ]);
  });

  test('an unknown section prints its GUID, %#x length and a print_hex_dump (groups of 4, ASCII)', () => {
    const bytes = new Uint8Array(
      [...'ABCDEFGHIJKLMNOPQRSTUVWXYZ\x00\x01\x7f'].map((c) => c.charCodeAt(0)),
    );
    const guid = '6d5244f2-2712-11ec-bea7-cb3fdb95c786';
    const e = genericErrorDataEntry(guid, opaqueSection(bytes, 'unknown section type'));
    const lines = formatLinux(ghesStatusBlock({ errorSeverity: 0, entries: [e] }), {
      sourceId: 0,
      seq: 7,
    });
    // Row 2 has 13 bytes (not a multiple of 4): lib/hexdump.c falls back to single bytes and
    // puts the ASCII at column 49 (rowsize*2 + rowsize/groupsize + 1).
    assert.deepEqual(lines.slice(3), [
      `${P}  section type: unknown, ${guid}`,
      `${P}  section length: 0x1d`,
      `${P}  00000000: 44434241 48474645 4c4b4a49 504f4e4d  ABCDEFGHIJKLMNOP`,
      `${P}  00000010: ${'51 52 53 54 55 56 57 58 59 5a 00 01 7f'.padEnd(49)}QRSTUVWXYZ...`,
    ]);
  });

  test('an empty unknown section prints `section length: 0` and no dump', () => {
    const e = genericErrorDataEntry(
      '00000000-0000-0000-0000-000000000001',
      opaqueSection(new Uint8Array(0), 'x'),
    );
    const lines = formatLinux(ghesStatusBlock({ errorSeverity: 0, entries: [e] }), {
      sourceId: 0,
      seq: 7,
    });
    assert.deepEqual(lines.slice(3), [
      `${P}  section type: unknown, 00000000-0000-0000-0000-000000000001`,
      `${P}  section length: 0`,
    ]);
  });

  test('a memory section shorter than 73 bytes prints the name then the firmware warning', () => {
    const e = genericErrorDataEntry(
      MEMORY_SECTION_GUID,
      opaqueSection(new Uint8Array(72), 'too short'),
    );
    const lines = formatLinux(ghesStatusBlock({ errorSeverity: 0, entries: [e] }), {
      sourceId: 0,
      seq: 7,
    });
    assert.deepEqual(lines.slice(3), [
      `${P}  section_type: memory error`,
      '[Firmware Warn]: error section length is too small',
    ]);
  });

  test('Memory Error Section 2 is unknown to Linux and prints as a hex dump', () => {
    assert.equal(linuxSectionName('61ec04fc-48e6-d813-25c9-8daa44750b12'), undefined);
    assert.equal(linuxSectionName(MEMORY_SECTION_GUID), 'memory error');
  });

  test('CXL Protocol Error is named only by newer kernels', () => {
    const cxl = '80b9efb4-52b5-4de3-a777-68784b771048';
    assert.equal(linuxSectionName(cxl, '6.1'), undefined);
    assert.equal(linuxSectionName(cxl, 'newer'), 'CXL Protocol Error');
  });

  test('IA32/X64 processor sections print as unknown on an arm64 kernel', () => {
    assert.equal(linuxSectionName('dc3ea0b0-a144-4797-b95b-53fa242b6e1d'), undefined);
  });

  test('sections are numbered from 0 in block order', () => {
    const body = memoryErrorSection({ validationBits: 0n });
    const entries = [0, 1, 2].map((sev) =>
      genericErrorDataEntry(MEMORY_SECTION_GUID, body, { errorSeverity: sev }),
    );
    const lines = formatLinux(ghesStatusBlock({ errorSeverity: 1, entries }), {
      sourceId: 0,
      seq: 7,
    });
    assert.deepEqual(
      lines.filter((l) => / Error \d+, type/.test(l)),
      [
        `${P} Error 0, type: recoverable`,
        `${P} Error 1, type: fatal`,
        `${P} Error 2, type: corrected`,
      ],
    );
  });
});
