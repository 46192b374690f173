// fo: weighted fail over (net/netfilter/ipvs/ip_vs_fo.c): the non-overloaded dest with the highest
// weight (> 0); the first of equals in list order.

import type { Dest } from '../dest.js';
import type { Service } from '../service.js';
import { type Decision, noDest, type SchedPacket, type Scheduler } from './scheduler.js';

export class FailOver implements Scheduler {
  readonly name = 'fo';
  destsChanged(): void {}
  schedule(svc: Service, _p: SchedPacket, _why: Decision): Dest | null {
    let best: Dest | null = null;
    let hw = 0;
    for (const d of svc.dests) {
      if (!d.overloaded && d.weight > hw) {
        best = d;
        hw = d.weight;
      }
    }
    return best;
  }
  done(): void {}
  explain(why: Decision, dest: Dest | null): string {
    if (dest === null) return noDest(this.name);
    return `fo: ${dest} has the highest weight (${why.weight}) among available servers`;
  }
}

export const createFo = (): Scheduler => new FailOver();
