// Devices joined in pairs by a Link: veth (drivers/net/veth.c) and the NICs of scenario links.
//
// A veth end has carrier only while its peer is administratively up (`veth_open` turns the peer's
// carrier on; `veth_close` turns it off), so `ip link` shows LOWERLAYERDOWN until both ends are up.
// `veth_xmit` drops a frame longer than the peer's MTU plus the link-layer header
// (`is_skb_forwardable`), counting it as a tx drop on the sender.

import { Device, DevKind } from '../device.js';
import { Drop } from '../drop-reason.js';
import { DEFAULT_LINK, Link, type LinkDirection, type LinkParams } from '../link.js';
import type { Namespace } from '../namespace.js';
import type { World } from '../world.js';

const ETH_HLEN = 14;
const VLAN_HLEN = 4;

export class PairedDevice extends Device {
  readonly kind: DevKind;
  peer: PairedDevice | null = null;
  /** The direction of the link that carries this device's transmissions. */
  txDir: LinkDirection | null = null;

  constructor(world: World, ns: Namespace, name: string, kind: DevKind) {
    super(world, ns, name);
    this.kind = kind;
  }

  override get carrier(): boolean {
    return this.peer !== null && this.peer.adminUp;
  }

  protected transmit(h: number): void {
    const peer = this.peer!;
    const w = this.world;
    // is_skb_forwardable: the peer accepts up to its MTU plus the Ethernet (and one VLAN) header.
    if (w.pool.len[h]! > peer.mtu + ETH_HLEN + VLAN_HLEN) {
      w.counters.txDropped[this.id]!++;
      w.drop(h, Drop.MtuExceeded, this.id);
      return;
    }
    // dev_forward_skb → skb_scrub_packet: the peer sees a fresh skb with no conntrack entry, and
    // crossing into another namespace also clears the mark.
    w.pool.ctId[h] = -1;
    // skb_ext_reset: br_netfilter's nf_bridge_info goes too.
    w.pool.nfBridge[h] = -1;
    // ipvs_reset: skb->ipvs_property is cleared too.
    w.pool.ipvs[h] = 0;
    if (peer.ns !== this.ns) w.pool.mark[h] = 0;
    this.txDir!.transmit(h);
  }

  override onDelete(): void {
    // Deleting one end of a veth pair deletes the other (veth_dellink unregisters the peer too);
    // the caller handles the peer's removal from its namespace.
    if (this.peer !== null) this.peer.peer = null;
    this.peer = null;
    this.txDir = null;
  }
}

/** Creates two paired devices `a` in `nsA` and `b` in `nsB` joined by a link with `params`. */
export function createPair(
  world: World,
  nsA: Namespace,
  nameA: string,
  nsB: Namespace,
  nameB: string,
  kind: DevKind = DevKind.Veth,
  params: Readonly<LinkParams> = DEFAULT_LINK,
): [PairedDevice, PairedDevice] {
  const a = new PairedDevice(world, nsA, nameA, kind);
  const b = new PairedDevice(world, nsB, nameB, kind);
  const link = new Link(world, a.id, b.id, params);
  a.peer = b;
  b.peer = a;
  a.txDir = link.ab;
  b.txDir = link.ba;
  return [a, b];
}
