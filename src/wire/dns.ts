// DNS messages (RFC 1035), AAAA (RFC 3596), SRV (RFC 2782), header bits AD/CD (RFC 4035 §3.2).
//
// Heads up: read RFC 1035 §4.1 (format) and §4.1.4 (compression), RFC 3597 §4 (which RDATA names may
// be compressed) and RFC 4343 (case-insensitivity) before changing this file. Rules relied on:
//  - Labels are 1..63 octets; a name is at most 255 octets in wire form (length octets and the root
//    octet included), RFC 1035 §2.3.4.
//  - Compression: a pointer is 0b11 + a 14-bit offset from the message start, so only names at
//    offsets < 0x4000 can be pointed to. On read we accept only pointers to an offset before the
//    pointer itself and at most MAX_POINTER_HOPS of them per name, so every name costs bounded work
//    and loops are impossible. On write we compress owner names and the RDATA names of RFC 1035 types
//    (NS, CNAME, PTR, MX, SOA); SRV targets are never compressed (RFC 2782 "name compression is not to
//    be used for this field") but are decompressed on read (RFC 3597 §4 asks receivers to).
//  - Suffix matching for compression is case-sensitive, so a name's spelling (0x20 case randomization)
//    survives; comparisons use `dnsNameEquals`, which folds ASCII case only (RFC 4343).
//
// Names are strings in master-file presentation form without the trailing dot: labels joined by '.',
// with '.', '\' and octets outside 0x21..0x7e written as `\.`, `\\` and `\DDD`. The root is "".
// This is not the per-packet hot path: parse allocates Repr objects, but never throws.

import { rd16, rd32, wr16, wr32 } from './bytes.js';
export const DNS_HEADER_LEN = 12;
export const DNS_PORT = 53;
export const DNS_MAX_LABEL_LEN = 63;
export const DNS_MAX_NAME_LEN = 255;
/** Pointers followed per name before giving up (a name has at most 127 labels). */
export const MAX_POINTER_HOPS = 127;

/** Byte offsets of the header fields (RFC 1035 §4.1.1). */
export const DNS_F = Object.freeze({
  ID: 0,
  FLAGS: 2,
  QDCOUNT: 4,
  ANCOUNT: 6,
  NSCOUNT: 8,
  ARCOUNT: 10,
} as const);
const F = DNS_F;

export const DnsType = Object.freeze({
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  ANY: 255,
} as const);

export const DnsClass = Object.freeze({ IN: 1, CH: 3, HS: 4, ANY: 255 } as const);
export const DnsOpcode = Object.freeze({ QUERY: 0, IQUERY: 1, STATUS: 2, NOTIFY: 4, UPDATE: 5 } as const);
export const DnsRcode = Object.freeze({
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
} as const);

/** Why a DNS message was rejected; index counters by it. */
export const DnsBad = Object.freeze({
  None: 0,
  /** Fewer than 12 octets of header. */
  Short: 1,
  /** A question, record or RDATA runs past the end of the message. */
  Truncated: 2,
  /** A label length octet starts with 0b01 or 0b10 (reserved, RFC 1035 §4.1.4 / RFC 6891 §5). */
  BadLabelType: 3,
  /** A name longer than 255 octets. */
  NameTooLong: 4,
  /** A compression pointer to the pointer itself, after it, or beyond the message. */
  BadPointer: 5,
  /** More than MAX_POINTER_HOPS pointers in one name. */
  PointerLoop: 6,
  /** RDATA of a known type does not match its RDLENGTH. */
  RdataLength: 7,
} as const);
export type DnsBad = (typeof DnsBad)[keyof typeof DnsBad];

/** Zero-copy, reusable view of the 12-octet header (RFC 1035 §4.1.1). */
export class DnsHeaderView {
  u8: Uint8Array = new Uint8Array(0);
  off = 0;

