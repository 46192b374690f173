// A network namespace: its devices, sysctls and protocol handlers.
//
// Like the kernel's `struct net`, a namespace starts with only a loopback device, which is down
// (`ip netns add` gives you `lo` in state DOWN). Protocol handlers are looked up by EtherType after a
// device's rx handler passed the frame on (`__netif_receive_skb_core` → `deliver_skb`).

import type { Rng } from '../core/rng.js';
import type { Netfilter } from '../netfilter/hooks.js';
import type { Device } from './device.js';
import { Loopback } from './devices/loopback.js';
import { Drop } from './drop-reason.js';
import { Ipv4Stack } from './ipv4/stack.js';
import { PktType } from './pkt-type.js';
import { Sysctls } from './sysctl.js';
// Linux has UDP and TCP in every namespace: loading the transport layer installs them on demand.
import './transport/transport.js';
import type { World } from './world.js';

/** A layer-3 protocol handler (ARP, IPv4). `h` starts at the Ethernet header. */
export interface L3Handler {
  receive(dev: Device, h: number, pktType: PktType, l3Off: number): void;
}

const ETH_P_IP = 0x0800;
const ETH_P_ARP = 0x0806;
const ETH_P_8021Q = 0x8100;
const ETH_P_8021AD = 0x88a8;
const ETH_HLEN = 14;

/** Drops every frame: the handler of a protocol this namespace does not speak. */
class UnhandledProtocol implements L3Handler {
  constructor(private readonly world: World) {}
  receive(dev: Device, h: number): void {
    this.world.drop(h, Drop.UnhandledProto, dev.id);
  }
}

export class Namespace {
  readonly devices: Device[] = [];
  private readonly byName = new Map<string, Device>();
  private nextIfindex = 1;
  readonly sysctl: Sysctls;
  readonly lo: Loopback;
  arp: L3Handler;
  ipv4: L3Handler;
  /** Netfilter of this namespace once something registered a table or hook (`netfilterOf`). */
  nf: Netfilter | null = null;
  private macRng: Rng | null = null;
  /** Peer namespaces' ids as this namespace numbers them (`link-netnsid`), assigned on first use. */
  private netnsIds: Map<Namespace, number> | null = null;

  constructor(
    readonly world: World,
    readonly id: number,
    readonly name: string,
  ) {
    this.sysctl = new Sysctls(this);
    const unhandled = new UnhandledProtocol(world);
    this.arp = unhandled;
    this.ipv4 = unhandled;
    this.lo = new Loopback(world, this);
    this.attach(this.lo);
    this.ipv4 = new Ipv4Stack(this);
    this.arp = (this.ipv4 as Ipv4Stack).arp;
  }

  allocIfindex(): number {
    return this.nextIfindex++;
  }

  /** Whether `ifindex` is free here (a device moved in keeps its index when it is). */
  ifindexFree(ifindex: number): boolean {
    for (const d of this.devices) if (d.ifindex === ifindex) return false;
    return true;
  }

  /**
   * A random unicast, locally administered MAC (eth_random_addr), drawn from this namespace's own
   * stream so that creating devices elsewhere never changes the addresses here.
   */
  randomMac(): { hi: number; lo: number } {
    if (this.macRng === null) this.macRng = this.world.sim.rng.stream(`mac/${this.name}`);
    const hi = ((this.macRng.u32() & 0xfeff) | 0x0200) & 0xffff;
    return { hi, lo: this.macRng.u32() >>> 0 };
  }

  /** The id this namespace gives `other` in `link-netnsid` output (peer ids start at 0). */
  netnsIdOf(other: Namespace): number {
    if (this.netnsIds === null) this.netnsIds = new Map();
    let id = this.netnsIds.get(other);
    if (id === undefined) {
      id = this.netnsIds.size;
      this.netnsIds.set(other, id);
    }
    return id;
  }

  device(name: string): Device | undefined {
    return this.byName.get(name);
  }

  /** Adds a device created for (or moved into) this namespace. */
  attach(dev: Device): void {
    if (this.byName.has(dev.name)) throw new Error(`RTNETLINK answers: File exists`);
    dev.ns = this;
    this.devices.push(dev);
    this.byName.set(dev.name, dev);
    this.sysctl.deviceCreated(dev.name);
  }

  /** Removes a device from this namespace's lists (deletion or a move to another namespace). */
  detach(dev: Device): void {
    const i = this.devices.indexOf(dev);
    if (i >= 0) this.devices.splice(i, 1);
    this.byName.delete(dev.name);
    this.sysctl.deviceRemoved(dev.name);
  }

  rename(dev: Device, name: string): void {
    if (this.byName.has(name)) throw new Error(`RTNETLINK answers: File exists`);
    this.byName.delete(dev.name);
    this.sysctl.deviceRemoved(dev.name);
    dev.name = name;
    this.byName.set(name, dev);
    this.sysctl.deviceCreated(name);
  }

  /** EtherType dispatch after the device's rx handler passed the frame up. */
  receiveL2(dev: Device, h: number): void {
    const w = this.world;
    const pool = w.pool;
    const len = pool.len[h]!;
    if (len < ETH_HLEN) {
      w.drop(h, Drop.L2Malformed, dev.id);
      return;
    }
    const u8 = pool.bytesOf(h);
    const off = pool.start[h]!;
    // eth_type_trans: classify by destination MAC.
    let pktType: PktType;
    const b0 = u8[off]!;
    if (b0 & 1) {
      pktType =
        b0 === 0xff &&
        u8[off + 1] === 0xff &&
        u8[off + 2] === 0xff &&
        u8[off + 3] === 0xff &&
        u8[off + 4] === 0xff &&
        u8[off + 5] === 0xff
          ? PktType.Broadcast
          : PktType.Multicast;
    } else {
      const hi = (b0 << 8) | u8[off + 1]!;
      const lo = ((u8[off + 2]! << 24) | (u8[off + 3]! << 16) | (u8[off + 4]! << 8) | u8[off + 5]!) >>> 0;
      pktType = hi === dev.macHi && lo === dev.macLo ? PktType.Host : PktType.OtherHost;
    }
    const etherType = (u8[off + 12]! << 8) | u8[off + 13]!;
    if (etherType === ETH_P_IP) this.ipv4.receive(dev, h, pktType, off + ETH_HLEN);
    else if (etherType === ETH_P_ARP) this.arp.receive(dev, h, pktType, off + ETH_HLEN);
    else if (etherType === ETH_P_8021Q || etherType === ETH_P_8021AD) this.receiveTagged(dev, h, off);
    else w.drop(h, Drop.UnhandledProto, dev.id);
  }

  /**
   * A tagged frame no rx handler took (__netif_receive_skb_core after `vlan_do_receive`): a vlan device
   * of the receiving device takes it (frames a bridge passes up to itself arrive here first); VID 0
   * (priority tag) is stripped and the frame handled as untagged; any other VID is PACKET_OTHERHOST,
   * which IPv4 and ARP drop.
   */
  private receiveTagged(dev: Device, h: number, off: number): void {
    const w = this.world;
    if (dev.vlans !== null && dev.vlans.receive(dev, h)) return;
    const pool = w.pool;
    const u8 = pool.bytesOf(h);
    if (pool.len[h]! >= ETH_HLEN + 4 && (((u8[off + 14]! << 8) | u8[off + 15]!) & 0xfff) === 0) {
      u8.copyWithin(off + 4, off, off + 12);
      pool.trimFront(h, 4);
      this.receiveL2(dev, h);
      return;
    }
    w.drop(h, Drop.OtherHost, dev.id);
  }
}
