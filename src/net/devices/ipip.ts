// IPv4-in-IPv4 tunnels (net/ipv4/ipip.c on net/ipv4/ip_tunnel.c, ip_tunnel_core.c, tunnel4.c; RFC 2003).
//
// Heads up: read `ipip_tunnel_xmit`, `ipip_tunnel_rcv`, `ipip_tunnel_setup`, `ipip_netlink_parms`,
// and in ip_tunnel.c `ip_tunnel_lookup`, `ip_tunnel_xmit`, `tnl_update_pmtu`, `ip_tunnel_rcv`,
// `ip_tunnel_bind_dev`, `ip_tunnel_init_net`, `ip_tunnel_find`, plus tunnel4.c `tunnel4_rcv` before
// changing behaviour. The recording host has no ipip module (CONFIG_NET_IPIP is not set: `ip link add
// t0 type ipip …` answers "Error: Unknown device type."), so the behaviour comes from the sources.
//
// The device is ARPHRD_TUNNEL: no link-layer header, IFF_NOARP, IFF_POINTOPOINT when `remote` is set,
// its 4-byte "address" is `local` and its broadcast/peer address `remote` (`link/ipip L peer R`).
// The stack's neighbour output still pushes a 14-byte Ethernet header in front of whatever it sends
// (NOARP entries resolve at once); `xmit` pulls it again first, so counters, captures (LINKTYPE_RAW)
// and the encapsulation see the bare IPv4 packet, as on Linux.
//
// Module: the world is one kernel. The ipip module "loads" on the first `ip link add … type ipip` or
// `modprobe ipip` (`loadIpip`); loading creates the fallback device `tunl0` in every namespace,
// existing and future (ipip_init_net → ip_tunnel_init_net: remote/local any, protocol 0 = any,
// ttl inherit, nopmtudisc, MTU 1480), and registers the IPPROTO_IPIP handler.
//
// Transmit (`ip_tunnel_xmit`): destination = `remote`, or for a tunnel without one (NBMA, tunl0) the
// inner packet's next hop through this device (`rt_nexthop`; here re-derived by a route lookup of
// the inner destination: its gateway, else the destination). Route to it with source `local` and
// oif `dev` (a route back through the tunnel itself drops the packet: the collision check).
// `tnl_update_pmtu`: with pmtudisc the usable MTU is the route MTU − 20, else the tunnel's own MTU;
// an inner DF packet larger than that gets ICMP fragmentation-needed (with that MTU) and is dropped.
// Outer header: TOS = `tos` (inherit: the inner TOS) with the inner ECN bits (INET_ECN_encapsulate:
// CE becomes ECT(0)); TTL = `ttl`, 0 = inherit the inner TTL; DF = pmtudisc | inner DF; protocol 4;
// ID from the namespace's ip_idents (iptunnel_xmit always selects one); the 20 bytes are pushed into
// the frame's headroom and the packet leaves through the namespace's IPv4 output (`sendLocal`:
// LOCAL_OUT/POSTROUTING, routing, neighbours, fragmentation of non-DF outer packets). skb_scrub_packet:
// conntrack and br_netfilter state are cleared.
//
// Receive: protocol 4 delivered locally goes to `ipipRcv`: `ip_tunnel_lookup(link = receiving
// device, remote = outer source, local = outer destination)` in the precedence Linux uses — (1) both
// endpoints equal; (2) remote equal and local any; (3) local equal and remote any (or a multicast
// `remote` equal to the outer destination); among matches a tunnel bound (`dev`) to the receiving
// device wins at once, else the first candidate is kept; only devices that are up match; with none,
// the fallback `tunl0` if it is up. No tunnel at all: ICMP port unreachable and drop (tunnel4_rcv).
// ECN (IP_ECN_decapsulate): outer CE over an inner Not-ECT packet is dropped, over ECT sets inner CE.
// Then the outer header is pulled, conntrack state scrubbed, and the inner packet is queued to the
// device (gro_cells: an event at the same instant) and enters ip_rcv with in = the tunnel device and
// PACKET_HOST, so rp_filter, routing and local delivery judge it as received on the tunnel.
//
// Not modelled: `ip tunnel` (ioctl) commands, ICMP errors about tunnelled packets (`ipip_err`: PMTU
// updates and err_count), mplsip/`mode any` traffic other than IPv4, `external` (collect_md), fou/gue
// encapsulation, fwmark, the dst cache, `ip link set … type ipip` changes, deleting tunl0 (Linux
// accepts the request and keeps the device), traces of tunnel-device crossings (traceDev expects an
// Ethernet header, so the device skips it).

