// Where `vras inject` delivers a record, and how it learns the guest took it.
//
// QmpTarget (QEMU ≥ 10.2, qemu-vmm.md §8, §12, §14): `inject-ghes-v2-error` with the record in
// base64 on the QMP source (id 1, GPIO/GED). QEMU writes 0 to the source's read-ack register and
// the record to its block; the guest writes the ack back when it has consumed the record. The
// ack register's address is in the HEST, which the client finds once per connection in guest
// RAM (`pmemsave` of the top of RAM into a private file, scanned for a `HEST` with a valid
// checksum); each wait then polls the register with HMP `xp` over the same connection. A second
// record before the ack is refused by QEMU, so the client never sends one.
//
// MemoryTarget (any QEMU, shared memory): guest RAM backed by a file (`memory-backend-file,
// share=on`); the HEST is found in the file, an engine adopts it and posts the record the way
// firmware does (body, ack reset, block_status last), then the guest is watched consuming it.

import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  acpiTableChecksumValid,
  decodeHest,
  HestNotificationType,
  type StatusBlockContext,
} from '../codec/index.js';
import {
  type AdoptedTables,
  adoptTables,
  BusyPolicy,
  EngineError,
  EngineErrorCode,
  type PlatformRequest,
  type RasEngine,
  readU32,
  readU64,
} from '../engine/index.js';
import { FileGuestMemory } from '../engine/node/file-memory.js';
import { GuestError } from '../guest/errors.js';
import { findHestInRam } from '../guest/find-hest.js';
import { parseQmpAddress, type QmpAddress, QmpClient } from '../guest/qmp.js';
import { InjectError } from './errors.js';
import { injectTempDir, removeInjectTempDir, sweepStaleInjectDirs } from './temp-dir.js';
import { QEMU_RECORD_LIMIT, QMP_SOURCE_CONTEXT } from './validate.js';

export const INJECT_COMMAND = 'inject-ghes-v2-error';
/** `ACPI_HEST_SRC_ID_QMP`. */
export const QMP_SOURCE_ID = 1;
/** Guest RAM base on arm `virt`. */
export const VIRT_RAM_BASE = 0x4000_0000n;

/** One record handed to a target: sent, then acknowledged. */
export interface DeliveryTiming {
  /** Host ms for the send itself (QMP round trip, or the memory writes). */
  readonly sendMs: number;
  /** Host ms from the send to the guest's acknowledgement (undefined: not watched). */
  readonly ackMs: number | undefined;
}

export interface InjectTarget {
  /** What the target is, for messages (`qmp unix:/…`, `memory /dev/shm/…`). */
  readonly description: string;
  /** The source as the guest sees it (for the lint) and its size limit. */
  readonly context: StatusBlockContext;
  readonly limit: number;
  /** Sends one validated record (base64 for QMP), waits for the ack; throws InjectError. */
  deliver(bytes: Uint8Array, base64: string, ackTimeoutMs: number): Promise<DeliveryTiming>;
  close(): Promise<void> | void;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Maps the harness's QMP errors to inject errors with a message that says what to do. */
export function qmpFailure(error: unknown, where: string): InjectError {
  const msg = (error as Error).message ?? String(error);
  if (error instanceof InjectError) return error;
  if (error instanceof GuestError && error.code === 'timeout' && /greeting/.test(msg))
    return new InjectError(
      'connection',
      `Cannot talk to QMP at ${where}: no greeting. QEMU serves one QMP client per socket: is another client (ghes_inject.py, a monitor) connected? (${msg})`,
      { cause: error },
    );
  if (/closed|ECONNRESET|EPIPE/.test(msg))
    return new InjectError(
      'connection',
      `QEMU went away: the QMP connection to ${where} closed (${msg})`,
      { cause: error },
    );
  if (/ECONNREFUSED|ENOENT/.test(msg))
    return new InjectError(
      'connection',
      `Cannot connect to QMP at ${where}: nothing listens there (is QEMU running with -qmp …,server=on?) (${msg})`,
      { cause: error },
    );
  if (/does not acknowledge previous error/.test(msg))
    return new InjectError(
      'refused',
      `QEMU refused the record: the guest has not acknowledged the previous one (${msg})`,
      { cause: error },
    );
  if (error instanceof GuestError && error.code === 'timeout')
    return new InjectError('connection', `QMP at ${where} stopped answering: ${msg}`, {
      cause: error,
    });
  return new InjectError('refused', `QMP at ${where}: ${msg}`, { cause: error });
}

export interface QmpTargetOptions {
  readonly timeoutMs?: number;
  /** Skip locating the ack register (no ack wait; QEMU's own refusal is then the only guard). */
  readonly noAckWatch?: boolean;
  /** Where the HEST was last time (checked before use; a full scan when it is not there). */
  readonly hestHint?: bigint;
}

export class QmpTarget implements InjectTarget {
  readonly description: string;
  context: StatusBlockContext = QMP_SOURCE_CONTEXT;
  limit = QEMU_RECORD_LIMIT;
  /** GPA of the QMP source's read-ack register, once found. */
  ackAddress: bigint | undefined;
  /** Host ms spent finding it. */
  locateMs: number | undefined;
  /** QMP command timeout (the inject command and each ack read). */
  timeoutMs = 3000;

