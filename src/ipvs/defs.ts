// Numbers shared by the IPVS modules: flag bits with the kernel's values (include/uapi/linux/ip_vs.h,
// include/net/ip_vs.h), protocol numbers, and the verdicts the packet-path entry points return.
//
// Flag values are the kernel's so `ipvsadm -S` and debug output can be compared bit for bit with a
// real director's netlink dumps.

/** Forwarding methods (IP_VS_CONN_F_FWD_MASK values). */
export const Fwd = Object.freeze({
  /** NAT: rewrite destination to the real server, source back to the VIP on replies ("Masq", -m). */
  Masq: 0,
  /** Real server is a local address ("Local"). */
  Local: 1,
  /** IP-in-IP encapsulation ("Tunnel", -i). */
  Tunnel: 2,
  /** Direct routing: only the next hop changes ("Route", -g, the default). */
  Route: 3,
} as const);
export type Fwd = (typeof Fwd)[keyof typeof Fwd];

/** Names `ipvsadm -L` prints in the Forward column (ipvsadm.c `fwd_name`). */
export const FWD_NAMES: readonly string[] = ['Masq', 'Local', 'Tunnel', 'Route'];
/** Switches `ipvsadm -S` prints (ipvsadm.c `fwd_switch`; Local saves as -g). */
export const FWD_SWITCHES: readonly string[] = ['-m', '-g', '-i', '-g'];

/** Connection flags (IP_VS_CONN_F_*). */
export const CF = Object.freeze({
  FWD_MASK: 0x0007,
  BYPASS: 0x0004,
  SYNC: 0x0020,
  HASHED: 0x0040,
  /** No packet from the real server has been seen (DR/TUN always; set per dest for non-masq). */
  NOOUTPUT: 0x0080,
  /** Counted in the dest's inactconns rather than activeconns. */
  INACTIVE: 0x0100,
  NO_CPORT: 0x0800,
  /** A persistence template, not a real connection. */
  TEMPLATE: 0x1000,
  /** One-packet scheduling (-o): the entry dies after its first packet. */
  ONE_PACKET: 0x2000,
  /** The connection keeps its netfilter conntrack entry (sysctl conntrack=1). */
  NFCT: 0x10000,
} as const);

/** Service flags (IP_VS_SVC_F_*). */
export const SF = Object.freeze({
  PERSISTENT: 0x0001,
  HASHED: 0x0002,
  ONEPACKET: 0x0004,
  SCHED1: 0x0008,
  SCHED2: 0x0010,
  SCHED3: 0x0020,
} as const);
/** sh/mh flag aliases (IP_VS_SVC_F_SCHED_SH_FALLBACK = SCHED1, SH_PORT = SCHED2; same for mh). */
export const SCHED_FALLBACK = SF.SCHED1;
export const SCHED_PORT = SF.SCHED2;
export const SCHED_FLAGS_MASK = SF.SCHED1 | SF.SCHED2 | SF.SCHED3;

/** Dest flags (IP_VS_DEST_F_*). */
export const DF = Object.freeze({
  AVAILABLE: 0x0001,
  OVERLOAD: 0x0002,
} as const);

/** Template states (IP_VS_CTPL_S_*). */
export const CTPL = Object.freeze({ NONE: 0, ASSURED: 1 } as const);

export const PROTO_IP = 0;
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;

/** Kernel constants used by persistence (ip_vs_core.c). */
export const FTPPORT = 21;
export const FTPDATA = 20;

/** ipvsadm's default persistence timeout, seconds (IPVS_SVC_PERSISTENT_TIMEOUT). */
export const DEFAULT_PERSISTENT_TIMEOUT_S = 300;
/** Largest timeout ipvsadm accepts (MAX_TIMEOUT, 31 days). */
export const MAX_TIMEOUT_S = 86400 * 31;

/**
 * What `Ipvs.schedule` / `Ipvs.replyOut` tell the caller to do with the frame. The caller still owns
 * the frame in every case (IPVS never frees or transmits it itself).
 */
export const IpvsVerdict = Object.freeze({
  /** NF_ACCEPT: not IPVS traffic (or not to be scheduled): continue the normal path. */
  Accept: 0,
  /** NF_DROP: drop the frame (`Drop.NetfilterDrop`). */
  Drop: 1,
  /**
   * `ip_vs_leave`: a service exists but no real server is available: send ICMP destination
   * unreachable / port unreachable to the source, then drop.
   */
  DropIcmpPortUnreach: 2,
  /** `decrement_ttl`: TTL would expire: send ICMP time exceeded (TTL), then drop. */
  DropIcmpTtl: 3,
  /**
   * NF_STOLEN after packet_xmit: IPVS rewrote the frame; route it to `ctx.routeDst` and send it
   * through LOCAL_OUT → POSTROUTING → neighbour output (ip_vs_send_or_cont / ip_vs_nat_send_or_cont).
   * The frame now starts at `ctx.l3Off` (tunnelling prepended an outer header).
   */
  Xmit: 4,
  /** `replyOut`: the reply was rewritten (masq SNAT back to the VIP); continue the normal path. */
  Rewritten: 5,
} as const);
export type IpvsVerdict = (typeof IpvsVerdict)[keyof typeof IpvsVerdict];

/** Linux `hash_32(val, bits)` from include/linux/hash.h (GOLDEN_RATIO_32 multiplicative hash). */
export function hash32(val: number, bits: number): number {
  return Math.imul(val | 0, 0x61c88647) >>> (32 - bits);
}

/** Greatest common divisor (lib/math/gcd.c result for positive inputs). */
export function gcd(a0: number, b0: number): number {
  let a = a0;
  let b = b0;
  while (b !== 0) {
    const t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/** Linux `fls`: 1-based index of the most significant set bit, 0 for 0. */
export function fls(x: number): number {
  return x === 0 ? 0 : 32 - Math.clz32(x);
}

export const NS_PER_S = 1_000_000_000;
