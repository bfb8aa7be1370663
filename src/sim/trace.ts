// The simulation trace: one plain-JSON event per observable change, written as JSON Lines.
// 64-bit values (bigint) become "0x…" hex strings and byte arrays "hex:…", so a trace is
// readable by any JSON tool and compares byte for byte between runs. Golden traces are the
// scenario oracle (test/golden/, updated only through test/update-golden.ts).

export type TraceValue =
  | string
  | number
  | boolean
  | null
  | readonly TraceValue[]
  | { readonly [key: string]: TraceValue };

export interface TraceEvent {
  /** Simulated time in nanoseconds. */
  readonly t: number;
  /** Component id (`guest.kernel`, `host.kvm`, …). */
  readonly src: string;
  /** What happened, kebab-case (`console`, `sigbus`, `record-written`). */
  readonly ev: string;
  readonly [field: string]: TraceValue;
}

/** Converts a value to plain JSON: bigint → "0x…", Uint8Array → "hex:…", undefined dropped. */
export function toTraceValue(value: unknown): TraceValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return `0x${value.toString(16)}`;
  if (value instanceof Uint8Array) {
    let s = 'hex:';
    for (const b of value) s += b.toString(16).padStart(2, '0');
    return s;
  }
  if (Array.isArray(value)) return value.map(toTraceValue);
  if (typeof value === 'object') {
    const out: Record<string, TraceValue> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (v !== undefined) out[k] = toTraceValue(v);
    }
    return out;
  }
  return String(value);
}

export type TraceSink = (event: TraceEvent) => void;

/** Collects trace events; `enabled = false` makes emitting free (the campaign fast path). */
export class Trace {
  readonly events: TraceEvent[] = [];
  enabled: boolean;
  #sinks: TraceSink[] = [];
  #clock: () => number;

  constructor(clock: () => number, enabled = true) {
    this.#clock = clock;
    this.enabled = enabled;
  }

  /** Also passes every event to `sink` (e.g. the CLI's live log). */
  subscribe(sink: TraceSink): void {
    this.#sinks.push(sink);
  }

  emit(src: string, ev: string, fields?: Record<string, unknown>): void {
    if (!this.enabled) return;
    const event: Record<string, TraceValue> = { t: this.#clock(), src, ev };
    if (fields !== undefined) {
      for (const [k, v] of Object.entries(fields)) if (v !== undefined) event[k] = toTraceValue(v);
    }
    const e = event as unknown as TraceEvent;
    this.events.push(e);
    for (const s of this.#sinks) s(e);
  }

  scope(src: string): ScopedTracer {
    return new ScopedTracer(this, src);
  }

  /** Drops every event from index `length` on (used when restoring a snapshot). */
  truncate(length: number): void {
    this.events.length = Math.min(length, this.events.length);
  }

  toJsonl(): string {
    return toJsonl(this.events);
  }
}

export function toJsonl(events: readonly TraceEvent[]): string {
  let s = '';
  for (const e of events) s += `${JSON.stringify(e)}\n`;
  return s;
}

/** A tracer bound to one component id. */
export class ScopedTracer {
  readonly src: string;
  #trace: Trace;
  constructor(trace: Trace, src: string) {
    this.#trace = trace;
    this.src = src;
  }
  get enabled(): boolean {
    return this.#trace.enabled;
  }
  emit(ev: string, fields?: Record<string, unknown>): void {
    this.#trace.emit(this.src, ev, fields);
  }
}
