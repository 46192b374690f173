// The Linux bridge (net/bridge/): a device with ports, an FDB, learning, flooding and local delivery.
//
// Heads up: read br_input.c (br_handle_frame, br_handle_frame_finish, br_pass_frame_up), br_forward.c
// (br_forward, br_flood, should_deliver), br_device.c (br_dev_xmit), br_if.c (br_add_if, br_del_if)
// and br_stp_if.c (br_stp_recalculate_bridge_id) before changing behaviour here.
//
// What is emulated, with the kernel function it mirrors:
// - Receive on a port (BridgePort.handleFrame = br_handle_frame + br_handle_frame_finish): invalid
//   source MACs (multicast, zero) are dropped; link-local 01:80:c2:00:00:0X follows the kernel's
//   group-address rules; the port must be LEARNING or FORWARDING; the source is learned (per-port
//   `learning` flag); then local FDB entry → up the stack of the bridge device, known unicast → that
//   port, otherwise flood; broadcast and multicast are flooded *and* passed up (no IGMP/MLD snooping
//   querier, so multicast is flooded as the kernel does without one).
// - Egress (should_deliver): never back out of the ingress port unless that port has hairpin on; only
//   to FORWARDING ports; isolated ports do not talk to each other; per-port `flood`, `mcast_flood`,
//   `bcast_flood` gate flooding (the last two only for forwarded frames, as br_flood); a frame larger
//   than the egress port's MTU + 18 is dropped (is_skb_forwardable). The last port of a flood gets the
//   original frame, the others clones (maybe_deliver).
// - Transmit from the host (transmit = br_dev_xmit): FDB lookup without learning, then forward/flood.
// - Port state: with STP off a port is FORWARDING when it and the bridge are up and it has carrier,
//   DISABLED otherwise; `bridge link set … state N` overrides it until the port or bridge next comes up.
// - The bridge's address: random at creation, then the lowest port address as ports come and go
//   (00:00:00:00:00:00 once the last port left), unless the user set one (NET_ADDR_SET). Ports' and
//   the bridge's own addresses are local permanent FDB entries.
// - Carrier: on until the first port is added, then on iff some port is FORWARDING (NO_STP's
//   br_port_state_selection); `ip link` shows such a bridge UNKNOWN before its first port.
// - br_netfilter (net/bridge/br_netfilter_hooks.c), once the module is loaded (`modprobe br_netfilter`,
//   br-netfilter.ts) and bridge-nf-call-iptables (or the bridge's nf_call_iptables) is on: an untagged
//   IPv4 frame crosses PREROUTING (in = the bridge, physdev in = the port) before learning and the FDB
//   decision (br_nf_pre_routing); a changed destination is routed again (br_nf_pre_routing_finish:
//   still out of this bridge → the next hop's MAC and bridged on, "bridged DNAT"; otherwise the
//   bridge's own MAC and up the stack). Each forwarded copy crosses FORWARD (in = out = the bridge,
//   physdev in/out = the ports; once per output port when flooding, br_nf_forward_ip) and POSTROUTING
//   (br_nf_post_routing). A frame passed up skips PREROUTING in ip_rcv (ip_sabotage_in), so the
//   namespace's chains see it once. The frame's nf_bridge info lives in pool.nfBridge.
// Out of scope: STP (stp_state must be 0), VLAN filtering (vlan_filtering must be 0), IGMP/MLD
// snooping (multicast floods), arptables / ip6tables / VLAN- or PPPoE-tagged frames under br_netfilter,
// proxy ARP / neigh_suppress effects, backup ports.
//
// The per-frame path allocates nothing: MACs are read as (hi, lo) numbers and ports are objects made
// at configuration time.

import { Hook } from '../../netfilter/hook-id.js';
import { NfBridge } from '../../netfilter/nf-bridge.js';
import { Verdict } from '../../netfilter/verdict.js';
import { BridgeDecision } from '../../trace/explain.js';
import { traceBridge, traceDev } from '../../trace/points.js';
import { rd16, rd32 } from '../../wire/bytes.js';
import { checkIpv4Rcv } from '../../wire/ipv4.js';
import { macReadHi, macReadLo, macWrite } from '../../wire/mac.js';
import { Device, DevKind, type RxHandler, RxResult } from '../device.js';
import { Drop } from '../drop-reason.js';
import { NUD } from '../ipv4/neighbour.js';
import type { Ipv4Stack } from '../ipv4/stack.js';
import type { Namespace } from '../namespace.js';
import type { World } from '../world.js';
import { type BrnfNet, brnfOf } from './br-netfilter.js';
import { FDB_PORT_BRIDGE, Fdb, FdbFlag, Learn } from './fdb.js';

/** Port states (BR_STATE_*), numbered as the kernel and `bridge link set … state N` number them. */
export const PortState = { Disabled: 0, Listening: 1, Learning: 2, Forwarding: 3, Blocking: 4 } as const;
export type PortState = (typeof PortState)[keyof typeof PortState];
export const PORT_STATE_NAMES: readonly string[] = [
  'disabled',
  'listening',
  'learning',
  'forwarding',
  'blocking',
];

