// What the simulator needs from the layers below it. The components see only these interfaces;
// src/sim/codec-port.ts implements them with the vras codec and engine, so every record a
// component writes or reads is encoded and decoded by the real codec (a full-stack round trip).

/** A GHES error source as the guest kernel registered it from its HEST (ACPI 6.5 §18.3.2.7–8). */
export interface GhesSourceInfo {
  readonly sourceId: number;
  /** HEST type: 9 GHES, 10 GHESv2. */
  readonly type: number;
  /** Notification type code (0 polled, 1 external, 7 GPIO, 8 SEA, 10 GSIV, 11 SDEI, …). */
  readonly notifyType: number;
  readonly pollIntervalMs: number;
  /** GSIV for external/GSIV sources, SDEI event number for SDEI. */
  readonly vector: number;
  /** Address of the register holding the error status block's address. */
  readonly errorStatusAddress: bigint;
  readonly errorBlockLength: number;
  /** GHESv2 read-ack register, or undefined for GHES. */
  readonly readAck?: {
    readonly address: bigint;
    readonly bitOffset: number;
    readonly preserve: bigint;
    readonly write: bigint;
  };
}

/** A HEST as the guest kernel's hest.c sees it: sources, or the line that made it give up. */
export interface HestParse {
  readonly sources: readonly GhesSourceInfo[];
  /** Lines hest.c/ghes.c print while parsing and probing (warnings, `Table parsing …`). */
  readonly lines: readonly string[];
}

/** One section of a record, as ghes_do_proc() needs it. */
export interface RecordSection {
  readonly kind: string;
  /** CPER section severity. */
  readonly severity: number;
  /** Platform memory: physical address when its valid bit is set. */
  readonly physicalAddress?: bigint;
  /** GEDE flags (0x08 threshold exceeded). */
  readonly flags: number;
}

/** A status block that passed Linux's read checks (linux-guest.md §4). */
export interface AcceptedRecord {
  /** Top-level CPER severity. */
  readonly severity: number;
  /** `cper_estatus_len()`: the bytes the kernel copies and compares for the duplicate cache. */
  readonly length: number;
  readonly sections: readonly RecordSection[];
}

export type BlockRead =
  /** Checks 2–3: pointer 0 or block_status 0 — silent, no clear, no ack. */
  | { readonly kind: 'empty' }
  /** Checks 4–5 failed: the warning line; the block is cleared and acked, the record dropped. */
  | { readonly kind: 'rejected'; readonly line: string }
  | { readonly kind: 'accepted'; readonly record: AcceptedRecord };

/** What a record to write says: the engine's input for a memory error. */
export interface MemoryErrorReport {
  /** CPER severity (0 recoverable, 1 fatal, 2 corrected). */
  readonly severity: number;
  readonly physicalAddress: bigint | undefined;
  /** Memory error type (3 multi-bit ECC, 2 single-bit ECC, …). */
  readonly errorType: number;
}

export interface RecordPort {
  /** Encodes a GHES status block with one Platform Memory section (QEMU's record shape). */
  encodeMemoryRecord(report: MemoryErrorReport): Uint8Array;
  /** The 20-byte header check: returns the block length to copy, or 'empty' (§4 checks 3–4). */
  headerLength(header: Uint8Array, errorBlockLength: number): number | BlockRead;
  /** Checks and decodes a copied block of `length` bytes (§4 check 5 and §7). */
  readBlock(block: Uint8Array): BlockRead;
  /** The lines Linux 6.1 prints for the record, with `{seq}[Hardware Error]: ` prefixes. */
  linuxLines(block: Uint8Array, seq: number, sourceId?: number): string[];
  /** Parses a HEST as hest.c + ghes_probe() do. */
  parseHest(bytes: Uint8Array): HestParse;
}
