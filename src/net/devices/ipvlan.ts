// ipvlan (drivers/net/ipvlan): several devices sharing their parent's MAC, told apart by IP address.
//
// Heads up: read ipvlan_core.c (`ipvlan_handle_frame`, `ipvlan_handle_mode_l2/_l3`,
// `ipvlan_external_frame`, `ipvlan_queue_xmit`, `ipvlan_xmit_mode_l2/_l3`, `ipvlan_process_outbound`,
// `ipvlan_process_multicast`, `ipvlan_rcv_frame`) and ipvlan_main.c (`ipvlan_link_new`,
// `ipvlan_set_port_mode`, `ipvlan_open`, `ipvlan_addr4_validator_event`) plus
// Documentation/networking/ipvlan.rst before changing behaviour. The recording host's kernel has no
// ipvlan (CONFIG_IPVLAN is not set), so everything here comes from those sources.
//
// The mode (l2, l3, l3s) and the flags (bridge, private, vepa) belong to the *port* (the parent): the
// latest `ip link add/set … type ipvlan mode M FLAG` overrides them for every child. Children take the
// parent's MAC; in l3/l3s they are IFF_NOARP once opened (`ipvlan_open`), so their neighbours are
// NUD_NOARP entries holding the device's own MAC and they drop every ARP they receive.
//
// Receive (rx handler on the parent):
// - l2: multicast/broadcast from outside (`ipvlan_external_frame`: the source MAC is not ours or the
//   source IP is no child's) is copied to every up child (`ipvlan_process_multicast`; the per-child
//   multicast MAC filter is not modelled) and passed to the parent too; unicast goes the l3 way.
// - l3 (and unicast in l2): the destination IPv4 address (an ARP packet's target address) is looked
//   up among the up children's addresses (`ipvlan_addr_lookup`); the owner receives the frame
//   (RX_HANDLER_ANOTHER); otherwise the parent does. So in l3 no child ever gets a broadcast or a
//   multicast — the well-known limitation — and ARP for the parent's addresses is the parent's.
// - l3s: as l3 here; the kernel instead passes the frame up the parent (its PREROUTING) and switches
//   to the child in `ipvlan_l3_rcv` (l3mdev) before routing, so the child's INPUT chain sees it and its
//   PREROUTING does not. NOT modelled: netsim runs the child's PREROUTING and INPUT for l3s as for l3.
// Transmit:
// - l2 (`ipvlan_xmit_mode_l2`): not vepa and destination MAC == source MAC (a sibling or the parent,
//   which share the MAC): a child owning the destination IP receives it directly (private: dropped);
//   otherwise the parent's stack does (`dev_forward_skb(phy_dev)`). Multicast: a copy to every other
//   up child (private and vepa included, as `ipvlan_process_multicast` does) and out the parent.
//   Anything else leaves through the parent (dev_queue_xmit).
// - l3/l3s (`ipvlan_xmit_mode_l3`): not vepa and a child owns the destination IP: delivered to it
//   (private: dropped); otherwise the frame crosses into the parent's namespace
//   (`ipvlan_process_outbound`): multicast MACs are dropped, the Ethernet header is pulled and the
//   packet is routed and sent by the parent namespace's stack (`ip_local_out`: its OUTPUT and
//   POSTROUTING chains). Deviation: the kernel routes with flowi4_oif = the parent (on-link fallback
//   through the parent when no route matches); netsim routes with the parent namespace's FIB only.
//
// Not modelled: IPv6, the multicast backlog queue (delivered at once), dev_id allocation, ipvtap.

import { Device, DevKind, type RxHandler, RxResult } from '../device.js';
import { Drop } from '../drop-reason.js';
import { stackOf } from '../ipv4/stack.js';
import type { Namespace } from '../namespace.js';
import type { World } from '../world.js';

/** IPVLAN_MODE_* (include/uapi/linux/if_link.h). */
export const IpvlanMode = { L2: 0, L3: 1, L3S: 2 } as const;
export type IpvlanMode = (typeof IpvlanMode)[keyof typeof IpvlanMode];
export const IPVLAN_MODE_NAMES: readonly string[] = ['l2', 'l3', 'l3s'];

/** IPVLAN_F_* port flags; 0 is "bridge". */
export const IpvlanFlag = { Bridge: 0, Private: 1, Vepa: 2 } as const;
export type IpvlanFlag = (typeof IpvlanFlag)[keyof typeof IpvlanFlag];

const ETH_P_IP = 0x0800;
const ETH_P_ARP = 0x0806;

/** `struct ipvl_port`: the parent's side, shared by its children. */
export class IpvlanPort implements RxHandler {
  readonly children: IpvlanDevice[] = [];
  mode: IpvlanMode = IpvlanMode.L3;
  flags = 0;

  constructor(
    readonly world: World,
    readonly parent: Device,
  ) {}

