// What a Linux guest does with a HEST (linux-guest.md §2, §3, §12): every check the kernel
// applies, in the kernel's order, with its exact message text and consequence.
//
// Order, as the kernel runs it on arm64 (Debian 12's 6.1 config: ACPI_APEI_SEA and
// ARM_SDE_INTERFACE enabled, no HAVE_ACPI_APEI_NMI):
//   1. ACPICA installs the table: header length, checksum (a warning only: ACPI_CHECKSUM_ABORT
//      is off in Linux).
//   2. `apei_hest_parse()` walks Error Source Count entries (drivers/acpi/apei/hest.c): an
//      unknown/reserved type or an entry past the table end rejects the whole HEST.
//   3. `hest_parse_ghes()` registers one `GHES.<id>` device per enabled type 9/10 source that
//      is not a GHES_ASSIST companion of a machine-check source; a duplicate id unregisters all.
//   4. `ghes_probe()` per device: notification type, error block length < 20, `ghes_new()`
//      (read-ack GAR for GHESv2, then the error-status GAR via `apei_check_gar()`, block length
//      > 64 KiB), then the notification set-up (poll interval 0, HED-notified types).
//
// Lint reads raw bytes with its own bounds checks, never through decodeHest(), so it accepts
// whatever the kernel accepts (e.g. a notification Length other than 28) and never throws.

import { byteSum } from './checksum.js';
import type { LintConsequence, LintFinding, LintSeverity } from './finding.js';
import { hestBankCountOffset, hestSourceBaseSize } from './hest.js';
import { HEST_MACHINE_CHECK_BANK_SIZE } from './hest-ia32.js';

/** `GHES_ESTATUS_MAX_SIZE`: larger error status blocks are clamped. */
export const GHES_ESTATUS_MAX_SIZE = 65536;
/** `sizeof(struct acpi_hest_generic_status)`: smaller error status blocks are refused. */
export const GHES_MIN_BLOCK_LENGTH = 20;

const HEADER = 36;
const FIRST_SOURCE = 40;
const GHES_ASSIST = 1 << 2;

interface Entry {
  readonly offset: number;
  readonly type: number;
  readonly sourceId: number;
}

class Bytes {
  private readonly view: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  u8(at: number): number {
    return this.bytes[at] ?? 0;
  }
  u16(at: number): number {
    return at + 2 <= this.bytes.length ? this.view.getUint16(at, true) : 0;
  }
  u32(at: number): number {
    return at + 4 <= this.bytes.length ? this.view.getUint32(at, true) : 0;
  }
  u64(at: number): bigint {
    return at + 8 <= this.bytes.length ? this.view.getBigUint64(at, true) : 0n;
  }
  ascii(at: number, n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += String.fromCharCode(this.u8(at + i));
    return s;
  }
}

function finding(
  code: string,
  severity: LintSeverity,
  message: string,
  consequence: LintConsequence,
  extra: { offset?: number; field?: string; detail?: string } = {},
): LintFinding {
  return { code, severity, message, consequence, ...extra };
}

const notRegistered = (sourceId: number): LintConsequence => ({
  kind: 'source-not-registered',
  sourceId,
});

function hex2(v: number): string {
  return `0x${v.toString(16).toUpperCase().padStart(2, '0')}`;
}

