// Files the daemon writes for a container, as data (what `docker exec C cat FILE` prints):
// /etc/resolv.conf and the embedded resolver's external servers that come with it (resolv-conf.ts has
// the facts), /etc/hosts and /etc/hostname. The host's /etc/resolv.conf is the engine's `hostResolvConf` (a scenario host's
// `resolv-conf:`); null means the host has none, which libnetwork treats as an empty file.
//
// Which transform (moby b985e23 sandbox_dns_unix.go): a sandbox with the internal resolver (an
// endpoint on a user-defined network) gets rebuildDNS → TransformForIntNS(127.0.0.11, ["ndots:0"]);
// `--network host` keeps the host's file as it is (useDefaultSandBox: no transform); any other
// sandbox gets TransformForLegacyNw.

import { getIn } from './buckets.js';
import { resolverEndpoints } from './dns-names.js';
import { RESOLVER_IP } from './dns-resolver.js';
import {
  type ExtServer,
  generateResolvConf,
  overrideNameservers,
  parseResolvConf,
  transformForIntNS,
  transformForLegacyNw,
} from './resolv-conf.js';
import type { ContainerState, EngineState } from './types.js';

/** What the container files are built from: the engine state and the host's own resolv.conf. */
export interface FileSource {
  readonly state: EngineState;
  readonly hostResolvConf: string | null;
  /** The container a `container:REF` network mode names. */
  findContainer(ref: string): ContainerState | undefined;
}

/** resolver.ResolverOptions. */
const RESOLVER_OPTIONS = ['ndots:0'];

/** The nameservers that replace the host's (container `--dns`, else daemon `--dns`), if any. */
function overrides(state: EngineState, ctr: ContainerState | undefined): readonly string[] | null {
  if (ctr?.dns !== undefined && ctr.dns.length > 0) return ctr.dns;
  const d = state.config.dns;
  return d !== undefined && d.length > 0 ? d : null;
}

/**
 * sandbox.go hasExternalAccess: an endpoint on a network that is not internal (nor null/host) with
 * an IPv4 gateway — the resolver's proxyDNS, which lets it query the host's nameservers.
 */
export function hasExternalAccess(state: EngineState, ctr: ContainerState): boolean {
  for (const id of ctr.endpoints) {
    const ep = getIn(state.endpoints, id);
    const n = ep === undefined ? undefined : state.networks[ep.networkId];
    if (ep === undefined || n === undefined) continue;
    if (n.internal || n.driver === 'null' || n.driver === 'host') continue;
    if (ep.gateway !== '') return true;
  }
  return false;
}

/** Does the container's sandbox run the embedded resolver? */
export function usesInternalResolver(state: EngineState, ctr: ContainerState): boolean {
  return ctr.running && resolverEndpoints(state, ctr).length > 0;
}

function build(src: FileSource, ctr: ContainerState | undefined): { text: string; ext: ExtServer[] } {
  const rc = parseResolvConf(src.hostResolvConf);
  const ov = overrides(src.state, ctr);
  if (ov !== null) overrideNameservers(rc, ov);
  if (ctr !== undefined && usesInternalResolver(src.state, ctr)) {
    const { ext, warnings } = transformForIntNS(rc, RESOLVER_IP, RESOLVER_OPTIONS);
    return { text: generateResolvConf(rc, 'internal resolver', warnings, ext), ext };
  }
  if (ctr?.networkMode === 'host') return { text: generateResolvConf(rc, '', [], []), ext: [] };
  const warnings = transformForLegacyNw(rc);
  return { text: generateResolvConf(rc, 'legacy', warnings, []), ext: [] };
}

/** The embedded resolver's external servers for `ctr`, in order (all of them: the resolver caps). */
export function extServers(src: FileSource, ctr: ContainerState | undefined): readonly ExtServer[] {
  return build(src, ctr).ext;
}

export function resolvConf(src: FileSource, ctr: ContainerState): string {
  return build(src, ctr).text;
}

/** The container's hostname: `--hostname`, else the first 12 hex digits of its id (Config.Hostname). */
export function containerHostname(ctr: ContainerState): string {
  return ctr.hostname ?? ctr.id.slice(0, 12);
}

/**
 * /etc/hosts as libnetwork writes it (moby b985e23 etchosts.Build, sandbox_dns_unix.go
 * buildHostsFile/makeHostsRecs, container_operations.go buildSandboxOptions): `127.0.0.1 localhost`,
 * the IPv6 defaults (a container's lo has ::1 on a default kernel, so IPv6 counts as enabled), the
 * `--add-host` records (`host-gateway` = the default bridge's gateway, the daemon's default
 * HostGatewayIPs), legacy `--link` records, then one record per endpoint address in join order:
 * `IP HOSTNAME[.DOMAIN] [HOSTNAME]`. Each record is `IP<TAB>NAMES`. `--network host` without
 * `--add-host` copies the host's /etc/hosts, which netsim does not model (null).
 */
export function etcHosts(src: FileSource, ctr: ContainerState): string | null {
  const extra = ctr.extraHosts ?? [];
  if (ctr.networkMode === 'host' && extra.length === 0) return null;
  const recs: [string, string][] = [
    ['127.0.0.1', 'localhost'],
    ['::1', 'localhost ip6-localhost ip6-loopback'],
    ['fe00::', 'ip6-localnet'],
    ['ff00::', 'ip6-mcastprefix'],
    ['ff02::1', 'ip6-allnodes'],
    ['ff02::2', 'ip6-allrouters'],
  ];
  for (const x of extra) {
    const i = x.indexOf(':');
    const ip = x.slice(i + 1);
    if (ip === 'host-gateway') {
      const gw = Object.values(src.state.networks).find((n) => n.name === 'bridge')?.ipam?.gateway;
      if (gw !== undefined) recs.push([gw, x.slice(0, i)]);
    } else recs.push([ip, x.slice(0, i)]);
  }
  for (const l of ctr.linkHosts ?? []) recs.push([l.ip, l.hosts]);
  if (ctr.running) {
    let hosts = containerHostname(ctr);
    if (ctr.domainname !== undefined && ctr.domainname !== '') hosts += `.${ctr.domainname}`;
    const dot = hosts.indexOf('.');
    if (dot >= 0) hosts += ` ${hosts.slice(0, dot)}`;
    for (const id of ctr.endpoints) {
      const ep = getIn(src.state.endpoints, id);
      if (ep !== undefined && ep.ip !== '') recs.push([ep.ip, hosts]);
    }
  }
  return recs.map(([ip, names]) => `${ip}\t${names}\n`).join('');
}

/** A file the daemon manages for `ctr`, or null when netsim does not model it. */
export function containerFile(src: FileSource, ctr: ContainerState, path: string): string | null {
  // `--network container:REF` shares REF's files (its HostsPath, ResolvConfPath and hostname).
  if (ctr.networkMode.startsWith('container:')) {
    const other = src.findContainer(ctr.networkMode.slice('container:'.length));
    return other === undefined ? null : containerFile(src, other, path);
  }
  if (path === '/etc/resolv.conf') return resolvConf(src, ctr);
  if (path === '/etc/hosts') return etcHosts(src, ctr);
  if (path === '/etc/hostname' && ctr.networkMode !== 'host') return `${containerHostname(ctr)}\n`;
  return null;
}
