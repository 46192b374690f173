// The VXLAN device (drivers/net/vxlan/vxlan_core.c; Documentation/networking/vxlan.rst; RFC 7348).
//
// Heads up: read `vxlan_xmit`, `vxlan_xmit_one`, `arp_reduce`, `vxlan_rcv`, `vxlan_set_mac`,
// `vxlan_snoop`, `vxlan_open`/`vxlan_sock_add`, `encap_bypass_if_local` and net/ipv4/ip_tunnel_core.c
// (`skb_tunnel_check_pmtu`, `iptunnel_xmit`) before changing behaviour.
//
// Transmit (`vxlan_xmit`): with `proxy`, ARP requests are answered from the namespace's neighbour table
// on this device and never encapsulated (`arp_reduce`). Otherwise the destination MAC is looked up in
// the device's FDB (src/net/devices/vxlan-fdb.ts), falling back to the all-zeros default entry; with
// neither the frame is dropped (Drop.NoTxTarget; `l2miss` counts the netlink miss notification). The
// entry's remotes each get the frame (clones for all but the first: head-end replication). Per
// remote (`vxlan_xmit_one`): route lookup towards the remote (source = `local` or the route's), the
// inner packet is checked against the route MTU minus 50 (`skb_tunnel_check_pmtu`), then the outer
// IPv4/UDP/VXLAN headers are written into the frame's headroom (`pool.prepend` +
// `vxlanEncapHeaders`, no copy) and the packet goes through the namespace's IPv4 output
// (`sendLocal`), so the underlay's routes, neighbours, MTU and fragmentation apply. Outer fields as
// Linux: TTL `ttl` or ip_default_ttl (1 toward a multicast group), TOS `tos` with the inner ECN bits
// (`ip_tunnel_ecn_encap`), DF per `df` (unset by default: the underlay fragments), UDP checksum on
// unless `noudpcsum`, source port `udp_flow_src_port` over a hash of the inner flow.
//
// Receive: the namespace's UDP demux (`UdpTunnelDemux` below) hands datagrams for an open vxlan
// port to `vxlanRcv`: UDP length/checksum (udp_queue_rcv_one_skb before encap_rcv), I flag, VNI →
// device (Drop.VxlanVniNotFound), reserved bits (Linux drops them, unlike RFC 7348's "ignore"),
// own source MAC (Drop.LocalMac), learning (`vxlan_snoop`: source MAC → outer source IP; a static
// entry pointing elsewhere drops the frame), then the inner frame is received on the device.
//
// Sockets: as in Linux, the UDP socket exists while a device using the port is up (`vxlan_open`), is
// shared by every device of the namespace on that port (one VNI each), and occupies the port for user
// sockets (bind → EADDRINUSE; opening a vxlan on a port a user socket holds fails).
//
// Not modelled: IPv6 underlay, multicast groups on the receive side (the IPv4 stack does not join
// groups), GBP/GPE/RSC/remcsum/metadata mode, vnifilter, nexthop FDB entries,
// `bridge fdb … port|vni|via`. Facts recorded on Linux 6.18 are in test/fixtures/overlay/.

import { rd16, rd32, wr16, wr32 } from '../../wire/bytes.js';
import { csumFull } from '../../wire/checksum.js';
import { ipv4ToString, tryParseIpv4 } from '../../wire/ipv4-address.js';
import { macWrite } from '../../wire/mac.js';
import { checkUdp, UdpBad, udpChecksumVerifies } from '../../wire/udp.js';
import {
  VXLAN_FLAG_I,
  VXLAN_OVERHEAD_IPV4,
  vxlanDefaultParams,
  vxlanEncapHeaders,
  vxlanFlowHash,
  vxlanSrcPort,
} from '../../wire/vxlan.js';
import { Device, DevKind } from '../device.js';
import { Drop } from '../drop-reason.js';
import { RTN } from '../ipv4/fib.js';
import { NUD } from '../ipv4/neighbour.js';
import { type Ipv4Protocol, OutRoute, stackOf } from '../ipv4/stack.js';
import type { Namespace } from '../namespace.js';
import { transportOf } from '../transport/transport.js';
import type { UdpSocket, UdpTable } from '../transport/udp.js';
import type { World } from '../world.js';
import type { SelfFdbDevice } from './fdb.js';
import { VxfdbState, VxlanFdb } from './vxlan-fdb.js';

const ETH_HLEN = 14;
const ETH_P_IP = 0x0800;
const ETH_P_ARP = 0x0806;
const NUD_CONNECTED = NUD.Permanent | NUD.Noarp | NUD.Reachable;

