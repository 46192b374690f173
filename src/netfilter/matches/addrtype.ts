// -m addrtype (iptables-extensions(8) "addrtype"; kernel xt_addrtype.c addrtype_mt_v1, revision 1).
// The type of an address is inet_dev_addr_type: 0.0.0.0/8 and 255.255.255.255 are BROADCAST, 224/4
// MULTICAST, otherwise the local routing table's type (LOCAL, BROADCAST, …) from the namespace's
// `AddrTypeSource`, else UNICAST. --limit-iface-in/out restrict the lookup to the in/out device.

import type { PacketCtx } from '../context.js';
import { Hook } from '../hook-id.js';
import { type ArgReader, type Match, type MatchModule, paramError } from '../module.js';

/** rtn_names, indexed by RTN_* (include/uapi/linux/rtnetlink.h). */
export const RTN_NAMES = [
  'UNSPEC',
  'UNICAST',
  'LOCAL',
  'BROADCAST',
  'ANYCAST',
  'MULTICAST',
  'BLACKHOLE',
  'UNREACHABLE',
  'PROHIBIT',
  'THROW',
  'NAT',
  'XRESOLVE',
] as const;
export const RTN = { Unicast: 1, Local: 2, Broadcast: 3, Multicast: 5 } as const;

export interface AddrtypeInfo {
  source: number;
  dest: number;
  invSrc: boolean;
  invDst: boolean;
  limitIn: boolean;
  limitOut: boolean;
}

function parseTypes(text: string): number {
  let mask = 0;
  for (const w of text.split(',')) {
    const i = RTN_NAMES.findIndex((n) => n.toLowerCase() === w.toLowerCase());
    if (i < 0) throw paramError(`addrtype: bad type "${w}"`);
    mask |= 1 << i;
  }
  return mask;
}

function typesText(mask: number): string {
  const out: string[] = [];
  for (let i = 0; i < RTN_NAMES.length; i++) if (mask & (1 << i)) out.push(RTN_NAMES[i]!);
  return out.join(',');
}

class AddrtypeMatch implements Match {
  constructor(
    private readonly source: number,
    private readonly dest: number,
    private readonly invSrc: boolean,
    private readonly invDst: boolean,
    private readonly limitIn: boolean,
    private readonly limitOut: boolean,
  ) {}
  match(ctx: PacketCtx): boolean {
    const dev = this.limitIn ? ctx.inDev : this.limitOut ? ctx.outDev : -1;
    if (this.source !== 0 && ((this.source & (1 << addrType(ctx, ctx.src, dev))) !== 0) === this.invSrc)
      return false;
    if (this.dest !== 0 && ((this.dest & (1 << addrType(ctx, ctx.dst, dev))) !== 0) === this.invDst)
      return false;
    return true;
  }
}

function addrType(ctx: PacketCtx, addr: number, dev: number): number {
  if (addr >>> 24 === 0 || addr === 0xffffffff) return RTN.Broadcast;
  if (addr >>> 28 === 0xe) return RTN.Multicast;
  const src = ctx.nf.addrTypes;
  return src === null ? RTN.Unicast : src.localType(addr, dev);
}

const IN_HOOKS = (1 << Hook.PreRouting) | (1 << Hook.LocalIn);
const OUT_HOOKS = (1 << Hook.LocalOut) | (1 << Hook.PostRouting);

export const addrtypeModule: MatchModule<AddrtypeInfo> = {
  name: 'addrtype',
  options: ['--src-type', '--dst-type', '--limit-iface-in', '--limit-iface-out'],
  create: () => ({ source: 0, dest: 0, invSrc: false, invDst: false, limitIn: false, limitOut: false }),
  parse(info, opt, args: ArgReader, invert) {
    switch (opt) {
      case '--src-type':
        info.source = parseTypes(args.arg());
        info.invSrc = invert;
        break;
      case '--dst-type':
        info.dest = parseTypes(args.arg());
        info.invDst = invert;
        break;
      case '--limit-iface-in':
        info.limitIn = true;
        break;
      case '--limit-iface-out':
        info.limitOut = true;
        break;
    }
  },
  finalCheck(info) {
    if (info.source === 0 && info.dest === 0)
      throw paramError('addrtype: you must specify --src-type or --dst-type');
    if (info.limitIn && info.limitOut)
      throw paramError("addrtype: you can't specify both --limit-iface-in and --limit-iface-out");
  },
  print(i) {
    let s = ' ADDRTYPE match';
    if (i.source) s += ` src-type ${i.invSrc ? '!' : ''}${typesText(i.source)}`;
    if (i.dest) s += ` dst-type ${i.invDst ? '!' : ''}${typesText(i.dest)}`;
    if (i.limitIn) s += ' limit-in';
    if (i.limitOut) s += ' limit-out';
    return s;
  },
  save(i) {
    let s = '';
    if (i.source) s += `${i.invSrc ? ' !' : ''} --src-type ${typesText(i.source)}`;
    if (i.dest) s += `${i.invDst ? ' !' : ''} --dst-type ${typesText(i.dest)}`;
    if (i.limitIn) s += ' --limit-iface-in';
    if (i.limitOut) s += ' --limit-iface-out';
    return s;
  },
  compile: (i) => new AddrtypeMatch(i.source, i.dest, i.invSrc, i.invDst, i.limitIn, i.limitOut),
  validate(i, env) {
    if (i.limitIn && (env.hooks & OUT_HOOKS) !== 0) return 'EINVAL';
    if (i.limitOut && (env.hooks & IN_HOOKS) !== 0) return 'EINVAL';
    return null;
  },
};
