// Golden-byte tests for the UDP header (RFC 768).
import { describe, expect, it } from 'vitest';
import {
  checkUdp,
  emitUdp,
  parseUdp,
  setUdpChecksum,
  UDP_HEADER_LEN,
  UdpBad,
  UdpView,
  udpAddrRewritten,
  udpChecksum,
  udpChecksumVerifies,
  udpRewriteDstPort,
  udpRewriteSrcPort,
} from '../../src/wire/udp.js';

const hex = (s: string) => Uint8Array.from(s.match(/../g)!.map((b) => Number.parseInt(b, 16)));
const ip4 = (s: string) => s.split('.').reduce((a, o) => a * 256 + Number(o), 0);

// Captured on Linux 6.18 (AF_PACKET on a veth, tx checksum offload off): python3 sendto from
// 10.9.0.1:40001 to 10.9.0.2:5000, payload "hello netsim\n". Ethernet + IPv4 + UDP.
const FRAME = hex(
  '5af516bc527e7af653557caa080045000029e718400040113f970a0900010a090002' +
    '9c4113880015a1ad68656c6c6f206e657473696d0a',
);
const UDP_OFF = 34;
const SRC = ip4('10.9.0.1');
const DST = ip4('10.9.0.2');
const PAYLOAD = new TextEncoder().encode('hello netsim\n');

describe('UDP golden frame (Linux capture)', () => {
  it('deconstructs', () => {
    expect(checkUdp(FRAME, UDP_OFF, FRAME.length)).toBe(UdpBad.None);
    const v = new UdpView().reset(FRAME, UDP_OFF);
    expect(v.srcPort).toBe(40001);
    expect(v.dstPort).toBe(5000);
    expect(v.length).toBe(21);
    expect(v.checksum).toBe(0xa1ad);
    expect(v.payloadOff).toBe(UDP_OFF + 8);
    expect(udpChecksumVerifies(FRAME, UDP_OFF, 21, SRC, DST)).toBe(true);
    expect(udpChecksum(FRAME, UDP_OFF, 21, SRC, DST)).toBe(0xa1ad);
    const p = parseUdp(FRAME, UDP_OFF, FRAME.length, SRC, DST);
    expect(p).toEqual({ ok: true, repr: { srcPort: 40001, dstPort: 5000, payload: PAYLOAD } });
  });

  it('constructs byte-identical output into a 0xa5-filled buffer', () => {
    const buf = new Uint8Array(40).fill(0xa5);
    const n = emitUdp({ srcPort: 40001, dstPort: 5000, payload: PAYLOAD }, buf, 3, SRC, DST);
    expect(n).toBe(21);
    expect(buf.subarray(3, 3 + n)).toEqual(FRAME.subarray(UDP_OFF));
    expect(buf[2]).toBe(0xa5);
    expect(buf[3 + n]).toBe(0xa5);
  });

  it('setUdpChecksum ignores whatever the checksum field held', () => {
    const b = FRAME.slice(UDP_OFF);
    b[6] = 0x12;
    b[7] = 0x34;
    setUdpChecksum(b, 0, SRC, DST);
    expect(b).toEqual(FRAME.subarray(UDP_OFF));
  });
});

describe('UDP checks', () => {
  const d = FRAME.slice(UDP_OFF);
  it('Short below 8 octets', () => {
    expect(checkUdp(d, 0, 7)).toBe(UdpBad.Short);
  });
  it('Length below 8 or beyond the buffer', () => {
    const b = d.slice();
    b[4] = 0;
    b[5] = 7;
    expect(checkUdp(b, 0, b.length)).toBe(UdpBad.Length);
    expect(checkUdp(d, 0, 20)).toBe(UdpBad.Length);
  });
  it('ignores trailing bytes past Length (Ethernet padding)', () => {
    const b = new Uint8Array(d.length + 9);
    b.set(d);
    const p = parseUdp(b, 0, b.length, SRC, DST);
    expect(p.ok && p.repr.payload).toEqual(PAYLOAD);
  });
  it('reports a bad checksum only when asked to verify', () => {
    const b = d.slice();
    b[9] = b[9]! ^ 1;
    expect(parseUdp(b, 0, b.length, SRC, DST)).toEqual({ ok: false, reason: UdpBad.Checksum });
    expect(parseUdp(b, 0, b.length).ok).toBe(true);
  });
});

describe('UDP checksum zero rules (RFC 768)', () => {
  it('a received 0 means "no checksum" and verifies', () => {
    const b = FRAME.slice(UDP_OFF);
    b[6] = 0;
    b[7] = 0;
    expect(udpChecksumVerifies(b, 0, 21, SRC, DST)).toBe(true);
  });
  it('transmits a computed 0 as 0xffff', () => {
    // Pick the payload's last word so that the one's-complement sum is 0xffff (checksum 0).
    const b = new Uint8Array(UDP_HEADER_LEN + 2);
    emitUdp({ srcPort: 1, dstPort: 2, payload: new Uint8Array(2) }, b, 0, SRC, DST, false);
    const c = udpChecksum(b, 0, b.length, SRC, DST); // checksum with a zero word
    b[8] = c >>> 8; // adding ~sum makes the total sum 0xffff, so the raw checksum becomes 0
    b[9] = c & 0xff;
    expect(udpChecksum(b, 0, b.length, SRC, DST)).toBe(0xffff);
    setUdpChecksum(b, 0, SRC, DST);
    expect(udpChecksumVerifies(b, 0, b.length, SRC, DST)).toBe(true);
  });
  it('NAT rewrites leave a zero checksum at zero', () => {
    const b = FRAME.slice(UDP_OFF);
    b[6] = 0;
    b[7] = 0;
    udpRewriteSrcPort(b, 0, 1234);
    udpRewriteDstPort(b, 0, 53);
    udpAddrRewritten(b, 0, SRC, ip4('192.0.2.1'));
    expect(new UdpView().reset(b, 0).checksum).toBe(0);
    expect(new UdpView().reset(b, 0).srcPort).toBe(1234);
  });
  it('SNAT of the capture matches a full recompute', () => {
    const b = FRAME.slice(UDP_OFF);
    const newSrc = ip4('203.0.113.7');
    udpRewriteSrcPort(b, 0, 61000);
    udpAddrRewritten(b, 0, SRC, newSrc);
    expect(new UdpView().reset(b, 0).checksum).toBe(udpChecksum(b, 0, 21, newSrc, DST));
  });
});
