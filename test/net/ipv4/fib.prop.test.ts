// LPM against a naive model: for random route sets, the FIB returns the route a linear scan picks by
// (prefix length desc, metric asc, insertion asc) — including after random deletions — and lists each
// prefix's routes in that order.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Fib, RT_TABLE, RTN } from '../../../src/net/ipv4/fib.js';

const mask = (p: number): number => (p === 0 ? 0 : (0xffffffff << (32 - p)) >>> 0);

describe('FIB longest-prefix match', () => {
  it('agrees with a linear scan', () => {
    const route = fc.record({
      // Few distinct high bits so that prefixes overlap often.
      dst: fc.integer({ min: 0, max: 15 }).map((x) => ((x << 28) | (x << 20)) >>> 0),
      plen: fc.integer({ min: 0, max: 32 }),
      metric: fc.integer({ min: 0, max: 3 }),
    });
    fc.assert(
      fc.property(
        fc.array(route, { maxLength: 60 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 1, maxLength: 30 }),
        (routes, dels, probes) => {
          const fib = new Fib();
          const live: Array<{ id: number; dst: number; plen: number; metric: number; seq: number }> = [];
          routes.forEach((r, seq) => {
            const dst = (r.dst & mask(r.plen)) >>> 0;
            const id = fib.add({
              table: RT_TABLE.Main,
              type: RTN.Unicast,
              dst,
              plen: r.plen,
              metric: r.metric,
              devId: 1,
              gw: 0,
              prefsrc: 0,
              scope: 0,
              proto: 4,
              flags: 0,
            });
            live.push({ id, dst, plen: r.plen, metric: r.metric, seq });
          });
          for (const d of dels) {
            if (live.length === 0) break;
            const [x] = live.splice(d % live.length, 1);
            fib.remove(x!.id);
          }
          for (const p of [...probes, ...live.map((r) => r.dst)]) {
            let best: (typeof live)[number] | undefined;
            for (const r of live) {
              if ((p & mask(r.plen)) >>> 0 !== r.dst) continue;
              if (
                best === undefined ||
                r.plen > best.plen ||
                (r.plen === best.plen &&
                  (r.metric < best.metric || (r.metric === best.metric && r.seq < best.seq)))
              )
                best = r;
            }
            expect(fib.lookup(p)).toBe(best === undefined ? -1 : best.id);
          }
          // Every prefix's routes (its alias chain): best first, by metric then insertion.
          const main = fib.getTable(RT_TABLE.Main, false)!;
          for (const r of live) {
            const want = live
              .filter((q) => q.plen === r.plen && q.dst === r.dst)
              .sort((x, y) => x.metric - y.metric || x.seq - y.seq)
              .map((q) => q.id);
            expect(fib.aliases(main, r.plen, r.dst)).toEqual(want);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
