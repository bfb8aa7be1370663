// RecordPort implemented with the vras codec: status blocks are built and decoded by the codec,
// Linux's read checks come from linuxAcceptance(), the HEST from decodeHest(), and the printed
// record lines from the codec's formatLinux() (linux-guest.md §8.2), so every record a
// component writes or reads is a full-stack round trip through the codec.

import {
  cperEstatusLen,
  decodeGhesStatusBlock,
  decodeGhesStatusHeader,
  decodeHest,
  encodeGhesStatusBlock,
  formatLinux,
  genericErrorDataEntry,
  ghesStatusBlock,
  type KernelVersion,
  linuxAcceptance,
  MEMORY_SECTION_GUID,
  type MemoryErrorSection,
  MemoryValid,
  memoryErrorSection,
  resolveKernel,
  type SectionBody,
} from '../codec/index.js';

import type {
  BlockRead,
  GhesSourceInfo,
  HestParse,
  MemoryErrorReport,
  RecordPort,
  RecordSection,
} from './ports.js';

/** Notification types ghes_probe() accepts on arm64 (polled, external, SCI, GPIO, SEA, GSIV, SDEI). */
const GHES_NOTIFY_SUPPORTED: ReadonlySet<number> = new Set([0, 1, 3, 7, 8, 10, 11]);

export interface CodecRecordPortOptions {
  /** Guest RAM for the 6.1 pfn_valid check in the acceptance rules. */
  readonly ram?: readonly { readonly start: bigint; readonly size: bigint }[];
  /** Lines ghes.c prints after registering (QEMU virt boots print the _OSC failure). */
  readonly bootLines?: readonly string[];
  /**
   * The guest kernel whose acceptance rules and printk formats apply (default '6.1'): the
   * record lines (formatLinux), the read checks (linuxAcceptance) and the driver core's
   * failed-probe line (6.1 `GHES: probe of GHES.N failed with error -22`; 6.12 and 7.3
   * `GHES GHES.N: probe with driver GHES failed with error -22`, boot-ghes.txt per kernel).
   */
  readonly kernel?: KernelVersion;
}

