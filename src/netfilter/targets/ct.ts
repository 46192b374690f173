// -j CT [--notrack] and -j NOTRACK (iptables-extensions(8) "CT", "NOTRACK"; kernel xt_CT.c, raw table
// only). --notrack marks the packet untracked: the conntrack hook (priority −200, after raw) must see
// ctx.notrack and leave it alone. CT's other options (--zone, --helper, …) are not emulated.

import { CtState, type PacketCtx } from '../context.js';
import type { ArgReader, Target, TargetModule } from '../module.js';
import { XT_CONTINUE } from '../verdict.js';

export interface CtInfo {
  notrack: boolean;
}

class NotrackTarget implements Target {
  exec(ctx: PacketCtx): number {
    ctx.notrack = 1;
    ctx.ctState = CtState.Untracked;
    return XT_CONTINUE;
  }
}

class CtNoopTarget implements Target {
  exec(): number {
    return XT_CONTINUE;
  }
}

export const ctModule: TargetModule<CtInfo> = {
  name: 'CT',
  options: ['--notrack'],
  table: 'raw',
  create: () => ({ notrack: false }),
  parse(info, _opt, _args: ArgReader) {
    info.notrack = true;
  },
  print: (i) => (i.notrack ? ' CT notrack' : ' CT'),
  save: (i) => (i.notrack ? ' --notrack' : ''),
  compile: (i) => (i.notrack ? new NotrackTarget() : new CtNoopTarget()),
};

export const notrackModule: TargetModule<CtInfo> = {
  name: 'NOTRACK',
  options: [],
  table: 'raw',
  create: () => ({ notrack: true }),
  parse() {},
  print: () => ' NOTRACK',
  save: () => '',
  compile: () => new NotrackTarget(),
};