/** Per-port flags with an effect here (cf. BR_HAIRPIN_MODE, BR_LEARNING, BR_FLOOD, …). */
export const PortFlag = {
  Hairpin: 1,
  Learning: 2,
  Flood: 4,
  McastFlood: 8,
  BcastFlood: 16,
  Isolated: 32,
  NeighSuppress: 64,
} as const;
export const DEFAULT_PORT_FLAGS =
  PortFlag.Learning | PortFlag.Flood | PortFlag.McastFlood | PortFlag.BcastFlood;

/** BR_PKT_* */
const PKT_UNICAST = 0;
const PKT_MULTICAST = 1;
const PKT_BROADCAST = 2;

const ETH_HLEN = 14;
const VLAN_HLEN = 4;
const ETH_P_IP = 0x0800;
/** NUD_CONNECTED: the neighbour's address may be used without the neighbour layer (br_nf_pre_routing_finish_bridge). */
const NUD_CONNECTED = NUD.Permanent | NUD.Noarp | NUD.Reachable;
/** RTN_UNICAST (fib.ts RTN.Unicast). */
const RTN_UNICAST = 1;
/** Linux's port_no space (BR_MAX_PORTS = 1 << BR_PORT_BITS). */
const BR_MAX_PORTS = 1024;
/** br_fdb_cleanup runs at most every 10 ms. */
const GC_MIN_INTERVAL_NS = 10_000_000;
/** ageing_time and STP times are given in centiseconds (clock_t, USER_HZ = 100). */
export const CS_NS = 10_000_000;

/** A bridge port (struct net_bridge_port): installed as the port device's rx handler. */
export class BridgePort implements RxHandler {
  flags = DEFAULT_PORT_FLAGS;
  /** State the port takes while it and the bridge are up (FORWARDING unless set by the user). */
  userState: PortState = PortState.Forwarding;
  priority = 32;
  cost: number;
  private shownMap: Map<string, number> | null = null;
  /** Options stored for display only (`guard`, `root_block`, `fastleave`, `proxy_arp`, …). */
  get shown(): Map<string, number> {
    if (this.shownMap === null) this.shownMap = new Map();
    return this.shownMap;
  }
  /** The port's address as the FDB knows it (to find the old local entry on NETDEV_CHANGEADDR). */
  macHi: number;
  macLo: number;

  constructor(
    readonly br: BridgeDevice,
    readonly dev: Device,
    readonly portNo: number,
  ) {
    this.macHi = dev.macHi;
    this.macLo = dev.macLo;
    // port_cost(): veth reports 10 Gb/s (cost 2); devices without a speed get 100.
    this.cost = dev.kind === DevKind.Veth ? 2 : 100;
  }

  /** The port's state now: DISABLED while the port or the bridge is down or the port has no carrier. */
  get state(): PortState {
    const d = this.dev;
    if (!this.br.adminUp || !d.adminUp || !d.carrier) return PortState.Disabled;
    return this.userState;
  }

  /** br_handle_frame + br_handle_frame_finish for a frame received on this port. */
  handleFrame(_dev: Device, h: number): RxResult {
    const br = this.br;
    const w = br.world;
    const pool = w.pool;
    if (pool.len[h]! < ETH_HLEN) {
      w.drop(h, Drop.L2Malformed, this.dev.id);
      return RxResult.Consumed;
    }
    const u8 = pool.bytesOf(h);
    const off = pool.start[h]!;
    const srcHi = macReadHi(u8, off + 6);
    const srcLo = macReadLo(u8, off + 6);
    // br_handle_frame: !is_valid_ether_addr(h_source) → drop.
    if (srcHi & 0x0100 || (srcHi === 0 && srcLo === 0)) {
      w.drop(h, Drop.MacInvalidSource, this.dev.id);
      return RxResult.Consumed;
    }
    const dstHi = macReadHi(u8, off);
    const dstLo = macReadLo(u8, off);
    // is_link_local_ether_addr: 01:80:c2:00:00:0X.
    if (dstHi === 0x0180 && (dstLo & 0xfffffff0) === 0xc2000000) {
      const low = dstLo & 0xf;
      if (low === 1) {
        // IEEE 802.3x PAUSE: never forwarded nor passed up.
        w.drop(h, Drop.NotDeliverable, this.dev.id);
        return RxResult.Consumed;
      }
      // 0x00 (STP BPDUs) is forwarded while STP is off; others only with group_fwd_mask.
      if (low !== 0 && ((br.groupFwdMask >>> low) & 1) === 0) {
        // __br_handle_local_finish: learn, then hand the frame to the port's own stack.
        const st = this.state;
        if (
          (this.flags & PortFlag.Learning) !== 0 &&
          br.noLinklocalLearn === 0 &&
          (st === PortState.Learning || st === PortState.Forwarding)
        ) {
          br.learned(br.fdb.learnNow(srcHi, srcLo | 0, 0, this.portNo));
        }
        return RxResult.Pass;
      }
    }
    const state = this.state;
    if (state !== PortState.Forwarding && state !== PortState.Learning) {
      const t = pool.traceId[h]!;
      if (t >= 0)
        traceBridge(
          w,
          t,
          h,
          br.id,
          BridgeDecision.Drop,
          -1,
          this.dev.id,
          `ingress port ${this.dev.name} is ${PORT_STATE_NAMES[state]}`,
        );
      w.drop(h, Drop.BridgeNoPort, this.dev.id);
      return RxResult.Consumed;
    }
    // nf_hook_bridge_pre → NF_BR_PRE_ROUTING: br_nf_pre_routing for untagged IPv4.
    if (u8[off + 12] === ETH_P_IP >>> 8 && u8[off + 13] === (ETH_P_IP & 0xff) && br.brnfOn()) {
      br.brnfPreRouting(this, h);
      return RxResult.Consumed;
    }
    this.finishFrame(h);
    return RxResult.Consumed;
  }

