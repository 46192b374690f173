// IPv4 addresses as unsigned 32-bit numbers, their dotted-quad text, and CIDR prefixes.
//
// Heads up: two text grammars live here, on purpose.
// - Strict (`parseIpv4`, `parseCidr`): exactly four decimal octets 0–255 without leading zeros, the
//   grammar of glibc `inet_pton(AF_INET)` and Go's `netip.ParseAddr` (Docker). `010.0.0.1` is an error:
//   it is ambiguous (octal 8 to some parsers, decimal 10 to others) and almost always a typo.
// - iproute2 (`parseIpv4Iproute2`, `parseCidrIproute2`): what `ip addr add` really accepts. iproute2's
//   `get_addr_ipv4` (lib/utils.c) reads each part with `strtoul(…, 0)`, so `010.0.0.1` is octal 8.0.0.1,
//   `0x0a.0.0.1` is 10.0.0.1 and `10.1` is 10.1.0.0 (recorded with iproute2 6.1: `ip addr add
//   010.0.0.1/8 dev d0` shows `inet 8.0.0.1/8`). The `ip` front-end uses this grammar for fidelity.
// Classification predicates mirror include/linux/in.h (`ipv4_is_loopback`, `ipv4_is_multicast`, …).

/** A prefix: `addr` may have host bits set (as in `ip addr add 10.0.0.5/24`); see `cidrHostBitsSet`. */
export interface Cidr {
  addr: number;
  prefixLen: number;
}

export const IPV4_ANY = 0;
export const IPV4_LIMITED_BROADCAST = 0xffffffff;
export const IPV4_LOOPBACK = 0x7f000001;

/** `a.b.c.d`. */
export function ipv4ToString(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

/** Builds an address from its four octets. */
export function ipv4(a: number, b: number, c: number, d: number): number {
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

/** Strict dotted quad (inet_pton rules) → u32, or -1. */
export function tryParseIpv4(text: string): number {
  let acc = 0;
  let octets = 0;
  let i = 0;
  const n = text.length;
  while (octets < 4) {
    const start = i;
    let v = 0;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57) break;
      v = v * 10 + (c - 48);
      i++;
      if (i - start > 3) return -1;
    }
    const digits = i - start;
    if (digits === 0 || v > 255) return -1;
    if (digits > 1 && text.charCodeAt(start) === 48) return -1; // leading zero: ambiguous, see header
    acc = acc * 256 + v;
    octets++;
    if (octets < 4) {
      if (i >= n || text.charCodeAt(i) !== 46) return -1;
      i++;
    }
  }
  return i === n ? acc >>> 0 : -1;
}

/** Strict dotted quad → u32; throws with iproute2's wording for a bad address. */
export function parseIpv4(text: string): number {
  const a = tryParseIpv4(text);
  if (a < 0) throw new Error(`Error: inet address is expected rather than "${text}".`);
  return a;
}

/** Netmask for a prefix length 0..32 (`/0` → 0, `/32` → 0xffffffff). */
export function maskFromPrefix(prefixLen: number): number {
  return prefixLen <= 0 ? 0 : (0xffffffff << (32 - prefixLen)) >>> 0;
}

/** Prefix length of a contiguous netmask, or -1 when the mask has holes (iproute2's `mask2bits`). */
export function prefixFromMask(mask: number): number {
  const m = mask >>> 0;
  const inv = ~m >>> 0;
  if ((inv & (inv + 1)) !== 0) return -1; // the host part must be 0…01…1
  let len = 0;
  for (let x = m; x !== 0; x = (x << 1) >>> 0) len++;
  return len;
}

/** Network address: the host bits cleared. */
export function networkOf(addr: number, prefixLen: number): number {
  return (addr & maskFromPrefix(prefixLen)) >>> 0;
}

/** Directed broadcast: the host bits set. For /31 and /32 this is just the top of the range. */
export function broadcastOf(addr: number, prefixLen: number): number {
  return (addr | ~maskFromPrefix(prefixLen)) >>> 0;
}

