// The link-type registry: how `ip link` reaches the code of each device kind without knowing it.
//
// Contract (owner: the bridge module; users: src/control/ip/link.ts and every device kind)
//
// 1. A device kind registers itself at module load: `registerLinkType('bridge', impl)`. The `type`
//    word of `ip link add NAME type KIND …` selects `linkType(KIND)`; an unknown KIND is answered by
//    `ip link` itself (iproute2 prints `Error: Unknown device type.`).
//
// 2. `ip link add [generic options] NAME type KIND [ARGS…]`
//    - `ip link` parses the generic options that precede `type` (address, mtu, txqueuelen, up, …) and
//      calls `create(ctx, name, args, parent)` with ARGS = the words after `type KIND` only and
//      `parent` = the device of `link DEV` (null without it).
//    - `create` builds the device, attaches it to `ctx.ns` (`ns.attach(dev)`) and returns it. It throws
//      `CommandError` with iproute2's/the kernel's wording for bad ARGS and must not leave a half-made
//      device behind (validate everything first).
//    - Afterwards `ip link` applies the generic options: the address through `setLinkAddress` (below),
//      `up` through `setLinkUp`, others by writing the Device fields.
//
// 3. `ip link set DEV type KIND ARGS…`: when KIND is DEV's own kind, `change(ctx, dev, args)`; when KIND
//    is a *slave* kind (`bridge_slave`), `slaveType(KIND).change(ctx, dev, args)`; the slave kind checks
//    that DEV is enslaved to the right master (the kernel answers EOPNOTSUPP otherwise).
//
// 4. `ip link set DEV master M` / `nomaster`: call `setLinkMaster(ctx, dev, master)` /
//    `setLinkMaster(ctx, dev, null)`. The master's kind does the work (`enslave` / `release`), so the
//    bridge can install its rx handler, set promiscuity, add FDB entries and recompute its address.
//    A master kind without `enslave` cannot be a master (the kernel answers EOPNOTSUPP).
//
// 5. `ip link set DEV address MAC`: call `setLinkAddress(dev, hi, lo)` (never write macHi/macLo from
//    `ip link` directly): a bridge port's address is an FDB entry and a bridge's own address becomes
//    fixed once the user sets it (addr_assign_type NET_ADDR_SET), so several kinds must hear of it.
//
// 6. `ip link set DEV up|down`: call `setLinkUp(dev, up)`; kinds with `upChanged` hear of it (today
//    none needs to: the bridge derives port states from `adminUp`/`carrier` on each frame).
//
// 7. `ip link del DEV`: call `deleteLink(ctx, dev)`: it releases DEV from its master, lets its kind
//    release ports (`destroy`), then `ns.detach(dev)` and `dev.onDelete()`. Kinds that delete more
//    than one device (veth's peer) do so in `destroy`.
//
// 8. `ip -d link show`: after the `link/ether …` line, `ip` prints for DEV's kind the words returned
//    by `details(dev)` (e.g. `bridge forward_delay 1500 hello_time 200 …`) and, when DEV has a master
//    whose kind names a `slaveKind`, that slave kind's `details(dev)` (`bridge_slave state forwarding
//    …`). Each returns one line of space-separated words without leading or trailing spaces; `ip`
//    indents it with four spaces and ends it with the single trailing space iproute2 prints.
//    `ip -d -j` uses `detailsJson(dev)` as `linkinfo.info_data` (`info_slave_data` for slave kinds).
//
// All functions here are configuration-side: strings and allocation are fine.

import { DEV_KIND_NAMES, type Device } from '../../net/device.js';
import { type CommandContext, CommandError } from '../command.js';