  /** br_handle_frame_finish: learning, then local delivery, forwarding or flooding. Consumes `h`. */
  finishFrame(h: number): void {
    const br = this.br;
    const w = br.world;
    const pool = w.pool;
    const u8 = pool.bytesOf(h);
    const off = pool.start[h]!;
    const now = w.sim.now;
    const state = this.state;
    if (state === PortState.Disabled) {
      w.drop(h, Drop.BridgeNoPort, this.dev.id);
      return;
    }
    const srcHi = macReadHi(u8, off + 6);
    const srcLo = macReadLo(u8, off + 6);
    const dstHi = macReadHi(u8, off);
    const dstLo = macReadLo(u8, off);
    // "insert into forwarding database after filtering to avoid spoofing".
    // int32 low word, no time argument: nothing is boxed (fdb.ts).
    if (this.flags & PortFlag.Learning) br.learned(br.fdb.learnNow(srcHi, srcLo | 0, 0, this.portNo));
    const promisc = br.promisc;
    let localRcv = promisc;
    let pktType = PKT_UNICAST;
    if (dstHi & 0x0100) {
      pktType = dstHi === 0xffff && dstLo === 0xffffffff ? PKT_BROADCAST : PKT_MULTICAST;
      // Broadcast always, multicast because no snooping querier exists: a copy goes up.
      localRcv = true;
    }
    if (state === PortState.Learning) {
      w.drop(h, Drop.BridgeNoPort, this.dev.id);
      return;
    }
    if (pktType === PKT_UNICAST) {
      const fdb = br.fdb;
      const slot = fdb.lookupNow(dstHi, dstLo | 0, 0);
      if (slot >= 0) {
        if (fdb.flags[slot]! & FdbFlag.Local) {
          br.passUp(h);
          return;
        }
        fdb.used[slot] = now;
        br.forward(br.portByNo[fdb.port[slot]!] ?? null, h, localRcv, this);
        if (localRcv) br.passUp(h);
        return;
      }
    }
    br.flood(h, pktType, localRcv, this);
    if (localRcv) br.passUp(h);
  }
}

/** Per-world event kind of the FDB garbage collector (target = bridge device id). */
const gcKinds = new WeakMap<World, number>();

function gcKind(world: World): number {
  let k = gcKinds.get(world);
  if (k === undefined) {
    k = world.sim.registerKind('bridge-fdb-gc', (devId: number, _arg: number, now: number) => {
      const d = world.devices[devId];
      if (d instanceof BridgeDevice) d.runGc(now);
    });
    gcKinds.set(world, k);
  }
  return k;
}

/** Netdevice notifier subscription, once per world (br_device_event). */
const notified = new WeakSet<World>();

function subscribe(world: World): void {
  if (notified.has(world)) return;
  notified.add(world);
  world.onNetdev((event, dev) => {
    if (event !== 'up' && event !== 'change-carrier') return;
    if (dev instanceof BridgeDevice) {
      // br_dev_open → br_stp_enable_bridge: every running port with carrier starts afresh.
      if (event === 'up') for (const p of dev.ports) p.userState = PortState.Forwarding;
      return;
    }
    const h = dev.rxHandler;
    // br_stp_enable_port via NETDEV_UP / NETDEV_CHANGE with carrier.
    if (h instanceof BridgePort && dev.operUp) h.userState = PortState.Forwarding;
  });
}

export interface BridgeOptions {
  ageingCs: number;
  forwardDelayCs: number;
  helloTimeCs: number;
  maxAgeCs: number;
  priority: number;
  stpState: number;
  vlanFiltering: number;
  mcastSnooping: number;
  groupFwdMask: number;
  noLinklocalLearn: number;
  nfCallIptables: number;
  nfCallIp6tables: number;
  nfCallArptables: number;
}

export const DEFAULT_BRIDGE_OPTIONS: Readonly<BridgeOptions> = Object.freeze({
  ageingCs: 30000,
  forwardDelayCs: 1500,
  helloTimeCs: 200,
  maxAgeCs: 2000,
  priority: 32768,
  stpState: 0,
  vlanFiltering: 0,
  mcastSnooping: 1,
  groupFwdMask: 0,
  noLinklocalLearn: 0,
  nfCallIptables: 0,
  nfCallIp6tables: 0,
  nfCallArptables: 0,
});

