// openUdpServer (src/apps/udp-server-socket.ts), as the UDP server apps use it: a bind that fails
// (EADDRINUSE: the port is taken, no SO_REUSEADDR) leaves the app not listening with the errno in its
// observation; the port stays with the server that had it.
import { describe, expect, it } from 'vitest';
import { DnsServer } from '../../src/apps/dns-server.js';
import { UdpEchoPeer } from '../../src/apps/udp-echo-peer.js';
import { Errno } from '../../src/net/transport/ip-api.js';
import { World } from '../../src/net/world.js';
import type { AppContext } from '../../src/scenario/app-registry.js';

function ctxIn(world: World, name: string): AppContext {
  const ns = world.namespace('host') ?? world.addNamespace('host');
  return { world, ns, name, rng: world.sim.rng.stream(`app:${name}`), sightings: [], done() {} };
}

describe('openUdpServer', () => {
  it('a second server on a port bound to every address gets EADDRINUSE; the first keeps the port', () => {
    const world = new World({ seed: 1 });
    const first = new UdpEchoPeer(ctxIn(world, 'echo'), { port: 7 });
    first.start();
    const second = new DnsServer(ctxIn(world, 'dns'), { port: 7, addr: 0 });
    second.start();
    expect(first.observe()).toMatchObject({ listening: true });
    expect(first.observe()).not.toHaveProperty('bindErrno');
    expect(second.observe()).toMatchObject({ listening: false, bindErrno: Errno.EADDRINUSE });
  });
});
