// The `bridge` driver (moby daemon/libnetwork/drivers/bridge/bridge_linux.go and setup_*.go), as the
// commands its netlink calls amount to.
//
// CreateNetwork (createNetwork's setup steps, in order):
//   setupDevice            ip link add name BR address RANDOM-MAC type bridge   (GenerateRandomMAC)
//   setupMTU               ip link set dev BR mtu N                  (only if an MTU was configured)
//   setupBridgeIPv4        ip addr add GW/LEN brd + dev BR
//   setupIPv4Forwarding    sysctl net.ipv4.ip_forward=1 — and iptables -P FORWARD DROP only if it
//                          was 0 (setup_ip_forwarding.go: the policy follows a change)
//   setupLoopbackAddressesRouting  net.ipv4.conf.BR.route_localnet=1   (userland proxy off)
//   setupIPv4BridgeNetFiltering    modprobe br_netfilter; net.bridge.bridge-nf-call-iptables=1
//                                  (icc off or proxy off, with IPv4 forwarding on)
//   addfirewallerNetwork   the iptables rules of iptables-plan.ts
//   setupDeviceUp          ip link set BR up
// Profile 27 (v27.5.1) orders the iptables rules before the isolation rules and re-arranges
// DOCKER-USER after each network (controller.go NewNetwork → SetupUserChains).
//
// CreateEndpoint + Join: a veth pair `vethXXXXXXX`/`vethYYYYYYY` (netutils.GenerateIfaceName: "veth"
// + 7 random hex), MTU on both ends when configured, host end enslaved to the bridge, hairpin on
// when the userland proxy is off (setHairpinMode), host end up; the sandbox (osl) moves the peer
// into the container namespace, renames it `eth0`, sets the MAC and address, brings it up and adds
// the default route via the gateway when this endpoint is the sandbox's gateway.

import { getIn, valuesOf } from '../buckets.js';
import type { FwNetwork, FwPortBinding } from '../iptables-plan.js';
import type { ProfileId } from '../profiles.js';
import type { ContainerState, EndpointState, NetworkState } from '../types.js';
import { type CompileContext, type NetworkDriver, registerDriver } from './driver.js';

export const OPT_BRIDGE_NAME = 'com.docker.network.bridge.name';
export const OPT_ICC = 'com.docker.network.bridge.enable_icc';
export const OPT_MASQ = 'com.docker.network.bridge.enable_ip_masquerade';
export const OPT_HOST_BINDING = 'com.docker.network.bridge.host_binding_ipv4';
export const OPT_GW_MODE = 'com.docker.network.bridge.gateway_mode_ipv4';
export const OPT_MTU = 'com.docker.network.driver.mtu';
export const OPT_HOST_IPV4 = 'com.docker.network.host_ipv4';
export const OPT_DEFAULT_BRIDGE = 'com.docker.network.bridge.default_bridge';
/** Not a Docker option: the random MAC setupDevice gave the bridge, kept so recompiles agree. */
export const OPT_NETSIM_MAC = 'netsim.bridge.mac';

export function bridgeName(n: NetworkState): string {
  return n.options[OPT_BRIDGE_NAME] ?? `br-${n.id.slice(0, 12)}`;
}

function boolOpt(v: string | undefined, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  return v === 'true' || v === '1' || v === 'True' || v === 'TRUE' || v === 't';
}

export function networkMtu(c: CompileContext, n: NetworkState): number {
  const v = n.options[OPT_MTU];
  return v !== undefined ? Number.parseInt(v, 10) : c.config.mtu;
}

export function gatewayMode(n: NetworkState): string {
  return n.options[OPT_GW_MODE] ?? 'nat';
}

/**
 * The gateway modes the profile's bridge driver accepts (newGwMode): v27.5.1 knows `nat` and
 * `routed` only; `nat-unprotected` and `isolated` arrive with v28.0.0.
 */
export function knownGatewayModes(p: ProfileId): readonly string[] {
  return p === '27' ? ['nat', 'routed'] : ['nat', 'nat-unprotected', 'routed', 'isolated'];
}

export function fwNetwork(n: NetworkState): FwNetwork {
  const gwm = gatewayMode(n);
  const subnet = n.ipam?.subnet ?? '';
  return {
    ifName: bridgeName(n),
    internal: n.internal,
    icc: boolOpt(n.options[OPT_ICC], true),
    masquerade: boolOpt(n.options[OPT_MASQ], true),
    prefix: subnet,
    hostIp: n.options[OPT_HOST_IPV4] ?? '',
    routed: gwm === 'routed',
    unprotected: gwm === 'nat-unprotected',
  };
}

