// `docker start|stop|restart|kill|rm|ps|port|exec|inspect` (docker/cli cli/command/container).

import { runCommandLine } from '../../control/command.js';
import { valuesOf } from '../buckets.js';
import { containerFile } from '../container-files.js';
import type { DockerEngine } from '../engine.js';
import { CliError, DaemonError } from '../errors.js';
import { profile } from '../profiles.js';
import type { ContainerState } from '../types.js';
import { flagBool, parseFlags } from './args.js';
import { humanDuration, table } from './table.js';

/**
 * daemon/network.go getEndpointPortMapInfo: a binding without a host port (routed mode,
 * routed-ports.ts) is listed with HostPort "".
 */
function hostPortText(hostPort: number): string {
  return hostPort > 0 ? `${hostPort}` : '';
}

function portsColumn(e: DockerEngine, c: ContainerState): string {
  const parts: string[] = [];
  for (const ep of e.endpointsOf(c))
    for (const b of ep.bindings) {
      // The container list parses HostPort back: v27/v28.0 (nat.ParsePort) read "" as 0; moby master
      // (daemon/container/view.go, network.ParsePortRange) rejects "" and leaves the binding out.
      if (b.hostPort === 0 && e.state.config.profile === 'current') continue;
      parts.push(`${b.hostIp}:${b.hostPort}->${b.containerPort}/${b.proto}`);
    }
  if (c.running) {
    for (const x of c.exposed) {
      const [port, proto] = x.split('/');
      if (
        !e
          .endpointsOf(c)
          .some((ep) => ep.bindings.some((b) => `${b.containerPort}` === port && b.proto === proto))
      )
        parts.push(x);
    }
  }
  return parts.join(', ');
}

function commandColumn(c: ContainerState): string {
  const s = c.cmd.join(' ');
  const t = s.length > 20 ? `${s.slice(0, 19)}…` : s;
  return `"${t}"`;
}

export function dockerPs(e: DockerEngine, argv: readonly string[]): string {
  const p = parseFlags(
    'ps',
    { all: { short: 'a', kind: 'bool' }, quiet: { short: 'q', kind: 'bool' }, 'no-trunc': { kind: 'bool' } },
    argv,
  );
  const now = e.world.sim.now;
  const list = valuesOf(e.state.containers)
    .filter((c) => c.running || flagBool(p, 'all'))
    .sort((a, b) => b.seq - a.seq);
  const id = (c: ContainerState) => (flagBool(p, 'no-trunc') ? c.id : c.id.slice(0, 12));
  if (flagBool(p, 'quiet')) return list.map((c) => `${id(c)}\n`).join('');
  return table([
    ['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES'],
    ...list.map((c) => [
      id(c),
      c.image,
      commandColumn(c),
      `${humanDuration(now)} ago`,
      c.running ? `Up ${humanDuration(now)}` : `Exited (${c.exitCode}) ${humanDuration(now)} ago`,
      portsColumn(e, c),
      c.name,
    ]),
  ]);
}

/** fvbommel/sortorder NaturalLess as a comparator: digit runs compare by value, the rest by bytes. */
function naturalCompare(a: string, b: string): number {
  const ta = a.match(/\d+|\D+/g) ?? [];
  const tb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(ta.length, tb.length); i++) {
    const x = ta[i]!;
    const y = tb[i]!;
    if (x === y) continue;
    if (/^\d/.test(x) && /^\d/.test(y)) {
      const d = Number(x) - Number(y);
      if (d !== 0) return d;
      return x.length - y.length;
    }
    return x < y ? -1 : 1;
  }
  return ta.length - tb.length;
}

export function dockerPort(e: DockerEngine, argv: readonly string[]): string {
  const c = e.container(argv[0] ?? '');
  const lines: string[] = [];
  const want = argv[1];
  // docker/cli port.go: PRIVATE_PORT[/PROTO], tcp when the protocol is left out.
  const wantKey = want === undefined ? undefined : `${want.split('/')[0]}/${want.split('/')[1] || 'tcp'}`;
  for (const ep of e.endpointsOf(c))
    for (const b of ep.bindings) {
      const key = `${b.containerPort}/${b.proto}`;
      if (wantKey !== undefined && wantKey !== key) continue;
      // docker/cli port.go: net.JoinHostPort(HostIp, HostPort), lines in natural order.
      const front = `${b.hostIp}:${hostPortText(b.hostPort)}`;
      lines.push(want !== undefined ? front : `${key} -> ${front}`);
    }
  // A client-side error that quotes the argument as given.
  if (want !== undefined && lines.length === 0)
    throw new CliError(`Error: No public port '${want}' published for ${c.name}`);
  return lines
    .sort(naturalCompare)
    .map((l) => `${l}\n`)
    .join('');
}

