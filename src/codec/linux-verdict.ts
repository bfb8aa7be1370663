// Everything a Linux guest prints for one GHES status block, in the kernel's order: the lint's
// verdict (lint-status-block.ts: its findings carry the kernel's own `[Firmware Warn]`,
// `[Firmware Bug]`, `GHES:` and `Memory failure:` lines) around the `[Hardware Error]` lines
// of linux-format.ts. The order follows ghes.c (linux-guest.md §4–§9):
//
// - a source the kernel does not register: only its probe message (printed at boot);
// - a block ghes_read_estatus() refuses: only its `[Firmware Warn]` line;
// - a fatal block: the record (KERN_EMERG), then `Kernel panic - not syncing: …`;
// - an IRQ-path source (polled, GPIO, SCI, …), ghes_proc(): the record, then what
//   ghes_do_proc() prints (`Invalid address in generic error data`, `Unhandled processor error
//   type`, the forced SIGBUS line);
// - an NMI-like source (SEA, SDEI, NMI), ghes_proc_in_irq(): ghes_do_proc() first, then the
//   record (fixture 6.1/sea.txt);
// - last, what memory_failure() prints from its work item or task work.

import { CodecError } from './errors.js';
import type { LintFinding } from './finding.js';
import { decodeGhesStatusBlock } from './generic-error-status.js';
import {
  type LinuxAcceptance,
  linuxAcceptance,
  type StatusBlockContext,
} from './lint-status-block.js';
import { formatLinux } from './linux-format.js';

export interface LinuxVerdictOptions {
  /** The `{N}` record counter. */
  readonly seq: number;
}

export interface LinuxVerdict {
  /** The lines, in the order the guest prints them. */
  readonly lines: readonly string[];
  readonly acceptance: LinuxAcceptance;
  /** Set when the block is printed but vras could not decode it for the record lines. */
  readonly printError?: CodecError;
}

/** Lines printed inside cper_estatus_print_section(): formatLinux() already prints them. */
const PRINT_TIME = new Set(['section.too-small', 'memory.valid-bits-beyond']);

/** Lines memory_failure() prints later, from its work item or the task's return to user. */
function deferred(f: LintFinding): boolean {
  return f.code.endsWith('.non-struct-page-pfn') || f.code.endsWith('.task-work-sigbus');
}

/** The largest record vras pads with zeros to print (the kernel reads zeros past the input). */
const MAX_PADDED = 1 << 26;

/** What the guest prints for `bytes` posted by the source `ctx` describes. */
export function linuxVerdict(
  bytes: Uint8Array,
  ctx: StatusBlockContext,
  options: LinuxVerdictOptions,
): LinuxVerdict {
  const acceptance = linuxAcceptance(bytes, ctx);
  const said = acceptance.findings.filter((f) => f.message !== '' && !PRINT_TIME.has(f.code));
  if (!acceptance.accepted) return { lines: said.map((f) => f.message), acceptance };
  let record: string[] = [];
  let printError: CodecError | undefined;
  if (acceptance.printed) {
    try {
      let block = bytes;
      if (bytes.length < acceptance.recordLength && acceptance.recordLength <= MAX_PADDED) {
        block = new Uint8Array(acceptance.recordLength);
        block.set(bytes);
      }
      record = formatLinux(decodeGhesStatusBlock(block.subarray(0, acceptance.recordLength)), {
        seq: options.seq,
        sourceId: ctx.sourceId ?? 0,
        ...(ctx.kernel === undefined ? {} : { kernel: ctx.kernel }),
      });
    } catch (error) {
      if (!(error instanceof CodecError)) throw error;
      printError = error;
    }
  }
  const panic = said.filter((f) => f.consequence.kind === 'panic').map((f) => f.message);
  const later = said.filter(deferred).map((f) => f.message);
  const doProc = said
    .filter((f) => f.consequence.kind !== 'panic' && !deferred(f))
    .map((f) => f.message);
  const lines = acceptance.panic
    ? [...record, ...panic]
    : acceptance.path === 'nmi'
      ? [...doProc, ...record, ...later]
      : [...record, ...doProc, ...later];
  return printError === undefined ? { lines, acceptance } : { lines, acceptance, printError };
}
