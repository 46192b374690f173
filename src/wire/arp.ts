// ARP for IPv4 over Ethernet.
//
// Heads up: read RFC 826 (packet format) and RFC 5227 (probes and announcements) before changing ARP.
// Only the Ethernet/IPv4 combination exists here (hardware type 1, protocol type 0x0800, lengths 6 and
// 4), which is all Linux's `arp_process` accepts on an Ethernet device; any other packet is refused with
// a reason code, as `arp_rcv`/`arp_process` drop it.

import { rd16, rd32, wr16, wr32 } from './bytes.js';
import { ETHERTYPE } from './ethernet.js';
import type { Mac } from './mac.js';
import { macRead, macReadHi, macReadLo, macWrite } from './mac.js';

/** Byte offsets (RFC 826 field order, Ethernet/IPv4 sizes). */
export const ARP_F = Object.freeze({
  HTYPE: 0,
  PTYPE: 2,
  HLEN: 4,
  PLEN: 5,
  OPER: 6,
  SHA: 8,
  SPA: 14,
  THA: 18,
  TPA: 24,
} as const);
const F = ARP_F;

/** Length of an Ethernet/IPv4 ARP packet (without Ethernet padding). */
export const ARP_LEN = 28;
/** `ar$hrd` for Ethernet (ARPHRD_ETHER). */
export const ARP_HTYPE_ETHERNET = 1;

/** `ar$op` values. */
export const ARP_OP = Object.freeze({ Request: 1, Reply: 2 } as const);

/** Why an ARP packet was refused. Index drop counters by it. */
export const ArpBad = Object.freeze({
  None: 0,
  /** Fewer than 28 bytes (`arp_rcv`: `pskb_may_pull(skb, arp_hdr_len(dev))`). */
  Short: 1,
  /** `ar$hrd` is not Ethernet (1); Linux also accepts 6, IEEE 802, on Ethernet devices. */
  Htype: 2,
  /** `ar$pro` is not IPv4. */
  Ptype: 3,
  /** `ar$hln` is not 6 (`arp_rcv` checks it against the device's address length). */
  Hlen: 4,
  /** `ar$pln` is not 4. */
  Plen: 5,
  /** `ar$op` is neither request nor reply (`arp_process` ignores RARP and others). */
  Oper: 6,
} as const);
export type ArpBad = (typeof ArpBad)[keyof typeof ArpBad];

/** `ARPHRD_IEEE802`, which Linux's `arp_process` accepts alongside Ethernet. */
const ARPHRD_IEEE802 = 6;

/** Validates an Ethernet/IPv4 ARP packet in [off, end). Order follows `arp_rcv` then `arp_process`. */
export function checkArp(u8: Uint8Array, off: number, end: number): ArpBad {
  if (end - off < ARP_LEN) return ArpBad.Short;
  if (u8[off + F.HLEN] !== 6) return ArpBad.Hlen;
  if (u8[off + F.PLEN] !== 4) return ArpBad.Plen;
  const htype = rd16(u8, off + F.HTYPE);
  if (htype !== ARP_HTYPE_ETHERNET && htype !== ARPHRD_IEEE802) return ArpBad.Htype;
  if (rd16(u8, off + F.PTYPE) !== ETHERTYPE.IPv4) return ArpBad.Ptype;
  const op = rd16(u8, off + F.OPER);
  if (op !== ARP_OP.Request && op !== ARP_OP.Reply) return ArpBad.Oper;
  return ArpBad.None;
}

/** Reusable view of an Ethernet/IPv4 ARP packet; trust it after `checkArp` returns `ArpBad.None`. */
export class ArpView {
  u8: Uint8Array = new Uint8Array(0);
  off = 0;

  reset(u8: Uint8Array, off: number): this {
    this.u8 = u8;
    this.off = off;
    return this;
  }

