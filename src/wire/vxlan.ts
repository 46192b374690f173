// VXLAN (RFC 7348) header, and IPv4 encapsulation/decapsulation as the Linux vxlan driver does it.
//
// Heads up: read RFC 7348 §5 and drivers/net/vxlan/vxlan_core.c (`vxlan_rcv`, `vxlan_xmit_one`) before
// changing defaults. Facts this file relies on:
//  - Header: flags octet with the I flag 0x08, 24 reserved bits, 24-bit VNI, 8 reserved bits.
//  - Receive: RFC 7348 §5 says reserved bits "MUST be ignored on receipt", but Linux drops the packet
//    when the I flag is clear ("VNI flag always required to be set") and, by default, when any bit
//    outside I and the VNI is set (`vxlan->cfg.reserved_bits`, SKB_DROP_REASON_VXLAN_INVALID_HDR;
//    the kernel comment says this "diverges from VXLAN RFC"). `checkVxlan` does what Linux does;
//    `checkVxlanRfc` is the RFC rule.
//  - Ports: IANA 4789; Linux's default when `dstport` is omitted is 8472 (module parameter
//    `udp_port`, "for compatibility with early adopters"; Documentation/networking/vxlan.rst; iproute2
//    warns "Will use Linux kernel default (non-standard value)").
//  - Source port: `udp_flow_src_port(net, skb, port_min, port_max, true)`; with the default
//    `srcport 0 0` the range is the netns's ip_local_port_range (32768 60999 by default), and the
//    result is ((hash ^ hash << 16) * (max - min)) >> 32 + min, so it never reaches `max`.
//  - TTL: `ttl` 0 ("ttl auto") → 1 toward a multicast group, else ip4_dst_hoplimit (64 by default).
//  - DF: VXLAN_DF_UNSET by default → frag_off 0. TOS: 0 unless configured ("tos inherit" is 1).
//  - Outer UDP checksum over IPv4: computed by default since Linux 4.6 (commit 6ceb31ca, which turned
//    VXLAN_F_UDP_CSUM into VXLAN_F_UDP_ZERO_CSUM_TX); `ip -d link` prints `udpcsum`, and a capture
//    on Linux 6.18 carries a valid non-zero checksum. `noudpcsum` sends 0.
//  - Overhead: outer Ethernet 14 + IPv4 20 + UDP 8 + VXLAN 8 = 50 octets (VXLAN_HEADROOM), which is
//    why a vxlan device on a 1500-octet underlay gets MTU 1450.

import { rd16, wr16, wr32 } from './bytes.js';
import { csumFull, fold, pseudoHeaderSum, sumBytes } from './checksum.js';

export const VXLAN_HEADER_LEN = 8;
/** The I flag in the first octet ("I flag MUST be set to 1 for a valid VXLAN Network ID"). */
export const VXLAN_FLAG_I = 0x08;
export const VXLAN_VNI_MAX = 0xffffff;
/** IANA-assigned destination port (RFC 7348 §5). */
export const VXLAN_PORT_IANA = 4789;
/** Linux's default destination port when `dstport` is not given. */
export const VXLAN_PORT_LINUX_DEFAULT = 8472;
/** Default net.ipv4.ip_local_port_range, used for the source port when `srcport` is unset. */
export const LINUX_LOCAL_PORT_MIN = 32768;
export const LINUX_LOCAL_PORT_MAX = 60999;
/** net.ipv4.ip_default_ttl, which ip4_dst_hoplimit returns for a route without a hoplimit metric. */
export const LINUX_DEFAULT_TTL = 64;

const ETH_LEN = 14;
const IPV4_LEN = 20;
const UDP_LEN = 8;
/** Outer IPv4 encapsulation overhead: Ethernet 14 + IPv4 20 + UDP 8 + VXLAN 8. */
export const VXLAN_OVERHEAD_IPV4 = ETH_LEN + IPV4_LEN + UDP_LEN + VXLAN_HEADER_LEN;

/** Byte offsets of the VXLAN header fields (RFC 7348 §5, "VXLAN Header"). */
export const VXLAN_F = Object.freeze({ FLAGS: 0, RESERVED1: 1, VNI: 4, RESERVED2: 7 } as const);
const F = VXLAN_F;