  /**
   * `ipvlan_ht_addr_lookup`: the up child holding IPv4 address `addr` (addresses are hashed while up).
   * `addr` as int32 or u32 (the hot path passes int32, which V8 never boxes).
   */
  lookup(addr: number): IpvlanDevice | null {
    const a32 = addr >>> 0;
    const ch = this.children;
    for (let i = 0; i < ch.length; i++) {
      const c = ch[i]!;
      if (!c.adminUp) continue;
      const list = stackOf(c.ns).addrs.list(c.id);
      for (let j = 0; j < list.length; j++) if (list[j]!.local === a32) return c;
    }
    return null;
  }

  /** `ipvlan_addr_busy`: does a child other than `except` hold `addr` (up or not)? */
  addrBusy(addr: number, except: IpvlanDevice | null): boolean {
    for (const c of this.children) if (c !== except && stackOf(c.ns).addrs.hasOnDev(c.id, addr)) return true;
    return false;
  }

  /**
   * `ipvlan_get_L3_hdr` + `ipvlan_addr_lookup`: the child owning the frame's destination (IPv4
   * daddr, ARP target) or source (`dest` false) address, or null.
   */
  l3Lookup(h: number, dest: boolean): IpvlanDevice | null {
    const pool = this.world.pool;
    const u8 = pool.bytesOf(h);
    const off = pool.start[h]!;
    const len = pool.len[h]!;
    const et = (u8[off + 12]! << 8) | u8[off + 13]!;
    let a = off + 14;
    if (et === ETH_P_IP) {
      if (len < 34 || u8[off + 14]! >>> 4 !== 4) return null;
      a += dest ? 16 : 12;
    } else if (et === ETH_P_ARP) {
      if (len < 42) return null;
      // arphdr (8) + sha (6) [+ sip (4) + tha (6)]
      a += dest ? 24 : 14;
    } else return null;
    // int32 across the call (see lookup).
    return this.lookup((u8[a]! << 24) | (u8[a + 1]! << 16) | (u8[a + 2]! << 8) | u8[a + 3]!);
  }

  /** `ipvlan_process_multicast` for one frame: a copy to every up child but `skip`. */
  multicast(h: number, skip: IpvlanDevice | null): void {
    const w = this.world;
    const ch = this.children;
    for (let i = 0; i < ch.length; i++) {
      const c = ch[i]!;
      if (c === skip || !c.adminUp) continue;
      w.deliverAt(w.sim.now, c.id, w.cloneFrame(h));
    }
  }

  /** `ipvlan_handle_frame`. */
  handleFrame(_dev: Device, h: number): RxResult {
    const pool = this.world.pool;
    const u8 = pool.bytesOf(h);
    const off = pool.start[h]!;
    if (this.mode === IpvlanMode.L2 && (u8[off]! & 1) !== 0) {
      // ipvlan_external_frame: our own child's multicast (reflected by the switch) is not redistributed.
      const p = this.parent;
      const fromUs =
        ((u8[off + 6]! << 8) | u8[off + 7]!) === p.macHi &&
        ((u8[off + 8]! << 24) | (u8[off + 9]! << 16) | (u8[off + 10]! << 8) | u8[off + 11]!) >>> 0 ===
          p.macLo &&
        this.l3Lookup(h, false) !== null;
      if (!fromUs) this.multicast(h, null);
      return RxResult.Pass;
    }
    // ipvlan_handle_mode_l3 (l3, l3s as l3 — see the header — and l2 unicast).
    const c = this.l3Lookup(h, true);
    if (c === null) return RxResult.Pass;
    // ipvlan_rcv_frame(local = false): skb->dev = the child, RX_HANDLER_ANOTHER.
    c.receive(h);
    return RxResult.Consumed;
  }
}

export class IpvlanDevice extends Device {
  readonly kind = DevKind.Ipvlan;

  constructor(
    world: World,
    ns: Namespace,
    name: string,
    /** The parent (IFLA_LINK, `phy_dev`); `ip link` shows it as `NAME@PARENT`. */
    readonly lowerDev: Device,
    readonly port: IpvlanPort,
  ) {
    super(world, ns, name);
    this.mtu = lowerDev.mtu;
    this.macHi = lowerDev.macHi;
    this.macLo = lowerDev.macLo;
  }

  /** netif_stacked_transfer_operstate. */
  override get carrier(): boolean {
    return this.lowerDev.operUp;
  }