export class BridgeDevice extends Device {
  readonly kind = DevKind.Bridge;
  readonly fdb: Fdb;
  /** Ports in the kernel's port_list order: the newest first (list_add_rcu at the head). */
  readonly ports: BridgePort[] = [];
  /** port_no → port; index 0 is the bridge itself (null). */
  readonly portByNo: (BridgePort | null)[] = [null];
  /** No port number below this one is free (find_portno starts here, so adding N ports is O(N)). */
  private freePortHint = 1;
  readonly opts: BridgeOptions;
  groupFwdMask = 0;
  noLinklocalLearn = 0;
  /** NET_ADDR_SET: the user chose the address, so ports no longer decide it. */
  addrSet = false;
  /** bridge_id's address (00:00:00:00:00:00 until it is first computed). */
  idHi = 0;
  idLo = 0;
  /** Whether a port was ever added (the carrier follows the ports from then on). */
  everHadPort = false;
  private gcId = -1;
  /** br_netfilter's per-namespace switches (a bridge never changes namespace: NETIF_F_NETNS_LOCAL). */
  readonly brnf: BrnfNet;
  /** Source MAC of a bridged-DNAT frame waiting for ARP, by frame handle (nf_bridge->neigh_header). */
  private dnatSrcHi = new Int32Array(0);
  private dnatSrcLo = new Uint32Array(0);
  private gcAt = Number.POSITIVE_INFINITY;
  private readonly gcKind: number;

  constructor(world: World, ns: Namespace, name: string, opts: Partial<BridgeOptions> = {}) {
    super(world, ns, name);
    this.opts = { ...DEFAULT_BRIDGE_OPTIONS, ...opts };
    this.fdb = new Fdb(64, this.opts.ageingCs * CS_NS, world.sim);
    this.groupFwdMask = this.opts.groupFwdMask;
    this.noLinklocalLearn = this.opts.noLinklocalLearn;
    this.gcKind = gcKind(world);
    this.brnf = brnfOf(ns);
    subscribe(world);
  }

  /** br_port_state_selection with NO_STP: carrier iff a port forwards (on before the first port). */
  override get carrier(): boolean {
    if (!this.everHadPort) return true;
    for (const p of this.ports) if (p.state === PortState.Forwarding) return true;
    return false;
  }

  override get operState(): string {
    if (!this.adminUp) return 'DOWN';
    if (!this.everHadPort) return 'UNKNOWN';
    return this.carrier ? 'UP' : 'DOWN';
  }

  /** dev_queue_xmit on a noqueue device: only IFF_UP matters, then br_dev_xmit. */
  override xmit(h: number): void {
    const w = this.world;
    if (!this.adminUp) {
      w.counters.txDropped[this.id]!++;
      w.drop(h, Drop.DevDown, this.id);
      return;
    }
    // br_dev_xmit → br_nf_dev_xmit: a bridged-DNAT frame the neighbour layer resolved goes back to
    // bridging (before the device's tx statistics, as in the kernel).
    const nb = w.pool.nfBridge[h]!;
    if (nb >= 0 && (nb & NfBridge.BridgedDnat) !== 0) {
      this.brnfResumeDnat(h, nb);
      return;
    }
    w.counters.txPackets[this.id]!++;
    w.counters.txBytes[this.id]! += w.pool.len[h]!;
    if (this.tap !== null) this.tap.frame(this.id, 1, h);
    const t = w.pool.traceId[h]!;
    if (t >= 0) traceDev(w, t, h, this.id, 1);
    this.transmit(h);
  }

  /** br_dev_xmit: the host stack sends through the bridge; no learning on this path. */
  protected transmit(h: number): void {
    const w = this.world;
    const pool = w.pool;
    if (pool.len[h]! < ETH_HLEN) {
      w.drop(h, Drop.L2Malformed, this.id);
      return;
    }
    const u8 = pool.bytesOf(h);
    const off = pool.start[h]!;
    const dstHi = macReadHi(u8, off);
    const dstLo = macReadLo(u8, off);
    if (dstHi & 0x0100) {
      this.flood(h, dstHi === 0xffff && dstLo === 0xffffffff ? PKT_BROADCAST : PKT_MULTICAST, false, null);
      return;
    }
    const slot = this.fdb.lookupNow(dstHi, dstLo | 0, 0);
    if (slot >= 0) this.forward(this.portByNo[this.fdb.port[slot]!] ?? null, h, false, null);
    else this.flood(h, PKT_UNICAST, false, null);
  }

  /** br_pass_frame_up: the frame is received by the bridge device itself. */
  passUp(h: number): void {
    const w = this.world;
    const pool = w.pool;
    // dev_sw_netstats_rx_add(brdev, skb->len) after eth_type_trans pulled the Ethernet header.
    w.counters.rxPackets[this.id]!++;
    w.counters.rxBytes[this.id]! += pool.len[h]! - ETH_HLEN;
    pool.ingressIf[h] = this.id;
    if (this.tap !== null) this.tap.frame(this.id, 0, h);
    const t = pool.traceId[h]!;
    if (t >= 0)
      traceBridge(
        w,
        t,
        h,
        this.id,
        BridgeDecision.Local,
        -1,
        -1,
        'to the bridge device itself (local FDB entry, broadcast or promiscuous)',
      );
    this.ns.receiveL2(this, h);
  }