/** Why a VXLAN packet was dropped; index drop counters by it. */
export const VxlanBad = Object.freeze({
  None: 0,
  /** Fewer than 8 octets of VXLAN header (or, in `vxlanDecap`, of the outer headers). */
  Short: 1,
  /** I flag clear. */
  NoVniFlag: 2,
  /** A reserved bit is set (Linux default policy; the RFC would ignore it). */
  ReservedBits: 3,
  /** Outer frame is not Ethernet/IPv4 (`vxlanDecap` only). */
  NotIpv4: 4,
  /** Outer IPv4 header malformed: version, IHL, total length or header checksum (`vxlanDecap` only). */
  BadIpv4: 5,
  /** Outer IPv4 is a fragment; reassembly happens before the UDP socket (`vxlanDecap` only). */
  Fragment: 6,
  /** Outer protocol is not UDP or the UDP destination port is not the expected one (`vxlanDecap`). */
  NotVxlan: 7,
  /** Outer UDP "Length" inconsistent with the IPv4 payload (`vxlanDecap` only). */
  UdpLength: 8,
  /** Outer UDP checksum non-zero and wrong (`vxlanDecap` only). */
  UdpChecksum: 9,
  /** Inner frame shorter than an Ethernet header (`vxlanDecap` only; vxlan_rcv's pskb_may_pull). */
  InnerShort: 10,
} as const);
export type VxlanBad = (typeof VxlanBad)[keyof typeof VxlanBad];

/** Zero-copy, reusable view of a VXLAN header. */
export class VxlanView {
  u8: Uint8Array = new Uint8Array(0);
  off = 0;

  /** Re-points the view; allocates nothing. */
  reset(u8: Uint8Array, off: number): this {
    this.u8 = u8;
    this.off = off;
    return this;
  }
  /** "Flags" octet (R R R R I R R R). */
  get flags(): number {
    return this.u8[this.off + F.FLAGS]!;
  }
  set flags(v: number) {
    this.u8[this.off + F.FLAGS] = v;
  }
  /** The I flag: "set to 1 for a valid VXLAN Network ID (VNI)". */
  get iFlag(): boolean {
    return (this.u8[this.off + F.FLAGS]! & VXLAN_FLAG_I) !== 0;
  }
  /** "VXLAN Network Identifier (VNI)", 24 bits. */
  get vni(): number {
    const o = this.off + F.VNI;
    return (this.u8[o]! << 16) | (this.u8[o + 1]! << 8) | this.u8[o + 2]!;
  }
  set vni(v: number) {
    const o = this.off + F.VNI;
    this.u8[o] = v >>> 16;
    this.u8[o + 1] = v >>> 8;
    this.u8[o + 2] = v;
  }
  /** The 24 "Reserved" bits after the flags. */
  get reserved1(): number {
    const o = this.off + F.RESERVED1;
    return (this.u8[o]! << 16) | (this.u8[o + 1]! << 8) | this.u8[o + 2]!;
  }
  /** The final 8 "Reserved" bits. */
  get reserved2(): number {
    return this.u8[this.off + F.RESERVED2]!;
  }
  /** Offset of the inner Ethernet frame. */
  get innerOff(): number {
    return this.off + VXLAN_HEADER_LEN;
  }
}

/** Linux's receive check (`vxlan_rcv` with default reserved_bits): I set, every other bit clear. */
export function checkVxlan(u8: Uint8Array, off: number, end: number): VxlanBad {
  if (end - off < VXLAN_HEADER_LEN) return VxlanBad.Short;
  const flags = u8[off + F.FLAGS]!;
  if ((flags & VXLAN_FLAG_I) === 0) return VxlanBad.NoVniFlag;
  if ((flags & ~VXLAN_FLAG_I) !== 0 || (u8[off + 1]! | u8[off + 2]! | u8[off + 3]! | u8[off + 7]!) !== 0) {
    return VxlanBad.ReservedBits;
  }
  return VxlanBad.None;
}

/** RFC 7348 §5 receive rule: the I flag must be set; reserved bits are ignored. */
export function checkVxlanRfc(u8: Uint8Array, off: number, end: number): VxlanBad {
  if (end - off < VXLAN_HEADER_LEN) return VxlanBad.Short;
  return (u8[off + F.FLAGS]! & VXLAN_FLAG_I) === 0 ? VxlanBad.NoVniFlag : VxlanBad.None;
}