/** `df` setting (IFLA_VXLAN_DF). */
export const VxlanDf = { Unset: 0, Set: 1, Inherit: 2 } as const;
export type VxlanDf = (typeof VxlanDf)[keyof typeof VxlanDf];

/** Configuration as `ip link add … type vxlan` sets it (addresses as u32, 0 = unset). */
export interface VxlanConfig {
  vni: number;
  dstPort: number;
  local: number;
  remote: number;
  group: number;
  /** `dev X`: the lower device's world id, -1 when none. */
  lowerDevId: number;
  learning: boolean;
  proxy: boolean;
  l2miss: boolean;
  l3miss: boolean;
  /** 0 = auto. */
  ttl: number;
  ttlInherit: boolean;
  /** 0 = none, 1 = inherit, else the TOS octet. */
  tos: number;
  df: VxlanDf;
  srcPortMin: number;
  srcPortMax: number;
  udpCsum: boolean;
  ageingSec: number;
}

export function defaultVxlanConfig(vni: number): VxlanConfig {
  return {
    vni,
    dstPort: 8472,
    local: 0,
    remote: 0,
    group: 0,
    lowerDevId: -1,
    learning: true,
    proxy: false,
    l2miss: false,
    l3miss: false,
    ttl: 0,
    ttlInherit: false,
    tos: 0,
    df: VxlanDf.Unset,
    srcPortMin: 0,
    srcPortMax: 0,
    udpCsum: true,
    ageingSec: 300,
  };
}

export class VxlanDevice extends Device implements SelfFdbDevice {
  readonly kind = DevKind.Vxlan;
  readonly cfg: VxlanConfig;
  readonly fdb: VxlanFdb;
  /** Netlink notifications Linux would send (RTM_GETNEIGH on misses), counted. */
  l2missCount = 0;
  l3missCount = 0;
  /** Entries created or moved by vxlan_snoop. */
  learnedCount = 0;
  /** ICMP "fragmentation needed" replies for bridged DF packets too big for the tunnel (skb_tunnel_check_pmtu). */
  pmtudReplies = 0;
  /** ARP replies built by `arp_reduce`. */
  proxyReplies = 0;
  private readonly params = vxlanDefaultParams();
  private readonly route = new OutRoute();
  private readonly flowSeed: number;
  /** Identification for DF outer packets (iptunnel_xmit's __ip_select_ident; not reproducible). */
  private ident: number;
  private defaultTtl = 64;
  sock: VxlanSock | null = null;

  constructor(world: World, ns: Namespace, name: string, cfg: VxlanConfig) {
    super(world, ns, name);
    this.cfg = cfg;
    this.fdb = new VxlanFdb(16, world.sim);
    const rng = world.sim.rng.stream(`vxlan/${ns.name}/${name}`);
    this.flowSeed = rng.u32();
    this.ident = rng.u32() & 0xffff;
    this.fdb.ageingNs = cfg.ageingSec * 1e9;
    this.defaultTtl = ns.sysctl.getInt('net.ipv4.ip_default_ttl');
    ns.sysctl.watch('net.ipv4.ip_default_ttl', (v) => {
      this.defaultTtl = Number(v);
    });
    // __vxlan_dev_create: `remote`/`group` become the all-zeros default entry.
    const dst = cfg.remote !== 0 ? cfg.remote : cfg.group;
    if (dst !== 0) {
      const s = this.fdb.insert(0, 0, VxfdbState.Permanent, world.sim.now);
      this.fdb.addRemote(s, dst);
    }
    const lower = cfg.lowerDevId >= 0 ? world.devices[cfg.lowerDevId]! : null;
    // vxlan_config_apply: MTU = lower MTU − 50 with `dev`, else ETH_DATA_LEN.
    this.mtu = lower !== null ? lower.mtu - VXLAN_OVERHEAD_IPV4 : 1500;
  }

  /** `ip link` shows an up vxlan as UNKNOWN (no carrier reporting). */
  override get operState(): string {
    return this.adminUp ? 'UNKNOWN' : 'DOWN';
  }

  /** vxlan_open: joins (or creates) the namespace's socket for the port. Returns an errno text or null. */
  open(): string | null {
    if (this.sock !== null) return null;
    const demux = UdpTunnelDemux.of(this.ns);
    const r = demux.attach(this);
    if (typeof r === 'string') return r;
    this.sock = r;
    this.fdb.openedAt = this.world.sim.now;
    return null;
  }