/** A device kind `ip link add … type KIND` can create. */
export interface LinkType {
  /**
   * Creates the device named `name` in `ctx.ns` from the words after `type KIND`; returns it attached.
   * `parent` is the device named by `link DEV` (stacked kinds: vlan, macvlan, ipvlan), or null.
   */
  create(ctx: CommandContext, name: string, args: readonly string[], parent?: Device | null): Device;
  /**
   * What iproute2 prints on stderr for these `type KIND` words while still succeeding (e.g. vxlan's
   * "destination port not specified" warning). `ip link add` returns it as `stderr` beside `stdout`.
   */
  addWarning?(args: readonly string[]): string;
  /** `ip link set DEV type KIND ARGS…` on a device of this kind. */
  change?(ctx: CommandContext, dev: Device, args: readonly string[]): void;
  /** `ip -d link show` line for this kind (e.g. `bridge forward_delay 1500 …`), no outer spaces. */
  details?(dev: Device): string;
  /** `ip -d -j link show`: `linkinfo.info_data`. */
  detailsJson?(dev: Device): Record<string, unknown>;
  /** `ip link set PORT master DEV` with DEV of this kind. Throws CommandError on refusal. */
  enslave?(ctx: CommandContext, master: Device, port: Device): void;
  /** `ip link set PORT nomaster` (or PORT/DEV deletion) with PORT enslaved to DEV of this kind. */
  release?(ctx: CommandContext, master: Device, port: Device): void;
  /** Name of the slave kind for ports of a master of this kind (`bridge_slave`). */
  slaveKind?: string;
  /** `ip link set DEV address MAC` on a device of this kind (default: write macHi/macLo). */
  setAddress?(dev: Device, hi: number, lo: number): void;
  /** A port of this master changed its address (NETDEV_CHANGEADDR → br_device_event). */
  portAddressChanged?(master: Device, port: Device): void;
  /** `ip link set DEV up` on a device of this kind, before IFF_UP is set (ndo_open): may refuse. */
  open?(ctx: CommandContext, dev: Device): void;
  /** `ip link set DEV mtu N` within [min_mtu, max_mtu] (ndo_change_mtu): may refuse. */
  checkMtu?(ctx: CommandContext, dev: Device, mtu: number): void;
  /** Called after DEV's IFF_UP changed. */
  upChanged?(dev: Device): void;
  /** `ip link del DEV`: release whatever the device holds (ports, a peer) before it is detached. */
  destroy?(ctx: CommandContext, dev: Device): void;
}

/** The per-port side of a master kind (`ip link set DEV type bridge_slave …`, `ip -d link show`). */
export interface SlaveType {
  change(ctx: CommandContext, dev: Device, args: readonly string[]): void;
  details?(dev: Device): string;
  detailsJson?(dev: Device): Record<string, unknown>;
}

const linkTypes = new Map<string, LinkType>();
const slaveTypes = new Map<string, SlaveType>();

export function registerLinkType(kind: string, impl: LinkType): void {
  linkTypes.set(kind, impl);
}

export function registerSlaveType(kind: string, impl: SlaveType): void {
  slaveTypes.set(kind, impl);
}

/** The implementation of device kind `kind` (`bridge`, `veth`, …), or undefined. */
export function linkType(kind: string): LinkType | undefined {
  return linkTypes.get(kind);
}

/** Alias of `linkType`. */
export const getLinkType = linkType;

export function slaveType(kind: string): SlaveType | undefined {
  return slaveTypes.get(kind);
}

export function linkTypeNames(): string[] {
  return [...linkTypes.keys()].sort();
}

/** The link type of an existing device, looked up by the `type` word of its kind. */
export function linkTypeOf(dev: Device): LinkType | undefined {
  return linkTypes.get(kindName(dev));
}

/** The slave kind name of `dev`'s master (`bridge_slave`), or undefined when it has none. */
export function slaveKindOf(dev: Device): string | undefined {
  if (dev.master === null) return undefined;
  return linkTypeOf(dev.master)?.slaveKind;
}

function kindName(dev: Device): string {
  return DEV_KIND_NAMES[dev.kind] ?? '';
}

/** `ip link set DEV master M` (M non-null) or `nomaster` (M null). */
export function setLinkMaster(ctx: CommandContext, dev: Device, master: Device | null): void {
  if (master === dev) throw new CommandError('Error: Device can not be enslaved to itself.');
  const cur = dev.master;
  if (cur === master) return;
  if (cur !== null) linkTypeOf(cur)?.release?.(ctx, cur, dev);
  if (master === null) return;
  const t = linkTypeOf(master);
  if (t?.enslave === undefined) throw new CommandError('RTNETLINK answers: Operation not supported');
  t.enslave(ctx, master, dev);
}

/** `ip link set DEV address MAC`. */
export function setLinkAddress(dev: Device, hi: number, lo: number): void {
  const t = linkTypeOf(dev);
  if (t?.setAddress !== undefined) {
    t.setAddress(dev, hi, lo);
  } else {
    dev.macHi = hi;
    dev.macLo = lo;
  }
  // A port's address change reaches its master (NETDEV_CHANGEADDR → br_device_event).
  if (dev.master !== null) linkTypeOf(dev.master)?.portAddressChanged?.(dev.master, dev);
}

/** `ip link set DEV up|down`. */
export function setLinkUp(dev: Device, up: boolean): void {
  if (dev.adminUp === up) return;
  dev.adminUp = up;
  linkTypeOf(dev)?.upChanged?.(dev);
}

/** `ip link del DEV`. */
export function deleteLink(ctx: CommandContext, dev: Device): void {
  if (dev.master !== null) setLinkMaster(ctx, dev, null);
  linkTypeOf(dev)?.destroy?.(ctx, dev);
  dev.ns.detach(dev);
  dev.onDelete();
}
