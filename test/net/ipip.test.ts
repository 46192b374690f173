// IPv4-in-IPv4 tunnels (`type ipip`) and the fallback device tunl0. The recording host has no ipip
// module (CONFIG_NET_IPIP is not set: `ip link add t0 type ipip …` answers "Error: Unknown device
// type."), so expectations come from net/ipv4/ipip.c, ip_tunnel.c (ip_tunnel_lookup, ip_tunnel_xmit,
// tnl_update_pmtu, ip_tunnel_rcv, ip_tunnel_bind_dev, ip_tunnel_init_net), tunnel4.c (tunnel4_rcv) and
// iproute2's ip/link_iptnl.c (iptunnel_parse_opt, iptunnel_print_opt), as cited per test.

import { describe, expect, it } from 'vitest';
import '../../src/control/all.js';
import { type CommandError, runCommandLine } from '../../src/control/command.js';
import type { FrameTap } from '../../src/net/device.js';
import { type IpipDevice, ipipFallback, ipipLookup } from '../../src/net/devices/ipip.js';
import type { Namespace } from '../../src/net/namespace.js';
import { World } from '../../src/net/world.js';
import { csumFull } from '../../src/wire/checksum.js';
import { Pinger } from './ipv4/helpers.js';

function lab() {
  const world = new World({ seed: 7, check: true });
  const ns = { a: world.addNamespace('ip-a'), b: world.addNamespace('ip-b') };
  const run = (n: Namespace, line: string) => runCommandLine({ world, ns: n }, line).stdout;
  for (const n of Object.values(ns)) run(n, 'ip link set lo up');
  run(ns.a, 'ip link add eth0 type veth peer name eth0 netns ip-b');
  for (const [n, i] of [
    [ns.a, 1],
    [ns.b, 2],
  ] as const) {
    run(n, `ip addr add 10.0.0.${i}/24 dev eth0`);
    run(n, 'ip link set eth0 up');
  }
  return { world, ns, run };
}

/** Both ends of a point-to-point tunnel with 192.168.1.{1,2}/24 inside. */
function tunnelLab(aOpts = '', bOpts = '') {
  const l = lab();
  const { ns, run } = l;
  run(ns.a, `ip link add t0 type ipip remote 10.0.0.2 local 10.0.0.1 ${aOpts}`.trim());
  run(ns.b, `ip link add t0 type ipip remote 10.0.0.1 local 10.0.0.2 ${bOpts}`.trim());
  run(ns.a, 'ip addr add 192.168.1.1/24 dev t0');
  run(ns.b, 'ip addr add 192.168.1.2/24 dev t0');
  run(ns.a, 'ip link set t0 up');
  run(ns.b, 'ip link set t0 up');
  return l;
}

function ping(world: World, from: Namespace, to: string, df = false): Pinger {
  const p = new Pinger(from, 4242);
  p.send(to, 1, { df });
  world.sim.run({ until: world.sim.now + 3e9 });
  return p;
}

function settle(world: World): void {
  world.sim.run();
  expect(world.frameBalance().inFlight).toBe(world.pool.liveCount);
  expect(world.pool.liveCount).toBe(0);
  expect(world.pool.leaks()).toEqual([]);
}

/** Captures the bytes of frames received on a device (dir 0). */
function capture(world: World, ns: Namespace, dev: string): number[][] {
  const seen: number[][] = [];
  const tap: FrameTap = {
    frame(_d, dir, h) {
      if (dir !== 0) return;
      const u8 = world.pool.bytesOf(h);
      const o = world.pool.start[h]!;
      seen.push([...u8.subarray(o, o + world.pool.len[h]!)]);
    },
  };
  ns.device(dev)!.tap = tap;
  return seen;
}

function counters(world: World, ns: Namespace, dev: string) {
  const d = ns.device(dev)!;
  return { rx: world.counters.rxPackets[d.id]!, tx: world.counters.txPackets[d.id]! };
}

