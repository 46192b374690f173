// `ip addr add|del|flush|show` (ip-address(8)) in iproute2 6.1's text and JSON.
//
// Recorded on Linux 6.18 / iproute2 6.1 (fresh namespace, IPv6 disabled; test/control/ip-addr.test.ts):
//     inet 10.0.0.1/24 scope global eth0
//        valid_lft forever preferred_lft forever
//     inet 172.16.0.1/12 brd 172.31.255.255 scope global eth0:x
//     inet 10.0.0.7/24 scope global secondary eth0
// JSON addr_info: {"family":"inet","local":…,"prefixlen":…,["broadcast":…,]"scope":…,["secondary":true,]
// "label":…,"valid_life_time":4294967295,"preferred_life_time":4294967295}.
// The link part of each entry is `ip link show`'s (src/control/ip/link-show.ts).

import type { Device } from '../../net/device.js';
import { IpvlanDevice } from '../../net/devices/ipvlan.js';
import type { IfAddr } from '../../net/ipv4/address.js';
import { SCOPE } from '../../net/ipv4/fib.js';
import { stackOf } from '../../net/ipv4/stack.js';
import { ipv4ToString, tryParseIpv4 } from '../../wire/ipv4-address.js';
import { type CommandContext, CommandError, type CommandResult } from '../command.js';
import { type IpOptions, matches, printJson, registerIpObject } from './index.js';
import { showLinks } from './link-show.js';

const FOREVER = 4294967295;

function scopeName(s: number): string {
  if (s === SCOPE.Universe) return 'global';
  if (s === SCOPE.Site) return 'site';
  if (s === SCOPE.Link) return 'link';
  if (s === SCOPE.Host) return 'host';
  if (s === SCOPE.Nowhere) return 'nowhere';
  return String(s);
}

function parseScope(s: string | undefined): number {
  const m: Record<string, number> = { global: 0, universe: 0, site: 200, link: 253, host: 254, nowhere: 255 };
  if (s !== undefined && m[s] !== undefined) return m[s]!;
  if (s !== undefined && /^\d+$/.test(s) && Number(s) <= 255) return Number(s);
  throw new CommandError(`Error: argument "${s ?? ''}" is wrong: invalid scope value.`);
}

function parseLocal(text: string): { local: number; plen: number; plenGiven: boolean } {
  const slash = text.indexOf('/');
  const a = tryParseIpv4(slash < 0 ? text : text.slice(0, slash));
  const ps = slash < 0 ? '32' : text.slice(slash + 1);
  const p = /^\d+$/.test(ps) ? Number(ps) : -1;
  if (a < 0 || Number.isNaN(a) || p < 0 || p > 32) {
    throw new CommandError(`Error: any valid prefix is expected rather than "${text}".`);
  }
  return { local: a >>> 0, plen: p, plenGiven: slash >= 0 };
}

interface AddrArgs {
  local?: { local: number; plen: number; plenGiven: boolean };
  dev?: Device;
  broadcast?: number | '+' | '-';
  scope?: number;
  label?: string;
}

function parseArgs(ctx: CommandContext, args: readonly string[]): AddrArgs {
  const r: AddrArgs = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const next = (): string => {
      const v = args[++i];
      if (v === undefined) throw new CommandError('Command line is not complete. Try option "help"');
      return v;
    };
    if (a === 'dev') {
      const n = next();
      const d = ctx.ns.device(n);
      if (d === undefined) throw new CommandError(`Cannot find device "${n}"`);
      r.dev = d;
    } else if (matches(a, 'broadcast') || a === 'brd') {
      const v = next();
      if (v === '+' || v === '-') r.broadcast = v;
      else {
        const b = tryParseIpv4(v);
        if (b < 0 || Number.isNaN(b))
          throw new CommandError(`Error: inet address is expected rather than "${v}".`);
        r.broadcast = b >>> 0;
      }
    } else if (a === 'scope') r.scope = parseScope(next());
    else if (a === 'label') r.label = next();
    else if (a === 'local') r.local = parseLocal(next());
    else if (a === 'valid_lft' || a === 'preferred_lft') next();
    else if (a === 'noprefixroute' || a === 'nodad' || a === 'home') {
      /* accepted */
    } else r.local = parseLocal(a);
  }
  return r;
}

function add(ctx: CommandContext, args: readonly string[]): CommandResult {
  const p = parseArgs(ctx, args);
  if (p.dev === undefined) throw new CommandError('Not enough information: "dev" argument is required.');
  if (p.local === undefined) throw new CommandError('RTNETLINK answers: Invalid argument', 2);
  const { local, plen } = p.local;
  const mask = plen === 0 ? 0 : (0xffffffff << (32 - plen)) >>> 0;
  let brd = 0;
  if (p.broadcast === '+') brd = plen < 31 ? (local | ~mask) >>> 0 : 0;
  else if (p.broadcast === '-') brd = plen < 31 ? (local & mask) >>> 0 : 0;
  else if (typeof p.broadcast === 'number') brd = p.broadcast;
  const ifa: IfAddr = {
    devId: p.dev.id,
    local,
    plen,
    broadcast: brd,
    scope: p.scope ?? (local >>> 24 === 127 ? SCOPE.Host : SCOPE.Universe),
    label: p.label ?? p.dev.name,
    secondary: false,
  };
  // ipvlan_addr4_validator_event: a sibling ipvlan already holds the address (EADDRINUSE). The same
  // device holding it is __inet_insert_ifa's "Address already assigned." first.
  const dev = p.dev;
  if (
    dev instanceof IpvlanDevice &&
    !stackOf(ctx.ns).addrs.hasOnDev(dev.id, local) &&
    dev.port.addrBusy(local, dev)
  )
    throw new CommandError('Error: Address already assigned to an ipvlan device.', 2);
  const err = stackOf(ctx.ns).addAddress(ifa);
  if (err !== null) throw new CommandError(err, 2);
  return { stdout: '' };
}

