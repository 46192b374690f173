// Files the daemon writes for a container, as data: /etc/resolv.conf (what `docker exec C cat FILE`
// prints). netsim hosts have no /etc/resolv.conf of their own, so the host file contributes no
// nameservers; `dockerd --dns` / `docker run --dns` override them (NSOverride).
//
// Facts (moby b985e23, daemon/libnetwork):
// - sandbox_dns_unix.go rebuildDNS: with the internal resolver the file is the host's, transformed by
//   resolvconf.TransformForIntNS(127.0.0.11, ResolverOptions() = ["ndots:0"]), written without a
//   header; the replaced nameservers become the resolver's external servers.
// - internal/resolvconf/resolvconf.go Generate: nameservers, `options …`, then the comments
//   "# Based on host file: '/etc/resolv.conf' (internal resolver|legacy)", the warning
//   "# NO EXTERNAL NAMESERVERS DEFINED", "# ExtServers: [A B]", "# Overrides: [nameservers]" and
//   "# Option ndots from: internal" (testdata/TestRCTransformForIntNS/*.golden).
// - Without the internal resolver (default bridge, `--network host`) the legacy transform keeps the
//   nameservers (testdata/TestRCTransformForLegacyNw).

import { resolverEndpoints } from './dns-names.js';
import { RESOLVER_IP } from './dns-resolver.js';
import type { ContainerState, EngineState } from './types.js';

/** The nameservers that replace the host's (container `--dns`, else daemon `--dns`), if any. */
function overrides(state: EngineState, ctr: ContainerState | undefined): readonly string[] | null {
  if (ctr?.dns !== undefined && ctr.dns.length > 0) return ctr.dns;
  const d = state.config.dns;
  return d !== undefined && d.length > 0 ? d : null;
}

/** The embedded resolver's external servers for `ctr`. */
export function extServers(state: EngineState, ctr: ContainerState | undefined): readonly string[] {
  return overrides(state, ctr) ?? [];
}

/** Does the container's sandbox run the embedded resolver? */
export function usesInternalResolver(state: EngineState, ctr: ContainerState): boolean {
  return ctr.running && resolverEndpoints(state, ctr).length > 0;
}

export function resolvConf(state: EngineState, ctr: ContainerState): string {
  const ov = overrides(state, ctr);
  const ns = ov ?? [];
  const lines: string[] = [];
  if (usesInternalResolver(state, ctr)) {
    lines.push(`nameserver ${RESOLVER_IP}`, 'options ndots:0', '');
    lines.push("# Based on host file: '/etc/resolv.conf' (internal resolver)");
    if (ns.length === 0) lines.push('# NO EXTERNAL NAMESERVERS DEFINED');
    else lines.push(`# ExtServers: [${ns.join(' ')}]`);
    lines.push(`# Overrides: [${ov !== null ? 'nameservers' : ''}]`, '# Option ndots from: internal');
  } else {
    for (const n of ns) lines.push(`nameserver ${n}`);
    lines.push('', "# Based on host file: '/etc/resolv.conf' (legacy)");
    lines.push(`# Overrides: [${ov !== null ? 'nameservers' : ''}]`);
  }
  return `${lines.join('\n')}\n`;
}

/** A file the daemon manages for `ctr`, or null when netsim does not model it. */
export function containerFile(state: EngineState, ctr: ContainerState, path: string): string | null {
  if (path === '/etc/resolv.conf') return resolvConf(state, ctr);
  return null;
}
