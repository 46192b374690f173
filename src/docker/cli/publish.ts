// `-p/--publish` and `--expose` parsing, as docker/go-connections nat.ParsePortSpec (vendored in
// moby v27.5.1, vendor/github.com/docker/go-connections/nat/{nat,parse}.go):
//   [ip:][hostPort:]containerPort[/proto], each port possibly a range `a-b`; `ip::80` = any host port;
//   a container range needs a host range of the same length; one container port with a host range
//   binds the first free port of that range. Messages are go-connections'.

import { tryParseIpv4 } from '../../wire/ipv4-address.js';
import { CliError } from '../errors.js';
import type { PortRequest } from '../types.js';

function parsePortRange(text: string): [number, number] | null {
  const m = /^(\d+)(?:-(\d+))?$/.exec(text);
  if (m === null) return null;
  const a = Number(m[1]);
  const b = m[2] === undefined ? a : Number(m[2]);
  if (a > 65535 || b > 65535 || b < a) return null;
  return [a, b];
}

function splitProtoPort(raw: string): [string, string] {
  const parts = raw.split('/');
  if (raw === '' || parts.length === 0 || parts[0] === '') return ['', ''];
  if (parts.length === 1) return ['tcp', raw];
  if (parts[1] === '') return ['tcp', parts[0]!];
  return [parts[1]!, parts[0]!];
}

export function parsePublish(raw: string): PortRequest[] {
  const parts = raw.split(':');
  const n = parts.length;
  let ip = '';
  let hostPort = '';
  const cp = parts[n - 1]!;
  if (n === 2) hostPort = parts[0]!;
  else if (n === 3) [ip, hostPort] = [parts[0]!, parts[1]!];
  else if (n > 3) [ip, hostPort] = [parts.slice(0, n - 2).join(':'), parts[n - 2]!];
  const [proto, containerPort] = splitProtoPort(cp);
  if (ip.startsWith('[')) throw new CliError(`invalid IP address: ${ip} (IPv6 is not modelled by netsim)`);
  if (ip !== '' && tryParseIpv4(ip) < 0) throw new CliError(`invalid IP address: ${ip}`);
  if (containerPort === '') throw new CliError(`no port specified: ${raw}<empty>`);
  const c = parsePortRange(containerPort);
  if (c === null) throw new CliError(`invalid containerPort: ${containerPort}`);
  let h: [number, number] = [0, 0];
  if (hostPort !== '') {
    const r = parsePortRange(hostPort);
    if (r === null) throw new CliError(`invalid hostPort: ${hostPort}`);
    h = r;
  }
  if (hostPort !== '' && c[1] - c[0] !== h[1] - h[0] && c[1] !== c[0]) {
    throw new CliError(
      `invalid ranges specified for container and host Ports: ${containerPort} and ${hostPort}`,
    );
  }
  const p = proto.toLowerCase();
  if (p !== 'tcp' && p !== 'udp' && p !== 'sctp') throw new CliError(`invalid proto: ${proto}`);
  const out: PortRequest[] = [];
  for (let i = 0; i <= c[1] - c[0]; i++) {
    let hs = 0;
    let he = 0;
    if (hostPort !== '') {
      if (c[0] === c[1] && h[0] !== h[1]) [hs, he] = h;
      else hs = he = h[0] + i;
    }
    out.push({ proto: p, containerPort: c[0] + i, hostIp: ip, hostPortStart: hs, hostPortEnd: he });
  }
  return out;
}

/** `--expose 80`, `--expose 8000-8002/udp` → `80/tcp` … */
export function parseExpose(raw: string): string[] {
  const [proto, port] = splitProtoPort(raw);
  const r = parsePortRange(port);
  if (r === null)
    throw new CliError(`invalid range format for --expose: ${raw}, error: invalid port: ${port}`);
  const out: string[] = [];
  for (let p = r[0]; p <= r[1]; p++) out.push(`${p}/${proto.toLowerCase()}`);
  return out;
}