function del(ctx: CommandContext, args: readonly string[]): CommandResult {
  const p = parseArgs(ctx, args);
  if (p.dev === undefined) throw new CommandError('Not enough information: "dev" argument is required.');
  const st = stackOf(ctx.ns);
  const list = st.addrs.list(p.dev.id);
  let stderr = '';
  const target = list.find(
    (a) =>
      p.local === undefined || (a.local === p.local.local && (!p.local.plenGiven || a.plen === p.local.plen)),
  );
  if (p.local !== undefined && !p.local.plenGiven) {
    stderr =
      'Warning: Executing wildcard deletion to stay compatible with old scripts.\n' +
      `         Explicitly specify the prefix length (${ipv4ToString(p.local.local)}/32) to avoid this warning.\n` +
      '         This special behaviour is likely to disappear in further releases,\n' +
      '         fix your scripts!\n';
  }
  if (target === undefined) throw new CommandError('Error: ipv4: Address not found.', 2);
  st.removeAddress(target);
  void stderr;
  return { stdout: '' };
}

function flush(ctx: CommandContext, args: readonly string[]): CommandResult {
  const p = parseArgs(ctx, args);
  const st = stackOf(ctx.ns);
  const devs = p.dev !== undefined ? [p.dev] : ctx.ns.devices;
  for (const d of devs) {
    for (const a of [...st.addrs.list(d.id)]) {
      if (p.scope !== undefined && a.scope !== p.scope) continue;
      if (st.addrs.list(d.id).includes(a)) st.removeAddress(a);
    }
  }
  return { stdout: '' };
}

function addrLines(ifa: IfAddr): string {
  let s = `    inet ${ipv4ToString(ifa.local)}/${ifa.plen} `;
  if (ifa.broadcast !== 0) s += `brd ${ipv4ToString(ifa.broadcast)} `;
  s += `scope ${scopeName(ifa.scope)} `;
  if (ifa.secondary) s += 'secondary ';
  s += `${ifa.label}\n       valid_lft forever preferred_lft forever\n`;
  return s;
}

function addrJson(ifa: IfAddr): Record<string, unknown> {
  const o: Record<string, unknown> = { family: 'inet', local: ipv4ToString(ifa.local), prefixlen: ifa.plen };
  if (ifa.broadcast !== 0) o.broadcast = ipv4ToString(ifa.broadcast);
  o.scope = scopeName(ifa.scope);
  if (ifa.secondary) o.secondary = true;
  o.label = ifa.label;
  o.valid_life_time = FOREVER;
  o.preferred_life_time = FOREVER;
  return o;
}

function show(ctx: CommandContext, args: readonly string[], opts: IpOptions): CommandResult {
  let devName: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === 'dev') devName = args[++i];
    else if (a !== 'up') devName = a;
  }
  const st = stackOf(ctx.ns);
  const linkArgs = devName === undefined ? [] : ['dev', devName];
  const devs =
    devName === undefined
      ? [...ctx.ns.devices].sort((a, b) => a.ifindex - b.ifindex)
      : [ctx.ns.device(devName)!];
  if (opts.json) {
    const links = JSON.parse(
      showLinks(ctx, linkArgs, { ...opts, json: true, pretty: false }).stdout,
    ) as Record<string, unknown>[];
    for (let i = 0; i < links.length; i++) links[i]!.addr_info = st.addrs.list(devs[i]!.id).map(addrJson);
    return { stdout: printJson(links, opts) };
  }
  if (opts.brief) {
    const lines = showLinks(ctx, linkArgs, { ...opts, brief: true }).stdout.split('\n');
    let out = '';
    devs.forEach((d, i) => {
      const l = (lines[i] ?? '').slice(0, 32).padEnd(32, ' ');
      out += `${l}${st.addrs
        .list(d.id)
        .map((a) => `${ipv4ToString(a.local)}/${a.plen} `)
        .join('')}\n`;
    });
    return { stdout: out };
  }
  const linkText = showLinks(ctx, linkArgs, { ...opts, json: false }).stdout;
  // Each device's block starts with "N: name"; split on that and append the inet lines.
  const blocks = linkText.split(/\n(?=\d+: )/);
  let out = '';
  blocks.forEach((b, i) => {
    const d = devs[i];
    let block = b.endsWith('\n') ? b : `${b}\n`;
    if (opts.family === 4) block = block.replace(/\n {4}link\/.*\n/, '\n');
    out += block;
    if (d !== undefined) for (const a of st.addrs.list(d.id)) out += addrLines(a);
  });
  return { stdout: out };
}

export function ipAddr(ctx: CommandContext, args: readonly string[], opts: IpOptions): CommandResult {
  const cmd = args[0];
  const rest = args.slice(1);
  if (cmd === undefined || matches(cmd, 'show') || matches(cmd, 'list') || cmd === 'lst')
    return show(ctx, rest, opts);
  if (matches(cmd, 'add')) return add(ctx, rest);
  if (matches(cmd, 'delete')) return del(ctx, rest);
  if (matches(cmd, 'flush')) return flush(ctx, rest);
  if (matches(cmd, 'replace')) {
    try {
      return add(ctx, rest);
    } catch (e) {
      if (e instanceof CommandError && e.message.includes('already assigned')) return { stdout: '' };
      throw e;
    }
  }
  throw new CommandError(`Command "${cmd}" is unknown, try "ip address help".`);
}

registerIpObject('address', ipAddr);