  /** vxlan_stop: leaves the socket and flushes learned entries (vxlan_flush(vxlan, false)). */
  close(): void {
    if (this.sock === null) return;
    UdpTunnelDemux.of(this.ns).detach(this);
    this.sock = null;
    this.fdb.flushDynamic();
  }

  override onDelete(): void {
    this.close();
  }

  // ==== transmit ====================================================================================
  protected transmit(h: number): void {
    const w = this.world;
    const pool = w.pool;
    if (pool.len[h]! < ETH_HLEN) {
      w.drop(h, Drop.L2Malformed, this.id);
      return;
    }
    const u8 = pool.bytesOf(h);
    const off = pool.start[h]!;
    if (this.cfg.proxy && ((u8[off + 12]! << 8) | u8[off + 13]!) === ETH_P_ARP) {
      this.arpReduce(h);
      return;
    }
    const dHi = (u8[off]! << 8) | u8[off + 1]!;
    // Per frame, values cross calls as small integers (int32 MAC low word and addresses, sim time
    // read by the FDB from its clock): a uint32 above 2^31 or a double argument to a call that is not
    // inlined is boxed into a fresh heap number.
    const dLo = (u8[off + 2]! << 24) | (u8[off + 3]! << 16) | (u8[off + 4]! << 8) | u8[off + 5]!;
    const fdb = this.fdb;
    let slot = fdb.lookup(dHi, dLo);
    if (slot < 0) {
      slot = fdb.lookup(0, 0);
      if (slot < 0) {
        // vxlan_fdb_miss (RTM_GETNEIGH to listeners) for unicast destinations with l2miss.
        if (this.cfg.l2miss && (dHi & 0x0100) === 0) this.l2missCount++;
        w.counters.txDropped[this.id]!++;
        w.drop(h, Drop.NoTxTarget, this.id);
        return;
      }
    }
    const first = fdb.firstRemote[slot]!;
    if (first < 0) {
      w.drop(h, Drop.NoTxTarget, this.id);
      return;
    }
    // Head-end replication: clones for the 2nd..nth remote first, the original to the first.
    for (let r = fdb.rNext[first]!; r >= 0; r = fdb.rNext[r]!) {
      this.xmitOne(w.cloneFrame(h), fdb.rIp[r]! | 0);
    }
    this.xmitOne(h, fdb.rIp[first]! | 0);
  }

  /** `vxlan_xmit_one` for one remote; `h` is the inner Ethernet frame, `dstIp` signed or unsigned. */
  private xmitOne(h: number, dstIp: number): void {
    const w = this.world;
    const pool = w.pool;
    const cfg = this.cfg;
    if (dstIp === 0) {
      // vxlan_addr_any(dst) without route short-circuit: nothing to send to.
      w.drop(h, Drop.NoTxTarget, this.id);
      return;
    }
    const stack = stackOf(this.ns);
    const route = this.route;
    if (stack.routeOutput(dstIp, cfg.local | 0, cfg.lowerDevId, route) !== 0) {
      // "no route to …": tx_carrier_errors.
      w.drop(h, Drop.NoRoute, this.id);
      return;
    }
    if (route.devId === this.id) {
      // "circular route to …": the route to the remote leaves through this device.
      w.drop(h, Drop.NoRoute, this.id);
      return;
    }
    if (route.type === RTN.Local) {
      this.bypassLocal(h);
      return;
    }
    let u8 = pool.bytesOf(h);
    let off = pool.start[h]!;
    const innerLen = pool.len[h]!;
    const isIp = ((u8[off + 12]! << 8) | u8[off + 13]!) === ETH_P_IP && innerLen >= ETH_HLEN + 20;
    const ip = off + ETH_HLEN;
    // skb_tunnel_check_pmtu: the inner packet must fit the route MTU minus the 50-octet overhead.
    // A bridge port forwarding someone else's DF packet answers with ICMP fragmentation needed
    // (iptunnel_pmtud_check_icmp) delivered back through this device; anything else is encapsulated
    // and the outer packet is fragmented by the underlay (DF unset) or refused (df set).
    const tunMtu = route.mtu - VXLAN_OVERHEAD_IPV4;
    if (innerLen - ETH_HLEN > tunMtu && this.master !== null && pool.ingressIf[h]! >= 0 && isIp) {
      if (pmtudWantsIcmp(u8, ip, tunMtu)) {
        this.pmtudReply(h, tunMtu);
        return;
      }
    }
    const p = this.params;
    // TOS: configured, or inherited from the inner IPv4 header; then the inner ECN bits (ip_tunnel_ecn_encap).
    const innerTos = isIp ? u8[ip + 1]! : 0;
    let tos = cfg.tos === 1 ? innerTos : cfg.tos;
    const ecn = innerTos & 3;
    tos = (tos & ~3) | (ecn === 3 ? 2 : ecn);
    // TTL: configured, inherited, 1 toward a multicast group, else ip4_dst_hoplimit.
    let ttl = cfg.ttlInherit && isIp ? u8[ip + 8]! : cfg.ttl;
    if (ttl === 0 && dstIp >>> 28 === 0xe) ttl = 1;
    if (ttl === 0) ttl = this.defaultTtl;
    const df = cfg.df === VxlanDf.Set || (cfg.df === VxlanDf.Inherit && isIp && (u8[ip + 6]! & 0x40) !== 0);
    p.srcIp = route.src | 0;
    p.dstIp = dstIp;
    p.vni = cfg.vni;
    p.dstPort = cfg.dstPort;
    p.srcPort = vxlanSrcPort(vxlanFlowHash(u8, off, innerLen, this.flowSeed), cfg.srcPortMin, cfg.srcPortMax);
    p.ttl = ttl;
    p.tos = tos;
    p.df = df;
    p.ipId = 0;
    if (df) {
      p.ipId = this.ident;
      this.ident = (this.ident + 1) & 0xffff;
    }
    p.udpChecksum = cfg.udpCsum;
    if (!pool.prepend(h, VXLAN_OVERHEAD_IPV4)) {
      w.drop(h, Drop.NoMemory, this.id);
      return;
    }
    u8 = pool.bytesOf(h);
    off = pool.start[h]!;
    if (vxlanEncapHeaders(u8, off + VXLAN_OVERHEAD_IPV4, innerLen, p) < 0) {
      w.drop(h, Drop.NoMemory, this.id);
      return;
    }
    // The outer Ethernet header belongs to the underlay's neighbour output: pull it and hand the
    // IPv4 packet to ip_local_out (iptunnel_xmit).
    pool.trimFront(h, ETH_HLEN);
    stack.sendLocal(h);
  }

