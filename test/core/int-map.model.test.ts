// IntMap (src/core/int-map.ts) against a Map model: random sets, overwrites and deletes over a small
// key space (long probe runs, deletions inside them, growth) — same size and same answer for every key.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IntMap } from '../../src/core/int-map.js';

type Op = { set: boolean; key: number; value: number };

describe('IntMap', () => {
  it('answers every lookup as a Map does after any sequence of sets and deletes', () => {
    const key = fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 0x7fffffff }));
    const op: fc.Arbitrary<Op> = fc.record({ set: fc.boolean(), key, value: fc.nat() });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), fc.constantFrom(1, 2, 8), (ops, capacity) => {
        const m = new IntMap(capacity);
        const model = new Map<number, number>();
        for (const o of ops) {
          if (o.set) {
            m.set(o.key, o.value);
            model.set(o.key, o.value);
          } else {
            m.delete(o.key);
            model.delete(o.key);
          }
          expect(m.size).toBe(model.size);
        }
        for (let k = 0; k <= 40; k++) expect(m.get(k)).toBe(model.get(k) ?? -1);
        for (const o of ops) expect(m.get(o.key)).toBe(model.get(o.key) ?? -1);
      }),
    );
  });
});
