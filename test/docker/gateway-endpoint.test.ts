// Which network gives a multi-network container its default route (src/docker/gateway-endpoint.ts):
// libnetwork's Endpoint.Less ranking (gw-priority, non-internal, has a gateway, network name) and
// getGatewayEndpoint, per profile; the default route and published ports move when a connect or
// disconnect changes the winner. Cases from docs.docker.com "Networking overview — Connecting to
// multiple networks" (gw-priority) and moby/libnetwork#1141 (internal networks).
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import '../../src/control/all.js';
import { setWorldFileBase } from '../../src/docker/engine.js';
import { dockerShell } from './docker-shell.js';
import { dockerHost } from './macvlan-helpers.js';

function host(profile: 'current' | '28.0' | '27' = 'current') {
  const { run, fail, engine } = dockerShell(1);
  run(`dockerd --netsim-profile ${profile}`);
  /** The container's default routes as `ip route` prints them. */
  const defaults = (ctr: string) =>
    run(`docker exec ${ctr} ip route`)
      .split('\n')
      .filter((l) => l.startsWith('default'))
      .map((l) => l.trim());
  return { run, fail, engine, defaults };
}

describe('the gateway endpoint of a container on several networks', () => {
  test.each(['current', '28.0'] as const)(
    'docs example (profile %s): gw-priority=1 keeps gwnet the default gateway whatever else is connected',
    (prof) => {
      const h = host(prof);
      h.run('docker network create --subnet 10.1.0.0/24 gwnet');
      h.run('docker network create --subnet 10.2.0.0/24 anet1');
      h.run('docker network create --subnet 10.3.0.0/24 anet2');
      h.run('docker run -d --network name=gwnet,gw-priority=1 --network anet1 --name myctr img');
      expect(h.defaults('myctr')).toEqual(['default via 10.1.0.1 dev eth0']);
      h.run('docker network connect anet2 myctr');
      expect(h.defaults('myctr')).toEqual(['default via 10.1.0.1 dev eth0']);
    },
  );

  test('profile 27 (no GwPriority in v27.5.1): the same commands rank by network name, anet1 wins', () => {
    const h = host('27');
    h.run('docker network create --subnet 10.1.0.0/24 gwnet');
    h.run('docker network create --subnet 10.2.0.0/24 anet1');
    h.run('docker network create --subnet 10.3.0.0/24 anet2');
    h.run('docker run -d --network name=gwnet,gw-priority=1 --network anet1 --name myctr img');
    expect(h.defaults('myctr')).toEqual(['default via 10.2.0.1 dev eth1']);
    // anet1 < anet2 < gwnet: connecting anet2 changes nothing.
    h.run('docker network connect anet2 myctr');
    expect(h.defaults('myctr')).toEqual(['default via 10.2.0.1 dev eth1']);
  });

  test('a network whose name sorts first takes over on connect: old default route deleted, ports moved; back on disconnect', () => {
    const h = host();
    h.run('docker network create --subnet 10.9.0.0/24 zeta');
    h.run('docker network create --subnet 10.1.0.0/24 alpha');
    h.run('docker run -d --name c --network zeta -p 8080:80 img');
    expect(h.defaults('c')).toEqual(['default via 10.9.0.1 dev eth0']);
    const resolv = h.run('docker exec c cat /etc/resolv.conf');
    h.run('docker network connect alpha c');
    expect(h.defaults('c')).toEqual(['default via 10.1.0.1 dev eth1']);
    const sandboxCmds = h
      .engine()
      .log.filter((x) => x.ns !== 'host')
      .map((x) => x.argv.join(' '));
    const del = sandboxCmds.indexOf('ip route del default via 10.9.0.1 dev eth0');
    const add = sandboxCmds.indexOf('ip route add default via 10.1.0.1 dev eth1');
    expect(del).toBeGreaterThanOrEqual(0);
    expect(add).toBeGreaterThan(del);
    // The published port follows the gateway endpoint (ProgramExternalConnectivity on the new one,
    // revoked on the old one).
    let nat = h.run('iptables-save -t nat');
    expect(nat).toContain('--dport 8080 -j DNAT --to-destination 10.1.0.2:80');
    expect(nat).not.toContain('10.9.0.2:80');
    // A gateway change rewrites neither resolv.conf nor the hosts lines (still in join order).
    expect(h.run('docker exec c cat /etc/resolv.conf')).toBe(resolv);
    expect(h.run('docker exec c cat /etc/hosts')).toMatch(/10\.9\.0\.2\t\S+\n10\.1\.0\.2\t\S+\n$/);
    h.run('docker network disconnect alpha c');
    expect(h.defaults('c')).toEqual(['default via 10.9.0.1 dev eth0']);
    nat = h.run('iptables-save -t nat');
    expect(nat).toContain('--dport 8080 -j DNAT --to-destination 10.9.0.2:80');
    expect(nat).not.toContain('10.1.0.2:80');
  });

  test('internal networks never take the default route, whatever their name (moby/libnetwork#1141)', () => {
    const h = host();
    h.run('docker run -d --name test img');
    h.run('docker network create --internal aaa');
    h.run('docker network connect aaa test');
    expect(h.defaults('test')).toEqual(['default via 172.17.0.1 dev eth0']);
    h.run('docker network disconnect bridge test');
    expect(h.defaults('test')).toEqual([]);
  });

  test('network connect --gw-priority: a higher priority takes the default route; 27 ignores it', () => {
    for (const [prof, want] of [
      ['current', 'default via 10.9.0.1 dev eth1'],
      ['27', 'default via 10.1.0.1 dev eth0'],
    ] as const) {
      const h = host(prof);
      h.run('docker network create --subnet 10.1.0.0/24 alpha');
      h.run('docker network create --subnet 10.9.0.0/24 zeta');
      h.run('docker run -d --name c --network alpha img');
      h.run('docker network connect --gw-priority 5 zeta c');
      expect(h.defaults('c')).toEqual([want]);
    }
  });

  test('a negative priority ranks below the default 0', () => {
    const h = host();
    h.run('docker network create --subnet 10.1.0.0/24 alpha');
    h.run('docker network create --subnet 10.9.0.0/24 zeta');
    h.run('docker run -d --name c --network name=alpha,gw-priority=-1 --network zeta img');
    expect(h.defaults('c')).toEqual(['default via 10.9.0.1 dev eth1']);
  });
});

