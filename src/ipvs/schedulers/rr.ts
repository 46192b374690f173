// rr: round robin over dests with weight > 0 that are not overloaded, remembering the last pick.
// Mirrors net/netfilter/ipvs/ip_vs_rr.c: `sched_data` points at the last picked dest (or the list
// head); a pick continues after it, wraps once, and stops after re-checking the last dest itself.
// Deleting the remembered dest moves the position to its predecessor (`ip_vs_rr_del_dest`).
// No randomness: a new service starts at the list head, so the first pick is dests[0].

import type { Dest } from '../dest.js';
import type { Service } from '../service.js';
import { type Decision, noDest, type SchedPacket, type Scheduler } from './scheduler.js';

/** Index of `d` in `svc.dests`, using `hint` when it still points at it. -1 for the head. */
export function posOf(svc: Service, d: Dest | null, hint: number): number {
  if (d === null) return -1;
  if (svc.dests[hint] === d) return hint;
  return svc.dests.indexOf(d);
}

export class RoundRobin implements Scheduler {
  readonly name = 'rr';
  /** Last picked dest; null = list head. */
  private last: Dest | null = null;
  private lastIdx = -1;

  destsChanged(svc: Service, dest: Dest | null, how: 'add' | 'del' | 'upd' | 'init'): void {
    if (how === 'del' && dest !== null && dest === this.last) {
      // The unlinked entry's successor's prev is the entry before it.
      const i = svc.removedIndex;
      this.last = i > 0 ? svc.dests[i - 1]! : null;
      this.lastIdx = i - 1;
    }
  }

  schedule(svc: Service, _p: SchedPacket, why: Decision): Dest | null {
    const ds = svc.dests;
    const n = ds.length;
    const lastPos = posOf(svc, this.last, this.lastIdx);
    // Pass 1: after `last` to the end. Pass 2 (only when not at the head): from the start through
    // `last` itself.
    for (let i = lastPos + 1; i < n; i++) {
      const d = ds[i]!;
      if (!d.overloaded && d.weight > 0) return this.hit(d, i, why);
    }
    if (lastPos >= 0) {
      for (let i = 0; i <= lastPos; i++) {
        const d = ds[i]!;
        if (!d.overloaded && d.weight > 0) return this.hit(d, i, why);
      }
    }
    return null;
  }

  private hit(d: Dest, i: number, why: Decision): Dest {
    this.last = d;
    this.lastIdx = i;
    why.a = i;
    return d;
  }

  done(): void {}

  explain(why: Decision, dest: Dest | null): string {
    if (dest === null) return noDest(this.name);
    return `rr: ${dest} is next in turn (position ${why.a}, weight ${why.weight})`;
  }
}

export const createRr = (): Scheduler => new RoundRobin();