import { rd32, wr16, wr32 } from '../../wire/bytes.js';
import { csumReplace16 } from '../../wire/checksum.js';
import { Device, DevKind } from '../device.js';
import { Drop } from '../drop-reason.js';
import { type Ipv4Protocol, OutRoute, stackOf } from '../ipv4/stack.js';
import type { Namespace } from '../namespace.js';
import { PktType } from '../pkt-type.js';
import type { World } from '../world.js';

const ETH_HLEN = 14;
export const IPPROTO_IPIP = 4;
/** sizeof(struct iphdr): the tunnel's whole overhead. */
export const IPIP_T_HLEN = 20;
const IP_DF = 0x40;
const ICMP_DEST_UNREACH = 3;
const ICMP_PORT_UNREACH = 3;
const ICMP_FRAG_NEEDED = 4;

/** Tunnel parameters (`struct ip_tunnel_parm` as ipip uses it); addresses as u32, 0 = any. */
export interface IpipParms {
  remote: number;
  local: number;
  /** 0 = inherit. */
  ttl: number;
  /** 0 = none, 1 = inherit, else the TOS byte. */
  tos: number;
  /** IP_DF in parms.iph.frag_off (`pmtudisc`, iproute2's default). */
  pmtudisc: boolean;
  /** IFLA_IPTUN_PROTO: 4 (ipip) or 0 (any). */
  proto: number;
  /** `dev D` (parms.link), or null. */
  link: Device | null;
}

export function defaultIpipParms(): IpipParms {
  return { remote: 0, local: 0, ttl: 0, tos: 0, pmtudisc: true, proto: IPPROTO_IPIP, link: null };
}

export class IpipDevice extends Device {
  readonly kind = DevKind.Ipip;
  readonly parms: IpipParms;
  /** The per-namespace fallback device `tunl0`. */
  readonly fallback: boolean;
  /** min_mtu / max_mtu: 68 / IP_MAX_MTU − 20 for netlink-created tunnels, 0 / 0 (unset) for tunl0. */
  readonly minMtu: number;
  readonly maxMtu: number;
  private readonly rt = new OutRoute();

  constructor(world: World, ns: Namespace, name: string, parms: IpipParms, fallback: boolean) {
    super(world, ns, name);
    this.parms = parms;
    this.fallback = fallback;
    this.noArp = true;
    this.minMtu = fallback ? 0 : 68;
    this.maxMtu = fallback ? 0 : 65535 - IPIP_T_HLEN;
    this.mtu = this.bindMtu();
  }

  /** IFF_POINTOPOINT: set by ip_tunnel_bind_dev when the tunnel has a remote address. */
  get pointToPoint(): boolean {
    return this.parms.remote !== 0;
  }

  /** Tunnels have no carrier notion: UNKNOWN when up. */
  override get operState(): string {
    return this.adminUp ? 'UNKNOWN' : 'DOWN';
  }

  /** `ip_tunnel_bind_dev`: the underlay device's MTU (route to `remote`, else `dev`) − 20; 1480 without. */
  bindMtu(): number {
    const p = this.parms;
    let tdev: Device | null = null;
    if (p.remote !== 0) {
      const st = stackOf(this.ns);
      if (st.routeOutput(p.remote | 0, p.local | 0, p.link === null ? -1 : p.link.id, this.rt) === 0) {
        tdev = this.world.devices[this.rt.devId] ?? null;
      }
    }
    if (tdev === null && p.link !== null) tdev = p.link;
    const mtu = (tdev === null ? 1500 : tdev.mtu) - IPIP_T_HLEN;
    return mtu < 68 ? 68 : mtu;
  }

