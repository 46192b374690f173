// The per-packet scratch a Netfilter traversal reads: one instance per namespace, refilled by
// `Netfilter.run` from the frame's IPv4 header (the fields `ip_packet_match` and the match modules
// read from the skb), so matches never parse bytes twice and nothing is allocated per packet.
//
// Producers (who writes which fields):
//   Netfilter.run            — everything under "packet" and "devices" (from the frame and its args;
//                              the header fields on first need: before a table or IPVS step).
//   conntrack (nf_conntrack_in at priority −200, installed as `Netfilter.conntrack`) — ctId, ctState,
//                              ctDir before mangle/nat/filter run; raw runs before it (ctState 0).
//   br_netfilter (`runBridged`) — physIn, physOut, bridged.
//   targets                  — mark (MARK), notrack (CT --notrack/NOTRACK), trace (TRACE).

import type { Netfilter } from './hooks.js';

/** xt_conntrack state bits (XT_CONNTRACK_STATE_BIT(ctinfo) = 1 << (ctinfo + 1) and friends). */
export const CtState = {
  Invalid: 1 << 0,
  Established: 1 << 1,
  Related: 1 << 2,
  New: 1 << 3,
  Untracked: 1 << 8,
  Snat: 1 << 9,
  Dnat: 1 << 10,
} as const;

const EMPTY = new Uint8Array(0);

export class PacketCtx {
  // --- packet (IPv4 header fields, host byte order) ---
  u8: Uint8Array = EMPTY;
  /** Frame handle in `world.pool`. */
  h = -1;
  l3Off = 0;
  /** One past the last byte of the IPv4 datagram (l3Off + total length, clamped to the frame). */
  end = 0;
  src = 0;
  dst = 0;
  proto = 0;
  /** IPv4 total length: the byte count rule counters add (skb->len at layer 3). */
  len = 0;
  /** Fragment offset field (units of 8 bytes); non-zero = not the first fragment (`-f`). */
  fragOff = 0;
  /** Offset of the transport header (l3Off + IHL). */
  l4Off = 0;
  /** Bytes of transport header present: matches needing more set `hotdrop` (kernel: par->hotdrop). */
  l4Avail = 0;
  sport = 0;
  dport = 0;
  tcpFlags = 0;
  icmpType = 0;
  icmpCode = 0;
  /** 1 once the fields above (src … icmpCode, len, end) were read for this traversal (read on first need). */
  parsed = 0;
  // --- devices (world-wide device ids, -1 = none) ---
  inDev = -1;
  outDev = -1;
  /** Bridge port the frame entered / will leave by (br_netfilter), -1 when not bridged. */
  physIn = -1;
  physOut = -1;
  /** 1 while the bridge forwards the frame (physdev --physdev-is-bridged). */
  bridged = 0;
  // --- traversal state ---
  hook = 0;
  /** Set by a match that found the packet malformed: the traversal drops it (par->hotdrop). */
  hotdrop = 0;
  /** skb->mark, copied from pool.mark at entry and written back before `run` returns. */
  mark = 0;
  // --- conntrack (filled by the conntrack hook; defaults mean "no conntrack") ---
  ctId = -1;
  /** CtState bit of this packet; 0 before conntrack ran (raw table), CtState.Invalid without a ct. */
  ctState = 0;
  /** 0 = original direction, 1 = reply. */
  ctDir = 0;
  /** Set by CT --notrack / NOTRACK in raw: conntrack must leave the packet untracked. */
  notrack = 0;
  /** Set by TRACE (or a traced frame): every rule hit is reported to `Netfilter.tracer`. */
  trace = 0;
  /** The rule that decided the verdict (global rule id, -1 = a policy or no table). */
  lastRule = -1;

  constructor(readonly nf: Netfilter) {}
}
