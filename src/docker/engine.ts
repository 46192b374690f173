// The Docker engine of one host: desired state as an immer tree, `docker …` operations as recipes,
// and a compiler from patches to the Linux commands libnetwork would run.
//
// 1. Every operation (network create, run, stop, …) validates against the current state and then
//    applies one recipe with `produceWithPatches`. IDs, MACs and veth names are drawn from the host's
//    seeded stream (`docker:<host>`) inside the recipe, in operation order, so a run is reproducible.
// 2. The patches name the units that changed — the daemon (`started`), a network, a container's
//    sandbox, an endpoint — in the order immer reports them (state key order: daemon, networks,
//    containers, endpoints). compile() visits each unit once and asks its driver for the commands:
//    network added/removed → createNetwork/deleteNetwork; endpoint added → join + external
//    connectivity if it is the gateway; removed → revoke + leave; gateway flag flipped → routes/ports.
// 3. Commands run through the command registry (`ip`, `sysctl`, `bridge`, `iptables`) in the host
//    namespace or in a container's sandbox namespace. Every command is logged with its namespace.
//    A tool that is not registered yet (e.g. `iptables` before netfilter lands) is logged as
//    `applied: false` instead of failing, so the engine stays usable while the data plane grows.

import { enablePatches, type Patch, produceWithPatches } from 'immer';
import { CommandError, hasTool, runCommandArgv, runCommandLine, toolNames } from '../control/command.js';
import type { Rng } from '../core/rng.js';
import type { Namespace } from '../net/namespace.js';
import { closeAllSockets } from '../net/transport/transport.js';
import type { World } from '../net/world.js';
import { type Cidr, tryParseCidr } from '../wire/ipv4-address.js';
import {
  bridgeName,
  gatewayMode,
  knownGatewayModes,
  OPT_BRIDGE_NAME,
  OPT_DEFAULT_BRIDGE,
  OPT_GW_MODE,
  OPT_HOST_BINDING,
  OPT_ICC,
  OPT_MASQ,
  OPT_MTU,
  OPT_NETSIM_MAC,
} from './drivers/bridge.js';
import { type CompileContext, driver } from './drivers/driver.js';
import './drivers/host.js';
import './drivers/ipvlan.js';
import './drivers/macvlan.js';
import './drivers/none.js';
import { deleteIn, getIn, idsOfPatch, putIn, valuesOf } from './buckets.js';
import { containerHostname, extServers, hasExternalAccess } from './container-files.js';
import { resolveIp, resolveName } from './dns-names.js';
import { EmbeddedResolver, resolverNatCommands } from './dns-resolver.js';
import { OPT_NETSIM_PARENT, OPT_NETSIM_PARENT_CREATED, planParent } from './drivers/parent.js';
import { DaemonError } from './errors.js';
import { type GatewayCandidate, selectGatewayEndpoint } from './gateway-endpoint.js';
import {
  emptyIpam,
  type IpamDraft,
  LOCAL_DEFAULT_POOLS,
  maskedString,
  parsePrefix,
  prefixContains,
  releaseAddress,
  releasePool,
  requestAddress,
  requestPool,
} from './ipam.js';
import { IptModel } from './ipt-model.js';
import { Firewaller } from './iptables-plan.js';
import { allocatePort, type PortDraft, parsePortRange, releasePort } from './port-mapper.js';
import { type Profile, profile } from './profiles.js';
import { parseResolvConf } from './resolv-conf.js';
import { routedBinding, routedRequestErrors } from './routed-ports.js';
import type {
  ContainerState,
  DaemonConfig,
  EndpointState,
  EngineState,
  LinkHost,
  NetworkRequest,
  NetworkState,
  PortBinding,
  PortRequest,
} from './types.js';
import { type DockerProxy, proxyArgv, startProxy } from './userland-proxy.js';

enablePatches();

export const DEFAULT_CONFIG: DaemonConfig = {
  profile: 'current',
  icc: true,
  ipMasq: true,
  userlandProxy: true,
  iptables: true,
  ipForward: true,
  ip: '0.0.0.0',
  mtu: 0,
  defaultAddressPools: [],
};

type Draft<T> = T extends readonly (infer U)[]
  ? Draft<U>[]
  : T extends object
    ? { -readonly [K in keyof T]: Draft<T[K]> }
    : T;
type StateDraft = Draft<EngineState>;

/** What an image does on the network (a scenario's `images:` entry). */
export interface ImageSpec {
  /** Dockerfile EXPOSE: `80/tcp`. */
  readonly exposed: readonly string[];
  /** Servers its process starts: `tcp-echo-peer/80`. */
  readonly serve: readonly string[];
}

export interface LoggedCommand {
  /** Namespace name the command ran in. */
  readonly ns: string;
  readonly argv: readonly string[];
  readonly applied: boolean;
  /** Why a command that is not applied failed (a docker-proxy that could not bind). */
  readonly error?: string;
}

export interface NetworkCreateOptions {
  readonly name: string;
  readonly driver?: string;
  readonly subnet?: string;
  readonly ipRange?: string;
  readonly gateway?: string;
  readonly internal?: boolean;
  readonly attachable?: boolean;
  readonly options?: Readonly<Record<string, string>>;
  readonly labels?: Readonly<Record<string, string>>;
}

export interface ContainerCreateOptions {
  readonly name?: string;
  readonly image: string;
  readonly cmd?: readonly string[];
  readonly networkMode?: string;
  /** Networks after the first (repeated `--network`), with their endpoint settings. */
  readonly networks?: readonly NetworkRequest[];
  readonly ports?: readonly PortRequest[];
  readonly publishAll?: boolean;
  readonly exposed?: readonly string[];
  /** `--dns` servers. */
  readonly dns?: readonly string[];
  readonly hostname?: string;
  readonly domainname?: string;
  /** `--add-host NAME:IP` (or `NAME:host-gateway`). */
  readonly extraHosts?: readonly string[];
}

const PREDEFINED = new Set(['bridge', 'host', 'none']);

/** Can an endpoint on `n` be its sandbox's gateway endpoint (the driver decides; default: not internal)? */
function offersGateway(n: NetworkState, prof: Profile): boolean {
  const d = driver(n.driver);
  return d?.providesGateway !== undefined ? d.providesGateway(n, prof) : !n.internal;
}

/** How the sandbox ranks an endpoint on `n` when it picks its gateway endpoint (gateway-endpoint.ts). */
function gatewayCandidate(n: NetworkState, ep: EndpointState, prof: Profile): GatewayCandidate {
  return {
    networkName: n.name,
    internal: n.internal,
    // getGatewayEndpoint skips null and host networks.
    hasGateway: n.driver !== 'null' && n.driver !== 'host' && offersGateway(n, prof),
    priority: ep.gwPriority,
  };
}