  /** `ipvlan_queue_xmit`. */
  protected transmit(h: number): void {
    const w = this.world;
    const port = this.port;
    const pool = w.pool;
    const u8 = pool.bytesOf(h);
    const off = pool.start[h]!;
    const vepa = (port.flags & IpvlanFlag.Vepa) !== 0;
    const priv = (port.flags & IpvlanFlag.Private) !== 0;
    if (port.mode === IpvlanMode.L2) {
      const sameMac =
        u8[off] === u8[off + 6] &&
        u8[off + 1] === u8[off + 7] &&
        u8[off + 2] === u8[off + 8] &&
        u8[off + 3] === u8[off + 9] &&
        u8[off + 4] === u8[off + 10] &&
        u8[off + 5] === u8[off + 11];
      if (!vepa && sameMac) {
        const c = port.l3Lookup(h, true);
        if (c !== null) {
          if (priv) w.drop(h, Drop.NotDeliverable, this.id);
          else this.forwardTo(c, h);
          return;
        }
        // "the dest is local. So forward the skb for the main-dev": the parent's own stack.
        w.deliverAt(w.sim.now, this.lowerDev.id, h);
        return;
      }
      if ((u8[off]! & 1) !== 0) {
        port.multicast(h, this);
        this.lowerDev.xmit(h);
        return;
      }
      this.lowerDev.xmit(h);
      return;
    }
    // ipvlan_xmit_mode_l3 (l3 and l3s).
    if (!vepa) {
      const c = port.l3Lookup(h, true);
      if (c !== null) {
        if (priv) w.drop(h, Drop.NotDeliverable, this.id);
        else this.forwardTo(c, h);
        return;
      }
    }
    // ipvlan_process_outbound: multicast/broadcast MACs are dropped; IPv4 is routed by the parent's
    // namespace; anything else (ARP: the child is NOARP, so only a stray one) is dropped.
    const et = (u8[off + 12]! << 8) | u8[off + 13]!;
    if ((u8[off]! & 1) !== 0 || et !== ETH_P_IP) {
      w.drop(h, Drop.NotDeliverable, this.id);
      return;
    }
    // ipvlan_process_v4_outbound: only unicast and local routes (a broadcast address is refused).
    const dst = ((u8[off + 30]! << 24) | (u8[off + 31]! << 16) | (u8[off + 32]! << 8) | u8[off + 33]!) >>> 0;
    if (dst === 0xffffffff || (dst & 0xf0000000) >>> 0 === 0xe0000000) {
      w.drop(h, Drop.NotDeliverable, this.id);
      return;
    }
    pool.trimFront(h, 14);
    stackOf(this.lowerDev.ns).sendLocalAnySrc(h);
  }

  /** `ipvlan_rcv_frame(local = true)`: dev_forward_skb to a sibling, PACKET_HOST. */
  private forwardTo(c: IpvlanDevice, h: number): void {
    const w = this.world;
    if (!c.adminUp) {
      w.drop(h, Drop.DevDown, c.id);
      return;
    }
    w.deliverAt(w.sim.now, c.id, h);
  }

  override onDelete(): void {
    const port = this.port;
    const i = port.children.indexOf(this);
    if (i >= 0) port.children.splice(i, 1);
    if (port.children.length === 0 && this.lowerDev.rxHandler === port) this.lowerDev.rxHandler = null;
  }
}

/** Netdevice notifier (`ipvlan_device_event`): MTU and MAC follow the parent. Once per world. */
const subscribed = new WeakSet<World>();

function subscribe(world: World): void {
  if (subscribed.has(world)) return;
  subscribed.add(world);
  world.onNetdev((event, dev) => {
    const port = dev.rxHandler;
    if (!(port instanceof IpvlanPort) || port.parent !== dev) return;
    if (event === 'change-mtu') {
      for (const c of port.children) {
        c.mtu = dev.mtu;
        world.notifyNetdev('change-mtu', c);
      }
    } else if (event === 'change-addr') {
      for (const c of port.children) {
        c.macHi = dev.macHi;
        c.macLo = dev.macLo;
      }
    }
  });
}

/** `ipvlan_set_port_mode`: every child's IFF_NOARP follows l3/l3s. */
export function setPortMode(port: IpvlanPort, mode: IpvlanMode): void {
  if (port.mode === mode) return;
  port.mode = mode;
  for (const c of port.children) c.noArp = mode !== IpvlanMode.L2;
}

/** `ipvlan_link_new`. Throws the errno text. */
export function createIpvlan(
  world: World,
  ns: Namespace,
  name: string,
  parent: Device,
  mode: IpvlanMode | undefined,
  flags: number | undefined,
): IpvlanDevice {
  // A child as parent: the new device hangs off its phy_dev.
  const phy = parent instanceof IpvlanDevice ? parent.lowerDev : parent;
  let port: IpvlanPort;
  if (phy.rxHandler instanceof IpvlanPort) port = phy.rxHandler;
  else {
    if (phy.kind === DevKind.Loopback) throw new Error('Invalid argument');
    if (phy.rxHandler !== null) throw new Error('Device or resource busy');
    port = new IpvlanPort(world, phy);
  }
  subscribe(world);
  const dev = new IpvlanDevice(world, ns, name, phy, port);
  phy.rxHandler = port;
  // "Flags are per port and latest update overrides", and so is the mode (default l3).
  if (flags !== undefined) port.flags = flags;
  setPortMode(port, mode ?? IpvlanMode.L3);
  port.children.push(dev);
  return dev;
}
