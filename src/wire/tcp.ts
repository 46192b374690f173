// TCP header (RFC 9293, which obsoletes RFC 793) and its options: MSS and window scale (RFC 7323 §2),
// SACK-permitted and SACK (RFC 2018), timestamps (RFC 7323 §3), NOP and End of Option List.
// ECE/CWR are the RFC 3168 flags.
//
// Heads up: option emission follows Linux's `tcp_options_write` (net/ipv4/tcp_output.c) word by word:
//   MSS | SACK_PERM+TS in one 12-octet block, or NOP NOP TS when SACK is off | NOP NOP SACK_PERM when
//   TS is off | NOP WS | NOP NOP SACK blocks
// so a Linux-like SYN is byte-identical to one from a real kernel (see test/wire/tcp.test.ts). Some
// middleboxes are known to break on other orders (comment above `tcp_options_write`).
//
// Invariant: after `checkTcp()` returns `TcpBad.None`, no accessor of a view reset to the same offset
// reads past `end`, and the option area is a well-formed sequence of (kind, length) items.

import { rd16, rd32, wr16, wr32 } from './bytes.js';
import { csumReplace16, csumReplace32, fold, pseudoHeaderSum, sumBytes } from './checksum.js';

export const IPPROTO_TCP = 6;
export const TCP_MIN_HEADER_LEN = 20;
export const TCP_MAX_HEADER_LEN = 60;
export const TCP_MAX_OPTIONS_LEN = 40;

/** Byte offsets of the TCP header fields (RFC 9293 §3.1). */
export const TCP_F = Object.freeze({
  SRC_PORT: 0,
  DST_PORT: 2,
  SEQ: 4,
  ACK: 8,
  DATA_OFF: 12, // high nibble; the low nibble is "Rsrvd"
  FLAGS: 13,
  WINDOW: 14,
  CHECKSUM: 16,
  URGENT: 18,
  OPTIONS: 20,
} as const);
const F = TCP_F;

/** Control bits of octet 13 (RFC 9293 §3.1, RFC 3168 §23.2). */
export const TcpFlag = Object.freeze({
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PSH: 0x08,
  ACK: 0x10,
  URG: 0x20,
  ECE: 0x40,
  CWR: 0x80,
} as const);

/** Option kinds (IANA "TCP Option Kind Numbers"). */
export const TcpOpt = Object.freeze({
  EOL: 0,
  NOP: 1,
  MSS: 2,
  WINDOW_SCALE: 3,
  SACK_PERMITTED: 4,
  SACK: 5,
  TIMESTAMP: 8,
} as const);

/** Why a TCP segment was rejected; index drop counters by it. */
export const TcpBad = Object.freeze({
  None: 0,
  /** Fewer than 20 octets. */
  Short: 1,
  /** "Data Offset" below 5 words or past the end of the segment. */
  DataOffset: 2,
  /**
   * An option with length < 2 or running past the header. Linux's `tcp_parse_options` stops parsing
   * there instead of dropping the segment; callers mimicking Linux treat this as "no more options".
   */
  BadOptionLength: 3,
  /** Checksum does not verify (from `tcpChecksumVerifies` / `parseTcp` with addresses). */
  Checksum: 4,
} as const);
export type TcpBad = (typeof TcpBad)[keyof typeof TcpBad];

