// ICMP for IPv4.
//
// Heads up: read RFC 792 (message formats), RFC 1191 §4 (Next-Hop MTU in Fragmentation Needed),
// RFC 1812 §4.3.2.3 (how much of the original datagram an error quotes) and Linux's net/ipv4/icmp.c
// (`__icmp_send`, `icmp_rcv`) before changing this file.
//
// How much an error quotes. RFC 792 asks for "the internet header plus the first 64 bits of the
// original datagram's data"; RFC 1812 §4.3.2.3 lets routers quote as much as fits in 576 bytes. Linux
// does the latter: `__icmp_send` computes `room = min(dst_mtu, 576) − sizeof(iphdr) − reply options −
// sizeof(icmphdr)` and quotes `min(original length, room)` bytes from the original IP header on, and
// sends nothing when `room <= 20`. Our recording confirms it: a Fragmentation Needed for a 1428-byte
// datagram is a 576-byte IP packet quoting 548 bytes (test/wire/fixtures/linux-frames.ts). Linux is
// the default here (`ICMP_QUOTE_MAX_LINUX`); `icmpRfc792QuoteLen` gives the RFC 792 minimum.
//
// The IP header around an error is the caller's (net/ipv4/icmp-errors.ts). Linux's choices, seen in
// the same recordings: TOS = (original TOS & IPTOS_TOS_MASK) | 0xc0 (IPTOS_PREC_INTERNETCONTROL),
// TTL from `net.ipv4.ip_default_ttl` (64), DF clear.

import { rd16, rd32, wr16, wr32 } from './bytes.js';
import { csumFull, csumVerifies } from './checksum.js';

/** Byte offsets (RFC 792). Bytes 4..7 depend on the type ("rest of header"). */
export const ICMP_F = Object.freeze({
  TYPE: 0,
  CODE: 1,
  CSUM: 2,
  /** Echo "Identifier"; also the start of the 32-bit "rest of header". */
  IDENT: 4,
  REST: 4,
  /** Echo "Sequence Number". */
  SEQ: 6,
  /** Parameter Problem "Pointer" (one octet). */
  POINTER: 4,
  /** Redirect "Gateway Internet Address". */
  GATEWAY: 4,
  /** Fragmentation Needed "Next-Hop MTU" (RFC 1191), low 16 bits of the rest of header. */
  MTU: 6,
  /** Echo data, or the quoted original datagram in an error. */
  DATA: 8,
} as const);
const F = ICMP_F;

export const ICMP_HDR_LEN = 8;
/** Linux `NR_ICMP_TYPES`: `icmp_rcv` drops types above it. */
export const ICMP_MAX_TYPE = 18;
/** Linux's upper bound on the quoted bytes when no reply options are echoed: 576 − 20 − 8. */
export const ICMP_QUOTE_MAX_LINUX = 548;

/** "Type" values (RFC 792; Linux `ICMP_*`). */
export const ICMP_TYPE = Object.freeze({
  EchoReply: 0,
  DestUnreach: 3,
  SourceQuench: 4,
  Redirect: 5,
  EchoRequest: 8,
  TimeExceeded: 11,
  ParamProblem: 12,
  Timestamp: 13,
  TimestampReply: 14,
} as const);

/** Destination Unreachable codes (RFC 792, RFC 1122 §3.2.2.1, RFC 1812 §5.2.7.1). */
export const ICMP_UNREACH = Object.freeze({
  Net: 0,
  Host: 1,
  Protocol: 2,
  Port: 3,
  /** "fragmentation needed and DF set": carries the Next-Hop MTU (RFC 1191). */
  FragNeeded: 4,
  SourceRouteFailed: 5,
  NetUnknown: 6,
  HostUnknown: 7,
  HostIsolated: 8,
  NetProhibited: 9,
  HostProhibited: 10,
  NetTos: 11,
  HostTos: 12,
  /** "Communication Administratively Prohibited" (iptables `--reject-with icmp-admin-prohibited`). */
  AdminProhibited: 13,
  HostPrecedence: 14,
  PrecedenceCutoff: 15,
} as const);

/** Time Exceeded codes (RFC 792). */
export const ICMP_TIME_EXCEEDED = Object.freeze({
  /** "time to live exceeded in transit". */
  Ttl: 0,
  /** "fragment reassembly time exceeded". */
  Reassembly: 1,
} as const);

/** Why an ICMP message was refused. Index drop counters by it (Linux counts all as `InErrors`). */
export const IcmpBad = Object.freeze({
  None: 0,
  /** Fewer than 8 bytes (`icmp_rcv`: `pskb_pull(skb, sizeof(*icmph))`). */
  Short: 1,
  /** Checksum over the whole message does not verify (`InCsumErrors`). */
  Checksum: 2,
  /** "Type" above `NR_ICMP_TYPES` (18). */
  Type: 3,
  /** An error message whose quote is shorter than an IP header + 8 bytes (`icmp_unreach`/`icmp_socket_deliver`). */
  QuoteShort: 4,
} as const);
export type IcmpBad = (typeof IcmpBad)[keyof typeof IcmpBad];

