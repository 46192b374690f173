import { describe, expect, it } from 'vitest';
import { Simulator } from '../../src/core/simulator.js';
import { MS } from '../../src/core/time.js';

function recorder() {
  const sim = new Simulator({ seed: 1 });
  const log: string[] = [];
  const kind = sim.registerKind('log', (target, arg, now) => {
    log.push(`${now}:${target}:${arg}`);
  });
  return { sim, log, kind };
}

describe('Simulator', () => {
  it('dispatches in (time, insertion) order and drains', () => {
    const { sim, log, kind } = recorder();
    sim.at(20, kind, 1, 0);
    sim.at(10, kind, 2, 0);
    sim.at(10, kind, 3, 0);
    sim.after(10, kind, 4, -5);
    const r = sim.run();
    expect(log).toEqual(['10:2:0', '10:3:0', '10:4:-5', '20:1:0']);
    expect(r).toEqual({ reason: 'drained', events: 4, now: 20 });
  });

  it('run({until}) runs events at until inclusive and leaves now === until', () => {
    const { sim, log, kind } = recorder();
    sim.at(5 * MS, kind, 1, 0);
    sim.at(10 * MS, kind, 2, 0);
    sim.at(15 * MS, kind, 3, 0);
    expect(sim.run({ until: 10 * MS })).toEqual({ reason: 'until', events: 2, now: 10 * MS });
    expect(sim.now).toBe(10 * MS);
    expect(() => sim.at(9 * MS, kind, 0, 0)).toThrow(/before now/);
    expect(sim.run({ until: 12 * MS }).now).toBe(12 * MS);
    expect(sim.run()).toEqual({ reason: 'drained', events: 1, now: 15 * MS });
    expect(log).toHaveLength(3);
    expect(() => sim.run({ until: 1 })).toThrow(RangeError);
  });

  it('stop() from a handler returns after that event', () => {
    const sim = new Simulator();
    let seen = 0;
    const k = sim.registerKind('tick', (_t, _a, now) => {
      seen++;
      if (now === 3) sim.stop();
      sim.after(1, k, 0, 0);
    });
    sim.at(0, k, 0, 0);
    expect(sim.run()).toEqual({ reason: 'stopped', events: 4, now: 3 });
    expect(seen).toBe(4);
    expect(sim.run({ maxEvents: 2 })).toMatchObject({ reason: 'budget', events: 2, now: 5 });
  });

  it('ends a runaway scenario with a budget message', () => {
    const sim = new Simulator({ eventBudget: 1000 });
    const k = sim.registerKind('forever', () => {
      sim.after(1, k, 0, 0);
    });
    sim.at(0, k, 0, 0);
    const r = sim.run();
    expect(r.reason).toBe('budget');
    expect(r.events).toBe(1000);
    expect(r.message).toMatch(/event budget of 1000 events exhausted at 999ns/);
    expect(sim.run().events).toBe(0);
    const perCall = new Simulator();
    const k2 = perCall.registerKind('forever', () => {
      perCall.after(1, k2, 0, 0);
    });
    perCall.at(0, k2, 0, 0);
    expect(perCall.run({ maxEvents: 10 }).message).toMatch(/maxEvents = 10/);
  });

  it('rejects programming errors: past, fractional, unknown kind, non-int32 payload, re-entry', () => {
    const { sim, kind } = recorder();
    sim.at(100, kind, 0, 0);
    sim.run();
    expect(() => sim.at(99, kind, 0, 0)).toThrow(/before now/);
    expect(() => sim.after(-1, kind, 0, 0)).toThrow(/before now/);
    expect(() => sim.at(100.5, kind, 0, 0)).toThrow(/integer nanoseconds/);
    expect(() => sim.at(Number.NaN, kind, 0, 0)).toThrow(RangeError);
    expect(() => sim.at(Number.POSITIVE_INFINITY, kind, 0, 0)).toThrow(RangeError);
    expect(() => sim.at(200, 99, 0, 0)).toThrow(/unregistered event kind 99/);
    expect(() => sim.at(200, kind, 2 ** 31, 0)).toThrow(/int32/);
    expect(() => sim.registerKind('log', () => {})).toThrow(/already registered/);
    const k = sim.registerKind('reenter', () => {
      sim.run();
    });
    sim.at(300, k, 0, 0);
    expect(() => sim.run()).toThrow(/inside an event handler/);
  });

  it('cancel removes a pending event and is false for stale ids', () => {
    const { sim, log, kind } = recorder();
    const a = sim.at(10, kind, 1, 0);
    const b = sim.at(20, kind, 2, 0);
    expect(sim.cancel(a)).toBe(true);
    expect(sim.cancel(a)).toBe(false);
    sim.run();
    expect(log).toEqual(['20:2:0']);
    expect(sim.cancel(b)).toBe(false);
  });

  it('onEvent sees every dispatched event and the same seed gives the same run', () => {
    const trace = (seed: number) => {
      const sim = new Simulator({ seed });
      const rng = sim.rng.stream('app');
      const out: number[] = [];
      const k = sim.registerKind('hop', (target) => {
        if (target < 200) sim.after(rng.int(0, 1000), k, target + 1, 0);
      });
      sim.onEvent = (kind, target, _arg, now) => out.push(kind, target, now);
      sim.at(0, k, 0, 0);
      sim.run();
      return out;
    };
    expect(trace(9)).toEqual(trace(9));
    expect(trace(9)).not.toEqual(trace(10));
    expect(trace(9)).toHaveLength(201 * 3);
  });
});
