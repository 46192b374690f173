// Conntrack tuples: the numbers that identify one direction of a connection, and their extraction
// from an IPv4 packet (`nf_ct_get_tuple`, `ipv4_get_l4proto`, `*_pkt_to_tuple`, `nf_ct_invert_tuple`).
//
// Heads up: read net/netfilter/nf_conntrack_core.c (`nf_ct_get_tuple`, `resolve_normal_ct`) and
// include/net/netfilter/nf_conntrack_tuple.h before changing this file.
//
// A tuple is five numbers, never an object per packet: (src, dst, sport, dport, proto).
// - TCP/UDP: the ports.
// - ICMP (echo/timestamp/info/address-mask): `sport` holds the identifier (`src.u.icmp.id`) and `dport`
//   holds `type << 8 | code` (`dst.u.icmp.type/code`). Inverting maps a request type to its reply type
//   and keeps the identifier, as `icmp_invert_tuple` does.
// - Other protocols (the generic tracker, printed as `unknown`): ports are 0.

import { rd16, rd32 } from '../../wire/bytes.js';

export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

/** `enum ip_conntrack_info`, stored in the low 3 bits of `pool.ctId[h]` like skb->_nfct. */
export const CtInfo = Object.freeze({
  Established: 0,
  Related: 1,
  New: 2,
  /** IP_CT_IS_REPLY = IP_CT_ESTABLISHED_REPLY. */
  EstablishedReply: 3,
  RelatedReply: 4,
  /** IP_CT_UNTRACKED: the raw table's NOTRACK/CT --notrack. */
  Untracked: 7,
} as const);
export type CtInfo = (typeof CtInfo)[keyof typeof CtInfo];

/** `pool.ctId[h]` of a frame without a conntrack entry (ctstate INVALID). */
export const CT_NONE = -1;
/** `pool.ctId[h]` of an untracked frame (ctstate UNTRACKED). */
export const CT_UNTRACKED = CtInfo.Untracked;

/** Direction of a tuple within its connection (`enum ip_conntrack_dir`). */
export const Dir = Object.freeze({ Original: 0, Reply: 1 } as const);

/** `enum ip_conntrack_status` bits (include/uapi/linux/netfilter/nf_conntrack_common.h). */
export const Ips = Object.freeze({
  EXPECTED: 1 << 0,
  SEEN_REPLY: 1 << 1,
  ASSURED: 1 << 2,
  CONFIRMED: 1 << 3,
  SRC_NAT: 1 << 4,
  DST_NAT: 1 << 5,
  SEQ_ADJUST: 1 << 6,
  SRC_NAT_DONE: 1 << 7,
  DST_NAT_DONE: 1 << 8,
  DYING: 1 << 9,
  FIXED_TIMEOUT: 1 << 10,
  TEMPLATE: 1 << 11,
  NAT_CLASH: 1 << 12,
} as const);
export const IPS_NAT_MASK = Ips.SRC_NAT | Ips.DST_NAT;
export const IPS_NAT_DONE_MASK = Ips.SRC_NAT_DONE | Ips.DST_NAT_DONE;

/** Result of `tupleFromPacket`. */
export const TupleParse = Object.freeze({
  Ok: 0,
  /** Truncated or malformed L4 header: no tuple, the packet is INVALID (`nf_ct_get_tuple` fails). */
  Malformed: 1,
  /** An ICMP error (type 3/4/5/11/12): resolve with `proto-icmp` as RELATED. */
  IcmpError: 2,
  /** A non-first fragment: the kernel would have reassembled it first (nf_defrag_ipv4). */
  Fragment: 3,
  /** An ICMP type that never starts a connection (e.g. an echo reply without a request). */
  IcmpNoConn: 4,
} as const);
export type TupleParse = (typeof TupleParse)[keyof typeof TupleParse];

/** One direction of a connection, reused (never allocated per packet). */
export class TupleScratch {
  src = 0;
  dst = 0;
  sport = 0;
  dport = 0;
  proto = 0;
  /** Offset of the L4 header in the byte array the tuple was read from. */
  l4Off = 0;
  /** End of the IP datagram (Total Length) in that array. */
  end = 0;

  set(src: number, dst: number, sport: number, dport: number, proto: number): this {
    this.src = src >>> 0;
    this.dst = dst >>> 0;
    this.sport = sport;
    this.dport = dport;
    this.proto = proto;
    return this;
  }

  copyFrom(o: TupleScratch): this {
    this.src = o.src;
    this.dst = o.dst;
    this.sport = o.sport;
    this.dport = o.dport;
    this.proto = o.proto;
    return this;
  }

  equals(o: TupleScratch): boolean {
    return (
      this.src === o.src &&
      this.dst === o.dst &&
      this.sport === o.sport &&
      this.dport === o.dport &&
      this.proto === o.proto
    );
  }
}

/**
 * ICMP request type → reply type (`invmap` in nf_conntrack_proto_icmp.c: echo, timestamp, info,
 * address mask, both ways). -1: not part of a request/reply pair.
 */
const ICMP_INVERSE = new Int8Array(256).fill(-1);
ICMP_INVERSE[8] = 0;
ICMP_INVERSE[0] = 8;
ICMP_INVERSE[13] = 14;
ICMP_INVERSE[14] = 13;
ICMP_INVERSE[15] = 16;
ICMP_INVERSE[16] = 15;
ICMP_INVERSE[17] = 18;
ICMP_INVERSE[18] = 17;

/** Types that may start a connection (`icmp_new`'s `valid_new`: echo, timestamp, info, address mask). */
export function icmpIsRequest(type: number): boolean {
  return type === 8 || type === 13 || type === 15 || type === 17;
}