/** Writes the 8-octet header for `vni` (I flag set, reserved bits zero). */
export function writeVxlanHeader(u8: Uint8Array, off: number, vni: number): void {
  u8[off] = VXLAN_FLAG_I;
  u8[off + 1] = 0;
  u8[off + 2] = 0;
  u8[off + 3] = 0;
  u8[off + 4] = vni >>> 16;
  u8[off + 5] = vni >>> 8;
  u8[off + 6] = vni;
  u8[off + 7] = 0;
}

// ---- Repr ----

export interface VxlanRepr {
  vni: number;
}
export type VxlanParse = { ok: true; repr: VxlanRepr } | { ok: false; reason: VxlanBad };

/** Writes the header at `off`; returns 8. */
export function emitVxlan(r: VxlanRepr, u8: Uint8Array, off: number): number {
  writeVxlanHeader(u8, off, r.vni);
  return VXLAN_HEADER_LEN;
}

/** Parses the header at `off` under Linux's receive rule. Never throws. */
export function parseVxlan(u8: Uint8Array, off: number, end: number): VxlanParse {
  const bad = checkVxlan(u8, off, end);
  if (bad !== VxlanBad.None) return { ok: false, reason: bad };
  const o = off + F.VNI;
  return { ok: true, repr: { vni: (u8[o]! << 16) | (u8[o + 1]! << 8) | u8[o + 2]! } };
}

// ---- Encapsulation (vxlan_xmit_one) ----

/**
 * Maps a flow hash onto a UDP source port as `udp_flow_src_port` does. `min >= max` selects the
 * default local port range. Linux hashes the inner flow with skb_get_hash (keyed by a boot-time random
 * secret), so exact ports are not reproducible; the simulator supplies a seeded hash instead
 * (`vxlanFlowHash`) and only this mapping is Linux's.
 */
export function vxlanSrcPort(hash: number, min = 0, max = 0): number {
  let lo = min;
  let hi = max;
  if (lo >= hi) {
    lo = LINUX_LOCAL_PORT_MIN;
    hi = LINUX_LOCAL_PORT_MAX;
  }
  const h = (hash ^ (hash << 16)) >>> 0;
  // h < 2^32 and hi - lo < 2^16, so the product is exact in a double.
  return Math.floor((h * (hi - lo)) / 0x100000000) + lo;
}

/** Default outer TTL for `ttl auto`: 1 toward an IPv4 multicast group (224.0.0.0/4), else 64. */
export function vxlanDefaultTtl(dstIp: number): number {
  return dstIp >>> 28 === 0xe ? 1 : LINUX_DEFAULT_TTL;
}

/**
 * A deterministic 32-bit hash of the inner frame's flow for `vxlanSrcPort`: Ethernet addresses and
 * type, and for IPv4 the addresses, protocol and (TCP/UDP, unfragmented) ports. FNV-1a over the
 * octets; `seed` lets the simulator key it per host. Returned as int32 (the same 32 bits; `>>> 0`
 * for the unsigned value): a uint32 above 2^31 returned from a call that is not inlined is boxed
 * into a heap number, once per encapsulated frame. Allocates nothing.
 */
export function vxlanFlowHash(u8: Uint8Array, innerOff: number, innerLen: number, seed = 0): number {
  let h = 0x811c9dc5 ^ seed;
  if (innerLen < ETH_LEN) return fnv1a(h, u8, innerOff, innerLen);
  h = fnv1a(h, u8, innerOff, ETH_LEN);
  const ip = innerOff + ETH_LEN;
  if (rd16(u8, innerOff + 12) === 0x0800 && innerLen >= ETH_LEN + IPV4_LEN && u8[ip]! >>> 4 === 4) {
    h = fnv1a(h, u8, ip + 9, 1); // protocol
    h = fnv1a(h, u8, ip + 12, 8); // addresses
    const ihl = (u8[ip]! & 0x0f) * 4;
    const proto = u8[ip + 9]!;
    const unfragmented = (rd16(u8, ip + 6) & 0x3fff) === 0;
    if ((proto === 6 || proto === 17) && unfragmented && innerLen >= ETH_LEN + ihl + 4)
      h = fnv1a(h, u8, ip + ihl, 4);
  }
  return h;
}

