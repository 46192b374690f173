// A real server (struct ip_vs_dest): address, port, forwarding method, weight, thresholds, the
// connection counters the schedulers read, and statistics.
//
// Lifetime follows net/netfilter/ipvs/ip_vs_ctl.c: `ipvsadm -d` unlinks the dest from its service and
// clears AVAILABLE, but connections still bound to it keep it alive in the service's trash
// (`__ip_vs_del_dest` → `ip_vs_dest_trash`); adding the same address:port again takes it back from
// the trash with its counters (`ip_vs_trash_get_dest`). `refs` counts bindings (connections,
// templates) plus one while the dest is in a service.

import { ipv4ToString } from '../wire/ipv4-address.js';
import { DF, Fwd } from './defs.js';
import type { Service } from './service.js';

export class Dest {
  /** Index in `Ipvs.dests` (the connection table stores it). */
  readonly id: number;
  svc: Service | null;
  readonly addr: number;
  readonly port: number;
  fwd: Fwd = Fwd.Route;
  weight = 1;
  /** Last non-zero weight (`dest->last_weight`, used by mh to keep a quiesced dest's slots). */
  lastWeight = 0;
  /** Upper / lower connection thresholds (-x / -y), 0 = none. */
  uThreshold = 0;
  lThreshold = 0;
  /** DF.AVAILABLE | DF.OVERLOAD. */
  flags = 0;
  activeConns = 0;
  inactConns = 0;
  persistConns = 0;
  refs = 0;
  // Statistics (ip_vs_stats: conns, inpkts, outpkts, inbytes, outbytes).
  conns = 0;
  inPkts = 0;
  outPkts = 0;
  inBytes = 0;
  outBytes = 0;
  /** Cached source address for tunnelling (`dest_dst->dst_saddr`); -1 until a route was looked up. */
  tunSrc = -1;

  constructor(id: number, svc: Service, addr: number, port: number) {
    this.id = id;
    this.svc = svc;
    this.addr = addr >>> 0;
    this.port = port;
  }

  get available(): boolean {
    return (this.flags & DF.AVAILABLE) !== 0;
  }

  get overloaded(): boolean {
    return (this.flags & DF.OVERLOAD) !== 0;
  }

  /** `ip_vs_dest_conn_overhead`: activeconns * 256 + inactconns. */
  get overhead(): number {
    return this.activeConns * 256 + this.inactConns;
  }

  /** `ip_vs_dest_totalconns`: what the -x/-y thresholds compare against. */
  get totalConns(): number {
    return this.activeConns + this.inactConns;
  }

  /** "10.0.0.2:80" (for explanations; not on the hot path). */
  toString(): string {
    return `${ipv4ToString(this.addr)}:${this.port}`;
  }

  zeroStats(): void {
    this.conns = 0;
    this.inPkts = 0;
    this.outPkts = 0;
    this.inBytes = 0;
    this.outBytes = 0;
  }
}
