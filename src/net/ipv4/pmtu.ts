// Path MTU cache of one namespace: the next-hop exceptions (`struct fib_nh_exception`) that
// net/ipv4/route.c keeps per destination after an ICMP "fragmentation needed" (`__ip_rt_update_pmtu`,
// `update_or_create_fnhe`, `find_exception`, `ipv4_mtu`).
//
// Semantics (Linux 6.18):
// - An update for destination D through route R with MTU m (from the frag-needed's next-hop MTU field,
//   `ipv4_sk_update_pmtu` in the socket's error handler): ignored when R's MTU is locked (an exception
//   with the lock) or when m is larger than the current path MTU (never grows); below
//   `route.min_pmtu` (552) it becomes min(current, 552) **locked**; an identical unlocked value is not
//   refreshed until less than half of `route.mtu_expires` (600 s) is left. Otherwise the exception is
//   set to m and expires `mtu_expires` from now.
// - `ipv4_mtu`: the exception's PMTU while it has not expired, else the device MTU. `find_exception`
//   deletes an expired exception when it is met.
// - Exceptions hang off the route's next hop in Linux: deleting or replacing the route drops them. Here
//   an entry remembers the route id and that route's insertion sequence and is void when either no
//   longer matches (route ids are reused).
// - Forwarded packets ignore PMTU exceptions (`ip_dst_mtu_maybe_forward` with ip_forward_use_pmtu 0).
//
// Not modelled: `fib_sync_mtu` (lowering a device MTU below an exception's), `ip route flush cache`,
// exceptions learnt from redirects, route `mtu`/`mtu lock` metrics.
//
// Keyed by destination address in a Map with number keys; rows are typed-array columns reused through a
// free list. Lookups happen on route output only when the table is not empty.

import { grownCapacity, NO_F64, NO_I32, NO_INDEX, NO_U8, NO_U32 } from '../../core/lazy-columns.js';

/** The exceptions of one namespace. */
export class PmtuCache {
  // Empty and shared until the first exception (src/core/lazy-columns.ts): most namespaces never
  // learn one.
  private index = NO_INDEX;
  private daddr = NO_U32;
  private routeId = NO_I32;
  private routeSeq = NO_F64;
  private pmtuCol = NO_I32;
  private lockedCol = NO_U8;
  /** Expiry in jiffies (icmp-ratelimit.ts `jiffiesOf`), like `fnhe_expires`. */
  private expires = NO_F64;
  private readonly free: number[] = [];
  private n = 0;

  get size(): number {
    return this.index.size;
  }

  /**
   * `find_exception`: the row of a live exception for `daddr` through route (`routeId`, `seq`), or -1.
   * Expired or orphaned exceptions are deleted on the way.
   */
  find(daddr: number, routeId: number, seq: number, nowJ: number): number {
    const r = this.index.get(daddr);
    if (r === undefined) return -1;
    if (this.routeId[r] !== routeId || this.routeSeq[r] !== seq || nowJ >= this.expires[r]!) {
      this.remove(daddr, r);
      return -1;
    }
    return r;
  }

  pmtu(row: number): number {
    return this.pmtuCol[row]!;
  }
  locked(row: number): boolean {
    return this.lockedCol[row] === 1;
  }
  expiresAt(row: number): number {
    return this.expires[row]!;
  }

  /** `update_or_create_fnhe` (PMTU part). */
  set(daddr: number, routeId: number, seq: number, pmtu: number, locked: boolean, expiresJ: number): void {
    let r = this.index.get(daddr);
    if (r === undefined) {
      r = this.free.pop() ?? this.grow();
      if (this.index === NO_INDEX) this.index = new Map();
      this.index.set(daddr, r);
    }
    this.daddr[r] = daddr;
    this.routeId[r] = routeId;
    this.routeSeq[r] = seq;
    this.pmtuCol[r] = pmtu;
    this.lockedCol[r] = locked ? 1 : 0;
    this.expires[r] = expiresJ;
  }

  /** Every live exception's destination (config side: `ip route show cache`). */
  destinations(): number[] {
    return [...this.index.keys()];
  }

  private remove(daddr: number, r: number): void {
    this.index.delete(daddr);
    this.free.push(r);
  }

  private grow(): number {
    if (this.n === this.daddr.length) {
      const m = grownCapacity(this.n, 8);
      const g = <T extends Uint32Array | Int32Array | Float64Array | Uint8Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(m);
        b.set(a);
        return b;
      };
      this.daddr = g(this.daddr);
      this.routeId = g(this.routeId);
      this.routeSeq = g(this.routeSeq);
      this.pmtuCol = g(this.pmtuCol);
      this.lockedCol = g(this.lockedCol);
      this.expires = g(this.expires);
    }
    return this.n++;
  }
}
