// `ip link add NAME type ipip [remote ADDR] [local ADDR] [ttl N|inherit] [tos T|inherit] [dev DEV]
// [mode ipip|any] [pmtudisc|nopmtudisc]` (ip-link(8), iproute2 ip/link_iptnl.c) and its `ip -d link`
// output. The host that records fixtures has no ipip module (CONFIG_NET_IPIP is not set), so the
// texts come from the sources:
// - iptunnel_parse_opt: `remote`/`local` take an address or `any`; `ttl`/`hoplimit` 0..255 or
//   `inherit` (`Error: argument "X" is wrong: invalid TTL`); pmtudisc is on unless `nopmtudisc`, and
//   a fixed TTL with nopmtudisc is refused (`ttl != 0 and nopmtudisc are incompatible`); `dev` must
//   exist (`Cannot find device "X"`).
// - The kernel refuses a second tunnel with the same (local, remote, dev) — tunl0 (any, any, none)
//   included, so a bare `ip link add t type ipip` fails: `RTNETLINK answers: File exists`.
// - iptunnel_print_opt: `ipip <proto> remote <A|any> local <A|any> [dev D] ttl <N|inherit>
//   [tos <0xT|inherit>] <pmtudisc|nopmtudisc>`; proto is `ipip`, or `any` for tunl0 (protocol 0).
//   JSON: proto, remote, local, [link], ttl (a number, 0 for inherit), [tos], pmtudisc.

import type { Device } from '../../../net/device.js';
import { createIpip, defaultIpipParms, IpipDevice, type IpipParms } from '../../../net/devices/ipip.js';
import { ipv4ToString, tryParseIpv4 } from '../../../wire/ipv4-address.js';
import { type CommandContext, CommandError } from '../../command.js';
import { registerLinkType } from '../link-types.js';

const USAGE =
  'Usage: ... ipip [ remote ADDR ]\n' +
  '                [ local ADDR ]\n' +
  '                [ ttl TTL ]\n' +
  '                [ tos TOS ]\n' +
  '                [ [no]pmtudisc ]\n' +
  '                [ dev PHYS_DEV ]\n' +
  '                [ mode { ipip | mplsip | any } ]';

function addr(v: string): number {
  if (v === 'any') return 0;
  const a = tryParseIpv4(v);
  if (a < 0) throw new CommandError(`Error: an IP address is expected rather than "${v}"`, 1);
  return a >>> 0;
}

export function parseIpipArgs(ctx: CommandContext, args: readonly string[]): IpipParms {
  const p = defaultIpipParms();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const next = (): string => {
      const v = args[++i];
      if (v === undefined) throw new CommandError('Command line is not complete. Try option "help"', 255);
      return v;
    };
    if (a === 'remote') p.remote = addr(next());
    else if (a === 'local') p.local = addr(next());
    else if (a === 'ttl' || a === 'hoplimit') {
      const v = next();
      if (v === 'inherit') p.ttl = 0;
      else if (/^\d+$/.test(v) && Number(v) <= 255) p.ttl = Number(v);
      else throw new CommandError(`Error: argument "${v}" is wrong: invalid TTL`, 255);
    } else if (a === 'tos' || a === 'tclass' || a === 'dsfield') {
      const v = next();
      if (v === 'inherit') p.tos = 1;
      else if (/^(0x)?[0-9a-f]{1,2}$/i.test(v)) p.tos = Number.parseInt(v, 16);
      else throw new CommandError(`Error: argument "${v}" is wrong: bad TOS value`, 255);
    } else if (a === 'dev') {
      const v = next();
      const d = ctx.ns.device(v);
      if (d === undefined) throw new CommandError(`Cannot find device "${v}"`, 255);
      p.link = d;
    } else if (a === 'mode') {
      const v = next();
      if (v === 'ipip' || v === 'ip4ip4') p.proto = 4;
      else if (v === 'any') p.proto = 0;
      else if (v === 'mplsip') throw new CommandError('netsim: ipip mode mplsip is not modelled', 255);
      else throw new CommandError(`Error: argument "${v}" is wrong: Cannot guess tunnel mode.`, 255);
    } else if (a === 'pmtudisc') p.pmtudisc = true;
    else if (a === 'nopmtudisc') p.pmtudisc = false;
    else if (a === 'help') throw new CommandError(USAGE, 255);
    else throw new CommandError(`${USAGE}`, 255);
  }
  if (p.ttl !== 0 && !p.pmtudisc) throw new CommandError('ttl != 0 and nopmtudisc are incompatible', 255);
  return p;
}

function asIpip(dev: Device): IpipDevice {
  if (!(dev instanceof IpipDevice)) throw new CommandError('RTNETLINK answers: Operation not supported', 2);
  return dev;
}

const PROTO_NAMES: Record<number, string> = { 4: 'ipip', 137: 'mplsip', 0: 'any' };

/** iptunnel_print_opt, text form. */
export function ipipDetails(dev: Device): string {
  const p = asIpip(dev).parms;
  const w: string[] = ['ipip', PROTO_NAMES[p.proto] ?? 'unknown'];
  w.push('remote', p.remote === 0 ? 'any' : ipv4ToString(p.remote));
  w.push('local', p.local === 0 ? 'any' : ipv4ToString(p.local));
  if (p.link !== null) w.push('dev', p.link.name);
  w.push('ttl', p.ttl === 0 ? 'inherit' : String(p.ttl));
  if (p.tos !== 0) w.push('tos', p.tos === 1 ? 'inherit' : `0x${p.tos.toString(16)}`);
  w.push(p.pmtudisc ? 'pmtudisc' : 'nopmtudisc');
  return w.join(' ');
}

/** iptunnel_print_opt, JSON form (`linkinfo.info_data`). */
export function ipipDetailsJson(dev: Device): Record<string, unknown> {
  const p = asIpip(dev).parms;
  const o: Record<string, unknown> = { proto: PROTO_NAMES[p.proto] ?? 'unknown' };
  o.remote = p.remote === 0 ? 'any' : ipv4ToString(p.remote);
  o.local = p.local === 0 ? 'any' : ipv4ToString(p.local);
  if (p.link !== null) o.link = p.link.name;
  o.ttl = p.ttl;
  if (p.tos !== 0) o.tos = `0x${p.tos.toString(16)}`;
  o.pmtudisc = p.pmtudisc;
  return o;
}

registerLinkType('ipip', {
  create(ctx, name, args) {
    const p = parseIpipArgs(ctx, args);
    try {
      return createIpip(ctx.world, ctx.ns, name, p);
    } catch (e) {
      throw new CommandError(
        `RTNETLINK answers: ${(e as Error).message.replace(/^RTNETLINK answers: /, '')}`,
        2,
      );
    }
  },
  checkMtu(_ctx, dev, mtu) {
    const d = asIpip(dev);
    if (d.maxMtu !== 0 && mtu > d.maxMtu)
      throw new CommandError('Error: mtu greater than device maximum.', 2);
  },
  details: ipipDetails,
  detailsJson: ipipDetailsJson,
});