  private constructor(
    readonly client: QmpClient,
    readonly address: QmpAddress,
    private readonly where: string,
  ) {
    this.description = `qmp ${where}`;
  }

  static async connect(text: string, options: QmpTargetOptions = {}): Promise<QmpTarget> {
    let address: QmpAddress;
    try {
      address = parseQmpAddress(text);
    } catch (e) {
      throw new InjectError('usage', (e as Error).message, { cause: e });
    }
    const timeoutMs = options.timeoutMs ?? 3000;
    // What runs killed with SIGKILL left behind (their RAM dumps), before anything else.
    sweepStaleInjectDirs();
    let client: QmpClient;
    try {
      client = await QmpClient.connect(address, { timeoutMs });
    } catch (e) {
      throw qmpFailure(e, text);
    }
    const target = new QmpTarget(client, address, text);
    target.timeoutMs = timeoutMs;
    try {
      const commands = await client.commands();
      if (!commands.includes(INJECT_COMMAND)) {
        const v = client.greeting?.version.qemu;
        throw new InjectError(
          'refused',
          `QEMU ${v === undefined ? '' : `${v.major}.${v.minor}.${v.micro} `}at ${text} has no ${INJECT_COMMAND} (needs QEMU ≥ 10.2 on arm virt with ras=on); use --memory for the shared-memory method`,
        );
      }
      if (options.noAckWatch !== true) await target.locate(timeoutMs, options.hestHint);
    } catch (e) {
      client.close();
      throw qmpFailure(e, text);
    }
    return target;
  }

  private hmp(command: string, timeoutMs: number): Promise<string> {
    return this.client.execute(
      'human-monitor-command',
      { 'command-line': command },
      { timeoutMs },
    ) as Promise<string>;
  }

  /** GPA of the HEST the ack register came from. */
  hestAddress: bigint | undefined;

  /** Uses the HEST in `bytes` (found at `gpa`); false when it is not a usable HEST. */
  private useHest(bytes: Uint8Array, gpa: bigint): boolean {
    const hest = decodeHest(bytes);
    const src = hest.sources.find((s) => s.type === 10 && s.sourceId === QMP_SOURCE_ID);
    if (src === undefined || src.type !== 10)
      throw new InjectError(
        'refused',
        `The guest's HEST has no GHESv2 source ${QMP_SOURCE_ID} (machine type older than virt-10.2?)`,
      );
    this.hestAddress = gpa;
    this.ackAddress = src.readAckRegister.address;
    this.context = {
      ...QMP_SOURCE_CONTEXT,
      errorBlockLength: src.errorStatusBlockLength,
      notificationType: src.notification.type,
    };
    this.limit = Math.min(QEMU_RECORD_LIMIT, src.errorStatusBlockLength);
    return true;
  }

  /** Checks a remembered HEST address with one small pmemsave. */
  private async tryHint(dir: string, gpa: bigint, timeoutMs: number): Promise<boolean> {
    const file = join(dir, 'hint');
    try {
      await this.client.execute(
        'pmemsave',
        { val: Number(gpa), size: 4096, filename: file },
        { timeoutMs },
      );
      const bytes = new Uint8Array(readFileSync(file));
      if (bytes.length < 40 || String.fromCharCode(...bytes.subarray(0, 4)) !== 'HEST')
        return false;
      const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(4, true);
      if (length < 40 || length > bytes.length) return false;
      const table = bytes.slice(0, length);
      if (!acpiTableChecksumValid(table)) return false;
      return this.useHest(table, gpa);
    } catch (e) {
      if (e instanceof InjectError) throw e;
      return false;
    }
  }