  /** dev_queue_xmit on an ARPHRD_TUNNEL device: the stack's Ethernet header is not part of the packet. */
  override xmit(h: number): void {
    const w = this.world;
    const pool = w.pool;
    pool.trimFront(h, ETH_HLEN);
    if (!this.adminUp) {
      w.counters.txDropped[this.id]!++;
      w.drop(h, Drop.DevDown, this.id);
      return;
    }
    w.counters.txPackets[this.id]!++;
    w.counters.txBytes[this.id]! += pool.len[h]!;
    if (this.tap !== null) this.tap.frame(this.id, 1, h);
    this.transmit(h);
  }

  /** `ipip_tunnel_xmit` → `ip_tunnel_xmit` → `iptunnel_xmit`; `h` starts at the inner IPv4 header. */
  protected transmit(h: number): void {
    const w = this.world;
    const pool = w.pool;
    const st = stackOf(this.ns);
    const p = this.parms;
    let u8 = pool.bytesOf(h);
    let off = pool.start[h]!;
    const len = pool.len[h]!;
    if (len < 20 || u8[off]! >>> 4 !== 4) {
      w.drop(h, Drop.IpHeaderBad, this.id);
      return;
    }
    const rt = this.rt;
    let dst = p.remote;
    if (dst === 0) {
      // NBMA: the inner route's next hop through this device.
      if (st.routeOutput(rd32(u8, off + 16) | 0, 0, -1, rt) !== 0 || rt.devId !== this.id) {
        w.drop(h, Drop.NoRoute, this.id);
        return;
      }
      dst = rt.nexthop >>> 0;
    }
    const innerTos = u8[off + 1]!;
    let tos = p.tos;
    if ((tos & 1) !== 0) tos = innerTos;
    if (st.routeOutput(dst | 0, p.local | 0, p.link === null ? -1 : p.link.id, rt) !== 0) {
      w.drop(h, Drop.NoRoute, this.id); // tx_carrier_errors
      return;
    }
    if (rt.devId === this.id) {
      w.drop(h, Drop.NoRoute, this.id); // the route to the remote leads back into the tunnel: collisions
      return;
    }
    const innerDf = u8[off + 6]! & IP_DF;
    // tnl_update_pmtu
    const mtu = p.pmtudisc ? rt.mtu - IPIP_T_HLEN : this.mtu;
    if (innerDf !== 0 && mtu < len) {
      st.icmpSend(h, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, mtu);
      w.drop(h, Drop.MtuExceeded, this.id);
      return;
    }
    // ip_tunnel_ecn_encap → INET_ECN_encapsulate: the inner ECN bits, CE sent as ECT(0).
    const ecn = innerTos & 3;
    tos = (tos & ~3) | (ecn === 3 ? 2 : ecn);
    const ttl = p.ttl !== 0 ? p.ttl : u8[off + 8]!;
    const df = (p.pmtudisc ? IP_DF : 0) | innerDf;
    if (!pool.prepend(h, IPIP_T_HLEN)) {
      w.drop(h, Drop.NoMemory, this.id);
      return;
    }
    u8 = pool.bytesOf(h);
    off = pool.start[h]!;
    const src = rt.src >>> 0;
    u8[off] = 0x45;
    u8[off + 1] = tos;
    wr16(u8, off + 2, len + IPIP_T_HLEN);
    // iptunnel_xmit → __ip_select_ident; sendLocal picks the ID itself for non-DF packets.
    wr16(u8, off + 4, df !== 0 ? st.selectIdent(src, dst, IPPROTO_IPIP) : 0);
    u8[off + 6] = df;
    u8[off + 7] = 0;
    u8[off + 8] = ttl;
    u8[off + 9] = IPPROTO_IPIP;
    wr16(u8, off + 10, 0);
    wr32(u8, off + 12, src);
    wr32(u8, off + 16, dst);
    // skb_scrub_packet (same namespace): conntrack and bridge-netfilter state go.
    pool.ctId[h] = -1;
    pool.nfBridge[h] = -1;
    st.sendLocal(h);
  }