describe('ipip: ip link', () => {
  it('creates the device with link/ipip addresses, MTU 1480 and iproute2 details; tunl0 appears first', () => {
    const { ns, run } = lab();
    run(ns.a, 'ip link add t0 type ipip remote 10.0.0.2 local 10.0.0.1');
    // ip_tunnel_init_net (module load, before the new device): tunl0, then t0.
    const out = run(ns.a, 'ip -d link show');
    expect(out).toContain(
      '3: tunl0@NONE: <NOARP> mtu 1480 qdisc noop state DOWN mode DEFAULT group default qlen 1000\n' +
        '    link/ipip 0.0.0.0 brd 0.0.0.0 promiscuity 0  allmulti 0 minmtu 0 maxmtu 0 \n' +
        '    ipip any remote any local any ttl inherit nopmtudisc \n',
    );
    expect(out).toContain(
      '4: t0@NONE: <POINTOPOINT,NOARP> mtu 1480 qdisc noop state DOWN mode DEFAULT group default qlen 1000\n' +
        '    link/ipip 10.0.0.1 peer 10.0.0.2 promiscuity 0  allmulti 0 minmtu 68 maxmtu 65515 \n' +
        '    ipip ipip remote 10.0.0.2 local 10.0.0.1 ttl inherit pmtudisc \n',
    );
    // Every namespace gets its own tunl0 once the module is loaded (pernet init), later ones too.
    expect(run(ns.b, 'ip link show tunl0')).toContain('tunl0@NONE: <NOARP>');
    const late = ns.a.world.addNamespace('ip-late');
    expect(ipipFallback(late)).not.toBeNull();
    run(ns.a, 'ip link set t0 up');
    expect(run(ns.a, 'ip link show t0')).toContain(
      't0@NONE: <POINTOPOINT,NOARP,UP,LOWER_UP> mtu 1480 qdisc noqueue state UNKNOWN',
    );
    const j = JSON.parse(run(ns.a, 'ip -d -j link show t0'))[0];
    expect(j.link).toBeNull();
    expect(j.link_type).toBe('ipip');
    expect(j.address).toBe('10.0.0.1');
    expect(j.link_pointtopoint).toBe(true);
    expect(j.broadcast).toBe('10.0.0.2');
    expect(j.linkinfo.info_data).toEqual({
      proto: 'ipip',
      remote: '10.0.0.2',
      local: '10.0.0.1',
      ttl: 0,
      pmtudisc: true,
    });
  });

  it('prints dev, ttl and tos words; refuses duplicates (tunl0 included) and bad arguments', () => {
    const { ns, run } = lab();
    run(ns.a, 'ip link add t1 type ipip remote 10.0.0.2 dev eth0 ttl 10 tos inherit');
    expect(run(ns.a, 'ip -d link show t1')).toContain(
      '    ipip ipip remote 10.0.0.2 local any dev eth0 ttl 10 tos inherit pmtudisc \n',
    );
    expect(run(ns.a, 'ip link show t1')).toContain('t1@eth0:');
    const err = (line: string) => {
      try {
        run(ns.a, line);
      } catch (e) {
        return (e as CommandError).message;
      }
      return '';
    };
    // ip_tunnel_find: same (local, remote, link) → EEXIST; tunl0 holds (any, any, none).
    expect(err('ip link add t2 type ipip remote 10.0.0.2 dev eth0')).toBe('RTNETLINK answers: File exists');
    expect(err('ip link add t3 type ipip')).toBe('RTNETLINK answers: File exists');
    expect(err('ip link add t4 type ipip remote 10.0.0.2 ttl 300')).toBe(
      'Error: argument "300" is wrong: invalid TTL',
    );
    expect(err('ip link add t4 type ipip remote 10.0.0.2 ttl 5 nopmtudisc')).toBe(
      'ttl != 0 and nopmtudisc are incompatible',
    );
    expect(err('ip link add t4 type ipip remote 10.0.0.2 dev nope')).toBe('Cannot find device "nope"');
    expect(err('ip link set t1 mtu 65516')).toBe('Error: mtu greater than device maximum.');
    run(ns.a, 'ip link set t1 mtu 65515');
  });

  it('modprobe ipip creates tunl0 everywhere without any ipip device', () => {
    const { ns, run } = lab();
    expect(ipipFallback(ns.b)).toBeNull();
    run(ns.a, 'modprobe ipip');
    expect(run(ns.b, 'ip link show tunl0')).toContain('link/ipip 0.0.0.0 brd 0.0.0.0');
  });
});

