// Replays test/fixtures/kernel/closed-ports.json (recorded on Linux 6.18) with netsim's apps and
// compares what the README says a replay compares exactly: probe outcomes, reply sources and texts,
// errno/origin/type/code/offender, local/peer, and the servers' `saw` lines.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
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

const MS = 1_000_000;

interface Case {
  namespaces: string[];
  steps: { in: string; run: string[] }[];
  servers: { in: string; kind: string; port: number }[];
  probes: {
    name: string;
    from: string;
    kind: string;
    dst: string;
    port: number;
    sport?: number;
    payload?: string;
    waitMs?: number;
  }[];
  recorded: {
    servers: Record<string, { saw: string; payload: string }[]>;
    probes: Record<string, Record<string, unknown>>;
  };
}

function replay(c: Case) {
  const world = new World({ seed: 1, check: true });
  const nss = new Map<string, Namespace>();
  for (const n of c.namespaces) nss.set(n, world.addNamespace(n));
  for (const st of c.steps) for (const line of st.run) runCommandLine({ world, ns: nss.get(st.in)! }, line);
  // Linux registers UDP and TCP in every namespace, with or without sockets.
  for (const ns of nss.values()) transportOf(ns);
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
  for (const s of c.servers) {
    const label = `${s.in}:${s.kind}/${s.port}`;
    const app =
      s.kind === 'udp-echo-peer'
        ? new UdpEchoPeer(ctx(s.in, label), { port: s.port })
        : new TcpEchoPeer(ctx(s.in, label), { port: s.port });
    app.start();
    servers.set(label, app);
  }
  world.sim.run({ until: 500 * MS });
  const probes: Record<string, Observation> = {};
  for (const p of c.probes) {
    const dstAddr = parseIpv4(p.dst);
    const app =
      p.kind === 'udp'
        ? new UdpProbe(ctx(p.from, p.name), {
            dst: p.dst,
            dstAddr,
            port: p.port,
            sport: p.sport ?? null,
            payload: p.payload ?? 'hi',
            count: 1,
            intervalNs: 1000 * MS,
            ttl: null,
            timeoutNs: (p.waitMs ?? 2000) * MS,
          })
        : new TcpProbe(ctx(p.from, p.name), {
            dst: p.dst,
            dstAddr,
            port: p.port,
            sport: p.sport ?? null,
            payload: p.payload ?? 'hi',
            timeoutNs: (p.waitMs ?? 3000) * MS,
          });
    app.start();
    world.sim.run({ until: world.sim.now + 5000 * MS });
    probes[p.name] = app.observe();
  }
  return { world, probes, servers };
}

describe('kernel fixture closed-ports (Linux 6.18) replayed', () => {
  const c = JSON.parse(readFileSync('test/fixtures/kernel/closed-ports.json', 'utf8')) as Case;
  const { probes, servers } = replay(c);

  for (const p of c.probes) {
    it(`probe ${p.name}`, () => {
      const rec = c.recorded.probes[p.name]!;
      const o = probes[p.name]!;
      const mine: Record<string, unknown> = { outcome: o.outcome };
      if (p.kind === 'udp') {
        if (o.replyFrom !== null) mine.from = o.replyFrom;
        if (o.reply !== null) mine.reply = o.reply;
        for (const k of ['errno', 'origin', 'type', 'code', 'offender']) if (k in o) mine[k] = o[k];
      } else {
        for (const k of ['local', 'peer', 'reply', 'errno'])
          if (o[k] !== null && o[k] !== undefined) mine[k] = o[k];
      }
      const want: Record<string, unknown> = {};
      for (const k of [
        'outcome',
        'from',
        'reply',
        'errno',
        'origin',
        'type',
        'code',
        'offender',
        'local',
        'peer',
      ]) {
        if (k in rec) want[k] = rec[k];
      }
      expect(Object.keys(want).length).toBeGreaterThan(1);
      expect(mine).toEqual(want);
    });
  }

  it('the servers saw what the kernel servers saw', () => {
    for (const [label, seen] of Object.entries(c.recorded.servers)) {
      expect(servers.get(label)!.observe().seen).toEqual(seen);
    }
  });
});
