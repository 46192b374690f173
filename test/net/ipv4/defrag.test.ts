// IPv4 reassembly (net/ipv4/ip_fragment.c `ip_defrag`, `ip_frag_queue`, `ip_frag_reasm`,
// `ip_expire`; inet_fragment.c `inet_frag_queue_insert`), with hand-made fragments delivered to b's
// eth0, and end to end through real fragmentation.

import { describe, expect, it } from 'vitest';
import '../../../src/control/all.js';
import { runCommandLine } from '../../../src/control/command.js';
import { Drop } from '../../../src/net/drop-reason.js';
import { stackOf } from '../../../src/net/ipv4/stack.js';
import { transportOf } from '../../../src/net/transport/transport.js';
import type { World } from '../../../src/net/world.js';
import { rd16, wr16, wr32 } from '../../../src/wire/bytes.js';
import { csumFull, csumVerifies } from '../../../src/wire/checksum.js';
import { ipv4ToString } from '../../../src/wire/ipv4-address.js';
import { expectConserved, ip, MS, Pinger, pairWorld, run, S } from './helpers.js';
import { advance, routed } from './routed.js';

const PROTO = 253;

interface Frag {
  off: number;
  len: number;
  mf: boolean;
  df?: boolean;
  tos?: number;
  id?: number;
}

/** A datagram's payload: byte i = (i * 7 + seed) & 0xff. */
function payload(n: number, seed = 1): Uint8Array {
  const p = new Uint8Array(n);
  for (let i = 0; i < n; i++) p[i] = (i * 7 + seed) & 0xff;
  return p;
}

function setup() {
  const env = pairWorld();
  const got: Uint8Array[] = [];
  const heads: number[][] = [];
  stackOf(env.b).registerProtocol(PROTO, {
    receive(h, _dev, l4Off) {
      const w = env.w;
      const u8 = w.pool.bytesOf(h);
      const o = w.pool.start[h]!;
      expect(csumVerifies(u8, o, 20)).toBe(true);
      heads.push([rd16(u8, o + 2), rd16(u8, o + 6), u8[o + 1]!, w.pool.isLarge(h) ? 1 : 0]);
      got.push(u8.slice(l4Off, o + w.pool.len[h]!));
      w.consume(h);
    },
    error() {},
  });
  /** Delivers one fragment of `data` to b's eth0 as if a had sent it. */
  const deliver = (data: Uint8Array, f: Frag) => {
    const w = env.w;
    const pool = w.pool;
    const h = w.newFrameFor(14 + 20 + f.len);
    pool.setLength(h, 14 + 20 + f.len);
    const u8 = pool.bytesOf(h);
    const e = pool.start[h]!;
    wr16(u8, e, 0x0200);
    wr32(u8, e + 2, 0xb);
    wr16(u8, e + 6, 0x0200);
    wr32(u8, e + 8, 0xa);
    wr16(u8, e + 12, 0x0800);
    const o = e + 14;
    u8.fill(0, o, o + 20);
    u8[o] = 0x45;
    u8[o + 1] = f.tos ?? 0;
    wr16(u8, o + 2, 20 + f.len);
    wr16(u8, o + 4, f.id ?? 0x1234);
    wr16(u8, o + 6, (f.off >>> 3) | (f.mf ? 0x2000 : 0) | (f.df ? 0x4000 : 0));
    u8[o + 8] = 64;
    u8[o + 9] = PROTO;
    wr32(u8, o + 12, ip('10.0.0.1'));
    wr32(u8, o + 16, ip('10.0.0.2'));
    wr16(u8, o + 10, csumFull(u8, o, 20));
    for (let i = 0; i < f.len; i++) u8[o + 20 + i] = data[f.off + i] ?? 0;
    env.eb.receive(h);
  };
  return { ...env, got, heads, deliver };
}

