// The transports of a namespace: its UDP and TCP tables, registered with its IPv4 stack on first use
// (`inet_init` → `inet_add_protocol(&udp_protocol, IPPROTO_UDP)` / `(&tcp_protocol, IPPROTO_TCP)`).
//
// `transportOf(ns)` is the entry point for applications; it is config-time code (a WeakMap lookup),
// never called per packet.

import type { Ipv4Protocol } from '../ipv4/stack.js';
import { Ipv4Stack, stackOf } from '../ipv4/stack.js';
import type { Namespace } from '../namespace.js';
import type { World } from '../world.js';
import type { TransportIp } from './ip-api.js';
import { PortRange } from './ports.js';
import { IPPROTO_TCP, TcpTable } from './tcp.js';
import { IPPROTO_UDP, UdpTable } from './udp.js';

export class Transport {
  readonly udp: UdpTable;
  readonly tcp: TcpTable;
  readonly ports: PortRange;

  constructor(
    readonly ns: Namespace,
    readonly ip: TransportIp,
  ) {
    this.ports = new PortRange(ns);
    this.udp = new UdpTable(ns, ip, this.ports);
    this.tcp = new TcpTable(ns, ip, this.ports);
    const udp = this.udp;
    const tcp = this.tcp;
    const udpProto: Ipv4Protocol = {
      receive: (h, dev, l4Off, broadcast) => udp.receive(h, dev, l4Off, broadcast),
      error: (h, qOff, qEnd, type, code, info) => udp.error(h, qOff, qEnd, type, code, info),
    };
    const tcpProto: Ipv4Protocol = {
      receive: (h, dev, l4Off, broadcast) => tcp.receive(h, dev, l4Off, broadcast),
      error: (h, qOff, qEnd, type, code, info) => tcp.error(h, qOff, qEnd, type, code, info),
    };
    ip.registerProtocol(IPPROTO_UDP, udpProto);
    ip.registerProtocol(IPPROTO_TCP, tcpProto);
  }
}

const transports = new WeakMap<Namespace, Transport>();

/** The namespace's transports, created (and registered with its IPv4 stack) on first use. */
export function transportOf(ns: Namespace): Transport {
  let t = transports.get(ns);
  if (t === undefined) {
    t = new Transport(ns, stackOf(ns));
    transports.set(ns, t);
  }
  return t;
}

/**
 * Gives every namespace of `world` its transports. Linux has UDP and TCP in every namespace, so a
 * namespace without applications still answers a closed port with ICMP port unreachable / RST rather
 * than protocol unreachable. Applications call this when they start (config time, not per packet);
 * namespaces created later get theirs at the next call or on first `transportOf`.
 */
// Namespaces get their transports on the first packet that needs one (see Ipv4Stack.localDeliver).
Ipv4Stack.attachTransports = (ns) => {
  transportOf(ns);
};

/**
 * Every process of `ns` exits (a container stopping): do_exit closes each descriptor — UDP sockets
 * close, TCP connections close as close(2) does, listeners stop. Nothing to do without transports.
 */
export function closeAllSockets(ns: Namespace): void {
  const t = transports.get(ns);
  if (t === undefined) return;
  for (const s of t.udp.socks) if (s !== null) t.udp.close(s);
  t.tcp.closeAll();
}

export function ensureTransports(world: World): void {
  for (const ns of world.namespaces) transportOf(ns);
}