/** Zero-copy, reusable view of a TCP header. */
export class TcpView {
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
  /** "Sequence Number" (unsigned 32-bit). */
  get seq(): number {
    return rd32(this.u8, this.off + F.SEQ);
  }
  set seq(v: number) {
    wr32(this.u8, this.off + F.SEQ, v);
  }
  /** "Acknowledgment Number" (unsigned 32-bit). */
  get ack(): number {
    return rd32(this.u8, this.off + F.ACK);
  }
  set ack(v: number) {
    wr32(this.u8, this.off + F.ACK, v);
  }
  /** "Data Offset": header length in 32-bit words (5..15). */
  get dataOffset(): number {
    return this.u8[this.off + F.DATA_OFF]! >>> 4;
  }
  set dataOffset(words: number) {
    const o = this.off + F.DATA_OFF;
    this.u8[o] = ((words & 0x0f) << 4) | (this.u8[o]! & 0x0f);
  }
  /** Header length in octets ("Data Offset" × 4). */
  get headerLen(): number {
    return (this.u8[this.off + F.DATA_OFF]! >>> 4) * 4;
  }
  /** The control bits (octet 13); test with `TcpFlag`. */
  get flags(): number {
    return this.u8[this.off + F.FLAGS]!;
  }
  set flags(v: number) {
    this.u8[this.off + F.FLAGS] = v;
  }
  get fin(): boolean {
    return (this.u8[this.off + F.FLAGS]! & TcpFlag.FIN) !== 0;
  }
  get syn(): boolean {
    return (this.u8[this.off + F.FLAGS]! & TcpFlag.SYN) !== 0;
  }
  get rst(): boolean {
    return (this.u8[this.off + F.FLAGS]! & TcpFlag.RST) !== 0;
  }
  get psh(): boolean {
    return (this.u8[this.off + F.FLAGS]! & TcpFlag.PSH) !== 0;
  }
  get ackFlag(): boolean {
    return (this.u8[this.off + F.FLAGS]! & TcpFlag.ACK) !== 0;
  }
  get urg(): boolean {
    return (this.u8[this.off + F.FLAGS]! & TcpFlag.URG) !== 0;
  }
  get ece(): boolean {
    return (this.u8[this.off + F.FLAGS]! & TcpFlag.ECE) !== 0;
  }
  get cwr(): boolean {
    return (this.u8[this.off + F.FLAGS]! & TcpFlag.CWR) !== 0;
  }
  /** "Window" (unscaled, as on the wire). */
  get window(): number {
    return rd16(this.u8, this.off + F.WINDOW);
  }
  set window(v: number) {
    wr16(this.u8, this.off + F.WINDOW, v);
  }
  /** "Checksum". */
  get checksum(): number {
    return rd16(this.u8, this.off + F.CHECKSUM);
  }
  set checksum(v: number) {
    wr16(this.u8, this.off + F.CHECKSUM, v);
  }
  /** "Urgent Pointer". */
  get urgent(): number {
    return rd16(this.u8, this.off + F.URGENT);
  }
  set urgent(v: number) {
    wr16(this.u8, this.off + F.URGENT, v);
  }
  /** Offset of the first option octet. */
  get optionsOff(): number {
    return this.off + F.OPTIONS;
  }
  /** Octets of options (and their padding). */
  get optionsLen(): number {
    return this.headerLen - TCP_MIN_HEADER_LEN;
  }
  /** Offset of the first data octet. */
  get payloadOff(): number {
    return this.off + this.headerLen;
  }
}

/**
 * Structural check: fixed header present, "Data Offset" within 5..15 words and the segment, and the
 * options a well-formed (kind, length) sequence.
 */
export function checkTcp(u8: Uint8Array, off: number, end: number): TcpBad {
  if (end - off < TCP_MIN_HEADER_LEN) return TcpBad.Short;
  const hl = (u8[off + F.DATA_OFF]! >>> 4) * 4;
  if (hl < TCP_MIN_HEADER_LEN || off + hl > end) return TcpBad.DataOffset;
  const optEnd = off + hl;
  let i = off + F.OPTIONS;
  while (i < optEnd) {
    const kind = u8[i]!;
    if (kind === TcpOpt.EOL) break;
    if (kind === TcpOpt.NOP) {
      i++;
      continue;
    }
    if (i + 1 >= optEnd) return TcpBad.BadOptionLength;
    const len = u8[i + 1]!;
    if (len < 2 || i + len > optEnd) return TcpBad.BadOptionLength;
    i += len;
  }
  return TcpBad.None;
}

/**
 * Offset of the first option of `kind` in the segment at `off`, or -1. Stops at EOL or a malformed
 * length, like `tcp_parse_options`. For hot-path uses such as MSS clamping; allocates nothing.
 */
