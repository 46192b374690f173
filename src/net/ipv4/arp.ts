// ARP for the IPv4 stack of a namespace.
//
// Heads up: read RFC 826, RFC 5227 and Linux's net/ipv4/arp.c (`arp_rcv`, `arp_process`,
// `arp_solicit`, `arp_ignore`) before changing behaviour. What this file reproduces:
// - A request for any local address of the namespace is answered on the receiving device
//   (arp_ignore=0; arp_ignore=1 answers only for addresses configured on that device), and the
//   requester is learned as STALE (`neigh_event_ns`).
// - Any other ARP (replies, requests for others, gratuitous ARP) only updates an existing entry:
//   REACHABLE for a reply addressed to us, STALE otherwise; the link-layer address is overridden only
//   after `locktime` (1 s) since the last update, or for gratuitous ARP. No entry is created with
//   arp_accept=0 (the default); with 1 (2: sender inside a subnet of the receiving device) gratuitous
//   ARP and replies from a unicast sender create one (`arp_accept`, checked on Linux 6.18).
// - proxy_arp: a request for an address routed out of another device is answered with our MAC when
//   forwarding and proxy_arp are on for the receiving device (`arp_fwd_proxy`).
// - Solicitations: broadcast while INCOMPLETE, unicast to the cached address in PROBE; the sender
//   address is the queued packet's source if it is local (arp_announce=0), else
//   `inet_select_addr(dev, target, link)` (arp_announce=1/2: see `solicit`).
// The reply to a request reuses the request's frame in place (the kernel allocates a new skb and
// frees the request; the bytes on the wire are the same).

import { rd16, rd32, wr16, wr32 } from '../../wire/bytes.js';
import { macWrite } from '../../wire/mac.js';
import type { Device } from '../device.js';
import { Drop } from '../drop-reason.js';
import type { L3Handler } from '../namespace.js';
import { PktType } from '../pkt-type.js';
import { RTN, SCOPE } from './fib.js';
import { NEIGH_UPDATE, NUD } from './neighbour.js';
import type { Ipv4Stack } from './stack.js';

const ETH_HLEN = 14;
const ARP_LEN = 28;
const ETH_P_ARP = 0x0806;
const ETH_P_IP = 0x0800;
// ARP field offsets (RFC 826, Ethernet/IPv4 sizes).
const A_HTYPE = 0;
const A_PTYPE = 2;
const A_HLEN = 4;
const A_PLEN = 5;
const A_OPER = 6;
const A_SHA = 8;
const A_SPA = 14;
const A_THA = 18;
const A_TPA = 24;
const OP_REQUEST = 1;
const OP_REPLY = 2;

export class Arp implements L3Handler {
  constructor(private readonly stack: Ipv4Stack) {}

