// A virtual service (struct ip_vs_service): protocol + VIP:port, or a firewall mark; scheduler,
// persistence, and its real servers in the kernel's list order.
//
// Order matters: `__ip_vs_update_dest` adds a new dest with `list_add_rcu`, i.e. at the HEAD of
// `svc->destinations`, so `dests[0]` is the most recently added one. rr/wrr/lc/wlc/... iterate that
// list, so ties and round-robin order follow it; `ipvsadm -L` sorts by address only for display.
//
// ServiceTable mirrors `ip_vs_service_find`: fwmark services are looked up first, then
// <protocol, addr, port>, then the port-zero catch-all. Keys are numbers in typed arrays (no Map with
// heap-number keys on the per-packet path).

import { ipv4ToString } from '../wire/ipv4-address.js';
import { PROTO_TCP } from './defs.js';
import type { Dest } from './dest.js';
import type { Scheduler } from './schedulers/scheduler.js';

/** What a scheduler may ask of its IPVS instance (timers, time). */
export interface SchedulerHost {
  readonly nowNs: number;
  /** Arms a scheduler timer for `svc` at `tNs` (lblc/lblcr garbage collection). */
  armSchedTimer(svc: Service, tNs: number): void;
  /** lblc_expiration / lblcr_expiration sysctls, ns. */
  readonly lblcExpirationNs: number;
  readonly lblcrExpirationNs: number;
}

export class Service {
  /** Index in `Ipvs.services` (stable while the service exists). */
  readonly id: number;
  readonly host: SchedulerHost;
  /** IPPROTO_TCP / IPPROTO_UDP (fwmark services carry TCP, as ipvsadm sets it). */
  readonly proto: number;
  readonly addr: number;
  readonly port: number;
  readonly fwmark: number;
  /** SF.* bits (persistent, one-packet, scheduler flags). */
  flags = 0;
  /** Persistence timeout, seconds (`svc->timeout / HZ`). */
  timeoutS = 0;
  /** Persistence granularity mask (-M), host order. */
  netmask = 0xffffffff;
  schedName = 'wlc';
  sched: Scheduler | null = null;
  /** Real servers, kernel list order (newest first). */
  readonly dests: Dest[] = [];
  /** Removed dests still referenced by connections (`ipvs->dest_trash`, per service here). */
  readonly trash: Dest[] = [];
  /** Index the dest being removed had in `dests` (read by rr's del_dest). */
  removedIndex = -1;
  /** Scheduler timer event id (lblc/lblcr), -1 when none. */
  schedTimer = -1;
  // Statistics.
  conns = 0;
  inPkts = 0;
  outPkts = 0;
  inBytes = 0;
  outBytes = 0;

  constructor(id: number, host: SchedulerHost, proto: number, addr: number, port: number, fwmark: number) {
    this.id = id;
    this.host = host;
    this.proto = proto;
    this.addr = addr >>> 0;
    this.port = port;
    this.fwmark = fwmark >>> 0;
  }

  /** "TCP 10.0.0.1:80" / "FWM 1" (explanations, errors). */
  toString(): string {
    if (this.fwmark) return `FWM ${this.fwmark}`;
    return `${this.proto === PROTO_TCP ? 'TCP' : 'UDP'} ${ipv4ToString(this.addr)}:${this.port}`;
  }

  /** `ip_vs_lookup_dest`: a dest of this service by address and port, or null. */
  findDest(addr: number, port: number): Dest | null {
    const a = addr >>> 0;
    for (const d of this.dests) if (d.addr === a && d.port === port) return d;
    return null;
  }

  zeroStats(): void {
    this.conns = 0;
    this.inPkts = 0;
    this.outPkts = 0;
    this.inBytes = 0;
    this.outBytes = 0;
  }
}

const EMPTY = -1;
const TOMB = -2;

/** Open-addressed index of services by <proto, addr, port> and by fwmark; values are service ids. */
export class ServiceTable {
  private keyA = new Int32Array(64); // addr or fwmark, as int32
  private keyB = new Int32Array(64); // (kind << 24) | (proto << 16) | port ; kind 1 = addr, 2 = fwmark
  private val = new Int32Array(64).fill(EMPTY);
  private mask = 63;
  private used = 0;
  /** Number of port-zero services (`nullsvc_counter`), fwmark services (`fwm_services`), ftp. */
  nullSvc = 0;
  fwmSvc = 0;
  ftpSvc = 0;

