import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkIcmp,
  emitIcmp,
  emitIcmpError,
  type IcmpRepr,
  icmpReprLen,
  parseIcmp,
} from '../../src/wire/icmp.js';
import { u32 } from './arbitraries.js';

const echo = fc.record({
  kind: fc.constant('echo' as const),
  type: fc.constantFrom(0 as const, 8 as const),
  ident: fc.integer({ min: 0, max: 0xffff }),
  seq: fc.integer({ min: 0, max: 0xffff }),
  data: fc.uint8Array({ maxLength: 64 }),
});
// A quote of at least 68 bytes satisfies the QuoteShort rule whatever IHL its first byte claims.
const error = fc.record({
  kind: fc.constant('error' as const),
  type: fc.constantFrom(3, 4, 5, 11, 12),
  code: fc.integer({ min: 0, max: 15 }),
  info: u32,
  quote: fc.uint8Array({ minLength: 68, maxLength: 120 }),
});
const other = fc.record({
  kind: fc.constant('other' as const),
  type: fc.constantFrom(1, 2, 6, 7, 9, 10, 13, 14, 15, 16, 17, 18),
  code: fc.integer({ min: 0, max: 255 }),
  rest: u32,
  data: fc.uint8Array({ maxLength: 32 }),
});
const icmpRepr: fc.Arbitrary<IcmpRepr> = fc.oneof(echo, error, other);

describe('icmp properties', () => {
  it('emit → parse round-trips; shorter than the header is never ok', () => {
    fc.assert(
      fc.property(icmpRepr, (r) => {
        const buf = new Uint8Array(icmpReprLen(r) + 3).fill(0xa5);
        const n = emitIcmp(r, buf, 1);
        expect(n).toBe(icmpReprLen(r));
        expect(parseIcmp(buf, 1, 1 + n)).toEqual({ ok: true, repr: r });
        expect(buf[1 + n]).toBe(0xa5);
        // ICMP has no length field: below 8 bytes is always refused, beyond that only the checksum
        // (or an error's quote rule) can notice a cut.
        for (let cut = 0; cut < 8; cut++) expect(parseIcmp(buf, 1, 1 + cut).ok).toBe(false);
      }),
    );
  });

  it('emitIcmpError quotes min(len, maxQuote) bytes and always verifies', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 28, maxLength: 1600 }),
        fc.integer({ min: 0, max: 600 }),
        u32,
        (orig, maxQuote, info) => {
          const out = new Uint8Array(8 + orig.length);
          const n = emitIcmpError(3, 4, info, orig, 0, orig.length, out, 0, maxQuote);
          if (maxQuote <= 20) {
            expect(n).toBe(0);
            return;
          }
          const q = Math.min(orig.length, maxQuote);
          expect(n).toBe(8 + q);
          expect(out.subarray(8, n)).toEqual(orig.subarray(0, q));
          const r = parseIcmp(out, 0, n);
          if (r.ok)
            expect(r.repr).toEqual({ kind: 'error', type: 3, code: 4, info, quote: orig.slice(0, q) });
          else expect(r.reason).toBe(4); // QuoteShort: the random "IP header" claimed a longer IHL
        },
      ),
    );
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 80 }),
        fc.nat({ max: 85 }),
        fc.nat({ max: 85 }),
        (b, off, end) => {
          checkIcmp(b, off, Math.min(end, b.length));
          parseIcmp(b, off, end);
        },
      ),
    );
  });
});
