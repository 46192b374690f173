// Properties of publications on routed bridge networks (src/docker/routed-ports.ts), per profile:
// whatever `-p` asks for, the daemon reserves no host port, starts no docker-proxy and installs no
// NAT rule; every binding keeps its container port with host port 0 (HostPort "" in inspect); the
// only refusals are v27.5.1's, exactly for mappings that name a specific IPv4 host address; and
// removing the container gives back the rules of the host before it ran.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import '../../src/control/all.js';
import { runCommandLine } from '../../src/control/command.js';
import { engineOf } from '../../src/docker/engine.js';
import { World } from '../../src/net/world.js';

const publication = fc.record({
  hostIp: fc.constantFrom('', '0.0.0.0', '127.0.0.1', '203.0.113.10'),
  hostPort: fc.constantFrom('none', 'any', 'one', 'range'),
  containerPort: fc.integer({ min: 1, max: 65535 }),
  proto: fc.constantFrom('tcp', 'udp'),
});
type Publication = typeof publication extends fc.Arbitrary<infer T> ? T : never;

function flag(p: Publication): string {
  const host =
    p.hostPort === 'none' ? '' : p.hostPort === 'any' ? ':' : p.hostPort === 'one' ? '8080:' : '8080-8089:';
  const ip = p.hostIp !== '' ? `${p.hostIp}:${host === '' ? ':' : host}` : host;
  return `-p ${ip}${p.containerPort}/${p.proto}`;
}

const rules = (run: (l: string) => string) =>
  ['raw', 'filter', 'nat'].map((t) => run(`iptables -S -t ${t}`)).join('');

describe('routed-mode publications', () => {
  for (const profile of ['current', '28.0', '27'] as const) {
    test(`profile ${profile}: no host port, proxy or NAT rule for any publication`, () => {
      fc.assert(
        fc.property(
          fc.uniqueArray(publication, {
            minLength: 1,
            maxLength: 5,
            selector: (p) => `${p.containerPort}/${p.proto}`,
          }),
          fc.boolean(),
          (pubs, proxy) => {
            const world = new World({ seed: 9 });
            const ns = world.addNamespace('host');
            const run = (l: string) => runCommandLine({ world, ns }, l).stdout;
            run('sysctl -w net.ipv4.ip_forward=1');
            run(`dockerd --netsim-profile=${profile} --userland-proxy=${proxy}`);
            run(
              'docker network create --subnet 192.0.2.0/24 -o com.docker.network.bridge.gateway_mode_ipv4=routed r',
            );
            const before = rules(run);
            const e = engineOf(world, ns);
            const refused = profile === '27' && pubs.some((p) => p.hostIp !== '' && p.hostIp !== '0.0.0.0');
            const start = () => run(`docker run -d --name c --network r ${pubs.map(flag).join(' ')} img`);
            if (refused) {
              expect(start).toThrow(/NAT is disabled, omit host address in port mapping /);
              expect(e.container('c').running).toBe(false);
            } else {
              start();
              const bindings = e.endpointsOf(e.container('c')).flatMap((ep) => ep.bindings);
              expect(bindings.map((b) => `${b.containerPort}/${b.proto}`).sort()).toEqual(
                pubs.map((p) => `${p.containerPort}/${p.proto}`).sort(),
              );
              for (const b of bindings) {
                expect(b.hostPort).toBe(0);
                expect(b.containerIp).toBe('192.0.2.2');
                expect(b.hostIp).toBe('0.0.0.0');
              }
            }
            expect(
              Object.keys(e.state.ports.used).every((k) => Object.keys(e.state.ports.used[k]!).length === 0),
            ).toBe(true);
            expect(e.proxies.size).toBe(0);
            expect(run('iptables -t nat -S DOCKER')).not.toContain('192.0.2.2');
            run('docker rm -f c');
            expect(rules(run)).toBe(before);
          },
        ),
        { numRuns: 40 },
      );
    });
  }
});