  private static keyB(kind: number, proto: number, port: number): number {
    return (kind << 24) | (proto << 16) | port;
  }

  private slot(a: number, b: number): number {
    let h = Math.imul(a ^ Math.imul(b, 0x9e3779b1), 0x85ebca6b);
    h ^= h >>> 15;
    return h & this.mask;
  }

  private find(a: number, b: number): number {
    let i = this.slot(a, b);
    for (;;) {
      const v = this.val[i]!;
      if (v === EMPTY) return -1;
      if (v !== TOMB && this.keyA[i] === a && this.keyB[i] === b) return i;
      i = (i + 1) & this.mask;
    }
  }

  private insert(a: number, b: number, id: number): void {
    if ((this.used + 1) * 2 > this.mask + 1) this.grow();
    let i = this.slot(a, b);
    while (this.val[i]! >= 0) i = (i + 1) & this.mask;
    if (this.val[i] === EMPTY) this.used++;
    this.keyA[i] = a;
    this.keyB[i] = b;
    this.val[i] = id;
  }

  private grow(): void {
    const oa = this.keyA;
    const ob = this.keyB;
    const ov = this.val;
    const cap = (this.mask + 1) * 2;
    this.keyA = new Int32Array(cap);
    this.keyB = new Int32Array(cap);
    this.val = new Int32Array(cap).fill(EMPTY);
    this.mask = cap - 1;
    this.used = 0;
    for (let i = 0; i < ov.length; i++) if (ov[i]! >= 0) this.insert(oa[i]!, ob[i]!, ov[i]!);
  }

  add(svc: Service): void {
    if (svc.fwmark) {
      this.insert(svc.fwmark | 0, ServiceTable.keyB(2, 0, 0), svc.id);
      this.fwmSvc++;
    } else {
      this.insert(svc.addr | 0, ServiceTable.keyB(1, svc.proto, svc.port), svc.id);
      if (svc.port === 0) this.nullSvc++;
      if (svc.port === 21 && svc.proto === PROTO_TCP) this.ftpSvc++;
    }
  }

  remove(svc: Service): void {
    const i = svc.fwmark
      ? this.find(svc.fwmark | 0, ServiceTable.keyB(2, 0, 0))
      : this.find(svc.addr | 0, ServiceTable.keyB(1, svc.proto, svc.port));
    if (i < 0) return;
    this.val[i] = TOMB;
    if (svc.fwmark) this.fwmSvc--;
    else {
      if (svc.port === 0) this.nullSvc--;
      if (svc.port === 21 && svc.proto === PROTO_TCP) this.ftpSvc--;
    }
  }

  /** Exact lookup by <proto, addr, port> (`__ip_vs_service_find`); -1 when absent. */
  byAddr(proto: number, addr: number, port: number): number {
    const i = this.find(addr | 0, ServiceTable.keyB(1, proto, port));
    return i < 0 ? -1 : this.val[i]!;
  }

  /** Lookup by fwmark (`__ip_vs_svc_fwm_find`); -1 when absent. */
  byMark(mark: number): number {
    const i = this.find(mark | 0, ServiceTable.keyB(2, 0, 0));
    return i < 0 ? -1 : this.val[i]!;
  }

  /**
   * `ip_vs_service_find`: fwmark first, then <proto, addr, port>, then (TCP with an FTP service) port
   * 21 for FTP data, then the port-zero catch-all.
   */
  lookup(mark: number, proto: number, addr: number, port: number): number {
    if (mark !== 0 && this.fwmSvc > 0) {
      const s = this.byMark(mark);
      if (s >= 0) return s;
    }
    let s = this.byAddr(proto, addr, port);
    if (s < 0 && proto === PROTO_TCP && this.ftpSvc > 0 && (port === 20 || port >= 1024)) {
      s = this.byAddr(proto, addr, 21);
    }
    if (s < 0 && this.nullSvc > 0) s = this.byAddr(proto, addr, 0);
    return s;
  }

  clear(): void {
    this.val.fill(EMPTY);
    this.used = 0;
    this.nullSvc = 0;
    this.fwmSvc = 0;
    this.ftpSvc = 0;
  }
}
