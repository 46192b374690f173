// `ip route add|append|replace|del|show|flush|get` (ip-route(8)) in iproute2 6.1's text and JSON.
//
// Recorded on Linux 6.18 / iproute2 6.1 (fresh namespaces, IPv6 disabled):
//   default via 10.0.0.2 dev eth0 metric 100
//   10.0.0.0/24 dev eth0 proto kernel scope link src 10.0.0.1
//   10.2.0.0/16 via 10.9.0.2 dev eth0 onlink
//   blackhole 192.168.0.0/24
//   local 10.0.0.1 dev eth0 table local proto kernel scope host src 10.0.0.1     (show table all)
// Fields end with a space; `proto boot` (the default of `ip route add`) and scope universe are not
// printed; `table X` only for non-main tables when not filtering on one table; `linkdown` when the
// device has no carrier. `ip route get` prints `DST [via GW] dev DEV src SRC uid 0 \n    cache `, plus
// `expires 599sec mtu 1400 ` when a PMTU exception exists (Linux 6.18, after a frag-needed).

import type { Device } from '../../net/device.js';
import {
  ERR,
  RT_TABLE,
  RTF,
  RTN,
  RTN_NAMES,
  RTPROT,
  rtprotName,
  rtprotParse,
  SCOPE,
} from '../../net/ipv4/fib.js';
import { OutRoute, RTF_IFADDR, stackOf } from '../../net/ipv4/stack.js';
import { ipv4ToString, tryParseIpv4 } from '../../wire/ipv4-address.js';
import { type CommandContext, CommandError, type CommandResult } from '../command.js';
import { type IpOptions, matches, printJson, registerIpObject } from './index.js';

const ERRNO_TEXT: Readonly<Record<number, string>> = {
  [ERR.ENETUNREACH]: 'Network is unreachable',
  [ERR.EHOSTUNREACH]: 'No route to host',
  [ERR.EACCES]: 'Permission denied',
  [ERR.EINVAL]: 'Invalid argument',
};

export function tableName(id: number): string {
  if (id === RT_TABLE.Local) return 'local';
  if (id === RT_TABLE.Main) return 'main';
  if (id === RT_TABLE.Default) return 'default';
  return String(id);
}

function parseTable(s: string | undefined): number {
  if (s === 'local') return RT_TABLE.Local;
  if (s === 'main') return RT_TABLE.Main;
  if (s === 'default') return RT_TABLE.Default;
  if (s === 'all' || s === 'cache') return 0;
  if (s !== undefined && /^\d+$/.test(s)) return Number(s);
  throw new CommandError(`Error: argument "${s ?? ''}" is wrong: "table" value is invalid\n`);
}

function scopeName(s: number): string {
  if (s === SCOPE.Universe) return 'global';
  if (s === SCOPE.Site) return 'site';
  if (s === SCOPE.Link) return 'link';
  if (s === SCOPE.Host) return 'host';
  if (s === SCOPE.Nowhere) return 'nowhere';
  return String(s);
}

function parseScope(s: string | undefined): number {
  switch (s) {
    case 'global':
    case 'universe':
      return SCOPE.Universe;
    case 'site':
      return SCOPE.Site;
    case 'link':
      return SCOPE.Link;
    case 'host':
      return SCOPE.Host;
    case 'nowhere':
      return SCOPE.Nowhere;
    default:
      if (s !== undefined && /^\d+$/.test(s) && Number(s) <= 255) return Number(s);
      throw new CommandError(`Error: argument "${s ?? ''}" is wrong: invalid "scope" value`);
  }
}

