// Embedded DNS forwarding to the host's resolv.conf nameservers (scenarios/docker-dns-upstream.yaml):
// which namespace each query leaves from, the 4 s per-server timeout, the 3-server cap.
import { describe, expect, it } from 'vitest';
import { loadScenarioFile, loadScenarioText } from '../../src/scenario/load.js';
import { loadPlugins } from '../../src/scenario/plugins.js';
import { runScenario } from '../../src/scenario/run.js';

const file = new URL('../../scenarios/docker-dns-upstream.yaml', import.meta.url).pathname;

describe('embedded DNS upstreams', () => {
  it('host servers are asked from the host namespace, --dns ones from the container', async () => {
    await loadPlugins();
    const o = runScenario(loadScenarioFile(file));
    expect(o.checks.filter((c) => !c.ok)).toEqual([]);
    const seen = o.sightings.filter((s) => s.server === 'outside:dns-server/53');
    // Three names from `web` reach the upstream from the host's own address; `pinned`'s query (from
    // its namespace, forwarded) is dropped by DOCKER-USER and `locked` never forwards.
    expect(seen.map((s) => [s.src.split(':')[0], s.payload])).toEqual([
      ['203.0.113.10', 'example.com'],
      ['203.0.113.10', 'www.corp.example'],
      ['203.0.113.10', 'missing.example.com'],
    ]);
    // --dns: one server, 4 s (extIOTimeout) without an answer, then SERVFAIL.
    expect(o.probes['dns-flag-from-container']!.rttNs).toBeGreaterThanOrEqual(4e9);
    expect(o.probes['dns-flag-from-container']!.rttNs).toBeLessThan(5e9);
    // Internal only: no forwarding at all (proxyDNS off), SERVFAIL without waiting.
    expect(o.probes['internal-no-forwarding']!.rttNs).toBeLessThan(1e6);
    // The host's loopback nameserver answered a query from the laptop's own namespace.
    const lap = o.sightings.filter((s) => s.server === 'laptop:dns-server/53');
    expect(lap.map((s) => s.src.split(':')[0])).toEqual(['127.0.0.1']);
  });

  /** Host nameservers 127.0.0.61…; .61–.63 silently dropped, the last one answers. */
  const upstreams = (servers: number) => `netsim: 1
hosts:
  host:
    resolv-conf: |
${Array.from({ length: servers }, (_, i) => `      nameserver 127.0.0.${61 + i}`).join('\n')}
images:
  idle: { serve: [] }
apps:
  - { in: host, serve: dns-server, address: 127.0.0.${60 + servers}, port: 53, records: { example.com: 192.0.2.1 } }
steps:
  - in: host
    run: |
${[61, 62, 63]
  .filter((x) => x < 60 + servers)
  .map((x) => `      iptables -A INPUT -d 127.0.0.${x} -j DROP`)
  .join('\n')}
      ip link set lo up
      docker network create --subnet 10.1.0.0/24 app
      docker run -d --name c --network app idle
traffic:
  - { at: 1s, name: q, from: c, dns: example.com, timeout: 20s }
`;

  it('tries the external servers in order, 4 s each (extIOTimeout)', async () => {
    await loadPlugins();
    const o = runScenario(loadScenarioText(upstreams(3), 'order.yaml'));
    expect(o.probes.q).toMatchObject({ rcode: 'NOERROR', answers: ['192.0.2.1'] });
    expect(o.probes.q!.rttNs).toBeGreaterThanOrEqual(8e9);
    expect(o.probes.q!.rttNs).toBeLessThan(9e9);
  });

  it('uses at most three external servers (maxExtDNS)', async () => {
    await loadPlugins();
    const o = runScenario(loadScenarioText(upstreams(4), 'cap.yaml'));
    expect(o.probes.q).toMatchObject({ rcode: 'SERVFAIL', answers: [] });
    expect(o.probes.q!.rttNs).toBeGreaterThanOrEqual(12e9);
    expect(o.probes.q!.rttNs).toBeLessThan(13e9);
    expect(o.sightings.filter((s) => s.server.includes('dns-server'))).toEqual([]);
  });

  it('a refused server (ICMP port unreachable) is given up at once, not after 4 s', async () => {
    await loadPlugins();
    // 127.0.0.61 has no server: the host answers port unreachable and the next server is asked.
    const text = upstreams(2).replace('      iptables -A INPUT -d 127.0.0.61 -j DROP\n', '');
    const o = runScenario(loadScenarioText(text, 'refused.yaml'));
    expect(o.probes.q).toMatchObject({ rcode: 'NOERROR', answers: ['192.0.2.1'] });
    expect(o.probes.q!.rttNs).toBeLessThan(1e6);
  });

  it("a nameserver of the host's resolv.conf reserves its /32: the default pool holding it is skipped", async () => {
    await loadPlugins();
    const o = runScenario(
      loadScenarioText(
        `netsim: 1
hosts:
  host: { resolv-conf: "nameserver 172.18.5.5\\nnameserver 192.0.2.1\\n" }
steps:
  - in: host
    run: |
      docker network create a
      docker network create b
expect:
  - in: host
    run: docker network inspect a
    output-contains: '"Subnet": "172.19.0.0/16"'
  - in: host
    run: docker network inspect b
    output-contains: '"Subnet": "172.20.0.0/16"'
`,
        'reserved.yaml',
      ),
    );
    expect(o.checks.filter((c) => !c.ok)).toEqual([]);
  });
});

describe('dns-server in an image', () => {
  it('is exposed as UDP (docker run -P publishes 53/udp)', async () => {
    await loadPlugins();
    const o = runScenario(
      loadScenarioText(
        `netsim: 1
hosts: [host]
images:
  ns: { serve: [dns-server/53] }
steps:
  - in: host
    run: docker run -d --name ns -P ns
expect:
  - in: host
    run: docker port ns
    output-equals: "53/udp -> 0.0.0.0:32768"
`,
        'expose.yaml',
      ),
    );
    expect(o.checks.filter((c) => !c.ok)).toEqual([]);
  });
});
