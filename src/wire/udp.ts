// UDP header (RFC 768) over IPv4: view, validation, checksum, NAT rewrites, repr emit/parse.
//
// Heads up: read RFC 768 and RFC 1624 before changing checksum code. Two UDP-specific rules live here:
//  - a computed checksum of 0 is transmitted as all ones (0xffff), because a received 0 means
//    "the transmitter generated no checksum" (RFC 768, "Fields: Checksum");
//  - a NAT rewrite keeps a 0 checksum at 0 and never produces 0 from a real one (mirrors
//    `udp_manip_pkt` in net/netfilter/nf_nat_proto.c: skip when `check` is 0, and map a result of 0
//    to CSUM_MANGLED_0 = 0xffff).
//
// Invariant: after `checkUdp()` returns `UdpBad.None`, no accessor of a view reset to the same
// offset reads past `end`.

import { rd16, wr16 } from './bytes.js';
import { csumReplace16, csumReplace32, fold, pseudoHeaderSum, sumBytes } from './checksum.js';

export const IPPROTO_UDP = 17;
export const UDP_HEADER_LEN = 8;

/** Byte offsets of the UDP header fields (RFC 768, "Format"). */
export const UDP_F = Object.freeze({ SRC_PORT: 0, DST_PORT: 2, LENGTH: 4, CHECKSUM: 6 } as const);
const F = UDP_F;

/** Why a UDP datagram was rejected; index drop counters by it. */
export const UdpBad = Object.freeze({
  None: 0,
  /** Fewer than 8 bytes. */
  Short: 1,
  /** "Length" below 8 or beyond the bytes available. */
  Length: 2,
  /** Non-zero checksum that does not verify (only reported where the caller asks for verification). */
  Checksum: 3,
} as const);
export type UdpBad = (typeof UdpBad)[keyof typeof UdpBad];

/** Zero-copy, reusable view of a UDP header. */
export class UdpView {
  u8: Uint8Array = new Uint8Array(0);
  off = 0;

  /** Re-points the view; allocates nothing. */
  reset(u8: Uint8Array, off: number): this {
    this.u8 = u8;
    this.off = off;
    return this;
  }
  /** "Source Port". */
  get srcPort(): number {
    return rd16(this.u8, this.off + F.SRC_PORT);
  }
  set srcPort(v: number) {
    wr16(this.u8, this.off + F.SRC_PORT, v);
  }
  /** "Destination Port". */
  get dstPort(): number {
    return rd16(this.u8, this.off + F.DST_PORT);
  }
  set dstPort(v: number) {
    wr16(this.u8, this.off + F.DST_PORT, v);
  }
  /** "Length": octets of header plus data. */
  get length(): number {
    return rd16(this.u8, this.off + F.LENGTH);
  }
  set length(v: number) {
    wr16(this.u8, this.off + F.LENGTH, v);
  }
  /** "Checksum" as stored; 0 means none was generated. */
  get checksum(): number {
    return rd16(this.u8, this.off + F.CHECKSUM);
  }
  set checksum(v: number) {
    wr16(this.u8, this.off + F.CHECKSUM, v);
  }
  /** Offset of the first data octet. */
  get payloadOff(): number {
    return this.off + UDP_HEADER_LEN;
  }
}

/** Structural check: header present and "Length" consistent with the bytes available. */
export function checkUdp(u8: Uint8Array, off: number, end: number): UdpBad {
  if (end - off < UDP_HEADER_LEN) return UdpBad.Short;
  const len = rd16(u8, off + F.LENGTH);
  if (len < UDP_HEADER_LEN || off + len > end) return UdpBad.Length;
  return UdpBad.None;
}

/**
 * Checksum field value for the `len` octets at `off` (header and data; the stored checksum is skipped,
 * so it need not be zeroed first), with the IPv4 pseudo-header. A result of 0 is returned as 0xffff.
 */
export function udpChecksum(u8: Uint8Array, off: number, len: number, src: number, dst: number): number {
  let s = pseudoHeaderSum(src, dst, IPPROTO_UDP, len);
  s = sumBytes(u8, off, F.CHECKSUM, s);
  s = sumBytes(u8, off + UDP_HEADER_LEN, len - UDP_HEADER_LEN, s);
  const c = ~fold(s) & 0xffff;
  return c === 0 ? 0xffff : c;
}

/** Computes and stores the checksum of the datagram at `off` ("Length" octets). */
export function setUdpChecksum(u8: Uint8Array, off: number, src: number, dst: number): void {
  wr16(u8, off + F.CHECKSUM, udpChecksum(u8, off, rd16(u8, off + F.LENGTH), src, dst));
}

