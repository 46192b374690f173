// Ethernet II (DIX) headers with an optional IEEE 802.1Q tag.
//
// Heads up: read IEEE 802.3 §3.1.1 (frame format) and IEEE 802.1Q §9.6 (tag format) before changing
// this file. Frames here are what a pcap capture shows: destination, source, EtherType, payload, and
// NO frame check sequence. Only one 802.1Q tag (TPID 0x8100) is understood; a second tag or an 802.1ad
// S-tag (0x88a8) is left to the payload (`innerEthertype` then reports 0x8100/0x88a8).
//
// Minimum frame size. The 64-byte minimum of IEEE 802.3 includes the 4-byte FCS, so a captured frame
// is at least 60 bytes — on a physical NIC. Linux does not pad in the stack: drivers pad in hardware or
// with `eth_skb_pad`/`skb_put_padto(skb, ETH_ZLEN)`, and veth (a software pair) never pads. Our own
// recording confirms it: an ARP request captured on a veth in a netns is 42 bytes
// (test/wire/fixtures/linux-frames.ts). So emitters here do NOT pad; a device model for a physical
// link calls `ethPadToMin` itself. Receivers must accept padding: IPv4 trims to Total Length.

import { rd16, wr16 } from './bytes.js';
import type { Mac } from './mac.js';
import { macRead, macReadHi, macReadLo, macWrite } from './mac.js';

/** EtherType values (IEEE registry; Linux `ETH_P_*` in include/uapi/linux/if_ether.h). */
export const ETHERTYPE = Object.freeze({
  IPv4: 0x0800,
  ARP: 0x0806,
  VLAN: 0x8100,
  IPv6: 0x86dd,
  QinQ: 0x88a8,
} as const);

/** Byte offsets inside the header, relative to the frame start. TCI and INNER_TYPE exist only when tagged. */
export const ETH_F = Object.freeze({
  DST: 0,
  SRC: 6,
  ETHERTYPE: 12,
  TCI: 14,
  INNER_ETHERTYPE: 16,
} as const);
const F = ETH_F;

export const ETH_HDR_LEN = 14;
export const VLAN_TAG_LEN = 4;
export const ETH_VLAN_HDR_LEN = ETH_HDR_LEN + VLAN_TAG_LEN;
/** Minimum frame length without FCS (Linux `ETH_ZLEN`). */
export const ETH_ZLEN = 60;
/** Largest 802.1Q VLAN ID usable on a link; 0 means priority-tagged and 4095 is reserved. */
export const VLAN_VID_MAX = 4094;

/** Why a frame was refused. Index drop counters by it. */
export const EthBad = Object.freeze({
  None: 0,
  /** Fewer than 14 bytes, or an 802.1Q TPID without the 4 tag bytes and inner EtherType. */
  Short: 1,
} as const);
export type EthBad = (typeof EthBad)[keyof typeof EthBad];

/** Validates that the header (including a tag, if the TPID says so) fits in [off, end). */
export function checkEthernet(u8: Uint8Array, off: number, end: number): EthBad {
  if (end - off < ETH_HDR_LEN) return EthBad.Short;
  if (rd16(u8, off + F.ETHERTYPE) === ETHERTYPE.VLAN && end - off < ETH_VLAN_HDR_LEN) return EthBad.Short;
  return EthBad.None;
}

/** Header length, 14 or 18. Requires `checkEthernet` to have passed. */
export function ethHeaderLen(u8: Uint8Array, off: number): number {
  return rd16(u8, off + F.ETHERTYPE) === ETHERTYPE.VLAN ? ETH_VLAN_HDR_LEN : ETH_HDR_LEN;
}

/** Absolute offset of the payload (after the tag, if any). */
export function ethPayloadOffset(u8: Uint8Array, off: number): number {
  return off + ethHeaderLen(u8, off);
}

/** The EtherType that describes the payload (the one after the tag, if tagged). */
export function ethInnerEthertype(u8: Uint8Array, off: number): number {
  const t = rd16(u8, off + F.ETHERTYPE);
  return t === ETHERTYPE.VLAN ? rd16(u8, off + F.INNER_ETHERTYPE) : t;
}

/**
 * Zero-fills a frame of `len` bytes at `off` up to `ETH_ZLEN` (what a NIC driver does before
 * transmission; veth does not). Returns the new length. The caller guarantees the buffer has room.
 */
export function ethPadToMin(u8: Uint8Array, off: number, len: number): number {
  if (len >= ETH_ZLEN) return len;
  u8.fill(0, off + len, off + ETH_ZLEN);
  return ETH_ZLEN;
}

/**
 * Reusable view of an Ethernet header. After `checkEthernet` returns `EthBad.None` for the same
 * bytes, no accessor reads past the header; the tag accessors are meaningful only when `tagged`.
 */
export class EthernetView {
  u8: Uint8Array = new Uint8Array(0);
  off = 0;

  reset(u8: Uint8Array, off: number): this {
    this.u8 = u8;
    this.off = off;
    return this;
  }

  /** "Destination Address", first two octets. */
  get dstHi(): number {
    return macReadHi(this.u8, this.off + F.DST);
  }
  /** "Destination Address", last four octets. */
  get dstLo(): number {
    return macReadLo(this.u8, this.off + F.DST);
  }
  setDst(hi: number, lo: number): void {
    macWrite(this.u8, this.off + F.DST, hi, lo);
  }

