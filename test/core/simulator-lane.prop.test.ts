// The simulator's zero-delay lane (Simulator.post with delay 0 bypasses the queue) must not change the
// dispatch order: every run equals a reference that keeps all events in one list ordered by
// (time, insertion). Handlers schedule children with post/after/at at delays that are mostly zero,
// cancel some `after` events, and runs stop at `until` bounds and event budgets in between.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Simulator } from '../../src/core/simulator.js';

type How = 0 | 1 | 2; // post, after, at
interface Child {
  how: How;
  delay: number;
  cancel: boolean;
}

/** Reference: a plain list of pending events, popped by (time, seq). */
class Model {
  pending: { t: number; seq: number; id: number; live: boolean }[] = [];
  seq = 0;
  now = 0;
  add(t: number, id: number) {
    const e = { t, seq: this.seq++, id, live: true };
    this.pending.push(e);
    return e;
  }
  pop(until: number) {
    let best = -1;
    for (let i = 0; i < this.pending.length; i++) {
      const e = this.pending[i]!;
      if (!e.live) continue;
      const b = this.pending[best];
      if (best < 0 || e.t < b!.t || (e.t === b!.t && e.seq < b!.seq)) best = i;
    }
    if (best < 0 || this.pending[best]!.t > until) return null;
    const [e] = this.pending.splice(best, 1);
    this.now = e!.t;
    return e!;
  }
}

const childArb = fc.record({
  how: fc.constantFrom<How>(0, 0, 0, 1, 2),
  delay: fc.constantFrom(0, 0, 0, 1, 3),
  cancel: fc.boolean(),
});

describe('Simulator zero-delay lane', () => {
  it('dispatches in (time, insertion) order like a single queue', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(childArb, { maxLength: 3 }), { minLength: 1, maxLength: 60 }),
        fc.array(fc.record({ delay: fc.constantFrom(0, 0, 2), via: fc.boolean() }), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.array(fc.oneof(fc.integer({ min: 0, max: 6 }), fc.constant(-1)), { minLength: 1, maxLength: 6 }),
        // A burst of zero-delay posts at one instant (frames injected together) grows the lane's ring.
        fc.integer({ min: 0, max: 400 }),
        (programs, seeds, stops, burst) => {
          const sim = new Simulator();
          const model = new Model();
          const got: number[] = [];
          const want: number[] = [];
          let nextId = 0;
          const simCancel = new Map<number, number>();
          const modelEv = new Map<number, { live: boolean }>();
          // Event `id` runs program id % programs.length: it schedules its children (fresh ids).
          const schedule = (c: Child) => {
            const id = nextId++;
            const t = sim.now + c.delay;
            if (c.how === 0) sim.post(c.delay, kind, id, 0);
            else if (c.how === 1) simCancel.set(id, sim.after(c.delay, kind, id, 0));
            else simCancel.set(id, sim.at(t, kind, id, 0));
            modelEv.set(id, model.add(t, id));
            return id;
          };
          const kind = sim.registerKind('ev', (id) => {
            got.push(id);
            if (nextId > 1500) return;
            const made: number[] = [];
            for (const c of programs[id % programs.length]!) {
              const cid = schedule(c);
              if (c.cancel && c.how !== 0 && made.length > 0) {
                // cancel an earlier sibling scheduled with an id (after/at)
                const victim = made[made.length - 1]!;
                if (simCancel.has(victim)) {
                  const ok = sim.cancel(simCancel.get(victim)!);
                  const m = modelEv.get(victim)!;
                  expect(ok).toBe(m.live);
                  m.live = false;
                }
              }
              made.push(cid);
            }
          });
          for (const s of seeds) schedule({ how: s.via ? 0 : 1, delay: s.delay, cancel: false });
          for (let i = 0; i < burst; i++) schedule({ how: 0, delay: 0, cancel: false });
          for (const stop of [...stops, -1]) {
            if (stop < 0) {
              sim.run({ maxEvents: 50 });
            } else {
              sim.run({ until: sim.now + stop });
            }
          }
          sim.run();
          // Replay the model: the same handlers, so the same ids are created in the same order.
          for (;;) {
            const e = model.pop(Number.POSITIVE_INFINITY);
            if (e === null) break;
            want.push(e.id);
          }
          expect(got).toEqual(want);
        },
      ),
      { numRuns: 100 },
    );
  });
});
