// The engine end to end through `dockerd`/`docker` command lines: what a Docker host's iptables-save,
// ip addr and docker ps would show.
import { describe, expect, test } from 'vitest';
import '../../src/control/all.js';
import { runCommandLine } from '../../src/control/command.js';
import { engineOf } from '../../src/docker/engine.js';
import { World } from '../../src/net/world.js';

function host(seed = 1) {
  const world = new World({ seed });
  const ns = world.addNamespace('host');
  const run = (l: string) => runCommandLine({ world, ns }, l).stdout;
  return { world, ns, run, engine: () => engineOf(world, ns) };
}

const save = (run: (l: string) => string) =>
  run('iptables-save')
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .join('\n');

describe('profile current', () => {
  test('docker0 and a published port: the whole iptables-save', () => {
    const h = host();
    h.run('docker run -d --name web -p 8080:80 nginx');
    expect(save(h.run)).toBe(`*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -d 172.17.0.2/32 ! -i docker0 -j DROP
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:DOCKER - [0:0]
:DOCKER-BRIDGE - [0:0]
:DOCKER-CT - [0:0]
:DOCKER-FORWARD - [0:0]
:DOCKER-INTERNAL - [0:0]
:DOCKER-USER - [0:0]
-A FORWARD -j DOCKER-USER
-A FORWARD -j DOCKER-FORWARD
-A DOCKER -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT
-A DOCKER ! -i docker0 -o docker0 -j DROP
-A DOCKER-BRIDGE -o docker0 -j DOCKER
-A DOCKER-CT -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A DOCKER-FORWARD -j DOCKER-CT
-A DOCKER-FORWARD -j DOCKER-INTERNAL
-A DOCKER-FORWARD -j DOCKER-BRIDGE
-A DOCKER-FORWARD -i docker0 -j ACCEPT
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:DOCKER - [0:0]
-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER
-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80
COMMIT
`);
  });

  test('sysctls, bridge address, container interface and routes', () => {
    const h = host();
    h.run('docker run -d --name c1 img');
    expect(h.run('sysctl -n net.ipv4.ip_forward')).toBe('1\n');
    expect(h.run('ip -4 addr show dev docker0')).toContain(
      'inet 172.17.0.1/16 brd 172.17.255.255 scope global docker0',
    );
    const addr = h.run('docker exec c1 ip addr show eth0');
    expect(addr).toContain('inet 172.17.0.2/16 brd 172.17.255.255 scope global eth0');
    expect(h.run('docker exec c1 ip route')).toBe(
      'default via 172.17.0.1 dev eth0 \n172.17.0.0/16 dev eth0 proto kernel scope link src 172.17.0.2 \n',
    );
    // The veth's host end is enslaved to docker0 and named veth + 7 hex.
    expect(h.run('ip link show master docker0')).toMatch(/\d+: veth[0-9a-f]{7}@if\d+:/);
  });

  test('--userland-proxy=false: hairpin on the port, route_localnet, br_netfilter', () => {
    const h = host();
    h.run('dockerd --userland-proxy=false');
    h.run('docker run -d --name c1 -p 8080:80 img');
    expect(h.run('sysctl -n net.ipv4.conf.docker0.route_localnet')).toBe('1\n');
    const veth = h.engine().endpointsOf(h.engine().container('c1'))[0]!.hostIf;
    expect(h.run(`bridge -d link show dev ${veth}`)).toContain('hairpin on');
    expect(save(h.run)).toContain(
      '-A POSTROUTING -s 172.17.0.2/32 -d 172.17.0.2/32 -p tcp -m tcp --dport 80 -j MASQUERADE',
    );
  });

  test('user network: br-<id12>, second default pool, addresses in order, lowest free reused', () => {
    const h = host();
    const id = h.run('docker network create app').trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    h.run('docker run -d --name a --network app img');
    h.run('docker run -d --name b --network app img');
    const ip = (c: string) => h.engine().endpointsOf(h.engine().container(c))[0]!.ip;
    expect([ip('a'), ip('b')]).toEqual(['172.18.0.2', '172.18.0.3']);
    expect(h.run(`ip -br link show br-${id.slice(0, 12)}`)).toContain(`br-${id.slice(0, 12)}`);
    h.run('docker stop a');
    h.run('docker run -d --name c --network app img');
    expect(ip('c')).toBe('172.18.0.2');
    h.run('docker start a');
    expect(ip('a')).toBe('172.18.0.4');
  });

  test('docker ps, port, network ls', () => {
    const h = host();
    h.run('docker run -d --name web -p 127.0.0.1:8080:80 -p 5353:53/udp --expose 9000 nginx');
    // docker/cli port.go sorts the lines (sortorder.NaturalLess).
    expect(h.run('docker port web')).toBe('53/udp -> 0.0.0.0:5353\n80/tcp -> 127.0.0.1:8080\n');
    expect(h.run('docker port web 80')).toBe('127.0.0.1:8080\n');
    expect(h.run('docker port web 53/udp')).toBe('0.0.0.0:5353\n');
    // PRIVATE_PORT without a protocol is tcp (docker/cli port.go); the error is the client's own.
    expect(() => h.run('docker port web 53')).toThrow(/^Error: No public port '53' published for web$/);
    const ps = h.run('docker ps').split('\n');
    expect(ps[0]).toBe(
      'CONTAINER ID   IMAGE     COMMAND   CREATED                  STATUS                  PORTS                                                    NAMES',
    );
    expect(ps[1]).toContain('127.0.0.1:8080->80/tcp, 0.0.0.0:5353->53/udp, 9000/tcp   web');
    expect(
      h
        .run('docker network ls')
        .split('\n')
        .map((l) => l.slice(15).trimEnd()),
    ).toEqual([
      'NAME      DRIVER    SCOPE',
      'bridge    bridge    local',
      'host      host      local',
      'none      null      local',
      '',
    ]);
  });

  test('-P publishes exposed ports from the ephemeral range (ip_local_port_range)', () => {
    const h = host();
    h.run('docker run -d --name a -P --expose 80 --expose 443 img');
    const b = h
      .engine()
      .endpointsOf(h.engine().container('a'))[0]!
      .bindings.map((x) => x.hostPort);
    expect(b).toEqual([32768, 32769]);
  });

  test('network inspect is shaped like Docker', () => {
    const h = host();
    h.run('docker network create --subnet 10.20.0.0/24 --gateway 10.20.0.254 n1');
    h.run('docker run -d --name a --network n1 --ip 10.20.0.10 img');
    const [net] = JSON.parse(h.run('docker network inspect n1')) as Record<string, unknown>[];
    expect(net!.IPAM).toEqual({
      Driver: 'default',
      Options: null,
      Config: [{ Subnet: '10.20.0.0/24', Gateway: '10.20.0.254' }],
    });
    const cs = Object.values(net!.Containers as Record<string, { Name: string; IPv4Address: string }>);
    expect(cs.map((c) => [c.Name, c.IPv4Address])).toEqual([['a', '10.20.0.10/24']]);
  });

  test('the same seed gives the same ids, MACs and veth names', () => {
    const a = host(7);
    const b = host(7);
    for (const h of [a, b]) h.run('docker run -d --name x -p 80 img');
    expect(a.engine().log).toEqual(b.engine().log);
    expect(a.engine().state).toEqual(b.engine().state);
  });

  test('disconnecting the gateway network moves published ports to the next endpoint', () => {
    const h = host();
    h.run('docker network create n2');
    h.run('docker run -d --name a -p 8080:80 img');
    h.run('docker network connect n2 a');
    h.run('docker network disconnect bridge a');
    const eps = h.engine().endpointsOf(h.engine().container('a'));
    expect(eps.map((e) => [e.ifName, e.gatewayEp, e.bindings.map((x) => x.hostPort)])).toEqual([
      ['eth1', true, [8080]],
    ]);
    expect(save(h.run)).toContain('-A DOCKER ! -i br-');
    expect(save(h.run)).not.toContain('--to-destination 172.17.0.2:80');
  });
});