  /** should_deliver: hairpin or another port, FORWARDING, and not isolated-to-isolated. */
  private shouldDeliver(p: BridgePort, ingress: BridgePort | null): boolean {
    return (
      ((p.flags & PortFlag.Hairpin) !== 0 || p !== ingress) &&
      p.state === PortState.Forwarding &&
      !(ingress !== null && (ingress.flags & PortFlag.Isolated) !== 0 && (p.flags & PortFlag.Isolated) !== 0)
    );
  }

  /** br_forward: to one port; with `localRcv` a clone goes and the caller keeps `h`. */
  forward(to: BridgePort | null, h: number, localRcv: boolean, ingress: BridgePort | null): void {
    const t = this.world.pool.traceId[h]!;
    if (to !== null && this.shouldDeliver(to, ingress)) {
      if (t >= 0)
        this.explain(t, h, BridgeDecision.Forward, to, ingress, 'FDB entry for the destination MAC');
      this.deliver(to, localRcv ? this.world.cloneFrame(h) : h, ingress);
      return;
    }
    if (t >= 0 && !localRcv) this.explain(t, h, BridgeDecision.Drop, to, ingress, this.whyNot(to, ingress));
    if (!localRcv) this.world.drop(h, Drop.BridgeNoPort, this.id);
  }

  /** Traced frames only: the decision row (allocates its note). */
  private explain(
    t: number,
    h: number,
    decision: number,
    to: BridgePort | null,
    ingress: BridgePort | null,
    why: string,
  ): void {
    const dest = to === null ? '' : ` to port ${to.dev.name}`;
    traceBridge(
      this.world,
      t,
      h,
      this.id,
      decision,
      to?.dev.id ?? -1,
      ingress?.dev.id ?? -1,
      `${why}${dest}`,
    );
  }

  /** Why should_deliver refused port `p` (traced frames only). */
  private whyNot(p: BridgePort | null, ingress: BridgePort | null): string {
    if (p === null) return 'FDB entry points to a port that is gone';
    if (p === ingress && (p.flags & PortFlag.Hairpin) === 0)
      return 'egress port is the ingress port and hairpin mode is off';
    if (p.state !== PortState.Forwarding)
      return `egress port is ${PORT_STATE_NAMES[p.state]}, not forwarding`;
    return 'both ports are isolated';
  }

  /** br_flood: every eligible port; the last one gets `h` itself unless the caller keeps it. */
  flood(h: number, pktType: number, localRcv: boolean, ingress: BridgePort | null): void {
    const ports = this.ports;
    const w = this.world;
    let prev: BridgePort | null = null;
    for (let i = 0; i < ports.length; i++) {
      const p = ports[i]!;
      const f = p.flags;
      if (pktType === PKT_UNICAST) {
        if ((f & PortFlag.Flood) === 0) continue;
      } else if (pktType === PKT_MULTICAST) {
        if ((f & PortFlag.McastFlood) === 0 && ingress !== null) continue;
      } else if ((f & PortFlag.BcastFlood) === 0 && ingress !== null) continue;
      if (!this.shouldDeliver(p, ingress)) continue;
      if (prev !== null) {
        const c = w.cloneFrame(h);
        const t = w.pool.traceId[c]!;
        if (t >= 0) this.explain(t, c, BridgeDecision.Flood, prev, ingress, 'flood copy');
        this.deliver(prev, c, ingress);
      }
      prev = p;
    }
    const t = w.pool.traceId[h]!;
    if (prev === null) {
      if (t >= 0 && !localRcv)
        this.explain(t, h, BridgeDecision.Drop, null, ingress, 'flood: no eligible port');
      if (!localRcv) w.drop(h, Drop.BridgeNoPort, this.id);
      return;
    }
    if (t >= 0)
      this.explain(
        t,
        h,
        BridgeDecision.Flood,
        prev,
        ingress,
        pktType === PKT_UNICAST
          ? 'flood (destination MAC not in the FDB); last copy'
          : 'flood (broadcast/multicast); last copy',
      );
    this.deliver(prev, localRcv ? w.cloneFrame(h) : h, ingress);
  }

  /**
   * __br_forward → (NF_BR_FORWARD, NF_BR_POST_ROUTING) → br_dev_queue_push_xmit: br_netfilter's
   * hooks for a forwarded frame that crossed br_nf_pre_routing, the MTU check (is_skb_forwardable),
   * then dev_queue_xmit. Frames the host sends (br_dev_xmit, `ingress` null) take NF_BR_LOCAL_OUT,
   * where br_netfilter has nothing.
   */
  private deliver(p: BridgePort, h: number, ingress: BridgePort | null): void {
    const w = this.world;
    const dev = p.dev;
    if (ingress !== null && w.pool.nfBridge[h]! >= 0 && !this.brnfForward(p, h)) return;
    if (w.pool.len[h]! > dev.mtu + ETH_HLEN + VLAN_HLEN) {
      w.drop(h, Drop.MtuExceeded, dev.id);
      return;
    }
    dev.xmit(h);
  }

  // ---- br_netfilter (net/bridge/br_netfilter_hooks.c) ----

  /**
   * Whether br_nf_pre_routing hands this bridge's IPv4 to iptables: the module is loaded and
   * bridge-nf-call-iptables or the bridge's own nf_call_iptables is set.
   */
  brnfOn(): boolean {
    const b = this.brnf;
    return b.callIptables !== 0 || (b.loaded !== 0 && this.opts.nfCallIptables !== 0);
  }

