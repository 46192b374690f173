import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkIpv4,
  checkIpv4Rcv,
  decrementTtl,
  emitIpv4,
  Ipv4Bad,
  Ipv4View,
  ipv4OptionsErrorPointer,
  ipv4ReprHeaderLen,
  parseIpv4,
} from '../../src/wire/ipv4.js';
import { ipv4Options, pad4, u16, u32 } from './arbitraries.js';

const ipRepr = fc.record({
  tos: fc.integer({ min: 0, max: 255 }),
  ident: u16,
  df: fc.boolean(),
  mf: fc.boolean(),
  fragOffset: fc.integer({ min: 0, max: 0x1fff }),
  ttl: fc.integer({ min: 0, max: 255 }),
  proto: fc.integer({ min: 0, max: 255 }),
  src: u32,
  dst: u32,
  options: ipv4Options,
  payloadLen: fc.integer({ min: 0, max: 64 }),
});

describe('ipv4 properties', () => {
  it('emit → parse round-trips (options padded to 4 bytes); truncation is never ok', () => {
    fc.assert(
      fc.property(ipRepr, fc.nat({ max: 6 }), (r, off) => {
        const hl = ipv4ReprHeaderLen(r);
        const buf = new Uint8Array(off + hl + r.payloadLen + 2).fill(0xa5);
        expect(emitIpv4(r, buf, off)).toBe(hl);
        const end = off + hl + r.payloadLen;
        expect(parseIpv4(buf, off, end)).toEqual({ ok: true, repr: { ...r, options: pad4(r.options) } });
        expect(checkIpv4Rcv(buf, off, end + 2)).toBe(Ipv4Bad.None); // trailing padding is fine
        for (let cut = off; cut < end; cut++) {
          expect(checkIpv4(buf, off, cut)).not.toBe(Ipv4Bad.None);
          expect(parseIpv4(buf, off, cut).ok).toBe(false);
        }
      }),
    );
  });

  it('decrementTtl and address rewrites keep the checksum valid and equal to a full recompute', () => {
    fc.assert(
      fc.property(ipRepr, u32, u32, (r, nsrc, ndst) => {
        const rr = { ...r, ttl: r.ttl === 0 ? 1 : r.ttl };
        const hl = ipv4ReprHeaderLen(rr);
        const buf = new Uint8Array(hl + rr.payloadLen);
        emitIpv4(rr, buf, 0);
        const v = new Ipv4View().reset(buf, 0);
        expect(decrementTtl(v)).toBe(rr.ttl - 1);
        v.rewriteSrc(nsrc);
        v.rewriteDst(ndst);
        expect(v.checksumOk()).toBe(true);
        const incremental = v.checksum;
        v.fillChecksum();
        expect(incremental).toBe(v.checksum);
      }),
    );
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 80 }),
        fc.nat({ max: 85 }),
        fc.nat({ max: 85 }),
        (b, off, end) => {
          const ok = checkIpv4(b, off, Math.min(end, b.length)) === Ipv4Bad.None;
          checkIpv4Rcv(b, off, Math.min(end, b.length));
          if (ok) ipv4OptionsErrorPointer(b, off);
          const r = parseIpv4(b, off, end);
          if (r.ok)
            expect(Math.min(end, b.length) - off).toBeGreaterThanOrEqual(
              20 + r.repr.options.length + r.repr.payloadLen,
            );
        },
      ),
    );
  });

  it('arbitrary headers with valid checksum and length still get options validated without throwing', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 40, maxLength: 40 }),
        fc.integer({ min: 5, max: 15 }),
        (opts, ihl) => {
          const b = new Uint8Array(60);
          b.set(opts, 20);
          const v = new Ipv4View().reset(b, 0);
          v.setVersionIhl(ihl);
          v.totalLen = ihl * 4;
          v.fillChecksum();
          expect(checkIpv4Rcv(b, 0, 60)).toBe(Ipv4Bad.None);
          const p = ipv4OptionsErrorPointer(b, 0);
          expect(p === -1 || (p >= 20 && p < ihl * 4)).toBe(true);
          expect(parseIpv4(b, 0, 60).ok).toBe(p === -1);
        },
      ),
    );
  });
});
