// -m conntrack and -m state (iptables-extensions(8); kernel net/netfilter/xt_conntrack.c conntrack_mt,
// xt_state.c; libxt_conntrack.c revision 3 and its "state" alias). Parsing and printing are complete;
// evaluation reads ctx.ctState (filled by the conntrack hook) and the other fields through
// `Netfilter.conntrack.ctField` — the conntrack engineer provides both.

import { ipv4ToString } from '../../wire/ipv4-address.js';
import { CtState, type PacketCtx } from '../context.js';
import { CtField } from '../hooks.js';
import { type ArgReader, type Match, type MatchModule, paramError } from '../module.js';
import { parseCidrArg } from './addr.js';

/** XT_CONNTRACK_* match_flags bits. */
export const CT = {
  State: 1 << 0,
  Proto: 1 << 1,
  OrigSrc: 1 << 2,
  OrigDst: 1 << 3,
  ReplSrc: 1 << 4,
  ReplDst: 1 << 5,
  Status: 1 << 6,
  Expires: 1 << 7,
  OrigSrcPort: 1 << 8,
  OrigDstPort: 1 << 9,
  ReplSrcPort: 1 << 10,
  ReplDstPort: 1 << 11,
  Direction: 1 << 12,
} as const;

const STATE_NAMES: readonly [string, number][] = [
  ['INVALID', CtState.Invalid],
  ['NEW', CtState.New],
  ['RELATED', CtState.Related],
  ['ESTABLISHED', CtState.Established],
  ['UNTRACKED', CtState.Untracked],
  ['SNAT', CtState.Snat],
  ['DNAT', CtState.Dnat],
];
const STATUS_NAMES: readonly [string, number][] = [
  ['EXPECTED', 1],
  ['SEEN_REPLY', 2],
  ['ASSURED', 4],
  ['CONFIRMED', 8],
];

export interface ConntrackInfo {
  /** 'conntrack' or the 'state' alias (prints `state X`, saves `-m state --state X`). */
  alias: boolean;
  flags: number;
  invert: number;
  stateMask: number;
  statusMask: number;
  proto: number;
  addr: number[];
  mask: number[];
  portLo: number[];
  portHi: number[];
  expMin: number;
  expMax: number;
}

function parseList(text: string, names: readonly [string, number][], what: string, none = false): number {
  let m = 0;
  for (const w of text.split(',')) {
    if (none && w.toUpperCase() === 'NONE') continue;
    const hit = names.find(([n]) => n.toLowerCase() === w.toLowerCase());
    if (hit === undefined) throw paramError(`Bad ${what} "${w}"`);
    m |= hit[1];
  }
  return m;
}

function listText(mask: number, names: readonly [string, number][], none: string): string {
  const out = names.filter(([, b]) => mask & b).map(([n]) => n);
  return out.length === 0 ? none : out.join(',');
}

const ADDR_OPTS: readonly [string, number, number][] = [
  ['ctorigsrc', CT.OrigSrc, 0],
  ['ctorigdst', CT.OrigDst, 1],
  ['ctreplsrc', CT.ReplSrc, 2],
  ['ctrepldst', CT.ReplDst, 3],
];
const PORT_OPTS: readonly [string, number, number][] = [
  ['ctorigsrcport', CT.OrigSrcPort, 0],
  ['ctorigdstport', CT.OrigDstPort, 1],
  ['ctreplsrcport', CT.ReplSrcPort, 2],
  ['ctrepldstport', CT.ReplDstPort, 3],
];

function maskSuffix(mask: number): string {
  if (mask === 0xffffffff) return '';
  let bits = 0;
  let m = mask;
  while (m & 0x80000000) {
    bits++;
    m = (m << 1) >>> 0;
  }
  return m === 0 ? `/${bits}` : `/${ipv4ToString(mask)}`;
}

