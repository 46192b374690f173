// UDP connection tracking (net/netfilter/nf_conntrack_proto_udp.c: `udp_error`,
// `nf_conntrack_udp_packet`).
//
// Verified on Linux 6.18 (test/netfilter/fixtures/conntrack-linux-6.18.txt): a reply clears
// [UNREPLIED] but keeps `nf_conntrack_udp_timeout` (30 s); a packet seen after a reply more than 2 s
// after the connection was created (`ct->proto.udp.stream_ts`) extends the timeout to
// `nf_conntrack_udp_timeout_stream` (120 s) and sets ASSURED.

import { CtVerdict } from './proto-tcp.js';
import { type Clock, type CtTable, RowUse } from './table.js';
import type { CtSysctls } from './timeouts.js';
import { Ips } from './tuple.js';

/** Two seconds in ns: `udp_new` sets stream_ts = now + 2 s. */
const STREAM_DELAY_NS = 2_000_000_000;

/** `udp_error`: header truncated, or "Length" below 8 or beyond the datagram. */
export function udpError(u8: Uint8Array, l4: number, end: number): boolean {
  if (end - l4 < 8) return true;
  const len = (u8[l4 + 4]! << 8) | u8[l4 + 5]!;
  return len < 8 || len > end - l4;
}

/** `nf_conntrack_udp_packet`. */
export function udpPacket(tb: CtTable, r: number, clock: Clock, sys: CtSysctls): number {
  const now = clock.now;
  const status = tb.status[r]!;
  if (status & Ips.SEEN_REPLY) {
    let extra = sys.udpNs;
    let stream = false;
    // Still active after two seconds? Extend the timeout.
    if (now > tb.created[r]! + STREAM_DELAY_NS) {
      extra = sys.udpStreamNs;
      stream = (status & Ips.ASSURED) === 0;
    }
    tb.expires[r] = tb.inUse[r] === RowUse.Confirmed ? now + extra : extra; // nf_ct_refresh
    if (status & Ips.NAT_CLASH) return CtVerdict.Accept; // never ASSURED
    if (stream) tb.status[r] = status | Ips.ASSURED;
  } else {
    const t = sys.udpNs;
    tb.expires[r] = tb.inUse[r] === RowUse.Confirmed ? now + t : t; // nf_ct_refresh
  }
  return CtVerdict.Accept;
}
