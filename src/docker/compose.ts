// `docker compose up|down` for the networking part of the Compose Specification
// (compose-spec.io; docker compose v2 naming):
//
// - Project name: `-p NAME`, else the compose file's directory name, lower-cased, with characters
//   outside [a-z0-9_-] removed (compose's NormalizeProjectName).
// - Networks: each `networks:` entry becomes `<project>_<key>` (or its `name:`; `external: true`
//   networks must exist and are not created), with `driver`, `driver_opts`, `internal`, `attachable`
//   and `ipam.config[0]` {subnet, ip_range, gateway}. A service without `networks` (and without
//   `network_mode`) joins `<project>_default`, created only if some service uses it.
// - Containers: `<project>-<service>-1` unless `container_name`; `image`, `ports` (short strings and
//   long {target, published, host_ip, protocol}), `expose`, `networks` (list, or map with `aliases`
//   and `ipv4_address`), `network_mode` (host, none, service:S, container:C). Compose adds the service
//   name as a network alias on every network.
// - Order: networks first (in file order), then services in dependency order (`depends_on`, list or
//   map), file order between independent services; `down` removes containers in reverse order, then
//   the project's networks.
// - Labels: com.docker.compose.project / .network on networks, as compose sets them.

import { parse as parseYaml } from 'yaml';
import { parseExpose, parsePublish } from './cli/publish.js';
import type { DockerEngine } from './engine.js';
import { CliError } from './errors.js';
import type { NetworkRequest, PortRequest } from './types.js';

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function normaliseProjectName(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9_-]/g, '');
}

interface ServicePlan {
  readonly service: string;
  readonly containerName: string;
  readonly image: string;
  readonly networkMode: string;
  readonly networks: NetworkRequest[];
  readonly ports: PortRequest[];
  readonly exposed: string[];
  readonly dependsOn: string[];
  /** `hostname`, `domainname`, `extra_hosts` (as `NAME:IP`), `dns` (compose spec service keys). */
  readonly hostname?: string;
  readonly domainname?: string;
  readonly extraHosts: string[];
  readonly dns: string[];
}

/** compose-spec `extra_hosts`: a list of `HOST:IP` / `HOST=IP`, or a mapping HOST → IP. */
function extraHostsOf(service: string, v: unknown): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) && !isObj(v))
    throw new CliError(`service "${service}": extra_hosts must be a list or a mapping`);
  const pairs: [string, string][] = Array.isArray(v)
    ? v.map((x) => {
        const m = /^([^:=]+)[:=](.+)$/.exec(String(x));
        if (m === null) throw new CliError(`service "${service}": extra_hosts: bad format "${String(x)}"`);
        return [m[1]!, m[2]!];
      })
    : isObj(v)
      ? Object.entries(v).map(([k, x]) => [k, String(x)])
      : [];
  return pairs.map(([h, ip]) => `${h}:${ip.replace(/^\[(.*)\]$/, '$1')}`);
}

export interface ComposePlan {
  readonly project: string;
  /** Networks to create, in order: [key, docker name, create options]. */
  readonly networks: { key: string; name: string; external: boolean; opts: Obj }[];
  /** Services in start order. */
  readonly services: ServicePlan[];
}

function portsOf(v: unknown): PortRequest[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new CliError('services.ports must be a list');
  const out: PortRequest[] = [];
  for (const p of v) {
    if (typeof p === 'string' || typeof p === 'number') out.push(...parsePublish(String(p)));
    else if (isObj(p)) {
      const spec = `${p.host_ip !== undefined ? `${p.host_ip}:` : ''}${p.published !== undefined ? `${p.published}:` : p.host_ip !== undefined ? ':' : ''}${p.target}/${p.protocol ?? 'tcp'}`;
      out.push(...parsePublish(spec));
    }
  }
  return out;
}

function dependsOf(v: unknown): string[] {
  if (v === undefined) return [];
  if (Array.isArray(v)) return v.map(String);
  if (isObj(v)) return Object.keys(v);
  throw new CliError('services.depends_on must be a list or a mapping');
}

