// A dummy device (drivers/net/dummy.c): addresses can live on it, and whatever it transmits is
// counted and discarded. Routing to a dummy is how a host owns an address without a wire.

import { Device, DevKind } from '../device.js';
import type { Namespace } from '../namespace.js';
import type { World } from '../world.js';

export class Dummy extends Device {
  readonly kind = DevKind.Dummy;

  constructor(world: World, ns: Namespace, name: string) {
    super(world, ns, name);
  }

  /** dummy devices report UNKNOWN when up (no carrier handling), as `ip link` shows. */
  override get operState(): string {
    return this.adminUp ? 'UNKNOWN' : 'DOWN';
  }

  protected transmit(h: number): void {
    // dummy_xmit: counts tx and frees the skb; this is a successful end, not a drop.
    this.world.consume(h);
  }
}
