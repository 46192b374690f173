// NAT core: the binding made on a connection's first packet and the per-packet rewrite
// (net/netfilter/nf_nat_core.c: `nf_nat_setup_info`, `get_unique_tuple`, `find_appropriate_src`,
// `find_best_ips_proto`, `nf_nat_l4proto_unique_tuple`, `nf_nat_used_tuple*`, `nf_nat_inet_fn`,
// `nf_nat_packet`; nf_nat_proto.c: `nf_nat_ipv4_manip_pkt`, `*_manip_pkt`,
// `nf_nat_icmp_reply_translation`, `nf_nat_ipv4_fn`).
//
// Heads up: read those functions before changing this file.
//
// How the rule engine drives it at the four NAT hooks (DST manip at PRE_ROUTING/LOCAL_OUT −100, SRC
// manip at POST_ROUTING/LOCAL_IN +100):
//   if (nat.needsRules(h, hook)) { verdict = run the nat table's chain for `hook` }  // NEW only
//   if (verdict !== DROP) verdict = nat.finish(hook, h, l3Off, outDevId)            // every packet
// The nat table is traversed only while the connection has no binding for this manip type
// (`nf_nat_initialized`), i.e. for its first packet; SNAT/DNAT/MASQUERADE/REDIRECT targets call
// `setupInfo` (through their target files) and end the traversal with ACCEPT; when no rule binds,
// `finish` makes the null binding. Every later packet is one lookup plus `manipPkt` with RFC 1624
// incremental checksum updates. ICMP errors RELATED to a NATed connection never see the rules: their
// outer and quoted inner headers are translated back here.
//
// Port selection is the kernel's: keep the original source port when the resulting reply tuple is
// unused; otherwise search the port's class (1–511, 600–1023, 1024–65535, or the rule's range) from a
// random 16-bit offset, at most 128 attempts, halving the window and redrawing the offset while it is
// ≥ 16 (NF_NAT_MAX_ATTEMPTS). Randomness comes from the namespace's seeded stream `nat:<ns>`. When every
// attempt collides the last candidate is kept and the packet is dropped at confirmation
// (insert_failed), as in the kernel. Multi-address ranges pick the address with the kernel's jhash2 of
// (source, destination) (`find_best_ips_proto`), so the choice matches a little-endian Linux host.

import type { Device } from '../../net/device.js';
import { Drop } from '../../net/drop-reason.js';
import { rd16, rd32, wr16, wr32 } from '../../wire/bytes.js';
import { csumFull, csumReplace16, csumReplace32 } from '../../wire/checksum.js';
import type { Conntrack } from '../conntrack/conntrack.js';
import { TcpCtFlag } from '../conntrack/proto-tcp.js';
import { type CtTable, RowUse } from '../conntrack/table.js';
import { TcpCt } from '../conntrack/timeouts.js';
import {
  CtInfo,
  Dir,
  IPPROTO_ICMP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  IPS_NAT_DONE_MASK,
  IPS_NAT_MASK,
  Ips,
  icmpIsErrorType,
  invertTuple,
  TupleScratch,
} from '../conntrack/tuple.js';

/** `enum nf_nat_manip_type`. */
export const NatManip = Object.freeze({ Src: 0, Dst: 1 } as const);

/** `NF_NAT_RANGE_*` flags (include/uapi/linux/netfilter/nf_nat.h). */
export const NatFlag = Object.freeze({
  MAP_IPS: 1,
  PROTO_SPECIFIED: 2,
  PROTO_RANDOM: 4,
  PERSISTENT: 8,
  PROTO_RANDOM_FULLY: 16,
  PROTO_OFFSET: 32,
  NETMAP: 64,
} as const);
const RANDOM_ALL = NatFlag.PROTO_RANDOM | NatFlag.PROTO_RANDOM_FULLY;

