// ICMP error rate limiting of one namespace, as Linux 6.18 does it (net/ipv4/icmp.c, inetpeer.c,
// route.c `ip_error`), in jiffies of simulated time.
//
// Three token buckets, all deterministic given the seeded RNG:
// - Global (`icmp_global_allow` / `icmp_global_consume`, per namespace since 6.12): a credit of at most
//   `icmp_msgs_burst` (50). A message is allowed while the credit is > 0; at 0 or below the credit is
//   refilled by `icmp_msgs_per_sec · Δ / HZ` (Δ = jiffies since the last refill, at most HZ, and only
//   once Δ >= HZ/50). Every error actually sent consumes 0, 1 or 2 credits (`get_random_u32_below(3)`,
//   drawn here from the namespace's seeded stream), so the credit may go negative.
// - Per peer (`inet_peer_xrlim_allow`): tokens in jiffies, +1 per jiffy since the peer's last use,
//   capped at XRLIM_BURST_FACTOR (6) × `icmp_ratelimit`; a message costs `icmp_ratelimit` (1 s).
//   A new peer starts as if last used 60 s ago (full bucket).
// - `ip_error` (no route while forwarding) charges the *same* peer tokens first, with
//   `route.error_cost` (HZ) and a cap of `route.error_burst` (5·HZ), before `icmp_send` charges
//   `icmp_ratelimit` again. That is why eight unrouted pings 100 ms apart earn only two
//   net-unreachables from a router (router-two-subnets fixture): 5 → 4 → 3 s of tokens after the
//   first, 3.1 → 2.1 → 1.1 after the second, and the third finds 1.2 → 0.2 < 1 s.
//
// Which messages are limited: `icmpv4_mask_allow` — types in `icmp_ratemask` (0x1818: dest
// unreachable, source quench, time exceeded, parameter problem), except frag-needed (PMTU discovery is
// never limited). The global bucket is skipped when the offending packet came in on a loopback device;
// the per-peer bucket is skipped when the error leaves through a loopback device (an error to a local
// address), in which case it still consumes global credit (`icmpv4_xrlim_allow`).
//
// The same peers count fragments per source for ipfrag_max_dist (`rid`, defrag.ts).
//
// Peers (`inet_peer`) live in a per-namespace table keyed by address and are never collected: the
// kernel's GC only drops peers unused for 10 minutes, whose bucket would be full again anyway.
//
// Time: jiffies = floor(now / (1e9 / HZ)) with HZ = 250, the CONFIG_HZ of the kernel the fixtures were
// recorded on. `icmp_ratelimit` is written in milliseconds and kept in jiffies (msecs_to_jiffies rounds
// up); `route.error_cost` / `route.error_burst` are plain jiffies, as /proc shows them.

import { grownCapacity, NO_F64, NO_INDEX } from '../../core/lazy-columns.js';
import type { Rng } from '../../core/rng.js';

/** CONFIG_HZ of the recording kernel (6.18.44, CONFIG_HZ_250). */
export const HZ = 250;
const NS_PER_JIFFY = 1_000_000_000 / HZ;
/** XRLIM_BURST_FACTOR (include/net/inetpeer.h). */
export const XRLIM_BURST_FACTOR = 6;

/** Simulated nanoseconds → jiffies. */
export function jiffiesOf(ns: number): number {
  return Math.floor(ns / NS_PER_JIFFY);
}

/** `msecs_to_jiffies` for HZ 250 (rounds up). */
export function msecsToJiffies(ms: number): number {
  return Math.ceil((ms * HZ) / 1000);
}

/** `icmpv4_mask_allow`: true when (type, code) is never rate limited under `ratemask`. */
export function icmpMaskAllow(ratemask: number, type: number, code: number): boolean {
  if (type > 18) return true; // NR_ICMP_TYPES
  if (type === 3 && code === 4) return true; // don't limit PMTU discovery
  return ((1 << type) & ratemask) === 0;
}

