// skb->pkt_type as `eth_type_trans` classifies a received frame by its destination MAC.
export const PktType = {
  /** Addressed to this device's MAC. */
  Host: 0,
  Broadcast: 1,
  Multicast: 2,
  /** Unicast to another MAC (only seen in promiscuous mode); IPv4 and ARP drop these. */
  OtherHost: 3,
} as const;
export type PktType = (typeof PktType)[keyof typeof PktType];
