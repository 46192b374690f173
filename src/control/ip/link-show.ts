// `ip link show` in iproute2 6.1's text, brief (-br), JSON (-j) and statistics (-s) forms.

import { type Device, DevKind } from '../../net/device.js';
import type { IpipDevice } from '../../net/devices/ipip.js';
import type { PairedDevice } from '../../net/devices/veth.js';
import { ipv4ToString } from '../../wire/ipv4-address.js';
import { macToString } from '../../wire/mac.js';
import { type CommandContext, CommandError, type CommandResult } from '../command.js';
import { type IpOptions, matches, printJson } from './index.js';
import { linkType, slaveKindOf, slaveType } from './link-types.js';

/** The peer of a veth end, or the parent (IFLA_LINK) of a stacked device (macvlan, ipvlan, vlan), or null. */
function peerOf(dev: Device): Device | null {
  if (dev.kind === DevKind.Veth) return (dev as PairedDevice).peer ?? null;
  return (dev as { lowerDev?: Device }).lowerDev ?? null;
}

/** Interface flags in print_link_flags order; NO-CARRIER first and M-DOWN last as iproute2 prints. */
function linkFlags(dev: Device): { list: string[]; noCarrier: boolean; mDown: boolean } {
  const list: string[] = [];
  if (dev.kind === DevKind.Loopback) list.push('LOOPBACK');
  else if (dev.kind === DevKind.Ipip) {
    // ARPHRD_TUNNEL: IFF_NOARP, plus IFF_POINTOPOINT with a remote address.
    if ((dev as IpipDevice).pointToPoint) list.push('POINTOPOINT');
    list.push('NOARP');
  } else {
    list.push('BROADCAST');
    if (dev.kind === DevKind.Dummy) list.push('NOARP');
    else list.push('MULTICAST');
    if (dev.noArp && dev.kind !== DevKind.Dummy) list.push('NOARP');
  }
  if (dev.promisc) list.push('PROMISC');
  if (dev.adminUp) {
    list.push('UP');
    if (dev.carrier) list.push('LOWER_UP');
  }
  const peer = peerOf(dev);
  return {
    list,
    noCarrier: dev.adminUp && !dev.carrier,
    mDown: peer !== null && peer.ns === dev.ns && !peer.adminUp,
  };
}

function qdiscOf(dev: Device): string {
  if (!dev.everUp) return 'noop';
  return dev.kind === DevKind.Ether ? 'fq_codel' : 'noqueue';
}

/** `state` word: lo and dummies have no carrier notion (UNKNOWN); a bridge without ports is UNKNOWN. */
function operState(dev: Device): string {
  if (!dev.adminUp) return 'DOWN';
  if (!dev.carrier) {
    // rfc2863_policy → default_operstate: no carrier is LOWERLAYERDOWN when the device has a link to
    // another device (dev_get_iflink: a veth peer, the lower device of a vlan/macvlan/ipvlan) whose
    // ifindex differs from its own, else DOWN.
    const peer = peerOf(dev);
    return peer !== null && peer.ifindex !== dev.ifindex ? 'LOWERLAYERDOWN' : 'DOWN';
  }
  return dev.operState;
}

function displayName(dev: Device): string {
  // A tunnel always reports IFLA_LINK (parms.link): 0 prints as `@NONE`.
  if (dev.kind === DevKind.Ipip) return `${dev.name}@${(dev as IpipDevice).parms.link?.name ?? 'NONE'}`;
  const peer = peerOf(dev);
  if (peer === null) return dev.name;
  return peer.ns === dev.ns ? `${dev.name}@${peer.name}` : `${dev.name}@if${peer.ifindex}`;
}

function linkTypeWord(dev: Device): string {
  if (dev.kind === DevKind.Ipip) return 'ipip';
  return dev.kind === DevKind.Loopback ? 'loopback' : 'ether';
}

/** The link-layer address: a tunnel's is its `local` IPv4 address (dev_addr, 4 bytes). */
function macText(dev: Device): string {
  if (dev.kind === DevKind.Ipip) return ipv4ToString((dev as IpipDevice).parms.local);
  return macToString(dev.macHi, dev.macLo);
}

/** The broadcast address; a tunnel's is its `remote` (printed after `peer` when POINTOPOINT). */
function brdText(dev: Device): string {
  if (dev.kind === DevKind.Ipip) return ipv4ToString((dev as IpipDevice).parms.remote);
  return dev.kind === DevKind.Loopback ? '00:00:00:00:00:00' : 'ff:ff:ff:ff:ff:ff';
}