describe('failures', () => {
  test('a command that fails while compiling leaves the state as it was', () => {
    const h = host();
    h.run('ip link add eth9 type dummy');
    expect(() => h.run('docker network create -o com.docker.network.bridge.name=eth9 n')).toThrow(
      'Error response from daemon: ip link add name eth9',
    );
    expect(h.engine().findNetwork('n')).toBeUndefined();
    expect(h.run('docker network ls')).not.toContain(' n ');
  });
});

describe('legacy links', () => {
  test("--icc=false: --link opens the child's exposed ports between parent and child only", () => {
    const h = host();
    h.run('dockerd --icc=false');
    h.run('docker run -d --name db --expose 5432 postgres');
    h.run('docker run -d --name web --link db:database nginx');
    const filter = save(h.run);
    expect(filter).toContain('-A DOCKER-FORWARD -i docker0 -o docker0 -j DROP');
    expect(filter).toContain(
      '-A DOCKER -s 172.17.0.3/32 -d 172.17.0.2/32 -i docker0 -o docker0 -p tcp -m tcp --dport 5432 -j ACCEPT\n' +
        '-A DOCKER -s 172.17.0.2/32 -d 172.17.0.3/32 -i docker0 -o docker0 -p tcp -m tcp --sport 5432 -j ACCEPT',
    );
    h.run('docker rm -f web');
    expect(save(h.run)).not.toContain('--dport 5432 -j ACCEPT');
  });
  test('a stopped link target is refused', () => {
    const h = host();
    h.run('docker run -d --name db img');
    h.run('docker stop db');
    expect(() => h.run('docker run -d --name web --link db:database img')).toThrow(
      'docker: Error response from daemon: Cannot link to a non running container: /db AS /web/database',
    );
  });
});

describe('profile 27', () => {
  test('docker0 and a published port: the whole filter and nat tables', () => {
    const h = host();
    h.run('dockerd --netsim-profile=27');
    h.run('docker run -d --name web -p 8080:80 nginx');
    const mac = h.engine().endpointsOf(h.engine().container('web'))[0]!.mac;
    expect(mac).toBe('02:42:ac:11:00:02');
    expect(save(h.run)).toBe(`*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:DOCKER - [0:0]
:DOCKER-ISOLATION-STAGE-1 - [0:0]
:DOCKER-ISOLATION-STAGE-2 - [0:0]
:DOCKER-USER - [0:0]
-A FORWARD -j DOCKER-USER
-A FORWARD -j DOCKER-ISOLATION-STAGE-1
-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -o docker0 -j DOCKER
-A FORWARD -i docker0 ! -o docker0 -j ACCEPT
-A FORWARD -i docker0 -o docker0 -j ACCEPT
-A DOCKER -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT
-A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2
-A DOCKER-ISOLATION-STAGE-1 -j RETURN
-A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP
-A DOCKER-ISOLATION-STAGE-2 -j RETURN
-A DOCKER-USER -j RETURN
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:DOCKER - [0:0]
-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER
-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
-A POSTROUTING -s 172.17.0.2/32 -d 172.17.0.2/32 -p tcp -m tcp --dport 80 -j MASQUERADE
-A DOCKER -i docker0 -j RETURN
-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80
COMMIT
`);
  });
});
