// The engine on QEMU ≥ 10.2, driven through QMP (qemu-vmm.md §8, §12, §14): an unchanged
// RasEngine adopts QEMU's own `virt,ras=on` tables (HEST found in guest RAM, adoptTables) and
// runs on a mirror of the guest's `etc/hardware_errors`; its GPIO-source records reach the guest
// through `inject-ghes-v2-error`, which writes the same bytes and raises the GED event.
//
// The engine's memory is synchronous, QMP is not. So every engine call is bracketed: before it,
// the error-status-address slots and read-ack registers are read from the guest (one HMP `xp`)
// into the mirror; the engine then decides with its own checks (ack bits set, queue when busy,
// never block_status 0, never empty, never over the block, never through a slot the guest
// moved) and writes its record into the mirror; after it, each notification it requested is
// carried out: a `ged-event` on the QMP source sends exactly the bytes the engine wrote there.
// QEMU then clears the ack and writes the record itself, as the engine did in the mirror.
//
// QEMU alone refuses a second record before the guest's ack; through the engine the second one
// waits in the source's backlog and `service()`/`settle()` send it once the guest has acked.
// Only source 1 (the QMP/GPIO source) can be reached: QMP has no command to inject an SEA, so an
// action-required SIGBUS (SEA source 0) is refused before the engine sees it.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeHest } from '../codec/index.js';
import {
  adoptTables,
  BusyPolicy,
  type EngineReport,
  type GuestMemory,
  type PlatformRequest,
  type RamRegion,
  type RasEngine,
  type RecordOptions,
  type RecordOutcome,
  requireRam,
  SigbusCode,
  type SigbusOutcome,
  type SigbusSignal,
} from '../engine/index.js';
import { InjectError } from './errors.js';
import {
  INJECT_COMMAND,
  QMP_SOURCE_ID,
  type QmpTarget,
  qmpFailure,
  VIRT_RAM_BASE,
} from './targets.js';
import { validatePayload } from './validate.js';

const hx = (v: bigint) => `0x${v.toString(16)}`;

/** What the bridge needs from a running QEMU (QMP in real use; a model of QEMU in tests). */
export interface GuestPort {
  /** Guest RAM with the host addresses QEMU mapped it at. */
  ramRegions(): Promise<RamRegion[]>;
  /** `length` bytes of guest memory at `gpa`. */
  read(gpa: bigint, length: number): Promise<Uint8Array>;
  /** `count` consecutive little-endian u64 at `gpa`. */
  readU64s(gpa: bigint, count: number): Promise<bigint[]>;
  /** `inject-ghes-v2-error` with this base64 record; rejects as QEMU does. */
  inject(base64: string): Promise<void>;
}

/**
 * The guest memory the engine sees: guest RAM's map, with the bytes of a few mirrored windows
 * (the HEST and `etc/hardware_errors`). Reads and writes outside a window are refused; writes
 * stay in the mirror (QEMU writes the guest's copy when the record is injected).
 */
export class MirroredMemory implements GuestMemory {
  private readonly windows: { gpa: bigint; bytes: Uint8Array }[] = [];
  onWrite: ((gpa: bigint, length: number) => void) | undefined;

  constructor(readonly regions: readonly RamRegion[]) {}

  /** Mirrors `bytes` at `gpa` (replacing what a window held there). */
  load(gpa: bigint, bytes: Uint8Array): void {
    requireRam(this.regions, gpa, bytes.length, 'a mirrored window');
    const w = this.windowOf(gpa, bytes.length, false);
    if (w === undefined) this.windows.push({ gpa, bytes: bytes.slice() });
    else w.bytes.set(bytes, Number(gpa - w.gpa));
  }

  private windowOf(gpa: bigint, length: number, required = true) {
    const w = this.windows.find(
      (x) => gpa >= x.gpa && gpa + BigInt(length) <= x.gpa + BigInt(x.bytes.length),
    );
    if (w === undefined && required)
      throw new InjectError(
        'memory',
        `Cannot access ${length} bytes at GPA ${hx(gpa)}: not mirrored from the guest (only the HEST and etc/hardware_errors are)`,
      );
    return w;
  }

  read(gpa: bigint, length: number): Uint8Array {
    const w = this.windowOf(gpa, length)!;
    const at = Number(gpa - w.gpa);
    return w.bytes.slice(at, at + length);
  }

  write(gpa: bigint, bytes: Uint8Array): void {
    const w = this.windowOf(gpa, bytes.length)!;
    w.bytes.set(bytes, Number(gpa - w.gpa));
    this.onWrite?.(gpa, bytes.length);
  }
}