  /**
   * br_nf_pre_routing → NF_INET_PRE_ROUTING (in = the bridge, physdev in = the port) →
   * br_nf_pre_routing_finish. `h` starts at the Ethernet header; consumed.
   */
  brnfPreRouting(p: BridgePort, h: number): void {
    const w = this.world;
    const pool = w.pool;
    const u8 = pool.bytesOf(h);
    const off = pool.start[h]!;
    const l3 = off + ETH_HLEN;
    // br_validate_ipv4, then pskb_trim_rcsum to the IPv4 total length.
    if (checkIpv4Rcv(u8, l3, off + pool.len[h]!) !== 0) {
      w.drop(h, Drop.IpHeaderBad, p.dev.id);
      return;
    }
    pool.setLength(h, ETH_HLEN + rd16(u8, l3 + 2));
    // nf_bridge_alloc + setup_pre_routing: physindev; ipv4_daddr remembered to detect DNAT.
    pool.nfBridge[h] = p.dev.id;
    const daddr = rd32(u8, l3 + 16);
    const nf = this.ns.nf;
    if (nf !== null && nf.active[Hook.PreRouting] !== 0) {
      const v = nf.runBridged(Hook.PreRouting, h, l3, this.id, -1, p.dev.id, -1, 0);
      if (v !== Verdict.Accept) {
        if (v === Verdict.Drop) w.drop(h, nf.dropReason, p.dev.id);
        return;
      }
      // br_nf_ipv4_daddr_was_changed
      if (rd32(u8, l3 + 16) !== daddr) {
        this.brnfDnat(p, h, l3);
        return;
      }
    }
    p.finishFrame(h);
  }

  /**
   * br_nf_pre_routing_finish after DNAT: ip_route_input with the bridge as the input device. A
   * unicast route out of this same bridge keeps the frame bridged towards the next hop's MAC
   * (br_nf_pre_routing_finish_bridge: from the neighbour entry when NUD_CONNECTED, else through the
   * neighbour layer, resumed in br_dev_xmit); anything else (a local address, another device, no
   * route) gets the bridge's own MAC and goes up the stack, where ip_rcv skips PREROUTING and routes.
   */
  private brnfDnat(p: BridgePort, h: number, l3: number): void {
    const w = this.world;
    const pool = w.pool;
    const stack = this.ns.ipv4 as Ipv4Stack;
    const u8 = pool.bytesOf(h);
    const off = pool.start[h]!;
    const dst = rd32(u8, l3 + 16);
    const fib = stack.fib;
    const r = fib.lookup(dst);
    // RTN_UNICAST through this bridge, with forwarding on the bridge (ip_route_input_slow).
    if (r >= 0 && fib.type[r] === RTN_UNICAST && fib.devId[r] === this.id && stack.forwardingOn(this.id)) {
      const gw = fib.gw[r]!;
      const nh = gw !== 0 ? gw : dst;
      const neigh = stack.neigh;
      let n = neigh.lookup(this.id, nh);
      if (n >= 0 && (neigh.state[n]! & NUD_CONNECTED) !== 0) {
        // neigh_hh_bridge: only the destination MAC is rewritten.
        macWrite(u8, off, neigh.macHi[n]!, neigh.macLo[n]!);
        neigh.used[n] = w.sim.now;
        p.finishFrame(h);
        return;
      }
      // neigh->output: the frame leaves through the bridge device once resolved, with the source
      // MAC saved (nf_bridge->neigh_header) and `bridged_dnat` set.
      if (h >= this.dnatSrcHi.length) this.growDnat(h + 1);
      this.dnatSrcHi[h] = macReadHi(u8, off + 6);
      this.dnatSrcLo[h] = macReadLo(u8, off + 6);
      if (n < 0) n = neigh.create(this, nh);
      pool.trimFront(h, ETH_HLEN);
      pool.nfBridge[h] = pool.nfBridge[h]! | NfBridge.BridgedDnat;
      if (neigh.eventSend(n, h)) {
        // Usable now (STALE → DELAY, PROBE): neigh_resolve_output transmits at once.
        pool.prepend(h, ETH_HLEN);
        macWrite(u8, off, neigh.macHi[n]!, neigh.macLo[n]!);
        pool.nfBridge[h] = pool.nfBridge[h]! & ~NfBridge.BridgedDnat;
        p.finishFrame(h);
      }
      return;
    }
    // Routed or local: "change the destination MAC so that the packet will later be passed up".
    macWrite(u8, off, this.macHi, this.macLo);
    p.finishFrame(h);
  }

  /** br_nf_pre_routing_finish_bridge_slow: restore the saved source MAC, bridge from physindev. */
  private brnfResumeDnat(h: number, nb: number): void {
    const w = this.world;
    const pool = w.pool;
    pool.nfBridge[h] = nb & ~NfBridge.BridgedDnat;
    const port = this.portOf(w.devices[nb & NfBridge.DevMask]!);
    if (port === null) {
      w.drop(h, Drop.BridgeNoPort, this.id);
      return;
    }
    macWrite(pool.bytesOf(h), pool.start[h]! + 6, this.dnatSrcHi[h]!, this.dnatSrcLo[h]!);
    port.finishFrame(h);
  }

