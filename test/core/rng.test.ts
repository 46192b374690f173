import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';

const first = (r: Rng, n: number) => Array.from({ length: n }, () => r.u32());

describe('Rng', () => {
  it('golden first values for seed 1 (regression: changing these reshuffles every saved scenario)', () => {
    expect(first(Rng.fromSeed(1), 4)).toEqual(GOLDEN_SEED_1);
    expect(first(Rng.fromSeed(1).stream('host:c1'), 2)).toEqual(GOLDEN_STREAM);
  });

  it('matches the xoshiro128** reference sequence from state {1, 2, 3, 4}', () => {
    const r = Rng.fromSeed(0);
    (r as unknown as { s: Int32Array }).s.set([1, 2, 3, 4]); // the private state s0..s3
    expect(first(r, 4)).toEqual([11520, 0, 5927040, 70819200]);
  });

  it('is deterministic per seed and differs between seeds', () => {
    expect(first(Rng.fromSeed(42), 8)).toEqual(first(Rng.fromSeed(42), 8));
    expect(first(Rng.fromSeed('42'), 8)).toEqual(first(Rng.fromSeed('42'), 8));
    expect(first(Rng.fromSeed(42), 8)).not.toEqual(first(Rng.fromSeed(43), 8));
    expect(first(Rng.fromSeed(42), 8)).not.toEqual(first(Rng.fromSeed('42'), 8));
    expect(first(Rng.fromSeed(2 ** 40), 4)).not.toEqual(first(Rng.fromSeed(2 ** 40 + 1), 4));
  });

  it('streams are independent of draws and of other streams', () => {
    const a = Rng.fromSeed(7);
    const alone = first(a.stream('link:eth0'), 16);
    const b = Rng.fromSeed(7);
    first(b, 100); // drawing from the parent does not move its streams
    const other = b.stream('host:new-container');
    first(other, 50);
    expect(first(b.stream('link:eth0'), 16)).toEqual(alone);
    expect(first(b.stream('link:eth1'), 16)).not.toEqual(alone);
    expect(first(b.stream('a').stream('b'), 4)).not.toEqual(first(b.stream('b').stream('a'), 4));
  });

  it('int stays within inclusive bounds', () => {
    const r = Rng.fromSeed('bounds');
    for (const [lo, hi] of [
      [0, 0],
      [-3, 3],
      [0, 2 ** 32 - 1],
      [5, 2 ** 40],
      [-(2 ** 31), 2 ** 31],
    ] as const) {
      for (let i = 0; i < 2000; i++) {
        const x = r.int(lo, hi);
        expect(Number.isInteger(x) && x >= lo && x <= hi).toBe(true);
      }
    }
    expect(() => r.int(2, 1)).toThrow(RangeError);
  });

  it('int is roughly uniform (chi-square, fixed seed)', () => {
    const r = Rng.fromSeed(12345);
    const k = 10; // 9 degrees of freedom
    const n = 100_000;
    const counts = new Array<number>(k).fill(0);
    for (let i = 0; i < n; i++) counts[r.int(0, k - 1)]!++;
    const e = n / k;
    const chi2 = counts.reduce((s, c) => s + ((c - e) * (c - e)) / e, 0);
    expect(chi2).toBeLessThan(27.88); // p = 0.001 critical value for 9 d.o.f.
  });

  it('exponential draws stay the values recorded before its inlined rewrite (same seed, same numbers)', () => {
    const r = Rng.fromSeed('exp-golden');
    const got: number[] = [];
    for (const mean of [1, 100, 1e6, 0.5]) for (let i = 0; i < 4; i++) got.push(r.exponential(mean));
    expect(got).toEqual(GOLDEN_EXPONENTIAL);
    // Interleaved with the other draws, the stream advances exactly as before: two u32 per exponential.
    const a = Rng.fromSeed(9);
    const b = Rng.fromSeed(9);
    a.exponential(3);
    b.float();
    expect(a.u32()).toBe(b.u32());
  });

  it('float, exponential, pick and shuffle behave', () => {
    const r = Rng.fromSeed(3);
    let sum = 0;
    for (let i = 0; i < 50_000; i++) {
      const f = r.float();
      expect(f >= 0 && f < 1).toBe(true);
      sum += r.exponential(2);
    }
    expect(sum / 50_000).toBeGreaterThan(1.9);
    expect(sum / 50_000).toBeLessThan(2.1);
    expect(['a', 'b', 'c']).toContain(r.pick(['a', 'b', 'c']));
    expect(() => r.pick([])).toThrow(RangeError);
    const xs = Array.from({ length: 50 }, (_, i) => i);
    const shuffled = r.shuffleInPlace([...xs]);
    expect(shuffled).not.toEqual(xs);
    expect([...shuffled].sort((p, q) => p - q)).toEqual(xs);
  });
});

const GOLDEN_SEED_1 = [1510001096, 1222990920, 1016817067, 1383232776];
const GOLDEN_STREAM = [2568304560, 964108321];

// Recorded from the implementation before the inlined xoshiro draw in `exponential` (commit c603f8b).
const GOLDEN_EXPONENTIAL = [
  2.570949254005147, 2.9877075165516014, 0.07903500460886001, 1.4720671998746557, 79.01986405880118,
  87.19178255390958, 314.4793666359851, 3.7239121792014385, 205345.06635757437, 2072051.3477681694,
  1273368.9184861588, 1392866.625250474, 0.4147751006223739, 0.2187350939070322, 0.0011514392678373783,
  0.09539173249418989,
];
