// The `ipvlan` driver (moby daemon/libnetwork/drivers/ipvlan): containers get an ipvlan child of the
// network's parent link; they share the parent's MAC and are told apart by address.
//
// - The parent, its mode/flag and its creation/deletion: parent.ts and stacked-endpoint.ts. A parent
//   serves one ipvlan network only. Mode and flag belong to the kernel's port (the parent), so every
//   child on it has the network's.
// - Routes (ipvlan_joinleave.go Join): l2 as macvlan (`default via GATEWAY` when there is one; moby
//   master allocates no gateway unless `--gateway` is given, PR 50929); l3/l3s a connected default
//   route `default dev ethN` (AddStaticRoute 0.0.0.0/0, types.CONNECTED) — the parent namespace
//   routes what the child sends. Internal networks (`--internal`, or no `-o parent`) get no default
//   route. Profile 27 (v27.5.1): the l3/l3s default route is an interface route that osl
//   setInterfaceRoutes installs with the interface, whichever endpoint is the gateway; the endpoint
//   sets no gateway address, so getGatewayEndpoint (which wants one) never picks it.
// - MAC: none of its own (inspect shows an empty MacAddress; the child has the parent's).
// - No iptables rules, no port mapping, no sysctls.

import type { EndpointState, NetworkState } from '../types.js';
import { type NetworkDriver, registerDriver } from './driver.js';
import { driverInternal, dummyParentName, ipvlanFlag, ipvlanMode } from './parent.js';
import { createParent, deleteParent, joinStacked, leaveStacked } from './stacked-endpoint.js';

function defaultRoute(n: NetworkState, ep: EndpointState): string[] | null {
  if (driverInternal(n)) return null;
  if (ipvlanMode(n) !== 'l2') return ['ip', 'route', 'add', 'default', 'dev', ep.ifName];
  if (ep.gateway === '') return null;
  return ['ip', 'route', 'add', 'default', 'via', ep.gateway, 'dev', ep.ifName];
}

export const ipvlanDriver: NetworkDriver = {
  name: 'ipvlan',

  createNetwork(c, n) {
    createParent(c, n, dummyParentName('ipvlan', n.id));
  },

  deleteNetwork(c, n) {
    // ipvlan_network.go DeleteNetwork does not count users: the parent is never shared.
    deleteParent(c, n, dummyParentName('ipvlan', n.id), true);
  },

  join(c, n, ep, ctr) {
    const l3RouteWithInterface = c.profile.id === '27' && ipvlanMode(n) !== 'l2';
    joinStacked(
      c,
      'ipvlan',
      n,
      ep,
      ctr,
      ['mode', ipvlanMode(n), ipvlanFlag(n)],
      defaultRoute(n, ep),
      l3RouteWithInterface,
    );
  },

  leave(c, _n, ep, ctr) {
    leaveStacked(c, ep, ctr);
  },

  externalConnectivity() {},

  providesGateway: (n, prof) => !driverInternal(n) && !(prof.id === '27' && ipvlanMode(n) !== 'l2'),

  defaultRoute,
};

registerDriver(ipvlanDriver);
