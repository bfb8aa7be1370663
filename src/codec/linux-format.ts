// The lines Linux prints for a GHES status block (drivers/acpi/apei/ghes.c
// `__ghes_print_estatus`, drivers/firmware/efi/cper.c `cper_estatus_print`,
// `cper_estatus_print_section`, lib/hexdump.c `print_hex_dump`; linux-guest.md §8). Checked against
// the real 6.1.192 console output in reference/real-guest/.
//
// The block is assumed to have passed the kernel's read checks (lint-status-block.ts owns those):
// this is what the kernel prints once it accepts a record. Lines carry no printk level or time.

import { formatCperTimestampLinux } from './cper-timestamp.js';
import { type GenericErrorDataEntry, GenericErrorDataValid } from './generic-error-data.js';
import type { GhesStatusBlock } from './generic-error-status.js';
import type { Guid } from './guid.js';
import { type KernelVersion, kernelBehaviour } from './lint-status-block.js';
import { type LinuxFormatOptions, type SectionBody, sectionCodecFor } from './section.js';
import { linuxHexDumpLines } from './sections/arm-processor.js';
import {
  encodeSectionBody,
  MEMORY_SECTION_GUID,
  type MemoryLinuxFormatOptions,
} from './sections/index.js';
import { CperSeverity, cperSeverityName } from './severity.js';
import { escapeControlText } from './text-escape.js';
import { ByteWriter } from './writer.js';

export interface FormatLinuxOptions extends MemoryLinuxFormatOptions {
  /** HEST source id printed in the first line. */
  readonly sourceId: number;
  /** The `{N}` record counter (global, incremented per printed record). */
  readonly seq: number;
  readonly kernel?: KernelVersion;
}

/** A section type the kernel decodes: its `section_type:` name and minimum body length. */
interface KnownSection {
  readonly name: string;
  readonly minLength: number;
}

/**
 * `cper_estatus_print_section()` branches of an arm64 kernel. IA32/X64 needs
 * CONFIG_UEFI_CPER_X86 (x86 only) and prints as unknown on arm64. CXL Protocol Error is 6.2+.
 */
const KNOWN_61: ReadonlyMap<Guid, KnownSection> = new Map([
  ['9876ccad-47b4-4bdb-b65e-16f193c4f3db', { name: 'general processor error', minLength: 192 }],
  [MEMORY_SECTION_GUID, { name: 'memory error', minLength: 73 }],
  ['d995e954-bbc1-430f-ad91-b44dcb3c6f35', { name: 'PCIe error', minLength: 208 }],
  ['e19e3d16-bc11-11e4-9caa-c2051d5d46b0', { name: 'ARM processor error', minLength: 40 }],
  [
    '81212a96-09ed-4996-9471-8d729c8e69ed',
    { name: 'Firmware Error Record Reference', minLength: 16 },
  ],
]);
const CXL_PROTOCOL_ERROR_GUID = '80b9efb4-52b5-4de3-a777-68784b771048';
const KNOWN_NEWER: ReadonlyMap<Guid, KnownSection> = new Map([
  ...KNOWN_61,
  [CXL_PROTOCOL_ERROR_GUID, { name: 'CXL Protocol Error', minLength: 116 }],
]);

/** What `cper_estatus_print_section()` prints after `section_type: `, or undefined (unknown). */
export function linuxSectionName(
  sectionType: Guid,
  kernel: KernelVersion = '6.1',
): string | undefined {
  return knownSections(kernel).get(sectionType)?.name;
}

function knownSections(kernel: KernelVersion): ReadonlyMap<Guid, KnownSection> {
  return kernelBehaviour(kernel).cxlProtocolSection ? KNOWN_NEWER : KNOWN_61;
}

/** The `{N}[Hardware Error]: ` prefix (`pfx_seq` without its printk level). */
export function hardwareErrorPrefix(seq: number): string {
  return `{${seq}}[Hardware Error]: `;
}

export const FW_WARN_SECTION_TOO_SMALL = '[Firmware Warn]: error section length is too small';

/** The body's bytes, as the kernel sees them. */
export function sectionBodyBytes(sectionType: Guid, body: SectionBody): Uint8Array {
  if (body.kind === 'opaque') return (body as { bytes: Uint8Array }).bytes;
  const w = new ByteWriter('section body', 128);
  encodeSectionBody(w, sectionType, body);
  return w.toBytes();
}

