// One ipset of type hash:net or hash:ip (family inet), stored the way the kernel's generic hash
// (net/netfilter/ipset/ip_set_hash_gen.h) stores it, so that `ipset list` shows members in the
// kernel's order and its "Size in memory": 2^htableBits buckets chosen by jhash2 of the element with
// the set's random initval; a bucket holds up to `bucketsize` slots, allocated two at a time
// (AHASH_INIT_SIZE) with a `used` bit per slot and a `pos` high-water mark; a full bucket makes the
// table double (mtype_resize, buckets rehashed in order). Checked against Linux 6.18 with explicit
// initvals (test/netfilter/ipset.test.ts).
//
// Element words hashed (struct hash_net4_elem { __be32 ip; u16 padding0; u8 nomatch; u8 cidr; } and
// struct hash_ip4_elem { __be32 ip; }) as a little-endian CPU loads them: bswap(ip) and cidr << 24.
//
// Lookup (`test`, per packet): hash:net tries each prefix length present in the set, longest first
// (h->nets[], mtype_test_cidrs) — a longest-prefix match over the stored prefixes; hash:ip is one
// probe. Numbers and preallocated typed arrays only: nothing is allocated per packet. Addresses and
// masks are kept as int32 (`| 0`) inside, so V8 never boxes them (uint32 values above 2^31 would
// become heap numbers when passed between functions); members() converts back.

import { bswap32, jhash1, jhash2w } from './jhash.js';

export type SetTypeName = 'hash:net' | 'hash:ip';

/** Kernel set-type revisions Linux 6.18 reports (`Revision:` in `ipset list`). */
export const REVISION: Readonly<Record<SetTypeName, number>> = { 'hash:net': 7, 'hash:ip': 6 };

/** AHASH_INIT_SIZE: slots a bucket starts with and grows by. */
const INIT_SIZE = 2;
/** sizeof(struct hbucket): rcu_head 16 + used bitmap 8 + size/pos, aligned to 8. */
const HBUCKET = 32;
/** sizeof(struct ip_set_region) (lock + ext_size + elements). */
const REGION = 24;
/** sizeof(*h) + sizeof(*t) + one region, measured on Linux 6.18 (`Size in memory` of an empty set). */
const BASE: Readonly<Record<SetTypeName, number>> = { 'hash:net': 456, 'hash:ip': 216 };
/** HTABLE_REGION_BITS: one lock region per 2^10 buckets. */
const REGION_BITS = 10;

/** Why an add/del was refused (the core maps these to ipset's messages). */
export const AdtResult = { Ok: 0, Exist: 1, Missing: 2, Full: 3 } as const;
export type AdtResult = (typeof AdtResult)[keyof typeof AdtResult];

class Bucket {
  pos = 0;
  size: number;
  used: Uint8Array;
  /** Masked address as an int32. */
  ip: Int32Array;
  cidr: Uint8Array;
  constructor(size: number) {
    this.size = size;
    this.used = new Uint8Array(size);
    this.ip = new Int32Array(size);
    this.cidr = new Uint8Array(size);
  }
  grow(by: number): void {
    const n = new Bucket(this.size + by);
    n.used.set(this.used);
    n.ip.set(this.ip);
    n.cidr.set(this.cidr);
    n.pos = this.pos;
    this.size = n.size;
    this.used = n.used;
    this.ip = n.ip;
    this.cidr = n.cidr;
  }
}

/** The netmask of a prefix length, as an unsigned number (configuration side). */
export function prefixMask(cidr: number): number {
  return cidr === 0 ? 0 : (0xffffffff << (32 - cidr)) >>> 0;
}

/** The same mask as an int32 (per packet). */
function mask32(cidr: number): number {
  return cidr === 0 ? 0 : -1 << (32 - cidr);
}

export interface HashSetOptions {
  hashsize: number;
  maxelem: number;
  initval: number;
}

/** htable_bits(hashsize): the smallest power of two ≥ hashsize (hashsize ≥ 64 after the core's clamp). */
export function hashBits(hashsize: number): number {
  let bits = 0;
  while (2 ** bits < hashsize) bits++;
  return bits;
}

export class HashSet {
  readonly initval: number;
  /** The initval as an int32, for the per-packet hash. */
  private readonly initval32: number;
  readonly maxelem: number;
  readonly bucketsize = 12;
  htableBits: number;
  elements = 0;
  private buckets: (Bucket | null)[];
  /**
   * t->hregion[].ext_size summed: the kernel's own accounting of bucket allocations, which adds
   * ext_size(AHASH_INIT_SIZE) = header + 2 slots on every growth (so it overstates by a header per
   * growth) and subtracts ext_size(n->size) when a bucket is freed — reproduced as is.
   */
  private extSize = 0;
  /** hash:net: how many members have each prefix length (h->nets[].nets). */
  private readonly perCidr = new Uint32Array(33);
  /** hash:net: the prefix lengths present, longest first (h->nets[].cidr), `nCidrs` of them. */
  private readonly cidrs = new Uint8Array(33);
  private nCidrs = 0;
  /** Elements per lock region (t->hregion[r].elements); a region is key % regions. */
  private regionElems: Uint32Array;

