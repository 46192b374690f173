// Timers for applications: one simulator event kind per world ("app"), target = the app's index in
// this world's table, arg = a small code the app chooses. No closure is created per event.

import type { World } from '../net/world.js';

/** Anything that can receive an application timer. */
export interface TimerTarget {
  onTimer(arg: number, now: number): void;
}

interface AppTimers {
  kind: number;
  targets: TimerTarget[];
}

const perWorld = new WeakMap<World, AppTimers>();

function timersOf(world: World): AppTimers {
  let t = perWorld.get(world);
  if (t === undefined) {
    const targets: TimerTarget[] = [];
    const kind = world.sim.registerKind('app', (target, arg, now) => targets[target]!.onTimer(arg, now));
    t = { kind, targets };
    perWorld.set(world, t);
  }
  return t;
}

/** A handle for scheduling `target`'s timers in `world` (create once per app). */
export class AppTimer {
  private readonly kind: number;
  private readonly id: number;
  constructor(
    private readonly world: World,
    target: TimerTarget,
  ) {
    const t = timersOf(world);
    this.kind = t.kind;
    this.id = t.targets.length;
    t.targets.push(target);
  }
  /** Schedules `onTimer(arg)` after `delayNs`; returns the event id (for `cancel`). */
  after(delayNs: number, arg: number): number {
    return this.world.sim.after(delayNs, this.kind, this.id, arg);
  }
  at(timeNs: number, arg: number): number {
    return this.world.sim.at(timeNs, this.kind, this.id, arg);
  }
  cancel(eventId: number): void {
    this.world.sim.cancel(eventId);
  }
}
