// Rule text for explanations: a compiled rule back to the line `iptables -S` prints for it, plus
// where in the scenario the rule came from when the runner noted it.
//
// Sources are kept beside the rules (a WeakMap keyed by the Rule object), not on them: the rule model
// belongs to the netfilter layer and a rule without a known source simply has none. The scenario
// runner calls `noteRuleSources` after each command while tracing is on, so a rule added by
// `docker run -p 8080:80` is attributed to that line.

import type { World } from '../net/world.js';
import { HOOK_NAMES, TABLE_NAMES } from '../netfilter/hook-id.js';
import type { Netfilter } from '../netfilter/hooks.js';
import type { Rule } from '../netfilter/rule.js';
import { ruleSaveText } from '../netfilter/rule.js';

export const NATIVE_HOOK_NAMES = HOOK_NAMES;

const sources = new WeakMap<Rule, string>();

/** Where rule `r` came from (`scenario.yaml:12`), if noted. */
export function ruleSource(r: Rule): string | undefined {
  return sources.get(r);
}

/** Attributes every rule in the world without a source yet to `where` (config side; O(rules)). */
export function noteRuleSources(world: World, where: string): void {
  for (const ns of world.namespaces) {
    const nf = ns.nf as Netfilter | null;
    if (nf === null || nf === undefined) continue;
    for (const t of nf.tables) {
      if (!t.exists) continue;
      for (const c of t.chains) for (const r of c.rules) if (!sources.has(r)) sources.set(r, where);
    }
  }
}

/**
 * `-A CHAIN …` for rule index `r` of table `tableId`'s compiled form, with ` (from FILE:LINE)` when its
 * source is known; `-P CHAIN POLICY` when `r` is -1 (the base chain of `hook` decided by its policy).
 */
export function ruleTextOf(nf: Netfilter, tableId: number, r: number, hook: number): string {
  const t = nf.tables[tableId]!;
  const c = t.compiled;
  if (r < 0 || c === null) {
    const chain = t.chain(HOOK_NAMES[hook]!);
    const policy = chain === undefined ? 'ACCEPT' : chain.policy === 0 ? 'DROP' : 'ACCEPT';
    return `-P ${HOOK_NAMES[hook]} ${policy}`;
  }
  const rule = c.rules[r]!;
  const chain = c.chains[c.chainOf[r]!]!;
  const src = sources.get(rule);
  return `-A ${chain.name}${ruleSaveText(rule)}${src !== undefined ? ` (${src})` : ''}`;
}

/** The chain (name) a compiled rule sits in. */
export function chainNameOf(nf: Netfilter, tableId: number, r: number): string {
  const c = nf.tables[tableId]!.compiled;
  if (c === null || r < 0) return '';
  return c.chains[c.chainOf[r]!]!.name;
}

export { TABLE_NAMES };