/** One writer, reused: printing needs only a decoded body's length, not a copy of its bytes. */
const lengthWriter = new ByteWriter('section body', 128);

/** The length of the body's bytes, as `sectionBodyBytes(…).length`. */
function sectionBodyLength(sectionType: Guid, body: SectionBody): number {
  if (body.kind === 'opaque') return (body as { bytes: Uint8Array }).bytes.length;
  lengthWriter.reset();
  encodeSectionBody(lengthWriter, sectionType, body);
  return lengthWriter.offset;
}

interface TextDecoderLike {
  decode(bytes: Uint8Array): string;
}
// TextDecoder is in every browser and in Node, but not in the ES library the codec builds against.
const Decoder = (globalThis as { TextDecoder?: new () => TextDecoderLike }).TextDecoder;
const utf8: TextDecoderLike | undefined = Decoder === undefined ? undefined : new Decoder();
const HEX_HI = new Uint8Array(256);
const HEX_LO = new Uint8Array(256);
/** The character print_hex_dump shows for a byte: itself when printable ASCII, else '.'. */
const PRINTABLE = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  HEX_HI[i] = '0123456789abcdef'.charCodeAt(i >> 4);
  HEX_LO[i] = '0123456789abcdef'.charCodeAt(i & 15);
  PRINTABLE[i] = i >= 0x20 && i < 0x7f ? i : 0x2e;
}
let dumpBuffer = new Uint8Array(8192);
let lineEnds = new Int32Array(128);

/**
 * `linuxHexDumpLines(prefix, bytes, true)` (print_hex_dump with ASCII, sections/arm-processor.ts)
 * written as ASCII bytes into one buffer, made one string and split into lines, each then put
 * after the prefix: the same lines without a string per group and character.
 * linux-format-fast.test.ts checks the two agree.
 */
export function hexDumpLinesFast(prefix: string, bytes: Uint8Array): string[] {
  const n = bytes.length;
  if (utf8 === undefined) return linuxHexDumpLines(prefix, bytes, true);
  if (n === 0) return [];
  const rows = Math.ceil(n / 16);
  // A line's text after the prefix: offset, ": ", up to 49 columns of hex, 16 characters.
  const size = rows * 76;
  if (dumpBuffer.length < size) dumpBuffer = new Uint8Array(size);
  if (lineEnds.length < rows) lineEnds = new Int32Array(Math.max(rows, lineEnds.length * 2));
  const ends = lineEnds;
  const b = dumpBuffer;
  const hi = HEX_HI;
  const lo = HEX_LO;
  let p = 0;
  for (let row = 0; row < n; row += 16) {
    b[p++] = hi[row >>> 24]!;
    b[p++] = lo[row >>> 24]!;
    b[p++] = hi[(row >>> 16) & 0xff]!;
    b[p++] = lo[(row >>> 16) & 0xff]!;
    b[p++] = hi[(row >>> 8) & 0xff]!;
    b[p++] = lo[(row >>> 8) & 0xff]!;
    b[p++] = hi[row & 0xff]!;
    b[p++] = lo[row & 0xff]!;
    b[p++] = 0x3a; // :
    b[p++] = 0x20;
    const len = Math.min(16, n - row);
    const start = p;
    let width: number;
    if (len % 4 === 0) {
      // Little-endian u32 groups: the group's last byte is printed first.
      for (let j = row; j < row + len; j += 4) {
        if (j > row) b[p++] = 0x20;
        const x3 = bytes[j + 3]!;
        const x2 = bytes[j + 2]!;
        const x1 = bytes[j + 1]!;
        const x0 = bytes[j]!;
        b[p] = hi[x3]!;
        b[p + 1] = lo[x3]!;
        b[p + 2] = hi[x2]!;
        b[p + 3] = lo[x2]!;
        b[p + 4] = hi[x1]!;
        b[p + 5] = lo[x1]!;
        b[p + 6] = hi[x0]!;
        b[p + 7] = lo[x0]!;
        p += 8;
      }
      width = 37;
    } else {
      for (let j = row; j < row + len; j++) {
        if (j > row) b[p++] = 0x20;
        const x = bytes[j]!;
        b[p++] = hi[x]!;
        b[p++] = lo[x]!;
      }
      width = 49;
    }
    while (p - start < width) b[p++] = 0x20;
    for (let j = row; j < row + len; j++) b[p++] = PRINTABLE[bytes[j]!]!;
    ends[row >> 4] = p;
  }
  // One string for the whole dump, cut at the recorded line ends (cheaper than split).
  const text = utf8.decode(b.subarray(0, p));
  if (dumpBuffer.length > 1 << 20) {
    dumpBuffer = new Uint8Array(8192);
    lineEnds = new Int32Array(128);
  }
  const lines = new Array<string>(rows);
  for (let i = 0, start = 0; i < rows; i++) {
    const end = ends[i]!;
    lines[i] = prefix + text.slice(start, end);
    start = end;
  }
  return lines;
}