function fnv1a(h0: number, u8: Uint8Array, from: number, n: number): number {
  let h = h0;
  for (let i = from; i < from + n; i++) h = Math.imul(h ^ u8[i]!, 0x01000193);
  return h;
}

/**
 * Outer-header parameters for `vxlanEncapHeaders`. Reuse one object per device; MACs are (hi16, lo32)
 * numbers, addresses unsigned 32-bit numbers.
 */
export interface VxlanEncapParams {
  dstMacHi: number;
  dstMacLo: number;
  srcMacHi: number;
  srcMacLo: number;
  srcIp: number;
  dstIp: number;
  vni: number;
  /** Outer UDP source port, usually `vxlanSrcPort(vxlanFlowHash(...))`. */
  srcPort: number;
  /** Outer UDP destination port: 8472 when `dstport` is omitted, 4789 for the IANA port. */
  dstPort: number;
  /** Outer TTL; use `vxlanDefaultTtl(dstIp)` for `ttl auto`. */
  ttl: number;
  /** Outer TOS octet (0 by default). */
  tos: number;
  /** Set DF in the outer header (Linux default: unset). */
  df: boolean;
  /** Outer IPv4 "Identification". */
  ipId: number;
  /** Compute the outer UDP checksum (Linux default: yes, `udpcsum`). */
  udpChecksum: boolean;
}

/** Parameters with Linux's defaults for a unicast remote; fill in addresses, VNI and ports. */
export function vxlanDefaultParams(): VxlanEncapParams {
  return {
    dstMacHi: 0,
    dstMacLo: 0,
    srcMacHi: 0,
    srcMacLo: 0,
    srcIp: 0,
    dstIp: 0,
    vni: 0,
    srcPort: LINUX_LOCAL_PORT_MIN,
    dstPort: VXLAN_PORT_LINUX_DEFAULT,
    ttl: LINUX_DEFAULT_TTL,
    tos: 0,
    df: false,
    ipId: 0,
    udpChecksum: true,
  };
}

/**
 * Writes outer Ethernet, IPv4, UDP and VXLAN headers in the 50 octets before the inner frame at
 * [`innerOff`, `innerOff + innerLen`) and returns the new frame start (`innerOff - 50`), or -1 when the
 * headroom is too small or the result would exceed an IPv4 datagram (the caller drops the frame).
 * The inner bytes are not moved or copied. Allocates nothing.
 */
export function vxlanEncapHeaders(
  u8: Uint8Array,
  innerOff: number,
  innerLen: number,
  p: VxlanEncapParams,
): number {
  const start = innerOff - VXLAN_OVERHEAD_IPV4;
  const ipLen = IPV4_LEN + UDP_LEN + VXLAN_HEADER_LEN + innerLen;
  if (start < 0 || ipLen > 0xffff) return -1;
  // 1. Outer Ethernet.
  wr16(u8, start, p.dstMacHi);
  wr32(u8, start + 2, p.dstMacLo);
  wr16(u8, start + 6, p.srcMacHi);
  wr32(u8, start + 8, p.srcMacLo);
  wr16(u8, start + 12, 0x0800);
  // 2. Outer IPv4, no options (iptunnel_xmit builds a 20-octet header).
  const ip = start + ETH_LEN;
  u8[ip] = 0x45;
  u8[ip + 1] = p.tos;
  wr16(u8, ip + 2, ipLen);
  wr16(u8, ip + 4, p.ipId);
  wr16(u8, ip + 6, p.df ? 0x4000 : 0);
  u8[ip + 8] = p.ttl;
  u8[ip + 9] = 17;
  wr16(u8, ip + 10, 0);
  wr32(u8, ip + 12, p.srcIp);
  wr32(u8, ip + 16, p.dstIp);
  wr16(u8, ip + 10, csumFull(u8, ip, IPV4_LEN));
  // 3. Outer UDP.
  const udp = ip + IPV4_LEN;
  const udpLen = ipLen - IPV4_LEN;
  wr16(u8, udp, p.srcPort);
  wr16(u8, udp + 2, p.dstPort);
  wr16(u8, udp + 4, udpLen);
  wr16(u8, udp + 6, 0);
  // 4. VXLAN.
  writeVxlanHeader(u8, udp + UDP_LEN, p.vni);
  // 5. UDP checksum last: it covers the VXLAN header and the whole inner frame.
  if (p.udpChecksum) {
    const c = ~fold(sumBytes(u8, udp, udpLen, pseudoHeaderSum(p.srcIp, p.dstIp, 17, udpLen))) & 0xffff;
    wr16(u8, udp + 6, c === 0 ? 0xffff : c);
  }
  return start;
}

