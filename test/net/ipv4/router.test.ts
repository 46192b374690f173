// Routers built from namespaces: a1 — r1 — b1 (and chains of k routers), checked against what Linux
// does (test/fixtures/kernel/router-*.json and the kernel functions cited in src/net/ipv4/stack.ts).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Device } from '../../../src/net/device.js';
import { createPair } from '../../../src/net/devices/veth.js';
import { DROP_REASON_NAMES, Drop } from '../../../src/net/drop-reason.js';
import { NUD } from '../../../src/net/ipv4/neighbour.js';
import { stackOf } from '../../../src/net/ipv4/stack.js';
import type { Namespace } from '../../../src/net/namespace.js';
import type { World } from '../../../src/net/world.js';
import { rd16 } from '../../../src/wire/bytes.js';
import { addAddr, addRoute, expectConserved, ip, MS, Pinger, run, S, up, world } from './helpers.js';

function link(w: World, a: Namespace, an: string, b: Namespace, bn: string): [Device, Device] {
  const [x, y] = createPair(w, a, an, b, bn);
  a.attach(x);
  b.attach(y);
  up(x);
  up(y);
  return [x, y];
}

/** A chain h0 — r1 — … — rk — h1 over subnets 10.<i>.0.0/24; forwarding on in the routers. */
function chain(k: number, forwarding = true) {
  const w = world();
  const nss: Namespace[] = [];
  for (let i = 0; i <= k + 1; i++) {
    const ns = w.addNamespace(i === 0 ? 'h0' : i === k + 1 ? 'h1' : `r${i}`);
    up(ns.lo);
    nss.push(ns);
  }
  const left: Device[] = [];
  const right: Device[] = [];
  for (let i = 0; i <= k; i++) {
    const [x, y] = link(w, nss[i]!, i === 0 ? 'eth0' : 'eth-r', nss[i + 1]!, i === k ? 'eth0' : 'eth-l');
    addAddr(x, `10.${i + 1}.0.1/24`);
    addAddr(y, `10.${i + 1}.0.2/24`);
    right.push(x);
    left.push(y);
  }
  // Hosts: default route towards their router; routers: default to the right, specific routes left.
  for (let i = 0; i <= k + 1; i++) {
    const ns = nss[i]!;
    if (i >= 1 && i <= k && forwarding) ns.sysctl.set('net.ipv4.ip_forward', '1');
    if (i === 0) addRoute(ns, 'default', '10.1.0.2', null);
    else if (i === k + 1) addRoute(ns, 'default', `10.${k + 1}.0.1`, null);
    else {
      if (i < k) addRoute(ns, 'default', `10.${i + 1}.0.2`, null);
      for (let j = 1; j < i; j++) addRoute(ns, `10.${j}.0.0/24`, `10.${i}.0.1`, null);
    }
  }
  return { w, nss, h0: nss[0]!, h1: nss[k + 1]!, left, right };
}

function drops(w: World): string[] {
  const out: string[] = [];
  w.dropCounts.forEach((c, i) => {
    if (c > 0) out.push(`${DROP_REASON_NAMES[i]}=${c}`);
  });
  return out;
}