  private growDnat(n: number): void {
    let cap = Math.max(64, this.dnatSrcHi.length);
    while (cap < n) cap *= 2;
    const hi = new Int32Array(cap);
    hi.set(this.dnatSrcHi);
    const lo = new Uint32Array(cap);
    lo.set(this.dnatSrcLo);
    this.dnatSrcHi = hi;
    this.dnatSrcLo = lo;
  }

  /**
   * br_nf_forward_ip (NF_INET_FORWARD, in = out = the bridge, physdev in/out = the ports) then
   * br_nf_post_routing (NF_INET_POST_ROUTING, out = the bridge) for one output port. False when a
   * verdict took the frame.
   */
  private brnfForward(p: BridgePort, h: number): boolean {
    const nf = this.ns.nf;
    if (nf === null) return true;
    const w = this.world;
    const pool = w.pool;
    const l3 = pool.start[h]! + ETH_HLEN;
    const physIn = pool.nfBridge[h]! & NfBridge.DevMask;
    const out = p.dev.id;
    if (nf.active[Hook.Forward] !== 0) {
      const v = nf.runBridged(Hook.Forward, h, l3, this.id, this.id, physIn, out, 1);
      if (v !== Verdict.Accept) {
        if (v === Verdict.Drop) w.drop(h, nf.dropReason, out);
        return false;
      }
    }
    if (nf.active[Hook.PostRouting] !== 0) {
      const v = nf.runBridged(Hook.PostRouting, h, l3, -1, this.id, physIn, out, 1);
      if (v !== Verdict.Accept) {
        if (v === Verdict.Drop) w.drop(h, nf.dropReason, out);
        return false;
      }
    }
    return true;
  }

  /** After fdb.learn: keep the cleanup event armed once a dynamic entry exists. */
  learned(r: Learn, now: number = this.world.sim.now): void {
    if (r === Learn.Created && this.gcAt === Number.POSITIVE_INFINITY) this.armGc(now + this.fdb.ageingNs);
  }

  /** (Re)arms the single cleanup event at `t` (no earlier than 10 ms from now). */
  armGc(t: number): void {
    const now = this.world.sim.now;
    const at = Math.ceil(Math.max(t, now + GC_MIN_INTERVAL_NS));
    if (this.gcId >= 0) this.world.sim.cancel(this.gcId);
    this.gcAt = at;
    this.gcId = this.world.sim.at(at, this.gcKind, this.id, 0);
  }

  /** br_fdb_cleanup: delete aged entries, re-arm at the earliest remaining expiry. */
  runGc(now: number): void {
    this.gcId = -1;
    this.gcAt = Number.POSITIVE_INFINITY;
    this.fdb.cleanup(now);
    const next = this.fdb.nextExpiry();
    if (next !== Number.POSITIVE_INFINITY) this.armGc(next);
  }

  /** Sim time of the pending cleanup, or Infinity (`gc_timer` in `ip -d link`). */
  get gcPendingAt(): number {
    return this.gcAt;
  }

  /** br_set_ageing_time: new hold time; the collector runs at once (mod_delayed_work(…, 0)). */
  setAgeing(cs: number): void {
    this.opts.ageingCs = cs;
    this.fdb.ageingNs = cs * CS_NS;
    if (this.fdb.count > 0) this.armGc(this.world.sim.now);
  }

  // ---- configuration side (br_if.c, br_stp_if.c, br_fdb.c local entries) ----

  /** The port on device `dev`, or null. */
  portOf(dev: Device): BridgePort | null {
    const h = dev.rxHandler;
    return h instanceof BridgePort && h.br === this ? h : null;
  }

  /** br_add_if. Returns null or the kernel's error text. */
  addPort(dev: Device): string | null {
    if (dev === this) return 'Invalid argument';
    if (dev.kind === DevKind.Loopback) return 'Invalid argument';
    if (dev.kind === DevKind.Bridge) return 'Too many levels of symbolic links';
    if (dev.master !== null || dev.rxHandler !== null) return 'Device or resource busy';
    // find_portno: the lowest free port number.
    let no = this.freePortHint;
    while (no < this.portByNo.length && this.portByNo[no] !== null) no++;
    this.freePortHint = no;
    if (no >= BR_MAX_PORTS) return 'Numerical result out of range';
    const p = new BridgePort(this, dev, no);
    while (this.portByNo.length <= no) this.portByNo.push(null);
    this.portByNo[no] = p;
    this.ports.unshift(p);
    dev.master = this;
    dev.rxHandler = p;
    this.everHadPort = true;
    this.addLocal(no, dev.macHi, dev.macLo);
    this.recalcAddressWith(p);
    this.mtuAutoAdjust();
    return null;
  }

