// Model-based test of the FDB (fc.commands against a Map with expiry), plus table growth and deletion.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Fdb, FdbFlag, Learn } from '../../src/net/devices/fdb.js';

const AGEING = 1000;

interface ModelEntry {
  port: number;
  updated: number;
  flags: number;
}
interface Model {
  m: Map<string, ModelEntry>;
  now: number;
}
const key = (hi: number, lo: number, vid: number) => `${hi}/${lo}/${vid}`;
const expiredM = (e: ModelEntry, now: number) =>
  (e.flags & FdbFlag.Static) === 0 && e.updated + AGEING <= now;

// Few distinct keys so that collisions, moves and deletions happen often.
const macArb = fc.record({
  hi: fc.constantFrom(0x0200, 0x0242, 0xffff),
  lo: fc.integer({ min: 0, max: 40 }),
});
const vidArb = fc.constantFrom(0, 1);

class LearnCmd implements fc.Command<Model, Fdb> {
  constructor(
    readonly mac: { hi: number; lo: number },
    readonly vid: number,
    readonly port: number,
  ) {}
  check = () => true;
  run(m: Model, r: Fdb): void {
    const k = key(this.mac.hi, this.mac.lo, this.vid);
    const e = m.m.get(k);
    let want: Learn;
    if (e === undefined) {
      m.m.set(k, { port: this.port, updated: m.now, flags: 0 });
      want = Learn.Created;
    } else if (e.flags & FdbFlag.Local) want = Learn.OwnAddress;
    else {
      e.updated = m.now;
      if (e.port !== this.port && (e.flags & FdbFlag.Sticky) === 0) {
        e.port = this.port;
        want = Learn.Moved;
      } else want = Learn.Refreshed;
    }
    expect(r.learn(this.mac.hi, this.mac.lo, this.vid, this.port, m.now)).toBe(want);
  }
  toString = () => `learn(${this.mac.hi.toString(16)}:${this.mac.lo}/${this.vid} @${this.port})`;
}

class AddCmd implements fc.Command<Model, Fdb> {
  constructor(
    readonly mac: { hi: number; lo: number },
    readonly vid: number,
    readonly port: number,
    readonly flags: number,
  ) {}
  check = (m: Readonly<Model>) => !m.m.has(key(this.mac.hi, this.mac.lo, this.vid));
  run(m: Model, r: Fdb): void {
    m.m.set(key(this.mac.hi, this.mac.lo, this.vid), { port: this.port, updated: m.now, flags: this.flags });
    expect(r.insert(this.mac.hi, this.mac.lo, this.vid, this.port, this.flags, m.now)).toBeGreaterThanOrEqual(
      0,
    );
  }
  toString = () => `add(${this.mac.hi.toString(16)}:${this.mac.lo}/${this.vid} @${this.port} f${this.flags})`;
}

class LookupCmd implements fc.Command<Model, Fdb> {
  constructor(
    readonly mac: { hi: number; lo: number },
    readonly vid: number,
  ) {}
  check = () => true;
  run(m: Model, r: Fdb): void {
    const e = m.m.get(key(this.mac.hi, this.mac.lo, this.vid));
    const slot = r.lookup(this.mac.hi, this.mac.lo, this.vid, m.now);
    if (e === undefined || expiredM(e, m.now)) expect(slot).toBe(-1);
    else {
      expect(slot).toBeGreaterThanOrEqual(0);
      expect(r.port[slot]).toBe(e.port);
      expect(r.flags[slot]).toBe(e.flags);
    }
  }
  toString = () => `lookup(${this.mac.hi.toString(16)}:${this.mac.lo}/${this.vid})`;
}

class DeleteCmd implements fc.Command<Model, Fdb> {
  constructor(
    readonly mac: { hi: number; lo: number },
    readonly vid: number,
  ) {}
  check = () => true;
  run(m: Model, r: Fdb): void {
    const k = key(this.mac.hi, this.mac.lo, this.vid);
    expect(r.delete(this.mac.hi, this.mac.lo, this.vid)).toBe(m.m.delete(k));
  }
  toString = () => `delete(${this.mac.hi.toString(16)}:${this.mac.lo}/${this.vid})`;
}

