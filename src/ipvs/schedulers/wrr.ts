// wrr: the kernel's interleaved weighted round robin (net/netfilter/ipvs/ip_vs_wrr.c).
//
// State (`struct ip_vs_wrr_mark`): cl = current dest or list head, cw = current weight, mw = max
// weight - (di - 1), di = gcd of the positive weights. A pick scans forward from cl for a dest with
// weight >= cw; at the end of the list cw drops by di, and when cw reaches <= 0 it restarts at mw.
// With weights 4,3,2 (list order A,B,C) one cycle is A A B A B C A B C. Any add/del/edit of a dest
// resets cl to the head and adjusts cw (`ip_vs_wrr_dest_changed`).

import { gcd } from '../defs.js';
import type { Dest } from '../dest.js';
import type { Service } from '../service.js';
import { posOf } from './rr.js';
import { type Decision, noDest, type SchedPacket, type Scheduler } from './scheduler.js';

export class WeightedRoundRobin implements Scheduler {
  readonly name = 'wrr';
  private cl: Dest | null = null;
  private clIdx = -1;
  cw = 0;
  mw = 0;
  di = 1;

  private static gcdWeight(svc: Service): number {
    let g = 0;
    for (const d of svc.dests) {
      const w = d.weight;
      if (w > 0) g = g > 0 ? gcd(w, g) : w;
    }
    return g || 1;
  }

  private static maxWeight(svc: Service): number {
    let m = 0;
    for (const d of svc.dests) if (d.weight > m) m = d.weight;
    return m;
  }

  destsChanged(svc: Service, _dest: Dest | null, how: 'add' | 'del' | 'upd' | 'init'): void {
    this.cl = null;
    this.clIdx = -1;
    this.di = WeightedRoundRobin.gcdWeight(svc);
    this.mw = WeightedRoundRobin.maxWeight(svc) - (this.di - 1);
    if (how === 'init' || this.cw > this.mw || this.cw === 0) this.cw = this.mw;
    else if (this.di > 1) this.cw = Math.trunc(this.cw / this.di) * this.di + 1;
  }

  schedule(svc: Service, _p: SchedPacket, why: Decision): Dest | null {
    const ds = svc.dests;
    const n = ds.length;
    let pos = posOf(svc, this.cl, this.clIdx); // -1 = head
    if (this.mw === 0) return null; // err_noavail: cl stays
    const lastPos = pos;
    let stop = -2; // index of `stop`, -2 = none
    let lastPass = false;
    let restarted = false;
    for (;;) {
      for (let i = pos + 1; i < n; i++) {
        const d = ds[i]!;
        if (!d.overloaded && d.weight >= this.cw) {
          this.cl = d;
          this.clIdx = i;
          why.a = this.cw;
          return d;
        }
        if (i === stop) {
          this.cl = d; // err_over: cl = the stop dest
          this.clIdx = i;
          return null;
        }
      }
      pos = -1; // the iteration ended at the head
      this.cw -= this.di;
      if (this.cw <= 0) {
        this.cw = this.mw;
        if (lastPass || lastPos === -1) {
          this.cl = null; // err_over at the head
          this.clIdx = -1;
          return null;
        }
        restarted = true;
      }
      lastPass = this.cw <= this.di;
      if (lastPass && restarted && lastPos !== -1) stop = lastPos;
    }
  }

  done(): void {}

  explain(why: Decision, dest: Dest | null): string {
    if (dest === null) return noDest(this.name);
    return `wrr: ${dest} has weight ${why.weight} >= current weight ${why.a}`;
  }
}

export const createWrr = (): Scheduler => new WeightedRoundRobin();