  /** Finds the HEST in guest RAM and the QMP source's ack register and block length. */
  async locate(timeoutMs: number, hint?: bigint): Promise<void> {
    const started = performance.now();
    if (hint !== undefined) {
      const dir = injectTempDir();
      try {
        if (await this.tryHint(dir, hint, timeoutMs)) {
          this.locateMs = performance.now() - started;
          return;
        }
      } finally {
        removeInjectTempDir(dir);
      }
    }
    const sizes = (await this.client.execute('query-memory-size-summary', undefined, {
      timeoutMs,
    })) as { 'base-memory': number };
    const ramSize = BigInt(sizes['base-memory']);
    const dir = injectTempDir();
    try {
      const chunk = 64n << 20n;
      // ACPI tables sit near the top of RAM, below 4 GiB; dump downwards in 64 MiB pieces.
      let top = VIRT_RAM_BASE + ramSize;
      if (top > 0x1_0000_0000n) top = 0x1_0000_0000n;
      for (let end = top; end > VIRT_RAM_BASE; end -= chunk) {
        const start = end - chunk > VIRT_RAM_BASE ? end - chunk : VIRT_RAM_BASE;
        const file = join(dir, `ram-${start.toString(16)}`);
        await this.client.execute(
          'pmemsave',
          { val: Number(start), size: Number(end - start), filename: file },
          { timeoutMs: Math.max(timeoutMs, 10_000) },
        );
        if (!existsSync(file))
          throw new InjectError(
            'refused',
            `QEMU's pmemsave at ${this.where} reported success but left no file ${file}: QEMU writes it on its own side, so it must share this file system (not another host, container or mount namespace)`,
          );
        const mem = new FileGuestMemory(file, [
          { name: 'pmemsave', gpa: start, size: end - start, hostAddress: 0n, fileOffset: 0n },
        ]);
        try {
          const found = findHestInRam(mem);
          this.useHest(found.bytes, found.gpa);
          this.locateMs = performance.now() - started;
          return;
        } catch (e) {
          if (e instanceof InjectError) throw e;
        } finally {
          mem.close();
          rmSync(file, { force: true });
        }
      }
      throw new InjectError(
        'refused',
        "Cannot find the guest's HEST in RAM: has the firmware booted (QEMU ignores injections before it links the tables)?",
      );
    } finally {
      removeInjectTempDir(dir);
    }
  }

  /**
   * MIDR_EL1 of QEMU's first CPU (`query-cpus-fast`, then `qom-get` of its `midr` property, the
   * value ghes_inject.py writes); undefined when QEMU does not say.
   */
  async cpuMidr(): Promise<bigint | undefined> {
    try {
      const cpus = (await this.client.execute('query-cpus-fast', undefined, {
        timeoutMs: this.timeoutMs,
      })) as { 'qom-path'?: string }[];
      const path = cpus[0]?.['qom-path'];
      if (path === undefined) return undefined;
      const midr = await this.client.execute(
        'qom-get',
        { path, property: 'midr' },
        { timeoutMs: this.timeoutMs },
      );
      return typeof midr === 'number' && Number.isSafeInteger(midr) && midr >= 0
        ? BigInt(midr)
        : undefined;
    } catch (e) {
      if (e instanceof GuestError && e.code === 'qmp' && /failed:/.test(e.message))
        return undefined;
      throw qmpFailure(e, this.where);
    }
  }

  /** The read-ack register as the guest left it (HMP `xp`). */
  async readAck(timeoutMs = this.timeoutMs): Promise<bigint> {
    if (this.ackAddress === undefined) throw new InjectError('refused', 'ack register not located');
    const out = await this.hmp(`xp /1gx 0x${this.ackAddress.toString(16)}`, timeoutMs);
    const m = /:\s*(0x[0-9a-fA-F]+)/.exec(out);
    if (m === null)
      throw new InjectError('refused', `Cannot read the ack register: xp said ${out}`);
    return BigInt(m[1]!);
  }

  async deliver(_bytes: Uint8Array, base64: string, ackTimeoutMs: number): Promise<DeliveryTiming> {
    const t0 = performance.now();
    try {
      await this.client.execute(INJECT_COMMAND, { cper: base64 }, { timeoutMs: this.timeoutMs });
    } catch (e) {
      throw qmpFailure(e, this.where);
    }
    const sent = performance.now();
    if (this.ackAddress === undefined) return { sendMs: sent - t0, ackMs: undefined };
    const deadline = sent + ackTimeoutMs;
    try {
      for (;;) {
        if ((await this.readAck()) !== 0n)
          return { sendMs: sent - t0, ackMs: performance.now() - t0 };
        if (performance.now() > deadline)
          throw new InjectError(
            'no-ack',
            `The guest did not acknowledge the record within ${ackTimeoutMs} ms (read-ack register 0x${this.ackAddress.toString(16)} still 0); QEMU refuses further records until it does`,
          );
        await sleep(1);
      }
    } catch (e) {
      throw qmpFailure(e, this.where);
    }
  }

