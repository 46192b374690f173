// An endpoint of a macvlan or ipvlan network: a child link of the network's parent, created in the
// host namespace under a temporary name and handed to the sandbox (moby macvlan_joinleave.go /
// ipvlan_joinleave.go Join, *_setup.go createMacVlan/createIPVlan, osl interface_linux.go AddInterface
// and RemoveInterface).
//
// Join:   [host] ip link add vethXXXXXXX link PARENT type macvlan mode M | type ipvlan mode M FLAG
//         [host] ip link set vethXXXXXXX netns SANDBOX
//         [sandbox] ip link set vethXXXXXXX name ethN; (macvlan) ip link set ethN address MAC;
//                   ip addr add IP/LEN brd + dev ethN; ip link set ethN up; then the default route.
// Leave:  [sandbox] ip link set ethN down; ip link set ethN name vethXXXXXXX; ip link set … netns HOST
//         [host] ip link del vethXXXXXXX        (osl RemoveInterface, then DeleteEndpoint's LinkDel)
// Errors: a missing parent is refused before the link is added ("the requested parent interface …
// was not found on the Docker host"); a refused `ip link add` (e.g. a parent already carrying the
// other kind of child: EBUSY) becomes "failed to create the macvlan port: device or resource busy".

import { CommandError } from '../../control/command.js';
import { DaemonError } from '../errors.js';
import type { ContainerState, EndpointState, NetworkState } from '../types.js';
import type { CompileContext } from './driver.js';
import { parentCreated, parentOf } from './parent.js';

/** The errno text Go's syscall.Errno prints (lower case) from a `RTNETLINK answers: …` message. */
function errnoText(e: DaemonError): string {
  const cause = e.cause instanceof CommandError ? e.cause.message : e.message;
  const t = cause.replace(/^RTNETLINK answers: /, '');
  return t.charAt(0).toLowerCase() + t.slice(1);
}

export function joinStacked(
  c: CompileContext,
  kind: 'macvlan' | 'ipvlan',
  n: NetworkState,
  ep: EndpointState,
  ctr: ContainerState,
  typeArgs: readonly string[],
  route: readonly string[] | null,
  /** Install `route` even when the endpoint is not the gateway (ipvlan l3 on profile 27). */
  routeWithInterface = false,
): void {
  const parent = parentOf(n);
  if (!c.hostLinkExists(parent))
    throw new DaemonError(`the requested parent interface ${parent} was not found on the Docker host`);
  const tmp = ep.peerIf;
  try {
    c.host(['ip', 'link', 'add', tmp, 'link', parent, 'type', kind, ...typeArgs]);
  } catch (e) {
    if (!(e instanceof DaemonError)) throw e;
    throw new DaemonError(`failed to create the ${kind} port: ${errnoText(e)}`);
  }
  c.host(['ip', 'link', 'set', tmp, 'netns', ctr.nsName]);
  c.sandbox(ctr.nsName, ['ip', 'link', 'set', tmp, 'name', ep.ifName]);
  // ipvlan children keep the parent's MAC (moby: "ipvlan interfaces do not support custom mac address").
  if (ep.mac !== '') c.sandbox(ctr.nsName, ['ip', 'link', 'set', ep.ifName, 'address', ep.mac]);
  if (ep.ip !== '')
    c.sandbox(ctr.nsName, ['ip', 'addr', 'add', `${ep.ip}/${ep.prefixLen}`, 'brd', '+', 'dev', ep.ifName]);
  c.sandbox(ctr.nsName, ['ip', 'link', 'set', ep.ifName, 'up']);
  if ((ep.gatewayEp || routeWithInterface) && route !== null) c.sandbox(ctr.nsName, route);
}

export function leaveStacked(c: CompileContext, ep: EndpointState, ctr: ContainerState): void {
  c.sandbox(ctr.nsName, ['ip', 'link', 'set', ep.ifName, 'down']);
  c.sandbox(ctr.nsName, ['ip', 'link', 'set', ep.ifName, 'name', ep.peerIf]);
  c.sandbox(ctr.nsName, ['ip', 'link', 'set', ep.peerIf, 'netns', c.hostNs]);
  c.host(['ip', 'link', 'del', ep.peerIf]);
}

/** createNetwork: the parent link the driver creates (createDummyLink / createVlanLink), set up. */
export function createParent(c: CompileContext, n: NetworkState, dummyName: string): void {
  const parent = parentOf(n);
  if (c.hostLinkExists(parent)) return;
  if (parent === dummyName) c.host(['ip', 'link', 'add', parent, 'type', 'dummy']);
  else {
    const [link, vid] = parent.split('.') as [string, string];
    c.host([
      'ip',
      'link',
      'add',
      'link',
      link,
      'name',
      parent,
      'type',
      'vlan',
      'id',
      `${Number.parseInt(vid, 10)}`,
    ]);
  }
  c.host(['ip', 'link', 'set', parent, 'up']);
}

/**
 * DeleteNetwork: the parent goes when the driver created it, it still exists, and (`lastUser`) no
 * other network uses it; only a dummy of this network's name or a `NAME.VID` link is deleted.
 */
export function deleteParent(c: CompileContext, n: NetworkState, dummyName: string, lastUser: boolean): void {
  const parent = parentOf(n);
  if (!parentCreated(n) || !lastUser || !c.hostLinkExists(parent)) return;
  if (parent === dummyName || /^[^.]+\.[+-]?[0-9]+$/.test(parent)) c.host(['ip', 'link', 'del', parent]);
}