/** Fragments of `n` bytes of payload in pieces of `step` (a multiple of 8). */
function pieces(n: number, step: number, extra: Partial<Frag> = {}): Frag[] {
  const out: Frag[] = [];
  for (let off = 0; off < n; off += step) {
    const len = Math.min(step, n - off);
    out.push({ off, len, mf: off + len < n, ...extra });
  }
  return out;
}

describe('ip_defrag', () => {
  it('in order: one datagram, Total Length set, fragment field cleared, fragments consumed', () => {
    const t = setup();
    const data = payload(3000);
    for (const f of pieces(3000, 1480)) t.deliver(data, f);
    run(t.w);
    expect(t.got).toEqual([data]);
    expect(t.heads).toEqual([[3020, 0, 0, 1]]);
    expect(stackOf(t.b).defrag.queues).toBe(0);
    expect(stackOf(t.b).defrag.mem).toBe(0);
    expectConserved(t.w);
  });

  it('out of order, last first: the same datagram', () => {
    const t = setup();
    const data = payload(4000, 3);
    const fs = pieces(4000, 1000);
    for (const i of [3, 1, 0, 2]) t.deliver(data, fs[i]!);
    run(t.w);
    expect(t.got).toEqual([data]);
    expectConserved(t.w);
  });

  it('a duplicate is dropped alone; the datagram still completes', () => {
    const t = setup();
    const data = payload(2400);
    const fs = pieces(2400, 800);
    t.deliver(data, fs[0]!);
    t.deliver(data, fs[1]!);
    t.deliver(data, fs[1]!);
    t.deliver(data, { off: 800, len: 400, mf: true }); // inside the run [0, 1600)
    t.deliver(data, fs[2]!);
    run(t.w);
    expect(t.got).toEqual([data]);
    expect(t.w.dropCounts[Drop.FragDuplicate]).toBe(2);
    expectConserved(t.w);
  });

  it('an overlap discards the whole datagram (RFC 5722)', () => {
    const t = setup();
    const data = payload(2400);
    t.deliver(data, { off: 0, len: 800, mf: true });
    t.deliver(data, { off: 400, len: 800, mf: true }); // tail case: starts inside queued data
    expect(t.w.dropCounts[Drop.FragOverlap]).toBe(2);
    // A fragment inserted before the tail that straddles a run boundary also overlaps.
    t.deliver(data, { off: 1600, len: 800, mf: false });
    t.deliver(data, { off: 1200, len: 800, mf: true });
    expect(t.w.dropCounts[Drop.FragOverlap]).toBe(4);
    run(t.w);
    expect(t.got).toEqual([]);
    expectConserved(t.w);
  });

  it('times out after ipfrag_time with ICMP time exceeded code 1 quoting the first fragment', () => {
    const t = setup();
    const icmp: Array<[number, number, number]> = [];
    t.ea.tap = {
      frame(_d, dir, h) {
        const u8 = t.w.pool.bytesOf(h);
        const o = t.w.pool.start[h]! + 14;
        if (dir === 0 && u8[o + 9] === 1) icmp.push([t.w.sim.now, u8[o + 20]!, u8[o + 21]!]);
      },
    };
    const data = payload(3000);
    const fs = pieces(3000, 1480);
    const t0 = t.w.sim.now;
    t.deliver(data, fs[0]!);
    t.deliver(data, fs[2]!);
    advance(t.w, 29 * S);
    expect(icmp).toEqual([]);
    advance(t.w, 2 * S);
    expect(icmp.map(([tt, ty, c]) => [Math.round((tt - t0) / MS), ty, c])).toEqual([[30000, 11, 1]]);
    expect(t.w.dropCounts[Drop.FragReasmTimeout]).toBe(2);
    // Without the first fragment: dropped silently.
    t.deliver(data, { ...fs[1]!, id: 99 });
    advance(t.w, 31 * S);
    expect(icmp.length).toBe(1);
    expect(t.w.dropCounts[Drop.FragReasmTimeout]).toBe(3);
    expect(t.got).toEqual([]);
    run(t.w);
    expectConserved(t.w);
  });

  it('a datagram larger than a pool slot is reassembled into a large slot (60000 bytes)', () => {
    const t = setup();
    const data = payload(60000, 5);
    for (const f of pieces(60000, 1480).reverse()) t.deliver(data, f);
    run(t.w);
    expect(t.got.length).toBe(1);
    expect(t.got[0]).toEqual(data);
    expect(t.heads[0]).toEqual([60020, 0, 0, 1]);
    expect(t.w.pool.largeLiveCount).toBe(0);
    expectConserved(t.w);
  });

  it('inconsistent fragments discard the queue: beyond the last, two lasts, empty, > 65535', () => {
    const t = setup();
    const data = payload(70000);
    t.deliver(data, { off: 800, len: 800, mf: false });
    t.deliver(data, { off: 1600, len: 8, mf: true });
    expect(t.w.dropCounts[Drop.FragInvalid]).toBe(2);
    t.deliver(data, { off: 800, len: 800, mf: false, id: 2 });
    t.deliver(data, { off: 800, len: 808, mf: false, id: 2 });
    expect(t.w.dropCounts[Drop.FragInvalid]).toBe(4);
    t.deliver(data, { off: 8, len: 4, mf: true, id: 3 }); // rounds down to nothing
    expect(t.w.dropCounts[Drop.FragInvalid]).toBe(5);
    for (const f of pieces(65520, 1480, { id: 4 })) t.deliver(data, f);
    expect(t.w.dropCounts[Drop.FragInvalid]).toBe(5 + 45);
    run(t.w);
    expect(t.got).toEqual([]);
    expectConserved(t.w);
  });

  it('ipfrag_high_thresh refuses fragments while the queues hold too much', () => {
    const t = setup();
    t.b.sysctl.set('net.ipv4.ipfrag_high_thresh', '5000');
    const data = payload(3000);
    for (let id = 1; id <= 4; id++) t.deliver(data, { off: 0, len: 1480, mf: true, id });
    // 176 + 2048 per queue: the third pushes past 5000, the fourth is refused.
    expect(t.w.dropCounts[Drop.FragMemory]).toBe(1);
    expect(stackOf(t.b).defrag.queues).toBe(3);
    run(t.w);
    expectConserved(t.w);
  });

  it('ipfrag_max_dist: more than 64 other fragments from the source restart the queue', () => {
    const t = setup();
    const data = payload(2000);
    t.deliver(data, { off: 0, len: 1000, mf: true, id: 1 });
    for (let i = 0; i < 65; i++) t.deliver(data, { off: 0, len: 8, mf: true, id: 100 + i });
    t.deliver(data, { off: 1000, len: 1000, mf: false, id: 1 });
    expect(t.w.dropCounts[Drop.FragTooFar]).toBe(1);
    t.deliver(data, { off: 0, len: 1000, mf: true, id: 1 });
    run(t.w, t.w.sim.now + S);
    expect(t.got).toEqual([data]);
    run(t.w);
    expectConserved(t.w);
  });

  it('ECN: CE with ECT gives CE; not-ECT mixed with ECT is invalid', () => {
    const t = setup();
    const data = payload(1600);
    t.deliver(data, { off: 0, len: 800, mf: true, tos: 2 });
    t.deliver(data, { off: 800, len: 800, mf: false, tos: 3 });
    t.deliver(data, { off: 0, len: 800, mf: true, tos: 0, id: 7 });
    t.deliver(data, { off: 800, len: 800, mf: false, tos: 2, id: 7 });
    run(t.w);
    expect(t.heads.map((h) => h[2])).toEqual([3]);
    expect(t.w.dropCounts[Drop.FragInvalid]).toBe(2);
    expectConserved(t.w);
  });

  it('DF survives only when the largest fragment had it (IPSKB_FRAG_PMTU)', () => {
    const t = setup();
    const data = payload(1600);
    t.deliver(data, { off: 0, len: 1200, mf: true, df: true });
    t.deliver(data, { off: 1200, len: 400, mf: false });
    t.deliver(data, { off: 0, len: 1200, mf: true, id: 8 });
    t.deliver(data, { off: 1200, len: 400, mf: false, df: true, id: 8 });
    run(t.w);
    expect(t.heads.map((h) => h[1])).toEqual([0x4000, 0]);
    expectConserved(t.w);
  });
});

