// Properties of the UDP codec: round trip, total parser, incremental NAT checksum = full recompute.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  emitUdp,
  parseUdp,
  UdpView,
  udpAddrRewritten,
  udpChecksum,
  udpChecksumVerifies,
  udpReprLen,
  udpRewriteDstPort,
  udpRewriteSrcPort,
} from '../../src/wire/udp.js';

const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const repr = fc.record({ srcPort: u16, dstPort: u16, payload: fc.uint8Array({ maxLength: 300 }) });

describe('UDP properties', () => {
  it('emit → parse is the identity, and the checksum verifies and is never 0', () => {
    fc.assert(
      fc.property(repr, u32, u32, fc.nat(8), (r, src, dst, off) => {
        const buf = new Uint8Array(off + udpReprLen(r) + 4).fill(0xa5);
        const n = emitUdp(r, buf, off, src, dst);
        expect(n).toBe(udpReprLen(r));
        expect(parseUdp(buf, off, off + n, src, dst)).toEqual({ ok: true, repr: r });
        expect(new UdpView().reset(buf, off).checksum).not.toBe(0);
      }),
    );
  });

  it('parseUdp never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat(70), u32, u32, (b, off, s, d) => {
        parseUdp(b, Math.min(off, b.length), b.length, s, d);
      }),
    );
  });

  it('incremental port and address rewrites equal a full recompute', () => {
    fc.assert(
      fc.property(repr, u32, u32, u16, u16, u32, u32, (r, src, dst, sp, dp, nsrc, ndst) => {
        const buf = new Uint8Array(udpReprLen(r));
        const n = emitUdp(r, buf, 0, src, dst);
        udpRewriteSrcPort(buf, 0, sp);
        udpRewriteDstPort(buf, 0, dp);
        udpAddrRewritten(buf, 0, src, nsrc);
        udpAddrRewritten(buf, 0, dst, ndst);
        expect(new UdpView().reset(buf, 0).checksum).toBe(udpChecksum(buf, 0, n, nsrc, ndst));
        expect(udpChecksumVerifies(buf, 0, n, nsrc, ndst)).toBe(true);
      }),
    );
  });
});
