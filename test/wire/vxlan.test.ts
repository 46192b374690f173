// Golden-byte tests for VXLAN (RFC 7348) and Linux-style IPv4 encapsulation.
import { describe, expect, it } from 'vitest';
import {
  checkVxlan,
  checkVxlanRfc,
  emitVxlan,
  LINUX_LOCAL_PORT_MAX,
  LINUX_LOCAL_PORT_MIN,
  parseVxlan,
  VXLAN_OVERHEAD_IPV4,
  VXLAN_PORT_LINUX_DEFAULT,
  VxlanBad,
  VxlanDecapResult,
  VxlanView,
  vxlanDecap,
  vxlanDefaultParams,
  vxlanDefaultTtl,
  vxlanEncapHeaders,
  vxlanSrcPort,
} from '../../src/wire/vxlan.js';

const hex = (s: string) => Uint8Array.from(s.match(/../g)!.map((b) => Number.parseInt(b, 16)));
const ip4 = (s: string) => s.split('.').reduce((a, o) => a * 256 + Number(o), 0);

// Captured on Linux 6.18: `ip link add vx0 type vxlan id 42 remote 10.9.0.2 dev vA` (no dstport, ttl,
// df, [no]udpcsum given), a static neighbour on vx0, then a UDP datagram 192.168.50.1:40002 →
// 192.168.50.2:6000 "inner\n"; AF_PACKET on the underlay veth peer, tx checksum offload off.
const OUTER =
  '5af516bc527e7af653557caa0800' + '45000054e932000040117d520a0900010a090002' + 'af342118004042d8';
const VXH = '0800000000002a00';
const INNER =
  '020000000002b6053621957f0800' +
  '45000022d69a400040117edcc0a83201c0a83202' +
  '9c421770000e1ced696e6e65720a';
const FRAME = hex(OUTER + VXH + INNER);
const INNER_BYTES = hex(INNER);

describe('VXLAN header', () => {
  it('deconstructs the captured header', () => {
    const v = new VxlanView().reset(FRAME, 42);
    expect([v.flags, v.iFlag, v.vni, v.reserved1, v.reserved2, v.innerOff]).toEqual([8, true, 42, 0, 0, 50]);
    expect(checkVxlan(FRAME, 42, FRAME.length)).toBe(VxlanBad.None);
    expect(parseVxlan(FRAME, 42, FRAME.length)).toEqual({ ok: true, repr: { vni: 42 } });
  });
  it('constructs into a 0xa5-filled buffer', () => {
    const b = new Uint8Array(10).fill(0xa5);
    expect(emitVxlan({ vni: 42 }, b, 1)).toBe(8);
    expect(b).toEqual(hex(`a5${VXH}a5`));
  });
  it('setters write in place', () => {
    const b = hex(VXH);
    const v = new VxlanView().reset(b, 0);
    v.vni = 0xabcdef;
    v.flags = 0;
    expect(b).toEqual(hex('00000000abcdef00'));
  });
  it('Linux drops a clear I flag and any reserved bit; the RFC rule ignores reserved bits', () => {
    expect(checkVxlan(hex('0000000000002a00'), 0, 8)).toBe(VxlanBad.NoVniFlag);
    expect(checkVxlanRfc(hex('0000000000002a00'), 0, 8)).toBe(VxlanBad.NoVniFlag);
    for (const h of ['0c00000000002a00', '0800000100002a00', '0800000000002a01', '8800000000002a00']) {
      expect(checkVxlan(hex(h), 0, 8)).toBe(VxlanBad.ReservedBits);
      expect(checkVxlanRfc(hex(h), 0, 8)).toBe(VxlanBad.None);
    }
    expect(checkVxlan(hex(VXH), 0, 7)).toBe(VxlanBad.Short);
    expect(parseVxlan(hex(VXH), 0, 7)).toEqual({ ok: false, reason: VxlanBad.Short });
  });
});

