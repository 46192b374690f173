// ipvlan reachability. This kernel has no ipvlan (CONFIG_IPVLAN is not set), so the expectations are
// derived from drivers/net/ipvlan/ipvlan_core.c and Documentation/networking/ipvlan.rst, reasoning
// per case in the comments:
// - l2: slaves share the master's MAC; a slave's broadcast (ARP) reaches its siblings and the wire but
//   never the master itself (ipvlan_xmit_mode_l2 → ipvlan_multicast_enqueue → dev_queue_xmit on the
//   master), so master ↔ slave fails like macvlan's; unicast between slaves is switched by IP
//   (dst MAC == src MAC → ipvlan_addr_lookup → ipvlan_rcv_frame).
// - l3: slaves are NOARP; traffic leaves through the master's namespace routing (ipvlan_process_outbound)
//   and arrives by destination IP (ipvlan_handle_mode_l3). Outside hosts need a route to the slaves'
//   subnet via the master ("routes to the slaves", ipvlan.rst 4.2), and no broadcast or multicast ever
//   reaches a slave.
// - private: slave ↔ slave unicast dropped; vepa: slave ↔ slave goes out the master (a hairpinning
//   switch would be needed, so here it fails).

import { describe, expect, it } from 'vitest';
import '../../src/control/all.js';
import { runCommandLine } from '../../src/control/command.js';
import { IpvlanDevice } from '../../src/net/devices/ipvlan.js';
import { Drop } from '../../src/net/drop-reason.js';
import type { Namespace } from '../../src/net/namespace.js';
import { World } from '../../src/net/world.js';
import { Pinger } from './ipv4/helpers.js';

type Who = 'h' | 'c1' | 'c2' | 'x';

/** h: master eth0 10.1.0.1 wired to x (10.1.0.9); slaves i1/i2 in c1/c2. l3 puts the slaves in 10.2.0.0/24. */
function lab(mode: 'l2' | 'l3' | 'l3s', flag = 'bridge') {
  const world = new World({ seed: 8, check: true });
  const ns = {
    h: world.addNamespace('iv-h'),
    c1: world.addNamespace('iv-c1'),
    c2: world.addNamespace('iv-c2'),
    x: world.addNamespace('iv-x'),
  } as Record<Who, Namespace>;
  const run = (n: Who, line: string) => runCommandLine({ world, ns: ns[n] }, line).stdout;
  for (const n of Object.keys(ns) as Who[]) run(n, 'ip link set lo up');
  run(
    'h',
    'ip link add eth0 address 02:00:00:00:01:01 type veth peer name eth0 address 02:00:00:00:01:09 netns iv-x',
  );
  run('h', 'ip addr add 10.1.0.1/24 dev eth0');
  run('h', 'ip link set eth0 up');
  run('x', 'ip addr add 10.1.0.9/24 dev eth0');
  run('x', 'ip link set eth0 up');
  const net = mode === 'l2' ? '10.1.0' : '10.2.0';
  for (const [c, i] of [
    ['c1', 1],
    ['c2', 2],
  ] as const) {
    run('h', `ip link add link eth0 name i${i} type ipvlan mode ${mode} ${flag}`);
    run('h', `ip link set i${i} netns iv-${c}`);
    run(c, `ip addr add ${net}.1${i}/24 dev i${i}`);
    run(c, `ip link set i${i} up`);
    // Docker's l3 endpoint: a default route through the device, no gateway.
    if (mode !== 'l2') run(c, `ip route add default dev i${i}`);
  }
  if (mode !== 'l2') run('x', 'ip route add 10.2.0.0/24 via 10.1.0.1');
  const addr: Record<Who, string> = { h: '10.1.0.1', x: '10.1.0.9', c1: `${net}.11`, c2: `${net}.12` };
  return { world, ns, run, addr };
}