  /**
   * `iptunnel_pmtud_build_icmp` + `vxlan_encap_bypass`: the frame becomes, in place, an ICMP
   * "fragmentation needed" (next-hop MTU `mtu`) from the original destination to the original source,
   * quoting the original IPv4 packet up to 548 octets, with the Ethernet addresses swapped; it is then
   * received on this device (netif_rx), so the bridge carries it back to the sender.
   */
  private pmtudReply(h: number, mtu: number): void {
    const w = this.world;
    const pool = w.pool;
    let u8 = pool.bytesOf(h);
    const off = pool.start[h]!;
    const dHi = (u8[off]! << 8) | u8[off + 1]!;
    const dLo = rd32(u8, off + 2);
    const sHi = (u8[off + 6]! << 8) | u8[off + 7]!;
    const sLo = rd32(u8, off + 8);
    const ip = off + ETH_HLEN;
    const oSrc = rd32(u8, ip + 12);
    const oDst = rd32(u8, ip + 16);
    const oTtl = u8[ip + 8]!;
    pool.trimFront(h, ETH_HLEN);
    if (pool.len[h]! > 548) pool.setLength(h, 548);
    const quote = pool.len[h]!;
    if (!pool.prepend(h, 28 + ETH_HLEN)) {
      w.drop(h, Drop.NoMemory, this.id);
      return;
    }
    u8 = pool.bytesOf(h);
    const e = pool.start[h]!;
    macWrite(u8, e, sHi, sLo);
    macWrite(u8, e + 6, dHi, dLo);
    wr16(u8, e + 12, ETH_P_IP);
    const n = e + ETH_HLEN;
    const icmp = n + 20;
    u8[icmp] = 3;
    u8[icmp + 1] = 4;
    wr16(u8, icmp + 2, 0);
    wr16(u8, icmp + 4, 0);
    wr16(u8, icmp + 6, mtu);
    wr16(u8, icmp + 2, csumFull(u8, icmp, 8 + quote));
    u8[n] = 0x45;
    u8[n + 1] = 0;
    wr16(u8, n + 2, 28 + quote);
    wr16(u8, n + 4, 0);
    wr16(u8, n + 6, 0x4000);
    u8[n + 8] = oTtl;
    u8[n + 9] = 1;
    wr16(u8, n + 10, 0);
    wr32(u8, n + 12, oDst);
    wr32(u8, n + 16, oSrc);
    wr16(u8, n + 10, csumFull(u8, n, 20));
    this.pmtudReplies++;
    w.deliverAt(w.sim.now, this.id, h);
  }

