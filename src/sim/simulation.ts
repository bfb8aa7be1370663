// The simulation root: one seed, one scheduler, one trace, and the components. It runs events in
// (time, seq) order, hands each to its target component, and can snapshot and restore the
// whole state at any event boundary (restore reschedules the pending events as they were).

import { SimError, SimErrorCode } from './errors.js';
import { Random, type RandomSnapshot } from './random.js';
import {
  type Message,
  type ScheduledEvent,
  Scheduler,
  type SchedulerSnapshot,
} from './scheduler.js';
import { type ScopedTracer, Trace, type TraceEvent } from './trace.js';

/** A simulated part (v86 model): a class with a readonly id, built as `new X(ctx, deps)`. */
export interface Component<M extends Message = Message> {
  readonly id: string;
  /** Handles one scheduled message; all cross-component traffic arrives here. */
  receive(message: M): void;
  /** Named fields, JSON-able (bigint and Uint8Array allowed). */
  snapshot(): Record<string, unknown>;
  restore(state: Record<string, unknown>): void;
}

/** A typed, latency-explicit channel to another component. */
export interface Link<M extends Message> {
  readonly target: string;
  send(message: M, latencyNs: number): number;
}

/** What a component gets at construction: the clock, its own random stream, its tracer. */
export interface SimContext {
  readonly id: string;
  readonly scheduler: Scheduler;
  readonly random: Random;
  readonly trace: ScopedTracer;
  link<M extends Message>(target: string): Link<M>;
  /** Stops the whole simulation (a host panic, a VM that terminated, …). */
  halt(reason: string): void;
}

export interface SimSnapshot {
  readonly seed: string;
  readonly eventsRun: number;
  readonly halted: string | null;
  readonly scheduler: SchedulerSnapshot;
  readonly random: Readonly<Record<string, RandomSnapshot>>;
  readonly components: Readonly<Record<string, Record<string, unknown>>>;
  readonly trace: readonly TraceEvent[];
}

export interface RunLimits {
  /** Stop before running any event later than this time (ns). */
  readonly untilNs?: number;
  /** Stop after this many events in this call. */
  readonly maxEvents?: number;
}

export interface SimulationOptions {
  readonly seed: bigint;
  /** Record trace events (default true). */
  readonly trace?: boolean;
}

export class Simulation {
  readonly seed: bigint;
  readonly scheduler = new Scheduler();
  readonly trace: Trace;
  #components = new Map<string, Component>();
  #randoms = new Map<string, Random>();
  #eventsRun = 0;
  #halted: string | null = null;

  constructor(options: SimulationOptions) {
    this.seed = options.seed;
    this.trace = new Trace(() => this.scheduler.now, options.trace ?? true);
  }

  get eventsRun(): number {
    return this.#eventsRun;
  }

  get halted(): string | null {
    return this.#halted;
  }

  /** The context for a component `id`: its random stream is forked from the root seed by id. */
  context(id: string): SimContext {
    if (this.#randoms.has(id)) {
      throw new SimError(SimErrorCode.DuplicateId, `Cannot create context: id ${id} is taken`);
    }
    const random = Random.fork(this.seed, id);
    this.#randoms.set(id, random);
    const scheduler = this.scheduler;
    return {
      id,
      scheduler,
      random,
      trace: this.trace.scope(id),
      link: <M extends Message>(target: string): Link<M> => ({
        target,
        send: (message: M, latencyNs: number) => scheduler.post(latencyNs, target, message),
      }),
      halt: (reason: string) => this.halt(reason),
    };
  }

  add<C extends Component>(component: C): C {
    if (this.#components.has(component.id)) {
      throw new SimError(
        SimErrorCode.DuplicateId,
        `Cannot add component: id ${component.id} is taken`,
      );
    }
    this.#components.set(component.id, component as Component);
    return component;
  }

  component(id: string): Component | undefined {
    return this.#components.get(id);
  }

  halt(reason: string): void {
    if (this.#halted !== null) return;
    this.#halted = reason;
    this.trace.emit('sim', 'halt', { reason });
  }

  /** Runs one event; false when nothing is pending or the simulation halted. */
  step(untilNs = Number.MAX_SAFE_INTEGER): boolean {
    if (this.#halted !== null) return false;
    const time = this.scheduler.peekTime();
    if (time === undefined || time > untilNs) return false;
    const event = this.scheduler.pop()!;
    this.#dispatch(event);
    return true;
  }

  run(limits: RunLimits = {}): number {
    const until = limits.untilNs ?? Number.MAX_SAFE_INTEGER;
    const max = limits.maxEvents ?? Number.POSITIVE_INFINITY;
    let n = 0;
    while (n < max && this.step(until)) n++;
    if (limits.untilNs !== undefined && this.#halted === null) this.scheduler.advanceTo(until);
    return n;
  }

  #dispatch(event: ScheduledEvent): void {
    const c = this.#components.get(event.target);
    if (c === undefined) {
      throw new SimError(
        SimErrorCode.UnknownTarget,
        `Cannot deliver ${event.message.kind} at ${event.time} ns: no component ${event.target}`,
      );
    }
    this.#eventsRun++;
    c.receive(event.message);
  }

  snapshot(): SimSnapshot {
    const random: Record<string, RandomSnapshot> = {};
    for (const [id, r] of this.#randoms) random[id] = r.snapshot();
    const components: Record<string, Record<string, unknown>> = {};
    for (const [id, c] of this.#components) components[id] = c.snapshot();
    return structuredClone({
      seed: `0x${this.seed.toString(16)}`,
      eventsRun: this.#eventsRun,
      halted: this.#halted,
      scheduler: this.scheduler.snapshot(),
      random,
      components,
      trace: this.trace.events,
    });
  }

  /** Restores into a simulation built the same way (same scenario, same components). */
  restore(snapshot: SimSnapshot): void {
    const s = structuredClone(snapshot);
    if (s.seed !== `0x${this.seed.toString(16)}`) {
      throw new SimError(
        SimErrorCode.BadSnapshot,
        `Cannot restore snapshot of seed ${s.seed} into a simulation with seed 0x${this.seed.toString(16)}`,
      );
    }
    for (const id of Object.keys(s.components)) {
      if (!this.#components.has(id)) {
        throw new SimError(SimErrorCode.BadSnapshot, `Cannot restore: no component ${id} here`);
      }
    }
    this.scheduler.restore(s.scheduler);
    for (const [id, r] of this.#randoms) {
      const rs = s.random[id];
      if (rs !== undefined) r.restore(rs);
    }
    for (const [id, c] of this.#components) {
      const cs = s.components[id];
      if (cs === undefined) {
        throw new SimError(SimErrorCode.BadSnapshot, `Cannot restore: snapshot lacks ${id}`);
      }
      c.restore(cs);
    }
    this.#eventsRun = s.eventsRun;
    this.#halted = s.halted;
    this.trace.truncate(0);
    this.trace.events.push(...s.trace);
  }
}
