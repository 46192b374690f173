// Published ports on routed bridge networks (gateway_mode_ipv4=routed; src/docker/routed-ports.ts),
// per profile. From docs.docker.com "Packet filtering and firewalls" (Gateway modes): in routed mode
// the host port of a `-p` mapping is not used — the container port is reachable by direct routing to
// the container address from a host with a route to the network, not at the Docker host's address.
// `docker port` / inspect show the binding as daemon/network.go getEndpointPortMapInfo lists it:
// HostIp 0.0.0.0, HostPort "".
import { describe, expect, test } from 'vitest';
import '../../src/control/all.js';
import { loadScenarioText } from '../../src/scenario/load.js';
import { loadPlugins } from '../../src/scenario/plugins.js';
import { runScenario } from '../../src/scenario/run.js';
import { dockerShell } from './docker-shell.js';

const PROFILES = ['current', '28.0', '27'] as const;
const ROUTED = '-o com.docker.network.bridge.gateway_mode_ipv4=routed';

function daemon(profile: string, opts = '') {
  const h = dockerShell(5);
  h.run('sysctl -w net.ipv4.ip_forward=1');
  h.run(`dockerd --netsim-profile=${profile} ${opts}`);
  return h;
}

function scenario(profile: string): string {
  return `
netsim: 1
seed: 1
hosts: [host, client]
images:
  web: { serve: [tcp-echo-peer/80, tcp-echo-peer/81] }
steps:
  - in: host
    run: |
      ip link set lo up
      ip link add eth0 type veth peer name eth0 netns client
      ip addr add 203.0.113.10/24 dev eth0
      ip link set eth0 up
      dockerd --netsim-profile=${profile}
      docker network create --subnet 192.0.2.0/24 ${ROUTED} rnet
      docker run -d --name web --network rnet -p 8080:80 web
  - in: client
    run: |
      ip link set lo up
      ip addr add 203.0.113.7/24 dev eth0
      ip link set eth0 up
      ip route add 192.0.2.0/24 via 203.0.113.10
traffic:
  - { at: 1s, name: direct, from: client, tcp: 192.0.2.2:80, sport: 40001, payload: hi }
  - { at: 1s, name: host-address, from: client, tcp: 203.0.113.10:8080, sport: 40002, payload: hi }
  - { at: 1s, name: unpublished, from: client, tcp: 192.0.2.2:81, sport: 40003, payload: hi, timeout: 2s }
  - { at: 1s, name: host-local, from: host, tcp: 203.0.113.10:8080, sport: 40004, payload: hi }
expect:
  - { probe: direct, connected: true, server-saw-source: 203.0.113.7:40001 }
  - { probe: host-address, error: connection-refused }
  - { probe: unpublished, error: timeout }
  - { probe: host-local, error: connection-refused }
  - { in: host, run: docker port web, output-equals: "80/tcp -> 0.0.0.0:\\n" }
  - { in: host, run: iptables-save -t nat, output-lacks: ["DNAT"] }
`;
}

