// `ip link add | delete | set | show` (ip-link(8)), for veth, dummy, physical NICs and — through the
// link-type registry — bridge and the devices added later (vxlan, macvlan, ipvlan, vlan).
//
// Facts recorded on Linux 6.x with iproute2 6.1 (see test/control/ip-link.test.ts):
// - veth_newlink registers the peer first, so the peer gets the lower ifindex;
// - a veth end has carrier only while its peer is up: `<NO-CARRIER,…,UP> … state DOWN`;
// - moving a device to another namespace brings it down and releases it from its master.

import { type Device, DevKind } from '../../net/device.js';
import { Dummy } from '../../net/devices/dummy.js';
import type { IpipDevice } from '../../net/devices/ipip.js';
import { createPair } from '../../net/devices/veth.js';
import type { Namespace } from '../../net/namespace.js';
import { tryParseMac } from '../../wire/mac.js';
import { type CommandContext, CommandError, type CommandResult } from '../command.js';
import { type IpOptions, matches, registerIpObject } from './index.js';
import { showLinks } from './link-show.js';
import { linkType, linkTypeOf, setLinkAddress, setLinkMaster, slaveType } from './link-types.js';

const IFNAMSIZ = 16;

export function findDevice(ns: Namespace, name: string): Device {
  const dev = ns.device(name);
  if (dev === undefined) throw new CommandError(`Cannot find device "${name}"`);
  return dev;
}

function checkIfname(name: string): void {
  if (name.length === 0 || name.length >= IFNAMSIZ || /[\s/:]/.test(name) || name === '.' || name === '..') {
    throw new CommandError(`Error: argument "${name}" is wrong: "name" not a valid ifname`, 1);
  }
}

function parseMtu(text: string | undefined): number {
  if (text === undefined || !/^\d+$/.test(text))
    throw new CommandError(`Error: argument "${text ?? ''}" is wrong: Invalid "mtu" value`);
  return Number(text);
}

function parseLladdr(text: string | undefined): { hi: number; lo: number } {
  const mac = text === undefined ? null : tryParseMac(text);
  if (mac === null) throw new CommandError(`"${text ?? ''}" is invalid lladdr.`);
  return mac;
}

function need(args: readonly string[], i: number, what: string): string {
  const v = args[i];
  if (v === undefined) throw new CommandError(`Command line is not complete. Try option "help"`);
  void what;
  return v;
}

/** Attributes common to `ip link add` and `ip link set` (a subset of ip-link(8)). */
interface CommonAttrs {
  name?: string;
  address?: { hi: number; lo: number };
  mtu?: number;
  txqueuelen?: number;
  netns?: Namespace;
  up?: boolean;
  master?: string | null;
  alias?: string;
  promisc?: boolean;
}

/** Parses one common attribute at args[i]; returns the next index, or -1 when args[i] is not one. */
function parseCommon(ctx: CommandContext, args: readonly string[], i: number, out: CommonAttrs): number {
  const a = args[i]!;
  if (a === 'up') out.up = true;
  else if (a === 'down') out.up = false;
  else if (a === 'name') out.name = need(args, ++i, 'name');
  else if (matches(a, 'address') && a.length >= 4) out.address = parseLladdr(args[++i]);
  else if (a === 'mtu') out.mtu = parseMtu(args[++i]);
  else if (a === 'txqueuelen' || a === 'qlen' || a === 'txqlen')
    out.txqueuelen = Number(need(args, ++i, 'txqueuelen'));
  else if (a === 'netns') {
    const name = need(args, ++i, 'netns');
    const target = ctx.world.namespace(name);
    if (target === undefined) throw new CommandError(`Cannot find netns "${name}"`);
    out.netns = target;
  } else if (a === 'master') out.master = need(args, ++i, 'master');
  else if (a === 'nomaster') out.master = null;
  else if (a === 'alias') out.alias = need(args, ++i, 'alias');
  else if (a === 'promisc') out.promisc = need(args, ++i, 'promisc') === 'on';
  else return -1;
  return i + 1;
}

