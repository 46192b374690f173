// ICMP error rate limiting as Linux 6.18 (net/ipv4/icmp.c `icmpv4_global_allow`,
// `icmpv4_xrlim_allow`, inetpeer.c `inet_peer_xrlim_allow`, route.c `ip_error`), over simulated time.
// The recorded case is test/fixtures/kernel/router-two-subnets.json (`unrouted-ping-burst`).

import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/core/rng.js';
import { HZ, IcmpGlobalBucket, InetPeers, icmpMaskAllow } from '../../../src/net/ipv4/icmp-ratelimit.js';
import { stackOf } from '../../../src/net/ipv4/stack.js';
import type { World } from '../../../src/net/world.js';
import { expectConserved, ip, MS, Pinger, run, S } from './helpers.js';
import { routed } from './routed.js';

/** Sends `n` echo requests `gapNs` apart from `p` (seq 1..n), starting now. */
function burst(w: World, p: Pinger, dst: string, n: number, gapNs: number, ttl = 64): void {
  for (let i = 1; i <= n; i++) {
    if (i > 1) run(w, w.sim.now + gapNs);
    p.send(dst, i, { ttl });
  }
  run(w, w.sim.now + 5 * S);
}

const errSeqs = (p: Pinger) => p.heard.filter((x) => x.kind === 'error').map((x) => x.seq);

