// The `macvlan` driver (moby daemon/libnetwork/drivers/macvlan): containers get a macvlan child of
// the network's parent link, with their own MAC, straight on the parent's segment.
//
// - The parent, its modes and its creation/deletion: parent.ts and stacked-endpoint.ts.
// - Gateway: the driver never puts the gateway address on the host — the gateway is a router on the
//   external network. A non-internal endpoint gets `default via GATEWAY`. With no gateway — moby
//   master allocates none unless `--gateway` is given (GetSkipGwAlloc, PR 50929 of Sept 2025); profile
//   27 took the subnet's first address — it still counts as the sandbox's gateway endpoint
//   (jinfo.ForceGw4) but gets no default route. Internal networks (`--internal`, or no `-o parent`)
//   get neither.
// - No iptables rules, no port mapping (`-p` is logged as unsupported and ignored), no sysctls.
// - The well-known consequence of the kernel's macvlan (src/net/devices/macvlan.ts): a container
//   cannot reach its own host's addresses on the parent; a host-side macvlan "shim" fixes that.

import type { EndpointState, NetworkState } from '../types.js';
import { type NetworkDriver, registerDriver } from './driver.js';
import { driverInternal, dummyParentName, macvlanMode, parentOf } from './parent.js';
import { createParent, deleteParent, joinStacked, leaveStacked } from './stacked-endpoint.js';

function defaultRoute(n: NetworkState, ep: EndpointState): string[] | null {
  if (driverInternal(n) || ep.gateway === '') return null;
  return ['ip', 'route', 'add', 'default', 'via', ep.gateway, 'dev', ep.ifName];
}

export const macvlanDriver: NetworkDriver = {
  name: 'macvlan',

  createNetwork(c, n) {
    createParent(c, n, dummyParentName('macvlan', n.id));
  },

  deleteNetwork(c, n) {
    // parentHasSingleUser: `c.state` still holds `n`, so one user means only `n`.
    const users = Object.values(c.state.networks).filter(
      (x) => x.driver === 'macvlan' && parentOf(x) === parentOf(n),
    ).length;
    deleteParent(c, n, dummyParentName('macvlan', n.id), users <= 1);
  },

  join(c, n, ep, ctr) {
    joinStacked(c, 'macvlan', n, ep, ctr, ['mode', macvlanMode(n)], defaultRoute(n, ep));
  },

  leave(c, _n, ep, ctr) {
    leaveStacked(c, ep, ctr);
  },

  externalConnectivity() {},

  providesGateway: (n) => !driverInternal(n),

  defaultRoute,
};

registerDriver(macvlanDriver);