/** `struct nf_nat_range2`: built once per rule from its options (config side), read per binding. */
export class NatRange {
  flags = 0;
  /** Addresses, host order u32. */
  minAddr = 0;
  maxAddr = 0;
  /** Ports (or ICMP ids), host order. */
  minProto = 0;
  maxProto = 0;
  baseProto = 0;
}

/** What the NAT hooks and targets need from the hook: devices and the route's next hop. */
export interface NatHookState {
  /** Receiving device (PRE_ROUTING, LOCAL_IN), null for local output. */
  inDev: Device | null;
  /** Output device (LOCAL_OUT after routing, POST_ROUTING), null otherwise. */
  outDev: Device | null;
  /** `rt_nexthop(rt, daddr)`: the gateway, or the destination when on-link; 0 = use daddr. */
  nextHop: number;
}

/** Addresses the IPv4 layer offers MASQUERADE/REDIRECT (src/net/ipv4/address.ts `AddrTable`). */
export interface NatAddrs {
  /** `inet_select_addr(dev, dst, scope)`. */
  selectAddr(dev: Device, dst: number, scope: number): number;
  /** The device's addresses in list order (the first is `in_dev->ifa_list`). */
  list(devId: number): ReadonlyArray<{ local: number }>;
}

const NF_NAT_MAX_ATTEMPTS = 128;
const NF_NAT_HARDER_THRESH = NF_NAT_MAX_ATTEMPTS / 4;
const RT_SCOPE_UNIVERSE = 0;
const INADDR_LOOPBACK = 0x7f000001;

/** HOOK2MANIP: SRC at POST_ROUTING (4) and LOCAL_IN (1), DST at PRE_ROUTING (0) and LOCAL_OUT (3). */
export function hookManip(hook: number): number {
  return hook === 4 || hook === 1 ? NatManip.Src : NatManip.Dst;
}

export class Nat {
  private readonly tb: CtTable;
  /** Addresses for MASQUERADE/REDIRECT; set by the IPv4 layer (or found lazily, see `addrsOf`). */
  addrs: NatAddrs | null = null;
  private readonly cur = new TupleScratch();
  private readonly nt = new TupleScratch();
  private readonly tmp = new TupleScratch();
  private readonly tmp2 = new TupleScratch();
  private readonly nullRange = new NatRange();
  private readonly scratchRange = new NatRange();

  constructor(private readonly ct: Conntrack) {
    this.tb = ct.table;
  }

  // ------------------------------------------------------------------ binding (first packet)

  /** `nf_nat_initialized`. */
  initialized(r: number, manip: number): boolean {
    return (this.tb.status[r]! & (manip === NatManip.Src ? Ips.SRC_NAT_DONE : Ips.DST_NAT_DONE)) !== 0;
  }

  /**
   * Must the nat table's chain for `hook` run for this packet? True for a NEW connection whose
   * binding for the hook's manip type is not made yet (`nf_nat_inet_fn`); ICMP errors RELATED to a
   * connection never run the rules (`nf_nat_ipv4_fn` translates them directly).
   */
  needsRules(h: number, hook: number): boolean {
    const id = this.ct.world.pool.ctId[h]!;
    if (id < 0) return false;
    const ctinfo = id & 7;
    if (ctinfo !== CtInfo.New) return false;
    return !this.initialized(id >> 3, hookManip(hook));
  }

  /** `nf_nat_setup_info`: binds the unconfirmed connection `r` into `range`. 0 or a Drop reason. */
  setupInfo(r: number, range: NatRange, manip: number): number {
    const tb = this.tb;
    if (tb.inUse[r] !== RowUse.Unconfirmed) return 0; // can't set up NAT for a confirmed ct
    if (this.initialized(r, manip)) return Drop.NetfilterDrop;
    const cur = tb.readTuple(r, Dir.Reply, this.tmp);
    invertTuple(cur, this.cur);
    const nt = this.nt;
    this.getUniqueTuple(r, this.cur, range, manip, nt);
    if (!nt.equals(this.cur)) {
      invertTuple(nt, this.tmp);
      tb.setReply(r, this.tmp);
      tb.status[r]! |= manip === NatManip.Src ? Ips.SRC_NAT : Ips.DST_NAT;
    }
    if (manip === NatManip.Src) tb.bySrcLink(r);
    tb.status[r]! |= manip === NatManip.Src ? Ips.SRC_NAT_DONE : Ips.DST_NAT_DONE;
    return 0;
  }