/** `get_prefix`: "default", "A.B.C.D", "A.B.C.D/N". */
function parsePrefix(text: string): { dst: number; plen: number } {
  if (text === 'default' || text === 'all' || text === 'any') return { dst: 0, plen: 0 };
  const slash = text.indexOf('/');
  const a = tryParseIpv4(slash < 0 ? text : text.slice(0, slash));
  const p = slash < 0 ? 32 : /^\d+$/.test(text.slice(slash + 1)) ? Number(text.slice(slash + 1)) : -1;
  if (a < 0 || Number.isNaN(a) || p < 0 || p > 32) {
    throw new CommandError(`Error: any valid prefix is expected rather than "${text}".`);
  }
  return { dst: a >>> 0, plen: p };
}

function parseAddr(text: string | undefined, what: string): number {
  const a = text === undefined ? -1 : tryParseIpv4(text);
  if (a < 0 || Number.isNaN(a))
    throw new CommandError(`Error: inet address is expected rather than "${text ?? ''}".`);
  void what;
  return a >>> 0;
}

function findDev(ctx: CommandContext, name: string | undefined): Device {
  const d = name === undefined ? undefined : ctx.ns.device(name);
  if (d === undefined) throw new CommandError(`Cannot find device "${name ?? ''}"`);
  return d;
}

const TYPES: Readonly<Record<string, number>> = {
  unicast: RTN.Unicast,
  local: RTN.Local,
  broadcast: RTN.Broadcast,
  blackhole: RTN.Blackhole,
  unreachable: RTN.Unreachable,
  prohibit: RTN.Prohibit,
  throw: RTN.Throw,
};

interface Parsed {
  type: number;
  typeGiven: boolean;
  dst: number;
  plen: number;
  dstGiven: boolean;
  gw?: number;
  dev?: Device;
  table?: number;
  metric?: number;
  proto?: number;
  scope?: number;
  src?: number;
  onlink: boolean;
}

function parseRouteArgs(ctx: CommandContext, args: readonly string[]): Parsed {
  const p: Parsed = { type: RTN.Unicast, typeGiven: false, dst: 0, plen: 0, dstGiven: false, onlink: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const next = (): string => {
      const v = args[++i];
      if (v === undefined) throw new CommandError('Command line is not complete. Try option "help"');
      return v;
    };
    if (a === 'via') {
      let v = next();
      if (v === 'inet') v = next();
      p.gw = parseAddr(v, 'via');
    } else if (a === 'dev' || a === 'oif') p.dev = findDev(ctx, next());
    else if (a === 'table') p.table = parseTable(next());
    else if (a === 'metric' || a === 'priority' || a === 'preference') {
      const v = next();
      if (!/^\d+$/.test(v))
        throw new CommandError(`Error: argument "${v}" is wrong: "metric" value is invalid\n`);
      p.metric = Number(v);
    } else if (a === 'proto' || a === 'protocol') {
      const v = next();
      const n = rtprotParse(v);
      if (n < 0) throw new CommandError(`Error: argument "${v}" is wrong: "protocol" value is invalid\n`);
      p.proto = n;
    } else if (a === 'scope') p.scope = parseScope(next());
    else if (a === 'src') p.src = parseAddr(next(), 'src');
    else if (a === 'onlink') p.onlink = true;
    else if (a === 'to') {
      const d = parsePrefix(next());
      p.dst = d.dst;
      p.plen = d.plen;
      p.dstGiven = true;
    } else if (TYPES[a] !== undefined && !p.dstGiven) {
      p.type = TYPES[a]!;
      p.typeGiven = true;
    } else {
      if (p.dstGiven) throw new CommandError(`Error: either "to" is duplicate, or "${a}" is a garbage.`);
      const d = parsePrefix(a);
      p.dst = d.dst;
      p.plen = d.plen;
      p.dstGiven = true;
    }
  }
  return p;
}

