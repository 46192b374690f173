// Properties of the TCP codec: round trip with arbitrary option sets, total parser, NAT checksum.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  emitTcp,
  parseTcp,
  type TcpOptions,
  type TcpRepr,
  TcpView,
  tcpAddrRewritten,
  tcpChecksum,
  tcpOptionsLen,
  tcpReprLen,
  tcpRewriteDstPort,
  tcpRewriteSrcPort,
} from '../../src/wire/tcp.js';

const u8n = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const KNOWN = new Set([0, 1, 2, 3, 4, 5, 8]);

const options: fc.Arbitrary<TcpOptions> = fc
  .record(
    {
      mss: u16,
      windowScale: u8n,
      sackPermitted: fc.constant(true),
      sack: fc.array(fc.record({ left: u32, right: u32 }), { minLength: 1, maxLength: 4 }),
      timestamp: fc.record({ tsVal: u32, tsEcr: u32 }),
      unknown: fc.array(
        fc.record({
          kind: u8n.filter((k) => !KNOWN.has(k)),
          data: fc.uint8Array({ maxLength: 8 }),
        }),
        { minLength: 1, maxLength: 3 },
      ),
    },
    { requiredKeys: [] },
  )
  .filter((o) => tcpOptionsLen(o) <= 40);

const repr: fc.Arbitrary<TcpRepr> = fc.record({
  srcPort: u16,
  dstPort: u16,
  seq: u32,
  ack: u32,
  flags: u8n,
  window: u16,
  urgent: u16,
  options,
  payload: fc.uint8Array({ maxLength: 200 }),
});

describe('TCP properties', () => {
  it('emit → parse is the identity; header is a 4-octet multiple', () => {
    fc.assert(
      fc.property(repr, u32, u32, (r, src, dst) => {
        const buf = new Uint8Array(tcpReprLen(r) + 3).fill(0xa5);
        const n = emitTcp(r, buf, 3, src, dst);
        expect(n).toBe(tcpReprLen(r));
        expect(new TcpView().reset(buf, 3).headerLen % 4).toBe(0);
        expect(parseTcp(buf, 3, 3 + n, src, dst)).toEqual({ ok: true, repr: r });
      }),
    );
  });

  it('parseTcp never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.nat(90), (b, off) => {
        parseTcp(b, Math.min(off, b.length), b.length, 1, 2);
        parseTcp(b, Math.min(off, b.length), b.length);
      }),
    );
  });

  it('incremental port and address rewrites equal a full recompute', () => {
    fc.assert(
      fc.property(repr, u32, u32, u16, u16, u32, u32, (r, src, dst, sp, dp, nsrc, ndst) => {
        const buf = new Uint8Array(tcpReprLen(r));
        const n = emitTcp(r, buf, 0, src, dst);
        tcpRewriteSrcPort(buf, 0, sp);
        tcpRewriteDstPort(buf, 0, dp);
        tcpAddrRewritten(buf, 0, src, nsrc);
        tcpAddrRewritten(buf, 0, dst, ndst);
        expect(new TcpView().reset(buf, 0).checksum).toBe(tcpChecksum(buf, 0, n, nsrc, ndst));
      }),
    );
  });
});
