// The `ip` tool (iproute2): global options, then an OBJECT matched by prefix in iproute2's table order
// (so `ip a` is `address`, `ip r` is `route`, `ip l` is `link`, `ip n` is `neigh`), then the object's
// own arguments. Objects register themselves with `registerIpObject`.

import { type CommandContext, CommandError, type CommandResult, registerTool } from '../command.js';

export interface IpOptions {
  /** -j / -json */
  json: boolean;
  /** -d / -details */
  details: boolean;
  /** -s / -stats, counted (`-s -s` shows more). */
  stats: number;
  /** -br / -brief */
  brief: boolean;
  /** -p / -pretty (JSON pretty printing) */
  pretty: boolean;
  /** -o / -oneline */
  oneline: boolean;
  /** -4 / -6 / -0 family filter; 0 = any. */
  family: 0 | 4 | 6;
}

export type IpObjectHandler = (
  ctx: CommandContext,
  args: readonly string[],
  opts: IpOptions,
) => CommandResult;

/** iproute2's object table, in its order: prefix matching picks the first entry that matches. */
const OBJECT_ORDER = [
  'address',
  'addrlabel',
  'maddress',
  'route',
  'rule',
  'neighbour',
  'neighbor',
  'ntable',
  'ntbl',
  'link',
  'l2tp',
  'fou',
  'ila',
  'macsec',
  'tunnel',
  'tuntap',
  'tap',
  'token',
  'tcpmetrics',
  'tcp_metrics',
  'monitor',
  'xfrm',
  'mroute',
  'mrule',
  'netns',
  'netconf',
  'vrf',
  'sr',
  'nexthop',
  'mptcp',
  'ioam',
  'help',
  'stats',
];

const objects = new Map<string, IpObjectHandler>();

/** Registers the handler for an object; `name` is its full name in OBJECT_ORDER (e.g. `neighbour`). */
export function registerIpObject(name: string, handler: IpObjectHandler): void {
  objects.set(name, handler);
  if (name === 'neighbour') objects.set('neighbor', handler);
}

/** iproute2's `matches(arg, full)`: arg is a non-empty prefix of full. */
export function matches(arg: string, full: string): boolean {
  return arg.length > 0 && arg.length <= full.length && full.startsWith(arg);
}

function parseGlobalOptions(
  args: readonly string[],
  ctx: CommandContext,
): { opts: IpOptions; rest: number; ctx: CommandContext } {
  const opts: IpOptions = {
    json: false,
    details: false,
    stats: 0,
    brief: false,
    pretty: false,
    oneline: false,
    family: 0,
  };
  let i = 0;
  let c = ctx;
  while (i < args.length) {
    let a = args[i]!;
    if (!a.startsWith('-') || a === '-') break;
    if (a.startsWith('--')) a = a.slice(1);
    const o = a.slice(1);
    if (o === '4') opts.family = 4;
    else if (o === '6') opts.family = 6;
    else if (matches(o, 'json')) opts.json = true;
    else if (matches(o, 'details')) opts.details = true;
    else if (matches(o, 'statistics') || matches(o, 'stats')) opts.stats++;
    else if (o === 'br' || matches(o, 'brief')) opts.brief = true;
    else if (matches(o, 'pretty')) opts.pretty = true;
    else if (matches(o, 'oneline')) opts.oneline = true;
    else if (o === 'c' || matches(o, 'color')) {
      /* colour is a terminal nicety: accepted and ignored */
    } else if (o === 'n' || matches(o, 'netns')) {
      const name = args[++i];
      if (name === undefined) throw new CommandError('Option "-netns" requires an argument', 255);
      const target = ctx.world.namespace(name);
      if (target === undefined)
        throw new CommandError(`Cannot open network namespace "${name}": No such file or directory`, 255);
      c = { world: ctx.world, ns: target };
    } else {
      throw new CommandError(`Option "${args[i]}" is unknown, try "ip -help".`, 255);
    }
    i++;
  }
  return { opts, rest: i, ctx: c };
}

export function ip(ctx: CommandContext, args: readonly string[]): CommandResult {
  const g = parseGlobalOptions(args, ctx);
  const objWord = args[g.rest];
  if (objWord === undefined) throw new CommandError('Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }', 255);
  const full = OBJECT_ORDER.find((o) => matches(objWord, o));
  if (full === undefined) throw new CommandError(`Object "${objWord}" is unknown, try "ip help".`, 255);
  const handler = objects.get(full);
  if (handler === undefined) throw new CommandError(`ip ${full}: not supported by netsim`, 255);
  return handler(g.ctx, args.slice(g.rest + 1), g.opts);
}

/** JSON output the way iproute2 prints it: compact on one line, or indented with -p. */
export function printJson(value: unknown, opts: IpOptions): string {
  return opts.pretty ? `${JSON.stringify(value, null, 4)}\n` : `${JSON.stringify(value)}\n`;
}

registerTool('ip', ip);
