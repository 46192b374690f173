// Which of a sandbox's endpoints provides its default route and published ports (libnetwork's
// "gateway endpoint").
//
// libnetwork keeps a sandbox's endpoints sorted by Endpoint.Less (sandbox.addEndpoint inserts with a
// binary search) and getGatewayEndpoint takes the first endpoint, skipping null/host networks, that
// has an IPv4 gateway or default route. Less compares, in order (moby v27.5.1 libnetwork/sandbox.go,
// v28.0.0 libnetwork/sandbox.go, master daemon/libnetwork/sandbox.go):
//   1. the endpoint's gateway priority, higher first (`--gw-priority`: API 1.48 = moby 28.0 stores it
//      per endpoint via JoinOptionPriority; in v27.5.1 nothing sets it, so every endpoint has 0);
//   2. an endpoint in the swarm `docker_gwbridge` network last (no swarm here, so never);
//   3. the network's `--internal` flag, non-internal first;
//   4. how many gateways the endpoint has (IPv4 and IPv6 > one of them > none; netsim is IPv4 only);
//   5. the network name, in byte order.
// The network name breaks every tie (a sandbox has one endpoint per network), so the choice does not
// depend on the order the networks were joined in.

/** What Endpoint.Less and getGatewayEndpoint look at, for one endpoint of a sandbox. */
export interface GatewayCandidate {
  readonly networkName: string;
  /** The network was created `--internal`. */
  readonly internal: boolean;
  /** The driver gave the endpoint an IPv4 gateway or default route (hasGatewayOrDefaultRoute). */
  readonly hasGateway: boolean;
  /** `gw-priority` (0 unless the profile's daemon knows the field and the user set it). */
  readonly priority: number;
}

/** Endpoint.Less as a comparator: negative when `a` is the better default-gateway candidate. */
export function compareGatewayCandidates(a: GatewayCandidate, b: GatewayCandidate): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  if (a.internal !== b.internal) return a.internal ? 1 : -1;
  if (a.hasGateway !== b.hasGateway) return a.hasGateway ? -1 : 1;
  // Go compares strings by bytes; Docker network names are ASCII ([a-zA-Z0-9][a-zA-Z0-9_.-]*).
  if (a.networkName === b.networkName) return 0;
  return a.networkName < b.networkName ? -1 : 1;
}

/**
 * getGatewayEndpoint: the best-ranked candidate that has a gateway (the first such in the sorted
 * endpoint list), or undefined when none has.
 */
export function selectGatewayEndpoint<T extends GatewayCandidate>(candidates: readonly T[]): T | undefined {
  let best: T | undefined;
  for (const c of candidates) {
    if (!c.hasGateway) continue;
    if (best === undefined || compareGatewayCandidates(c, best) < 0) best = c;
  }
  return best;
}
