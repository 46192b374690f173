// Model-based test: the event queue against a sorted-array reference under any interleaving of
// push / pop / cancel / peek, for every structure the queue can be in (heap, calendar, switching).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventQueue, type EventQueueOptions, EventRecord } from '../../src/core/event-queue.js';

interface Entry {
  time: number;
  seq: number;
  kind: number;
  target: number;
  arg: number;
  id: number;
}

interface Model {
  pending: Entry[];
  issued: number[];
  seq: number;
}

interface Real {
  q: EventQueue;
  rec: EventRecord;
}

/** Reference: the earliest by (time, seq), i.e. FIFO among equal times. */
function modelMinIndex(m: Model): number {
  let best = -1;
  for (let i = 0; i < m.pending.length; i++) {
    const e = m.pending[i]!;
    const b = best < 0 ? undefined : m.pending[best]!;
    if (b === undefined || e.time < b.time || (e.time === b.time && e.seq < b.seq)) best = i;
  }
  return best;
}

class PushCmd implements fc.Command<Model, Real> {
  constructor(
    readonly time: number,
    readonly kind: number,
    readonly target: number,
    readonly arg: number,
  ) {}
  check = () => true;
  run(m: Model, r: Real): void {
    const id = r.q.push(this.time, this.kind, this.target, this.arg);
    expect(m.issued).not.toContain(id);
    m.pending.push({
      time: this.time,
      seq: m.seq++,
      kind: this.kind,
      target: this.target,
      arg: this.arg,
      id,
    });
    m.issued.push(id);
    expect(r.q.size).toBe(m.pending.length);
  }
  toString = () => `push(${this.time}, ${this.kind}, ${this.target}, ${this.arg})`;
}

/** An event posted without an id (`postT`): pops with id -1 and cannot be cancelled. */
class PostCmd implements fc.Command<Model, Real> {
  constructor(
    readonly time: number,
    readonly target: number,
  ) {}
  check = () => true;
  run(m: Model, r: Real): void {
    r.q.t = this.time;
    r.q.postT(3, this.target, 0);
    m.pending.push({ time: this.time, seq: m.seq++, kind: 3, target: this.target, arg: 0, id: -1 });
    expect(r.q.size).toBe(m.pending.length);
  }
  toString = () => `post(${this.time}, ${this.target})`;
}

class PopCmd implements fc.Command<Model, Real> {
  check = () => true;
  run(m: Model, r: Real): void {
    const i = modelMinIndex(m);
    const ok = r.q.popInto(r.rec);
    if (i < 0) {
      expect(ok).toBe(false);
      return;
    }
    expect(ok).toBe(true);
    const e = m.pending.splice(i, 1)[0]!;
    expect({
      time: r.rec.time,
      kind: r.rec.kind,
      target: r.rec.target,
      arg: r.rec.arg,
      id: e.id === -1 ? -1 : r.rec.id, // a posted event was given no id to compare
    }).toEqual({
      time: e.time,
      kind: e.kind,
      target: e.target,
      arg: e.arg,
      id: e.id,
    });
    expect(r.q.size).toBe(m.pending.length);
  }
  toString = () => 'pop';
}

class CancelCmd implements fc.Command<Model, Real> {
  constructor(readonly pick: number) {}
  check = (m: Readonly<Model>) => m.issued.length > 0;
  run(m: Model, r: Real): void {
    const id = m.issued[this.pick % m.issued.length]!;
    const i = m.pending.findIndex((e) => e.id === id);
    expect(r.q.cancel(id)).toBe(i >= 0);
    if (i >= 0) m.pending.splice(i, 1);
    expect(r.q.size).toBe(m.pending.length);
  }
  toString = () => `cancel(#${this.pick})`;
}

class PeekCmd implements fc.Command<Model, Real> {
  check = () => true;
  run(m: Model, r: Real): void {
    const i = modelMinIndex(m);
    expect(r.q.peekTime()).toBe(i < 0 ? Number.POSITIVE_INFINITY : m.pending[i]!.time);
  }
  toString = () => 'peek';
}

class StaleCancelCmd implements fc.Command<Model, Real> {
  constructor(readonly id: number) {}
  check = (m: Readonly<Model>) => !m.issued.includes(this.id);
  run(_m: Model, r: Real): void {
    expect(r.q.cancel(this.id)).toBe(false);
  }
  toString = () => `cancel(${this.id})`;
}