  /** `__nf_nat_alloc_null_binding`: map to the address the connection already has. */
  nullBinding(r: number, manip: number): number {
    const tb = this.tb;
    const ip = manip === NatManip.Src ? tb.replyDst[r]! : tb.replySrc[r]!;
    const range = this.nullRange;
    range.flags = NatFlag.MAP_IPS;
    range.minAddr = ip;
    range.maxAddr = ip;
    return this.setupInfo(r, range, manip);
  }

  /** `get_unique_tuple`. */
  private getUniqueTuple(
    r: number,
    orig: TupleScratch,
    range: NatRange,
    manip: number,
    out: TupleScratch,
  ): void {
    // 1) For SRC manip: keep the original tuple when in range and unused, or reuse a current mapping
    //    of the same source (endpoint-independent mapping).
    if (manip === NatManip.Src && !(range.flags & RANDOM_ALL)) {
      if (inRange(orig, range)) {
        if (!this.usedTupleNew(orig, r)) {
          out.copyFrom(orig);
          return;
        }
      } else if (this.findAppropriateSrc(orig, out, range)) {
        if (!this.usedTuple(out)) return;
      }
    }
    // 2) Select the IP in the range.
    out.copyFrom(orig);
    findBestIps(out, range, manip);
    // 3) The per-protocol part is made unique, unless already in range and unused.
    if (!(range.flags & RANDOM_ALL)) {
      if (range.flags & NatFlag.PROTO_SPECIFIED) {
        if (
          !(range.flags & NatFlag.PROTO_OFFSET) &&
          l4InRange(out, manip, range.minProto, range.maxProto) &&
          (range.minProto === range.maxProto || !this.usedTuple(out))
        ) {
          return;
        }
      } else if (!this.usedTuple(out)) {
        return;
      }
    }
    this.l4UniqueTuple(out, range, manip, r);
  }

  /** `nf_nat_used_tuple`: would the reply of `t` clash with a live entry's tuple? */
  private usedTuple(t: TupleScratch): boolean {
    if (!invertTuple(t, this.tmp2)) return false;
    return this.ct.lookup(this.tmp2) >= 0;
  }

  /** `nf_nat_used_tuple_new`: as above, but a clash with an un-NATed UDP/ICMP twin is allowed. */
  private usedTupleNew(t: TupleScratch, r: number): boolean {
    if (!this.usedTuple(t)) return false;
    if (t.proto === IPPROTO_TCP) return true; // no allow_clash
    const tb = this.tb;
    if (tb.status[r]! & (IPS_NAT_MASK | Ips.SEQ_ADJUST)) return true;
    let v = this.ct.lookup(t);
    if (v < 0) {
      v = this.ct.lookup(this.tmp2); // tmp2 = inverted t from usedTuple
      if (v < 0) return false;
    }
    const o = v >> 1;
    if (tb.status[o]! & (IPS_NAT_MASK | Ips.SEQ_ADJUST)) return true;
    // Not taken when the clashing entry's original equals our reply tuple.
    return !(
      tb.origSrc[o] === tb.replySrc[r] &&
      tb.origDst[o] === tb.replyDst[r] &&
      tb.origSport[o] === tb.replySport[r] &&
      tb.origDport[o] === tb.replyDport[r]
    );
  }

