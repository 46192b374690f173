// lblc: locality-based least connections (net/netfilter/ipvs/ip_vs_lblc.c).
//
// A cache maps a destination address to a real server (1024 hash buckets, hash_32(daddr, 10), newest
// entry first in a bucket). A cached server is reused while it is available, has weight > 0 and is
// not "overloaded" in lblc's sense: activeconns > weight while some dest has activeconns * 2 < weight.
// Otherwise the wlc core picks and the entry is replaced (`ip_vs_lblc_new`: at most max_size =
// 1024 * 16 entries).
//
// Expiry is the kernel's periodic timer (`ip_vs_lblc_check_expire`, every 60 s): every 30th run
// (counter % 30 == 0, the first at 30 min) a full check drops entries unused for lblc_expiration
// (default 24 h); otherwise, when the table holds more than max_size entries, entries unused for
// 6 min are dropped until (entries - max_size) * 4/3 (at most max_size / 2) are gone, resuming at the
// rover bucket.

import { hash32, NS_PER_S } from '../defs.js';
import type { Dest } from '../dest.js';
import type { Service } from '../service.js';
import { type Decision, noDest, type SchedPacket, type Scheduler } from './scheduler.js';
import { wlcPick } from './wlc.js';

export const LBLC_TAB_BITS = 10;
export const LBLC_TAB_SIZE = 1 << LBLC_TAB_BITS;
const LBLC_TAB_MASK = LBLC_TAB_SIZE - 1;
export const CHECK_EXPIRE_INTERVAL_NS = 60 * NS_PER_S;
export const ENTRY_TIMEOUT_NS = 6 * 60 * NS_PER_S;
export const DEFAULT_EXPIRATION_S = 24 * 60 * 60;
const COUNT_FOR_FULL_EXPIRATION = 30;

/** lblc's overload test (`is_overloaded` in ip_vs_lblc.c / ip_vs_lblcr.c). */
export function lblcOverloaded(dest: Dest, svc: Service): boolean {
  if (dest.activeConns > dest.weight) {
    for (const d of svc.dests) if (d.activeConns * 2 < d.weight) return true;
  }
  return false;
}

/** Entry rows in a small structure of arrays; `next` chains a bucket (-1 ends). */
export class LocalityTable<V> {
  readonly head = new Int32Array(LBLC_TAB_SIZE).fill(-1);
  addr = new Int32Array(64); // int32 addresses (see connection.ts)
  next = new Int32Array(64);
  lastuse = new Float64Array(64);
  value: Array<V | null> = new Array<V | null>(64).fill(null);
  private free = -1;
  private top = 0;
  entries = 0;
  readonly maxSize = LBLC_TAB_SIZE * 16;
  rover = 0;
  counter = 1;

  static bucket(addr: number): number {
    return hash32(addr, LBLC_TAB_BITS);
  }

  get(addr: number): number {
    const a = addr | 0;
    for (let e = this.head[LocalityTable.bucket(a)]!; e >= 0; e = this.next[e]!) {
      if (this.addr[e] === a) return e;
    }
    return -1;
  }

  /** Adds at the bucket head (hlist_add_head_rcu); returns the row. */
  add(addr: number, v: V, now: number): number {
    let e = this.free;
    if (e >= 0) this.free = this.next[e]!;
    else {
      if (this.top === this.addr.length) this.grow();
      e = this.top++;
    }
    const b = LocalityTable.bucket(addr);
    this.addr[e] = addr;
    this.lastuse[e] = now;
    this.value[e] = v;
    this.next[e] = this.head[b]!;
    this.head[b] = e;
    this.entries++;
    return e;
  }

  del(e: number): void {
    const b = LocalityTable.bucket(this.addr[e]!);
    let p = -1;
    for (let x = this.head[b]!; x >= 0; p = x, x = this.next[x]!) {
      if (x !== e) continue;
      if (p < 0) this.head[b] = this.next[x]!;
      else this.next[p] = this.next[x]!;
      this.value[e] = null;
      this.next[e] = this.free;
      this.free = e;
      this.entries--;
      return;
    }
  }