export function dockerExec(e: DockerEngine, argv: readonly string[]): string {
  const p = parseFlags(
    'exec',
    {
      interactive: { short: 'i', kind: 'bool' },
      tty: { short: 't', kind: 'bool' },
      detach: { short: 'd', kind: 'bool' },
    },
    argv,
    false,
  );
  const [ref, ...cmd] = p.args;
  if (ref === undefined || cmd.length === 0)
    throw new CliError(`"docker exec" requires at least 2 arguments.\nSee 'docker exec --help'.`);
  const c = e.container(ref);
  if (!c.running) throw new DaemonError(`container ${c.id} is not running`);
  const ns = e.world.namespace(c.nsName);
  if (ns === undefined) throw new DaemonError(`container ${c.id} is not running`);
  // Files the daemon writes into the container (container-files.ts) are data, not namespaces.
  if (cmd[0] === 'cat' && cmd.length === 2) {
    const text = containerFile(e, c, cmd[1]!);
    if (text !== null) return text;
  }
  return runCommandLine(
    { world: e.world, ns },
    cmd.map((w) => (/^[^\s'"\\#]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`)).join(' '),
  ).stdout;
}

export function inspectContainer(e: DockerEngine, c: ContainerState): unknown {
  const networks: Record<string, unknown> = {};
  for (const r of c.networks) {
    const n = e.findNetwork(r.network);
    const ep = n === undefined ? undefined : e.endpointsOf(c).find((x) => x.networkId === n.id);
    networks[r.network] = {
      IPAMConfig: r.ipv4 !== undefined ? { IPv4Address: r.ipv4 } : null,
      Links: r.links.length > 0 ? r.links : null,
      Aliases: r.aliases.length > 0 ? r.aliases : null,
      MacAddress: ep?.mac ?? '',
      // EndpointSettings.GwPriority exists from API 1.48 (moby 28.0); v27.5.1 has no such field.
      ...(profile(e.state.config.profile).gwPriority ? { GwPriority: r.gwPriority ?? 0 } : {}),
      NetworkID: n?.id ?? '',
      EndpointID: ep?.id ?? '',
      Gateway: ep?.gateway ?? '',
      IPAddress: ep?.ip ?? '',
      IPPrefixLen: ep?.prefixLen ?? 0,
      IPv6Gateway: '',
      GlobalIPv6Address: '',
      GlobalIPv6PrefixLen: 0,
      DNSNames: n !== undefined && !n.predefined ? [c.name, c.id.slice(0, 12), ...r.aliases] : null,
    };
  }
  const ports: Record<string, unknown> = {};
  for (const x of c.exposed) ports[x] = null;
  for (const ep of e.endpointsOf(c))
    for (const b of ep.bindings) {
      const key = `${b.containerPort}/${b.proto}`;
      const list = (ports[key] ?? []) as unknown[];
      list.push({ HostIp: b.hostIp, HostPort: hostPortText(b.hostPort) });
      ports[key] = list;
    }
  return {
    Id: c.id,
    Name: `/${c.name}`,
    State: { Status: c.running ? 'running' : 'exited', Running: c.running, ExitCode: c.exitCode },
    Image: c.image,
    HostConfig: { NetworkMode: c.networkMode, PublishAllPorts: c.publishAll },
    NetworkSettings: {
      SandboxID: c.running ? c.sandboxId : '',
      SandboxKey: c.running && c.networkMode !== 'host' ? `/var/run/docker/netns/${c.nsName}` : '',
      Ports: ports,
      Networks: networks,
    },
  };
}

export function dockerContainerVerb(e: DockerEngine, verb: string, argv: readonly string[]): string {
  const p = parseFlags(
    verb,
    {
      force: { short: 'f', kind: 'bool' },
      time: { short: 't', kind: 'string' },
      signal: { short: 's', kind: 'string' },
      volumes: { short: 'v', kind: 'bool' },
    },
    argv,
  );
  if (p.args.length === 0)
    throw new CliError(`"docker ${verb}" requires at least 1 argument.\nSee 'docker ${verb} --help'.`);
  let out = '';
  for (const ref of p.args) {
    switch (verb) {
      case 'start':
        e.containerStart(ref);
        break;
      case 'stop':
        e.containerStop(ref, 0);
        break;
      case 'kill': {
        const c = e.container(ref);
        if (!c.running)
          throw new DaemonError(`cannot kill container: ${ref}: container ${c.id} is not running`);
        e.containerStop(ref, 137);
        break;
      }
      case 'restart':
        e.containerStop(ref, 0);
        e.containerStart(ref);
        break;
      case 'rm':
        e.containerRm(ref, flagBool(p, 'force'));
        break;
    }
    out += `${ref}\n`;
  }
  return out;
}
