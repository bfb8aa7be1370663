// A real guest to inject into: boots QEMU ≥ 10.2 (`-M virt,ras=on`) with the harness's GuestVm,
// takes over its QMP socket with a QmpTarget, and checks what the guest prints against the
// codec's Linux printer. Used by the real-QEMU tests, the conformance matrix and the bench.

import type { KernelVersion } from '../codec/index.js';
import type { GuestManifest } from '../guest/cache.js';
import { expectRecordPrinted } from '../guest/expect-record.js';
import { QEMU_NEWER_NAME } from '../guest/newer.js';
import { codecKernel } from '../guest/scenarios.js';
import { GuestVm } from '../guest/vm.js';
import { QmpTarget } from './targets.js';
import { validatePayload } from './validate.js';

export interface InjectGuestOptions {
  readonly manifest: GuestManifest;
  readonly kernel?: string;
  readonly qemu?: string;
  readonly label?: string;
  readonly runTimeoutMs?: number;
  /** Back guest RAM with a shared /dev/shm file (for the shared-memory target). */
  readonly ramFile?: boolean;
}

export interface PrintedCheck {
  readonly seq: number;
  /** Host ms from sending the command to the first `[Hardware Error]` line. */
  readonly lineMs: number;
  /** Host ms for the QMP command and until the ack. */
  readonly sendMs: number;
  readonly ackMs: number | undefined;
}

export class InjectGuest {
  readonly vm: GuestVm;
  /** The guest's kernel as the codec names it (its expected lines follow it). */
  readonly kernel: KernelVersion;
  target: QmpTarget | undefined;

  constructor(options: InjectGuestOptions) {
    this.kernel = codecKernel(options.kernel ?? '6.1');
    this.vm = new GuestVm({
      manifest: options.manifest,
      label: options.label ?? 'inject',
      qemu: options.qemu ?? QEMU_NEWER_NAME,
      kernel: options.kernel ?? '6.1',
      ras: true,
      runTimeoutMs: options.runTimeoutMs ?? 120_000,
      ...(options.ramFile === true ? { ramFile: true } : {}),
    });
  }

  get qmpAddress(): string {
    return `unix:${this.vm.qmpPath}`;
  }

  /**
   * Boots the guest and connects the QMP inject target (the harness's own QMP client closed);
   * `connect: false` keeps the harness's client (QEMU < 10.2, shared-memory target).
   */
  async start(options: { readonly connect?: boolean } = {}): Promise<void> {
    await this.vm.start();
    if (options.connect !== false) await this.connect();
  }

  /** Frees the QMP socket (for another client, e.g. the CLI). */
  release(): void {
    this.target?.close();
    this.target = undefined;
    this.vm.qmp = undefined;
  }

  async connect(): Promise<QmpTarget> {
    this.vm.qmp?.close();
    this.vm.qmp = undefined;
    const target = await QmpTarget.connect(this.qmpAddress, { timeoutMs: 5000 });
    this.target = target;
    // GuestVm.stop() sends `quit` on this client.
    this.vm.qmp = target.client;
    return target;
  }

  /** Injects `record`, waits for the ack and for the guest's lines, and checks them. */
  async injectAndCheck(record: Uint8Array, timeoutMs = 5000): Promise<PrintedCheck> {
    const target = this.target ?? (await this.connect());
    const v = validatePayload(record, { context: target.context, limit: target.limit });
    const from = this.vm.console.lines.length;
    const t0 = performance.now();
    const timing = await target.deliver(v.bytes, v.base64, timeoutMs);
    const first = await this.expectPrinted(record, target.context.sourceId ?? 1, from, timeoutMs);
    return {
      seq: first.seq,
      lineMs: first.hostMs - t0,
      sendMs: timing.sendMs,
      ackMs: timing.ackMs,
    };
  }

  /**
   * Waits for the record printed from `sourceId` after console line `from` and checks its lines
   * against the codec's Linux printer. Resolves with its sequence number and first line's time.
   */
  async expectPrinted(
    record: Uint8Array,
    sourceId: number,
    from: number,
    timeoutMs = 5000,
  ): Promise<{ seq: number; hostMs: number; index: number }> {
    const { seq, first } = await expectRecordPrinted(this.vm.console, record, sourceId, from, {
      kernel: this.kernel,
      timeoutMs,
    });
    return { seq, hostMs: first.hostMs, index: first.index };
  }

  async stop(): Promise<void> {
    await this.vm.stop();
  }
}
