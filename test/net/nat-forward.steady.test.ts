// The NAT benchmark topology (bench/support/nat-topology.ts) does what bench/nat-forward.bench.ts
// claims: every injected datagram reaches the server with DNAT and MASQUERADE applied (source = the
// router's eth-srv address, destination = the server, port 80), established packets do not consult the
// nat table, the FORWARD chain is walked to its ACCEPT, nothing is dropped and no frame leaks.
// Functional checks only: speed is measured in bench/.
import { describe, expect, it } from 'vitest';
import {
  BASE_SPORT,
  type NatPath,
  natPath,
  ROUTER_SRV,
  SERVER,
  SERVER_PORT,
} from '../../bench/support/nat-topology.js';
import { runCommandLine } from '../../src/control/command.js';
import { stackOf } from '../../src/net/ipv4/stack.js';
import { conntrackIfAny, conntrackOf } from '../../src/netfilter/conntrack/conntrack.js';
import { ipv4ChecksumOk } from '../../src/wire/ipv4.js';
import { parseIpv4 } from '../../src/wire/ipv4-address.js';

interface Seen {
  src: number;
  dst: number;
  sport: number;
  dport: number;
  udpCsum: number;
  ipCsumOk: boolean;
  ttl: number;
}

/** Wraps the sink so every datagram the server receives is recorded before being consumed. */
function record(path: NatPath): Seen[] {
  const seen: Seen[] = [];
  const w = path.world;
  const inner = path.sink;
  stackOf(path.server).registerProtocol(17, {
    receive(h) {
      const u8 = w.pool.bytesOf(h);
      const o = w.pool.start[h]!;
      const r16 = (i: number) => (u8[o + i]! << 8) | u8[o + i + 1]!;
      seen.push({
        src: ((r16(12) << 16) | r16(14)) >>> 0,
        dst: ((r16(16) << 16) | r16(18)) >>> 0,
        sport: r16(20),
        dport: r16(22),
        udpCsum: r16(26),
        ipCsumOk: ipv4ChecksumOk(u8, o),
        ttl: u8[o + 8]!,
      });
      inner.receive(h);
    },
    error() {},
  });
  return seen;
}

function burst(path: NatPath, ports: (i: number) => number): void {
  for (let i = 0; i < 256; i++) path.send(ports(i));
  path.drain();
}

function noLeaks(path: NatPath): void {
  const w = path.world;
  const bal = w.frameBalance();
  expect(path.refused).toBe(0);
  expect(bal.dropped).toBe(0);
  expect(bal.inFlight).toBe(w.pool.liveCount);
  expect(w.pool.liveCount).toBe(0);
  expect(w.pool.leaks()).toEqual([]);
  // Still the instant the warm-up left: no clock movement, so neighbours and entries stay.
  expect(w.sim.now).toBe(3_000_000_000);
}

/** Packet counter of rule `n` (1-based) in `chain` of `table`, read through `iptables -L -v -x`. */
function rulePkts(path: NatPath, table: string, chain: string, n: number): number {
  const out = runCommandLine(
    { world: path.world, ns: path.router },
    `iptables -t ${table} -L ${chain} -v -x -n --line-numbers`,
  ).stdout;
  const line = out.split('\n').find((l) => l.trim().startsWith(`${n} `));
  if (line === undefined) throw new Error(`no rule ${n} in\n${out}`);
  return Number(line.trim().split(/\s+/)[1]);
}

const ROUTER = parseIpv4(ROUTER_SRV);
const SRV = parseIpv4(SERVER);

describe('NAT benchmark topology', () => {
  it('1024 established flows: every datagram DNATed and MASQUERADEd, nat table consulted once per flow', () => {
    const path = natPath({ nat: true, filterRules: 100, check: true });
    const seen = record(path);
    let k = 0;
    for (let b = 0; b < 20; b++) burst(path, () => BASE_SPORT + (k++ & 1023));
    expect(path.sink.received).toBe(1 + 20 * 256);
    expect(seen).toHaveLength(20 * 256);
    for (const s of seen) {
      expect(s.src).toBe(ROUTER);
      expect(s.dst).toBe(SRV);
      expect(s.dport).toBe(SERVER_PORT);
      expect(s.sport).toBeGreaterThanOrEqual(BASE_SPORT); // port kept: reply tuples are unique
      expect(s.sport).toBeLessThan(BASE_SPORT + 1024);
      expect(s.udpCsum).toBe(0); // "no checksum" stays so through NAT
      expect(s.ipCsumOk).toBe(true);
      expect(s.ttl).toBe(63);
    }
    expect(new Set(seen.map((s) => s.sport)).size).toBe(1024);
    noLeaks(path);
    const ct = conntrackOf(path.router);
    expect(ct.entries()).toHaveLength(1024); // the warm-up flow is BASE_SPORT, reused
    // The nat chains saw one packet per connection; the filter chain saw every packet.
    expect(rulePkts(path, 'nat', 'PREROUTING', 1)).toBe(1024);
    expect(rulePkts(path, 'nat', 'POSTROUTING', 1)).toBe(1024);
    expect(rulePkts(path, 'filter', 'FORWARD', 1)).toBe(0);
    expect(rulePkts(path, 'filter', 'FORWARD', 101)).toBe(1 + 20 * 256);
  });

  it('10 000 filter rules: still delivered, to the ACCEPT at the end', () => {
    const path = natPath({ nat: true, filterRules: 10000, check: true });
    const seen = record(path);
    for (let b = 0; b < 2; b++) burst(path, () => BASE_SPORT);
    expect(seen).toHaveLength(512);
    expect(seen.every((s) => s.src === ROUTER && s.dst === SRV && s.dport === SERVER_PORT)).toBe(true);
    noLeaks(path);
    expect(rulePkts(path, 'filter', 'FORWARD', 10001)).toBe(1 + 512);
  });

  it('new connections with --to-ports 30000-30511: ports remapped into the range, distinct, all delivered', () => {
    const path = natPath({ nat: true, toPorts: [30000, 30511], check: true });
    const seen = record(path);
    const ct = conntrackOf(path.router);
    ct.flush();
    let k = 0;
    for (let b = 0; b < 5; b++) {
      const before = seen.length;
      burst(path, () => 1024 + k++);
      const ports = seen.slice(before).map((s) => s.sport);
      expect(ports).toHaveLength(256);
      expect(ports.every((p) => p >= 30000 && p <= 30511)).toBe(true);
      expect(new Set(ports).size).toBe(256);
      expect(ct.entries()).toHaveLength(256);
      ct.flush();
    }
    expect(seen.every((s) => s.src === ROUTER && s.dst === SRV && s.dport === SERVER_PORT)).toBe(true);
    noLeaks(path);
  });

  it('plain forwarding: delivered un-NATed, no conntrack in the router', () => {
    const path = natPath({ nat: false, check: true });
    const seen = record(path);
    burst(path, (i) => BASE_SPORT + i);
    expect(seen).toHaveLength(256);
    expect(
      seen.every((s) => s.src === parseIpv4('10.0.1.2') && s.dst === SRV && s.dport === SERVER_PORT),
    ).toBe(true);
    noLeaks(path);
    expect(conntrackIfAny(path.router)?.entries() ?? []).toEqual([]);
  });
});
