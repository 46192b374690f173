// `docker network create|rm|ls|inspect|connect|disconnect` (docker/cli cli/command/network).

import { getIn, valuesOf } from '../buckets.js';
import type { DockerEngine } from '../engine.js';
import { CliError } from '../errors.js';
import type { NetworkState } from '../types.js';
import { flagBool, flagList, flagString, keyValues, parseFlags } from './args.js';
import { table } from './table.js';

const CREATE = {
  driver: { short: 'd', kind: 'string' },
  subnet: { kind: 'list' },
  'ip-range': { kind: 'list' },
  gateway: { kind: 'list' },
  internal: { kind: 'bool' },
  attachable: { kind: 'bool' },
  opt: { short: 'o', kind: 'list' },
  label: { kind: 'list' },
  ipv4: { kind: 'bool' },
  ipv6: { kind: 'bool' },
} as const;

/**
 * `network connect --gw-priority N`: a pflag IntVar, strconv.ParseInt(s, 0, 64) — a sign, then
 * decimal, 0x/0o/0b or leading-0 octal digits (Go's `_` digit separators are not modelled: refused);
 * the error names the flag and the parse failure.
 */
function gwPriorityFlag(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const bad = (why: string) =>
    new CliError(
      `invalid argument "${v}" for "--gw-priority" flag: strconv.ParseInt: parsing "${v}": ${why}`,
    );
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(v);
  if (m === null) throw bad('invalid syntax');
  const digits = m[2]!;
  const n = /^0[0-7]+$/.test(digits) ? BigInt(`0o${digits.slice(1)}`) : BigInt(digits);
  const signed = m[1] === '-' ? -n : n;
  if (signed > 9223372036854775807n || signed < -9223372036854775808n) throw bad('value out of range');
  return Number(signed);
}

function created(seq: number): string {
  // A fixed epoch plus one second per state sequence number: deterministic and ordered.
  return new Date(Date.UTC(2025, 0, 1) + seq * 1000).toISOString().replace('.000Z', '.000000000Z');
}

export function inspectNetwork(e: DockerEngine, n: NetworkState): unknown {
  const containers: Record<string, unknown> = {};
  // Go marshals the map with its keys (container ids) sorted.
  const eps = valuesOf(e.state.endpoints).sort((a, b) => (a.containerId < b.containerId ? -1 : 1));
  for (const ep of eps) {
    if (ep.networkId !== n.id) continue;
    const c = getIn(e.state.containers, ep.containerId)!;
    containers[c.id] = {
      Name: c.name,
      EndpointID: ep.id,
      MacAddress: ep.mac,
      IPv4Address: ep.ip === '' ? '' : `${ep.ip}/${ep.prefixLen}`,
      IPv6Address: '',
    };
  }
  const config =
    n.ipam === null
      ? []
      : [
          {
            Subnet: n.ipam.subnet,
            ...(n.ipam.ipRange !== undefined ? { IPRange: n.ipam.ipRange } : {}),
            // omitempty: macvlan/ipvlan networks may have no gateway.
            ...(n.ipam.gateway !== '' ? { Gateway: n.ipam.gateway } : {}),
          },
        ];
  const options: Record<string, string> = {};
  for (const [k, v] of Object.entries(n.options)) if (!k.startsWith('netsim.')) options[k] = v;
  return {
    Name: n.name,
    Id: n.id,
    Created: created(n.seq),
    Scope: 'local',
    Driver: n.driver,
    EnableIPv4: true,
    EnableIPv6: false,
    IPAM: { Driver: 'default', Options: null, Config: config },
    Internal: n.internal,
    Attachable: n.attachable,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: containers,
    Options: options,
    Labels: n.labels,
  };
}

export function dockerNetwork(e: DockerEngine, argv: readonly string[]): string {
  const sub = argv[0];
  const rest = argv.slice(1);
  switch (sub) {
    case 'create': {
      const p = parseFlags('network create', CREATE, rest);
      if (p.args.length !== 1) throw new CliError('"docker network create" requires exactly 1 argument.');
      const subnet = flagList(p, 'subnet')[0];
      const ipRange = flagList(p, 'ip-range')[0];
      const gateway = flagList(p, 'gateway')[0];
      const n = e.networkCreate({
        name: p.args[0]!,
        driver: flagString(p, 'driver') ?? 'bridge',
        ...(subnet !== undefined ? { subnet } : {}),
        ...(ipRange !== undefined ? { ipRange } : {}),
        ...(gateway !== undefined ? { gateway } : {}),
        internal: flagBool(p, 'internal'),
        attachable: flagBool(p, 'attachable'),
        options: keyValues(flagList(p, 'opt')),
        labels: keyValues(flagList(p, 'label')),
      });
      return `${n.id}\n`;
    }
    case 'rm':
    case 'remove': {
      const p = parseFlags('network rm', { force: { short: 'f', kind: 'bool' } }, rest);
      let out = '';
      for (const ref of p.args) {
        e.networkRm(ref);
        out += `${ref}\n`;
      }
      return out;
    }
    case 'ls':
    case 'list': {
      const p = parseFlags(
        'network ls',
        { quiet: { short: 'q', kind: 'bool' }, 'no-trunc': { kind: 'bool' } },
        rest,
      );
      const nets = Object.values(e.state.networks).sort((a, b) =>
        a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
      );
      const id = (n: NetworkState) => (flagBool(p, 'no-trunc') ? n.id : n.id.slice(0, 12));
      if (flagBool(p, 'quiet')) return nets.map((n) => `${id(n)}\n`).join('');
      return table([
        ['NETWORK ID', 'NAME', 'DRIVER', 'SCOPE'],
        ...nets.map((n) => [id(n), n.name, n.driver, 'local']),
      ]);
    }
    case 'inspect': {
      const p = parseFlags('network inspect', { format: { short: 'f', kind: 'string' } }, rest);
      const list = p.args.map((ref) => inspectNetwork(e, e.network(ref)));
      return `${JSON.stringify(list, null, 4)}\n`;
    }
    case 'connect': {
      const p = parseFlags(
        'network connect',
        {
          ip: { kind: 'string' },
          alias: { kind: 'list' },
          link: { kind: 'list' },
          'gw-priority': { kind: 'string' },
        },
        rest,
      );
      const [net, ctr] = p.args;
      if (net === undefined || ctr === undefined)
        throw new CliError('"docker network connect" requires exactly 2 arguments.');
      const ip = flagString(p, 'ip');
      const prio = gwPriorityFlag(flagString(p, 'gw-priority'));
      e.networkConnect(net, ctr, {
        ...(ip !== undefined ? { ipv4: ip } : {}),
        aliases: flagList(p, 'alias'),
        links: flagList(p, 'link'),
        ...(prio !== undefined ? { gwPriority: prio } : {}),
      });
      return '';
    }
    case 'disconnect': {
      const p = parseFlags('network disconnect', { force: { short: 'f', kind: 'bool' } }, rest);
      const [net, ctr] = p.args;
      if (net === undefined || ctr === undefined)
        throw new CliError('"docker network disconnect" requires exactly 2 arguments.');
      e.networkDisconnect(net, ctr);
      return '';
    }
    default:
      throw new CliError(`docker network: unknown command: docker network ${sub ?? ''}`);
  }
}