/** Error types (Linux `icmp_pointers[].error`): never answered with another error (RFC 1122 §3.2.2). */
export function icmpIsError(type: number): boolean {
  return (
    type === ICMP_TYPE.DestUnreach ||
    type === ICMP_TYPE.SourceQuench ||
    type === ICMP_TYPE.Redirect ||
    type === ICMP_TYPE.TimeExceeded ||
    type === ICMP_TYPE.ParamProblem
  );
}

/**
 * Validates the ICMP message occupying exactly [off, end) (the IP payload, trimmed to Total Length):
 * length, checksum over the whole message, type range, and for errors a quote of at least the quoted
 * IP header (its IHL × 4, at least 20) plus 8 bytes.
 */
export function checkIcmp(u8: Uint8Array, off: number, end: number): IcmpBad {
  const len = end - off;
  if (len < ICMP_HDR_LEN) return IcmpBad.Short;
  if (!csumVerifies(u8, off, len)) return IcmpBad.Checksum;
  const type = u8[off]!;
  if (type > ICMP_MAX_TYPE) return IcmpBad.Type;
  if (icmpIsError(type)) {
    const q = len - ICMP_HDR_LEN;
    if (q < 20) return IcmpBad.QuoteShort;
    const ihl = (u8[off + F.DATA]! & 0x0f) << 2;
    if (q < Math.max(ihl, 20) + 8) return IcmpBad.QuoteShort;
  }
  return IcmpBad.None;
}

/** Reusable view of an ICMP message. Checksum helpers take the message length (ICMP has no length field). */
export class IcmpView {
  u8: Uint8Array = new Uint8Array(0);
  off = 0;

  reset(u8: Uint8Array, off: number): this {
    this.u8 = u8;
    this.off = off;
    return this;
  }

  /** "Type". */
  get type(): number {
    return this.u8[this.off]!;
  }
  set type(v: number) {
    this.u8[this.off] = v;
  }
  /** "Code". */
  get code(): number {
    return this.u8[this.off + F.CODE]!;
  }
  set code(v: number) {
    this.u8[this.off + F.CODE] = v;
  }
  /** "Checksum". */
  get checksum(): number {
    return rd16(this.u8, this.off + F.CSUM);
  }
  set checksum(v: number) {
    wr16(this.u8, this.off + F.CSUM, v);
  }
  /** Echo "Identifier". */
  get ident(): number {
    return rd16(this.u8, this.off + F.IDENT);
  }
  set ident(v: number) {
    wr16(this.u8, this.off + F.IDENT, v);
  }
  /** Echo "Sequence Number". */
  get seq(): number {
    return rd16(this.u8, this.off + F.SEQ);
  }
  set seq(v: number) {
    wr16(this.u8, this.off + F.SEQ, v);
  }
  /** The 32 bits after the checksum ("unused", "Gateway Internet Address", identifier+sequence, …). */
  get rest(): number {
    return rd32(this.u8, this.off + F.REST);
  }
  set rest(v: number) {
    wr32(this.u8, this.off + F.REST, v);
  }
  /** Fragmentation Needed "Next-Hop MTU" (RFC 1191 §4). */
  get nextHopMtu(): number {
    return rd16(this.u8, this.off + F.MTU);
  }
  set nextHopMtu(v: number) {
    wr16(this.u8, this.off + F.MTU, v);
  }
  /** Parameter Problem "Pointer": the octet of the original header where the error was found. */
  get pointer(): number {
    return this.u8[this.off + F.POINTER]!;
  }
  set pointer(v: number) {
    this.u8[this.off + F.POINTER] = v;
  }
  /** Absolute offset of the echo data or the quoted datagram. */
  get dataOffset(): number {
    return this.off + F.DATA;
  }
  /** Recomputes "Checksum" over `len` bytes of message. */
  fillChecksum(len: number): void {
    wr16(this.u8, this.off + F.CSUM, 0);
    wr16(this.u8, this.off + F.CSUM, csumFull(this.u8, this.off, len));
  }
  checksumOk(len: number): boolean {
    return csumVerifies(this.u8, this.off, len);
  }
}

/** Echo Request/Reply (RFC 792 types 8 and 0). */
export interface IcmpEchoRepr {
  kind: 'echo';
  type: 0 | 8;
  ident: number;
  seq: number;
  data: Uint8Array;
}

/**
 * Error messages: Destination Unreachable (3), Source Quench (4), Redirect (5), Time Exceeded (11),
 * Parameter Problem (12). `info` is the 32-bit rest of header: the Next-Hop MTU for code 4 of type 3,
 * `pointer << 24` for type 12, the gateway for type 5, otherwise 0.
 */
export interface IcmpErrorRepr {
  kind: 'error';
  type: number;
  code: number;
  info: number;
  /** The quoted original datagram, from its IP header on. */
  quote: Uint8Array;
}

/** Any other type: the rest of header and the data as raw values. */
export interface IcmpOtherRepr {
  kind: 'other';
  type: number;
  code: number;
  rest: number;
  data: Uint8Array;
}

