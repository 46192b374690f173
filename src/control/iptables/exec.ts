// Executes parsed iptables commands against a namespace's Netfilter tables, with iptables-nft 1.8.9's
// outputs and errors (kernel errors come back as `iptables: …` exit 1, or as nf_tables batch errors
// ` RULE_APPEND failed (…)` exit 4). The listing formats live in src/netfilter/rule.ts.

import { tableIdOf } from '../../netfilter/hook-id.js';
import type { Netfilter } from '../../netfilter/hooks.js';
import { XtError } from '../../netfilter/module.js';
import {
  type ListFormat,
  listHeader,
  printNum,
  type Rule,
  ruleListLine,
  ruleSaveText,
} from '../../netfilter/rule.js';
import type { Chain, Table } from '../../netfilter/table.js';
import { Verdict } from '../../netfilter/verdict.js';
import { isTargetName, type Parsed, VERSION } from './parse.js';

/** An error with iptables' framing already applied; `code` is the exit status. */
export class IptError extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

/** Frames an XtError the way the named tool prints it. */
export function frameXtError(e: XtError, tool = 'iptables'): IptError {
  const help = `Try \`${tool} -h' or '${tool} --help' for more information.`;
  if (e.kind === 'plain') return new IptError(`${e.message}\n${help}`, 2);
  const nl = e.kind === 'param-nl' ? '\n' : '';
  return new IptError(`${tool} ${VERSION}: ${e.message}\n${nl}${help}`, 2);
}

const NO_CHAIN = 'iptables: No chain/target/match by that name.';
const BAD_RULE = 'iptables: Bad rule (does a matching rule exist in that chain?).';

export function tableOf(nf: Netfilter, name: string): Table {
  const id = tableIdOf(name);
  if (id < 0)
    throw new IptError(
      `iptables ${VERSION}: table '${name}' does not exist\nPerhaps iptables or your kernel needs to be upgraded.`,
      3,
    );
  return nf.tables[id]!;
}

function sameRule(a: Rule, b: Rule): boolean {
  return ruleSaveText(a) === ruleSaveText(b);
}

const BATCH_OP: Record<string, string> = { A: 'RULE_APPEND', I: 'RULE_INSERT', R: 'RULE_REPLACE' };

/**
 * The kernel's verdict on a ruleset after an edit; undo() restores the chain when it refuses. `added`
 * (the rules an append/insert put into `c`, none of them a jump) lets the table check just them.
 */
function commitCheck(
  t: Table,
  op: string,
  c: Chain,
  undo: () => void,
  line = '',
  added: readonly Rule[] | null = null,
): void {
  const chain = c.name;
  const quick = added !== null ? t.validateAdded(c, added) : undefined;
  const problem = quick !== undefined ? quick : t.validate();
  if (problem === null) return;
  undo();
  const why = problem === 'EMLINK' ? 'Too many links' : 'Invalid argument';
  const text = `${BATCH_OP[op] ?? 'RULE_APPEND'} failed (${why}): rule in chain ${chain}`;
  throw new IptError(line === '' ? `iptables ${VERSION}:  ${text}` : `${line}${text}`, 4);
}

function checkIfaces(p: Parsed, chain: string): void {
  if ((chain === 'PREROUTING' || chain === 'INPUT') && p.hasOut)
    throw frameXtError(new XtError(`Can't use -o with ${chain}`, 'param-nl'));
  if ((chain === 'POSTROUTING' || chain === 'OUTPUT') && p.hasIn)
    throw frameXtError(new XtError(`Can't use -i with ${chain}`, 'param-nl'));
}

/** Lets the rules' extensions resolve namespace objects by name (-m set's ipset); see MatchModule.bind. */
export function bindRules(nf: Netfilter, rules: readonly Rule[]): void {
  for (const r of rules) for (const m of r.matches) m.mod.bind?.(m.info, nf);
}

