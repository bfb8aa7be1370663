import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SimError } from '../src/sim/errors.js';
import { fnv1a64, Random } from '../src/sim/random.js';
import { Scheduler } from '../src/sim/scheduler.js';
import { type Component, type SimContext, Simulation } from '../src/sim/simulation.js';
import { toTraceValue } from '../src/sim/trace.js';

describe('Scheduler', () => {
  it('runs events due at the same time in the order they were scheduled', () => {
    const s = new Scheduler();
    s.post(10, 'a', { kind: 'first' });
    s.post(5, 'b', { kind: 'early' });
    s.post(10, 'c', { kind: 'second' });
    s.post(10, 'a', { kind: 'third' });
    const order: string[] = [];
    for (let e = s.pop(); e !== undefined; e = s.pop()) order.push(`${e.time}:${e.message.kind}`);
    assert.deepEqual(order, ['5:early', '10:first', '10:second', '10:third']);
    assert.equal(s.now, 10);
  });

  it('pops any set of events sorted by time then scheduling order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 60 }), (delays) => {
        const s = new Scheduler();
        for (const [i, d] of delays.entries()) s.post(d, 'x', { kind: `k${i}` });
        const got: [number, number][] = [];
        for (let e = s.pop(); e !== undefined; e = s.pop()) got.push([e.time, e.seq]);
        const want = delays.map((d, i) => [d, i] as [number, number]);
        want.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        assert.deepEqual(got, want);
      }),
      { numRuns: 200 },
    );
  });

  it('skips a cancelled event and reports it as no longer pending', () => {
    const s = new Scheduler();
    const h = s.post(1, 'a', { kind: 'gone' });
    s.post(2, 'a', { kind: 'kept' });
    assert.equal(s.cancel(h), true);
    assert.equal(s.isPending(h), false);
    assert.equal(s.cancel(h), false);
    assert.equal(s.pop()?.message.kind, 'kept');
  });

  it('rejects a negative or fractional delay with code bad-time', () => {
    const s = new Scheduler();
    assert.throws(
      () => s.post(-1, 'a', { kind: 'x' }),
      (e: unknown) => e instanceof SimError && e.code === 'bad-time',
    );
    assert.throws(
      () => s.post(0.5, 'a', { kind: 'x' }),
      (e: unknown) => e instanceof SimError && e.code === 'bad-time',
    );
  });

  it('restores pending work with its original order', () => {
    const s = new Scheduler();
    s.post(3, 'a', { kind: 'x' });
    s.post(3, 'a', { kind: 'y' });
    s.post(1, 'a', { kind: 'z' });
    const snap = s.snapshot();
    const t = new Scheduler();
    t.restore(snap);
    assert.deepEqual(
      [t.pop(), t.pop(), t.pop()].map((e) => e?.message.kind),
      ['z', 'x', 'y'],
    );
  });
});

describe('Random', () => {
  it('hashes ids with 64-bit FNV-1a (published test vector for "a")', () => {
    // FNV test suite (Fowler/Noll/Vo): FNV1a-64("a") = 0xaf63dc4c8601ec8c.
    assert.equal(fnv1a64('a'), 0xaf63dc4c8601ec8cn);
    assert.equal(fnv1a64(''), 0xcbf29ce484222325n);
  });

  it('produces the pinned sequence for seed 0', () => {
    const r = new Random(0n);
    assert.deepEqual(
      [r.u32(), r.u32(), r.u32(), r.u32(), r.u32()],
      [715022837, 690101726, 4084735114, 1488119376, 3091743593],
    );
  });

  it('forks a stream per component id that is pinned and independent of other ids', () => {
    const f = Random.fork(42n, 'guest.kernel');
    assert.deepEqual([f.u32(), f.u32(), f.u32()], [3457717823, 1952273636, 1061248952]);
    assert.equal(f.u64(), 0x4d10f50aa65589c6n);
    const g = Random.fork(42n, 'guest.kernel2');
    assert.notEqual(g.u32(), 3457717823);
  });

  it('continues the same sequence after snapshot and restore', () => {
    const r = new Random(7n);
    r.u32();
    const s = r.snapshot();
    const a = [r.u32(), r.u32()];
    const q = new Random(99n);
    q.restore(s);
    assert.deepEqual([q.u32(), q.u32()], a);
  });

  it('draws int(n) within [0, n)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 32 }),
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        (n, seed) => {
          const v = new Random(seed).int(n);
          assert.ok(v >= 0 && v < n && Number.isInteger(v));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('trace values', () => {
  it('turns 64-bit values into hex strings and bytes into hex: strings', () => {
    assert.deepEqual(toTraceValue({ a: 0x1234n, b: new Uint8Array([1, 0xab]), c: undefined }), {
      a: '0x1234',
      b: 'hex:01ab',
    });
  });
});

/** A ping-pong pair that draws random latencies: enough to exercise snapshot and restore. */
class Pinger implements Component<{ kind: 'ping'; n: number }> {
  readonly id: string;
  #ctx: SimContext;
  #peer: string;
  count = 0;
  constructor(ctx: SimContext, deps: { peer: string }) {
    this.id = ctx.id;
    this.#ctx = ctx;
    this.#peer = deps.peer;
  }
  receive(m: { kind: 'ping'; n: number }): void {
    this.count++;
    this.#ctx.trace.emit('ping', { n: m.n, count: this.count, r: this.#ctx.random.u64() });
    if (m.n < 40) {
      this.#ctx
        .link<{ kind: 'ping'; n: number }>(this.#peer)
        .send({ kind: 'ping', n: m.n + 1 }, this.#ctx.random.int(3) * 10);
    }
  }
  snapshot(): Record<string, unknown> {
    return { count: this.count };
  }
  restore(s: Record<string, unknown>): void {
    this.count = s.count as number;
  }
}

function pingWorld(seed: bigint): Simulation {
  const sim = new Simulation({ seed });
  const a = sim.add(new Pinger(sim.context('a'), { peer: 'b' }));
  sim.add(new Pinger(sim.context('b'), { peer: 'a' }));
  sim.scheduler.post(0, a.id, { kind: 'ping', n: 0 });
  return sim;
}

describe('Simulation', () => {
  it('replays the same trace from the same seed', () => {
    const x = pingWorld(5n);
    x.run();
    const y = pingWorld(5n);
    y.run();
    assert.equal(x.trace.toJsonl(), y.trace.toJsonl());
    assert.equal(x.trace.events.length, 41);
  });

  it('gives the same trace when snapshotted and restored at any event', () => {
    const whole = pingWorld(9n);
    whole.run();
    const want = whole.trace.toJsonl();
    for (let k = 0; k <= 41; k++) {
      const first = pingWorld(9n);
      first.run({ maxEvents: k });
      const snap = first.snapshot();
      const second = pingWorld(9n);
      second.restore(snap);
      second.run();
      assert.equal(second.trace.toJsonl(), want, `restored at event ${k}`);
    }
  });

  it('refuses to restore a snapshot taken with another seed', () => {
    const snap = pingWorld(1n).snapshot();
    assert.throws(
      () => pingWorld(2n).restore(snap),
      (e: unknown) => e instanceof SimError && e.code === 'bad-snapshot',
    );
  });

  it('fails to deliver to an unknown component with code unknown-target', () => {
    const sim = new Simulation({ seed: 1n });
    sim.scheduler.post(0, 'nobody', { kind: 'x' });
    assert.throws(
      () => sim.run(),
      (e: unknown) => e instanceof SimError && e.code === 'unknown-target',
    );
  });
});