describe('end to end', () => {
  it('a 60000-byte ping crosses a 1400-byte path: fragmented both ways, reassembled both ends', () => {
    const { w, a1 } = routed(1400);
    const p = new Pinger(a1, 3);
    // Large frames through the Pinger: it sends from an ordinary slot, so build via the stack here.
    const sendBig = (w2: World) => {
      const pool = w2.pool;
      const h = w2.newFrameFor(60028);
      pool.setLength(h, 60028);
      const u8 = pool.bytesOf(h);
      const o = pool.start[h]!;
      u8.fill(0, o, o + 60028);
      u8[o] = 0x45;
      wr16(u8, o + 2, 60028);
      u8[o + 8] = 64;
      u8[o + 9] = 1;
      wr32(u8, o + 16, ip('10.2.0.2'));
      u8[o + 20] = 8;
      wr16(u8, o + 24, 3);
      wr16(u8, o + 26, 1);
      for (let k = 8; k < 60008; k++) u8[o + 20 + k] = k & 0xff;
      wr16(u8, o + 22, csumFull(u8, o + 20, 60008));
      return stackOf(a1).sendLocal(h);
    };
    expect(sendBig(w)).toBe(0);
    run(w);
    expect(p.heard).toMatchObject([{ kind: 'reply', seq: 1, from: '10.2.0.2' }]);
    expect(w.pool.largeLiveCount).toBe(0);
    expectConserved(w);
  });
});