export function cidrNetwork(c: Cidr): number {
  return networkOf(c.addr, c.prefixLen);
}

export function cidrBroadcast(c: Cidr): number {
  return broadcastOf(c.addr, c.prefixLen);
}

/** True when `addr` is inside the prefix. */
export function cidrContains(c: Cidr, addr: number): boolean {
  return ((addr ^ c.addr) & maskFromPrefix(c.prefixLen)) === 0;
}

/** True when the prefix `inner` lies inside `outer`. */
export function cidrCovers(outer: Cidr, inner: Cidr): boolean {
  return inner.prefixLen >= outer.prefixLen && cidrContains(outer, inner.addr);
}

/** Two prefixes overlap iff one contains the other's network (prefixes nest or are disjoint). */
export function cidrOverlaps(a: Cidr, b: Cidr): boolean {
  const len = Math.min(a.prefixLen, b.prefixLen);
  return ((a.addr ^ b.addr) & maskFromPrefix(len)) === 0;
}

/**
 * True when the address has bits set below the prefix. `ip route add 10.0.0.1/8` is refused by the
 * kernel for that reason (`Error: Invalid prefix for given prefix length.`), while `ip addr add` allows it.
 */
export function cidrHostBitsSet(c: Cidr): boolean {
  return (c.addr & ~maskFromPrefix(c.prefixLen)) !== 0;
}

/** A /32: a host route (`ip route` prints it without the `/32`). */
export function isHostPrefix(prefixLen: number): boolean {
  return prefixLen === 32;
}

/** `addr/len`, the address as given (not masked). */
export function cidrToString(c: Cidr): string {
  return `${ipv4ToString(c.addr)}/${c.prefixLen}`;
}

function strictPrefixLen(text: string): number {
  if (text.length === 0 || text.length > 2) return -1;
  if (text.length === 2 && text.charCodeAt(0) === 48) return -1; // `/08`, as iproute2 refuses it too
  let v = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    v = v * 10 + (c - 48);
  }
  return v <= 32 ? v : -1;
}

/** Strict `a.b.c.d/len` (or a bare address, meaning /32, as in `ip`) → Cidr, or null. */
export function tryParseCidr(text: string): Cidr | null {
  const slash = text.indexOf('/');
  const addr = tryParseIpv4(slash < 0 ? text : text.slice(0, slash));
  if (addr < 0) return null;
  const prefixLen = slash < 0 ? 32 : strictPrefixLen(text.slice(slash + 1));
  if (prefixLen < 0) return null;
  return { addr, prefixLen };
}

/** Strict CIDR; throws iproute2's message, e.g. `Error: any valid prefix is expected rather than "10.0.0.0/33".` */
export function parseCidr(text: string): Cidr {
  const c = tryParseCidr(text);
  if (c === null) throw new Error(`Error: any valid prefix is expected rather than "${text}".`);
  return c;
}

// --- iproute2's lenient grammar -------------------------------------------------------------------

/**
 * C `strtoul(s, &end, 0)` restricted to what matters here: optional leading whitespace and `+`, then
 * `0x`/`0X` hex, `0` octal or decimal. Returns the value (capped to avoid precision loss) and the end
 * index; `end === start` means no digits. A `-` sign makes the value huge in C, so it is rejected.
 */
function strtoul0(s: string, start: number): { v: number; end: number } {
  let i = start;
  while (i < s.length && /\s/.test(s[i]!)) i++;
  if (s[i] === '+') i++;
  let base = 10;
  if (s[i] === '0') {
    base = 8;
    if ((s[i + 1] === 'x' || s[i + 1] === 'X') && /[0-9a-fA-F]/.test(s[i + 2] ?? '')) {
      base = 16;
      i += 2;
    }
  }
  const digitsStart = i;
  let v = 0;
  for (; i < s.length; i++) {
    const d = Number.parseInt(s[i]!, 16);
    if (Number.isNaN(d) || d >= base) break;
    v = Math.min(v * base + d, 0x1_0000_0000);
  }
  return { v, end: i === digitsStart ? start : i };
}