  /**
   * The decapsulated packet arrives (gro_cells → netif_receive_skb): `h` starts at the inner IPv4
   * header; it enters ip_rcv as received on this device.
   */
  override receive(h: number): void {
    const w = this.world;
    const pool = w.pool;
    if (!this.adminUp) {
      w.counters.rxDropped[this.id]!++;
      w.drop(h, Drop.DevDown, this.id);
      return;
    }
    w.counters.rxPackets[this.id]!++;
    w.counters.rxBytes[this.id]! += pool.len[h]!;
    pool.ingressIf[h] = this.id;
    if (this.tap !== null) this.tap.frame(this.id, 0, h);
    stackOf(this.ns).receive(this, h, PktType.Host, pool.start[h]!);
  }

  override onDelete(): void {
    const net = nets.get(this.ns);
    if (net === undefined) return;
    const i = net.tunnels.indexOf(this);
    if (i >= 0) net.tunnels.splice(i, 1);
  }
}

/** A namespace's ipip state (`struct ip_tunnel_net`): tunnels newest first, as hlist_add_head keeps them. */
interface IpipNet {
  tunnels: IpipDevice[];
  fb: IpipDevice;
}

const nets = new WeakMap<Namespace, IpipNet>();
const loaded = new WeakSet<World>();

/** Whether the ipip module is loaded in `world`. */
export function ipipLoaded(world: World): boolean {
  return loaded.has(world);
}

/** The fallback device of `ns` (null before the module is loaded). */
export function ipipFallback(ns: Namespace): IpipDevice | null {
  return nets.get(ns)?.fb ?? null;
}

/** `ipip_init_net`: tunl0 in `ns`, and the IPPROTO_IPIP handler on its stack. */
function initNet(ns: Namespace): void {
  if (nets.has(ns)) return;
  const fb = new IpipDevice(
    ns.world,
    ns,
    'tunl0',
    { ...defaultIpipParms(), pmtudisc: false, proto: 0 },
    true,
  );
  ns.attach(fb);
  nets.set(ns, { tunnels: [], fb });
  stackOf(ns).registerProtocol(IPPROTO_IPIP, new IpipHandler(ns));
}

/** Loads the ipip module (tunnel4 handler + per-namespace tunl0), once per world. */
export function loadIpip(world: World): void {
  if (loaded.has(world)) return;
  loaded.add(world);
  for (const ns of world.namespaces) initNet(ns);
  world.onNamespaceAdded(initNet);
}

/** `ip_tunnel_find`: a tunnel with the same (local, remote, link) exists (tunl0 included). */
export function ipipFind(ns: Namespace, p: IpipParms): IpipDevice | null {
  const net = nets.get(ns);
  if (net === undefined) return null;
  const link = p.link === null ? 0 : p.link.ifindex;
  const all = [...net.tunnels, net.fb];
  for (const t of all) {
    const tl = t.parms.link === null ? 0 : t.parms.link.ifindex;
    if (t.parms.local === p.local && t.parms.remote === p.remote && tl === link) return t;
  }
  return null;
}

/** `ipip_newlink` → `ip_tunnel_newlink`: loads the module, then creates and hashes the device. */
export function createIpip(world: World, ns: Namespace, name: string, p: IpipParms): IpipDevice {
  loadIpip(world);
  if (ipipFind(ns, p) !== null) throw new Error('File exists');
  const dev = new IpipDevice(world, ns, name, p, false);
  ns.attach(dev);
  nets.get(ns)!.tunnels.unshift(dev);
  return dev;
}

