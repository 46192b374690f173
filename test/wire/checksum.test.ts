import { describe, expect, it } from 'vitest';
import {
  csumFull,
  csumReplace16,
  csumReplace32,
  csumVerifies,
  fold,
  pseudoHeaderSum,
  sumBytes,
} from '../../src/wire/checksum.js';

describe('checksum (RFC 1071, RFC 1624)', () => {
  it('RFC 1071 §3 numerical example: 00 01 f2 03 f4 f5 f6 f7 sums to 0xddf2', () => {
    const b = Uint8Array.from([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]);
    expect(sumBytes(b, 0, 8, 0)).toBe(0x2ddf0);
    expect(fold(0x2ddf0)).toBe(0xddf2);
    expect(csumFull(b, 0, 8)).toBe(0x220d);
  });

  it('pads an odd trailing byte with zero on the right', () => {
    expect(sumBytes(Uint8Array.from([0x12, 0x34, 0x56]), 0, 3, 0)).toBe(0x1234 + 0x5600);
  });

  it('RFC 1624 §4 example: eqn. 3 gives 0x0000 where eqn. 2 would give 0xffff', () => {
    expect(csumReplace16(0xdd2f, 0x5555, 0x3285)).toBe(0x0000);
  });

  it('verifies a header containing its own checksum', () => {
    const h = Uint8Array.from([0x45, 0, 0, 0x1c, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
    const c = csumFull(h, 0, 20);
    h[10] = c >>> 8;
    h[11] = c & 0xff;
    expect(csumVerifies(h, 0, 20)).toBe(true);
    h[8] = 63;
    expect(csumVerifies(h, 0, 20)).toBe(false);
  });

  it('csumReplace32 equals two 16-bit replacements and pseudoHeaderSum adds the words', () => {
    expect(csumReplace32(0x1234, 0x0a000001, 0xac110002)).toBe(
      csumReplace16(csumReplace16(0x1234, 0x0a00, 0xac11), 0x0001, 0x0002),
    );
    expect(pseudoHeaderSum(0x0a000001, 0x0a000002, 17, 8)).toBe(0x0a00 + 1 + 0x0a00 + 2 + 17 + 8);
  });
});