  /** `arp_rcv` + `arp_process`. `h` starts at the Ethernet header; the ARP packet is at `l3Off`. */
  receive(dev: Device, h: number, pktType: PktType, l3Off: number): void {
    const st = this.stack;
    const w = st.world;
    const pool = w.pool;
    if (pktType === PktType.OtherHost) {
      w.drop(h, Drop.OtherHost, dev.id);
      return;
    }
    // arp_rcv: "if (dev->flags & IFF_NOARP …) goto consumeskb" — consumed, not a drop.
    if (dev.noArp) {
      w.consume(h);
      return;
    }
    const u8 = pool.bytesOf(h);
    const end = pool.start[h]! + pool.len[h]!;
    if (end - l3Off < ARP_LEN || u8[l3Off + A_HLEN] !== 6 || u8[l3Off + A_PLEN] !== 4) {
      w.drop(h, Drop.ArpInvalid, dev.id);
      return;
    }
    const htype = rd16(u8, l3Off + A_HTYPE);
    const op = rd16(u8, l3Off + A_OPER);
    if (
      (htype !== 1 && htype !== 6) ||
      rd16(u8, l3Off + A_PTYPE) !== ETH_P_IP ||
      (op !== OP_REQUEST && op !== OP_REPLY)
    ) {
      w.drop(h, Drop.ArpInvalid, dev.id);
      return;
    }
    const shaHi = rd16(u8, l3Off + A_SHA);
    const shaLo = rd32(u8, l3Off + A_SHA + 2);
    const sip = rd32(u8, l3Off + A_SPA);
    const tip = rd32(u8, l3Off + A_TPA);
    // Check for bad requests for 127.x.x.x and requests for multicast addresses.
    if (tip >>> 28 === 0xe || (tip >>> 24 === 127 && st.routeLocalnet(dev.id) === 0)) {
      w.drop(h, Drop.Martian, dev.id);
      return;
    }
    // Special case: IPv4 duplicate address detection (RFC 2131 / RFC 5227 probe, sip = 0).
    if (sip === 0) {
      if (op === OP_REQUEST && st.isLocalAddr(tip) && this.ignoreOk(dev, sip, tip)) {
        this.replyInPlace(dev, h, l3Off, shaHi, shaLo, sip, tip, dev.macHi, dev.macLo);
        return;
      }
      w.consume(h);
      return;
    }
    const neigh = st.neigh;
    if (op === OP_REQUEST) {
      const rid = st.fib.lookup(tip);
      if (rid >= 0 && st.fib.type[rid] === RTN.Local) {
        if (this.ignoreOk(dev, sip, tip)) {
          // neigh_event_ns: create or update the requester's entry as STALE.
          let n = neigh.lookup(dev.id, sip);
          if (n < 0) n = neigh.create(dev, sip);
          neigh.update(n, true, shaHi, shaLo, NUD.Stale, NEIGH_UPDATE.Override);
          this.replyInPlace(dev, h, l3Off, shaHi, shaLo, sip, tip, dev.macHi, dev.macLo);
          return;
        }
        w.consume(h);
        return;
      }
      // arp_fwd_proxy: answer for addresses we route out of another device.
      if (
        rid >= 0 &&
        st.fib.type[rid] === RTN.Unicast &&
        st.fib.devId[rid] !== dev.id &&
        st.forwardingOn(dev.id) &&
        st.proxyArp(dev.id)
      ) {
        let n = neigh.lookup(dev.id, sip);
        if (n < 0) n = neigh.create(dev, sip);
        neigh.update(n, true, shaHi, shaLo, NUD.Stale, NEIGH_UPDATE.Override);
        this.replyInPlace(dev, h, l3Off, shaHi, shaLo, sip, tip, dev.macHi, dev.macLo);
        return;
      }
    }
    // Update our ARP tables: existing entries, and with arp_accept new ones for gratuitous ARP and
    // replies from a unicast sender.
    let n = neigh.lookup(dev.id, sip);
    if (n < 0 && (sip === tip || op === OP_REPLY)) {
      const accept = st.arpAccept(dev.id);
      if ((accept === 1 || (accept === 2 && st.addrs.subnetOnDev(dev.id, sip))) && this.unicastSender(sip))
        n = neigh.create(dev, sip);
    }
    if (n >= 0) {
      const isGarp = sip === tip;
      const now = w.sim.now;
      const p = neigh.parmsOf(dev.id);
      const override = now > neigh.updated[n]! + p.locktimeNs || isGarp;
      const state = op === OP_REPLY && pktType === PktType.Host ? NUD.Reachable : NUD.Stale;
      neigh.update(n, true, shaHi, shaLo, state, override ? NEIGH_UPDATE.Override : 0);
    }
    w.consume(h);
  }

  /**
   * `inet_addr_type_dev_table(sip) == RTN_UNICAST`: not 0/8, limited broadcast or multicast, and not
   * local or a broadcast address in the local table.
   */
  private unicastSender(sip: number): boolean {
    if (sip === 0xffffffff || sip >>> 28 === 0xe || sip >>> 24 === 0) return false;
    const st = this.stack;
    const rid = st.fib.lookup(sip);
    if (rid < 0) return true;
    const t = st.fib.type[rid];
    return t !== RTN.Local && t !== RTN.Broadcast;
  }

  /** `arp_ignore`: 0 answers for any local address; 1 only for addresses on the receiving device. */
  private ignoreOk(dev: Device, _sip: number, tip: number): boolean {
    const mode = this.stack.arpIgnore(dev.id);
    if (mode === 0) return true;
    if (mode === 1) return this.stack.addrs.hasOnDev(dev.id, tip);
    // 2: also require the sender in the address's subnet.
    return this.stack.addrs.hasOnDevSubnet(dev.id, tip, _sip);
  }

