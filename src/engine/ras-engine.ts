// The VMM RAS engine: the part a VMM plays as the guest's firmware for firmware-first RAS.
// It lays out the HEST and `etc/hardware_errors`, learns where the firmware put them (the
// WRITE_POINTER), records error status blocks into guest memory with the GHESv2 handshake,
// turns host SIGBUS and uncontained SErrors into guest notifications, and carries all of its
// state through snapshot()/restore(). It has no clock and calls no hypervisor: callers pass what
// it needs and a Platform carries out its requests (platform.ts).

import {
  type CodecError,
  decodeHest,
  HestNotificationType,
  hex,
  seaSyndrome,
  serrorIss,
  validateSErrorIss,
} from '../codec/index.js';
import { EngineError, EngineErrorCode } from './errors.js';
import {
  type ErrorRegion,
  GhesChannel,
  type PendingRecord,
  type SourceCounters,
} from './ghes-channel.js';
import {
  type GuestMemory,
  guestToHost,
  hostToGuest,
  isRam,
  readU32,
  readU64,
  writeU32,
  writeU64,
} from './guest-memory.js';
import {
  describeValue,
  HARDWARE_ERRORS_ADDR_FILE,
  HEST_ADDR_FILE,
  type MachineConfig,
  PointerLayout,
} from './machine-config.js';
import {
  buildMachineLayout,
  GHES_READ_ACK_ADDRESS_FIELD,
  GHES_STATUS_ADDRESS_FIELD,
  HEST_ENTRIES_OFFSET,
  linkedHest,
  type MachineLayout,
} from './machine-layout.js';
import { memoryErrorRecord } from './memory-record.js';
import type { Platform, PlatformRequest } from './platform.js';
import { SnapshotReader } from './snapshot-check.js';

/** Linux `si_code` values for memory-failure SIGBUS (formats.md §15). */
export const SigbusCode = { ActionRequired: 4, ActionOptional: 5 } as const;
export type SigbusCode = (typeof SigbusCode)[keyof typeof SigbusCode];

/** ACPI_GED_ERROR_EVT (qemu-vmm.md §12). */
export const GED_ERROR_EVENT = 0x20;

/** IMPLEMENTATION DEFINED SError syndrome: IDS (bit 24) set, the rest 0. */
export const SERROR_ISS_IMPLEMENTATION_DEFINED = 1 << 24;

/** ISS bits 24:0: the largest SError syndrome KVM accepts. */
const SERROR_ISS_MAX = (1 << 25) - 1;

export interface HypervisorCapabilities {
  /** KVM_CAP_ARM_INJECT_SERROR_ESR: the VMM may choose the virtual SError's ISS. */
  readonly injectSErrorEsr: boolean;
}

/** What to do with an action-required error the guest cannot be told about through GHES. */
export type ArFallback = 'serror' | 'fatal';

/**
 * Migration while pages are poisoned. `allow` (ours): the poison list, backlog and pending
 * SErrors travel in the snapshot. `refuse-while-poisoned`: QEMU ≥ 9.0 (06152b89db) refuses
 * until the VM reboots.
 */
export const MigrationPolicy = {
  Allow: 'allow',
  RefuseWhilePoisoned: 'refuse-while-poisoned',
} as const;
export type MigrationPolicy = (typeof MigrationPolicy)[keyof typeof MigrationPolicy];

/** QEMU's migration/migration.c message (qemu-vmm.md §10). */
export const QEMU_HWPOISON_MIGRATION_MESSAGE =
  "Can't migrate this vm with hardware poisoned memory, please reboot the vm and try again";

/** Why the VM cannot migrate now. */
export interface MigrationBlocker {
  /** `hwpoison` (RasEngine) or `fwnmi-in-progress` (PowerPcMachineCheck). */
  readonly code: string;
  readonly message: string;
}

/** Something that can migrate unless it reports blockers (RasEngine, VmmRas). */
export interface Migratable<S> {
  migrationBlockers(): MigrationBlocker[];
  snapshot(): S;
}

/** True when `source` reports no migration blocker. */
export function canMigrate<S>(source: Migratable<S>): boolean {
  return source.migrationBlockers().length === 0;
}

/**
 * `source.snapshot()` for migration; while blocked, throws `migration-blocked` with the
 * blockers' messages (QEMU's) joined by '; '.
 */
export function migrationSnapshot<S>(source: Migratable<S>): S {
  const blockers = source.migrationBlockers();
  if (blockers.length > 0) {
    throw new EngineError(
      EngineErrorCode.MigrationBlocked,
      blockers.map((b) => b.message).join('; '),
    );
  }
  return source.snapshot();
}

export interface RasEngineOptions {
  readonly machine: MachineConfig;
  readonly memory: GuestMemory;
  readonly platform: Platform;
  readonly hypervisor?: HypervisorCapabilities;
  /** Default `serror`: a virtual SError (the guest decides); `fatal`: stop the VM. */
  readonly arFallback?: ArFallback;
  /** log2 of the guest's page size, for per-page memory records (default 12). */
  readonly guestPageShift?: number;
  /**
   * ISS (bits 24:0) of the virtual SError the engine raises on its own (AR fallback, SEI
   * sources), e.g. seed 002's AET UER / DFSC 0x11 = 0xc11. Honoured only when the hypervisor has
   * KVM_CAP_ARM_INJECT_SERROR_ESR; otherwise the hypervisor's IMPLEMENTATION DEFINED default.
   * Default: IMPLEMENTATION DEFINED (IDS = 1).
   */
  readonly arFallbackIss?: number | bigint;
  /** Default `allow`. */
  readonly migration?: MigrationPolicy;
}

export interface RecordOptions {
  readonly vcpu?: number;
  /** Exception level the vCPU was at (SEA syndrome: 0 → 0x92000410, 1 → 0x96000410). */
  readonly el?: 0 | 1;
  readonly tag?: string;
  /**
   * Default true. false: write the record (now, or from the backlog) but raise no notification
   * — the guest finds it by polling or through its own abort (the real-guest harness).
   */
  readonly notify?: boolean;
}

export type RecordOutcome =
  | { readonly status: 'posted'; readonly sourceId: number }
  | { readonly status: 'queued'; readonly sourceId: number; readonly depth: number }
  | { readonly status: 'dropped'; readonly sourceId: number };

