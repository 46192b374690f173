// 802.1Q vlan devices. The recording host has no 8021q module (CONFIG_VLAN_8021Q is not set: `ip link
// add … type vlan` answers "Error: Unknown device type."), so expectations come from net/8021q
// (vlan_core.c vlan_do_receive, vlan_dev.c, vlan.c vlan_device_event, vlan_netlink.c) and iproute2's
// ip/iplink_vlan.c, as cited per test.

import { describe, expect, it } from 'vitest';
import '../../src/control/all.js';
import { runCommandLine } from '../../src/control/command.js';
import type { FrameTap } from '../../src/net/device.js';
import { VlanDevice } from '../../src/net/devices/vlan.js';
import { Drop } from '../../src/net/drop-reason.js';
import type { Namespace } from '../../src/net/namespace.js';
import { World } from '../../src/net/world.js';
import { Pinger } from './ipv4/helpers.js';

function lab() {
  const world = new World({ seed: 5, check: true });
  const ns = {
    a: world.addNamespace('vl-a'),
    b: world.addNamespace('vl-b'),
    c: world.addNamespace('vl-c'),
  };
  const run = (n: Namespace, line: string) => runCommandLine({ world, ns: n }, line).stdout;
  for (const n of Object.values(ns)) run(n, 'ip link set lo up');
  run(
    ns.a,
    'ip link add eth0 address 02:00:00:00:00:0a type veth peer name eth0 address 02:00:00:00:00:0b netns vl-b',
  );
  for (const [n, i] of [
    [ns.a, 1],
    [ns.b, 2],
  ] as const) {
    run(n, `ip addr add 10.0.0.${i}/24 dev eth0`);
    run(n, 'ip link set eth0 up');
  }
  return { world, ns, run };
}

function ping(world: World, from: Namespace, to: string): boolean {
  const p = new Pinger(from, 4242);
  p.send(to, 1, { df: false });
  world.sim.run({ until: world.sim.now + 3e9 });
  return p.heard.some((h) => h.kind === 'reply');
}

function settle(world: World): void {
  world.sim.run();
  expect(world.frameBalance().inFlight).toBe(world.pool.liveCount);
  expect(world.pool.liveCount).toBe(0);
}

