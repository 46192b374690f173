// -m connmark (iptables-extensions(8) "connmark"; kernel xt_connmark.c connmark_mt:
// (ct->mark & mask) == mark). The connection's mark comes from `Netfilter.conntrack`.

import type { PacketCtx } from '../context.js';
import { CtField } from '../hooks.js';
import type { ArgReader, Match, MatchModule } from '../module.js';
import { markMaskText, parseMarkOption } from './mark.js';

export interface ConnmarkInfo {
  mark: number;
  mask: number;
  invert: boolean;
}

class ConnmarkMatch implements Match {
  constructor(
    private readonly mark: number,
    private readonly mask: number,
    private readonly inv: boolean,
  ) {}
  match(ctx: PacketCtx): boolean {
    const ct = ctx.nf.conntrack;
    if (ct === null || ctx.ctId < 0) return false;
    return ((ct.ctField(ctx, CtField.Mark) & this.mask) >>> 0 === this.mark) !== this.inv;
  }
}

export const connmarkModule: MatchModule<ConnmarkInfo> = {
  name: 'connmark',
  options: ['--mark'],
  create: () => ({ mark: 0, mask: 0xffffffff, invert: false }),
  parse(info, _opt, args: ArgReader, invert) {
    const mm = parseMarkOption('connmark', '--mark', args.arg());
    info.mark = mm.value;
    info.mask = mm.mask;
    info.invert = invert;
  },
  print: (i) => ` connmark match ${i.invert ? '!' : ''} ${markMaskText(i.mark, i.mask)}`,
  save: (i) => `${i.invert ? ' !' : ''} --mark ${markMaskText(i.mark, i.mask)}`,
  compile: (i) => new ConnmarkMatch(i.mark, i.mask, i.invert),
};
