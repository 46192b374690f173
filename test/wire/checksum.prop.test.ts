import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { csumFull, csumReplace16, csumReplace32, csumVerifies } from '../../src/wire/checksum.js';

const rd16 = (b: Uint8Array, o: number) => (b[o]! << 8) | b[o + 1]!;
const wr16 = (b: Uint8Array, o: number, v: number) => {
  b[o] = v >>> 8;
  b[o + 1] = v & 0xff;
};

/** A buffer of `words` 16-bit words whose word `ck` holds a valid checksum over the whole buffer. */
function withChecksum(bytes: Uint8Array, ck: number): Uint8Array {
  const b = bytes.slice();
  wr16(b, ck * 2, 0);
  wr16(b, ck * 2, csumFull(b, 0, b.length));
  return b;
}

const allZeroExcept = (b: Uint8Array, ckOff: number) =>
  b.every((x, i) => x === 0 || i === ckOff || i === ckOff + 1);

describe('incremental checksum update equals full recompute (RFC 1624 eqn. 3)', () => {
  it('csumReplace16 after rewriting any 16-bit word', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 4, maxLength: 64 }).filter((b) => b.length % 2 === 0),
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 0, max: 0xffff }),
        (bytes, ckSeed, wSeed, nv) => {
          const words = bytes.length / 2;
          const ck = ckSeed % words;
          const w = (ck + 1 + (wSeed % (words - 1))) % words; // any word but the checksum's
          const b = withChecksum(bytes, ck);
          const ov = rd16(b, w * 2);
          wr16(b, w * 2, nv);
          const inc = csumReplace16(rd16(b, ck * 2), ov, nv);
          wr16(b, ck * 2, inc);
          // ±0 (RFC 1624 §3): when every other word is zero the data sums to one's-complement zero, and
          // eqn. 3 then yields 0x0000 where a full compute writes 0xffff. No IP/ICMP header is all zero
          // (the version nibble), so the case cannot arise on the wire; everywhere else results match.
          if (allZeroExcept(b, ck * 2)) return;
          expect(csumVerifies(b, 0, b.length)).toBe(true);
          expect(inc).toBe(rd16(withChecksum(b, ck), ck * 2));
        },
      ),
    );
  });

  it('csumReplace32 after rewriting any aligned 32-bit field (an address)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 8, maxLength: 64 }).filter((b) => b.length % 4 === 0),
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 0, max: 0xffffffff }),
        (bytes, ckSeed, fSeed, nv) => {
          const fields = bytes.length / 4;
          const ckField = ckSeed % fields;
          const f = (ckField + 1 + (fSeed % (fields - 1))) % fields;
          const ck = ckField * 2; // the checksum is the first word of its field
          const b = withChecksum(bytes, ck);
          const o = f * 4;
          const ov = ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
          wr16(b, o, nv >>> 16);
          wr16(b, o + 2, nv & 0xffff);
          const inc = csumReplace32(rd16(b, ck * 2), ov, nv);
          wr16(b, ck * 2, inc);
          if (allZeroExcept(b, ck * 2)) return; // the ±0 case, see above
          expect(csumVerifies(b, 0, b.length)).toBe(true);
          expect(inc).toBe(rd16(withChecksum(b, ck), ck * 2));
        },
      ),
    );
  });
});