/** Result of `vxlanDecap`; reuse one object. */
export class VxlanDecapResult {
  innerOff = 0;
  innerLen = 0;
  vni = 0;
  /** Outer source address and port (what vxlan_snoop learns the remote VTEP from). */
  srcIp = 0;
  srcPort = 0;
  dstIp = 0;
}

/**
 * Validates an outer Ethernet/IPv4/UDP/VXLAN frame at [`off`, `end`) addressed to UDP port `dstPort`
 * and fills `out` with the inner frame's position and the VNI. Checks in receive order: Ethernet type,
 * IPv4 header (version, IHL, total length, checksum, not a fragment), UDP (port, length, checksum
 * when non-zero, as udp_queue_rcv_one_skb verifies before the encap hook), then `checkVxlan`.
 * Never throws; allocates nothing.
 */
export function vxlanDecap(
  u8: Uint8Array,
  off: number,
  end: number,
  dstPort: number,
  out: VxlanDecapResult,
): VxlanBad {
  if (end - off < ETH_LEN + IPV4_LEN) return VxlanBad.Short;
  if (rd16(u8, off + 12) !== 0x0800) return VxlanBad.NotIpv4;
  const ip = off + ETH_LEN;
  const vihl = u8[ip]!;
  const ihl = (vihl & 0x0f) * 4;
  if (vihl >>> 4 !== 4 || ihl < IPV4_LEN || ip + ihl > end) return VxlanBad.BadIpv4;
  const totLen = rd16(u8, ip + 2);
  if (totLen < ihl || ip + totLen > end) return VxlanBad.BadIpv4;
  if (fold(sumBytes(u8, ip, ihl, 0)) !== 0xffff) return VxlanBad.BadIpv4;
  if ((rd16(u8, ip + 6) & 0x3fff) !== 0) return VxlanBad.Fragment;
  if (u8[ip + 9] !== 17) return VxlanBad.NotVxlan;
  const udp = ip + ihl;
  const ipEnd = ip + totLen;
  if (ipEnd - udp < UDP_LEN) return VxlanBad.Short;
  if (rd16(u8, udp + 2) !== dstPort) return VxlanBad.NotVxlan;
  const udpLen = rd16(u8, udp + 4);
  if (udpLen < UDP_LEN || udp + udpLen > ipEnd) return VxlanBad.UdpLength;
  const srcIp = ((u8[ip + 12]! << 24) | (u8[ip + 13]! << 16) | (u8[ip + 14]! << 8) | u8[ip + 15]!) >>> 0;
  const dstIp = ((u8[ip + 16]! << 24) | (u8[ip + 17]! << 16) | (u8[ip + 18]! << 8) | u8[ip + 19]!) >>> 0;
  if (rd16(u8, udp + 6) !== 0) {
    if (fold(sumBytes(u8, udp, udpLen, pseudoHeaderSum(srcIp, dstIp, 17, udpLen))) !== 0xffff) {
      return VxlanBad.UdpChecksum;
    }
  }
  const vx = udp + UDP_LEN;
  const udpEnd = udp + udpLen;
  const bad = checkVxlan(u8, vx, udpEnd);
  if (bad !== VxlanBad.None) return bad;
  const innerOff = vx + VXLAN_HEADER_LEN;
  if (udpEnd - innerOff < ETH_LEN) return VxlanBad.InnerShort;
  out.innerOff = innerOff;
  out.innerLen = udpEnd - innerOff;
  out.vni = (u8[vx + 4]! << 16) | (u8[vx + 5]! << 8) | u8[vx + 6]!;
  out.srcIp = srcIp;
  out.srcPort = rd16(u8, udp);
  out.dstIp = dstIp;
  return VxlanBad.None;
}
