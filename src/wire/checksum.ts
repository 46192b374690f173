// The Internet checksum (RFC 1071) and its incremental update (RFC 1624).
//
// All sums here are one's-complement sums of 16-bit big-endian words, folded to 16 bits. Functions
// return the *folded sum* (`sum*`) or the *checksum field value* (`csum*`, the complement of the sum);
// keep the two apart: a packet verifies when the sum over the covered bytes, checksum field included,
// folds to 0xffff.

/** Adds `len` bytes of `u8` starting at `off` to a running 32-bit partial sum (not folded). */
export function sumBytes(u8: Uint8Array, off: number, len: number, acc: number): number {
  let s = acc;
  const end = off + len;
  let i = off;
  // Two bytes at a time; a JS number holds the unfolded sum exactly far beyond any frame size.
  for (; i + 1 < end; i += 2) s += (u8[i]! << 8) | u8[i + 1]!;
  if (i < end) s += u8[i]! << 8; // an odd trailing byte is padded with zero on the right (RFC 1071)
  return s;
}

/** Folds a partial sum to 16 bits with end-around carry. */
export function fold(s: number): number {
  let x = s;
  while (x > 0xffff) x = (x & 0xffff) + Math.floor(x / 0x10000);
  return x;
}

/** Checksum field value over `len` bytes: ~fold(sum). The field itself must be zero when computing. */
export function csumFull(u8: Uint8Array, off: number, len: number): number {
  return ~fold(sumBytes(u8, off, len, 0)) & 0xffff;
}

/** True when the covered bytes, checksum field included, sum to 0xffff (RFC 1071 §1 verification). */
export function csumVerifies(u8: Uint8Array, off: number, len: number, acc = 0): boolean {
  return fold(sumBytes(u8, off, len, acc)) === 0xffff;
}

/**
 * Partial sum of the IPv4 pseudo-header used by UDP and TCP (RFC 768, RFC 793 §3.1):
 * source address, destination address, zero, protocol, transport length.
 */
export function pseudoHeaderSum(src: number, dst: number, proto: number, l4Len: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + proto + l4Len;
}

/**
 * RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'). Use after rewriting one 16-bit word (NAT port, TTL+proto
 * word). Returns the new checksum field value.
 */
export function csumReplace16(hc: number, oldWord: number, newWord: number): number {
  let s = (~hc & 0xffff) + (~oldWord & 0xffff) + (newWord & 0xffff);
  s = (s & 0xffff) + (s >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** RFC 1624 update for a rewritten 32-bit field (an IPv4 address), as two 16-bit word replacements. */
export function csumReplace32(hc: number, oldVal: number, newVal: number): number {
  return csumReplace16(csumReplace16(hc, oldVal >>> 16, newVal >>> 16), oldVal & 0xffff, newVal & 0xffff);
}
