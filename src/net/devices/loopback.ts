// The loopback device `lo`: every frame it transmits is received by itself (drivers/net/loopback.c).
// Delivery is an event like any other hop, so local traffic is ordered with the rest of the world.

import { Device, DevKind } from '../device.js';
import type { Namespace } from '../namespace.js';
import type { World } from '../world.js';

export class Loopback extends Device {
  readonly kind = DevKind.Loopback;

  constructor(world: World, ns: Namespace) {
    super(world, ns, 'lo');
    // loopback_setup: MTU 64 KiB, all-zero address.
    this.mtu = 65536;
  }

  /** `ip link` shows lo as UNKNOWN when up: it has no carrier notion. */
  override get operState(): string {
    return this.adminUp ? 'UNKNOWN' : 'DOWN';
  }

  protected transmit(h: number): void {
    const w = this.world;
    w.deliverAfter(0, this.id, h);
  }
}
