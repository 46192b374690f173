// hsiphash as 64-bit kernels build it (lib/siphash.c: "on 64-bit, we make HalfSipHash1-3 actually be
// SipHash1-3"), for a 4-byte message: the only shape IPVS mh hashes (`ip_vs_mh_hashkey` hashes one
// u32). 64-bit words are (hi, lo) pairs of u32 in locals; no allocation, no bigint.
//
// Returns the low 32 bits of v0 ^ v1 ^ v2 ^ v3 (the u32 hsiphash result) as an int32: a u32 >= 2^31
// returned from a non-inlined function would be boxed; callers apply `>>> 0` where they need it.

/** SipHash-1-3 of the 4 little-endian bytes of `m` (a u32), key = (k0, k1) as (hi, lo) u32 pairs. */
export function hsiphash1u32(m: number, k0h: number, k0l: number, k1h: number, k1l: number): number {
  // PREAMBLE: v0 = "somepseu" ^ k0, v1 = "dorandom" ^ k1, v2 = "lygenera" ^ k0, v3 = "tedbytes" ^ k1.
  let v0h = 0x736f6d65 ^ k0h;
  let v0l = 0x70736575 ^ k0l;
  let v1h = 0x646f7261 ^ k1h;
  let v1l = 0x6e646f6d ^ k1l;
  let v2h = 0x6c796765 ^ k0h;
  let v2l = 0x6e657261 ^ k0l;
  let v3h = 0x74656462 ^ k1h;
  let v3l = 0x79746573 ^ k1l;
  // b = (len << 56) | m, len = 4.
  const bh = 0x04000000;
  const bl = m | 0;
  v3h ^= bh;
  v3l ^= bl;
  let th = 0;
  let tl = 0;
  let s = 0;
  for (let round = 0; round < 4; round++) {
    if (round === 1) {
      v0h ^= bh;
      v0l ^= bl;
      v2l ^= 0xff;
    }
    // SIPROUND
    // v0 += v1; v1 = rol(v1, 13); v1 ^= v0; v0 = rol(v0, 32);
    s = (v0l >>> 0) + (v1l >>> 0);
    v0h = (v0h + v1h + (s > 0xffffffff ? 1 : 0)) | 0;
    v0l = s | 0;
    th = (v1h << 13) | (v1l >>> 19);
    tl = (v1l << 13) | (v1h >>> 19);
    v1h = th ^ v0h;
    v1l = tl ^ v0l;
    th = v0l;
    v0l = v0h;
    v0h = th;
    // v2 += v3; v3 = rol(v3, 16); v3 ^= v2;
    s = (v2l >>> 0) + (v3l >>> 0);
    v2h = (v2h + v3h + (s > 0xffffffff ? 1 : 0)) | 0;
    v2l = s | 0;
    th = (v3h << 16) | (v3l >>> 16);
    tl = (v3l << 16) | (v3h >>> 16);
    v3h = th ^ v2h;
    v3l = tl ^ v2l;
    // v0 += v3; v3 = rol(v3, 21); v3 ^= v0;
    s = (v0l >>> 0) + (v3l >>> 0);
    v0h = (v0h + v3h + (s > 0xffffffff ? 1 : 0)) | 0;
    v0l = s | 0;
    th = (v3h << 21) | (v3l >>> 11);
    tl = (v3l << 21) | (v3h >>> 11);
    v3h = th ^ v0h;
    v3l = tl ^ v0l;
    // v2 += v1; v1 = rol(v1, 17); v1 ^= v2; v2 = rol(v2, 32);
    s = (v2l >>> 0) + (v1l >>> 0);
    v2h = (v2h + v1h + (s > 0xffffffff ? 1 : 0)) | 0;
    v2l = s | 0;
    th = (v1h << 17) | (v1l >>> 15);
    tl = (v1l << 17) | (v1h >>> 15);
    v1h = th ^ v2h;
    v1l = tl ^ v2l;
    th = v2l;
    v2l = v2h;
    v2h = th;
  }
  return v0l ^ v1l ^ v2l ^ v3l;
}

/** Full 64-bit result as [hi, lo] (tests compare with reference SipHash-1-3 values). */
export function siphash13u32Full(
  m: number,
  k0h: number,
  k0l: number,
  k1h: number,
  k1l: number,
): [number, number] {
  // Same computation returning both halves; kept separate so the hot function stays minimal.
  let v0h = 0x736f6d65 ^ k0h;
  let v0l = 0x70736575 ^ k0l;
  let v1h = 0x646f7261 ^ k1h;
  let v1l = 0x6e646f6d ^ k1l;
  let v2h = 0x6c796765 ^ k0h;
  let v2l = 0x6e657261 ^ k0l;
  let v3h = 0x74656462 ^ k1h;
  let v3l = 0x79746573 ^ k1l;
  const bh = 0x04000000;
  const bl = m | 0;
  v3h ^= bh;
  v3l ^= bl;
  const rot = (h: number, l: number, r: number): [number, number] =>
    r === 32 ? [l, h] : [(h << r) | (l >>> (32 - r)), (l << r) | (h >>> (32 - r))];
  const add = (ah: number, al: number, bh2: number, bl2: number): [number, number] => {
    const s = (al >>> 0) + (bl2 >>> 0);
    return [(ah + bh2 + (s > 0xffffffff ? 1 : 0)) | 0, s | 0];
  };
  const round = () => {
    [v0h, v0l] = add(v0h, v0l, v1h, v1l);
    [v1h, v1l] = rot(v1h, v1l, 13);
    v1h ^= v0h;
    v1l ^= v0l;
    [v0h, v0l] = rot(v0h, v0l, 32);
    [v2h, v2l] = add(v2h, v2l, v3h, v3l);
    [v3h, v3l] = rot(v3h, v3l, 16);
    v3h ^= v2h;
    v3l ^= v2l;
    [v0h, v0l] = add(v0h, v0l, v3h, v3l);
    [v3h, v3l] = rot(v3h, v3l, 21);
    v3h ^= v0h;
    v3l ^= v0l;
    [v2h, v2l] = add(v2h, v2l, v1h, v1l);
    [v1h, v1l] = rot(v1h, v1l, 17);
    v1h ^= v2h;
    v1l ^= v2l;
    [v2h, v2l] = rot(v2h, v2l, 32);
  };
  round();
  v0h ^= bh;
  v0l ^= bl;
  v2l ^= 0xff;
  round();
  round();
  round();
  return [(v0h ^ v1h ^ v2h ^ v3h) >>> 0, (v0l ^ v1l ^ v2l ^ v3l) >>> 0];
}
