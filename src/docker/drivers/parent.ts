// The parent ("master") link of a macvlan or ipvlan network, as moby's two drivers choose, create and
// delete it (daemon/libnetwork/drivers/{macvlan,ipvlan}: *_network.go parseNetworkOptions,
// createNetwork, DeleteNetwork; *_setup.go createVlanLink, parseVlan, createDummyLink, getDummyName).
//
// 1. Options: `-o parent=IF`, `-o macvlan_mode=bridge|private|vepa|passthru` (default bridge), or
//    `-o ipvlan_mode=l2|l3|l3s` (default l2) and `-o ipvlan_flag=bridge|private|vepa` (default
//    bridge). A bad mode or flag, then a parent `lo`, is refused in that order.
// 2. No parent: the parent is a dummy link `dm-<id[:12]>` (macvlan) / `di-<id[:12]>` (ipvlan), and the
//    driver treats the network as internal (no gateway, no default route) whatever `--internal` says.
//    `--internal` with a parent keeps that parent.
// 3. Sharing: ipvlan refuses any parent another ipvlan network uses; macvlan networks may share one
//    (moby ≥ 27.1) unless either of them is in passthru mode.
// 4. A parent that does not exist is created: the dummy (then set up), or `NAME.VID` as an 802.1Q
//    sub-interface of NAME (then set up). Anything else is refused. The driver records that it created
//    the link ("CreatedSlaveLink"; a macvlan network reusing a parent another network created records
//    it too) and deletes it on `network rm` — macvlan only when no other network uses it.
//
// This runs inside the engine's `network create` recipe, after IPAM (as in moby: the driver's
// CreateNetwork follows ipamAllocate), so its errors leave the state untouched.

import { DaemonError } from '../errors.js';
import type { NetworkState } from '../types.js';

export const OPT_PARENT = 'parent';
export const OPT_MACVLAN_MODE = 'macvlan_mode';
export const OPT_IPVLAN_MODE = 'ipvlan_mode';
export const OPT_IPVLAN_FLAG = 'ipvlan_flag';
/** Not Docker options: the parent the driver uses and whether it created it (inspect hides `netsim.`). */
export const OPT_NETSIM_PARENT = 'netsim.parent';
export const OPT_NETSIM_PARENT_CREATED = 'netsim.parent.created';

export type ParentedDriver = 'macvlan' | 'ipvlan';

export const MACVLAN_MODES = ['bridge', 'private', 'vepa', 'passthru'] as const;
export const IPVLAN_MODES = ['l2', 'l3', 'l3s'] as const;
export const IPVLAN_FLAGS = ['bridge', 'private', 'vepa'] as const;

/** getDummyName: the driver's prefix and the network id's first 12 characters. */
export function dummyParentName(drv: ParentedDriver, networkId: string): string {
  return `${drv === 'macvlan' ? 'dm-' : 'di-'}${networkId.slice(0, 12)}`;
}

/** The parent link a macvlan/ipvlan network uses (after create). */
export function parentOf(n: NetworkState): string {
  return n.options[OPT_NETSIM_PARENT] ?? '';
}

/** Did the driver create the parent link (and so may delete it)? */
export function parentCreated(n: NetworkState): boolean {
  return n.options[OPT_NETSIM_PARENT_CREATED] === 'true';
}

/** Internal as the driver sees it: `--internal`, or no `-o parent` (a dummy parent). */
export function driverInternal(n: NetworkState): boolean {
  return n.internal || (n.options[OPT_PARENT] ?? '') === '';
}

export function macvlanMode(n: NetworkState): string {
  return n.options[OPT_MACVLAN_MODE] || 'bridge';
}

export function ipvlanMode(n: NetworkState): string {
  return n.options[OPT_IPVLAN_MODE] || 'l2';
}

export function ipvlanFlag(n: NetworkState): string {
  return n.options[OPT_IPVLAN_FLAG] || 'bridge';
}

