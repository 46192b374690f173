// Tables, chains and the compiled form the traversal runs.
//
// The model (Table → Chain → Rule) is what commands edit; `compile()` flattens every chain of a table
// into one set of typed arrays indexed by a table-wide rule index, like the kernel's ipt_entry blob
// (net/ipv4/netfilter/ip_tables.c: one contiguous table, chains as offsets, jumps as offsets). Counters
// live in the compiled arrays while a compiled form is current and are copied back into the model
// (`sync`) before any edit, so `-L -v` and edits never lose counts.
//
// Validation mirrors what the kernel refuses at commit time: loops reachable from a base chain and
// chains deeper than the jump stack (nft: nf_tables_check_loops → EMLINK "Too many links"), and
// extensions used outside their table or hooks (xt_check_target / xt_check_match → EINVAL), where the
// hooks of a user chain are those of every base chain that can reach it (mark_source_chains).

import { HOOK_NAMES, TABLE_HOOKS, TABLE_NAMES } from './hook-id.js';
import type { Match, Target } from './module.js';
import type { Rule } from './rule.js';
import { Verdict } from './verdict.js';

export class Chain {
  /** -1 for a user-defined chain. */
  readonly hook: number;
  policy: Verdict = Verdict.Accept;
  policyPkts = 0;
  policyBytes = 0;
  rules: Rule[] = [];
  constructor(
    public name: string,
    hook: number,
  ) {
    this.hook = hook;
  }
  get builtin(): boolean {
    return this.hook >= 0;
  }
}

/** Standard target codes in `CompiledTable.tgt` (values ≥ 0 are chain indexes). */
export const T = { None: -1, Accept: -2, Drop: -3, Return: -4, Ext: -5 } as const;

/** Flag bits in `CompiledTable.flags`. */
export const F = {
  InvSrc: 1,
  InvDst: 2,
  InvIn: 4,
  InvOut: 8,
  InvProto: 16,
  Frag: 32,
  InvFrag: 64,
  Goto: 128,
} as const;

/** Nested calls the traversal supports; deeper rulesets are refused (nft's NFT_JUMP_STACK_SIZE). */
export const MAX_JUMP_DEPTH = 16;

export class CompiledTable {
  readonly n: number;
  readonly src: Uint32Array;
  readonly smsk: Uint32Array;
  readonly dst: Uint32Array;
  readonly dmsk: Uint32Array;
  readonly proto: Uint8Array;
  readonly flags: Uint8Array;
  /** Interface pattern ids (Netfilter.ifPattern), -1 = any. */
  readonly inPat: Int32Array;
  readonly outPat: Int32Array;
  readonly matchStart: Int32Array;
  readonly matchList: Match[] = [];
  readonly tgt: Int32Array;
  readonly ext: (Target | null)[];
  readonly pkts: Float64Array;
  readonly bytes: Float64Array;
  /** Rule index → chain index, and the rule's 1-based number in its chain (traces, explanations). */
  readonly chainOf: Int32Array;
  readonly numInChain: Int32Array;
  readonly chainStart: Int32Array;
  readonly chainEnd: Int32Array;
  /** Per hook: the base chain's index or -1, its policy and policy counters. */
  readonly base = new Int32Array(5).fill(-1);
  readonly policy = new Int8Array(5);
  readonly policyPkts = new Float64Array(5);
  readonly policyBytes = new Float64Array(5);
  readonly rules: Rule[] = [];
  readonly chains: Chain[];

