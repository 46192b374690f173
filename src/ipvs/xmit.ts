// Packet rewriting for the three forwarding methods (net/netfilter/ipvs/ip_vs_xmit.c) and the masq
// reply rewrite (`handle_response` + `tcp_snat_handler` / `udp_snat_handler`).
//
// All functions work in place on the IPv4 packet at `l3` in `u8` (the frame as LOCAL_IN sees it:
// Ethernet already pulled), allocate nothing and patch checksums incrementally (RFC 1624), as the
// kernel's `tcp_fast_csum_update` / `udp_fast_csum_update` do; a zero UDP checksum stays zero and a
// computed zero becomes 0xffff (CSUM_MANGLED_0). The caller has validated the IPv4 header and that the
// first 4 transport bytes (ports) are present.
//
// What each method puts on the wire:
// - masq (`ip_vs_nat_xmit`): destination address and port become the real server's; TTL - 1.
// - DR (`ip_vs_dr_xmit`): the IP packet is unchanged except TTL - 1; it is routed to the real server's
//   address, so only the Ethernet destination (the next hop's MAC from neighbour output) changes.
//   `drRewriteL2` writes that header when a caller holds the MAC itself.
// - tunnel (`ip_vs_tunnel_xmit`): TTL - 1, then a 20-byte outer IPv4 header is pushed into the frame
//   pool's headroom: protocol 4 (IPIP), source = the director's address on the route to the real
//   server, destination = the real server, TOS = inner TOS with ECN per INET_ECN_encapsulate, DF and
//   TTL copied from the (decremented) inner header, Identification 0 when DF is set (ip_select_ident)
//   and otherwise the next value of a per-namespace counter (the kernel hashes; a seeded stand-in).
// `decrement_ttl` runs for every method when the destination is not local (__ip_vs_get_out_rt).
// Addresses may be passed as int32 or unsigned: only their 32 bits are used.

import { rd16, rd32, wr16, wr32 } from '../wire/bytes.js';
import { csumFull, csumReplace16, csumReplace32 } from '../wire/checksum.js';
import { PROTO_TCP, PROTO_UDP } from './defs.js';

const IP_TTL = 8;
const IP_CSUM = 10;
const IP_SRC = 12;
const IP_DST = 16;
const TCP_CSUM = 16;
const UDP_CSUM = 6;

/** Adjusts the transport checksum for an address change (pseudo-header) and a port change. */
function l4Fix(
  u8: Uint8Array,
  l4: number,
  proto: number,
  oldA: number,
  newA: number,
  oldP: number,
  newP: number,
): void {
  if (proto === PROTO_TCP) {
    const at = l4 + TCP_CSUM;
    wr16(u8, at, csumReplace16(csumReplace32(rd16(u8, at), oldA, newA), oldP, newP));
  } else if (proto === PROTO_UDP) {
    const at = l4 + UDP_CSUM;
    const c = rd16(u8, at);
    if (c === 0) return;
    const n = csumReplace16(csumReplace32(c, oldA, newA), oldP, newP);
    wr16(u8, at, n === 0 ? 0xffff : n);
  }
}

/** DNAT for masq (`ip_vs_nat_xmit` + `*_dnat_handler`): daddr:dport → rs addr:port. */
export function natRewriteIn(u8: Uint8Array, l3: number, newAddr: number, newPort: number): void {
  const ihl = (u8[l3]! & 0x0f) << 2;
  const proto = u8[l3 + 9]!;
  const oldA = rd32(u8, l3 + IP_DST) | 0;
  const l4 = l3 + ihl;
  const oldP = rd16(u8, l4 + 2);
  wr32(u8, l3 + IP_DST, newAddr);
  wr16(u8, l3 + IP_CSUM, csumReplace32(rd16(u8, l3 + IP_CSUM), oldA, newAddr));
  wr16(u8, l4 + 2, newPort);
  l4Fix(u8, l4, proto, oldA, newAddr, oldP, newPort & 0xffff);
}

/** SNAT of a masq reply (`handle_response` + `*_snat_handler`): saddr:sport → vaddr:vport. */
export function natRewriteOut(u8: Uint8Array, l3: number, vaddr: number, vport: number): void {
  const ihl = (u8[l3]! & 0x0f) << 2;
  const proto = u8[l3 + 9]!;
  const oldA = rd32(u8, l3 + IP_SRC) | 0;
  const l4 = l3 + ihl;
  const oldP = rd16(u8, l4);
  wr32(u8, l3 + IP_SRC, vaddr);
  wr16(u8, l3 + IP_CSUM, csumReplace32(rd16(u8, l3 + IP_CSUM), oldA, vaddr));
  wr16(u8, l4, vport);
  l4Fix(u8, l4, proto, oldA, vaddr, oldP, vport & 0xffff);
}