/** Runs one parsed command; returns stdout. `restoreLine` frames batch errors for iptables-restore. */
export function execute(nf: Netfilter, p: Parsed, t: Table = tableOf(nf, p.table), restoreLine = ''): string {
  const cmd = p.cmd!;
  const getChain = (name: string | null, msg = NO_CHAIN): Chain => {
    const c = name === null ? undefined : t.chain(name);
    if (c === undefined) throw new IptError(msg, 1);
    return c;
  };
  switch (cmd) {
    case 'A':
    case 'I':
    case 'R':
    case 'D':
    case 'C': {
      checkIfaces(p, p.chain!);
      if (p.jumpChain !== null && t.chain(p.jumpChain) === undefined && restoreLine === '')
        throw frameXtError(new XtError(`Chain '${p.jumpChain}' does not exist`));
      const c = getChain(p.chain, cmd === 'C' ? BAD_RULE : NO_CHAIN);
      if (cmd === 'C') {
        if (!c.rules.some((r) => sameRule(r, p.rules[0]!))) throw new IptError(BAD_RULE, 1);
        return '';
      }
      if (cmd === 'D') {
        t.edit();
        let gone: Rule[];
        if (p.rulenum > 0) {
          if (p.rulenum > c.rules.length) throw new IptError('iptables: Index of deletion too big.', 1);
          gone = c.rules.splice(p.rulenum - 1, 1);
        } else {
          const k = c.rules.findIndex((r) => sameRule(r, p.rules[0]!));
          if (k < 0) throw new IptError(BAD_RULE, 1);
          gone = c.rules.splice(k, 1);
        }
        if (gone[0]?.target.kind !== 'chain') t.keepGraph();
        nf.changed();
        return '';
      }
      if (cmd === 'R' && p.rulenum > c.rules.length)
        throw new IptError('iptables: Index of replacement too big.', 1);
      if (cmd === 'I' && p.rulenum > c.rules.length + 1)
        throw new IptError('iptables: Index of insertion too big.', 1);
      t.edit();
      // Undo by position rather than a copy of the chain, which cost O(chain) per command.
      const at = cmd === 'A' ? c.rules.length : p.rulenum - 1;
      const replaced = cmd === 'R' ? c.rules[at]! : null;
      if (cmd === 'A') c.rules.push(...p.rules);
      else if (cmd === 'I') c.rules.splice(at, 0, ...p.rules);
      else c.rules[at] = p.rules[0]!;
      const undo = (): void => {
        if (replaced !== null) c.rules[at] = replaced;
        else c.rules.splice(at, p.rules.length);
      };
      const jumps = p.rules.some((r) => r.target.kind === 'chain') || replaced?.target.kind === 'chain';
      const needsCheck =
        p.rules.some((r) => r.target.kind !== 'none' && r.target.kind !== 'std') ||
        p.rules.some((r) => r.matches.some((m) => m.mod.validate !== undefined));
      if (needsCheck) commitCheck(t, cmd, c, undo, restoreLine, jumps ? null : p.rules);
      else if (!jumps) t.keepGraph();
      nf.changed();
      return '';
    }
    case 'N': {
      const name = p.chain!;
      if (name.startsWith('-')) throw frameXtError(new XtError("chain name not allowed to start with `-'"));
      if (name.length > 28)
        throw frameXtError(new XtError(`chain name \`${name}' too long (must be under 29 chars)`));
      if (isTargetName(name)) throw frameXtError(new XtError('chain name may not clash with target name'));
      if (t.chain(name) !== undefined) throw new IptError('iptables: Chain already exists.', 1);
      t.edit();
      t.addChain(name);
      nf.changed();
      return '';
    }
    case 'X': {
      const victims = p.chain === null ? t.userChains() : [getChain(p.chain)];
      for (const c of victims) {
        const refsOutside = t.chains.some(
          (o) =>
            !victims.includes(o) &&
            o.rules.some((r) => r.target.kind === 'chain' && r.target.chain === c.name),
        );
        if (
          c.builtin ||
          refsOutside ||
          (p.chain !== null && (c.rules.length > 0 || t.references(c.name) > 0))
        )
          throw new IptError(
            `iptables ${VERSION}:  CHAIN_DEL failed (Device or resource busy): chain ${c.name}`,
            4,
          );
      }
      t.edit();
      for (const c of victims) t.deleteChain(c);
      nf.changed();
      return '';
    }
    case 'F': {
      const chains = p.chain === null ? t.chains : [getChain(p.chain)];
      t.edit();
      for (const c of chains) c.rules = [];
      nf.changed();
      return '';
    }
    case 'Z': {
      const chains = p.chain === null ? t.chains : [getChain(p.chain)];
      t.edit();
      for (const c of chains) {
        for (const r of c.rules) {
          r.pkts = 0;
          r.bytes = 0;
        }
        c.policyPkts = 0;
        c.policyBytes = 0;
      }
      nf.changed();
      return '';
    }
    case 'P': {
      const c = t.chain(p.chain!);
      if (c === undefined || !c.builtin) throw new IptError('iptables: Bad built-in chain name.', 1);
      if (p.arg2 !== 'ACCEPT' && p.arg2 !== 'DROP')
        throw new IptError("iptables: Bad policy name. Run `dmesg' for more information.", 1);
      t.edit();
      c.policy = p.arg2 === 'ACCEPT' ? Verdict.Accept : Verdict.Drop;
      nf.changed();
      return '';
    }
    case 'E': {
      const c = getChain(p.chain);
      const name = p.arg2!;
      if (t.chain(name) !== undefined) throw new IptError('iptables: File exists.', 1);
      if (c.builtin) throw new IptError('iptables: Invalid argument.', 1);
      if (name.length > 28)
        throw frameXtError(new XtError(`chain name \`${name}' too long (must be under 29 chars)`));
      t.edit();
      t.renameChain(c, name);
      nf.changed();
      return '';
    }
    case 'S':
      return listRules(t, p);
    case 'L': {
      const out = list(t, p);
      if (p.zero) execute(nf, { ...p, cmd: 'Z', rulenum: -1 }, t);
      return out;
    }
  }
}