function applyCommon(ctx: CommandContext, dev: Device, attrs: CommonAttrs): void {
  const w = ctx.world;
  if (attrs.netns !== undefined && attrs.netns !== dev.ns) moveToNamespace(ctx, dev, attrs.netns);
  if (attrs.name !== undefined && attrs.name !== dev.name) {
    checkIfname(attrs.name);
    if (dev.adminUp) throw new CommandError('RTNETLINK answers: Device or resource busy', 2);
    if (dev.ns.device(attrs.name) !== undefined) throw new CommandError('RTNETLINK answers: File exists', 2);
    dev.ns.rename(dev, attrs.name);
  }
  if (attrs.mtu !== undefined) {
    const [min, max] = mtuRange(dev);
    if (attrs.mtu > max) throw new CommandError('Error: mtu greater than device maximum.', 2);
    if (attrs.mtu < min) throw new CommandError('Error: mtu less than device minimum.', 2);
    linkTypeOf(dev)?.checkMtu?.(ctx, dev, attrs.mtu);
    dev.mtu = attrs.mtu;
    w.notifyNetdev('change-mtu', dev);
  }
  if (attrs.address !== undefined) {
    if (attrs.address.hi & 0x0100)
      throw new CommandError('RTNETLINK answers: Cannot assign requested address', 2);
    setLinkAddress(dev, attrs.address.hi, attrs.address.lo);
    w.notifyNetdev('change-addr', dev);
  }
  if (attrs.txqueuelen !== undefined) dev.txqueuelen = attrs.txqueuelen;
  if (attrs.alias !== undefined) dev.alias = attrs.alias;
  if (attrs.promisc !== undefined) dev.promisc = attrs.promisc;
  if (attrs.master !== undefined) {
    setLinkMaster(ctx, dev, attrs.master === null ? null : findDevice(dev.ns, attrs.master));
  }
  if (attrs.up !== undefined) setUp(ctx, dev, attrs.up);
}

/** dev_validate_mtu ranges: [min_mtu, max_mtu] as each driver sets them. */
function mtuRange(dev: Device): [number, number] {
  switch (dev.kind) {
    case DevKind.Loopback:
      return [0, 0xffffffff];
    case DevKind.Dummy:
      return [0, 0xffffffff];
    case DevKind.Vlan:
      // vlan_setup: min_mtu 0, max_mtu ETH_MAX_MTU (vlan_dev_change_mtu checks the real device).
      return [0, 65535];
    case DevKind.Ipip: {
      // ip_tunnel_newlink: [ETH_MIN_MTU, IP_MAX_MTU - 20]; tunl0 has none set (0 = no limit).
      const t = dev as IpipDevice;
      return [t.minMtu, t.maxMtu === 0 ? 0xffffffff : t.maxMtu];
    }
    default:
      return [68, 65535];
  }
}

export function setUp(ctx: CommandContext, dev: Device, up: boolean): void {
  if (dev.adminUp === up) return;
  if (up) linkTypeOf(dev)?.open?.(ctx, dev);
  dev.adminUp = up;
  if (up) dev.everUp = true;
  linkTypeOf(dev)?.upChanged?.(dev);
  ctx.world.notifyNetdev(up ? 'up' : 'down', dev);
  // A veth peer's carrier follows this end's admin state.
  const peer = (dev as { peer?: Device | null }).peer;
  if (peer !== undefined && peer !== null) ctx.world.notifyNetdev('change-carrier', peer);
}

/** dev_change_net_namespace: down, released from its master, new ifindex only if its own is taken. */
export function moveToNamespace(ctx: CommandContext, dev: Device, target: Namespace): void {
  const w = dev.world;
  if (target.device(dev.name) !== undefined) throw new CommandError('RTNETLINK answers: File exists', 2);
  if (dev.kind === DevKind.Loopback) throw new CommandError('RTNETLINK answers: Invalid argument', 2);
  if (dev.adminUp) {
    dev.adminUp = false;
    w.notifyNetdev('down', dev);
  }
  if (dev.master !== null) setLinkMaster(ctx, dev, null);
  w.notifyNetdev('unregister', dev);
  dev.ns.detach(dev);
  if (!target.ifindexFree(dev.ifindex)) dev.ifindex = target.allocIfindex();
  target.attach(dev);
}

