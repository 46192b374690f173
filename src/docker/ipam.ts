// The default IPAM driver (moby daemon/libnetwork/ipams/defaultipam, ipamutils, internal/addrset) as
// pure functions over the immer draft of `IpamState`.
//
// Facts it reproduces (read in moby at b985e23):
// 1. Local default pools (ipamutils/utils.go): 172.17/16, 172.18/16, 172.19/16, 172.20/14,
//    172.24/14, 172.28/14 split into /16s, then 192.168/16 split into /20s. The address space sorts
//    the predefined pools by address and drops any that overlap an earlier one (newAddrSpace).
// 2. A predefined subnet is the first one, in that order, that overlaps neither an allocated pool nor
//    a reserved prefix (allocatePredefinedPool walks both sorted lists; "first non-overlapping
//    candidate" is what the walk computes). Reserved = the host's on-link routes and resolv.conf
//    nameservers (netutils.InferReservedNetworks) — the engine passes the on-link routes.
// 3. A user subnet must not overlap any allocated pool: `invalid pool request: Pool overlaps with
//    other one on this address space` (allocator.go RequestPool → ErrPoolOverlap).
// 4. In a pool the network address and (when the prefix is shorter than /31) the broadcast address
//    are reserved (newPoolData). Requests without a preferred address take the LOWEST free address
//    (addrset.AddAny with serial=false: only swarm's cnmallocator asks for serial allocation), so a
//    released address is handed out again at once. With an ip-range the lowest free one in the range.
// 5. The gateway is requested first, from the same pool and range (network.go ipamAllocateVersion).

import {
  type Cidr,
  cidrOverlaps,
  ipv4ToString,
  maskFromPrefix,
  networkOf,
  tryParseCidr,
  tryParseIpv4,
} from '../wire/ipv4-address.js';
import { DaemonError } from './errors.js';
import type { AddressPoolSpec, IpamState, PoolState } from './types.js';

type Draft<T> = { -readonly [K in keyof T]: T[K] extends readonly (infer U)[] ? U[] : T[K] };
type IpamDraft = { allocated: string[]; pools: Record<string, Draft<PoolState>> };

/** ipamutils localScopeDefaultNetworks. */
export const LOCAL_DEFAULT_POOLS: readonly AddressPoolSpec[] = [
  { base: '172.17.0.0/16', size: 16 },
  { base: '172.18.0.0/16', size: 16 },
  { base: '172.19.0.0/16', size: 16 },
  { base: '172.20.0.0/14', size: 16 },
  { base: '172.24.0.0/14', size: 16 },
  { base: '172.28.0.0/14', size: 16 },
  { base: '192.168.0.0/16', size: 20 },
];

export const ERR_POOL_OVERLAP = 'Pool overlaps with other one on this address space';
export const ERR_NO_MORE_SUBNETS = 'all predefined address pools have been fully subnetted';
export const ERR_NO_AVAILABLE_IPS = 'no available addresses on this pool';
export const ERR_IP_ALREADY_ALLOCATED = 'Address already in use';
export const ERR_IP_OUT_OF_RANGE = 'requested address is out of range';

export function emptyIpam(): IpamState {
  return { allocated: [], pools: {} };
}

export function parsePrefix(text: string): Cidr {
  const c = tryParseCidr(text);
  if (c === null || !text.includes('/')) throw new DaemonError(`invalid CIDR address: ${text}`);
  return c;
}

export function maskedString(c: Cidr): string {
  return `${ipv4ToString(networkOf(c.addr, c.prefixLen))}/${c.prefixLen}`;
}

/** netiputil.PrefixCompare: by address, then shorter prefix first. */
export function comparePrefix(a: Cidr, b: Cidr): number {
  const na = networkOf(a.addr, a.prefixLen);
  const nb = networkOf(b.addr, b.prefixLen);
  return na !== nb ? (na < nb ? -1 : 1) : a.prefixLen - b.prefixLen;
}

/** newAddrSpace: sort the predefined pools and drop those overlapping an earlier one. */
export function normalisePredefined(pools: readonly AddressPoolSpec[]): { base: Cidr; size: number }[] {
  const list = pools.map((p) => ({ base: parsePrefix(p.base), size: p.size }));
  list.sort((a, b) => comparePrefix(a.base, b.base));
  const out: { base: Cidr; size: number }[] = [];
  for (const p of list) {
    const prev = out[out.length - 1];
    if (prev !== undefined && cidrOverlaps(prev.base, p.base)) continue;
    out.push({
      base: { addr: networkOf(p.base.addr, p.base.prefixLen), prefixLen: p.base.prefixLen },
      size: p.size,
    });
  }
  return out;
}