describe('forwarding', () => {
  it('TTL drops by exactly one per routed hop (property over the chain length)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), (k) => {
        const { w, h0 } = chain(k);
        const p = new Pinger(h0, 99);
        p.send(`10.${k + 1}.0.2`, 1);
        run(w);
        // The reply also crosses k routers: 64 - k on arrival.
        expect(p.heard).toHaveLength(1);
        expect(p.heard[0]!.kind).toBe('reply');
        expect(p.heard[0]!.ttl).toBe(64 - k);
        expectConserved(w);
      }),
      { numRuns: 6 },
    );
  });

  it('TTL expiry at a router gives time exceeded from the router (address towards the sender)', () => {
    const { w, h0 } = chain(3);
    const p = new Pinger(h0, 5);
    p.send('10.4.0.2', 1, { ttl: 2 });
    run(w);
    // TTL 2 → r1 forwards with 1 → r2 has ttl <= 1: time exceeded from r2's address on 10.2.0.0/24.
    expect(p.heard).toMatchObject([{ kind: 'error', type: 11, code: 0, from: '10.2.0.2', seq: 1 }]);
    expect(w.dropCounts[Drop.TtlExpired]).toBe(1);
    expectConserved(w);
  });

  it('no route gives net unreachable from the router', () => {
    const { w, h0, nss } = chain(1);
    void nss;
    const p = new Pinger(h0, 5);
    p.send('192.0.2.1', 1);
    run(w);
    expect(p.heard).toMatchObject([{ kind: 'error', type: 3, code: 0, from: '10.1.0.2' }]);
    expect(w.dropCounts[Drop.NoRoute]).toBe(1);
    expectConserved(w);
  });

  it('forwarding disabled drops silently (no ICMP), the router still answers for both addresses', () => {
    const { w, h0 } = chain(1, false);
    const p = new Pinger(h0, 5);
    p.send('10.2.0.2', 1);
    p.send('10.1.0.2', 2);
    p.send('10.2.0.1', 3);
    p.send('10.9.9.9', 4);
    run(w);
    expect(p.heard.map((x) => [x.kind, x.from, x.seq])).toEqual([
      ['reply', '10.1.0.2', 2],
      ['reply', '10.2.0.1', 3],
    ]);
    expect(w.dropCounts[Drop.ForwardingDisabled]).toBe(2);
    expectConserved(w);
  });

  it('DF and a smaller egress MTU give frag needed with the next-hop MTU', () => {
    const { w, h0, right } = chain(1);
    right[1]!.mtu = 1400;
    const p = new Pinger(h0, 5);
    p.send('10.2.0.2', 1, { payload: 1472 });
    run(w);
    expect(p.heard).toMatchObject([{ kind: 'error', type: 3, code: 4, info: 1400, from: '10.1.0.2' }]);
    expect(w.dropCounts[Drop.MtuExceeded]).toBe(1);
    expectConserved(w);
  });

  it('without DF the router fragments at the egress MTU (8-byte offsets, same id, MF)', () => {
    const { w, h0, h1, right } = chain(1);
    right[1]!.mtu = 1000;
    const seen: Array<{ id: number; ff: number; len: number }> = [];
    const eth = h1.device('eth0')!;
    eth.tap = {
      frame(_dev, dir, h) {
        if (dir !== 0) return;
        const u8 = w.pool.bytesOf(h);
        const o = w.pool.start[h]!;
        if (rd16(u8, o + 12) !== 0x0800) return;
        seen.push({ id: rd16(u8, o + 18), ff: rd16(u8, o + 20), len: rd16(u8, o + 16) });
      },
    };
    const p = new Pinger(h0, 5);
    p.send('10.2.0.2', 1, { payload: 1472, df: false });
    run(w);
    expect(seen.map((s) => [s.ff, s.len])).toEqual([
      [0x2000, 996],
      [976 / 8, 20 + 1480 - 976],
    ]);
    expect(seen[0]!.id).toBe(seen[1]!.id);
    // h1 reassembles them (ip_defrag) and answers with one 1500-byte reply, which h1's veth drops:
    // its peer (r1's side) has MTU 1000 (is_skb_forwardable), as on Linux with asymmetric MTUs.
    expect(p.heard).toEqual([]);
    expect(w.dropCounts[Drop.FragNotReassembled]).toBe(0);
    expect(w.dropCounts[Drop.MtuExceeded]).toBe(1);
    expectConserved(w);
  });
});

describe('neighbour resolution failure', () => {
  it('3 broadcast requests 1 s apart, then FAILED and host unreachable from our own address', () => {
    const w = world();
    const a = w.addNamespace('a');
    const b = w.addNamespace('b');
    up(a.lo);
    const [ea] = link(w, a, 'eth0', b, 'eth0');
    addAddr(ea, '10.0.0.2/24');
    const reqs: number[] = [];
    ea.tap = {
      frame(_d, dir, h) {
        const u8 = w.pool.bytesOf(h);
        const o = w.pool.start[h]!;
        if (dir === 1 && rd16(u8, o + 12) === 0x0806) reqs.push(w.sim.now);
      },
    };
    const p = new Pinger(a, 1);
    p.send('10.0.0.99', 1);
    run(w, 500 * MS);
    p.send('10.0.0.99', 2);
    run(w);
    expect(reqs).toEqual([0, 1 * S, 2 * S]);
    expect(p.heard).toMatchObject([
      { kind: 'error', type: 3, code: 1, from: '10.0.0.2', seq: 1, t: 3 * S },
      { kind: 'error', type: 3, code: 1, from: '10.0.0.2', seq: 2, t: 3 * S },
    ]);
    const st = stackOf(a);
    const n = st.neigh.lookup(ea.id, ip('10.0.0.99'));
    expect(st.neigh.state[n]).toBe(NUD.Failed);
    expect(w.dropCounts[Drop.NeighFailed]).toBe(2);
    expectConserved(w);
  });

  it('with lo down the local sender never hears the error', () => {
    const w = world();
    const a = w.addNamespace('a');
    const b = w.addNamespace('b');
    const [ea] = link(w, a, 'eth0', b, 'eth0');
    addAddr(ea, '10.0.0.2/24');
    const p = new Pinger(a, 1);
    p.send('10.0.0.99', 1);
    run(w);
    expect(p.heard).toEqual([]);
    expect(drops(w)).toEqual(['DevDown=1', 'NeighFailed=1']);
    expectConserved(w);
  });
});