  reset(u8: Uint8Array, off: number): this {
    this.u8 = u8;
    this.off = off;
    return this;
  }
  /** "ID". */
  get id(): number {
    return rd16(this.u8, this.off + F.ID);
  }
  set id(v: number) {
    wr16(this.u8, this.off + F.ID, v);
  }
  /** The 16 flag bits: QR Opcode AA TC RD RA Z AD CD RCODE. */
  get flags(): number {
    return rd16(this.u8, this.off + F.FLAGS);
  }
  set flags(v: number) {
    wr16(this.u8, this.off + F.FLAGS, v);
  }
  /** "QR": response (true) or query. */
  get qr(): boolean {
    return (this.u8[this.off + F.FLAGS]! & 0x80) !== 0;
  }
  /** "Opcode". */
  get opcode(): number {
    return (this.u8[this.off + F.FLAGS]! >>> 3) & 0x0f;
  }
  /** "TC": truncated. */
  get tc(): boolean {
    return (this.u8[this.off + F.FLAGS]! & 0x02) !== 0;
  }
  /** "RCODE". */
  get rcode(): number {
    return this.u8[this.off + F.FLAGS + 1]! & 0x0f;
  }
  /** "QDCOUNT". */
  get qdcount(): number {
    return rd16(this.u8, this.off + F.QDCOUNT);
  }
  /** "ANCOUNT". */
  get ancount(): number {
    return rd16(this.u8, this.off + F.ANCOUNT);
  }
  /** "NSCOUNT". */
  get nscount(): number {
    return rd16(this.u8, this.off + F.NSCOUNT);
  }
  /** "ARCOUNT". */
  get arcount(): number {
    return rd16(this.u8, this.off + F.ARCOUNT);
  }
}

/** Header present; the sections are validated by `parseDns`. */
export function checkDns(_u8: Uint8Array, off: number, end: number): DnsBad {
  return end - off < DNS_HEADER_LEN ? DnsBad.Short : DnsBad.None;
}

// ---- Names: presentation text ↔ labels ----

function labelToText(u8: Uint8Array, from: number, len: number): string {
  let s = '';
  for (let i = from; i < from + len; i++) {
    const c = u8[i]!;
    if (c === 0x2e || c === 0x5c) s += `\\${String.fromCharCode(c)}`;
    else if (c > 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else s += `\\${c.toString().padStart(3, '0')}`;
  }
  return s;
}

/**
 * Splits a presentation-form name into label octets, or returns null when it is malformed: an empty
 * label (other than the root / one trailing dot), a label over 63 octets, a wire form over 255
 * octets, or a bad escape.
 */
export function dnsNameToLabels(name: string): Uint8Array[] | null {
  if (name === '' || name === '.') return [];
  const labels: Uint8Array[] = [];
  let cur: number[] = [];
  let wire = 1; // the root octet
  let i = 0;
  const n = name.length;
  for (;;) {
    const atEnd = i >= n;
    const ch = atEnd ? 0x2e : name.charCodeAt(i);
    if (ch === 0x2e) {
      if (cur.length === 0) return atEnd && labels.length > 0 && name.endsWith('.') ? labels : null;
      if (cur.length > DNS_MAX_LABEL_LEN) return null;
      wire += 1 + cur.length;
      if (wire > DNS_MAX_NAME_LEN) return null;
      labels.push(Uint8Array.from(cur));
      cur = [];
      i++;
      if (atEnd || i >= n) return labels;
      continue;
    }
    if (ch === 0x5c) {
      const d = name.slice(i + 1, i + 4);
      if (/^[0-9]{3}$/.test(d)) {
        const v = Number(d);
        if (v > 255) return null;
        cur.push(v);
        i += 4;
      } else if (i + 1 < n && name.charCodeAt(i + 1) < 0x100) {
        cur.push(name.charCodeAt(i + 1));
        i += 2;
      } else return null;
      continue;
    }
    if (ch > 0xff) return null;
    cur.push(ch);
    i++;
  }
}

/** Joins label octets into presentation form (no trailing dot; the root is ""). */
export function dnsLabelsToName(labels: readonly Uint8Array[]): string {
  return labels.map((l) => labelToText(l, 0, l.length)).join('.');
}

/** True when the names are equal ignoring ASCII case (RFC 4343); false if either is malformed. */
export function dnsNameEquals(a: string, b: string): boolean {
  const la = dnsNameToLabels(a);
  const lb = dnsNameToLabels(b);
  if (la === null || lb === null || la.length !== lb.length) return false;
  for (let i = 0; i < la.length; i++) {
    const x = la[i]!;
    const y = lb[i]!;
    if (x.length !== y.length) return false;
    for (let j = 0; j < x.length; j++) {
      let p = x[j]!;
      let q = y[j]!;
      if (p >= 0x41 && p <= 0x5a) p |= 0x20;
      if (q >= 0x41 && q <= 0x5a) q |= 0x20;
      if (p !== q) return false;
    }
  }
  return true;
}

/** "d.c.b.a.in-addr.arpa" for the IPv4 address a.b.c.d (RFC 1035 §3.5). */
export function dnsReverseNameV4(ip: number): string {
  return `${ip & 0xff}.${(ip >>> 8) & 0xff}.${(ip >>> 16) & 0xff}.${ip >>> 24}.in-addr.arpa`;
}

/**
 * The IPv4 address named by a full "d.c.b.a.in-addr.arpa" name (any case, optional trailing dot), or
 * -1. Octets must be decimal 0..255 without leading zeros.
 */
export function dnsParseReverseNameV4(name: string): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.in-addr\.arpa\.?$/i.exec(name);
  if (m === null) return -1;
  let ip = 0;
  for (let k = 4; k >= 1; k--) {
    const t = m[k]!;
    if (t.length > 1 && t[0] === '0') return -1;
    const v = Number(t);
    if (v > 255) return -1;
    ip = ip * 256 + v;
  }
  return ip;
}