function reach(mode: 'l2' | 'l3' | 'l3s', flag: string, from: Who, to: Who): boolean {
  const { world, ns, addr } = lab(mode, flag);
  const p = new Pinger(ns[from], 31);
  p.send(addr[to], 1, { df: false });
  world.sim.run({ until: 3e9 });
  const ok = p.heard.some((h) => h.kind === 'reply');
  world.sim.run();
  expect(world.frameBalance().inFlight).toBe(world.pool.liveCount);
  expect(world.pool.liveCount).toBe(0);
  return ok;
}

const MATRIX: Record<string, [Who, Who, boolean][]> = {
  'l2 bridge': [
    ['c1', 'c2', true],
    ['c2', 'c1', true],
    ['c1', 'x', true],
    ['x', 'c2', true],
    ['c1', 'h', false],
    ['h', 'c1', false],
    ['x', 'h', true],
  ],
  'l2 private': [
    ['c1', 'c2', false],
    ['c1', 'x', true],
    ['x', 'c1', true],
    ['h', 'c2', false],
  ],
  'l2 vepa': [
    ['c1', 'c2', false],
    ['c1', 'x', true],
    ['x', 'c2', true],
  ],
  'l3 bridge': [
    ['c1', 'c2', true],
    ['c1', 'x', true],
    ['x', 'c1', true],
    ['x', 'c2', true],
    // The master owns 10.1.0.1 but has no route back to 10.2.0.0/24.
    ['c1', 'h', false],
  ],
  'l3 private': [
    ['c1', 'c2', false],
    ['c2', 'x', true],
  ],
  'l3s bridge': [
    ['c1', 'c2', true],
    ['x', 'c1', true],
  ],
};

describe('ipvlan reachability (derived from ipvlan_core.c; no ipvlan on the recording kernel)', () => {
  for (const [name, rows] of Object.entries(MATRIX)) {
    it(name, () => {
      const [mode, flag] = name.split(' ') as ['l2' | 'l3' | 'l3s', string];
      for (const [from, to, want] of rows) {
        expect(`${name}: ${from} -> ${to} ${reach(mode, flag, from, to)}`).toBe(
          `${name}: ${from} -> ${to} ${want}`,
        );
      }
    });
  }

  it('l3: no broadcast reaches a slave; a slave broadcast is dropped; ARP for a slave is unanswered', () => {
    const { world, ns, run } = lab('l3');
    // x ARPs for a slave's address (no route this time, on-link): the frame reaches the slave, which is
    // NOARP and ignores it; the master does not answer for it either.
    run('x', 'ip route del 10.2.0.0/24');
    run('x', 'ip route add 10.2.0.0/24 dev eth0');
    const p = new Pinger(ns.x, 5);
    p.send('10.2.0.11', 1, { df: false });
    world.sim.run({ until: 5e9 });
    expect(p.heard.some((x) => x.kind === 'reply')).toBe(false);
    expect(run('x', 'ip neigh show 10.2.0.11')).toMatch(/FAILED|INCOMPLETE/);
    // ARP for the master's own address is the master's to answer.
    const q = new Pinger(ns.x, 6);
    q.send('10.1.0.1', 1, { df: false });
    world.sim.run({ until: world.sim.now + 3e9 });
    expect(q.heard.some((h) => h.kind === 'reply')).toBe(true);
    // A slave's broadcast: ipvlan_process_outbound refuses it.
    const before = world.dropCounts[Drop.NotDeliverable]!;
    const b = new Pinger(ns.c1, 7);
    b.send('255.255.255.255', 1, { df: false });
    world.sim.run({ until: world.sim.now + 1e9 });
    expect(world.dropCounts[Drop.NotDeliverable]!).toBeGreaterThan(before);
    world.sim.run();
    expect(world.pool.liveCount).toBe(0);
  });

  it('l2: an outside broadcast reaches every slave and the master', () => {
    const { world, ns } = lab('l2');
    const rx = (n: Namespace, dev: string) => world.counters.rxPackets[n.device(dev)!.id]!;
    const b1 = rx(ns.c1, 'i1');
    const b2 = rx(ns.c2, 'i2');
    const p = new Pinger(ns.x, 9);
    // x's ARP request for a slave is a broadcast: both slaves get a copy.
    p.send('10.1.0.12', 1, { df: false });
    world.sim.run({ until: 1e9 });
    expect(rx(ns.c1, 'i1')).toBeGreaterThan(b1);
    expect(rx(ns.c2, 'i2')).toBeGreaterThan(b2);
    world.sim.run();
  });
});

