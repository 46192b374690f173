// -m mark (iptables-extensions(8) "mark"; kernel xt_mark.c mark_mt: (skb->mark & mask) == mark).

import type { PacketCtx } from '../context.js';
import { type ArgReader, hex, type Match, type MatchModule, parseMarkMask, XtError } from '../module.js';

export interface MarkInfo {
  mark: number;
  mask: number;
  invert: boolean;
}

class MarkMatch implements Match {
  constructor(
    private readonly mark: number,
    private readonly mask: number,
    private readonly inv: boolean,
  ) {}
  match(ctx: PacketCtx): boolean {
    return ((ctx.mark & this.mask) >>> 0 === this.mark) !== this.inv;
  }
}

export function markMaskText(mark: number, mask: number): string {
  return mask === 0xffffffff ? hex(mark) : `${hex(mark)}/${hex(mask)}`;
}

export function parseMarkOption(module: string, opt: string, text: string): { value: number; mask: number } {
  const mm = parseMarkMask(text);
  if (mm === null)
    throw new XtError(`${module}: bad integer value for option "${opt}", or out of range.`, 'param-nl');
  return mm;
}

export const markModule: MatchModule<MarkInfo> = {
  name: 'mark',
  options: ['--mark'],
  create: () => ({ mark: 0, mask: 0xffffffff, invert: false }),
  parse(info, _opt, args: ArgReader, invert) {
    const mm = parseMarkOption('mark', '--mark', args.arg());
    info.mark = mm.value;
    info.mask = mm.mask;
    info.invert = invert;
  },
  finalCheck(info) {
    void info;
  },
  print: (i) => ` mark match${i.invert ? ' !' : ''} ${markMaskText(i.mark, i.mask)}`,
  save: (i) => `${i.invert ? ' !' : ''} --mark ${markMaskText(i.mark, i.mask)}`,
  compile: (i) => new MarkMatch(i.mark, i.mask, i.invert),
};