  /** `find_appropriate_src`: a current SRC mapping of the same (proto, source, port), if in range. */
  private findAppropriateSrc(t: TupleScratch, out: TupleScratch, range: NatRange): boolean {
    const tb = this.tb;
    for (let r = tb.bySrcFirst(t.src, t.sport, t.proto); r >= 0; r = tb.bySrcNext[r]!) {
      if (tb.proto[r] !== t.proto || tb.origSrc[r] !== t.src || tb.origSport[r] !== t.sport) continue;
      if (tb.inUse[r] === RowUse.Free) continue;
      // Copy the source part from the inverted reply tuple; keep the destination.
      tb.readTuple(r, Dir.Reply, this.tmp2);
      const sport = t.proto === IPPROTO_ICMP ? this.tmp2.sport : this.tmp2.dport;
      out.set(this.tmp2.dst, t.dst, sport, t.dport, t.proto);
      if (inRange(out, range)) return true;
    }
    return false;
  }

  /** `nf_nat_l4proto_unique_tuple`. */
  private l4UniqueTuple(t: TupleScratch, range: NatRange, manip: number, r: number): void {
    let min: number;
    let size: number;
    const rng = this.ct.rng;
    const src = manip === NatManip.Src;
    if (t.proto === IPPROTO_ICMP) {
      // The identifier is the same in both directions.
      if (!(range.flags & NatFlag.PROTO_SPECIFIED)) {
        min = 0;
        size = 65536;
      } else {
        min = range.minProto;
        size = range.maxProto - range.minProto + 1;
      }
    } else if (t.proto === IPPROTO_TCP || t.proto === IPPROTO_UDP) {
      if (!(range.flags & NatFlag.PROTO_SPECIFIED)) {
        if (!src) return; // a DST rewrite can't change the port
        const port = t.sport;
        if (port < 1024) {
          // Loose convention: < 512 is credential passing.
          if (port < 512) {
            min = 1;
            size = 511;
          } else {
            min = 600;
            size = 1023 - 600 + 1;
          }
        } else {
          min = 1024;
          size = 65535 - 1024 + 1;
        }
      } else {
        let lo = range.minProto;
        let hi = range.maxProto;
        if (hi < lo) {
          const x = lo;
          lo = hi;
          hi = x;
        }
        min = lo;
        size = hi - lo + 1;
      }
    } else {
      return;
    }
    const icmp = t.proto === IPPROTO_ICMP;
    const key = icmp || src ? t.sport : t.dport;
    let off: number;
    if (range.flags & NatFlag.PROTO_OFFSET) off = (key - range.baseProto) & 0xffff;
    else if (range.flags & RANDOM_ALL || !(manip === NatManip.Dst)) off = rng.u32() & 0xffff;
    else off = 0;
    let attempts = Math.min(size, NF_NAT_MAX_ATTEMPTS);
    for (;;) {
      for (let i = 0; i < attempts; i++, off = (off + 1) & 0xffff) {
        const v = min + (off % size);
        if (icmp || src) t.sport = v;
        else t.dport = v;
        if (!this.usedTupleHarder(t, r, attempts - i)) return;
      }
      if (attempts >= size || attempts < 16) return;
      attempts >>= 1;
      off = rng.u32() & 0xffff;
    }
  }

  /**
   * `nf_nat_used_tuple_harder`: in the last attempts for a TCP SYN, a clashing SNATed connection in
   * TIME_WAIT (or later) whose sequence numbers we have passed is evicted.
   */
  private usedTupleHarder(t: TupleScratch, r: number, attemptsLeft: number): boolean {
    const tb = this.tb;
    if (attemptsLeft > NF_NAT_HARDER_THRESH || t.proto !== IPPROTO_TCP || tb.tcpState[r] !== TcpCt.SynSent) {
      return this.usedTuple(t);
    }
    if (!invertTuple(t, this.tmp2)) return false;
    const v = this.ct.lookup(this.tmp2);
    if (v < 0) return false;
    if ((v & 1) === Dir.Original) return true;
    const o = v >> 1;
    const st = tb.status[o]!;
    if (tb.tcpState[o]! < TcpCt.TimeWait || st & (Ips.FIXED_TIMEOUT | Ips.DYING) || !(st & Ips.SRC_NAT))
      return true;
    if (((tb.tdEnd[r * 2]! - tb.tdEnd[o * 2]!) | 0) <= 0) return true;
    this.ct.destroy(o);
    return false;
  }