function modify(
  ctx: CommandContext,
  args: readonly string[],
  mode: 'add' | 'replace' | 'append',
): CommandResult {
  const st = stackOf(ctx.ns);
  const p = parseRouteArgs(ctx, args);
  if (!p.dstGiven) throw new CommandError('Error: either "to" is duplicate, or "" is a garbage.');
  if ((p.dst & ~(p.plen === 0 ? 0 : (0xffffffff << (32 - p.plen)) >>> 0)) >>> 0 !== 0) {
    throw new CommandError('Error: Invalid prefix for given prefix length.', 2);
  }
  // iproute2's default scope: host for local, link for broadcast and device-only unicast.
  let scope = p.scope;
  if (scope === undefined) {
    if (p.type === RTN.Local) scope = SCOPE.Host;
    else if (p.type === RTN.Broadcast) scope = SCOPE.Link;
    else if (p.type === RTN.Unicast && p.gw === undefined) scope = SCOPE.Link;
    else scope = SCOPE.Universe;
  }
  const table =
    p.table ?? (p.type === RTN.Local || p.type === RTN.Broadcast ? RT_TABLE.Local : RT_TABLE.Main);
  const err = st.routeAdd(
    {
      table: table === 0 ? RT_TABLE.Main : table,
      type: p.type,
      dst: p.dst,
      plen: p.plen,
      metric: p.metric ?? 0,
      devId: p.dev?.id ?? -1,
      gw: p.gw ?? 0,
      prefsrc: p.src ?? 0,
      scope,
      proto: p.proto ?? RTPROT.Boot,
      flags: p.onlink ? RTF.Onlink : 0,
    },
    mode,
  );
  if (err !== null) throw new CommandError(err, 2);
  return { stdout: '' };
}

function del(ctx: CommandContext, args: readonly string[]): CommandResult {
  const st = stackOf(ctx.ns);
  const p = parseRouteArgs(ctx, args);
  const err = st.routeDel({
    table: p.table === undefined || p.table === 0 ? RT_TABLE.Main : p.table,
    dst: p.dst,
    plen: p.plen,
    type: p.typeGiven ? p.type : undefined,
    metric: p.metric,
    devId: p.dev?.id,
    gw: p.gw,
    proto: p.proto,
    scope: p.scope,
    prefsrc: p.src,
  });
  if (err !== null) throw new CommandError(err, 2);
  return { stdout: '' };
}

function routeIds(ctx: CommandContext, p: Parsed): { ids: number[]; oneTable: boolean } {
  const st = stackOf(ctx.ns);
  const fib = st.fib;
  const table = p.table ?? RT_TABLE.Main;
  const ids = fib
    .list(table)
    .filter(
      (id) =>
        (p.dev === undefined || fib.devId[id] === p.dev.id) &&
        (p.proto === undefined || fib.proto[id] === p.proto) &&
        (p.scope === undefined || fib.scope[id] === p.scope) &&
        (!p.typeGiven || fib.type[id] === p.type) &&
        (!p.dstGiven || (fib.dst[id] === p.dst && fib.plen[id] === p.plen)),
    );
  return { ids, oneTable: table !== 0 };
}

