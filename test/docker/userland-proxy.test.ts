// docker-proxy (src/docker/userland-proxy.ts): started with the container, one UDP flow per client
// dropped after 90 s without traffic (udp_proxy_linux.go DefaultConnTrackTimeout), stopped with it.
import { describe, expect, it } from 'vitest';
import { engineOf } from '../../src/docker/engine.js';
import { loadScenarioText } from '../../src/scenario/load.js';
import { loadPlugins } from '../../src/scenario/plugins.js';
import { runScenario } from '../../src/scenario/run.js';

const text = (stopAt: string) => `
netsim: 1
hosts: [host]
images:
  echo: { serve: [udp-echo-peer/7000] }
steps:
  - in: host
    run: |
      ip link set lo up
      docker run -d --name e -p 9000:7000/udp echo
  - at: ${stopAt}
    in: host
    run: docker network ls
traffic:
  - { at: 1s, name: u, from: host, udp: 127.0.0.1:9000 }
  - { at: 1s, name: t, from: host, tcp: 127.0.0.1:9000, timeout: 1s }
expect:
  - { probe: u, replied: true, server-saw-source: 172.17.0.1 }
`;

async function proxyAt(untilS: number) {
  await loadPlugins();
  const out = runScenario(loadScenarioText(text('2s'), 'p.yaml'), { untilNs: untilS * 1e9 });
  const host = out.world.namespace('host')!;
  return { out, proxies: [...engineOf(out.world, host).proxies.values()] };
}

describe('docker-proxy', () => {
  it('one per published port; a UDP flow lives 90 s after the last datagram', async () => {
    const a = await proxyAt(60);
    expect(a.out.ok).toBe(true);
    expect(a.proxies.map((p) => p.binding.hostPort)).toEqual([9000]);
    expect(a.proxies[0]!.open).toBe(1);
    expect(a.proxies[0]!.relayed).toBe(1);
    // Only UDP is published: TCP 9000 has no listener, the connection is refused.
    expect(a.out.probes.t?.error).toBe('connection-refused');
    const b = await proxyAt(200);
    expect(b.proxies[0]!.open).toBe(0);
  });

  it('stops with the container', async () => {
    await loadPlugins();
    const out = runScenario(
      loadScenarioText(text('2s').replace('run: docker network ls', 'run: docker stop e'), 'p.yaml'),
      { untilNs: 5e9 },
    );
    expect(engineOf(out.world, out.world.namespace('host')!).proxies.size).toBe(0);
  });
});
