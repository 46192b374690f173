// IEEE 802 MAC-48 addresses as two numbers: `hi` holds the first two octets (16 bits) and `lo` the last
// four (32 bits, unsigned). This keeps MACs out of strings and objects on the hot path (FDB keys,
// neighbour entries) while staying exact in JS numbers.
//
// Heads up: the I/G and U/L bits are the two low bits of the FIRST octet (IEEE 802-2014 §8.2), i.e.
// bits 0x0100 and 0x0200 of `hi`, not of the last octet.

import { rd16, rd32, wr16, wr32 } from './bytes.js';

export const MAC_LEN = 6;
/** ff:ff:ff:ff:ff:ff, split as (hi, lo). */
export const MAC_BROADCAST_HI = 0xffff;
export const MAC_BROADCAST_LO = 0xffffffff;

/** A MAC address for configuration, reprs and printing (hot code passes `hi`/`lo` as two numbers). */
export interface Mac {
  /** First two octets, 0..0xffff. */
  hi: number;
  /** Last four octets, unsigned 32-bit. */
  lo: number;
}

export const MAC_BROADCAST: Readonly<Mac> = Object.freeze({ hi: MAC_BROADCAST_HI, lo: MAC_BROADCAST_LO });
export const MAC_ZERO: Readonly<Mac> = Object.freeze({ hi: 0, lo: 0 });

/** First two octets of the MAC stored at `off`. */
export function macReadHi(u8: Uint8Array, off: number): number {
  return rd16(u8, off);
}

/** Last four octets of the MAC stored at `off`, unsigned. */
export function macReadLo(u8: Uint8Array, off: number): number {
  return rd32(u8, off + 2);
}

/** Writes the MAC (hi, lo) as six octets at `off`. */
export function macWrite(u8: Uint8Array, off: number, hi: number, lo: number): void {
  wr16(u8, off, hi);
  wr32(u8, off + 2, lo);
}

/** Reads a MAC into a new object (non-hot code). */
export function macRead(u8: Uint8Array, off: number): Mac {
  return { hi: rd16(u8, off), lo: rd32(u8, off + 2) };
}

/** ff:ff:ff:ff:ff:ff. */
export function macIsBroadcast(hi: number, lo: number): boolean {
  return hi === MAC_BROADCAST_HI && lo === MAC_BROADCAST_LO;
}

/** I/G bit set: a group address. Broadcast is a multicast address too, as in Linux's `is_multicast_ether_addr`. */
export function macIsMulticast(hi: number): boolean {
  return (hi & 0x0100) !== 0;
}

/** U/L bit set: locally administered (Docker's 02:42:… and Linux's random veth MACs have it). */
export function macIsLocallyAdministered(hi: number): boolean {
  return (hi & 0x0200) !== 0;
}

/** 00:00:00:00:00:00, which Linux's `is_valid_ether_addr` rejects for a device, as it rejects multicast. */
export function macIsZero(hi: number, lo: number): boolean {
  return hi === 0 && lo === 0;
}

/** A MAC a device may own: not multicast (hence not broadcast) and not all-zero (`is_valid_ether_addr`). */
export function macIsValidUnicast(hi: number, lo: number): boolean {
  return !macIsMulticast(hi) && !macIsZero(hi, lo);
}

export function macEquals(a: Mac, b: Mac): boolean {
  return a.hi === b.hi && a.lo === b.lo;
}

const HEX = '0123456789abcdef';

function hexOctet(v: number): string {
  return HEX[(v >>> 4) & 15]! + HEX[v & 15]!;
}

/** Lower-case `aa:bb:cc:dd:ee:ff`, as `ip link` prints it. */
export function macToString(hi: number, lo: number): string {
  return `${hexOctet(hi >>> 8)}:${hexOctet(hi)}:${hexOctet(lo >>> 24)}:${hexOctet(lo >>> 16)}:${hexOctet(lo >>> 8)}:${hexOctet(lo)}`;
}

export function formatMac(m: Mac): string {
  return macToString(m.hi, m.lo);
}

// Six colon-separated groups of one or two hex digits, any case. iproute2's `ll_addr_a2n` reads each
// group with sscanf("%x"), so `2:42:ac:11:0:2` is accepted by `ip link set … address`; we accept the
// same short groups but not its other leniencies (e.g. more than two digits such as `0002`).
const MAC_RE =
  /^([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2})$/;

/** Parses MAC text, or returns null. */
export function tryParseMac(text: string): Mac | null {
  const m = MAC_RE.exec(text);
  if (m === null) return null;
  const o = (i: number) => Number.parseInt(m[i]!, 16);
  return { hi: (o(1) << 8) | o(2), lo: ((o(3) << 24) | (o(4) << 16) | (o(5) << 8) | o(6)) >>> 0 };
}

/**
 * Parses `aa:bb:cc:dd:ee:ff` (case-insensitive). Config-side: throws with iproute2's wording for a bad
 * link-layer address (`"xyz" is invalid lladdr.`).
 */
export function parseMac(text: string): Mac {
  const m = tryParseMac(text);
  if (m === null) throw new Error(`"${text}" is invalid lladdr.`);
  return m;
}
