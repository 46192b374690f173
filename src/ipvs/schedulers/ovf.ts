// ovf: overflow-connection (net/netfilter/ipvs/ip_vs_ovf.c): the highest-weight dest whose
// activeconns do not exceed its weight (and weight > 0, not overloaded); the first of equals wins.

import type { Dest } from '../dest.js';
import type { Service } from '../service.js';
import { type Decision, noDest, type SchedPacket, type Scheduler } from './scheduler.js';

export class Overflow implements Scheduler {
  readonly name = 'ovf';
  destsChanged(): void {}
  schedule(svc: Service, _p: SchedPacket, _why: Decision): Dest | null {
    let h: Dest | null = null;
    let hw = 0;
    for (const d of svc.dests) {
      const w = d.weight;
      if (d.overloaded || d.activeConns > w || w === 0) continue;
      if (h === null || w > hw) {
        h = d;
        hw = w;
      }
    }
    return h;
  }
  done(): void {}
  explain(why: Decision, dest: Dest | null): string {
    if (dest === null) return noDest(this.name);
    return `ovf: ${dest} has the highest weight (${why.weight}) with ${why.act} active <= weight`;
  }
}

export const createOvf = (): Scheduler => new Overflow();
