// What the transports (UDP, TCP, ping) use of the IPv4 stack, as a narrow structural interface, plus
// the errno conventions of the socket API.
//
// `Ipv4Stack` (src/net/ipv4/stack.ts) satisfies `TransportIp` as it is; unit tests may pass a fake.
// Contract (see the stack's header): `routeOutput` fills a route scratch record and returns 0 or a
// negative errno; `sendLocal(h)` takes a complete IPv4 packet (checksum and, for non-DF packets, the
// Identification are filled by the stack) and returns 0 or a negative errno, always taking `h`;
// `icmpSend(h, …)` sends an ICMP error about the packet at pool.start[h] without taking `h`;
// `registerProtocol` / `registerPingSocket` install the local-delivery and ICMP-error upcalls.

import type { Ipv4Protocol, PingSocket } from '../ipv4/stack.js';
import type { Namespace } from '../namespace.js';
import type { World } from '../world.js';

/** Route scratch with the fields of the stack's `OutRoute`. */
export class IpOut {
  routeId = -1;
  type = 0;
  devId = -1;
  src = 0;
  nexthop = 0;
  mtu = 0;
}

export interface TransportIp {
  readonly world: World;
  readonly ns: Namespace;
  registerProtocol(proto: number, handler: Ipv4Protocol): void;
  registerPingSocket(ident: number, handler: PingSocket): void;
  unregisterPingSocket(ident: number): void;
  routeOutput(dst: number, src: number, oifDevId: number, out: IpOut): number;
  sendLocal(h: number): number;
  icmpSend(h: number, type: number, code: number, info: number): void;
  isLocalAddr(a: number): boolean;
}

/** Errno values the socket API reports (Linux numbers, include/uapi/asm-generic/errno*.h). */
export const Errno = Object.freeze({
  EPERM: 1,
  EAGAIN: 11,
  EPIPE: 32,
  EINVAL: 22,
  ENONET: 64,
  EPROTO: 71,
  EMSGSIZE: 90,
  ENOPROTOOPT: 92,
  EOPNOTSUPP: 95,
  EADDRINUSE: 98,
  EADDRNOTAVAIL: 99,
  ENETUNREACH: 101,
  ECONNRESET: 104,
  ETIMEDOUT: 110,
  ECONNREFUSED: 111,
  EHOSTDOWN: 112,
  EHOSTUNREACH: 113,
  EACCES: 13,
} as const);

const ERRNO_NAMES: Readonly<Record<number, string>> = Object.freeze(
  Object.fromEntries(Object.entries(Errno).map(([k, v]) => [v, k])),
);
/** `ECONNREFUSED` for 111 (reports and observations; not the hot path). */
export function errnoName(e: number): string {
  return ERRNO_NAMES[e] ?? `errno ${e}`;
}

/**
 * `icmp_err_convert[]` (net/ipv4/icmp.c): errno and whether the error is "hard" (fatal) for each
 * Destination Unreachable code 0..15.
 */
export const ICMP_UNREACH_ERRNO: readonly (readonly [number, boolean])[] = [
  [Errno.ENETUNREACH, false], // 0 net unreachable
  [Errno.EHOSTUNREACH, false], // 1 host unreachable
  [Errno.ENOPROTOOPT, true], // 2 protocol unreachable
  [Errno.ECONNREFUSED, true], // 3 port unreachable
  [Errno.EMSGSIZE, false], // 4 fragmentation needed
  [Errno.EOPNOTSUPP, false], // 5 source route failed
  [Errno.ENETUNREACH, true], // 6 net unknown
  [Errno.EHOSTDOWN, true], // 7 host unknown
  [Errno.ENONET, true], // 8 host isolated
  [Errno.ENETUNREACH, true], // 9 net administratively prohibited
  [Errno.EHOSTUNREACH, true], // 10 host administratively prohibited
  [Errno.ENETUNREACH, false], // 11 net unreachable for TOS
  [Errno.EHOSTUNREACH, false], // 12 host unreachable for TOS
  [Errno.EHOSTUNREACH, true], // 13 communication administratively prohibited
  [Errno.EHOSTUNREACH, true], // 14 host precedence violation
  [Errno.EHOSTUNREACH, true], // 15 precedence cutoff
];

/**
 * The errno an ICMP error maps to for a socket, and its hardness, as `__udp4_lib_err` / `tcp_v4_err`
 * decide it: 0 when the message is not reported at all (redirect, source quench, unknown types).
 * Returns errno in the low 8 bits and 0x100 when hard.
 */
export function icmpToErrno(type: number, code: number): number {
  if (type === 3) {
    const e = ICMP_UNREACH_ERRNO[code];
    if (e === undefined) return 0;
    return e[0] | (e[1] ? 0x100 : 0);
  }
  if (type === 11) return Errno.EHOSTUNREACH; // time exceeded: soft
  if (type === 12) return Errno.EPROTO | 0x100; // parameter problem: hard
  return 0;
}

/** Probe error names (scenario PROBE_ERRORS) for an ICMP error, as users read them. */
export function icmpErrorName(type: number, code: number): string {
  if (type === 11) return 'ttl-exceeded';
  if (type !== 3) return 'icmp-error';
  switch (code) {
    case 0:
    case 6:
    case 9:
    case 11:
      return 'net-unreachable';
    case 1:
    case 7:
    case 10:
    case 12:
      return 'host-unreachable';
    case 2:
      return 'protocol-unreachable';
    case 3:
      return 'port-unreachable';
    case 4:
      return 'message-too-long';
    case 13:
      return 'admin-prohibited';
    default:
      return 'host-unreachable';
  }
}

/** Probe error name for a locally refused send (errno from `sendLocal`). */
export function errnoErrorName(errno: number): string {
  switch (errno) {
    case Errno.ENETUNREACH:
      return 'net-unreachable';
    case Errno.EHOSTUNREACH:
      return 'host-unreachable';
    case Errno.EMSGSIZE:
      return 'message-too-long';
    case Errno.ECONNREFUSED:
      return 'connection-refused';
    case Errno.ECONNRESET:
      return 'connection-reset';
    case Errno.ETIMEDOUT:
      return 'timeout';
    default:
      return errnoName(errno).toLowerCase();
  }
}