/** The namespace's `inet_peer` base, reduced to the rate-limit fields (`rate_tokens`, `rate_last`). */
export class InetPeers {
  // Empty and shared until the first peer (src/core/lazy-columns.ts).
  private index = NO_INDEX;
  private tokens = NO_F64;
  private last = NO_F64;
  /** `peer->rid`: fragments seen from this source (ip_frag_too_far / ipfrag_max_dist). */
  private rid = NO_F64;
  private n = 0;

  get size(): number {
    return this.n;
  }

  /** `inet_getpeer_v4(..., create)`: the peer row for `addr`, created with a full-bucket history. */
  get(addr: number, nowJ: number): number {
    const r = this.index.get(addr);
    if (r !== undefined) return r;
    if (this.n === this.tokens.length) {
      const m = grownCapacity(this.n, 16);
      const t = new Float64Array(m);
      t.set(this.tokens);
      this.tokens = t;
      const l = new Float64Array(m);
      l.set(this.last);
      this.last = l;
      const d = new Float64Array(m);
      d.set(this.rid);
      this.rid = d;
    }
    if (this.index === NO_INDEX) this.index = new Map();
    const row = this.n++;
    this.tokens[row] = 0;
    this.rid[row] = 0;
    // "60*HZ is arbitrary, but chosen enough high so that the first calculation of tokens is at its
    // maximum."
    this.last[row] = nowJ - 60 * HZ;
    this.index.set(addr, row);
    return row;
  }

  /** `inet_peer_xrlim_allow(peer, timeout)`. */
  xrlimAllow(row: number, timeout: number, nowJ: number): boolean {
    let token = this.tokens[row]! + (nowJ - this.last[row]!);
    this.last[row] = nowJ;
    if (token > XRLIM_BURST_FACTOR * timeout) token = XRLIM_BURST_FACTOR * timeout;
    let rc = false;
    if (token >= timeout) {
      token -= timeout;
      rc = true;
    }
    this.tokens[row] = token;
    return rc;
  }

  /** The token arithmetic of `ip_error` (route.error_cost / route.error_burst). */
  errorAllow(row: number, cost: number, burst: number, nowJ: number): boolean {
    let token = this.tokens[row]! + (nowJ - this.last[row]!);
    if (token > burst) token = burst;
    this.last[row] = nowJ;
    let send = true;
    if (token >= cost) token -= cost;
    else send = false;
    this.tokens[row] = token;
    return send;
  }

  /** `atomic_inc_return(&peer->rid)`. */
  nextRid(row: number): number {
    const r = this.rid[row]! + 1;
    this.rid[row] = r;
    return r;
  }

  /** Tokens (jiffies) a peer holds now, without using it (tests). */
  tokensOf(addr: number): number | undefined {
    const r = this.index.get(addr);
    return r === undefined ? undefined : this.tokens[r];
  }
}

/** The per-namespace global bucket (`net->ipv4.icmp_global_credit` / `icmp_global_stamp`). */
export class IcmpGlobalBucket {
  credit = 0;
  /** Jiffies of the last refill; far in the past so the first refill is a full second's worth. */
  stamp = -(2 ** 40);

  /** `icmp_global_allow`. */
  allow(nowJ: number, msgsPerSec: number, burst: number): boolean {
    if (this.credit > 0) return true;
    let delta = nowJ - this.stamp;
    if (delta > HZ) delta = HZ;
    if (delta < Math.floor(HZ / 50)) return false;
    const incr = Math.floor((msgsPerSec * delta) / HZ);
    if (incr === 0) return false;
    this.stamp = nowJ;
    const c = this.credit + incr;
    this.credit = c < burst ? c : burst;
    return true;
  }

  /** `icmp_global_consume`: 0, 1 or 2 credits, uniformly. */
  consume(rng: Rng): void {
    this.credit -= rng.int(0, 2);
  }
}