export function tcpFindOption(u8: Uint8Array, off: number, kind: number): number {
  const optEnd = off + (u8[off + F.DATA_OFF]! >>> 4) * 4;
  let i = off + F.OPTIONS;
  while (i < optEnd) {
    const k = u8[i]!;
    if (k === TcpOpt.EOL) return -1;
    if (k === TcpOpt.NOP) {
      i++;
      continue;
    }
    if (i + 1 >= optEnd) return -1;
    const len = u8[i + 1]!;
    if (len < 2 || i + len > optEnd) return -1;
    if (k === kind) return i;
    i += len;
  }
  return -1;
}

// ---- Checksum (RFC 9293 §3.1 "Checksum": pseudo-header + header + data) ----

/** Checksum field value over the `len` octets at `off`; the stored checksum is skipped, not zeroed. */
export function tcpChecksum(u8: Uint8Array, off: number, len: number, src: number, dst: number): number {
  let s = pseudoHeaderSum(src, dst, IPPROTO_TCP, len);
  s = sumBytes(u8, off, F.CHECKSUM, s);
  s = sumBytes(u8, off + F.URGENT, len - F.URGENT, s);
  return ~fold(s) & 0xffff;
}

/** Computes and stores the checksum of the `len`-octet segment at `off`. */
export function setTcpChecksum(u8: Uint8Array, off: number, len: number, src: number, dst: number): void {
  wr16(u8, off + F.CHECKSUM, tcpChecksum(u8, off, len, src, dst));
}

/** True when the `len`-octet segment at `off` (checksum included) sums to 0xffff with the pseudo-header. */
export function tcpChecksumVerifies(
  u8: Uint8Array,
  off: number,
  len: number,
  src: number,
  dst: number,
): boolean {
  return fold(sumBytes(u8, off, len, pseudoHeaderSum(src, dst, IPPROTO_TCP, len))) === 0xffff;
}

/** Rewrites "Source Port" with an RFC 1624 checksum update (NAT). */
export function tcpRewriteSrcPort(u8: Uint8Array, off: number, port: number): void {
  const old = rd16(u8, off + F.SRC_PORT);
  wr16(u8, off + F.SRC_PORT, port);
  wr16(u8, off + F.CHECKSUM, csumReplace16(rd16(u8, off + F.CHECKSUM), old, port & 0xffff));
}

/** Rewrites "Destination Port" with an RFC 1624 checksum update (NAT). */
export function tcpRewriteDstPort(u8: Uint8Array, off: number, port: number): void {
  const old = rd16(u8, off + F.DST_PORT);
  wr16(u8, off + F.DST_PORT, port);
  wr16(u8, off + F.CHECKSUM, csumReplace16(rd16(u8, off + F.CHECKSUM), old, port & 0xffff));
}

/** Updates the checksum after an IPv4 address in the pseudo-header changed (NAT); header untouched. */
export function tcpAddrRewritten(u8: Uint8Array, off: number, oldAddr: number, newAddr: number): void {
  wr16(u8, off + F.CHECKSUM, csumReplace32(rd16(u8, off + F.CHECKSUM), oldAddr >>> 0, newAddr >>> 0));
}

// ---- Repr (tests, traffic generators, printing) ----

export interface TcpSackBlock {
  /** "Left Edge of Block" (RFC 2018 §3). */
  left: number;
  /** "Right Edge of Block". */
  right: number;
}

export interface TcpTimestamp {
  /** "TSval" (RFC 7323 §3.2). */
  tsVal: number;
  /** "TSecr". */
  tsEcr: number;
}

export interface TcpRawOption {
  kind: number;
  /** The option's data, without the kind and length octets. */
  data: Uint8Array;
}

/** Parsed options. NOP/EOL padding is not kept; unknown or malformed-length known options are `unknown`. */
export interface TcpOptions {
  mss?: number;
  windowScale?: number;
  sackPermitted?: boolean;
  sack?: TcpSackBlock[];
  timestamp?: TcpTimestamp;
  unknown?: TcpRawOption[];
}

