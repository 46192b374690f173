// Hold model (Jones 1986, "An empirical comparison of priority-queue and event-set implementations"):
// pre-fill the queue to N pending events, then repeat { pop the earliest; push one at its time + an
// exponential delay }. The size stays at N, so this measures the steady state a simulator lives in.
// flatqueue is the baseline: the fastest general-purpose JS heap we know of; it has no FIFO tie-break,
// which ours must keep, so ours does strictly more work per comparison on ties.
import FlatQueue from 'flatqueue';
import { EventQueue, type EventQueueOptions, EventRecord } from '../src/core/event-queue.js';
import { Rng } from '../src/core/rng.js';
import { type CaseFactory, defineSuite } from './harness/suite.js';

const MEAN_DELAY_NS = 1_000_000;
const OPS_PER_CALL = 1000;
// Delays come from a table so RNG cost is out of the measurement and every case sees the same sequence.
const DELAYS = new Float64Array(1 << 16);
{
  const rng = Rng.fromSeed('queue.bench');
  for (let i = 0; i < DELAYS.length; i++) DELAYS[i] = Math.round(rng.exponential(MEAN_DELAY_NS));
}
const MASK = DELAYS.length - 1;
// Untimed hold operations per pending event before timing: the pre-fill draws every time from 0, not
// from the hold model's steady state, and the first calendar year is sized while the queue fills.
const WARM_GENERATIONS = 2;

function flatqueueCase(n: number): CaseFactory {
  return () => {
    const q = new FlatQueue<number>();
    let d = 0;
    for (let i = 0; i < n; i++) q.push(i, DELAYS[d++ & MASK]!);
    for (let i = 0; i < WARM_GENERATIONS * n; i++) {
      const t = q.peekValue()!;
      q.push(q.pop()!, t + DELAYS[d++ & MASK]!);
    }
    return {
      opsPerCall: OPS_PER_CALL,
      fn: () => {
        for (let i = 0; i < OPS_PER_CALL; i++) {
          const t = q.peekValue()!;
          const id = q.pop()!;
          q.push(id, t + DELAYS[d++ & MASK]!);
        }
      },
    };
  };
}

function oursCase(n: number, options?: EventQueueOptions): CaseFactory {
  return () => {
    const q = new EventQueue(options);
    const rec = new EventRecord();
    let d = 0;
    for (let i = 0; i < n; i++) q.push(DELAYS[d++ & MASK]!, 1, i, 0);
    for (let i = 0; i < WARM_GENERATIONS * n; i++) {
      q.popInto(rec);
      q.push(rec.time + DELAYS[d++ & MASK]!, rec.kind, rec.target, rec.arg);
    }
    return {
      opsPerCall: OPS_PER_CALL,
      fn: () => {
        for (let i = 0; i < OPS_PER_CALL; i++) {
          q.popInto(rec);
          q.push(rec.time + DELAYS[d++ & MASK]!, rec.kind, rec.target, rec.arg);
        }
      },
    };
  };
}

function group(label: string, n: number) {
  return {
    name: label,
    baseline: 'flatqueue',
    cases: {
      flatqueue: flatqueueCase(n),
      ours: oursCase(n),
      'ours heap-only': oursCase(n, { calendarAbove: Number.POSITIVE_INFINITY }),
      'ours calendar-only': oursCase(n, { calendarAbove: 0 }),
    },
  };
}

export default defineSuite(import.meta.url, {
  name: 'queue',
  unit: 'hold ops',
  groups: [group('n=1e3', 1e3), group('n=1e5', 1e5), group('n=1e6', 1e6)],
});
