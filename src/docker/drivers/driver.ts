// The network-driver contract of the engine's compiler (libnetwork driverapi.Driver, reduced to what
// a compile step needs). A driver turns one unit of engine state into Linux commands through the
// CompileContext: it never touches the data plane. `externalConnectivity` matters for drivers that
// publish ports (bridge); `providesGateway`/`defaultRoute` let a driver say which endpoints can be a
// sandbox's gateway and which default route they install (macvlan, ipvlan).

import type { Firewaller } from '../iptables-plan.js';
import type { Profile } from '../profiles.js';
import type {
  ContainerState,
  DaemonConfig,
  EndpointState,
  EngineState,
  NetworkState,
  PortBinding,
} from '../types.js';

export interface CompileContext {
  readonly config: DaemonConfig;
  readonly profile: Profile;
  /** The engine state the unit belongs to (after the change; before it for removals). */
  readonly state: EngineState;
  /** Null when dockerd runs with `--iptables=false`. */
  readonly fw: Firewaller | null;
  /** Runs a command line (argv) in the host namespace; returns its stdout. */
  host(argv: readonly string[]): string;
  /** Runs a command in the host namespace whose failure libnetwork only logs (conntrack purges). */
  hostBestEffort(argv: readonly string[]): void;
  /** Name of the host namespace (to move links back to it). */
  readonly hostNs: string;
  /** Does a link of that name exist in the host namespace (netlink LinkByName)? Not logged. */
  hostLinkExists(name: string): boolean;
  /** Runs a command line in a container's sandbox namespace (created on first use). */
  sandbox(nsName: string, argv: readonly string[]): string;
  /** Starts (on) or stops a docker-proxy process for a published port (userland-proxy.ts). */
  proxy(b: PortBinding, on: boolean): void;
}

export interface NetworkDriver {
  readonly name: string;
  createNetwork(c: CompileContext, n: NetworkState): void;
  deleteNetwork(c: CompileContext, n: NetworkState): void;
  /** CreateEndpoint + Join: the endpoint's interface in the sandbox, addresses, routes. */
  join(c: CompileContext, n: NetworkState, ep: EndpointState, ctr: ContainerState): void;
  /** Leave + DeleteEndpoint. */
  leave(c: CompileContext, n: NetworkState, ep: EndpointState, ctr: ContainerState): void;
  /** ProgramExternalConnectivity / RevokeExternalConnectivity (the gateway endpoint's ports). */
  externalConnectivity(
    c: CompileContext,
    n: NetworkState,
    ep: EndpointState,
    ctr: ContainerState,
    on: boolean,
  ): void;
  /**
   * Can an endpoint on `n` be its sandbox's gateway endpoint (libnetwork hasGatewayOrDefaultRoute)?
   * Absent: when the network is not `--internal`.
   */
  providesGateway?(n: NetworkState, profile: Profile): boolean;
  /** The `ip route add default …` a gateway endpoint gets, or null. Absent: `via` the gateway. */
  defaultRoute?(n: NetworkState, ep: EndpointState): string[] | null;
}

const drivers = new Map<string, NetworkDriver>();

export function registerDriver(d: NetworkDriver): void {
  drivers.set(d.name, d);
}

export function driver(name: string): NetworkDriver | undefined {
  return drivers.get(name);
}
