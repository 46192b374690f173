// Cancellation safety under heavy slot reuse: an id whose event already ran or was cancelled must never
// cancel a later event that reuses its queue slot. With few events pending, the queue's LIFO free list
// hands the same few slots out again on every push, so each slot passes through hundreds of
// generations here (past 2^5, where ids leave the 31-bit small-integer range).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Simulator } from '../../src/core/simulator.js';

type Op = { op: 'after'; d: number } | { op: 'step' } | { op: 'cancel'; pick: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 50 }).map((d) => ({ op: 'after' as const, d })) },
  { weight: 4, arbitrary: fc.constant({ op: 'step' as const }) },
  { weight: 3, arbitrary: fc.nat().map((pick) => ({ op: 'cancel' as const, pick })) },
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
        for (const o of ops) {
          if (o.op === 'after') {
            live.add(ids.length);
            ids.push(sim.after(o.d, kind, ids.length, 0));
          } else if (o.op === 'step') {
            sim.run({ maxEvents: 1 });
            for (const e of live) if (ran.has(e)) live.delete(e);
          } else if (ids.length > 0) {
            const e = o.pick % ids.length;
            const wasLive = live.has(e);
            expect(sim.cancel(ids[e]!)).toBe(wasLive);
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
});
