// The ipsets of one network namespace (ip_set_net): sets live in an indexed list and a new set takes
// the first free index (ip_set_create's find_free_id), which is the order `ipset list` and
// `ipset save` print them in. Rules using `-m set` hold a reference to a set (xt_set checkentry →
// ip_set_nfnl_get_byindex), so a referenced set cannot be destroyed; the count is taken from the
// namespace's rules when asked (`References:`), never per packet.

import type { Rng } from '../../core/rng.js';
import type { Netfilter } from '../hooks.js';
import type { HashSet } from './hash-set.js';

/** An ipset with its name (the stored part a `-m set` rule points at). */
export class IpSet {
  constructor(
    public name: string,
    readonly data: HashSet,
  ) {}
}

/** IPSET_MAXNAMELEN − 1. */
export const MAX_NAME = 31;

export class IpSets {
  private readonly slots: (IpSet | null)[] = [];
  private rng: Rng | null = null;

  constructor(private readonly nf: Netfilter) {}

  get(name: string): IpSet | undefined {
    return this.slots.find((s) => s !== null && s.name === name) ?? undefined;
  }

  /** Sets in index order. */
  all(): IpSet[] {
    return this.slots.filter((s): s is IpSet => s !== null);
  }

  add(set: IpSet): void {
    const free = this.slots.indexOf(null);
    if (free >= 0) this.slots[free] = set;
    else this.slots.push(set);
  }

  remove(set: IpSet): void {
    const i = this.slots.indexOf(set);
    if (i >= 0) this.slots[i] = null;
  }

  /** Where new sets' initvals come from: the world's seeded stream `ipset:<namespace>`. */
  initvalSource(ctx: { world: { sim: { rng: Rng } }; ns: { name: string } }): Rng {
    if (this.rng === null) this.rng = ctx.world.sim.rng.stream(`ipset:${ctx.ns.name}`);
    return this.rng;
  }

  /** How many rules of the namespace match against `set` (the kernel's set->ref from xt_set). */
  references(set: IpSet): number {
    let n = 0;
    for (const t of this.nf.tables)
      for (const c of t.chains)
        for (const r of c.rules)
          for (const m of r.matches) if ((m.info as { set?: IpSet | null }).set === set) n++;
    return n;
  }
}

const registries = new WeakMap<Netfilter, IpSets>();

/** The namespace's ipsets, created on first use. */
export function ipsetsOf(nf: Netfilter): IpSets {
  let s = registries.get(nf);
  if (s === undefined) {
    s = new IpSets(nf);
    registries.set(nf, s);
  }
  return s;
}