/** `apei_check_gar()` (drivers/acpi/apei/apei-base.c) on the GAS at `at`; null when valid. */
function checkGar(b: Bytes, at: number): { message: string; field: string } | null {
  const spaceId = b.u8(at);
  const bitWidth = b.u8(at + 1);
  const bitOffset = b.u8(at + 2);
  const accessSize = b.u8(at + 3);
  const address = b.u64(at + 4);
  const tail = `in GAR [0x${address.toString(16)}/${bitWidth}/${bitOffset}/${accessSize}/${spaceId}]`;
  const bug = (what: string, field: string) => ({
    message: `[Firmware Bug]: APEI: Invalid ${what} ${tail}`,
    field,
  });
  if (address === 0n) return bug('physical address', 'address');
  if (accessSize < 1 || accessSize > 4) return bug('access size code', 'accessSize');
  let accessBits = 1 << (accessSize + 2);
  // "Fixup common BIOS bug": a 32/64-bit aligned register at offset 0 widens the access.
  if (bitWidth === 32 && bitOffset === 0 && (address & 3n) === 0n && accessBits < 32)
    accessBits = 32;
  else if (bitWidth === 64 && bitOffset === 0 && (address & 7n) === 0n && accessBits < 64)
    accessBits = 64;
  if (bitWidth + bitOffset > accessBits) return bug('bit width + offset', 'registerBitWidth');
  if (spaceId !== 0 && spaceId !== 1) return bug('address space type', 'addressSpaceId');
  return null;
}

/**
 * Lints a HEST as Linux 6.1 on arm64 reads it. Never throws: input that is not a HEST at all
 * is a finding too.
 */
