// What the engine knows of the host's iptables rules, so that it can do what libnetwork's
// `iptables.Rule.Append/Insert/Delete` do: check first (`iptables -C`), then change only if needed
// (daemon/libnetwork/iptables/iptables.go `ensure`, `Exists`). Each change is also emitted as the
// `iptables` command line libnetwork runs, in libnetwork's argument order; the data plane learns of
// the rules only through those commands.
//
// Rules are compared in iptables-save's canonical form (`saveForm`), which is also what `render`
// prints, so a test can compare the model with moby's golden `iptables-save` dumps until netsim's own
// `iptables-save` is available. saveForm covers the vocabulary libnetwork uses (-s/-d/-i/-o/-p with
// negation, -m addrtype/conntrack/tcp/udp/sctp/set/mark, -j with DNAT/SNAT/MASQUERADE options).

export type TableName = 'raw' | 'mangle' | 'filter' | 'nat';

const BUILTIN: Readonly<Record<TableName, readonly string[]>> = {
  raw: ['PREROUTING', 'OUTPUT'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
};

const TARGET_OPTS = new Set(['--to-destination', '--to-source', '--to-ports', '--checksum-fill', '--random']);
const FLAG_OPTS = new Set(['--checksum-fill', '--random']);

function normAddr(a: string): string {
  if (a === '0/0' || a === '0.0.0.0/0') return '0.0.0.0/0';
  return a.includes('/') ? a : `${a}/32`;
}

/** iptables-save's rendering of a rule spec given as iptables arguments. */
export function saveForm(args: readonly string[]): string {
  const base: Record<'s' | 'd' | 'i' | 'o' | 'p', string> = { s: '', d: '', i: '', o: '', p: '' };
  const matches: { name: string; opts: string[] }[] = [];
  let target = '';
  const targetOpts: string[] = [];
  let neg = false;
  const cur = (): { name: string; opts: string[] } => {
    let m = matches[matches.length - 1];
    if (m === undefined) {
      m = { name: base.p.replace(/^! /, ''), opts: [] };
      matches.push(m);
    }
    return m;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '!') {
      neg = true;
      continue;
    }
    const n = neg ? '! ' : '';
    neg = false;
    const next = (): string => args[++i] ?? '';
    switch (a) {
      case '-s':
      case '--source':
      case '--src': {
        const v = normAddr(next());
        base.s = v === '0.0.0.0/0' && n === '' ? '' : `${n}-s ${v}`;
        break;
      }
      case '-d':
      case '--destination':
      case '--dst': {
        // `--dst` right after `-m addrtype` would be ambiguous in iptables too; libnetwork means -d.
        const v = normAddr(next());
        base.d = v === '0.0.0.0/0' && n === '' ? '' : `${n}-d ${v}`;
        break;
      }
      case '-i':
      case '--in-interface':
        base.i = `${n}-i ${next()}`;
        break;
      case '-o':
      case '--out-interface':
        base.o = `${n}-o ${next()}`;
        break;
      case '-p':
      case '--protocol':
        base.p = `${n}-p ${next().toLowerCase()}`;
        break;
      case '-m':
      case '--match':
        matches.push({ name: next(), opts: [] });
        break;
      case '-j':
      case '--jump':
        target = next();
        break;
      case '--dport':
      case '--sport': {
        const proto = base.p.replace(/^-p /, '');
        const last = matches[matches.length - 1];
        if (last === undefined || last.name !== proto) matches.push({ name: proto, opts: [] });
        cur().opts.push(`${n}${a} ${next()}`);
        break;
      }
      default:
        if (TARGET_OPTS.has(a)) {
          targetOpts.push(FLAG_OPTS.has(a) ? a : `${a} ${next()}`);
        } else if (a.startsWith('--')) {
          cur().opts.push(`${n}${a} ${next()}`);
        } else {
          cur().opts.push(`${n}${a}`);
        }
    }
  }
  const parts = [base.s, base.d, base.i, base.o, base.p].filter((x) => x !== '');
  for (const m of matches) parts.push(`-m ${m.name}`, ...m.opts);
  if (target !== '') parts.push(`-j ${target}`, ...targetOpts);
  return parts.join(' ');
}