/** Parses a compose document into what `up` will do. */
export function planCompose(doc: unknown, project: string): ComposePlan {
  if (!isObj(doc)) throw new CliError('compose file: top-level object expected');
  const servicesRaw = doc.services;
  if (!isObj(servicesRaw)) throw new CliError('compose file: no services defined');
  const netsRaw = isObj(doc.networks) ? doc.networks : {};
  const netName = (key: string): string => {
    const n = netsRaw[key];
    if (isObj(n) && typeof n.name === 'string') return n.name;
    return `${project}_${key}`;
  };
  const usedDefault = Object.values(servicesRaw).some(
    (s) => isObj(s) && s.networks === undefined && s.network_mode === undefined,
  );
  const networks: ComposePlan['networks'] = [];
  const keys = Object.keys(netsRaw);
  if (usedDefault && !keys.includes('default')) keys.unshift('default');
  for (const key of keys) {
    const n = isObj(netsRaw[key]) ? (netsRaw[key] as Obj) : {};
    networks.push({ key, name: netName(key), external: n.external === true, opts: n });
  }
  const services: ServicePlan[] = [];
  for (const [service, raw] of Object.entries(servicesRaw)) {
    if (!isObj(raw)) throw new CliError(`service "${service}" must be a mapping`);
    if (typeof raw.image !== 'string')
      throw new CliError(
        `service "${service}" has neither an image nor a build context specified: invalid compose project`,
      );
    const containerName =
      typeof raw.container_name === 'string' ? raw.container_name : `${project}-${service}-1`;
    let networkMode = 'bridge';
    const reqs: NetworkRequest[] = [];
    if (typeof raw.network_mode === 'string') {
      const m = raw.network_mode;
      if (m.startsWith('service:')) {
        const other = m.slice('service:'.length);
        const o = servicesRaw[other];
        networkMode = `container:${isObj(o) && typeof o.container_name === 'string' ? o.container_name : `${project}-${other}-1`}`;
      } else networkMode = m;
    } else {
      const nets = raw.networks;
      const entries: [string, Obj][] =
        nets === undefined
          ? [['default', {}]]
          : Array.isArray(nets)
            ? nets.map((k) => [String(k), {}])
            : isObj(nets)
              ? Object.entries(nets).map(([k, v]) => [k, isObj(v) ? v : {}])
              : [];
      for (const [key, o] of entries) {
        if (!networks.some((n) => n.key === key))
          throw new CliError(
            `service "${service}" refers to undefined network ${key}: invalid compose project`,
          );
        const aliases = [service, ...(Array.isArray(o.aliases) ? o.aliases.map(String) : [])];
        // gw_priority (compose spec, services.*.networks.*): the endpoint's gateway priority.
        const prio = o.gw_priority;
        if (prio !== undefined && !Number.isSafeInteger(prio))
          throw new CliError(
            `service "${service}" network ${key}: gw_priority must be an integer, got ${JSON.stringify(prio)}`,
          );
        reqs.push({
          network: netName(key),
          ...(typeof o.ipv4_address === 'string' ? { ipv4: o.ipv4_address } : {}),
          aliases,
          links: [],
          ...(typeof prio === 'number' ? { gwPriority: prio } : {}),
        });
      }
      networkMode = reqs[0]?.network ?? 'bridge';
    }
    const exposed: string[] = [];
    if (Array.isArray(raw.expose)) for (const x of raw.expose) exposed.push(...parseExpose(String(x)));
    services.push({
      service,
      containerName,
      image: raw.image,
      networkMode,
      networks: reqs,
      ports: portsOf(raw.ports),
      exposed,
      dependsOn: dependsOf(raw.depends_on),
      ...(typeof raw.hostname === 'string' ? { hostname: raw.hostname } : {}),
      ...(typeof raw.domainname === 'string' ? { domainname: raw.domainname } : {}),
      extraHosts: extraHostsOf(service, raw.extra_hosts),
      dns: raw.dns === undefined ? [] : (Array.isArray(raw.dns) ? raw.dns : [raw.dns]).map(String),
    });
  }
  return { project, networks, services: startOrder(services) };
}