  /** Removes entries of bucket `b` for which `stale(row)` holds; returns how many. */
  sweepBucket(b: number, stale: (row: number) => boolean): number {
    let n = 0;
    for (let x = this.head[b]!; x >= 0; ) {
      const nx = this.next[x]!;
      if (stale(x)) {
        this.del(x);
        n++;
      }
      x = nx;
    }
    return n;
  }

  /**
   * The periodic check (`ip_vs_lblc_check_expire` / `ip_vs_lblcr_check_expire`). `expirationNs` is
   * the sysctl; `fullStale(row)` decides expiry in a full check (lblc and lblcr compare differently
   * at equality, as the kernel does).
   */
  periodic(now: number, fullStale: (row: number) => boolean): void {
    if (this.counter % COUNT_FOR_FULL_EXPIRATION === 0) {
      let j = this.rover;
      for (let i = 0; i < LBLC_TAB_SIZE; i++) {
        j = (j + 1) & LBLC_TAB_MASK;
        this.sweepBucket(j, fullStale);
      }
      this.rover = j;
      this.counter = 1;
      return;
    }
    if (this.entries <= this.maxSize) {
      this.counter++;
      return;
    }
    let goal = Math.trunc(((this.entries - this.maxSize) * 4) / 3);
    if (goal > this.maxSize / 2) goal = Math.trunc(this.maxSize / 2);
    let j = this.rover;
    for (let i = 0; i < LBLC_TAB_SIZE; i++) {
      j = (j + 1) & LBLC_TAB_MASK;
      goal -= this.sweepBucket(j, (row) => !(now < this.lastuse[row]! + ENTRY_TIMEOUT_NS));
      if (goal <= 0) break;
    }
    this.rover = j;
  }

  private grow(): void {
    const cap = this.addr.length * 2;
    const a = new Int32Array(cap);
    a.set(this.addr);
    this.addr = a;
    const n = new Int32Array(cap);
    n.set(this.next);
    this.next = n;
    const l = new Float64Array(cap);
    l.set(this.lastuse);
    this.lastuse = l;
    for (let i = this.value.length; i < cap; i++) this.value.push(null);
  }
}

export class LocalityBasedLeastConn implements Scheduler {
  readonly name = 'lblc';
  readonly table = new LocalityTable<Dest>();
  private timerArmed = false;

  destsChanged(svc: Service, _dest: Dest | null, how: 'add' | 'del' | 'upd' | 'init'): void {
    if (how === 'init' && !this.timerArmed) {
      this.timerArmed = true;
      svc.host.armSchedTimer(svc, svc.host.nowNs + CHECK_EXPIRE_INTERVAL_NS);
    }
  }

  /** Timer handler: one periodic check, then re-arm 60 s later. */
  onTimer(svc: Service, now: number): void {
    const exp = svc.host.lblcExpirationNs;
    // full check: keep while now < lastuse + expiration (time_before)
    this.table.periodic(now, (row) => !(now < this.table.lastuse[row]! + exp));
    svc.host.armSchedTimer(svc, now + CHECK_EXPIRE_INTERVAL_NS);
  }

  schedule(svc: Service, p: SchedPacket, why: Decision): Dest | null {
    const t = this.table;
    const e = t.get(p.daddr);
    if (e >= 0) {
      t.lastuse[e] = p.now;
      const d = t.value[e]!;
      if (d.available && d.weight > 0 && !lblcOverloaded(d, svc)) {
        why.code = 1;
        return d;
      }
    }
    const dest = wlcPick(svc, why);
    if (dest === null) return null;
    why.code = e >= 0 ? 2 : 0;
    // ip_vs_lblc_new
    if (e >= 0) {
      if (t.value[e] === dest) return dest;
      t.del(e);
    }
    if (t.entries > t.maxSize) return dest;
    t.add(p.daddr, dest, p.now);
    return dest;
  }

  done(): void {}

  explain(why: Decision, dest: Dest | null): string {
    if (dest === null) return noDest(this.name);
    if (why.code === 1) return `lblc: destination address cached on ${dest} (not overloaded)`;
    const pre = why.code === 2 ? 'cached server unusable; ' : '';
    return `lblc: ${pre}${dest} has ${why.act} active / weight ${why.weight}, the least (now cached)`;
  }
}

export const createLblc = (): Scheduler => new LocalityBasedLeastConn();
export const DEFAULT_LBLC_EXPIRATION_S = DEFAULT_EXPIRATION_S;
