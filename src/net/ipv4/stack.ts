// The IPv4 stack of one namespace: receive, local delivery, forwarding, output, ICMP.
//
// Heads up: read net/ipv4/ip_input.c (`ip_rcv_core`, `ip_rcv_finish_core`, `ip_local_deliver`),
// net/ipv4/route.c (`ip_route_input_slow`, `ip_error`, `ip_route_output_key_hash_rcu`),
// net/ipv4/ip_forward.c (`ip_forward`), net/ipv4/ip_output.c (`ip_finish_output`, `ip_do_fragment`),
// net/ipv4/icmp.c (`__icmp_send`, `icmp_rcv`, `icmp_echo`, `icmp_unreach`) and
// net/ipv4/fib_frontend.c (`__fib_validate_source`) before changing behaviour.
//
// API for transports (UDP, TCP, ping) — all frame handles follow docs/dataplane.md ownership rules:
//   routeOutput(dst, src, oifDevId, out: OutRoute): number
//       ip_route_output_key: 0 and `out` filled (source address, device, MTU, type), or a negative
//       errno (ERR.ENETUNREACH, EHOSTUNREACH for `unreachable`, EACCES for `prohibit`, EINVAL for
//       `blackhole` or a non-local `src`). Use it for connect() and to learn the source address and
//       MTU before building a packet (the L4 checksum needs the source).
//   sendLocal(h): number
//       ip_local_out. `h` holds a complete IPv4 packet at pool.start[h] with >= 14 bytes of headroom:
//       version/IHL, TOS, Total Length, DF flag, TTL, protocol, source (0 = let the stack choose),
//       destination, payload. The stack fills Identification (for DF packets the caller's value is
//       kept: Linux uses a per-socket counter for connected sockets and 0 otherwise; for non-DF
//       packets the stack takes it from per-(src, dst, proto) counters), the source when 0, and the
//       header checksum. Packets larger than the path MTU (a cached PMTU, else the device MTU) are
//       fragmented when DF is clear; with DF set they fail with -EMSGSIZE and nothing is sent
//       (ip_append_data's check; no ICMP through lo). Always takes ownership of `h`;
//       returns 0 or a negative errno (the frame is then already dropped).
//   registerProtocol(proto, handler: Ipv4Protocol)
//       inet_add_protocol: local delivery and ICMP errors for IPPROTO_UDP / IPPROTO_TCP / others.
//   registerPingSocket(ident, handler: PingSocket) / unregisterPingSocket(ident)
//       ICMP datagram ("ping") sockets by echo identifier: echo replies and the errors quoting an
//       echo request with that identifier. Errors generated locally (neighbour failure, local
//       fragmentation needed) travel as real ICMP through `lo`, as in Linux, so with `lo` down a
//       local sender never hears of them.
//   icmpSend(h, type, code, info)
//       icmp_send about the IPv4 packet at pool.start[h] (the caller keeps ownership of `h`), e.g.
//       port unreachable from UDP when no socket is bound.
//
// Modelled since: ICMP rate limiting (icmp-ratelimit.ts), the PMTU cache (pmtu.ts), reassembly for
// local delivery (defrag.ts; large pool slots for datagrams up to 65535 bytes), conntrack
// defragmentation before PREROUTING (nf_defrag_ipv4 when the namespace uses conntrack; output
// refragments to frag_max_size, the pool's fragMax column), IP IDs as ip_idents_reserve (ip-idents.ts).
// Not modelled: ICMP redirects (send_redirects), defragmentation at OUTPUT (only raw sockets send
// fragments there), IP options
// processing beyond copying them (no record-route/timestamp updates, no source routing), multicast,
// policy routing rules other than the default local/main/default order.

import type { Rng } from '../../core/rng.js';
import { Hook } from '../../netfilter/hook-id.js';
import { NfBridge } from '../../netfilter/nf-bridge.js';
import { Verdict } from '../../netfilter/verdict.js';
import { rd16, rd32, wr16, wr32 } from '../../wire/bytes.js';
import { csumFull, csumVerifies } from '../../wire/checksum.js';
import { emitIcmpError } from '../../wire/icmp.js';
import { checkIpv4Rcv, decrementTtl, IPV4_MF, IPV4_OFFSET_MASK, Ipv4View } from '../../wire/ipv4.js';
import { macWrite } from '../../wire/mac.js';
import type { Device } from '../device.js';
import { DevKind } from '../device.js';
import { Drop } from '../drop-reason.js';
import type { L3Handler, Namespace } from '../namespace.js';
import { PktType } from '../pkt-type.js';
import { boolSysctl, defineSysctl, intSysctl, watchSysctlEverywhere } from '../sysctl.js';
import type { World } from '../world.js';
import { AddrTable, type IfAddr } from './address.js';
import { Arp } from './arp.js';
import { Defrag, DefragUser } from './defrag.js';
import { CONF, CONF_STRIDE, devConfOf, type Ipv4DevConf } from './dev-conf.js';
import { ERR, Fib, type RouteSpec, RT_TABLE, RTF, RTN, RTPROT, rtnError, SCOPE } from './fib.js';
import {
  HZ,
  IcmpGlobalBucket,
  InetPeers,
  icmpMaskAllow,
  jiffiesOf,
  msecsToJiffies,
} from './icmp-ratelimit.js';
import { IpIdents } from './ip-idents.js';
import { kernelRouteScratch } from './kernel-routes.js';
import { NeighParms, NeighTable } from './neighbour.js';
import { PmtuCache } from './pmtu.js';
import './netfilter-glue.js';
import './ipvs-glue.js';
import {
  explainEcho,
  explainForward,
  explainFragment,
  explainFragmented,
  explainIdleHook,
  explainIpError,
  explainLocal,
  explainNeighbour,
  explainNeighbourResolved,
  explainOutput,
  explainOutputError,
  explainPing,
} from '../../trace/ipv4-points.js';
import { traceReply } from '../../trace/points.js';

// ---- sysctls (defined once per process; see src/net/sysctl.ts) ------------------------------------
const int = (min: number, max: number) => intSysctl(min, max);
defineSysctl({ key: 'net.ipv4.ip_forward', initial: '0', parse: boolSysctl });
defineSysctl({ key: 'net.ipv4.ip_default_ttl', initial: '64', parse: int(1, 255) });
defineSysctl({ key: 'net.ipv4.icmp_echo_ignore_all', initial: '0', parse: boolSysctl });
defineSysctl({ key: 'net.ipv4.icmp_echo_ignore_broadcasts', initial: '1', parse: boolSysctl });
defineSysctl({ key: 'net.ipv4.icmp_errors_use_inbound_ifaddr', initial: '0', parse: boolSysctl });
// ICMP rate limiting (src/net/ipv4/icmp-ratelimit.ts): icmp_ratelimit in ms, route.error_* in jiffies.
defineSysctl({ key: 'net.ipv4.icmp_ratelimit', initial: '1000', parse: int(0, 2147483647) });
defineSysctl({ key: 'net.ipv4.icmp_ratemask', initial: '6168', parse: int(-2147483648, 2147483647) });
defineSysctl({ key: 'net.ipv4.icmp_msgs_per_sec', initial: '1000', parse: int(0, 2147483647) });
defineSysctl({ key: 'net.ipv4.icmp_msgs_burst', initial: '50', parse: int(0, 2147483647) });
defineSysctl({ key: 'net.ipv4.route.error_cost', initial: '250', parse: int(-2147483648, 2147483647) });
defineSysctl({ key: 'net.ipv4.route.error_burst', initial: '1250', parse: int(-2147483648, 2147483647) });
// PMTU cache (src/net/ipv4/pmtu.ts): mtu_expires in seconds, min_pmtu >= 68 (IPV4_MIN_MTU).
defineSysctl({ key: 'net.ipv4.route.mtu_expires', initial: '600', parse: int(0, 2147483647) });
defineSysctl({ key: 'net.ipv4.route.min_pmtu', initial: '552', parse: int(68, 2147483647) });
defineSysctl({ key: 'net.ipv4.ip_no_pmtu_disc', initial: '0', parse: int(0, 3) });
// Reassembly (src/net/ipv4/defrag.ts): ipfrag_time in seconds; low_thresh accepted, unused since 4.17.
defineSysctl({ key: 'net.ipv4.ipfrag_time', initial: '30', parse: int(0, 2147483) });
defineSysctl({ key: 'net.ipv4.ipfrag_high_thresh', initial: '4194304', parse: int(0, 2147483647) });
defineSysctl({ key: 'net.ipv4.ipfrag_low_thresh', initial: '3145728', parse: int(0, 2147483647) });
defineSysctl({ key: 'net.ipv4.ipfrag_max_dist', initial: '64', parse: int(0, 2147483647) });
for (const [name, initial, max] of [
  ['forwarding', '0', 1],
  ['rp_filter', '0', 2],
  ['arp_ignore', '0', 8],
  ['arp_announce', '0', 2],
  ['arp_accept', '0', 2],
  ['proxy_arp', '0', 1],
  ['route_localnet', '0', 1],
  ['accept_local', '0', 1],
  ['send_redirects', '1', 1],
  ['promote_secondaries', '0', 1],
] as const) {
  defineSysctl({ key: `net.ipv4.conf.{dev}.${name}`, initial, parse: int(0, max) });
}
for (const [name, initial] of [
  ['base_reachable_time_ms', '30000'],
  ['base_reachable_time', '30'],
  ['retrans_time_ms', '1000'],
  ['delay_first_probe_time', '5'],
  ['gc_stale_time', '60'],
  ['mcast_solicit', '3'],
  ['ucast_solicit', '3'],
  ['app_solicit', '0'],
  ['mcast_resolicit', '0'],
  ['unres_qlen_bytes', '212992'],
  ['locktime', '100'],
] as const) {
  defineSysctl({ key: `net.ipv4.neigh.{dev}.${name}`, initial, parse: int(0, 2147483647) });
}

