// The per-device IPv4 settings the data path reads (`struct ipv4_devconf`: net.ipv4.conf.DEV.*), cached
// as numbers for every device of a world in one table indexed by device id.
//
// A device belongs to one namespace at a time, so one world-wide row per device is enough: the IPv4
// stack of the device's namespace loads the row from its sysctls on first use and clears it when the
// sysctls change or the device leaves. (Each stack used to keep its own columns indexed by the world's
// device ids, so every namespace that handled a packet grew arrays as large as the whole world.)

import type { World } from '../world.js';

/** Field offsets within a row. */
export const CONF = Object.freeze({
  /** 1 when the row holds the device's current values. */
  Loaded: 0,
  Forwarding: 1,
  RpFilter: 2,
  ArpIgnore: 3,
  ArpAccept: 4,
  ArpAnnounce: 5,
  ProxyArp: 6,
  RouteLocalnet: 7,
  AcceptLocal: 8,
} as const);
/** Bytes per device row. */
export const CONF_STRIDE = 9;

export class Ipv4DevConf {
  /** Row of device `id` at `id * CONF_STRIDE`; grown on demand, so rows past the end read undefined. */
  bytes = new Uint8Array(64 * CONF_STRIDE);

  /** Makes room for device `devId`'s row. */
  ensure(devId: number): void {
    const need = (devId + 1) * CONF_STRIDE;
    if (need <= this.bytes.length) return;
    let n = this.bytes.length;
    while (n < need) n *= 2;
    const b = new Uint8Array(n);
    b.set(this.bytes);
    this.bytes = b;
  }

  /** Marks device `devId`'s row stale (reloaded on next use). */
  invalidate(devId: number): void {
    const o = devId * CONF_STRIDE;
    if (o < this.bytes.length) this.bytes[o + CONF.Loaded] = 0;
  }
}

const byWorld = new WeakMap<World, Ipv4DevConf>();

/** The world's table, made on first use. */
export function devConfOf(world: World): Ipv4DevConf {
  let t = byWorld.get(world);
  if (t === undefined) {
    t = new Ipv4DevConf();
    byWorld.set(world, t);
  }
  return t;
}
