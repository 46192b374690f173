// IP Identification for packets that may be fragmented (net/ipv4/route.c `ip_idents_reserve`,
// `__ip_select_ident`), Linux 6.18.
//
// The kernel keeps one global table of counters (`ip_idents`, random at boot) and of last-use jiffies
// (`ip_tstamps`, zero at boot); a packet hashes (daddr, saddr, protocol) with its namespace's random
// key (`net->ipv4.ip_id_key`, siphash) to a bucket. Reserving `segs` identifiers returns the counter
// plus a random jump: when the bucket was last used in an earlier jiffy, delta =
// get_random_u32_below(now - then), so a flow sending in one jiffy counts up by one, and after a pause
// the next identifier is unpredictable (CVE-2019-10638 hardening). jiffies start at INITIAL_JIFFIES
// (−300 s as u32), so a bucket's first use jumps by a random amount below ~2^32.
//
// Here: one table per World (the host's), 2048 buckets (the kernel's minimum; it scales with memory),
// a keyed 32-bit mix instead of siphash, the per-namespace key and every delta drawn from seeded
// streams (deterministic).

import type { Rng } from '../../core/rng.js';
import type { World } from '../world.js';
import { HZ, jiffiesOf } from './icmp-ratelimit.js';

const BUCKETS = 2048;
/** INITIAL_JIFFIES as an unsigned 32-bit number: jiffies read −300 s worth at boot. */
const INITIAL_JIFFIES = 2 ** 32 - 300 * HZ;

class IdentTable {
  readonly ids = new Uint32Array(BUCKETS);
  readonly stamps = new Uint32Array(BUCKETS);
  constructor(readonly rng: Rng) {
    for (let i = 0; i < BUCKETS; i++) this.ids[i] = rng.u32();
  }
}
const tables = new WeakMap<World, IdentTable>();

/** One namespace's view: its hash key over the world's shared table. */
export class IpIdents {
  private readonly t: IdentTable;
  private readonly k0: number;
  private readonly k1: number;

  constructor(
    private readonly world: World,
    keyRng: Rng,
  ) {
    let t = tables.get(world);
    if (t === undefined) {
      t = new IdentTable(world.sim.rng.stream('ip-idents'));
      tables.set(world, t);
    }
    this.t = t;
    this.k0 = keyRng.u32();
    this.k1 = keyRng.u32();
  }

  /** `__ip_select_ident`: the identifier for one packet (segs = 1). */
  select(src: number, dst: number, proto: number): number {
    let h = Math.imul(dst ^ this.k0, 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13) ^ src ^ this.k1, 0xc2b2ae35);
    h = Math.imul(h ^ (h >>> 16) ^ proto, 0x27d4eb2f);
    h ^= h >>> 15;
    return this.reserve(h & (BUCKETS - 1), 1) & 0xffff;
  }

  /** `ip_idents_reserve(hash, segs)`. */
  reserve(bucket: number, segs: number): number {
    const t = this.t;
    const now = (jiffiesOf(this.world.sim.now) + INITIAL_JIFFIES) >>> 0;
    const old = t.stamps[bucket]!;
    let delta = 0;
    if (old !== now) {
      t.stamps[bucket] = now;
      const span = (now - old) >>> 0;
      delta = span > 1 ? t.rng.int(0, span - 1) : 0;
    }
    const v = (t.ids[bucket]! + segs + delta) >>> 0;
    t.ids[bucket] = v;
    return (v - segs) >>> 0;
  }
}
