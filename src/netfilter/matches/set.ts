// -m set (iptables-extensions(8) "set"; libxt_set.c revision 4 as iptables 1.8.9 loads it, kernel
// xt_set.c set_match_v4). `[!] --match-set NAME src|dst[,src|dst…]`: the set is looked up by name
// when the rule is parsed (libxt_set get_set_byname → "Set X doesn't exist."), and the rule then
// holds the set itself, so `ipset add/del/flush` take effect without touching the ruleset and a
// referenced set cannot be destroyed. For the one-dimensional hash:net / hash:ip sets only the first
// direction is consulted (the type's kadt reads IPSET_DIM_ONE_SRC); further ones are kept for -S.

import type { PacketCtx } from '../context.js';
import type { Netfilter } from '../hooks.js';
import type { HashSet } from '../ipset/hash-set.js';
import { type IpSet, ipsetsOf, MAX_NAME } from '../ipset/registry.js';
import { type ArgReader, type Match, type MatchModule, paramError, XtError } from '../module.js';

/** IPSET_DIM_MAX. */
const MAX_DIM = 6;

export interface SetInfo {
  name: string;
  /** true = src, per dimension. */
  dirs: boolean[];
  inv: boolean;
  /** Bound by `bind` in the namespace that runs the command. */
  set: IpSet | null;
}

class SetMatch implements Match {
  constructor(
    private readonly data: HashSet,
    private readonly src: boolean,
    private readonly inv: boolean,
  ) {}
  match(ctx: PacketCtx): boolean {
    // `| 0`: an address above 2^31 read from the context is a double; passed as is to a call V8 does
    // not inline, it would be boxed (16 bytes per packet). As an int32 it travels unboxed.
    return this.data.test((this.src ? ctx.src : ctx.dst) | 0) !== this.inv;
  }
}

function dirsText(i: SetInfo): string {
  return i.dirs.map((s) => (s ? 'src' : 'dst')).join(',');
}

export const setModule: MatchModule<SetInfo> = {
  name: 'set',
  options: ['--match-set'],
  create: () => ({ name: '', dirs: [], inv: false, set: null }),
  parse(info, _opt, args: ArgReader, invert) {
    if (info.name !== '') throw paramError('--match-set can be specified only once');
    const name = args.arg();
    if (args.peekExtra() === null) throw paramError('--match-set requires two args.');
    const dirs = args.takeExtra();
    if (name.length > MAX_NAME) throw paramError(`setname \`${name}' too long, max ${MAX_NAME} characters.`);
    const parts = dirs.split(',');
    if (parts.length > MAX_DIM) throw paramError(`Can't be more src/dst options than ${MAX_DIM}.`);
    info.dirs = parts.map((p) => {
      if (p !== 'src' && p !== 'dst')
        throw paramError("You must spefify (the comma separated list of) 'src' or 'dst'.");
      return p === 'src';
    });
    info.name = name;
    info.inv = invert;
  },
  finalCheck(info) {
    if (info.name === '') throw paramError("You must specify `--match-set' with proper arguments");
  },
  bind(info, nf: Netfilter) {
    const set = ipsetsOf(nf).get(info.name);
    if (set === undefined) throw new XtError(`Set ${info.name} doesn't exist.\n`, 'param');
    info.set = set;
  },
  print(i) {
    return `${i.inv ? ' !' : ''} match-set ${i.name} ${dirsText(i)}`;
  },
  save(i) {
    return `${i.inv ? ' !' : ''} --match-set ${i.name} ${dirsText(i)}`;
  },
  compile(i) {
    if (i.set === null) throw new Error(`set match ${i.name} compiled before it was bound`);
    return new SetMatch(i.set.data, i.dirs[0] === true, i.inv);
  },
};
