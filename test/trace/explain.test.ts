// Explanations of classic questions: which stage decided, with the rule text, and which hooks a packet
// did not traverse. Topologies as in scenarios/router-two-subnets.yaml and scenarios/masquerade.yaml.

import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../src/scenario/load.js';
import { runScenario } from '../../src/scenario/run.js';
import { explainJsonl, explainText, explanationJson } from '../../src/trace/render.js';
import { routerScenario, runTraced, tracesOf } from './explain-helpers.js';

function stageNotes(t: { stages: { stage: string; note?: string }[] }, stage: string): string[] {
  return t.stages.filter((s) => s.stage === stage).map((s) => s.note ?? '');
}

describe('explanations', () => {
  it('published port: DNAT in PREROUTING, FORWARD accepts, INPUT not traversed', () => {
    const out = runTraced(
      routerScenario(
        [
          'iptables -t nat -A PREROUTING -d 10.1.0.1/32 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.2.0.2:80',
          'iptables -P FORWARD DROP',
          'iptables -A FORWARD -d 10.2.0.2/32 -p tcp -m tcp --dport 80 -j ACCEPT',
          'iptables -A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
        ],
        ['{ at: 1s, name: web, from: a1, tcp: 10.1.0.1:8080, payload: hi }'],
      ),
    );
    expect(out.probes.web?.connected).toBe(true);
    const [t] = tracesOf(out, 'web');
    expect(t!.disposition).toBe('DELIVERED');
    const j = explanationJson(out.world, t!) as {
      packets: { namespaces: { ns: string; notTraversed: { hook: string; why: string }[] }[] }[];
    };
    const r1 = j.packets[0]!.namespaces.find((n) => n.ns === 'r1')!;
    expect(r1.notTraversed).toContainEqual({ hook: 'INPUT', why: 'forwarded after DNAT in PREROUTING' });
    expect(r1.notTraversed).toContainEqual({ hook: 'OUTPUT', why: 'not locally generated' });
    const nat = stageNotes(t!, 'nat');
    expect(nat[0]).toBe(
      'DNAT binding at PREROUTING: 10.1.0.2:' +
        nat[0]!.split(':')[2]!.split(' ')[0] +
        ' → 10.1.0.1:8080 becomes 10.1.0.2:' +
        nat[0]!.split(':')[2]!.split(' ')[0] +
        ' → 10.2.0.2:80; destination port 8080 → 80 (rule\u2019s port)'.replace('\u2019', "'"),
    );
    const nf = t!.stages.filter((s) => s.stage === 'netfilter' && s.b >= 0).map((s) => s.note);
    if (process.env.DBG) console.log(explainText(out.world, t!));
    expect(nf).toContain(
      '-A PREROUTING -d 10.1.0.1/32 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.2.0.2:80 (explain-test.yaml:15)',
    );
    expect(nf).toContain(
      '-A FORWARD -d 10.2.0.2/32 -p tcp -m tcp --dport 80 -j ACCEPT (explain-test.yaml:17)',
    );
    // Later packets of the connection skip the nat table.
    const later = t!.packets.slice(1).flatMap((p) => p.rows.map((k) => t!.stages[k]!.note ?? ''));
    expect(later.some((n) => n.startsWith('nat table not consulted: not NEW'))).toBe(true);
  });

  it('INPUT DROP policy: a locally addressed packet is DROPPED at INPUT by the policy', () => {
    const out = runTraced(
      routerScenario(
        ['iptables -P INPUT DROP'],
        ['{ at: 1s, name: p, from: a1, ping: 10.1.0.1, timeout: 1s }'],
      ),
    );
    const [t] = tracesOf(out, 'p');
    expect(t!.disposition).toBe('DROPPED');
    expect(t!.reason).toBe('NetfilterDrop');
    const last = t!.stages.filter((s) => s.stage === 'netfilter' && s.b >= 0).at(-1)!;
    expect(last.note).toBe('-P INPUT DROP (policy: no rule decided)');
    expect(explainText(out.world, t!)).toContain('filter: -P INPUT DROP (policy: no rule decided) → DROP');
  });

  it('REJECT with tcp-reset: REJECTED, and the RST is traced back to the sender', () => {
    const out = runTraced(
      routerScenario(
        ['iptables -A FORWARD -p tcp --dport 80 -j REJECT --reject-with tcp-reset'],
        ['{ at: 1s, name: web, from: a1, tcp: 10.2.0.2:80, timeout: 1s }'],
      ),
    );
    expect(out.probes.web?.error).toBe('connection-refused');
    const [t] = tracesOf(out, 'web');
    expect(t!.disposition).toBe('REJECTED');
    const rst = t!.packets.find((p) => p.origin === 'reply')!;
    expect(rst.parent).toBe(0);
    expect(rst.disposition).toBe('DELIVERED');
    const first = t!.stages[rst.rows[0]!]!;
    expect(first.note).toMatch(
      /^REJECT --reject-with tcp-reset: 10\.2\.0\.2:80 → 10\.1\.0\.2:\d+ tcp ACK,RST/,
    );
    const text = explainText(out.world, t!);
    expect(text).toContain('-A FORWARD -p tcp -m tcp --dport 80 -j REJECT --reject-with tcp-reset');
    expect(text).toContain('→ REJECT');
  });

  it('MASQUERADE: tuple before and after, source port kept', () => {
    const out = runScenario(loadScenarioFile('scenarios/masquerade.yaml'), { trace: ['c1-out', 'c2-out'] });
    const [t1] = tracesOf(out, 'c1-out');
    const [t2] = tracesOf(out, 'c2-out');
    expect(t1!.disposition).toBe('DELIVERED');
    expect(stageNotes(t1!, 'nat')).toEqual([
      'MASQUERADE binding at POSTROUTING: 172.17.0.2:40001 → 10.0.0.2:5000 becomes 10.0.0.1:40001 → 10.0.0.2:5000; source port 40001 kept (the resulting tuple is unique)',
      'POSTROUTING source rewritten: 172.17.0.2:40001 → 10.0.0.2:5000 becomes 10.0.0.1:40001 → 10.0.0.2:5000',
    ]);
    // The second client on the same port: the port was searched.
    expect(stageNotes(t2!, 'nat')[0]).toMatch(
      /^MASQUERADE binding at POSTROUTING: 172\.17\.0\.3:40001 → 10\.0\.0\.2:5000 becomes 10\.0\.0\.1:\d+ → 10\.0\.0\.2:5000; source port 40001 would clash with an existing connection: searched its port class and chose \d+$/,
    );
  });

  it('TTL expiry: TTL_EXPIRED at the router, ICMP time exceeded traced back', () => {
    const out = runTraced(routerScenario([], ['{ at: 1s, name: ttl1, from: a1, ping: 10.2.0.2, ttl: 1 }']));
    const [t] = tracesOf(out, 'ttl1');
    expect(t!.disposition).toBe('TTL_EXPIRED');
    const end = t!.stages.find((s) => s.stage === 'end' && s.packet === 0)!;
    expect(out.world.devices[end.dev]!.ns.name).toBe('r1');
    const reply = t!.packets.find((p) => p.origin === 'reply')!;
    expect(reply.disposition).toBe('DELIVERED');
    expect(t!.stages[reply.rows[0]!]!.note).toBe(
      'ICMP error (type 11 code 0): 10.1.0.1 → 10.1.0.2 icmp time exceeded ttl 64',
    );
  });

  it('no route: NO_ROUTE at the router', () => {
    const out = runTraced(
      routerScenario([], ['{ at: 1s, name: far, from: a1, ping: 10.9.9.9, timeout: 1s }']),
    );
    const [t] = tracesOf(out, 'far');
    expect(t!.disposition).toBe('NO_ROUTE');
    expect(stageNotes(t!, 'route')).toContain('no route to the destination: ICMP net unreachable');
  });

  it('ARP failure: NEIGHBOR_UNREACHABLE after the queued packet waited', () => {
    const out = runTraced(
      routerScenario([], ['{ at: 1s, name: gone, from: a1, ping: 10.2.0.9, timeout: 5s }']),
    );
    const [t] = tracesOf(out, 'gone');
    expect(t!.disposition).toBe('NEIGHBOR_UNREACHABLE');
    expect(explainText(out.world, t!)).toContain(
      'neighbour 10.2.0.9 dev eth-b: not resolved yet: packet queued, ARP request sent (INCOMPLETE)',
    );
  });

  it('bridge hairpin off: the frame back out of its ingress port is dropped with the reason', () => {
    const out = runTraced(`netsim: 1
hosts: [host, c1]
steps:
  - in: host
    run: |
      ip link add br0 type bridge
      ip link set br0 up
      ip link add veth1 type veth peer name eth0 netns c1
      ip link set veth1 master br0 up
  - in: c1
    run: |
      ip link set eth0 address 02:00:00:00:00:01
      ip addr add 10.0.0.2/24 dev eth0
      ip link set eth0 up
      ip neigh add 10.0.0.3 lladdr 02:00:00:00:00:01 dev eth0
traffic:
  - { at: 1s, name: hp, from: c1, ping: 10.0.0.3, timeout: 1s }
`);
    const [t] = tracesOf(out, 'hp');
    expect(t!.disposition).toBe('DROPPED');
    expect(t!.reason).toBe('BridgeNoPort');
    expect(explainText(out.world, t!)).toContain(
      'bridge br0: drop — egress port is the ingress port and hairpin mode is off to port veth1',
    );
  });

  it('golden text of a forwarded ping (stable, readable)', () => {
    const out = runTraced(
      routerScenario(
        ['iptables -A FORWARD -i eth-a -o eth-b -j ACCEPT'],
        ['{ at: 1s, name: a1-b1, from: a1, ping: 10.2.0.2 }'],
      ),
    );
    const [t] = tracesOf(out, 'a1-b1');
    const path = new URL('./golden/forwarded-ping.txt', import.meta.url);
    if (process.env.UPDATE_GOLDEN) writeFileSync(path, `${explainText(out.world, t!)}\n`);
    const golden = readFileSync(path, 'utf8');
    expect(`${explainText(out.world, t!)}\n`).toBe(golden);
  });

  it('JSON Lines: one object per stage with stable keys', () => {
    const out = runTraced(routerScenario([], ['{ at: 1s, name: p, from: a1, ping: 10.2.0.2 }']));
    const [t] = tracesOf(out, 'p');
    const lines = explainJsonl(out.world, t!).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.length).toBe(t!.stages.length);
    for (const l of lines)
      expect(Object.keys(l).slice(0, 8)).toEqual([
        'trace',
        'label',
        'i',
        'packet',
        't',
        'ns',
        'dev',
        'stage',
      ]);
    expect(lines.at(-1)).toMatchObject({ stage: 'end', disposition: 'DELIVERED', ns: 'a1' });
  });
});
