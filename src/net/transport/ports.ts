// Local port ranges and ephemeral port choice, shared by UDP and TCP.
//
// Heads up: read `inet_sk_get_local_port_range` and `inet_hash_connect`/`__inet_hash_connect`
// (net/ipv4/inet_hashtables.c), `inet_csk_find_open_port` (net/ipv4/inet_connection_sock.c) and
// `udp_lib_get_port` (net/ipv4/udp.c) before changing the search.
//
// The kernel's searches start at a random offset and then walk the range; exactly how they walk
// depends on hash-table sizes and a keyed hash of the 4-tuple, which we do not reproduce. What we keep:
// - the range is net.ipv4.ip_local_port_range (32768 60999 by default);
// - UDP autobind: first = low + reciprocal_scale(random, size), then every port once (wrapping);
// - TCP connect (`__inet_hash_connect`): an even start (`offset &= ~1`), stepping by 2 through the
//   even ports, then the odd ones — so connect()ed sockets get even ports while bind(0) ones
//   (`inet_csk_find_open_port`, odd first) get odd ports, as on Linux.
// Randomness comes from the namespace's seeded stream.

import type { Rng } from '../../core/rng.js';
import type { Namespace } from '../namespace.js';
import { defineSysctl } from '../sysctl.js';

defineSysctl({
  key: 'net.ipv4.ip_local_port_range',
  initial: '32768\t60999',
  parse: (text) => {
    const m = /^\s*(\d+)\s+(\d+)\s*$/.exec(text);
    if (m === null) return null;
    const lo = Number(m[1]);
    const hi = Number(m[2]);
    // ipv4_local_port_range: 1 <= low <= high <= 65535 (the kernel also wants distinct parity rules
    // only when ip_local_reserved_ports is set).
    if (lo < 1 || hi > 65535 || lo > hi) return null;
    return `${lo}\t${hi}`;
  },
});

/** The namespace's local port range, kept current through a sysctl watch. */
export class PortRange {
  low = 32768;
  high = 60999;
  constructor(ns: Namespace) {
    const load = (v: string): void => {
      const [a, b] = v.split('\t');
      this.low = Number(a);
      this.high = Number(b);
    };
    load(ns.sysctl.get('net.ipv4.ip_local_port_range'));
    ns.sysctl.watch('net.ipv4.ip_local_port_range', (v) => load(v));
  }
}

/** `reciprocal_scale(val, ep_ro)`: maps a u32 uniformly onto [0, ep_ro). */
export function reciprocalScale(val: number, size: number): number {
  return Math.floor(((val >>> 0) * size) / 4294967296);
}

/**
 * UDP autobind (`udp_lib_get_port` with snum 0): a random start, then each port of the range once.
 * Returns 0 when every port is taken.
 */
export function pickUdpPort(range: PortRange, rng: Rng, inUse: (port: number) => boolean): number {
  const lo = range.low;
  const size = range.high - lo + 1;
  const first = reciprocalScale(rng.u32(), size);
  for (let i = 0; i < size; i++) {
    const p = lo + ((first + i) % size);
    if (!inUse(p)) return p;
  }
  return 0;
}

/**
 * TCP connect (`__inet_hash_connect`): a random even start, even ports first (step 2), then the odd
 * ones. Returns 0 when every port is taken (connect() then fails with EADDRNOTAVAIL).
 */
export function pickConnectPort(range: PortRange, rng: Rng, inUse: (port: number) => boolean): number {
  const lo = range.low;
  const size = range.high - lo + 1;
  let offset = rng.u32() % size;
  offset &= ~1;
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 0; i < size; i += 2) {
      const p = lo + ((offset + i) % size);
      if (((p - lo) & 1) !== pass) continue;
      if (!inUse(p)) return p;
    }
    offset++;
  }
  for (let p = lo; p <= range.high; p++) if (!inUse(p)) return p;
  return 0;
}
