import { describe, expect, it } from 'vitest';
import {
  broadcastOf,
  cidrContains,
  cidrCovers,
  cidrHostBitsSet,
  cidrOverlaps,
  cidrToString,
  ipv4,
  ipv4ToString,
  isLimitedBroadcast,
  isLinkLocal,
  isLocalMulticast,
  isLoopback,
  isMulticast,
  isPrivate,
  isReservedClassE,
  isZeronet,
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

describe('ipv4 text', () => {
  it('round-trips dotted quads', () => {
    expect(parseIpv4('172.17.0.2')).toBe(0xac110002);
    expect(ipv4ToString(0xac110002)).toBe('172.17.0.2');
    expect(parseIpv4('255.255.255.255')).toBe(0xffffffff);
    expect(parseIpv4('0.0.0.0')).toBe(0);
  });

  it('is strict like inet_pton: no leading zeros, short forms, signs or spaces', () => {
    for (const bad of [
      '010.0.0.1',
      '00.1.2.3',
      '1.2.3',
      '1.2.3.4.5',
      '256.0.0.1',
      ' 1.2.3.4',
      '1.2.3.4 ',
      '+1.2.3.4',
      '1..2.3',
      '0x0a.0.0.1',
      '',
      '1.2.3.1234',
    ]) {
      expect(tryParseIpv4(bad)).toBe(-1);
    }
    expect(() => parseIpv4('010.0.0.1')).toThrow('Error: inet address is expected rather than "010.0.0.1".');
  });

  it('iproute2 grammar: what `ip addr add` accepted on iproute2 6.1 (recorded)', () => {
    expect(ipv4ToString(parseIpv4Iproute2('010.0.0.1'))).toBe('8.0.0.1');
    expect(ipv4ToString(parseIpv4Iproute2('0x0a.0.0.2'))).toBe('10.0.0.2');
    expect(ipv4ToString(parseIpv4Iproute2('10.1'))).toBe('10.1.0.0');
    expect(ipv4ToString(parseIpv4Iproute2(' 1.2.3.4'))).toBe('1.2.3.4');
    expect(parseIpv4Iproute2('1.2.3.256')).toBe(-1);
    expect(parseIpv4Iproute2('08.0.0.1')).toBe(-1);
    expect(parseIpv4Iproute2('1.2.3.4.5')).toBe(-1);
    expect(parseIpv4Iproute2('-1.0.0.0')).toBe(-1);
    expect(parseIpv4Iproute2('1.2.3.')).toBe(-1);
    expect(parseCidrIproute2('10.1/16')).toEqual({ addr: ipv4(10, 1, 0, 0), prefixLen: 16 });
    expect(parseCidrIproute2('1.2.3.4')).toEqual({ addr: ipv4(1, 2, 3, 4), prefixLen: 32 });
    expect(parseCidrIproute2('10.0.0.0/255.255.0.0').prefixLen).toBe(16);
    expect(parseCidrIproute2('10.0.0.0/010').prefixLen).toBe(8);
    // messages recorded from `ip addr add … dev d0`
    for (const bad of [
      '10.0.0.1/33',
      '1.2.3.256/8',
      '1.2.3.4/',
      '1.2.3.4/08',
      'abc',
      '1.2.3.4/-1',
      '10.0.0.0/255.0.255.0',
    ]) {
      expect(() => parseCidrIproute2(bad)).toThrow(
        `Error: any valid prefix is expected rather than "${bad}".`,
      );
    }
  });
});

describe('cidr', () => {
  it('parses strictly and keeps host bits', () => {
    expect(parseCidr('10.0.0.5/24')).toEqual({ addr: ipv4(10, 0, 0, 5), prefixLen: 24 });
    expect(parseCidr('10.0.0.5')).toEqual({ addr: ipv4(10, 0, 0, 5), prefixLen: 32 });
    expect(parseCidr('0.0.0.0/0')).toEqual({ addr: 0, prefixLen: 0 });
    for (const bad of ['10.0.0.0/33', '10.0.0.0/', '10.0.0.0/08', '10.0.0.0/8/8', '10.0.0/8', '10.0.0.0/x']) {
      expect(tryParseCidr(bad)).toBeNull();
    }
    expect(() => parseCidr('10.0.0.0/33')).toThrow(
      'Error: any valid prefix is expected rather than "10.0.0.0/33".',
    );
    expect(cidrToString(parseCidr('10.0.0.5/24'))).toBe('10.0.0.5/24');
  });

  it('computes masks, networks and broadcasts', () => {
    expect([maskFromPrefix(0), maskFromPrefix(8), maskFromPrefix(31), maskFromPrefix(32)]).toEqual([
      0, 0xff000000, 0xfffffffe, 0xffffffff,
    ]);
    expect([
      prefixFromMask(0),
      prefixFromMask(0xffffff00),
      prefixFromMask(0xffffffff),
      prefixFromMask(0xff00ff00),
    ]).toEqual([0, 24, 32, -1]);
    expect(ipv4ToString(networkOf(ipv4(172, 17, 3, 9), 16))).toBe('172.17.0.0');
    expect(ipv4ToString(broadcastOf(ipv4(172, 17, 3, 9), 16))).toBe('172.17.255.255');
    expect(cidrHostBitsSet(parseCidr('10.0.0.1/8'))).toBe(true); // `ip route add` refuses this
    expect(cidrHostBitsSet(parseCidr('10.0.0.0/8'))).toBe(false);
  });

  it('contains, covers, overlaps', () => {
    const docker0 = parseCidr('172.17.0.0/16');
    expect(cidrContains(docker0, ipv4(172, 17, 255, 254))).toBe(true);
    expect(cidrContains(docker0, ipv4(172, 18, 0, 1))).toBe(false);
    expect(cidrContains(parseCidr('0.0.0.0/0'), 0xffffffff)).toBe(true);
    expect(cidrCovers(parseCidr('172.16.0.0/12'), docker0)).toBe(true);
    expect(cidrCovers(docker0, parseCidr('172.16.0.0/12'))).toBe(false);
    expect(cidrOverlaps(parseCidr('172.16.0.0/12'), docker0)).toBe(true);
    expect(cidrOverlaps(parseCidr('172.18.0.0/16'), docker0)).toBe(false);
    expect(cidrOverlaps(parseCidr('10.0.0.0/8'), parseCidr('10.255.0.0/16'))).toBe(true);
  });
});

describe('classification (include/linux/in.h)', () => {
  it('classifies the special ranges', () => {
    expect([
      isLoopback(ipv4(127, 0, 0, 1)),
      isLoopback(ipv4(127, 255, 0, 9)),
      isLoopback(ipv4(128, 0, 0, 1)),
    ]).toEqual([true, true, false]);
    expect([
      isMulticast(ipv4(224, 0, 0, 251)),
      isMulticast(ipv4(239, 255, 255, 255)),
      isMulticast(ipv4(240, 0, 0, 1)),
    ]).toEqual([true, true, false]);
    expect([isLocalMulticast(ipv4(224, 0, 0, 251)), isLocalMulticast(ipv4(224, 0, 1, 1))]).toEqual([
      true,
      false,
    ]);
    expect([isLimitedBroadcast(0xffffffff), isLimitedBroadcast(ipv4(10, 255, 255, 255))]).toEqual([
      true,
      false,
    ]);
    expect([isLinkLocal(ipv4(169, 254, 1, 1)), isLinkLocal(ipv4(169, 253, 1, 1))]).toEqual([true, false]);
    expect(
      ['10.1.2.3', '172.16.0.1', '172.31.255.255', '172.32.0.1', '192.168.1.1', '192.169.0.1'].map((t) =>
        isPrivate(parseIpv4(t)),
      ),
    ).toEqual([true, true, true, false, true, false]);
    expect([isZeronet(ipv4(0, 1, 2, 3)), isZeronet(ipv4(1, 0, 0, 0))]).toEqual([true, false]);
    expect([isReservedClassE(ipv4(240, 0, 0, 1)), isReservedClassE(0xffffffff)]).toEqual([true, false]);
  });
});