/** Dependencies first; between independent services, file order. Cycles are an error as in compose. */
function startOrder(services: ServicePlan[]): ServicePlan[] {
  const out: ServicePlan[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const byName = new Map(services.map((s) => [s.service, s]));
  const visit = (s: ServicePlan, chain: string[]): void => {
    const st = state.get(s.service);
    if (st === 'done') return;
    if (st === 'visiting')
      throw new CliError(`dependency cycle detected: ${[...chain, s.service].join(' -> ')}`);
    state.set(s.service, 'visiting');
    for (const d of s.dependsOn) {
      const dep = byName.get(d);
      if (dep === undefined)
        throw new CliError(
          `service "${s.service}" depends on undefined service "${d}": invalid compose project`,
        );
      visit(dep, [...chain, s.service]);
    }
    const m = /^container:(.*)$/.exec(s.networkMode);
    if (m !== null) {
      const dep = services.find((x) => x.containerName === m[1]);
      if (dep !== undefined) visit(dep, [...chain, s.service]);
    }
    state.set(s.service, 'done');
    out.push(s);
  };
  for (const s of services) visit(s, []);
  return out;
}

/** `docker compose up -d`: creates the networks and starts the services; returns compose's log lines. */
export function composeUp(e: DockerEngine, plan: ComposePlan): string {
  let out = '';
  for (const n of plan.networks) {
    if (n.external) {
      e.network(n.name);
      continue;
    }
    if (e.findNetwork(n.name) !== undefined) continue;
    const cfg =
      isObj(n.opts.ipam) && Array.isArray(n.opts.ipam.config) && isObj(n.opts.ipam.config[0])
        ? (n.opts.ipam.config[0] as Obj)
        : {};
    e.networkCreate({
      name: n.name,
      driver: typeof n.opts.driver === 'string' ? n.opts.driver : 'bridge',
      ...(typeof cfg.subnet === 'string' ? { subnet: cfg.subnet } : {}),
      ...(typeof cfg.ip_range === 'string' ? { ipRange: cfg.ip_range } : {}),
      ...(typeof cfg.gateway === 'string' ? { gateway: cfg.gateway } : {}),
      internal: n.opts.internal === true,
      attachable: n.opts.attachable === true,
      options: isObj(n.opts.driver_opts)
        ? Object.fromEntries(Object.entries(n.opts.driver_opts).map(([k, v]) => [k, String(v)]))
        : {},
      labels: { 'com.docker.compose.network': n.key, 'com.docker.compose.project': plan.project },
    });
    out += ` Network ${n.name}  Created\n`;
  }
  for (const s of plan.services) {
    const existing = e.findContainer(s.containerName);
    if (existing === undefined) {
      e.containerCreate({
        name: s.containerName,
        image: s.image,
        networkMode: s.networkMode,
        networks: s.networks,
        ports: s.ports,
        exposed: [...s.exposed, ...s.ports.map((p) => `${p.containerPort}/${p.proto}`)],
        ...(s.hostname !== undefined ? { hostname: s.hostname } : {}),
        ...(s.domainname !== undefined ? { domainname: s.domainname } : {}),
        extraHosts: s.extraHosts,
        dns: s.dns,
      });
      out += ` Container ${s.containerName}  Created\n`;
    }
    e.containerStart(s.containerName);
    out += ` Container ${s.containerName}  Started\n`;
  }
  return out;
}

/** `docker compose down`: containers in reverse start order, then the project's own networks. */
export function composeDown(e: DockerEngine, plan: ComposePlan): string {
  let out = '';
  for (const s of [...plan.services].reverse()) {
    if (e.findContainer(s.containerName) === undefined) continue;
    e.containerStop(s.containerName);
    e.containerRm(s.containerName, true);
    out += ` Container ${s.containerName}  Removed\n`;
  }
  for (const n of plan.networks) {
    if (n.external || e.findNetwork(n.name) === undefined) continue;
    e.networkRm(n.name);
    out += ` Network ${n.name}  Removed\n`;
  }
  return out;
}

export function parseComposeText(text: string): unknown {
  try {
    return parseYaml(text);
  } catch (err) {
    throw new CliError(`yaml: ${(err as Error).message}`);
  }
}
