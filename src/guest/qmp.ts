// A QMP client (QEMU Machine Protocol, docs/interop/qmp-spec.rst): reads the greeting,
// negotiates capabilities, matches replies to commands by `id`, keeps asynchronous events,
// and gives every command a timeout. Unix sockets and loopback TCP only.
//
// Used by the harness for `quit`, `system_reset`, `query-status`, and later (issue #6) for
// `inject-ghes-v2-error` against QEMU ≥ 10.2.

import { connect, type Socket } from 'node:net';
import { GuestError } from './errors.js';

export type QmpAddress =
  | { readonly kind: 'unix'; readonly path: string }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number };

/** Parses `unix:PATH` or `tcp:127.0.0.1:PORT` (loopback only). */
export function parseQmpAddress(text: string): QmpAddress {
  if (text.startsWith('unix:') && text.length > 5) return { kind: 'unix', path: text.slice(5) };
  const m = /^tcp:(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\[::1\]):(\d{1,5})$/.exec(text);
  if (m !== null) {
    const port = Number(m[2]);
    if (port > 0 && port < 65536)
      return { kind: 'tcp', host: m[1] === '[::1]' ? '::1' : m[1]!, port };
  }
  throw new GuestError(
    'qmp',
    `Cannot use QMP address ${JSON.stringify(text)}: expected unix:PATH or tcp:127.0.0.1:PORT (loopback only)`,
  );
}

export interface QmpEvent {
  readonly event: string;
  readonly data: unknown;
  readonly timestamp: { readonly seconds: number; readonly microseconds: number } | undefined;
}

export interface QmpGreeting {
  readonly version: {
    readonly qemu: { readonly major: number; readonly minor: number; readonly micro: number };
  };
  readonly capabilities: readonly string[];
}

interface Pending {
  readonly command: string;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export interface QmpConnectOptions {
  readonly timeoutMs?: number;
  /** Keep retrying the connection (the socket may not exist yet) until the timeout. */
  readonly retry?: boolean;
}

export class QmpClient {
  readonly events: QmpEvent[] = [];
  private buffer = '';
  private nextId = 1;
  private pending = new Map<string, Pending>();
  private eventListeners = new Set<(e: QmpEvent) => void>();
  private closedError: GuestError | undefined;
  private greetingWaiter: ((g: QmpGreeting) => void) | undefined;

  private constructor(
    private readonly socket: Socket,
    readonly address: QmpAddress,
  ) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('close', () =>
      this.fail(new GuestError('qmp', `QMP connection to ${describe(address)} closed`)),
    );
    socket.on('error', (e) =>
      this.fail(
        new GuestError('qmp', `QMP connection to ${describe(address)} failed: ${e.message}`, {
          cause: e,
        }),
      ),
    );
  }

  /** Connects, reads the greeting and runs `qmp_capabilities`. */
  static async connect(address: QmpAddress, options: QmpConnectOptions = {}): Promise<QmpClient> {
    const timeoutMs = options.timeoutMs ?? 5000;
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      try {
        return await QmpClient.connectOnce(address, Math.max(1, deadline - performance.now()));
      } catch (error) {
        if (options.retry !== true || performance.now() + 50 > deadline) throw error;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  private static connectOnce(address: QmpAddress, timeoutMs: number): Promise<QmpClient> {
    return new Promise((resolve, reject) => {
      const socket =
        address.kind === 'unix' ? connect(address.path) : connect(address.port, address.host);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(
          new GuestError(
            'timeout',
            `No QMP greeting from ${describe(address)} within ${Math.round(timeoutMs)} ms`,
          ),
        );
      }, timeoutMs);
      const onError = (e: Error): void => {
        clearTimeout(timer);
        socket.destroy();
        reject(
          new GuestError('qmp', `Cannot connect to QMP at ${describe(address)}: ${e.message}`, {
            cause: e,
          }),
        );
      };
      socket.once('error', onError);
      socket.once('connect', () => {
        socket.off('error', onError);
        const client = new QmpClient(socket, address);
        let greeted = false;
        // QEMU exiting (or a server that is not QMP) closes before greeting: say so at once.
        socket.once('close', () => {
          if (greeted) return;
          clearTimeout(timer);
          reject(
            new GuestError(
              'qmp',
              `QMP at ${describe(address)} closed the connection before its greeting`,
            ),
          );
        });
        client.greetingWaiter = (greeting) => {
          greeted = true;
          clearTimeout(timer);
          client
            .execute('qmp_capabilities', undefined, { timeoutMs: Math.max(100, timeoutMs) })
            .then(
              () => {
                client.greeting = greeting;
                resolve(client);
              },
              (e: unknown) => {
                socket.destroy();
                reject(e);
              },
            );
        };
      });
    });
  }

