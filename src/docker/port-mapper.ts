// Host-port allocation for published ports (moby daemon/libnetwork/portallocator) over the immer
// draft of `PortAllocState`.
//
// Facts (portallocator.go, portallocator_linux.go, portallocator_unix.go at b985e23):
// - The ephemeral range is read from net.ipv4.ip_local_port_range (Linux default 32768–60999);
//   only if that cannot be read does Docker fall back to 49153–65535.
// - A fixed port conflicts with the same port on the same address, and 0.0.0.0 conflicts with every
//   IPv4 address (and vice versa): `Bind for 0.0.0.0:8080 failed: port is already allocated`.
// - A range (`-p 8000-8010:80`, or the ephemeral range for `-p 80`) is searched round-robin from the
//   port after the one last handed out from that range (first time: its first port).

import { DaemonError } from './errors.js';
import type { PortAllocState } from './types.js';

export const FALLBACK_RANGE: readonly [number, number] = [49153, 65535];

type PortDraft = { used: Record<string, Record<string, Record<string, 1>>>; last: Record<string, number> };

/** Parses the `ip_local_port_range` sysctl text ("32768\t60999"). */
export function parsePortRange(text: string | null): [number, number] {
  if (text === null) return [FALLBACK_RANGE[0], FALLBACK_RANGE[1]];
  const m = /^\s*(\d+)\s+(\d+)\s*$/.exec(text);
  if (m === null) return [FALLBACK_RANGE[0], FALLBACK_RANGE[1]];
  return [Number(m[1]), Number(m[2])];
}

function conflicts(ports: PortDraft, ip: string, proto: string, port: number): string | null {
  for (const key in ports.used) {
    const slash = key.lastIndexOf('/');
    const kip = key.slice(0, slash);
    if (key.slice(slash + 1) !== proto) continue;
    if (kip !== ip && kip !== '0.0.0.0' && ip !== '0.0.0.0') continue;
    if (ports.used[key]![port >> 8]?.[port] !== undefined) return kip;
  }
  return null;
}

function mark(ports: PortDraft, ip: string, proto: string, port: number): void {
  const key = `${ip}/${proto}`;
  let byHi = ports.used[key];
  if (byHi === undefined) {
    byHi = {};
    ports.used[key] = byHi;
  }
  let set = byHi[port >> 8];
  if (set === undefined) {
    set = {};
    byHi[port >> 8] = set;
  }
  set[port] = 1;
}

/**
 * RequestPortsInRange for one IPv4 address. `start === end === 0` means the ephemeral range.
 * Returns the allocated port.
 */
export function allocatePort(
  ports: PortDraft,
  ip: string,
  proto: string,
  start: number,
  end: number,
  ephemeral: readonly [number, number],
): number {
  if (start > 0 && start === end) {
    const c = conflicts(ports, ip, proto, start);
    if (c !== null) throw new DaemonError(`Bind for ${c}:${start} failed: port is already allocated`);
    mark(ports, ip, proto, start);
    return start;
  }
  const [lo, hi] = start === 0 && end === 0 ? ephemeral : [start, end];
  const rkey = `${ip}/${proto}/${lo}-${hi}`;
  let port = ports.last[rkey] ?? hi;
  for (let i = lo; i <= hi; i++) {
    port++;
    if (port > hi) port = lo;
    if (conflicts(ports, ip, proto, port) === null) {
      mark(ports, ip, proto, port);
      ports.last[rkey] = port;
      return port;
    }
  }
  throw new DaemonError('all ports are allocated');
}

export function releasePort(ports: PortDraft, ip: string, proto: string, port: number): void {
  const set = ports.used[`${ip}/${proto}`]?.[port >> 8];
  if (set !== undefined) delete set[port];
}

export type { PortAllocState, PortDraft };
