// -m physdev (iptables-extensions(8) "physdev"; kernel net/netfilter/xt_physdev.c physdev_mt): bridge
// ports of a bridged packet, from br_netfilter (`Netfilter.runBridged` fills ctx.physIn/physOut).

import type { PacketCtx } from '../context.js';
import { Hook } from '../hook-id.js';
import type { Netfilter } from '../hooks.js';
import { type ArgReader, type Match, type MatchModule, paramError } from '../module.js';

/** XT_PHYSDEV_OP_* bits. */
export const OP = { In: 1, Out: 2, Bridged: 4, IsIn: 8, IsOut: 16 } as const;

export interface PhysdevInfo {
  physIn: string;
  physOut: string;
  bitmask: number;
  invert: number;
}

class PhysdevMatch implements Match {
  private inPat = -1;
  private outPat = -1;
  private nf: Netfilter | null = null;
  constructor(
    private readonly info: PhysdevInfo,
    private readonly bitmask: number,
    private readonly invert: number,
  ) {}
  match(ctx: PacketCtx): boolean {
    const b = this.bitmask;
    const inv = this.invert;
    if (ctx.physIn < 0 && ctx.physOut < 0) {
      // not a bridged packet: matches only when every used option is inverted
      return (b & ~inv) === 0;
    }
    if (this.nf !== ctx.nf) this.bind(ctx.nf);
    const hasOut = ctx.physOut >= 0;
    if (b & OP.Bridged && hasOut === ((inv & OP.Bridged) !== 0)) return false;
    if (b & OP.IsIn && ctx.physIn >= 0 === ((inv & OP.IsIn) !== 0)) return false;
    if (b & OP.IsOut && hasOut === ((inv & OP.IsOut) !== 0)) return false;
    const nf = ctx.nf;
    if (b & OP.In && nf.ifMatch(ctx.physIn, this.inPat) === ((inv & OP.In) !== 0)) return false;
    if (b & OP.Out && nf.ifMatch(ctx.physOut, this.outPat) === ((inv & OP.Out) !== 0)) return false;
    return true;
  }
  private bind(nf: Netfilter): void {
    this.nf = nf;
    this.inPat = this.info.physIn === '' ? -1 : nf.ifPattern(this.info.physIn);
    this.outPat = this.info.physOut === '' ? -1 : nf.ifPattern(this.info.physOut);
    nf.resizeMemo();
  }
}

const item = (inv: number, bit: number, text: string) => `${inv & bit ? ' !' : ''} ${text}`;

function body(i: PhysdevInfo): string {
  let s = '';
  if (i.bitmask & OP.IsIn) s += item(i.invert, OP.IsIn, '--physdev-is-in');
  if (i.bitmask & OP.In) s += item(i.invert, OP.In, `--physdev-in ${i.physIn}`);
  if (i.bitmask & OP.IsOut) s += item(i.invert, OP.IsOut, '--physdev-is-out');
  if (i.bitmask & OP.Out) s += item(i.invert, OP.Out, `--physdev-out ${i.physOut}`);
  if (i.bitmask & OP.Bridged) s += item(i.invert, OP.Bridged, '--physdev-is-bridged');
  return s;
}

// physdev_mt_check refuses only hook masks containing LOCAL_OUT
const OUT_HOOKS = 1 << Hook.LocalOut;

export const physdevModule: MatchModule<PhysdevInfo> = {
  name: 'physdev',
  options: ['--physdev-in', '--physdev-out', '--physdev-is-in', '--physdev-is-out', '--physdev-is-bridged'],
  create: () => ({ physIn: '', physOut: '', bitmask: 0, invert: 0 }),
  parse(info, opt, args: ArgReader, invert) {
    let bit = 0;
    switch (opt) {
      case '--physdev-in':
        info.physIn = args.arg();
        bit = OP.In;
        break;
      case '--physdev-out':
        info.physOut = args.arg();
        bit = OP.Out;
        break;
      case '--physdev-is-in':
        bit = OP.IsIn;
        break;
      case '--physdev-is-out':
        bit = OP.IsOut;
        break;
      case '--physdev-is-bridged':
        bit = OP.Bridged;
        break;
    }
    info.bitmask |= bit;
    if (invert) info.invert |= bit;
  },
  finalCheck(info) {
    if (info.bitmask === 0) throw paramError('PHYSDEV: no physdev option specified');
  },
  print: (i) => ` PHYSDEV match${body(i)}`,
  save: (i) => body(i),
  compile: (i) => new PhysdevMatch(i, i.bitmask, i.invert),
  validate(i, env) {
    // physdev_mt_check: --physdev-out / --physdev-is-out need bridged traffic in OUTPUT/FORWARD/POSTROUTING
    if (
      i.bitmask & (OP.Out | OP.IsOut) &&
      (!(i.bitmask & OP.Bridged) || i.invert & OP.Bridged) &&
      env.hooks & OUT_HOOKS
    )
      return 'EINVAL';
    return null;
  },
};