  /** `encap_bypass_if_local`: the remote is one of our addresses — hand the frame to the local vxlan. */
  private bypassLocal(h: number): void {
    const w = this.world;
    const dst = UdpTunnelDemux.of(this.ns).find(this.cfg.dstPort, this.cfg.vni);
    if (dst === null) {
      w.drop(h, Drop.VxlanVniNotFound, this.id);
      return;
    }
    // vxlan_encap_bypass: netif_rx on the destination device.
    w.deliverAt(w.sim.now, dst.id, h);
  }

  /**
   * `arp_reduce`: an ARP request is answered from the neighbour table of this device when the entry is
   * connected and its MAC is not a local bridge port's (FDB entry with no remote); the request itself
   * is always consumed. Missing entries count an l3miss notification.
   */
  private arpReduce(h: number): void {
    const w = this.world;
    const pool = w.pool;
    const u8 = pool.bytesOf(h);
    const off = pool.start[h]!;
    const a = off + ETH_HLEN;
    if (
      pool.len[h]! < ETH_HLEN + 28 ||
      rd16(u8, a) !== 1 ||
      rd16(u8, a + 2) !== ETH_P_IP ||
      u8[a + 4] !== 6 ||
      u8[a + 5] !== 4 ||
      rd16(u8, a + 6) !== 1
    ) {
      w.consume(h);
      return;
    }
    const sip = rd32(u8, a + 14);
    const tip = rd32(u8, a + 24);
    if (tip >>> 24 === 127 || tip >>> 28 === 0xe) {
      w.consume(h);
      return;
    }
    const stack = stackOf(this.ns);
    const neigh = stack.neigh;
    const n = neigh.lookup(this.id, tip);
    if (n < 0) {
      if (this.cfg.l3miss) this.l3missCount++;
      w.consume(h);
      return;
    }
    if ((neigh.state[n]! & NUD_CONNECTED) === 0) {
      w.consume(h);
      return;
    }
    const nHi = neigh.macHi[n]!;
    const nLo = neigh.macLo[n]!;
    const f = this.fdb.lookup(nHi, nLo, w.sim.now);
    if (f >= 0 && this.fdb.firstRemote[f]! >= 0 && this.fdb.rIp[this.fdb.firstRemote[f]!] === 0) {
      w.consume(h);
      return;
    }
    const shaHi = (u8[a + 8]! << 8) | u8[a + 9]!;
    const shaLo = rd32(u8, a + 10);
    // arp_create(ARPOP_REPLY, ETH_P_ARP, sip, dev, tip, sha, n->ha, sha), then netif_rx on this device.
    const r = w.newFrame();
    if (!pool.setLength(r, ETH_HLEN + 28)) {
      w.drop(r, Drop.NoMemory, this.id);
      w.consume(h);
      return;
    }
    const ru8 = pool.bytesOf(r);
    const o = pool.start[r]!;
    const q = pool.bytesOf(h);
    const qa = pool.start[h]! + ETH_HLEN;
    macWrite(ru8, o, shaHi, shaLo);
    macWrite(ru8, o + 6, nHi, nLo);
    wr16(ru8, o + 12, ETH_P_ARP);
    const ra = o + ETH_HLEN;
    wr16(ru8, ra, 1);
    wr16(ru8, ra + 2, ETH_P_IP);
    ru8[ra + 4] = 6;
    ru8[ra + 5] = 4;
    wr16(ru8, ra + 6, 2);
    macWrite(ru8, ra + 8, nHi, nLo);
    for (let i = 0; i < 4; i++) ru8[ra + 14 + i] = q[qa + 24 + i]!; // sender IP = the asked address
    macWrite(ru8, ra + 18, shaHi, shaLo);
    for (let i = 0; i < 4; i++) ru8[ra + 24 + i] = q[qa + 14 + i]!; // target IP = the asker
    void sip;
    this.proxyReplies++;
    w.consume(h);
    w.deliverAt(w.sim.now, this.id, r);
  }

