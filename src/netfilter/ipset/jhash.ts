// Bob Jenkins' lookup3 `hashword`, as the kernel's jhash2 (include/linux/jhash.h: JHASH_INITVAL
// 0xdeadbeef, __jhash_mix / __jhash_final) for keys of one or two 32-bit words — the sizes of
// ipset's hash:ip (struct hash_ip4_elem) and hash:net (struct hash_net4_elem) IPv4 elements. The
// words are what a little-endian kernel loads from the element struct (see hash-set.ts).
// Per packet: everything stays an int32 (`| 0`), which V8 keeps unboxed (Smi) across calls, where
// uint32 values above 2^31 would be boxed as heap numbers.

function rol32(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** __jhash_final(a, b, c), returning c (as an int32). */
function final(a0: number, b0: number, c0: number): number {
  let a = a0;
  let b = b0;
  let c = c0;
  c = ((c ^ b) - rol32(b, 14)) | 0;
  a = ((a ^ c) - rol32(c, 11)) | 0;
  b = ((b ^ a) - rol32(a, 25)) | 0;
  c = ((c ^ b) - rol32(b, 16)) | 0;
  a = ((a ^ c) - rol32(c, 4)) | 0;
  b = ((b ^ a) - rol32(a, 14)) | 0;
  c = ((c ^ b) - rol32(b, 24)) | 0;
  return c;
}

/** jhash2(k, 1, initval), as an int32. */
export function jhash1(w0: number, initval: number): number {
  const init = (0xdeadbeef + 4 + initval) | 0;
  return final((init + w0) | 0, init, init);
}

/** jhash2(k, 2, initval), as an int32. */
export function jhash2w(w0: number, w1: number, initval: number): number {
  const init = (0xdeadbeef + 8 + initval) | 0;
  return final((init + w0) | 0, (init + w1) | 0, init);
}

/** An IPv4 address as a little-endian CPU reads its network-order bytes as a word (int32). */
export function bswap32(x: number): number {
  return ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);
}