  constructor(
    readonly type: SetTypeName,
    opts: HashSetOptions,
  ) {
    this.initval = opts.initval >>> 0;
    this.initval32 = opts.initval | 0;
    this.maxelem = opts.maxelem;
    this.htableBits = hashBits(Math.max(64, opts.hashsize));
    this.buckets = new Array(2 ** this.htableBits).fill(null);
    this.regionElems = new Uint32Array(this.regions(this.htableBits));
  }

  /** ahash_numof_locks. */
  private regions(bits: number): number {
    return bits < REGION_BITS ? 1 : 2 ** (bits - REGION_BITS);
  }

  /** ahash_region. */
  private region(key: number): number {
    return key % this.regionElems.length;
  }

  /**
   * mtype_add's capacity check: the region's count against t->maxelem = maxelem / regions, and only
   * when that is reached the whole set's count against maxelem.
   */
  private full(key: number): boolean {
    const perRegion = Math.floor(this.maxelem / this.regionElems.length);
    if (this.regionElems[this.region(key)]! < perRegion) return false;
    return this.elements >= this.maxelem;
  }

  get hashsize(): number {
    return 2 ** this.htableBits;
  }

  private key(ip: number, cidr: number, bits: number): number {
    const h =
      this.type === 'hash:net'
        ? jhash2w(bswap32(ip), cidr << 24, this.initval32)
        : jhash1(bswap32(ip), this.initval32);
    return h & ((1 << bits) - 1);
  }

  /** mtype_ahash_memsize + the bucket allocations. */
  memSize(): number {
    return BASE[this.type] + (this.regions(this.htableBits) - 1) * REGION + this.extSize;
  }

  private dsize(): number {
    return this.type === 'hash:net' ? 8 : 4;
  }

  /** Per packet: is `addr` in the set? */
  test(addr: number): boolean {
    const a = addr | 0;
    if (this.type === 'hash:ip') return this.find(a, 32) >= 0;
    for (let k = 0; k < this.nCidrs; k++) {
      const c = this.cidrs[k]!;
      if (this.find(a & mask32(c), c) >= 0) return true;
    }
    return false;
  }

  /** The slot holding exactly this member (int32 address), or -1. */
  private find(ip: number, cidr: number): number {
    const n = this.buckets[this.key(ip, cidr, this.htableBits)];
    if (n === null || n === undefined) return -1;
    for (let i = 0; i < n.pos; i++) if (n.used[i] === 1 && n.ip[i] === ip && n.cidr[i] === cidr) return i;
    return -1;
  }

  has(ip: number, cidr: number): boolean {
    return this.find(ip & mask32(cidr), cidr) >= 0;
  }

  /** mtype_add. `exist`: IPSET_FLAG_EXIST (`-exist`) — an existing member is not an error. */
  add(ip0: number, cidr: number, exist: boolean): AdtResult {
    const ip = ip0 & mask32(cidr);
    for (;;) {
      const r = this.addOnce(ip, cidr, exist);
      if (r !== -1) return r;
      this.resize();
    }
  }

  /** -1 = the bucket is full: the caller resizes and retries (-EAGAIN in the kernel). */
  private addOnce(ip: number, cidr: number, exist: boolean): AdtResult | -1 {
    const key = this.key(ip, cidr, this.htableBits);
    let n = this.buckets[key]!;
    let slot = -1;
    if (n === null) {
      if (this.full(key)) return AdtResult.Full;
      n = new Bucket(INIT_SIZE);
      this.buckets[key] = n;
      this.extSize += HBUCKET + INIT_SIZE * this.dsize();
    } else {
      for (let i = 0; i < n.pos; i++) {
        if (n.used[i] === 0) {
          if (slot === -1) slot = i; // reuse the first deleted slot
          continue;
        }
        if (n.ip[i] === ip && n.cidr[i] === cidr) return exist ? AdtResult.Ok : AdtResult.Exist;
      }
      if (slot === -1) {
        if (this.full(key)) return AdtResult.Full;
        if (n.pos >= n.size) {
          if (n.size >= this.bucketsize) return -1;
          n.grow(INIT_SIZE);
          // ext_size(AHASH_INIT_SIZE, dsize) counts a bucket header again on every growth.
          this.extSize += HBUCKET + INIT_SIZE * this.dsize();
        }
      }
    }
    if (slot === -1) slot = n.pos++;
    n.used[slot] = 1;
    n.ip[slot] = ip;
    n.cidr[slot] = cidr;
    this.elements++;
    this.regionElems[this.region(key)]!++;
    this.addCidr(cidr);
    return AdtResult.Ok;
  }

