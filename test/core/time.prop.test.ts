import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDuration, MAX_TIME_NS, parseDuration } from '../../src/core/time.js';

describe('duration text round trip', () => {
  it('parse(format(n)) === n for every representable duration', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 0, max: MAX_TIME_NS }), fc.nat(10_000_000)), (ns) => {
        expect(parseDuration(formatDuration(ns))).toBe(ns);
      }),
      { numRuns: 2000 },
    );
  });

  it('format is never longer than the plain ns form', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX_TIME_NS }), (ns) => {
        expect(formatDuration(ns).length).toBeLessThanOrEqual(`${ns}ns`.length);
      }),
    );
  });
});
