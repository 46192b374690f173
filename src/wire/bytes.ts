// Big-endian (network order) integer access on a Uint8Array, with shifts instead of a DataView.
//
// Why not DataView: a view over frame bytes is re-pointed per packet (`reset(u8, off)`), and building a
// DataView there would allocate. Byte shifts need no per-buffer state, so views stay allocation-free
// however often the underlying buffer changes. Callers must have bounds-checked `off` first (the
// `checkX` validators), because an out-of-range index reads `undefined`, which `|` turns into 0.

/** Reads an unsigned 16-bit big-endian value. */
export function rd16(u8: Uint8Array, off: number): number {
  return (u8[off]! << 8) | u8[off + 1]!;
}

/** Reads an unsigned 32-bit big-endian value (`>>> 0` keeps it non-negative). */
export function rd32(u8: Uint8Array, off: number): number {
  return ((u8[off]! << 24) | (u8[off + 1]! << 16) | (u8[off + 2]! << 8) | u8[off + 3]!) >>> 0;
}

/** Writes the low 16 bits of `v` big-endian. */
export function wr16(u8: Uint8Array, off: number, v: number): void {
  u8[off] = v >>> 8;
  u8[off + 1] = v;
}

/** Writes `v` as an unsigned 32-bit big-endian value. */
export function wr32(u8: Uint8Array, off: number, v: number): void {
  u8[off] = v >>> 24;
  u8[off + 1] = v >>> 16;
  u8[off + 2] = v >>> 8;
  u8[off + 3] = v;
}
