// `ip link add link PARENT NAME type ipvlan [mode l2|l3|l3s] [bridge|private|vepa]` (ip-link(8),
// iproute2 ip/iplink_ipvlan.c) and its `ip -d link` output. The recording host has no ipvlan
// (CONFIG_IPVLAN is not set), so the texts follow the sources: ipvlan_print_opt prints
// ` mode l2 ` after the kind (hence `ipvlan  mode l2 bridge `) then one of `bridge`, `private`,
// `vepa` (JSON: `"mode":"l2"` and a true `"bridge"`/`"private"`/`"vepa"`); the mode defaults to l3
// in the kernel (ipvlan_link_new) and both mode and flag are per parent, the latest one winning.
// Kernel answers: a loopback parent EINVAL, a parent with another rx handler (bridge port, macvlan)
// EBUSY, no parent EINVAL; an address already held by a sibling is refused by
// ipvlan_addr4_validator_event ("Address already assigned to an ipvlan device", EADDRINUSE).

import type { Device } from '../../../net/device.js';
import {
  createIpvlan,
  IPVLAN_MODE_NAMES,
  IpvlanDevice,
  IpvlanFlag,
  IpvlanMode,
  setPortMode,
} from '../../../net/devices/ipvlan.js';
import { CommandError } from '../../command.js';
import { matches } from '../index.js';
import { registerLinkType } from '../link-types.js';

interface IpvlanArgs {
  mode?: IpvlanMode;
  flags?: number;
}

function parseArgs(args: readonly string[]): IpvlanArgs {
  const out: IpvlanArgs = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (matches(a, 'mode')) {
      const m = args[++i];
      const idx = IPVLAN_MODE_NAMES.indexOf(m ?? '');
      if (idx < 0)
        throw new CommandError('Error: argument of "mode" must be either "l2", "l3" or "l3s"', 255);
      out.mode = idx as IpvlanMode;
    } else if (out.flags === undefined && matches(a, 'private')) out.flags = IpvlanFlag.Private;
    else if (out.flags === undefined && matches(a, 'vepa')) out.flags = IpvlanFlag.Vepa;
    else if (out.flags === undefined && matches(a, 'bridge')) out.flags = IpvlanFlag.Bridge;
    else throw new CommandError(`ipvlan: unknown option "${a}"?`, 255);
  }
  return out;
}

function asIpvlan(dev: Device): IpvlanDevice {
  if (!(dev instanceof IpvlanDevice)) throw new CommandError('RTNETLINK answers: Operation not supported', 2);
  return dev;
}

function flagName(flags: number): string {
  return (flags & IpvlanFlag.Private) !== 0 ? 'private' : (flags & IpvlanFlag.Vepa) !== 0 ? 'vepa' : 'bridge';
}

registerLinkType('ipvlan', {
  create(ctx, name, args, parent) {
    const p = parseArgs(args);
    if (parent === undefined || parent === null)
      throw new CommandError('RTNETLINK answers: Invalid argument', 2);
    let dev: IpvlanDevice;
    try {
      dev = createIpvlan(ctx.world, ctx.ns, name, parent, p.mode, p.flags);
    } catch (e) {
      throw new CommandError(`RTNETLINK answers: ${(e as Error).message}`, 2);
    }
    ctx.ns.attach(dev);
    return dev;
  },
  change(_ctx, dev, args) {
    const v = asIpvlan(dev);
    const p = parseArgs(args);
    // ipvlan_nl_changelink: the port's mode, then its flags.
    if (p.mode !== undefined) setPortMode(v.port, p.mode);
    if (p.flags !== undefined) v.port.flags = p.flags;
  },
  open(_ctx, dev) {
    // ipvlan_open: IFF_NOARP in l3/l3s.
    const v = asIpvlan(dev);
    v.noArp = v.port.mode !== IpvlanMode.L2;
  },
  destroy(_ctx, dev) {
    asIpvlan(dev).onDelete();
  },
  details(dev) {
    const v = asIpvlan(dev);
    return `ipvlan  mode ${IPVLAN_MODE_NAMES[v.port.mode]} ${flagName(v.port.flags)}`;
  },
  detailsJson(dev) {
    const v = asIpvlan(dev);
    return { mode: IPVLAN_MODE_NAMES[v.port.mode], [flagName(v.port.flags)]: true };
  },
});
