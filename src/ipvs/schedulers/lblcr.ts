// lblcr: locality-based least connections with replication (net/netfilter/ipvs/ip_vs_lblcr.c).
//
// Each destination address maps to a *set* of servers (newest first). The least-loaded usable member
// (weight > 0, available, not OVERLOAD; wlc comparison) serves; when the set has more than one member
// and was not modified for lblcr_expiration (default 24 h), the most-loaded member is dropped. If the
// chosen member is lblc-overloaded (or none is usable) the wlc core picks a server and adds it to the
// set. Periodic expiry as lblc (`ip_vs_lblcr_check_expire`).

import type { Dest } from '../dest.js';
import type { Service } from '../service.js';
import { CHECK_EXPIRE_INTERVAL_NS, LocalityTable, lblcOverloaded } from './lblc.js';
import { type Decision, noDest, type SchedPacket, type Scheduler } from './scheduler.js';
import { wlcPick } from './wlc.js';

/** A destination set (struct ip_vs_dest_set): members newest first, last modification time. */
export class DestSet {
  readonly members: Dest[] = [];
  lastmod = 0;

  insert(d: Dest, check: boolean, now: number): void {
    if (check && this.members.includes(d)) return;
    this.members.unshift(d);
    this.lastmod = now;
  }

  erase(d: Dest, now: number): void {
    const i = this.members.indexOf(d);
    if (i < 0) return;
    this.members.splice(i, 1);
    this.lastmod = now;
  }

  /** `ip_vs_dest_set_min`. */
  min(): Dest | null {
    const m = this.members;
    let i = 0;
    let least: Dest | null = null;
    let loh = 0;
    for (; i < m.length; i++) {
      const d = m[i]!;
      if (d.overloaded) continue;
      if (d.weight > 0 && d.available) {
        least = d;
        loh = d.overhead;
        break;
      }
    }
    if (least === null) return null;
    for (i++; i < m.length; i++) {
      const d = m[i]!;
      if (d.overloaded) continue;
      const doh = d.overhead;
      if (loh * d.weight > doh * least.weight && d.available) {
        least = d;
        loh = doh;
      }
    }
    return least;
  }

  /** `ip_vs_dest_set_max`. */
  max(): Dest | null {
    const m = this.members;
    let i = 0;
    let most: Dest | null = null;
    let moh = 0;
    for (; i < m.length; i++) {
      const d = m[i]!;
      if (d.weight > 0) {
        most = d;
        moh = d.overhead;
        break;
      }
    }
    if (most === null) return null;
    for (i++; i < m.length; i++) {
      const d = m[i]!;
      const doh = d.overhead;
      if (moh * d.weight < doh * most.weight && d.weight > 0) {
        most = d;
        moh = doh;
      }
    }
    return most;
  }
}

export class LocalityBasedLeastConnRepl implements Scheduler {
  readonly name = 'lblcr';
  readonly table = new LocalityTable<DestSet>();
  private timerArmed = false;

  destsChanged(svc: Service, _dest: Dest | null, how: 'add' | 'del' | 'upd' | 'init'): void {
    if (how === 'init' && !this.timerArmed) {
      this.timerArmed = true;
      svc.host.armSchedTimer(svc, svc.host.nowNs + CHECK_EXPIRE_INTERVAL_NS);
    }
  }

  onTimer(svc: Service, now: number): void {
    const exp = svc.host.lblcrExpirationNs;
    // full check: keep while lastuse + expiration is after now (time_after)
    this.table.periodic(now, (row) => !(this.table.lastuse[row]! + exp > now));
    svc.host.armSchedTimer(svc, now + CHECK_EXPIRE_INTERVAL_NS);
  }

  schedule(svc: Service, p: SchedPacket, why: Decision): Dest | null {
    const t = this.table;
    const now = p.now;
    const e = t.get(p.daddr);
    if (e >= 0) {
      t.lastuse[e] = now;
      const set = t.value[e]!;
      let dest = set.min();
      if (set.members.length > 1 && now > set.lastmod + svc.host.lblcrExpirationNs) {
        const m = set.max();
        if (m !== null) set.erase(m, now);
      }
      if (dest !== null && !lblcOverloaded(dest, svc)) {
        why.code = 1;
        why.a = set.members.length;
        return dest;
      }
      dest = wlcPick(svc, why);
      if (dest === null) return null;
      set.insert(dest, true, now);
      why.code = 2;
      why.b = set.members.length;
      return dest;
    }
    const dest = wlcPick(svc, why);
    if (dest === null) return null;
    if (t.entries > t.maxSize) return dest;
    const set = new DestSet(); // one per new destination address (not per packet)
    set.insert(dest, false, now);
    t.add(p.daddr, set, now);
    return dest;
  }

  done(): void {}

  explain(why: Decision, dest: Dest | null): string {
    if (dest === null) return noDest(this.name);
    if (why.code === 1)
      return `lblcr: ${dest} is the least loaded of the ${why.a} servers cached for this destination`;
    if (why.code === 2) return `lblcr: cached servers overloaded; added ${dest} (set now ${why.b})`;
    return `lblcr: new destination address; ${dest} has the least weighted load`;
  }
}

export const createLblcr = (): Scheduler => new LocalityBasedLeastConnRepl();
