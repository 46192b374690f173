// ICMP errors quote the offending datagram as received (icmp_send, net/ipv4/icmp.c): the IP header
// (TTL and checksum as they arrived, not decremented) and as much of the rest as fits in 576 bytes
// of ICMP error datagram (RFC 1812 4.3.2.3; `room = 576 - sizeof(iphdr) - sizeof(icmphdr)`).
import { describe, expect, it } from 'vitest';
import type { FrameTap } from '../../../src/net/device.js';
import { rd16 } from '../../../src/wire/bytes.js';
import { csumFull } from '../../../src/wire/checksum.js';
import { expectConserved, Pinger, run } from './helpers.js';
import { routed } from './routed.js';

function capture() {
  const t = routed();
  const sent: Uint8Array[] = [];
  const heard: Uint8Array[] = [];
  const tap: FrameTap = {
    frame(_devId, dir, h) {
      const p = t.w.pool;
      const bytes = p.bytesOf(h).slice(p.start[h]!, p.start[h]! + p.len[h]!);
      if (rd16(bytes, 12) !== 0x0800) return; // IPv4 only
      (dir === 1 ? sent : heard).push(bytes.subarray(14));
    },
  };
  t.ea.tap = tap;
  return { ...t, sent, heard };
}

describe('ICMP errors quote the original datagram', () => {
  it('time exceeded at the router quotes the whole small echo request, TTL 1 as received', () => {
    const t = capture();
    const p = new Pinger(t.a1, 9);
    p.send('10.2.0.2', 1, { ttl: 1 });
    run(t.w);
    expect(t.sent.length).toBe(1);
    expect(t.heard.length).toBe(1);
    const req = t.sent[0]!;
    const err = t.heard[0]!;
    expect(rd16(err, 2)).toBe(20 + 8 + req.length); // 20 + 8 + 84 = 112
    expect(err[20]).toBe(11); // time exceeded
    expect(err[21]).toBe(0);
    expect(csumFull(err, 20, err.length - 20)).toBe(0);
    expect(Array.from(err.subarray(28))).toEqual(Array.from(req));
    expect(err[28 + 8]).toBe(1);
    expectConserved(t.w);
  });

  it('a large datagram is quoted up to 576 bytes of error', () => {
    const t = capture();
    const p = new Pinger(t.a1, 9);
    p.send('10.9.9.9', 1, { payload: 1000 }); // no route at r1: net unreachable
    run(t.w);
    const req = t.sent[0]!;
    const err = t.heard[0]!;
    expect(err.length).toBe(576);
    expect(rd16(err, 2)).toBe(576);
    expect([err[20], err[21]]).toEqual([3, 0]);
    expect(csumFull(err, 20, err.length - 20)).toBe(0);
    expect(Array.from(err.subarray(28))).toEqual(Array.from(req.subarray(0, 548)));
    expectConserved(t.w);
  });
});