  close(): void {
    this.client.close();
  }
}

export interface MemoryTargetOptions {
  /** GPA of the file's first byte (default 0x40000000, `virt` RAM). */
  readonly base?: bigint;
  /** Source id to post to (default: the HEST's first source). */
  readonly sourceId?: number;
}

/**
 * Shared-memory method: file-backed guest RAM, the HEST found in it (QEMU's `ras=on` table, or
 * one the engine laid out), and every record posted by an engine adopted from that HEST
 * (`adoptTables`, `reject` policy: a record is never written over an unacknowledged one). The
 * notification the engine asks for (SEA, GED, …) cannot be raised from outside: polled sources
 * are read on the guest's next poll, others when the guest is next notified.
 */
export class MemoryTarget implements InjectTarget {
  readonly description: string;
  readonly context: StatusBlockContext;
  readonly limit: number;
  /** The engine posting the records (linked to the guest's tables). */
  readonly engine: RasEngine;
  /** Notifications the engine requested that this target could not carry out. */
  readonly requests: PlatformRequest[] = [];
  readonly sourceId: number;
  private readonly mem: FileGuestMemory;
  private readonly ack: { readonly gpa: bigint; readonly write: bigint } | undefined;
  private readonly block: bigint;
  /** A caveat about the source, for the CLI to print. */
  readonly note: string | undefined;

  constructor(
    readonly path: string,
    size: number,
    options: MemoryTargetOptions = {},
  ) {
    this.description = `memory ${path}`;
    const base = options.base ?? VIRT_RAM_BASE;
    const mem = new FileGuestMemory(path, [
      { name: 'guest-ram', gpa: base, size: BigInt(size), hostAddress: 0n, fileOffset: 0n },
    ]);
    this.mem = mem;
    const fail = (why: string, cause?: unknown): never => {
      mem.close();
      throw new InjectError('memory', `Cannot inject into ${path}: ${why}`, { cause });
    };
    let adopted: AdoptedTables | undefined;
    try {
      adopted = adoptTables({
        memory: mem,
        platform: { request: (r) => this.requests.push(r), report: () => {} },
        hestGpa: findHestInRam(mem).gpa,
        policy: BusyPolicy.Reject,
      });
    } catch (e) {
      fail((e as Error).message, e);
    }
    const engine = adopted!.engine;
    this.engine = engine;
    const index = engine.layout.sources.findIndex(
      (s) => options.sourceId === undefined || s.id === options.sourceId,
    );
    if (index < 0)
      fail(
        `no source ${options.sourceId} in the guest's HEST (sources: ${engine.layout.sources.map((s) => s.id).join(', ')})`,
      );
    const src = engine.layout.sources[index]!;
    const offsets = engine.layout.blob.sources[index]!;
    this.sourceId = src.id;
    this.block = adopted!.blobGpa + BigInt(offsets.block);
    this.ack =
      src.version === 2
        ? { gpa: adopted!.blobGpa + BigInt(offsets.ack), write: src.readAckWrite }
        : undefined;
    this.context = {
      errorBlockLength: src.blockLength,
      notificationType: src.notification,
      ghesVersion: src.version,
      sourceId: src.id,
    };
    this.limit = src.blockLength;
    this.note =
      src.notification === HestNotificationType.Polled
        ? undefined
        : `source ${src.id} is not polled (notification ${src.notification}): the guest reads it only when notified`;
  }

  /** `block_status` of the source's error status block as the guest left it. */
  blockStatus(): number {
    return readU32(this.mem, this.block);
  }

  /** Whether the guest has consumed the last record (ack bits set; GHES: block_status 0). */
  consumed(): boolean {
    if (this.ack === undefined) return readU32(this.mem, this.block) === 0;
    return (readU64(this.mem, this.ack.gpa) & this.ack.write) === this.ack.write;
  }

  async deliver(bytes: Uint8Array, _b64: string, ackTimeoutMs: number): Promise<DeliveryTiming> {
    const t0 = performance.now();
    try {
      this.engine.record(this.sourceId, bytes);
    } catch (e) {
      if (e instanceof EngineError && e.code === EngineErrorCode.NotAcknowledged)
        throw new InjectError(
          'refused',
          `Cannot post to ${this.path}: the guest has not acknowledged the previous record on source ${this.sourceId}`,
          { cause: e },
        );
      throw new InjectError('memory', `Cannot post to ${this.path}: ${(e as Error).message}`, {
        cause: e,
      });
    }
    const sent = performance.now();
    const deadline = sent + ackTimeoutMs;
    while (!this.consumed()) {
      if (performance.now() > deadline)
        throw new InjectError(
          'no-ack',
          `The guest did not consume the record on source ${this.sourceId} within ${ackTimeoutMs} ms (block_status 0x${readU32(this.mem, this.block).toString(16)}${this.ack === undefined ? '' : `, read ack 0x${readU64(this.mem, this.ack.gpa).toString(16)}`})`,
        );
      await sleep(1);
    }
    return { sendMs: sent - t0, ackMs: performance.now() - t0 };
  }

  close(): void {
    this.mem.close();
  }
}
