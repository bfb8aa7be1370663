// A QMP client (QEMU Machine Protocol, docs/interop/qmp-spec.rst): reads the greeting,
// negotiates capabilities, matches replies to commands by `id`, keeps asynchronous events,
// and gives every command a timeout. Unix sockets and loopback TCP only.
//
// Used by the harness for `quit`, `system_reset`, `query-status`, and later (issue #6) for
// `inject-ghes-v2-error` against QEMU ≥ 10.2.

import { connect, type Socket } from 'node:net';
import { escapeControlText } from '../codec/index.js';
import { GuestError } from './errors.js';

/** Longest QMP line accepted (QEMU's replies are far shorter; pmemsave data goes to files). */
export const QMP_LINE_LIMIT = 16 << 20;

/** Events kept for waitForEvent() and `events`: the newest ones (a peer may send any number). */
export const QMP_EVENT_LIMIT = 1024;

/** The longest timer Node can set (ms): setTimeout turns anything longer into 1 ms. */
export const QMP_MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** A timeout a timer can honour: a whole or fractional ms in 1..2^31-1, else a GuestError. */
export function checkQmpTimeout(ms: number, what = 'QMP timeout'): number {
  if (!Number.isFinite(ms) || ms < 1 || ms > QMP_MAX_TIMEOUT_MS) {
    throw new GuestError(
      'qmp',
      `Cannot use a ${what} of ${ms} ms: it must be 1..${QMP_MAX_TIMEOUT_MS} ms (the longest timer Node sets)`,
    );
  }
  return ms;
}

/** A duration for a message: whole milliseconds. */
const ms = (v: number) => `${Math.round(v)} ms`;