/**
 * `decrement_ttl`: returns false (send ICMP time exceeded, drop) when TTL <= 1; otherwise TTL - 1 with
 * the checksum patched like `ip_decrease_ttl`.
 */
export function ipvsDecrementTtl(u8: Uint8Array, l3: number): boolean {
  const ttl = u8[l3 + IP_TTL]!;
  if (ttl <= 1) return false;
  const old = rd16(u8, l3 + IP_TTL);
  u8[l3 + IP_TTL] = ttl - 1;
  wr16(u8, l3 + IP_CSUM, csumReplace16(rd16(u8, l3 + IP_CSUM), old, rd16(u8, l3 + IP_TTL)));
  return true;
}

export const IPIP_HLEN = 20;

/**
 * Writes the outer IPIP header in the 20 bytes before `l3` (the caller has made the room with
 * `pool.prepend(h, 20)`) and returns the new start. `ipId` is used only when the inner DF is clear.
 */
export function ipipEncap(u8: Uint8Array, l3: number, src: number, dst: number, ipId: number): number {
  const o = l3 - IPIP_HLEN;
  const innerLen = rd16(u8, l3 + 2);
  const innerTos = u8[l3 + 1]!;
  const df = u8[l3 + 6]! & 0x40;
  // INET_ECN_encapsulate(inner, inner): keep the inner ECN bits unless CE, which becomes ECT(0).
  const tos = (innerTos & 3) === 3 ? (innerTos & ~3) | 2 : innerTos;
  u8[o] = 0x45;
  u8[o + 1] = tos;
  wr16(u8, o + 2, innerLen + IPIP_HLEN);
  wr16(u8, o + 4, df ? 0 : ipId);
  u8[o + 6] = df;
  u8[o + 7] = 0;
  u8[o + 8] = u8[l3 + IP_TTL]!;
  u8[o + 9] = 4; // IPPROTO_IPIP
  wr16(u8, o + IP_CSUM, 0);
  wr32(u8, o + IP_SRC, src);
  wr32(u8, o + IP_DST, dst);
  wr16(u8, o + IP_CSUM, csumFull(u8, o, IPIP_HLEN));
  return o;
}

/** Writes an Ethernet header (dst, src, type IPv4) at `eth` — DR's only change below IP. */
export function drRewriteL2(
  u8: Uint8Array,
  eth: number,
  dstHi: number,
  dstLo: number,
  srcHi: number,
  srcLo: number,
): void {
  wr16(u8, eth, dstHi);
  wr32(u8, eth + 2, dstLo);
  wr16(u8, eth + 6, srcHi);
  wr32(u8, eth + 8, srcLo);
  wr16(u8, eth + 12, 0x0800);
}

/**
 * `ip_vs_nat_icmp` (inout = 1): an ICMP error about a masq connection, quoting the client → real
 * server packet, leaves with the VIP as its source; the quoted header's destination becomes
 * VIP:vport. Both IPv4 header checksums and the ICMP checksum are recomputed (the quoted transport
 * checksum is left as is, as the kernel does). `q` is the quoted IPv4 header, `end` the datagram end.
 */
export function natIcmpOut(
  u8: Uint8Array,
  l3: number,
  q: number,
  end: number,
  vaddr: number,
  vport: number,
): void {
  const ihl = (u8[l3]! & 0x0f) << 2;
  const oldSrc = rd32(u8, l3 + IP_SRC) | 0;
  wr32(u8, l3 + IP_SRC, vaddr);
  wr16(u8, l3 + IP_CSUM, csumReplace32(rd16(u8, l3 + IP_CSUM), oldSrc, vaddr));
  const qihl = (u8[q]! & 0x0f) << 2;
  wr32(u8, q + IP_DST, vaddr);
  wr16(u8, q + IP_CSUM, 0);
  wr16(u8, q + IP_CSUM, csumFull(u8, q, qihl));
  const qp = u8[q + 9]!;
  if ((qp === PROTO_TCP || qp === PROTO_UDP) && q + qihl + 4 <= end) wr16(u8, q + qihl + 2, vport);
  const ic = l3 + ihl;
  wr16(u8, ic + 2, 0);
  wr16(u8, ic + 2, csumFull(u8, ic, end - ic));
}