// ---- Repr ----

export interface DnsQuestion {
  name: string;
  type: number;
  class: number;
}

export type DnsRData =
  | { kind: 'A'; address: number }
  | { kind: 'AAAA'; address: Uint8Array }
  | { kind: 'NS' | 'CNAME' | 'PTR'; name: string }
  | { kind: 'MX'; preference: number; exchange: string }
  | {
      kind: 'SOA';
      mname: string;
      rname: string;
      serial: number;
      refresh: number;
      retry: number;
      expire: number;
      minimum: number;
    }
  | { kind: 'SRV'; priority: number; weight: number; port: number; target: string }
  /** Any other type (TXT, OPT, …), RDATA kept as octets. */
  | { kind: 'raw'; type: number; data: Uint8Array };

export interface DnsRecord {
  name: string;
  /** CLASS (for OPT: the requestor's UDP payload size). */
  class: number;
  /** TTL in seconds, unsigned 32-bit (for OPT: extended RCODE and flags). */
  ttl: number;
  data: DnsRData;
}

export interface DnsMessage {
  id: number;
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  /** The one remaining reserved "Z" bit (must be zero, RFC 1035; kept so nothing is lost). */
  z: boolean;
  ad: boolean;
  cd: boolean;
  rcode: number;
  questions: DnsQuestion[];
  answers: DnsRecord[];
  authorities: DnsRecord[];
  additionals: DnsRecord[];
}

export type DnsParse = { ok: true; msg: DnsMessage } | { ok: false; reason: DnsBad };

const KIND_TYPE = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, AAAA: 28, SRV: 33 } as const;

/** TYPE of a record's data. */
export function dnsRDataType(d: DnsRData): number {
  return d.kind === 'raw' ? d.type : KIND_TYPE[d.kind];
}

/** A message with every flag clear and empty sections, to fill in. */
export function dnsMessage(fields: Partial<DnsMessage> = {}): DnsMessage {
  return {
    id: 0,
    qr: false,
    opcode: 0,
    aa: false,
    tc: false,
    rd: false,
    ra: false,
    z: false,
    ad: false,
    cd: false,
    rcode: 0,
    questions: [],
    answers: [],
    authorities: [],
    additionals: [],
    ...fields,
  };
}

// ---- Parse ----

/** Parser state; `err` is set on the first failure and every later read is a no-op. */
class Reader {
  err: DnsBad = DnsBad.None;
  constructor(
    readonly u8: Uint8Array,
    readonly base: number,
    readonly end: number,
  ) {}

  fail(r: DnsBad): void {
    if (this.err === DnsBad.None) this.err = r;
  }

