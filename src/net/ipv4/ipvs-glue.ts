// IPVS in the IPv4 packet path: the netfilter hooks of net/netfilter/ipvs/ip_vs_core.c (`ip_vs_ops4`)
// and what ip_vs_xmit.c does after rewriting a packet.
//
// Where IPVS sits (src/netfilter/hooks.ts HOOK_ORDER, pseudo-tables at the kernel's priorities):
//   LOCAL_IN   filter 0 → ip_vs_out_hook (NAT_SRC-2 = 98) → ip_vs_in_hook (99) → nat SNAT 100 → confirm
//   FORWARD    filter 0 → ip_vs_forward_icmp (99) → ip_vs_out_hook (100)
//   LOCAL_OUT  nat DNAT −100 → ip_vs_out_hook (−99) → ip_vs_in_hook (−98) → filter 0
// so the filter table sees requests to the VIP before IPVS schedules them (INPUT rules apply to IPVS
// traffic) and masq replies still carry the real server's address in FORWARD's filter table.
//
// Transmission (ip_vs_nat_xmit / ip_vs_dr_xmit / ip_vs_tunnel_xmit): `Ipvs.schedule` rewrites the frame
// (DNAT, TTL−1, IPIP header); this glue routes it to the real server (__ip_vs_get_out_rt), sets
// skb->ipvs_property (`pool.ipvs[h] = 1`) and the conntrack state (ip_vs_notrack /
// ip_vs_update_conntrack / ip_vs_confirm_conntrack + nf_reset_ct), and returns Verdict.Stolen with the
// frame parked in `stack.ipvsStolen`. The IPv4 layer's `nfPass` then sends it as
// NF_HOOK(LOCAL_OUT) → dst_output does (`ip_vs_send_or_cont`): LOCAL_OUT and POSTROUTING run again,
// IPVS lets the frame pass because of ipvs_property, and neighbour output puts the next hop's MAC on
// it — for DR that is the real server's MAC through the output device's neighbour table. Sending after
// the traversal returned (rather than from inside it) keeps `Netfilter.run` non-reentrant.
//
// Conntrack (Documentation/networking/ipvs-sysctl.rst `conntrack`; ip_vs_nfct.c):
//   conntrack=0: packets IPVS handles become untracked (their unconfirmed entry is released), so no
//                conntrack entry is kept for IPVS connections;
//   conntrack=1: a masq connection's entry gets its reply tuple altered to the real server
//                (ip_vs_update_conntrack) before confirmation, so SNAT/MASQUERADE in POSTROUTING binds
//                on top of IPVS's DNAT (Docker's ingress relies on this) and the real server's replies
//                are found as the connection's reply direction.
//
// ICMP errors from the real servers' side about masq connections are rewritten (ip_vs_out_icmp →
// Ipvs.replyIcmp). Not modelled: errors from the client's side (ip_vs_in_icmp, ip_vs_forward_icmp: they
// pass unchanged), the pkt_type check of ip_vs_in_hook (only unicast to a local address reaches it here),
// snat_reroute (ip_route_me_harder after the reply rewrite: routing here is by destination only), PMTU
// handling for tunnelled packets, and the `local` variants of the xmit functions for a tunnelled real
// server that is a local address.

import { CF, Fwd, IpvsVerdict } from '../../ipvs/defs.js';
import { Ipvs, IpvsCtx } from '../../ipvs/ipvs.js';
import { conntrackIfAny } from '../../netfilter/conntrack/conntrack.js';
import { RowUse } from '../../netfilter/conntrack/table.js';
import { CT_UNTRACKED, CtInfo, Dir, TupleScratch } from '../../netfilter/conntrack/tuple.js';
import type { PacketCtx } from '../../netfilter/context.js';
import { Hook } from '../../netfilter/hook-id.js';
import { type IpvsNfHook, type Netfilter, netfilterOf } from '../../netfilter/hooks.js';
import { Verdict } from '../../netfilter/verdict.js';
import { DevKind } from '../device.js';
import { Drop } from '../drop-reason.js';
import type { Namespace } from '../namespace.js';
import { RTN } from './fib.js';
import type { Ipv4Stack } from './stack.js';

const IPPROTO_ICMP = 1;
const ICMP_DEST_UNREACH = 3;
const ICMP_TIME_EXCEEDED = 11;
const ICMP_HOST_UNREACH = 1;
const ICMP_PORT_UNREACH = 3;
const ICMP_FRAG_NEEDED = 4;

export class IpvsHooks implements IpvsNfHook {
  private readonly ictx = new IpvsCtx();
  private readonly tup = new TupleScratch();

  constructor(
    readonly ns: Namespace,
    readonly ipvs: Ipvs,
    readonly stack: Ipv4Stack,
    readonly nf: Netfilter,
  ) {}