function isMulticast(a: number): boolean {
  return a >>> 28 === 14;
}

/**
 * `ip_tunnel_lookup(itn, link, TUNNEL_NO_KEY, remote, local, 0)`: `remote` = outer source, `local` =
 * outer destination (u32 or int32), `link` = receiving device's ifindex. Returns null when nothing,
 * not even tunl0, takes the packet.
 */
export function ipipLookup(
  ns: Namespace,
  link: number,
  remoteIn: number,
  localIn: number,
): IpipDevice | null {
  const net = nets.get(ns);
  if (net === undefined) return null;
  const remote = remoteIn >>> 0;
  const local = localIn >>> 0;
  const ts = net.tunnels;
  let cand: IpipDevice | null = null;
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i]!;
    const p = t.parms;
    if (p.local !== local || p.remote !== remote || !t.adminUp) continue;
    if ((p.link === null ? 0 : p.link.ifindex) === link) return t;
    cand = t;
  }
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i]!;
    const p = t.parms;
    if (p.remote !== remote || p.local !== 0 || !t.adminUp) continue;
    if ((p.link === null ? 0 : p.link.ifindex) === link) return t;
    if (cand === null) cand = t;
  }
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i]!;
    const p = t.parms;
    if ((p.local !== local || p.remote !== 0) && (p.remote !== local || !isMulticast(local))) continue;
    if (!t.adminUp) continue;
    if ((p.link === null ? 0 : p.link.ifindex) === link) return t;
    if (cand === null) cand = t;
  }
  if (cand !== null) return cand;
  return net.fb.adminUp ? net.fb : null;
}

/** The IPPROTO_IPIP handler of one namespace (tunnel4_rcv → ipip_rcv → ipip_tunnel_rcv → ip_tunnel_rcv). */
class IpipHandler implements Ipv4Protocol {
  constructor(private readonly ns: Namespace) {}

  receive(h: number, dev: Device, l4Off: number, _broadcast: boolean): void {
    const w = this.ns.world;
    const pool = w.pool;
    const u8 = pool.bytesOf(h);
    const off = pool.start[h]!;
    const end = off + pool.len[h]!;
    // tunnel4_rcv: pskb_may_pull(sizeof(struct iphdr)).
    if (l4Off + 20 > end) {
      w.drop(h, Drop.L4Malformed, dev.id);
      return;
    }
    const t = ipipLookup(this.ns, dev.ifindex, rd32(u8, off + 12), rd32(u8, off + 16));
    if (t === null) {
      stackOf(this.ns).icmpSend(h, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0);
      w.drop(h, Drop.UnhandledProto, dev.id);
      return;
    }
    if (t.parms.proto !== IPPROTO_IPIP && t.parms.proto !== 0) {
      w.drop(h, Drop.UnhandledProto, dev.id);
      return;
    }
    // IP_ECN_decapsulate: outer CE.
    if ((u8[off + 1]! & 3) === 3) {
      const inner = u8[l4Off + 1]!;
      if ((inner & 3) === 0) {
        w.drop(h, Drop.L4Malformed, t.id); // rx_frame_errors (non-ECT from … with TOS)
        return;
      }
      if ((inner & 3) !== 3) {
        const old = (u8[l4Off]! << 8) | inner;
        u8[l4Off + 1] = inner | 3;
        const csum = (u8[l4Off + 10]! << 8) | u8[l4Off + 11]!;
        wr16(u8, l4Off + 10, csumReplace16(csum, old, old | 3));
      }
    }
    // iptunnel_pull_header + skb_scrub_packet (same namespace).
    pool.trimFront(h, l4Off - off);
    pool.ctId[h] = -1;
    pool.nfBridge[h] = -1;
    w.deliverAt(w.sim.now, t.id, h);
  }

  error(_h: number, _quoteOff: number, _quoteEnd: number, _type: number, _code: number, _info: number): void {
    // ipip_err (PMTU updates, err_count) is not modelled.
  }
}