  greeting: QmpGreeting | undefined;

  private onData(chunk: string): void {
    this.buffer += chunk;
    for (;;) {
      const nl = this.buffer.indexOf('\n');
      if (nl < 0) break;
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      if (line === '') continue;
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(line) as Record<string, unknown>;
      } catch {
        this.fail(new GuestError('qmp', `QMP sent a line that is not JSON: ${line.slice(0, 120)}`));
        return;
      }
      this.onMessage(msg);
    }
  }

  private onMessage(msg: Record<string, unknown>): void {
    if ('QMP' in msg) {
      const waiter = this.greetingWaiter;
      this.greetingWaiter = undefined;
      waiter?.(msg.QMP as QmpGreeting);
      return;
    }
    if (typeof msg.event === 'string') {
      const e: QmpEvent = {
        event: msg.event,
        data: msg.data,
        timestamp: msg.timestamp as QmpEvent['timestamp'],
      };
      this.events.push(e);
      for (const l of this.eventListeners) l(e);
      return;
    }
    const id = typeof msg.id === 'string' ? msg.id : undefined;
    const p = id === undefined ? undefined : this.pending.get(id);
    if (p === undefined || id === undefined) return; // a reply nobody waits for (timed out)
    this.pending.delete(id);
    clearTimeout(p.timer);
    if ('error' in msg) {
      const err = msg.error as { class?: string; desc?: string };
      p.reject(
        new GuestError(
          'qmp',
          `QMP ${p.command} failed: ${err.class ?? 'Error'}: ${err.desc ?? ''}`,
        ),
      );
    } else {
      p.resolve(msg.return);
    }
  }

  private fail(error: GuestError): void {
    if (this.closedError !== undefined) return;
    this.closedError = error;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(new GuestError(error.code, `${error.message} before ${p.command} returned`));
    }
  }

  /** Runs a command; resolves with its `return` value. */
  execute(
    command: string,
    args?: Record<string, unknown>,
    options: { timeoutMs?: number } = {},
  ): Promise<unknown> {
    if (this.closedError !== undefined) return Promise.reject(this.closedError);
    const id = `vras-${this.nextId++}`;
    const timeoutMs = options.timeoutMs ?? 5000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new GuestError('timeout', `QMP ${command} did not return within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { command, resolve, reject, timer });
      const msg =
        args === undefined ? { execute: command, id } : { execute: command, arguments: args, id };
      this.socket.write(`${JSON.stringify(msg)}\n`);
    });
  }

  /** Resolves with the first event named `name` (already received ones count). */
  waitForEvent(name: string, timeoutMs: number): Promise<QmpEvent> {
    const seen = this.events.find((e) => e.event === name);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const listener = (e: QmpEvent): void => {
        if (e.event !== name) return;
        clearTimeout(timer);
        this.eventListeners.delete(listener);
        resolve(e);
      };
      const timer = setTimeout(() => {
        this.eventListeners.delete(listener);
        reject(new GuestError('timeout', `No QMP event ${name} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.eventListeners.add(listener);
    });
  }

  /** Lists the commands QEMU offers (`query-commands`). */
  async commands(): Promise<string[]> {
    const r = (await this.execute('query-commands')) as { name: string }[];
    return r.map((c) => c.name);
  }

  close(): void {
    this.fail(
      new GuestError('qmp', `QMP connection to ${describe(this.address)} closed by the client`),
    );
    this.socket.destroy();
  }
}

function describe(a: QmpAddress): string {
  return a.kind === 'unix' ? `unix:${a.path}` : `tcp:${a.host}:${a.port}`;
}