/** conntrack_dump: `prefix` is '' for -L and '--' for save. */
function dump(i: ConntrackInfo, prefix: string): string {
  let s = '';
  const inv = (bit: number) => (i.invert & bit ? ' !' : '');
  if (i.flags & CT.State) {
    s += `${inv(CT.State)} ${prefix}${i.alias ? 'state' : 'ctstate'} ${listText(i.stateMask, STATE_NAMES, '')}`;
  }
  if (i.flags & CT.Proto) s += `${inv(CT.Proto)} ${prefix}ctproto ${i.proto}`;
  for (const [name, bit, k] of ADDR_OPTS)
    if (i.flags & bit)
      s += `${inv(bit)} ${prefix}${name} ${ipv4ToString(i.addr[k]!)}${maskSuffix(i.mask[k]!)}`;
  for (const [name, bit, k] of PORT_OPTS) {
    if (i.flags & bit) {
      const lo = i.portLo[k]!;
      const hi = i.portHi[k]!;
      s += `${inv(bit)} ${prefix}${name} ${lo === hi ? lo : `${lo}:${hi}`}`;
    }
  }
  if (i.flags & CT.Status)
    s += `${inv(CT.Status)} ${prefix}ctstatus ${listText(i.statusMask, STATUS_NAMES, 'NONE')}`;
  if (i.flags & CT.Expires)
    s += `${inv(CT.Expires)} ${prefix}ctexpire ${i.expMin === i.expMax ? i.expMin : `${i.expMin}:${i.expMax}`}`;
  if (i.flags & CT.Direction) s += ` ${prefix}ctdir ${i.invert & CT.Direction ? 'REPLY' : 'ORIGINAL'}`;
  return s;
}

class ConntrackMatch implements Match {
  constructor(private readonly i: ConntrackInfo) {}
  match(ctx: PacketCtx): boolean {
    const i = this.i;
    const flags = i.flags;
    if (flags & CT.State) {
      let bit = ctx.ctState;
      if (bit === 0) bit = CtState.Invalid;
      if (((i.stateMask & bit) !== 0) === ((i.invert & CT.State) !== 0)) return false;
    }
    const ct = ctx.nf.conntrack;
    if (ct === null || ctx.ctId < 0) return (flags & CT.State) !== 0 && (flags & ~CT.State) === 0;
    if (flags & CT.Direction && (ctx.ctDir === 1) !== ((i.invert & CT.Direction) !== 0)) return false;
    if (flags & CT.Proto && (ct.ctField(ctx, CtField.Proto) === i.proto) === ((i.invert & CT.Proto) !== 0))
      return false;
    for (let k = 0; k < 4; k++) {
      const bit = CT.OrigSrc << k;
      if (flags & bit) {
        const v = ct.ctField(ctx, CtField.OrigSrc + k);
        if (((v & i.mask[k]!) >>> 0 === (i.addr[k]! & i.mask[k]!) >>> 0) === ((i.invert & bit) !== 0))
          return false;
      }
      const pbit = CT.OrigSrcPort << k;
      if (flags & pbit) {
        const p = ct.ctField(ctx, CtField.OrigSrcPort + k);
        if ((p >= i.portLo[k]! && p <= i.portHi[k]!) === ((i.invert & pbit) !== 0)) return false;
      }
    }
    if (flags & CT.Status) {
      const st = ct.ctField(ctx, CtField.Status);
      if (((st & i.statusMask) !== 0) === ((i.invert & CT.Status) !== 0)) return false;
    }
    if (flags & CT.Expires) {
      const e = ct.ctField(ctx, CtField.Expires);
      if ((e >= i.expMin && e <= i.expMax) === ((i.invert & CT.Expires) !== 0)) return false;
    }
    return true;
  }
}

function create(alias: boolean): ConntrackInfo {
  return {
    alias,
    flags: 0,
    invert: 0,
    stateMask: 0,
    statusMask: 0,
    proto: 0,
    addr: [0, 0, 0, 0],
    mask: [0, 0, 0, 0],
    portLo: [0, 0, 0, 0],
    portHi: [0, 0, 0, 0],
    expMin: 0,
    expMax: 0,
  };
}

