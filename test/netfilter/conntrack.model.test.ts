// Model-based test of the conntrack table (fc.commands against a Map with expiry): opening flows,
// refreshing them, advancing simulated time (lazy expiry + gc sweep), deleting and flushing; the
// listing must always equal the model's live keys and both tuples of every entry must be findable.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { World } from '../../src/net/world.js';
import type { Conntrack } from '../../src/netfilter/conntrack/conntrack.js';
import { TupleScratch } from '../../src/netfilter/conntrack/tuple.js';
import { deliver, forward, makeWorld, runUntil, S, udp } from './conntrack-helpers.js';

interface Real {
  world: World;
  ct: Conntrack;
}
type Model = { live: Map<string, number>; now: number };

const FLOWS = 12;
const flowKey = (i: number) => `f${i}`;
const src = (i: number) => 0xac110002 + (i % 4);
const sport = (i: number) => 1000 + i;

function live(m: Model): string[] {
  return [...m.live.entries()]
    .filter(([, exp]) => exp > m.now)
    .map(([k]) => k)
    .sort();
}

class Open implements fc.Command<Model, Real> {
  constructor(readonly i: number) {}
  check = () => true;
  run(m: Model, r: Real): void {
    const h = udp(r.world, src(this.i), 0x0a000002, sport(this.i), 53);
    expect(forward(r.world, r.ct, h)).toBe(0);
    deliver(r.world, h);
    m.live.set(flowKey(this.i), m.now + 30 * S);
    check(m, r);
  }
  toString = () => `Open(${this.i})`;
}
class Advance implements fc.Command<Model, Real> {
  constructor(readonly dt: number) {}
  check = () => true;
  run(m: Model, r: Real): void {
    m.now += this.dt;
    runUntil(r.world, m.now);
    check(m, r);
  }
  toString = () => `Advance(${this.dt / S}s)`;
}
class Delete implements fc.Command<Model, Real> {
  constructor(readonly i: number) {}
  check = () => true;
  run(m: Model, r: Real): void {
    const t = new TupleScratch().set(src(this.i), 0x0a000002, sport(this.i), 53, 17);
    const v = r.ct.lookup(t);
    if (v >= 0) r.ct.destroy(v >> 1);
    m.live.delete(flowKey(this.i));
    check(m, r);
  }
  toString = () => `Delete(${this.i})`;
}
class Flush implements fc.Command<Model, Real> {
  check = () => true;
  run(m: Model, r: Real): void {
    r.ct.flush();
    m.live.clear();
    check(m, r);
  }
  toString = () => 'Flush';
}

function check(m: Model, r: Real): void {
  const keys = r.ct
    .entries()
    .map((e) => `f${e.orig.sport - 1000}`)
    .sort();
  expect(keys).toEqual(live(m));
  const t = new TupleScratch();
  for (const e of r.ct.entries()) {
    const vo = r.ct.table.find(e.orig.src, e.orig.dst, e.orig.sport, e.orig.dport, 17);
    const vr = r.ct.table.find(e.reply.src, e.reply.dst, e.reply.sport, e.reply.dport, 17);
    expect(vo >> 1).toBe(e.id);
    expect(vr >> 1).toBe(e.id);
    expect([vo & 1, vr & 1]).toEqual([0, 1]);
    void t;
  }
}

describe('conntrack table (model-based)', () => {
  it('matches a Map model with expiry', () => {
    const cmds = [
      fc.integer({ min: 0, max: FLOWS - 1 }).map((i) => new Open(i)),
      fc.integer({ min: 1, max: 40 }).map((s) => new Advance(s * S)),
      fc.integer({ min: 0, max: FLOWS - 1 }).map((i) => new Delete(i)),
      fc.constant(new Flush()),
    ];
    fc.assert(
      fc.property(fc.commands(cmds, { maxCommands: 60 }), (c) => {
        const { world, ct } = makeWorld();
        fc.modelRun(() => ({ model: { live: new Map(), now: 0 }, real: { world, ct } }), c);
        expect(world.pool.liveCount).toBe(0);
      }),
      { numRuns: 200 },
    );
  });

  it('grows past its initial capacity and keeps every tuple findable', () => {
    const { world, ct } = makeWorld();
    for (let i = 0; i < 3000; i++) {
      const h = udp(world, 0xac110000 + (i >> 8), 0x0a000002, 1024 + (i & 255), 53);
      expect(forward(world, ct, h)).toBe(0);
      deliver(world, h);
    }
    expect(ct.entries()).toHaveLength(3000);
    for (let i = 0; i < 3000; i += 97) {
      expect(
        ct.table.find(0xac110000 + (i >> 8), 0x0a000002, 1024 + (i & 255), 53, 17),
      ).toBeGreaterThanOrEqual(0);
    }
    runUntil(world, 31 * S);
    expect(ct.table.count).toBe(0);
  });
});
