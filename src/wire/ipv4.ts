// IPv4 headers.
//
// Heads up: read RFC 791 §3.1 (header format and options), RFC 1122 §3.2.1 (what a host must check),
// RFC 1071/1624 (checksum, incremental update) and Linux's net/ipv4/ip_input.c (`ip_rcv_core`) plus
// net/ipv4/ip_options.c (`__ip_options_compile`) before changing validation: reason codes here are the
// kernel's drop decisions, in the kernel's order, so drop counters read like `nstat`.
//
// Options are preserved: the view exposes the options area (bytes 20..IHL*4) untouched, the repr
// carries it as raw bytes, and emit writes it back padded with End-of-Option-List (0) to a multiple of
// four, as RFC 791 requires ("The internet header padding is used to ensure that the internet header
// ends on a 32 bit boundary. The padding is zero.").

import { rd16, rd32, wr16, wr32 } from './bytes.js';
import { csumFull, csumReplace16, csumReplace32, csumVerifies } from './checksum.js';

/** Byte offsets (RFC 791 §3.1 field order). */
export const IPV4_F = Object.freeze({
  VER_IHL: 0,
  TOS: 1,
  TOTAL_LEN: 2,
  IDENT: 4,
  FLAGS_FRAG: 6,
  TTL: 8,
  PROTO: 9,
  CSUM: 10,
  SRC: 12,
  DST: 16,
  OPTIONS: 20,
} as const);
const F = IPV4_F;

export const IPV4_MIN_LEN = 20;
/** IHL is 4 bits of 32-bit words: at most 60 bytes, so at most 40 bytes of options. */
export const IPV4_MAX_HDR_LEN = 60;
export const IPV4_MAX_OPTIONS_LEN = 40;

/** "Flags" bit 1, Don't Fragment, within the 16-bit flags+offset word. */
export const IPV4_DF = 0x4000;
/** "Flags" bit 2, More Fragments. */
export const IPV4_MF = 0x2000;
/** "Fragment Offset", in units of 8 octets. */
export const IPV4_OFFSET_MASK = 0x1fff;

/** "Protocol" numbers used in netsim (IANA; Linux `IPPROTO_*`). */
export const IPPROTO = Object.freeze({ ICMP: 1, IGMP: 2, IPIP: 4, TCP: 6, UDP: 17, GRE: 47 } as const);

/** Option types (RFC 791 §3.1; Linux `IPOPT_*`). Copied flag is bit 7, class bits 6–5. */
export const IPOPT = Object.freeze({
  END: 0,
  NOOP: 1,
  RR: 7,
  TIMESTAMP: 68,
  SEC: 130,
  LSRR: 131,
  CIPSO: 134,
  SID: 136,
  SSRR: 137,
  RA: 148,
} as const);

/**
 * Why an IPv4 packet was refused. Index drop counters by it. Linux SNMP counters: Short, Version,
 * Ihl, TotalLen and Options count as `InHdrErrors`; Checksum as `InCsumErrors` (and `InHdrErrors`);
 * Truncated as `InTruncatedPkts`.
 */
export const Ipv4Bad = Object.freeze({
  None: 0,
  /** Fewer than 20 bytes (`pskb_may_pull(skb, sizeof(struct iphdr))`). */
  Short: 1,
  /** "Version" is not 4. */
  Version: 2,
  /** "IHL" below 5, or the header it announces does not fit in the bytes available. */
  Ihl: 3,
  /** The header checksum does not verify (`ip_fast_csum`). */
  Checksum: 4,
  /** "Total Length" is larger than the bytes received. */
  Truncated: 5,
  /** "Total Length" is smaller than the header (IHL*4). */
  TotalLen: 6,
  /** The options area is malformed (`__ip_options_compile`, after PREROUTING in `ip_rcv_finish`). */
  Options: 7,
} as const);
export type Ipv4Bad = (typeof Ipv4Bad)[keyof typeof Ipv4Bad];

