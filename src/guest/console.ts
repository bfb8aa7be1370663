// The guest's serial console, parsed as it arrives. Each line keeps the host time it was read
// (ms, performance.now()) and, for kernel lines, the guest's printk timestamp. Waiters are
// resolved on the line that matches, or rejected when QEMU exits, the guest panics
// unexpectedly, or their timeout runs out.

import { GuestError } from './errors.js';

export interface ConsoleLine {
  /** Position in the console (0-based). */
  readonly index: number;
  /** Host time the line was complete, ms (performance.now()). */
  readonly hostMs: number;
  /** Guest printk time in seconds, for kernel lines (`[    1.234567] `). */
  readonly guestS: number | undefined;
  /** The line without the printk timestamp and without `\r`. */
  readonly text: string;
  /** The line as it arrived (without `\r`). */
  readonly raw: string;
}

const PRINTK_TIME = /^\[\s*(\d+\.\d+)\] /;

export function parseConsoleLine(raw: string, index: number, hostMs: number): ConsoleLine {
  const clean = raw.replace(/\r/g, '');
  const m = PRINTK_TIME.exec(clean);
  return {
    index,
    hostMs,
    guestS: m === null ? undefined : Number(m[1]),
    text: m === null ? clean : clean.slice(m[0].length),
    raw: clean,
  };
}

export const PANIC_LINE = /Kernel panic - not syncing: (.*)$/;

/** One record the kernel printed: the `{N}[Hardware Error]: ` lines sharing one N. */
export interface PrintedRecord {
  readonly seq: number;
  /** The lines, text only (no printk time), `{N}[Hardware Error]: …` included. */
  readonly lines: readonly string[];
  readonly first: ConsoleLine;
}

const HW_ERR = /^\{(\d+)\}\[Hardware Error\]: /;

/** Groups the `{N}[Hardware Error]:` lines of a console into records, in order. */
export function hardwareErrorRecords(lines: readonly ConsoleLine[]): PrintedRecord[] {
  const bySeq = new Map<number, { seq: number; lines: string[]; first: ConsoleLine }>();
  for (const line of lines) {
    const m = HW_ERR.exec(line.text);
    if (m === null) continue;
    const seq = Number(m[1]);
    let rec = bySeq.get(seq);
    if (rec === undefined) {
      rec = { seq, lines: [], first: line };
      bySeq.set(seq, rec);
    }
    rec.lines.push(line.text);
  }
  return [...bySeq.values()].sort((a, b) => a.first.index - b.first.index);
}

interface Waiter {
  readonly test: (line: ConsoleLine) => boolean;
  readonly resolve: (line: ConsoleLine) => void;
  readonly reject: (error: Error) => void;
  readonly allowPanic: boolean;
  readonly timer: NodeJS.Timeout;
}

export interface WaitOptions {
  readonly timeoutMs: number;
  /** Only lines at or after this index count (default: every line, even earlier ones). */
  readonly from?: number;
  /** A kernel panic does not reject this waiter (the fatal scenario waits for one). */
  readonly allowPanic?: boolean;
  /** What is awaited, for the error message. */
  readonly what?: string;
}

export class Console {
  readonly lines: ConsoleLine[] = [];
  private partial = '';
  private waiters = new Set<Waiter>();
  private ended: GuestError | undefined;
  private panicLine: ConsoleLine | undefined;

  constructor(private readonly label: string) {}

  /** Feeds raw console bytes (QEMU's stdout). */
  push(chunk: string): void {
    const text = this.partial + chunk;
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    for (const raw of parts) this.addLine(raw);
  }

  private addLine(raw: string): void {
    const line = parseConsoleLine(raw, this.lines.length, performance.now());
    this.lines.push(line);
    const panic = PANIC_LINE.exec(line.text);
    if (panic !== null && this.panicLine === undefined) this.panicLine = line;
    for (const w of [...this.waiters]) {
      if (w.test(line)) {
        this.settle(w);
        w.resolve(line);
      } else if (panic !== null && !w.allowPanic) {
        this.settle(w);
        w.reject(
          new GuestError(
            'panic',
            `${this.label}: the guest panicked (${panic[1]}) while waiting for ${this.whatOf(w)}`,
          ),
        );
      }
    }
  }

  private readonly whats = new WeakMap<Waiter, string>();
  private whatOf(w: Waiter): string {
    return this.whats.get(w) ?? 'a console line';
  }

  private settle(w: Waiter): void {
    clearTimeout(w.timer);
    this.waiters.delete(w);
  }

  get panic(): ConsoleLine | undefined {
    return this.panicLine;
  }

  /** Marks the console finished (QEMU exited); pending and later waits fail with `error`. */
  end(error: GuestError): void {
    if (this.partial !== '') {
      this.addLine(this.partial);
      this.partial = '';
    }
    this.ended = error;
    for (const w of [...this.waiters]) {
      this.settle(w);
      w.reject(new GuestError(error.code, `${error.message} while waiting for ${this.whatOf(w)}`));
    }
  }

  /** Resolves with the first line (at or after `from`) that passes `test`. */
  waitFor(test: (line: ConsoleLine) => boolean, options: WaitOptions): Promise<ConsoleLine> {
    const from = options.from ?? 0;
    for (let i = from; i < this.lines.length; i++) {
      const line = this.lines[i]!;
      if (test(line)) return Promise.resolve(line);
    }
    const what = options.what ?? 'a console line';
    if (this.ended !== undefined) {
      return Promise.reject(
        new GuestError(this.ended.code, `${this.ended.message} while waiting for ${what}`),
      );
    }
    if (this.panicLine !== undefined && options.allowPanic !== true) {
      return Promise.reject(
        new GuestError(
          'panic',
          `${this.label}: the guest had panicked (${this.panicLine.text}) before ${what}`,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        test: (line) => line.index >= from && test(line),
        resolve,
        reject,
        allowPanic: options.allowPanic === true,
        timer: setTimeout(() => {
          this.waiters.delete(w);
          reject(
            new GuestError(
              'timeout',
              `${this.label}: timed out after ${options.timeoutMs} ms waiting for ${what}`,
            ),
          );
        }, options.timeoutMs),
      };
      this.whats.set(w, what);
      this.waiters.add(w);
    });
  }

  /** Waits for a line whose text contains `needle` (or matches a RegExp). */
  waitForText(needle: string | RegExp, options: WaitOptions): Promise<ConsoleLine> {
    const test =
      typeof needle === 'string'
        ? (l: ConsoleLine) => l.text.includes(needle)
        : (l: ConsoleLine) => needle.test(l.text);
    return this.waitFor(test, { what: `'${String(needle)}'`, ...options });
  }

  /** Every line as it arrived, for failure logs. */
  text(): string {
    return (
      this.lines.map((l) => l.raw).join('\n') + (this.partial === '' ? '' : `\n${this.partial}`)
    );
  }
}