  // ------------------------------------------------------------------ per packet

  /**
   * The NAT hook after the rules (`nf_nat_ipv4_fn` / `nf_nat_inet_fn` minus the table traversal):
   * RELATED ICMP errors are translated, a NEW connection without a binding gets the null binding, a
   * masqueraded connection whose output device changed is killed, then `nf_nat_packet` rewrites.
   * Returns 0 or a Drop reason.
   */
  finish(hook: number, h: number, l3Off: number, outDevId: number): number {
    const pool = this.ct.world.pool;
    const id = pool.ctId[h]!;
    if (id < 0) return 0;
    const ctinfo = id & 7;
    if (ctinfo === CtInfo.Untracked) return 0;
    const r = id >> 3;
    const u8 = pool.bytesOf(h);
    if (u8[l3Off + 9] === IPPROTO_ICMP && (ctinfo === CtInfo.Related || ctinfo === CtInfo.RelatedReply)) {
      return this.icmpReplyTranslation(r, ctinfo, hook, u8, l3Off, pool.start[h]! + pool.len[h]!)
        ? 0
        : Drop.NetfilterDrop;
    }
    const manip = hookManip(hook);
    if (ctinfo === CtInfo.New || ctinfo === CtInfo.Related || ctinfo === CtInfo.RelatedReply) {
      if (!this.initialized(r, manip)) {
        const v = this.nullBinding(r, manip);
        if (v !== 0) return v;
      } else if (this.oifChanged(r, hook, ctinfo, outDevId)) {
        this.ct.destroy(r);
        return Drop.NetfilterDrop;
      }
    } else if (this.oifChanged(r, hook, ctinfo, outDevId)) {
      this.ct.destroy(r);
      return Drop.NetfilterDrop;
    }
    this.packet(r, ctinfo, hook, u8, l3Off, pool.start[h]! + pool.len[h]!);
    return 0;
  }

  /**
   * `nf_nat_oif_changed`: a masqueraded connection now leaving through another device. `outDevId` is
   * the hook's output device (world device id, -1 = none).
   */
  private oifChanged(r: number, hook: number, ctinfo: number, outDevId: number): boolean {
    const m = this.tb.masqDev[r]!;
    return (
      m >= 0 &&
      hook === 4 &&
      ctinfo < CtInfo.EstablishedReply &&
      outDevId >= 0 &&
      outDevId !== m &&
      this.ct.world.devices[outDevId] !== undefined
    );
  }

  /** `nf_nat_packet`: rewrite when the connection has a manip of this hook's type in this direction. */
  packet(r: number, ctinfo: number, hook: number, u8: Uint8Array, l3Off: number, end: number): void {
    const mtype = hookManip(hook);
    const dir = ctinfo >= CtInfo.EstablishedReply ? Dir.Reply : Dir.Original;
    let statusbit = mtype === NatManip.Src ? Ips.SRC_NAT : Ips.DST_NAT;
    if (dir === Dir.Reply) statusbit ^= IPS_NAT_MASK;
    if (!(this.tb.status[r]! & statusbit)) return;
    // The packet must look like the inverse of the other direction's tuple.
    this.tb.readTuple(r, dir ^ 1, this.tmp);
    invertTuple(this.tmp, this.nt);
    manipPkt(u8, l3Off, end, this.nt, mtype);
  }

