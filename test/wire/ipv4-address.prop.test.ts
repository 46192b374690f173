import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  broadcastOf,
  type Cidr,
  cidrContains,
  cidrCovers,
  cidrNetwork,
  cidrOverlaps,
  cidrToString,
  ipv4ToString,
  maskFromPrefix,
  networkOf,
  parseCidr,
  parseCidrIproute2,
  parseIpv4,
  parseIpv4Iproute2,
  prefixFromMask,
  tryParseCidr,
  tryParseIpv4,
} from '../../src/wire/ipv4-address.js';
import { u32 } from './arbitraries.js';

const cidr: fc.Arbitrary<Cidr> = fc.record({ addr: u32, prefixLen: fc.integer({ min: 0, max: 32 }) });

describe('ipv4 address and CIDR laws', () => {
  it('text round-trips, strict and iproute2 grammars agree on canonical text', () => {
    fc.assert(
      fc.property(u32, cidr, (a, c) => {
        expect(parseIpv4(ipv4ToString(a))).toBe(a);
        expect(parseIpv4Iproute2(ipv4ToString(a))).toBe(a);
        expect(parseCidr(cidrToString(c))).toEqual(c);
        expect(parseCidrIproute2(cidrToString(c))).toEqual(c);
      }),
    );
  });

  it('network ⊆ cidr ∋ broadcast, network ≤ addr ≤ broadcast', () => {
    fc.assert(
      fc.property(cidr, (c) => {
        const net = networkOf(c.addr, c.prefixLen);
        const bc = broadcastOf(c.addr, c.prefixLen);
        expect(cidrContains(c, net)).toBe(true);
        expect(cidrContains(c, bc)).toBe(true);
        expect(cidrContains({ addr: net, prefixLen: c.prefixLen }, c.addr)).toBe(true);
        expect(net <= c.addr && c.addr <= bc).toBe(true);
        expect(bc - net).toBe(2 ** (32 - c.prefixLen) - 1);
        expect(prefixFromMask(maskFromPrefix(c.prefixLen))).toBe(c.prefixLen);
        expect(cidrCovers(c, { addr: cidrNetwork(c), prefixLen: 32 })).toBe(true);
      }),
    );
  });

  it('overlap is symmetric and means one prefix covers the other', () => {
    fc.assert(
      fc.property(cidr, cidr, (a, b) => {
        expect(cidrOverlaps(a, b)).toBe(cidrOverlaps(b, a));
        expect(cidrOverlaps(a, b)).toBe(cidrCovers(a, b) || cidrCovers(b, a));
      }),
    );
  });

  it('address membership agrees with a bit-by-bit model', () => {
    fc.assert(
      fc.property(cidr, u32, (c, x) => {
        let same = true;
        for (let i = 31; i >= 32 - c.prefixLen; i--)
          if (((c.addr >>> i) & 1) !== ((x >>> i) & 1)) same = false;
        expect(cidrContains(c, x)).toBe(same);
      }),
    );
  });

  it('parsers never throw on arbitrary text unless asked to', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 24 }), (s) => {
        tryParseIpv4(s);
        tryParseCidr(s);
        parseIpv4Iproute2(s);
      }),
    );
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...'0123456789./x'), { maxLength: 20 }).map((a) => a.join('')),
        (s) => {
          tryParseIpv4(s);
          tryParseCidr(s);
          parseIpv4Iproute2(s);
        },
      ),
    );
  });
});
