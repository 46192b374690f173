// a1 (10.1.0.2) — r1 (10.1.0.1 | 10.2.0.1, forwarding) — b1 (10.2.0.2), as in the kernel fixtures
// router-two-subnets and mtu-df; `mtuB` is the r1–b1 link MTU (both ends).

import type { Device } from '../../../src/net/device.js';
import { createPair } from '../../../src/net/devices/veth.js';
import type { Namespace } from '../../../src/net/namespace.js';
import type { World } from '../../../src/net/world.js';
import { addAddr, addRoute, up, world } from './helpers.js';

export function link(w: World, a: Namespace, an: string, b: Namespace, bn: string): [Device, Device] {
  const [x, y] = createPair(w, a, an, b, bn);
  a.attach(x);
  b.attach(y);
  up(x);
  up(y);
  return [x, y];
}

export function routed(mtuB = 1500, seed = 1) {
  const w = world(seed);
  const a1 = w.addNamespace('a1');
  const r1 = w.addNamespace('r1');
  const b1 = w.addNamespace('b1');
  for (const ns of [a1, r1, b1]) up(ns.lo);
  const [ea, ra] = link(w, a1, 'eth0', r1, 'eth-a');
  const [rb, eb] = link(w, r1, 'eth-b', b1, 'eth0');
  rb.mtu = mtuB;
  eb.mtu = mtuB;
  addAddr(ea, '10.1.0.2/24');
  addAddr(ra, '10.1.0.1/24');
  addAddr(rb, '10.2.0.1/24');
  addAddr(eb, '10.2.0.2/24');
  addRoute(a1, 'default', '10.1.0.1', null);
  addRoute(b1, 'default', '10.2.0.1', null);
  r1.sysctl.set('net.ipv4.ip_forward', '1');
  return { w, a1, r1, b1, ea, ra, rb, eb };
}

const tickKinds = new WeakMap<World, number>();
/** Runs the simulation for `dtNs` and leaves the clock exactly there, even if the queue drains. */
export function advance(w: World, dtNs: number): void {
  let k = tickKinds.get(w);
  if (k === undefined) {
    k = w.sim.registerKind('test:tick', () => {});
    tickKinds.set(w, k);
  }
  const t = w.sim.now + dtNs;
  w.sim.at(t, k, 0, 0);
  w.sim.run({ until: t });
}
