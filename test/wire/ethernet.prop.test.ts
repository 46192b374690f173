import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ARP_LEN, ARP_OP, checkArp, emitArp, parseArp } from '../../src/wire/arp.js';
import {
  checkEthernet,
  ETHERTYPE,
  EthernetView,
  emitEthernet,
  ethernetReprLen,
  parseEthernet,
} from '../../src/wire/ethernet.js';
import { formatMac, parseMac } from '../../src/wire/mac.js';
import { mac, u16, u32 } from './arbitraries.js';

const ethRepr = fc.record({
  dst: mac,
  src: mac,
  ethertype: u16.filter((t) => t !== ETHERTYPE.VLAN),
  vlan: fc.option(
    fc.record({
      pcp: fc.integer({ min: 0, max: 7 }),
      dei: fc.boolean(),
      vid: fc.integer({ min: 0, max: 4095 }),
    }),
    { nil: null },
  ),
});

describe('ethernet properties', () => {
  it('emit → parse round-trips, and the view agrees', () => {
    fc.assert(
      fc.property(ethRepr, fc.nat({ max: 8 }), (r, off) => {
        const buf = new Uint8Array(off + 18).fill(0xa5);
        const n = emitEthernet(r, buf, off);
        expect(n).toBe(ethernetReprLen(r));
        expect(parseEthernet(buf, off, off + n)).toEqual({ ok: true, repr: r });
        const v = new EthernetView().reset(buf, off);
        expect([v.innerEthertype, v.payloadOffset, v.tagged]).toEqual([
          r.ethertype,
          off + n,
          r.vlan !== null,
        ]);
        if (r.vlan) expect([v.pcp, v.dei, v.vid]).toEqual([r.vlan.pcp, r.vlan.dei, r.vlan.vid]);
        for (let cut = 0; cut < n; cut++) expect(parseEthernet(buf, off, off + cut).ok).toBe(false);
      }),
    );
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 40 }),
        fc.nat({ max: 45 }),
        fc.nat({ max: 45 }),
        (b, off, end) => {
          checkEthernet(b, off, end);
          const r = parseEthernet(b, off, end);
          if (r.ok) expect(Math.min(end, b.length) - off).toBeGreaterThanOrEqual(14);
        },
      ),
    );
  });

  it('MAC text round-trips', () => {
    fc.assert(
      fc.property(mac, (m) => {
        expect(parseMac(formatMac(m).toUpperCase())).toEqual(m);
      }),
    );
  });
});

const arpRepr = fc.record({
  oper: fc.constantFrom(ARP_OP.Request, ARP_OP.Reply),
  sha: mac,
  spa: u32,
  tha: mac,
  tpa: u32,
});

describe('arp properties', () => {
  it('emit → parse round-trips; truncation is never ok', () => {
    fc.assert(
      fc.property(arpRepr, (r) => {
        const buf = new Uint8Array(ARP_LEN + 4).fill(0xa5);
        expect(emitArp(r, buf, 2)).toBe(ARP_LEN);
        expect(parseArp(buf, 2, 2 + ARP_LEN)).toEqual({ ok: true, repr: r });
        expect(buf[30]).toBe(0xa5);
        for (let cut = 0; cut < ARP_LEN; cut++) expect(parseArp(buf, 2, 2 + cut).ok).toBe(false);
      }),
    );
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 40 }),
        fc.nat({ max: 45 }),
        fc.nat({ max: 45 }),
        (b, off, end) => {
          checkArp(b, off, end);
          parseArp(b, off, end);
        },
      ),
    );
  });
});