  constructor(chains: Chain[], ifPattern: (name: string) => number) {
    this.chains = chains;
    let n = 0;
    for (const c of chains) n += c.rules.length;
    this.n = n;
    this.src = new Uint32Array(n);
    this.smsk = new Uint32Array(n);
    this.dst = new Uint32Array(n);
    this.dmsk = new Uint32Array(n);
    this.proto = new Uint8Array(n);
    this.flags = new Uint8Array(n);
    this.inPat = new Int32Array(n);
    this.outPat = new Int32Array(n);
    this.matchStart = new Int32Array(n + 1);
    this.tgt = new Int32Array(n);
    this.ext = new Array<Target | null>(n).fill(null);
    this.pkts = new Float64Array(n);
    this.bytes = new Float64Array(n);
    this.chainOf = new Int32Array(n);
    this.numInChain = new Int32Array(n);
    this.chainStart = new Int32Array(chains.length);
    this.chainEnd = new Int32Array(chains.length);
    const index = new Map<string, number>();
    chains.forEach((c, i) => {
      index.set(c.name, i);
    });
    let r = 0;
    for (let ci = 0; ci < chains.length; ci++) {
      const c = chains[ci]!;
      this.chainStart[ci] = r;
      if (c.hook >= 0) {
        this.base[c.hook] = ci;
        this.policy[c.hook] = c.policy;
        this.policyPkts[c.hook] = c.policyPkts;
        this.policyBytes[c.hook] = c.policyBytes;
      }
      let num = 1;
      for (const rule of c.rules) {
        this.rules.push(rule);
        this.src[r] = rule.src;
        this.smsk[r] = rule.smsk;
        this.dst[r] = rule.dst;
        this.dmsk[r] = rule.dmsk;
        this.proto[r] = rule.proto;
        this.flags[r] =
          (rule.invSrc ? F.InvSrc : 0) |
          (rule.invDst ? F.InvDst : 0) |
          (rule.invIn ? F.InvIn : 0) |
          (rule.invOut ? F.InvOut : 0) |
          (rule.invProto ? F.InvProto : 0) |
          (rule.frag ? F.Frag : 0) |
          (rule.invFrag ? F.InvFrag : 0);
        this.inPat[r] = rule.iniface === '' ? -1 : ifPattern(rule.iniface);
        this.outPat[r] = rule.outiface === '' ? -1 : ifPattern(rule.outiface);
        this.matchStart[r] = this.matchList.length;
        for (const m of rule.matches) {
          const cm = m.mod.compile(m.info, rule);
          if (cm !== null) this.matchList.push(cm);
        }
        const t = rule.target;
        switch (t.kind) {
          case 'none':
            this.tgt[r] = T.None;
            break;
          case 'std':
            this.tgt[r] = t.verdict === 'ACCEPT' ? T.Accept : t.verdict === 'DROP' ? T.Drop : T.Return;
            break;
          case 'chain': {
            this.tgt[r] = index.get(t.chain) ?? T.None;
            if (t.goto) this.flags[r]! |= F.Goto;
            break;
          }
          case 'ext':
            this.tgt[r] = T.Ext;
            this.ext[r] = t.mod.compile(t.info, rule);
            break;
        }
        this.pkts[r] = rule.pkts;
        this.bytes[r] = rule.bytes;
        this.chainOf[r] = ci;
        this.numInChain[r] = num++;
        r++;
      }
      this.chainEnd[ci] = r;
    }
    this.matchStart[n] = this.matchList.length;
  }

  /** Copies the live counters back into the model. */
  sync(): void {
    for (let r = 0; r < this.n; r++) {
      const rule = this.rules[r]!;
      rule.pkts = this.pkts[r]!;
      rule.bytes = this.bytes[r]!;
    }
    for (const c of this.chains) {
      if (c.hook >= 0) {
        c.policyPkts = this.policyPkts[c.hook]!;
        c.policyBytes = this.policyBytes[c.hook]!;
      }
    }
  }
}

export class Table {
  readonly name: string;
  /** Built-in chains in listing order, then user chains (kept sorted by name, as iptables lists them). */
  readonly chains: Chain[] = [];
  private readonly byName = new Map<string, Chain>();
  /** iptables-nft creates a table on its first write; only existing tables are saved or traversed. */
  exists = false;
  compiled: CompiledTable | null = null;
  /** The model changed since `compiled` was built. */
  dirty = true;
  /** Bumped on every edit (listeners such as Netfilter.active recompute on change). */
  generation = 0;
  /**
   * Hook mask of every chain reachable from a base chain, from the last full `validate()` that found
   * the table valid, current while `hooksGen === generation`. An edit that leaves the jump graph as
   * it was (rules without chain targets added or removed) keeps it (`keepGraph`), so such a rule is
   * checked alone (`validateAdded`) instead of the whole table: O(rule), not O(table), per command —
   * what keeps thousands of published ports from costing quadratic time.
   */
  private hookMasks: Map<Chain, number> | null = null;
  private hooksGen = -1;

  constructor(readonly id: number) {
    this.name = TABLE_NAMES[id]!;
    for (const hook of TABLE_HOOKS[id]!) {
      const c = new Chain(HOOK_NAMES[hook]!, hook);
      this.chains.push(c);
      this.byName.set(c.name, c);
    }
  }

  chain(name: string): Chain | undefined {
    return this.byName.get(name);
  }

  builtinChains(): Chain[] {
    return this.chains.filter((c) => c.builtin);
  }

  userChains(): Chain[] {
    return this.chains.filter((c) => !c.builtin);
  }

  /** Counters into the model; call before reading them or editing. */
  sync(): void {
    if (this.compiled !== null && !this.dirty) this.compiled.sync();
  }

  /** Starts an edit: counters are saved into the model and the compiled form becomes stale. */
  edit(): void {
    this.sync();
    this.dirty = true;
    this.exists = true;
    this.generation++;
  }

  /** Takes over `other`'s chains: iptables-restore's atomic commit of a table. */
  adopt(other: Table): void {
    this.edit();
    this.chains.length = 0;
    this.chains.push(...other.chains);
    this.byName.clear();
    for (const c of this.chains) this.byName.set(c.name, c);
  }

  addChain(name: string): Chain {
    const c = new Chain(name, -1);
    this.byName.set(name, c);
    this.chains.push(c);
    this.sortChains();
    return c;
  }

  deleteChain(c: Chain): void {
    this.byName.delete(c.name);
    this.chains.splice(this.chains.indexOf(c), 1);
  }

