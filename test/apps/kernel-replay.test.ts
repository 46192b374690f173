// Replays the real-kernel fixtures (test/fixtures/kernel/*.json, recorded on Linux 6.18) with netsim's
// apps and compares what test/fixtures/kernel/README.md says a replay compares exactly: probe
// outcomes, reply sources/TTLs/lengths/texts, ICMP type/code/offender, errno/origin, local/peer, and
// the servers' `saw` lines.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Observation } from '../../src/scenario/app-registry.js';
import { MS, type ProbeSpec, pick, type ReplayCase, replay } from '../support/kernel-replay.js';

function compare(p: ProbeSpec, o: Observation, rec: Record<string, unknown>): void {
  if (p.kind === 'ping') {
    expect(pick(o, ['transmitted', 'received'])).toEqual(pick(rec, ['transmitted', 'received']));
    expect((o.errors ?? []).length).toBe(rec.errors);
    const mine = (o.seqs as Record<string, unknown>[]).map((s) =>
      pick(s, ['seq', 'outcome', 'from', 'ttl', 'len', 'type', 'code', 'mtu', 'errno', 'sentAtMs']),
    );
    const want = (rec.seqs as Record<string, unknown>[]).map((s) =>
      pick(s, ['seq', 'outcome', 'from', 'ttl', 'len', 'type', 'code', 'mtu', 'errno', 'sentAtMs']),
    );
    expect(mine).toEqual(want);
    return;
  }
  const keys = [
    'outcome',
    'from',
    'reply',
    'errno',
    'origin',
    'type',
    'code',
    'offender',
    'mtu',
    'local',
    'peer',
  ];
  const mine: Record<string, unknown> = { ...o };
  if (p.kind === 'udp') {
    mine.from = o.replyFrom;
    delete mine.local;
  }
  const want = pick(rec, keys);
  expect(Object.keys(want).length).toBeGreaterThan(0);
  expect(pick(mine, Object.keys(want).length > 0 ? keys : [])).toEqual(want);
}

for (const name of [
  'closed-ports',
  'router-two-subnets',
  'router-forwarding-disabled',
  'arp-failure',
  'mtu-df',
]) {
  describe(`kernel fixture ${name} (Linux 6.18) replayed`, () => {
    const c = JSON.parse(readFileSync(`test/fixtures/kernel/${name}.json`, 'utf8')) as ReplayCase;
    const { probes, servers, world } = replay(c);
    for (const p of c.probes) {
      it(`probe ${p.name}`, () => compare(p, probes[p.name]!, c.recorded.probes[p.name]!));
    }
    it('the servers saw what the kernel servers saw', () => {
      for (const [label, seen] of Object.entries(c.recorded.servers ?? {})) {
        expect(servers.get(label)!.observe().seen).toEqual(seen);
      }
    });
    it('frames are conserved', () => {
      world.sim.run({ until: world.sim.now + 200_000 * MS });
      expect(world.frameBalance().inFlight).toBe(world.pool.liveCount);
    });
  });
}
