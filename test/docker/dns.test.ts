// The embedded DNS server (src/docker/dns-resolver.ts, dns-names.ts): TTL 600, answers shuffled with
// the seeded stream (deterministic per seed), forwarding to `--dns` servers, resolv.conf as data.
import { describe, expect, it } from 'vitest';
import { loadScenarioText } from '../../src/scenario/load.js';
import { loadPlugins } from '../../src/scenario/plugins.js';
import { runScenario } from '../../src/scenario/run.js';

const scenario = (extra = '', dnsFlag = '') => `
netsim: 1
hosts: [host]
images:
  idle: { serve: [] }
steps:
  - in: host
    run: |
      ip link set lo up
      dockerd ${dnsFlag}
      docker network create --subnet 10.1.0.0/24 app
      docker run -d --name a1 --network app --network-alias svc idle
      docker run -d --name a2 --network app --network-alias svc idle
      docker run -d --name a3 --network app --network-alias svc idle
      docker run -d --name a4 --network app --network-alias svc idle
      docker run -d --name client --network app idle
${extra}
traffic:
  - { at: 1s, name: q1, from: client, dns: svc }
  - { at: 1s, name: q2, from: client, dns: svc }
  - { at: 1s, name: q3, from: client, dns: svc }
  - { at: 1s, name: ext, from: client, dns: example.com, timeout: 20s }
`;

async function answers(seed: number, text = scenario()) {
  await loadPlugins();
  const out = runScenario(loadScenarioText(text, 'dns.yaml'), { seed });
  return out;
}

describe('embedded DNS', () => {
  it('answers every address of a shared alias with TTL 600, order shuffled deterministically per seed', async () => {
    const a = await answers(1);
    const b = await answers(1);
    const orders = ['q1', 'q2', 'q3'].map((q) => a.probes[q]!.answers!.join(','));
    expect(['q1', 'q2', 'q3'].map((q) => b.probes[q]!.answers!.join(','))).toEqual(orders);
    for (const q of ['q1', 'q2', 'q3']) {
      expect([...a.probes[q]!.answers!].sort()).toEqual(['10.1.0.2', '10.1.0.3', '10.1.0.4', '10.1.0.5']);
      expect(a.probes[q]!.ttls).toEqual([600, 600, 600, 600]);
    }
    // Over a few seeds the order is not always the same (rand.Shuffle, not a fixed order).
    const seen = new Set<string>(orders);
    for (const s of [2, 3, 4]) {
      const o = await answers(s);
      for (const q of ['q1', 'q2', 'q3']) seen.add(o.probes[q]!.answers!.join(','));
    }
    expect(seen.size).toBeGreaterThan(1);
  });

  it('without external servers a foreign name is SERVFAIL', async () => {
    const o = await answers(1);
    expect(o.probes.ext).toMatchObject({ rcode: 'SERVFAIL', answers: [] });
  });

  it('forwards to --dns servers in order, 4 s per silent server, then SERVFAIL', async () => {
    // 10.1.0.250 is on the network but nobody answers; two tries of 4 s, then SERVFAIL.
    const o = await answers(1, scenario('', '--dns 10.1.0.250 --dns 10.1.0.251'));
    const ext = o.probes.ext!;
    expect(ext).toMatchObject({ rcode: 'SERVFAIL' });
    // Two external servers tried, each given extIOTimeout = 4 s.
    expect(ext.rttNs).toBeGreaterThanOrEqual(8e9);
    expect(ext.rttNs).toBeLessThan(9e9);
  });

  it('resolv.conf names the --dns servers as external servers (overrides)', async () => {
    const text = `${scenario('', '--dns 192.0.2.53')}
expect:
  - in: host
    run: docker exec client cat /etc/resolv.conf
    output-equals: |
      nameserver 127.0.0.11
      options ndots:0

      # Based on host file: '/etc/resolv.conf' (internal resolver)
      # ExtServers: [192.0.2.53]
      # Overrides: [nameservers]
      # Option ndots from: internal
`;
    const o = await answers(1, text);
    expect(o.checks.filter((c) => !c.ok)).toEqual([]);
  });
});
