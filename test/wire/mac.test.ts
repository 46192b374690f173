import { describe, expect, it } from 'vitest';
import {
  formatMac,
  MAC_BROADCAST,
  macIsBroadcast,
  macIsLocallyAdministered,
  macIsMulticast,
  macIsValidUnicast,
  macRead,
  macToString,
  macWrite,
  parseMac,
  tryParseMac,
} from '../../src/wire/mac.js';

describe('mac', () => {
  it('parses case-insensitively and formats lower-case', () => {
    const m = parseMac('02:42:AC:11:00:02');
    expect(m).toEqual({ hi: 0x0242, lo: 0xac110002 });
    expect(formatMac(m)).toBe('02:42:ac:11:00:02');
    expect(parseMac('2:42:ac:11:0:2')).toEqual(m); // one-digit groups, as iproute2's sscanf("%x") takes
    expect(macToString(0xffff, 0xffffffff)).toBe('ff:ff:ff:ff:ff:ff');
  });

  it('rejects bad text with iproute2 wording', () => {
    for (const bad of [
      '',
      '02:42:ac:11:00',
      '02:42:ac:11:00:02:03',
      '02-42-ac-11-00-02',
      'g2:42:ac:11:00:02',
      '002:42:ac:11:00:02',
    ]) {
      expect(tryParseMac(bad)).toBeNull();
    }
    expect(() => parseMac('type')).toThrow('"type" is invalid lladdr.');
  });

  it('reads and writes at an offset', () => {
    const buf = new Uint8Array(10).fill(0xa5);
    macWrite(buf, 2, 0x0242, 0xac110002);
    expect(Array.from(buf)).toEqual([0xa5, 0xa5, 0x02, 0x42, 0xac, 0x11, 0x00, 0x02, 0xa5, 0xa5]);
    expect(macRead(buf, 2)).toEqual({ hi: 0x0242, lo: 0xac110002 });
  });

  it('classifies by the I/G and U/L bits of the first octet', () => {
    expect(macIsBroadcast(MAC_BROADCAST.hi, MAC_BROADCAST.lo)).toBe(true);
    expect(macIsMulticast(MAC_BROADCAST.hi)).toBe(true);
    const mc = parseMac('01:00:5e:00:00:fb');
    expect([macIsMulticast(mc.hi), macIsBroadcast(mc.hi, mc.lo)]).toEqual([true, false]);
    const docker = parseMac('02:42:ac:11:00:02');
    expect([macIsMulticast(docker.hi), macIsLocallyAdministered(docker.hi)]).toEqual([false, true]);
    const oui = parseMac('00:1b:21:3a:4f:5e');
    expect(macIsLocallyAdministered(oui.hi)).toBe(false);
    expect(macIsValidUnicast(oui.hi, oui.lo)).toBe(true);
    expect(macIsValidUnicast(0, 0)).toBe(false);
    expect(macIsMulticast(0x0001)).toBe(false); // the bit is in the FIRST octet, not the second
  });
});
