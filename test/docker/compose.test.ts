// docker compose up/down (src/docker/compose.ts) on a fixture project.

import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { valuesOf } from '../../src/docker/buckets.js';
import '../../src/control/all.js';
import { CommandError, runCommandLine } from '../../src/control/command.js';
import { composeUp, planCompose } from '../../src/docker/compose.js';
import { engineOf, setWorldFileBase } from '../../src/docker/engine.js';
import { World } from '../../src/net/world.js';

const FIX = join(import.meta.dirname, '../fixtures/docker/compose');

function host() {
  const world = new World();
  const ns = world.addNamespace('host');
  setWorldFileBase(world, FIX);
  const run = (l: string) => runCommandLine({ world, ns }, l).stdout;
  return { world, run, e: engineOf(world, ns) };
}

describe('docker compose', () => {
  test('up: project-prefixed networks and containers, dependency order, addresses, aliases', () => {
    const h = host();
    const out = h.run('docker compose -f shop/compose.yaml up -d');
    expect(out).toBe(
      [
        ' Network shop_front  Created',
        ' Network shop_back  Created',
        ' Container shop-db  Created',
        ' Container shop-db  Started',
        ' Container shop-api-1  Created',
        ' Container shop-api-1  Started',
        ' Container shop-web-1  Created',
        ' Container shop-web-1  Started',
        ' Container shop-sidecar-1  Created',
        ' Container shop-sidecar-1  Started',
        '',
      ].join('\n'),
    );
    const api = h.e.container('shop-api-1');
    const eps = h.e.endpointsOf(api);
    expect(eps.map((x) => [h.e.state.networks[x.networkId]!.name, x.ip, x.aliases])).toEqual([
      ['shop_front', '172.18.0.2', ['api']],
      ['shop_back', '10.90.0.10', ['api', 'backend-api']],
    ]);
    expect(h.e.endpointsOf(h.e.container('shop-db'))[0]!.ip).toBe('10.90.0.2');
    const web = h.e.endpointsOf(h.e.container('shop-web-1'))[0]!;
    expect(web.bindings.map((b) => `${b.hostIp}:${b.hostPort}->${b.containerPort}/${b.proto}`)).toEqual([
      '0.0.0.0:8080->80/tcp',
      '0.0.0.0:8443->443/tcp',
    ]);
    // service:api shares api's sandbox.
    expect(h.e.container('shop-sidecar-1').nsName).toBe(api.nsName);
    const [back] = JSON.parse(h.run('docker network inspect shop_back')) as {
      Internal: boolean;
      Labels: object;
      Options: object;
    }[];
    expect(back!.Internal).toBe(true);
    expect(back!.Labels).toEqual({
      'com.docker.compose.network': 'back',
      'com.docker.compose.project': 'shop',
    });
    expect(back!.Options).toEqual({ 'com.docker.network.bridge.enable_icc': 'false' });
    // icc=false on the internal network: DOCKER-FORWARD drops bridge-to-bridge traffic.
    expect(h.run('iptables-save -t filter')).toMatch(/-A DOCKER-FORWARD -i (br-[0-9a-f]{12}) -o \1 -j DROP/);
  });

  test('down removes containers in reverse order, then the networks', () => {
    const h = host();
    h.run('docker compose -f shop/compose.yaml up -d');
    const out = h.run('docker compose -f shop/compose.yaml down');
    expect(out.split('\n')[0]).toBe(' Container shop-sidecar-1  Removed');
    expect(out).toContain(' Network shop_back  Removed');
    expect(valuesOf(h.e.state.containers)).toEqual([]);
    expect(
      Object.values(h.e.state.networks)
        .map((n) => n.name)
        .sort(),
    ).toEqual(['bridge', 'host', 'none']);
    expect(h.run('iptables-save')).not.toContain('br-');
  });

  test('default network and -p project name', () => {
    const plan = planCompose(
      { services: { a: { image: 'x' }, b: { image: 'y', network_mode: 'host' } } },
      'demo',
    );
    expect(plan.networks.map((n) => n.name)).toEqual(['demo_default']);
    expect(plan.services.map((s) => [s.containerName, s.networkMode])).toEqual([
      ['demo-a-1', 'demo_default'],
      ['demo-b-1', 'host'],
    ]);
  });

  test('errors: cycles, undefined networks, missing file', () => {
    expect(() =>
      planCompose(
        { services: { a: { image: 'x', depends_on: ['b'] }, b: { image: 'y', depends_on: ['a'] } } },
        'p',
      ),
    ).toThrow('dependency cycle detected: a -> b -> a');
    expect(() => planCompose({ services: { a: { image: 'x', networks: ['nope'] } } }, 'p')).toThrow(
      'service "a" refers to undefined network nope: invalid compose project',
    );
    const h = host();
    expect(() => h.run('docker compose -f missing.yaml up -d')).toThrow(CommandError);
  });
});

test('hostname, domainname, extra_hosts (list or mapping) and dns reach the container files', () => {
  const h = host();
  const doc = {
    services: {
      app: {
        image: 'img',
        hostname: 'app1',
        domainname: 'corp.example',
        extra_hosts: ['db.local:10.9.9.9', 'gw=host-gateway'],
        dns: '192.0.2.53',
      },
      worker: { image: 'img', extra_hosts: { cache: '10.9.9.10' } },
    },
  };
  composeUp(h.e, planCompose(doc, 'p'));
  const hosts = h.run('docker exec p-app-1 cat /etc/hosts').split('\n');
  expect(hosts.slice(6)).toEqual([
    '10.9.9.9\tdb.local',
    '172.17.0.1\tgw',
    '172.18.0.2\tapp1.corp.example app1',
    '',
  ]);
  expect(h.run('docker exec p-app-1 cat /etc/resolv.conf')).toContain('# ExtServers: [192.0.2.53]');
  expect(h.run('docker exec p-worker-1 cat /etc/hosts')).toContain('10.9.9.10\tcache\n');
  expect(() =>
    composeUp(h.e, planCompose({ services: { x: { image: 'i', extra_hosts: 'a' } } }, 'q')),
  ).toThrow('service "x": extra_hosts must be a list or a mapping');
});