  /** "Source Address", first two octets. */
  get srcHi(): number {
    return macReadHi(this.u8, this.off + F.SRC);
  }
  /** "Source Address", last four octets. */
  get srcLo(): number {
    return macReadLo(this.u8, this.off + F.SRC);
  }
  setSrc(hi: number, lo: number): void {
    macWrite(this.u8, this.off + F.SRC, hi, lo);
  }

  /** "Length/Type" at offset 12: the EtherType, or the TPID 0x8100 when tagged. */
  get ethertype(): number {
    return rd16(this.u8, this.off + F.ETHERTYPE);
  }
  set ethertype(v: number) {
    wr16(this.u8, this.off + F.ETHERTYPE, v);
  }

  /** True when an 802.1Q tag follows the source address. */
  get tagged(): boolean {
    return this.ethertype === ETHERTYPE.VLAN;
  }

  /** 802.1Q "Tag Control Information" (PCP:3, DEI:1, VID:12). */
  get tci(): number {
    return rd16(this.u8, this.off + F.TCI);
  }
  set tci(v: number) {
    wr16(this.u8, this.off + F.TCI, v);
  }
  /** 802.1Q "Priority Code Point". */
  get pcp(): number {
    return this.u8[this.off + F.TCI]! >>> 5;
  }
  set pcp(v: number) {
    const o = this.off + F.TCI;
    this.u8[o] = ((v & 7) << 5) | (this.u8[o]! & 0x1f);
  }
  /** 802.1Q "Drop Eligible Indicator". */
  get dei(): boolean {
    return (this.u8[this.off + F.TCI]! & 0x10) !== 0;
  }
  set dei(v: boolean) {
    const o = this.off + F.TCI;
    this.u8[o] = v ? this.u8[o]! | 0x10 : this.u8[o]! & 0xef;
  }
  /** 802.1Q "VLAN Identifier". */
  get vid(): number {
    return this.tci & 0x0fff;
  }
  set vid(v: number) {
    this.tci = (this.tci & 0xf000) | (v & 0x0fff);
  }

  /** EtherType of the payload: after the tag when tagged. */
  get innerEthertype(): number {
    return ethInnerEthertype(this.u8, this.off);
  }
  set innerEthertype(v: number) {
    wr16(this.u8, this.off + (this.tagged ? F.INNER_ETHERTYPE : F.ETHERTYPE), v);
  }

  /** 14, or 18 when tagged. */
  get headerLen(): number {
    return ethHeaderLen(this.u8, this.off);
  }
  /** Absolute offset of the payload in `u8`. */
  get payloadOffset(): number {
    return this.off + this.headerLen;
  }
}

/** An 802.1Q tag as plain fields. */
export interface VlanTag {
  pcp: number;
  dei: boolean;
  vid: number;
}

export interface EthernetRepr {
  dst: Mac;
  src: Mac;
  /** EtherType of the payload (never 0x8100: the tag is in `vlan`). */
  ethertype: number;
  vlan: VlanTag | null;
}

export function ethernetReprLen(r: EthernetRepr): number {
  return r.vlan === null ? ETH_HDR_LEN : ETH_VLAN_HDR_LEN;
}

/** Writes the header; returns bytes written (14 or 18). Does not pad (see the file header). */
export function emitEthernet(r: EthernetRepr, u8: Uint8Array, off: number): number {
  macWrite(u8, off + F.DST, r.dst.hi, r.dst.lo);
  macWrite(u8, off + F.SRC, r.src.hi, r.src.lo);
  if (r.vlan === null) {
    wr16(u8, off + F.ETHERTYPE, r.ethertype);
    return ETH_HDR_LEN;
  }
  wr16(u8, off + F.ETHERTYPE, ETHERTYPE.VLAN);
  wr16(u8, off + F.TCI, ((r.vlan.pcp & 7) << 13) | (r.vlan.dei ? 0x1000 : 0) | (r.vlan.vid & 0x0fff));
  wr16(u8, off + F.INNER_ETHERTYPE, r.ethertype);
  return ETH_VLAN_HDR_LEN;
}

export type EthernetParse = { ok: true; repr: EthernetRepr } | { ok: false; reason: EthBad };

/** Parses the header in [off, end); never throws. */
export function parseEthernet(u8: Uint8Array, off: number, end: number): EthernetParse {
  const bad = checkEthernet(u8, off, Math.min(end, u8.length));
  if (bad !== EthBad.None) return { ok: false, reason: bad };
  const dst = macRead(u8, off + F.DST);
  const src = macRead(u8, off + F.SRC);
  const t = rd16(u8, off + F.ETHERTYPE);
  if (t !== ETHERTYPE.VLAN) return { ok: true, repr: { dst, src, ethertype: t, vlan: null } };
  const tci = rd16(u8, off + F.TCI);
  return {
    ok: true,
    repr: {
      dst,
      src,
      ethertype: rd16(u8, off + F.INNER_ETHERTYPE),
      vlan: { pcp: tci >>> 13, dei: (tci & 0x1000) !== 0, vid: tci & 0x0fff },
    },
  };
}