  /** `ip_vs_out_hook`: masq replies from a real server get VIP:vport as their source. */
  outHook(_hook: number, ctx: PacketCtx): number {
    const pool = this.ns.world.pool;
    const h = ctx.h;
    if (pool.ipvs[h] !== 0 || !this.ipvs.active) return Verdict.Accept;
    const ic = this.ictx;
    // ip_vs_out_icmp for ICMP; handle_response for TCP/UDP
    const v =
      ctx.proto === IPPROTO_ICMP
        ? this.ipvs.replyIcmp(h, ctx.l3Off, ic)
        : this.ipvs.replyOut(h, ctx.l3Off, ic);
    if (v === IpvsVerdict.Drop) return Verdict.Drop;
    if (v === IpvsVerdict.Accept) return Verdict.Accept;
    if (v === IpvsVerdict.DropIcmpPortUnreach) {
      // nat_icmp_send: a real server's packet with no connection entry
      this.stack.icmpSend(h, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0);
      return Verdict.Drop;
    }
    // handle_response (after_nat): ipvs_property, then conntrack
    pool.ipvs[h] = 1;
    if (ic.notrack) this.notrack(h);
    else this.updateConntrack(h, ic.conn, false);
    this.reload(ctx);
    return Verdict.Accept;
  }

  /** `ip_vs_in_hook` (LOCAL_IN, LOCAL_OUT) and `ip_vs_forward_icmp` (FORWARD). */
  inHook(hook: number, ctx: PacketCtx): number {
    const pool = this.ns.world.pool;
    const h = ctx.h;
    if (pool.ipvs[h] !== 0) return Verdict.Accept;
    // ip_vs_forward_icmp / ip_vs_in_icmp: ICMP errors about IPVS connections are not modelled.
    if (hook === Hook.Forward || ctx.proto === IPPROTO_ICMP) return Verdict.Accept;
    const ipvs = this.ipvs;
    if (!ipvs.active) return Verdict.Accept;
    const ic = this.ictx;
    // "Do not schedule replies from local real server": skb->dev unset or loopback.
    const dev = ctx.inDev >= 0 ? this.ns.world.devices[ctx.inDev] : undefined;
    ic.localOut = hook === Hook.LocalOut || (dev !== undefined && dev.kind === DevKind.Loopback);
    ic.ctConfirmed = this.ctConfirmed(h);
    const v = ipvs.schedule(h, ctx.l3Off, ic);
    switch (v) {
      case IpvsVerdict.Accept:
        return Verdict.Accept;
      case IpvsVerdict.DropIcmpPortUnreach:
        // ip_vs_leave: no real server available
        this.stack.icmpSend(h, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0);
        return Verdict.Drop;
      case IpvsVerdict.DropIcmpTtl:
        // decrement_ttl
        this.stack.icmpSend(h, ICMP_TIME_EXCEEDED, 0, 0);
        return Verdict.Drop;
      case IpvsVerdict.Xmit:
        return this.xmit(h, ctx);
      default:
        return Verdict.Drop;
    }
  }

  /** The rest of `ip_vs_{nat,dr,tunnel}_xmit` after the rewrite: route, property, conntrack, send. */
  private xmit(h: number, ctx: PacketCtx): number {
    const w = this.ns.world;
    const pool = w.pool;
    const ic = this.ictx;
    const stack = this.stack;
    const rt = stack.ipvsRoute;
    // __ip_vs_get_out_rt: a route to the real server (the outer destination when tunnelling).
    if (stack.routeOutput(ic.routeDst, 0, -1, rt) !== 0) {
      // err_unreach: dst_link_failure → ICMP host unreachable to the client
      stack.icmpSend(h, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0);
      w.drop(h, Drop.NoRoute, ctx.inDev);
      return Verdict.Stolen;
    }
    const fwd = ic.fwd;
    const cp = ic.conn;
    const nfct = (this.ipvs.conns.flags[cp]! & CF.NFCT) !== 0;
    if (rt.type === RTN.Local) {
      // The real server is a local address: ip_vs_{nat_,}send_or_cont(local=1) → NF_ACCEPT, the frame
      // goes on to local delivery with its new destination.
      pool.ipvs[h] = 1;
      if (!nfct) this.notrack(h);
      else if (fwd === Fwd.Masq) this.updateConntrack(h, cp, true);
      this.reload(ctx);
      return Verdict.Accept;
    }
    // ensure_mtu_is_adequate: DF packets larger than the route's MTU get "fragmentation needed".
    const l3 = ic.l3Off;
    if (fwd !== Fwd.Tunnel && pool.len[h]! > rt.mtu && (pool.bytesOf(h)[l3 + 6]! & 0x40) !== 0) {
      stack.icmpSend(h, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, rt.mtu);
      w.drop(h, Drop.MtuExceeded, ctx.inDev);
      return Verdict.Stolen;
    }
    pool.ipvs[h] = 1;
    if (fwd === Fwd.Masq) {
      // ip_vs_nat_send_or_cont
      if (!nfct) this.notrack(h);
      else this.updateConntrack(h, cp, true);
    } else if (fwd === Fwd.Tunnel) {
      // ip_vs_tunnel_xmit_prepare: confirm the inner connection's entry, then nf_reset_ct — the
      // outer IPIP packet is tracked afresh in LOCAL_OUT.
      const ct = conntrackIfAny(this.ns);
      if (ct !== undefined) {
        if (nfct && ct.confirm(h) !== 0) {
          w.drop(h, Drop.NetfilterDrop, ctx.inDev);
          return Verdict.Stolen;
        }
        ct.frameFreed(h);
      }
      pool.ctId[h] = -1;
    } else if (!nfct) {
      // ip_vs_send_or_cont (DR)
      this.notrack(h);
    }
    stack.ipvsStolen = h;
    return Verdict.Stolen;
  }