const ETH_HLEN = 14;
const ETH_P_IP = 0x0800;
const IPPROTO_ICMP = 1;
const ICMP_ECHOREPLY = 0;
const ICMP_DEST_UNREACH = 3;
const ICMP_SOURCE_QUENCH = 4;
const ICMP_ECHO = 8;
const ICMP_TIME_EXCEEDED = 11;
const ICMP_PARAMETERPROB = 12;
const ICMP_NET_UNREACH = 0;
const ICMP_HOST_UNREACH = 1;
const ICMP_PROT_UNREACH = 2;
const ICMP_FRAG_NEEDED = 4;
const ICMP_PKT_FILTERED = 13;
const ICMP_EXC_TTL = 0;
const ICMP_EXC_FRAGTIME = 1;
/** IPSKB_FRAG_PMTU in the pool's fragMax column. */
const FRAG_PMTU = 0x10000;
const IPPROTO_TCP = 6;
const S = 1_000_000_000;

/** A transport protocol registered for local delivery (`struct net_protocol`). */
export interface Ipv4Protocol {
  /**
   * `ipprot->handler`: `h` starts at the IPv4 header (Ethernet pulled, trimmed to Total Length);
   * `l4Off` is the absolute offset of the transport header in `pool.bytesOf(h)`; `dev` is the
   * receiving device (`lo` for local traffic); `broadcast` is true for broadcast destinations. The
   * handler owns `h`.
   */
  receive(h: number, dev: Device, l4Off: number, broadcast: boolean): void;
  /**
   * `ipprot->err_handler`: an ICMP error quoting a packet of this protocol. `h` is the ICMP packet and
   * stays owned by the stack (do not end it); the quoted IPv4 header is at `quoteOff` and the quote
   * ends at `quoteEnd`. `info` is the next-hop MTU for fragmentation needed, the pointer for
   * parameter problem, 0 otherwise.
   */
  error(h: number, quoteOff: number, quoteEnd: number, type: number, code: number, info: number): void;
}

/** An ICMP datagram socket (`ping_rcv`, `ping_err`), found by echo identifier. */
export interface PingSocket {
  /** An echo reply with this socket's identifier; `icmpOff` = ICMP header. The socket owns `h`. */
  echoReply(h: number, icmpOff: number): void;
  /** An ICMP error quoting one of its echo requests; `h` stays owned by the stack. */
  error(h: number, quoteOff: number, quoteEnd: number, type: number, code: number, info: number): void;
}

/** Result of `routeOutput` (a reusable scratch record). */
export class OutRoute {
  routeId = -1;
  /** RTN_* of the route used. */
  type = 0;
  devId = -1;
  /** Source address to use. */
  src = 0;
  /** Next hop: the gateway, or the destination itself. */
  nexthop = 0;
  mtu = 0;
}

function maskOf(plen: number): number {
  return plen === 0 ? 0 : (0xffffffff << (32 - plen)) >>> 0;
}

/** Worlds whose netdevice events the stacks already follow (one listener per world, see World). */
const netdevWatched = new WeakSet<World>();

/** Kernel-owned routes (from `fib_add_ifaddr`) carry this internal flag bit. */
export const RTF_IFADDR = 0x80;

export class Ipv4Stack implements L3Handler {
  readonly world: World;
  readonly fib = new Fib();
  readonly addrs: AddrTable;
  readonly neigh: NeighTable;
  readonly arp: Arp;
  private readonly protocols: (Ipv4Protocol | undefined)[] = [];
  /** Installed by the transport layer at load: gives a namespace its UDP and TCP. */
  static attachTransports: ((ns: Namespace) => void) | null = null;
  private transportsAttached = false;
  /** ICMP datagram sockets by echo identifier; made on first registration. */
  private pingSockets: Map<number, PingSocket> | null = null;
  // The namespace's random streams, derived on first use (a stream depends only on its name, so
  // deriving it later draws the same numbers) — most namespaces of a large topology never need them.
  private rngLazy: Rng | null = null;
  private get rng(): Rng {
    if (this.rngLazy === null) this.rngLazy = this.world.sim.rng.stream(`ipv4:${this.ns.name}`);
    return this.rngLazy;
  }
  private readonly out = new OutRoute();
  private readonly out2 = new OutRoute();
  /** IP identification for non-DF packets (`ip_idents_reserve`, ip-idents.ts); made on first use. */
  private identsLazy: IpIdents | null = null;
  private get idents(): IpIdents {
    if (this.identsLazy === null) {
      this.identsLazy = new IpIdents(this.world, this.world.sim.rng.stream(`ip-id-key:${this.ns.name}`));
    }
    return this.identsLazy;
  }
  /** pkt_type of the packet being received (for `icmp_send`'s "no errors about broadcasts"). */
  private curPktType: PktType = PktType.Host;
  /** Receiving device id of the packet being received, -1 for local output. */
  private curInDev = -1;
  /** `skb_in->dev` for icmp_send's "not from loopback" test: receiving or failing output device. */
  private curSkbDev = -1;
  /** ICMP rate limiting: the namespace's inet_peer base and global bucket (icmp-ratelimit.ts). */
  readonly peers = new InetPeers();
  readonly icmpGlobal = new IcmpGlobalBucket();
  private icmpRngLazy: Rng | null = null;
  private get icmpRng(): Rng {
    if (this.icmpRngLazy === null) this.icmpRngLazy = this.world.sim.rng.stream(`icmp:${this.ns.name}`);
    return this.icmpRngLazy;
  }
  /** Path MTU exceptions learnt from frag-needed (pmtu.ts). */
  readonly pmtu = new PmtuCache();
  /** Reassembly queues (ip_defrag). */
  readonly defrag: Defrag;
  private readonly outPmtu = new OutRoute();

  // Cached sysctls. Per-device values live in the world's device table (dev-conf.ts), loaded lazily.
  defaultTtl = 64;
  private echoIgnoreAll = 0;
  private echoIgnoreBroadcasts = 1;
  private errorsUseInboundIfaddr = 0;
  private icmpRatelimitJ = 250;
  private icmpRatemask = 0x1818;
  private icmpMsgsPerSec = 1000;
  private icmpMsgsBurst = 50;
  private rtErrorCost = 250;
  private rtErrorBurst = 1250;
  private mtuExpiresJ = 600 * HZ;
  private minPmtu = 552;
  /** net.ipv4.ip_no_pmtu_disc (also read by sockets for their default IP_MTU_DISCOVER). */
  noPmtuDisc = 0;
  private allRpFilter = 0;
  private allArpIgnore = 0;
  private allArpAccept = 0;
  private allArpAnnounce = 0;
  private allProxyArp = 0;
  private allRouteLocalnet = 0;
  private allAcceptLocal = 0;
  private readonly devConf: Ipv4DevConf;
  private syncingForward = false;

  constructor(readonly ns: Namespace) {
    this.world = ns.world;
    this.devConf = devConfOf(this.world);
    this.addrs = new AddrTable(() => this.ns.devices);
    this.defrag = new Defrag(this, ns.id);
    this.neigh = new NeighTable(this);
    this.arp = new Arp(this);
    this.reloadSysctls();
    if (!netdevWatched.has(this.world)) {
      netdevWatched.add(this.world);
      this.world.onNetdevFirst((ev, dev) => {
        const stack = dev.ns.ipv4;
        if (!(stack instanceof Ipv4Stack)) return;
        if (ev === 'up') stack.netdevUp(dev);
        else if (ev === 'down') stack.netdevDown(dev);
        else if (ev === 'unregister') stack.netdevUnregister(dev);
      });
    }
  }

  // ==== sysctls ====================================================================================
  // Watched once per process for every namespace (the static block below; src/net/sysctl.ts
  // `watchSysctlEverywhere`), not with closures per namespace.
  private reloadSysctls(): void {
    const sc = this.ns.sysctl;
    this.defaultTtl = sc.getInt('net.ipv4.ip_default_ttl');
    this.echoIgnoreAll = sc.getInt('net.ipv4.icmp_echo_ignore_all');
    this.echoIgnoreBroadcasts = sc.getInt('net.ipv4.icmp_echo_ignore_broadcasts');
    this.errorsUseInboundIfaddr = sc.getInt('net.ipv4.icmp_errors_use_inbound_ifaddr');
    this.icmpRatelimitJ = msecsToJiffies(sc.getInt('net.ipv4.icmp_ratelimit'));
    this.icmpRatemask = sc.getInt('net.ipv4.icmp_ratemask');
    this.icmpMsgsPerSec = sc.getInt('net.ipv4.icmp_msgs_per_sec');
    this.icmpMsgsBurst = sc.getInt('net.ipv4.icmp_msgs_burst');
    this.rtErrorCost = sc.getInt('net.ipv4.route.error_cost');
    this.rtErrorBurst = sc.getInt('net.ipv4.route.error_burst');
    this.mtuExpiresJ = sc.getInt('net.ipv4.route.mtu_expires') * HZ;
    this.minPmtu = sc.getInt('net.ipv4.route.min_pmtu');
    this.noPmtuDisc = sc.getInt('net.ipv4.ip_no_pmtu_disc');
    this.defrag.timeoutNs = sc.getInt('net.ipv4.ipfrag_time') * S;
    this.defrag.highThresh = sc.getInt('net.ipv4.ipfrag_high_thresh');
    this.defrag.maxDist = sc.getInt('net.ipv4.ipfrag_max_dist');
    this.allRpFilter = sc.getInt('net.ipv4.conf.all.rp_filter');
    this.allArpIgnore = sc.getInt('net.ipv4.conf.all.arp_ignore');
    this.allArpAccept = sc.getInt('net.ipv4.conf.all.arp_accept');
    this.allArpAnnounce = sc.getInt('net.ipv4.conf.all.arp_announce');
    this.allProxyArp = sc.getInt('net.ipv4.conf.all.proxy_arp');
    this.allRouteLocalnet = sc.getInt('net.ipv4.conf.all.route_localnet');
    this.allAcceptLocal = sc.getInt('net.ipv4.conf.all.accept_local');
    for (const d of this.ns.devices) this.devConf.invalidate(d.id);
  }

  /**
   * ip_forward is conf.all.forwarding; writing either sets default and every device
   * (`inet_forward_change`). Writing one device's forwarding changes only that device.
   */
  private forwardChange(v: string): void {
    if (this.syncingForward) return;
    const sc = this.ns.sysctl;
    this.syncingForward = true;
    try {
      sc.set('net.ipv4.ip_forward', v);
      sc.set('net.ipv4.conf.all.forwarding', v);
      sc.set('net.ipv4.conf.default.forwarding', v);
      for (const d of this.ns.devices) sc.set(`net.ipv4.conf.${d.name}.forwarding`, v);
    } finally {
      this.syncingForward = false;
    }
    this.reloadSysctls();
  }

