// The Docker engine's desired state on one host: a plain, JSON-able tree that immer freezes.
//
// Every `docker …` command is a recipe on this tree (engine.ts); `produceWithPatches` gives the
// patches, and the compiler (compile.ts) turns the units the patches touch (a network, an endpoint)
// into the Linux commands libnetwork would run. Nothing here refers to the data plane.
//
// Addresses are text (`172.17.0.2`) and prefixes CIDR text (`172.17.0.0/16`) because that is what
// `docker inspect` prints and what the command lines carry; ipam.ts converts to numbers internally.

import type { Buckets } from './buckets.js';
import type { ProfileId } from './profiles.js';

/** `--default-address-pool base=…,size=…` (ipamutils.NetworkToSplit). */
export interface AddressPoolSpec {
  readonly base: string;
  readonly size: number;
}

/** dockerd options that shape networking (daemon/config, libnetwork/drivers/bridge Configuration). */
export interface DaemonConfig {
  readonly profile: ProfileId;
  /** `--icc` (default true). */
  readonly icc: boolean;
  /** `--ip-masq` (default true). */
  readonly ipMasq: boolean;
  /** `--userland-proxy` (default true). The firewaller's `Hairpin` is its negation. */
  readonly userlandProxy: boolean;
  /** `--iptables` (default true). */
  readonly iptables: boolean;
  /** `--ip-forward` (default true). */
  readonly ipForward: boolean;
  /** `--ip`: default host address for published ports (default 0.0.0.0). */
  readonly ip: string;
  /** `--mtu` (0 = the kernel's default, 1500). */
  readonly mtu: number;
  /** `--bip`: docker0's address with prefix (`172.17.0.1/16`); absent = first default pool. */
  readonly bip?: string;
  /** `--default-address-pool` entries; empty = ipamutils' local-scope defaults. */
  readonly defaultAddressPools: readonly AddressPoolSpec[];
  /** `--dns`: nameservers for containers (overrides the host's resolv.conf ones). */
  readonly dns?: readonly string[];
}

/** Bridge gateway modes (bridge_linux.go gwMode). */
export type GatewayMode = 'nat' | 'nat-unprotected' | 'routed' | 'isolated';

export interface IpamConfigState {
  /** Allocated subnet (`172.18.0.0/16`). */
  readonly subnet: string;
  /** `--ip-range` (`172.18.5.0/24`), if any. */
  readonly ipRange?: string;
  /** Gateway address without prefix. */
  readonly gateway: string;
  /** True when the user gave `--subnet` (inspect prints the config only then, as Docker does). */
  readonly userSubnet: boolean;
  readonly userGateway: boolean;
}

export interface NetworkState {
  /** 64 hex characters. */
  readonly id: string;
  readonly name: string;
  readonly driver: string;
  readonly internal: boolean;
  readonly attachable: boolean;
  /** The predefined networks (`bridge`, `host`, `none`) cannot be removed. */
  readonly predefined: boolean;
  /** Creation order (a counter, also the RFC 3339 `Created` time offset). */
  readonly seq: number;
  readonly ipam: IpamConfigState | null;
  /** `-o key=value` driver options as given. */
  readonly options: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
}

/** What a container asked for on one network (`--network NAME --ip … --network-alias …`). */
export interface NetworkRequest {
  readonly network: string;
  readonly ipv4?: string;
  readonly aliases: readonly string[];
  readonly links: readonly string[];
  /** `gw-priority` (`--network name=NET,gw-priority=N`, `network connect --gw-priority N`); 0 if unset. */
  readonly gwPriority?: number;
}

/** One `-p` binding as requested, after parsing (nat.ParsePortSpecs). */
export interface PortRequest {
  readonly proto: 'tcp' | 'udp' | 'sctp';
  readonly containerPort: number;
  /** Host address ('' = the daemon's `--ip`). */
  readonly hostIp: string;
  /** 0 = any port from the ephemeral range. */
  readonly hostPortStart: number;
  readonly hostPortEnd: number;
}

