// dh: destination hashing (net/netfilter/ipvs/ip_vs_dh.c). A 256-bucket table (IP_VS_DH_TAB_BITS 8)
// filled by `ip_vs_dh_reassign`: bucket i gets the dests in list order, one bucket each, wrapping
// (weights are ignored). The bucket is hash_32(ntohl(daddr), 8). A bucket whose dest is unavailable,
// has weight <= 0 or is overloaded yields no destination (no fallback). The table is rebuilt on
// add/del only (dh has no upd_dest), so weight edits keep the assignment.

import { DF, hash32 } from '../defs.js';
import type { Dest } from '../dest.js';
import type { Service } from '../service.js';
import { type Decision, noDest, type SchedPacket, type Scheduler } from './scheduler.js';

export const DH_TAB_BITS = 8;
export const DH_TAB_SIZE = 1 << DH_TAB_BITS;

export class DestHashing implements Scheduler {
  readonly name = 'dh';
  readonly buckets: Array<Dest | null> = new Array<Dest | null>(DH_TAB_SIZE).fill(null);

  destsChanged(svc: Service, _dest: Dest | null, how: 'add' | 'del' | 'upd' | 'init'): void {
    if (how === 'upd') return;
    const ds = svc.dests;
    let p = 0;
    for (let i = 0; i < DH_TAB_SIZE; i++) {
      if (ds.length === 0) {
        this.buckets[i] = null;
        continue;
      }
      if (p >= ds.length) p = 0;
      this.buckets[i] = ds[p]!;
      p++;
    }
  }

  schedule(_svc: Service, p: SchedPacket, why: Decision): Dest | null {
    const b = hash32(p.daddr, DH_TAB_BITS);
    why.a = b;
    const d = this.buckets[b]!;
    if (d === null || (d.flags & DF.AVAILABLE) === 0 || d.weight <= 0 || d.overloaded) return null;
    return d;
  }

  done(): void {}

  explain(why: Decision, dest: Dest | null): string {
    if (dest === null) return `dh: bucket ${why.a} has no available destination`;
    return `dh: destination address hashes to bucket ${why.a} -> ${dest}`;
  }
}

export const createDh = (): Scheduler => new DestHashing();
export { noDest };
