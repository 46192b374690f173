import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng, roundHalfUp } from '../../src/core/rng.js';

// roundHalfUp is Math.round written as a floor (faster on the event loop's hot path); these pin that it
// is the same function for every non-negative double, including the cases where a naive
// Math.floor(x + 0.5) is not.
describe('roundHalfUp', () => {
  it('equals Math.round at the edges where floor(x + 0.5) does not', () => {
    const edges = [
      0,
      0.49999999999999994, // floor(x + 0.5) gives 1
      0.5,
      1.4999999999999998,
      1.5,
      2.5,
      2 ** 51 + 0.5,
      2 ** 52 - 0.5,
      2 ** 52 + 1, // x + 0.5 rounds to an even neighbour: floor(x + 0.5) gives 2^52 + 2
      2 ** 53 - 1,
      Number.MIN_VALUE,
    ];
    for (const x of edges) expect(roundHalfUp(x), String(x)).toBe(Math.round(x));
    expect(Math.floor(0.49999999999999994 + 0.5)).not.toBe(Math.round(0.49999999999999994));
  });

  it('equals Math.round for any non-negative double', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 2 ** 60, noNaN: true }), (x) => roundHalfUp(x) === Math.round(x)),
      { numRuns: 20_000 },
    );
  });

  it('equals Math.round just below and at every half in a range of magnitudes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), (k) => {
        const half = k + 0.5;
        const below = half - half * Number.EPSILON; // at or just below the largest double under k + 0.5
        return roundHalfUp(half) === Math.round(half) && roundHalfUp(below) === Math.round(below);
      }),
    );
  });
});

describe('Rng.exponentialNs', () => {
  it('is the exponential draw rounded to whole nanoseconds, from the same stream position', () => {
    fc.assert(
      fc.property(fc.integer(), fc.double({ min: 1e-3, max: 1e9, noNaN: true }), (seed, mean) => {
        const a = Rng.fromSeed(seed);
        const b = Rng.fromSeed(seed);
        for (let i = 0; i < 200; i++) {
          const ns = a.exponentialNs(mean);
          if (ns !== Math.round(b.exponential(mean)) || !Number.isInteger(ns) || ns < 0) return false;
        }
        return a.u32() === b.u32(); // both streams advanced alike
      }),
      { numRuns: 200 },
    );
  });
});