interface Chain {
  policy: string | null;
  rules: string[];
  /** How often each rule text occurs in `rules` (so `exists` is O(1), not a scan of the chain). */
  count: Map<string, number>;
}

function bump(c: Chain, rule: string, by: number): void {
  const n = (c.count.get(rule) ?? 0) + by;
  if (n <= 0) c.count.delete(rule);
  else c.count.set(rule, n);
}

export class IptModel {
  private readonly tables = new Map<TableName, Map<string, Chain>>();

  constructor() {
    for (const t of Object.keys(BUILTIN) as TableName[]) {
      const m = new Map<string, Chain>();
      for (const c of BUILTIN[t]) m.set(c, { policy: 'ACCEPT', rules: [], count: new Map() });
      this.tables.set(t, m);
    }
  }

  private table(t: TableName): Map<string, Chain> {
    return this.tables.get(t)!;
  }

  hasChain(t: TableName, chain: string): boolean {
    return this.table(t).has(chain);
  }

  newChain(t: TableName, chain: string): void {
    if (!this.hasChain(t, chain)) this.table(t).set(chain, { policy: null, rules: [], count: new Map() });
  }

  /** Removes a user chain (after flushing it). */
  removeChain(t: TableName, chain: string): void {
    this.table(t).delete(chain);
  }

  flush(t: TableName, chain: string): void {
    const c = this.table(t).get(chain);
    if (c !== undefined) {
      c.rules.length = 0;
      c.count.clear();
    }
  }

  setPolicy(t: TableName, chain: string, policy: string): void {
    const c = this.table(t).get(chain);
    if (c !== undefined) c.policy = policy;
  }

  policy(t: TableName, chain: string): string | null {
    return this.table(t).get(chain)?.policy ?? null;
  }

  exists(t: TableName, chain: string, args: readonly string[]): boolean {
    return this.table(t).get(chain)?.count.has(saveForm(args)) ?? false;
  }

  append(t: TableName, chain: string, args: readonly string[]): void {
    const c = this.table(t).get(chain);
    if (c === undefined) return;
    const r = saveForm(args);
    c.rules.push(r);
    bump(c, r, 1);
  }

  /** `-I CHAIN [pos]` (1-based, default 1). */
  insert(t: TableName, chain: string, args: readonly string[], pos = 1): void {
    const c = this.table(t).get(chain);
    if (c === undefined) return;
    const r = saveForm(args);
    c.rules.splice(pos - 1, 0, r);
    bump(c, r, 1);
  }

  delete(t: TableName, chain: string, args: readonly string[]): boolean {
    const c = this.table(t).get(chain);
    if (c === undefined) return false;
    const r = saveForm(args);
    if (!c.count.has(r)) return false;
    c.rules.splice(c.rules.indexOf(r), 1);
    bump(c, r, -1);
    return true;
  }

  rules(t: TableName, chain: string): readonly string[] {
    return this.table(t).get(chain)?.rules ?? [];
  }

  /** `iptables-save -t TABLE` as iptables-legacy prints it, without the comment lines. */
  render(t: TableName): string {
    const chains = this.table(t);
    const builtins = BUILTIN[t];
    const users = [...chains.keys()].filter((c) => !builtins.includes(c)).sort();
    let out = `*${t}\n`;
    for (const c of builtins) out += `:${c} ${chains.get(c)!.policy} [0:0]\n`;
    for (const c of users) out += `:${c} - [0:0]\n`;
    for (const c of [...builtins, ...users]) for (const r of chains.get(c)!.rules) out += `-A ${c} ${r}\n`;
    return `${out}COMMIT\n`;
  }
}
