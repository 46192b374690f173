// nq: never queue (net/netfilter/ipvs/ip_vs_nq.c): the first idle dest (activeconns == 0, weight > 0,
// not overloaded) in list order wins at once; otherwise the sed choice.

import type { Dest } from '../dest.js';
import type { Service } from '../service.js';
import { type Decision, noDest, type SchedPacket, type Scheduler } from './scheduler.js';

export class NeverQueue implements Scheduler {
  readonly name = 'nq';
  destsChanged(): void {}
  schedule(svc: Service, _p: SchedPacket, why: Decision): Dest | null {
    let least: Dest | null = null;
    let loh = 0;
    for (const d of svc.dests) {
      if (d.overloaded || d.weight === 0) continue;
      const doh = d.activeConns + 1;
      if (d.activeConns === 0) {
        why.code = 1; // idle
        why.a = doh;
        return d;
      }
      if (least === null || loh * d.weight > doh * least.weight) {
        least = d;
        loh = doh;
      }
    }
    why.a = loh;
    return least;
  }
  done(): void {}
  explain(why: Decision, dest: Dest | null): string {
    if (dest === null) return noDest(this.name);
    if (why.code === 1) return `nq: ${dest} is idle (0 active, weight ${why.weight})`;
    return `nq: no idle server; ${dest} has expected delay ${why.a}/${why.weight}, the shortest`;
  }
}

export const createNq = (): Scheduler => new NeverQueue();
