// `ip link add link PARENT NAME type macvlan [mode private|vepa|bridge|passthru|source]` (ip-link(8),
// iproute2 ip/iplink_macvlan.c) and its `ip -d link` output, as recorded on Linux 6.18 / iproute2 6.1
// (test/fixtures/overlay/ip-d-link-macvlan.txt, macvlan-modes.txt): the default mode is vepa;
// details print `macvlan mode MODE bcqueuelen 1000 usedbcqueuelen 1000` (source mode adds
// `remotes (0)`); a passthru child shows the parent's MAC.

import type { Device } from '../../../net/device.js';
import {
  createMacvlan,
  MACVLAN_MODE_NAMES,
  MacvlanDevice,
  MacvlanMode,
} from '../../../net/devices/macvlan.js';
import { CommandError } from '../../command.js';
import { registerLinkType, setLinkAddress } from '../link-types.js';

function parseMode(args: readonly string[]): MacvlanMode {
  let mode: MacvlanMode = MacvlanMode.Vepa;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === 'mode') {
      const m = args[++i];
      const code = Object.entries(MACVLAN_MODE_NAMES).find(([, n]) => n === m)?.[0];
      if (code === undefined) {
        throw new CommandError(
          `Error: argument of "mode" must be "private", "vepa", "bridge", "passthru" or "source", not "${m ?? ''}"`,
          255,
        );
      }
      mode = Number(code) as MacvlanMode;
    } else if (a === 'nopromisc' || a === 'bcqueuelen' || a === 'macaddr' || a === 'flag') {
      throw new CommandError(`netsim: "type macvlan … ${a}" is not emulated`, 255);
    } else {
      throw new CommandError(`macvlan: unknown option "${a}"?`, 255);
    }
  }
  return mode;
}

function asMacvlan(dev: Device): MacvlanDevice {
  if (!(dev instanceof MacvlanDevice))
    throw new CommandError('RTNETLINK answers: Operation not supported', 2);
  return dev;
}

registerLinkType('macvlan', {
  create(ctx, name, args, parent) {
    const mode = parseMode(args);
    if (parent === undefined || parent === null)
      throw new CommandError('RTNETLINK answers: Invalid argument', 2);
    let dev: MacvlanDevice;
    try {
      dev = createMacvlan(ctx.world, ctx.ns, name, parent, mode);
    } catch (e) {
      throw new CommandError(`RTNETLINK answers: ${(e as Error).message}`, 2);
    }
    ctx.ns.attach(dev);
    return dev;
  },
  change(_ctx, dev, args) {
    const m = asMacvlan(dev);
    const mode = parseMode(args);
    if ((mode === MacvlanMode.Passthru) !== (m.mode === MacvlanMode.Passthru)) {
      throw new CommandError('RTNETLINK answers: Invalid argument', 2);
    }
    m.mode = mode;
  },
  destroy(_ctx, dev) {
    asMacvlan(dev).onDelete();
  },
  setAddress(dev, hi, lo) {
    const m = asMacvlan(dev);
    if (m.mode === MacvlanMode.Passthru) {
      // macvlan_set_mac_address: a passthru child's address is set on its lower device
      // (dev_set_mac_address), and macvlan_device_event's NETDEV_CHANGEADDR copies it back to the child.
      setLinkAddress(m.lowerDev, hi, lo);
      m.world.notifyNetdev('change-addr', m.lowerDev);
    }
    m.macHi = hi;
    m.macLo = lo;
  },
  details(dev) {
    const m = asMacvlan(dev);
    const extra = m.mode === MacvlanMode.Source ? ' remotes (0)' : '';
    return `macvlan mode ${MACVLAN_MODE_NAMES[m.mode]} bcqueuelen 1000 usedbcqueuelen 1000${extra}`;
  },
  detailsJson(dev) {
    const m = asMacvlan(dev);
    const o: Record<string, unknown> = {
      mode: MACVLAN_MODE_NAMES[m.mode],
      bcqueuelen: 1000,
      usedbcqueuelen: 1000,
    };
    if (m.mode === MacvlanMode.Source) o.macaddr_count = 0;
    return o;
  },
});