/** printk `%#x`: `0` for zero, else `0x…`. */
function hashX(v: number): string {
  return v === 0 ? '0' : `0x${v.toString(16)}`;
}

/**
 * printk `%.20s` of the FRU text: up to the first NUL, at most 20 bytes. Control characters are
 * written as \u00XX (escapeControlText): guest-chosen bytes never reach a terminal raw.
 */
function fruTextString(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length && i < 20; i++) {
    const c = bytes[i]!;
    if (c === 0) break;
    s += String.fromCharCode(c);
  }
  return escapeControlText(s);
}

/** Lines `cper_estatus_print_section()` prints for entry number `secNo`; `pfx` is `P` + one space. */
export function formatLinuxSection(
  e: GenericErrorDataEntry,
  secNo: number,
  pfx: string,
  options: LinuxFormatOptions = {},
): string[] {
  const kernel = options.kernel ?? '6.1';
  const lines: string[] = [];
  if (
    e.revision >> 8 >= 3 &&
    e.timestamp !== undefined &&
    (e.validationBits & GenericErrorDataValid.Timestamp) !== 0
  ) {
    lines.push(`${pfx}${formatCperTimestampLinux(e.timestamp)}`);
  }
  // `__u16 severity = gdata->error_severity`: the kernel keeps only the low 16 bits.
  lines.push(`${pfx}Error ${secNo}, type: ${cperSeverityName(e.errorSeverity & 0xffff)}`);
  if (e.validationBits & GenericErrorDataValid.FruId) lines.push(`${pfx}fru_id: ${e.fruId}`);
  if (e.validationBits & GenericErrorDataValid.FruText) {
    lines.push(`${pfx}fru_text: ${fruTextString(e.fruText)}`);
  }
  const newpfx = `${pfx} `;
  const known = knownSections(kernel).get(e.sectionType);
  if (known === undefined) {
    const bytes = sectionBodyBytes(e.sectionType, e.body);
    lines.push(`${newpfx}section type: unknown, ${e.sectionType}`);
    lines.push(`${newpfx}section length: ${hashX(bytes.length)}`);
    for (const line of hexDumpLinesFast(newpfx, bytes)) lines.push(line);
    return lines;
  }
  lines.push(`${newpfx}section_type: ${known.name}`);
  const length = sectionBodyLength(e.sectionType, e.body);
  if (length < known.minLength) {
    lines.push(FW_WARN_SECTION_TOO_SMALL);
    return lines;
  }
  const codec = sectionCodecFor(e.sectionType);
  if (e.body.kind !== 'opaque' && codec?.printLinux !== undefined) {
    const ctxOptions = { ...options, sectionSeverity: e.errorSeverity };
    lines.push(...codec.printLinux(e.body, { pfx: newpfx, options: ctxOptions }));
  }
  return lines;
}

/**
 * Exactly the lines Linux prints for `block` from source `sourceId` as record `{seq}`:
 * `Hardware error from APEI Generic Hardware Error Source: N`, the corrected line, `event
 * severity`, then per entry the section lines (linux-guest.md §8.2–§8.4).
 */
export function formatLinux(block: GhesStatusBlock, options: FormatLinuxOptions): string[] {
  const p = hardwareErrorPrefix(options.seq);
  const lines = [`${p}Hardware error from APEI Generic Hardware Error Source: ${options.sourceId}`];
  // `__u16 severity = estatus->error_severity` in cper_estatus_print().
  const severity = block.errorSeverity & 0xffff;
  if (severity === CperSeverity.Corrected) {
    lines.push(`${p}It has been corrected by h/w and requires no further action`);
  }
  lines.push(`${p}event severity: ${cperSeverityName(severity)}`);
  const secPfx = `${p} `;
  block.entries.forEach((e, i) => {
    lines.push(...formatLinuxSection(e, i, secPfx, options));
  });
  return lines;
}