  /** Reads a possibly compressed name at `pos`; returns [text, position after the name in place]. */
  name(pos: number): [string, number] {
    const { u8, base, end } = this;
    let p = pos;
    let after = -1; // where reading resumes after the first pointer
    let hops = 0;
    let wire = 1;
    const parts: string[] = [];
    for (;;) {
      if (p >= end) {
        this.fail(DnsBad.Truncated);
        return ['', end];
      }
      const len = u8[p]!;
      if (len === 0) {
        if (after < 0) after = p + 1;
        return [parts.join('.'), after];
      }
      const top = len & 0xc0;
      if (top === 0xc0) {
        if (p + 1 >= end) {
          this.fail(DnsBad.Truncated);
          return ['', end];
        }
        const target = base + (((len & 0x3f) << 8) | u8[p + 1]!);
        if (target >= p) {
          this.fail(DnsBad.BadPointer);
          return ['', end];
        }
        if (++hops > MAX_POINTER_HOPS) {
          this.fail(DnsBad.PointerLoop);
          return ['', end];
        }
        if (after < 0) after = p + 2;
        p = target;
        continue;
      }
      if (top !== 0) {
        this.fail(DnsBad.BadLabelType);
        return ['', end];
      }
      wire += 1 + len;
      if (wire > DNS_MAX_NAME_LEN) {
        this.fail(DnsBad.NameTooLong);
        return ['', end];
      }
      if (p + 1 + len > end) {
        this.fail(DnsBad.Truncated);
        return ['', end];
      }
      parts.push(labelToText(u8, p + 1, len));
      p += 1 + len;
    }
  }
}

function parseRData(r: Reader, type: number, at: number, rdEnd: number): DnsRData {
  const u8 = r.u8;
  const len = rdEnd - at;
  const nameExact = (pos: number): [string, number] => {
    const [n, next] = r.name(pos);
    if (next > rdEnd) r.fail(DnsBad.RdataLength);
    return [n, next];
  };
  switch (type) {
    case DnsType.A:
      if (len !== 4) break;
      return { kind: 'A', address: rd32(u8, at) };
    case DnsType.AAAA:
      if (len !== 16) break;
      return { kind: 'AAAA', address: u8.slice(at, rdEnd) };
    case DnsType.NS:
    case DnsType.CNAME:
    case DnsType.PTR: {
      const [name, next] = nameExact(at);
      if (next !== rdEnd) break;
      return { kind: type === DnsType.NS ? 'NS' : type === DnsType.CNAME ? 'CNAME' : 'PTR', name };
    }
    case DnsType.MX: {
      if (len < 3) break;
      const [exchange, next] = nameExact(at + 2);
      if (next !== rdEnd) break;
      return { kind: 'MX', preference: rd16(u8, at), exchange };
    }
    case DnsType.SRV: {
      if (len < 7) break;
      const [target, next] = nameExact(at + 6);
      if (next !== rdEnd) break;
      return {
        kind: 'SRV',
        priority: rd16(u8, at),
        weight: rd16(u8, at + 2),
        port: rd16(u8, at + 4),
        target,
      };
    }
    case DnsType.SOA: {
      const [mname, p1] = nameExact(at);
      const [rname, p2] = nameExact(p1);
      if (p2 + 20 !== rdEnd) break;
      return {
        kind: 'SOA',
        mname,
        rname,
        serial: rd32(u8, p2),
        refresh: rd32(u8, p2 + 4),
        retry: rd32(u8, p2 + 8),
        expire: rd32(u8, p2 + 12),
        minimum: rd32(u8, p2 + 16),
      };
    }
    default:
      return { kind: 'raw', type, data: u8.slice(at, rdEnd) };
  }
  r.fail(DnsBad.RdataLength);
  return { kind: 'raw', type, data: new Uint8Array(0) };
}

/**
 * Parses the message at [`off`, `end`) (the UDP payload; compression offsets count from `off`).
 * Octets after the last record are ignored. Never throws; work is linear in the message size.
 */