export interface BridgeDelivery {
  readonly sourceId: number;
  readonly bytes: Uint8Array;
  /** Host ms (performance.now) when QEMU accepted the record. */
  readonly at: number;
  /** Host ms of the QMP command. */
  readonly sendMs: number;
}

export interface BridgeOptions {
  /** Default `queue` (QEMU's own behaviour is `reject`). */
  readonly policy?: BusyPolicy;
  readonly backlogLimit?: number;
}

interface SourceMirror {
  readonly id: number;
  readonly block: bigint;
  readonly blockLength: number;
  readonly ack: bigint;
  readonly readAckWrite: bigint;
  /** End (exclusive GPA) of the engine's writes into the block since the last send. */
  dirtyEnd: bigint;
}

export class QmpEngineBridge {
  readonly engine: RasEngine;
  readonly memory: MirroredMemory;
  /** Everything the engine reported, in order. */
  readonly reports: EngineReport[];
  /** Records QEMU accepted, in order. */
  readonly delivered: BridgeDelivery[] = [];
  private readonly notifications: PlatformRequest[];
  private readonly sources: SourceMirror[];
  private readonly blob: { readonly gpa: bigint; readonly count: number };
  private busy = false;

  private constructor(
    private readonly port: GuestPort,
    adopted: ReturnType<typeof adoptTables>,
    memory: MirroredMemory,
    queues: { readonly notifications: PlatformRequest[]; readonly reports: EngineReport[] },
  ) {
    this.notifications = queues.notifications;
    this.reports = queues.reports;
    this.engine = adopted.engine;
    this.memory = memory;
    const layout = adopted.engine.layout;
    this.blob = { gpa: adopted.blobGpa, count: layout.sources.length };
    this.sources = layout.sources.map((s, i) => {
      const o = layout.blob.sources[i]!;
      return {
        id: s.id,
        block: adopted.blobGpa + BigInt(o.block),
        blockLength: o.blockLength,
        ack: adopted.blobGpa + BigInt(o.ack),
        readAckWrite: s.readAckWrite,
        dirtyEnd: 0n,
      };
    });
    memory.onWrite = (gpa, length) => {
      for (const s of this.sources) {
        const end = gpa + BigInt(length);
        if (gpa >= s.block && end <= s.block + BigInt(s.blockLength) && end > s.dirtyEnd)
          s.dirtyEnd = end;
      }
    };
  }

  /** Adopts the tables at `hestGpa` through `port` (the HEST and blob are read once). */
  static async attach(
    port: GuestPort,
    hestGpa: bigint,
    options: BridgeOptions = {},
  ): Promise<QmpEngineBridge> {
    const memory = new MirroredMemory(await port.ramRegions());
    const head = await port.read(hestGpa, 8);
    const length = new DataView(head.buffer, head.byteOffset, 8).getUint32(4, true);
    if (length < 40 || length > 4096)
      throw new InjectError('memory', `Cannot adopt the HEST at ${hx(hestGpa)}: length ${length}`);
    memory.load(hestGpa, await port.read(hestGpa, length));
    // The blob's address and size follow from the HEST; mirror it before the engine links.
    const hest = decodeHest(memory.read(hestGpa, length));
    const ghes = hest.sources.filter((s) => s.type === 9 || s.type === 10);
    const first = ghes[0];
    if (first === undefined || (first.type !== 9 && first.type !== 10))
      throw new InjectError('memory', `The HEST at ${hx(hestGpa)} has no GHES source`);
    const blobGpa = first.errorStatusAddress.address;
    let blobSize = 16 * ghes.length;
    for (const s of ghes)
      if (s.type === 9 || s.type === 10) blobSize += (s.errorStatusBlockLength + 7) & ~7;
    memory.load(blobGpa, await port.read(blobGpa, blobSize));
    const queues = { notifications: [] as PlatformRequest[], reports: [] as EngineReport[] };
    const platform = {
      request: (r: PlatformRequest) => void queues.notifications.push(r),
      report: (r: EngineReport) => void queues.reports.push(r),
    };
    const adopted = adoptTables({
      memory,
      platform,
      hestGpa,
      policy: options.policy ?? BusyPolicy.Queue,
      ...(options.backlogLimit === undefined ? {} : { backlogLimit: options.backlogLimit }),
    });
    if (!adopted.engine.layout.sources.some((s) => s.id === QMP_SOURCE_ID))
      throw new InjectError(
        'refused',
        `The guest's HEST has no source ${QMP_SOURCE_ID}: inject-ghes-v2-error needs a virt-10.2 or newer machine`,
      );
    return new QmpEngineBridge(port, adopted, memory, queues);
  }