export type IcmpRepr = IcmpEchoRepr | IcmpErrorRepr | IcmpOtherRepr;

export function icmpReprLen(r: IcmpRepr): number {
  return ICMP_HDR_LEN + (r.kind === 'error' ? r.quote.length : r.data.length);
}

/** Writes the message and its checksum; returns bytes written. */
export function emitIcmp(r: IcmpRepr, u8: Uint8Array, off: number): number {
  let body: Uint8Array;
  u8[off] = r.type;
  if (r.kind === 'echo') {
    u8[off + F.CODE] = 0;
    wr16(u8, off + F.IDENT, r.ident);
    wr16(u8, off + F.SEQ, r.seq);
    body = r.data;
  } else if (r.kind === 'error') {
    u8[off + F.CODE] = r.code;
    wr32(u8, off + F.REST, r.info);
    body = r.quote;
  } else {
    u8[off + F.CODE] = r.code;
    wr32(u8, off + F.REST, r.rest);
    body = r.data;
  }
  u8.set(body, off + F.DATA);
  const len = ICMP_HDR_LEN + body.length;
  wr16(u8, off + F.CSUM, 0);
  wr16(u8, off + F.CSUM, csumFull(u8, off, len));
  return len;
}

export type IcmpParse = { ok: true; repr: IcmpRepr } | { ok: false; reason: IcmpBad };

/** Parses the message occupying exactly [off, end); never throws. */
export function parseIcmp(u8: Uint8Array, off: number, end: number): IcmpParse {
  const e = Math.min(end, u8.length);
  const bad = checkIcmp(u8, off, e);
  if (bad !== IcmpBad.None) return { ok: false, reason: bad };
  const type = u8[off]!;
  const code = u8[off + F.CODE]!;
  const body = u8.slice(off + F.DATA, e);
  if ((type === ICMP_TYPE.EchoRequest || type === ICMP_TYPE.EchoReply) && code === 0) {
    return {
      ok: true,
      repr: { kind: 'echo', type, ident: rd16(u8, off + F.IDENT), seq: rd16(u8, off + F.SEQ), data: body },
    };
  }
  const rest = rd32(u8, off + F.REST);
  if (icmpIsError(type)) return { ok: true, repr: { kind: 'error', type, code, info: rest, quote: body } };
  return { ok: true, repr: { kind: 'other', type, code, rest, data: body } };
}

/**
 * Linux's quote limit for an error routed out with path MTU `mtu` and `replyOptLen` bytes of echoed IP
 * options: `min(mtu, 576) − 20 − replyOptLen − 8`. When the result is ≤ 20, Linux sends no error.
 */
export function icmpQuoteLimitLinux(mtu: number, replyOptLen: number): number {
  return Math.min(mtu, 576) - 20 - replyOptLen - ICMP_HDR_LEN;
}

/** RFC 792's quote: the original IP header (IHL × 4) plus the first 64 bits of its data. */
export function icmpRfc792QuoteLen(orig: Uint8Array, origOff: number): number {
  return ((orig[origOff]! & 0x0f) << 2) + 8;
}

/**
 * Builds an ICMP error about the datagram `orig[origOff, origOff + origLen)` at `out[outOff…]`: the
 * header (type, code, `info` as the rest of header), then `min(origLen, maxQuote)` bytes of the
 * original from its IP header on, then the checksum. Returns bytes written, or 0 when `maxQuote <= 20`
 * (Linux's "guard against tiny mtu": no error at all). `origLen` should be the datagram's Total Length
 * (Linux quotes the trimmed skb, never link padding). For Fragmentation Needed pass the next-hop MTU as
 * `info`; for Parameter Problem `pointer << 24`. Allocation-free; the hot path's entry point.
 */
export function emitIcmpError(
  type: number,
  code: number,
  info: number,
  orig: Uint8Array,
  origOff: number,
  origLen: number,
  out: Uint8Array,
  outOff: number,
  maxQuote: number = ICMP_QUOTE_MAX_LINUX,
): number {
  if (maxQuote <= 20) return 0;
  const q = Math.min(origLen, maxQuote);
  // Quote first, header second: when the error is built in place over the original, the header must
  // not overwrite bytes not yet copied. A byte loop, not `set(subarray(…))`, so nothing is allocated;
  // backwards when the output overlaps the original ahead of it in the same buffer (memmove semantics).
  const dst = outOff + F.DATA;
  if (orig.buffer === out.buffer && out.byteOffset + dst > orig.byteOffset + origOff) {
    for (let i = q - 1; i >= 0; i--) out[dst + i] = orig[origOff + i]!;
  } else {
    for (let i = 0; i < q; i++) out[dst + i] = orig[origOff + i]!;
  }
  out[outOff] = type;
  out[outOff + F.CODE] = code;
  wr16(out, outOff + F.CSUM, 0);
  wr32(out, outOff + F.REST, info);
  const len = ICMP_HDR_LEN + q;
  wr16(out, outOff + F.CSUM, csumFull(out, outOff, len));
  return len;
}