  /** A neighbour parameter `k` was written (for `dev`, or `default`). */
  private neighSysctlChanged(k: string, v: string, dev: string | null): void {
    const sc = this.ns.sysctl;
    // base_reachable_time (s) and base_reachable_time_ms are two views of one value.
    if (dev !== null && k === 'base_reachable_time') {
      const key = `net.ipv4.neigh.${dev}.base_reachable_time_ms`;
      if (sc.get(key) !== String(Number(v) * 1000)) sc.set(key, String(Number(v) * 1000));
    } else if (dev !== null && k === 'base_reachable_time_ms') {
      const key = `net.ipv4.neigh.${dev}.base_reachable_time`;
      const s = String(Math.floor(Number(v) / 1000));
      if (sc.get(key) !== s) sc.set(key, s);
    }
    this.neigh.parms.length = 0;
  }

  static {
    const stack = (ns: Namespace): Ipv4Stack => ns.ipv4 as Ipv4Stack;
    for (const k of [
      'net.ipv4.ip_default_ttl',
      'net.ipv4.icmp_echo_ignore_all',
      'net.ipv4.icmp_echo_ignore_broadcasts',
      'net.ipv4.icmp_errors_use_inbound_ifaddr',
      'net.ipv4.icmp_ratelimit',
      'net.ipv4.icmp_ratemask',
      'net.ipv4.icmp_msgs_per_sec',
      'net.ipv4.icmp_msgs_burst',
      'net.ipv4.route.error_cost',
      'net.ipv4.route.error_burst',
      'net.ipv4.route.mtu_expires',
      'net.ipv4.route.min_pmtu',
      'net.ipv4.ip_no_pmtu_disc',
      'net.ipv4.ipfrag_time',
      'net.ipv4.ipfrag_high_thresh',
      'net.ipv4.ipfrag_max_dist',
      'net.ipv4.conf.{dev}.rp_filter',
      'net.ipv4.conf.{dev}.arp_ignore',
      'net.ipv4.conf.{dev}.arp_accept',
      'net.ipv4.conf.{dev}.arp_announce',
      'net.ipv4.conf.{dev}.proxy_arp',
      'net.ipv4.conf.{dev}.route_localnet',
      'net.ipv4.conf.{dev}.accept_local',
    ]) {
      watchSysctlEverywhere(k, (ns) => stack(ns).reloadSysctls());
    }
    watchSysctlEverywhere('net.ipv4.ip_forward', (ns, v) => stack(ns).forwardChange(v));
    watchSysctlEverywhere('net.ipv4.conf.{dev}.forwarding', (ns, v, dev) => {
      if (dev === 'all') stack(ns).forwardChange(v);
      else stack(ns).reloadSysctls();
    });
    for (const k of [
      'base_reachable_time_ms',
      'base_reachable_time',
      'retrans_time_ms',
      'delay_first_probe_time',
      'gc_stale_time',
      'mcast_solicit',
      'ucast_solicit',
      'app_solicit',
      'mcast_resolicit',
      'unres_qlen_bytes',
      'locktime',
    ]) {
      watchSysctlEverywhere(`net.ipv4.neigh.{dev}.${k}`, (ns, v, dev) =>
        stack(ns).neighSysctlChanged(k, v, dev),
      );
    }
  }

  /**
   * The offset of device `devId`'s row in `devConf.bytes`, loaded from this namespace's sysctls when
   * stale. `devId` is a device of this namespace (every caller passes the receiving device).
   */
  private devRow(devId: number): number {
    const o = devId * CONF_STRIDE;
    if (this.devConf.bytes[o + CONF.Loaded] !== 1) this.loadDevConf(devId);
    return o;
  }

  private loadDevConf(devId: number): void {
    const t = this.devConf;
    t.ensure(devId);
    const dev = this.world.devices[devId]!;
    const sc = this.ns.sysctl;
    const base = `net.ipv4.conf.${dev.name}.`;
    if (!sc.has(`${base}forwarding`)) return;
    const b = t.bytes;
    const o = devId * CONF_STRIDE;
    b[o + CONF.Forwarding] = sc.getInt(`${base}forwarding`);
    b[o + CONF.RpFilter] = sc.getInt(`${base}rp_filter`);
    b[o + CONF.ArpIgnore] = sc.getInt(`${base}arp_ignore`);
    b[o + CONF.ArpAccept] = sc.getInt(`${base}arp_accept`);
    b[o + CONF.ArpAnnounce] = sc.getInt(`${base}arp_announce`);
    b[o + CONF.ProxyArp] = sc.getInt(`${base}proxy_arp`);
    b[o + CONF.RouteLocalnet] = sc.getInt(`${base}route_localnet`);
    b[o + CONF.AcceptLocal] = sc.getInt(`${base}accept_local`);
    b[o + CONF.Loaded] = 1;
  }

  /** IN_DEV_FORWARD. */
  forwardingOn(devId: number): boolean {
    const o = this.devRow(devId);
    return this.devConf.bytes[o + CONF.Forwarding] === 1;
  }
  /** IN_DEV_RPFILTER: max(all, dev). */
  rpFilter(devId: number): number {
    const o = this.devRow(devId);
    const d = this.devConf.bytes[o + CONF.RpFilter]!;
    return d > this.allRpFilter ? d : this.allRpFilter;
  }
  /** IN_DEV_ARP_IGNORE: max(all, dev). */
  arpIgnore(devId: number): number {
    const o = this.devRow(devId);
    const d = this.devConf.bytes[o + CONF.ArpIgnore]!;
    return d > this.allArpIgnore ? d : this.allArpIgnore;
  }
  /** IN_DEV_ARP_ACCEPT: max(all, dev). */
  arpAccept(devId: number): number {
    const o = this.devRow(devId);
    const d = this.devConf.bytes[o + CONF.ArpAccept]!;
    return d > this.allArpAccept ? d : this.allArpAccept;
  }
  /** IN_DEV_ARP_ANNOUNCE: max(all, dev). */
  arpAnnounce(devId: number): number {
    const o = this.devRow(devId);
    const d = this.devConf.bytes[o + CONF.ArpAnnounce]!;
    return d > this.allArpAnnounce ? d : this.allArpAnnounce;
  }
  /** IN_DEV_PROXY_ARP: all || dev. */
  proxyArp(devId: number): boolean {
    const o = this.devRow(devId);
    return (this.devConf.bytes[o + CONF.ProxyArp]! | this.allProxyArp) === 1;
  }
  /** IN_DEV_ROUTE_LOCALNET: all || dev. */
  routeLocalnet(devId: number): number {
    const o = this.devRow(devId);
    return this.devConf.bytes[o + CONF.RouteLocalnet]! | this.allRouteLocalnet;
  }
  private acceptLocal(devId: number): number {
    const o = this.devRow(devId);
    return this.devConf.bytes[o + CONF.AcceptLocal]! | this.allAcceptLocal;
  }

  /** Reads net.ipv4.neigh.<dev>.* into parameters (config side, once per device or change). */
  loadNeighParms(devId: number): NeighParms {
    const p = new NeighParms();
    const dev = this.world.devices[devId]!;
    const sc = this.ns.sysctl;
    const base = `net.ipv4.neigh.${dev.name}.`;
    if (sc.has(`${base}retrans_time_ms`)) {
      p.baseReachableNs = sc.getInt(`${base}base_reachable_time_ms`) * 1_000_000;
      p.retransNs = sc.getInt(`${base}retrans_time_ms`) * 1_000_000;
      p.delayProbeNs = sc.getInt(`${base}delay_first_probe_time`) * S;
      p.gcStaleNs = sc.getInt(`${base}gc_stale_time`) * S;
      p.mcastProbes = sc.getInt(`${base}mcast_solicit`);
      p.ucastProbes = sc.getInt(`${base}ucast_solicit`);
      p.appProbes = sc.getInt(`${base}app_solicit`);
      p.mcastReprobes = sc.getInt(`${base}mcast_resolicit`);
      p.unresQlenBytes = sc.getInt(`${base}unres_qlen_bytes`);
      p.locktimeNs = sc.getInt(`${base}locktime`) * 10_000_000;
    }
    // neigh_rand_reach_time: uniform in [base/2, 3·base/2).
    const base2 = p.baseReachableNs;
    p.reachableNs = base2 === 0 ? 0 : Math.floor(base2 / 2 + this.rng.float() * base2);
    return p;
  }

  // ==== registration ===============================================================================
  registerProtocol(proto: number, handler: Ipv4Protocol): void {
    this.protocols[proto] = handler;
  }
  registerPingSocket(ident: number, handler: PingSocket): void {
    if (this.pingSockets === null) this.pingSockets = new Map();
    this.pingSockets.set(ident, handler);
  }
  unregisterPingSocket(ident: number): void {
    this.pingSockets?.delete(ident);
  }

  // ==== address helpers ============================================================================
  /** Is `a` a local address of this namespace (a `local` route matches it)? */
  isLocalAddr(a: number): boolean {
    const r = this.fib.lookup(a);
    return r >= 0 && this.fib.type[r] === RTN.Local;
  }