function parsePortRangeCt(text: string): [number, number] {
  const m = /^([0-9]+)(?::([0-9]+))?$/.exec(text);
  if (m === null || Number(m[1]) > 65535 || (m[2] !== undefined && Number(m[2]) > 65535))
    throw paramError(`port "${text}" does not resolve to anything.`);
  return [Number(m[1]), m[2] === undefined ? Number(m[1]) : Number(m[2])];
}

export const conntrackModule: MatchModule<ConntrackInfo> = {
  name: 'conntrack',
  options: [
    '--ctstate',
    '--ctproto',
    '--ctorigsrc',
    '--ctorigdst',
    '--ctreplsrc',
    '--ctrepldst',
    '--ctorigsrcport',
    '--ctorigdstport',
    '--ctreplsrcport',
    '--ctrepldstport',
    '--ctstatus',
    '--ctexpire',
    '--ctdir',
  ],
  create: () => create(false),
  parse(i, opt, args: ArgReader, invert) {
    const name = opt.slice(2);
    let bit = 0;
    if (name === 'ctstate') {
      i.stateMask = parseList(args.arg(), STATE_NAMES, 'ctstate');
      bit = CT.State;
    } else if (name === 'ctproto') {
      const t = args.arg();
      const n = /^[0-9]+$/.test(t) ? Number(t) : -1;
      if (n < 0 || n > 255) throw paramError(`unknown protocol "${t}" specified`);
      i.proto = n;
      bit = CT.Proto;
    } else if (name === 'ctstatus') {
      i.statusMask = parseList(args.arg(), STATUS_NAMES, 'ctstatus', true);
      bit = CT.Status;
    } else if (name === 'ctexpire') {
      const [a, b] = parsePortRangeCt(args.arg());
      i.expMin = a;
      i.expMax = b;
      bit = CT.Expires;
    } else if (name === 'ctdir') {
      const t = args.arg();
      if (t.toUpperCase() === 'ORIGINAL') i.invert &= ~CT.Direction;
      else if (t.toUpperCase() === 'REPLY') i.invert |= CT.Direction;
      else throw paramError(`Unknown --ctdir "${t}"`);
      i.flags |= CT.Direction;
      return;
    } else {
      const a = ADDR_OPTS.find(([n]) => n === name);
      if (a !== undefined) {
        const c = parseCidrArg(args.arg());
        i.addr[a[2]] = (c.addr & c.mask) >>> 0;
        i.mask[a[2]] = c.mask;
        bit = a[1];
      } else {
        const p = PORT_OPTS.find(([n]) => n === name)!;
        const [lo, hi] = parsePortRangeCt(args.arg());
        i.portLo[p[2]] = lo;
        i.portHi[p[2]] = hi;
        bit = p[1];
      }
    }
    i.flags |= bit;
    if (invert) i.invert |= bit;
  },
  finalCheck(i) {
    if (i.flags === 0) throw paramError('conntrack: At least one option is required');
  },
  print: (i) => dump(i, ''),
  save: (i) => dump(i, '--'),
  compile: (i) => new ConntrackMatch(i),
};

export const stateModule: MatchModule<ConntrackInfo> = {
  name: 'state',
  options: ['--state'],
  create: () => create(true),
  parse(i, _opt, args: ArgReader, invert) {
    i.stateMask = parseList(args.arg(), STATE_NAMES.slice(0, 5), 'state');
    i.flags |= CT.State;
    if (invert) i.invert |= CT.State;
  },
  finalCheck(i) {
    if (i.flags === 0) throw paramError('state match: You must specify "--state"');
  },
  print: (i) => dump(i, ''),
  save: (i) => dump(i, '--'),
  compile: (i) => new ConntrackMatch(i),
};
