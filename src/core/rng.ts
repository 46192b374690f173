// The one source of randomness in netsim: xoshiro128** 1.0 (Blackman & Vigna, "Scrambled linear
// pseudorandom number generators", 2018), 128-bit state, 32-bit output, using only 32-bit integer ops
// (Math.imul, shifts), so it is fast in V8 and needs no bigint.
//
// Streams: every Rng carries a 64-bit key (two u32 words). `stream(name)` derives a child key by
// hashing (parent key, name's UTF-16 code units) with MurmurHash3's mixing steps, then expands the key
// into the 128-bit state with SplitMix32. Deriving a stream never draws from the parent, so adding a
// stream (a new host, a new component) never changes the numbers any other stream produces.
// `Math.random` is never used anywhere in netsim.

import { ZIG_F, ZIG_K, ZIG_R, ZIG_X } from './exp-ziggurat.js';

/** MurmurHash3 fmix32 finaliser: full avalanche of a 32-bit word. */
function fmix32(h0: number): number {
  let h = h0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** MurmurHash3 x86_32 body step: mixes one 32-bit word into the running hash. */
function mixWord(h0: number, w: number): number {
  let k = Math.imul(w, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  let h = h0 ^ k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) >>> 0;
}

/** Hashes (key words, text) with a given seed; used twice with different seeds to get 64 bits. */
function hashKey(seed: number, k0: number, k1: number, text: string): number {
  let h = mixWord(mixWord(seed, k0), k1);
  for (let i = 0; i < text.length; i++) h = mixWord(h, text.charCodeAt(i));
  return fmix32(h ^ text.length);
}

const SEED_A = 0x6a09e667; // arbitrary distinct seeds (first words of SHA-256's IV)
const SEED_B = 0xbb67ae85;
const TWO32 = 4294967296;

export class Rng {
  // xoshiro128** state s0..s3; never all zero (SplitMix32 expansion makes that practically impossible
  // and the constructor guards it anyway). An Int32Array, not four fields: a field holds a small
  // integer only up to 2^30 and otherwise a boxed double, so each step converted int32 ↔ double.
  private readonly s = new Int32Array(4);
  /** exponentialSlow's result (a double field: writing it allocates nothing). */
  private slowDraw = Number.NaN;
  /** The 64-bit key this generator was seeded from (two u32 words); streams derive from it. */
  readonly key0: number;
  readonly key1: number;

  private constructor(key0: number, key1: number) {
    this.key0 = key0 >>> 0;
    this.key1 = key1 >>> 0;
    // SplitMix32 over the key: a fresh well-mixed state even from nearby keys.
    let x = (this.key0 ^ Math.imul(this.key1, 0x9e3779b9)) >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      return fmix32(x ^ this.key1);
    };
    const s = this.s;
    for (let i = 0; i < 4; i++) s[i] = next();
    if ((s[0]! | s[1]! | s[2]! | s[3]!) === 0) s[0] = 1;
  }

  /**
   * Creates a generator from a seed. Numbers must be safe integers (all 53 bits are used); strings are
   * hashed, so `fromSeed('1')` and `fromSeed(1)` differ.
   */
  static fromSeed(seed: number | string): Rng {
    if (typeof seed === 'string') return new Rng(hashKey(SEED_A, 0, 1, seed), hashKey(SEED_B, 0, 1, seed));
    if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer or a string: ${seed}`);
    const neg = seed < 0 ? 1 : 0;
    const mag = Math.abs(seed);
    const lo = mag % TWO32;
    const hi = ((mag - lo) / TWO32) | (neg << 31);
    return new Rng(hashKey(SEED_A, lo, hi, ''), hashKey(SEED_B, lo, hi, ''));
  }

  /**
   * An independent generator for a named consumer ("host:c1", "link:eth0/impair"). Depends only on this
   * generator's key and the name, never on how many numbers were drawn, so it is stable across edits
   * that add other streams.
   */
  stream(name: string): Rng {
    return new Rng(hashKey(SEED_A, this.key0, this.key1, name), hashKey(SEED_B, this.key0, this.key1, name));
  }

  /** Next 32-bit unsigned integer (xoshiro128**). */
  u32(): number {
    return this.i32() >>> 0;
  }

  /**
   * The same draw as `u32`, as a signed int32 (same bits). Internal draws use it: V8 never boxes an
   * int32, while a u32 past 2^31 returned from a call it does not inline becomes a fresh HeapNumber.
   */
  private i32(): number {
    const s = this.s;
    const s0 = s[0]!;
    const s1 = s[1]!;
    const s2 = s[2]! ^ s0;
    const s3 = s[3]! ^ s1;
    let r = Math.imul(s1, 5);
    r = (r << 7) | (r >>> 25);
    r = Math.imul(r, 9);
    s[1] = s1 ^ s2;
    s[0] = s0 ^ s3;
    s[2] = s2 ^ (s1 << 9);
    s[3] = (s3 << 11) | (s3 >>> 21);
    return r;
  }

  /** Uniform float in [0, 1) with 53 random bits. */
  float(): number {
    const hi = this.i32() >>> 5; // 27 bits
    const lo = this.i32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /**
   * Uniform integer in [lo, hi] inclusive, without modulo bias (rejection sampling). Ranges up to
   * 2^32 use one draw per attempt; larger ranges (up to 2^53) use 53-bit draws.
   */
  int(lo: number, hi: number): number {
    const range = hi - lo + 1;
    if (
      !(range >= 1) ||
      !Number.isSafeInteger(lo) ||
      !Number.isSafeInteger(hi) ||
      !Number.isSafeInteger(range)
    ) {
      throw new RangeError(`int(${lo}, ${hi}): need safe integers with lo <= hi`);
    }
    if (range <= TWO32) {
      // Accept x < limit, the largest multiple of range not above 2^32; x % range is then uniform.
      const limit = TWO32 - (TWO32 % range);
      let x = this.u32();
      while (x >= limit) x = this.u32();
      return lo + (x % range);
    }
    const TWO53 = 9007199254740992;
    const limit = TWO53 - (TWO53 % range);
    for (;;) {
      const x = (this.i32() >>> 5) * 67108864 + (this.i32() >>> 6);
      if (x < limit) return lo + (x % range);
    }
  }

  /**
   * Exponentially distributed value with the given mean: the ziggurat method (see exp-ziggurat.ts),
   * never Infinity. Each attempt takes two xoshiro128** steps — 8 bits choose the strip, 45 others the
   * point in it (independent bits: using the same bits for both skews the result) — and about 1.1 %
   * of draws take more (the tail, a wedge test, a retry), so the stream position after an exponential
   * depends on the values drawn.
   */
  exponential(mean: number): number {
    for (;;) {
      // Two xoshiro128** steps written out (state read and written once): on the event loop's hot path
      // a call per step was not always inlined.
      const s = this.s;
      const a0 = s[0]!;
      const a1 = s[1]!;
      const a2 = s[2]! ^ a0;
      const a3 = s[3]! ^ a1;
      let r = Math.imul(a1, 5);
      const hi = Math.imul((r << 7) | (r >>> 25), 9) >>> 5; // 27 bits
      const b0 = a0 ^ a3;
      const b1 = a1 ^ a2;
      const b2 = a2 ^ (a1 << 9);
      const b3 = (a3 << 11) | (a3 >>> 21);
      const c2 = b2 ^ b0;
      const c3 = b3 ^ b1;
      r = Math.imul(b1, 5);
      const lo = Math.imul((r << 7) | (r >>> 25), 9) >>> 6; // 26 bits
      s[0] = b0 ^ c3;
      s[1] = b1 ^ c2;
      s[2] = c2 ^ (b1 << 9);
      s[3] = (c3 << 11) | (c3 >>> 21);
      const i = lo & 0xff;
      const u = (hi * 262144 + (lo >>> 8)) / 35184372088832; // 45 bits, [0, 1)
      if (u < ZIG_K[i]!) return mean * u * ZIG_X[i]!;
      if (this.exponentialSlow(i, u)) return mean * this.slowDraw;
    }
  }

  /**
   * The ziggurat's rare cases for strip i at point u — the tail, or the wedge test — leaving the draw in
   * `slowDraw`; false when it is rejected (draw again). Results go through a field and uniforms through
   * `i32` (small integers), because a double returned from a call V8 does not inline is boxed.
   */
  private exponentialSlow(i: number, u: number): boolean {
    const uniform = ((this.i32() >>> 5) * 67108864 + (this.i32() >>> 6)) / 9007199254740992;
    if (i === 0) {
      // Beyond R the exponential is memoryless: R plus a fresh standard exponential.
      this.slowDraw = ZIG_R - Math.log(1 - uniform);
      return true;
    }
    const x = u * ZIG_X[i]!;
    const f0 = ZIG_F[i]!;
    if (f0 + uniform * (ZIG_F[i + 1]! - f0) >= Math.exp(-x)) return false;
    this.slowDraw = x;
    return true;
  }

  /** A uniformly chosen element; throws on an empty array (a programming error). */
  pick<T>(items: ArrayLike<T>): T {
    if (items.length === 0) throw new RangeError('pick from an empty array');
    return items[this.int(0, items.length - 1)]!;
  }

  /** Fisher–Yates shuffle in place; returns the same array. */
  shuffleInPlace<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      const tmp = items[i]!;
      items[i] = items[j]!;
      items[j] = tmp;
    }
    return items;
  }
}