export function lintHest(bytes: Uint8Array): LintFinding[] {
  const out: LintFinding[] = [];
  const b = new Bytes(bytes);

  // 1. Header.
  if (bytes.length < HEADER) {
    out.push(
      finding(
        'hest.truncated',
        'error',
        '',
        { kind: 'hest-rejected' },
        {
          offset: 0,
          detail: `${bytes.length} bytes cannot hold the 36-byte ACPI table header`,
        },
      ),
    );
    return out;
  }
  const signature = b.ascii(0, 4);
  if (signature !== 'HEST') {
    out.push(
      finding(
        'hest.signature',
        'error',
        '',
        { kind: 'hest-rejected' },
        {
          offset: 0,
          field: 'signature',
          detail: `signature is ${JSON.stringify(signature)}: Linux looks the HEST up by its signature, so this table is not used as one`,
        },
      ),
    );
    return out;
  }
  const length = b.u32(4);
  if (length < FIRST_SOURCE) {
    out.push(
      finding(
        'hest.length',
        'error',
        '',
        { kind: 'hest-rejected' },
        {
          offset: 4,
          field: 'length',
          detail: `Length ${length} is shorter than the 40-byte HEST header (SDT header + Error Source Count)`,
        },
      ),
    );
    return out;
  }
  const end = Math.min(length, bytes.length);
  if (length > bytes.length) {
    out.push(
      finding(
        'hest.length-exceeds-input',
        'error',
        '',
        { kind: 'warning' },
        {
          offset: 4,
          field: 'length',
          detail: `Length says ${length} bytes but ${bytes.length} are given; the checks below treat the table as ending at byte ${bytes.length}`,
        },
      ),
    );
  } else if (length < bytes.length) {
    out.push(
      finding(
        'hest.trailing-bytes',
        'info',
        '',
        { kind: 'info' },
        {
          offset: length,
          detail: `${bytes.length - length} bytes after the table's Length are not part of it`,
        },
      ),
    );
  }
  const sum = byteSum(bytes, 0, end);
  if (sum !== 0) {
    const stored = b.u8(9);
    out.push(
      finding(
        'hest.checksum',
        'warning',
        `ACPI BIOS Warning (bug): Incorrect checksum in table [HEST] - ${hex2(stored)}, should be ${hex2((stored - sum) & 0xff)}`,
        { kind: 'warning' },
        {
          offset: 9,
          field: 'checksum',
          detail: 'ACPICA appends its version and module to the line; the table is still used',
        },
      ),
    );
  }

  // 2. apei_hest_parse(): size every counted entry.
  const count = b.u32(36);
  const entries: Entry[] = [];
  let at = FIRST_SOURCE;
  for (let i = 0; i < count; i++) {
    if (at + 4 > end) {
      out.push(
        finding(
          'hest.overflow',
          'error',
          '',
          { kind: 'hest-rejected' },
          {
            offset: at,
            detail: `Error Source Count is ${count} but entry ${i} would start at ${at}, at or past the table end (${end}): the kernel reads it from memory after the table, so what it prints depends on those bytes`,
          },
        ),
      );
      return out;
    }
    const type = b.u16(at);
    const sourceId = b.u16(at + 2);
    const base = hestSourceBaseSize(type);
    if (base === undefined) {
      out.push(
        finding(
          'hest.unknown-type',
          'error',
          `[Firmware Warn]: HEST: Unknown or unused hardware error source type: ${type} for hardware error source: ${sourceId}.`,
          { kind: 'hest-rejected' },
          { offset: at, field: 'type' },
        ),
      );
      return out;
    }
    const bankAt = hestBankCountOffset(type);
    const len =
      bankAt !== undefined && at + base <= end
        ? base + b.u8(at + bankAt) * HEST_MACHINE_CHECK_BANK_SIZE
        : base;
    if (at + len > end) {
      out.push(
        finding(
          'hest.overflow',
          'error',
          `[Firmware Bug]: HEST: Table contents overflow for hardware error source: ${sourceId}.`,
          { kind: 'hest-rejected' },
          { offset: at, detail: `the ${len}-byte entry ends at ${at + len}, the table at ${end}` },
        ),
      );
      return out;
    }
    entries.push({ offset: at, type, sourceId });
    at += len;
  }

  // 3. hest_parse_ghes(): GHES_ASSIST companions, disabled sources, duplicate ids.
  const registered: Entry[] = [];
  for (const [k, e] of entries.entries()) {
    if (e.type !== 9 && e.type !== 10) continue;
    const assistOf = ghesAssistOf(b, entries, k);
    if (assistOf !== undefined) {
      out.push(
        finding('hest.ghes-assist', 'info', '', notRegistered(e.sourceId), {
          offset: e.offset + 4,
          field: 'relatedSourceId',
          detail: `Related Source Id ${assistOf.sourceId} names a machine-check source (type ${assistOf.type}) with the GHES_ASSIST flag: Linux skips this GHES structure`,
        }),
      );
      continue;
    }
    if (b.u8(e.offset + 7) === 0) {
      out.push(
        finding('hest.disabled', 'warning', '', notRegistered(e.sourceId), {
          offset: e.offset + 7,
          field: 'enabled',
          detail: 'Enabled is 0: Linux skips the source silently',
        }),
      );
      continue;
    }
    if (registered.some((r) => r.sourceId === e.sourceId)) {
      out.push(
        finding(
          'hest.duplicate-id',
          'error',
          `[Firmware Warn]: HEST: Duplicated hardware error source ID: ${e.sourceId}.`,
          { kind: 'all-sources-removed' },
          { offset: e.offset + 2, field: 'sourceId' },
        ),
      );
      return out;
    }
    registered.push(e);
  }
  if (registered.length === 0) {
    out.push(
      finding(
        'hest.no-ghes',
        'info',
        '',
        { kind: 'info' },
        {
          detail: 'no enabled GHES or GHESv2 source: Linux registers no GHES device',
        },
      ),
    );
  }

  // 4. ghes_probe() for each registered device.
  for (const e of registered) probe(b, e, out);
  return out;
}

/**
 * `is_ghes_assist_struct()`: the machine-check sources it compares with are the last of each
 * type 0/1/11 seen by `hest_esrc_len()`; an earlier walk of the whole table has already run,
 * so that is the last one before this entry, or else the last one in the table.
 */
function ghesAssistOf(b: Bytes, entries: readonly Entry[], k: number): Entry | undefined {
  const related = b.u16(entries[k]!.offset + 4);
  for (const type of [1, 0, 11]) {
    const before = entries.slice(0, k).filter((e) => e.type === type);
    const all = entries.filter((e) => e.type === type);
    const mc = before.at(-1) ?? all.at(-1);
    if (mc && b.u8(mc.offset + 6) & GHES_ASSIST && related === mc.sourceId) return mc;
  }
  return undefined;
}