export interface TcpRepr {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  /** `TcpFlag` bits. */
  flags: number;
  window: number;
  urgent: number;
  options: TcpOptions;
  payload: Uint8Array;
}

export type TcpParse = { ok: true; repr: TcpRepr } | { ok: false; reason: TcpBad };

/** Octets of options `emitTcpOptions` writes, padding included (a multiple of 4). */
export function tcpOptionsLen(o: TcpOptions): number {
  let n = 0;
  if (o.mss !== undefined) n += 4;
  if (o.timestamp !== undefined)
    n += 12; // SACK_PERM rides in the TS word when both are present
  else if (o.sackPermitted) n += 4;
  if (o.windowScale !== undefined) n += 4;
  if (o.sack !== undefined && o.sack.length > 0) n += 4 + 8 * o.sack.length;
  if (o.unknown !== undefined) for (const u of o.unknown) n += 2 + u.data.length;
  return (n + 3) & ~3;
}

/** Header length in octets for `r`. */
export function tcpHeaderLen(r: TcpRepr): number {
  return TCP_MIN_HEADER_LEN + tcpOptionsLen(r.options);
}

/** Octets `emitTcp` writes. */
export function tcpReprLen(r: TcpRepr): number {
  return tcpHeaderLen(r) + r.payload.length;
}

/**
 * Writes options at `at` in Linux's `tcp_options_write` order, then unknown options in order, then NOPs
 * up to a 4-octet multiple. Returns the octets written.
 */
export function emitTcpOptions(o: TcpOptions, u8: Uint8Array, at: number): number {
  let p = at;
  const word = (a: number, b: number, c: number, d: number) => {
    u8[p] = a;
    u8[p + 1] = b;
    u8[p + 2] = c;
    u8[p + 3] = d;
    p += 4;
  };
  if (o.mss !== undefined) word(TcpOpt.MSS, 4, o.mss >>> 8, o.mss);
  if (o.timestamp !== undefined) {
    if (o.sackPermitted) word(TcpOpt.SACK_PERMITTED, 2, TcpOpt.TIMESTAMP, 10);
    else word(TcpOpt.NOP, TcpOpt.NOP, TcpOpt.TIMESTAMP, 10);
    wr32(u8, p, o.timestamp.tsVal);
    wr32(u8, p + 4, o.timestamp.tsEcr);
    p += 8;
  } else if (o.sackPermitted) {
    word(TcpOpt.NOP, TcpOpt.NOP, TcpOpt.SACK_PERMITTED, 2);
  }
  if (o.windowScale !== undefined) word(TcpOpt.NOP, TcpOpt.WINDOW_SCALE, 3, o.windowScale);
  if (o.sack !== undefined && o.sack.length > 0) {
    word(TcpOpt.NOP, TcpOpt.NOP, TcpOpt.SACK, 2 + 8 * o.sack.length);
    for (const b of o.sack) {
      wr32(u8, p, b.left);
      wr32(u8, p + 4, b.right);
      p += 8;
    }
  }
  if (o.unknown !== undefined) {
    for (const u of o.unknown) {
      u8[p] = u.kind;
      u8[p + 1] = 2 + u.data.length;
      u8.set(u.data, p + 2);
      p += 2 + u.data.length;
    }
  }
  while ((p - at) & 3) u8[p++] = TcpOpt.NOP;
  return p - at;
}

/**
 * Writes the segment at `off`, computes the checksum for `src`/`dst`, and returns the octets written.
 * Throws RangeError when the options need more than 40 octets (a caller bug, not untrusted input).
 */