describe('conntrack defragmentation (nf_defrag_ipv4)', () => {
  it('a MASQUERADE router reassembles, NATs the whole datagram and refragments to the original size', () => {
    const { w, a1, r1, b1 } = routed(1500);
    a1.device('eth0')!.mtu = 576;
    r1.device('eth-a')!.mtu = 576;
    runCommandLine({ world: w, ns: r1 }, 'iptables -t nat -A POSTROUTING -o eth-b -j MASQUERADE');
    const seen: Array<[number, number]> = [];
    r1.device('eth-b')!.tap = {
      frame(_d, dir, h) {
        const u8 = w.pool.bytesOf(h);
        const o = w.pool.start[h]!;
        if (dir === 1 && rd16(u8, o + 12) === 0x0800) seen.push([rd16(u8, o + 16), rd16(u8, o + 20)]);
      },
    };
    const got: Array<[string, number]> = [];
    const udpB = transportOf(b1).udp;
    const sb = udpB.open({
      onDatagram(_s, src, _sp, _d, _u8, _off, len) {
        got.push([ipv4ToString(src), len]);
      },
    });
    udpB.bind(sb, 0, 9);
    const udpA = transportOf(a1).udp;
    const sa = udpA.open({ onDatagram() {} });
    const data = payload(2000);
    expect(udpA.send(sa, ip('10.2.0.2'), 9, data, 0, 2000)).toBe(0);
    run(w);
    // NATed as one datagram: b1 sees r1's address; r1 sent fragments of a1's size (572 = 20 + 552; 2008 UDP bytes).
    expect(got).toEqual([['10.2.0.1', 2000]]);
    expect(seen.map(([len]) => len)).toEqual([572, 572, 572, 372]);
    expect(seen.every(([, ff]) => (ff & 0x4000) === 0)).toBe(true);
    expect(stackOf(r1).defrag.queues).toBe(0);
    expectConserved(w);
  });
});