/** At most 120 characters of peer text, control characters escaped, in quotes. */
function quoted(text: string): string {
  const cut = text.length > 120 ? `${text.slice(0, 120)}…` : text;
  return `"${escapeControlText(cut)}"`;
}

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
  /** Rejects connect() when the connection fails before the greeting. */
  private greetingFailer: ((e: GuestError) => void) | undefined;

  private constructor(
    private readonly socket: Socket,
    readonly address: QmpAddress,
  ) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('close', () =>
      this.fail(
        new GuestError(
          'qmp',
          this.greetingWaiter === undefined
            ? `QMP connection to ${describe(address)} closed`
            : `QMP at ${describe(address)} closed the connection before its greeting`,
        ),
      ),
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
    const timeoutMs = checkQmpTimeout(options.timeoutMs ?? 5000);
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
            `No QMP greeting from ${describe(address)} within ${ms(timeoutMs)}`,
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
        client.greetingFailer = (e) => {
          clearTimeout(timer);
          reject(e);
        };
        client.greetingWaiter = (greeting) => {
          client.greetingFailer = undefined;
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
    if (this.closedError !== undefined) return;
    // Only the new chunk can hold the first newline: the buffer before it had none (a long
    // line arriving in many chunks is scanned once, not once per chunk).
    let from = this.buffer.length;
    this.buffer += chunk;
    for (;;) {
      const nl = this.buffer.indexOf('\n', from);
      from = 0;
      if (nl < 0) break;
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      if (nl > QMP_LINE_LIMIT) {
        this.violation(`a line longer than the ${LIMIT_TEXT} limit`);
        return;
      }
      if (line === '') continue;
      let msg: unknown;
      try {
        msg = JSON.parse(line);
      } catch {
        this.violation(
          `${this.greetingWaiter === undefined ? 'a line' : 'a greeting'} that is not JSON: ${quoted(line)}`,
        );
        return;
      }
      this.onMessage(msg);
      if (this.closedError !== undefined) return;
    }
    if (this.buffer.length > QMP_LINE_LIMIT)
      this.violation(`more than the ${LIMIT_TEXT} line limit without a newline`);
  }

  /** The peer broke the protocol: fail every pending call and close the connection. */
  private violation(what: string): void {
    this.fail(new GuestError('qmp', `QMP at ${describe(this.address)} sent ${what}`));
    this.buffer = '';
    this.socket.destroy();
  }

  private onMessage(value: unknown): void {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.violation(
        `${this.greetingWaiter === undefined ? 'a message' : 'a greeting'} that is not a JSON object: ${quoted(JSON.stringify(value))}`,
      );
      return;
    }
    const msg = value as Record<string, unknown>;
    if (this.greetingWaiter !== undefined) {
      const greeting = asGreeting(msg);
      if (greeting === undefined) {
        this.violation(
          `a greeting that is not QMP's ({"QMP": {"version": {"qemu": …}, "capabilities": […]}}): ${quoted(JSON.stringify(value))}`,
        );
        return;
      }
      const waiter = this.greetingWaiter;
      this.greetingWaiter = undefined;
      waiter(greeting);
      return;
    }
    if ('QMP' in msg) return; // a second greeting: nothing waits for it
    if (typeof msg.event === 'string') {
      const t = msg.timestamp as { seconds?: unknown; microseconds?: unknown } | undefined;
      const e: QmpEvent = {
        event: msg.event,
        data: msg.data,
        timestamp:
          t !== null &&
          typeof t === 'object' &&
          typeof t.seconds === 'number' &&
          typeof t.microseconds === 'number'
            ? { seconds: t.seconds, microseconds: t.microseconds }
            : undefined,
      };
      this.events.push(e);
      if (this.events.length > QMP_EVENT_LIMIT)
        this.events.splice(0, this.events.length - QMP_EVENT_LIMIT);
      for (const l of this.eventListeners) l(e);
      return;
    }
    const id = typeof msg.id === 'string' ? msg.id : undefined;
    const p = id === undefined ? undefined : this.pending.get(id);
    if (p === undefined || id === undefined) {
      if ('return' in msg || 'error' in msg) return; // a reply nobody waits for (timed out)
      this.violation(
        `a message that is no reply, event or greeting: ${quoted(JSON.stringify(value))}`,
      );
      return;
    }
    if ('error' in msg) {
      const err = msg.error;
      if (err === null || typeof err !== 'object' || Array.isArray(err)) {
        this.violation(
          `an error reply to ${p.command} whose error is not an object: ${quoted(JSON.stringify(err))}`,
        );
        return;
      }
      const { class: klass, desc } = err as { class?: unknown; desc?: unknown };
      this.pending.delete(id);
      clearTimeout(p.timer);
      p.reject(
        new GuestError(
          'qmp',
          `QMP ${p.command} failed: ${typeof klass === 'string' ? escapeControlText(klass) : 'Error'}: ${typeof desc === 'string' ? escapeControlText(desc) : ''}`,
        ),
      );
    } else if ('return' in msg) {
      this.pending.delete(id);
      clearTimeout(p.timer);
      p.resolve(msg.return);
    } else {
      this.violation(`a reply to ${p.command} with neither return nor error`);
    }
  }

  private fail(error: GuestError): void {
    if (this.closedError !== undefined) return;
    this.closedError = error;
    const greetingFailer = this.greetingFailer;
    this.greetingFailer = undefined;
    this.greetingWaiter = undefined;
    greetingFailer?.(error);
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
    let timeoutMs: number;
    try {
      timeoutMs = checkQmpTimeout(options.timeoutMs ?? 5000, `timeout for QMP ${command}`);
    } catch (e) {
      return Promise.reject(e);
    }
    const id = `vras-${this.nextId++}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new GuestError('timeout', `QMP ${command} did not return within ${ms(timeoutMs)}`));
      }, timeoutMs);
      this.pending.set(id, { command, resolve, reject, timer });
      const msg =
        args === undefined ? { execute: command, id } : { execute: command, arguments: args, id };
      this.socket.write(`${JSON.stringify(msg)}\n`);
    });
  }

  /** Resolves with the first event named `name` (already received ones count). */
  waitForEvent(name: string, timeoutMs: number): Promise<QmpEvent> {
    try {
      checkQmpTimeout(timeoutMs, `timeout for QMP event ${name}`);
    } catch (e) {
      return Promise.reject(e);
    }
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
        reject(new GuestError('timeout', `No QMP event ${name} within ${ms(timeoutMs)}`));
      }, timeoutMs);
      this.eventListeners.add(listener);
    });
  }

  /** Lists the commands QEMU offers (`query-commands`). */
  async commands(): Promise<string[]> {
    const r = await this.execute('query-commands');
    if (
      !Array.isArray(r) ||
      !r.every((c) => c !== null && typeof c === 'object' && typeof c.name === 'string')
    ) {
      throw new GuestError(
        'qmp',
        `QMP at ${describe(this.address)} answered query-commands with ${quoted(JSON.stringify(r) ?? String(r))}, not a list of {"name": …}`,
      );
    }
    return r.map((c: { name: string }) => c.name);
  }

  close(): void {
    this.fail(
      new GuestError('qmp', `QMP connection to ${describe(this.address)} closed by the client`),
    );
    this.socket.destroy();
  }
}

const LIMIT_TEXT = `${QMP_LINE_LIMIT >> 20} MiB`;

/** The greeting when `msg` is QMP's (`{"QMP": {"version": {"qemu": {…}}, "capabilities": […]}}`). */
function asGreeting(msg: Record<string, unknown>): QmpGreeting | undefined {
  const g = msg.QMP as { version?: { qemu?: Record<string, unknown> }; capabilities?: unknown };
  if (g === null || typeof g !== 'object' || !Array.isArray(g.capabilities)) return undefined;
  const q = g.version?.qemu;
  if (q === null || typeof q !== 'object') return undefined;
  const { major, minor, micro } = q;
  if (![major, minor, micro].every((v) => typeof v === 'number' && Number.isInteger(v)))
    return undefined;
  return g as unknown as QmpGreeting;
}

function describe(a: QmpAddress): string {
  return a.kind === 'unix' ? `unix:${a.path}` : `tcp:${a.host}:${a.port}`;
}