/**
 * Structural check of the header in [off, end): size, version, IHL, Total Length. No checksum (see
 * `ipv4ChecksumOk`) and no option parsing. After `Ipv4Bad.None`, no accessor reads past `end` and
 * `off + totalLen <= end`.
 */
export function checkIpv4(u8: Uint8Array, off: number, end: number): Ipv4Bad {
  if (end - off < IPV4_MIN_LEN) return Ipv4Bad.Short;
  const vihl = u8[off]!;
  if (vihl >>> 4 !== 4) return Ipv4Bad.Version;
  const hl = (vihl & 0x0f) << 2;
  if (hl < IPV4_MIN_LEN || off + hl > end) return Ipv4Bad.Ihl;
  const tl = rd16(u8, off + F.TOTAL_LEN);
  if (off + tl > end) return Ipv4Bad.Truncated;
  if (tl < hl) return Ipv4Bad.TotalLen;
  return Ipv4Bad.None;
}

/** True when the header checksum verifies. Requires a header that passed the IHL checks. */
export function ipv4ChecksumOk(u8: Uint8Array, off: number): boolean {
  return csumVerifies(u8, off, (u8[off]! & 0x0f) << 2);
}

/**
 * The receive path's checks in Linux's order (`ip_rcv_core`): length, version/IHL, checksum, then
 * Total Length against the bytes received and against IHL. Bytes after Total Length are link padding;
 * the caller trims to `off + totalLen`, as `pskb_trim_rcsum` does.
 */
export function checkIpv4Rcv(u8: Uint8Array, off: number, end: number): Ipv4Bad {
  if (end - off < IPV4_MIN_LEN) return Ipv4Bad.Short;
  const vihl = u8[off]!;
  if (vihl >>> 4 !== 4) return Ipv4Bad.Version;
  const hl = (vihl & 0x0f) << 2;
  if (hl < IPV4_MIN_LEN || off + hl > end) return Ipv4Bad.Ihl;
  if (!csumVerifies(u8, off, hl)) return Ipv4Bad.Checksum;
  const tl = rd16(u8, off + F.TOTAL_LEN);
  if (off + tl > end) return Ipv4Bad.Truncated;
  if (tl < hl) return Ipv4Bad.TotalLen;
  return Ipv4Bad.None;
}

/**
 * Validates the options area like Linux's `__ip_options_compile` for a received packet. Returns -1
 * when acceptable, else the offset from the header start of the offending byte: the "Pointer" of the
 * ICMP Parameter Problem Linux sends back (`icmp_send(…, ICMP_PARAMETERPROB, 0, htonl(ptr << 24))`).
 * Unknown option types are accepted on receive, as in Linux. Requires `checkIpv4` to have passed.
 */
export function ipv4OptionsErrorPointer(u8: Uint8Array, off: number): number {
  const hl = (u8[off]! & 0x0f) << 2;
  let seenRr = false;
  let seenSrr = false;
  let seenTs = false;
  let p = F.OPTIONS;
  while (p < hl) {
    const type = u8[off + p]!;
    if (type === IPOPT.END) return -1;
    if (type === IPOPT.NOOP) {
      p++;
      continue;
    }
    const left = hl - p;
    if (left < 2) return p;
    const len = u8[off + p + 1]!;
    if (len < 2 || len > left) return p;
    const ptr = len >= 3 ? u8[off + p + 2]! : 0;
    switch (type) {
      case IPOPT.SSRR:
      case IPOPT.LSRR:
        if (len < 3) return p + 1;
        if (ptr < 4) return p + 2;
        if (seenSrr) return p; // RFC 1812 §5.2.4.1: at most one source route
        seenSrr = true;
        break;
      case IPOPT.RR:
        if (seenRr) return p;
        if (len < 3) return p + 1;
        if (ptr < 4) return p + 2;
        if (ptr <= len && ptr + 3 > len) return p + 2;
        seenRr = true;
        break;
      case IPOPT.TIMESTAMP: {
        if (seenTs) return p;
        if (len < 4) return p + 1;
        if (ptr < 5) return p + 2;
        if (ptr <= len) {
          if (ptr + 3 > len) return p + 2;
          const flag = u8[off + p + 3]! & 0x0f;
          if (flag === 1 || flag === 3) {
            if (ptr + 7 > len) return p + 2; // timestamp with address needs 8 bytes per entry
          } else if (flag !== 0) {
            return p + 3;
          }
        } else if (u8[off + p + 3]! >>> 4 === 15) {
          return p + 3; // full: the 4-bit overflow counter cannot count another hop
        }
        seenTs = true;
        break;
      }
      case IPOPT.RA:
        if (len < 4) return p + 1;
        break;
      default:
        break;
    }
    p += len;
  }
  return -1;
}

