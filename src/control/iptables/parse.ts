// Command-line parsing for iptables 1.8.9 (iptables/xshared.c do_parse, iptables/iptables.c): getopt
// order, `!` before an option, optional arguments of -L/-S/-F/-Z/-X/-D/-I, extension options loaded by
// `-m`, `-j` and implicitly by `-p`, and the messages the real tool prints (recorded in
// test/fixtures/iptables/recorded.json with iptables v1.8.9 (nf_tables)).

import { parseCidrArg } from '../../netfilter/matches/addr.js';
import { MATCHES } from '../../netfilter/matches/index.js';
import { type ArgReader, paramError, XtError } from '../../netfilter/module.js';
import { protoByName } from '../../netfilter/names.js';
import { Rule } from '../../netfilter/rule.js';
import { TARGETS } from '../../netfilter/targets/index.js';

export const VERSION = 'v1.8.9 (nf_tables)';

export type Cmd = 'A' | 'C' | 'D' | 'R' | 'I' | 'L' | 'S' | 'F' | 'Z' | 'N' | 'X' | 'P' | 'E';

export interface Parsed {
  cmd: Cmd | null;
  /** -L with -Z */
  zero: boolean;
  table: string;
  chain: string | null;
  rulenum: number;
  /** -P target or -E new name */
  arg2: string | null;
  verbose: boolean;
  numeric: boolean;
  exact: boolean;
  lineNumbers: boolean;
  /** Expanded rules (-s/-d comma lists), one for -D/-C/-R as iptables requires. */
  rules: Rule[];
  /** Names after -j/-g that are not extensions (chains, resolved against the table later). */
  jumpChain: string | null;
  hasIn: boolean;
  hasOut: boolean;
}

const LONG: Record<string, string> = {
  '--append': '-A',
  '--check': '-C',
  '--delete': '-D',
  '--replace': '-R',
  '--insert': '-I',
  '--list': '-L',
  '--list-rules': '-S',
  '--flush': '-F',
  '--zero': '-Z',
  '--new-chain': '-N',
  '--new': '-N',
  '--delete-chain': '-X',
  '--policy': '-P',
  '--rename-chain': '-E',
  '--table': '-t',
  '--verbose': '-v',
  '--numeric': '-n',
  '--exact': '-x',
  '--source': '-s',
  '--src': '-s',
  '--destination': '-d',
  '--dst': '-d',
  '--in-interface': '-i',
  '--out-interface': '-o',
  '--protocol': '-p',
  '--jump': '-j',
  '--goto': '-g',
  '--match': '-m',
  '--fragment': '-f',
  '--wait': '-w',
  '--wait-interval': '-W',
  '--set-counters': '-c',
};

const STD_TARGETS = ['ACCEPT', 'DROP', 'RETURN'];

/** A chain name that clashes with a target iptables could load (`-N ACCEPT`). */
export function isTargetName(name: string): boolean {
  return STD_TARGETS.includes(name) || TARGETS.has(name) || name === 'QUEUE' || name === 'NFQUEUE';
}

function rulenum(text: string): number {
  if (!/^[0-9]+$/.test(text) || Number(text) === 0) throw paramError(`Invalid rule number \`${text}'`);
  return Number(text);
}

/** Inverse allowed before these (inverse_for_options). */
const INVERTIBLE = ['-s', '-d', '-i', '-o', '-p', '-f'];