describe('vlan: tagging and isolation by VID', () => {
  it('same VID talks, different VIDs are isolated, untagged stays on the parent', () => {
    const { world, ns, run } = lab();
    run(ns.a, 'ip link add link eth0 name eth0.10 type vlan id 10');
    run(ns.a, 'ip link add link eth0 name eth0.20 type vlan id 20');
    run(ns.b, 'ip link add link eth0 name eth0.10 type vlan id 10');
    run(ns.b, 'ip link add link eth0 name eth0.30 type vlan id 30');
    run(ns.a, 'ip addr add 10.10.0.1/24 dev eth0.10');
    run(ns.a, 'ip addr add 10.20.0.1/24 dev eth0.20');
    run(ns.b, 'ip addr add 10.10.0.2/24 dev eth0.10');
    // Same subnet as a's eth0.20, but on VID 30: the two never meet.
    run(ns.b, 'ip addr add 10.20.0.2/24 dev eth0.30');
    for (const n of [ns.a, ns.b])
      for (const d of n.devices) if (d.name.startsWith('eth0.')) run(n, `ip link set ${d.name} up`);
    const seen: string[] = [];
    const tap: FrameTap = {
      frame(_dev, dir, h) {
        if (dir !== 0) return;
        const u8 = world.pool.bytesOf(h);
        const o = world.pool.start[h]!;
        const t = (u8[o + 12]! << 8) | u8[o + 13]!;
        seen.push(t === 0x8100 ? `vid ${((u8[o + 14]! << 8) | u8[o + 15]!) & 0xfff}` : 'untagged');
      },
    };
    ns.b.device('eth0')!.tap = tap;
    expect(ping(world, ns.a, '10.10.0.2')).toBe(true);
    expect(seen.length).toBeGreaterThan(0);
    expect(new Set(seen)).toEqual(new Set(['vid 10']));
    seen.length = 0;
    const before = world.dropCounts[Drop.OtherHost]!;
    expect(ping(world, ns.a, '10.20.0.2')).toBe(false);
    expect(seen).toContain('vid 20');
    // b has no vlan device for VID 20: PACKET_OTHERHOST, dropped (counted) by the stack.
    expect(world.dropCounts[Drop.OtherHost]!).toBeGreaterThan(before);
    seen.length = 0;
    expect(ping(world, ns.a, '10.0.0.2')).toBe(true);
    expect(seen).toContain('untagged');
    settle(world);
  });

  it('transmit pushes the tag into the headroom: 802.1Q TPID, VID, 18-byte header', () => {
    const { world, ns, run } = lab();
    run(ns.a, 'ip link add link eth0 name eth0.50 type vlan id 50');
    run(ns.a, 'ip addr add 10.50.0.1/24 dev eth0.50');
    run(ns.a, 'ip link set eth0.50 up');
    const frames: Uint8Array[] = [];
    ns.b.device('eth0')!.tap = {
      frame(_d, dir, h) {
        if (dir === 0) frames.push(world.pool.view(h).slice());
      },
    };
    const p = new Pinger(ns.a, 9);
    p.send('10.50.0.9', 1, { df: false });
    world.sim.run({ until: 1e9 });
    const arp = frames[0]!;
    expect([...arp.subarray(0, 6)]).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    // Source MAC: the vlan device took the real device's address (vlan_dev_init).
    expect([...arp.subarray(6, 12)]).toEqual([2, 0, 0, 0, 0, 0x0a]);
    expect([...arp.subarray(12, 18)]).toEqual([0x81, 0x00, 0x00, 0x32, 0x08, 0x06]);
    expect(arp.length).toBe(18 + 28);
    settle(world);
  });

  it('802.1ad (protocol 802.1ad) tags with TPID 0x88a8 and only matches 802.1ad devices', () => {
    const { world, ns, run } = lab();
    run(ns.a, 'ip link add link eth0 name s100 type vlan protocol 802.1ad id 100');
    run(ns.b, 'ip link add link eth0 name q100 type vlan id 100');
    run(ns.a, 'ip addr add 10.100.0.1/24 dev s100');
    run(ns.b, 'ip addr add 10.100.0.2/24 dev q100');
    run(ns.a, 'ip link set s100 up');
    run(ns.b, 'ip link set q100 up');
    expect(ping(world, ns.a, '10.100.0.2')).toBe(false);
    run(ns.b, 'ip link add link eth0 name s100 type vlan protocol 802.1ad id 100');
    run(ns.b, 'ip addr del 10.100.0.2/24 dev q100');
    run(ns.b, 'ip addr add 10.100.0.2/24 dev s100');
    run(ns.b, 'ip link set s100 up');
    expect(ping(world, ns.a, '10.100.0.2')).toBe(true);
    settle(world);
  });

  it('a vlan device is a bridge port; a vlan device on a bridge (br0.10) receives what the bridge passes up', () => {
    const { world, ns, run } = lab();
    run(ns.a, 'ip link add link eth0 name eth0.10 type vlan id 10');
    run(ns.a, 'ip addr add 10.10.0.1/24 dev eth0.10');
    run(ns.a, 'ip link set eth0.10 up');
    // b bridges VID 10 of its trunk to c's untagged access port.
    run(ns.b, 'ip link add link eth0 name eth0.10 type vlan id 10');
    run(ns.b, 'ip link add br0 type bridge');
    run(ns.b, 'ip link set eth0.10 master br0');
    run(ns.b, 'ip link add p1 type veth peer name eth0 netns vl-c');
    run(ns.b, 'ip link set p1 master br0');
    for (const d of ['br0', 'eth0.10', 'p1']) run(ns.b, `ip link set ${d} up`);
    run(ns.c, 'ip addr add 10.10.0.3/24 dev eth0');
    run(ns.c, 'ip link set eth0 up');
    expect(ping(world, ns.c, '10.10.0.1')).toBe(true);
    // A vlan on the bridge device: frames c tags 20 cross the bridge to br0 (br_pass_frame_up) and
    // __netif_receive_skb_core on br0 hands them to br0.20; br0.20's replies leave tagged via p1.
    run(ns.c, 'ip link add link eth0 name eth0.20 type vlan id 20');
    run(ns.c, 'ip addr add 10.20.0.3/24 dev eth0.20');
    run(ns.c, 'ip link set eth0.20 up');
    run(ns.b, 'ip link add link br0 name br0.20 type vlan id 20');
    run(ns.b, 'ip addr add 10.20.0.2/24 dev br0.20');
    run(ns.b, 'ip link set br0.20 up');
    expect(ping(world, ns.c, '10.20.0.2')).toBe(true);
    // VID 20 is not bridged to a's trunk port (eth0.10 is the only port towards a).
    expect(ping(world, ns.c, '10.10.0.1')).toBe(true);
    settle(world);
  });

  it('a vlan device is a macvlan parent (Docker -o parent=eth0.50)', () => {
    const { world, ns, run } = lab();
    run(ns.a, 'ip link add link eth0 name eth0.50 type vlan id 50');
    run(ns.a, 'ip link set eth0.50 up');
    run(ns.a, 'ip link add link eth0.50 name mv0 type macvlan mode bridge');
    run(ns.a, 'ip link set mv0 netns vl-c');
    run(ns.c, 'ip addr add 10.50.0.5/24 dev mv0');
    run(ns.c, 'ip link set mv0 up');
    run(ns.b, 'ip link add link eth0 name eth0.50 type vlan id 50');
    run(ns.b, 'ip addr add 10.50.0.2/24 dev eth0.50');
    run(ns.b, 'ip link set eth0.50 up');
    expect(run(ns.c, 'ip link show mv0')).toContain('mv0@if');
    expect(ping(world, ns.c, '10.50.0.2')).toBe(true);
    expect(ping(world, ns.b, '10.50.0.5')).toBe(true);
    settle(world);
  });
});