  // ==== receive: ip_rcv ============================================================================
  /** `ip_rcv`: `h` starts at the Ethernet header; the IPv4 header is at `l3Off`. */
  receive(dev: Device, h: number, pktType: PktType, l3Off: number): void {
    const w = this.world;
    const pool = w.pool;
    // ip_rcv_core: "When the interface is in promisc. mode, drop all the crap that it receives".
    if (pktType === PktType.OtherHost) {
      w.drop(h, Drop.OtherHost, dev.id);
      return;
    }
    // Pull the link-layer header (skb_pull in eth_type_trans).
    pool.trimFront(h, l3Off - pool.start[h]!);
    const u8 = pool.bytesOf(h);
    const off = pool.start[h]!;
    if (checkIpv4Rcv(u8, off, off + pool.len[h]!) !== 0) {
      w.drop(h, Drop.IpHeaderBad, dev.id);
      return;
    }
    const tl = rd16(u8, off + 2);
    // pskb_trim_rcsum: drop link padding after Total Length.
    pool.setLength(h, tl);
    this.curPktType = pktType;
    this.curInDev = dev.id;
    this.curSkbDev = dev.id;
    // nf_defrag_ipv4 (ipv4_conntrack_defrag, PREROUTING −400): with conntrack in use, fragments are
    // reassembled before the hooks (queue user IP_DEFRAG_CONNTRACK_IN) and the whole datagram goes on;
    // output refragments it to the largest original fragment (frag_max_size, IPSKB_FRAG_PMTU).
    const nfd = this.ns.nf;
    if (nfd !== null && nfd.conntrack !== null && (rd16(u8, off + 6) & (IPV4_MF | IPV4_OFFSET_MASK)) !== 0) {
      const r = this.defrag.queue(h, dev, DefragUser.ConntrackIn);
      if (r < 0) return;
      pool.fragMax[r] = this.defrag.lastMaxSize | (this.defrag.lastFragPmtu ? FRAG_PMTU : 0);
      this.receive(dev, r, pktType, pool.start[r]!);
      return;
    }
    // ip_rcv → NF_INET_PRE_ROUTING (raw, conntrack, mangle, DNAT); a DNAT changes what routing sees.
    // A traced packet records the hook even with no rules there (the explanation lists the hooks crossed).
    if (pool.traceId[h]! >= 0) explainIdleHook(this, Hook.PreRouting, h, dev.id);
    // ip_sabotage_in (br_netfilter): a frame a bridge passed up already crossed PREROUTING in
    // br_nf_pre_routing, so the chains are skipped once.
    const nf = this.ns.nf;
    const nfb = pool.nfBridge[h]!;
    if (nfb >= 0 && (nfb & NfBridge.SabotageDone) === 0) {
      pool.nfBridge[h] = nfb | NfBridge.SabotageDone;
    } else if (
      nf !== null &&
      nf.active[Hook.PreRouting] !== 0 &&
      !this.nfPass(nf.run(Hook.PreRouting, h, off, dev.id, -1), h, dev.id)
    ) {
      return;
    }
    // Looped-back packets keep their output route (skb_dst): no input routing, straight to local.
    if (dev.kind === DevKind.Loopback) {
      const dst = rd32(u8, off + 16);
      const r = this.fib.lookup(dst);
      this.localDeliver(dev, h, r >= 0 && this.fib.type[r] === RTN.Broadcast);
      return;
    }
    this.routeInput(dev, h, pktType);
  }

  /** `ip_route_input_slow` and the dst->input it selects. */
  private routeInput(dev: Device, h: number, pktType: PktType): void {
    const w = this.world;
    const pool = w.pool;
    const u8 = pool.bytesOf(h);
    const off = pool.start[h]!;
    const src = rd32(u8, off + 12);
    const dst = rd32(u8, off + 16);
    const srcTop = src >>> 24;
    const dstTop = dst >>> 24;
    // Martian checks, in the kernel's order.
    if (srcTop >= 224 || src === 0xffffffff) {
      if (srcTop >= 224 && srcTop < 240) {
        w.drop(h, Drop.Martian, dev.id);
        return;
      }
      if (src === 0xffffffff) {
        w.drop(h, Drop.Martian, dev.id);
        return;
      }
    }
    if (dst === 0xffffffff || (src === 0 && dst === 0)) {
      // brd_input
      if (src !== 0 && this.validateSource(dev, src) !== 0) {
        w.drop(h, Drop.Martian, dev.id);
        return;
      }
      this.localDeliver(dev, h, true);
      return;
    }
    if (srcTop === 0) {
      w.drop(h, Drop.Martian, dev.id);
      return;
    }
    if (dstTop === 0) {
      w.drop(h, Drop.Martian, dev.id);
      return;
    }
    if (dstTop === 127 || srcTop === 127) {
      if (this.routeLocalnet(dev.id) === 0) {
        w.drop(h, Drop.Martian, dev.id);
        return;
      }
    }
    if (dstTop >= 224 && dstTop < 240) {
      // Multicast: no group membership is modelled (ip_check_mc_rcu fails).
      w.drop(h, Drop.NotDeliverable, dev.id);
      return;
    }
    // Addresses cross calls as int32 (`| 0`): V8 boxes a u32 past 2^31 (172.17.x.x) passed to a
    // function it does not inline. Callees accept either form.
    const fib = this.fib;
    const r = fib.lookup(dst | 0);
    const type = r >= 0 ? fib.type[r]! : RTN.Unspec;
    if (type === RTN.Broadcast) {
      const bad = this.validateSource(dev, src | 0);
      if (bad !== 0) {
        w.drop(h, bad, dev.id);
        return;
      }
      this.localDeliver(dev, h, true);
      return;
    }
    if (type === RTN.Local) {
      const bad = this.validateSource(dev, src | 0);
      if (bad !== 0) {
        w.drop(h, bad, dev.id);
        return;
      }
      this.localDeliver(dev, h, false);
      return;
    }
    const fwd = this.forwardingOn(dev.id);
    if (r < 0 || type !== RTN.Unicast) {
      // no_route → ip_error with the lookup's error (EHOSTUNREACH when not forwarding).
      const err = !fwd ? ERR.EHOSTUNREACH : r < 0 ? ERR.ENETUNREACH : rtnError(type);
      this.ipError(dev, h, err, fwd);
      return;
    }
    if (!fwd) {
      this.ipError(dev, h, ERR.EHOSTUNREACH, false);
      return;
    }
    // __mkroute_input: fib_validate_source (rp_filter) for forwarded packets.
    const bad = this.validateSource(dev, src | 0);
    if (bad !== 0) {
      w.drop(h, bad, dev.id);
      return;
    }
    this.forward(dev, h, r, pktType);
  }

  /**
   * `fib_validate_source` / `__fib_validate_source`: 0 when acceptable, else the drop reason.
   * rp_filter 0: only a local source address is refused (unless accept_local). 1 (strict): the
   * reverse route must leave through the receiving device. 2 (loose): any unicast reverse route.
   */
  /** `src` as int32 or u32. */
  private validateSource(dev: Device, src: number): Drop | 0 {
    const rpf = this.rpFilter(dev.id);
    const fib = this.fib;
    if (rpf === 0) {
      if (this.acceptLocal(dev.id) === 0 && this.addrs.isIfAddr(src)) return Drop.Martian;
      return 0;
    }
    const r = fib.lookup(src);
    if (r < 0) return Drop.RpFilter;
    const t = fib.type[r]!;
    if (t !== RTN.Unicast) {
      if (t === RTN.Local && this.acceptLocal(dev.id) !== 0) return 0;
      return Drop.Martian;
    }
    if (fib.devId[r] === dev.id) return 0;
    return rpf === 1 ? Drop.RpFilter : 0;
  }

  /**
   * `ip_error`: without forwarding the packet is dropped silently (counted as InAddrErrors /
   * InNoRoutes); with forwarding, host/net unreachable or "packet filtered" (prohibit) is sent back;
   * blackhole (EINVAL) is silent.
   */
  private ipError(dev: Device, h: number, err: number, forwarding: boolean): void {
    const w = this.world;
    if (w.pool.traceId[h]! >= 0) explainIpError(this, h, dev, err, forwarding);
    if (!forwarding) {
      w.drop(h, Drop.ForwardingDisabled, dev.id);
      return;
    }
    let code = -1;
    let reason: Drop = Drop.NoRoute;
    if (err === ERR.EHOSTUNREACH) code = ICMP_HOST_UNREACH;
    else if (err === ERR.ENETUNREACH) code = ICMP_NET_UNREACH;
    else if (err === ERR.EACCES) {
      code = ICMP_PKT_FILTERED;
      reason = Drop.RouteProhibit;
    } else reason = Drop.RouteBlackhole;
    if (code >= 0) {
      // ip_error's own token bucket on the sender's inet_peer (shared with icmp_ratelimit).
      const nowJ = jiffiesOf(w.sim.now);
      const pool = w.pool;
      const peer = this.peers.get(rd32(pool.bytesOf(h), pool.start[h]! + 12), nowJ);
      if (this.peers.errorAllow(peer, this.rtErrorCost, this.rtErrorBurst, nowJ)) {
        this.icmpSend(h, ICMP_DEST_UNREACH, code, 0);
      }
    }
    w.drop(h, reason, dev.id);
  }

  // ==== local delivery =============================================================================
  /** `ip_local_deliver` → `ip_local_deliver_finish` → `ip_protocol_deliver_rcu`. */
  private localDeliver(dev: Device, h: number, broadcast: boolean): void {
    const w = this.world;
    const pool = w.pool;
    const u8 = pool.bytesOf(h);
    const off = pool.start[h]!;
    const ff = rd16(u8, off + 6);
    if ((ff & (IPV4_MF | IPV4_OFFSET_MASK)) !== 0) {
      // ip_local_deliver → ip_defrag(IP_DEFRAG_LOCAL_DELIVER): queued, or the whole datagram.
      const r = this.defrag.queue(h, dev, DefragUser.LocalDeliver);
      if (r >= 0) this.localDeliver(dev, r, broadcast);
      return;
    }
    if (pool.traceId[h]! >= 0) explainLocal(this, h, dev, broadcast);
    // ip_local_deliver → NF_INET_LOCAL_IN (mangle, filter, SNAT, conntrack confirm).
    if (pool.traceId[h]! >= 0) explainIdleHook(this, Hook.LocalIn, h, dev.id);
    const nf = this.ns.nf;
    if (
      nf !== null &&
      nf.active[Hook.LocalIn] !== 0 &&
      !this.nfPass(nf.run(Hook.LocalIn, h, off, dev.id, -1), h, dev.id)
    ) {
      return;
    }
    const proto = u8[off + 9]!;
    const l4Off = off + ((u8[off]! & 0x0f) << 2);
    if (proto === IPPROTO_ICMP) {
      this.icmpRcv(dev, h, l4Off, broadcast);
      return;
    }
    let handler = this.protocols[proto];
    if (handler === undefined && !this.transportsAttached && Ipv4Stack.attachTransports !== null) {
      // Every Linux namespace has UDP and TCP; netsim creates them on first use to keep idle
      // namespaces small (100k-namespace topologies).
      this.transportsAttached = true;
      Ipv4Stack.attachTransports(this.ns);
      handler = this.protocols[proto];
    }
    if (handler === undefined) {
      if (!broadcast) this.icmpSend(h, ICMP_DEST_UNREACH, ICMP_PROT_UNREACH, 0);
      w.drop(h, Drop.UnhandledProto, dev.id);
      return;
    }
    handler.receive(h, dev, l4Off, broadcast);
  }

