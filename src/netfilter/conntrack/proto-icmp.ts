// ICMP connection tracking (net/netfilter/nf_conntrack_proto_icmp.c: `icmp_packet`,
// `nf_conntrack_icmpv4_error`, `icmp_error_message`; nf_conntrack_core.c `nf_conntrack_inet_error`).
//
// - Only echo, timestamp, information and address-mask requests create a connection; their replies
//   match it by the inverted tuple (same identifier). Any other query type has no connection (INVALID).
// - An ICMP error is RELATED to the connection of the datagram it quotes: the quoted tuple is
//   inverted (the quote travelled the other way) and looked up; IP_CT_RELATED_REPLY when the match is
//   the reply tuple. An error never creates or refreshes a connection. Without a match it is INVALID.
// Verified on Linux 6.18: an echo with a reply has no [UNREPLIED] and is never ASSURED; the timeout is
// refreshed to `nf_conntrack_icmp_timeout` (30 s) by every packet.

import { CtVerdict } from './proto-tcp.js';
import { type Clock, type CtTable, RowUse } from './table.js';
import type { CtSysctls } from './timeouts.js';

/** Checks the ICMP header length (`icmp_error`: fewer than 8 bytes is INVALID; types above 18 too). */
export function icmpError(u8: Uint8Array, l4: number, end: number): boolean {
  return end - l4 < 8 || u8[l4]! > 18;
}

/** `icmp_packet`: refresh (connections only exist for request/reply pairs, checked at creation). */
export function icmpPacket(tb: CtTable, r: number, clock: Clock, sys: CtSysctls): number {
  const t = sys.icmpNs;
  tb.expires[r] = tb.inUse[r] === RowUse.Confirmed ? clock.now + t : t; // nf_ct_refresh
  return CtVerdict.Accept;
}
