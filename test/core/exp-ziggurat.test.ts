// The ziggurat exponential: its tables against the construction they come from, and its draws against
// the exponential distribution (Kolmogorov–Smirnov, the tail beyond R, the mean's scaling).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ZIG_F, ZIG_R, ZIG_STRIPS, ZIG_V, ZIG_X } from '../../src/core/exp-ziggurat.js';
import { Rng } from '../../src/core/rng.js';

/** Kolmogorov–Smirnov statistic of `xs` against the standard exponential CDF 1 - e^-x. */
function ksExponential(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const n = sorted.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const cdf = 1 - Math.exp(-sorted[i]!);
    d = Math.max(d, cdf - i / n, (i + 1) / n - cdf);
  }
  return d;
}

describe('ziggurat tables', () => {
  it('every strip has area V, the base includes the tail, and the strips close at the mode', () => {
    expect(ZIG_R * Math.exp(-ZIG_R) + Math.exp(-ZIG_R)).toBeCloseTo(ZIG_V, 15);
    expect(ZIG_X[0]! * Math.exp(-ZIG_R)).toBeCloseTo(ZIG_V, 15); // the base drawn as one rectangle
    for (let i = 1; i < ZIG_STRIPS; i++) {
      expect(ZIG_X[i]! * (ZIG_F[i + 1]! - ZIG_F[i]!)).toBeCloseTo(ZIG_V, 12);
      expect(ZIG_X[i + 1]!).toBeLessThan(ZIG_X[i]!);
    }
    // The recursion from R lands on f(0) = 1 at the top strip: the constants fit 256 strips.
    expect(Math.abs(ZIG_V / ZIG_X[ZIG_STRIPS - 1]! + Math.exp(-ZIG_X[ZIG_STRIPS - 1]!) - 1)).toBeLessThan(
      1e-12,
    );
  });
});

describe('Rng.exponential (ziggurat)', () => {
  it('follows the exponential distribution for any seed (Kolmogorov–Smirnov, p = 0.001)', () => {
    const n = 20_000;
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const r = Rng.fromSeed(seed);
        const xs = Array.from({ length: n }, () => r.exponential(1));
        expect(ksExponential(xs)).toBeLessThan(1.95 / Math.sqrt(n));
      }),
      { numRuns: 20, seed: 0x2166 },
    );
  });

  it('draws the tail beyond R at its probability e^-R', () => {
    const r = Rng.fromSeed('tail');
    const n = 2_000_000;
    let beyond = 0;
    let max = 0;
    for (let i = 0; i < n; i++) {
      const x = r.exponential(1);
      if (x > ZIG_R) beyond++;
      if (x > max) max = x;
    }
    const expected = n * Math.exp(-ZIG_R); // ≈ 908
    expect(Math.abs(beyond - expected)).toBeLessThan(5 * Math.sqrt(expected));
    expect(max).toBeGreaterThan(ZIG_R + 2);
  });

  it('scales with the mean: the same stream state gives mean times the standard draw', () => {
    fc.assert(
      fc.property(fc.integer(), fc.double({ min: 1e-6, max: 1e9, noNaN: true }), (seed, mean) => {
        const a = Rng.fromSeed(seed);
        const b = Rng.fromSeed(seed);
        for (let i = 0; i < 50; i++) {
          const x = a.exponential(mean);
          const y = b.exponential(1);
          expect(x).toBeGreaterThanOrEqual(0);
          expect(Number.isFinite(x)).toBe(true);
          expect(Math.abs(x - mean * y)).toBeLessThanOrEqual(1e-12 * mean * (1 + y));
        }
        expect(a.u32()).toBe(b.u32()); // both consumed the stream alike
      }),
      { numRuns: 100, seed: 0x3e4 },
    );
  });
});
