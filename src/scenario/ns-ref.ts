// Where a probe sends from / a server runs (`from:` of traffic, `in:` of apps): a scenario host, or a
// container of a host's Docker engine.
//
//   from: client          the scenario host `client`
//   from: host/web        the container named (or id-prefixed) `web` of host `host`'s engine
//   from: web             not a scenario host: the one running container named `web` on any host
//
// Containers come and go with `docker …` steps, so a container reference is resolved when the probe or
// server starts (its `at:` time), to the namespace of the container's sandbox as it is then
// (`--network host` containers resolve to the host's namespace). The loader only checks the host part
// (and that a bare name that is not a host can be a container: the scenario runs `docker` somewhere).

import { resolvConf } from '../docker/container-files.js';
import { existingEngine } from '../docker/engine.js';
import type { Namespace } from '../net/namespace.js';
import type { World } from '../net/world.js';
import { string } from './codec.js';

const PART = '[A-Za-z0-9_][A-Za-z0-9_.-]*';
export const NS_REF = new RegExp(`^${PART}(/${PART})?$`);

export const nsRefCodec = () =>
  string({ expected: 'a host name like c1, or HOST/CONTAINER like host/web', pattern: NS_REF });

export interface ParsedNsRef {
  /** The scenario host, or null for a bare container name. */
  readonly host: string | null;
  /** The container name/id, or null for a host. */
  readonly container: string | null;
}

/** Splits a reference; `hosts` tells a bare host name from a bare container name. */
export function parseNsRef(ref: string, hosts: { has(name: string): boolean }): ParsedNsRef {
  const slash = ref.indexOf('/');
  if (slash >= 0) return { host: ref.slice(0, slash), container: ref.slice(slash + 1) };
  return hosts.has(ref) ? { host: ref, container: null } : { host: null, container: ref };
}

/** The namespace `ref` names now, or an error message in the docker CLI's spirit. */
export function resolveNsRef(
  world: World,
  hosts: ReadonlyMap<string, Namespace>,
  ref: string,
): Namespace | string {
  const p = parseNsRef(ref, hosts);
  if (p.container === null) return hosts.get(p.host!) ?? `unknown host "${p.host}"`;
  const candidates: [string, Namespace][] =
    p.host !== null ? [[p.host, hosts.get(p.host)!]] : [...hosts.entries()];
  const found: { host: string; nsName: string; running: boolean; resolvConf: string }[] = [];
  for (const [h, ns] of candidates) {
    const e = existingEngine(ns);
    const c = e?.findContainer(p.container);
    if (c !== undefined)
      found.push({ host: h, nsName: c.nsName, running: c.running, resolvConf: resolvConf(e!, c) });
  }
  if (found.length === 0)
    return p.host !== null
      ? `Error: No such container: ${p.container} (on host ${p.host})`
      : `Error: No such container: ${p.container} (on any host)`;
  if (found.length > 1)
    return `container name "${p.container}" is ambiguous (on hosts ${found.map((f) => f.host).join(', ')}): write HOST/${p.container}`;
  const f = found[0]!;
  if (!f.running) return `Error response from daemon: container ${p.container} is not running`;
  const ns = world.namespace(f.nsName);
  if (ns === undefined) return `container ${p.container} has no network namespace`;
  nameservers.set(ns, /^nameserver (\S+)$/m.exec(f.resolvConf)?.[1] ?? null);
  return ns;
}

const nameservers = new WeakMap<Namespace, string | null>();

/** The first nameserver of the resolv.conf of the container `resolveNsRef` last resolved to `ns`. */
export function containerNameserver(ns: Namespace): string | null {
  return nameservers.get(ns) ?? null;
}
