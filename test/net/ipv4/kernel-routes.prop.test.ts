// The kernel-route set used by Ipv4Stack.syncKernelRoutes against a Map keyed by the seven fields as
// text (the structure it replaced): same routes, once each, in first-insertion order, and `find`
// answers as `has` does — across clears, since one set serves every namespace.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KernelRouteSet } from '../../../src/net/ipv4/kernel-routes.js';

type Route = [number, number, number, number, number, number, number];

// Few distinct values per field so that duplicates and hash collisions on partial keys are common.
const route: fc.Arbitrary<Route> = fc.tuple(
  fc.constantFrom(254, 255),
  fc.constantFrom(1, 2, 3),
  fc.constantFrom(0x0a000001, 0x0a00ffff, 0x7f000001, 0xffffffff, 0xc0a80101),
  fc.constantFrom(8, 16, 32),
  fc.constantFrom(0, 253, 254),
  fc.integer({ min: 0, max: 3 }),
  fc.constantFrom(0, 0x0a000001, 0xc0a80101),
);

const text = (r: Route): string => r.join('/');

describe('kernel-route set', () => {
  it('keeps each route once, in first-put order, and finds exactly what was put', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(route, { maxLength: 150 }), { minLength: 1, maxLength: 4 }),
        fc.array(route, { maxLength: 20 }),
        (rounds, probes) => {
          const set = new KernelRouteSet();
          for (const puts of rounds) {
            set.clear();
            const model = new Map<string, Route>();
            for (const r of puts) {
              set.put(...r);
              if (!model.has(text(r))) model.set(text(r), r);
            }
            const got: Route[] = [];
            for (let i = 0; i < set.n; i++) {
              got.push([
                set.table[i]!,
                set.type[i]!,
                set.dst[i]!,
                set.plen[i]!,
                set.scope[i]!,
                set.devId[i]!,
                set.prefsrc[i]!,
              ]);
              expect(set.matched[i]).toBe(0);
            }
            expect(got).toEqual([...model.values()]);
            for (const p of [...probes, ...puts]) {
              const i = set.find(...p);
              expect(i >= 0).toBe(model.has(text(p)));
              if (i >= 0) expect(text(got[i]!)).toBe(text(p));
            }
          }
        },
      ),
    );
  });
});