/** unregister_netdevice: down, released from its master, its kind's resources freed, then gone. */
export function deleteDevice(ctx: CommandContext, dev: Device): void {
  const w = dev.world;
  if (dev.kind === DevKind.Loopback) throw new CommandError('RTNETLINK answers: Operation not supported', 2);
  // NETDEV_UNREGISTER of a lower device deletes the devices stacked on it (vlan_device_event,
  // macvlan_device_event, ipvlan_device_event), wherever their namespace.
  for (const up of stackedOn(w, dev)) deleteDevice(ctx, up);
  // Deleting one veth end deletes its peer too (veth_dellink).
  const peer = (dev as { peer?: Device | null }).peer ?? null;
  for (const d of peer === null ? [dev] : [dev, peer]) {
    if (d.adminUp) {
      d.adminUp = false;
      w.notifyNetdev('down', d);
    }
    if (d.master !== null) setLinkMaster(ctx, d, null);
    linkTypeOf(d)?.destroy?.(ctx, d);
    w.notifyNetdev('unregister', d);
    d.ns.detach(d);
  }
  dev.onDelete();
}

/** The live devices whose lower device (`lowerDev`: vlan, macvlan, ipvlan) is `dev`. */
function stackedOn(w: CommandContext['world'], dev: Device): Device[] {
  const out: Device[] = [];
  for (const d of w.devices) {
    if ((d as { lowerDev?: Device }).lowerDev === dev && d !== dev && d.ns.device(d.name) === d) out.push(d);
  }
  return out;
}

function linkAdd(ctx: CommandContext, args: readonly string[]): CommandResult & { stderr?: string } {
  const attrs: CommonAttrs = {};
  let typeName: string | undefined;
  let typeArgs: readonly string[] = [];
  let parent: string | undefined;
  let i = 0;
  while (i < args.length) {
    const a = args[i]!;
    if (a === 'type') {
      typeName = need(args, i + 1, 'type');
      typeArgs = args.slice(i + 2);
      break;
    }
    if (a === 'link') {
      parent = need(args, ++i, 'link');
      i++;
      continue;
    }
    if (a === 'dev') {
      attrs.name = need(args, ++i, 'dev');
      i++;
      continue;
    }
    const next = parseCommon(ctx, args, i, attrs);
    if (next >= 0) {
      i = next;
      continue;
    }
    if (attrs.name === undefined) {
      attrs.name = a;
      i++;
      continue;
    }
    throw new CommandError(`Error: either "dev" is duplicate, or "${a}" is a garbage.`);
  }
  if (typeName === undefined) throw new CommandError('Not enough information: "type" argument is required');
  const name = attrs.name;
  if (name === undefined) throw new CommandError('Not enough information: "dev" argument is required.');
  checkIfname(name);
  const ns = attrs.netns ?? ctx.ns;
  if (ns.device(name) !== undefined) throw new CommandError('RTNETLINK answers: File exists', 2);
  let dev: Device;
  let stderr = '';
  if (typeName === 'veth') dev = addVeth(ctx, ns, name, typeArgs);
  else if (typeName === 'dummy') {
    if (typeArgs.length > 0)
      throw new CommandError(`Garbage instead of arguments "${typeArgs[0]} ...". Try "ip link help".`);
    dev = new Dummy(ctx.world, ns, name);
    const mac = ns.randomMac();
    dev.macHi = mac.hi;
    dev.macLo = mac.lo;
    ns.attach(dev);
  } else {
    const type = linkType(typeName);
    if (type === undefined) throw new CommandError('Error: Unknown device type.', 2);
    // `link DEV` names the parent of stacked kinds (vlan, macvlan, ipvlan).
    const parentDev = parent !== undefined ? findDevice(ctx.ns, parent) : null;
    stderr = type.addWarning?.(typeArgs) ?? '';
    dev = type.create({ world: ctx.world, ns }, name, typeArgs, parentDev);
  }
  // Attributes other than name/netns apply to the new device after creation, as rtnl_newlink does.
  const { name: _name, netns: _netns, ...rest } = attrs;
  applyCommon({ world: ctx.world, ns }, dev, rest);
  return stderr === '' ? { stdout: '' } : { stdout: '', stderr };
}