  /** Turns the received request in `h` into the reply and transmits it on `dev` (`arp_send`). */
  private replyInPlace(
    dev: Device,
    h: number,
    l3Off: number,
    shaHi: number,
    shaLo: number,
    sip: number,
    tip: number,
    ourHi: number,
    ourLo: number,
  ): void {
    const pool = this.stack.world.pool;
    const u8 = pool.bytesOf(h);
    const eth = pool.start[h]!;
    if (l3Off !== eth + ETH_HLEN) {
      // VLAN-tagged or otherwise offset: normalise to a plain Ethernet header.
      pool.trimFront(h, l3Off - eth - ETH_HLEN);
    }
    const e = pool.start[h]!;
    const a = e + ETH_HLEN;
    macWrite(u8, e, shaHi, shaLo);
    macWrite(u8, e + 6, ourHi, ourLo);
    wr16(u8, e + 12, ETH_P_ARP);
    wr16(u8, a + A_OPER, OP_REPLY);
    macWrite(u8, a + A_SHA, ourHi, ourLo);
    wr32(u8, a + A_SPA, tip);
    macWrite(u8, a + A_THA, shaHi, shaLo);
    wr32(u8, a + A_TPA, sip);
    pool.setLength(h, ETH_HLEN + ARP_LEN);
    dev.xmit(h);
  }

  /**
   * `arp_solicit`: sends a request for neighbour entry `n`. `queued` is the newest frame waiting on
   * the entry (an IPv4 packet at its start), or -1.
   */
  solicit(n: number, queued: number): void {
    const st = this.stack;
    const w = st.world;
    const neigh = st.neigh;
    const dev = w.devices[neigh.devId[n]!]!;
    const target = neigh.addr[n]!;
    let saddr = 0;
    // arp_announce 0: any local source of the queued packet; 1 and 2: an address of the device
    // (inet_select_addr) — 1 would keep a source on the target's subnet, which the device's primary
    // address covers in the setups modelled (LVS-DR real servers announce with 2).
    if (queued >= 0 && st.arpAnnounce(dev.id) === 0) {
      const qs = rd32(w.pool.bytesOf(queued), w.pool.start[queued]! + 12);
      if (st.isLocalAddr(qs)) saddr = qs;
    }
    if (saddr === 0) saddr = st.addrs.selectAddr(dev, target, SCOPE.Link);
    const p = neigh.parmsOf(dev.id);
    const probes = neigh.probes[n]!;
    let unicast = false;
    if (probes < p.ucastProbes)
      unicast = (neigh.state[n]! & (NUD.Probe | NUD.Delay | NUD.Stale | NUD.Reachable)) !== 0;
    else if (probes - p.appProbes < 0) return; // application probes: not modelled (app_solicit = 0)
    const h = w.newFrame();
    const pool = w.pool;
    const u8 = pool.bytesOf(h);
    pool.setLength(h, ETH_HLEN + ARP_LEN);
    const e = pool.start[h]!;
    const a = e + ETH_HLEN;
    const dHi = unicast ? neigh.macHi[n]! : 0xffff;
    const dLo = unicast ? neigh.macLo[n]! : 0xffffffff;
    macWrite(u8, e, dHi, dLo);
    macWrite(u8, e + 6, dev.macHi, dev.macLo);
    wr16(u8, e + 12, ETH_P_ARP);
    wr16(u8, a + A_HTYPE, 1);
    wr16(u8, a + A_PTYPE, ETH_P_IP);
    u8[a + A_HLEN] = 6;
    u8[a + A_PLEN] = 4;
    wr16(u8, a + A_OPER, OP_REQUEST);
    macWrite(u8, a + A_SHA, dev.macHi, dev.macLo);
    wr32(u8, a + A_SPA, saddr);
    if (unicast) macWrite(u8, a + A_THA, dHi, dLo);
    else macWrite(u8, a + A_THA, 0, 0);
    wr32(u8, a + A_TPA, target);
    dev.xmit(h);
  }

  /** Sends a gratuitous ARP request announcing `addr` on `dev` (`arp_send` on NETDEV_UP/address add). */
  announce(dev: Device, addr: number): void {
    const w = this.stack.world;
    const h = w.newFrame();
    const pool = w.pool;
    const u8 = pool.bytesOf(h);
    pool.setLength(h, ETH_HLEN + ARP_LEN);
    const e = pool.start[h]!;
    const a = e + ETH_HLEN;
    macWrite(u8, e, 0xffff, 0xffffffff);
    macWrite(u8, e + 6, dev.macHi, dev.macLo);
    wr16(u8, e + 12, ETH_P_ARP);
    wr16(u8, a + A_HTYPE, 1);
    wr16(u8, a + A_PTYPE, ETH_P_IP);
    u8[a + A_HLEN] = 6;
    u8[a + A_PLEN] = 4;
    wr16(u8, a + A_OPER, OP_REQUEST);
    macWrite(u8, a + A_SHA, dev.macHi, dev.macLo);
    wr32(u8, a + A_SPA, addr);
    macWrite(u8, a + A_THA, 0, 0);
    wr32(u8, a + A_TPA, addr);
    dev.xmit(h);
  }
}