describe('--network long syntax and --gw-priority (docker/cli opts/network.go, network connect)', () => {
  test('invalid values are refused with the CLI texts', () => {
    const h = host();
    h.run('docker network create a');
    h.run('docker network create b');
    expect(h.fail('docker run -d --network name=a,gw-priority=high img')).toBe(
      'invalid argument "name=a,gw-priority=high" for "--network" flag: invalid gw-priority (high): invalid syntax',
    );
    expect(h.fail('docker run -d --network name=a,colour=red img')).toBe(
      'invalid argument "name=a,colour=red" for "--network" flag: invalid field key colour',
    );
    expect(h.fail('docker run -d --network alias=x,gw-priority=1 img')).toBe(
      'invalid argument "alias=x,gw-priority=1" for "--network" flag: network name/id is not specified',
    );
    expect(h.fail('docker run -d --network name=a,alias=x --network-alias y img')).toBe(
      'docker: conflicting options: cannot specify both --network-alias and per-network alias',
    );
    expect(h.fail('docker run -d --network a --network name=a,gw-priority=1 img')).toBe(
      'docker: network "a" is specified multiple times',
    );
    h.run('docker run -d --name c --network a img');
    expect(h.fail('docker network connect --gw-priority 1.5 b c')).toBe(
      'invalid argument "1.5" for "--gw-priority" flag: strconv.ParseInt: parsing "1.5": invalid syntax',
    );
  });

  test('the long syntax lower-cases its fields (name included) and carries aliases and ip', () => {
    const h = host();
    h.run('docker network create --subnet 10.4.0.0/24 app');
    h.run('docker run -d --name c --network NAME=App,Alias=Web,ip=10.4.0.50 img');
    const e = h.engine();
    const ep = e.endpointsOf(e.container('c'))[0]!;
    expect([ep.ip, ep.aliases]).toEqual(['10.4.0.50', ['web']]);
  });
});

describe('gw-priority beyond docker run', () => {
  test('docker inspect shows GwPriority on 28.0+ and has no such field on 27', () => {
    for (const [prof, want] of [
      ['current', 3],
      ['28.0', 3],
      ['27', undefined],
    ] as const) {
      const h = host(prof);
      h.run('docker network create a');
      h.run('docker run -d --name c --network name=a,gw-priority=3 img');
      const [ins] = JSON.parse(h.run('docker inspect c')) as {
        NetworkSettings: { Networks: Record<string, Record<string, unknown>> };
      }[];
      expect(ins!.NetworkSettings.Networks.a!.GwPriority).toBe(want);
    }
  });

  test('compose gw_priority makes a network that sorts later the default gateway', () => {
    const { world, run } = dockerShell(1);
    setWorldFileBase(world, join(import.meta.dirname, '../fixtures/docker/compose'));
    run('docker compose -f gwprio/compose.yaml up -d');
    const routes = run('docker exec gwprio-app-1 ip route')
      .split('\n')
      .filter((l) => l.startsWith('default'));
    expect(routes.map((l) => l.trim())).toEqual(['default via 10.21.0.1 dev eth1']);
  });
});

describe('ipvlan l3 endpoints and the gateway', () => {
  test('current: an l3 endpoint is a gateway candidate; its `default dev` route gives way to a better-ranked bridge and comes back', () => {
    const h = dockerHost(1);
    h.run('docker network create -d ipvlan --subnet 10.1.0.0/24 -o parent=eth0 -o ipvlan_mode=l3 l3net');
    h.run('docker network create --subnet 10.2.0.0/24 br');
    h.run('docker run -d --name c --network l3net img');
    const defaults = () =>
      h
        .run('docker exec c ip route')
        .split('\n')
        .filter((l) => l.startsWith('default'))
        .map((l) => l.trim());
    expect(defaults()).toEqual(['default dev eth0 scope link']);
    h.run('docker network connect br c');
    expect(defaults()).toEqual(['default via 10.2.0.1 dev eth1']);
    expect(h.engine().log.map((x) => x.argv.join(' '))).toContain('ip route del default dev eth0');
    h.run('docker network disconnect br c');
    expect(defaults()).toEqual(['default dev eth0 scope link']);
  });

  test('27: the l3 route comes with the interface and the endpoint is never the gateway endpoint, so a bridge gateway collides with it', () => {
    const h = dockerHost(1, '--netsim-profile 27');
    h.run('docker network create -d ipvlan --subnet 10.1.0.0/24 -o parent=eth0 -o ipvlan_mode=l3 l3net');
    h.run('docker network create --subnet 10.2.0.0/24 br');
    h.run('docker run -d --name c --network l3net img');
    expect(h.run('docker exec c ip route')).toContain('default dev eth0 scope link');
    const e = h.engine();
    expect(e.endpointsOf(e.container('c')).map((ep) => ep.gatewayEp)).toEqual([false]);
    // v27 SetGateway adds `default via` beside the interface's `default dev` route: the kernel
    // refuses the second default route (EEXIST); Docker's wording of that failure is not modelled.
    expect(h.fail('docker network connect br c')).toContain('File exists');
  });
});
