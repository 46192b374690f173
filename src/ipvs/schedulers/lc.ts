// lc: least connections (net/netfilter/ipvs/ip_vs_lc.c). Overhead = activeconns * 256 + inactconns
// (`ip_vs_dest_conn_overhead`); dests with weight 0 or OVERLOAD are skipped; strict `<` keeps the first
// of equals in list order (newest dest first).

import type { Dest } from '../dest.js';
import type { Service } from '../service.js';
import { type Decision, noDest, type SchedPacket, type Scheduler } from './scheduler.js';

export class LeastConn implements Scheduler {
  readonly name = 'lc';

  destsChanged(): void {}

  schedule(svc: Service, _p: SchedPacket, why: Decision): Dest | null {
    let least: Dest | null = null;
    let loh = 0;
    for (const d of svc.dests) {
      if (d.overloaded || d.weight === 0) continue;
      const doh = d.overhead;
      if (least === null || doh < loh) {
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
    return `lc: ${dest} has ${why.act} active + ${why.inact} inactive (overhead ${why.a}), the least`;
  }
}

export const createLc = (): Scheduler => new LeastConn();