  // ==== receive (after UDP demux) ==================================================================
  /**
   * `vxlan_set_mac` + the rest of `vxlan_rcv` once the VNI matched this device: `h` starts at the inner
   * Ethernet header; `outerSrc` is the outer IPv4 source.
   */
  rcvInner(h: number, outerSrc: number): void {
    const w = this.world;
    const pool = w.pool;
    const u8 = pool.bytesOf(h);
    const off = pool.start[h]!;
    const sHi = (u8[off + 6]! << 8) | u8[off + 7]!;
    const sLo = (u8[off + 8]! << 24) | (u8[off + 9]! << 16) | (u8[off + 10]! << 8) | u8[off + 11]!;
    // "Ignore packet loops (and multicast echo)".
    if (sHi === this.macHi && sLo >>> 0 === this.macLo) {
      w.drop(h, Drop.LocalMac, this.id);
      return;
    }
    if (this.cfg.learning) {
      const reason = this.snoop(sHi, sLo, outerSrc);
      if (reason !== 0) {
        w.drop(h, reason, this.id);
        return;
      }
    }
    // gro_cells_receive → netif_receive_skb on the vxlan device.
    this.receive(h);
  }

  /** `vxlan_snoop`: 0, or the drop reason. `sLo` and `srcIp` may be signed (int32). */
  private snoop(sHi: number, sLo: number, srcIp: number): Drop | 0 {
    // is_valid_ether_addr: not multicast, not all-zeros.
    if ((sHi & 0x0100) !== 0 || (sHi === 0 && sLo === 0)) return Drop.MacInvalidSource;
    const fdb = this.fdb;
    const now = this.world.sim.now;
    const f = fdb.lookup(sHi, sLo);
    if (f >= 0) {
      fdb.updated[f] = now;
      const r = fdb.firstRemote[f]!;
      if (r >= 0 && fdb.rIp[r] === srcIp >>> 0) return 0;
      // Don't migrate static entries, drop packets.
      if (fdb.state[f] !== VxfdbState.Reachable) return Drop.VxlanEntryExists;
      if (r >= 0) fdb.rIp[r] = srcIp;
      else fdb.addRemote(f, srcIp);
      this.learnedCount++;
      return 0;
    }
    if (!this.adminUp) return 0;
    const s = fdb.insert(sHi, sLo, VxfdbState.Reachable, now);
    fdb.addRemote(s, srcIp);
    this.learnedCount++;
    return 0;
  }

  // ==== `bridge fdb … dev VXLAN [dst IP]` (vxlan_fdb_add / vxlan_fdb_delete / vxlan_fdb_dump) ========
  /** SelfFdbDevice: add/append/replace an entry's remote (configuration side). */
  fdbSelfAdd(
    mac: { hi: number; lo: number },
    opts: { op: 'add' | 'append' | 'replace'; dst: string | null; vlan: number; state: string },
  ): string | null {
    let ip = 0;
    if (opts.dst !== null) {
      ip = tryParseIpv4(opts.dst);
      if (ip < 0) return 'Invalid argument';
    }
    const fdb = this.fdb;
    const now = this.world.sim.now;
    const state =
      opts.state === 'static'
        ? VxfdbState.Static
        : opts.state === 'dynamic'
          ? VxfdbState.Reachable
          : VxfdbState.Permanent;
    let s = fdb.lookup(mac.hi, mac.lo, now);
    if (s >= 0) {
      // vxlan_fdb_update_existing: add → EEXIST, append adds a remote, replace rewrites the first.
      if (opts.op === 'add') return 'File exists';
      if (opts.op === 'replace') {
        const r = fdb.firstRemote[s]!;
        if (r >= 0) fdb.rIp[r] = ip;
        else fdb.addRemote(s, ip);
      } else if (!fdb.addRemote(s, ip)) return 'File exists';
      fdb.state[s] = state;
      fdb.updated[s] = now;
      return null;
    }
    s = fdb.insert(mac.hi, mac.lo, state, now);
    fdb.addRemote(s, ip);
    return null;
  }

  /** SelfFdbDevice: delete one remote (with `dst`) or the whole entry. */
  fdbSelfDel(mac: { hi: number; lo: number }, opts: { dst: string | null; vlan: number }): string | null {
    const fdb = this.fdb;
    const s = fdb.lookup(mac.hi, mac.lo, this.world.sim.now);
    if (s < 0) return 'No such file or directory';
    if (opts.dst === null) {
      fdb.deleteSlot(s);
      return null;
    }
    const ip = tryParseIpv4(opts.dst);
    if (ip < 0 || !fdb.removeRemote(s, ip)) return 'No such file or directory';
    return null;
  }

