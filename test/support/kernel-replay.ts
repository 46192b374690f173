// Replaying a real-kernel fixture (test/fixtures/kernel/*.json, recorded on Linux 6.18 by
// test/fixtures/kernel/record.py) in netsim: the same namespaces and command lines, the same servers
// and probes at the same relative times, giving the observations the replay tests compare with the
// recording. Shared by the data-plane replay (test/apps) and the netfilter replay (test/netfilter).
import { PingProbe } from '../../src/apps/ping.js';
import { TcpProbe } from '../../src/apps/tcp-client.js';
import { TcpEchoPeer } from '../../src/apps/tcp-echo-peer.js';
import { UdpEchoPeer } from '../../src/apps/udp-echo-peer.js';
import { UdpProbe } from '../../src/apps/udp-sender.js';
import '../../src/control/all.js';
import { runCommandLine } from '../../src/control/command.js';
import type { Namespace } from '../../src/net/namespace.js';
import { transportOf } from '../../src/net/transport/transport.js';
import { World } from '../../src/net/world.js';
import type { App, AppContext, Observation, Sighting } from '../../src/scenario/app-registry.js';
import { parseIpv4 } from '../../src/wire/ipv4-address.js';

export const MS = 1_000_000;

export interface Step {
  in: string;
  run: string[];
}
export interface ProbeSpec {
  name: string;
  from: string;
  kind: 'ping' | 'udp' | 'tcp';
  dst: string;
  port?: number;
  sport?: number;
  payload?: string;
  waitMs?: number;
  waitBeforeMs?: number;
  before?: Step[];
  count?: number;
  intervalMs?: number;
  ttl?: number;
  size?: number;
  df?: boolean;
  id?: number;
}
export interface ReplayCase {
  namespaces: string[];
  steps: (Step | { waitMs: number })[];
  settleMs?: number;
  gapMs?: number;
  servers?: { in: string; kind: string; port: number }[];
  probes: ProbeSpec[];
  recorded: {
    servers?: Record<string, { saw: string; payload: string }[]>;
    probes: Record<string, Record<string, unknown>>;
  };
}

export function replay(c: ReplayCase) {
  const world = new World({ seed: 1, check: true });
  const nss = new Map<string, Namespace>();
  for (const n of c.namespaces) nss.set(n, world.addNamespace(n));
  const run = (ns: string, line: string) => runCommandLine({ world, ns: nss.get(ns)! }, line);
  const runSteps = (steps: ReplayCase['steps']) => {
    for (const st of steps) {
      if ('waitMs' in st) world.sim.run({ until: world.sim.now + st.waitMs * MS });
      else for (const line of st.run) run(st.in, line);
    }
  };
  runSteps(c.steps);
  // Linux registers UDP and TCP in every namespace, with or without sockets.
  for (const ns of nss.values()) transportOf(ns);
  world.sim.run({ until: world.sim.now + (c.settleMs ?? 500) * MS });
  const sightings: Sighting[] = [];
  const ctx = (ns: string, name: string): AppContext => ({
    world,
    ns: nss.get(ns)!,
    name,
    rng: world.sim.rng.stream(`app:${name}`),
    sightings,
    done() {},
  });
  const servers = new Map<string, App>();
  for (const s of c.servers ?? []) {
    const label = `${s.in}:${s.kind}/${s.port}`;
    const app =
      s.kind === 'udp-echo-peer'
        ? new UdpEchoPeer(ctx(s.in, label), { port: s.port })
        : new TcpEchoPeer(ctx(s.in, label), { port: s.port });
    app.start();
    servers.set(label, app);
  }
  const probes: Record<string, Observation> = {};
  c.probes.forEach((p, index) => {
    if (p.waitBeforeMs !== undefined) world.sim.run({ until: world.sim.now + p.waitBeforeMs * MS });
    if (p.before !== undefined) runSteps(p.before);
    const dstAddr = parseIpv4(p.dst);
    let app: App;
    let spanMs: number;
    if (p.kind === 'ping') {
      const count = p.count ?? 1;
      const interval = p.intervalMs ?? 200;
      spanMs = (count - 1) * interval + (p.waitMs ?? 2000);
      app = new PingProbe(ctx(p.from, p.name), {
        dst: p.dst,
        dstAddr,
        count,
        intervalNs: interval * MS,
        ttl: p.ttl ?? null,
        size: p.size ?? 56,
        timeoutNs: (p.waitMs ?? 2000) * MS,
        ident: p.id ?? 0x4e00 + index,
        ...(p.df !== undefined ? { df: p.df } : {}),
      });
    } else if (p.kind === 'udp') {
      spanMs = p.waitMs ?? 2000;
      app = new UdpProbe(ctx(p.from, p.name), {
        dst: p.dst,
        dstAddr,
        port: p.port!,
        sport: p.sport ?? null,
        payload: p.payload ?? 'hi',
        count: 1,
        intervalNs: 1000 * MS,
        ttl: p.ttl ?? null,
        timeoutNs: spanMs * MS,
      });
    } else {
      spanMs = (p.waitMs ?? 3000) + 2000;
      app = new TcpProbe(ctx(p.from, p.name), {
        dst: p.dst,
        dstAddr,
        port: p.port!,
        sport: p.sport ?? null,
        payload: p.payload ?? 'hi',
        timeoutNs: (p.waitMs ?? 3000) * MS,
      });
    }
    app.start();
    world.sim.run({ until: world.sim.now + (spanMs + (c.gapMs ?? 300)) * MS });
    probes[p.name] = app.observe();
  });
  return { world, probes, servers, run };
}

/** The listed keys of `o` that are set (null and undefined are left out). */
export const pick = (o: Record<string, unknown>, keys: string[]) => {
  const r: Record<string, unknown> = {};
  for (const k of keys) if (o[k] !== undefined && o[k] !== null) r[k] = o[k];
  return r;
};