/** `type veth [peer [name] NAME [address A] [mtu M] [netns NS]]` — the peer is registered first. */
function addVeth(ctx: CommandContext, ns: Namespace, name: string, args: readonly string[]): Device {
  const peer: CommonAttrs = {};
  let i = 0;
  if (args.length > 0) {
    if (args[0] !== 'peer')
      throw new CommandError(`Garbage instead of arguments "${args[0]} ...". Try "ip link help".`);
    i = 1;
    while (i < args.length) {
      const next = parseCommon(ctx, args, i, peer);
      if (next >= 0) {
        i = next;
        continue;
      }
      if (peer.name === undefined) {
        peer.name = args[i]!;
        i++;
        continue;
      }
      throw new CommandError(`Error: either "dev" is duplicate, or "${args[i]}" is a garbage.`);
    }
  }
  const peerNs = peer.netns ?? ns;
  // veth_newlink names an unnamed peer vethN with the first free N.
  let peerName = peer.name;
  if (peerName === undefined) {
    let n = 0;
    while (peerNs.device(`veth${n}`) !== undefined || (peerNs === ns && `veth${n}` === name)) n++;
    peerName = `veth${n}`;
  }
  checkIfname(peerName);
  if (peerNs.device(peerName) !== undefined || (peerNs === ns && peerName === name)) {
    throw new CommandError('RTNETLINK answers: File exists', 2);
  }
  const [b, a] = createPair(ctx.world, peerNs, peerName, ns, name);
  for (const d of [b, a]) {
    const mac = d.ns.randomMac();
    d.macHi = mac.hi;
    d.macLo = mac.lo;
  }
  peerNs.attach(b);
  ns.attach(a);
  const { name: _pname, netns: _pnetns, ...peerRest } = peer;
  applyCommon({ world: ctx.world, ns: peerNs }, b, peerRest);
  return a;
}

function linkSet(ctx: CommandContext, args: readonly string[]): CommandResult {
  const attrs: CommonAttrs = {};
  let devName: string | undefined;
  let i = 0;
  let typeName: string | undefined;
  let typeArgs: readonly string[] = [];
  while (i < args.length) {
    const a = args[i]!;
    if (a === 'dev') {
      devName = need(args, ++i, 'dev');
      i++;
      continue;
    }
    if (a === 'type') {
      typeName = need(args, i + 1, 'type');
      typeArgs = args.slice(i + 2);
      break;
    }
    const next = parseCommon(ctx, args, i, attrs);
    if (next >= 0) {
      i = next;
      continue;
    }
    if (devName === undefined) {
      devName = a;
      i++;
      continue;
    }
    throw new CommandError(`Error: either "dev" is duplicate, or "${a}" is a garbage.`);
  }
  if (devName === undefined) throw new CommandError('Not enough information: "dev" argument is required.');
  const dev = findDevice(ctx.ns, devName);
  if (typeName !== undefined) {
    // `type bridge_slave …` changes port options; `type bridge …` the bridge's own.
    const slave = slaveType(typeName);
    const own = linkType(typeName);
    if (slave !== undefined) slave.change(ctx, dev, typeArgs);
    else if (own?.change !== undefined) own.change(ctx, dev, typeArgs);
    else throw new CommandError('Error: Unknown device type.', 2);
  }
  applyCommon(ctx, dev, attrs);
  return { stdout: '' };
}

function linkDel(ctx: CommandContext, args: readonly string[]): CommandResult {
  let devName: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === 'dev') devName = args[++i];
    else if (a === 'type') i++;
    else if (devName === undefined) devName = a;
    else throw new CommandError(`Error: either "dev" is duplicate, or "${a}" is a garbage.`);
  }
  if (devName === undefined) throw new CommandError('Not enough information: "dev" argument is required.');
  deleteDevice(ctx, findDevice(ctx.ns, devName));
  return { stdout: '' };
}

export function ipLink(ctx: CommandContext, args: readonly string[], opts: IpOptions): CommandResult {
  const cmd = args[0];
  if (cmd === undefined || matches(cmd, 'show') || matches(cmd, 'list') || cmd === 'lst') {
    return showLinks(ctx, args.slice(1), opts);
  }
  if (matches(cmd, 'add')) return linkAdd(ctx, args.slice(1));
  if (matches(cmd, 'set') || matches(cmd, 'change')) return linkSet(ctx, args.slice(1));
  if (matches(cmd, 'delete')) return linkDel(ctx, args.slice(1));
  throw new CommandError(`Command "${cmd}" is unknown, try "ip link help".`, 255);
}

registerIpObject('link', ipLink);