/**
 * Reusable view of an IPv4 header. Setters write the field only; call `fillChecksum()` afterwards, or
 * use `decrementTtl`/`rewriteSrc`/`rewriteDst`, which patch the checksum incrementally (RFC 1624).
 */
/** Bytes of a view not yet pointed anywhere (shared: a view per namespace's stack, never written). */
const NO_BYTES = new Uint8Array(0);

export class Ipv4View {
  u8: Uint8Array = NO_BYTES;
  off = 0;

  reset(u8: Uint8Array, off: number): this {
    this.u8 = u8;
    this.off = off;
    return this;
  }

  /** "Version" (4 bits). */
  get version(): number {
    return this.u8[this.off]! >>> 4;
  }
  /** "IHL", Internet Header Length in 32-bit words. */
  get ihl(): number {
    return this.u8[this.off]! & 0x0f;
  }
  /** Writes "Version" = 4 and "IHL" = `words`. */
  setVersionIhl(words: number): void {
    this.u8[this.off] = 0x40 | (words & 0x0f);
  }
  /** Header length in bytes (IHL × 4). */
  get headerLen(): number {
    return (this.u8[this.off]! & 0x0f) << 2;
  }
  /** "Type of Service" octet (now DSCP:6 + ECN:2, RFC 2474/3168). */
  get tos(): number {
    return this.u8[this.off + F.TOS]!;
  }
  set tos(v: number) {
    this.u8[this.off + F.TOS] = v;
  }
  get dscp(): number {
    return this.u8[this.off + F.TOS]! >>> 2;
  }
  get ecn(): number {
    return this.u8[this.off + F.TOS]! & 3;
  }
  /** "Total Length": header and data, in octets. */
  get totalLen(): number {
    return rd16(this.u8, this.off + F.TOTAL_LEN);
  }
  set totalLen(v: number) {
    wr16(this.u8, this.off + F.TOTAL_LEN, v);
  }
  /** "Identification". */
  get ident(): number {
    return rd16(this.u8, this.off + F.IDENT);
  }
  set ident(v: number) {
    wr16(this.u8, this.off + F.IDENT, v);
  }
  /** The 16-bit word holding "Flags" (3 bits) and "Fragment Offset" (13 bits). */
  get flagsFrag(): number {
    return rd16(this.u8, this.off + F.FLAGS_FRAG);
  }
  set flagsFrag(v: number) {
    wr16(this.u8, this.off + F.FLAGS_FRAG, v);
  }
  /** Flag "DF", Don't Fragment. */
  get df(): boolean {
    return (this.u8[this.off + F.FLAGS_FRAG]! & 0x40) !== 0;
  }
  set df(v: boolean) {
    const o = this.off + F.FLAGS_FRAG;
    this.u8[o] = v ? this.u8[o]! | 0x40 : this.u8[o]! & 0xbf;
  }
  /** Flag "MF", More Fragments. */
  get mf(): boolean {
    return (this.u8[this.off + F.FLAGS_FRAG]! & 0x20) !== 0;
  }
  set mf(v: boolean) {
    const o = this.off + F.FLAGS_FRAG;
    this.u8[o] = v ? this.u8[o]! | 0x20 : this.u8[o]! & 0xdf;
  }
  /** "Fragment Offset", in units of 8 octets. */
  get fragOffset(): number {
    return this.flagsFrag & IPV4_OFFSET_MASK;
  }
  set fragOffset(v: number) {
    this.flagsFrag = (this.flagsFrag & ~IPV4_OFFSET_MASK) | (v & IPV4_OFFSET_MASK);
  }
  /** A fragment of a larger datagram: MF set or a non-zero offset (Linux `ip_is_fragment`). */
  get isFragment(): boolean {
    return (this.flagsFrag & (IPV4_MF | IPV4_OFFSET_MASK)) !== 0;
  }
  /** "Time to Live". */
  get ttl(): number {
    return this.u8[this.off + F.TTL]!;
  }
  set ttl(v: number) {
    this.u8[this.off + F.TTL] = v;
  }
  /** "Protocol". */
  get proto(): number {
    return this.u8[this.off + F.PROTO]!;
  }
  set proto(v: number) {
    this.u8[this.off + F.PROTO] = v;
  }
  /** "Header Checksum". */
  get checksum(): number {
    return rd16(this.u8, this.off + F.CSUM);
  }
  set checksum(v: number) {
    wr16(this.u8, this.off + F.CSUM, v);
  }
  /** "Source Address", unsigned 32-bit. */
  get src(): number {
    return rd32(this.u8, this.off + F.SRC);
  }
  set src(v: number) {
    wr32(this.u8, this.off + F.SRC, v);
  }
  /** "Destination Address", unsigned 32-bit. */
  get dst(): number {
    return rd32(this.u8, this.off + F.DST);
  }
  set dst(v: number) {
    wr32(this.u8, this.off + F.DST, v);
  }
  /** Absolute offset of "Options" in `u8` (meaningful when `optionsLen > 0`). */
  get optionsOffset(): number {
    return this.off + F.OPTIONS;
  }
  /** Bytes of options and padding: IHL × 4 − 20. */
  get optionsLen(): number {
    return this.headerLen - IPV4_MIN_LEN;
  }
  /** The options area as a subarray (allocates a view object: not for the per-packet path). */
  optionsBytes(): Uint8Array {
    return this.u8.subarray(this.off + F.OPTIONS, this.off + this.headerLen);
  }
  /** Absolute offset of the data after the header. */
  get payloadOffset(): number {
    return this.off + this.headerLen;
  }
  /** Data length from Total Length: totalLen − IHL × 4. */
  get payloadLen(): number {
    return this.totalLen - this.headerLen;
  }
  /** Recomputes "Header Checksum" over IHL × 4 bytes. */
  fillChecksum(): void {
    wr16(this.u8, this.off + F.CSUM, 0);
    wr16(this.u8, this.off + F.CSUM, csumFull(this.u8, this.off, this.headerLen));
  }
  checksumOk(): boolean {
    return csumVerifies(this.u8, this.off, this.headerLen);
  }
  /** Sets "Source Address" and patches the header checksum (RFC 1624; SNAT). */
  rewriteSrc(v: number): void {
    this.checksum = csumReplace32(this.checksum, this.src, v);
    this.src = v;
  }
  /** Sets "Destination Address" and patches the header checksum (RFC 1624; DNAT). */
  rewriteDst(v: number): void {
    this.checksum = csumReplace32(this.checksum, this.dst, v);
    this.dst = v;
  }
}