describe('ipip: encapsulation and decapsulation', () => {
  it('pushes an outer header with the tunnel endpoints, inherited TTL, DF from pmtudisc, valid checksum', () => {
    const { world, ns } = tunnelLab();
    const wire = capture(world, ns.b, 'eth0');
    const p = ping(world, ns.a, '192.168.1.2');
    expect(p.heard.some((h) => h.kind === 'reply')).toBe(true);
    const outer = wire.find((f) => f[12] === 0x08 && f[13] === 0x00 && f[14 + 9] === 4)!;
    expect(outer).toBeDefined();
    const o = 14;
    const inner = o + 20;
    expect(outer[o]).toBe(0x45);
    expect((outer[o + 2]! << 8) | outer[o + 3]!).toBe(outer.length - 14);
    expect((outer[o + 2]! << 8) | outer[o + 3]!).toBe(((outer[inner + 2]! << 8) | outer[inner + 3]!) + 20);
    expect(outer[o + 6]! & 0x40).toBe(0x40); // pmtudisc: IP_DF in parms.iph.frag_off
    expect(outer[inner + 6]! & 0x40).toBe(0); // the inner ping did not set DF
    expect(outer[o + 8]).toBe(outer[inner + 8]); // ttl inherit: the inner TTL
    expect(outer[o + 8]).toBe(64);
    expect(outer[o + 9]).toBe(4);
    expect(outer.slice(o + 12, o + 20)).toEqual([10, 0, 0, 1, 10, 0, 0, 2]);
    expect(csumFull(Uint8Array.from(outer), o, 20)).toBe(0);
    expect(outer.slice(inner + 12, inner + 20)).toEqual([192, 168, 1, 1, 192, 168, 1, 2]);
    expect(outer[inner + 9]).toBe(1); // ICMP inside
    // Received (decapsulated) on b's t0 and sent back through it.
    expect(counters(world, ns.b, 't0')).toEqual({ rx: 1, tx: 1 });
    expect(counters(world, ns.b, 'tunl0')).toEqual({ rx: 0, tx: 0 });
    settle(world);
  });

  it('a fixed ttl and nopmtudisc shape the outer header; an inner DF is copied', () => {
    const { world, ns } = tunnelLab('ttl 9', 'nopmtudisc');
    const wireB = capture(world, ns.b, 'eth0');
    const wireA = capture(world, ns.a, 'eth0');
    expect(ping(world, ns.a, '192.168.1.2').heard.some((h) => h.kind === 'reply')).toBe(true);
    const req = wireB.find((f) => f[14 + 9] === 4)!;
    expect(req[14 + 8]).toBe(9);
    expect(req[14 + 6]! & 0x40).toBe(0x40);
    const rep = wireA.find((f) => f[14 + 9] === 4)!;
    expect(rep[14 + 6]! & 0x40).toBe(0); // nopmtudisc and the echo reply without DF
    expect(rep[14 + 8]).toBe(rep[34 + 8]);
    settle(world);
  });

  it('an inner DF packet larger than the route MTU − 20 gets fragmentation needed (tnl_update_pmtu)', () => {
    const { world, ns, run } = tunnelLab();
    run(ns.a, 'ip link set t0 mtu 1500');
    const p = new Pinger(ns.a, 77);
    p.send('192.168.1.2', 1, { df: true, payload: 1462 });
    world.sim.run({ until: world.sim.now + 3e9 });
    const e = p.heard.find((h) => h.kind !== 'reply');
    expect(e?.type).toBe(3);
    expect(e?.code).toBe(4);
    expect(e?.info).toBe(1480);
    settle(world);
  });
});

