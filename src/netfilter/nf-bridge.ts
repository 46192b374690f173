// br_netfilter's per-frame state (the kernel's `struct nf_bridge_info`, an skb extension), kept in the
// frame pool's `nfBridge` column so the bridge, the IPv4 layer and -m physdev agree on it:
//   -1                      no nf_bridge info (the frame never crossed br_nf_pre_routing)
//   devId | flags           physindev (the bridge port it entered by) and the bits below
// It survives the frame being passed up to the bridge device and routed (physdev still matches in
// INPUT / FORWARD / POSTROUTING of the routed path) and is reset by skb_scrub_packet (veth).

export const NfBridge = Object.freeze({
  /** Low bits: world device id of the physindev. */
  DevMask: 0x0fffffff,
  /** ip_sabotage_in ran: PREROUTING was skipped once in ip_rcv (`sabotage_in_done`). */
  SabotageDone: 1 << 28,
  /** Bridged DNAT waiting for the neighbour layer; br_dev_xmit resumes it (`bridged_dnat`). */
  BridgedDnat: 1 << 29,
} as const);
