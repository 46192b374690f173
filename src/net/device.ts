// The network device: what `ip link` lists, and the two entry points every device type shares.
//
//   xmit(h)     — the stack hands a complete L2 frame to the device (dev_queue_xmit);
//   receive(h)  — a frame arrives from the wire or the peer (netif_receive_skb).
//
// Receive follows `__netif_receive_skb_core`: taps (packet capture) see the frame first, then the
// device's rx handler (bridge port, macvlan, ipvlan) may consume it, and only then does the namespace
// dispatch it by EtherType to ARP or IPv4. A frame handle `h` is owned by whoever holds it; every path
// ends in exactly one of: handed on (xmit/deliver), consumed (World.consume) or dropped (World.drop).

import { traceDev } from '../trace/points.js';
import { Drop } from './drop-reason.js';
import type { Namespace } from './namespace.js';
import type { World } from './world.js';

export const DevKind = {
  Loopback: 0,
  Veth: 1,
  Bridge: 2,
  Dummy: 3,
  /** A NIC joined to another host's NIC by a scenario link (a physical cable). */
  Ether: 4,
  Vxlan: 5,
  Macvlan: 6,
  Ipvlan: 7,
  Vlan: 8,
  /** IPv4-in-IPv4 tunnel (ARPHRD_TUNNEL: no link-layer header). */
  Ipip: 9,
} as const;
export type DevKind = (typeof DevKind)[keyof typeof DevKind];

/** The `type` word `ip link add … type X` uses for each kind (empty for physical NICs). */
export const DEV_KIND_NAMES: readonly string[] = [
  'loopback',
  'veth',
  'bridge',
  'dummy',
  '',
  'vxlan',
  'macvlan',
  'ipvlan',
  'vlan',
  'ipip',
];

/** What an rx handler did with a frame (cf. `rx_handler_result_t`). */
export const RxResult = { Consumed: 0, Pass: 1 } as const;
export type RxResult = (typeof RxResult)[keyof typeof RxResult];

/** A device's rx handler: installed by a master (bridge) or by stacked devices (macvlan, ipvlan). */
export interface RxHandler {
  handleFrame(dev: Device, h: number): RxResult;
}

/**
 * The VLAN devices stacked on a real device (`dev->vlan_info`): consulted for tagged frames before the
 * rx handler, as `__netif_receive_skb_core` calls `vlan_do_receive` first. Returns true when it took
 * the frame (src/net/devices/vlan.ts).
 */
export interface VlanRx {
  receive(dev: Device, h: number): boolean;
}

/** Observes frames crossing a device (packet capture). `dir` 0 = received, 1 = transmitted. */
export interface FrameTap {
  frame(devId: number, dir: 0 | 1, h: number): void;
}

export abstract class Device {
  /** World-wide device id: index into World.devices and every per-device typed array. */
  readonly id: number;
  /** Per-namespace interface index, as `ip link` prints it. */
  ifindex: number;
  ns: Namespace;
  name: string;
  abstract readonly kind: DevKind;
  macHi = 0;
  macLo = 0;
  mtu = 1500;
  /** IFF_UP: set by `ip link set X up`. */
  adminUp = false;
  /** Whether the device was ever up: the qdisc `ip link` shows is noop until the first up. */
  everUp = false;
  /** The enslaving device (a bridge), or null. */
  master: Device | null = null;
  rxHandler: RxHandler | null = null;
  /** 802.1Q/802.1ad sub-interfaces on this device (`vlan_info`), or null: one comparison per frame. */
  vlans: VlanRx | null = null;
  /** Packet capture tap; null costs one comparison per frame. */
  tap: FrameTap | null = null;
  /** IFF_NOARP: neighbours are NUD_NOARP with the device's own address; received ARP is ignored (ipvlan l3). */
  noArp = false;
  /** IFF_PROMISC requested by the user (bridges set it on their ports implicitly). */
  promisc = false;
  txqueuelen = 1000;
  /** `ip link set X alias TEXT`. */
  alias = '';

  constructor(
    readonly world: World,
    ns: Namespace,
    name: string,
  ) {
    this.id = world.registerDevice(this);
    this.ns = ns;
    this.name = name;
    this.ifindex = ns.allocIfindex();
  }

  /** IFF_LOWER_UP: carrier. Devices with a peer (veth) override this. */
  get carrier(): boolean {
    return true;
  }

  /** IFF_RUNNING as the stack sees it: administratively up and with carrier. */
  get operUp(): boolean {
    return this.adminUp && this.carrier;
  }

  /** `state` in `ip link show`: UP, DOWN, LOWERLAYERDOWN, UNKNOWN. */
  get operState(): string {
    if (!this.adminUp) return 'DOWN';
    return this.carrier ? 'UP' : 'LOWERLAYERDOWN';
  }

  /** dev_queue_xmit: `h` starts at the Ethernet header. */
  xmit(h: number): void {
    const w = this.world;
    if (!this.adminUp || !this.carrier) {
      // A device without carrier has the noop qdisc attached: the frame is dropped at enqueue.
      w.counters.txDropped[this.id]!++;
      w.drop(h, Drop.DevDown, this.id);
      return;
    }
    w.counters.txPackets[this.id]!++;
    w.counters.txBytes[this.id]! += w.pool.len[h]!;
    if (this.tap !== null) this.tap.frame(this.id, 1, h);
    const t = w.pool.traceId[h]!;
    if (t >= 0) traceDev(w, t, h, this.id, 1);
    this.transmit(h);
  }

  /** Puts a frame that already passed xmit's bookkeeping onto the device's medium. */
  protected abstract transmit(h: number): void;

  /** netif_receive_skb: a frame arrives on this device. */
  receive(h: number): void {
    const w = this.world;
    if (!this.adminUp) {
      w.counters.rxDropped[this.id]!++;
      w.drop(h, Drop.DevDown, this.id);
      return;
    }
    w.counters.rxPackets[this.id]!++;
    w.counters.rxBytes[this.id]! += w.pool.len[h]!;
    w.pool.ingressIf[h] = this.id;
    if (this.tap !== null) this.tap.frame(this.id, 0, h);
    const t = w.pool.traceId[h]!;
    if (t >= 0) traceDev(w, t, h, this.id, 0);
    // vlan_do_receive runs before the rx handler (a bridge port's or macvlan parent's tagged frames for
    // one of its vlan devices go to that device).
    if (this.vlans !== null && this.vlans.receive(this, h)) return;
    if (this.rxHandler !== null && this.rxHandler.handleFrame(this, h) === RxResult.Consumed) return;
    this.ns.receiveL2(this, h);
  }

  /** Called when the device is deleted; subclasses release peers/ports. */
  onDelete(): void {}
}