export function parseArgs(argv: readonly string[], fixedTable: string | null = null): Parsed {
  let args = argv.slice();
  const p: Parsed = {
    cmd: null,
    zero: false,
    table: fixedTable ?? 'filter',
    chain: null,
    rulenum: -1,
    arg2: null,
    verbose: false,
    numeric: false,
    exact: false,
    lineNumbers: false,
    rules: [],
    jumpChain: null,
    hasIn: false,
    hasOut: false,
  };
  const rule = new Rule();
  const seen = new Set<string>();
  let srcText: string | null = null;
  let dstText: string | null = null;
  let invert = false;
  let target: {
    mod: (typeof TARGETS extends Map<string, infer T> ? T : never) | null;
    info: unknown;
  } | null = null;
  let counters: [number, number] | null = null;
  let i = 0;

  const reader = (opt: string): ArgReader => ({
    arg() {
      if (i >= args.length) throw paramError(`option "${opt}" requires an argument`);
      return args[i++]!;
    },
    peekExtra() {
      const w = args[i];
      return w !== undefined && !w.startsWith('-') ? w : null;
    },
    takeExtra() {
      return args[i++]!;
    },
  });
  const optionalArg = (): string | null => {
    const w = args[i];
    if (w !== undefined && w[0] !== '-' && w[0] !== '!') {
      i++;
      return w;
    }
    return null;
  };
  const setCmd = (c: Cmd): void => {
    if (p.cmd !== null && !(c === 'Z' && p.cmd === 'L') && !(c === 'L' && p.cmd === 'Z'))
      throw paramError(`Cannot use -${c} with -${p.cmd}`);
    if (c === 'Z' && p.cmd === 'L') {
      p.zero = true;
      return;
    }
    if (c === 'L' && p.cmd === 'Z') p.zero = true;
    p.cmd = c;
  };
  const once = (opt: string): void => {
    if (seen.has(opt)) throw paramError(`multiple ${opt} flags not allowed`);
    seen.add(opt);
    if (invert && !INVERTIBLE.includes(opt)) throw paramError(`cannot have ! before ${opt}`);
  };
  // biome-ignore lint/suspicious/noExplicitAny: module registry is heterogeneous
  const loadMatch = (name: string): { mod: any; info: unknown } => {
    const mod = MATCHES.get(name);
    if (mod === undefined)
      throw new XtError(`Couldn't load match \`${name}':No such file or directory`, 'param-nl');
    if (name === 'tcp' || name === 'udp' || name === 'icmp') {
      const existing = rule.matches.find((m) => m.mod === mod);
      if (existing !== undefined) return existing;
    }
    const entry = { mod, info: mod.create(rule) };
    rule.matches.push(entry);
    return entry;
  };

  while (i < args.length) {
    let w = args[i++]!;
    if (w === '!') {
      if (invert) throw paramError('multiple consecutive ! not allowed');
      invert = true;
      continue;
    }
    if (!w.startsWith('-') || w === '-') {
      throw new XtError(`Bad argument \`${w}'`, 'plain');
    }
    // -w5 style and --opt=value are rare in scenarios; split the common `-n -v` bundles (-nvL)
    if (/^-[a-zA-Z]{2,}$/.test(w) && !['-A', '-C'].includes(w)) {
      const letters = w.slice(1).split('');
      args = [...args.slice(0, i - 1), ...letters.map((l) => `-${l}`), ...args.slice(i)];
      w = args[i - 1]!;
    }
    const opt = LONG[w] ?? w;
    switch (opt) {
      case '-A':
      case '-C':
      case '-N':
      case '-R':
      case '-I':
      case '-D':
      case '-P':
      case '-E': {
        setCmd(opt.slice(1) as Cmd);
        p.chain = reader(w).arg();
        if (opt === '-R') p.rulenum = rulenum(reader(w).arg());
        else if (opt === '-I') {
          const n = optionalArg();
          p.rulenum = n === null ? 1 : rulenum(n);
        } else if (opt === '-D') {
          const n = optionalArg();
          if (n !== null) p.rulenum = rulenum(n);
        } else if (opt === '-P' || opt === '-E') p.arg2 = reader(w).arg();
        break;
      }
      case '-L':
      case '-S':
      case '-F':
      case '-Z':
      case '-X': {
        setCmd(opt.slice(1) as Cmd);
        const c = optionalArg();
        if (c !== null) {
          p.chain = c;
          if (opt === '-L' || opt === '-S' || opt === '-Z') {
            const n = optionalArg();
            if (n !== null) p.rulenum = rulenum(n);
          }
        }
        break;
      }
      case '-t': {
        const t = reader(w).arg();
        if (invert) throw paramError('unexpected ! flag before --table');
        p.table = t;
        break;
      }
      case '-v':
        p.verbose = true;
        break;
      case '-n':
        p.numeric = true;
        break;
      case '-x':
        p.exact = true;
        break;
      case '--line-numbers':
        p.lineNumbers = true;
        break;
      case '-w':
      case '-W':
        optionalArg();
        break;
      case '-4':
      case '--ipv4':
        break;
      case '-c': {
        const a = reader(w).arg();
        const b = reader(w).arg();
        counters = [Number(a), Number(b)];
        break;
      }
      case '-s':
        once('-s');
        srcText = reader(w).arg();
        rule.invSrc = invert;
        break;
      case '-d':
        once('-d');
        dstText = reader(w).arg();
        rule.invDst = invert;
        break;
      case '-i':
      case '-o': {
        once(opt);
        const name = reader(w).arg();
        if (name.length >= 16)
          throw paramError(`interface name \`${name}' must be shorter than IFNAMSIZ (15)`);
        if (opt === '-i') {
          rule.iniface = name;
          rule.invIn = invert;
          p.hasIn = true;
        } else {
          rule.outiface = name;
          rule.invOut = invert;
          p.hasOut = true;
        }
        break;
      }
      case '-p': {
        once('-p');
        const t = reader(w).arg();
        let n = /^[0-9]+$/.test(t) ? Number(t) : protoByName(t);
        if (n > 255) n = -1;
        if (n < 0) throw paramError(`unknown protocol "${t.toLowerCase()}" specified`);
        if (n === 0 && invert) throw paramError('rule would never match protocol');
        rule.proto = n;
        rule.invProto = invert;
        break;
      }
      case '-f':
        once('-f');
        rule.frag = true;
        rule.invFrag = invert;
        break;
      case '-m': {
        if (invert) throw paramError('unexpected ! flag before --match');
        loadMatch(reader(w).arg());
        break;
      }
      case '-j':
      case '-g': {
        if (seen.has('-j') || seen.has('-g')) throw paramError(`multiple -j flags not allowed`);
        once(opt);
        const name = reader(w).arg();
        if (STD_TARGETS.includes(name)) {
          if (opt === '-g' && name !== 'RETURN') rule.target = { kind: 'chain', chain: name, goto: true };
          else rule.target = { kind: 'std', verdict: name as 'ACCEPT' | 'DROP' | 'RETURN' };
        } else {
          const mod = opt === '-j' ? TARGETS.get(name) : undefined;
          if (mod !== undefined) target = { mod, info: mod.create(rule) };
          else {
            rule.target = { kind: 'chain', chain: name, goto: opt === '-g' };
            p.jumpChain = name;
          }
        }
        break;
      }
      default: {
        // an extension option: the target first, then the most recently loaded match that owns it,
        // then the protocol's match loaded implicitly (as iptables does for `-p tcp --dport 22`)
        if (target?.mod?.options.includes(opt)) {
          target.mod.parse(target.info, opt, reader(w), invert, rule);
        } else {
          let owner = [...rule.matches].reverse().find((m) => m.mod.options.includes(opt));
          if (owner === undefined && rule.proto !== 0 && !rule.invProto) {
            const pname =
              rule.proto === 6 ? 'tcp' : rule.proto === 17 ? 'udp' : rule.proto === 1 ? 'icmp' : '';
            const mod = MATCHES.get(pname);
            if (mod?.options.includes(opt)) owner = loadMatch(pname);
          }
          if (owner === undefined) throw paramError(`unknown option "${w}"`);
          owner.mod.parse(owner.info, opt, reader(w), invert, rule);
        }
      }
    }
    invert = false;
  }

  if (p.cmd === null) throw paramError('no command specified');
  for (const m of rule.matches) m.mod.finalCheck?.(m.info, rule);
  if (target !== null && target.mod !== null) {
    target.mod.finalCheck?.(target.info, rule);
    rule.target = { kind: 'ext', mod: target.mod, info: target.info };
  }
  if (counters !== null) {
    rule.pkts = counters[0];
    rule.bytes = counters[1];
  }
  // -s/-d: parsed after the options, comma lists expand into one rule per combination
  const srcs = srcText === null ? [{ addr: 0, mask: 0 }] : srcText.split(',').map(parseCidrArg);
  const dsts = dstText === null ? [{ addr: 0, mask: 0 }] : dstText.split(',').map(parseCidrArg);
  if ((p.cmd === 'D' || p.cmd === 'R' || p.cmd === 'C') && srcs.length * dsts.length > 1)
    throw paramError('multiple source or destination IP addresses not allowed');
  for (const s of srcs)
    for (const d of dsts) {
      const r = rule.clone();
      r.src = s.addr;
      r.smsk = s.mask;
      r.dst = d.addr;
      r.dmsk = d.mask;
      p.rules.push(r);
    }
  return p;
}

/**
 * Splits an iptables-restore rule line as xtables' add_param_to_argv does: whitespace separates,
 * double quotes group, and inside quotes a backslash takes the next character literally (so
 * iptables-save's `"a \"b\""` round-trips); single quotes are ordinary characters.
 */
export function splitRestoreLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '\\' && i + 1 < line.length) cur += line[++i];
      else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') {
      quoted = true;
      inWord = true;
    } else if (c === ' ' || c === '\t') {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) out.push(cur);
  return out;
}