  /**
   * mtype_del: the slot is cleared (pos drops only when it was the last one); the bucket is freed
   * when every slot below pos is unused (`k == n->pos`, the stable fix present in Linux 6.18.44 —
   * before it only `pos == 0 && k == 0` freed, leaving empty buckets behind), otherwise compacted into
   * two fewer slots once it has two holes.
   */
  del(ip0: number, cidr: number, exist: boolean): AdtResult {
    const ip = ip0 & mask32(cidr);
    const key = this.key(ip, cidr, this.htableBits);
    const n = this.buckets[key];
    const i = this.find(ip, cidr);
    if (n === null || n === undefined || i < 0) return exist ? AdtResult.Ok : AdtResult.Missing;
    n.used[i] = 0;
    if (i + 1 === n.pos) n.pos--;
    this.elements--;
    this.regionElems[this.region(key)]!--;
    this.delCidr(cidr);
    // k: the holes below pos, counted before the deleted slot while searching and from it after.
    let holes = 0;
    for (let j = 0; j < n.pos; j++) if (n.used[j] === 0) holes++;
    if (holes === n.pos) {
      this.extSize -= HBUCKET + n.size * this.dsize();
      this.buckets[key] = null;
    } else if (holes >= INIT_SIZE) {
      const t = new Bucket(n.size - INIT_SIZE);
      let k = 0;
      for (let j = 0; j < n.pos; j++) {
        if (n.used[j] === 0) continue;
        t.used[k] = 1;
        t.ip[k] = n.ip[j]!;
        t.cidr[k] = n.cidr[j]!;
        k++;
      }
      t.pos = k;
      this.extSize -= HBUCKET + INIT_SIZE * this.dsize();
      this.buckets[key] = t;
    }
    return AdtResult.Ok;
  }

  /** mtype_flush: every bucket freed, the table keeps its size. */
  flush(): void {
    this.buckets.fill(null);
    this.extSize = 0;
    this.elements = 0;
    this.regionElems.fill(0);
    this.perCidr.fill(0);
    this.nCidrs = 0;
  }

  /** mtype_resize: double the table until every bucket fits, rehashing buckets in order. */
  private resize(): void {
    let bits = this.htableBits;
    for (;;) {
      bits++;
      const table: (Bucket | null)[] = new Array(2 ** bits).fill(null);
      let ext = 0;
      let ok = true;
      for (const n of this.buckets) {
        if (n === null) continue;
        for (let j = 0; j < n.pos && ok; j++) {
          if (n.used[j] === 0) continue;
          const key = this.key(n.ip[j]!, n.cidr[j]!, bits);
          let m = table[key]!;
          if (m === null) {
            m = new Bucket(INIT_SIZE);
            table[key] = m;
            ext += HBUCKET + INIT_SIZE * this.dsize();
          } else if (m.pos >= m.size) {
            if (m.size >= this.bucketsize) {
              ok = false;
              break;
            }
            m.grow(INIT_SIZE);
            ext += HBUCKET + INIT_SIZE * this.dsize();
          }
          const s = m.pos++;
          m.used[s] = 1;
          m.ip[s] = n.ip[j]!;
          m.cidr[s] = n.cidr[j]!;
        }
        if (!ok) break;
      }
      if (!ok) continue;
      this.htableBits = bits;
      this.buckets = table;
      this.extSize = ext;
      this.regionElems = new Uint32Array(this.regions(bits));
      for (let key = 0; key < table.length; key++) {
        const m = table[key];
        if (m !== null && m !== undefined) this.regionElems[this.region(key)]! += m.pos;
      }
      return;
    }
  }

  private addCidr(c: number): void {
    if (this.type !== 'hash:net') return;
    if (this.perCidr[c]!++ > 0) return;
    let k = this.nCidrs++;
    while (k > 0 && this.cidrs[k - 1]! < c) {
      this.cidrs[k] = this.cidrs[k - 1]!;
      k--;
    }
    this.cidrs[k] = c;
  }

  private delCidr(c: number): void {
    if (this.type !== 'hash:net') return;
    if (--this.perCidr[c]! > 0) return;
    let k = this.cidrs.indexOf(c);
    for (; k < this.nCidrs - 1; k++) this.cidrs[k] = this.cidrs[k + 1]!;
    this.nCidrs--;
  }

  /** Members in the kernel's listing order (bucket by bucket, slot by slot): [ip, cidr] pairs. */
  members(): [number, number][] {
    const out: [number, number][] = [];
    for (const n of this.buckets) {
      if (n === null) continue;
      for (let i = 0; i < n.pos; i++) if (n.used[i] === 1) out.push([n.ip[i]! >>> 0, n.cidr[i]!]);
    }
    return out;
  }
}
