// mh: Maglev hashing (net/netfilter/ipvs/ip_vs_mh.c).
//
// Facts from the kernel source:
// - Table size: primes[CONFIG_IP_VS_MH_TAB_INDEX - 8] with the default index 12 → 4093 entries
//   (primes = 251, 509, 1021, 2039, 4093, ...). IP_VS_MH_TAB_BITS = 12 / 2 = 6.
// - Hash keys are NOT random: `generate_hash_secret` sets hash1 = {2654435761, 2654435761} and
//   hash2 = {2654446892, 2654446892}; the hash is hsiphash (SipHash-1-3 on 64-bit) of the u32
//   `offset + ntohs(port) + ntohl(addr)`. So the lookup table is deterministic: no seeded RNG needed.
// - Per dest: offset = h1(dest) % M, skip = h2(dest) % (M - 1) + 1, turns = (last_weight / gcd) >>
//   rshift, or 1 when that is 0 but last_weight != 0; rshift = max(0, fls(max_last_weight / gcd) - 6).
// - `ip_vs_mh_populate` walks the dest list round-robin, each dest claiming `turns` slots per round
//   from its permutation (offset, offset + skip, ... mod M, skipping taken slots).
// - Uses last_weight, so a quiesced dest (weight 0) keeps its slots but is "unavailable" on lookup;
//   with mh-fallback (SCHED1) the lookup probes hash(addr, port, offset) for offsets from the
//   original slot, like sh; mh-port (SCHED2) hashes the source port too.

import { fls, gcd, SCHED_FALLBACK, SCHED_PORT } from '../defs.js';
import type { Dest } from '../dest.js';
import type { Service } from '../service.js';
import { hsiphash1u32 } from '../siphash.js';
import { type Decision, noDest, type SchedPacket, type Scheduler } from './scheduler.js';

export const MH_PRIMES = [251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521, 131071] as const;
export const MH_TAB_INDEX_CONFIG = 12;
export const MH_TAB_BITS = MH_TAB_INDEX_CONFIG >> 1;
export const MH_TAB_SIZE = MH_PRIMES[MH_TAB_INDEX_CONFIG - 8]!;

const K1 = 2654435761;
const K2 = 2654446892;

/** `ip_vs_mh_hashkey` with hash1 (`which` 1) or hash2 (`which` 2), as an int32 (apply `>>> 0`). */
export function mhHash(addr: number, port: number, offset: number, which: 1 | 2): number {
  const v = (offset + port + addr) | 0;
  const k = which === 1 ? K1 : K2;
  return hsiphash1u32(v, 0, k, 0, k);
}

function unavailable(d: Dest): boolean {
  return d.weight <= 0 || d.overloaded;
}

export class MaglevHashing implements Scheduler {
  readonly name = 'mh';
  readonly lookup: Array<Dest | null> = new Array<Dest | null>(MH_TAB_SIZE).fill(null);
  gcd = 0;
  rshift = 0;

  destsChanged(svc: Service): void {
    // ip_vs_mh_gcd_weight / ip_vs_mh_shift_weight over last_weight.
    let g = 0;
    let maxw = 0;
    for (const d of svc.dests) {
      const w = d.lastWeight;
      if (w > 0) g = g > 0 ? gcd(w, g) : w;
      if (w > maxw) maxw = w;
    }
    this.gcd = g;
    this.rshift = g < 1 ? 0 : Math.max(0, fls(Math.trunc(maxw / g)) - MH_TAB_BITS);
    this.populate(svc);
  }

  private populate(svc: Service): void {
    const M = MH_TAB_SIZE;
    const ds = svc.dests;
    if (this.gcd < 1 || ds.length === 0) {
      this.lookup.fill(null);
      return;
    }
    // ip_vs_mh_permutate
    const n = ds.length;
    const perm = new Int32Array(n);
    const skip = new Int32Array(n);
    const turns = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const d = ds[i]!;
      perm[i] = (mhHash(d.addr, d.port, 0, 1) >>> 0) % M;
      skip[i] = ((mhHash(d.addr, d.port, 0, 2) >>> 0) % (M - 1)) + 1;
      const lw = d.lastWeight;
      turns[i] = Math.trunc(lw / this.gcd) >> this.rshift || (lw !== 0 ? 1 : 0);
    }
    // ip_vs_mh_populate. Slots are overwritten only when taken by a different dest, as the kernel
    // does, which changes nothing observable here.
    const taken = new Uint8Array(M);
    let filled = 0;
    let dtCount = 0;
    let p = 0;
    while (filled < M) {
      if (p >= n) p = 0;
      while (p < n) {
        if (turns[p]! < 1) {
          p++;
          continue;
        }
        let c = perm[p]!;
        while (taken[c]) {
          c += skip[p]!;
          if (c >= M) c -= M;
          perm[p] = c;
        }
        taken[c] = 1;
        this.lookup[c] = ds[p]!;
        if (++filled === M) return;
        if (++dtCount >= turns[p]!) {
          dtCount = 0;
          p++;
        }
      }
    }
  }

  schedule(svc: Service, p: SchedPacket, why: Decision): Dest | null {
    const port = svc.flags & SCHED_PORT ? p.sport : 0;
    const ihash = (mhHash(p.saddr, port, 0, 1) >>> 0) % MH_TAB_SIZE;
    why.a = ihash;
    const d = this.lookup[ihash]!;
    if (d === null) return null;
    if (!unavailable(d)) return d;
    if ((svc.flags & SCHED_FALLBACK) === 0) return null;
    for (let off = 0; off < MH_TAB_SIZE; off++) {
      const roff = (off + ihash) % MH_TAB_SIZE;
      const h = (mhHash(p.saddr, port, roff, 1) >>> 0) % MH_TAB_SIZE;
      const e = this.lookup[h]!;
      if (e === null) break;
      if (!unavailable(e)) {
        why.code = 1;
        why.b = h;
        return e;
      }
    }
    return null;
  }

  done(): void {}

  explain(why: Decision, dest: Dest | null): string {
    if (dest === null) return `mh: slot ${why.a} of ${MH_TAB_SIZE} has no available destination`;
    if (why.code === 1) return `mh: slot ${why.a} unavailable, fallback to slot ${why.b} -> ${dest}`;
    return `mh: source hashes to slot ${why.a} of ${MH_TAB_SIZE} -> ${dest}`;
  }
}

export const createMh = (): Scheduler => new MaglevHashing();
export { noDest };