describe('ipip: ip_tunnel_lookup precedence and the fallback', () => {
  it('exact endpoints, then remote only, then local only; a tunnel bound to the receiving link wins', () => {
    const { world, ns, run } = lab();
    run(ns.b, 'ip link add exact type ipip remote 10.0.0.1 local 10.0.0.2');
    run(ns.b, 'ip link add ronly type ipip remote 10.0.0.1');
    run(ns.b, 'ip link add lonly type ipip local 10.0.0.2');
    run(ns.b, 'ip link add bound type ipip local 10.0.0.2 dev eth0');
    const eth0 = ns.b.device('eth0')!.ifindex;
    const R = (10 << 24) | 1;
    const L = (10 << 24) | 2;
    const get = (n: string) => ns.b.device(n) as IpipDevice;
    // Nothing is up: no tunnel, not even tunl0.
    expect(ipipLookup(ns.b, eth0, R, L)).toBeNull();
    run(ns.b, 'ip link set tunl0 up');
    expect(ipipLookup(ns.b, eth0, R, L)).toBe(ipipFallback(ns.b));
    run(ns.b, 'ip link set lonly up');
    expect(ipipLookup(ns.b, eth0, R, L)).toBe(get('lonly'));
    run(ns.b, 'ip link set ronly up');
    expect(ipipLookup(ns.b, eth0, R, L)).toBe(get('ronly'));
    run(ns.b, 'ip link set exact up');
    expect(ipipLookup(ns.b, eth0, R, L)).toBe(get('exact'));
    // A tunnel bound to the receiving device returns at once in whichever pass matches it; the
    // better-matching unbound ones of earlier passes were only candidates.
    run(ns.b, 'ip link set bound up');
    expect(ipipLookup(ns.b, eth0, R, L)).toBe(get('bound'));
    // Bound to another device, it is only a candidate again.
    expect(ipipLookup(ns.b, eth0 + 100, R, L)).toBe(get('exact'));
    // Another sender matches only what has no remote (or the fallback).
    expect(ipipLookup(ns.b, eth0, (10 << 24) | 9, L)).toBe(get('bound'));
    expect(ipipLookup(ns.b, eth0, (10 << 24) | 9, (10 << 24) | 7)).toBe(ipipFallback(ns.b));
    settle(world);
  });

  it('tunl0 takes unmatched IPIP packets when up; when down the sender gets port unreachable', () => {
    const { world, ns, run } = lab();
    run(ns.a, 'ip link add t0 type ipip remote 10.0.0.2 local 10.0.0.1');
    run(ns.a, 'ip addr add 192.168.1.1/24 dev t0');
    run(ns.a, 'ip link set t0 up');
    // b: only the fallback, holding the inner destination; rp_filter 0 (the netsim default).
    run(ns.b, 'ip addr add 192.168.1.2/32 dev tunl0');
    const wireA = capture(world, ns.a, 'eth0');
    let p = ping(world, ns.a, '192.168.1.2');
    // tunl0 is down: tunnel4_rcv answers ICMP port unreachable quoting the outer packet.
    expect(p.heard.some((h) => h.kind === 'reply')).toBe(false);
    const icmp = wireA.find((f) => f[14 + 9] === 1 && f[34] === 3 && f[35] === 3);
    expect(icmp).toBeDefined();
    expect(icmp![34 + 8 + 9]).toBe(4); // the quoted header is the outer IPIP one
    run(ns.b, 'ip link set tunl0 up');
    p = ping(world, ns.a, '192.168.1.2');
    // The reply leaves b by its normal route (eth0 has no route to 192.168.1.1: add one via a).
    expect(counters(world, ns.b, 'tunl0').rx).toBe(1);
    expect(p.heard.some((h) => h.kind === 'reply')).toBe(false);
    run(ns.b, 'ip route add 192.168.1.0/24 via 10.0.0.1');
    run(ns.a, 'sysctl -w net.ipv4.conf.all.rp_filter=0');
    p = ping(world, ns.a, '192.168.1.2');
    expect(p.heard.some((h) => h.kind === 'reply')).toBe(true);
    expect(counters(world, ns.b, 'tunl0').rx).toBe(2);
    settle(world);
  });
});