export function parseDns(u8: Uint8Array, off: number, end: number): DnsParse {
  if (checkDns(u8, off, end) !== DnsBad.None) return { ok: false, reason: DnsBad.Short };
  const r = new Reader(u8, off, end);
  const f = rd16(u8, off + F.FLAGS);
  const msg = dnsMessage({
    id: rd16(u8, off + F.ID),
    qr: (f & 0x8000) !== 0,
    opcode: (f >>> 11) & 0x0f,
    aa: (f & 0x0400) !== 0,
    tc: (f & 0x0200) !== 0,
    rd: (f & 0x0100) !== 0,
    ra: (f & 0x0080) !== 0,
    z: (f & 0x0040) !== 0,
    ad: (f & 0x0020) !== 0,
    cd: (f & 0x0010) !== 0,
    rcode: f & 0x000f,
  });
  let p = off + DNS_HEADER_LEN;
  const qd = rd16(u8, off + F.QDCOUNT);
  for (let i = 0; i < qd; i++) {
    const [name, next] = r.name(p);
    if (r.err !== DnsBad.None) return { ok: false, reason: r.err };
    if (next + 4 > end) return { ok: false, reason: DnsBad.Truncated };
    msg.questions.push({ name, type: rd16(u8, next), class: rd16(u8, next + 2) });
    p = next + 4;
  }
  const sections = [msg.answers, msg.authorities, msg.additionals];
  for (let s = 0; s < 3; s++) {
    const count = rd16(u8, off + F.ANCOUNT + 2 * s);
    const out = sections[s]!;
    for (let i = 0; i < count; i++) {
      const [name, next] = r.name(p);
      if (r.err !== DnsBad.None) return { ok: false, reason: r.err };
      if (next + 10 > end) return { ok: false, reason: DnsBad.Truncated };
      const type = rd16(u8, next);
      const rdlen = rd16(u8, next + 8);
      const at = next + 10;
      if (at + rdlen > end) return { ok: false, reason: DnsBad.Truncated };
      const data = parseRData(r, type, at, at + rdlen);
      if (r.err !== DnsBad.None) return { ok: false, reason: r.err };
      out.push({ name, class: rd16(u8, next + 2), ttl: rd32(u8, next + 4), data });
      p = at + rdlen;
    }
  }
  return { ok: true, msg };
}

// ---- Emit ----

/** Writes names with an optional compression dictionary of suffixes (exact spelling → offset). */
class Writer {
  pos: number;
  readonly dict: Map<string, number> | null;
  constructor(
    readonly u8: Uint8Array,
    readonly base: number,
    compress: boolean,
  ) {
    this.pos = base;
    this.dict = compress ? new Map() : null;
  }

  name(text: string, compressible: boolean): void {
    const labels = dnsNameToLabels(text);
    if (labels === null) throw new RangeError(`invalid DNS name ${JSON.stringify(text)}`);
    const texts = labels.map((l) => labelToText(l, 0, l.length));
    const { u8, dict } = this;
    for (let i = 0; i < labels.length; i++) {
      if (dict !== null) {
        const key = texts.slice(i).join('.');
        const at = compressible ? dict.get(key) : undefined;
        if (at !== undefined) {
          wr16(u8, this.pos, 0xc000 | at);
          this.pos += 2;
          return;
        }
        const rel = this.pos - this.base;
        if (rel < 0x4000 && !dict.has(key)) dict.set(key, rel);
      }
      const l = labels[i]!;
      u8[this.pos] = l.length;
      u8.set(l, this.pos + 1);
      this.pos += 1 + l.length;
    }
    u8[this.pos++] = 0;
  }
  u16(v: number): void {
    wr16(this.u8, this.pos, v);
    this.pos += 2;
  }
  u32(v: number): void {
    wr32(this.u8, this.pos, v);
    this.pos += 4;
  }
  bytes(b: Uint8Array): void {
    this.u8.set(b, this.pos);
    this.pos += b.length;
  }
}

function nameWireLen(text: string): number {
  const labels = dnsNameToLabels(text);
  if (labels === null) throw new RangeError(`invalid DNS name ${JSON.stringify(text)}`);
  let n = 1;
  for (const l of labels) n += 1 + l.length;
  return n;
}

