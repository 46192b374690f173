// Name resolution of the embedded DNS server over the engine state: what a container's resolver
// answers from its own records (moby b985e23).
//
// - daemon/container_operations.go buildEndpointDNSNames: an endpoint's DNS names are the container
//   name, its network aliases, then the short id (12 hex) and the hostname (= the short id by
//   default); the first is used for PTR records.
// - daemon/network.go: endpoints on networks that are not user-defined (bridge, host, none) get
//   CreateOptionDisableResolution — no embedded DNS there.
// - daemon/libnetwork/sandbox.go ResolveName: names resolve on the networks the asking container is
//   connected to; "a.b" is also tried as "a" on network "b". For each candidate, the asking endpoint's
//   own link aliases (`--link NAME:ALIAS` on a user-defined network) are looked up first, then the
//   network's records (network.go ResolveName: lower-cased, trailing dot dropped, IPs de-duplicated).
// - sandbox.go ResolveIP / network.go ResolveIP: PTR answers `FIRST-DNS-NAME.NETWORK-NAME`.

import { getIn, valuesOf } from './buckets.js';
import type { ContainerState, EndpointState, EngineState, NetworkState } from './types.js';

function userDefined(n: NetworkState): boolean {
  return !n.predefined;
}

/** buildEndpointDNSNames. */
export function dnsNames(ctr: ContainerState, ep: EndpointState): string[] {
  const out: string[] = [];
  const names = [ctr.name, ...ep.aliases, ctr.id.slice(0, 12), ...(ctr.hostname ? [ctr.hostname] : [])];
  for (const n of names) if (!out.includes(n)) out.push(n);
  return out;
}

/** The endpoints of `ctr` on user-defined networks (those that need the resolver). */
export function resolverEndpoints(state: EngineState, ctr: ContainerState): EndpointState[] {
  const out: EndpointState[] = [];
  for (const id of ctr.endpoints) {
    const ep = getIn(state.endpoints, id);
    const n = ep === undefined ? undefined : state.networks[ep.networkId];
    if (ep !== undefined && n !== undefined && userDefined(n)) out.push(ep);
  }
  return out;
}

/** Addresses a network's records give for `name` (network.go ResolveName), or null. */
function networkResolve(state: EngineState, n: NetworkState, name: string): string[] | null {
  const want = name.toLowerCase();
  const ips: string[] = [];
  let found = false;
  // In creation order of the containers (the service records' insertion order).
  const eps = valuesOf(state.endpoints).filter((ep) => ep.networkId === n.id);
  eps.sort(
    (a, b) =>
      (getIn(state.containers, a.containerId)?.seq ?? 0) - (getIn(state.containers, b.containerId)?.seq ?? 0),
  );
  for (const ep of eps) {
    if (ep.networkId !== n.id || ep.ip === '') continue;
    const ctr = getIn(state.containers, ep.containerId);
    if (ctr === undefined) continue;
    if (!dnsNames(ctr, ep).some((x) => x.toLowerCase() === want)) continue;
    found = true;
    if (!ips.includes(ep.ip)) ips.push(ep.ip);
  }
  return found ? ips : null;
}

/** Sandbox.ResolveName for IPv4 from container `ctr`: the addresses, or null (not ours). */
export function resolveName(state: EngineState, ctr: ContainerState, query: string): string[] | null {
  const name = query.endsWith('.') ? query.slice(0, -1) : query;
  const reqName = [name];
  const netName = [''];
  for (let i = name.lastIndexOf('.'); i > 0; i = name.lastIndexOf('.', i - 1)) {
    netName.push(name.slice(i + 1));
    reqName.push(name.slice(0, i));
  }
  const eps = resolverEndpoints(state, ctr);
  for (let k = 0; k < reqName.length; k++) {
    for (const lookupAlias of [true, false]) {
      for (const ep of eps) {
        const n = state.networks[ep.networkId]!;
        if (netName[k] !== '' && netName[k] !== n.name) continue;
        const aliases = linkAliases(ep);
        let target = reqName[k]!;
        if (lookupAlias) {
          const t = aliases.get(target);
          if (t === undefined) continue;
          target = t;
        } else if (aliases.has(target)) continue;
        const ips = networkResolve(state, n, target);
        if (ips !== null) return ips;
      }
    }
  }
  return null;
}

/** `--link NAME[:ALIAS]` on a user-defined network: ALIAS → NAME (endpoint aliases map). */
function linkAliases(ep: EndpointState): Map<string, string> {
  const m = new Map<string, string>();
  for (const l of ep.links) {
    const [name, alias] = l.split(':') as [string, string | undefined];
    m.set(alias ?? name, name);
  }
  return m;
}

/** Sandbox.ResolveIP: `NAME.NETWORK` for an address on one of `ctr`'s user-defined networks. */
export function resolveIp(state: EngineState, ctr: ContainerState, ip: string): string | null {
  for (const own of resolverEndpoints(state, ctr)) {
    const n = state.networks[own.networkId]!;
    for (const ep of valuesOf(state.endpoints)) {
      if (ep.networkId !== n.id || ep.ip !== ip) continue;
      const c = getIn(state.containers, ep.containerId);
      if (c !== undefined) return `${dnsNames(c, ep)[0]}.${n.name}`;
    }
  }
  return null;
}
