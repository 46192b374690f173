// sh: source hashing (net/netfilter/ipvs/ip_vs_sh.c). 256 buckets (IP_VS_SH_TAB_BITS 8) filled by
// `ip_vs_sh_reassign`: walking the dest list in order, each dest takes `weight` consecutive buckets
// (at least one, so a weight-0 dest still owns a bucket), wrapping until all 256 are assigned.
// Bucket = (offset + hash_32(ntohs(port) + ntohl(saddr), 8)) & 255, port 0 unless sh-port (-b
// sh-port, SCHED2). Without sh-fallback (SCHED1) an unavailable bucket (weight <= 0 or overloaded)
// gives no destination; with it, offsets 0..255 from the original bucket are probed in turn
// (`ip_vs_sh_get_fallback`).

import { hash32, SCHED_FALLBACK, SCHED_PORT } from '../defs.js';
import type { Dest } from '../dest.js';
import type { Service } from '../service.js';
import { type Decision, noDest, type SchedPacket, type Scheduler } from './scheduler.js';

export const SH_TAB_BITS = 8;
export const SH_TAB_SIZE = 1 << SH_TAB_BITS;
const SH_TAB_MASK = SH_TAB_SIZE - 1;

function unavailable(d: Dest): boolean {
  return d.weight <= 0 || d.overloaded;
}

export class SourceHashing implements Scheduler {
  readonly name = 'sh';
  readonly buckets: Array<Dest | null> = new Array<Dest | null>(SH_TAB_SIZE).fill(null);

  /** `ip_vs_sh_hashkey`. */
  static hashkey(addr: number, port: number, offset: number): number {
    return (offset + hash32((port + addr) | 0, SH_TAB_BITS)) & SH_TAB_MASK;
  }

  destsChanged(svc: Service): void {
    const ds = svc.dests;
    let p = 0;
    let count = 0;
    for (let i = 0; i < SH_TAB_SIZE; i++) {
      if (ds.length === 0) {
        this.buckets[i] = null;
        continue;
      }
      if (p >= ds.length) p = 0;
      const d = ds[p]!;
      this.buckets[i] = d;
      if (++count >= d.weight) {
        p++;
        count = 0;
      }
    }
  }

  schedule(svc: Service, p: SchedPacket, why: Decision): Dest | null {
    const port = svc.flags & SCHED_PORT ? p.sport : 0;
    const ihash = SourceHashing.hashkey(p.saddr, port, 0);
    why.a = ihash;
    const d = this.buckets[ihash]!;
    if (d === null) return null;
    if (!unavailable(d)) return d;
    if ((svc.flags & SCHED_FALLBACK) === 0) return null;
    for (let off = 0; off < SH_TAB_SIZE; off++) {
      const roff = (off + ihash) % SH_TAB_SIZE;
      const h = SourceHashing.hashkey(p.saddr, port, roff);
      const e = this.buckets[h]!;
      if (e === null) break;
      if (!unavailable(e)) {
        why.code = 1;
        why.b = h;
        return e;
      }
    }
    return null;
  }

  done(): void {}

  explain(why: Decision, dest: Dest | null): string {
    if (dest === null) return `sh: bucket ${why.a} has no available destination`;
    if (why.code === 1) return `sh: bucket ${why.a} unavailable, fallback to bucket ${why.b} -> ${dest}`;
    return `sh: source hashes to bucket ${why.a} -> ${dest}`;
  }
}

export const createSh = (): Scheduler => new SourceHashing();
export { noDest };
