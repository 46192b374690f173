// -j MARK (iptables-extensions(8) "MARK"; kernel xt_mark.c mark_tg: mark = (mark & ~mask) ^ value;
// libxt_MARK revision 2 turns every form into --set-xmark value/mask).

import type { PacketCtx } from '../context.js';
import { markMaskText, parseMarkOption } from '../matches/mark.js';
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

export interface MarkTgInfo {
  mark: number;
  mask: number;
  set: boolean;
}

class MarkTarget implements Target {
  constructor(
    private readonly mark: number,
    private readonly mask: number,
  ) {}
  exec(ctx: PacketCtx): number {
    ctx.mark = ((ctx.mark & ~this.mask) ^ this.mark) >>> 0;
    return XT_CONTINUE;
  }
}

function bits(module: string, opt: string, text: string): number {
  const v = parseU32(text);
  if (v < 0)
    throw new XtError(`${module}: bad integer value for option "${opt}", or out of range.`, 'param-nl');
  return v;
}

/** Shared by MARK and CONNMARK: the xset forms. */
export function parseXmark(module: string, opt: string, text: string): { mark: number; mask: number } {
  switch (opt) {
    case '--set-xmark': {
      const mm = parseMarkOption(module, opt, text);
      return { mark: mm.value, mask: mm.mask };
    }
    case '--set-mark': {
      const mm = parseMarkOption(module, opt, text);
      return { mark: mm.value, mask: (mm.value | mm.mask) >>> 0 };
    }
    case '--and-mark':
      return { mark: 0, mask: ~bits(module, opt, text) >>> 0 };
    case '--or-mark': {
      const v = bits(module, opt, text);
      return { mark: v, mask: v };
    }
    default:
      return { mark: bits(module, opt, text), mask: 0 };
  }
}

/** mark_tg_print's and/or/xor/set/xset wording. */
export function xmarkText(word: string, mark: number, mask: number): string {
  if (mark === 0) return ` ${word} and ${hex(~mask >>> 0)}`;
  if (mark === mask) return ` ${word} or ${hex(mark)}`;
  if (mask === 0) return ` ${word} xor ${hex(mark)}`;
  if (mask === 0xffffffff) return ` ${word} set ${hex(mark)}`;
  return ` ${word} xset ${hex(mark)}/${hex(mask)}`;
}

export const markTargetModule: TargetModule<MarkTgInfo> = {
  name: 'MARK',
  options: ['--set-xmark', '--set-mark', '--and-mark', '--or-mark', '--xor-mark'],
  create: () => ({ mark: 0, mask: 0, set: false }),
  parse(info, opt, args: ArgReader) {
    if (info.set)
      throw paramError('MARK: Only one of the --set-xmark, --{and,or,xor,set}-mark options is allowed');
    const r = parseXmark('MARK', opt, args.arg());
    info.mark = r.mark;
    info.mask = r.mask;
    info.set = true;
  },
  finalCheck(info) {
    if (!info.set)
      throw paramError('MARK: One of the --set-xmark, --{and,or,xor,set}-mark options is required');
  },
  print: (i) => xmarkText('MARK', i.mark, i.mask),
  save: (i) => ` --set-xmark ${hex(i.mark)}/${hex(i.mask)}`,
  compile: (i) => new MarkTarget(i.mark, i.mask),
};

export { markMaskText };