/**
 * Decrements "Time to Live" and patches the checksum with RFC 1624 eqn. 3 over the 16-bit word that
 * TTL shares with "Protocol" (the kernel's `ip_decrease_ttl` adds 0x0100 with end-around carry; both give
 * the same bytes as a full recompute, which never yields 0xffff for an IPv4 header). Returns the new
 * TTL. The caller checks `ttl <= 1` first and sends Time Exceeded instead (`ip_forward`), so the TTL
 * never wraps here; a TTL of 0 would become 255.
 */
export function decrementTtl(v: Ipv4View): number {
  const o = v.off + F.TTL;
  const old = rd16(v.u8, o);
  const ttl = (v.u8[o]! - 1) & 0xff;
  v.u8[o] = ttl;
  v.checksum = csumReplace16(v.checksum, old, rd16(v.u8, o));
  return ttl;
}

export interface Ipv4Repr {
  /** "Type of Service" octet. */
  tos: number;
  ident: number;
  df: boolean;
  mf: boolean;
  /** In units of 8 octets. */
  fragOffset: number;
  ttl: number;
  proto: number;
  src: number;
  dst: number;
  /** Options area as on the wire (may omit trailing padding; emit pads to a multiple of 4). ≤ 40 bytes. */
  options: Uint8Array;
  /** Bytes of data after the header; Total Length = header length + payloadLen. */
  payloadLen: number;
}