function show(ctx: CommandContext, args: readonly string[], opts: IpOptions): CommandResult {
  const st = stackOf(ctx.ns);
  const fib = st.fib;
  const w = ctx.world;
  const p = parseRouteArgs(ctx, args);
  if (p.table !== undefined && p.table !== 0 && fib.getTable(p.table, false) === undefined) {
    throw new CommandError('Error: ipv4: FIB table does not exist.\nDump terminated', 2);
  }
  const { ids, oneTable } = routeIds(ctx, p);
  const rows: Record<string, unknown>[] = [];
  let text = '';
  for (const id of ids) {
    const type = fib.type[id]!;
    const devId = fib.devId[id]!;
    const dev = devId >= 0 ? w.devices[devId] : undefined;
    const tbl = fib.table[id]!;
    const plen = fib.plen[id]!;
    const dst =
      plen === 0
        ? 'default'
        : plen === 32
          ? ipv4ToString(fib.dst[id]!)
          : `${ipv4ToString(fib.dst[id]!)}/${plen}`;
    const flags: string[] = [];
    if ((fib.flags[id]! & RTF.Onlink) !== 0) flags.push('onlink');
    if (dev !== undefined && dev.adminUp && !dev.carrier && fib.scope[id] !== SCOPE.Host)
      flags.push('linkdown');
    const row: Record<string, unknown> = {};
    let line = '';
    if (type !== RTN.Unicast) {
      row.type = RTN_NAMES[type];
      line += `${RTN_NAMES[type]} `;
    }
    row.dst = dst;
    line += `${dst} `;
    if (fib.gw[id] !== 0) {
      row.gateway = ipv4ToString(fib.gw[id]!);
      line += `via ${row.gateway} `;
    }
    if (dev !== undefined) {
      row.dev = dev.name;
      line += `dev ${dev.name} `;
    }
    if (tbl !== RT_TABLE.Main && !oneTable) {
      row.table = tableName(tbl);
      line += `table ${row.table} `;
    }
    if (fib.proto[id] !== RTPROT.Boot) {
      row.protocol = rtprotName(fib.proto[id]!);
      line += `proto ${row.protocol} `;
    }
    if (fib.scope[id] !== SCOPE.Universe) {
      row.scope = scopeName(fib.scope[id]!);
      line += `scope ${row.scope} `;
    }
    if (fib.prefsrc[id] !== 0) {
      row.prefsrc = ipv4ToString(fib.prefsrc[id]!);
      line += `src ${row.prefsrc} `;
    }
    if (fib.metric[id] !== 0) {
      row.metric = fib.metric[id];
      line += `metric ${row.metric} `;
    }
    for (const f of flags) line += `${f} `;
    row.flags = flags;
    rows.push(row);
    text += `${line}\n`;
  }
  return { stdout: opts.json ? printJson(rows, opts) : text };
}

function flush(ctx: CommandContext, args: readonly string[]): CommandResult {
  const st = stackOf(ctx.ns);
  const p = parseRouteArgs(ctx, args);
  const { ids } = routeIds(ctx, p);
  for (const id of ids) st.fib.remove(id);
  return { stdout: '' };
}