  /**
   * `nf_nat_icmp_reply_translation`: an ICMP error RELATED to connection `r` gets its quoted header
   * put back the way the quoted packet looked before NAT, and its outer header translated like a
   * reply. False = drop (a redirect about a NATed connection).
   */
  private icmpReplyTranslation(
    r: number,
    ctinfo: number,
    hook: number,
    u8: Uint8Array,
    l3Off: number,
    end: number,
  ): boolean {
    const tb = this.tb;
    const ihl = (u8[l3Off]! & 0x0f) << 2;
    const icmp = l3Off + ihl;
    if (end - icmp < 8 + 20) return true;
    const type = u8[icmp]!;
    if (!icmpIsErrorType(type)) return true;
    const st = tb.status[r]!;
    if (type === 5) {
      // Redirects on non-null NATs must be dropped.
      if ((st & IPS_NAT_DONE_MASK) !== IPS_NAT_DONE_MASK) return false;
      if (st & IPS_NAT_MASK) return false;
    }
    const manip = hookManip(hook);
    const dir = ctinfo >= CtInfo.EstablishedReply ? Dir.Reply : Dir.Original;
    let statusbit = manip === NatManip.Src ? Ips.SRC_NAT : Ips.DST_NAT;
    if (dir === Dir.Reply) statusbit ^= IPS_NAT_MASK;
    if (!(st & statusbit)) return true;
    // Inner: the opposite manip with the other direction's tuple (makes it look like it did before).
    tb.readTuple(r, dir ^ 1, this.tmp);
    manipPkt(u8, icmp + 8, end, this.tmp, manip === NatManip.Src ? NatManip.Dst : NatManip.Src);
    // Full ICMP checksum (as the kernel does when the skb is not CHECKSUM_PARTIAL).
    wr16(u8, icmp + 2, 0);
    wr16(u8, icmp + 2, csumFull(u8, icmp, end - icmp));
    // Outer: look like the reply to the connection's packet.
    invertTuple(this.tmp, this.nt);
    this.nt.proto = IPPROTO_ICMP;
    manipPkt(u8, l3Off, end, this.nt, manip);
    return true;
  }

  // ------------------------------------------------------------------ targets' helpers

  /** MASQUERADE (`nf_nat_masquerade_ipv4`). 0 or a Drop reason. */
  masquerade(r: number, range: NatRange, st: NatHookState, daddr: number): number {
    const tb = this.tb;
    if (tb.origSrc[r] === 0) return 0; // 0.0.0.0: local packet not meant to be masqueraded
    const out = st.outDev;
    const addrs = this.addrsOf();
    if (out === null || addrs === null) return Drop.NetfilterDrop;
    const nh = st.nextHop !== 0 ? st.nextHop : daddr;
    const newsrc = addrs.selectAddr(out, nh, RT_SCOPE_UNIVERSE);
    if (newsrc === 0) return Drop.NetfilterDrop; // "%s ate my IP address"
    tb.masqDev[r] = out.id;
    const nr = this.scratchRange;
    nr.flags = range.flags | NatFlag.MAP_IPS;
    nr.minAddr = newsrc;
    nr.maxAddr = newsrc;
    nr.minProto = range.minProto;
    nr.maxProto = range.maxProto;
    nr.baseProto = range.baseProto;
    return this.setupInfo(r, nr, NatManip.Src);
  }

  /** REDIRECT (`nf_nat_redirect_ipv4`). 0 or a Drop reason. */
  redirect(r: number, range: NatRange, hook: number, st: NatHookState): number {
    let newdst = 0;
    if (hook === 3) newdst = INADDR_LOOPBACK;
    else if (st.inDev !== null) {
      const addrs = this.addrsOf();
      const first = addrs?.list(st.inDev.id)[0];
      if (first !== undefined) newdst = first.local;
    }
    if (newdst === 0) return Drop.NetfilterDrop;
    const nr = this.scratchRange;
    nr.flags = range.flags | NatFlag.MAP_IPS;
    nr.minAddr = newdst;
    nr.maxAddr = newdst;
    nr.minProto = range.minProto;
    nr.maxProto = range.maxProto;
    nr.baseProto = range.baseProto;
    return this.setupInfo(r, nr, NatManip.Dst);
  }

