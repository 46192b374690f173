// The benchmark topologies (bench/support/topology.ts) do what bench/dataplane.bench.ts claims: every
// injected 64-byte UDP datagram is delivered, nothing is dropped, no frame leaks, frames balance, and
// in steady state no ARP or flooding happens (one event per hop per datagram). Functional checks only:
// speed is measured in bench/.
import { describe, expect, it } from 'vitest';
import {
  bridgePath,
  dev,
  FRAME_LEN,
  farmDirect,
  farmViaCommands,
  type Path,
  routedPath,
  vethPath,
} from '../../bench/support/topology.js';
import { stackOf } from '../../src/net/ipv4/stack.js';

function check(path: Path, hops: number): void {
  const { world, sink, inject } = path;
  const sim = world.sim;
  expect(sink.received).toBe(1); // the warm-up datagram
  const created0 = world.frameBalance().created;
  const events0 = sim.eventsDispatched;
  for (let i = 0; i < 20; i++) path.burst(256);
  expect(inject.refused).toBe(0);
  expect(sink.received).toBe(1 + 20 * 256);
  expect(sink.bytes).toBe((1 + 20 * 256) * (FRAME_LEN - 14));
  const bal = world.frameBalance();
  // Steady state: one frame per datagram (no ARP, no flood clones) and one event per link crossed.
  expect(bal.created - created0).toBe(20 * 256);
  expect(sim.eventsDispatched - events0).toBe(20 * 256 * hops);
  expect(bal.dropped).toBe(0);
  expect(bal.inFlight).toBe(world.pool.liveCount);
  expect(world.pool.liveCount).toBe(0);
  expect(world.pool.leaks()).toEqual([]);
  // Still within the instant the warm-up left: no clock movement, so neighbours stay resolved.
  expect(sim.now).toBe(3_000_000_000);
}

describe('benchmark topologies in steady state', () => {
  it('veth: a → b, every datagram delivered, no leaks', () => {
    check(vethPath({ check: true }), 1);
  });

  it('bridge: c1 → docker0 → c2, every datagram delivered, bridge forwards without flooding', () => {
    const path = bridgePath({ check: true });
    check(path, 2);
    const host = path.hops[1]!;
    const w = path.world;
    // Host side: both ports carried exactly the datagrams (plus warm-up and ARP), the bridge device
    // itself received nothing but the broadcast ARP request copy.
    const v1 = dev(host, 'veth1');
    const v2 = dev(host, 'veth2');
    expect(w.counters.rxPackets[v1.id]).toBeGreaterThanOrEqual(1 + 20 * 256);
    expect(w.counters.txPackets[v2.id]).toBeGreaterThanOrEqual(1 + 20 * 256);
    expect(w.counters.rxPackets[dev(host, 'docker0').id]).toBeLessThanOrEqual(1);
  });

  it('routed: a → r → b, TTL decremented once', () => {
    const path = routedPath({ check: true });
    let ttl = -1;
    const w = path.world;
    const inner = path.sink;
    stackOf(path.hops[2]!).registerProtocol(17, {
      receive(h) {
        ttl = w.pool.bytesOf(h)[w.pool.start[h]! + 8]!;
        inner.receive(h);
      },
      error() {},
    });
    check(path, 2);
    expect(ttl).toBe(63);
  });
});

describe('topology farm', () => {
  it('commands and direct APIs build the same 1500-container farm (2 bridges)', () => {
    const a = farmViaCommands(1500);
    const b = farmDirect(1500);
    for (const f of [a, b]) {
      expect(f.bridges).toBe(2);
      expect(f.world.namespaces.length).toBe(1501);
      // host: lo + 2 bridges + 1500 veth ends; each container: lo + eth0.
      expect(f.host.devices.length).toBe(1503);
      expect(f.world.devices.length).toBe(1 + 2 + 1500 * 3);
    }
    const names = (f: typeof a) => f.host.devices.map((d) => `${d.name}:${d.ifindex}:${d.operState}`);
    expect(names(b)).toEqual(names(a));
    const c = a.world.namespace('c1-501')!;
    expect(dev(c, 'eth0').operState).toBe('UP');
    expect(dev(a.host, 'v1-501').master?.name).toBe('br-1');
  });

  it('a datagram crosses the farm from the first to the last container of a bridge', () => {
    const f = farmViaCommands(1000);
    const w = f.world;
    const from = w.namespace('c0-2')!;
    const to = w.namespace('c0-1001')!;
    let got = 0;
    stackOf(to).registerProtocol(17, {
      receive(h) {
        got++;
        w.consume(h);
      },
      error() {},
    });
    const h = w.newFrame();
    const pool = w.pool;
    pool.setLength(h, 28);
    const u8 = pool.bytesOf(h);
    const o = pool.start[h]!;
    u8.fill(0, o, o + 28);
    u8.set([0x45, 0, 0, 28, 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 2, 10, 0, 3, 0xe9], o);
    expect(stackOf(from).sendLocal(h)).toBe(0);
    w.sim.run({ until: 1_000_000_000 });
    expect(got).toBe(1);
    expect(w.frameBalance().inFlight).toBe(w.pool.liveCount);
  });
});