export interface SigbusSignal {
  readonly code: SigbusCode | number;
  readonly hostAddress: bigint;
  /** si_addr_lsb: log2 of the poisoned area. */
  readonly addressLsb: number;
  readonly vcpu?: number;
  readonly el?: 0 | 1;
}

export type SigbusAction =
  | 'recorded'
  | 'queued'
  | 'coalesced'
  | 'dropped'
  | 'serror'
  | 'fatal'
  | 'remembered'
  | 'ignored';

export interface SigbusOutcome {
  readonly action: SigbusAction;
  readonly gpa?: bigint;
  readonly sourceId?: number;
  readonly message?: string;
}

export interface PoisonedPage {
  readonly gpa: bigint;
  readonly size: bigint;
  readonly hostAddress: bigint;
}

export interface SErrorRequest {
  readonly vcpu: number;
  /** ISS bits 24:0. Default: IMPLEMENTATION DEFINED (IDS = 1). */
  readonly iss?: number | bigint;
  /** Architected fields instead of a raw ISS (needs the capability). */
  readonly aet?: number;
  readonly dfsc?: number;
}

export interface LinkState {
  /** Guest physical address of `etc/hardware_errors`. */
  readonly base: bigint;
  /** Guest physical address of the HEST (hest-addr layout). */
  readonly hest?: bigint;
}

export interface EngineStats {
  readonly linked: boolean;
  readonly sources: ReadonlyArray<
    { readonly id: number; readonly backlog: number } & SourceCounters
  >;
  readonly poisonedPages: number;
  readonly refusedWrites: number;
}

const SNAPSHOT_SCHEMA = 'vras/engine-snapshot/v1';

/** Plain JSON: 64-bit values as `0x…` strings, records as hex. */
export interface EngineSnapshot {
  readonly schema: typeof SNAPSHOT_SCHEMA;
  readonly layout: string;
  readonly sourceIds: readonly number[];
  /** The error status blocks in `etc/hardware_errors`: a linked restore needs the same ones. */
  readonly blob: {
    readonly size: number;
    readonly blocks: ReadonlyArray<{
      readonly offset: number;
      readonly length: number;
      readonly version: 1 | 2;
    }>;
  };
  readonly link: { readonly base: string; readonly hest?: string } | null;
  readonly sources: ReadonlyArray<{
    readonly id: number;
    readonly backlog: ReadonlyArray<{
      readonly block: string;
      readonly vcpu: number;
      readonly el: 0 | 1;
      readonly tag?: string;
      readonly notify?: false;
    }>;
    readonly postedTag?: string;
    readonly counters: SourceCounters;
  }>;
  readonly poison: ReadonlyArray<{
    readonly gpa: string;
    readonly size: string;
    readonly hostAddress: string;
  }>;
  readonly pendingSErrors: ReadonlyArray<{ readonly vcpu: number; readonly iss?: number }>;
  readonly refusedWrites: number;
}

const hx = (v: bigint) => `0x${v.toString(16)}`;
const U64_MAX = (1n << 64n) - 1n;

const tagOf = (p: PendingRecord): { tag?: string } => (p.tag === undefined ? {} : { tag: p.tag });

function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

const ASYNC_PREFERENCE = [
  HestNotificationType.GpioSignal,
  HestNotificationType.Sci,
  HestNotificationType.ExternalInterruptGsiv,
  HestNotificationType.ExternalInterrupt,
  HestNotificationType.SoftwareDelegatedException,
  HestNotificationType.Polled,
] as const;

export class RasEngine {
  readonly layout: MachineLayout;
  readonly memory: GuestMemory;
  private readonly platform: Platform;
  private readonly hypervisor: HypervisorCapabilities;
  private readonly arFallback: ArFallback;
  private readonly guestPageShift: number;
  /** The configured SError ISS (validated), before the capability is considered. */
  private readonly arFallbackIss: number | undefined;
  readonly migrationPolicy: MigrationPolicy;
  private readonly channels: GhesChannel[];
  private readonly byId = new Map<number, GhesChannel>();
  /** SIGBUS candidates: SEA sources (AR), asynchronous sources in preference order (AO). */
  private readonly seaChannels: readonly GhesChannel[];
  private readonly asyncChannels: readonly GhesChannel[];
  private link: LinkState | null = null;
  /** The pointer value of this boot's first link: the only one accepted until reset(). */
  private bootPointer: { readonly file: string; readonly value: bigint } | null = null;
  private region: ErrorRegion | null = null;
  private readonly poison = new Map<bigint, PoisonedPage>();
  private readonly pendingSErrors = new Map<number, number | undefined>();
  private refusedWrites = 0;