  /** SelfFdbDevice: `bridge fdb show` rows (`dst IP [via DEV] self [permanent|static]`). */
  fdbSelfDump(): Array<{ hi: number; lo: number; text: string; json: Record<string, unknown> }> {
    const fdb = this.fdb;
    const out: Array<{ hi: number; lo: number; text: string; json: Record<string, unknown> }> = [];
    const via = this.cfg.lowerDevId >= 0 ? this.world.devices[this.cfg.lowerDevId]! : null;
    for (const s of fdb.slots(this.world.sim.now)) {
      const st = fdb.state[s]!;
      const word = st === VxfdbState.Permanent ? 'permanent' : st === VxfdbState.Static ? 'static' : '';
      for (let r = fdb.firstRemote[s]!; r >= 0; r = fdb.rNext[r]!) {
        const ip = fdb.rIp[r]!;
        const dst = ipv4ToString(ip);
        // A multicast remote is reached through the lower device: iproute2 prints `via DEV`.
        const viaName = via !== null && ip >>> 28 === 0xe ? via.name : null;
        const text = `dst ${dst}${viaName !== null ? ` via ${viaName}` : ''} self ${word}`;
        const json: Record<string, unknown> = { dst };
        if (viaName !== null) json.via = viaName;
        json.flags = ['self'];
        json.state = word;
        out.push({ hi: fdb.macHi[s]!, lo: fdb.macLo[s]!, text, json });
      }
    }
    return out;
  }
}

/**
 * `iptunnel_pmtud_check_icmp`: an ICMP reply is due for the inner IPv4 packet at `ip` when the tunnel
 * MTU is at least 576, the packet has exactly DF (no MF, offset 0), is not to a broadcast/multicast
 * address nor from a zero/loopback/broadcast/multicast one, and is not itself an ICMP error.
 */
function pmtudWantsIcmp(u8: Uint8Array, ip: number, mtu: number): boolean {
  if (mtu < 576 || rd16(u8, ip + 6) !== 0x4000) return false;
  const dst = rd32(u8, ip + 16);
  const src = rd32(u8, ip + 12);
  if (dst === 0xffffffff || dst >>> 28 === 0xe) return false;
  const s8 = src >>> 24;
  if (s8 === 0 || s8 === 127 || src === 0xffffffff || src >>> 28 === 0xe) return false;
  if (u8[ip + 9] === 1) {
    const t = u8[ip + ((u8[ip]! & 0x0f) << 2)]!;
    if (t === 3 || t === 4 || t === 5 || t === 11 || t === 12) return false;
  }
  return true;
}

// ==== the UDP tunnel socket and the namespace's UDP demux ===========================================

/** A kernel UDP socket opened for one VXLAN port (`struct vxlan_sock`), shared by devices by VNI. */
export class VxlanSock {
  /** VNI → device (VNIs < 2^24 are small integers: no allocation on lookup). */
  readonly devs = new Map<number, VxlanDevice>();
  constructor(
    readonly port: number,
    readonly udp: UdpSocket,
  ) {}
}

/**
 * The namespace's UDP receive path with tunnel sockets in front (`udp_queue_rcv_one_skb` → `encap_rcv`
 * for sockets set up by `setup_udp_tunnel_sock`). The transport's UDP table (src/net/transport/udp.ts)
 * has no encap hook yet, so this wraps its protocol handler: datagrams to an open vxlan port go to
 * `vxlanRcv`, every other datagram (and every ICMP error) to the UDP table unchanged. The tunnel
 * port is also bound in the UDP table so that user sockets see it taken.
 */
export class UdpTunnelDemux implements Ipv4Protocol {
  private static readonly byNs = new WeakMap<Namespace, UdpTunnelDemux>();
  readonly socks: VxlanSock[] = [];
  private readonly world: World;

  private constructor(
    readonly ns: Namespace,
    readonly udp: UdpTable,
  ) {
    this.world = ns.world;
  }

  /** The namespace's demux, installed as its IPv4 protocol 17 handler on first use. */
  static of(ns: Namespace): UdpTunnelDemux {
    let d = UdpTunnelDemux.byNs.get(ns);
    if (d === undefined) {
      const t = transportOf(ns); // registers the UDP table first; we then take protocol 17 over
      d = new UdpTunnelDemux(ns, t.udp);
      stackOf(ns).registerProtocol(17, d);
      UdpTunnelDemux.byNs.set(ns, d);
    }
    return d;
  }

  /** Adds an opening device to the socket of its port; an errno message when it cannot. */
  attach(dev: VxlanDevice): VxlanSock | string {
    const port = dev.cfg.dstPort;
    let vs: VxlanSock | null = null;
    for (const s of this.socks) if (s.port === port) vs = s;
    if (vs === null) {
      const sock = this.udp.open({ onDatagram: () => {} });
      if (sock.bind(0, port) !== 0) {
        sock.close();
        return 'Address already in use';
      }
      vs = new VxlanSock(port, sock);
      this.socks.push(vs);
    }
    if (vs.devs.has(dev.cfg.vni)) return 'Address already in use';
    vs.devs.set(dev.cfg.vni, dev);
    return vs;
  }

