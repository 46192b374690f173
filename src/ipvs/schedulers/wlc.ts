// wlc: weighted least connections (net/netfilter/ipvs/ip_vs_wlc.c), the default scheduler.
// The first non-overloaded dest with weight > 0 seeds `least`; every later non-overloaded dest
// replaces it when loh * dest.weight > doh * least.weight (the kernel's cross-multiplication, s64 in
// the kernel; exact here below 2^53). A weight-0 dest can never win that comparison.

import type { Dest } from '../dest.js';
import type { Service } from '../service.js';
import { type Decision, noDest, type SchedPacket, type Scheduler } from './scheduler.js';

/** The shared wlc core (also lblc/lblcr's `__ip_vs_lblc_schedule`). */
export function wlcPick(svc: Service, why: Decision): Dest | null {
  const ds = svc.dests;
  const n = ds.length;
  let i = 0;
  let least: Dest | null = null;
  let loh = 0;
  for (; i < n; i++) {
    const d = ds[i]!;
    if (!d.overloaded && d.weight > 0) {
      least = d;
      loh = d.overhead;
      break;
    }
  }
  if (least === null) return null;
  for (i++; i < n; i++) {
    const d = ds[i]!;
    if (d.overloaded) continue;
    const doh = d.overhead;
    if (loh * d.weight > doh * least.weight) {
      least = d;
      loh = doh;
    }
  }
  why.a = loh;
  return least;
}

export class WeightedLeastConn implements Scheduler {
  readonly name = 'wlc';
  destsChanged(): void {}
  schedule(svc: Service, _p: SchedPacket, why: Decision): Dest | null {
    return wlcPick(svc, why);
  }
  done(): void {}
  explain(why: Decision, dest: Dest | null): string {
    if (dest === null) return noDest(this.name);
    return `wlc: ${dest} has ${why.act} active / weight ${why.weight} (overhead ${why.a}/${why.weight}), the least`;
  }
}

export const createWlc = (): Scheduler => new WeightedLeastConn();