  /** The namespace's interface addresses: `addrs` if set, else the IPv4 stack's table when present. */
  private addrsOf(): NatAddrs | null {
    if (this.addrs !== null) return this.addrs;
    const l3 = this.ct.ns.ipv4 as unknown as { addrs?: NatAddrs };
    if (l3.addrs !== undefined && typeof l3.addrs.selectAddr === 'function') this.addrs = l3.addrs;
    return this.addrs;
  }
}

// ------------------------------------------------------------------ range helpers

/** `nf_in_range` (source side). */
function inRange(t: TupleScratch, range: NatRange): boolean {
  if (range.flags & NatFlag.MAP_IPS && (t.src < range.minAddr || t.src > range.maxAddr)) return false;
  if (!(range.flags & NatFlag.PROTO_SPECIFIED)) return true;
  return l4InRange(t, NatManip.Src, range.minProto, range.maxProto);
}

/** `l4proto_in_range`. */
function l4InRange(t: TupleScratch, manip: number, min: number, max: number): boolean {
  if (t.proto === IPPROTO_ICMP) return t.sport >= min && t.sport <= max;
  if (t.proto === IPPROTO_TCP || t.proto === IPPROTO_UDP) {
    const port = manip === NatManip.Src ? t.sport : t.dport;
    return port >= min && port <= max;
  }
  return true;
}

/** Byte swap: the u32 a little-endian CPU loads from a big-endian address in memory. */
function bswap32(v: number): number {
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}
function rol32(v: number, s: number): number {
  return ((v << s) | (v >>> (32 - s))) >>> 0;
}

/** `jhash2(k, 4, initval)` over [k0, 0, 0, 0] (an IPv4 `union nf_inet_addr`), Bob Jenkins' lookup3. */
export function jhash2Ipv4(k0: number, initval: number): number {
  let a = (0xdeadbeef + (4 << 2) + initval) >>> 0;
  let b = a;
  let c = a;
  // one round of __jhash_mix with k[0..2]
  a = (a + k0) >>> 0;
  a = (a - c) >>> 0;
  a = (a ^ rol32(c, 4)) >>> 0;
  c = (c + b) >>> 0;
  b = (b - a) >>> 0;
  b = (b ^ rol32(a, 6)) >>> 0;
  a = (a + c) >>> 0;
  c = (c - b) >>> 0;
  c = (c ^ rol32(b, 8)) >>> 0;
  b = (b + a) >>> 0;
  a = (a - c) >>> 0;
  a = (a ^ rol32(c, 16)) >>> 0;
  c = (c + b) >>> 0;
  b = (b - a) >>> 0;
  b = (b ^ rol32(a, 19)) >>> 0;
  a = (a + c) >>> 0;
  c = (c - b) >>> 0;
  c = (c ^ rol32(b, 4)) >>> 0;
  b = (b + a) >>> 0;
  // k[3] = 0, then __jhash_final
  c = (c ^ b) >>> 0;
  c = (c - rol32(b, 14)) >>> 0;
  a = (a ^ c) >>> 0;
  a = (a - rol32(c, 11)) >>> 0;
  b = (b ^ a) >>> 0;
  b = (b - rol32(a, 25)) >>> 0;
  c = (c ^ b) >>> 0;
  c = (c - rol32(b, 16)) >>> 0;
  a = (a ^ c) >>> 0;
  a = (a - rol32(c, 4)) >>> 0;
  b = (b ^ a) >>> 0;
  b = (b - rol32(a, 14)) >>> 0;
  c = (c ^ b) >>> 0;
  c = (c - rol32(b, 24)) >>> 0;
  return c;
}

/** `reciprocal_scale(val, n)` = (val * n) >> 32, exact for u32 operands. */
function reciprocalScale(val: number, n: number): number {
  const a = (val >>> 16) * n;
  const b = (val & 0xffff) * n;
  const ahi = Math.floor(a / 65536);
  const alo = a - ahi * 65536;
  return ahi + Math.floor((alo * 65536 + b) / 4294967296);
}