/**
 * iproute2's `get_addr_ipv4`: up to four `strtoul(…, 0)` parts joined by dots; missing trailing parts
 * are zero (`10.8` → 10.8.0.0). Returns u32 or -1. Does not handle the `default`/`any`/`all` keywords.
 */
export function parseIpv4Iproute2(text: string): number {
  const b = [0, 0, 0, 0];
  let pos = 0;
  for (let i = 0; i < 4; i++) {
    const { v, end } = strtoul0(text, pos);
    if (v > 255 || end === pos) return -1;
    b[i] = v;
    if (end === text.length) return ipv4(b[0]!, b[1]!, b[2]!, b[3]!);
    if (i === 3 || text[end] !== '.') return -1;
    pos = end + 1;
  }
  return -1;
}

/**
 * iproute2's `get_prefix_1` for IPv4: address as `parseIpv4Iproute2`, then `/len` where len is
 * `strtoul(…, 0)` (so `/010` is 8 and `/08` is an error) or a contiguous dotted netmask. Null when invalid.
 */
export function tryParseCidrIproute2(text: string): Cidr | null {
  const slash = text.indexOf('/');
  const addr = parseIpv4Iproute2(slash < 0 ? text : text.slice(0, slash));
  if (addr < 0) return null;
  if (slash < 0) return { addr, prefixLen: 32 };
  const lenText = text.slice(slash + 1);
  const { v, end } = strtoul0(lenText, 0);
  if (end !== 0 && end === lenText.length) return v <= 32 ? { addr, prefixLen: v } : null;
  const mask = parseIpv4Iproute2(lenText);
  const len = mask < 0 ? -1 : prefixFromMask(mask);
  return len < 0 ? null : { addr, prefixLen: len };
}

/** As `tryParseCidrIproute2`, throwing `ip`'s exact message. */
export function parseCidrIproute2(text: string): Cidr {
  const c = tryParseCidrIproute2(text);
  if (c === null) throw new Error(`Error: any valid prefix is expected rather than "${text}".`);
  return c;
}

// --- classification (include/linux/in.h, RFC 6890) ------------------------------------------------

/** 127.0.0.0/8 (`ipv4_is_loopback`). */
export function isLoopback(a: number): boolean {
  return a >>> 24 === 127;
}

/** 224.0.0.0/4 (`ipv4_is_multicast`). */
export function isMulticast(a: number): boolean {
  return (a & 0xf0000000) >>> 0 === 0xe0000000;
}

/** Link-local multicast 224.0.0.0/24 (`ipv4_is_local_multicast`): never forwarded. */
export function isLocalMulticast(a: number): boolean {
  return (a & 0xffffff00) >>> 0 === 0xe0000000;
}

/** 255.255.255.255 (`ipv4_is_lbcast`). */
export function isLimitedBroadcast(a: number): boolean {
  return a >>> 0 === 0xffffffff;
}

/** 0.0.0.0/8, "this network" (`ipv4_is_zeronet`): a martian source or destination for routing. */
export function isZeronet(a: number): boolean {
  return a >>> 24 === 0;
}

/** 0.0.0.0, the unspecified address. */
export function isUnspecified(a: number): boolean {
  return a === 0;
}

/** 169.254.0.0/16 (RFC 3927, `ipv4_is_linklocal_169`). */
export function isLinkLocal(a: number): boolean {
  return a >>> 16 === 0xa9fe;
}

/** RFC 1918 private space: 10/8, 172.16/12, 192.168/16 (`ipv4_is_private_10/172/192`). */
export function isPrivate(a: number): boolean {
  return a >>> 24 === 10 || (a & 0xfff00000) >>> 0 === 0xac100000 || a >>> 16 === 0xc0a8;
}

/** Class E 240.0.0.0/4 (reserved; Linux still routes it unless configured otherwise). */
export function isReservedClassE(a: number): boolean {
  return (a & 0xf0000000) >>> 0 === 0xf0000000 && a >>> 0 !== 0xffffffff;
}
