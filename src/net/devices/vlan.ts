// 802.1Q VLAN sub-interfaces (net/8021q): `ip link add link eth0 name eth0.50 type vlan id 50`.
//
// Heads up: read net/8021q/vlan_core.c (`vlan_do_receive`), vlan_dev.c (`vlan_dev_hard_start_xmit`,
// `vlan_dev_open`, `vlan_dev_change_mtu`), vlan.c (`vlan_device_event`, `register_vlan_dev`,
// `vlan_check_real_dev`) and vlan_netlink.c before changing behaviour. This kernel has no 8021q module
// (CONFIG_VLAN_8021Q is not set on the recording host), so the behaviour here comes from the source.
//
// Receive: `__netif_receive_skb_core` untags an 802.1Q/802.1ad frame and, *before* the device's rx
// handler (bridge port, macvlan/ipvlan port), hands it to the vlan device of (TPID, VID) on that real
// device (`vlan_do_receive`, then `another_round` with skb->dev = the vlan device). The tag is popped
// here (bytes moved, no copy). A VID without a vlan device goes on to the rx handler still tagged (a
// bridge forwards it as it is); without one the stack marks it PACKET_OTHERHOST and IP/ARP drop it
// (namespace.receiveL2: Drop.OtherHost). A vlan device that is down drops the frame.
// Transmit (`vlan_dev_hard_start_xmit`): the tag is pushed into the headroom (the 12 MAC bytes move
// 4 bytes forward; REORDER_HDR or not, the wire carries the tag) and the frame goes to the real
// device's dev_queue_xmit.
// Lifecycle (`vlan_device_event`): the real device going down closes its vlan devices and going up
// opens them (unless `loose_binding on`); a vlan device cannot be opened while its real device is
// down (`vlan_dev_open`: ENETDOWN); a real device's MTU change lowers bigger vlan MTUs; deleting the
// real device deletes its vlan devices (link.ts deleteDevice). Carrier follows the real device
// (`netif_stacked_transfer_operstate`), so an up vlan on a carrier-less parent is LOWERLAYERDOWN.
//
// Not modelled: GVRP/MVRP, ingress/egress QoS maps (PCP is sent as 0), REORDER_HDR off keeping the
// tag in what the vlan device's own capture shows, hardware tag offload, vlan_filtering bridges.

import { Device, DevKind, type VlanRx } from '../device.js';
import { Drop } from '../drop-reason.js';
import type { Namespace } from '../namespace.js';
import type { World } from '../world.js';

export const ETH_P_8021Q = 0x8100;
export const ETH_P_8021AD = 0x88a8;

/** VLAN_FLAG_* (include/uapi/linux/if_vlan.h), in the order iproute2 prints them. */
export const VlanFlag = { ReorderHdr: 1, Gvrp: 2, LooseBinding: 4, Mvrp: 8, BridgeBinding: 16 } as const;

export const VLAN_FLAG_NAMES: readonly (readonly [number, string])[] = [
  [VlanFlag.ReorderHdr, 'REORDER_HDR'],
  [VlanFlag.Gvrp, 'GVRP'],
  [VlanFlag.Mvrp, 'MVRP'],
  [VlanFlag.LooseBinding, 'LOOSE_BINDING'],
  [VlanFlag.BridgeBinding, 'BRIDGE_BINDING'],
];

const VLAN_HLEN = 4;
const VLAN_N_VID = 4096;

/** `struct vlan_info` / `vlan_group` of a real device: its vlan devices by (protocol, VID). */
export class VlanGroup implements VlanRx {
  private readonly byVid8021q: (VlanDevice | null)[] = new Array<VlanDevice | null>(VLAN_N_VID).fill(null);
  private byVid8021ad: (VlanDevice | null)[] | null = null;
  /** Every vlan device on this real device, in creation order. */
  readonly devices: VlanDevice[] = [];

  constructor(readonly realDev: Device) {}

  /** `vlan_find_dev`. */
  find(proto: number, vid: number): VlanDevice | null {
    if (proto === ETH_P_8021Q) return this.byVid8021q[vid] ?? null;
    if (proto === ETH_P_8021AD && this.byVid8021ad !== null) return this.byVid8021ad[vid] ?? null;
    return null;
  }

  add(v: VlanDevice): void {
    if (v.proto === ETH_P_8021AD) {
      if (this.byVid8021ad === null) this.byVid8021ad = new Array<VlanDevice | null>(VLAN_N_VID).fill(null);
      this.byVid8021ad[v.vid] = v;
    } else this.byVid8021q[v.vid] = v;
    this.devices.push(v);
  }

  remove(v: VlanDevice): void {
    if (v.proto === ETH_P_8021AD) {
      if (this.byVid8021ad !== null && this.byVid8021ad[v.vid] === v) this.byVid8021ad[v.vid] = null;
    } else if (this.byVid8021q[v.vid] === v) this.byVid8021q[v.vid] = null;
    const i = this.devices.indexOf(v);
    if (i >= 0) this.devices.splice(i, 1);
  }