describe('routed mode: direct routing to the container port, no host port', () => {
  for (const p of PROFILES) {
    test(`profile ${p}: reachable at the container address from a routed client, not at the host's`, async () => {
      await loadPlugins();
      const out = runScenario(loadScenarioText(scenario(p), `routed-${p}.yaml`, { checkTools: true }));
      expect(out.checks.filter((c) => !c.ok)).toEqual([]);
      expect(out.ok).toBe(true);
    });

    test(`profile ${p}: no host port is reserved, no docker-proxy starts, inspect shows HostPort ""`, () => {
      const h = daemon(p);
      h.run(`docker network create --subnet 192.0.2.0/24 ${ROUTED} rnet`);
      h.run('docker network create --subnet 198.51.100.0/24 nnet');
      h.run('docker run -d --name web --network rnet -p 8080:80 -p 5353:53/udp img');
      expect(h.run('docker port web')).toBe('53/udp -> 0.0.0.0:\n80/tcp -> 0.0.0.0:\n');
      expect(h.run('docker port web 80')).toBe('0.0.0.0:\n');
      const inspect = JSON.parse(h.run('docker inspect web'))[0];
      expect(inspect.NetworkSettings.Ports).toEqual({
        '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '' }],
        '53/udp': [{ HostIp: '0.0.0.0', HostPort: '' }],
      });
      expect(h.engine().proxies.size).toBe(0);
      expect(h.engine().log.some((c) => c.argv[0] === 'docker-proxy')).toBe(false);
      // Host port 8080 is still free: a NATed publication on another network takes it.
      h.run('docker run -d --name other --network nnet -p 8080:80 img');
      expect(h.run('docker port other')).toBe('80/tcp -> 0.0.0.0:8080\n');
      // The container port is opened in the filter table only.
      expect(h.run('iptables -S DOCKER')).toMatch(
        /-A DOCKER -d 192\.0\.2\.2\/32 ! -i br-[0-9a-f]{12} -o br-[0-9a-f]{12} -p tcp -m tcp --dport 80 -j ACCEPT\n/,
      );
      expect(h.run('iptables -t nat -S DOCKER')).not.toContain('192.0.2.2');
    });
  }

  test('docker ps: v27 and v28.0 list 0.0.0.0:0->80/tcp; moby master leaves the binding out', () => {
    for (const p of PROFILES) {
      const h = daemon(p);
      h.run(`docker network create --subnet 192.0.2.0/24 ${ROUTED} rnet`);
      h.run('docker run -d --name web --network rnet -p 8080:80 img');
      const row = h.run('docker ps').split('\n')[1]!;
      if (p === 'current') expect(row).not.toContain('->');
      else expect(row).toContain(' 0.0.0.0:0->80/tcp ');
    }
  });

  test('a specific host address: 28.0 and current open the port on 0.0.0.0; v27.5.1 refuses the mapping', () => {
    for (const p of ['current', '28.0'] as const) {
      const h = daemon(p);
      h.run(`docker network create --subnet 192.0.2.0/24 ${ROUTED} rnet`);
      h.run('docker run -d --name web --network rnet -p 127.0.0.1:8080:80 img');
      expect(h.run('docker port web')).toBe('80/tcp -> 0.0.0.0:\n');
      // No loopback-only raw rule: there is no host port to protect.
      expect(h.run('iptables -t raw -S')).not.toContain('127.0.0.1');
    }
    const h = daemon('27');
    h.run(`docker network create --subnet 192.0.2.0/24 ${ROUTED} rnet`);
    const id = () => h.engine().container('web').id;
    expect(() => h.run('docker run -d --name web --network rnet -p 127.0.0.1:8080:80 img')).toThrow(
      /^docker: Error response from daemon: driver failed programming external connectivity on endpoint web \([0-9a-f]{64}\): NAT is disabled, omit host address in port mapping 127\.0\.0\.1:8080:80\/tcp, or use 0\.0\.0\.0::80 to open port 80 for IPv4-only\nhost port must not be specified in mapping 127\.0\.0\.1:8080:80\/tcp because NAT is disabled$/,
    );
    expect(h.engine().container('web').running).toBe(false);
    expect(id()).toMatch(/^[0-9a-f]{64}$/);
    // Without a host port only the address is refused; 0.0.0.0 with a port is accepted.
    h.run('docker rm web');
    expect(() => h.run('docker run -d --name web --network rnet -p 127.0.0.1::80 img')).toThrow(
      /NAT is disabled, omit host address in port mapping 127\.0\.0\.1::80\/tcp, or use 0\.0\.0\.0::80 to open port 80 for IPv4-only$/,
    );
    h.run('docker rm web');
    h.run('docker run -d --name web --network rnet -p 0.0.0.0:8080:80 img');
    expect(h.run('docker port web')).toBe('80/tcp -> 0.0.0.0:\n');
  });

  test('the default binding address: v27.5.1 keeps it in the binding, 28.0 and current use 0.0.0.0', () => {
    for (const p of PROFILES) {
      const h = daemon(p, '--ip 127.0.0.1');
      h.run(`docker network create --subnet 192.0.2.0/24 ${ROUTED} rnet`);
      h.run('docker run -d --name web --network rnet -p 8080:80 img');
      expect(h.run('docker port web')).toBe(p === '27' ? '80/tcp -> 127.0.0.1:\n' : '80/tcp -> 0.0.0.0:\n');
      expect(h.run('iptables -t nat -S')).not.toContain('DNAT');
    }
  });

  test('nat-unprotected still maps a host port (only routed disables NAT); isolated networks get no bindings', () => {
    for (const p of ['current', '28.0'] as const) {
      const h = daemon(p);
      h.run(
        'docker network create --subnet 192.0.2.0/24 -o com.docker.network.bridge.gateway_mode_ipv4=nat-unprotected un',
      );
      h.run('docker run -d --name web --network un -p 8080:80 img');
      expect(h.run('docker port web')).toBe('80/tcp -> 0.0.0.0:8080\n');
      expect(h.run('iptables -t nat -S DOCKER')).toContain(
        '--dport 8080 -j DNAT --to-destination 192.0.2.2:80',
      );
      expect(h.engine().proxies.size).toBe(1);
      h.run(
        'docker network create --internal --subnet 198.51.100.0/24 -o com.docker.network.bridge.gateway_mode_ipv4=isolated iso',
      );
      h.run('docker run -d --name vault --network iso -p 9090:80 img');
      expect(h.run('docker port vault')).toBe('');
    }
  });
});