  /** br_del_if / del_nbp: the port's FDB entries go, static ones included. */
  removePort(dev: Device): void {
    const p = this.portOf(dev);
    if (p === null) return;
    this.fdb.deleteByPort(p.portNo, true);
    this.portByNo[p.portNo] = null;
    if (p.portNo < this.freePortHint) this.freePortHint = p.portNo;
    this.ports.splice(this.ports.indexOf(p), 1);
    dev.master = null;
    dev.rxHandler = null;
    // fdb_delete_local: another port (or the bridge) with the same address keeps the local entry.
    for (const q of this.ports) this.addLocal(q.portNo, q.macHi, q.macLo);
    this.recalcAddress();
    this.mtuAutoAdjust();
  }

  /** Deletion of the bridge (br_dev_delete): every port is released. */
  removeAllPorts(): void {
    for (const p of [...this.ports]) this.removePort(p.dev);
    if (this.gcId >= 0) this.world.sim.cancel(this.gcId);
    this.gcId = -1;
    this.gcAt = Number.POSITIVE_INFINITY;
  }

  /** fdb_add_local: a local permanent entry, unless a local one exists already. */
  private addLocal(portNo: number, hi: number, lo: number): void {
    const fdb = this.fdb;
    const i = fdb.find(hi, lo, 0);
    if (i >= 0) {
      if (fdb.flags[i]! & FdbFlag.Local) return;
      // "adding interface … with same address as a received packet": the learned entry goes.
      fdb.deleteSlot(i);
    }
    fdb.insert(hi, lo, 0, portNo, FdbFlag.Local | FdbFlag.Static, this.world.sim.now);
  }

  /** Local entry of a port or the bridge at (hi, lo) being dropped (fdb_delete_local). */
  private deleteLocal(portNo: number, hi: number, lo: number): void {
    const fdb = this.fdb;
    const i = fdb.find(hi, lo, 0);
    if (i < 0 || (fdb.flags[i]! & FdbFlag.Local) === 0 || fdb.port[i] !== portNo) return;
    for (const q of this.ports) {
      if (q.portNo !== portNo && q.macHi === hi && q.macLo === lo) {
        fdb.port[i] = q.portNo;
        return;
      }
    }
    if (portNo !== FDB_PORT_BRIDGE && this.macHi === hi && this.macLo === lo) {
      fdb.port[i] = FDB_PORT_BRIDGE;
      return;
    }
    fdb.deleteSlot(i);
  }

  /** br_stp_recalculate_bridge_id: the lowest port address, unless the user chose one. */
  recalcAddress(): void {
    if (this.addrSet) return;
    let hi = 0;
    let lo = 0;
    let first = true;
    for (const p of this.ports) {
      if (first || p.macHi < hi || (p.macHi === hi && p.macLo < lo)) {
        hi = p.macHi;
        lo = p.macLo;
        first = false;
      }
    }
    if (hi === this.idHi && lo === this.idLo && hi === this.macHi && lo === this.macLo) return;
    this.changeAddress(hi, lo);
  }

  /**
   * `recalcAddress` after port `p` joined. The id is the lowest port address, and after every change
   * of the port set or of a port's address it was recomputed over all ports; so while it still
   * stands (the bridge address is the id), the new lowest is the old one or `p`'s — no scan of the
   * other ports.
   */
  private recalcAddressWith(p: BridgePort): void {
    if (this.addrSet) return;
    const hi = this.idHi;
    const lo = this.idLo;
    if (this.ports.length === 1 || hi !== this.macHi || lo !== this.macLo) {
      this.recalcAddress();
      return;
    }
    if (p.macHi < hi || (p.macHi === hi && p.macLo < lo)) this.changeAddress(p.macHi, p.macLo);
  }

  /** br_stp_change_bridge_id + br_fdb_change_mac_address. */
  changeAddress(hi: number, lo: number): void {
    const fdb = this.fdb;
    const old = fdb.find(this.macHi, this.macLo, 0);
    if (
      old >= 0 &&
      (fdb.flags[old]! & FdbFlag.Local) !== 0 &&
      fdb.port[old] === FDB_PORT_BRIDGE &&
      (fdb.flags[old]! & FdbFlag.User) === 0
    ) {
      fdb.deleteSlot(old);
    }
    this.macHi = hi;
    this.macLo = lo;
    this.idHi = hi;
    this.idLo = lo;
    if (hi !== 0 || lo !== 0) this.addLocal(FDB_PORT_BRIDGE, hi, lo);
  }

  /** `ip link set br0 address …`: the address becomes fixed (NET_ADDR_SET). */
  setUserAddress(hi: number, lo: number): void {
    this.addrSet = true;
    this.changeAddress(hi, lo);
  }

  /** NETDEV_CHANGEADDR on a port: br_fdb_changeaddr, then the bridge id. */
  portAddressChanged(dev: Device): void {
    const p = this.portOf(dev);
    if (p === null) return;
    this.deleteLocal(p.portNo, p.macHi, p.macLo);
    p.macHi = dev.macHi;
    p.macLo = dev.macLo;
    this.addLocal(p.portNo, p.macHi, p.macLo);
    this.recalcAddress();
  }

  /** br_mtu_auto_adjust: the smallest port MTU (1500 without ports). */
  private mtuAutoAdjust(): void {
    let m = 0;
    for (const p of this.ports) if (m === 0 || p.dev.mtu < m) m = p.dev.mtu;
    this.mtu = m === 0 ? 1500 : m;
  }

  override onDelete(): void {
    this.removeAllPorts();
  }
}