function hostCount(prefixLen: number): number {
  return 2 ** (32 - prefixLen);
}

function newPool(subnet: Cidr): Draft<PoolState> {
  const used: number[] = [];
  const bits = 32 - subnet.prefixLen;
  if (bits > 1) used.push(0, hostCount(subnet.prefixLen) - 1);
  return { subnet: maskedString(subnet), used, children: [], autoRelease: false };
}

function insertSorted(list: string[], p: Cidr): void {
  let i = 0;
  while (i < list.length && comparePrefix(parsePrefix(list[i]!), p) < 0) i++;
  list.splice(i, 0, maskedString(p));
}

function overlapsAny(list: readonly string[], p: Cidr): boolean {
  for (const s of list) if (cidrOverlaps(parsePrefix(s), p)) return true;
  return false;
}

export interface PoolRequest {
  /** `--subnet`; absent = a predefined pool. `0.0.0.0/N` asks for a predefined pool of size N. */
  readonly pool?: string;
  /** `--ip-range`. */
  readonly subPool?: string;
}

/** Allocator.RequestPool. Returns the pool's subnet (masked CIDR text). */
export function requestPool(
  ipam: IpamDraft,
  req: PoolRequest,
  predefined: readonly AddressPoolSpec[],
  reserved: readonly Cidr[],
): string {
  let prefixSize = 0;
  let pool = req.pool;
  if (pool !== undefined) {
    const p = parsePrefix(pool);
    if (p.addr === 0) {
      pool = undefined;
      prefixSize = p.prefixLen;
    }
  }
  if (pool === undefined) {
    if (req.subPool !== undefined) throw new DaemonError('invalid pool request: invalid address subpool');
    return allocatePredefined(ipam, normalisePredefined(predefined), reserved, prefixSize);
  }
  const subnet = parsePrefix(pool);
  const nw = { addr: networkOf(subnet.addr, subnet.prefixLen), prefixLen: subnet.prefixLen };
  let sub: Cidr | null = null;
  if (req.subPool !== undefined) {
    const s = tryParseCidr(req.subPool);
    if (s === null) throw new DaemonError('invalid pool request: invalid address subpool');
    sub = { addr: networkOf(s.addr, s.prefixLen), prefixLen: s.prefixLen };
    if (sub.prefixLen < nw.prefixLen) sub = nw; // pre-v24 behaviour kept by RequestPool
  }
  const key = maskedString(nw);
  const existing = ipam.pools[key];
  if (existing !== undefined) {
    if (sub === null || existing.children.includes(maskedString(sub)))
      throw new DaemonError(`invalid pool request: ${ERR_POOL_OVERLAP}`);
    existing.children.push(maskedString(sub));
    return key;
  }
  if (sub === null) {
    if (overlapsAny(ipam.allocated, nw)) throw new DaemonError(`invalid pool request: ${ERR_POOL_OVERLAP}`);
    insertSorted(ipam.allocated, nw);
    ipam.pools[key] = newPool(nw);
    return key;
  }
  // allocateSubnetL with a child: the parent is created without an overlap check and auto-released.
  insertSorted(ipam.allocated, nw);
  const pd = newPool(nw);
  pd.autoRelease = true;
  pd.children.push(maskedString(sub));
  ipam.pools[key] = pd;
  return key;
}

function allocatePredefined(
  ipam: IpamDraft,
  predefined: { base: Cidr; size: number }[],
  reserved: readonly Cidr[],
  prefixSize: number,
): string {
  const candidates =
    prefixSize === 0
      ? predefined
      : predefined
          .filter((p) => p.base.prefixLen <= prefixSize)
          .map((p) => ({ base: p.base, size: prefixSize }));
  if (candidates.length === 0) throw new DaemonError('invalid address pool');
  for (const pdf of candidates) {
    const n = 2 ** (pdf.size - pdf.base.prefixLen);
    const step = hostCount(pdf.size);
    for (let i = 0; i < n; i++) {
      const c: Cidr = { addr: (pdf.base.addr + i * step) >>> 0, prefixLen: pdf.size };
      if (overlapsAny(ipam.allocated, c)) continue;
      if (reserved.some((r) => cidrOverlaps(r, c))) continue;
      insertSorted(ipam.allocated, c);
      const key = maskedString(c);
      ipam.pools[key] = newPool(c);
      return key;
    }
  }
  throw new DaemonError(ERR_NO_MORE_SUBNETS);
}

