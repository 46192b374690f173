// `ip link add link DEV name NAME type vlan id VID [protocol 802.1Q|802.1ad] [reorder_hdr on|off]
// [gvrp|mvrp|loose_binding|bridge_binding on|off]` (ip-link(8), iproute2 ip/iplink_vlan.c) and its
// `ip -d link` output. The host that records fixtures has no 8021q module (CONFIG_VLAN_8021Q is not
// set: `ip link add … type vlan` answers "Error: Unknown device type."), so the texts come from the
// sources: vlan_print_opt prints `protocol 802.1Q id 50 <REORDER_HDR> ` (the flags in <> always, since
// vlan_fill_info always sends IFLA_VLAN_FLAGS; `<>` when none), JSON `{"protocol","id","flags":[…]}`;
// vlan_validate / vlan_newlink / vlan_check_real_dev answer with extack texts prefixed `8021q: `.

import type { Device } from '../../../net/device.js';
import {
  createVlan,
  ETH_P_8021AD,
  ETH_P_8021Q,
  VLAN_FLAG_NAMES,
  VlanDevice,
  VlanFlag,
} from '../../../net/devices/vlan.js';
import { CommandError } from '../../command.js';
import { matches } from '../index.js';
import { registerLinkType } from '../link-types.js';

interface VlanArgs {
  id?: number;
  proto?: number;
  /** Flags set and the mask of flags given (ifla_vlan_flags). */
  flags: number;
  mask: number;
}

function onOff(what: string, v: string | undefined): boolean {
  if (v === 'on') return true;
  if (v === 'off') return false;
  throw new CommandError(`Error: argument of "${what}" must be "on" or "off", not "${v ?? ''}"`, 255);
}

const FLAG_WORDS: readonly (readonly [string, number])[] = [
  ['reorder_hdr', VlanFlag.ReorderHdr],
  ['gvrp', VlanFlag.Gvrp],
  ['mvrp', VlanFlag.Mvrp],
  ['loose_binding', VlanFlag.LooseBinding],
  ['bridge_binding', VlanFlag.BridgeBinding],
];

/** vlan_parse_opt. */
function parseArgs(args: readonly string[]): VlanArgs {
  const out: VlanArgs = { flags: 0, mask: 0 };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const next = (): string => {
      const v = args[++i];
      if (v === undefined) throw new CommandError('Command line is not complete. Try option "help"', 255);
      return v;
    };
    if (matches(a, 'protocol')) {
      const v = next();
      const l = v.toLowerCase();
      if (l === '802.1q') out.proto = ETH_P_8021Q;
      else if (l === '802.1ad') out.proto = ETH_P_8021AD;
      else if (/^(0x[0-9a-f]+|\d+)$/i.test(v)) out.proto = Number(v) & 0xffff;
      else throw new CommandError(`Error: argument "${v}" is wrong: protocol is invalid`, 255);
      continue;
    }
    if (matches(a, 'id')) {
      const v = next();
      if (!/^(0x[0-9a-f]+|\d+)$/i.test(v) || Number(v) > 0xffff)
        throw new CommandError(`Error: argument "${v}" is wrong: id is invalid`, 255);
      out.id = Number(v);
      continue;
    }
    const fw = FLAG_WORDS.find(([w]) => matches(a, w));
    if (fw !== undefined) {
      const on = onOff(fw[0], next());
      out.mask |= fw[1];
      if (on) out.flags |= fw[1];
      else out.flags &= ~fw[1];
      continue;
    }
    if (matches(a, 'ingress-qos-map') || matches(a, 'egress-qos-map'))
      throw new CommandError(`netsim: "type vlan … ${a}" is not emulated`, 255);
    throw new CommandError(`vlan: unknown command "${a}"?`, 255);
  }
  return out;
}

/** vlan_validate: the checks that run before vlan_newlink. */
function validate(p: VlanArgs): void {
  if (p.proto !== undefined && p.proto !== ETH_P_8021Q && p.proto !== ETH_P_8021AD)
    throw new CommandError('Error: 8021q: Invalid VLAN protocol.', 2);
  if (p.id !== undefined && p.id >= 4095) throw new CommandError('Error: 8021q: Invalid VLAN id.', 2);
}

function asVlan(dev: Device): VlanDevice {
  if (!(dev instanceof VlanDevice)) throw new CommandError('RTNETLINK answers: Operation not supported', 2);
  return dev;
}

function protoName(p: number): string {
  return p === ETH_P_8021AD ? '802.1ad' : '802.1Q';
}

function flagNames(flags: number): string[] {
  return VLAN_FLAG_NAMES.filter(([f]) => (flags & f) !== 0).map(([, n]) => n);
}

registerLinkType('vlan', {
  create(ctx, name, args, parent) {
    // With no words after `type vlan` iproute2 sends no IFLA_INFO_DATA at all.
    if (args.length === 0) throw new CommandError('Error: 8021q: VLAN properties not specified.', 2);
    const p = parseArgs(args);
    validate(p);
    if (p.id === undefined) throw new CommandError('Error: 8021q: VLAN id not specified.', 2);
    if (parent === undefined || parent === null)
      throw new CommandError('Error: 8021q: link not specified.', 2);
    // vlan_newlink: flags start as REORDER_HDR, then vlan_changelink applies the given ones.
    const flags = (VlanFlag.ReorderHdr & ~p.mask) | p.flags;
    let dev: VlanDevice;
    try {
      dev = createVlan(ctx.world, ctx.ns, name, parent, p.id, p.proto ?? ETH_P_8021Q, flags);
    } catch (e) {
      throw new CommandError(`Error: ${(e as Error).message}.`, 2);
    }
    ctx.ns.attach(dev);
    return dev;
  },
  change(_ctx, dev, args) {
    const v = asVlan(dev);
    const p = parseArgs(args);
    validate(p);
    // vlan_changelink: only the flags (and QoS maps) change; an id or protocol given is ignored.
    v.flags = (v.flags & ~p.mask) | p.flags;
  },
  open(_ctx, dev) {
    const v = asVlan(dev);
    // vlan_dev_open: "if (!(real_dev->flags & IFF_UP) && !(vlan->flags & VLAN_FLAG_LOOSE_BINDING))".
    if (!v.lowerDev.adminUp && (v.flags & VlanFlag.LooseBinding) === 0)
      throw new CommandError('RTNETLINK answers: Network is down', 2);
  },
  checkMtu(_ctx, dev, mtu) {
    // vlan_dev_change_mtu: the real device's MTU is the ceiling (-ERANGE).
    if (mtu > asVlan(dev).lowerDev.mtu)
      throw new CommandError('RTNETLINK answers: Numerical result out of range', 2);
  },
  destroy(_ctx, dev) {
    asVlan(dev).onDelete();
  },
  details(dev) {
    const v = asVlan(dev);
    return `vlan protocol ${protoName(v.proto)} id ${v.vid} <${flagNames(v.flags).join(',')}>`;
  },
  detailsJson(dev) {
    const v = asVlan(dev);
    return { protocol: protoName(v.proto), id: v.vid, flags: flagNames(v.flags) };
  },
});
