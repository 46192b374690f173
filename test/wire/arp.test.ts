import { describe, expect, it } from 'vitest';
import {
  ARP_LEN,
  ARP_OP,
  ArpBad,
  ArpView,
  arpIsGratuitous,
  arpIsProbe,
  checkArp,
  emitArp,
  parseArp,
} from '../../src/wire/arp.js';
import { ipv4 } from '../../src/wire/ipv4-address.js';
import { MAC_ZERO, parseMac } from '../../src/wire/mac.js';
import { ARP_REPLY, ARP_REQUEST } from './fixtures/linux-frames.js';

const H1 = parseMac('02:00:00:00:01:02');
const R = parseMac('02:00:00:00:01:01');

describe('arp golden frames (recorded on Linux, see fixtures)', () => {
  it('deconstructs the request', () => {
    expect(checkArp(ARP_REQUEST, 14, ARP_REQUEST.length)).toBe(ArpBad.None);
    const v = new ArpView().reset(ARP_REQUEST, 14);
    expect([v.htype, v.ptype, v.hlen, v.plen, v.oper]).toEqual([1, 0x0800, 6, 4, ARP_OP.Request]);
    expect([v.shaHi, v.shaLo, v.spa]).toEqual([H1.hi, H1.lo, ipv4(10, 0, 1, 2)]);
    expect([v.thaHi, v.thaLo, v.tpa]).toEqual([0, 0, ipv4(10, 0, 1, 1)]);
    expect(v.isGratuitous).toBe(false);
    expect(v.isProbe).toBe(false);
  });

  it('constructs the request and the reply into 0xa5-filled buffers', () => {
    const req = {
      oper: ARP_OP.Request,
      sha: H1,
      spa: ipv4(10, 0, 1, 2),
      tha: MAC_ZERO,
      tpa: ipv4(10, 0, 1, 1),
    };
    const rep = { oper: ARP_OP.Reply, sha: R, spa: ipv4(10, 0, 1, 1), tha: H1, tpa: ipv4(10, 0, 1, 2) };
    for (const [repr, frame] of [
      [req, ARP_REQUEST],
      [rep, ARP_REPLY],
    ] as const) {
      const buf = new Uint8Array(32).fill(0xa5);
      expect(emitArp(repr, buf, 2)).toBe(ARP_LEN);
      expect(buf.subarray(2, 30)).toEqual(frame.subarray(14, 42));
      expect([buf[1], buf[30]]).toEqual([0xa5, 0xa5]);
      expect(parseArp(frame, 14, frame.length)).toEqual({
        ok: true,
        repr: { ...repr, tha: { ...repr.tha } },
      });
    }
  });

  it('edits fields in place', () => {
    const f = ARP_REQUEST.slice();
    const v = new ArpView().reset(f, 14);
    v.oper = ARP_OP.Reply;
    v.setTha(R.hi, R.lo);
    v.tpa = v.spa;
    expect(v.isGratuitous).toBe(true);
    expect(v.thaLo).toBe(R.lo);
  });
});

describe('arp validation (arp_rcv / arp_process order)', () => {
  const mutate = (i: number, b: number) => {
    const f = ARP_REQUEST.slice(14);
    f[i] = b;
    return checkArp(f, 0, f.length);
  };
  it('reports each reason', () => {
    expect(checkArp(ARP_REQUEST, 14, 41)).toBe(ArpBad.Short);
    expect(mutate(4, 8)).toBe(ArpBad.Hlen);
    expect(mutate(5, 16)).toBe(ArpBad.Plen);
    expect(mutate(1, 2)).toBe(ArpBad.Htype);
    expect(mutate(1, 6)).toBe(ArpBad.None); // ARPHRD_IEEE802 is accepted on Ethernet
    expect(mutate(2, 0x86)).toBe(ArpBad.Ptype);
    expect(mutate(7, 3)).toBe(ArpBad.Oper);
    expect(parseArp(ARP_REQUEST, 14, 20)).toEqual({ ok: false, reason: ArpBad.Short });
  });

  it('recognises RFC 5227 probes and announcements', () => {
    const buf = new Uint8Array(28);
    const a = ipv4(172, 17, 0, 2);
    emitArp({ oper: ARP_OP.Request, sha: H1, spa: a, tha: MAC_ZERO, tpa: a }, buf, 0);
    expect(arpIsGratuitous(buf, 0)).toBe(true);
    expect(arpIsProbe(buf, 0)).toBe(false);
    emitArp({ oper: ARP_OP.Request, sha: H1, spa: 0, tha: MAC_ZERO, tpa: a }, buf, 0);
    expect(arpIsProbe(buf, 0)).toBe(true);
    expect(arpIsGratuitous(buf, 0)).toBe(false);
  });
});
