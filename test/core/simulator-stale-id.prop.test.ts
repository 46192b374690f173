// Cancellation safety under heavy slot reuse: an id whose event already ran or was cancelled must never
// cancel a later event that reuses its queue slot. With few events pending, the queue's LIFO free list
// hands the same few slots out again on every push, so each slot passes through hundreds of
// generations here (past 2^5, where ids leave the 31-bit small-integer range).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Simulator } from '../../src/core/simulator.js';

// `table`: the id goes through a Float64Array (afterInto / atInto / cancelFrom) instead of a return
// value and an argument; both forms must behave identically.
type Op =
  | { op: 'after'; d: number; table: boolean; absolute: boolean }
  | { op: 'step' }
  | { op: 'cancel'; pick: number; table: boolean };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .record({ d: fc.integer({ min: 0, max: 50 }), table: fc.boolean(), absolute: fc.boolean() })
      .map((r) => ({ op: 'after' as const, ...r })),
  },
  { weight: 4, arbitrary: fc.constant({ op: 'step' as const }) },
  {
    weight: 3,
    arbitrary: fc
      .record({ pick: fc.nat(), table: fc.boolean() })
      .map((r) => ({ op: 'cancel' as const, ...r })),
  },
);

describe('Simulator.cancel with stale ids', () => {
  it('never cancels a live event, however often its slot was reused', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 200, maxLength: 3000 }), (ops) => {
        const sim = new Simulator({ seed: 1 });
        const ran = new Set<number>();
        const kind = sim.registerKind('e', (target) => {
          ran.add(target);
        });
        const ids: number[] = []; // every id ever issued, index = event number
        const live = new Set<number>(); // event numbers scheduled, not yet run or cancelled
        const cancelled = new Set<number>();
        const table = new Float64Array(ops.length).fill(-1);
        for (const o of ops) {
          if (o.op === 'after') {
            const e = ids.length;
            live.add(e);
            if (!o.table)
              ids.push(o.absolute ? sim.at(sim.now + o.d, kind, e, 0) : sim.after(o.d, kind, e, 0));
            else {
              if (o.absolute) sim.atInto(sim.now + o.d, kind, e, 0, table, e);
              else sim.afterInto(o.d, kind, e, 0, table, e);
              expect(table[e]).toBeGreaterThanOrEqual(0);
              ids.push(table[e]!);
            }
          } else if (o.op === 'step') {
            sim.run({ maxEvents: 1 });
            for (const e of live) if (ran.has(e)) live.delete(e);
          } else if (ids.length > 0) {
            const e = o.pick % ids.length;
            const wasLive = live.has(e);
            if (!o.table) expect(sim.cancel(ids[e]!)).toBe(wasLive);
            else {
              const scratch = new Float64Array([ids[e]!]);
              expect(sim.cancelFrom(scratch, 0)).toBe(wasLive);
              expect(scratch[0]).toBe(-1); // the entry is cleared either way
            }
            if (wasLive) {
              live.delete(e);
              cancelled.add(e);
            }
          }
        }
        sim.run();
        // Every event not cancelled ran exactly when expected; no cancelled one ran.
        for (let e = 0; e < ids.length; e++) expect(ran.has(e)).toBe(!cancelled.has(e));
      }),
      { numRuns: 60, seed: 0x57a1e },
    );
  });

  it('a slot reused thousands of times still rejects every one of its old ids', () => {
    const sim = new Simulator({ seed: 1 });
    const kind = sim.registerKind('e', () => {});
    const stale: number[] = [];
    for (let i = 0; i < 5000; i++) {
      stale.push(sim.after(1, kind, i, 0));
      sim.run({ maxEvents: 1 });
    }
    const liveId = sim.after(1, kind, -1, 0);
    for (const id of stale) expect(sim.cancel(id)).toBe(false);
    expect(sim.queue.size).toBe(1);
    expect(sim.cancel(liveId)).toBe(true);
  });

  it('cancelFrom treats a cleared entry (-1) as no event', () => {
    const sim = new Simulator({ seed: 1 });
    const kind = sim.registerKind('e', () => {});
    const timers = new Float64Array(2).fill(-1);
    sim.afterInto(5, kind, 0, 0, timers, 1);
    expect(sim.cancelFrom(timers, 0)).toBe(false);
    expect(sim.cancelFrom(timers, 1)).toBe(true);
    expect(sim.cancelFrom(timers, 1)).toBe(false); // cleared by the first cancel
    expect(sim.run().events).toBe(0);
  });
});
