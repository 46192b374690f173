// `ip neigh add|replace|change|del|flush|show` (ip-neighbour(8)) in iproute2 6.1's text and JSON.
//
// Recorded on Linux 6.18 / iproute2 6.1:
//   10.0.0.50 dev eth0 lladdr 02:00:00:00:00:55 PERMANENT
//   10.0.0.77 dev eth0 INCOMPLETE
//   [{"dst":"10.0.0.50","dev":"eth0","lladdr":"02:00:00:00:00:55","state":["PERMANENT"]}, …]
// NOARP entries are hidden unless `nud all`; `flush` keeps PERMANENT and NOARP entries. The kernel
// lists entries in hash-bucket order (seeded randomly per boot); netsim lists them in creation order.

import { Drop } from '../../net/drop-reason.js';
import { NEIGH_UPDATE, NUD, nudName } from '../../net/ipv4/neighbour.js';
import { stackOf } from '../../net/ipv4/stack.js';
import { ipv4ToString, tryParseIpv4 } from '../../wire/ipv4-address.js';
import { macToString, tryParseMac } from '../../wire/mac.js';
import { type CommandContext, CommandError, type CommandResult } from '../command.js';
import { type IpOptions, matches, printJson, registerIpObject } from './index.js';

const NUD_BY_NAME: Readonly<Record<string, number>> = {
  permanent: NUD.Permanent,
  reachable: NUD.Reachable,
  stale: NUD.Stale,
  delay: NUD.Delay,
  probe: NUD.Probe,
  failed: NUD.Failed,
  incomplete: NUD.Incomplete,
  noarp: NUD.Noarp,
  none: NUD.None,
};

function modify(
  ctx: CommandContext,
  args: readonly string[],
  mode: 'add' | 'replace' | 'change',
): CommandResult {
  let dst = -1;
  let devName: string | undefined;
  let mac: { hi: number; lo: number } | null = null;
  let state: number = NUD.Permanent;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === 'dev') devName = args[++i];
    else if (a === 'lladdr') {
      const v = args[++i] ?? '';
      mac = tryParseMac(v);
      if (mac === null) throw new CommandError(`"${v}" is invalid lladdr.`);
    } else if (a === 'nud') {
      const v = args[++i] ?? '';
      const s = NUD_BY_NAME[v];
      if (s === undefined) throw new CommandError(`Error: argument "${v}" is wrong: nud state is bad`);
      state = s;
    } else if (a === 'to') dst = tryParseIpv4(args[++i] ?? '');
    else if (a === 'proxy' || a === 'router' || a === 'extern_learn') {
      /* not modelled */
    } else dst = tryParseIpv4(a);
  }
  if (devName === undefined || dst < 0 || Number.isNaN(dst)) {
    throw new CommandError('Device and destination are required arguments.', 255);
  }
  const dev = ctx.ns.device(devName);
  if (dev === undefined) throw new CommandError(`Cannot find device "${devName}"`);
  const st = stackOf(ctx.ns);
  const neigh = st.neigh;
  let n = neigh.lookup(dev.id, dst >>> 0);
  if (n >= 0 && mode === 'add') throw new CommandError('RTNETLINK answers: File exists', 2);
  if (n < 0 && mode === 'change') throw new CommandError('RTNETLINK answers: No such file or directory', 2);
  if (n < 0) n = neigh.create(dev, dst >>> 0);
  neigh.update(
    n,
    mac !== null,
    mac?.hi ?? 0,
    mac?.lo ?? 0,
    state,
    NEIGH_UPDATE.Admin | NEIGH_UPDATE.Override,
  );
  return { stdout: '' };
}

function del(ctx: CommandContext, args: readonly string[]): CommandResult {
  let dst = -1;
  let devName: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === 'dev') devName = args[++i];
    else if (a === 'lladdr' || a === 'nud') i++;
    else dst = tryParseIpv4(a === 'to' ? (args[++i] ?? '') : a);
  }
  if (devName === undefined || dst < 0 || Number.isNaN(dst)) {
    throw new CommandError('Device and destination are required arguments.', 255);
  }
  const dev = ctx.ns.device(devName);
  if (dev === undefined) throw new CommandError(`Cannot find device "${devName}"`);
  const neigh = stackOf(ctx.ns).neigh;
  const n = neigh.lookup(dev.id, dst >>> 0);
  if (n < 0) throw new CommandError('RTNETLINK answers: No such file or directory', 2);
  neigh.destroy(n, Drop.NotSpecified);
  return { stdout: '' };
}