  renameChain(c: Chain, name: string): void {
    const old = c.name;
    this.byName.delete(old);
    c.name = name;
    this.byName.set(name, c);
    for (const ch of this.chains)
      for (const r of ch.rules)
        if (r.target.kind === 'chain' && r.target.chain === old) r.target = { ...r.target, chain: name };
    this.sortChains();
  }

  private sortChains(): void {
    const builtin = this.chains.filter((c) => c.builtin);
    const user = this.chains
      .filter((c) => !c.builtin)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    this.chains.length = 0;
    this.chains.push(...builtin, ...user);
  }

  /** Rules anywhere in the table that jump or go to `name`. */
  references(name: string): number {
    let n = 0;
    for (const c of this.chains)
      for (const r of c.rules) if (r.target.kind === 'chain' && r.target.chain === name) n++;
    return n;
  }

  /** Builds the compiled form if stale. */
  compile(ifPattern: (name: string) => number): CompiledTable {
    if (this.compiled === null || this.dirty) {
      this.sync();
      this.compiled = new CompiledTable(this.chains.slice(), ifPattern);
      this.dirty = false;
    }
    return this.compiled;
  }

  /**
   * What the kernel would refuse about this ruleset: 'EMLINK' for a loop or a too-deep call chain
   * reachable from a base chain, 'EINVAL' for an extension outside its table/hooks; null when fine.
   */
  validate(): 'EMLINK' | 'EINVAL' | null {
    const problem = this.validateAll();
    this.hookMasks = problem === null ? this.lastHooks : null;
    this.hooksGen = problem === null ? this.generation : -1;
    this.lastHooks = null;
    return problem;
  }

  /**
   * The last edit (one `edit()` since the table was last known valid) changed no jump: the hook masks
   * still hold. Call after `edit()` and the change, when no rule with a chain target came or went.
   */
  keepGraph(): void {
    if (this.hookMasks !== null && this.hooksGen === this.generation - 1) this.hooksGen = this.generation;
  }

  /**
   * `validate()` for an edit that only added `rules` (none with a chain target) to `chain` of a table
   * that was valid before it: the jump graph is unchanged, so no loop or depth problem can appear and
   * only the new rules' extensions need checking, against the chain's cached hook mask. `undefined`
   * when the masks are not current (the caller runs `validate()`).
   */
  validateAdded(chain: Chain, rules: readonly Rule[]): 'EINVAL' | null | undefined {
    if (this.hookMasks === null || this.hooksGen !== this.generation - 1) return undefined;
    for (const r of rules) if (r.target.kind === 'chain') return undefined;
    for (const r of rules)
      if (r.target.kind === 'ext' && r.target.mod.table !== undefined && r.target.mod.table !== this.name)
        return 'EINVAL';
    const mask = this.hookMasks.get(chain);
    if (mask !== undefined) {
      const env = { table: this.name, hooks: mask };
      for (const r of rules) {
        for (const m of r.matches) if (m.mod.validate?.(m.info, env, r) === 'EINVAL') return 'EINVAL';
        const t = r.target;
        if (t.kind === 'ext') {
          if (t.mod.hooks !== undefined && (mask & ~t.mod.hooks) !== 0) return 'EINVAL';
          if (t.mod.validate?.(t.info, env, r) === 'EINVAL') return 'EINVAL';
        }
      }
    }
    this.hooksGen = this.generation;
    return null;
  }

  private lastHooks: Map<Chain, number> | null = null;

  private validateAll(): 'EMLINK' | 'EINVAL' | null {
    const hooks = new Map<Chain, number>();
    this.lastHooks = hooks;
    const onPath = new Set<Chain>();
    const visit = (c: Chain, hookBit: number, depth: number): boolean => {
      if (onPath.has(c) || depth > MAX_JUMP_DEPTH) return false;
      const seen = hooks.get(c) ?? 0;
      if ((seen & hookBit) !== 0 && depth > 1) return true;
      hooks.set(c, seen | hookBit);
      onPath.add(c);
      for (const r of c.rules) {
        if (r.target.kind !== 'chain') continue;
        const next = this.byName.get(r.target.chain);
        if (next !== undefined && !visit(next, hookBit, depth + 1)) return false;
      }
      onPath.delete(c);
      return true;
    };
    // xt_check_target's table test runs when a rule is created, reachable or not
    for (const c of this.chains)
      for (const r of c.rules)
        if (r.target.kind === 'ext' && r.target.mod.table !== undefined && r.target.mod.table !== this.name)
          return 'EINVAL';
    for (const c of this.chains) if (c.builtin && !visit(c, 1 << c.hook, 1)) return 'EMLINK';
    for (const [c, mask] of hooks) {
      for (const r of c.rules) {
        const env = { table: this.name, hooks: mask };
        for (const m of r.matches) if (m.mod.validate?.(m.info, env, r) === 'EINVAL') return 'EINVAL';
        const t = r.target;
        if (t.kind === 'ext') {
          if (t.mod.hooks !== undefined && (mask & ~t.mod.hooks) !== 0) return 'EINVAL';
          if (t.mod.validate?.(t.info, env, r) === 'EINVAL') return 'EINVAL';
        }
      }
    }
    return null;
  }
}