describe('VXLAN encapsulation (vxlan_xmit_one defaults)', () => {
  it('rebuilds the captured outer headers byte for byte in front of the inner frame', () => {
    const buf = new Uint8Array(64 + INNER_BYTES.length).fill(0xa5);
    buf.set(INNER_BYTES, 64);
    const p = vxlanDefaultParams();
    Object.assign(p, {
      dstMacHi: 0x5af5,
      dstMacLo: 0x16bc527e,
      srcMacHi: 0x7af6,
      srcMacLo: 0x53557caa,
      srcIp: ip4('10.9.0.1'),
      dstIp: ip4('10.9.0.2'),
      vni: 42,
      srcPort: 0xaf34,
      ipId: 0xe932,
    });
    expect([p.dstPort, p.ttl, p.df, p.tos, p.udpChecksum]).toEqual([8472, 64, false, 0, true]);
    const start = vxlanEncapHeaders(buf, 64, INNER_BYTES.length, p);
    expect(start).toBe(64 - VXLAN_OVERHEAD_IPV4);
    expect(buf.subarray(start)).toEqual(FRAME);
    expect(buf.subarray(0, start).every((x) => x === 0xa5)).toBe(true);
  });
  it('with noudpcsum sends a zero checksum', () => {
    const buf = new Uint8Array(50 + INNER_BYTES.length);
    buf.set(INNER_BYTES, 50);
    const p = { ...vxlanDefaultParams(), udpChecksum: false, vni: 7, df: true };
    expect(vxlanEncapHeaders(buf, 50, INNER_BYTES.length, p)).toBe(0);
    expect([buf[40], buf[41]]).toEqual([0, 0]);
    expect([buf[20], buf[21]]).toEqual([0x40, 0]); // DF
  });
  it('refuses when the headroom is under 50 octets', () => {
    const buf = new Uint8Array(49 + INNER_BYTES.length);
    expect(vxlanEncapHeaders(buf, 49, INNER_BYTES.length, vxlanDefaultParams())).toBe(-1);
  });
  it('overhead is 50 octets and the Linux default port is 8472', () => {
    expect(VXLAN_OVERHEAD_IPV4).toBe(50);
    expect(VXLAN_PORT_LINUX_DEFAULT).toBe(8472);
  });
  it('ttl auto: 1 toward multicast, 64 otherwise', () => {
    expect(vxlanDefaultTtl(ip4('239.1.1.1'))).toBe(1);
    expect(vxlanDefaultTtl(ip4('10.9.0.2'))).toBe(64);
  });
  it('source port follows udp_flow_src_port over the default range, never reaching max', () => {
    expect(vxlanSrcPort(0)).toBe(LINUX_LOCAL_PORT_MIN);
    // 0xffffffff ^ 0xffff0000 = 0x0000ffff: only the upper 16 bits matter, as the kernel comment says.
    expect(vxlanSrcPort(0xffffffff)).toBe(LINUX_LOCAL_PORT_MIN);
    expect(vxlanSrcPort(0xffff0000)).toBe(LINUX_LOCAL_PORT_MAX - 1);
    // hash 0x00010000: hash ^= hash << 16 leaves 0x00010000 (upper half shifted out).
    expect(vxlanSrcPort(0x10000, 1000, 2000)).toBe(1000);
    expect(vxlanSrcPort(0x8000, 1000, 2000)).toBe(1500); // 0x8000 ^ 0x80000000 → upper half 0x8000
    for (let h = 0; h < 0xffffffff; h += 0x01234567) {
      const p = vxlanSrcPort(h);
      expect(p >= LINUX_LOCAL_PORT_MIN && p < LINUX_LOCAL_PORT_MAX).toBe(true);
    }
  });
});

describe('VXLAN decapsulation', () => {
  it('finds the inner frame and VNI in the capture', () => {
    const out = new VxlanDecapResult();
    expect(vxlanDecap(FRAME, 0, FRAME.length, 8472, out)).toBe(VxlanBad.None);
    expect(out.innerOff).toBe(50);
    expect(out.innerLen).toBe(INNER_BYTES.length);
    expect(out.vni).toBe(42);
    expect([out.srcIp, out.dstIp, out.srcPort]).toEqual([ip4('10.9.0.1'), ip4('10.9.0.2'), 0xaf34]);
  });
  it('reports each outer defect', () => {
    const out = new VxlanDecapResult();
    const mut = (i: number, v: number) => {
      const b = FRAME.slice();
      b[i] = v;
      return vxlanDecap(b, 0, b.length, 8472, out);
    };
    expect(vxlanDecap(FRAME, 0, 33, 8472, out)).toBe(VxlanBad.Short);
    expect(vxlanDecap(FRAME, 0, FRAME.length, 4789, out)).toBe(VxlanBad.NotVxlan);
    expect(mut(12, 0x86)).toBe(VxlanBad.NotIpv4);
    expect(mut(14, 0x65)).toBe(VxlanBad.BadIpv4);
    expect(mut(22, 63)).toBe(VxlanBad.BadIpv4); // TTL changed → header checksum fails
    expect(mut(41, 0)).toBe(VxlanBad.UdpChecksum);
    expect(mut(42, 0)).toBe(VxlanBad.UdpChecksum); // covered by the checksum
  });
  it('accepts a zero outer UDP checksum', () => {
    const b = FRAME.slice();
    b[40] = 0;
    b[41] = 0;
    b[42] = 0; // I flag clear, so the VXLAN check now decides
    expect(vxlanDecap(b, 0, b.length, 8472, new VxlanDecapResult())).toBe(VxlanBad.NoVniFlag);
  });
});