interface Filter {
  devId?: number;
  dst?: number;
  states: number;
}

function parseFilter(ctx: CommandContext, args: readonly string[], dflt: number): Filter {
  const f: Filter = { states: dflt };
  let nudGiven = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === 'dev') {
      const name = args[++i] ?? '';
      const d = ctx.ns.device(name);
      if (d === undefined) throw new CommandError(`Cannot find device "${name}"`);
      f.devId = d.id;
    } else if (a === 'nud') {
      const v = args[++i] ?? '';
      const s = v === 'all' ? 0xff : NUD_BY_NAME[v];
      if (s === undefined) throw new CommandError(`Error: argument "${v}" is wrong: nud state is bad`);
      f.states = nudGiven ? f.states | s : s;
      nudGiven = true;
    } else if (a === 'to') f.dst = tryParseIpv4(args[++i] ?? '') >>> 0;
    else {
      const x = tryParseIpv4(a);
      if (x >= 0 && !Number.isNaN(x)) f.dst = x >>> 0;
    }
  }
  return f;
}

function selected(ctx: CommandContext, f: Filter): number[] {
  const neigh = stackOf(ctx.ns).neigh;
  return neigh.liveIds().filter((n) => {
    const s = neigh.state[n]!;
    if (s === NUD.None) return false;
    if ((s & f.states) === 0) return false;
    if (f.devId !== undefined && neigh.devId[n] !== f.devId) return false;
    if (f.dst !== undefined && neigh.addr[n] !== f.dst) return false;
    return true;
  });
}

function show(ctx: CommandContext, args: readonly string[], opts: IpOptions): CommandResult {
  const f = parseFilter(ctx, args, 0xff & ~NUD.Noarp);
  const neigh = stackOf(ctx.ns).neigh;
  const w = ctx.world;
  const rows: Record<string, unknown>[] = [];
  let text = '';
  for (const n of selected(ctx, f)) {
    const s = neigh.state[n]!;
    const row: Record<string, unknown> = { dst: ipv4ToString(neigh.addr[n]!) };
    let line = `${row.dst} `;
    if (f.devId === undefined) {
      row.dev = w.devices[neigh.devId[n]!]!.name;
      line += `dev ${row.dev} `;
    }
    if ((s & (NUD.Incomplete | NUD.Failed | NUD.None)) === 0) {
      row.lladdr = macToString(neigh.macHi[n]!, neigh.macLo[n]!);
      line += `lladdr ${row.lladdr} `;
    }
    row.state = [nudName(s)];
    line += `${nudName(s)} `;
    rows.push(row);
    text += `${line}\n`;
  }
  return { stdout: opts.json ? printJson(rows, opts) : text };
}

function flush(ctx: CommandContext, args: readonly string[]): CommandResult {
  const f = parseFilter(ctx, args, 0xff & ~(NUD.Noarp | NUD.Permanent));
  const neigh = stackOf(ctx.ns).neigh;
  for (const n of selected(ctx, f)) neigh.destroy(n, Drop.NotSpecified);
  return { stdout: '' };
}

export function ipNeigh(ctx: CommandContext, args: readonly string[], opts: IpOptions): CommandResult {
  const cmd = args[0];
  const rest = args.slice(1);
  if (cmd === undefined || matches(cmd, 'show') || matches(cmd, 'list') || cmd === 'lst')
    return show(ctx, rest, opts);
  if (matches(cmd, 'add')) return modify(ctx, rest, 'add');
  if (matches(cmd, 'replace')) return modify(ctx, rest, 'replace');
  if (matches(cmd, 'change')) return modify(ctx, rest, 'change');
  if (matches(cmd, 'delete')) return del(ctx, rest);
  if (matches(cmd, 'flush')) return flush(ctx, rest);
  throw new CommandError(`Command "${cmd}" is unknown, try "ip neigh help".`);
}

registerIpObject('neighbour', ipNeigh);