/** `ip route get ADDR [from SRC] [iif DEV] [oif DEV]`. */
function get(ctx: CommandContext, args: readonly string[], opts: IpOptions): CommandResult {
  const st = stackOf(ctx.ns);
  const fib = st.fib;
  const w = ctx.world;
  let dstText: string | undefined;
  let from = 0;
  let iif: Device | undefined;
  let oif: Device | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === 'from') from = parseAddr(args[++i], 'from');
    else if (a === 'iif') iif = findDev(ctx, args[++i]);
    else if (a === 'oif' || a === 'dev') oif = findDev(ctx, args[++i]);
    else if (a === 'to') dstText = args[++i];
    else dstText = a;
  }
  if (dstText === undefined) throw new CommandError('need at least a destination address');
  const dst = parsePrefix(dstText).dst;
  const row: Record<string, unknown> = {};
  let line = '';
  const cache: string[] = [];
  if (iif !== undefined) {
    // Input route: what ip_route_input_slow decides for a packet arriving on iif.
    const r = fib.lookup(dst);
    const type = r >= 0 ? fib.type[r]! : RTN.Unspec;
    if (type === RTN.Local || type === RTN.Broadcast) {
      row.type = RTN_NAMES[type];
      line += `${RTN_NAMES[type]} `;
      cache.push('local');
      if (type === RTN.Broadcast) cache.push('brd');
    } else if (r < 0 || type !== RTN.Unicast || !st.forwardingOn(iif.id)) {
      const e = !st.forwardingOn(iif.id) ? ERR.EHOSTUNREACH : r < 0 ? ERR.ENETUNREACH : ERR.EHOSTUNREACH;
      throw new CommandError(`RTNETLINK answers: ${ERRNO_TEXT[e]}`, 2);
    }
    row.dst = ipv4ToString(dst);
    line += `${row.dst} `;
    if (from !== 0) {
      row.from = ipv4ToString(from);
      line += `from ${row.from} `;
    }
    if (type === RTN.Unicast && fib.gw[r] !== 0) {
      row.gateway = ipv4ToString(fib.gw[r]!);
      line += `via ${row.gateway} `;
    }
    const devName = type === RTN.Local ? ctx.ns.lo.name : w.devices[fib.devId[r]!]!.name;
    row.dev = devName;
    line += `dev ${devName} `;
    if (type === RTN.Unicast && fib.devId[r] === iif.id) cache.push('redirect');
    row.flags = [];
    row.cache = cache;
    row.iif = iif.name;
    const c = cache.length > 0 ? `<${cache.join(',')}> ` : '';
    return { stdout: opts.json ? printJson([row], opts) : `${line}\n    cache ${c}iif ${iif.name} \n` };
  }
  const out = new OutRoute();
  const err = st.routeOutput(dst, from, oif?.id ?? -1, out);
  if (err !== 0) throw new CommandError(`RTNETLINK answers: ${ERRNO_TEXT[err] ?? 'Invalid argument'}`, 2);
  if (out.type === RTN.Local || out.type === RTN.Broadcast) {
    row.type = RTN_NAMES[out.type];
    line += `${RTN_NAMES[out.type]} `;
    cache.push('local');
    if (out.type === RTN.Broadcast) cache.push('brd');
  }
  row.dst = ipv4ToString(dst);
  line += `${row.dst} `;
  if (from !== 0) {
    row.from = ipv4ToString(from);
    line += `from ${row.from} `;
  }
  if (out.type === RTN.Unicast && out.nexthop !== dst) {
    row.gateway = ipv4ToString(out.nexthop);
    line += `via ${row.gateway} `;
  }
  row.dev = w.devices[out.devId]!.name;
  line += `dev ${row.dev} `;
  if (from === 0) {
    row.prefsrc = ipv4ToString(out.src);
    line += `src ${row.prefsrc} `;
  }
  row.flags = [];
  row.uid = 0;
  row.cache = cache;
  line += 'uid 0 ';
  const c = cache.length > 0 ? `<${cache.join(',')}> ` : '';
  // A PMTU exception (rt_fill_info: RTA_CACHEINFO expires, RTAX_MTU with its lock bit).
  let pm = '';
  const ex = out.type === RTN.Unicast ? st.pmtuException(dst) : null;
  if (ex !== null) {
    row.expires = ex.expiresS;
    row.metrics = [{ mtu: ex.mtu }];
    pm = `expires ${ex.expiresS}sec mtu ${ex.locked ? 'lock ' : ''}${ex.mtu} `;
  }
  return { stdout: opts.json ? printJson([row], opts) : `${line}\n    cache ${c}${pm}\n` };
}

export function ipRoute(ctx: CommandContext, args: readonly string[], opts: IpOptions): CommandResult {
  const cmd = args[0];
  const rest = args.slice(1);
  if (cmd === undefined || matches(cmd, 'list') || matches(cmd, 'show') || cmd === 'lst')
    return show(ctx, rest, opts);
  if (matches(cmd, 'add')) return modify(ctx, rest, 'add');
  if (matches(cmd, 'append')) return modify(ctx, rest, 'append');
  if (matches(cmd, 'replace')) return modify(ctx, rest, 'replace');
  if (matches(cmd, 'change')) return modify(ctx, rest, 'replace');
  if (matches(cmd, 'delete')) return del(ctx, rest);
  if (matches(cmd, 'flush')) return flush(ctx, rest);
  if (matches(cmd, 'get')) return get(ctx, rest, opts);
  throw new CommandError(`Command "${cmd}" is unknown, try "ip route help".`);
}

export { RTF_IFADDR };

registerIpObject('route', ipRoute);
