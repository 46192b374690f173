// The closed set of reasons a frame leaves the data plane without being delivered.
//
// Every drop in netsim goes through `World.drop(frame, reason, devId)`, which counts it per reason
// (globally and per device) and releases the frame. The names follow the kernel's
// `enum skb_drop_reason` (include/net/dropreason-core.h) where one exists, so a user who knows
// `perf trace -e skb:kfree_skb` recognises them; the explanation layer maps them to dispositions.

export const Drop = {
  /** Not a drop: placeholder for "no reason recorded". */
  NotSpecified: 0,
  /** Device administratively down or without carrier (NETDEV_DOWN in later kernels). */
  DevDown: 1,
  /** Frame too short or malformed at layer 2 (PKT_TOO_SMALL). */
  L2Malformed: 2,
  /** Destination MAC is neither ours, broadcast nor multicast (OTHERHOST). */
  OtherHost: 3,
  /** EtherType without a protocol handler in this namespace (UNHANDLED_PROTO). */
  UnhandledProto: 4,
  /** IPv4 header failed validation (IP_CSUM, IP_INHDR, PKT_TOO_SMALL). */
  IpHeaderBad: 5,
  /** No route to the destination (IP_NOROUTE). */
  NoRoute: 6,
  /** Forwarding disabled (net.ipv4.ip_forward=0) for a packet not addressed to us. */
  ForwardingDisabled: 7,
  /** TTL reached zero while forwarding (IP_INADDRERRORS / TTL expired). */
  TtlExpired: 8,
  /** Packet larger than the egress MTU with DF set (PKT_TOO_BIG). */
  MtuExceeded: 9,
  /** Neighbour resolution failed (NEIGH_FAILED) or its queue overflowed (NEIGH_QUEUEFULL). */
  NeighFailed: 10,
  NeighQueueFull: 11,
  /** No socket bound to the destination port (NO_SOCKET). */
  NoSocket: 12,
  /** Socket receive queue full (SOCKET_RCVBUFF). */
  SocketRcvBuff: 13,
  /** Link transmit queue full: tail drop (QDISC_DROP). */
  QueueFull: 14,
  /** A netfilter rule or chain policy said DROP (NETFILTER_DROP). */
  NetfilterDrop: 15,
  /** Bridge: the egress port is the ingress port and hairpin is off, or the port is not forwarding. */
  BridgeNoPort: 16,
  /** UDP/TCP header or checksum invalid (UDP_CSUM, TCP_CSUM, PKT_TOO_SMALL). */
  L4Malformed: 17,
  /** TCP segment not acceptable in the connection's state (TCP_INVALID_SEQUENCE, …). */
  TcpInvalid: 18,
  /** Reverse-path filter rejected the source (IP_RPFILTER). */
  RpFilter: 19,
  /** Martian source or destination (IP_INVALID_SOURCE, IP_INVALID_DEST). */
  Martian: 20,
  /** Conntrack table full (nf_conntrack: table full, dropping packet). */
  CtTableFull: 21,
  /** Frame pool exhausted or encapsulation headroom missing (NOMEM). */
  NoMemory: 22,
  /** Reached the end of its useful life inside the emulator at the end of a run (not a kernel drop). */
  RunEnded: 23,
  /** Multicast or broadcast that this path does not deliver (ipvlan l3, IP_BCAST for non-local). */
  NotDeliverable: 24,
  /** Bridge: source MAC is multicast or all-zero (MAC_INVALID_SOURCE; br_handle_frame). */
  MacInvalidSource: 25,
  /** ARP packet malformed or not Ethernet/IPv4 (arp_rcv / arp_process refuse it). */
  ArpInvalid: 26,
  /** Matched a `blackhole` route (ip_error with EINVAL: silent). */
  RouteBlackhole: 27,
  /** Matched a `prohibit` route (ip_error with EACCES: ICMP packet filtered when forwarding). */
  RouteProhibit: 28,
  /** ICMP message ignored by policy or type (icmp_echo_ignore_*, unknown/unsupported types). */
  IcmpDiscard: 29,
  /** Formerly: a fragment for local delivery when reassembly was not modelled (no longer produced). */
  FragNotReassembled: 30,
  /** VXLAN header invalid: I flag clear or reserved bits set (VXLAN_INVALID_HDR; vxlan_rcv). */
  VxlanInvalidHdr: 31,
  /** No vxlan device is open for the packet's VNI on that UDP port (VXLAN_VNI_NOT_FOUND). */
  VxlanVniNotFound: 32,
  /** Learning would move a static vxlan FDB entry: the packet is dropped (VXLAN_ENTRY_EXISTS). */
  VxlanEntryExists: 33,
  /** No FDB entry and no default destination for the frame (NO_TX_TARGET; vxlan_xmit). */
  NoTxTarget: 34,
  /** A decapsulated frame carries the device's own MAC as source (LOCAL_MAC; vxlan_set_mac). */
  LocalMac: 35,
  /** Reassembly queue timed out (ipfrag_time) before every fragment arrived (FRAG_REASM_TIMEOUT). */
  FragReasmTimeout: 36,
  /** A fragment wholly inside data already queued: dropped, the queue kept (DUP_FRAG). */
  FragDuplicate: 37,
  /** A fragment overlapping queued data: the whole datagram is discarded (RFC 5722; IP_FRAG overlap). */
  FragOverlap: 38,
  /** Too many fragments from the source between two of this datagram's (ipfrag_max_dist; FRAG_TOO_FAR). */
  FragTooFar: 39,
  /** Reassembly memory above ipfrag_high_thresh: new fragments refused (REASMFAILS, NOMEM). */
  FragMemory: 40,
  /** Inconsistent fragment (length past the last fragment, empty, > 65535 reassembled, bad ECN mix). */
  FragInvalid: 41,
} as const;
export type Drop = (typeof Drop)[keyof typeof Drop];

export const DROP_REASON_COUNT = 42;

/** Names as printed in reports; indexed by reason code. */
export const DROP_REASON_NAMES: readonly string[] = (() => {
  const names: string[] = [];
  for (const [name, code] of Object.entries(Drop)) names[code] = name;
  return names;
})();
