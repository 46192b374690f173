// Port and port-range parsing shared by tcp, udp and multiport (libxt_tcp parse_tcp_ports,
// xtables_parse_port / xtables_parse_multi_ports) and their printing (print_port / getservbyport).

import { paramError } from '../module.js';
import { serviceByName, serviceName } from '../names.js';

/** A port number or service name; throws iptables' "invalid port/service" error. */
export function parsePort(text: string, proto: number): number {
  if (/^[0-9]+$/.test(text)) {
    const n = Number(text);
    if (n <= 65535) return n;
  } else {
    const p = serviceByName(text, proto);
    if (p >= 0) return p;
  }
  throw paramError(`invalid port/service \`${text}' specified`);
}

/** `a`, `a:b`, `:b`, `a:` → [min, max] (parse_tcp_ports). */
export function parsePortRange(text: string, proto: number): [number, number] {
  const colon = text.indexOf(':');
  if (colon < 0) {
    const p = parsePort(text, proto);
    return [p, p];
  }
  const a = text.slice(0, colon);
  const b = text.slice(colon + 1);
  const min = a === '' ? 0 : parsePort(a, proto);
  const max = b === '' ? 65535 : parsePort(b, proto);
  if (min > max) throw paramError('invalid portrange (min > max)');
  return [min, max];
}

export function portText(port: number, proto: number, numeric: boolean): string {
  if (numeric) return String(port);
  return serviceName(port, proto) ?? String(port);
}