class AdvanceCmd implements fc.Command<Model, Fdb> {
  constructor(
    readonly dt: number,
    readonly gc: boolean,
  ) {}
  check = () => true;
  run(m: Model, r: Fdb): void {
    m.now += this.dt;
    if (this.gc) {
      // br_fdb_cleanup: expired entries go; nextExpiry is the earliest remaining one.
      let n = 0;
      for (const [k, e] of m.m) {
        if (expiredM(e, m.now)) {
          m.m.delete(k);
          n++;
        }
      }
      expect(r.cleanup(m.now)).toBe(n);
      let next = Number.POSITIVE_INFINITY;
      for (const e of m.m.values())
        if ((e.flags & FdbFlag.Static) === 0) next = Math.min(next, e.updated + AGEING);
      expect(r.nextExpiry()).toBe(next);
    }
    expect(r.count).toBe(m.m.size);
  }
  toString = () => `advance(${this.dt}${this.gc ? ', gc' : ''})`;
}

class FlushPortCmd implements fc.Command<Model, Fdb> {
  constructor(
    readonly port: number,
    readonly all: boolean,
  ) {}
  check = () => true;
  run(m: Model, r: Fdb): void {
    let n = 0;
    for (const [k, e] of m.m) {
      if (e.port === this.port && (this.all || (e.flags & FdbFlag.Static) === 0)) {
        m.m.delete(k);
        n++;
      }
    }
    expect(r.deleteByPort(this.port, this.all)).toBe(n);
  }
  toString = () => `flushPort(${this.port}${this.all ? ', all' : ''})`;
}

const commands = [
  fc.tuple(macArb, vidArb, fc.integer({ min: 1, max: 4 })).map(([m, v, p]) => new LearnCmd(m, v, p)),
  fc
    .tuple(
      macArb,
      vidArb,
      fc.integer({ min: 0, max: 4 }),
      fc.constantFrom(
        FdbFlag.Local | FdbFlag.Static,
        FdbFlag.Static | FdbFlag.User,
        FdbFlag.Static | FdbFlag.Sticky,
        FdbFlag.User,
      ),
    )
    .map(([m, v, p, f]) => new AddCmd(m, v, p, f)),
  fc.tuple(macArb, vidArb).map(([m, v]) => new LookupCmd(m, v)),
  fc.tuple(macArb, vidArb).map(([m, v]) => new DeleteCmd(m, v)),
  fc.tuple(fc.integer({ min: 0, max: 700 }), fc.boolean()).map(([dt, gc]) => new AdvanceCmd(dt, gc)),
  fc.tuple(fc.integer({ min: 0, max: 4 }), fc.boolean()).map(([p, all]) => new FlushPortCmd(p, all)),
];

describe('Fdb (model-based)', () => {
  it('agrees with a Map-based model with expiry', () => {
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 300 }), (cmds) => {
        // Start tiny so that growth and tombstone rehashes are exercised.
        fc.modelRun(() => ({ model: { m: new Map(), now: 0 }, real: new Fdb(8, AGEING) }), cmds);
      }),
      { numRuns: 300 },
    );
  });

  it('grows past many entries and finds them all; deletion keeps the others reachable', () => {
    const f = new Fdb(8, AGEING);
    for (let i = 0; i < 5000; i++) f.learn(0x0200, i * 7919, 0, (i % 5) + 1, 0);
    expect(f.count).toBe(5000);
    for (let i = 0; i < 5000; i += 2) expect(f.delete(0x0200, i * 7919, 0)).toBe(true);
    for (let i = 1; i < 5000; i += 2) expect(f.port[f.find(0x0200, i * 7919, 0)]).toBe((i % 5) + 1);
    for (let i = 0; i < 5000; i += 2) expect(f.find(0x0200, i * 7919, 0)).toBe(-1);
  });
});