  // ==== forwarding =================================================================================
  /** `ip_forward` → `ip_forward_finish` → `ip_output`. `r` is the route from input routing. */
  private forward(inDev: Device, h: number, r: number, pktType: PktType): void {
    const w = this.world;
    const pool = w.pool;
    if (pool.traceId[h]! >= 0) explainForward(this, h, inDev, r);
    if (pktType !== PktType.Host) {
      w.drop(h, Drop.OtherHost, inDev.id);
      return;
    }
    const u8 = pool.bytesOf(h);
    const off = pool.start[h]!;
    if (u8[off + 8]! <= 1) {
      this.icmpSend(h, ICMP_TIME_EXCEEDED, ICMP_EXC_TTL, 0);
      w.drop(h, Drop.TtlExpired, inDev.id);
      return;
    }
    const fib = this.fib;
    const outDev = w.devices[fib.devId[r]!]!;
    const mtu = outDev.mtu;
    const len = pool.len[h]!;
    // ip_exceeds_mtu: DF set and too big → fragmentation needed, with the next-hop MTU. A datagram
    // conntrack reassembled exceeds only when its largest original fragment does (frag_max_size).
    const fm = pool.fragMax[h]! & 0xffff;
    if (len > mtu && (u8[off + 6]! & 0x40) !== 0 && (fm === 0 || fm > mtu)) {
      this.icmpSend(h, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, mtu);
      w.drop(h, Drop.MtuExceeded, inDev.id);
      return;
    }
    this.ipv4View.reset(u8, off);
    decrementTtl(this.ipv4View);
    // NF_INET_FORWARD sees the decremented TTL, as ip_forward calls the hook after ip_decrease_ttl.
    if (pool.traceId[h]! >= 0) explainIdleHook(this, Hook.Forward, h, inDev.id);
    const nf = this.ns.nf;
    if (
      nf !== null &&
      nf.active[Hook.Forward] !== 0 &&
      !this.nfPass(nf.run(Hook.Forward, h, off, inDev.id, outDev.id), h, inDev.id)
    ) {
      return;
    }
    if (!this.postRouting(h, outDev.id)) return;
    const dst = rd32(u8, off + 16);
    const gw = fib.gw[r]!;
    this.finishOutput(outDev, h, (gw !== 0 ? gw : dst) | 0, false, mtu);
  }

  /**
   * Maps a netfilter verdict to the frame's fate: true = go on; false = it was dropped or stolen. A
   * frame IPVS stole for a real server (ipvs-glue.ts) is sent here, after the traversal returned:
   * `ip_vs_send_or_cont` → NF_HOOK(LOCAL_OUT) → dst_output on the route to the real server.
   */
  private nfPass(v: number, h: number, devId: number): boolean {
    if (v === Verdict.Accept) return true;
    if (v === Verdict.Drop) this.world.drop(h, this.ns.nf!.dropReason, devId);
    else if (h === this.ipvsStolen) {
      this.ipvsStolen = -1;
      this.outputRoute(h, this.ipvsRoute, false);
    }
    return false;
  }
  /** Frame IPVS took for transmission in the hook that just ran (-1 = none); see nfPass. */
  ipvsStolen = -1;
  /** IPVS's route to the real server (`__ip_vs_get_out_rt`), filled by ipvs-glue.ts. */
  readonly ipvsRoute = new OutRoute();

  /** ip_output → NF_INET_POST_ROUTING (mangle, SNAT/MASQUERADE, conntrack confirm). */
  private postRouting(h: number, outDevId: number): boolean {
    const nf = this.ns.nf;
    if (nf === null || nf.active[Hook.PostRouting] === 0) {
      if (this.world.pool.traceId[h]! >= 0) explainIdleHook(this, Hook.PostRouting, h, outDevId);
      return true;
    }
    return this.nfPass(nf.run(Hook.PostRouting, h, this.world.pool.start[h]!, -1, outDevId), h, outDevId);
  }
  private readonly ipv4View = new Ipv4View();

  // ==== output =====================================================================================
  /**
   * `ip_route_output_key`: routes a locally generated packet. Fills `out`; returns 0 or a negative
   * errno. `src` 0 = choose; `oifDevId` -1 = any device (only used for limited broadcast). Addresses
   * as u32 or int32 (the hot path passes `| 0`, which V8 never boxes); `out` holds u32.
   */
  routeOutput(dstIn: number, srcIn: number, oifDevId: number, out: OutRoute): number {
    const fib = this.fib;
    const w = this.world;
    const dst = dstIn >>> 0;
    const src = srcIn >>> 0;
    if (src !== 0 && !this.anySrc && !this.addrs.isIfAddr(srcIn | 0) && !this.isLocalAddr(src))
      return ERR.ENETUNREACH;
    if (dst === 0xffffffff && oifDevId >= 0) {
      const dev = w.devices[oifDevId]!;
      out.routeId = -1;
      out.type = RTN.Broadcast;
      out.devId = oifDevId;
      out.nexthop = dst;
      out.src = src !== 0 ? src : this.addrs.selectAddr(dev, 0, SCOPE.Link);
      out.mtu = dev.mtu;
      return 0;
    }
    const r = fib.lookup(dstIn | 0);
    if (r < 0) return ERR.ENETUNREACH;
    const type = fib.type[r]!;
    out.routeId = r;
    if (type === RTN.Local) {
      out.type = RTN.Local;
      out.devId = this.ns.lo.id;
      out.nexthop = dst;
      out.src = src !== 0 ? src : fib.prefsrc[r] !== 0 ? fib.prefsrc[r]! : dst;
      out.mtu = this.ns.lo.mtu;
      return 0;
    }
    if (type !== RTN.Unicast && type !== RTN.Broadcast) return rtnError(type);
    const devId = fib.devId[r]!;
    const dev = w.devices[devId]!;
    out.type = dst === 0xffffffff ? RTN.Broadcast : type;
    out.devId = devId;
    out.nexthop = type === RTN.Unicast && fib.gw[r] !== 0 ? fib.gw[r]! : dst;
    out.src = src !== 0 ? src : fib.saddr[r]!;
    out.mtu = dev.mtu;
    // ipv4_mtu: a live PMTU exception for this destination (find_exception) overrides the device MTU.
    if (this.pmtu.size !== 0 && type === RTN.Unicast) {
      const e = this.pmtu.find(dst, r, fib.seq[r]!, jiffiesOf(w.sim.now));
      if (e >= 0) out.mtu = this.pmtu.pmtu(e);
    }
    return 0;
  }

  /**
   * `ipv4_sk_update_pmtu` → `__ip_rt_update_pmtu` for destination `daddr` with the next-hop MTU `mtu`
   * of a frag-needed (see pmtu.ts for the rules).
   */
  updatePmtu(daddr: number, mtu: number): void {
    const out = this.outPmtu;
    if (this.routeOutput(daddr, 0, -1, out) !== 0 || out.type !== RTN.Unicast || out.routeId < 0) return;
    const r = out.routeId;
    const seq = this.fib.seq[r]!;
    const nowJ = jiffiesOf(this.world.sim.now);
    const e = this.pmtu.find(daddr, r, seq, nowJ);
    if (e >= 0 && this.pmtu.locked(e)) return; // ip_mtu_locked
    const old = out.mtu;
    if (old < mtu) return;
    let lock = false;
    let m = mtu;
    if (m < this.minPmtu) {
      lock = true;
      m = old < this.minPmtu ? old : this.minPmtu;
    }
    if (
      e >= 0 &&
      this.pmtu.pmtu(e) === m &&
      !lock &&
      nowJ < this.pmtu.expiresAt(e) - Math.floor(this.mtuExpiresJ / 2)
    ) {
      return;
    }
    this.pmtu.set(daddr, r, seq, m, lock, nowJ + this.mtuExpiresJ);
  }

  /** The PMTU exception `ip route get` shows for `dst` (config side), or null. */
  pmtuException(dst: number): { mtu: number; locked: boolean; expiresS: number } | null {
    const out = this.outPmtu;
    if (this.routeOutput(dst, 0, -1, out) !== 0 || out.type !== RTN.Unicast || out.routeId < 0) return null;
    const nowJ = jiffiesOf(this.world.sim.now);
    const e = this.pmtu.find(dst, out.routeId, this.fib.seq[out.routeId]!, nowJ);
    if (e < 0) return null;
    // rt_fill_info: remaining jiffies → clock_t (USER_HZ 100) → iproute2 divides by 100.
    const left = this.pmtu.expiresAt(e) - nowJ;
    return { mtu: this.pmtu.pmtu(e), locked: this.pmtu.locked(e), expiresS: Math.floor(left / HZ) };
  }

  /** `__ip_select_ident` for a packet that may be fragmented (`ip_idents_reserve`, ip-idents.ts). */
  selectIdent(src: number, dst: number, proto: number): number {
    return this.idents.select(src, dst, proto);
  }

  /** `ip_local_out` for transports; see the file header for the contract. */
  /**
   * `ip_local_out` for a packet nf_reject built (REJECT --reject-with tcp-reset): its source is the
   * offending packet's destination, usually not ours, and `ip_route_me_harder` routes it with
   * FLOWI_FLAG_ANYSRC.
   */
  sendLocalAnySrc(h: number): number {
    this.anySrc = true;
    try {
      return this.sendLocal(h);
    } finally {
      this.anySrc = false;
    }
  }
  /** Set while `sendLocalAnySrc` routes: any source address is acceptable (FLOWI_FLAG_ANYSRC). */
  private anySrc = false;

  sendLocal(h: number): number {
    const w = this.world;
    const pool = w.pool;
    const u8 = pool.bytesOf(h);
    const off = pool.start[h]!;
    // int32 reads: rd32's uint32 result is boxed into a heap number when the call is not inlined
    // (it is not here), which cost every tunnelled frame (vxlan encap) two allocations.
    const src = (u8[off + 12]! << 24) | (u8[off + 13]! << 16) | (u8[off + 14]! << 8) | u8[off + 15]!;
    const dst = (u8[off + 16]! << 24) | (u8[off + 17]! << 16) | (u8[off + 18]! << 8) | u8[off + 19]!;
    const out = this.out;
    const err = this.routeOutput(dst, src, -1, out);
    if (err !== 0) {
      if (pool.traceId[h]! >= 0) explainOutputError(this, h, err);
      w.drop(
        h,
        err === ERR.EINVAL ? Drop.RouteBlackhole : err === ERR.EACCES ? Drop.RouteProhibit : Drop.NoRoute,
        -1,
      );
      return err;
    }
    if (src === 0) wr32(u8, off + 12, out.src);
    if ((u8[off + 6]! & 0x40) === 0) wr16(u8, off + 4, this.selectIdent(out.src | 0, dst, u8[off + 9]!));
    const hl = (u8[off]! & 0x0f) << 2;
    wr16(u8, off + 10, 0);
    wr16(u8, off + 10, csumFull(u8, off, hl));
    this.curPktType = PktType.Host;
    this.curInDev = -1;
    this.curSkbDev = -1;
    return this.outputRoute(h, out, true);
  }

