// iptables-restore(8), nf_tables variant 1.8.9: reads iptables-save text and commits each table
// atomically at COMMIT (a failing table leaves the namespace as it was). Without --noflush (-n) every
// table named in the input is replaced from scratch (policies back to ACCEPT, user chains gone);
// with it, rules are added to what exists and `:CHAIN` flushes an existing user chain. -c restores
// `[pkts:bytes]` counters. Jumps to chains are resolved at COMMIT (forward references work) and an
// unknown chain is reported at the COMMIT line, as iptables-nft does.
//
// Input: the command context has no stdin yet, so the tool reads `ctx.stdin` when the runner supplies
// it (a heredoc / `restore:` block); `restoreText(nf, text, opts)` is the programmatic entry.

import { type Netfilter, netfilterOf } from '../netfilter/hooks.js';
import { XtError } from '../netfilter/module.js';
import type { Rule } from '../netfilter/rule.js';
import { Table } from '../netfilter/table.js';
import { Verdict } from '../netfilter/verdict.js';
import { type CommandContext, CommandError, type CommandResult, registerTool } from './command.js';
import { bindRules, execute, frameXtError, IptError } from './iptables/exec.js';
import { parseArgs, splitRestoreLine, VERSION } from './iptables/parse.js';

export interface RestoreOptions {
  noflush?: boolean;
  counters?: boolean;
  /** Only this table (-T). */
  table?: string;
}

function cloneTable(t: Table, empty: boolean): Table {
  const c = new Table(t.id);
  c.exists = true;
  if (empty) return c;
  t.sync();
  for (const ch of t.chains) {
    let target = c.chain(ch.name);
    if (target === undefined) target = c.addChain(ch.name);
    target.policy = ch.policy;
    target.policyPkts = ch.policyPkts;
    target.policyBytes = ch.policyBytes;
    target.rules = ch.rules.map((r: Rule) => r.clone());
  }
  return c;
}

function install(nf: Netfilter, t: Table): void {
  nf.tables[t.id]!.adopt(t);
  nf.changed();
}

function restoreError(msg: string, line: number): IptError {
  return new IptError(
    `iptables-restore ${VERSION}: ${msg}\nError occurred at line: ${line}\nTry \`iptables-restore -h' or 'iptables-restore --help' for more information.`,
    2,
  );
}

export function restoreText(nf: Netfilter, text: string, opts: RestoreOptions = {}): void {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  let work: Table | null = null;
  let pendingJumps: { chain: string }[] = [];
  for (let n = 1; n <= lines.length; n++) {
    const line = lines[n - 1]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('*')) {
      const name = line.slice(1);
      const live = nf.tables.find((t) => t.name === name);
      if (live === undefined)
        throw restoreError(`iptables-restore: line ${n} table name '${name}' invalid`, n);
      work = cloneTable(live, !opts.noflush);
      pendingJumps = [];
      continue;
    }
    if (work === null) throw restoreError(`iptables-restore: line ${n} no table specified`, n);
    if (line === 'COMMIT') {
      for (const j of pendingJumps)
        if (work.chain(j.chain) === undefined) throw restoreError(`Chain '${j.chain}' does not exist`, n);
      if (opts.table === undefined || opts.table === work.name) install(nf, work);
      work = null;
      continue;
    }
    if (line.startsWith(':')) {
      const m = /^:(\S+)\s+(\S+)(?:\s+\[(\d+):(\d+)\])?$/.exec(line);
      if (m === null) throw restoreError(`iptables-restore: line ${n} bad chain definition`, n);
      const [, name, pol, pk, by] = m;
      let c = work.chain(name!);
      if (c?.builtin) {
        if (pol !== 'ACCEPT' && pol !== 'DROP')
          throw new IptError(`iptables-restore: line ${n} failed: Bad policy name.`, 1);
        c.policy = pol === 'ACCEPT' ? Verdict.Accept : Verdict.Drop;
        if (opts.counters) {
          c.policyPkts = Number(pk ?? 0);
          c.policyBytes = Number(by ?? 0);
        }
      } else {
        if (c === undefined) c = work.addChain(name!);
        else c.rules = [];
      }
      continue;
    }
    let words = splitRestoreLine(line);
    let counters: [number, number] | null = null;
    const cm = /^\[(\d+):(\d+)\]$/.exec(words[0] ?? '');
    if (cm !== null) {
      counters = [Number(cm[1]), Number(cm[2])];
      words = words.slice(1);
    }
    try {
      const p = parseArgs(words, work.name);
      bindRules(nf, p.rules);
      if (p.jumpChain !== null) pendingJumps.push({ chain: p.jumpChain });
      if (counters !== null && opts.counters)
        for (const r of p.rules) {
          r.pkts = counters[0];
          r.bytes = counters[1];
        }
      const scratch = { changed() {} } as unknown as Netfilter;
      if (p.jumpChain !== null && work.chain(p.jumpChain) === undefined) {
        // forward reference: checked at COMMIT
        const c = work.chain(p.chain ?? '');
        if (c === undefined)
          throw new IptError(`iptables-restore: line ${n} failed: No chain/target/match by that name.`, 1);
        work.edit();
        c.rules.push(...p.rules);
        continue;
      }
      execute(scratch, p, work, `iptables-restore ${VERSION}: \nline ${n}: `);
    } catch (e) {
      if (e instanceof XtError) {
        if (e.kind === 'plain') throw restoreError(e.message, n);
        throw restoreError(e.message, n);
      }
      if (e instanceof IptError && e.message.startsWith('iptables: '))
        throw new IptError(`iptables-restore: line ${n} failed: ${e.message.slice(10)}`, 1);
      throw e;
    }
  }
  if (work !== null) throw new IptError(`iptables-restore: COMMIT expected at line ${lines.length + 1}`, 1);
}

export function iptablesRestore(ctx: CommandContext, args: readonly string[]): CommandResult {
  const opts: RestoreOptions = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-n' || a === '--noflush') opts.noflush = true;
    else if (a === '-c' || a === '--counters') opts.counters = true;
    else if (a === '-w' || a === '--wait' || a === '-v' || a === '--verbose' || a === '-t' || a === '--test')
      continue;
    else if (a === '-T' || a === '--table') opts.table = args[++i];
    else if (/^-[nc]+$/.test(a)) {
      if (a.includes('n')) opts.noflush = true;
      if (a.includes('c')) opts.counters = true;
    } else throw new CommandError(`iptables-restore ${VERSION}: unknown option "${a}"`, 2);
  }
  const stdin = (ctx as CommandContext & { stdin?: string }).stdin ?? '';
  try {
    restoreText(netfilterOf(ctx.ns), stdin, opts);
  } catch (caught) {
    let e = caught;
    if (e instanceof XtError) e = frameXtError(e, 'iptables-restore');
    if (e instanceof IptError) throw new CommandError(e.message, e.code);
    throw e;
  }
  return { stdout: '' };
}

registerTool('iptables-restore', iptablesRestore);
registerTool('iptables-nft-restore', iptablesRestore);