function statsText(dev: Device, c: CommandContext['world']['counters']): string {
  const rx = [c.rxBytes[dev.id]!, c.rxPackets[dev.id]!, 0, c.rxDropped[dev.id]!, 0, 0];
  const tx = [c.txBytes[dev.id]!, c.txPackets[dev.id]!, 0, c.txDropped[dev.id]!, 0, 0];
  const widths = [10, 8, 7, 8, 8, 8];
  for (let i = 0; i < 6; i++) {
    widths[i] = Math.max(widths[i]!, String(rx[i]).length + 1, String(tx[i]).length + 1);
  }
  const head = (label: string, names: string[]): string => {
    let s = `    ${label}:`;
    for (let i = 0; i < 6; i++) {
      const w = i === 0 ? widths[0]! - label.length - 1 : widths[i]!;
      s += names[i]!.padStart(w);
    }
    return `${s}           \n`;
  };
  const vals = (v: number[]): string => {
    let s = '    ';
    for (let i = 0; i < 6; i++) s += String(v[i]).padStart(widths[i]!);
    return `${s} \n`;
  };
  return (
    head('RX', [' bytes', 'packets', 'errors', 'dropped', 'missed', 'mcast']) +
    vals(rx) +
    head('TX', [' bytes', 'packets', 'errors', 'dropped', 'carrier', 'collsns']) +
    vals(tx)
  );
}

function linkJson(dev: Device, opts: IpOptions, ctx: CommandContext): Record<string, unknown> {
  const f = linkFlags(dev);
  const o: Record<string, unknown> = { ifindex: dev.ifindex };
  const peer = peerOf(dev);
  if (peer !== null && peer.ns === dev.ns) o.link = peer.name;
  else if (peer !== null) o.link_index = peer.ifindex;
  else if (dev.kind === DevKind.Ipip) o.link = (dev as IpipDevice).parms.link?.name ?? null;
  o.ifname = dev.name;
  o.flags = f.noCarrier ? ['NO-CARRIER', ...f.list] : f.list;
  if (f.mDown) (o.flags as string[]).push('M-DOWN');
  o.mtu = dev.mtu;
  o.qdisc = qdiscOf(dev);
  if (dev.master !== null) o.master = dev.master.name;
  o.operstate = operState(dev);
  o.linkmode = 'DEFAULT';
  o.group = 'default';
  o.txqlen = dev.txqueuelen;
  o.link_type = linkTypeWord(dev);
  o.address = macText(dev);
  if (dev.kind === DevKind.Ipip && (dev as IpipDevice).pointToPoint) o.link_pointtopoint = true;
  o.broadcast = brdText(dev);
  if (peer !== null && peer.ns !== dev.ns) o.link_netnsid = dev.ns.netnsIdOf(peer.ns);
  if (dev.alias !== '') o.ifalias = dev.alias;
  if (opts.details) {
    o.promiscuity = dev.promisc ? 1 : 0;
    const [minMtu, maxMtu] = mtuLimits(dev);
    o.min_mtu = minMtu;
    o.max_mtu = maxMtu;
    const kind = kindName(dev);
    const sk = slaveKindOf(dev);
    if (kind !== '' || sk !== undefined) {
      const info: Record<string, unknown> = {};
      if (kind !== '') {
        info.info_kind = kind;
        const data = linkType(kind)?.detailsJson?.(dev);
        if (data !== undefined) info.info_data = data;
      }
      if (sk !== undefined) {
        info.info_slave_kind = sk;
        const data = slaveType(sk)?.detailsJson?.(dev);
        if (data !== undefined) info.info_slave_data = data;
      }
      o.linkinfo = info;
    }
  }
  if (opts.stats > 0) {
    const c = ctx.world.counters;
    o.stats64 = {
      rx: {
        bytes: c.rxBytes[dev.id],
        packets: c.rxPackets[dev.id],
        errors: 0,
        dropped: c.rxDropped[dev.id],
        over_errors: 0,
        multicast: 0,
      },
      tx: {
        bytes: c.txBytes[dev.id],
        packets: c.txPackets[dev.id],
        errors: 0,
        dropped: c.txDropped[dev.id],
        carrier_errors: 0,
        collisions: 0,
      },
    };
  }
  return o;
}

function kindName(dev: Device): string {
  switch (dev.kind) {
    case DevKind.Veth:
      return 'veth';
    case DevKind.Bridge:
      return 'bridge';
    case DevKind.Dummy:
      return 'dummy';
    case DevKind.Vxlan:
      return 'vxlan';
    case DevKind.Macvlan:
      return 'macvlan';
    case DevKind.Ipvlan:
      return 'ipvlan';
    case DevKind.Vlan:
      return 'vlan';
    case DevKind.Ipip:
      return 'ipip';
    default:
      return '';
  }
}