  /** `ip_output` → `ip_finish_output` for a routed local packet. */
  private outputRoute(h: number, out: OutRoute, local: boolean): number {
    const w = this.world;
    if (w.pool.traceId[h]! >= 0) {
      explainOutput(this, h, out);
      explainIdleHook(this, Hook.LocalOut, h, out.devId);
    }
    // __ip_local_out → NF_INET_LOCAL_OUT (raw, conntrack, mangle, DNAT, filter); a DNAT that changed
    // the destination re-routes the packet (ip_route_me_harder).
    const nf = this.ns.nf;
    if (nf !== null && nf.active[Hook.LocalOut] !== 0) {
      const pool = w.pool;
      const dstBefore = rd32(pool.bytesOf(h), pool.start[h]! + 16);
      if (!this.nfPass(nf.run(Hook.LocalOut, h, pool.start[h]!, -1, out.devId), h, out.devId)) return 0;
      const u8 = pool.bytesOf(h);
      const dstAfter = rd32(u8, pool.start[h]! + 16);
      if (dstAfter !== dstBefore) {
        const err = this.routeOutput(dstAfter, rd32(u8, pool.start[h]! + 12), -1, out);
        if (err !== 0) {
          w.drop(h, Drop.NoRoute, -1);
          return err;
        }
      }
    }
    if (out.type === RTN.Local) {
      if (!this.postRouting(h, this.ns.lo.id)) return 0;
      this.loopbackXmit(h);
      return 0;
    }
    const dev = w.devices[out.devId]!;
    const pool = w.pool;
    // ip_skb_dst_mtu for local packets: the path MTU (a cached exception) or the device MTU.
    const mtu = out.mtu;
    if (pool.len[h]! > mtu) {
      const u8 = pool.bytesOf(h);
      if ((u8[pool.start[h]! + 6]! & 0x40) !== 0) {
        // __ip_append_data: a DF datagram (IP_PMTUDISC_DO) larger than the path MTU fails with
        // EMSGSIZE (ip_local_error to the socket); nothing is sent, no ICMP through lo.
        w.drop(h, Drop.MtuExceeded, dev.id);
        return ERR.EMSGSIZE;
      }
    }
    if (!this.postRouting(h, dev.id)) return 0;
    this.finishOutput(dev, h, out.nexthop | 0, out.type === RTN.Broadcast, mtu);
    return 0;
  }

  /**
   * `ip_finish_output`: fragments to `mtu` when needed (`ip_skb_dst_mtu`: the path MTU for local
   * packets, the device MTU when forwarding), then neighbour output (or broadcast). `nexthop` as
   * int32 or u32.
   */
  private finishOutput(dev: Device, h: number, nexthop: number, broadcast: boolean, mtu: number): void {
    const pool = this.world.pool;
    // ip_do_fragment: a reassembled datagram leaves in pieces no larger than its original fragments.
    const fm = pool.fragMax[h]! & 0xffff;
    if (fm !== 0 && fm < mtu) mtu = fm;
    if (pool.len[h]! > mtu) {
      this.fragment(dev, h, nexthop, broadcast, mtu);
      return;
    }
    if (broadcast) this.xmitTo(dev, h, 0xffff, 0xffffffff);
    else this.neighOutput(dev, h, nexthop);
  }

  /** `ip_finish_output2` → `neigh_output`. */
  private neighOutput(dev: Device, h: number, nexthop: number): void {
    const neigh = this.neigh;
    let n = neigh.lookup(dev.id, nexthop | 0);
    if (n < 0) n = neigh.create(dev, nexthop >>> 0);
    if (this.world.pool.traceId[h]! >= 0) explainNeighbour(this, h, dev, n, nexthop >>> 0);
    if (neigh.eventSend(n, h)) this.xmitTo(dev, h, neigh.macHi[n]!, neigh.macLo[n]! | 0);
  }

  /** Transmits a frame that waited for entry `n` (called by the neighbour table). */
  neighTransmit(n: number, h: number): void {
    const neigh = this.neigh;
    const dev = this.world.devices[neigh.devId[n]!]!;
    if (this.world.pool.traceId[h]! >= 0) explainNeighbourResolved(this, h, n);
    this.xmitTo(dev, h, neigh.macHi[n]!, neigh.macLo[n]! | 0);
  }

  /**
   * Pushes the Ethernet header (`neigh_hh_output` / `eth_header`) and hands the frame to `dev`. `dLo`
   * as int32 or u32 (the bytes written are the same).
   */
  private xmitTo(dev: Device, h: number, dHi: number, dLo: number): void {
    const w = this.world;
    const pool = w.pool;
    if (!pool.prepend(h, ETH_HLEN)) {
      w.drop(h, Drop.NoMemory, dev.id);
      return;
    }
    const u8 = pool.bytesOf(h);
    const e = pool.start[h]!;
    macWrite(u8, e, dHi, dLo);
    macWrite(u8, e + 6, dev.macHi, dev.macLo | 0);
    wr16(u8, e + 12, ETH_P_IP);
    dev.xmit(h);
  }

  /** Sends a local packet through `lo` (the route to a local address leaves via the loopback). */
  private loopbackXmit(h: number): void {
    const lo = this.ns.lo;
    this.xmitTo(lo, h, lo.macHi, lo.macLo);
  }

  /**
   * `ip_do_fragment` (slow path): pieces of at most MTU bytes, data in multiples of 8 except the
   * last, the same Identification; later fragments keep only options with the copy flag (the others
   * are overwritten with NOOP, `ip_options_fragment`). The original frame is consumed.
   */
  private fragment(dev: Device, h: number, nexthop: number, broadcast: boolean, mtu: number): void {
    const w = this.world;
    const pool = w.pool;
    const u8 = pool.bytesOf(h);
    const off0 = pool.start[h]!;
    const hl = (u8[off0]! & 0x0f) << 2;
    const tl = pool.len[h]!;
    const ff = rd16(u8, off0 + 6);
    const origMf = (ff & IPV4_MF) !== 0;
    let offset = (ff & IPV4_OFFSET_MASK) << 3;
    let left = tl - hl;
    let ptr = hl;
    const pmtuDf = (pool.fragMax[h]! & FRAG_PMTU) !== 0;
    if (mtu - hl < 8) {
      w.drop(h, Drop.MtuExceeded, dev.id);
      return;
    }
    let first = true;
    while (left > 0) {
      let len = left > mtu - hl ? mtu - hl : left;
      if (len < left) len &= ~7;
      const f = w.newFrameFor(hl + len);
      const fu8 = pool.bytesOf(f);
      const src8 = pool.bytesOf(h);
      const so = pool.start[h]!;
      pool.setLength(f, hl + len);
      const fo = pool.start[f]!;
      for (let i = 0; i < hl; i++) fu8[fo + i] = src8[so + i]!;
      if (!first) optionsFragment(fu8, fo, hl);
      for (let i = 0; i < len; i++) fu8[fo + hl + i] = src8[so + ptr + i]!;
      left -= len;
      const more = left > 0 || origMf;
      wr16(fu8, fo + 2, hl + len);
      // ip_frag_next: DF only for a reassembled datagram whose largest fragment had it (IPSKB_FRAG_PMTU).
      wr16(fu8, fo + 6, (offset >>> 3) | (more ? IPV4_MF : 0) | (pmtuDf ? 0x4000 : 0));
      wr16(fu8, fo + 10, 0);
      wr16(fu8, fo + 10, csumFull(fu8, fo, hl));
      ptr += len;
      offset += len;
      first = false;
      if (pool.traceId[h]! >= 0) explainFragment(this, h, f, dev);
      if (broadcast) this.xmitTo(dev, f, 0xffff, 0xffffffff);
      else this.neighOutput(dev, f, nexthop);
    }
    if (pool.traceId[h]! >= 0) explainFragmented(this, h, dev);
    w.consume(h);
  }

  /** `ip_expire`: ICMP time exceeded / fragment reassembly about the first fragment `h` (received on `iif`). */
  fragTimeoutIcmp(h: number, iif: number): void {
    this.curPktType = PktType.Host;
    this.curInDev = iif;
    this.curSkbDev = iif;
    this.icmpSend(h, ICMP_TIME_EXCEEDED, ICMP_EXC_FRAGTIME, 0);
  }

  /**
   * `ipv4_link_failure` for a packet whose neighbour on device `devId` failed: host unreachable to its
   * sender (`skb->dev` is the output device, so the global ICMP bucket applies).
   */
  linkFailure(h: number, devId: number): void {
    this.curPktType = PktType.Host;
    this.curInDev = -1;
    this.curSkbDev = devId;
    this.icmpSend(h, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0);
  }

  // ==== ICMP =======================================================================================
  /** `icmp_rcv`. `h` starts at the IPv4 header, the ICMP message at `icmpOff`. */
  private icmpRcv(dev: Device, h: number, icmpOff: number, broadcast: boolean): void {
    const w = this.world;
    const pool = w.pool;
    const u8 = pool.bytesOf(h);
    const end = pool.start[h]! + pool.len[h]!;
    const len = end - icmpOff;
    if (len < 8 || !csumVerifies(u8, icmpOff, len)) {
      w.drop(h, Drop.L4Malformed, dev.id);
      return;
    }
    const type = u8[icmpOff]!;
    if (broadcast) {
      // RFC 1122 3.2.2.6 / 3.2.2.8: echo and timestamp to broadcast may be ignored (default yes).
      if ((type === ICMP_ECHO || type === 13) && this.echoIgnoreBroadcasts === 1) {
        w.drop(h, Drop.IcmpDiscard, dev.id);
        return;
      }
      if (type !== ICMP_ECHO && type !== 13 && type !== 17) {
        w.drop(h, Drop.IcmpDiscard, dev.id);
        return;
      }
    }
    if (type === ICMP_ECHO) {
      this.icmpEcho(dev, h, icmpOff, broadcast);
      return;
    }
    if (type === ICMP_ECHOREPLY) {
      const sock = this.pingSockets?.get(rd16(u8, icmpOff + 4));
      if (pool.traceId[h]! >= 0) explainPing(this, h, dev, rd16(u8, icmpOff + 4), sock !== undefined);
      if (sock === undefined) {
        w.drop(h, Drop.NoSocket, dev.id);
        return;
      }
      sock.echoReply(h, icmpOff);
      return;
    }
    if (
      type === ICMP_DEST_UNREACH ||
      type === ICMP_TIME_EXCEEDED ||
      type === ICMP_PARAMETERPROB ||
      type === ICMP_SOURCE_QUENCH
    ) {
      this.icmpUnreach(dev, h, icmpOff, end);
      return;
    }
    w.drop(h, Drop.IcmpDiscard, dev.id);
  }

