// A point-to-point channel between two devices: the "cable" of a veth pair or of a scenario link.
//
// Each direction has a propagation delay, an optional rate (serialisation time = bits / rate) and a
// transmit queue limit in frames (tail drop, like a pfifo qdisc with `limit`). A veth pair is a Link
// with zero delay and no rate, which is what the kernel's veth does: `veth_xmit` hands the skb to the
// peer's backlog at once. Delivery is an event (`World.K.deliver`), so every hop is observable.
//
// Queue occupancy is exact without extra events: the finish times of frames still being serialised are
// monotonic, so they live in a ring buffer and expire as simulated time passes them.

import { Drop } from './drop-reason.js';
import type { World } from './world.js';

export interface LinkParams {
  /** One-way propagation delay in ns. */
  delayNs: number;
  /** Serialisation rate in bits per second; 0 means infinitely fast (no queueing). */
  rateBps: number;
  /** Frames that may wait for the wire, the one being serialised included (rate > 0 only). */
  queueLimit: number;
}

export const DEFAULT_LINK: Readonly<LinkParams> = Object.freeze({ delayNs: 0, rateBps: 0, queueLimit: 1000 });

/** One direction of a link: frames transmitted by `fromDev` arrive at `toDev`. */
export class LinkDirection {
  delayNs: number;
  rateBps: number;
  queueLimit: number;
  /** Ring of serialisation finish times of frames not yet fully on the wire. */
  private finish: Float64Array;
  private head = 0;
  private count = 0;
  private busyUntil = 0;

  constructor(
    private readonly world: World,
    readonly fromDev: number,
    readonly toDev: number,
    params: Readonly<LinkParams>,
  ) {
    this.delayNs = params.delayNs;
    this.rateBps = params.rateBps;
    this.queueLimit = params.queueLimit;
    this.finish = new Float64Array(params.rateBps > 0 ? Math.max(1, params.queueLimit) : 1);
  }

  /** Sends frame `h` (whose bytes start at the Ethernet header) towards `toDev`. */
  transmit(h: number): void {
    const world = this.world;
    const now = world.sim.now;
    if (this.rateBps <= 0) {
      world.deliverAfter(this.delayNs, this.toDev, h);
      return;
    }
    // Expire frames whose serialisation finished.
    while (this.count > 0 && this.finish[this.head]! <= now) {
      this.head = (this.head + 1) % this.finish.length;
      this.count--;
    }
    if (this.count >= this.queueLimit) {
      world.drop(h, Drop.QueueFull, this.fromDev);
      return;
    }
    const start = this.busyUntil > now ? this.busyUntil : now;
    // Round up so a frame never arrives before its last bit was sent.
    const serNs = Math.ceil((world.pool.len[h]! * 8 * 1e9) / this.rateBps);
    const done = start + serNs;
    this.busyUntil = done;
    this.finish[(this.head + this.count) % this.finish.length] = done;
    this.count++;
    world.deliverAfter(done - now + this.delayNs, this.toDev, h);
  }

  /** Frames currently queued or being serialised. */
  backlog(now: number): number {
    let n = 0;
    for (let i = 0; i < this.count; i++) if (this.finish[(this.head + i) % this.finish.length]! > now) n++;
    return n;
  }

  setParams(params: Readonly<LinkParams>): void {
    this.delayNs = params.delayNs;
    this.rateBps = params.rateBps;
    this.queueLimit = params.queueLimit;
    if (params.rateBps > 0 && this.finish.length < params.queueLimit) {
      const next = new Float64Array(params.queueLimit);
      for (let i = 0; i < this.count; i++) next[i] = this.finish[(this.head + i) % this.finish.length]!;
      this.finish = next;
      this.head = 0;
    }
  }
}

/** Both directions of a cable between devices `a` and `b`. */
export class Link {
  readonly ab: LinkDirection;
  readonly ba: LinkDirection;
  constructor(world: World, a: number, b: number, params: Readonly<LinkParams> = DEFAULT_LINK) {
    this.ab = new LinkDirection(world, a, b, params);
    this.ba = new LinkDirection(world, b, a, params);
  }
  /** The direction that carries frames sent by device `devId`. */
  from(devId: number): LinkDirection {
    return devId === this.ab.fromDev ? this.ab : this.ba;
  }
}