function fwBindings(ep: EndpointState): FwPortBinding[] {
  return ep.bindings.map((b) => ({
    proto: b.proto,
    ip: b.containerIp,
    port: b.containerPort,
    hostIp: b.hostIp,
    hostPort: b.hostPort,
  }));
}

function prefixLen(subnet: string): string {
  return subnet.slice(subnet.indexOf('/') + 1);
}

/**
 * bridge_linux.go driver.link, for icc=false bridges only: the joining endpoint is the parent of the
 * containers it names with `--link NAME[:ALIAS]`; each child's exposed ports are opened between them.
 * (The reverse case — a child joining after its parent — is not modelled: Docker requires the child
 * to be running when the parent is created.)
 */
function links(c: CompileContext, n: NetworkState, ep: EndpointState, on: boolean): void {
  if (c.fw === null || ep.links.length === 0 || fwNetwork(n).icc) return;
  const containers = valuesOf(c.state.containers);
  for (const l of ep.links) {
    const name = l.split(':')[0]!;
    const child = containers.find((x) => x.name === name || x.id === name);
    if (child === undefined) continue;
    const childEp = child.endpoints
      .map((id) => getIn(c.state.endpoints, id))
      .find((x) => x?.networkId === n.id);
    if (childEp === undefined || childEp.ip === '') continue;
    const ports = child.exposed
      .map((x) => {
        const [p, proto] = x.split('/');
        return { port: Number(p), proto: proto ?? 'tcp' };
      })
      .sort((a, b) => a.port - b.port || (a.proto < b.proto ? -1 : a.proto > b.proto ? 1 : 0));
    c.fw.link(bridgeName(n), ep.ip, childEp.ip, ports, on);
  }
}

/**
 * bridge_linux.go clearConntrackEntries, at the end of ProgramExternalConnectivity: the host's
 * conntrack entries with the endpoint's address anywhere in them (ConntrackNatAnyIP: original or
 * reply, source or destination — four `conntrack -D` here), and for each UDP binding those with its
 * original destination port — the binding's *container* port, as DeleteConntrackEntriesByPort
 * passes `port.Port` — and, when the binding names a host address, that original destination.
 * Entries created before the NAT rules existed (or by a container that had the address before) would
 * otherwise bypass the new rules. Failures (nothing to delete) are only logged, as libnetwork does.
 */
function clearConntrack(c: CompileContext, ep: EndpointState): void {
  if (ep.ip === '') return;
  for (const f of ['-s', '-d', '-r', '-q']) c.hostBestEffort(['conntrack', '-D', f, ep.ip]);
  for (const b of ep.bindings) {
    if (b.proto !== 'udp') continue;
    const dst = b.hostIp !== '' && b.hostIp !== '0.0.0.0' ? ['-d', b.hostIp] : [];
    c.hostBestEffort(['conntrack', '-D', '-p', 'udp', '--dport', `${b.containerPort}`, ...dst]);
  }
}

/**
 * setup_bridgenetfiltering.go enableBridgeNetFiltering: `modprobe br_netfilter` (loadBridgeNetFilterModule,
 * which also loads the bridge module), then bridge-nf-call-iptables=1 if it reads 0 — only when IPv4
 * forwarding is on (setupIPv4BridgeNetFiltering).
 */
function bridgeNetFiltering(c: CompileContext): void {
  if (c.host(['sysctl', '-n', 'net.ipv4.ip_forward']).trim() !== '1') return;
  c.host(['modprobe', 'br_netfilter']);
  if (c.host(['sysctl', '-n', 'net.bridge.bridge-nf-call-iptables']).trim() !== '1')
    c.host(['sysctl', '-w', 'net.bridge.bridge-nf-call-iptables=1']);
}