  /** `ar$hrd`, "Hardware address space". */
  get htype(): number {
    return rd16(this.u8, this.off + F.HTYPE);
  }
  set htype(v: number) {
    wr16(this.u8, this.off + F.HTYPE, v);
  }
  /** `ar$pro`, "Protocol address space". */
  get ptype(): number {
    return rd16(this.u8, this.off + F.PTYPE);
  }
  set ptype(v: number) {
    wr16(this.u8, this.off + F.PTYPE, v);
  }
  /** `ar$hln`, "byte length of each hardware address". */
  get hlen(): number {
    return this.u8[this.off + F.HLEN]!;
  }
  set hlen(v: number) {
    this.u8[this.off + F.HLEN] = v;
  }
  /** `ar$pln`, "byte length of each protocol address". */
  get plen(): number {
    return this.u8[this.off + F.PLEN]!;
  }
  set plen(v: number) {
    this.u8[this.off + F.PLEN] = v;
  }
  /** `ar$op`, "opcode (ares_op$REQUEST | ares_op$REPLY)". */
  get oper(): number {
    return rd16(this.u8, this.off + F.OPER);
  }
  set oper(v: number) {
    wr16(this.u8, this.off + F.OPER, v);
  }
  /** `ar$sha`, "Hardware address of sender", first two octets. */
  get shaHi(): number {
    return macReadHi(this.u8, this.off + F.SHA);
  }
  /** `ar$sha`, last four octets. */
  get shaLo(): number {
    return macReadLo(this.u8, this.off + F.SHA);
  }
  setSha(hi: number, lo: number): void {
    macWrite(this.u8, this.off + F.SHA, hi, lo);
  }
  /** `ar$spa`, "Protocol address of sender". */
  get spa(): number {
    return rd32(this.u8, this.off + F.SPA);
  }
  set spa(v: number) {
    wr32(this.u8, this.off + F.SPA, v);
  }
  /** `ar$tha`, "Hardware address of target (if known)", first two octets. */
  get thaHi(): number {
    return macReadHi(this.u8, this.off + F.THA);
  }
  /** `ar$tha`, last four octets. */
  get thaLo(): number {
    return macReadLo(this.u8, this.off + F.THA);
  }
  setTha(hi: number, lo: number): void {
    macWrite(this.u8, this.off + F.THA, hi, lo);
  }
  /** `ar$tpa`, "Protocol address of target". */
  get tpa(): number {
    return rd32(this.u8, this.off + F.TPA);
  }
  set tpa(v: number) {
    wr32(this.u8, this.off + F.TPA, v);
  }

  /** RFC 5227 §2.3 ARP Announcement (gratuitous ARP): sender IP equals target IP. */
  get isGratuitous(): boolean {
    return arpIsGratuitous(this.u8, this.off);
  }
  /** RFC 5227 §2.1.1 ARP Probe: a request with sender IP 0.0.0.0 (address conflict detection). */
  get isProbe(): boolean {
    return arpIsProbe(this.u8, this.off);
  }
}

/** RFC 5227 §2.3: a gratuitous ARP (request or reply) has `ar$spa === ar$tpa`. */
export function arpIsGratuitous(u8: Uint8Array, off: number): boolean {
  return rd32(u8, off + F.SPA) === rd32(u8, off + F.TPA);
}

/** RFC 5227 §2.1.1: a probe is a request whose sender IP is all zeros. */
export function arpIsProbe(u8: Uint8Array, off: number): boolean {
  return rd16(u8, off + F.OPER) === ARP_OP.Request && rd32(u8, off + F.SPA) === 0;
}

export interface ArpRepr {
  /** `ARP_OP.Request` or `ARP_OP.Reply`. */
  oper: number;
  sha: Mac;
  spa: number;
  /** Zero in a request, by convention (Linux sends 00:00:00:00:00:00). */
  tha: Mac;
  tpa: number;
}

/** Writes the 28-byte packet; returns 28. Ethernet padding, if wanted, is the caller's (see ethernet.ts). */
export function emitArp(r: ArpRepr, u8: Uint8Array, off: number): number {
  wr16(u8, off + F.HTYPE, ARP_HTYPE_ETHERNET);
  wr16(u8, off + F.PTYPE, ETHERTYPE.IPv4);
  u8[off + F.HLEN] = 6;
  u8[off + F.PLEN] = 4;
  wr16(u8, off + F.OPER, r.oper);
  macWrite(u8, off + F.SHA, r.sha.hi, r.sha.lo);
  wr32(u8, off + F.SPA, r.spa);
  macWrite(u8, off + F.THA, r.tha.hi, r.tha.lo);
  wr32(u8, off + F.TPA, r.tpa);
  return ARP_LEN;
}

export type ArpParse = { ok: true; repr: ArpRepr } | { ok: false; reason: ArpBad };

/** Parses an ARP packet in [off, end); never throws. */
export function parseArp(u8: Uint8Array, off: number, end: number): ArpParse {
  const bad = checkArp(u8, off, Math.min(end, u8.length));
  if (bad !== ArpBad.None) return { ok: false, reason: bad };
  return {
    ok: true,
    repr: {
      oper: rd16(u8, off + F.OPER),
      sha: macRead(u8, off + F.SHA),
      spa: rd32(u8, off + F.SPA),
      tha: macRead(u8, off + F.THA),
      tpa: rd32(u8, off + F.TPA),
    },
  };
}
