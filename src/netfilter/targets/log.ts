// -j LOG (iptables-extensions(8) "LOG"; kernel net/netfilter/xt_LOG.c, libxt_LOG.c). Instead of the
// kernel log, a record goes to `Netfilter.logSink` (the explanation/trace layer); LOG never ends
// traversal. The prefix is cut to 29 characters as iptables does silently.

import type { PacketCtx } from '../context.js';
import {
  type ArgReader,
  paramError,
  saveString,
  type Target,
  type TargetModule,
  XtError,
} from '../module.js';
import { XT_CONTINUE } from '../verdict.js';

/** Syslog level names as iptables prints them (index = level). */
export const LOG_LEVEL_NAMES = ['emerg', 'alert', 'crit', 'err', 'warn', 'notice', 'info', 'debug'];
/** Names --log-level accepts (libxt_LOG's table, aliases included). */
const LEVEL_INPUT: Record<string, number> = {
  emerg: 0,
  panic: 0,
  alert: 1,
  crit: 2,
  err: 3,
  error: 3,
  warn: 4,
  warning: 4,
  notice: 5,
  info: 6,
  debug: 7,
};
/** --log-tcp-sequence … --log-macdecode flag bits (XT_LOG_*) and names. */
const FLAGS: readonly [string, string, number][] = [
  ['--log-tcp-sequence', 'tcp-sequence', 0x01],
  ['--log-tcp-options', 'tcp-options', 0x02],
  ['--log-ip-options', 'ip-options', 0x04],
  ['--log-uid', 'uid', 0x08],
  ['--log-macdecode', 'macdecode', 0x20],
];

export interface LogInfo {
  level: number;
  prefix: string;
  flags: number;
}

class LogTarget implements Target {
  constructor(
    private readonly prefix: string,
    private readonly level: number,
  ) {}
  exec(ctx: PacketCtx): number {
    const sink = ctx.nf.logSink;
    if (sink !== null) sink.log(ctx, this.prefix, this.level, ctx.nf.lastTable, ctx.lastRule);
    return XT_CONTINUE;
  }
}

export const logModule: TargetModule<LogInfo> = {
  name: 'LOG',
  options: ['--log-level', '--log-prefix', ...FLAGS.map((f) => f[0])],
  create: () => ({ level: 4, prefix: '', flags: 0 }),
  parse(info, opt, args: ArgReader) {
    if (opt === '--log-level') {
      const t = args.arg();
      const n = /^[0-9]+$/.test(t) ? Number(t) : (LEVEL_INPUT[t] ?? -1);
      if (n < 0 || n > 7) throw new XtError(`log level "${t}" unknown`, 'param-nl');
      info.level = n;
    } else if (opt === '--log-prefix') {
      const t = args.arg();
      if (t.length === 0) throw paramError('No prefix specified for --log-prefix');
      info.prefix = t.slice(0, 29);
    } else {
      info.flags |= FLAGS.find((f) => f[0] === opt)![2];
    }
  },
  print(i, _r, numeric) {
    let s = ' LOG';
    if (numeric) s += ` flags ${i.flags} level ${i.level}`;
    else {
      s += ` level ${LOG_LEVEL_NAMES[i.level]}`;
      for (const [, name, bit] of FLAGS) if (i.flags & bit) s += ` ${name}`;
    }
    if (i.prefix !== '') s += ` prefix "${i.prefix}"`;
    return s;
  },
  save(i) {
    let s = '';
    if (i.prefix !== '') s += ` --log-prefix${saveString(i.prefix)}`;
    if (i.level !== 4) s += ` --log-level ${i.level}`;
    for (const [opt, , bit] of FLAGS) if (i.flags & bit) s += ` ${opt}`;
    return s;
  },
  compile: (i) => new LogTarget(i.prefix, i.level),
};