// Many equal times (small range) and spread-out ones, so both FIFO ties and bucket spreading occur.
const timeArb = fc.oneof(
  fc.integer({ min: 0, max: 8 }),
  fc.integer({ min: 0, max: 1_000_000 }),
  fc.constant(5),
);
const commands = [
  fc
    .tuple(
      timeArb,
      fc.integer({ min: 0, max: 0xffff }),
      fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
      fc.integer(),
    )
    .map(([t, k, tg, a]) => new PushCmd(t, k, tg, a | 0)),
  fc.tuple(timeArb, fc.integer({ min: 0, max: 3 })).map(([t, k]) => new PushCmd(t, k, 7, 9)),
  fc.tuple(timeArb, fc.integer()).map(([t, tg]) => new PostCmd(t, tg | 0)),
  fc.constant(new PopCmd()),
  fc.nat().map((p) => new CancelCmd(p)),
  fc.constant(new PeekCmd()),
  fc.oneof(fc.constant(-1), fc.constant(0.5), fc.nat({ max: 2 ** 40 })).map((id) => new StaleCancelCmd(id)),
];

const structures: Record<string, EventQueueOptions> = {
  'default (heap while small)': {},
  'heap only': { calendarAbove: Number.POSITIVE_INFINITY, initialCapacity: 4 },
  'calendar only, 1 event per bucket': { calendarAbove: 0, bucketSize: 1, initialCapacity: 4, purgeAbove: 4 },
  'calendar only, 4 per bucket': { calendarAbove: 0, bucketSize: 4, initialCapacity: 4 },
  'switching at 6 events': { calendarAbove: 6, bucketSize: 2, initialCapacity: 4, purgeAbove: 2 },
  // A bucket becomes a sorted run only when already in order, else a heap: both bottoms and the switch
  // from run to heap on an insertion into the middle of a run.
  'calendar only, runs only when already sorted': { calendarAbove: 0, bucketSize: 8, sortRunMax: 0 },
  'calendar only, every bucket sorted into a run': {
    calendarAbove: 0,
    bucketSize: 16,
    sortRunMax: Number.POSITIVE_INFINITY,
    initialCapacity: 4,
  },
};

describe('EventQueue matches a sorted reference model', () => {
  for (const [label, options] of Object.entries(structures)) {
    it(label, () => {
      fc.assert(
        fc.property(fc.commands(commands, { size: '+1' }), (cmds) => {
          const model: Model = { pending: [], issued: [], seq: 0 };
          const real: Real = { q: new EventQueue(options), rec: new EventRecord() };
          fc.modelRun(() => ({ model, real }), cmds);
          // Drain: everything left comes out in (time, seq) order.
          while (model.pending.length > 0) new PopCmd().run(model, real);
          expect(real.q.popInto(real.rec)).toBe(false);
        }),
        { numRuns: 300, seed: 0x5eed },
      );
    });
  }
});

type ScaleOp = { op: 'push' | 'post' | 'pop' | 'peek' | 'cancel'; d: number };

/**
 * Prefills the queue, then runs `ops` (push/post at now + d, pop, cancel the d-th id issued) against a
 * list sorted by (time, seq); true when the queue used dense (chunk-list) buckets at some point.
 */
function runAgainstModel(options: EventQueueOptions, prefill: number[], ops: ScaleOp[]): boolean {
  const q = new EventQueue(options);
  const rec = new EventRecord();
  const pending: { time: number; seq: number; id: number }[] = [];
  const ids: number[] = [];
  let seq = 0;
  let now = 0;
  let dense = false;
  const push = (time: number) => {
    const id = q.push(time, 1, seq, 0);
    pending.push({ time, seq: seq++, id });
    ids.push(id);
  };
  const post = (time: number) => {
    q.t = time;
    q.postT(1, seq, 0);
    pending.push({ time, seq: seq++, id: -1 });
  };
  const pop = () => {
    let best = -1;
    for (let i = 0; i < pending.length; i++) {
      const e = pending[i]!;
      const b = best < 0 ? undefined : pending[best]!;
      if (b === undefined || e.time < b.time || (e.time === b.time && e.seq < b.seq)) best = i;
    }
    expect(q.popInto(rec)).toBe(best >= 0);
    dense ||= q.denseBuckets;
    if (best < 0) return;
    const e = pending.splice(best, 1)[0]!;
    expect([rec.time, rec.target, e.id === -1 ? -1 : rec.id]).toEqual([e.time, e.seq, e.id]);
    now = e.time;
  };
  for (const [i, d] of prefill.entries()) (i % 3 === 2 ? post : push)(d);
  for (const { op, d } of ops) {
    if (op === 'push') push(now + d);
    else if (op === 'post') post(now + d);
    else if (op === 'pop') pop();
    else if (op === 'peek') {
      let min = Number.POSITIVE_INFINITY;
      for (const e of pending) if (e.time < min) min = e.time;
      expect(q.peekTime()).toBe(min);
    } else if (ids.length > 0) {
      const id = ids[d % ids.length]!;
      const i = pending.findIndex((e) => e.id === id);
      expect(q.cancel(id)).toBe(i >= 0);
      if (i >= 0) pending.splice(i, 1);
    }
  }
  while (pending.length > 0) pop();
  expect(q.popInto(rec)).toBe(false);
  return dense;
}

