// Docker purges the host's conntrack entries when it programs an endpoint's external connectivity
// (bridge_linux.go clearConntrackEntries): without that, a UDP flow that reached the host before the
// port was published keeps its un-NATed entry, so its datagrams go on to the local docker-proxy
// socket and the container sees the gateway instead of the client (moby #8795, #44688).
import { describe, expect, it } from 'vitest';
import { engineOf } from '../../src/docker/engine.js';
import { loadScenarioText } from '../../src/scenario/load.js';
import { loadPlugins } from '../../src/scenario/plugins.js';
import { runScenario } from '../../src/scenario/run.js';

const text = `netsim: 1
hosts: [host, client]
images:
  dns: { serve: [udp-echo-peer/5353] }
steps:
  - in: host
    run: |
      ip link set lo up
      ip link add eth0 type veth peer name eth0 netns client
      ip addr add 203.0.113.10/24 dev eth0
      ip link set eth0 up
      dockerd
  - in: client
    run: |
      ip link set lo up
      ip addr add 203.0.113.7/24 dev eth0
      ip link set eth0 up
  - at: 3500ms
    in: host
    run: docker run -d --name dns -p 5353:5353/udp dns
traffic:
  - { at: 1s, name: flow, from: client, udp: 203.0.113.10:5353, sport: 40000, count: 6, interval: 1s }
`;

describe('conntrack purge at ProgramExternalConnectivity', () => {
  it('a UDP flow that hit the host before the port was published reaches the container after it', async () => {
    await loadPlugins();
    const o = runScenario(loadScenarioText(text, 'purge.yaml'));
    const flow = o.probes.flow!;
    // Datagrams at 1, 2, 3 s meet no listener (port unreachable, un-NATed entry); those at 4, 5, 6 s
    // are DNATed to the container — the client's own address — once the entry is gone.
    expect(flow.transmitted).toBe(6);
    expect(flow.received).toBe(3);
    expect(o.sightings.filter((s) => s.server === 'dns:udp-echo-peer/5353').map((s) => s.src)).toEqual([
      '203.0.113.7:40000',
      '203.0.113.7:40000',
      '203.0.113.7:40000',
    ]);
    const e = engineOf(o.world, o.world.namespace('host')!);
    const purges = e.log.filter((c) => c.argv[0] === 'conntrack').map((c) => c.argv.join(' '));
    expect(purges).toEqual([
      'conntrack -D -s 172.17.0.2',
      'conntrack -D -d 172.17.0.2',
      'conntrack -D -r 172.17.0.2',
      'conntrack -D -q 172.17.0.2',
      'conntrack -D -p udp --dport 5353',
    ]);
  });
});
