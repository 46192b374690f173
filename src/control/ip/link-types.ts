// The link-type registry: how `ip link` reaches the code of each device kind without knowing it.
//
// Contract (owner: the bridge module; users: src/control/ip/link.ts, link-show and every device kind)
//
// 1. A kind registers itself at module load: `registerLinkType('bridge', impl)`. Slave kinds (the
//    per-port side of a master, `bridge_slave`) register under their own `type` word too, with `change`
//    and `details` but no `create`. An unknown word is answered by `ip link` (`Error: Unknown device
//    type.`).
//
// 2. `ip link add [generic options] NAME type KIND [ARGS…]`: `ip link` parses the generic options that
//    precede `type` and calls `create(ctx, name, args, parent)` with ARGS = the words after `type KIND`
//    and `parent` = the device named by `link DEV` (vlan, macvlan, vxlan) or null. `create` builds the
//    device, attaches it to `ctx.ns` (`ns.attach(dev)`) and returns it; it throws `CommandError` with
//    iproute2's/the kernel's wording for bad ARGS, validating everything before it creates anything.
//    `ip link` then applies the generic options (address, mtu, master, up…) as for any device.
//
// 3. `ip link set DEV type KIND ARGS…`: `getLinkType(KIND).change(ctx, dev, args)`. `change` checks that
//    DEV fits KIND (a `bridge` for `type bridge`, a bridge port for `type bridge_slave`) and throws the
//    kernel's answer otherwise.
//
// 4. Masters and ports do not go through this registry: `ip link set PORT master M` calls
//    `M.enslave(PORT)` and `nomaster` calls `PORT.master.release(PORT)` (Device methods the master
//    kind overrides). Address, MTU, up/down and unregister changes reach interested kinds through
//    `world.notifyNetdev` (the netdevice notifier chain), as in the kernel.
//
// 5. `ip -d link show DEV` prints, after the `link/ether …` line, `details(DEV)` of DEV's own kind and,
//    when DEV has a master, `details(DEV)` of the slave kind named by `slaveKindOf(DEV)`. Each returns
//    one line of space-separated words (`bridge forward_delay 1500 hello_time 200 …`, `bridge_slave
//    state forwarding priority 32 …`) without leading or trailing spaces; `ip` indents the line with
//    four spaces and ends it with the trailing space iproute2 prints. `ip -d -j` uses
//    `detailsJson(DEV)` as `linkinfo.info_data` (own kind) or `linkinfo.info_slave_data` (slave kind),
//    with `info_kind` / `info_slave_kind` = the registered word.
//
// Configuration-side code: strings and allocation are fine here.

import { DEV_KIND_NAMES, type Device } from '../../net/device.js';
import type { CommandContext } from '../command.js';

/** A device kind (`bridge`, `vxlan`, …) or slave kind (`bridge_slave`) as `ip link` sees it. */
export interface LinkType {
  /** `ip link add NAME type KIND ARGS…`: the new device, attached to `ctx.ns`. Absent for slave kinds. */
  create?(ctx: CommandContext, name: string, args: readonly string[], parent: Device | null): Device;
  /** `ip link set DEV type KIND ARGS…`. */
  change?(ctx: CommandContext, dev: Device, args: readonly string[]): void;
  /** `ip -d link show` line for this kind, without outer spaces. */
  details?(dev: Device): string;
  /** `ip -d -j link show`: `info_data` / `info_slave_data`. */
  detailsJson?(dev: Device): Record<string, unknown>;
  /** For master kinds: the slave kind word of their ports (`bridge_slave`). */
  slaveKind?: string;
}

const linkTypes = new Map<string, LinkType>();

export function registerLinkType(kind: string, impl: LinkType): void {
  linkTypes.set(kind, impl);
}

/** The implementation registered under `kind`, or undefined. */
export function getLinkType(kind: string): LinkType | undefined {
  return linkTypes.get(kind);
}

export function linkTypeNames(): string[] {
  return [...linkTypes.keys()].sort();
}

/** The slave kind word of `dev` (`bridge_slave` for a bridge port), or undefined when it has no master. */
export function slaveKindOf(dev: Device): string | undefined {
  const m = dev.master;
  if (m === null) return undefined;
  return linkTypes.get(DEV_KIND_NAMES[m.kind] ?? '')?.slaveKind;
}