  /** `icmp_unreach` → `icmp_socket_deliver`: hand the error to the owner of the quoted packet. */
  private icmpUnreach(dev: Device, h: number, icmpOff: number, end: number): void {
    const w = this.world;
    const u8 = w.pool.bytesOf(h);
    const type = u8[icmpOff]!;
    const code = u8[icmpOff + 1]!;
    const q = icmpOff + 8;
    if (end - q < 20) {
      w.drop(h, Drop.L4Malformed, dev.id);
      return;
    }
    const qhl = (u8[q]! & 0x0f) << 2;
    if (qhl < 20 || end - q < qhl + 8) {
      w.drop(h, Drop.L4Malformed, dev.id);
      return;
    }
    let info = 0;
    const qproto = u8[q + 9]!;
    const fragNeeded = type === ICMP_DEST_UNREACH && code === ICMP_FRAG_NEEDED;
    if (fragNeeded) {
      // ip_no_pmtu_disc: 0 use the MTU; 1 deliver without it (info 0); 2 ignore the message; 3 use it
      // only for protocols with icmp_strict_tag_validation (TCP), ignore it for the others.
      const mode = this.noPmtuDisc;
      if (mode === 2 || (mode === 3 && qproto !== IPPROTO_TCP)) {
        w.consume(h);
        return;
      }
      if (mode !== 1) info = rd16(u8, icmpOff + 6);
    } else if (type === ICMP_PARAMETERPROB) info = u8[icmpOff + 4]!;
    else if (type === ICMP_TIME_EXCEEDED && code === ICMP_EXC_FRAGTIME) {
      // Reassembly timeouts are counted and not passed to sockets.
      w.consume(h);
      return;
    }
    let delivered = false;
    if (qproto === IPPROTO_ICMP) {
      const qi = q + qhl;
      if (u8[qi] === ICMP_ECHO) {
        const sock = this.pingSockets?.get(rd16(u8, qi + 4));
        if (sock !== undefined) {
          sock.error(h, q, end, type, code, info);
          delivered = true;
        }
      }
    } else {
      const p = this.protocols[qproto];
      if (p !== undefined) {
        p.error(h, q, end, type, code, info);
        delivered = true;
      }
    }
    // ping_err / __udp4_lib_err / tcp_v4_err → ipv4_sk_update_pmtu with the quoted destination.
    if (fragNeeded && delivered) this.updatePmtu(rd32(w.pool.bytesOf(h), q + 16), info);
    w.consume(h);
  }

  /**
   * `icmp_echo` → `icmp_reply`: the request's frame becomes the reply in place — addresses swapped
   * (source = the address asked, or the selected address for a broadcast), type 0, TTL =
   * ip_default_ttl, TOS kept, DF clear, options dropped.
   */
  private icmpEcho(dev: Device, h: number, icmpOff: number, broadcast: boolean): void {
    const w = this.world;
    const pool = w.pool;
    if (this.echoIgnoreAll === 1) {
      w.drop(h, Drop.IcmpDiscard, dev.id);
      return;
    }
    let u8 = pool.bytesOf(h);
    let off = pool.start[h]!;
    const hl = icmpOff - off;
    if (hl > 20) {
      // Move the fixed header next to the ICMP message and drop the options.
      for (let i = 19; i >= 0; i--) u8[off + hl - 20 + i] = u8[off + i]!;
      pool.trimFront(h, hl - 20);
      u8 = pool.bytesOf(h);
      off = pool.start[h]!;
      u8[off] = 0x45;
    }
    const reqSrc = rd32(u8, off + 12);
    const reqDst = rd32(u8, off + 16);
    const icmpLen = pool.len[h]! - 20;
    let src = reqDst;
    if (broadcast) src = this.addrs.selectAddr(dev, reqSrc, SCOPE.Universe);
    const out = this.out2;
    if (this.routeOutput(reqSrc, src, -1, out) !== 0) {
      w.drop(h, Drop.NoRoute, dev.id);
      return;
    }
    wr16(u8, off + 2, 20 + icmpLen);
    wr16(u8, off + 6, 0);
    u8[off + 8] = this.defaultTtl;
    wr32(u8, off + 12, out.src);
    wr32(u8, off + 16, reqSrc);
    wr16(u8, off + 4, this.selectIdent(out.src, reqSrc, IPPROTO_ICMP));
    wr16(u8, off + 10, 0);
    wr16(u8, off + 10, csumFull(u8, off, 20));
    const io = off + 20;
    u8[io] = ICMP_ECHOREPLY;
    u8[io + 1] = 0;
    wr16(u8, io + 2, 0);
    wr16(u8, io + 2, csumFull(u8, io, icmpLen));
    if (pool.traceId[h]! >= 0) explainEcho(this, h, dev);
    this.curPktType = PktType.Host;
    this.outputRoute(h, out, false);
  }

  /**
   * `__icmp_send`: an ICMP error about the IPv4 packet at pool.start[h] (the caller keeps `h`).
   * No error about an ICMP error, a non-first fragment, a broadcast/multicast, or a packet not
   * received as unicast to us (RFC 1122 3.2.2). Source: the original destination when it was one of
   * our addresses; otherwise the address routing picks towards the original sender (or the
   * receiving device's address with icmp_errors_use_inbound_ifaddr). The quote is as much of the
   * original as fits in 576 bytes.
   */
  icmpSend(h: number, type: number, code: number, info: number): void {
    const w = this.world;
    const pool = w.pool;
    let u8 = pool.bytesOf(h);
    let off = pool.start[h]!;
    if (this.curPktType !== PktType.Host) return;
    const ff = rd16(u8, off + 6);
    if ((ff & IPV4_OFFSET_MASK) !== 0) return;
    const origSrc = rd32(u8, off + 12);
    const origDst = rd32(u8, off + 16);
    const hl = (u8[off]! & 0x0f) << 2;
    if (origDst === 0xffffffff || origDst >>> 28 === 0xe || origSrc === 0 || origSrc >>> 28 >= 0xe) return;
    const rd = this.fib.lookup(origDst);
    const dstLocal = rd >= 0 && this.fib.type[rd] === RTN.Local;
    if (rd >= 0 && this.fib.type[rd] === RTN.Broadcast) return;
    if (u8[off + 9] === IPPROTO_ICMP) {
      if (pool.len[h]! < hl + 1) return;
      const it = u8[off + hl]!;
      if (it > 18 || it === 3 || it === 4 || it === 5 || it === 11 || it === 12) return;
    }
    // icmpv4_global_allow, unless the offending packet came in on a loopback device; a pass arms the
    // per-peer limit (apply_ratelimit).
    let applyRl = false;
    if (!icmpMaskAllow(this.icmpRatemask, type, code)) {
      const sd = this.curSkbDev;
      if (sd < 0 || w.devices[sd]!.kind !== DevKind.Loopback) {
        if (!this.icmpGlobal.allow(jiffiesOf(w.sim.now), this.icmpMsgsPerSec, this.icmpMsgsBurst)) return;
        applyRl = true;
      }
    }
    let saddr = 0;
    if (dstLocal) saddr = origDst;
    else if (this.errorsUseInboundIfaddr === 1 && this.curInDev >= 0) {
      saddr = this.addrs.selectAddr(w.devices[this.curInDev]!, origSrc, SCOPE.Link);
    }
    const out = this.out2;
    if (this.routeOutput(origSrc, saddr, -1, out) !== 0) return;
    // icmpv4_xrlim_allow: no per-peer limit through a loopback device; the global credit is consumed
    // for every message that passes.
    if (applyRl) {
      if (w.devices[out.devId]!.kind !== DevKind.Loopback) {
        const nowJ = jiffiesOf(w.sim.now);
        if (!this.peers.xrlimAllow(this.peers.get(origSrc, nowJ), this.icmpRatelimitJ, nowJ)) return;
      }
      this.icmpGlobal.consume(this.icmpRng);
    }
    const origLen = rd16(u8, off + 2) < pool.len[h]! ? rd16(u8, off + 2) : pool.len[h]!;
    const tos = u8[off + 1]!;
    const mtu = out.mtu < 576 ? out.mtu : 576;
    const room = mtu - 20 - 8;
    if (room <= 20) return;
    const e = w.newFrame();
    // The pool may have grown: re-read the original's position.
    u8 = pool.bytesOf(h);
    off = pool.start[h]!;
    const eu8 = pool.bytesOf(e);
    const eo = pool.start[e]!;
    const icmpLen = emitIcmpError(type, code, info, u8, off, origLen, eu8, eo + 20, room);
    pool.setLength(e, 20 + icmpLen);
    eu8[eo] = 0x45;
    eu8[eo + 1] = (tos & 0x1e) | 0xc0;
    wr16(eu8, eo + 2, 20 + icmpLen);
    wr16(eu8, eo + 4, this.selectIdent(out.src, origSrc, IPPROTO_ICMP));
    wr16(eu8, eo + 6, 0);
    eu8[eo + 8] = this.defaultTtl;
    eu8[eo + 9] = IPPROTO_ICMP;
    wr32(eu8, eo + 12, out.src);
    wr32(eu8, eo + 16, origSrc);
    wr16(eu8, eo + 10, 0);
    wr16(eu8, eo + 10, csumFull(eu8, eo, 20));
    // An answer to a traced packet joins its trace.
    if (pool.traceId[h]! >= 0) traceReply(w, h, e, this.curInDev, `ICMP error (type ${type} code ${code})`);
    this.outputRoute(e, out, false);
  }

