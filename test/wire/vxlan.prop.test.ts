// Properties of VXLAN: header round trip, total parsers, decap ∘ encap = identity on inner bytes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  emitVxlan,
  parseVxlan,
  VXLAN_OVERHEAD_IPV4,
  VxlanBad,
  VxlanDecapResult,
  vxlanDecap,
  vxlanDefaultParams,
  vxlanEncapHeaders,
  vxlanFlowHash,
  vxlanSrcPort,
} from '../../src/wire/vxlan.js';

const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const vni = fc.integer({ min: 0, max: 0xffffff });

describe('VXLAN properties', () => {
  it('header emit → parse is the identity', () => {
    fc.assert(
      fc.property(vni, (v) => {
        const b = new Uint8Array(8);
        emitVxlan({ vni: v }, b, 0);
        expect(parseVxlan(b, 0, 8)).toEqual({ ok: true, repr: { vni: v } });
      }),
    );
  });

  it('parsers never throw on arbitrary bytes', () => {
    const out = new VxlanDecapResult();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), fc.nat(130), u16, (b, off, port) => {
        const o = Math.min(off, b.length);
        parseVxlan(b, o, b.length);
        vxlanDecap(b, o, b.length, port, out);
      }),
    );
  });

  it('vxlanDecap(vxlanEncapHeaders(frame)) gives back the inner bytes, untouched', () => {
    const out = new VxlanDecapResult();
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 14, maxLength: 400 }),
        fc.nat(16),
        fc.record({
          dstMacHi: u16,
          dstMacLo: u32,
          srcMacHi: u16,
          srcMacLo: u32,
          srcIp: u32,
          dstIp: u32,
          vni,
          dstPort: u16,
          ttl: fc.integer({ min: 0, max: 255 }),
          tos: fc.integer({ min: 0, max: 255 }),
          df: fc.boolean(),
          ipId: u16,
          udpChecksum: fc.boolean(),
        }),
        fc.nat(),
        (inner, extra, params, seed) => {
          const p = { ...vxlanDefaultParams(), ...params };
          const hash = vxlanFlowHash(inner, 0, inner.length, seed);
          p.srcPort = vxlanSrcPort(hash);
          const innerOff = VXLAN_OVERHEAD_IPV4 + extra;
          const buf = new Uint8Array(innerOff + inner.length).fill(0xa5);
          buf.set(inner, innerOff);
          const start = vxlanEncapHeaders(buf, innerOff, inner.length, p);
          expect(start).toBe(extra);
          expect(vxlanDecap(buf, start, buf.length, p.dstPort, out)).toBe(VxlanBad.None);
          expect([out.innerOff, out.innerLen, out.vni, out.srcIp, out.dstIp]).toEqual([
            innerOff,
            inner.length,
            p.vni,
            p.srcIp,
            p.dstIp,
          ]);
          expect(buf.subarray(out.innerOff, out.innerOff + out.innerLen)).toEqual(inner);
        },
      ),
    );
  });
});