/**
 * True when the stored checksum is 0 ("no checksum", accepted as Linux does by default) or verifies
 * over `len` octets with the pseudo-header.
 */
export function udpChecksumVerifies(
  u8: Uint8Array,
  off: number,
  len: number,
  src: number,
  dst: number,
): boolean {
  if (rd16(u8, off + F.CHECKSUM) === 0) return true;
  return fold(sumBytes(u8, off, len, pseudoHeaderSum(src, dst, IPPROTO_UDP, len))) === 0xffff;
}

// NAT rewrites: RFC 1624 incremental updates; a zero ("absent") checksum stays zero.

/** Rewrites "Source Port" and updates the checksum incrementally. */
export function udpRewriteSrcPort(u8: Uint8Array, off: number, port: number): void {
  rewritePort(u8, off, off + F.SRC_PORT, port);
}

/** Rewrites "Destination Port" and updates the checksum incrementally. */
export function udpRewriteDstPort(u8: Uint8Array, off: number, port: number): void {
  rewritePort(u8, off, off + F.DST_PORT, port);
}

function rewritePort(u8: Uint8Array, off: number, at: number, port: number): void {
  const old = rd16(u8, at);
  wr16(u8, at, port);
  const c = rd16(u8, off + F.CHECKSUM);
  if (c === 0) return;
  const n = csumReplace16(c, old, port & 0xffff);
  wr16(u8, off + F.CHECKSUM, n === 0 ? 0xffff : n);
}

/**
 * Updates the UDP checksum after the IPv4 header's source or destination address changed from
 * `oldAddr` to `newAddr` (the address is covered through the pseudo-header). The IPv4 header itself is
 * not touched here.
 */
export function udpAddrRewritten(u8: Uint8Array, off: number, oldAddr: number, newAddr: number): void {
  const c = rd16(u8, off + F.CHECKSUM);
  if (c === 0) return;
  const n = csumReplace32(c, oldAddr >>> 0, newAddr >>> 0);
  wr16(u8, off + F.CHECKSUM, n === 0 ? 0xffff : n);
}

// ---- Repr (tests, traffic generators, printing) ----

export interface UdpRepr {
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
}

export type UdpParse = { ok: true; repr: UdpRepr } | { ok: false; reason: UdpBad };

/** Octets `emitUdp` writes. */
export function udpReprLen(r: UdpRepr): number {
  return UDP_HEADER_LEN + r.payload.length;
}

/**
 * Writes header and payload at `off` and returns the octets written. With `withChecksum` (default) the
 * checksum is computed over the IPv4 pseudo-header for `src`/`dst`; otherwise 0 ("none") is sent.
 */
export function emitUdp(
  r: UdpRepr,
  u8: Uint8Array,
  off: number,
  src: number,
  dst: number,
  withChecksum = true,
): number {
  const len = udpReprLen(r);
  if (len > 0xffff) throw new RangeError(`UDP datagram of ${len} octets exceeds 65535`);
  wr16(u8, off + F.SRC_PORT, r.srcPort);
  wr16(u8, off + F.DST_PORT, r.dstPort);
  wr16(u8, off + F.LENGTH, len);
  wr16(u8, off + F.CHECKSUM, 0);
  u8.set(r.payload, off + UDP_HEADER_LEN);
  if (withChecksum) wr16(u8, off + F.CHECKSUM, udpChecksum(u8, off, len, src, dst));
  return len;
}

/**
 * Parses the datagram at `off` (bytes past "Length", such as Ethernet padding, are ignored). When
 * `src`/`dst` are given, a non-zero checksum must verify. Never throws.
 */
export function parseUdp(u8: Uint8Array, off: number, end: number, src?: number, dst?: number): UdpParse {
  const bad = checkUdp(u8, off, end);
  if (bad !== UdpBad.None) return { ok: false, reason: bad };
  const len = rd16(u8, off + F.LENGTH);
  if (src !== undefined && dst !== undefined && !udpChecksumVerifies(u8, off, len, src, dst)) {
    return { ok: false, reason: UdpBad.Checksum };
  }
  return {
    ok: true,
    repr: {
      srcPort: rd16(u8, off + F.SRC_PORT),
      dstPort: rd16(u8, off + F.DST_PORT),
      payload: u8.slice(off + UDP_HEADER_LEN, off + len),
    },
  };
}