function incompatible(t: Table, name: string): IptError {
  return new IptError(
    `iptables ${VERSION}: chain \`${name}' in table \`${t.name}' is incompatible, use 'nft' tool.`,
    1,
  );
}

function listRules(t: Table, p: Parsed): string {
  t.sync();
  const chains = p.chain === null ? t.chains : [t.chain(p.chain) ?? null];
  if (chains[0] === null) throw incompatible(t, p.chain!);
  const cs = chains as Chain[];
  if (p.rulenum > 0) {
    const r = cs[0]!.rules[p.rulenum - 1];
    return r === undefined ? '' : `-A ${cs[0]!.name}${ruleSaveText(r, p.verbose)}\n`;
  }
  let out = '';
  for (const c of cs) {
    if (c.builtin) {
      out += `-P ${c.name} ${c.policy === Verdict.Accept ? 'ACCEPT' : 'DROP'}`;
      out += p.verbose ? ` -c ${c.policyPkts} ${c.policyBytes}\n` : '\n';
    } else out += `-N ${c.name}\n`;
  }
  for (const c of cs) for (const r of c.rules) out += `-A ${c.name}${ruleSaveText(r, p.verbose)}\n`;
  return out;
}

function list(t: Table, p: Parsed): string {
  t.sync();
  const f: ListFormat = {
    numeric: p.numeric,
    verbose: p.verbose,
    exact: p.exact,
    lineNumbers: p.lineNumbers,
  };
  let chains: Chain[];
  if (p.chain === null) chains = t.chains;
  else {
    const c = t.chain(p.chain);
    if (c === undefined) throw incompatible(t, p.chain);
    chains = [c];
    if (p.rulenum > 0) {
      const r = c.rules[p.rulenum - 1];
      return r === undefined ? '' : `${ruleListLine(r, p.rulenum, f)}\n`;
    }
  }
  const parts: string[] = [];
  for (const c of chains) {
    let s = `Chain ${c.name}`;
    if (c.builtin) {
      s += ` (policy ${c.policy === Verdict.Accept ? 'ACCEPT' : 'DROP'}`;
      if (f.verbose)
        s += ` ${printNum(c.policyPkts, f.exact, false)}packets, ${printNum(c.policyBytes, f.exact, false)}bytes`;
      s += ')\n';
    } else s += ` (${t.references(c.name)} references)\n`;
    s += `${listHeader(f)}\n`;
    c.rules.forEach((r, k) => {
      s += `${ruleListLine(r, k + 1, f)}\n`;
    });
    parts.push(s);
  }
  return parts.join('\n');
}
