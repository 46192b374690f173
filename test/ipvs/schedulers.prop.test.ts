import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Fwd, gcd } from '../../src/ipvs/defs.js';
import type { Dest } from '../../src/ipvs/dest.js';
import { destSpec, ipStr, pick, service } from './helpers.js';

const addrs = (n: number) => Array.from({ length: n }, (_, i) => `10.0.1.${i + 1}`);

describe('scheduler properties', () => {
  it('rr: N picks over k servers differ by at most one', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 100 }), (k, n) => {
        const { svc } = service(
          'rr',
          addrs(k).map((a) => [a, 1] as [string, number]),
        );
        const counts = new Map<string, number>();
        for (let i = 0; i < n; i++) {
          const p = pick(svc);
          counts.set(p, (counts.get(p) ?? 0) + 1);
        }
        const v = addrs(k).map((a) => counts.get(a) ?? 0);
        return Math.max(...v) - Math.min(...v) <= 1;
      }),
    );
  });

  it('wrr: every full cycle (sum(w)/gcd picks after the first restart) gives w/gcd picks each', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 12 }), { minLength: 1, maxLength: 6 }), (ws) => {
        fc.pre(ws.some((w) => w > 0));
        const { svc } = service(
          'wrr',
          ws.map((w, i) => [`10.0.1.${i + 1}`, w] as [string, number]),
        );
        const g = ws.filter((w) => w > 0).reduce((a, b) => gcd(a, b));
        const cycle = ws.reduce((a, b) => a + b, 0) / g;
        // Start a clean cycle: ip_vs_wrr_dest_changed with cw = 0 sets cw = mw and cl = head.
        const sched = svc.sched as unknown as { cw: number };
        sched.cw = 0;
        svc.sched!.destsChanged(svc, null, 'upd');
        const counts2 = new Map<string, number>();
        for (let i = 0; i < cycle; i++) {
          const p = pick(svc);
          counts2.set(p, (counts2.get(p) ?? 0) + 1);
        }
        return ws.every((w, i) => (counts2.get(`10.0.1.${i + 1}`) ?? 0) === w / g);
      }),
      { numRuns: 60 },
    );
  });

  it('lc/wlc/sed never pick a server with a strictly worse weighted load than an eligible one', () => {
    const load = fc.record({ w: fc.integer({ min: 0, max: 5 }), act: fc.nat(20), inact: fc.nat(40) });
    fc.assert(
      fc.property(
        fc.constantFrom('lc', 'wlc', 'sed'),
        fc.array(load, { minLength: 1, maxLength: 6 }),
        (name, ls) => {
          const { svc } = service(
            name,
            ls.map((l, i) => [`10.0.1.${i + 1}`, l.w] as [string, number]),
          );
          for (const d of svc.dests) {
            const l = ls[Number(ipStr(d.addr).split('.')[3]) - 1]!;
            d.activeConns = l.act;
            d.inactConns = l.inact;
          }
          const chosen = pick(svc);
          const eligible = svc.dests.filter((d) => d.weight > 0);
          if (eligible.length === 0) return chosen === '-';
          const cost = (d: Dest): number =>
            name === 'lc'
              ? d.overhead
              : name === 'wlc'
                ? d.overhead / d.weight
                : (d.activeConns + 1) / d.weight;
          const c = svc.dests.find((d) => ipStr(d.addr) === chosen)!;
          expect(c.weight).toBeGreaterThan(0);
          return eligible.every((d) => cost(c) <= cost(d) + 1e-9);
        },
      ),
    );
  });

  it('quiescent (weight 0) servers get no new connections from any scheduler', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(
          'rr',
          'wrr',
          'lc',
          'wlc',
          'sed',
          'nq',
          'fo',
          'ovf',
          'lblc',
          'lblcr',
          'sh',
          'dh',
          'mh',
        ),
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 5 }),
        fc.array(fc.nat(0xffff), { minLength: 1, maxLength: 20 }),
        (name, ws, srcs) => {
          const { svc } = service(
            name,
            ws.map((w, i) => [`10.0.1.${i + 1}`, w] as [string, number]),
          );
          for (const s of srcs) {
            const p = pick(svc, `172.16.${s >> 8}.${s & 255}`, 1000 + (s % 100), `20.0.${s & 7}.1`);
            if (p !== '-') expect(svc.dests.find((d) => ipStr(d.addr) === p)!.weight).toBeGreaterThan(0);
          }
        },
      ),
    );
  });

  it('sh/dh/mh are stable for the same key', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('sh', 'dh', 'mh'),
        fc.integer({ min: 1, max: 6 }),
        fc.nat(0xffffff),
        (name, k, s) => {
          const { svc } = service(
            name,
            addrs(k).map((a) => [a, 1] as [string, number]),
          );
          const src = `100.${s >> 16}.${(s >> 8) & 255}.${s & 255}`;
          const dst = `20.${s & 255}.0.1`;
          const a = pick(svc, src, 1, dst);
          for (let i = 0; i < 5; i++) pick(svc, `1.2.3.${i}`, 9, `30.0.0.${i}`);
          return pick(svc, src, 2, dst) === a;
        },
      ),
    );
  });

  it('mh: adding or removing one of n servers moves about 1/n of the keys (at most 2/n)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 10 }), fc.boolean(), (n, add) => {
        const { d, spec, svc } = service(
          'mh',
          addrs(n).map((a) => [a, 1] as [string, number]),
        );
        const keys = Array.from({ length: 3000 }, (_, i) => `100.64.${i >> 8}.${i & 255}`);
        const before = keys.map((k) => pick(svc, k));
        if (add) d.ipvs.addDest(spec, destSpec('10.0.1.200:80', 1, Fwd.Masq));
        else d.ipvs.delDest(spec, svc.dests[0]!.addr, 80);
        const after = keys.map((k) => pick(svc, k));
        const moved = before.filter((b, i) => b !== after[i]).length / keys.length;
        const m = add ? n + 1 : n;
        return moved <= 2 / m && moved >= 0.3 / m;
      }),
      { numRuns: 20 },
    );
  });
});
