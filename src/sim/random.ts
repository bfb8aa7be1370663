// Seeded random streams (the TigerBeetle model): one root seed, one independent stream per
// component, forked by the component's id, so adding a component or a draw in one component
// never changes what another one sees. Generator: sfc32 (Chris Doty-Humphrey's Small Fast
// Counting generator, 128-bit state), seeded through SplitMix64 (Steele, Lea, Flood 2014) from
// the root seed XOR the 64-bit FNV-1a hash of the id. Output is pinned by random.test.ts.

import { SimError, SimErrorCode } from './errors.js';

const MASK64 = (1n << 64n) - 1n;

/** SplitMix64 step: returns [next state, output]. */
function splitmix64(state: bigint): [bigint, bigint] {
  const s = (state + 0x9e3779b97f4a7c15n) & MASK64;
  let z = s;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return [s, z ^ (z >> 31n)];
}

/** fnv1a64 of component ids: a few ids are hashed again for every world a campaign builds. */
const FNV_MEMO = new Map<string, bigint>();

/** 64-bit FNV-1a over the UTF-16 code units of `text` (ids are ASCII). */
export function fnv1a64(text: string): bigint {
  const known = FNV_MEMO.get(text);
  if (known !== undefined) return known;
  const h = fnv1a64Uncached(text);
  if (FNV_MEMO.size < 4096) FNV_MEMO.set(text, h);
  return h;
}

function fnv1a64Uncached(text: string): bigint {
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) {
    h ^= BigInt(text.charCodeAt(i) & 0xff);
    h = (h * 0x100000001b3n) & MASK64;
  }
  return h;
}

/** Parses a seed given as a decimal or 0x-hex string, a number or a bigint into a u64. */
export function parseSeed(value: string | number | bigint): bigint {
  let seed: bigint;
  try {
    seed = typeof value === 'bigint' ? value : BigInt(value);
  } catch (cause) {
    throw new SimError(SimErrorCode.BadScenario, `Cannot parse seed ${JSON.stringify(value)}`, {
      cause,
    });
  }
  if (seed < 0n || seed > MASK64) {
    throw new SimError(SimErrorCode.BadScenario, `Cannot use seed ${value}: not a u64`);
  }
  return seed;
}

export interface RandomSnapshot {
  readonly a: number;
  readonly b: number;
  readonly c: number;
  readonly d: number;
}

export class Random {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  /** A stream seeded from a u64; 12 outputs are discarded as sfc32's authors recommend. */
  constructor(seed: bigint) {
    let s = seed & MASK64;
    let x: bigint;
    [s, x] = splitmix64(s);
    this.#a = Number(x & 0xffffffffn);
    this.#b = Number(x >> 32n);
    [s, x] = splitmix64(s);
    this.#c = Number(x & 0xffffffffn);
    this.#d = Number(x >> 32n) | 1;
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** The stream for component `id`, forked from the root `seed`. */
  static fork(seed: bigint, id: string): Random {
    return new Random(splitmix64((seed ^ fnv1a64(id)) & MASK64)[1]);
  }

  /** Next 32-bit unsigned integer. */
  u32(): number {
    const a = this.#a;
    const b = this.#b;
    const c = this.#c;
    const d = this.#d;
    const t = (((a + b) | 0) + d) | 0;
    this.#d = (d + 1) | 0;
    this.#a = b ^ (b >>> 9);
    this.#b = (c + (c << 3)) | 0;
    const r = (c << 21) | (c >>> 11);
    this.#c = (r + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1) with 53 bits of precision. */
  float(): number {
    const hi = this.u32() >>> 5;
    const lo = this.u32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [0, n) for 1 ≤ n ≤ 2^32, without modulo bias. */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 0x100000000) {
      throw new SimError(SimErrorCode.BadMessage, `Cannot draw int(${n}): need 1 ≤ n ≤ 2^32`);
    }
    const limit = 0x100000000 - (0x100000000 % n);
    for (;;) {
      const x = this.u32();
      if (x < limit) return x % n;
    }
  }

  /** Uniform 64-bit unsigned integer. */
  u64(): bigint {
    const hi = BigInt(this.u32());
    return (hi << 32n) | BigInt(this.u32());
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new SimError(SimErrorCode.BadMessage, 'Cannot pick from []');
    return items[this.int(items.length)]!;
  }

  /** Exponentially distributed delay with the given mean, in whole nanoseconds. */
  exponentialNs(meanNs: number): number {
    return Math.floor(-Math.log(1 - this.float()) * meanNs);
  }

  /** Poisson-distributed count (Knuth for small means, normal approximation above 30). */
  poisson(mean: number): number {
    if (mean <= 0) return 0;
    if (mean > 30) {
      // Box–Muller; good enough for field-rate counts, deterministic like everything here.
      const u = 1 - this.float();
      const v = this.float();
      const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
      return Math.max(0, Math.round(mean + z * Math.sqrt(mean)));
    }
    const limit = Math.exp(-mean);
    let k = 0;
    let p = this.float();
    while (p > limit) {
      k++;
      p *= this.float();
    }
    return k;
  }

  snapshot(): RandomSnapshot {
    return { a: this.#a, b: this.#b, c: this.#c, d: this.#d };
  }

  restore(s: RandomSnapshot): void {
    this.#a = s.a | 0;
    this.#b = s.b | 0;
    this.#c = s.c | 0;
    this.#d = s.d | 0;
  }
}