  /** Reads the slots and read-ack registers from the guest into the mirror (one round trip). */
  async refresh(): Promise<void> {
    const values = await this.port.readU64s(this.blob.gpa, 2 * this.blob.count);
    const bytes = new Uint8Array(8 * values.length);
    const view = new DataView(bytes.buffer);
    for (const [i, v] of values.entries()) view.setBigUint64(8 * i, v, true);
    this.memory.load(this.blob.gpa, bytes);
  }

  /** Whether the guest has acknowledged the last record on `sourceId` (as of the last refresh). */
  acked(sourceId = QMP_SOURCE_ID): boolean {
    const s = this.source(sourceId);
    const ack = new DataView(this.memory.read(s.ack, 8).buffer).getBigUint64(0, true);
    return (ack & s.readAckWrite) === s.readAckWrite;
  }

  private source(sourceId: number): SourceMirror {
    const s = this.sources.find((x) => x.id === sourceId);
    if (s === undefined)
      throw new InjectError('refused', `No error source ${sourceId} in the guest's HEST`);
    return s;
  }

  /** Runs one engine step between a refresh and the sends it requested. */
  private async step<T>(fn: () => T): Promise<T> {
    if (this.busy)
      throw new InjectError('refused', 'Cannot run two engine steps at once on one QMP bridge');
    this.busy = true;
    try {
      await this.refresh();
      const hostileBefore = this.reports.length;
      const out = fn();
      const hostile = this.reports
        .slice(hostileBefore)
        .find((r) => r.code === 'hostile-pointer' && r.sourceId === QMP_SOURCE_ID);
      await this.flush(hostile);
      return out;
    } finally {
      this.busy = false;
    }
  }

  private async flush(hostile: EngineReport | undefined): Promise<void> {
    while (this.notifications.length > 0) {
      const r = this.notifications.shift()!;
      if (r.kind !== 'ged-event' || r.sourceId !== QMP_SOURCE_ID) {
        this.notifications.length = 0;
        throw new InjectError(
          'refused',
          `Cannot carry out the engine's ${r.kind} request over QMP: QEMU injects only on source ${QMP_SOURCE_ID} (GPIO/GED)`,
        );
      }
      const s = this.source(r.sourceId);
      if (hostile !== undefined)
        // QEMU writes the record wherever the slot in guest memory points: never send then.
        throw new InjectError(
          'refused',
          `Not injecting: ${hostile.message}; QEMU would write the record through the guest's pointer`,
        );
      if (s.dirtyEnd <= s.block)
        throw new InjectError('refused', 'The engine requested a notification without a record');
      const bytes = this.memory.read(s.block, Number(s.dirtyEnd - s.block));
      s.dirtyEnd = 0n;
      const v = validatePayload(bytes, {
        context: {
          errorBlockLength: s.blockLength,
          notificationType: this.engine.layout.sources.find((x) => x.id === s.id)!.notification,
          ghesVersion: 2,
          sourceId: s.id,
        },
        limit: s.blockLength,
        force: true, // the engine's own checks decide; the lint is for user-made records
      });
      const t0 = performance.now();
      try {
        await this.port.inject(v.base64);
      } catch (e) {
        const err = e instanceof InjectError ? e : qmpFailure(e, 'QMP');
        if (err.code === 'refused' && /acknowledge/.test(err.message)) {
          // The guest's ack was cleared by someone else between the refresh and the command:
          // the record waits in the backlog for the next ack, like any other.
          this.engine.record(s.id, bytes);
          continue;
        }
        throw err;
      }
      const at = performance.now();
      this.delivered.push({ sourceId: s.id, bytes, at, sendMs: at - t0 });
    }
  }

  /**
   * A host SIGBUS for guest memory (`hostAddress` in QEMU's address space). Action-optional
   * errors go to the GPIO source; action-required ones need an SEA, which QMP cannot inject.
   */
  onSigbus(signal: SigbusSignal): Promise<SigbusOutcome> {
    if (signal.code === SigbusCode.ActionRequired)
      return Promise.reject(
        new InjectError(
          'refused',
          'Cannot deliver an action-required SIGBUS over QMP: it needs an SEA on the faulting vCPU (source 0), which QMP cannot inject',
        ),
      );
    return this.step(() => this.engine.onSigbus(signal));
  }

