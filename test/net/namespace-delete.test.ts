// World.deleteNamespace (cleanup_net): the namespace's own devices are unregistered, it leaves the
// world's lists, its conntrack table is freed, its sockets reach nothing, and timers that still carry
// its id find nothing to do.
import { describe, expect, it } from 'vitest';
import '../../src/control/all.js';
import { runCommandLine } from '../../src/control/command.js';
import { transportOf } from '../../src/net/transport/transport.js';
import { World } from '../../src/net/world.js';
import { conntrackIfAny } from '../../src/netfilter/conntrack/conntrack.js';
import { parseIpv4 } from '../../src/wire/ipv4-address.js';

function pair() {
  const world = new World({ seed: 1 });
  const a = world.addNamespace('a');
  const b = world.addNamespace('b');
  const run = (ns: typeof a, l: string) => runCommandLine({ world, ns }, l).stdout;
  run(a, 'ip link add eth0 type veth peer name eth0 netns b');
  run(a, 'ip addr add 10.0.0.1/24 dev eth0');
  run(a, 'ip link set eth0 up');
  run(b, 'ip addr add 10.0.0.2/24 dev eth0');
  run(b, 'ip link set eth0 up');
  return { world, a, b, run };
}

describe('deleteNamespace', () => {
  it('leaves the world, frees its name and id, and takes its devices along', () => {
    const { world, a, b, run } = pair();
    run(b, 'ip link add dummy0 type dummy');
    run(b, 'ip link del eth0'); // the veth goes first, as Docker deletes it before the sandbox
    const devs = b.devices.slice();
    world.deleteNamespace(b);
    expect(world.namespace('b')).toBeUndefined();
    expect(world.namespaceById(b.id)).toBeUndefined();
    expect(world.namespaces).toEqual([a]);
    expect(b.devices).toEqual([]);
    for (const d of devs) expect(d.adminUp).toBe(false);
    expect(() => world.deleteNamespace(b)).toThrow('No such file or directory');
    // The name can be used again; the new namespace gets a new id.
    const b2 = world.addNamespace('b');
    expect(b2.id).not.toBe(b.id);
    expect(run(a, 'ip -br link')).toBe('lo               DOWN           00:00:00:00:00:00 <LOOPBACK> \n');
  });

  it('frees its conntrack table and lets pending TCP timers find nothing', () => {
    const { world, a, b, run } = pair();
    run(b, 'iptables -t nat -A POSTROUTING -j ACCEPT'); // conntrack in b
    // A connection from b to a closed port of a: SYN, RST back; a SYN to nowhere keeps a timer.
    const t = transportOf(b).tcp;
    const c = t.connect(parseIpv4('10.0.0.9'), 80, { onConnect() {}, onData() {} } as never);
    expect(typeof c).not.toBe('number');
    world.sim.run({ until: 10_000_000 });
    expect(conntrackIfAny(b)?.liveRows().length).toBeGreaterThan(0);
    run(b, 'ip link del eth0');
    world.deleteNamespace(b);
    expect(conntrackIfAny(b)).toBeUndefined();
    // The SYN retransmission timer fires for a namespace that is gone: nothing happens.
    world.sim.run({ until: 60_000_000_000 });
    expect(world.frameBalance().inFlight).toBe(world.pool.liveCount);
  });
});
