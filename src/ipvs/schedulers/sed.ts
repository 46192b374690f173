// sed: shortest expected delay (net/netfilter/ipvs/ip_vs_sed.c): like wlc but the overhead is
// activeconns + 1 (inactive connections are ignored), compared by cross-multiplication with weights.

import type { Dest } from '../dest.js';
import type { Service } from '../service.js';
import { type Decision, noDest, type SchedPacket, type Scheduler } from './scheduler.js';

export class ShortestExpectedDelay implements Scheduler {
  readonly name = 'sed';
  destsChanged(): void {}
  schedule(svc: Service, _p: SchedPacket, why: Decision): Dest | null {
    const ds = svc.dests;
    const n = ds.length;
    let i = 0;
    let least: Dest | null = null;
    let loh = 0;
    for (; i < n; i++) {
      const d = ds[i]!;
      if (!d.overloaded && d.weight > 0) {
        least = d;
        loh = d.activeConns + 1;
        break;
      }
    }
    if (least === null) return null;
    for (i++; i < n; i++) {
      const d = ds[i]!;
      if (d.overloaded) continue;
      const doh = d.activeConns + 1;
      if (loh * d.weight > doh * least.weight) {
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
    return `sed: ${dest} has expected delay (${why.act} active + 1) / weight ${why.weight} = ${why.a}/${why.weight}, the shortest`;
  }
}

export const createSed = (): Scheduler => new ShortestExpectedDelay();
