// A stand-in for QEMU ≥ 10.2's QMP monitor, for testing `vras inject` without a VM: it serves
// the QMP wire protocol (greeting, qmp_capabilities, ids echoed) on a unix socket or loopback
// TCP, one client at a time like QEMU, and models what the inject client uses — query-commands,
// query-memory-size-summary, pmemsave, HMP `xp`, query-cpus-fast, qom-get and
// inject-ghes-v2-error as qemu-vmm.md §8 describes it (ack 0 → refused; otherwise ack ← 0 and
// the record written through the slot). Guest RAM holds QEMU 10.2's captured tables
// (shared/reference/qemu/captured/qemu-10.2.50-ece408818d/virt); a "guest" acks each record
// after `ackDelayMs` unless told not to.

import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { readU64, SparseGuestMemory, writeU64 } from '../src/engine/index.js';
import { readShared } from './support/shared.js';

const DIR = ['reference', 'qemu', 'captured', 'qemu-10.2.50-ece408818d', 'virt'];
export const FAKE_HEST = 0x4300_1844n; // report.json: the WRITE_POINTER value
export const FAKE_BLOB = 0x43da_0000n;
const ACK1 = FAKE_BLOB + 0x18n;
const BLOCK1 = FAKE_BLOB + 0x420n;
/** 64 MiB of RAM: the tables sit below 0x44000000, so one pmemsave chunk covers them. */
const RAM_SIZE = 64n << 20n;
/** Cortex-A57 r1p0, what `-cpu cortex-a57` reports as its `midr` property. */
export const FAKE_MIDR = 0x411f_d070;

export interface FakeQemuOptions {
  /** `unix` (default) or `tcp` on 127.0.0.1 with a free port. */
  readonly transport?: 'unix' | 'tcp';
  readonly socketPath?: string;
  /** Host ms before the guest acks a record (default 2). */
  readonly ackDelayMs?: number;
  /** The guest acks only this many records, then never again. */
  readonly ackLimit?: number;
  /** Drop the connection (as a dying QEMU does) when this record (0-based) is sent. */
  readonly dieOnInject?: number;
  /** Close every connection before the greeting (QEMU shutting down). */
  readonly closeBeforeGreeting?: boolean;
  /** Leave out inject-ghes-v2-error from query-commands (QEMU < 10.2). */
  readonly noInjectCommand?: boolean;
}

export class FakeQemu {
  readonly mem = SparseGuestMemory.virt(RAM_SIZE);
  /** Every record QEMU accepted, in order. */
  readonly injected: Uint8Array[] = [];
  /** Every command received, in order (`qmp_capabilities` included). */
  readonly commands: string[] = [];
  connections = 0;
  address = '';
  private server: Server | undefined;
  private client: Socket | undefined;
  private readonly held: Socket[] = [];
  private acks = 0;

  constructor(readonly options: FakeQemuOptions = {}) {
    this.mem.write(FAKE_HEST, readShared(...DIR, 'HEST.patched.bin'));
    this.mem.write(FAKE_BLOB, readShared(...DIR, 'hardware_errors.after_linking.bin'));
  }

  async start(): Promise<string> {
    const server = createServer((sock) => this.accept(sock));
    this.server = server;
    if (this.options.transport === 'tcp') {
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const a = server.address() as { port: number };
      this.address = `tcp:127.0.0.1:${a.port}`;
    } else {
      const path = this.options.socketPath;
      if (path === undefined) throw new Error('FakeQemu: socketPath needed for unix');
      await new Promise<void>((r) => server.listen(path, r));
      this.address = `unix:${path}`;
    }
    return this.address;
  }

  async stop(): Promise<void> {
    this.client?.destroy();
    for (const s of this.held) s.destroy();
    await new Promise<void>((r) =>
      this.server === undefined ? r() : this.server.close(() => r()),
    );
  }

  /** The read-ack register of source 1 (0 while a record is unacknowledged). */
  ack(): bigint {
    return readU64(this.mem, ACK1);
  }