/** Whether the first `n` bytes of `a` are `b` (the memo below keys on a record's bytes). */
function sameBytes(a: Uint8Array, b: Uint8Array, n: number): boolean {
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function codecRecordPort(options: CodecRecordPortOptions = {}): RecordPort {
  const kernel = resolveKernel(options.kernel);
  // The last block checked and decoded. A record is read more than once on its way (the SEA
  // handler's check, then irq_work's processing and printing from the same copy; the host's
  // check, then its printing): each distinct record goes through the codec's acceptance rules and
  // decoder once, and a repeat of the same bytes reuses the result. Pure functions of the bytes,
  // so the memo changes no output.
  // The remembered bytes live in one reused buffer (a copy per new record cost an allocation).
  let memoStore = new Uint8Array(256);
  let memoLength = -1;
  let memoRead: BlockRead | null = null;
  let memoDecoded: ReturnType<typeof decodeGhesStatusBlock> | null = null;
  const remember = (block: Uint8Array): void => {
    const n = block.length;
    if (n === memoLength && sameBytes(memoStore, block, n)) return;
    if (memoStore.length < n) memoStore = new Uint8Array(Math.max(n, memoStore.length * 2));
    memoStore.set(block);
    memoLength = n;
    memoRead = null;
    memoDecoded = null;
  };
  const decoded = (block: Uint8Array) => {
    remember(block);
    memoDecoded ??= decodeGhesStatusBlock(block);
    return memoDecoded;
  };
  const read = (block: Uint8Array): BlockRead => {
    const acc = linuxAcceptance(block, {
      errorBlockLength: block.length,
      notificationType: 0,
      kernel,
      ...(options.ram === undefined ? {} : { ram: options.ram }),
    });
    if (!acc.accepted) {
      const f = acc.findings.find((x) => x.message.startsWith('[Firmware'));
      return f === undefined ? { kind: 'empty' } : { kind: 'rejected', line: f.message };
    }
    // readBlock remembered these bytes just before: decode them into the memo directly.
    memoDecoded ??= decodeGhesStatusBlock(block);
    const d = memoDecoded;
    const sections: RecordSection[] = d.entries.map((e) => {
      const body = e.body as { kind: string };
      if (body.kind === 'memory') {
        const m = body as unknown as MemoryErrorSection;
        const pa = (m.validationBits & MemoryValid.PhysicalAddress) !== 0n;
        return {
          kind: 'memory',
          severity: e.errorSeverity,
          flags: e.flags,
          ...(pa ? { physicalAddress: m.physicalAddress } : {}),
        };
      }
      return { kind: body.kind, severity: e.errorSeverity, flags: e.flags };
    });
    return {
      kind: 'accepted',
      record: { severity: d.errorSeverity, length: block.length, sections },
    };
  };
  return {
    encodeMemoryRecord(report: MemoryErrorReport): Uint8Array {
      let valid = MemoryValid.ErrorStatus | MemoryValid.ErrorType;
      if (report.physicalAddress !== undefined) valid |= MemoryValid.PhysicalAddress;
      const body = memoryErrorSection({
        validationBits: valid,
        physicalAddress: report.physicalAddress ?? 0n,
        errorType: report.errorType,
      });
      const entry = genericErrorDataEntry(MEMORY_SECTION_GUID, body as unknown as SectionBody, {
        errorSeverity: report.severity,
      });
      return encodeGhesStatusBlock(
        ghesStatusBlock({ errorSeverity: report.severity, entries: [entry] }),
      );
    },

    headerLength(header: Uint8Array, errorBlockLength: number): number | BlockRead {
      const h = decodeGhesStatusHeader(header);
      if (h.blockStatus === 0) return { kind: 'empty' };
      const len = cperEstatusLen(h);
      if (len < 20)
        return { kind: 'rejected', line: '[Firmware Warn]: GHES: Truncated error status block!' };
      if (len > errorBlockLength) {
        return {
          kind: 'rejected',
          line: '[Firmware Warn]: GHES: Invalid error status block length!',
        };
      }
      return len;
    },

    readBlock(block: Uint8Array): BlockRead {
      remember(block);
      memoRead ??= read(block);
      return memoRead;
    },

    linuxLines(block: Uint8Array, seq: number, sourceId = 0): string[] {
      return formatLinux(decoded(block), { seq, sourceId, kernel });
    },

    parseHest(bytes: Uint8Array): HestParse {
      const hest = decodeHest(bytes);
      const lines: string[] = [];
      if (hest.rest !== undefined) {
        return {
          sources: [],
          lines: [
            '[Firmware Warn]: HEST: Unknown or unused hardware error source type: for hardware error source.',
          ],
        };
      }
      const sources: GhesSourceInfo[] = [];
      const probeLines: string[] = [];
      for (const s of hest.sources) {
        if (s.type !== 9 && s.type !== 10) continue;
        if (s.enabled === 0) continue;
        // ghes_probe() on arm64 6.1 (linux-guest.md; lint-hest.ts probe()): NMI and local
        // interrupts are not supported, any other type but these is unknown, and the source is
        // not registered. The driver core then reports the failed probe (drivers/base/dd.c).
        // An SEI source (9) takes the unknown path: the real 6.1.192 guest printed both lines
        // (test/fixtures/real-guest/6.1/boot-ghes.txt).
        const notify = s.notification.type;
        if (!GHES_NOTIFY_SUPPORTED.has(notify)) {
          probeLines.push(
            notify === 4
              ? `GHES: Generic hardware error source: ${s.sourceId} notified via NMI interrupt is not supported!`
              : notify === 2
                ? `GHES: Generic hardware error source: ${s.sourceId} notified via local interrupt is not supported!`
                : `[Firmware Warn]: GHES: Unknown notification type: ${notify} for generic hardware error source: ${s.sourceId}`,
            kernel === '6.1'
              ? `GHES: probe of GHES.${s.sourceId} failed with error -22`
              : `GHES GHES.${s.sourceId}: probe with driver GHES failed with error -22`,
          );
          continue;
        }
        sources.push({
          sourceId: s.sourceId,
          type: s.type,
          notifyType: s.notification.type,
          pollIntervalMs: s.notification.pollInterval,
          vector: s.notification.vector,
          errorStatusAddress: s.errorStatusAddress.address,
          errorBlockLength: s.errorStatusBlockLength,
          ...(s.type === 10
            ? {
                readAck: {
                  address: s.readAckRegister.address,
                  bitOffset: s.readAckRegister.registerBitOffset,
                  preserve: s.readAckPreserve,
                  write: s.readAckWrite,
                },
              }
            : {}),
        });
      }
      lines.push('HEST: Table parsing has been initialized.');
      lines.push(...probeLines);
      lines.push(...(options.bootLines ?? ['GHES: Failed to enable APEI firmware first mode.']));
      return { sources, lines };
    },
  };
}