describe('neighbour states over time', () => {
  it('REACHABLE → STALE after the randomised reachable time; STALE → DELAY → PROBE → REACHABLE', () => {
    const w = world(7);
    const a = w.addNamespace('a');
    const b = w.addNamespace('b');
    up(a.lo);
    up(b.lo);
    const [ea, eb] = link(w, a, 'eth0', b, 'eth0');
    addAddr(ea, '10.0.0.1/24');
    addAddr(eb, '10.0.0.2/24');
    const st = stackOf(a);
    const p = new Pinger(a, 1);
    p.send('10.0.0.2', 1);
    run(w, 1 * S);
    const n = st.neigh.lookup(ea.id, ip('10.0.0.2'));
    expect(st.neigh.state[n]).toBe(NUD.Reachable);
    const reach = st.neigh.parmsOf(ea.id).reachableNs;
    expect(reach).toBeGreaterThanOrEqual(15 * S);
    expect(reach).toBeLessThan(45 * S);
    run(w, reach - 1);
    expect(st.neigh.state[n]).toBe(NUD.Reachable);
    // neigh_timer_handler re-arms at least HZ/100 ahead when the deadline is exactly now.
    run(w, reach + 10 * MS);
    expect(st.neigh.state[n]).toBe(NUD.Stale);
    // Use it: STALE → DELAY, 5 s later PROBE (unicast), the reply makes it REACHABLE.
    // (run() returns when the queue drains without advancing the clock: take times from sim.now.)
    p.send('10.0.0.2', 2);
    const t0 = w.sim.now;
    expect(st.neigh.state[n]).toBe(NUD.Delay);
    run(w, t0 + 5 * S - 1);
    // b's echo reply does not confirm a's entry (no upper-layer confirmation): still DELAY.
    expect(st.neigh.state[n]).toBe(NUD.Delay);
    run(w, t0 + 5 * S);
    expect(st.neigh.state[n]).toBe(NUD.Reachable);
    expect(p.heard.map((x) => x.seq)).toEqual([1, 2]);
    run(w);
    expectConserved(w);
  });

  it('PROBE → FAILED when the neighbour disappears', () => {
    const w = world(3);
    const a = w.addNamespace('a');
    const b = w.addNamespace('b');
    up(a.lo);
    const [ea, eb] = link(w, a, 'eth0', b, 'eth0');
    addAddr(ea, '10.0.0.1/24');
    addAddr(eb, '10.0.0.2/24');
    const st = stackOf(a);
    const p = new Pinger(a, 1);
    p.send('10.0.0.2', 1);
    run(w, 60 * S);
    const n = st.neigh.lookup(ea.id, ip('10.0.0.2'));
    expect(st.neigh.state[n]).toBe(NUD.Stale);
    // b's stack stops answering (its address goes away); a uses the entry again.
    stackOf(b).removeAddress(stackOf(b).addrs.list(eb.id)[0]!);
    p.send('10.0.0.2', 2);
    const t0 = w.sim.now;
    expect(st.neigh.state[n]).toBe(NUD.Delay);
    run(w, t0 + 5 * S - 1);
    expect(st.neigh.state[n]).toBe(NUD.Delay);
    run(w, t0 + 5 * S);
    expect(st.neigh.state[n]).toBe(NUD.Probe);
    run(w, t0 + 8 * S - 1);
    expect(st.neigh.state[n]).toBe(NUD.Probe);
    run(w, t0 + 8 * S);
    expect(st.neigh.state[n]).toBe(NUD.Failed);
    run(w);
    expectConserved(w);
  });
});