function rdataMaxLen(d: DnsRData): number {
  switch (d.kind) {
    case 'A':
      return 4;
    case 'AAAA':
      return 16;
    case 'NS':
    case 'CNAME':
    case 'PTR':
      return nameWireLen(d.name);
    case 'MX':
      return 2 + nameWireLen(d.exchange);
    case 'SOA':
      return nameWireLen(d.mname) + nameWireLen(d.rname) + 20;
    case 'SRV':
      return 6 + nameWireLen(d.target);
    case 'raw':
      return d.data.length;
  }
}

/** Octets of the message without compression: an upper bound for `emitDns`'s output. */
export function dnsMessageMaxLen(m: DnsMessage): number {
  let n = DNS_HEADER_LEN;
  for (const q of m.questions) n += nameWireLen(q.name) + 4;
  for (const s of [m.answers, m.authorities, m.additionals]) {
    for (const r of s) n += nameWireLen(r.name) + 10 + rdataMaxLen(r.data);
  }
  return n;
}

function writeRData(w: Writer, d: DnsRData): void {
  switch (d.kind) {
    case 'A':
      w.u32(d.address);
      return;
    case 'AAAA':
      if (d.address.length !== 16) throw new RangeError('AAAA address must be 16 octets');
      w.bytes(d.address);
      return;
    case 'NS':
    case 'CNAME':
    case 'PTR':
      w.name(d.name, true);
      return;
    case 'MX':
      w.u16(d.preference);
      w.name(d.exchange, true);
      return;
    case 'SOA':
      w.name(d.mname, true);
      w.name(d.rname, true);
      w.u32(d.serial);
      w.u32(d.refresh);
      w.u32(d.retry);
      w.u32(d.expire);
      w.u32(d.minimum);
      return;
    case 'SRV':
      w.u16(d.priority);
      w.u16(d.weight);
      w.u16(d.port);
      w.name(d.target, false); // RFC 2782: never compressed (its suffixes still become pointer targets)
      return;
    case 'raw':
      w.bytes(d.data);
      return;
  }
}

/**
 * Writes the message at `off` and returns its length. Counts come from the section arrays. With
 * `compress` (default) names are compressed as described in the file header. Throws RangeError for an
 * invalid name, a section over 65535 entries, or when `u8` is too small (size it with
 * `dnsMessageMaxLen`): those are caller bugs, not untrusted input.
 */
export function emitDns(m: DnsMessage, u8: Uint8Array, off: number, compress = true): number {
  const max = dnsMessageMaxLen(m);
  if (off + max > u8.length) throw new RangeError(`DNS message needs up to ${max} octets at ${off}`);
  const w = new Writer(u8, off, compress);
  const counts = [m.questions.length, m.answers.length, m.authorities.length, m.additionals.length];
  if (counts.some((c) => c > 0xffff)) throw new RangeError('DNS section with more than 65535 entries');
  w.u16(m.id);
  w.u16(
    (m.qr ? 0x8000 : 0) |
      ((m.opcode & 0x0f) << 11) |
      (m.aa ? 0x0400 : 0) |
      (m.tc ? 0x0200 : 0) |
      (m.rd ? 0x0100 : 0) |
      (m.ra ? 0x0080 : 0) |
      (m.z ? 0x0040 : 0) |
      (m.ad ? 0x0020 : 0) |
      (m.cd ? 0x0010 : 0) |
      (m.rcode & 0x0f),
  );
  for (const c of counts) w.u16(c);
  for (const q of m.questions) {
    w.name(q.name, true);
    w.u16(q.type);
    w.u16(q.class);
  }
  for (const s of [m.answers, m.authorities, m.additionals]) {
    for (const r of s) {
      w.name(r.name, true);
      w.u16(dnsRDataType(r.data));
      w.u16(r.class);
      w.u32(r.ttl);
      const lenAt = w.pos;
      w.pos += 2;
      writeRData(w, r.data);
      const rdlen = w.pos - lenAt - 2;
      if (rdlen > 0xffff) throw new RangeError('RDATA longer than 65535 octets');
      wr16(u8, lenAt, rdlen);
    }
  }
  return w.pos - off;
}