/** addrSpace.releaseSubnet. */
export function releasePool(ipam: IpamDraft, subnet: string, subPool?: string): void {
  const p = ipam.pools[subnet];
  if (p === undefined) return;
  if (subPool !== undefined) {
    const s = maskedString(parsePrefix(subPool));
    const i = p.children.indexOf(s);
    if (i >= 0) p.children.splice(i, 1);
  } else {
    p.autoRelease = true;
  }
  if (p.children.length === 0 && p.autoRelease) {
    const i = ipam.allocated.indexOf(subnet);
    if (i >= 0) ipam.allocated.splice(i, 1);
    delete ipam.pools[subnet];
  }
}

function lowerBound(a: readonly number[], v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Lowest offset in [from, to] not in `used` (ascending, distinct), or -1. Binary searches, because
 * `used` is an immer draft (every read a proxy trap) and addresses are handed out in order, so a
 * scan from `from` walked the whole run of taken addresses: O(containers on the network) per start.
 * In a strictly increasing array `used[i] - i` never decreases, and it stays `from - i0` exactly
 * while the entries from i0 on are the consecutive run from, from + 1, …
 */
function lowestFree(used: readonly number[], from: number, to: number): number {
  const i0 = lowerBound(used, from);
  if (i0 >= used.length || used[i0] !== from) return from <= to ? from : -1;
  let lo = i0; // used[lo] - lo === from - i0
  let hi = used.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (used[mid]! - mid === from - i0) lo = mid;
    else hi = mid - 1;
  }
  const cand = used[lo]! + 1; // the run ends at lo, so cand is free
  return cand <= to ? cand : -1;
}

/** Allocator.RequestAddress. Returns the address (dotted quad). */
export function requestAddress(
  ipam: IpamDraft,
  subnet: string,
  subPool: string | undefined,
  pref?: string,
): string {
  const p = ipam.pools[subnet];
  if (p === undefined)
    throw new DaemonError(`cannot find address pool for poolID:${subnet}/${subPool ?? 'invalid Prefix'}`);
  const nw = parsePrefix(subnet);
  const size = hostCount(nw.prefixLen);
  if (pref !== undefined && pref !== '') {
    const a = tryParseIpv4(pref);
    if (a < 0 || networkOf(a, nw.prefixLen) !== nw.addr) throw new DaemonError(ERR_IP_OUT_OF_RANGE);
    const off = a - nw.addr;
    const i = lowerBound(p.used, off);
    if (p.used[i] === off) throw new DaemonError(ERR_IP_ALREADY_ALLOCATED);
    p.used.splice(i, 0, off);
    return ipv4ToString(a);
  }
  let from = 0;
  let to = size - 1;
  if (subPool !== undefined) {
    const s = parsePrefix(subPool);
    if (s.prefixLen > nw.prefixLen) {
      from = networkOf(s.addr, s.prefixLen) - nw.addr;
      to = from + hostCount(s.prefixLen) - 1;
    }
  }
  const off = lowestFree(p.used, from, to);
  if (off < 0) throw new DaemonError(ERR_NO_AVAILABLE_IPS);
  p.used.splice(lowerBound(p.used, off), 0, off);
  return ipv4ToString((nw.addr + off) >>> 0);
}

/** Allocator.ReleaseAddress. */
export function releaseAddress(ipam: IpamDraft, subnet: string, addr: string): void {
  const p = ipam.pools[subnet];
  if (p === undefined) return;
  const nw = parsePrefix(subnet);
  const a = tryParseIpv4(addr);
  if (a < 0) return;
  const off = (a - nw.addr) >>> 0;
  // The network and broadcast reservations are never released (nothing in libnetwork asks to; the
  // model refuses so a stray release cannot hand them out).
  if (32 - nw.prefixLen > 1 && (off === 0 || off === hostCount(nw.prefixLen) - 1)) return;
  const i = lowerBound(p.used, off);
  if (p.used[i] === off) p.used.splice(i, 1);
}

/** True when `addr` is inside `cidr` (text forms). */
export function prefixContains(cidr: string, addr: string): boolean {
  const c = parsePrefix(cidr);
  const a = tryParseIpv4(addr);
  return a >= 0 && ((a ^ c.addr) & maskFromPrefix(c.prefixLen)) === 0;
}

export type { IpamDraft };