export const bridgeDriver: NetworkDriver = {
  name: 'bridge',

  createNetwork(c, n) {
    const br = bridgeName(n);
    const fwn = fwNetwork(n);
    const mac = n.options[OPT_NETSIM_MAC];
    c.host([
      'ip',
      'link',
      'add',
      'name',
      br,
      ...(mac !== undefined ? ['address', mac] : []),
      'type',
      'bridge',
    ]);
    const mtu = networkMtu(c, n);
    if (mtu > 0) c.host(['ip', 'link', 'set', 'dev', br, 'mtu', `${mtu}`]);
    if (n.ipam !== null) {
      c.host(['ip', 'addr', 'add', `${n.ipam.gateway}/${prefixLen(n.ipam.subnet)}`, 'brd', '+', 'dev', br]);
    }
    if (c.config.ipForward && c.profile.id !== '27') {
      const cur = c.host(['sysctl', '-n', 'net.ipv4.ip_forward']).trim();
      if (cur !== '1') {
        c.host(['sysctl', '-w', 'net.ipv4.ip_forward=1']);
        if (c.fw !== null) c.fw.filterForwardDrop();
      }
    }
    if (!c.config.userlandProxy) c.host(['sysctl', '-w', `net.ipv4.conf.${br}.route_localnet=1`]);
    const brnf = !fwn.icc || !c.config.userlandProxy;
    if (c.profile.forwardChains !== 'docker-forward') {
      // ≤28.0.0 bridge setup steps: setupIPTables, setupNetworkIsolationRules, then br_netfilter;
      // 27 also re-runs SetupUserChains after every network.
      if (c.fw !== null) c.fw.newNetwork(fwn);
      if (brnf && c.fw !== null) bridgeNetFiltering(c);
      if (c.fw !== null && c.profile.userChainReturnAndRearrange) c.fw.userChain();
    } else {
      if (brnf && c.fw !== null) bridgeNetFiltering(c);
      if (c.fw !== null) c.fw.newNetwork(fwn);
    }
    c.host(['ip', 'link', 'set', br, 'up']);
  },

  deleteNetwork(c, n) {
    if (c.fw !== null) c.fw.delNetwork(fwNetwork(n));
    c.host(['ip', 'link', 'del', bridgeName(n)]);
  },

  join(c, n, ep, ctr) {
    const br = bridgeName(n);
    const mtu = networkMtu(c, n);
    c.host(['ip', 'link', 'add', ep.hostIf, 'type', 'veth', 'peer', 'name', ep.peerIf]);
    if (mtu > 0) {
      c.host(['ip', 'link', 'set', ep.hostIf, 'mtu', `${mtu}`]);
      c.host(['ip', 'link', 'set', ep.peerIf, 'mtu', `${mtu}`]);
    }
    c.host(['ip', 'link', 'set', ep.hostIf, 'master', br]);
    if (!c.config.userlandProxy) c.host(['bridge', 'link', 'set', 'dev', ep.hostIf, 'hairpin', 'on']);
    c.host(['ip', 'link', 'set', ep.hostIf, 'up']);
    if (c.fw !== null && ep.ip !== '') c.fw.endpoint(fwNetwork(n), ep.ip, true);
    // osl: move the peer into the sandbox, rename, address, up.
    c.host(['ip', 'link', 'set', ep.peerIf, 'netns', ctr.nsName]);
    c.sandbox(ctr.nsName, ['ip', 'link', 'set', ep.peerIf, 'name', ep.ifName]);
    c.sandbox(ctr.nsName, ['ip', 'link', 'set', ep.ifName, 'address', ep.mac]);
    if (ep.ip !== '') {
      c.sandbox(ctr.nsName, ['ip', 'addr', 'add', `${ep.ip}/${ep.prefixLen}`, 'brd', '+', 'dev', ep.ifName]);
    }
    c.sandbox(ctr.nsName, ['ip', 'link', 'set', ep.ifName, 'up']);
    if (ep.gatewayEp && !n.internal && ep.gateway !== '') {
      c.sandbox(ctr.nsName, ['ip', 'route', 'add', 'default', 'via', ep.gateway, 'dev', ep.ifName]);
    }
    // Join: `if !network.config.EnableICC { return d.link(network, endpoint, true) }`.
    links(c, n, ep, true);
    // A non-gateway endpoint's first ProgramExternalConnectivity (routed-only bindings) purges too.
    if (!ep.gatewayEp) clearConntrack(c, ep);
  },

  leave(c, n, ep, _ctr) {
    links(c, n, ep, false);
    if (c.fw !== null && ep.ip !== '') c.fw.endpoint(fwNetwork(n), ep.ip, false);
    // Deleting the host end removes the pair (the sandbox end goes with it).
    c.host(['ip', 'link', 'del', ep.hostIf]);
  },

  externalConnectivity(c, n, ep, _ctr, on) {
    const fwn = fwNetwork(n);
    // A binding with host port 0 comes from a routed network (gateway_mode_ipv4=routed: NAT is
    // disabled, routed-ports.ts): no docker-proxy reserves a host port for it and the firewaller
    // installs no DNAT, only the container port's ACCEPT.
    const proxied = c.config.userlandProxy ? ep.bindings.filter((b) => b.hostPort !== 0) : [];
    // mapPorts starts a docker-proxy per binding before the per-port iptables rules are set;
    // releasePorts stops them after the rules are gone (port_mapping_linux.go).
    if (on) for (const b of proxied) c.proxy(b, true);
    if (c.fw !== null && ep.bindings.length > 0) c.fw.ports(fwn, fwBindings(ep), on);
    if (!on) for (const b of proxied) c.proxy(b, false);
    if (on) clearConntrack(c, ep);
  },
};

registerDriver(bridgeDriver);

export type { ContainerState };