  /** `ip_vs_notrack`: the frame drops its (unconfirmed) entry and becomes untracked. */
  private notrack(h: number): void {
    const pool = this.ns.world.pool;
    const id = pool.ctId[h]!;
    if (id < 0 || (id & 7) === CtInfo.Untracked) return;
    conntrackIfAny(this.ns)?.frameFreed(h);
    pool.ctId[h] = CT_UNTRACKED;
  }

  /**
   * `ip_vs_update_conntrack`: for an unconfirmed entry of a masq connection in the original
   * direction, the reply tuple's source becomes the real server (outin) or its destination the VIP.
   */
  private updateConntrack(h: number, cp: number, outin: boolean): void {
    const ct = conntrackIfAny(this.ns);
    if (ct === undefined || cp < 0) return;
    const id = this.ns.world.pool.ctId[h]!;
    if (id < 0 || (id & 7) === CtInfo.Untracked || (id & 7) >= CtInfo.EstablishedReply) return;
    const c = this.ipvs.conns;
    const f = c.flags[cp]!;
    if ((f & CF.FWD_MASK) !== Fwd.Masq || (f & CF.ONE_PACKET) !== 0) return;
    const tb = ct.table;
    const r = id >> 3;
    if (tb.inUse[r] !== RowUse.Unconfirmed) return;
    const t = tb.readTuple(r, Dir.Reply, this.tup);
    if (outin) {
      t.src = c.daddr[cp]! >>> 0;
      t.sport = c.dport[cp]!;
    } else {
      t.dst = c.vaddr[cp]! >>> 0;
      t.dport = c.vport[cp]!;
    }
    tb.setReply(r, t);
  }

  /** `nf_ct_is_confirmed` of the frame's entry (for conn_reuse_mode / expire_nodest_conn). */
  private ctConfirmed(h: number): boolean {
    const id = this.ns.world.pool.ctId[h]!;
    if (id < 0 || (id & 7) === CtInfo.Untracked) return false;
    const ct = conntrackIfAny(this.ns);
    return ct !== undefined && ct.table.inUse[id >> 3] === RowUse.Confirmed;
  }

  /** The header changed under the traversal: later tables must see the new addresses and ports. */
  private reload(ctx: PacketCtx): void {
    const pool = this.ns.world.pool;
    const mark = ctx.mark;
    this.nf.parse(ctx, ctx.l3Off);
    ctx.mark = mark;
    ctx.ctId = pool.ctId[ctx.h]!;
    this.nf.conntrack?.attach?.(ctx);
  }
}

/** `ip_vs_conn_drop_conntrack`: an expired NFCT connection takes its conntrack entry with it. */
function dropConntrack(
  ns: Namespace,
  proto: number,
  caddr: number,
  cport: number,
  vaddr: number,
  vport: number,
): void {
  const ct = conntrackIfAny(ns);
  if (ct === undefined || cport === 0) return;
  const v = ct.table.find(caddr >>> 0, vaddr >>> 0, cport, vport, proto);
  if (v >= 0 && (v & 1) === Dir.Original) ct.destroy(v >> 1);
}

Ipvs.onEnable = (ipvs) => {
  const ns = ipvs.ns;
  const stack = ns.ipv4 as Ipv4Stack;
  const nf = netfilterOf(ns);
  // Tunnelling's outer source: the address of the route to the real server.
  // A source set before (tests drive Ipvs without routes) stays the fallback.
  const before = ipvs.routeSource;
  ipvs.routeSource = (dst) => {
    const rt = stack.ipvsRoute;
    return stack.routeOutput(dst, 0, -1, rt) === 0 ? rt.src : before(dst);
  };
  ipvs.onDropConntrack = (proto, caddr, cport, vaddr, vport) =>
    dropConntrack(ns, proto, caddr, cport, vaddr, vport);
  nf.ipvs = new IpvsHooks(ns, ipvs, stack, nf);
  nf.changed();
};