  private accept(sock: Socket): void {
    this.connections++;
    if (this.options.closeBeforeGreeting === true) {
      sock.destroy();
      return;
    }
    if (this.client !== undefined && !this.client.destroyed) {
      // QEMU serves one client: a second one is connected but never greeted.
      this.held.push(sock);
      sock.on('error', () => {});
      return;
    }
    this.client = sock;
    sock.on('error', () => {});
    sock.write(
      '{"QMP": {"version": {"qemu": {"micro": 3, "minor": 1, "major": 11}, "package": "fake"}, "capabilities": ["oob"]}}\r\n',
    );
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString();
      for (;;) {
        const nl = buf.indexOf('\n');
        if (nl < 0) break;
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.trim() !== '') this.onCommand(sock, JSON.parse(line) as Command);
      }
    });
  }

  private onCommand(sock: Socket, c: Command): void {
    const reply = this.answer(sock, c);
    if (reply !== undefined) sock.write(`${JSON.stringify({ ...reply, id: c.id })}\r\n`);
  }

  /** QEMU's answer to one command; undefined when the connection was dropped instead. */
  private answer(sock: Socket, c: Command): Reply | undefined {
    this.commands.push(c.execute);
    const a = c.arguments ?? {};
    switch (c.execute) {
      case 'qmp_capabilities':
        return ok({});
      case 'query-commands': {
        const names = ['qmp_capabilities', 'query-commands', 'pmemsave', 'human-monitor-command'];
        if (this.options.noInjectCommand !== true) names.push('inject-ghes-v2-error');
        return ok(names.map((name) => ({ name })));
      }
      case 'query-memory-size-summary':
        return ok({ 'base-memory': Number(RAM_SIZE), 'plugged-memory': 0 });
      case 'query-cpus-fast':
        return ok([
          { 'cpu-index': 0, 'qom-path': '/machine/unattached/device[0]', target: 'aarch64' },
        ]);
      case 'qom-get':
        if (a.path === '/machine/unattached/device[0]' && a.property === 'midr')
          return ok(FAKE_MIDR);
        return fail(`Property '${String(a.property)}' not found`);
      case 'pmemsave':
        this.pmemsave(BigInt(a.val as number), Number(a.size), String(a.filename));
        return ok({});
      case 'human-monitor-command': {
        const m = /^xp \/1gx (0x[0-9a-f]+)$/.exec(String(a['command-line']));
        if (m === null) return fail('unsupported HMP command');
        const gpa = BigInt(m[1]!);
        const v = readU64(this.mem, gpa);
        return ok(
          `${gpa.toString(16).padStart(16, '0')}: 0x${v.toString(16).padStart(16, '0')}\r\n`,
        );
      }
      case 'inject-ghes-v2-error':
        return this.inject(sock, String(a.cper));
      default:
        return fail(`The command ${c.execute} has not been found`, 'CommandNotFound');
    }
  }

  private pmemsave(gpa: bigint, size: number, file: string): void {
    const fd = openSync(file, 'w');
    try {
      ftruncateSync(fd, size);
      // Only the tables are non-zero; copy the parts of them inside the dump.
      for (const [start, length] of [
        [FAKE_HEST, 224],
        [FAKE_BLOB, 2080],
      ] as const) {
        const lo = start > gpa ? start : gpa;
        const hi =
          start + BigInt(length) < gpa + BigInt(size) ? start + BigInt(length) : gpa + BigInt(size);
        if (hi <= lo) continue;
        writeSync(fd, this.mem.read(lo, Number(hi - lo)), 0, Number(hi - lo), Number(lo - gpa));
      }
    } finally {
      closeSync(fd);
    }
  }

  private inject(sock: Socket, b64: string): Reply | undefined {
    const index = this.injected.length;
    if (this.options.dieOnInject === index) {
      sock.destroy();
      return undefined;
    }
    const cper = Uint8Array.from(Buffer.from(b64, 'base64'));
    if (cper.length > 1024) return fail(`GHES CPER record is too big: ${cper.length}`);
    if (this.ack() === 0n)
      return fail(
        'OSPM does not acknowledge previous error, so can not record CPER for current error anymore',
      );
    writeU64(this.mem, ACK1, 0n);
    this.mem.write(BLOCK1, cper);
    this.injected.push(cper);
    if (this.options.ackLimit === undefined || this.acks < this.options.ackLimit) {
      this.acks++;
      setTimeout(() => {
        // Linux: ghes_clear_estatus, then the read-ack write (preserve ~1, write 1).
        this.mem.write(BLOCK1, new Uint8Array(4));
        writeU64(this.mem, ACK1, 1n);
      }, this.options.ackDelayMs ?? 2);
    }
    return ok({});
  }
}

type Reply = { readonly return: unknown } | { readonly error: { class: string; desc: string } };

function ok(value: unknown): Reply {
  return { return: value };
}

function fail(desc: string, klass = 'GenericError'): Reply {
  return { error: { class: klass, desc } };
}

interface Command {
  readonly execute: string;
  readonly arguments?: Record<string, unknown>;
  readonly id?: unknown;
}