describe('vlan: ip link', () => {
  it('ip -d link and -j: protocol, id, flags (iplink_vlan.c vlan_print_opt), minmtu 0, NAME@PARENT', () => {
    const { ns, run } = lab();
    run(ns.a, 'ip link add link eth0 name eth0.50 type vlan id 50');
    const text = run(ns.a, 'ip -d link show eth0.50');
    const lines = text.split('\n');
    expect(lines[0]).toBe(
      '3: eth0.50@eth0: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN mode DEFAULT group default qlen 1000',
    );
    expect(lines[1]).toBe(
      '    link/ether 02:00:00:00:00:0a brd ff:ff:ff:ff:ff:ff promiscuity 0  allmulti 0 minmtu 0 maxmtu 65535 ',
    );
    expect(lines[2]).toBe('    vlan protocol 802.1Q id 50 <REORDER_HDR> ');
    const j = JSON.parse(run(ns.a, 'ip -d -j link show eth0.50'))[0];
    expect(j.link).toBe('eth0');
    expect(j.linkinfo).toEqual({
      info_kind: 'vlan',
      info_data: { protocol: '802.1Q', id: 50, flags: ['REORDER_HDR'] },
    });
    run(
      ns.a,
      'ip link add link eth0 name v7 type vlan id 7 protocol 802.1ad reorder_hdr off loose_binding on',
    );
    expect(run(ns.a, 'ip -d link show v7').split('\n')[2]).toBe(
      '    vlan protocol 802.1ad id 7 <LOOSE_BINDING> ',
    );
    run(ns.a, 'ip link set v7 type vlan loose_binding off');
    expect(run(ns.a, 'ip -d link show v7').split('\n')[2]).toBe('    vlan protocol 802.1ad id 7 <> ');
    expect(JSON.parse(run(ns.a, 'ip -d -j link show v7'))[0].linkinfo.info_data.flags).toEqual([]);
    expect(run(ns.a, 'ip link show type vlan').match(/^\d+: /gm)).toHaveLength(2);
  });

  it('errors in the kernel extack and iproute2 wording', () => {
    const { ns, run } = lab();
    const err = (line: string) => {
      try {
        run(ns.a, line);
      } catch (e) {
        return (e as Error).message;
      }
      return 'no error';
    };
    expect(err('ip link add link eth0 name v type vlan')).toBe(
      'Error: 8021q: VLAN properties not specified.',
    );
    expect(err('ip link add link eth0 name v type vlan protocol 802.1Q')).toBe(
      'Error: 8021q: VLAN id not specified.',
    );
    expect(err('ip link add name v type vlan id 5')).toBe('Error: 8021q: link not specified.');
    expect(err('ip link add link eth0 name v type vlan id 4095')).toBe('Error: 8021q: Invalid VLAN id.');
    expect(err('ip link add link eth0 name v type vlan id x')).toBe(
      'Error: argument "x" is wrong: id is invalid',
    );
    expect(err('ip link add link eth0 name v type vlan id 5 reorder_hdr maybe')).toBe(
      'Error: argument of "reorder_hdr" must be "on" or "off", not "maybe"',
    );
    expect(err('ip link add link eth0 name v type vlan id 5 frob 1')).toBe('vlan: unknown command "frob"?');
    run(ns.a, 'ip link add link eth0 name v5 type vlan id 5');
    expect(err('ip link add link eth0 name w5 type vlan id 5')).toBe(
      'Error: 8021q: VLAN device already exists.',
    );
    // Another protocol is another group: 802.1ad VID 5 is fine.
    expect(err('ip link add link eth0 name s5 type vlan id 5 protocol 802.1ad')).toBe('no error');
    expect(err('ip link set v5 mtu 1501')).toBe('RTNETLINK answers: Numerical result out of range');
    expect(err('ip link set v5 mtu 1400')).toBe('no error');
    expect(err('ip link add link lo name l5 type vlan id 5')).toBe(
      'Error: 8021q: VLANs not supported on device.',
    );
  });

  it('follows the real device: closed with it, opened with it, LOWERLAYERDOWN without carrier, deleted with it', () => {
    const { ns, run, world } = lab();
    run(ns.a, 'ip link add link eth0 name eth0.10 type vlan id 10');
    run(ns.a, 'ip link set eth0 down');
    // vlan_dev_open: -ENETDOWN while the real device is down.
    expect(() => run(ns.a, 'ip link set eth0.10 up')).toThrow('RTNETLINK answers: Network is down');
    run(ns.a, 'ip link set eth0 up');
    run(ns.a, 'ip link set eth0.10 up');
    expect(run(ns.a, 'ip link show eth0.10')).toContain(
      '<BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP',
    );
    // NETDEV_DOWN on the real device closes the vlan device (no loose_binding)…
    run(ns.a, 'ip link set eth0 down');
    expect(run(ns.a, 'ip link show eth0.10')).toContain(
      '<BROADCAST,MULTICAST,M-DOWN> mtu 1500 qdisc noqueue state DOWN',
    );
    // …and NETDEV_UP opens it again.
    run(ns.a, 'ip link set eth0 up');
    expect(ns.a.device('eth0.10')!.adminUp).toBe(true);
    // The real device up without carrier (the veth peer is down): stacked operstate LOWERLAYERDOWN.
    run(ns.b, 'ip link set eth0 down');
    expect(run(ns.a, 'ip link show eth0.10')).toContain(
      '<NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1500 qdisc noqueue state LOWERLAYERDOWN',
    );
    // loose_binding: the vlan stays up when its real device goes down.
    run(ns.a, 'ip link add link eth0 name eth0.11 type vlan id 11 loose_binding on');
    run(ns.a, 'ip link set eth0.11 up');
    run(ns.a, 'ip link set eth0 down');
    expect(ns.a.device('eth0.11')!.adminUp).toBe(true);
    expect(ns.a.device('eth0.10')!.adminUp).toBe(false);
    // MTU: a smaller real MTU lowers the vlan's (NETDEV_CHANGEMTU).
    run(ns.a, 'ip link set eth0 mtu 1400');
    expect(ns.a.device('eth0.10')!.mtu).toBe(1400);
    // Deleting the real device deletes its vlans (NETDEV_UNREGISTER).
    run(ns.a, 'ip link set eth0.10 netns vl-c');
    run(ns.a, 'ip link del eth0');
    expect(ns.a.device('eth0.11')).toBeUndefined();
    expect(ns.c.device('eth0.10')).toBeUndefined();
    expect(world.devices.filter((d) => d instanceof VlanDevice)).toHaveLength(2);
  });
});