/** Header length the repr emits: 20 + options rounded up to a multiple of 4. */
export function ipv4ReprHeaderLen(r: Ipv4Repr): number {
  return IPV4_MIN_LEN + ((r.options.length + 3) & ~3);
}

/**
 * Writes the header (options padded with zeros) and its checksum; returns the header length. Throws
 * RangeError for options over 40 bytes or a total length over 65535: those are programming errors.
 */
export function emitIpv4(r: Ipv4Repr, u8: Uint8Array, off: number): number {
  if (r.options.length > IPV4_MAX_OPTIONS_LEN)
    throw new RangeError(`IPv4 options too long: ${r.options.length}`);
  const hl = ipv4ReprHeaderLen(r);
  const tl = hl + r.payloadLen;
  if (tl > 0xffff) throw new RangeError(`IPv4 total length too large: ${tl}`);
  u8[off] = 0x40 | (hl >>> 2);
  u8[off + F.TOS] = r.tos;
  wr16(u8, off + F.TOTAL_LEN, tl);
  wr16(u8, off + F.IDENT, r.ident);
  wr16(
    u8,
    off + F.FLAGS_FRAG,
    (r.df ? IPV4_DF : 0) | (r.mf ? IPV4_MF : 0) | (r.fragOffset & IPV4_OFFSET_MASK),
  );
  u8[off + F.TTL] = r.ttl;
  u8[off + F.PROTO] = r.proto;
  wr16(u8, off + F.CSUM, 0);
  wr32(u8, off + F.SRC, r.src);
  wr32(u8, off + F.DST, r.dst);
  u8.set(r.options, off + F.OPTIONS);
  u8.fill(0, off + F.OPTIONS + r.options.length, off + hl);
  wr16(u8, off + F.CSUM, csumFull(u8, off, hl));
  return hl;
}

export type Ipv4Parse = { ok: true; repr: Ipv4Repr } | { ok: false; reason: Ipv4Bad };

/**
 * Parses with the receive path's checks (`checkIpv4Rcv`, checksum included) and the option checks;
 * never throws. The repr's options are a copy of the whole options area, padding included.
 */
export function parseIpv4(u8: Uint8Array, off: number, end: number): Ipv4Parse {
  const bad = checkIpv4Rcv(u8, off, Math.min(end, u8.length));
  if (bad !== Ipv4Bad.None) return { ok: false, reason: bad };
  if (ipv4OptionsErrorPointer(u8, off) >= 0) return { ok: false, reason: Ipv4Bad.Options };
  const hl = (u8[off]! & 0x0f) << 2;
  const ff = rd16(u8, off + F.FLAGS_FRAG);
  return {
    ok: true,
    repr: {
      tos: u8[off + F.TOS]!,
      ident: rd16(u8, off + F.IDENT),
      df: (ff & IPV4_DF) !== 0,
      mf: (ff & IPV4_MF) !== 0,
      fragOffset: ff & IPV4_OFFSET_MASK,
      ttl: u8[off + F.TTL]!,
      proto: u8[off + F.PROTO]!,
      src: rd32(u8, off + F.SRC),
      dst: rd32(u8, off + F.DST),
      options: u8.slice(off + F.OPTIONS, off + hl),
      payloadLen: rd16(u8, off + F.TOTAL_LEN) - hl,
    },
  };
}