  /** Records a whole status block on the QMP source through the engine. */
  record(
    block: Uint8Array,
    options: RecordOptions = {},
    sourceId = QMP_SOURCE_ID,
  ): Promise<RecordOutcome> {
    if (sourceId !== QMP_SOURCE_ID)
      return Promise.reject(
        new InjectError(
          'refused',
          `Cannot record on source ${sourceId} over QMP: QEMU injects only on source ${QMP_SOURCE_ID}`,
        ),
      );
    return this.step(() => this.engine.record(sourceId, block, options));
  }

  /** Sends backlog records the guest has made room for. Returns how many. */
  service(): Promise<number> {
    return this.step(() => this.engine.service());
  }

  /** Services until the backlog is empty and the guest acked the last record. */
  async settle(timeoutMs: number, pollMs = 1): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      await this.service();
      if (this.engine.backlogSize === 0 && this.acked()) return;
      if (performance.now() > deadline)
        throw new InjectError(
          'no-ack',
          `The guest did not acknowledge within ${timeoutMs} ms (${this.engine.backlogSize} records still queued)`,
        );
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }
}

/** QMP as a GuestPort: pmemsave for windows, HMP `xp` for registers, `gpa2hva` for the map. */
export class QmpPort implements GuestPort {
  constructor(
    private readonly target: QmpTarget,
    private readonly timeoutMs = 3000,
  ) {}

  private hmp(command: string): Promise<string> {
    return this.target.client.execute(
      'human-monitor-command',
      { 'command-line': command },
      { timeoutMs: this.timeoutMs },
    ) as Promise<string>;
  }

  async ramRegions(): Promise<RamRegion[]> {
    const sizes = (await this.target.client.execute('query-memory-size-summary', undefined, {
      timeoutMs: this.timeoutMs,
    })) as { 'base-memory': number };
    const out = await this.hmp(`gpa2hva 0x${VIRT_RAM_BASE.toString(16)}`);
    const m = /is (0x[0-9a-fA-F]+)/.exec(out);
    if (m === null)
      throw new InjectError(
        'refused',
        `Cannot map guest RAM to host addresses: gpa2hva said ${out}`,
      );
    return [
      {
        name: 'mach-virt.ram',
        gpa: VIRT_RAM_BASE,
        size: BigInt(sizes['base-memory']),
        hostAddress: BigInt(m[1]!),
      },
    ];
  }

  async read(gpa: bigint, length: number): Promise<Uint8Array> {
    const dir = mkdtempSync(join(tmpdir(), 'vras-bridge-'));
    try {
      const file = join(dir, 'window');
      await this.target.client.execute(
        'pmemsave',
        { val: Number(gpa), size: length, filename: file },
        { timeoutMs: this.timeoutMs },
      );
      const bytes = new Uint8Array(readFileSync(file));
      if (bytes.length !== length)
        throw new InjectError(
          'memory',
          `pmemsave gave ${bytes.length} of ${length} bytes at ${hx(gpa)}`,
        );
      return bytes;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  async readU64s(gpa: bigint, count: number): Promise<bigint[]> {
    return parseXpU64s(await this.hmp(`xp /${count}gx 0x${gpa.toString(16)}`), count);
  }

  async inject(base64: string): Promise<void> {
    try {
      await this.target.client.execute(INJECT_COMMAND, { cper: base64 }, { timeoutMs: 5000 });
    } catch (e) {
      throw qmpFailure(e, this.target.description);
    }
  }
}

/** The values of HMP `xp /Ngx` output (`ADDR: 0xV 0xV` lines); exactly `count` or throws. */
export function parseXpU64s(out: string, count: number): bigint[] {
  const values: bigint[] = [];
  for (const line of out.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    for (const v of line.slice(colon + 1).match(/0x[0-9a-fA-F]+/g) ?? []) values.push(BigInt(v));
  }
  if (values.length !== count)
    throw new InjectError(
      'memory',
      `Cannot read ${count} registers from guest memory: xp said ${JSON.stringify(out.trim())}`,
    );
  return values;
}

/** A bridge on a connected QmpTarget (its HEST already located). */
export async function bridgeQmpTarget(
  target: QmpTarget,
  options: BridgeOptions = {},
): Promise<QmpEngineBridge> {
  if (target.hestAddress === undefined) await target.locate(5000);
  return QmpEngineBridge.attach(new QmpPort(target), target.hestAddress!, options);
}