describe('ipvlan: ip link', () => {
  it('children share the parent MAC; l3 children are NOARP once up; -d shows the port mode and flag', () => {
    const world = new World({ seed: 1 });
    const h = world.addNamespace('ivl');
    const run = (l: string) => runCommandLine({ world, ns: h }, l).stdout;
    run('ip link add eth0 address 02:00:00:00:02:01 type veth peer name p0');
    run('ip link add link eth0 name iv0 type ipvlan mode l3');
    const iv = h.device('iv0') as IpvlanDevice;
    expect(iv).toBeInstanceOf(IpvlanDevice);
    expect(run('ip link show iv0')).toContain('iv0@eth0: <BROADCAST,MULTICAST,M-DOWN> mtu 1500');
    expect(run('ip link show iv0')).toContain('link/ether 02:00:00:00:02:01');
    run('ip link set eth0 up');
    run('ip link set p0 up');
    run('ip link set iv0 up');
    expect(run('ip link show iv0')).toContain('<BROADCAST,MULTICAST,NOARP,UP,LOWER_UP>');
    expect(run('ip -d link show iv0').split('\n')[2]).toBe('    ipvlan  mode l3 bridge ');
    // Mode and flag are the port's: the latest child wins for all (ipvlan_link_new).
    run('ip link add link eth0 name iv1 type ipvlan mode l2 private');
    expect(run('ip -d link show iv0').split('\n')[2]).toBe('    ipvlan  mode l2 private ');
    expect(run('ip link show iv0')).toContain('<BROADCAST,MULTICAST,UP,LOWER_UP>');
    expect(JSON.parse(run('ip -d -j link show iv1'))[0].linkinfo).toEqual({
      info_kind: 'ipvlan',
      info_data: { mode: 'l2', private: true },
    });
    // Default mode is l3 (ipvlan_link_new: u16 mode = IPVLAN_MODE_L3).
    run('ip link add link eth0 name iv2 type ipvlan');
    expect(run('ip -d link show iv2').split('\n')[2]).toBe('    ipvlan  mode l3 private ');
  });

  it('errors: busy parent, loopback, bad mode, sibling address', () => {
    const world = new World({ seed: 1 });
    const h = world.addNamespace('ive');
    const run = (l: string) => runCommandLine({ world, ns: h }, l).stdout;
    const err = (l: string) => {
      try {
        run(l);
      } catch (e) {
        return (e as Error).message;
      }
      return 'no error';
    };
    run('ip link add eth0 type veth peer name p0');
    run('ip link add link p0 name mv type macvlan');
    expect(err('ip link add link p0 name iv type ipvlan')).toBe('RTNETLINK answers: Device or resource busy');
    expect(err('ip link add link lo name iv type ipvlan')).toBe('RTNETLINK answers: Invalid argument');
    expect(err('ip link add link eth0 name iv type ipvlan mode l4')).toBe(
      'Error: argument of "mode" must be either "l2", "l3" or "l3s"',
    );
    run('ip link add link eth0 name iva type ipvlan mode l2');
    run('ip link add link eth0 name ivb type ipvlan mode l2');
    run('ip addr add 10.3.0.5/24 dev iva');
    expect(err('ip addr add 10.3.0.5/24 dev ivb')).toBe(
      'Error: Address already assigned to an ipvlan device.',
    );
    expect(err('ip addr add 10.3.0.5/24 dev iva')).toBe('Error: ipv4: Address already assigned.');
    // Deleting the parent deletes the children (ipvlan_device_event NETDEV_UNREGISTER).
    run('ip link del eth0');
    expect(h.device('iva')).toBeUndefined();
  });
});