  /**
   * `skb_vlan_untag` + `vlan_do_receive`: a tagged frame on the real device goes to the vlan device
   * of its (TPID, VID), tag popped. Returns false (frame untouched) when the frame is untagged, too
   * short or has no vlan device here.
   */
  receive(_dev: Device, h: number): boolean {
    const pool = this.realDev.world.pool;
    const u8 = pool.bytesOf(h);
    const off = pool.start[h]!;
    const tpid = (u8[off + 12]! << 8) | u8[off + 13]!;
    if (tpid !== ETH_P_8021Q && tpid !== ETH_P_8021AD) return false;
    if (pool.len[h]! < 18) return false;
    const vid = ((u8[off + 14]! << 8) | u8[off + 15]!) & 0xfff;
    const v = this.find(tpid, vid);
    if (v === null) return false;
    // Pop the tag: destination and source MACs move 4 bytes towards the payload.
    u8.copyWithin(off + VLAN_HLEN, off, off + 12);
    pool.trimFront(h, VLAN_HLEN);
    // skb->dev = vlan_dev; another_round (a down vlan device drops it in Device.receive, as the
    // `!(vlan_dev->flags & IFF_UP)` check of vlan_do_receive does).
    v.receive(h);
    return true;
  }
}

export class VlanDevice extends Device {
  readonly kind = DevKind.Vlan;

  constructor(
    world: World,
    ns: Namespace,
    name: string,
    /** The real device (IFLA_LINK); `ip link` shows `NAME@PARENT`. */
    readonly lowerDev: Device,
    readonly group: VlanGroup,
    readonly vid: number,
    readonly proto: number,
    public flags: number,
  ) {
    super(world, ns, name);
    this.mtu = lowerDev.mtu;
    // vlan_dev_init: the real device's address (NET_ADDR_STOLEN).
    this.macHi = lowerDev.macHi;
    this.macLo = lowerDev.macLo;
  }

  /** netif_stacked_transfer_operstate: carrier as the real device's. */
  override get carrier(): boolean {
    return this.lowerDev.operUp;
  }

  /** vlan_dev_hard_start_xmit: push the tag, then dev_queue_xmit on the real device. */
  protected transmit(h: number): void {
    const w = this.world;
    const pool = w.pool;
    if (!pool.prepend(h, VLAN_HLEN)) {
      w.drop(h, Drop.NoMemory, this.id);
      return;
    }
    const u8 = pool.bytesOf(h);
    const off = pool.start[h]!;
    u8.copyWithin(off, off + VLAN_HLEN, off + VLAN_HLEN + 12);
    u8[off + 12] = this.proto >>> 8;
    u8[off + 13] = this.proto & 0xff;
    // TCI: PCP from the egress QoS map (none: 0), DEI 0, VID.
    u8[off + 14] = this.vid >>> 8;
    u8[off + 15] = this.vid & 0xff;
    this.lowerDev.xmit(h);
  }

  override onDelete(): void {
    const g = this.group;
    g.remove(this);
    if (g.devices.length === 0 && this.lowerDev.vlans === g) this.lowerDev.vlans = null;
  }
}

/** Netdevice notifier (`vlan_device_event`), once per world. */
const subscribed = new WeakSet<World>();

function subscribe(world: World): void {
  if (subscribed.has(world)) return;
  subscribed.add(world);
  world.onNetdev((event, dev) => {
    const g = dev.vlans;
    if (!(g instanceof VlanGroup)) return;
    if (event === 'down' || event === 'up') {
      const up = event === 'up';
      for (const v of [...g.devices]) {
        if ((v.flags & VlanFlag.LooseBinding) !== 0 || v.adminUp === up) continue;
        v.adminUp = up;
        if (up) v.everUp = true;
        world.notifyNetdev(event, v);
      }
    } else if (event === 'change-mtu') {
      for (const v of g.devices) {
        if (v.mtu <= dev.mtu) continue;
        v.mtu = dev.mtu;
        world.notifyNetdev('change-mtu', v);
      }
    }
  });
}

/** `vlan_newlink` → `register_vlan_dev`. Throws the netlink extack text (without `Error: `). */
export function createVlan(
  world: World,
  ns: Namespace,
  name: string,
  parent: Device,
  vid: number,
  proto: number,
  flags: number,
): VlanDevice {
  if (parent.kind === DevKind.Loopback) throw new Error('8021q: VLANs not supported on device');
  const cur = parent.vlans;
  if (cur !== null && !(cur instanceof VlanGroup)) throw new Error('8021q: VLANs not supported on device');
  if (cur !== null && cur.find(proto, vid) !== null) throw new Error('8021q: VLAN device already exists');
  subscribe(world);
  const g = cur ?? new VlanGroup(parent);
  parent.vlans = g;
  const dev = new VlanDevice(world, ns, name, parent, g, vid, proto, flags);
  g.add(dev);
  return dev;
}