describe('ICMP rate limiting (per peer and ip_error)', () => {
  it('8 unrouted pings 100 ms apart earn 2 net unreachables (ip_error + icmp_ratelimit share the peer)', () => {
    const { w, a1 } = routed();
    const p = new Pinger(a1, 7);
    burst(w, p, '10.9.9.9', 8, 100 * MS);
    expect(p.heard.map((x) => [x.seq, x.type, x.code, x.from])).toEqual([
      [1, 3, 0, '10.1.0.1'],
      [2, 3, 0, '10.1.0.1'],
    ]);
    // 5 s error burst − 1 s (ip_error) − 1 s (xrlim) = 3 s; +0.1 s, −2 s → 1.1 s; +0.1 s − 1 s (ip_error
    // only: 0.2 s < 1 s for xrlim) … each further ping finds < 1 s for ip_error.
    expectConserved(w);
  });

  it('after a quiet spell the peer bucket refills at one token per jiffy', () => {
    const { w, a1, r1 } = routed();
    const p = new Pinger(a1, 7);
    burst(w, p, '10.9.9.9', 8, 100 * MS);
    const tokens = stackOf(r1).peers.tokensOf(ip('10.1.0.2'))!;
    expect(tokens).toBeLessThan(HZ);
    // 8 s later (5 s drained by burst() + 3 s): ip_error caps at 5 s, then 5 → 4 → 3 s (sent),
    // 3.01 → 2.01 → 1.01 s (sent), 1.02 → 0.02 s (ip_error passes, xrlim refuses).
    run(w, w.sim.now + 3 * S);
    const q = new Pinger(a1, 8);
    burst(w, q, '10.9.9.9', 3, 10 * MS);
    expect(errSeqs(q)).toEqual([1, 2]);
    expectConserved(w);
  });

  it('time exceeded: a burst of 6 (XRLIM_BURST_FACTOR), then one per icmp_ratelimit', () => {
    const { w, a1 } = routed();
    const p = new Pinger(a1, 9);
    burst(w, p, '10.2.0.2', 10, 1 * MS, 1);
    expect(errSeqs(p)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(p.heard.every((x) => x.type === 11 && x.code === 0)).toBe(true);
    // burst() idled 5 s: the bucket holds ~5.01 s and gains 0.25 s per ping, 1 s per message:
    // 5.01, 4.26, 3.51, 2.76, 2.01, 1.26 (six pass), then 1.01 at seq 9 and seq 13.
    const q = new Pinger(a1, 10);
    burst(w, q, '10.2.0.2', 16, 250 * MS, 1);
    expect(errSeqs(q)).toEqual([1, 2, 3, 4, 5, 6, 9, 13]);
    expectConserved(w);
  });

  it('icmp_ratelimit=0 disables the per-peer limit; icmp_ratemask=0 disables all limiting', () => {
    const a = routed();
    a.r1.sysctl.set('net.ipv4.icmp_ratelimit', '0');
    const p = new Pinger(a.a1, 9);
    burst(a.w, p, '10.2.0.2', 10, 1 * MS, 1);
    expect(errSeqs(p).length).toBe(10);
    const b = routed();
    b.r1.sysctl.set('net.ipv4.icmp_ratemask', '0');
    b.r1.sysctl.set('net.ipv4.icmp_msgs_per_sec', '0');
    const q = new Pinger(b.a1, 9);
    burst(b.w, q, '10.9.9.9', 10, 1 * MS);
    // ip_error's own bucket still applies (5 s burst, 1 s cost): 5 net unreachables.
    expect(errSeqs(q)).toEqual([1, 2, 3, 4, 5]);
    expectConserved(a.w);
    expectConserved(b.w);
  });

  it('icmp_msgs_per_sec=0 stops every limited type, but not frag-needed or echo replies', () => {
    const { w, a1, r1 } = routed();
    r1.sysctl.set('net.ipv4.icmp_msgs_per_sec', '0');
    r1.device('eth-b')!.mtu = 1400;
    const p = new Pinger(a1, 11);
    burst(w, p, '10.2.0.2', 3, 10 * MS, 1);
    expect(p.heard).toEqual([]);
    p.send('10.2.0.2', 10, { payload: 1472 });
    p.send('10.1.0.1', 11);
    run(w, w.sim.now + S);
    expect(p.heard.map((x) => [x.seq, x.kind, x.type, x.code])).toEqual([
      [10, 'error', 3, 4],
      [11, 'reply', 0, 0],
    ]);
    expectConserved(w);
  });

  it('errors about packets that came in on lo skip the global bucket (and the peer bucket)', () => {
    const { w, a1 } = routed();
    a1.sysctl.set('net.ipv4.icmp_msgs_per_sec', '0');
    // Protocol 99 (no handler) to our own address: protocol unreachable through lo, every time.
    let unreach = 0;
    a1.lo.tap = {
      frame(_d, dir, h) {
        const u8 = w.pool.bytesOf(h);
        const o = w.pool.start[h]! + 14;
        if (dir === 0 && u8[o + 9] === 1 && u8[o + 20] === 3 && u8[o + 21] === 2) unreach++;
      },
    };
    const st = stackOf(a1);
    for (let i = 0; i < 10; i++) {
      const h = w.newFrame();
      w.pool.setLength(h, 28);
      const u8 = w.pool.bytesOf(h);
      const o = w.pool.start[h]!;
      u8.fill(0, o, o + 28);
      u8[o] = 0x45;
      u8[o + 3] = 28;
      u8[o + 8] = 64;
      u8[o + 9] = 99;
      u8.set([10, 1, 0, 2], o + 16);
      st.sendLocal(h);
    }
    run(w, w.sim.now + S);
    expect(unreach).toBe(10);
    expectConserved(w);
  });
});

describe('token buckets (unit)', () => {
  it('icmpv4_mask_allow: 0x1818 limits 3, 4, 11, 12 except frag-needed', () => {
    const limited: number[] = [];
    for (let t = 0; t <= 19; t++) if (!icmpMaskAllow(0x1818, t, 0)) limited.push(t);
    expect(limited).toEqual([3, 4, 11, 12]);
    expect(icmpMaskAllow(0x1818, 3, 4)).toBe(true);
    expect(icmpMaskAllow(0x1818, 3, 1)).toBe(false);
  });

  it('inet_peer_xrlim_allow: a new peer has 6 messages, then 1 per timeout', () => {
    const peers = new InetPeers();
    const r = peers.get(42, 1000);
    let n = 0;
    while (peers.xrlimAllow(r, HZ, 1000)) n++;
    expect(n).toBe(6);
    expect(peers.xrlimAllow(r, HZ, 1000 + HZ - 1)).toBe(false);
    expect(peers.xrlimAllow(r, HZ, 1000 + HZ)).toBe(true);
  });

  it('icmp_global_allow/consume: burst, refill no sooner than HZ/50, credit may go negative', () => {
    const g = new IcmpGlobalBucket();
    const rng = Rng.fromSeed(3);
    const twin = Rng.fromSeed(3);
    let sent = 0;
    while (g.allow(0, 1000, 50)) {
      g.consume(rng);
      sent++;
    }
    // Exactly the messages before the cumulative random cost (0, 1 or 2 each) reached 50.
    let cost = 0;
    let expected = 0;
    while (cost < 50) {
      cost += twin.int(0, 2);
      expected++;
    }
    expect(sent).toBe(expected);
    expect(g.credit).toBe(50 - cost);
    expect(g.allow(HZ / 50 - 1, 1000, 50)).toBe(false);
    expect(g.allow(HZ / 50, 1000, 50)).toBe(true);
    expect(g.credit).toBe(Math.min(50, 50 - cost + (1000 * (HZ / 50)) / HZ));
  });
});