function opsOf(delayArb: fc.Arbitrary<number>): fc.Arbitrary<ScaleOp> {
  return fc.oneof(
    { weight: 4, arbitrary: delayArb.map((d) => ({ op: 'push' as const, d })) },
    { weight: 2, arbitrary: delayArb.map((d) => ({ op: 'post' as const, d })) },
    { weight: 5, arbitrary: fc.constant({ op: 'pop' as const, d: 0 }) },
    { weight: 1, arbitrary: fc.constant({ op: 'peek' as const, d: 0 }) },
    { weight: 1, arbitrary: fc.nat().map((d) => ({ op: 'cancel' as const, d })) },
  );
}

describe('EventQueue at scale matches a sorted reference', () => {
  // Hundreds to thousands of pending events, so the calendar sizes its buckets from the front of the
  // distribution, cuts years short (the tail stays in the top) and turns buckets into runs or heaps:
  // delays of 0 (ties at one instant), small, exponential-like and huge (a cluster then a gap).
  const delayArb = fc.oneof(
    fc.constant(0),
    fc.integer({ min: 0, max: 8 }),
    fc.integer({ min: 0, max: 2000 }),
    fc.integer({ min: 1_000_000_000, max: 1_000_100_000 }),
  );
  for (const [label, options] of Object.entries({
    default: {},
    'small buckets': { bucketSize: 2, calendarAbove: 16 },
    'runs only when sorted': { calendarAbove: 32, sortRunMax: 0 },
  } satisfies Record<string, EventQueueOptions>)) {
    it(label, () => {
      fc.assert(
        fc.property(
          fc.array(delayArb, { minLength: 100, maxLength: 1500 }),
          fc.array(opsOf(delayArb), { minLength: 500, maxLength: 4000 }),
          (prefill, ops) => {
            runAgainstModel(options, prefill, ops);
          },
        ),
        { numRuns: 40, seed: 0x5ca1e },
      );
    });
  }

  // Hundreds of events per instant (ns-3's benchmark shape): the calendar keeps such a year's buckets
  // as chunk lists, events posted without an id stored by value. Rare huge delays still cut the year.
  it('dense years (chunk-list buckets), with posts, cancels and a cut year', () => {
    const denseDelay = fc.oneof(
      { weight: 20, arbitrary: fc.integer({ min: 0, max: 3 }) },
      { weight: 1, arbitrary: fc.integer({ min: 1_000_000, max: 1_000_010 }) },
    );
    let denseRuns = 0;
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 800, maxLength: 2000 }),
        fc.array(opsOf(denseDelay), { minLength: 500, maxLength: 4000 }),
        (prefill, ops) => {
          if (runAgainstModel({}, prefill, ops)) denseRuns++;
        },
      ),
      { numRuns: 40, seed: 0xde45e },
    );
    expect(denseRuns).toBeGreaterThan(20); // the case is really exercised
  });
});

describe('EventQueue at scale', () => {
  it('keeps FIFO order among thousands of equal times across growth and structure switches', () => {
    const q = new EventQueue({ initialCapacity: 4, calendarAbove: 64 });
    const rec = new EventRecord();
    for (let i = 0; i < 5000; i++) q.push(1000 + (i % 3), 0, i, 0);
    let last = -1;
    let lastTime = 0;
    for (let n = 0; n < 5000; n++) {
      expect(q.popInto(rec)).toBe(true);
      if (rec.time !== lastTime) last = -1;
      expect(rec.time).toBeGreaterThanOrEqual(lastTime);
      expect(rec.target).toBeGreaterThan(last);
      last = rec.target;
      lastTime = rec.time;
    }
    expect(q.size).toBe(0);
  });

  it('hold model in calendar mode pops in nondecreasing time with a fixed size', () => {
    const q = new EventQueue();
    const rec = new EventRecord();
    let x = 1;
    const next = () => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return Math.round(-1000 * Math.log(1 - x / 2 ** 32));
    };
    for (let i = 0; i < 20_000; i++) q.push(next(), 1, i, 0);
    expect(q.structure).toBe('calendar');
    let prev = 0;
    for (let i = 0; i < 100_000; i++) {
      q.popInto(rec);
      expect(rec.time >= prev).toBe(true);
      prev = rec.time;
      q.push(rec.time + next(), 1, rec.target, 0);
    }
    expect(q.size).toBe(20_000);
  });

  it('purges cancelled events and clear() invalidates ids', () => {
    const q = new EventQueue({ purgeAbove: 10 });
    const ids: number[] = [];
    for (let i = 0; i < 100; i++) ids.push(q.push(i, 0, i, 0));
    for (let i = 0; i < 90; i++) expect(q.cancel(ids[i]!)).toBe(true);
    expect(q.size).toBe(10);
    expect(q.peekTime()).toBe(90);
    q.clear();
    expect(q.size).toBe(0);
    expect(q.cancel(ids[95]!)).toBe(false);
    expect(q.peekTime()).toBe(Number.POSITIVE_INFINITY);
    const id = q.push(3, 1, 2, 3);
    expect(ids).not.toContain(id);
  });
});
