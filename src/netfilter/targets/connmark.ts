// -j CONNMARK (iptables-extensions(8) "CONNMARK"; kernel xt_connmark.c connmark_tg_shift, libxt_CONNMARK
// revision 1). The connection mark is read and written through `Netfilter.conntrack`; without a
// connection the target does nothing (XT_CONTINUE), as in the kernel.

import type { PacketCtx } from '../context.js';
import { CtField } from '../hooks.js';
import {
  type ArgReader,
  hex,
  paramError,
  parseU32,
  type Target,
  type TargetModule,
  XtError,
} from '../module.js';
import { XT_CONTINUE } from '../verdict.js';
import { parseXmark, xmarkText } from './mark.js';

export const CM = { Set: 0, Save: 1, Restore: 2 } as const;

export interface ConnmarkTgInfo {
  mode: number;
  ctmark: number;
  ctmask: number;
  nfmask: number;
  set: boolean;
}

class ConnmarkTarget implements Target {
  constructor(
    private readonly mode: number,
    private readonly ctmark: number,
    private readonly ctmask: number,
    private readonly nfmask: number,
  ) {}
  exec(ctx: PacketCtx): number {
    const ct = ctx.nf.conntrack;
    if (ct === null || ctx.ctId < 0) return XT_CONTINUE;
    const cur = ct.ctField(ctx, CtField.Mark);
    if (this.mode === CM.Set) ct.ctSetMark(ctx, ((cur & ~this.ctmask) ^ this.ctmark) >>> 0);
    else if (this.mode === CM.Save)
      ct.ctSetMark(ctx, ((cur & ~this.ctmask) ^ (ctx.mark & this.nfmask)) >>> 0);
    else ctx.mark = ((ctx.mark & ~this.nfmask) ^ (cur & this.ctmask)) >>> 0;
    return XT_CONTINUE;
  }
}

function mask(opt: string, text: string): number {
  const v = parseU32(text);
  if (v < 0)
    throw new XtError(`CONNMARK: bad integer value for option "${opt}", or out of range.`, 'param-nl');
  return v;
}

export const connmarkTargetModule: TargetModule<ConnmarkTgInfo> = {
  name: 'CONNMARK',
  options: [
    '--set-xmark',
    '--set-mark',
    '--and-mark',
    '--or-mark',
    '--xor-mark',
    '--save-mark',
    '--restore-mark',
    '--mask',
    '--nfmask',
    '--ctmask',
  ],
  create: () => ({ mode: CM.Set, ctmark: 0, ctmask: 0xffffffff, nfmask: 0xffffffff, set: false }),
  parse(info, opt, args: ArgReader) {
    switch (opt) {
      case '--save-mark':
      case '--restore-mark':
        if (info.set)
          throw paramError("CONNMARK target: Can't specify --set-mark, --save-mark or --restore-mark twice");
        info.mode = opt === '--save-mark' ? CM.Save : CM.Restore;
        info.set = true;
        break;
      case '--mask': {
        const m = mask(opt, args.arg());
        info.nfmask = m;
        info.ctmask = m;
        break;
      }
      case '--nfmask':
        info.nfmask = mask(opt, args.arg());
        break;
      case '--ctmask':
        info.ctmask = mask(opt, args.arg());
        break;
      default: {
        if (info.set)
          throw paramError("CONNMARK target: Can't specify --set-mark, --save-mark or --restore-mark twice");
        const r = parseXmark('CONNMARK', opt, args.arg());
        info.mode = CM.Set;
        info.ctmark = r.mark;
        info.ctmask = r.mask;
        info.set = true;
      }
    }
  },
  finalCheck(info) {
    if (!info.set) throw paramError('CONNMARK target: No operation specified');
  },
  print(i) {
    if (i.mode === CM.Set) return xmarkText('CONNMARK', i.ctmark, i.ctmask);
    const word = i.mode === CM.Save ? 'save' : 'restore';
    if (i.nfmask === 0xffffffff && i.ctmask === 0xffffffff) return ` CONNMARK ${word}`;
    if (i.nfmask === i.ctmask) return ` CONNMARK ${word} mask ${hex(i.nfmask)}`;
    return i.mode === CM.Save
      ? ` CONNMARK save nfmask ${hex(i.nfmask)} ctmask ~${hex(i.ctmask)}`
      : ` CONNMARK restore ctmask ${hex(i.ctmask)} nfmask ~${hex(i.nfmask)}`;
  },
  save(i) {
    if (i.mode === CM.Set) return ` --set-xmark ${hex(i.ctmark)}/${hex(i.ctmask)}`;
    return ` --${i.mode === CM.Save ? 'save' : 'restore'}-mark --nfmask ${hex(i.nfmask)} --ctmask ${hex(i.ctmask)}`;
  },
  compile: (i) => new ConnmarkTarget(i.mode, i.ctmark, i.ctmask, i.nfmask),
};