  detach(dev: VxlanDevice): void {
    const i = this.socks.findIndex((s) => s.port === dev.cfg.dstPort);
    if (i < 0) return;
    const vs = this.socks[i]!;
    if (vs.devs.get(dev.cfg.vni) === dev) vs.devs.delete(dev.cfg.vni);
    if (vs.devs.size === 0) {
      vs.udp.close();
      this.socks.splice(i, 1);
    }
  }

  /** The open device for (port, vni), or null. */
  find(port: number, vni: number): VxlanDevice | null {
    for (let i = 0; i < this.socks.length; i++) {
      const s = this.socks[i]!;
      if (s.port === port) return s.devs.get(vni) ?? null;
    }
    return null;
  }

  receive(h: number, dev: Device, l4Off: number, broadcast: boolean): void {
    const socks = this.socks;
    if (!broadcast && socks.length > 0) {
      const u8 = this.world.pool.bytesOf(h);
      const dport = (u8[l4Off + 2]! << 8) | u8[l4Off + 3]!;
      for (let i = 0; i < socks.length; i++) {
        if (socks[i]!.port === dport) {
          this.vxlanRcv(socks[i]!, h, dev, l4Off);
          return;
        }
      }
    }
    this.udp.receive(h, dev, l4Off, broadcast);
  }

  error(h: number, quoteOff: number, quoteEnd: number, type: number, code: number, info: number): void {
    // vxlan_err_lookup only tells whether the quoted packet was ours; nothing is reported to users.
    this.udp.error(h, quoteOff, quoteEnd, type, code, info);
  }

  /** `vxlan_rcv`: `h` starts at the outer IPv4 header (trimmed to Total Length). */
  private vxlanRcv(vs: VxlanSock, h: number, inDev: Device, l4Off: number): void {
    const w = this.world;
    const pool = w.pool;
    const u8 = pool.bytesOf(h);
    const ipOff = pool.start[h]!;
    const end = ipOff + pool.len[h]!;
    // udp_queue_rcv_one_skb: length and checksum before the encap hook.
    if (checkUdp(u8, l4Off, end) !== UdpBad.None) {
      w.drop(h, Drop.L4Malformed, inDev.id);
      return;
    }
    // Addresses as int32 (see transmit): no heap number per datagram.
    const src = rd32(u8, ipOff + 12) | 0;
    const ulen = rd16(u8, l4Off + 4);
    if (!udpChecksumVerifies(u8, l4Off, ulen, src, rd32(u8, ipOff + 16) | 0)) {
      w.drop(h, Drop.L4Malformed, inDev.id);
      return;
    }
    const vx = l4Off + 8;
    // pskb_may_pull(skb, VXLAN_HLEN): UDP and VXLAN headers present.
    if (ulen < 16) {
      w.drop(h, Drop.L4Malformed, inDev.id);
      return;
    }
    if ((u8[vx]! & VXLAN_FLAG_I) === 0) {
      w.drop(h, Drop.VxlanInvalidHdr, inDev.id);
      return;
    }
    const vni = (u8[vx + 4]! << 16) | (u8[vx + 5]! << 8) | u8[vx + 6]!;
    const dev = vs.devs.get(vni);
    if (dev === undefined) {
      w.drop(h, Drop.VxlanVniNotFound, inDev.id);
      return;
    }
    // Reserved bits (default policy: only the I flag may be set): rx_frame_errors.
    if ((u8[vx]! & ~VXLAN_FLAG_I) !== 0 || (u8[vx + 1]! | u8[vx + 2]! | u8[vx + 3]! | u8[vx + 7]!) !== 0) {
      w.counters.rxDropped[dev.id]!++;
      w.drop(h, Drop.VxlanInvalidHdr, dev.id);
      return;
    }
    // __iptunnel_pull_header: the inner Ethernet frame must be there.
    const inner = vx + 8;
    const innerLen = l4Off + ulen - inner;
    if (innerLen < ETH_HLEN) {
      w.drop(h, Drop.L2Malformed, dev.id);
      return;
    }
    pool.trimFront(h, inner - ipOff);
    pool.setLength(h, innerLen);
    pool.ingressIf[h] = -1;
    dev.rcvInner(h, src);
  }
}
