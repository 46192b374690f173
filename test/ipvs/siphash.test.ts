import { describe, expect, it } from 'vitest';
import { hsiphash1u32, siphash13u32Full } from '../../src/ipvs/siphash.js';

// Reference: CPython 3.11's bytes hash is SipHash-1-3 (sys.hash_info.algorithm == 'siphash13'); with
// PYTHONHASHSEED=0 its key is all zero. Values from
//   PYTHONHASHSEED=0 python3 -c "print(hash(v.to_bytes(4, 'little')))"
// (a signed 64-bit result). The kernel's 64-bit hsiphash of 4 bytes is the same function.
const PYTHON_KEY0: Array<[number, bigint]> = [
  [0x00000000, -3737345886862931216n],
  [0x00000001, 1742378985846435984n],
  [0x04030201, -1751442419216569900n],
  [0x0a000002, -4031792293665374979n],
  [0xffffffff, 5963905586759915234n],
  [0xc0a80101, -1655208650992554847n],
];

describe('hsiphash (SipHash-1-3 on 64-bit kernels)', () => {
  it('matches CPython siphash13 with a zero key', () => {
    for (const [m, expected] of PYTHON_KEY0) {
      const [h, l] = siphash13u32Full(m, 0, 0, 0, 0);
      expect(BigInt.asIntN(64, (BigInt(h) << 32n) | BigInt(l))).toBe(expected);
    }
  });

  it('the allocation-free version returns the low 32 bits of the full result', () => {
    for (let m = 0; m < 5000; m += 37) {
      const [, l] = siphash13u32Full(m * 2654435761, 0, 2654435761, 0, 2654435761);
      expect(hsiphash1u32(m * 2654435761, 0, 2654435761, 0, 2654435761) >>> 0).toBe(l);
    }
  });
});