export function emitTcp(r: TcpRepr, u8: Uint8Array, off: number, src: number, dst: number): number {
  const optLen = tcpOptionsLen(r.options);
  if (optLen > TCP_MAX_OPTIONS_LEN) throw new RangeError(`TCP options need ${optLen} octets (max 40)`);
  const hl = TCP_MIN_HEADER_LEN + optLen;
  wr16(u8, off + F.SRC_PORT, r.srcPort);
  wr16(u8, off + F.DST_PORT, r.dstPort);
  wr32(u8, off + F.SEQ, r.seq);
  wr32(u8, off + F.ACK, r.ack);
  u8[off + F.DATA_OFF] = (hl / 4) << 4;
  u8[off + F.FLAGS] = r.flags;
  wr16(u8, off + F.WINDOW, r.window);
  wr16(u8, off + F.CHECKSUM, 0);
  wr16(u8, off + F.URGENT, r.urgent);
  emitTcpOptions(r.options, u8, off + F.OPTIONS);
  u8.set(r.payload, off + hl);
  const len = hl + r.payload.length;
  wr16(u8, off + F.CHECKSUM, tcpChecksum(u8, off, len, src, dst));
  return len;
}

/**
 * Parses the option area [`at`, `end`). Returns null on a malformed length (see `TcpBad.BadOptionLength`).
 * A known kind with the wrong fixed length, or seen a second time, is kept as an unknown raw option so
 * that nothing is lost.
 */
export function parseTcpOptions(u8: Uint8Array, at: number, end: number): TcpOptions | null {
  const o: TcpOptions = {};
  const keepRaw = (kind: number, i: number, len: number) => {
    const raw = { kind, data: u8.slice(i + 2, i + len) };
    if (o.unknown === undefined) o.unknown = [raw];
    else o.unknown.push(raw);
  };
  let i = at;
  while (i < end) {
    const kind = u8[i]!;
    if (kind === TcpOpt.EOL) break;
    if (kind === TcpOpt.NOP) {
      i++;
      continue;
    }
    if (i + 1 >= end) return null;
    const len = u8[i + 1]!;
    if (len < 2 || i + len > end) return null;
    if (kind === TcpOpt.MSS && len === 4 && o.mss === undefined) o.mss = rd16(u8, i + 2);
    else if (kind === TcpOpt.WINDOW_SCALE && len === 3 && o.windowScale === undefined)
      o.windowScale = u8[i + 2]!;
    else if (kind === TcpOpt.SACK_PERMITTED && len === 2 && o.sackPermitted === undefined)
      o.sackPermitted = true;
    else if (kind === TcpOpt.TIMESTAMP && len === 10 && o.timestamp === undefined) {
      o.timestamp = { tsVal: rd32(u8, i + 2), tsEcr: rd32(u8, i + 6) };
    } else if (kind === TcpOpt.SACK && len >= 10 && (len - 2) % 8 === 0 && o.sack === undefined) {
      const blocks: TcpSackBlock[] = [];
      for (let j = i + 2; j < i + len; j += 8) blocks.push({ left: rd32(u8, j), right: rd32(u8, j + 4) });
      o.sack = blocks;
    } else keepRaw(kind, i, len);
    i += len;
  }
  return o;
}

/**
 * Parses the segment occupying [`off`, `end`) (the IPv4 payload). When `src`/`dst` are given, the
 * checksum must verify over those octets. Never throws.
 */
export function parseTcp(u8: Uint8Array, off: number, end: number, src?: number, dst?: number): TcpParse {
  const bad = checkTcp(u8, off, end);
  if (bad !== TcpBad.None) return { ok: false, reason: bad };
  if (src !== undefined && dst !== undefined && !tcpChecksumVerifies(u8, off, end - off, src, dst)) {
    return { ok: false, reason: TcpBad.Checksum };
  }
  const hl = (u8[off + F.DATA_OFF]! >>> 4) * 4;
  const options = parseTcpOptions(u8, off + F.OPTIONS, off + hl);
  if (options === null) return { ok: false, reason: TcpBad.BadOptionLength };
  return {
    ok: true,
    repr: {
      srcPort: rd16(u8, off + F.SRC_PORT),
      dstPort: rd16(u8, off + F.DST_PORT),
      seq: rd32(u8, off + F.SEQ),
      ack: rd32(u8, off + F.ACK),
      flags: u8[off + F.FLAGS]!,
      window: rd16(u8, off + F.WINDOW),
      urgent: rd16(u8, off + F.URGENT),
      options,
      payload: u8.slice(off + hl, end),
    },
  };
}