/** `find_best_ips_proto` (IPv4): the address within the range, by hash of source and destination. */
function findBestIps(t: TupleScratch, range: NatRange, manip: number): void {
  if (!(range.flags & NatFlag.MAP_IPS)) return;
  if (range.minAddr === range.maxAddr) {
    if (manip === NatManip.Src) t.src = range.minAddr;
    else t.dst = range.minAddr;
    return;
  }
  const j = jhash2Ipv4(bswap32(t.src), range.flags & NatFlag.PERSISTENT ? 0 : bswap32(t.dst));
  const dist = (range.maxAddr - range.minAddr + 1) >>> 0;
  const v = (range.minAddr + reciprocalScale(j, dist)) >>> 0;
  if (manip === NatManip.Src) t.src = v;
  else t.dst = v;
}

// ------------------------------------------------------------------ packet rewrite

/**
 * `nf_nat_ipv4_manip_pkt`: rewrite the IPv4 datagram (or quoted header) at `iph` so that its source
 * (SRC) or destination (DST) part equals `target`'s, updating checksums incrementally (RFC 1624):
 * the L4 rewrite first (ports/ICMP id, pseudo-header), then the address and the IP header checksum.
 * A quoted TCP header shorter than 20 bytes keeps its checksum (`tcp_manip_pkt`); a zero UDP checksum
 * stays zero and a computed zero becomes 0xffff (`udp_manip_pkt`).
 */
export function manipPkt(
  u8: Uint8Array,
  iph: number,
  end: number,
  target: TupleScratch,
  manip: number,
): void {
  const ihl = (u8[iph]! & 0x0f) << 2;
  const l4 = iph + ihl;
  const proto = u8[iph + 9]!;
  const src = manip === NatManip.Src;
  const addrOff = iph + (src ? 12 : 16);
  const oldIp = rd32(u8, addrOff);
  const newIp = src ? target.src : target.dst;
  const frag = (rd16(u8, iph + 6) & 0x1fff) !== 0;
  if (!frag) {
    if (proto === IPPROTO_TCP && end - l4 >= 8) {
      const portOff = l4 + (src ? 0 : 2);
      const newPort = src ? target.sport : target.dport;
      if (end - l4 >= 20) {
        let c = rd16(u8, l4 + 16);
        c = csumReplace32(c, oldIp, newIp);
        c = csumReplace16(c, rd16(u8, portOff), newPort);
        wr16(u8, l4 + 16, c);
      }
      wr16(u8, portOff, newPort);
    } else if (proto === IPPROTO_UDP && end - l4 >= 8) {
      const portOff = l4 + (src ? 0 : 2);
      const newPort = src ? target.sport : target.dport;
      let c = rd16(u8, l4 + 6);
      if (c !== 0) {
        c = csumReplace32(c, oldIp, newIp);
        c = csumReplace16(c, rd16(u8, portOff), newPort);
        wr16(u8, l4 + 6, c === 0 ? 0xffff : c);
      }
      wr16(u8, portOff, newPort);
    } else if (proto === IPPROTO_ICMP && end - l4 >= 8) {
      const type = u8[l4]!;
      if (
        type === 0 ||
        type === 8 ||
        type === 13 ||
        type === 14 ||
        type === 15 ||
        type === 16 ||
        type === 17 ||
        type === 18
      ) {
        wr16(u8, l4 + 2, csumReplace16(rd16(u8, l4 + 2), rd16(u8, l4 + 4), target.sport));
        wr16(u8, l4 + 4, target.sport);
      }
    }
  }
  wr16(u8, iph + 10, csumReplace32(rd16(u8, iph + 10), oldIp, newIp));
  wr32(u8, addrOff, newIp);
}

/** For tests: TcpCtFlag is re-exported so NAT tests can inspect TCP state without another import. */
export { TcpCtFlag };