/** parseVlan: `NAME.VID` → [NAME, VID]; the errors are moby's, in its order. */
export function parseVlanParent(name: string, linkExists: (n: string) => boolean): [string, number] {
  const parts = name.split('.');
  if (parts.length !== 2)
    throw new DaemonError(
      `required interface name format is: name.vlan_id, ex. eth0.10 for vlan 10, instead received ${name}`,
    );
  const [link, vidStr] = parts as [string, string];
  // strconv.Atoi: optional sign, decimal digits only.
  if (!/^[+-]?[0-9]+$/.test(vidStr))
    throw new DaemonError(`unable to parse a valid vlan id from: ${vidStr} (ex. eth0.10 for vlan 10)`);
  if (!linkExists(link)) throw new DaemonError(`-o parent interface was not found on the host: ${link}`);
  return [link, Number.parseInt(vidStr, 10)];
}

export interface ParentPlan {
  readonly parent: string;
  readonly created: boolean;
}

/**
 * Steps 1–4 of the header for a new network `id` among `others` (every existing network): the parent
 * to use and whether the driver creates it, or a DaemonError with moby's text.
 */
export function planParent(
  drv: ParentedDriver,
  id: string,
  options: Readonly<Record<string, string>>,
  others: readonly NetworkState[],
  linkExists: (name: string) => boolean,
): ParentPlan {
  if (drv === 'macvlan') {
    const mode = options[OPT_MACVLAN_MODE] ?? '';
    if (mode !== '' && !(MACVLAN_MODES as readonly string[]).includes(mode))
      throw new DaemonError(
        `requested macvlan mode '${mode}' is not valid, 'bridge' mode is the macvlan driver default`,
      );
  } else {
    const mode = options[OPT_IPVLAN_MODE] ?? '';
    if (mode !== '' && !(IPVLAN_MODES as readonly string[]).includes(mode))
      throw new DaemonError(
        `requested ipvlan mode '${mode}' is not valid, 'l2' mode is the ipvlan driver default`,
      );
    const flag = options[OPT_IPVLAN_FLAG] ?? '';
    if (flag !== '' && !(IPVLAN_FLAGS as readonly string[]).includes(flag))
      throw new DaemonError(
        `requested ipvlan flag '${flag}' is not valid, 'bridge' is the ipvlan driver default`,
      );
  }
  const given = options[OPT_PARENT] ?? '';
  if (given === 'lo') throw new DaemonError(`loopback interface is not a valid ${drv} parent link`);
  const parent = given !== '' ? given : dummyParentName(drv, id);
  const passthru = (n: NetworkState) => n.options[OPT_MACVLAN_MODE] === 'passthru';
  const sharing = others.filter((n) => n.driver === drv && parentOf(n) === parent);
  for (const nw of sharing) {
    if (drv === 'ipvlan')
      // moby names the other network by its dummy-parent name here (ipvlan_network.go createNetwork).
      throw new DaemonError(
        `network ${dummyParentName('ipvlan', nw.id)} is already using parent interface ${parent}`,
      );
    if (options[OPT_MACVLAN_MODE] === 'passthru')
      throw new DaemonError(
        `cannot use mode passthru, macvlan network ${nw.id} is already using parent interface ${parent}`,
      );
    if (passthru(nw))
      throw new DaemonError(
        `macvlan network ${nw.id} is already using parent interface ${parent} in mode passthru`,
      );
  }
  if (!linkExists(parent)) {
    if (parent !== dummyParentName(drv, id)) {
      if (!parent.includes('.'))
        throw new DaemonError(`invalid subinterface vlan name ${parent}, example formatting is eth0.10`);
      const [, vid] = parseVlanParent(parent, linkExists);
      if (vid > 4094 || vid < 1) throw new DaemonError(`vlan id must be between 1-4094, received: ${vid}`);
    }
    return { parent, created: true };
  }
  // macvlan only: a parent another network created counts as created by this one too.
  const created = drv === 'macvlan' && sharing.some(parentCreated);
  return { parent, created };
}
