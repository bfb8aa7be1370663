// Integer-nanosecond event scheduler (the jsbeeb model): a binary heap ordered by (time, seq), so
// events due at the same time run in the order they were scheduled. Events are plain data
// (target component id + message), which is what makes a snapshot of pending work possible.

import { SimError, SimErrorCode } from './errors.js';

/** A message a component receives: always a plain JSON-able object with a `kind`. */
export interface Message {
  readonly kind: string;
}

export interface ScheduledEvent {
  /** Absolute simulated time in nanoseconds. */
  readonly time: number;
  /** Scheduling order; ties on `time` run in ascending `seq`. */
  readonly seq: number;
  /** Id of the component that receives `message`. */
  readonly target: string;
  readonly message: Message;
}

function before(a: ScheduledEvent, b: ScheduledEvent): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}

function checkTime(what: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new SimError(
      SimErrorCode.BadTime,
      `Cannot schedule event: ${what} ${value} is not a non-negative integer number of nanoseconds`,
    );
  }
}

export interface SchedulerSnapshot {
  readonly now: number;
  readonly nextSeq: number;
  readonly pending: readonly ScheduledEvent[];
}

export class Scheduler {
  #now = 0;
  #nextSeq = 0;
  #heap: ScheduledEvent[] = [];
  #cancelled = new Set<number>();

  /** Current simulated time in nanoseconds. */
  get now(): number {
    return this.#now;
  }

  /** Number of events still to run (cancelled ones excluded). */
  get size(): number {
    return this.#heap.length - this.#cancelled.size;
  }

  /** Schedules `message` for `target` after `delayNs`; returns a handle for cancel(). */
  post<M extends Message>(delayNs: number, target: string, message: M): number {
    checkTime('delay', delayNs);
    return this.postAt(this.#now + delayNs, target, message);
  }

  /** Schedules `message` for `target` at absolute time `timeNs` (not in the past). */
  postAt<M extends Message>(timeNs: number, target: string, message: M): number {
    checkTime('time', timeNs);
    if (timeNs < this.#now) {
      throw new SimError(
        SimErrorCode.BadTime,
        `Cannot schedule event at ${timeNs} ns: the simulation is already at ${this.#now} ns`,
      );
    }
    const seq = this.#nextSeq++;
    this.#push({ time: timeNs, seq, target, message });
    return seq;
  }

  /** Cancels a pending event; returns false if it already ran or was cancelled. */
  cancel(handle: number): boolean {
    if (this.#cancelled.has(handle)) return false;
    if (!this.#heap.some((e) => e.seq === handle)) return false;
    this.#cancelled.add(handle);
    return true;
  }

  isPending(handle: number): boolean {
    return !this.#cancelled.has(handle) && this.#heap.some((e) => e.seq === handle);
  }

  /** Time of the next event, or undefined when nothing is pending. */
  peekTime(): number | undefined {
    this.#dropCancelled();
    return this.#heap[0]?.time;
  }

  /** Removes the next event and moves the clock to its time. */
  pop(): ScheduledEvent | undefined {
    this.#dropCancelled();
    const top = this.#heap[0];
    if (top === undefined) return undefined;
    const last = this.#heap.pop()!;
    if (this.#heap.length > 0) {
      this.#heap[0] = last;
      this.#siftDown(0);
    }
    this.#now = top.time;
    return top;
  }

  /** Moves the clock forward to `timeNs` without running anything (used at the end of a run). */
  advanceTo(timeNs: number): void {
    checkTime('time', timeNs);
    if (timeNs > this.#now) this.#now = timeNs;
  }

  /** Pending events in the order they will run. */
  pending(): ScheduledEvent[] {
    return this.#heap
      .filter((e) => !this.#cancelled.has(e.seq))
      .sort((a, b) => (before(a, b) ? -1 : 1));
  }

  snapshot(): SchedulerSnapshot {
    return { now: this.#now, nextSeq: this.#nextSeq, pending: this.pending() };
  }

  /** Replaces all state with `s`: pending work is rescheduled with its original order. */
  restore(s: SchedulerSnapshot): void {
    checkTime('time', s.now);
    this.#now = s.now;
    this.#nextSeq = s.nextSeq;
    this.#heap = [];
    this.#cancelled.clear();
    for (const e of s.pending) {
      if (e.time < s.now || e.seq >= s.nextSeq) {
        throw new SimError(
          SimErrorCode.BadSnapshot,
          `Cannot restore scheduler: event ${e.seq} at ${e.time} ns does not fit now=${s.now} nextSeq=${s.nextSeq}`,
        );
      }
      this.#push({ time: e.time, seq: e.seq, target: e.target, message: e.message });
    }
  }

  #dropCancelled(): void {
    while (this.#heap.length > 0 && this.#cancelled.has(this.#heap[0]!.seq)) {
      this.#cancelled.delete(this.#heap[0]!.seq);
      const last = this.#heap.pop()!;
      if (this.#heap.length > 0) {
        this.#heap[0] = last;
        this.#siftDown(0);
      }
    }
  }

  #push(e: ScheduledEvent): void {
    const h = this.#heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  #siftDown(start: number): void {
    const h = this.#heap;
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && before(h[l]!, h[m]!)) m = l;
      if (r < h.length && before(h[r]!, h[m]!)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}
