// Hand-built worlds for transport tests: namespaces joined by a veth pair, configured with the same
// commands a person types (`ip link`, `ip addr`, `ip route`).
import { expect } from 'vitest';
import '../../../src/control/all.js';
import { runCommandLine } from '../../../src/control/command.js';
import type { Namespace } from '../../../src/net/namespace.js';
import { transportOf } from '../../../src/net/transport/transport.js';
import { World } from '../../../src/net/world.js';
import { parseIpv4 } from '../../../src/wire/ipv4-address.js';

export interface Pair {
  world: World;
  a: Namespace;
  b: Namespace;
  run: (ns: Namespace, line: string) => string;
  /** 10.0.0.2 (a) and 10.0.0.3 (b) as u32. */
  A: number;
  B: number;
}

/** a (10.0.0.2/24, eth0) <-veth-> b (10.0.0.3/24, eth0), lo up in both. */
export function vethPair(seed: number | string = 1): Pair {
  const world = new World({ seed, check: true });
  const a = world.addNamespace('a');
  const b = world.addNamespace('b');
  const run = (ns: Namespace, line: string) => runCommandLine({ world, ns }, line).stdout;
  run(a, 'ip link add eth0 type veth peer name eth0 netns b');
  for (const [ns, addr] of [
    [a, '10.0.0.2/24'],
    [b, '10.0.0.3/24'],
  ] as const) {
    run(ns, 'ip link set lo up');
    run(ns, `ip addr add ${addr} dev eth0`);
    run(ns, 'ip link set eth0 up');
    // Every namespace has UDP and TCP (Linux registers them at boot), not only those running apps.
    transportOf(ns);
  }
  return { world, a, b, run, A: ip('10.0.0.2'), B: ip('10.0.0.3') };
}

export const ip = (text: string): number => parseIpv4(text);

/** Frame conservation and no leaks once the simulation has drained. */
export function expectNoLeaks(world: World): void {
  const bal = world.frameBalance();
  expect(bal.inFlight).toBe(world.pool.liveCount);
  expect(world.pool.liveCount).toBe(0);
}

export const text = (s: string): Uint8Array => new TextEncoder().encode(s);
export const str = (u8: Uint8Array, off: number, len: number): string =>
  new TextDecoder().decode(u8.subarray(off, off + len));