/** The reply type of an ICMP request type, or -1. */
export function icmpInverseType(type: number): number {
  return ICMP_INVERSE[type & 0xff]!;
}

/** ICMP error types whose payload quotes the offending datagram (`icmp_is_err`). */
export function icmpIsErrorType(type: number): boolean {
  return type === 3 || type === 4 || type === 5 || type === 11 || type === 12;
}

/**
 * `nf_ct_invert_tuple`: `out` = the reply-direction tuple of `t`. Returns false for an ICMP type with
 * no inverse (the caller treats the packet as not starting a connection).
 */
export function invertTuple(t: TupleScratch, out: TupleScratch): boolean {
  if (t.proto === IPPROTO_ICMP) {
    const inv = ICMP_INVERSE[t.dport >>> 8]!;
    if (inv < 0) return false;
    out.set(t.dst, t.src, t.sport, (inv << 8) | (t.dport & 0xff), t.proto);
    return true;
  }
  out.set(t.dst, t.src, t.dport, t.sport, t.proto);
  return true;
}

/**
 * Reads the tuple of the IPv4 datagram at `l3Off` (header already validated by the IPv4 layer) into
 * `t`, with L4 bounds checked against `frameEnd` (`nf_ct_get_tuple`). For ICMP errors only the outer
 * fields and `l4Off` are set.
 */
export function tupleFromPacket(
  u8: Uint8Array,
  l3Off: number,
  frameEnd: number,
  t: TupleScratch,
): TupleParse {
  const ihl = (u8[l3Off]! & 0x0f) << 2;
  const totalLen = rd16(u8, l3Off + 2);
  const end = Math.min(l3Off + totalLen, frameEnd);
  const proto = u8[l3Off + 9]!;
  const src = rd32(u8, l3Off + 12);
  const dst = rd32(u8, l3Off + 16);
  const l4 = l3Off + ihl;
  t.l4Off = l4;
  t.end = end;
  t.proto = proto;
  t.src = src;
  t.dst = dst;
  t.sport = 0;
  t.dport = 0;
  // ipv4_get_l4proto: a non-first fragment has no L4 header.
  if ((rd16(u8, l3Off + 6) & 0x1fff) !== 0) return TupleParse.Fragment;
  switch (proto) {
    case IPPROTO_TCP:
    case IPPROTO_UDP:
      // tcp/udp `pkt_to_tuple` read the 4 port bytes; the full header is checked by the tracker.
      if (end - l4 < 8) return TupleParse.Malformed;
      t.sport = rd16(u8, l4);
      t.dport = rd16(u8, l4 + 2);
      return TupleParse.Ok;
    case IPPROTO_ICMP: {
      if (end - l4 < 8) return TupleParse.Malformed;
      const type = u8[l4]!;
      const code = u8[l4 + 1]!;
      t.sport = rd16(u8, l4 + 4);
      t.dport = (type << 8) | code;
      if (icmpIsErrorType(type)) return TupleParse.IcmpError;
      if (ICMP_INVERSE[type]! < 0) return TupleParse.IcmpNoConn;
      return TupleParse.Ok;
    }
    default:
      return TupleParse.Ok;
  }
}

/**
 * Reads the tuple of the datagram quoted in an ICMP error (`nf_conntrack_inet_error`: the inner IP
 * header and the first 8 bytes of its transport header) starting at `innerOff`, ending at `end`.
 */
export function tupleFromQuote(u8: Uint8Array, innerOff: number, end: number, t: TupleScratch): TupleParse {
  if (end - innerOff < 20) return TupleParse.Malformed;
  const ihl = (u8[innerOff]! & 0x0f) << 2;
  if (ihl < 20 || end - innerOff < ihl) return TupleParse.Malformed;
  const proto = u8[innerOff + 9]!;
  const l4 = innerOff + ihl;
  t.l4Off = l4;
  t.end = end;
  t.proto = proto;
  t.src = rd32(u8, innerOff + 12);
  t.dst = rd32(u8, innerOff + 16);
  t.sport = 0;
  t.dport = 0;
  if ((rd16(u8, innerOff + 6) & 0x1fff) !== 0) return TupleParse.Fragment;
  switch (proto) {
    case IPPROTO_TCP:
    case IPPROTO_UDP:
      if (end - l4 < 4) return TupleParse.Malformed;
      t.sport = rd16(u8, l4);
      t.dport = rd16(u8, l4 + 2);
      return TupleParse.Ok;
    case IPPROTO_ICMP: {
      if (end - l4 < 8) return TupleParse.Malformed;
      const type = u8[l4]!;
      // An error about an error is never related (`icmp_error_message` ignores nested errors).
      if (icmpIsErrorType(type)) return TupleParse.Malformed;
      t.sport = rd16(u8, l4 + 4);
      t.dport = (type << 8) | u8[l4 + 1]!;
      return TupleParse.Ok;
    }
    default:
      return TupleParse.Ok;
  }
}

/**
 * MurmurHash3-style mixing of the five tuple numbers (not jhash: no secret), cut to its low 30 bits:
 * always a V8 small integer, so a call that is not inlined returns it without boxing a HeapNumber.
 * Callers mask it to power-of-two table sizes far below 2^30, so the slots are those of the 32-bit hash.
 */
export function tupleHash(src: number, dst: number, sport: number, dport: number, proto: number): number {
  let h = 0x2f1c3a5b ^ proto;
  h = mix(h, src);
  h = mix(h, dst);
  h = mix(h, ((sport << 16) | dport) >>> 0);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h & 0x3fffffff;
}

function mix(h0: number, w: number): number {
  let k = Math.imul(w, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  let h = h0 ^ k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}