/** `minmtu` / `maxmtu` in `ip -d link` (dev->min_mtu / max_mtu). */
function mtuLimits(dev: Device): [number, number] {
  if (dev.kind === DevKind.Ipip) return [(dev as IpipDevice).minMtu, (dev as IpipDevice).maxMtu];
  const lo = dev.kind === DevKind.Loopback || dev.kind === DevKind.Dummy;
  return [lo || dev.kind === DevKind.Vlan ? 0 : 68, lo ? 0 : 65535];
}

function linkText(dev: Device, opts: IpOptions, ctx: CommandContext): string {
  const f = linkFlags(dev);
  const flags = (f.noCarrier ? ['NO-CARRIER', ...f.list] : f.list).concat(f.mDown ? ['M-DOWN'] : []);
  let s = `${dev.ifindex}: ${displayName(dev)}: <${flags.join(',')}> mtu ${dev.mtu} qdisc ${qdiscOf(dev)}`;
  if (dev.master !== null) s += ` master ${dev.master.name}`;
  s += ` state ${operState(dev)} mode DEFAULT group default qlen ${dev.txqueuelen}\n`;
  const peerWord = dev.kind === DevKind.Ipip && (dev as IpipDevice).pointToPoint ? 'peer' : 'brd';
  s += `    link/${linkTypeWord(dev)} ${macText(dev)} ${peerWord} ${brdText(dev)}`;
  const peer = peerOf(dev);
  if (peer !== null && peer.ns !== dev.ns) s += ` link-netns ${peer.ns.name}`;
  if (opts.details) {
    const [minMtu, maxMtu] = mtuLimits(dev);
    s += ` promiscuity ${dev.promisc ? 1 : 0}  allmulti 0 minmtu ${minMtu} maxmtu ${maxMtu} `;
    const kind = kindName(dev);
    if (kind !== '') {
      const extra = linkType(kind)?.details?.(dev);
      s += `\n    ${extra ?? kind} `;
    }
    const sk = slaveKindOf(dev);
    if (sk !== undefined) {
      const extra = slaveType(sk)?.details?.(dev);
      s += `\n    ${extra ?? sk} `;
    }
  }
  s += '\n';
  if (dev.alias !== '') s += `    alias ${dev.alias}\n`;
  if (opts.stats > 0) s += statsText(dev, ctx.world.counters);
  return s;
}

function briefText(dev: Device): string {
  const f = linkFlags(dev);
  const flags = (f.noCarrier ? ['NO-CARRIER', ...f.list] : f.list).concat(f.mDown ? ['M-DOWN'] : []);
  return `${displayName(dev).padEnd(16)} ${operState(dev).padEnd(14)} ${macText(dev)} <${flags.join(',')}> \n`;
}

/** `ip link show [dev] DEV | [up] [master M] [type T]`. */
export function showLinks(ctx: CommandContext, args: readonly string[], opts: IpOptions): CommandResult {
  let devName: string | undefined;
  let onlyUp = false;
  let master: string | undefined;
  let type: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === 'dev') devName = args[++i];
    else if (a === 'up') onlyUp = true;
    else if (a === 'master') master = args[++i];
    else if (a === 'type') type = args[++i];
    else if (matches(a, 'help'))
      throw new CommandError(
        'Usage: ip link show [ DEVICE | group GROUP ] [up] [master DEV] [type TYPE]',
        255,
      );
    else if (devName === undefined) devName = a;
    else throw new CommandError(`Error: either "dev" is duplicate, or "${a}" is a garbage.`, 255);
  }
  let devs = [...ctx.ns.devices].sort((a, b) => a.ifindex - b.ifindex);
  if (devName !== undefined) {
    const d = ctx.ns.device(devName);
    if (d === undefined) throw new CommandError(`Device "${devName}" does not exist.`, 1);
    devs = [d];
  }
  if (onlyUp) devs = devs.filter((d) => d.adminUp);
  if (master !== undefined) {
    const m = ctx.ns.device(master);
    if (m === undefined) throw new CommandError(`Device "${master}" does not exist.`, 1);
    devs = devs.filter((d) => d.master === m);
  }
  if (type !== undefined)
    devs = devs.filter((d) => kindName(d) === type || (type === 'bridge_slave' && d.master !== null));
  if (opts.json)
    return {
      stdout: printJson(
        devs.map((d) => linkJson(d, opts, ctx)),
        opts,
      ),
    };
  if (opts.brief) return { stdout: devs.map(briefText).join('') };
  return { stdout: devs.map((d) => linkText(d, opts, ctx)).join('') };
}
