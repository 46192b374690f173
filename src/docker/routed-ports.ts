// Published ports on a bridge network created with `-o com.docker.network.bridge.gateway_mode_ipv4=routed`.
//
// Routed mode disables NAT for the network (bridge_linux.go getNATDisabled: only `routed` does —
// `nat-unprotected` maps host ports as `nat` does, and `isolated` networks are `--internal`, which
// never receive port bindings: daemon/network.go buildPortsRelatedCreateEndpointOptions). A
// publication then binds no host port, starts no docker-proxy and installs no DNAT: it only opens
// the container's port in the filter table, for clients that route to the container address
// directly (docs.docker.com, "Packet filtering and firewalls", Gateway modes: the host port is not
// used, the host address only selects IPv4 or IPv6).
//
// What each profile does with the request (bindings keep the container address and port):
// - `current` (moby master, port_mapping_linux.go configurePortBindingIPv4 and the "routed" port
//   mapper in portmappers/routed/mapper_linux.go) and `28.0` (v28.0.0 configurePortBindingIPv4 /
//   attemptBindHostPorts): the host address becomes 0.0.0.0 whatever was asked ("Using address
//   0.0.0.0 because NAT is disabled") and the host port 0 ("Host port ignored, because NAT is
//   disabled") — both only logged by the daemon, the CLI prints nothing.
// - `27` (v27.5.1 port_mapping_linux.go): validatePortBindings first refuses a specific IPv4 host
//   address, and then also a host port, in the mapping (at most 6 errors, joined by newlines); a
//   mapping without a host address takes the default binding address (`--ip`,
//   host_binding_ipv4) as it is, and attemptBindHostPorts zeroes the host port.
// The IPv6 half of a mapping (v27 and master give an IPv4-only container a `[::]` binding served by
// docker-proxy when NAT6 is on) is not modelled: netsim has no IPv6.

import type { ProfileId } from './profiles.js';
import type { PortBinding, PortRequest } from './types.js';

/** v27.5.1 validationErrLimit. */
const V27_ERROR_LIMIT = 6;

/** libnetwork types.PortBinding.String() of a request before binding: `HOSTIP:HOSTPORT:PORT/PROTO`. */
function mappingText(r: PortRequest): string {
  let s = r.hostIp !== '' ? `${r.hostIp}:` : '';
  if (r.hostPortStart !== 0) {
    s += `${r.hostPortStart}`;
    if (r.hostPortEnd !== 0 && r.hostPortEnd !== r.hostPortStart) s += `-${r.hostPortEnd}`;
  }
  if (s !== '') s += ':';
  return `${s}${r.containerPort}/${r.proto}`;
}

/**
 * v27.5.1 validatePortBindings for an IPv4 network in routed mode (NAT4 off, NAT6 on): the error
 * text for the requests, or null when they are accepted. Other profiles accept every request.
 */
export function routedRequestErrors(profileId: ProfileId, reqs: readonly PortRequest[]): string | null {
  if (profileId !== '27') return null;
  const errs: string[] = [];
  for (const r of reqs) {
    if (r.hostIp !== '' && r.hostIp !== '0.0.0.0') {
      const m = mappingText(r);
      errs.push(
        `NAT is disabled, omit host address in port mapping ${m}, or use 0.0.0.0::${r.containerPort} to open port ${r.containerPort} for IPv4-only`,
      );
      if (r.hostPortStart !== 0)
        errs.push(`host port must not be specified in mapping ${m} because NAT is disabled`);
    }
    if (errs.length >= V27_ERROR_LIMIT) break;
  }
  return errs.length > 0 ? errs.join('\n') : null;
}

/** The binding a routed-mode request gets on an endpoint with address `containerIp`. */
export function routedBinding(
  profileId: ProfileId,
  r: PortRequest,
  defaultHostIp: string,
  containerIp: string,
): PortBinding {
  const hostIp = profileId === '27' ? (r.hostIp !== '' ? r.hostIp : defaultHostIp) : '0.0.0.0';
  return { proto: r.proto, containerIp, containerPort: r.containerPort, hostIp, hostPort: 0 };
}