function probe(b: Bytes, e: Entry, out: LintFinding[]): void {
  const id = e.sourceId;
  const notifyAt = e.offset + 32;
  const notify = b.u8(notifyAt);
  const gone = notRegistered(id);
  const at = { offset: notifyAt, field: 'notification.type' };
  switch (notify) {
    case 0:
    case 1:
    case 3:
    case 7:
    case 8:
    case 10:
    case 11:
      break;
    case 4:
      out.push(
        finding(
          'hest.notify-nmi',
          'error',
          `GHES: Generic hardware error source: ${id} notified via NMI interrupt is not supported!`,
          gone,
          { ...at, detail: 'NMI notification needs CONFIG_HAVE_ACPI_APEI_NMI (x86 only)' },
        ),
      );
      return;
    case 2:
      out.push(
        finding(
          'hest.notify-local',
          'error',
          `GHES: Generic hardware error source: ${id} notified via local interrupt is not supported!`,
          gone,
          at,
        ),
      );
      return;
    default:
      out.push(
        finding(
          'hest.notify-unknown',
          'error',
          `[Firmware Warn]: GHES: Unknown notification type: ${notify} for generic hardware error source: ${id}`,
          gone,
          at,
        ),
      );
      return;
  }

  const blockAt = e.offset + 60;
  const blockLength = b.u32(blockAt);
  if (blockLength < GHES_MIN_BLOCK_LENGTH) {
    out.push(
      finding(
        'hest.block-length-short',
        'error',
        `[Firmware Bug]: GHES: Invalid error block length: ${blockLength} for generic hardware error source: ${id}`,
        gone,
        { offset: blockAt, field: 'errorStatusBlockLength' },
      ),
    );
    return;
  }

  // ghes_new(): GHESv2's read-ack register first, then the error status address.
  const gars: [number, string][] = [[e.offset + 20, 'errorStatusAddress']];
  if (e.type === 10) gars.unshift([e.offset + 64, 'readAckRegister']);
  for (const [garAt, name] of gars) {
    const bad = checkGar(b, garAt);
    if (bad) {
      out.push(
        finding('hest.gar', 'error', bad.message, gone, {
          offset: garAt,
          field: `${name}.${bad.field}`,
        }),
      );
      return;
    }
  }
  if (blockLength > GHES_ESTATUS_MAX_SIZE) {
    out.push(
      finding(
        'hest.block-length-long',
        'warning',
        `[Firmware Warn]: GHES: Error status block length is too long: ${blockLength} for generic hardware error source: ${id}.`,
        { kind: 'warning' },
        {
          offset: blockAt,
          field: 'errorStatusBlockLength',
          detail: `Linux reads at most ${GHES_ESTATUS_MAX_SIZE} bytes of the block`,
        },
      ),
    );
  }

  if (notify === 0 && b.u32(notifyAt + 4) === 0) {
    out.push(
      finding(
        'hest.poll-interval-zero',
        'error',
        `[Firmware Warn]: GHES: Poll interval is 0 for generic hardware error source: ${id}, disabled.`,
        gone,
        {
          offset: notifyAt + 4,
          field: 'notification.pollInterval',
          detail: 'the probe succeeds but no poll timer is started: the source is never read',
        },
      ),
    );
  } else if (notify === 3 || notify === 7 || notify === 10) {
    out.push(
      finding(
        'hest.needs-hed',
        'info',
        '',
        { kind: 'info' },
        {
          ...at,
          detail:
            'SCI, GPIO-signal and GSIV sources are read only when an ACPI Hardware Error Device (PNP0C33) receives Notify(HED, 0x80); each such notification scans every SCI/GPIO/GSIV source',
        },
      ),
    );
  } else if (notify === 11) {
    out.push(
      finding(
        'hest.needs-sdei',
        'info',
        '',
        { kind: 'info' },
        {
          ...at,
          detail: `SDEI event ${b.u32(notifyAt + 8)} is registered through the firmware's SDEI interface; without SDEI firmware (QEMU virt has none) the registration fails and the source is not used`,
        },
      ),
    );
  }
}