  constructor(options: RasEngineOptions) {
    this.layout = buildMachineLayout(options.machine);
    this.memory = options.memory;
    this.platform = options.platform;
    this.hypervisor = options.hypervisor ?? { injectSErrorEsr: false };
    this.arFallback = options.arFallback ?? 'serror';
    this.guestPageShift = options.guestPageShift ?? 12;
    this.migrationPolicy = options.migration ?? MigrationPolicy.Allow;
    if (
      this.migrationPolicy !== MigrationPolicy.Allow &&
      this.migrationPolicy !== MigrationPolicy.RefuseWhilePoisoned
    ) {
      throw new EngineError(
        EngineErrorCode.InvalidConfig,
        `Cannot configure the engine: migration policy ${describeValue(this.migrationPolicy)} is not allow or refuse-while-poisoned`,
      );
    }
    this.arFallbackIss = undefined;
    if (options.arFallbackIss !== undefined) {
      try {
        this.arFallbackIss = validateSErrorIss(options.arFallbackIss);
      } catch (cause) {
        throw new EngineError(
          EngineErrorCode.InvalidSyndrome,
          `Cannot configure the AR-fallback SError syndrome: ${(cause as Error).message}`,
          { cause },
        );
      }
    }
    this.channels = this.layout.sources.map(
      (s, i) => new GhesChannel(s, this.layout.blob.sources[i]!),
    );
    for (const c of this.channels) this.byId.set(c.id, c);
    this.seaChannels = this.channels.filter(
      (c) => c.source.notification === HestNotificationType.ArmSea,
    );
    this.asyncChannels = ASYNC_PREFERENCE.flatMap((n) =>
      this.channels.filter((c) => c.source.notification === n),
    );
    for (const s of this.layout.sources) {
      if (s.notification === HestNotificationType.ArmSei) {
        this.platform.report({
          level: 'warning',
          code: 'sei-source',
          sourceId: s.id,
          message: `Error source ${s.id} uses SEI notification: Linux GHES rejects it ("Unknown notification type")`,
        });
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // Boot: the firmware's WRITE_POINTER

  get linked(): boolean {
    return this.link !== null;
  }

  get linkState(): LinkState | null {
    return this.link;
  }

  /**
   * The firmware wrote `bytes` at `offset` of writable fw_cfg `file`. Returns whether the engine
   * is now linked; a refused pointer is reported and leaves the engine unlinked.
   *
   * The error region cannot move: once linked, until reset(), the engine accepts only the value
   * of the boot's first link. The guest can write the pointer file at any time (fw_cfg DMA); a
   * guest that copied the HEST and the blob elsewhere and fixed the copy's slots would otherwise
   * have the engine write records wherever it likes. Any other value (0 included) is refused and
   * reported (`relink-refused`), and the engine stays linked where it was.
   */
  onWritePointer(file: string, offset: number, bytes: Uint8Array): boolean {
    if (file !== this.layout.writePointerFile) {
      this.platform.report({
        level: 'warning',
        code: 'unknown-write-pointer',
        message: `Ignoring a firmware write to ${file}: this machine uses ${this.layout.writePointerFile}`,
      });
      return false;
    }
    if (offset !== 0 || bytes.length !== 8) {
      return this.refuseLink(
        `${file} must be written as 8 bytes at offset 0, got ${bytes.length} at ${offset}`,
      );
    }
    const value = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
    const first = this.bootPointer;
    if (first !== null && value !== first.value) {
      this.platform.report({
        level: 'error',
        code: 'relink-refused',
        message: `Cannot move the RAS tables: ${file} was ${hx(first.value)} at this boot's first link, the guest wrote ${hx(value)}; records stay at ${hx(this.link?.base ?? 0n)} until a system reset`,
        gpa: value,
      });
      return this.linked;
    }
    if (value === 0n) {
      this.link = null;
      this.region = null;
      return false;
    }
    try {
      const link = file === HARDWARE_ERRORS_ADDR_FILE ? { base: value } : this.linkFromHest(value);
      this.attach(link);
      this.checkLinkedSlots(link.base);
      this.bootPointer = { file, value };
      return true;
    } catch (error) {
      if (error instanceof EngineError) return this.refuseLink(error.message, error.gpa);
      throw error;
    }
  }

  private refuseLink(message: string, gpa?: bigint): boolean {
    this.link = null;
    this.region = null;
    this.platform.report({
      level: 'error',
      code: 'link-refused',
      message: `Cannot link RAS tables: ${message}`,
      ...(gpa === undefined ? {} : { gpa }),
    });
    return false;
  }

  /** New layout: read the HEST the firmware placed, check it is ours, derive the blob address. */
  private linkFromHest(hestGpa: bigint): LinkState {
    const size = this.layout.hest.length;
    if (!isRam(this.memory.regions, hestGpa, size)) {
      throw new EngineError(
        EngineErrorCode.HostilePointer,
        `HEST at ${hx(hestGpa)} is not in guest RAM`,
        { gpa: hestGpa },
      );
    }
    const bytes = this.memory.read(hestGpa, size);
    const base0 = this.linkedBaseOf(bytes);
    if (base0 !== undefined) return { base: base0, hest: hestGpa };
    let statusAddr: bigint;
    try {
      const hest = decodeHest(bytes);
      const first = hest.sources[0];
      if (first === undefined || (first.type !== 9 && first.type !== 10))
        throw new Error('no GHES source');
      statusAddr = first.errorStatusAddress.address;
    } catch (cause) {
      throw new EngineError(
        EngineErrorCode.HostilePointer,
        `the table at ${hx(hestGpa)} is not this machine's HEST (${(cause as Error | CodecError).message})`,
        { cause, gpa: hestGpa },
      );
    }
    const base = statusAddr - BigInt(this.layout.blob.sources[0]!.slot);
    // Everything but the checksum must be what the engine would build for this base.
    const expected = linkedHest(this.layout, base);
    for (let i = 0; i < size; i++) {
      if (i !== 9 && bytes[i] !== expected[i]) {
        const field = this.describeHestOffset(i);
        throw new EngineError(
          EngineErrorCode.HostilePointer,
          `the HEST at ${hx(hestGpa)} differs from the one laid out at byte ${i} (${field})`,
          { gpa: hestGpa + BigInt(i) },
        );
      }
    }
    return { base, hest: hestGpa };
  }

  /**
   * The base of `etc/hardware_errors` when `bytes` are, but for the checksum, the HEST laid out
   * for the base its first error status address implies: the common case, decided without
   * decoding. Anything else (undefined) goes through the decoder and its messages.
   */
  private linkedBaseOf(bytes: Uint8Array): bigint | undefined {
    const at = HEST_ENTRIES_OFFSET + GHES_STATUS_ADDRESS_FIELD;
    if (bytes.length < at + 8) return undefined;
    let statusAddr = 0n;
    for (let i = 7; i >= 0; i--) statusAddr = (statusAddr << 8n) | BigInt(bytes[at + i]!);
    const base = statusAddr - BigInt(this.layout.blob.sources[0]!.slot);
    // Only bases whose addresses fit the table's u64 fields (the layout at base 0 encoded).
    if (base < 0n || base + BigInt(this.layout.blob.size) > U64_MAX) return undefined;
    const expected = linkedHest(this.layout, base);
    if (expected.length !== bytes.length) return undefined;
    for (let i = 0; i < bytes.length; i++) {
      if (i !== 9 && bytes[i] !== expected[i]) return undefined;
    }
    return base;
  }

  /**
   * The write pointer is guest-writable (fw_cfg DMA), so a link is accepted only where the
   * firmware's ADD_POINTERs left their mark: every error-status-address slot holds the GPA of its
   * own block. Without this a guest could point the engine at any RAM (its kernel text) and have
   * records written there. Checked at link time only: a slot the guest changes later is handled
   * (refused and restored) when a record is posted.
   */
  private checkLinkedSlots(base: bigint): void {
    for (const [i, o] of this.layout.blob.sources.entries()) {
      const slot = base + BigInt(o.slot);
      const held = readU64(this.memory, slot);
      const block = base + BigInt(o.block);
      if (held !== block) {
        this.link = null;
        this.region = null;
        throw new EngineError(
          EngineErrorCode.HostilePointer,
          `etc/hardware_errors at ${hx(base)} is not the linked blob: source ${this.layout.sources[i]!.id}'s error status address slot at ${hx(slot)} holds ${hx(held)}, not its block ${hx(block)}`,
          { gpa: slot, sourceId: this.layout.sources[i]!.id },
        );
      }
    }
  }

  private describeHestOffset(i: number): string {
    const offs = this.layout.hestEntryOffsets;
    for (let s = offs.length - 1; s >= 0; s--) {
      if (i >= offs[s]!) {
        const rel = i - offs[s]!;
        if (rel >= GHES_STATUS_ADDRESS_FIELD && rel < GHES_STATUS_ADDRESS_FIELD + 8)
          return `source ${this.layout.sources[s]!.id} error status address`;
        if (rel >= GHES_READ_ACK_ADDRESS_FIELD && rel < GHES_READ_ACK_ADDRESS_FIELD + 8)
          return `source ${this.layout.sources[s]!.id} read ack address`;
        return `source ${this.layout.sources[s]!.id} entry +${rel}`;
      }
    }
    return 'header';
  }

  private attach(link: LinkState): void {
    const size = this.layout.blob.size;
    if (!isRam(this.memory.regions, link.base, size)) {
      throw new EngineError(
        EngineErrorCode.HostilePointer,
        `etc/hardware_errors at ${hx(link.base)} (${size} bytes) is not in guest RAM`,
        { gpa: link.base },
      );
    }
    this.link = link;
    this.region = this.makeRegion(link.base, size);
  }

  private makeRegion(base: bigint, size: number): ErrorRegion {
    const mem = this.memory;
    const end = base + BigInt(size);
    const check = (gpa: bigint, length: number) => {
      if (gpa < base || gpa + BigInt(length) > end) {
        this.refusedWrites++;
        throw new EngineError(
          EngineErrorCode.HostilePointer,
          `Cannot write ${length} bytes at ${hx(gpa)}: outside the error region ${hx(base)}..${hx(end)}`,
          { gpa },
        );
      }
    };
    return {
      base,
      size,
      read: (gpa, length) => mem.read(gpa, length),
      write: (gpa, bytes) => {
        check(gpa, bytes.length);
        mem.write(gpa, bytes);
      },
      readU64: (gpa) => readU64(mem, gpa),
      readU32: (gpa) => readU32(mem, gpa),
      writeU64: (gpa, v) => {
        check(gpa, 8);
        writeU64(mem, gpa, v);
      },
      writeU32: (gpa, v) => {
        check(gpa, 4);
        writeU32(mem, gpa, v);
      },
    };
  }

  // -------------------------------------------------------------------------------------------
  // Run time: records

  private channel(sourceId: number): GhesChannel {
    const c = this.byId.get(sourceId);
    if (c === undefined) {
      throw new EngineError(
        EngineErrorCode.UnknownSource,
        `Cannot record error: no error source ${sourceId} (sources: ${[...this.byId.keys()].join(', ')})`,
        { sourceId },
      );
    }
    return c;
  }

  private requireRegion(sourceId: number): ErrorRegion {
    if (this.region === null) {
      throw new EngineError(
        EngineErrorCode.NotLinked,
        `Cannot record error on source ${sourceId}: the firmware has not linked etc/hardware_errors yet`,
        { sourceId },
      );
    }
    return this.region;
  }

  /**
   * Records one complete Generic Error Status Block on `sourceId` and notifies the guest (unless
   * `notify: false`). Busy source: `queue` policy → backlog (or `dropped`, reported, when full);
   * `reject` → EngineError `not-acknowledged` (QEMU's behaviour). Each outcome is also a
   * platform event (record-posted / record-queued / record-dropped).
   */
  record(sourceId: number, block: Uint8Array, options: RecordOptions = {}): RecordOutcome {
    const c = this.channel(sourceId);
    c.checkRecord(block);
    const region = this.requireRegion(sourceId);
    return this.enqueue(c, region, block.slice(), options);
  }

  /** record() once the block is checked and owned by the engine (a copy no caller holds). */
  private enqueue(
    c: GhesChannel,
    region: ErrorRegion,
    block: Uint8Array,
    options: RecordOptions,
  ): RecordOutcome {
    const sourceId = c.id;
    const pending: PendingRecord = {
      block,
      vcpu: options.vcpu ?? 0,
      el: options.el ?? 0,
      ...(options.tag === undefined ? {} : { tag: options.tag }),
      ...(options.notify === false ? { notify: false } : {}),
    };
    this.drain(c, region);
    if (c.backlog.length === 0 && c.isFree(region)) {
      this.post(c, region, pending, false);
      return { status: 'posted', sourceId };
    }
    if (c.source.policy === 'reject') {
      c.counters.rejected++;
      const gpa = c.blockGpa(region);
      throw new EngineError(
        EngineErrorCode.NotAcknowledged,
        `Cannot record error on source ${sourceId} (error status block at ${hx(gpa)}): OSPM does not acknowledge previous error, so can not record CPER for current error anymore`,
        { sourceId, gpa },
      );
    }
    if (c.backlog.length >= c.source.backlogLimit) {
      c.counters.dropped++;
      this.platform.report({
        level: 'error',
        code: 'backlog-overflow',
        sourceId,
        gpa: c.blockGpa(region),
        message: `Dropped a ${block.length}-byte record on source ${sourceId} (error status block at ${hx(c.blockGpa(region))}): the guest has not acknowledged and the backlog holds ${c.backlog.length} records (${c.counters.dropped} dropped so far)`,
      });
      this.platform.event?.({
        kind: 'record-dropped',
        sourceId,
        size: block.length,
        ...tagOf(pending),
      });
      return { status: 'dropped', sourceId };
    }
    c.backlog.push(pending);
    c.counters.queued++;
    if (c.backlog.length > c.counters.maxBacklog) c.counters.maxBacklog = c.backlog.length;
    const depth = c.backlog.length;
    this.platform.event?.({
      kind: 'record-queued',
      sourceId,
      size: block.length,
      depth,
      ...tagOf(pending),
    });
    return { status: 'queued', sourceId, depth };
  }

  /** Delivers backlog records whose sources the guest has acknowledged. Returns how many. */
  service(): number {
    const region = this.region;
    if (region === null) return 0;
    let n = 0;
    for (const c of this.channels) if (c.backlog.length > 0) n += this.drain(c, region);
    return n;
  }

  /** Records waiting in backlogs. */
  get backlogSize(): number {
    let n = 0;
    for (const c of this.channels) n += c.backlog.length;
    return n;
  }

  /**
   * Posts the oldest backlog record of `c` if the guest has consumed the block. A record that
   * cannot be posted (restore() keeps such records out, so this is a defence) leaves the backlog
   * counted as dropped and reported, never silently.
   */
  private drain(c: GhesChannel, region: ErrorRegion): number {
    const next = c.backlog[0];
    if (next === undefined || !c.isFree(region)) return 0;
    try {
      c.checkRecord(next.block);
      this.post(c, region, next, true);
    } catch (error) {
      c.backlog.shift();
      c.counters.dropped++;
      this.platform.report({
        level: 'error',
        code: 'backlog-record-dropped',
        sourceId: c.id,
        message: `Dropped a ${next.block.length}-byte backlog record on source ${c.id}: ${(error as Error).message}`,
      });
      this.platform.event?.({
        kind: 'record-dropped',
        sourceId: c.id,
        size: next.block.length,
        ...tagOf(next),
      });
      if (error instanceof EngineError) return 0;
      throw error;
    }
    c.backlog.shift();
    return 1;
  }

  private post(
    c: GhesChannel,
    region: ErrorRegion,
    record: PendingRecord,
    fromBacklog: boolean,
  ): void {
    const seen = c.post(region, record);
    if (seen.hostileSlot !== undefined) {
      this.platform.report({
        level: 'error',
        code: 'hostile-pointer',
        sourceId: c.id,
        gpa: seen.hostileSlot,
        message: `Source ${c.id}: the error status address register held ${hx(seen.hostileSlot)}, not the block at ${hx(c.blockGpa(region))}; refused to follow it and restored it`,
      });
    }
    // The event first: the record is in guest memory before the guest is told about it.
    const notification = record.notify === false ? undefined : this.notification(c, record);
    this.platform.event?.({
      kind: 'record-posted',
      sourceId: c.id,
      size: record.block.length,
      fromBacklog,
      notified: notification !== undefined,
      ...tagOf(record),
    });
    if (notification !== undefined) this.platform.request(notification);
  }

  /** The request that notifies the guest of a record on `c` (none for polled sources). */
  private notification(c: GhesChannel, record: PendingRecord): PlatformRequest | undefined {
    const s = c.source;
    let request: PlatformRequest | undefined;
    switch (s.notification) {
      case HestNotificationType.ArmSea:
        request = {
          kind: 'inject-sea',
          vcpu: record.vcpu,
          sourceId: s.id,
          esr: Number(seaSyndrome({ sameEl: record.el, fnv: 1, fsc: 0x10 })),
        };
        break;
      case HestNotificationType.GpioSignal:
      case HestNotificationType.Sci:
        request = { kind: 'ged-event', event: GED_ERROR_EVENT, sourceId: s.id };
        break;
      case HestNotificationType.ExternalInterrupt:
      case HestNotificationType.ExternalInterruptGsiv:
        request = { kind: 'interrupt', gsiv: s.vector, sourceId: s.id };
        break;
      case HestNotificationType.SoftwareDelegatedException:
        request = { kind: 'sdei-event', event: s.vector, sourceId: s.id };
        break;
      case HestNotificationType.Nmi:
        request = { kind: 'nmi', sourceId: s.id };
        break;
      case HestNotificationType.ArmSei: {
        const iss = this.ownSErrorIss();
        request =
          iss === undefined
            ? { kind: 'inject-serror', vcpu: record.vcpu }
            : { kind: 'inject-serror', vcpu: record.vcpu, iss };
        break;
      }
      default:
        request = undefined; // Polled: the guest finds it on its next poll.
    }
    return request;
  }

  // -------------------------------------------------------------------------------------------
  // Host signals (seeds 001, 002)

  /** The pages the host reported poisoned, in the order they were reported. */
  poisonedPages(): PoisonedPage[] {
    return [...this.poison.values()];
  }

  private addPoison(gpa: bigint, size: bigint, hva: bigint): void {
    if (!this.poison.has(gpa)) this.poison.set(gpa, { gpa, size, hostAddress: hva });
  }

  onSigbus(signal: SigbusSignal): SigbusOutcome {
    if (signal.code !== SigbusCode.ActionRequired && signal.code !== SigbusCode.ActionOptional) {
      throw new EngineError(
        EngineErrorCode.InvalidState,
        `Cannot handle SIGBUS si_code ${signal.code}: only BUS_MCEERR_AR (4) and BUS_MCEERR_AO (5) are memory errors`,
      );
    }
    if (!Number.isInteger(signal.addressLsb) || signal.addressLsb < 0 || signal.addressLsb > 63) {
      throw new EngineError(
        EngineErrorCode.InvalidState,
        `Cannot handle SIGBUS: si_addr_lsb ${signal.addressLsb} is not 0..63`,
      );
    }
    const ar = signal.code === SigbusCode.ActionRequired;
    const size = 1n << BigInt(signal.addressLsb);
    const hvaPage = signal.hostAddress & ~(size - 1n);
    const gpaRaw = hostToGuest(this.memory.regions, signal.hostAddress);
    const vcpu = signal.vcpu ?? 0;
    const el = signal.el ?? 0;
    if (gpaRaw === undefined) {
      const message = `Hardware memory error at host address ${hx(signal.hostAddress)}: not guest RAM (memory used by the VMM itself)`;
      return ar
        ? this.arFallbackAction(vcpu, message)
        : this.warn('ao-outside-ram', message, 'ignored');
    }
    const gpa = gpaRaw & ~(size - 1n);
    this.addPoison(gpa, size, hvaPage);
    const kind = ar ? 'AR' : 'AO';
    if (this.region === null) {
      const message = `Hardware memory error (${kind}) at GPA ${hx(gpa)}: RAS is not set up yet (the firmware has not linked etc/hardware_errors)`;
      return ar
        ? this.arFallbackAction(vcpu, message, gpa)
        : this.warn('ao-not-linked', message, 'remembered', gpa);
    }
    const candidates = ar ? this.seaChannels : this.asyncChannels;
    if (candidates.length === 0) {
      const message = `Hardware memory error (${kind}) at GPA ${hx(gpa)}: no ${ar ? 'SEA' : 'asynchronous'} error source to report it`;
      return ar
        ? this.arFallbackAction(vcpu, message, gpa)
        : this.warn('ao-no-source', message, 'remembered', gpa);
    }
    const tag = `${kind}:${hx(gpa)}`;
    if (candidates.some((c) => c.backlog.some((p) => p.tag === tag))) {
      return { action: 'coalesced', gpa };
    }
    const region = this.region;
    const chosen =
      candidates.find((c) => c.backlog.length === 0 && c.isFree(region)) ??
      candidates.reduce((a, b) => (b.backlog.length < a.backlog.length ? b : a));
    const block = memoryErrorRecord({
      gpa,
      addressLsb: signal.addressLsb,
      guestPageShift: this.guestPageShift,
      maxSections: chosen.source.maxSectionsPerRecord,
      blockLength: chosen.source.blockLength,
    });
    try {
      chosen.checkRecord(block);
      const out = this.enqueue(chosen, region, block, { vcpu, el, tag });
      const action = out.status === 'posted' ? 'recorded' : out.status;
      return { action, gpa, sourceId: chosen.id };
    } catch (error) {
      if (!(error instanceof EngineError) || error.code !== EngineErrorCode.NotAcknowledged)
        throw error;
      const message = `Hardware memory error (${kind}) at GPA ${hx(gpa)}: ${error.message}`;
      if (ar) {
        // QEMU's SEA path: "failed to record the error" and the VM dies (§19 item 1).
        this.platform.request({ kind: 'fatal', message });
        return { action: 'fatal', gpa, sourceId: chosen.id, message };
      }
      return this.warn('ao-rejected', message, 'remembered', gpa);
    }
  }

  private warn(code: string, message: string, action: SigbusAction, gpa?: bigint): SigbusOutcome {
    this.platform.report({
      level: 'warning',
      code,
      message,
      ...(gpa === undefined ? {} : { gpa }),
    });
    return gpa === undefined ? { action, message } : { action, gpa, message };
  }

  private arFallbackAction(vcpu: number, message: string, gpa?: bigint): SigbusOutcome {
    const base = gpa === undefined ? {} : { gpa };
    if (this.arFallback === 'fatal') {
      this.platform.report({ level: 'error', code: 'ar-fatal', message });
      this.platform.request({ kind: 'fatal', message });
      return { action: 'fatal', message, ...base };
    }
    const iss = this.ownSErrorIss();
    const chosen = this.arFallbackIss;
    const ignored =
      chosen === undefined
        ? ''
        : iss === chosen
          ? ` with ISS ${hx(BigInt(chosen))}`
          : ` with the hypervisor's default syndrome: without KVM_CAP_ARM_INJECT_SERROR_ESR the configured ISS ${hx(BigInt(chosen))} cannot be set`;
    this.platform.report({
      level: 'error',
      code: 'ar-serror',
      ...base,
      message: `${message}; injecting a virtual SError${ignored}`,
    });
    this.requestSError(vcpu, iss);
    return { action: 'serror', message, ...base };
  }

  // -------------------------------------------------------------------------------------------
  // SError (seeds 000, 002)

  private defaultSErrorIss(): { iss?: number } {
    return this.hypervisor.injectSErrorEsr ? { iss: SERROR_ISS_IMPLEMENTATION_DEFINED } : {};
  }

  /**
   * The syndrome of an SError the engine raises on its own: the configured `arFallbackIss` when
   * the hypervisor can set it, else IMPLEMENTATION DEFINED (explicit with the capability, the
   * hypervisor's default without).
   */
  private ownSErrorIss(): number | undefined {
    if (this.hypervisor.injectSErrorEsr && this.arFallbackIss !== undefined)
      return this.arFallbackIss;
    return this.defaultSErrorIss().iss;
  }

  private requestSError(vcpu: number, iss: number | undefined): 'requested' | 'coalesced' {
    if (this.pendingSErrors.has(vcpu)) return 'coalesced';
    this.pendingSErrors.set(vcpu, iss);
    this.platform.request(
      iss === undefined ? { kind: 'inject-serror', vcpu } : { kind: 'inject-serror', vcpu, iss },
    );
    return 'requested';
  }

  /**
   * Requests a virtual SError on `vcpu`. Without a chosen syndrome: IMPLEMENTATION DEFINED
   * (IDS = 1), since an all-zero ISS means "uncategorized". A chosen ISS (or AET/DFSC) needs
   * KVM_CAP_ARM_INJECT_SERROR_ESR and may use only ISS bits 24:0. A second SError while one is
   * pending on the vCPU is coalesced (KVM cannot cancel or stack them).
   */
  injectSError(req: SErrorRequest): 'requested' | 'coalesced' {
    let iss: number | undefined;
    const chosen = req.iss !== undefined || req.aet !== undefined || req.dfsc !== undefined;
    if (chosen) {
      if (!this.hypervisor.injectSErrorEsr) {
        throw new EngineError(
          EngineErrorCode.InvalidSyndrome,
          'Cannot choose the SError syndrome: the hypervisor lacks KVM_CAP_ARM_INJECT_SERROR_ESR',
        );
      }
      try {
        iss =
          req.iss !== undefined
            ? validateSErrorIss(req.iss)
            : serrorIss({ aet: req.aet ?? 0, dfsc: req.dfsc ?? 0x11 });
      } catch (cause) {
        throw new EngineError(
          EngineErrorCode.InvalidSyndrome,
          `Cannot inject SError: ${(cause as Error).message}`,
          { cause },
        );
      }
    } else {
      iss = this.defaultSErrorIss().iss;
    }
    return this.requestSError(req.vcpu, iss);
  }

  /** The vCPU took its pending SError (the platform saw it delivered). */
  onSErrorTaken(vcpu: number): void {
    this.pendingSErrors.delete(vcpu);
  }

  pendingSError(vcpu: number): { iss?: number } | undefined {
    if (!this.pendingSErrors.has(vcpu)) return undefined;
    const iss = this.pendingSErrors.get(vcpu);
    return iss === undefined ? {} : { iss };
  }

  // -------------------------------------------------------------------------------------------
  // Reset, statistics, snapshot

  /**
   * System reset: poisoned pages are remapped (one `remap-page` request each), the write
   * pointer is forgotten until the firmware runs the loader again (QEMU keeps using the old GPA,
   * §19 item 11), backlogs of the old boot are dropped and reported, pending SErrors cleared.
   */
  reset(): { remapped: number; droppedBacklog: number } {
    for (const p of this.poison.values()) {
      this.platform.request({
        kind: 'remap-page',
        gpa: p.gpa,
        hostAddress: p.hostAddress,
        size: p.size,
      });
    }
    const remapped = this.poison.size;
    this.poison.clear();
    let dropped = 0;
    for (const c of this.channels) {
      dropped += c.backlog.length;
      c.counters.dropped += c.backlog.length;
      c.backlog = [];
      c.postedTag = undefined;
    }
    if (dropped > 0) {
      this.platform.report({
        level: 'warning',
        code: 'reset-dropped-backlog',
        message: `System reset dropped ${dropped} records the previous boot never received`,
      });
    }
    this.pendingSErrors.clear();
    this.link = null;
    this.region = null;
    this.bootPointer = null;
    return { remapped, droppedBacklog: dropped };
  }

  stats(): EngineStats {
    return {
      linked: this.linked,
      sources: this.channels.map((c) => ({ id: c.id, backlog: c.backlog.length, ...c.counters })),
      poisonedPages: this.poison.size,
      refusedWrites: this.refusedWrites,
    };
  }

  snapshot(): EngineSnapshot {
    return {
      schema: SNAPSHOT_SCHEMA,
      layout: this.layout.config.layout,
      sourceIds: this.channels.map((c) => c.id),
      blob: {
        size: this.layout.blob.size,
        blocks: this.channels.map((c) => ({
          offset: c.offsets.block,
          length: c.offsets.blockLength,
          version: c.source.version,
        })),
      },
      link:
        this.link === null
          ? null
          : {
              base: hx(this.link.base),
              ...(this.link.hest === undefined ? {} : { hest: hx(this.link.hest) }),
            },
      sources: this.channels.map((c) => ({
        id: c.id,
        backlog: c.backlog.map((p) => ({
          block: toHex(p.block),
          vcpu: p.vcpu,
          el: p.el,
          ...(p.tag === undefined ? {} : { tag: p.tag }),
          ...(p.notify === false ? { notify: false as const } : {}),
        })),
        ...(c.postedTag === undefined ? {} : { postedTag: c.postedTag }),
        counters: { ...c.counters },
      })),
      poison: [...this.poison.values()].map((p) => ({
        gpa: hx(p.gpa),
        size: hx(p.size),
        hostAddress: hx(p.hostAddress),
      })),
      pendingSErrors: [...this.pendingSErrors].map(([vcpu, iss]) =>
        iss === undefined ? { vcpu } : { vcpu, iss },
      ),
      refusedWrites: this.refusedWrites,
    };
  }

  /**
   * Replaces this engine's state with `snap` (taken from an engine with the same machine). The
   * snapshot is untrusted: every field is checked against this engine (schema, layout, source
   * ids, the blob's blocks when linked, each backlog record against its block and the source's
   * backlog limit, counters, poisoned pages, pending SErrors) before anything changes. A
   * snapshot that cannot be honoured whole is refused with `bad-snapshot`, the engine unchanged.
   */
  restore(snap: EngineSnapshot): void {
    const r = new SnapshotReader('engine');
    const o = r.object(snap, '');
    r.keys(o, '', [
      'schema',
      'layout',
      'sourceIds',
      'blob',
      'link',
      'sources',
      'poison',
      'pendingSErrors',
      'refusedWrites',
    ]);
    if (o.schema !== SNAPSHOT_SCHEMA) r.fail('schema', `is not ${SNAPSHOT_SCHEMA}`);
    if (o.layout !== this.layout.config.layout)
      r.fail('layout', `${r.describe(o.layout)} differs from ${this.layout.config.layout}`);
    const ids = this.channels.map((c) => c.id);
    const snapIds = r.list(o.sourceIds, 'sourceIds', ids.length + 1);
    if (snapIds.length !== ids.length || snapIds.some((id, i) => id !== ids[i])) {
      r.fail(
        'sourceIds',
        `${snapIds.map((x) => r.describe(x)).join(',')} differ from ${ids.join(',')}`,
      );
    }
    const blob = this.readSnapshotBlob(r, o.blob);
    let link: LinkState | null = null;
    if (o.link !== null) {
      const l = r.object(o.link, 'link');
      r.keys(l, 'link', ['base', 'hest']);
      link = {
        base: r.u64(l.base, 'link.base'),
        ...(l.hest === undefined ? {} : { hest: r.u64(l.hest, 'link.hest') }),
      };
      if (!isRam(this.memory.regions, link.base, this.layout.blob.size))
        r.fail(
          'link.base',
          `${hx(link.base)}: etc/hardware_errors (${this.layout.blob.size} bytes) is not guest RAM here`,
        );
      // Guest memory holds the blocks in the snapshot's layout: it must be this engine's.
      if (blob.mismatch !== undefined) r.fail(blob.mismatch.path, blob.mismatch.why);
    }
    const sources = r.list(o.sources, 'sources', this.channels.length + 1);
    if (sources.length !== this.channels.length)
      r.fail(
        'sources',
        `holds ${sources.length} entries, this engine has ${this.channels.length} sources`,
      );
    const staged = sources.map((v, i) => this.readSnapshotSource(r, v, i));
    const poisonList = r.list(o.poison, 'poison', 1 << 20);
    const poison = poisonList.map((v, i) => {
      const path = `poison[${i}]`;
      const p = r.object(v, path);
      r.keys(p, path, ['gpa', 'size', 'hostAddress']);
      const page = {
        gpa: r.u64(p.gpa, `${path}.gpa`),
        size: r.u64(p.size, `${path}.size`),
        hostAddress: r.u64(p.hostAddress, `${path}.hostAddress`),
      };
      if (page.size === 0n || (page.size & (page.size - 1n)) !== 0n)
        r.fail(`${path}.size`, `${hx(page.size)} is not a power of two`);
      if (!isRam(this.memory.regions, page.gpa, 1))
        r.fail(`${path}.gpa`, `${hx(page.gpa)} is not guest RAM here`);
      return page;
    });
    const serrors = new Map<number, number | undefined>();
    r.list(o.pendingSErrors, 'pendingSErrors', 1 << 16).forEach((v, i) => {
      const path = `pendingSErrors[${i}]`;
      const p = r.object(v, path);
      r.keys(p, path, ['vcpu', 'iss']);
      const vcpu = r.int(p.vcpu, `${path}.vcpu`, 0, 0xffff_ffff);
      if (serrors.has(vcpu)) r.fail(`${path}.vcpu`, `${vcpu} appears twice`);
      serrors.set(
        vcpu,
        p.iss === undefined ? undefined : r.int(p.iss, `${path}.iss`, 0, SERROR_ISS_MAX),
      );
    });
    const refusedWrites = r.count(o.refusedWrites, 'refusedWrites');

    // Everything checked: commit. The restored link is this boot's link: it cannot move either.
    if (link === null) {
      this.link = null;
      this.region = null;
      this.bootPointer = null;
    } else {
      this.attach(link);
      this.bootPointer =
        link.hest === undefined
          ? { file: HARDWARE_ERRORS_ADDR_FILE, value: link.base }
          : { file: HEST_ADDR_FILE, value: link.hest };
    }
    staged.forEach((s, i) => {
      const c = this.channels[i]!;
      c.backlog = s.backlog;
      c.postedTag = s.postedTag;
      Object.assign(c.counters, s.counters);
    });
    this.poison.clear();
    for (const p of poison) this.addPoison(p.gpa, p.size, p.hostAddress);
    this.pendingSErrors.clear();
    for (const [vcpu, iss] of serrors) this.pendingSErrors.set(vcpu, iss);
    this.refusedWrites = refusedWrites;
  }

  /** The snapshot's blob layout, and the first way it differs from this engine's (if any). */
  private readSnapshotBlob(
    r: SnapshotReader,
    v: unknown,
  ): { mismatch?: { path: string; why: string } } {
    const b = r.object(v, 'blob');
    r.keys(b, 'blob', ['size', 'blocks']);
    const size = r.int(b.size, 'blob.size', 0, 0xffff_ffff);
    const here = this.layout.blob;
    const blocks = r.list(b.blocks, 'blob.blocks', here.sources.length + 1).map((x, i) => {
      const path = `blob.blocks[${i}]`;
      const e = r.object(x, path);
      r.keys(e, path, ['offset', 'length', 'version']);
      return {
        offset: r.int(e.offset, `${path}.offset`, 0, 0xffff_ffff),
        length: r.int(e.length, `${path}.length`, 0, 0xffff_ffff),
        version: r.int(e.version, `${path}.version`, 1, 2),
      };
    });
    if (blocks.length !== here.sources.length)
      return {
        mismatch: {
          path: 'blob.blocks',
          why: `lists ${blocks.length} error status blocks, this engine lays out ${here.sources.length}`,
        },
      };
    for (const [i, blk] of blocks.entries()) {
      const o = here.sources[i]!;
      const version = this.channels[i]!.source.version;
      if (blk.offset !== o.block || blk.length !== o.blockLength || blk.version !== version) {
        return {
          mismatch: {
            path: `blob.blocks[${i}]`,
            why: `is a ${blk.length}-byte GHESv${blk.version} block at +${blk.offset}; this engine lays out source ${this.channels[i]!.id}'s ${o.blockLength}-byte GHESv${version} block at +${o.block}`,
          },
        };
      }
    }
    if (size !== here.size)
      return {
        mismatch: {
          path: 'blob.size',
          why: `${size} differs from this engine's ${here.size} bytes`,
        },
      };
    return {};
  }

  private readSnapshotSource(
    r: SnapshotReader,
    v: unknown,
    i: number,
  ): { backlog: PendingRecord[]; postedTag: string | undefined; counters: SourceCounters } {
    const c = this.channels[i]!;
    const path = `sources[${i}]`;
    const s = r.object(v, path);
    r.keys(s, path, ['id', 'backlog', 'postedTag', 'counters']);
    if (s.id !== c.id) r.fail(`${path}.id`, `${r.describe(s.id)} is not source ${c.id}`);
    const limit = c.source.policy === 'reject' ? 0 : c.source.backlogLimit;
    const backlog = r.list(s.backlog, `${path}.backlog`, limit).map((x, j): PendingRecord => {
      const at = `${path}.backlog[${j}]`;
      const p = r.object(x, at);
      r.keys(p, at, ['block', 'vcpu', 'el', 'tag', 'notify']);
      const block = r.hexBytes(p.block, `${at}.block`, c.source.blockLength);
      try {
        c.checkRecord(block);
      } catch (error) {
        if (error instanceof EngineError)
          r.fail(`${at}.block`, `cannot be posted here: ${error.message}`);
        throw error;
      }
      const vcpu = r.int(p.vcpu, `${at}.vcpu`, 0, 0xffff_ffff);
      const el = r.int(p.el, `${at}.el`, 0, 1) as 0 | 1;
      const tag = r.optionalString(p.tag, `${at}.tag`);
      if (p.notify !== undefined && p.notify !== false)
        r.fail(`${at}.notify`, `is ${r.describe(p.notify)}, only false or absent`);
      return {
        block,
        vcpu,
        el,
        ...(tag === undefined ? {} : { tag }),
        ...(p.notify === false ? { notify: false } : {}),
      };
    });
    const k = r.object(s.counters, `${path}.counters`);
    const names = [
      'posted',
      'queued',
      'dropped',
      'rejected',
      'hostilePointers',
      'maxBacklog',
    ] as const;
    r.keys(k, `${path}.counters`, names);
    const counters = {} as SourceCounters;
    for (const n of names) counters[n] = r.count(k[n], `${path}.counters.${n}`);
    return { backlog, postedTag: r.optionalString(s.postedTag, `${path}.postedTag`), counters };
  }

  // -------------------------------------------------------------------------------------------
  // Migration

  /**
   * Why the VM cannot migrate now: under `refuse-while-poisoned`, QEMU's hwpoison blocker while
   * any page is poisoned (until reset). Under `allow` (default) never: everything the engine
   * knows travels in snapshot().
   */
  migrationBlockers(): MigrationBlocker[] {
    if (this.migrationPolicy === MigrationPolicy.RefuseWhilePoisoned && this.poison.size > 0) {
      return [{ code: 'hwpoison', message: QEMU_HWPOISON_MIGRATION_MESSAGE }];
    }
    return [];
  }

  canMigrate(): boolean {
    return canMigrate(this);
  }

  /** snapshot() for migration: throws `migration-blocked` (QEMU's message) while blocked. */
  migrationSnapshot(): EngineSnapshot {
    return migrationSnapshot(this);
  }

  /** Host address of a guest physical address (for platforms that must re-poison on restore). */
  hostAddressOf(gpa: bigint): bigint | undefined {
    return guestToHost(this.memory.regions, gpa);
  }
}

export { HEST_ADDR_FILE, hex, PointerLayout };
