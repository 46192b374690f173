import { describe, expect, it } from 'vitest';
import {
  checkEthernet,
  ETHERTYPE,
  EthBad,
  EthernetView,
  emitEthernet,
  ethInnerEthertype,
  ethPadToMin,
  ethPayloadOffset,
  parseEthernet,
} from '../../src/wire/ethernet.js';
import { parseMac } from '../../src/wire/mac.js';
import { ARP_REQUEST, ECHO_REQUEST, VLAN_ARP_REQUEST } from './fixtures/linux-frames.js';

describe('ethernet golden frames', () => {
  it('deconstructs the recorded ARP request (broadcast, untagged, 42 bytes unpadded)', () => {
    expect(checkEthernet(ARP_REQUEST, 0, ARP_REQUEST.length)).toBe(EthBad.None);
    const v = new EthernetView().reset(ARP_REQUEST, 0);
    expect([v.dstHi, v.dstLo]).toEqual([0xffff, 0xffffffff]);
    expect([v.srcHi, v.srcLo]).toEqual([0x0200, 0x00000102]);
    expect(v.ethertype).toBe(ETHERTYPE.ARP);
    expect(v.tagged).toBe(false);
    expect(v.headerLen).toBe(14);
    expect(v.payloadOffset).toBe(14);
    expect(ARP_REQUEST.length).toBe(42);
  });

  it('constructs the recorded echo request header into a 0xa5-filled buffer', () => {
    const r = parseEthernet(ECHO_REQUEST, 0, ECHO_REQUEST.length);
    expect(r).toEqual({
      ok: true,
      repr: {
        dst: parseMac('02:00:00:00:01:01'),
        src: parseMac('02:00:00:00:01:02'),
        ethertype: 0x0800,
        vlan: null,
      },
    });
    if (!r.ok) return;
    const buf = new Uint8Array(20).fill(0xa5);
    expect(emitEthernet(r.repr, buf, 3)).toBe(14);
    expect(buf.subarray(3, 17)).toEqual(ECHO_REQUEST.subarray(0, 14));
    expect(buf[2]).toBe(0xa5);
    expect(buf[17]).toBe(0xa5);
  });

  it('round-trips the 802.1Q-tagged ARP request (PCP 5, VID 10; tshark-checked)', () => {
    const v = new EthernetView().reset(VLAN_ARP_REQUEST, 0);
    expect(checkEthernet(VLAN_ARP_REQUEST, 0, VLAN_ARP_REQUEST.length)).toBe(EthBad.None);
    expect(v.tagged).toBe(true);
    expect([v.pcp, v.dei, v.vid, v.innerEthertype, v.headerLen]).toEqual([5, false, 10, ETHERTYPE.ARP, 18]);
    expect(ethPayloadOffset(VLAN_ARP_REQUEST, 0)).toBe(18);
    expect(ethInnerEthertype(VLAN_ARP_REQUEST, 0)).toBe(ETHERTYPE.ARP);
    const r = parseEthernet(VLAN_ARP_REQUEST, 0, VLAN_ARP_REQUEST.length);
    expect(r.ok && r.repr.vlan).toEqual({ pcp: 5, dei: false, vid: 10 });
    if (!r.ok) return;
    const buf = new Uint8Array(18).fill(0xa5);
    emitEthernet(r.repr, buf, 0);
    expect(buf).toEqual(VLAN_ARP_REQUEST.subarray(0, 18));
  });

  it('writes tag fields in place without disturbing neighbours', () => {
    const f = VLAN_ARP_REQUEST.slice();
    const v = new EthernetView().reset(f, 0);
    v.dei = true;
    v.vid = 4094;
    v.pcp = 1;
    expect([v.pcp, v.dei, v.vid]).toEqual([1, true, 4094]);
    expect(v.tci).toBe(0x3ffe);
    v.innerEthertype = ETHERTYPE.IPv4;
    expect(v.ethertype).toBe(ETHERTYPE.VLAN);
    expect(v.innerEthertype).toBe(ETHERTYPE.IPv4);
  });
});

describe('ethernet validation and padding', () => {
  it('refuses short headers and a tag without room for the inner EtherType', () => {
    expect(checkEthernet(ARP_REQUEST, 0, 13)).toBe(EthBad.Short);
    expect(checkEthernet(VLAN_ARP_REQUEST, 0, 17)).toBe(EthBad.Short);
    expect(checkEthernet(VLAN_ARP_REQUEST, 0, 18)).toBe(EthBad.None);
    expect(parseEthernet(ARP_REQUEST, 0, 1_000_000).ok).toBe(true); // end beyond the buffer is clamped
    expect(parseEthernet(ARP_REQUEST, 30, 1_000_000)).toEqual({ ok: false, reason: EthBad.Short });
  });

  it('pads to 60 bytes with zeros only when asked (veth never pads)', () => {
    const buf = new Uint8Array(64).fill(0xa5);
    buf.set(ARP_REQUEST, 2);
    expect(ethPadToMin(buf, 2, 42)).toBe(60);
    expect(buf.subarray(2, 44)).toEqual(ARP_REQUEST);
    expect(buf.subarray(44, 62).every((b) => b === 0)).toBe(true);
    expect(buf[62]).toBe(0xa5);
    expect(ethPadToMin(buf, 0, 61)).toBe(61);
  });
});