/** The default route a gateway endpoint on `n` gets, or null. */
function defaultRouteOf(n: NetworkState, ep: EndpointState): string[] | null {
  const d = driver(n.driver);
  if (d?.defaultRoute !== undefined) return d.defaultRoute(n, ep);
  if (n.internal || ep.gateway === '') return null;
  return ['ip', 'route', 'add', 'default', 'via', ep.gateway, 'dev', ep.ifName];
}

/** The `ip route del …` that undoes an `ip route add …` argv. */
function routeDelete(add: readonly string[]): string[] {
  return add.map((x, i) => (i === 2 && x === 'add' ? 'del' : x));
}

function quoteArg(a: string): string {
  return /^[A-Za-z0-9_./:=,+@%-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

export class DockerEngine {
  state: EngineState;
  readonly model = new IptModel();
  readonly log: LoggedCommand[] = [];
  /** Patches of every applied recipe, in order (for reports and tests). */
  readonly history: Patch[][] = [];
  /** Images this host knows (a scenario's `images:`): what each exposes and serves. */
  readonly images = new Map<string, ImageSpec>();
  /**
   * The host's /etc/resolv.conf (a scenario host's `resolv-conf:`), read when container files and
   * the resolver's external servers are built; null = the host has none (container-files.ts).
   */
  hostResolvConf: string | null = null;
  private fw: Firewaller | null = null;
  /**
   * The firewaller (null with `--iptables=false`). Conformance tests feed it moby's unit-test port
   * bindings directly, as moby's own firewaller tests do.
   */
  get firewaller(): Firewaller | null {
    return this.fw;
  }
  private readonly rng: Rng;

  constructor(
    readonly world: World,
    readonly hostNs: Namespace,
  ) {
    this.rng = world.sim.rng.stream(`docker:${hostNs.name}`);
    this.state = {
      started: false,
      config: DEFAULT_CONFIG,
      networks: {},
      containers: {},
      endpoints: {},
      ipam: emptyIpam(),
      ports: { used: {}, last: {} },
      seq: 0,
    };
  }

  // --- ids -----------------------------------------------------------------------------------------

  private hex(chars: number): string {
    let s = '';
    while (s.length < chars) s += (this.rng.u32() >>> 0).toString(16).padStart(8, '0');
    return s.slice(0, chars);
  }

  /** netutils.GenerateRandomMAC: random, locally administered, unicast. */
  private randomMac(): string {
    const b = [0, 0, 0, 0, 0, 0].map(() => this.rng.u32() & 0xff);
    b[0] = (b[0]! & 0xfe) | 0x02;
    return b.map((x) => x.toString(16).padStart(2, '0')).join(':');
  }

  // --- applying recipes ----------------------------------------------------------------------------

  private apply(recipe: (d: StateDraft) => void): Patch[] {
    const prev = this.state;
    const [next, patches] = produceWithPatches(prev, recipe as (d: EngineState) => void);
    this.state = next;
    this.history.push(patches);
    try {
      this.compile(prev, next, patches);
    } catch (e) {
      // The daemon reports the failure and the object keeps its previous state (a container that
      // failed to start stays created). Commands that already ran are not undone (see the report).
      this.state = prev;
      this.history.pop();
      throw e;
    }
    this.trackNames(prev, next, patches);
    return patches;
  }

  /** Keeps the name index current from the patches (containers added or removed). */
  private trackNames(prev: EngineState, next: EngineState, patches: readonly Patch[]): void {
    if (this.namesOf !== prev.containers) return; // stale: rebuilt on the next lookup
    for (const p of patches) {
      if (p.path[0] !== 'containers') continue;
      for (const id of idsOfPatch(p.path, p.op, p.value)) {
        const a = getIn(prev.containers, id);
        const b = getIn(next.containers, id);
        if (a !== undefined && b === undefined) this.names.delete(a.name);
        else if (a === undefined && b !== undefined) this.names.set(b.name, b.id);
      }
    }
    this.namesOf = next.containers;
  }

  private exec(nsName: string, ns: Namespace, argv: readonly string[]): string {
    const tool = argv[0]!;
    if (!hasTool(tool)) {
      this.log.push({ ns: nsName, argv, applied: false });
      return '';
    }
    this.log.push({ ns: nsName, argv, applied: true });
    try {
      return runCommandArgv({ world: this.world, ns }, argv).stdout;
    } catch (e) {
      if (e instanceof CommandError) throw new DaemonError(`${argv.join(' ')}: ${e.message}`, { cause: e });
      throw e;
    }
  }

  private sandboxNs(nsName: string): Namespace {
    let ns = this.world.namespace(nsName);
    if (ns === undefined) {
      ns = this.world.addNamespace(nsName);
      this.exec(nsName, ns, ['ip', 'link', 'set', 'lo', 'up']);
    }
    return ns;
  }

  private compileContext(state: EngineState = this.state): CompileContext {
    const cfg = this.state.config;
    return {
      state,
      config: cfg,
      profile: profile(cfg.profile),
      fw: this.fw,
      host: (argv) => this.exec(this.hostNs.name, this.hostNs, argv),
      hostBestEffort: (argv) => {
        try {
          this.exec(this.hostNs.name, this.hostNs, argv);
        } catch (e) {
          if (!(e instanceof DaemonError)) throw e;
        }
      },
      hostNs: this.hostNs.name,
      hostLinkExists: (name) => this.hostLinkExists(name),
      sandbox: (nsName, argv) => this.exec(nsName, this.sandboxNs(nsName), argv),
      proxy: (b, on) => this.proxy(b, on),
    };
  }

  /** Embedded DNS servers by container id (dns-resolver.ts). */
  readonly resolvers = new Map<string, EmbeddedResolver>();

  private startResolver(c: CompileContext, ctr: ContainerState): void {
    if (this.resolvers.has(ctr.id) || ctr.nsName === this.hostNs.name) return;
    const ns = this.sandboxNs(ctr.nsName);
    const id = ctr.id;
    const r = new EmbeddedResolver(
      ns,
      this.hostNs,
      {
        resolveName: (name) => {
          const cur = getIn(this.state.containers, id);
          return cur === undefined ? null : resolveName(this.state, cur, name);
        },
        resolveIp: (ip) => {
          const cur = getIn(this.state.containers, id);
          return cur === undefined ? null : resolveIp(this.state, cur, ip);
        },
        extServers: () => extServers(this, getIn(this.state.containers, id)),
        forwardFromHost: () => {
          const cur = getIn(this.state.containers, id);
          return cur !== undefined && hasExternalAccess(this.state, cur);
        },
      },
      this.world.sim.rng.stream(`docker-dns:${ctr.nsName}`),
    );
    this.resolvers.set(ctr.id, r);
    for (const argv of resolverNatCommands(r.udpPort, r.tcpPort)) c.sandbox(ctr.nsName, argv);
  }

  /** The container's sandbox namespace is its own (not the host's, nor another container's). */
  private ownsSandbox(ctr: ContainerState): boolean {
    return ctr.nsName !== '' && ctr.nsName === ctr.sandboxId.slice(0, 12);
  }

  /**
   * Sandbox.Delete → osl: the sandbox's network namespace is released once its endpoints left (their
   * veths are gone already); the kernel then frees what is left in it — lo, routes, its iptables
   * rules (the resolver's DOCKER_OUTPUT/DOCKER_POSTROUTING) and conntrack table (cleanup_net).
   * Logged as the `ip netns delete` it amounts to (the daemon unmounts /var/run/docker/netns/KEY).
   */
  private deleteSandbox(ctr: ContainerState): void {
    if (!this.ownsSandbox(ctr)) return;
    const ns = this.world.namespace(ctr.nsName);
    if (ns === undefined) return;
    this.log.push({ ns: this.hostNs.name, argv: ['ip', 'netns', 'delete', ctr.nsName], applied: true });
    this.world.deleteNamespace(ns);
  }

  private stopResolver(id: string): void {
    this.resolvers.get(id)?.stop();
    this.resolvers.delete(id);
  }

  /** docker-proxy processes by `HOST-IP/PROTO/HOST-PORT` (userland-proxy.ts). */
  readonly proxies = new Map<string, DockerProxy>();

  private proxy(b: PortBinding, on: boolean): void {
    const key = `${b.hostIp}/${b.proto}/${b.hostPort}`;
    const argv = proxyArgv(b);
    if (on) {
      // Docker fails the start when the host socket cannot be bound; netsim logs the proxy as not
      // applied instead, because test hosts often leave lo down (no 127.0.0.1 to bind to).
      try {
        this.proxies.set(key, startProxy(this.hostNs, b));
        this.log.push({ ns: this.hostNs.name, argv, applied: true });
      } catch (e) {
        if (!(e instanceof DaemonError)) throw e;
        this.log.push({ ns: this.hostNs.name, argv, applied: false, error: e.message });
      }
    } else {
      this.log.push({ ns: this.hostNs.name, argv: ['kill', '-TERM', `(${argv.join(' ')})`], applied: true });
      this.proxies.get(key)?.stop();
      this.proxies.delete(key);
    }
  }

  /** Patches → units → driver calls (see the header). */
  private compile(prev: EngineState, next: EngineState, patches: readonly Patch[]): void {
    const units: string[] = [];
    const seen = new Set<string>();
    const add = (key: string): void => {
      if (seen.has(key)) return;
      seen.add(key);
      units.push(key);
    };
    for (const p of patches) {
      const [root, id] = p.path as (string | number)[];
      if (root === 'started') add('daemon');
      else if (root === 'networks' && id !== undefined) add(`n:${id}`);
      else if (root === 'containers' || root === 'endpoints') {
        // Bucketed (buckets.ts): [root, d0, d1, id, …], or shorter when a bucket is born.
        const tag = root === 'containers' ? 'c' : 'e';
        for (const k of idsOfPatch(p.path, p.op, p.value)) add(`${tag}:${k}`);
      }
    }
    // Visit order: the daemon, added networks, departing endpoints (so a new gateway endpoint finds
    // the old default route gone), sandboxes, new or changed endpoints (in patch order), and removed
    // networks last — a network is deleted only after its endpoints left.
    const rank = (u: string): number => {
      if (u === 'daemon') return 0;
      if (u.startsWith('n:')) return next.networks[u.slice(2)] !== undefined ? 1 : 5;
      if (u.startsWith('e:')) {
        // An endpoint that stops being the gateway gives up its default route with the leavers,
        // before the new gateway endpoint adds its own (one default route at a time).
        const b = getIn(next.endpoints, u.slice(2));
        return b === undefined || (getIn(prev.endpoints, u.slice(2))?.gatewayEp === true && !b.gatewayEp)
          ? 2
          : 4;
      }
      return 3;
    };
    units.sort((a, b) => rank(a) - rank(b));
    // A stopping container's processes exit before its network is torn down (the daemon kills the
    // task, then releases the network): their sockets close while the interfaces still exist.
    for (const u of units) {
      if (!u.startsWith('c:')) continue;
      const a = getIn(prev.containers, u.slice(2));
      if (a?.running && !getIn(next.containers, a.id)?.running && this.ownsSandbox(a)) {
        const ns = this.world.namespace(a.nsName);
        if (ns !== undefined) closeAllSockets(ns);
      }
    }
    let c = this.compileContext(next);
    let cPrev = this.compileContext(prev);
    for (const u of units) {
      const id = u.slice(2);
      if (u === 'daemon') {
        if (!prev.started && next.started) this.daemonInit();
        c = this.compileContext(next);
        cPrev = this.compileContext(prev);
      } else if (u.startsWith('n:')) {
        const a = prev.networks[id];
        const b = next.networks[id];
        if (a === undefined && b !== undefined) driver(b.driver)?.createNetwork(this.compileContext(), b);
        else if (a !== undefined && b === undefined) driver(a.driver)?.deleteNetwork(cPrev, a);
      } else if (u.startsWith('c:')) {
        const b = getIn(next.containers, id);
        if (b?.running && !getIn(prev.containers, id)?.running && b.nsName !== this.hostNs.name)
          this.sandboxNs(b.nsName);
        const a = getIn(prev.containers, id);
        if (!b?.running && a?.running) {
          this.stopResolver(id);
          this.deleteSandbox(a);
        }
      } else {
        const a = getIn(prev.endpoints, id);
        const b = getIn(next.endpoints, id);
        if (a === undefined && b !== undefined) {
          const n = next.networks[b.networkId]!;
          const ctr = getIn(next.containers, b.containerId)!;
          driver(n.driver)?.join(c, n, b, ctr);
          if (b.gatewayEp) driver(n.driver)?.externalConnectivity(c, n, b, ctr, true);
          // sandbox_linux.go: `if ep.needResolver() { sb.startResolver(false) }` (once per sandbox).
          if (!n.predefined) this.startResolver(c, ctr);
        } else if (a !== undefined && b === undefined) {
          const n = prev.networks[a.networkId]!;
          const ctr = getIn(prev.containers, a.containerId)!;
          if (a.gatewayEp) driver(n.driver)?.externalConnectivity(cPrev, n, a, ctr, false);
          driver(n.driver)?.leave(cPrev, n, a, ctr);
        } else if (a !== undefined && b !== undefined && a.gatewayEp !== b.gatewayEp) {
          const n = next.networks[b.networkId]!;
          const ctr = getIn(next.containers, b.containerId)!;
          if (b.gatewayEp) {
            const route = defaultRouteOf(n, b);
            if (route !== null) c.sandbox(ctr.nsName, route);
            driver(n.driver)?.externalConnectivity(c, n, b, ctr, true);
          } else {
            // updateGateway: UnsetGateway / UnsetDefaultRouteIPv4 delete the old default route
            // (sandbox_linux.go), then the old endpoint's ports are revoked.
            const route = defaultRouteOf(n, a);
            if (route !== null) c.sandbox(ctr.nsName, routeDelete(route));
            driver(n.driver)?.externalConnectivity(c, n, a, ctr, false);
          }
        }
      }
    }
  }

  /** Daemon start: the firewaller's chains, DOCKER-USER, and (27) IP forwarding at driver init. */
  private daemonInit(): void {
    const cfg = this.state.config;
    const prof = profile(cfg.profile);
    const host = (argv: readonly string[]) => this.exec(this.hostNs.name, this.hostNs, argv);
    this.fw = cfg.iptables
      ? new Firewaller(
          this.model,
          (argv) => {
            host(argv);
          },
          prof,
          !cfg.userlandProxy,
        )
      : null;
    if (this.fw !== null) {
      this.fw.init();
      if (prof.id === '27' && cfg.ipForward) {
        // v27.5.1 bridge_linux.go configure → setupIPForwarding at driver init.
        if (host(['sysctl', '-n', 'net.ipv4.ip_forward']).trim() !== '1') {
          host(['sysctl', '-w', 'net.ipv4.ip_forward=1']);
          this.fw.filterForwardDrop();
        }
      }
      if (!prof.userChainReturnAndRearrange) this.fw.userChain();
    }
  }

  // --- queries -------------------------------------------------------------------------------------

  /** Resolves a network by exact name, full id, or unique id prefix (as the daemon does). */
  findNetwork(ref: string): NetworkState | undefined {
    const nets = Object.values(this.state.networks);
    const byId = nets.find((n) => n.id === ref);
    if (byId !== undefined) return byId;
    const byName = nets.find((n) => n.name === ref);
    if (byName !== undefined) return byName;
    const pref = nets.filter((n) => n.id.startsWith(ref));
    return pref.length === 1 ? pref[0] : undefined;
  }

  network(ref: string): NetworkState {
    const n = this.findNetwork(ref);
    if (n === undefined) throw new DaemonError(`network ${ref} not found`);
    return n;
  }

  findContainer(ref: string): ContainerState | undefined {
    const byId = getIn(this.state.containers, ref);
    if (byId !== undefined) return byId;
    const named = this.containerByName(ref.startsWith('/') ? ref.slice(1) : ref);
    if (named !== undefined) return named;
    const pref = valuesOf(this.state.containers).filter((c) => c.id.startsWith(ref));
    return pref.length === 1 ? pref[0] : undefined;
  }

  /** Container names → ids, kept beside the state (names never change once created). */
  private readonly names = new Map<string, string>();
  private namesOf: EngineState['containers'] | null = null;

  private containerByName(name: string): ContainerState | undefined {
    if (this.namesOf !== this.state.containers) {
      // Rebuilt only when containers were added or removed behind the index (e.g. a rollback).
      this.names.clear();
      for (const c of valuesOf(this.state.containers)) this.names.set(c.name, c.id);
      this.namesOf = this.state.containers;
    }
    const id = this.names.get(name);
    return id === undefined ? undefined : getIn(this.state.containers, id);
  }

  container(ref: string): ContainerState {
    const c = this.findContainer(ref);
    if (c === undefined) throw new DaemonError(`No such container: ${ref}`);
    return c;
  }

  endpointsOf(ctr: ContainerState): EndpointState[] {
    return ctr.endpoints.map((id) => getIn(this.state.endpoints, id)!).filter((e) => e !== undefined);
  }

  /** netlink LinkByName in the host namespace, as the macvlan/ipvlan drivers' parentExists. */
  hostLinkExists(name: string): boolean {
    if (!toolNames().includes('ip') || name === '') return false;
    try {
      runCommandLine({ world: this.world, ns: this.hostNs }, `ip link show dev ${quoteArg(name)}`);
      return true;
    } catch (e) {
      if (e instanceof CommandError) return false;
      throw e;
    }
  }

  /**
   * netutils.InferReservedNetworks: the IPv4 nameservers of the host's resolv.conf as /32s, and the
   * host's on-link IPv4 routes (via `ip route show`).
   */
  private reservedRoutes(): Cidr[] {
    const res: Cidr[] = [];
    for (const a of parseResolvConf(this.hostResolvConf).nameservers) {
      const c = a.includes(':') ? null : tryParseCidr(`${a}/32`);
      if (c !== null) res.push(c);
    }
    if (!toolNames().includes('ip')) return res;
    const out = runCommandLine({ world: this.world, ns: this.hostNs }, 'ip route show').stdout;
    for (const line of out.split('\n')) {
      if (!line.includes('scope link')) continue;
      const first = line.split(' ')[0] ?? '';
      const c = tryParseCidr(first);
      if (c !== null && first !== 'default' && c.addr !== 0) res.push(c);
    }
    return res;
  }

  private ephemeralRange(): [number, number] {
    const sys = this.hostNs.sysctl;
    return parsePortRange(
      sys.has('net.ipv4.ip_local_port_range') ? sys.get('net.ipv4.ip_local_port_range') : null,
    );
  }

  // --- daemon ----------------------------------------------------------------------------------------

  /** dockerd: starts the daemon with `config`, creating the predefined networks. */
  startDaemon(config: Partial<DaemonConfig> = {}): void {
    if (this.state.started) throw new DaemonError('dockerd is already running');
    const cfg: DaemonConfig = { ...DEFAULT_CONFIG, ...config };
    const pools = cfg.defaultAddressPools.length > 0 ? cfg.defaultAddressPools : LOCAL_DEFAULT_POOLS;
    const reserved = this.reservedRoutes();
    this.apply((d) => {
      d.config = cfg as Draft<DaemonConfig>;
      d.started = true;
      const ipam = d.ipam as IpamDraft;
      // daemon_unix.go initBridgeDriver: docker0 from --bip, else the first free default pool.
      let subnet: string;
      let gateway: string;
      if (cfg.bip !== undefined) {
        const bip = parsePrefix(cfg.bip);
        subnet = requestPool(ipam, { pool: maskedString(bip) }, pools, []);
        gateway = requestAddress(ipam, subnet, undefined, cfg.bip.slice(0, cfg.bip.indexOf('/')));
      } else {
        subnet = requestPool(ipam, {}, pools, reserved);
        gateway = requestAddress(ipam, subnet, undefined);
      }
      const options: Record<string, string> = {
        [OPT_DEFAULT_BRIDGE]: 'true',
        [OPT_ICC]: `${cfg.icc}`,
        [OPT_MASQ]: `${cfg.ipMasq}`,
        [OPT_HOST_BINDING]: cfg.ip,
        [OPT_BRIDGE_NAME]: 'docker0',
        [OPT_MTU]: `${cfg.mtu > 0 ? cfg.mtu : 1500}`,
        [OPT_NETSIM_MAC]: this.randomMac(),
      };
      // Order of creation as in the daemon: none, host, then the default bridge.
      for (const [name, drv] of [
        ['none', 'null'],
        ['host', 'host'],
      ] as const) {
        const id = this.hex(64);
        d.networks[id] = {
          id,
          name,
          driver: drv,
          internal: false,
          attachable: false,
          predefined: true,
          seq: d.seq++,
          ipam: null,
          options: {},
          labels: {},
        };
      }
      const id = this.hex(64);
      d.networks[id] = {
        id,
        name: 'bridge',
        driver: 'bridge',
        internal: false,
        attachable: false,
        predefined: true,
        seq: d.seq++,
        ipam: { subnet, gateway, userSubnet: false, userGateway: false },
        options,
        labels: {},
      };
    });
  }

  private ensureStarted(): void {
    if (!this.state.started) this.startDaemon();
  }

  // --- networks ----------------------------------------------------------------------------------

  networkCreate(o: NetworkCreateOptions): NetworkState {
    this.ensureStarted();
    const drv = o.driver ?? 'bridge';
    if (drv !== 'bridge' && drv !== 'macvlan' && drv !== 'ipvlan') {
      throw new DaemonError(`could not find plugin ${drv} in v1 plugin registry: plugin not found`);
    }
    if (Object.values(this.state.networks).some((n) => n.name === o.name)) {
      throw new DaemonError(`network with name ${o.name} already exists`);
    }
    const options = { ...(o.options ?? {}) };
    const brName = drv === 'bridge' ? options[OPT_BRIDGE_NAME] : undefined;
    if (
      brName !== undefined &&
      Object.values(this.state.networks).some((n) => n.driver === 'bridge' && bridgeName(n) === brName)
    ) {
      throw new DaemonError(`cannot create network (${brName}): networks have same bridge name`);
    }
    const gwm = drv === 'bridge' ? options[OPT_GW_MODE] : undefined;
    if (gwm !== undefined && !knownGatewayModes(this.state.config.profile).includes(gwm)) {
      // networkConfiguration.fromLabels: parseErr around newGwMode's error.
      throw new DaemonError(`failed to parse ${OPT_GW_MODE} value: ${gwm} (unknown gateway mode ${gwm})`);
    }
    if (gwm === 'isolated' && o.internal !== true) {
      throw new DaemonError("gateway mode 'isolated' can only be used for an internal network");
    }
    if (o.ipRange !== undefined && o.subnet === undefined) {
      throw new DaemonError('invalid pool request: invalid address subpool');
    }
    const cfg = this.state.config;
    const pools = cfg.defaultAddressPools.length > 0 ? cfg.defaultAddressPools : LOCAL_DEFAULT_POOLS;
    const reserved = o.subnet === undefined ? this.reservedRoutes() : [];
    let created: NetworkState | undefined;
    this.apply((d) => {
      const ipam = d.ipam as IpamDraft;
      const id = this.hex(64);
      if (drv === 'bridge') options[OPT_NETSIM_MAC] = this.randomMac();
      const subnet = requestPool(ipam, { pool: o.subnet, subPool: o.ipRange }, pools, reserved);
      let gateway = '';
      // GetSkipGwAlloc (moby master, PR 50929): macvlan and ipvlan get a gateway only when the user names one;
      // v27 allocated one for every network.
      const skipGw = drv !== 'bridge' && cfg.profile !== '27';
      if (!skipGw || o.gateway !== undefined) {
        try {
          gateway = requestAddress(ipam, subnet, o.ipRange, o.gateway);
        } catch (e) {
          throw new DaemonError(`failed to allocate gateway (${o.gateway ?? ''}): ${(e as Error).message}`);
        }
      }
      if (drv === 'macvlan' || drv === 'ipvlan') {
        const plan = planParent(drv, id, options, Object.values(this.state.networks), (l) =>
          this.hostLinkExists(l),
        );
        options[OPT_NETSIM_PARENT] = plan.parent;
        if (plan.created) options[OPT_NETSIM_PARENT_CREATED] = 'true';
      }
      const n: NetworkState = {
        id,
        name: o.name,
        driver: drv,
        internal: o.internal ?? false,
        attachable: o.attachable ?? false,
        predefined: false,
        seq: d.seq++,
        ipam: {
          subnet,
          ...(o.ipRange !== undefined ? { ipRange: maskedString(parsePrefix(o.ipRange)) } : {}),
          gateway,
          userSubnet: o.subnet !== undefined,
          userGateway: o.gateway !== undefined,
        },
        options,
        labels: { ...(o.labels ?? {}) },
      };
      d.networks[id] = n as Draft<NetworkState>;
      created = n;
    });
    return this.state.networks[created!.id]!;
  }

  networkRm(ref: string): void {
    this.ensureStarted();
    const n = this.network(ref);
    if (n.predefined) throw new DaemonError(`${n.name} is a pre-defined network and cannot be removed`);
    const eps = valuesOf(this.state.endpoints).filter((e) => e.networkId === n.id);
    if (eps.length > 0) {
      const names = eps.map((e) => getIn(this.state.containers, e.containerId)!.name);
      throw new DaemonError(
        `error while removing network: network ${n.name} has active endpoints (${names.join(', ')})`,
      );
    }
    this.apply((d) => {
      const ipam = d.ipam as IpamDraft;
      if (n.ipam !== null) {
        if (n.ipam.gateway !== '') releaseAddress(ipam, n.ipam.subnet, n.ipam.gateway);
        releasePool(ipam, n.ipam.subnet, n.ipam.ipRange);
      }
      delete d.networks[n.id];
    });
  }

  // --- containers -------------------------------------------------------------------------------

  containerCreate(o: ContainerCreateOptions): ContainerState {
    this.ensureStarted();
    const mode = o.networkMode ?? 'bridge';
    const name = o.name;
    if (name !== undefined) {
      const other = this.containerByName(name);
      if (other !== undefined) {
        throw new DaemonError(
          `Conflict. The container name "/${name}" is already in use by container "${other.id}". You have to remove (or rename) that container to be able to reuse that name.`,
        );
      }
    }
    const ports = o.ports ?? [];
    if (mode.startsWith('container:')) {
      if (ports.length > 0 || o.publishAll === true)
        throw new DaemonError('conflicting options: port publishing and the container type network mode');
      if ((o.exposed ?? []).length > 0)
        throw new DaemonError('conflicting options: port exposing and the container type network mode');
      // runconfig validateNetContainerMode.
      if (o.hostname !== undefined && o.hostname !== '')
        throw new DaemonError('conflicting options: hostname and the network mode');
      if ((o.extraHosts ?? []).length > 0)
        throw new DaemonError('conflicting options: custom host-to-IP mapping and the network mode');
      if ((o.networks ?? []).some((r) => r.links.length > 0))
        throw new DaemonError(
          "conflicting options: container type network can't be used with links. This would result in undefined behavior",
        );
      this.container(mode.slice('container:'.length));
    }
    if (mode === 'host' && (o.networks ?? []).some((r) => r.links.length > 0)) {
      throw new DaemonError(
        "conflicting options: host type networking can't be used with links. This would result in undefined behavior",
      );
    }
    const reqs: NetworkRequest[] = [];
    if (mode !== 'host' && mode !== 'none' && !mode.startsWith('container:')) {
      for (const r of o.networks ?? [{ network: mode, aliases: [], links: [] }]) {
        const n = this.network(r.network);
        if (n.name === 'bridge' || n.predefined) {
          const errs: string[] = [];
          if (r.ipv4 !== undefined)
            errs.push('user-specified IP address is supported on user-defined networks only');
          if (r.aliases.length > 0)
            errs.push('network-scoped aliases are only supported for user-defined networks');
          if (errs.length > 0) throw new DaemonError(`invalid endpoint settings:\n${errs.join('\n')}`);
        } else if (r.ipv4 !== undefined && n.ipam !== null) {
          const inRange =
            prefixContains(n.ipam.ipRange ?? n.ipam.subnet, r.ipv4) || prefixContains(n.ipam.subnet, r.ipv4);
          if (!n.ipam.userSubnet) {
            throw new DaemonError(
              'invalid endpoint settings:\nuser specified IP address is supported only when connecting to networks with user configured subnets',
            );
          }
          if (!inRange)
            throw new DaemonError(
              `invalid endpoint settings:\nno configured subnet or ip-range contain the IP address ${r.ipv4}`,
            );
        }
        reqs.push({ ...r, network: n.name });
      }
    }
    let id = '';
    this.apply((d) => {
      id = this.hex(64);
      const ctrName = name ?? `netsim_${id.slice(0, 6)}`;
      putIn(d.containers, id, {
        id,
        name: ctrName,
        image: o.image,
        cmd: [...(o.cmd ?? [])],
        seq: d.seq++,
        running: false,
        networkMode: mode,
        networks: reqs.map((r) => ({ ...r, aliases: [...r.aliases], links: [...r.links] })),
        ports: ports.map((p) => ({ ...p })),
        publishAll: o.publishAll ?? false,
        exposed: [...(o.exposed ?? [])],
        ...(o.dns !== undefined && o.dns.length > 0 ? { dns: [...o.dns] } : {}),
        ...(o.hostname !== undefined ? { hostname: o.hostname } : {}),
        ...(o.domainname !== undefined ? { domainname: o.domainname } : {}),
        ...(o.extraHosts !== undefined && o.extraHosts.length > 0 ? { extraHosts: [...o.extraHosts] } : {}),
        sandboxId: '',
        nsName: '',
        endpoints: [],
        exitCode: 0,
      });
    });
    return getIn(this.state.containers, id)!;
  }

  /** Start: a new sandbox, an endpoint per network (IPAM, MAC, veth names), ports on the gateway. */
  containerStart(ref: string): void {
    this.ensureStarted();
    const ctr = this.container(ref);
    if (ctr.running) return;
    const mode = ctr.networkMode;
    let nsName: string;
    if (mode === 'host') nsName = this.hostNs.name;
    else if (mode.startsWith('container:')) {
      const other = this.container(mode.slice('container:'.length));
      if (!other.running)
        throw new DaemonError(
          `cannot join network namespace of a non running container: container ${other.id} is not running`,
        );
      nsName = other.nsName;
    } else nsName = '';
    // Legacy links on the default bridge (container_operations_unix.go setupLinkedContainers).
    for (const r of ctr.networks) {
      if (r.network !== 'bridge') continue;
      for (const l of r.links) {
        const [name, alias] = l.split(':') as [string, string | undefined];
        const child = this.findContainer(name);
        if (child !== undefined && !child.running) {
          throw new DaemonError(
            `Cannot link to a non running container: /${child.name} AS /${ctr.name}/${alias ?? name}`,
          );
        }
      }
    }
    const eph = this.ephemeralRange();
    const prof = profile(this.state.config.profile);
    this.withNetworkSetupPrefix(prof, () => this.startRecipe(ctr, nsName, eph, prof));
    startProcesses(this, getIn(this.state.containers, ctr.id)!);
  }

  /**
   * allocateNetwork's failures at start (endpoint addresses, ports, driver joins) as the profile's
   * daemon reports them: 28.0.1+ prefixes `failed to set up container networking: ` (start_linux.go);
   * the checks before it (links, `container:` mode) are not part of allocateNetwork.
   */
  private withNetworkSetupPrefix(prof: ReturnType<typeof profile>, f: () => void): void {
    try {
      f();
    } catch (e) {
      if (!prof.networkSetupErrorPrefix || !(e instanceof DaemonError)) throw e;
      throw new DaemonError(`failed to set up container networking: ${e.message}`, { cause: e });
    }
  }

  private startRecipe(
    ctr: ContainerState,
    nsName: string,
    eph: [number, number],
    prof: ReturnType<typeof profile>,
  ): void {
    this.apply((d) => {
      const c = getIn(d.containers, ctr.id)!;
      c.running = true;
      c.sandboxId = this.hex(64);
      c.nsName = nsName !== '' ? nsName : c.sandboxId.slice(0, 12);
      c.exitCode = 0;
      ctr.networks.forEach((r, i) => {
        const n = this.network(r.network);
        const ep = this.newEndpoint(d, n, ctr, r, `eth${i}`, prof.macFromIp);
        putIn(d.endpoints, ep.id, ep);
        c.endpoints.push(ep.id);
      });
      this.electGateway(d, ctr, eph);
      this.linkHostsAtStart(d, ctr);
    });
  }

  /**
   * Legacy links' /etc/hosts lines (container_operations_unix.go addLegacyLinks): the starting
   * container gets `CHILD-IP ALIAS CHILD-HOSTNAME [CHILD-NAME]` per `--link` on the default bridge;
   * running parents that link to it get their line's address replaced (UpdateHostsEntry).
   */
  private linkHostsAtStart(d: StateDraft, ctr: ContainerState): void {
    const bridgeIp = (c: ContainerState): string => {
      for (const id of getIn(d.containers, c.id)?.endpoints ?? c.endpoints) {
        const ep = getIn(d.endpoints, id);
        if (ep !== undefined && d.networks[ep.networkId]?.name === 'bridge') return ep.ip;
      }
      return '';
    };
    const self = getIn(d.containers, ctr.id)!;
    const lines: LinkHost[] = [];
    for (const r of ctr.networks) {
      if (r.network !== 'bridge') continue;
      for (const l of r.links) {
        const [name, alias0] = l.split(':') as [string, string | undefined];
        const child = this.findContainer(name);
        if (child === undefined) continue;
        const alias = alias0 ?? child.name;
        const hosts = `${alias} ${containerHostname(child)}${alias !== child.name ? ` ${child.name}` : ''}`;
        const ip = bridgeIp(child);
        if (ip === '') continue;
        lines.push({ child: child.id, hosts, ip });
        const parents = this.linkParents.get(child.id) ?? new Set<string>();
        this.linkParents.set(child.id, parents.add(ctr.id));
      }
    }
    if (lines.length > 0) self.linkHosts = lines;
    const ip = bridgeIp(ctr);
    if (ip === '') return;
    for (const pid of this.linkParents.get(ctr.id) ?? []) {
      const dp = getIn(d.containers, pid);
      if (dp === undefined || !dp.running || dp.linkHosts === undefined) continue;
      dp.linkHosts = dp.linkHosts.map((x) => (x.child === ctr.id ? { ...x, ip } : x));
    }
  }

  /** Parents by child id of legacy links (a hint: entries are checked against the state). */
  private readonly linkParents = new Map<string, Set<string>>();

  private newEndpoint(
    d: StateDraft,
    n: NetworkState,
    ctr: ContainerState,
    r: NetworkRequest,
    ifName: string,
    macFromIp: boolean,
  ): Draft<EndpointState> {
    const id = this.hex(64);
    let ip = '';
    let prefixLen = 0;
    if (n.ipam !== null) {
      const ipam = d.ipam as IpamDraft;
      try {
        ip = requestAddress(ipam, n.ipam.subnet, r.ipv4 === undefined ? n.ipam.ipRange : undefined, r.ipv4);
      } catch (e) {
        if (r.ipv4 === undefined && (e as Error).message === 'no available addresses on this pool') {
          throw new DaemonError(
            `no available IPv4 addresses on this network's address pools: ${n.name} (${n.id})`,
          );
        }
        throw e;
      }
      prefixLen = parsePrefix(n.ipam.subnet).prefixLen;
    }
    const mac =
      n.driver === 'ipvlan'
        ? ''
        : macFromIp && ip !== ''
          ? `02:42:${ip
              .split('.')
              .map((x) => Number(x).toString(16).padStart(2, '0'))
              .join(':')}`
          : this.randomMac();
    return {
      id,
      networkId: n.id,
      containerId: ctr.id,
      ip,
      prefixLen,
      gateway: n.ipam?.gateway ?? '',
      mac,
      hostIf: `veth${this.hex(7)}`,
      peerIf: `veth${this.hex(7)}`,
      ifName,
      aliases: [...r.aliases],
      links: [...r.links],
      gwPriority: profile(this.state.config.profile).gwPriority ? (r.gwPriority ?? 0) : 0,
      gatewayEp: false,
      bindings: [],
    };
  }

  /**
   * The sandbox's gateway endpoint after a join or leave (getGatewayEndpoint over the ranking in
   * gateway-endpoint.ts). When it changes, the old one's published ports are released and the new
   * one's are bound (updateExternalConnectivity: the old gateway is re-programmed without them
   * first); compile() moves the default route.
   */
  private electGateway(d: StateDraft, ctr: ContainerState, eph: [number, number]): void {
    const eps = getIn(d.containers, ctr.id)!.endpoints.map((id) => getIn(d.endpoints, id)!);
    const prof = profile(this.state.config.profile);
    const best = selectGatewayEndpoint(
      eps.map((ep) => ({ ep, ...gatewayCandidate(this.state.networks[ep.networkId]!, ep, prof) })),
    )?.ep;
    const cur = eps.find((ep) => ep.gatewayEp);
    if (best === cur) return;
    if (cur !== undefined) {
      for (const b of cur.bindings) releasePort(d.ports as PortDraft, b.hostIp, b.proto, b.hostPort);
      cur.bindings = [];
      cur.gatewayEp = false;
    }
    if (best !== undefined) {
      best.gatewayEp = true;
      best.bindings = this.bindPorts(
        d.ports as PortDraft,
        ctr,
        this.state.networks[best.networkId]!,
        best,
        eph,
      );
    }
  }

  /** The ports requested by `-p`, `-P` (exposed ports) → bindings on the gateway endpoint. */
  private bindPorts(
    ports: PortDraft,
    ctr: ContainerState,
    n: NetworkState,
    ep: Draft<EndpointState>,
    eph: [number, number],
  ): PortBinding[] {
    // Only the bridge driver maps ports (macvlan/ipvlan CreateEndpoint: "does not support port mappings").
    if (n.driver !== 'bridge') return [];
    const dfltIp = n.options[OPT_HOST_BINDING] ?? this.state.config.ip;
    const reqs: PortRequest[] = [...ctr.ports];
    if (ctr.publishAll) {
      for (const e of ctr.exposed) {
        const [p, proto] = e.split('/') as [string, PortRequest['proto'] | undefined];
        const port = Number(p);
        const pr = proto ?? 'tcp';
        if (!reqs.some((r) => r.containerPort === port && r.proto === pr))
          reqs.push({ proto: pr, containerPort: port, hostIp: '', hostPortStart: 0, hostPortEnd: 0 });
      }
    }
    const failed = (why: string) =>
      new DaemonError(
        `driver failed programming external connectivity on endpoint ${ctr.name} (${ep.id}): ${why}`,
      );
    if (gatewayMode(n) === 'routed') {
      // NAT disabled: no host port is allocated, only the container port is opened (routed-ports.ts).
      const prof = this.state.config.profile;
      const errs = routedRequestErrors(prof, reqs);
      if (errs !== null) throw failed(errs);
      return reqs.map((r) => routedBinding(prof, r, dfltIp, ep.ip));
    }
    const out: PortBinding[] = [];
    for (const r of reqs) {
      const hostIp = r.hostIp === '' ? dfltIp : r.hostIp;
      let hostPort: number;
      try {
        hostPort = allocatePort(ports, hostIp, r.proto, r.hostPortStart, r.hostPortEnd, eph);
      } catch (e) {
        throw failed((e as Error).message);
      }
      out.push({ proto: r.proto, containerIp: ep.ip, containerPort: r.containerPort, hostIp, hostPort });
    }
    return out;
  }

  containerStop(ref: string, exitCode = 0): void {
    this.ensureStarted();
    const ctr = this.container(ref);
    if (!ctr.running) return;
    this.apply((d) => {
      this.releaseEndpoints(d, ctr);
      const c = getIn(d.containers, ctr.id)!;
      c.running = false;
      c.endpoints = [];
      c.exitCode = exitCode;
    });
  }

  private releaseEndpoints(d: StateDraft, ctr: ContainerState): void {
    for (const epId of ctr.endpoints) {
      const ep = getIn(this.state.endpoints, epId);
      if (ep === undefined) continue;
      const n = this.state.networks[ep.networkId]!;
      if (n.ipam !== null && ep.ip !== '') releaseAddress(d.ipam as IpamDraft, n.ipam.subnet, ep.ip);
      for (const b of ep.bindings) releasePort(d.ports as PortDraft, b.hostIp, b.proto, b.hostPort);
      deleteIn(d.endpoints, epId);
    }
  }

  containerRm(ref: string, force: boolean): ContainerState {
    this.ensureStarted();
    const ctr = this.container(ref);
    if (ctr.running && !force) {
      throw new DaemonError(
        `cannot remove container "${ref}": container is running: stop the container before removing or force remove`,
      );
    }
    this.apply((d) => {
      if (ctr.running) this.releaseEndpoints(d, ctr);
      deleteIn(d.containers, ctr.id);
    });
    return ctr;
  }

  networkConnect(netRef: string, ctrRef: string, r: Omit<NetworkRequest, 'network'>): void {
    this.ensureStarted();
    const n = this.network(netRef);
    const ctr = this.container(ctrRef);
    if (
      ctr.networkMode === 'host' ||
      ctr.networkMode === 'none' ||
      ctr.networkMode.startsWith('container:')
    ) {
      throw new DaemonError(
        'container sharing network namespace with another container or host cannot be connected to any other network',
      );
    }
    if (ctr.networks.some((x) => x.network === n.name)) {
      throw new DaemonError(`endpoint with name ${ctr.name} already exists in network ${n.name}`);
    }
    const eph = this.ephemeralRange();
    const prof = profile(this.state.config.profile);
    this.apply((d) => {
      const c = getIn(d.containers, ctr.id)!;
      c.networks.push({
        network: n.name,
        ...(r.ipv4 !== undefined ? { ipv4: r.ipv4 } : {}),
        aliases: [...r.aliases],
        links: [...r.links],
        ...(r.gwPriority !== undefined ? { gwPriority: r.gwPriority } : {}),
      });
      if (!ctr.running) return;
      const ep = this.newEndpoint(d, n, ctr, { network: n.name, ...r }, this.nextIfName(ctr), prof.macFromIp);
      putIn(d.endpoints, ep.id, ep);
      c.endpoints.push(ep.id);
      this.electGateway(d, ctr, eph);
    });
  }

  /**
   * osl generateIfaceName: the lowest `ethN` no interface of the sandbox uses (a disconnect leaves a
   * gap that the next connect fills; the count of endpoints could name one that still exists).
   */
  private nextIfName(ctr: ContainerState): string {
    const used = new Set(this.endpointsOf(ctr).map((e) => e.ifName));
    let i = 0;
    while (used.has(`eth${i}`)) i++;
    return `eth${i}`;
  }

  networkDisconnect(netRef: string, ctrRef: string): void {
    this.ensureStarted();
    const n = this.network(netRef);
    const ctr = this.container(ctrRef);
    const i = ctr.networks.findIndex((x) => x.network === n.name);
    if (i < 0) throw new DaemonError(`container ${ctr.id} is not connected to network ${n.name}`);
    const eph = this.ephemeralRange();
    this.apply((d) => {
      const c = getIn(d.containers, ctr.id)!;
      c.networks.splice(i, 1);
      const ep = this.endpointsOf(ctr).find((e) => e.networkId === n.id);
      if (ep === undefined) return;
      this.releaseEndpoints(d, { ...ctr, endpoints: [ep.id] });
      c.endpoints = c.endpoints.filter((x) => x !== ep.id);
      // sbLeave: when the leaver was the gateway, the next-ranked endpoint takes over.
      this.electGateway(d, ctr, eph);
    });
  }
}

// --- images and container processes (scenario glue) ----------------------------------------------

/**
 * Starts what a container's process does on the network: called once per `serve` entry of its image
 * (`tcp-echo-peer/80` → kind `tcp-echo-peer`, port 80) when the container starts, with the namespace
 * the process runs in (the sandbox, or the host's for `--network host`) and a label
 * `CONTAINER:KIND/PORT`. The scenario runner installs one that creates the app through its registry.
 */
export type ProcessStarter = (ns: Namespace, label: string, kind: string, port: number) => void;

interface WorldImages {
  readonly images: ReadonlyMap<string, ImageSpec>;
  readonly start: ProcessStarter | null;
}

const worldImages = new WeakMap<World, WorldImages>();

/** Images every Docker host of `world` knows (a scenario's `images:`), and who starts processes. */
export function setWorldImages(
  world: World,
  images: Readonly<Record<string, ImageSpec>>,
  start: ProcessStarter | null,
): void {
  worldImages.set(world, { images: new Map(Object.entries(images)), start });
}

const worldFileBase = new WeakMap<World, string>();

/** The directory relative paths given to `docker compose -f` resolve against (the scenario's). */
export function setWorldFileBase(world: World, dir: string): void {
  worldFileBase.set(world, dir);
}

export function worldFileBaseOf(world: World): string | undefined {
  return worldFileBase.get(world);
}

/** The image `name` as `ns`'s engine knows it: its own definitions first, then the world's. */
export function imageOf(e: DockerEngine, name: string): ImageSpec | undefined {
  return e.images.get(name) ?? worldImages.get(e.world)?.images.get(name);
}

function startProcesses(e: DockerEngine, ctr: ContainerState): void {
  const wi = worldImages.get(e.world);
  const img = imageOf(e, ctr.image);
  if (wi?.start == null || img === undefined) return;
  const ns = e.world.namespace(ctr.nsName);
  if (ns === undefined) return;
  for (const s of img.serve) {
    const slash = s.lastIndexOf('/');
    wi.start(ns, `${ctr.name}:${s}`, s.slice(0, slash), Number(s.slice(slash + 1)));
  }
}

// --- one engine per host namespace -------------------------------------------------------------------

const engines = new WeakMap<Namespace, DockerEngine>();

/** The engine of the host `ns` (created, not started, on first use). */
export function engineOf(world: World, ns: Namespace): DockerEngine {
  let e = engines.get(ns);
  if (e === undefined) {
    e = new DockerEngine(world, ns);
    engines.set(ns, e);
  }
  return e;
}

/** The engine of `ns` if one exists (e.g. `ns` is a container sandbox: see `engineOwning`). */
export function existingEngine(ns: Namespace): DockerEngine | undefined {
  return engines.get(ns);
}
