// Bridge data plane: behaviour checked against Linux 6.18 in namespaces (see docs in
// src/net/devices/bridge.ts; the raw-frame experiments are summarised in each test's comment).

import { afterEach, describe, expect, it } from 'vitest';
import { type BridgePort, PortState } from '../../src/net/devices/bridge.js';
import { FdbFlag } from '../../src/net/devices/fdb.js';
import { Drop } from '../../src/net/drop-reason.js';
import { PktType } from '../../src/net/pkt-type.js';
import type { World } from '../../src/net/world.js';
import { macToString } from '../../src/wire/mac.js';
import { expectBalanced, type Lab, makeLab } from './bridge-helpers.js';

const A = '02:00:00:00:00:0a';
const B = '02:00:00:00:00:0b';
const X = '02:00:00:00:00:99';
const BCAST = 'ff:ff:ff:ff:ff:ff';

let current: World | null = null;
function lab(n: number, opts?: Parameters<typeof makeLab>[1]): Lab {
  const l = makeLab(n, opts);
  current = l.world;
  return l;
}
afterEach(() => {
  if (current !== null) expectBalanced(current);
  current = null;
});

function portOfName(l: Lab, name: string): BridgePort {
  return l.host.device(name)!.rxHandler as BridgePort;
}

describe('bridge forwarding', () => {
  it('floods unknown unicast to every port but the ingress, and not up to the host', () => {
    const l = lab(3);
    l.send(0, X, A);
    expect(l.take('c0')).toEqual([]);
    expect(l.take('c1').map((s) => [s.dst, s.pktType])).toEqual([[X, PktType.OtherHost]]);
    expect(l.take('c2').length).toBe(1);
    expect(l.take('host')).toEqual([]);
  });

  it('learns the source, then forwards known unicast to that port only', () => {
    const l = lab(3);
    l.send(0, BCAST, A);
    l.take('c1');
    l.take('c2');
    l.take('host');
    l.send(1, A, B);
    expect(l.take('c0').map((s) => s.src)).toEqual([B]);
    expect(l.take('c2')).toEqual([]);
    expect(l.take('host')).toEqual([]);
    const fdb = l.br.fdb;
    const slot = fdb.find(0x0200, 0x0a, 0);
    expect(fdb.port[slot]).toBe(portOfName(l, 'v0').portNo);
  });

  it('floods broadcast to all other ports and passes a copy up to br0', () => {
    const l = lab(3);
    l.send(2, BCAST, A);
    expect(l.take('c0').length).toBe(1);
    expect(l.take('c1').length).toBe(1);
    expect(l.take('c2')).toEqual([]);
    const up = l.take('host');
    expect(up.map((s) => [s.dev, s.pktType])).toEqual([['br0', PktType.Broadcast]]);
  });

  it('floods multicast and passes it up (no snooping querier)', () => {
    const l = lab(2);
    l.send(0, '01:00:5e:01:02:03', A);
    expect(l.take('c1').map((s) => s.pktType)).toEqual([PktType.Multicast]);
    expect(l.take('host').map((s) => s.pktType)).toEqual([PktType.Multicast]);
  });

  it('delivers frames for the bridge address (and port addresses) to br0, counting rx without the header', () => {
    const l = lab(2);
    const brMac = macToString(l.br.macHi, l.br.macLo);
    const before = l.world.counters.rxBytes[l.br.id]!;
    l.send(0, brMac, A, 60);
    expect(l.take('host').map((s) => [s.dev, s.pktType])).toEqual([['br0', PktType.Host]]);
    expect(l.take('c1')).toEqual([]);
    expect(l.world.counters.rxBytes[l.br.id]! - before).toBe(46);
    // A port's own address is a local entry too: up to br0, where it is someone else's MAC.
    const other = ['v0', 'v1'].map((n) => l.host.device(n)!).find((d) => d.macLo !== l.br.macLo)!;
    l.send(0, macToString(other.macHi, other.macLo), A);
    expect(l.take('host').map((s) => s.pktType)).toEqual([PktType.OtherHost]);
  });

  it('drops frames with a multicast or zero source MAC', () => {
    const l = lab(2);
    l.send(0, BCAST, '03:00:00:00:00:01');
    l.send(0, BCAST, '00:00:00:00:00:00');
    expect(l.take('c1')).toEqual([]);
    expect(l.take('host')).toEqual([]);
    expect(l.world.dropCounts[Drop.MacInvalidSource]).toBe(2);
  });

  it('hairpin off: a frame for a MAC learned on the ingress port is dropped; on: it goes back', () => {
    const l = lab(2);
    l.send(0, BCAST, A); // A learned on v0
    l.take('c1');
    l.take('host');
    l.send(0, A, '02:00:00:00:00:0d');
    expect(l.take('c0')).toEqual([]);
    expect(l.world.dropCounts[Drop.BridgeNoPort]).toBe(1);
    l.run(l.host, 'bridge link set dev v0 hairpin on');
    l.send(0, A, '02:00:00:00:00:0d');
    expect(l.take('c0').length).toBe(1);
    // Broadcast with hairpin on: the sender gets its own frame back too (as on Linux).
    l.send(0, BCAST, '02:00:00:00:00:0d');
    expect(l.take('c0').length).toBe(1);
    expect(l.take('c1').length).toBe(1);
    expect(l.take('host').length).toBe(1);
  });

  it('`ip link set dev X type bridge_slave hairpin on` is `bridge link set dev X hairpin on`', () => {
    const l = lab(2);
    l.send(0, BCAST, A);
    l.take('c1');
    l.take('host');
    l.run(l.host, 'ip link set dev v0 type bridge_slave hairpin on');
    expect(l.run(l.host, 'bridge -d link show dev v0')).toContain('hairpin on');
    l.send(0, A, '02:00:00:00:00:0d');
    expect(l.take('c0').length).toBe(1);
    l.run(l.host, 'ip link set dev v0 type bridge_slave hairpin off');
    expect(l.run(l.host, 'bridge -d link show dev v0')).toContain('hairpin off');
    l.send(0, A, '02:00:00:00:00:0d');
    expect(l.take('c0')).toEqual([]);
    expect(l.world.dropCounts[Drop.BridgeNoPort]).toBe(1);
  });

  it('isolated ports do not talk to each other but do talk to non-isolated ones', () => {
    const l = lab(3);
    l.run(l.host, 'bridge link set dev v0 isolated on');
    l.run(l.host, 'bridge link set dev v1 isolated on');
    l.send(0, BCAST, A);
    expect(l.take('c1')).toEqual([]);
    expect(l.take('c2').length).toBe(1);
    l.send(2, BCAST, B);
    expect(l.take('c0').length).toBe(1);
    expect(l.take('c1').length).toBe(1);
  });

  it('flood off stops unknown unicast but not broadcast; learning off stops learning', () => {
    const l = lab(2);
    l.run(l.host, 'ip link set v1 type bridge_slave flood off learning off');
    l.send(0, X, A);
    expect(l.take('c1')).toEqual([]);
    l.send(0, BCAST, A);
    expect(l.take('c1').length).toBe(1);
    l.send(1, BCAST, B);
    expect(l.br.fdb.find(0x0200, 0x0b, 0)).toBe(-1);
    expect(l.br.fdb.find(0x0200, 0x0a, 0)).toBeGreaterThanOrEqual(0);
  });

  it('ages entries: past ageing_time the entry is unusable and the next frame floods', () => {
    const l = lab(3, { bridgeArgs: 'ageing_time 500' }); // 5 s
    l.send(0, BCAST, A);
    l.take('c1');
    l.take('c2');
    l.take('host');
    l.send(1, A, B);
    expect(l.take('c2')).toEqual([]);
    expect(l.take('c0').length).toBe(1);
    // B was learned at the same time; run 5 s of simulated time: the collector removes both.
    const fdb = l.br.fdb;
    l.world.sim.run({ until: l.world.sim.now + 4_999_000_000 });
    expect(fdb.lookup(0x0200, 0x0a, 0, l.world.sim.now)).toBeGreaterThanOrEqual(0);
    l.world.sim.run({ until: l.world.sim.now + 2_000_000 });
    expect(fdb.find(0x0200, 0x0a, 0)).toBe(-1);
    l.send(1, A, B);
    expect(l.take('c0').length).toBe(1);
    expect(l.take('c2').length).toBe(1);
  });

  it('an expired entry is not used even before the collector ran (lazy expiry, __br_fdb_get)', () => {
    const l = lab(2);
    const fdb = l.br.fdb;
    fdb.learn(0x0200, 0x0a, 0, 1, 0);
    expect(fdb.lookup(0x0200, 0x0a, 0, 300e9 - 1)).toBeGreaterThanOrEqual(0);
    expect(fdb.lookup(0x0200, 0x0a, 0, 300e9)).toBe(-1);
  });

  it('ageing_time 0 disables learning (every frame floods)', () => {
    const l = lab(2, { bridgeArgs: 'ageing_time 0' });
    l.send(0, BCAST, A);
    expect(l.br.fdb.find(0x0200, 0x0a, 0)).toBe(-1);
    l.take('c1');
    l.take('host');
  });

  it('static entries move on learning, permanent and sticky ones do not (Linux 6.18)', () => {
    const l = lab(2);
    l.run(l.host, 'bridge fdb add 02:00:00:00:00:0b dev v0 master static');
    l.run(l.host, 'bridge fdb add 02:00:00:00:00:0c dev v0 master permanent');
    l.run(l.host, 'bridge fdb add 02:00:00:00:00:0e dev v0 master sticky static');
    for (const src of ['02:00:00:00:00:0b', '02:00:00:00:00:0c', '02:00:00:00:00:0e']) l.send(1, BCAST, src);
    const fdb = l.br.fdb;
    const v0 = portOfName(l, 'v0').portNo;
    const v1 = portOfName(l, 'v1').portNo;
    expect(fdb.port[fdb.find(0x0200, 0x0b, 0)]).toBe(v1);
    expect(fdb.flags[fdb.find(0x0200, 0x0b, 0)]! & FdbFlag.Static).toBeTruthy();
    expect(fdb.port[fdb.find(0x0200, 0x0c, 0)]).toBe(v0);
    expect(fdb.port[fdb.find(0x0200, 0x0e, 0)]).toBe(v0);
    l.take('c0');
    l.take('host');
  });

  it('a frame to a permanent (local) entry goes up to br0 instead of out of its port', () => {
    const l = lab(2);
    l.run(l.host, 'bridge fdb add 02:00:00:00:00:0c dev v0 master');
    l.send(1, '02:00:00:00:00:0c', B);
    expect(l.take('c0')).toEqual([]);
    expect(l.take('host').map((s) => s.pktType)).toEqual([PktType.OtherHost]);
  });

  it('transmits from the host: known unicast to its port, broadcast to all ports, no learning', () => {
    const l = lab(3);
    l.send(1, BCAST, B);
    l.take('c0');
    l.take('c2');
    l.take('host');
    const brMac = macToString(l.br.macHi, l.br.macLo);
    l.sendFromHost(B, brMac);
    expect(l.take('c1').length).toBe(1);
    expect(l.take('c0')).toEqual([]);
    l.sendFromHost(BCAST, brMac);
    expect(l.take('c0').length + l.take('c1').length + l.take('c2').length).toBe(3);
    expect(l.take('host')).toEqual([]);
    expect(l.world.counters.txPackets[l.br.id]).toBe(2);
  });

  it('ports are DISABLED while down or without carrier, and the bridge loses carrier', () => {
    const l = lab(2);
    const p0 = portOfName(l, 'v0');
    expect(p0.state).toBe(PortState.Forwarding);
    l.run(l.cs[0]!, 'ip link set eth0 down');
    expect(p0.state).toBe(PortState.Disabled);
    l.send(1, BCAST, B);
    expect(l.take('c0')).toEqual([]);
    l.take('host');
    l.run(l.cs[1]!, 'ip link set eth0 down');
    expect(l.br.carrier).toBe(false);
    expect(l.run(l.host, 'ip link show br0')).toMatch(/<NO-CARRIER,BROADCAST,MULTICAST,UP> .* state DOWN/);
    l.run(l.cs[0]!, 'ip link set eth0 up');
    expect(p0.state).toBe(PortState.Forwarding);
    expect(l.br.carrier).toBe(true);
  });

  it('bridge link set state overrides the port state until the port comes up again', () => {
    const l = lab(2);
    l.run(l.host, 'bridge link set dev v0 state 2');
    const p0 = portOfName(l, 'v0');
    expect(p0.state).toBe(PortState.Learning);
    l.send(0, BCAST, A); // learned, not forwarded
    expect(l.take('c1')).toEqual([]);
    expect(l.br.fdb.find(0x0200, 0x0a, 0)).toBeGreaterThanOrEqual(0);
    l.run(l.host, 'ip link set v0 down');
    l.run(l.host, 'ip link set v0 up');
    expect(p0.state).toBe(PortState.Forwarding);
  });

  it('the bridge takes the lowest port MAC, zero after the last port left, and keeps a user address', () => {
    const l = lab(0);
    const br = l.br;
    const random = [br.macHi, br.macLo];
    expect(br.macHi & 0x0200).toBeTruthy(); // locally administered random address
    expect(l.run(l.host, 'ip link show br0')).toMatch(/state UNKNOWN/);
    l.run(l.host, 'ip link add va address 02:00:00:00:01:0b type veth peer name pa');
    l.run(l.host, 'ip link add vb address 02:00:00:00:01:0a type veth peer name pb');
    l.run(l.host, 'ip link set va master br0');
    expect(macToString(br.macHi, br.macLo)).toBe('02:00:00:00:01:0b');
    l.run(l.host, 'ip link set vb master br0');
    expect(macToString(br.macHi, br.macLo)).toBe('02:00:00:00:01:0a');
    l.run(l.host, 'ip link set vb nomaster');
    expect(macToString(br.macHi, br.macLo)).toBe('02:00:00:00:01:0b');
    l.run(l.host, 'ip link set va nomaster');
    expect(macToString(br.macHi, br.macLo)).toBe('00:00:00:00:00:00');
    expect(random).not.toEqual([0, 0]);
    l.run(l.host, 'ip link set br0 address 02:11:22:33:44:55');
    l.run(l.host, 'ip link set vb master br0');
    expect(macToString(br.macHi, br.macLo)).toBe('02:11:22:33:44:55');
    expect(l.run(l.host, 'bridge fdb show br br0')).toBe(
      '02:11:22:33:44:55 dev br0 master br0 permanent\n02:00:00:00:01:0a dev vb master br0 permanent\n',
    );
  });

  it('removing a port flushes its entries, static ones included', () => {
    const l = lab(2);
    l.run(l.host, 'bridge fdb add 02:00:00:00:00:32 dev v0 master static');
    l.send(0, BCAST, A);
    l.take('c1');
    l.take('host');
    l.run(l.host, 'ip link set v0 nomaster');
    expect(l.br.fdb.find(0x0200, 0x32, 0)).toBe(-1);
    expect(l.br.fdb.find(0x0200, 0x0a, 0)).toBe(-1);
    expect(l.host.device('v0')!.rxHandler).toBe(null);
  });

  it('drops a frame larger than the egress port MTU', () => {
    const l = lab(2);
    l.run(l.cs[1]!, 'ip link set eth0 mtu 1400');
    l.run(l.host, 'ip link set v1 mtu 1400');
    l.send(0, BCAST, A, 1500 + 14);
    expect(l.take('c1')).toEqual([]);
    expect(l.world.dropCounts[Drop.MtuExceeded]).toBe(1);
    l.take('host');
  });
});