  // ==== configuration: addresses and routes ==========================================================
  /** `ip addr add`: returns an error message in iproute2's words, or null. */
  addAddress(ifa: IfAddr): string | null {
    const err = this.addrs.add(ifa);
    if (err !== null) return err;
    this.syncKernelRoutes();
    return null;
  }

  /** `ip addr del`. */
  removeAddress(ifa: IfAddr): void {
    this.addrs.remove(ifa);
    this.syncKernelRoutes();
  }

  /**
   * `ip route add|replace|append` (`fib_table_insert` after `fib_create_info` / `fib_check_nh`).
   * Returns the error line iproute2 prints, or null. `spec.devId` -1 with a gateway takes the device
   * of the connected route to the gateway.
   */
  routeAdd(spec: RouteSpec, mode: 'add' | 'replace' | 'append'): string | null {
    const fib = this.fib;
    const w = this.world;
    const s = { ...spec };
    const isUnicast = s.type === RTN.Unicast;
    if (isUnicast || s.type === RTN.Local || s.type === RTN.Broadcast) {
      if (s.gw !== 0) {
        if ((s.flags & RTF.Onlink) !== 0) {
          if (s.devId < 0) return 'Error: Nexthop device required for onlink.';
          if (!w.devices[s.devId]!.adminUp) return 'Error: Nexthop device is not up.';
          const r = fib.lookup(s.gw);
          if (r >= 0 && fib.type[r] !== RTN.Unicast) return 'Error: Nexthop has invalid gateway.';
        } else {
          // fib_check_nh_v4_gw: the gateway must be reachable through a route of scope >= link.
          const r = this.lookupMinScope(s.gw, s.scope + 1);
          if (r < 0 || fib.type[r] !== RTN.Unicast) return 'Error: Nexthop has invalid gateway.';
          if (s.devId >= 0 && fib.devId[r] !== s.devId) return 'Error: Nexthop has invalid gateway.';
          s.devId = fib.devId[r]!;
        }
        if (!w.devices[s.devId]!.adminUp) return 'Error: Nexthop device is not up.';
      } else if (s.devId >= 0) {
        if (!w.devices[s.devId]!.adminUp) return 'Error: Nexthop device is not up.';
      } else if (isUnicast) {
        return 'Error: Device only routes must specify a device.';
      }
    }
    const table = fib.getTable(s.table, false);
    const same =
      table === undefined
        ? undefined
        : fib.aliases(table, s.plen, s.dst).find((id) => fib.metric[id] === s.metric);
    if (mode === 'add' && same !== undefined) return 'RTNETLINK answers: File exists';
    if (mode === 'replace' && same !== undefined) fib.remove(same);
    fib.add(s);
    this.refreshSaddrs();
    return null;
  }

  /** `fib_table_delete`: removes the first route matching every given attribute. */
  routeDel(m: {
    table: number;
    dst: number;
    plen: number;
    type?: number;
    metric?: number;
    devId?: number;
    gw?: number;
    proto?: number;
    scope?: number;
    prefsrc?: number;
  }): string | null {
    const fib = this.fib;
    const t = fib.getTable(m.table, false);
    const list = t === undefined ? undefined : fib.aliases(t, m.plen, m.dst);
    const id = list?.find(
      (r) =>
        (m.type === undefined || fib.type[r] === m.type) &&
        (m.metric === undefined || fib.metric[r] === m.metric) &&
        (m.devId === undefined || fib.devId[r] === m.devId) &&
        (m.gw === undefined || fib.gw[r] === m.gw) &&
        (m.proto === undefined || fib.proto[r] === m.proto) &&
        (m.scope === undefined || fib.scope[r] === m.scope) &&
        (m.prefsrc === undefined || fib.prefsrc[r] === m.prefsrc),
    );
    if (id === undefined) return 'RTNETLINK answers: No such process';
    fib.remove(id);
    return null;
  }

  /** Config-side lookup that ignores routes of scope below `minScope` (`fib_lookup` with flowi4_scope). */
  lookupMinScope(addr: number, minScope: number): number {
    const fib = this.fib;
    for (const tid of [RT_TABLE.Local, RT_TABLE.Main, RT_TABLE.Default]) {
      const t = fib.getTable(tid, false);
      if (t === undefined) continue;
      for (const p of t.plens) {
        const list = fib.aliases(t, p, addr);
        const id = list.find((r) => fib.scope[r]! >= minScope);
        if (id !== undefined) return id;
      }
    }
    return -1;
  }

  private netdevUp(dev: Device): void {
    // A device without addresses implies no kernel routes and changes no route's source address
    // (inet_select_addr does not look at IFF_UP), so there is nothing to resync: skipping keeps
    // `ip link set vethN up` on a host with N ports O(1) instead of O(N).
    if (dev.kind !== DevKind.Loopback && this.addrs.list(dev.id).length === 0) return;
    if (dev.kind === DevKind.Loopback && this.addrs.list(dev.id).length === 0) {
      this.addrs.add({
        devId: dev.id,
        local: 0x7f000001,
        plen: 8,
        broadcast: 0,
        scope: SCOPE.Host,
        label: dev.name,
        secondary: false,
      });
    }
    this.syncKernelRoutes();
  }

  /** NETDEV_DOWN: routes through the device go (except host scope), neighbours are flushed. */
  private netdevDown(dev: Device): void {
    const fib = this.fib;
    for (const id of fib.allIds()) {
      if (fib.devId[id] === dev.id && fib.scope[id] !== SCOPE.Host) fib.remove(id);
    }
    this.neigh.flushDevice(dev.id, false);
    this.syncKernelRoutes();
  }

  private netdevUnregister(dev: Device): void {
    const fib = this.fib;
    for (const id of fib.allIds()) if (fib.devId[id] === dev.id) fib.remove(id);
    this.neigh.flushDevice(dev.id, false);
    this.neigh.parms[dev.id] = undefined;
    this.addrs.removeDevice(dev.id);
    this.devConf.invalidate(dev.id);
    this.syncKernelRoutes();
  }

  /**
   * Recomputes the routes `fib_add_ifaddr` implies for every address and device state, adds the
   * missing ones, removes the stale ones, then refreshes every route's source address.
   */
  syncKernelRoutes(): void {
    const fib = this.fib;
    const want = kernelRouteScratch;
    want.clear();
    for (const dev of this.ns.devices) {
      for (const ifa of this.addrs.list(dev.id)) {
        const prim = ifa.secondary ? this.addrs.primaryFor(dev.id, ifa.local, ifa.plen) : ifa;
        if (prim === undefined) continue;
        const ps = prim.local;
        want.put(RT_TABLE.Local, RTN.Local, ifa.local, 32, SCOPE.Host, dev.id, ps);
        if (!dev.adminUp) continue;
        if (ifa.broadcast !== 0 && ifa.broadcast !== 0xffffffff) {
          want.put(RT_TABLE.Local, RTN.Broadcast, ifa.broadcast, 32, SCOPE.Link, dev.id, ps);
        }
        const m = maskOf(ifa.plen);
        const prefix = (ifa.local & m) >>> 0;
        if (prefix >>> 24 !== 0 && !ifa.secondary && (prefix !== ifa.local || ifa.plen < 32)) {
          const lo = dev.kind === DevKind.Loopback;
          want.put(
            lo ? RT_TABLE.Local : RT_TABLE.Main,
            lo ? RTN.Local : RTN.Unicast,
            prefix,
            ifa.plen,
            lo ? SCOPE.Host : SCOPE.Link,
            dev.id,
            ps,
          );
          if (ifa.plen < 31)
            want.put(RT_TABLE.Local, RTN.Broadcast, (prefix | ~m) >>> 0, 32, SCOPE.Link, dev.id, ps);
        }
      }
    }
    for (const id of fib.allIds()) {
      if ((fib.flags[id]! & RTF_IFADDR) === 0) continue;
      const i = want.find(
        fib.table[id]!,
        fib.type[id]!,
        fib.dst[id]!,
        fib.plen[id]!,
        fib.scope[id]!,
        fib.devId[id]!,
        fib.prefsrc[id]!,
      );
      if (i >= 0 && want.matched[i] === 0) want.matched[i] = 1;
      else fib.remove(id);
    }
    for (let i = 0; i < want.n; i++) {
      if (want.matched[i] === 1) continue;
      fib.add({
        table: want.table[i]!,
        type: want.type[i]!,
        dst: want.dst[i]!,
        plen: want.plen[i]!,
        metric: 0,
        devId: want.devId[i]!,
        gw: 0,
        prefsrc: want.prefsrc[i]!,
        scope: want.scope[i]!,
        proto: RTPROT.Kernel,
        flags: RTF_IFADDR,
      });
    }
    this.refreshSaddrs();
  }

  /** `fib_info_update_nhc_saddr`: each route's source = prefsrc, else inet_select_addr(dev, gw, scope). */
  refreshSaddrs(): void {
    const fib = this.fib;
    const w = this.world;
    for (const id of fib.allIds()) {
      if (fib.prefsrc[id] !== 0) {
        fib.saddr[id] = fib.prefsrc[id]!;
        continue;
      }
      const devId = fib.devId[id]!;
      if (devId < 0) {
        fib.saddr[id] = 0;
        continue;
      }
      fib.saddr[id] = this.addrs.selectAddr(w.devices[devId]!, fib.gw[id]!, fib.scope[id]!);
    }
  }
}

/** `ip_options_fragment`: options without the copy flag become NOOPs in later fragments. */
function optionsFragment(u8: Uint8Array, off: number, hl: number): void {
  let p = 20;
  while (p < hl) {
    const t = u8[off + p]!;
    if (t === 0) return;
    if (t === 1) {
      p++;
      continue;
    }
    const l = p + 1 < hl ? u8[off + p + 1]! : 0;
    if (l < 2 || p + l > hl) return;
    if ((t & 0x80) === 0) for (let i = 0; i < l; i++) u8[off + p + i] = 1;
    p += l;
  }
}

/** The IPv4 stack of a namespace (its `ipv4` handler). */
export function stackOf(ns: Namespace): Ipv4Stack {
  const s = ns.ipv4;
  if (!(s instanceof Ipv4Stack)) throw new Error(`namespace ${ns.name} has no IPv4 stack`);
  return s;
}