export interface ContainerState {
  readonly id: string;
  readonly name: string;
  readonly image: string;
  readonly cmd: readonly string[];
  readonly seq: number;
  readonly running: boolean;
  /** `bridge`, a user network name, `host`, `none` or `container:NAME`. */
  readonly networkMode: string;
  /** Networks in connection order (the first one is the `--network` one). */
  readonly networks: readonly NetworkRequest[];
  readonly ports: readonly PortRequest[];
  readonly publishAll: boolean;
  /** `--expose` and image-exposed ports, `80/tcp`. */
  readonly exposed: readonly string[];
  /** Sandbox (network namespace) id, 64 hex; a new one at every start as Docker does. */
  readonly sandboxId: string;
  /** Name of the netsim namespace of the sandbox (the sandbox key's basename: 12 hex). */
  readonly nsName: string;
  /** Endpoint ids while running, in join order. */
  readonly endpoints: readonly string[];
  /** Exit code after stop (137 after a kill, 0 on a clean stop). */
  readonly exitCode: number;
  /** `docker run --dns` (empty/absent = the daemon's). */
  readonly dns?: readonly string[];
  /** `--hostname` (absent: the first 12 hex digits of the id) and `--domainname`. */
  readonly hostname?: string;
  readonly domainname?: string;
  /** `--add-host NAME:IP` as given (`host-gateway` is resolved when /etc/hosts is written). */
  readonly extraHosts?: readonly string[];
  /** /etc/hosts lines of legacy `--link`s (default bridge): set at start, updated when a child restarts. */
  readonly linkHosts?: readonly LinkHost[];
}

/** One legacy-link line of a container's /etc/hosts (container_operations_unix.go). */
export interface LinkHost {
  /** The linked (child) container's id. */
  readonly child: string;
  /** `ALIAS CHILD-HOSTNAME [CHILD-NAME]`. */
  readonly hosts: string;
  readonly ip: string;
}

/** A published port as bound (types.PortBinding). */
export interface PortBinding {
  readonly proto: 'tcp' | 'udp' | 'sctp';
  readonly containerIp: string;
  readonly containerPort: number;
  readonly hostIp: string;
  readonly hostPort: number;
}

export interface EndpointState {
  readonly id: string;
  readonly networkId: string;
  readonly containerId: string;
  /** Address without prefix; '' on host/none networks. */
  readonly ip: string;
  readonly prefixLen: number;
  readonly gateway: string;
  readonly mac: string;
  /** Host side veth (`veth` + 7 hex). */
  readonly hostIf: string;
  /** Temporary name of the container side before it is renamed inside the sandbox. */
  readonly peerIf: string;
  /** Name inside the sandbox (`eth0`, `eth1`, …). */
  readonly ifName: string;
  readonly aliases: readonly string[];
  readonly links: readonly string[];
  /**
   * The gateway priority the sandbox ranks this endpoint by (gateway-endpoint.ts): the request's
   * `gw-priority` on profiles whose daemon knows the field (28.0+), else 0.
   */
  readonly gwPriority: number;
  /** Is this endpoint the sandbox's gateway (default route, published ports)? */
  readonly gatewayEp: boolean;
  readonly bindings: readonly PortBinding[];
}

/** One address pool in the default IPAM (defaultipam PoolData). */
export interface PoolState {
  readonly subnet: string;
  /** Allocated host offsets from the subnet's first address, ascending (addrset bitmap). */
  readonly used: readonly number[];
  readonly children: readonly string[];
  readonly autoRelease: boolean;
}

export interface IpamState {
  /** Allocated prefixes (addrSpace.allocated), kept sorted by address then length. */
  readonly allocated: readonly string[];
  readonly pools: Readonly<Record<string, PoolState>>;
}

/** The port allocator (portallocator.PortAllocator): host ports in use per address and protocol. */
export interface PortAllocState {
  /**
   * `0.0.0.0/tcp` → ports in use, bucketed by `port >> 8` (each bucket a set: port → 1) so one
   * allocation copies at most 256 ports, not every port of the address.
   */
  readonly used: Readonly<Record<string, Readonly<Record<string, Readonly<Record<string, 1>>>>>>;
  /** Per-range round-robin pointer: `0.0.0.0/tcp/32768-60999` → last port handed out. */
  readonly last: Readonly<Record<string, number>>;
}

export interface EngineState {
  readonly started: boolean;
  readonly config: DaemonConfig;
  readonly networks: Readonly<Record<string, NetworkState>>;
  /** Bucketed by id (buckets.ts): one container's change copies one bucket, not every container. */
  readonly containers: Buckets<ContainerState>;
  readonly endpoints: Buckets<EndpointState>;
  readonly ipam: IpamState;
  readonly ports: PortAllocState;
  /** Monotonic counter for `seq` fields. */
  readonly seq: number;
}
