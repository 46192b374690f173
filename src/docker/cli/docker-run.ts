// `docker run` / `docker create` (docker/cli cli/command/container/{run,create,opts}.go): the
// networking flags. `-d` prints the container id; without `-d` netsim behaves as `-d` as well (there
// is no terminal to attach to).

import type { DockerEngine } from '../engine.js';
import { CliError } from '../errors.js';
import type { NetworkRequest, PortRequest } from '../types.js';
import { flagBool, flagList, flagString, parseFlags } from './args.js';
import { type NetworkAttachment, parseNetworkOpt } from './network-opt.js';
import { parseExpose, parsePublish } from './publish.js';

export const RUN_FLAGS = {
  detach: { short: 'd', kind: 'bool' },
  interactive: { short: 'i', kind: 'bool' },
  tty: { short: 't', kind: 'bool' },
  rm: { kind: 'bool' },
  name: { kind: 'string' },
  network: { kind: 'list' },
  net: { kind: 'list' },
  ip: { kind: 'string' },
  'network-alias': { kind: 'list' },
  'net-alias': { kind: 'list' },
  link: { kind: 'list' },
  dns: { kind: 'list' },
  publish: { short: 'p', kind: 'list' },
  'publish-all': { short: 'P', kind: 'bool' },
  expose: { kind: 'list' },
  hostname: { short: 'h', kind: 'string' },
  domainname: { kind: 'string' },
  'add-host': { kind: 'list' },
  env: { short: 'e', kind: 'list' },
  restart: { kind: 'string' },
} as const;

/**
 * `--add-host NAME:IP` or `NAME=IP` (docker/cli opts.ValidateExtraHost), as the daemon stores it
 * (`NAME:IP`); IP may be an IPv6 address or `host-gateway`.
 */
function extraHost(v: string): string {
  const m = /^([^:=]+)[:=](.*)$/.exec(v);
  const bad = (why: string) => new CliError(`invalid argument "${v}" for "--add-host" flag: ${why}`);
  if (m === null || m[1] === '') throw bad(`bad format for add-host: "${v}"`);
  const ip = m[2]!.replace(/^\[(.*)\]$/, '$1');
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  const ok =
    ip === 'host-gateway' ||
    (v4 !== null && v4.slice(1).every((x) => Number(x) <= 255)) ||
    (ip.includes(':') && /^[0-9a-fA-F:.]+$/.test(ip));
  if (!ok) throw bad(`invalid IP address in add-host: "${ip}"`);
  return `${m[1]}:${ip}`;
}

/** Images the engine knows: what they expose (Dockerfile EXPOSE). */
export interface ImageInfo {
  readonly exposed: readonly string[];
}

export interface ImageLookup {
  get(name: string): ImageInfo | undefined;
}

/**
 * docker/cli parseNetworkOpts: the first `--network` also takes `--ip`, `--network-alias` and
 * `--link` (applyContainerOptions refuses them beside the per-network form); a network named twice
 * is refused.
 */
function attachmentRequests(
  attachments: readonly NetworkAttachment[],
  ip: string | undefined,
  aliases: readonly string[],
  links: readonly string[],
): NetworkRequest[] {
  const seen = new Set<string>();
  return attachments.map((a, i) => {
    if (i === 0 && a.aliases.length > 0 && aliases.length > 0)
      throw new CliError(
        'docker: conflicting options: cannot specify both --network-alias and per-network alias',
      );
    if (i === 0 && a.ipv4 !== undefined && ip !== undefined)
      throw new CliError(
        'docker: conflicting options: cannot specify both --ip and per-network IPv4 address',
      );
    if (seen.has(a.target)) throw new CliError(`docker: network "${a.target}" is specified multiple times`);
    seen.add(a.target);
    const ipv4 = i === 0 ? (ip ?? a.ipv4) : a.ipv4;
    return {
      network: a.target,
      ...(ipv4 !== undefined ? { ipv4 } : {}),
      aliases: i === 0 && aliases.length > 0 ? aliases : a.aliases,
      links: i === 0 ? links : [],
      ...(a.gwPriority !== undefined ? { gwPriority: a.gwPriority } : {}),
    };
  });
}

export function dockerRun(
  e: DockerEngine,
  cmd: 'run' | 'create',
  argv: readonly string[],
  images: ImageLookup,
): string {
  const p = parseFlags(cmd, RUN_FLAGS, argv, false);
  const image = p.args[0];
  if (image === undefined)
    throw new CliError(`"docker ${cmd}" requires at least 1 argument.\nSee 'docker ${cmd} --help'.`);
  const attachments = [...flagList(p, 'network'), ...flagList(p, 'net')].map(parseNetworkOpt);
  const nets = attachments.map((a) => a.target);
  const mode = nets[0] ?? 'bridge';
  const ports: PortRequest[] = [];
  for (const spec of flagList(p, 'publish')) ports.push(...parsePublish(spec));
  const exposed = new Set<string>(images.get(image)?.exposed ?? []);
  for (const x of flagList(p, 'expose')) for (const y of parseExpose(x)) exposed.add(y);
  // `-p` also exposes its container ports (opts.go: ports are added to ExposedPorts).
  for (const r of ports) exposed.add(`${r.containerPort}/${r.proto}`);
  const ip = flagString(p, 'ip');
  const aliases = [...flagList(p, 'network-alias'), ...flagList(p, 'net-alias')];
  const links = flagList(p, 'link');
  const special = mode === 'host' || mode === 'none' || mode.startsWith('container:');
  if (special && nets.length > 1) {
    throw new CliError(
      'docker: conflicting options: cannot attach both user-defined and non-user-defined network-modes',
    );
  }
  const reqs: NetworkRequest[] = special
    ? links.length > 0
      ? [{ network: mode, aliases: [], links }]
      : []
    : nets.length === 0
      ? [{ network: 'bridge', ...(ip !== undefined ? { ipv4: ip } : {}), aliases, links }]
      : attachmentRequests(attachments, ip, aliases, links);
  const ctr = e.containerCreate({
    ...(flagString(p, 'name') !== undefined ? { name: flagString(p, 'name')! } : {}),
    image,
    cmd: p.args.slice(1),
    networkMode: mode,
    networks: reqs,
    ports: mode === 'host' ? [] : ports,
    publishAll: mode === 'host' ? false : flagBool(p, 'publish-all'),
    exposed:
      mode.startsWith('container:') && flagList(p, 'expose').length === 0 && ports.length === 0
        ? []
        : [...exposed],
    dns: flagList(p, 'dns'),
    ...(flagString(p, 'hostname') !== undefined ? { hostname: flagString(p, 'hostname')! } : {}),
    ...(flagString(p, 'domainname') !== undefined ? { domainname: flagString(p, 'domainname')! } : {}),
    extraHosts: flagList(p, 'add-host').map(extraHost),
  });
  if (cmd === 'create') return `${ctr.id}\n`;
  try {
    e.containerStart(ctr.id);
  } catch (err) {
    // A failed start leaves the created container behind, as Docker does.
    throw err;
  }
  let out = '';
  if (mode === 'host' && (ports.length > 0 || flagBool(p, 'publish-all'))) {
    out += 'WARNING: Published ports are discarded when using host network mode\n';
  }
  return `${out}${ctr.id}\n`;
}
