// Docker's macvlan and ipvlan drivers through `docker` command lines: the links, routes and errors
// moby's drivers produce (daemon/libnetwork/drivers/{macvlan,ipvlan}), and what the data plane then
// lets through.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { dockerHost } from './macvlan-helpers.js';

const MV = 'docker network create -d macvlan --subnet 192.168.50.0/24 --gateway 192.168.50.1';

/** Link names as `ip link show` prints them (`eth0.50@eth0`). */
const links = (run: (l: string) => string) =>
  [...run('ip link show').matchAll(/^\d+: ([^:]+):/gm)].map((m) => m[1]!);

describe('macvlan', () => {
  test('a container gets a bridge-mode macvlan of the parent, its address and default route via --gateway; nothing on the host', () => {
    const h = dockerHost();
    h.run(`${MV} --ip-range 192.168.50.192/27 -o parent=eth0 lan`);
    h.run('docker run -d --name c1 --network lan img');
    expect(h.run('docker exec c1 ip -d link show eth0')).toContain('macvlan mode bridge ');
    expect(h.run('docker exec c1 ip route')).toBe(
      'default via 192.168.50.1 dev eth0 \n192.168.50.0/24 dev eth0 proto kernel scope link src 192.168.50.192 \n',
    );
    // The gateway is a router on the LAN: no address, route or rule for it on the host.
    expect(h.run('ip -4 addr')).not.toContain('192.168.50.1/');
    expect(h.run('ip route')).not.toContain('192.168.50.192');
    expect(h.run('iptables-save')).not.toContain('192.168.50');
    // No link left behind in the host namespace: the child moved into the sandbox.
    expect(links(h.run).filter((l) => l.startsWith('veth'))).toEqual([]);
    // Only the embedded DNS rules, inside the container.
    expect(h.run('docker exec c1 iptables-save -t nat')).toContain('-A DOCKER_OUTPUT -d 127.0.0.11/32');
    const inspect = JSON.parse(h.run('docker network inspect lan'))[0];
    expect(inspect.Driver).toBe('macvlan');
    expect(inspect.Options).toEqual({ parent: 'eth0' });
    expect(inspect.IPAM.Config).toEqual([
      { Subnet: '192.168.50.0/24', IPRange: '192.168.50.192/27', Gateway: '192.168.50.1' },
    ]);
  });

  test('macvlan_mode sets the child mode; the MAC is random (current) or 02:42 + the address (27)', () => {
    for (const mode of ['private', 'vepa', 'passthru']) {
      const h = dockerHost();
      h.run(`${MV} -o parent=eth0 -o macvlan_mode=${mode} lan`);
      h.run('docker run -d --name c1 --network lan img');
      expect(h.run('docker exec c1 ip -d link show eth0')).toContain(`macvlan mode ${mode} `);
    }
    const cur = dockerHost();
    cur.run(`${MV} -o parent=eth0 lan`);
    cur.run('docker run -d --name c1 --network lan img');
    const mac = JSON.parse(cur.run('docker network inspect lan'))[0].Containers;
    const m = (Object.values(mac)[0] as { MacAddress: string }).MacAddress;
    expect(m).toMatch(/^[0-9a-f][26ae](:[0-9a-f]{2}){5}$/);
    expect(m.startsWith('02:42:')).toBe(false);
    expect(cur.run('docker exec c1 ip link show eth0')).toContain(`link/ether ${m} `);
    const v27 = dockerHost(1, '--netsim-profile 27');
    v27.run(`${MV} -o parent=eth0 lan`);
    v27.run('docker run -d --name c1 --network lan img');
    expect(v27.run('docker exec c1 ip link show eth0')).toContain('link/ether 02:42:c0:a8:32:02 ');
  });

  test('passthru: the container MAC Docker sets becomes the host parent MAC until the container goes', () => {
    const h = dockerHost();
    const before = /link\/ether (\S+)/.exec(h.run('ip link show eth0'))![1];
    h.run(`${MV} -o parent=eth0 -o macvlan_mode=passthru lan`);
    h.run('docker run -d --name c1 --network lan img');
    const ctr = /link\/ether (\S+)/.exec(h.run('docker exec c1 ip link show eth0'))![1];
    expect(ctr).not.toBe(before);
    expect(h.run('ip link show eth0')).toContain(`link/ether ${ctr} `);
    expect(h.ping(h.lan, '192.168.50.2')).toBe(true);
    h.run('docker rm -f c1');
    expect(h.run('ip link show eth0')).toContain(`link/ether ${before} `);
  });

  test('no --gateway: moby master allocates none (the first address goes to a container, no default route); profile 27 takes the first address', () => {
    const cur = dockerHost();
    cur.run('docker network create -d macvlan --subnet 192.168.60.0/24 -o parent=eth0 lan');
    cur.run('docker run -d --name c1 --network lan img');
    expect(JSON.parse(cur.run('docker network inspect lan'))[0].IPAM.Config).toEqual([
      { Subnet: '192.168.60.0/24' },
    ]);
    expect(cur.run('docker exec c1 ip route')).toBe(
      '192.168.60.0/24 dev eth0 proto kernel scope link src 192.168.60.1 \n',
    );
    const v27 = dockerHost(1, '--netsim-profile 27');
    v27.run('docker network create -d macvlan --subnet 192.168.60.0/24 -o parent=eth0 lan');
    v27.run('docker run -d --name c1 --network lan img');
    expect(v27.run('docker exec c1 ip route')).toBe(
      'default via 192.168.60.1 dev eth0 \n192.168.60.0/24 dev eth0 proto kernel scope link src 192.168.60.2 \n',
    );
  });

  test('no parent: a dummy dm-<id12> parent, internal to the driver (no default route), deleted with the network', () => {
    const h = dockerHost();
    const id = h.run(`${MV} lan`).trim();
    const dummy = `dm-${id.slice(0, 12)}`;
    expect(h.run(`ip -d link show ${dummy}`)).toMatch(/UP.*\n.*\n\s+dummy/);
    h.run('docker run -d --name c1 --network lan img');
    expect(h.run('docker exec c1 ip route')).toBe(
      '192.168.50.0/24 dev eth0 proto kernel scope link src 192.168.50.2 \n',
    );
    expect(JSON.parse(h.run('docker network inspect lan'))[0].Internal).toBe(false);
    h.run('docker rm -f c1');
    h.run('docker network rm lan');
    expect(links(h.run)).not.toContain(dummy);
  });

  test('--internal: a given parent is kept; without one, the dummy; either way no default route', () => {
    const h = dockerHost();
    h.run(`${MV} --internal -o parent=eth0 lan`);
    h.run('docker run -d --name c1 --network lan img');
    expect(h.run('docker exec c1 ip route')).not.toContain('default');
    expect(h.run('docker exec c1 ip -d link show eth0')).toMatch(/eth0@if2:/); // eth0 is ifindex 2
    const id = h.run('docker network create -d macvlan --internal --subnet 10.9.0.0/24 iso').trim();
    expect(links(h.run)).toContain(`dm-${id.slice(0, 12)}`);
  });

  test('-o parent=eth0.50: Docker creates the 802.1Q sub-interface, shares it, and deletes it with its last network', () => {
    const h = dockerHost();
    h.run('docker network create -d macvlan --subnet 10.50.0.0/24 -o parent=eth0.50 v50a');
    expect(h.run('ip -d link show eth0.50')).toContain('vlan protocol 802.1Q id 50 ');
    expect(h.run('ip link show eth0.50')).toMatch(/eth0\.50@eth0: <[^>]*\bUP\b/);
    h.run('docker network create -d macvlan --subnet 10.51.0.0/24 -o parent=eth0.50 v50b');
    h.run('docker network rm v50a');
    expect(links(h.run)).toContain('eth0.50@eth0');
    h.run('docker network rm v50b');
    expect(links(h.run)).not.toContain('eth0.50@eth0');
  });

  test('a sub-interface the user made stays after network rm', () => {
    const h = dockerHost();
    h.run('ip link add link eth0 name eth0.7 type vlan id 7');
    h.run('ip link set eth0.7 up');
    h.run('docker network create -d macvlan --subnet 10.7.0.0/24 -o parent=eth0.7 v7');
    h.run('docker network rm v7');
    expect(links(h.run)).toContain('eth0.7@eth0');
  });

  test('port publishing is ignored (no binding, no DNAT)', () => {
    const h = dockerHost();
    h.run(`${MV} -o parent=eth0 lan`);
    h.run('docker run -d --name c1 --network lan -p 8080:80 img');
    expect(h.run('docker port c1')).toBe('');
    expect(h.run('iptables-save -t nat')).not.toContain('8080');
  });

  test('network connect / disconnect add and remove the child; stop and start reuse the address', () => {
    const h = dockerHost();
    h.run(`${MV} -o parent=eth0 lan`);
    h.run('docker run -d --name c1 img');
    h.run('docker network connect lan c1');
    expect(h.run('docker exec c1 ip -d link show eth1')).toContain('macvlan mode bridge');
    // The bridge network stays the gateway endpoint.
    expect(h.run('docker exec c1 ip route')).toContain('default via 172.17.0.1 dev eth0');
    h.run('docker network disconnect lan c1');
    expect(() => h.run('docker exec c1 ip link show eth1')).toThrow();
    expect(links(h.run).filter((l) => l.startsWith('veth') && !l.includes('@if'))).toEqual([]);
    h.run('docker network connect lan c1');
    h.run('docker stop c1');
    h.run('docker start c1');
    expect(h.run('docker exec c1 ip -4 addr show eth1')).toContain('inet 192.168.50.2/24');
  });

  test('disconnecting the bridge network makes the macvlan endpoint the gateway', () => {
    const h = dockerHost();
    h.run(`${MV} -o parent=eth0 lan`);
    h.run('docker run -d --name c1 img');
    h.run('docker network connect lan c1');
    h.run('docker network disconnect bridge c1');
    expect(h.run('docker exec c1 ip route')).toContain('default via 192.168.50.1 dev eth1');
  });

  test('compose: driver macvlan with driver_opts', () => {
    const h = dockerHost();
    const dir = mkdtempSync(join(tmpdir(), 'netsim-compose-'));
    const file = join(dir, 'compose.yaml');
    writeFileSync(
      file,
      [
        'services:',
        '  web:',
        '    image: img',
        '    networks: [lan]',
        'networks:',
        '  lan:',
        '    driver: macvlan',
        '    driver_opts: { parent: eth0.30, macvlan_mode: private }',
        '    ipam:',
        '      config: [{ subnet: 10.30.0.0/24, gateway: 10.30.0.1 }]',
        '',
      ].join('\n'),
    );
    h.run(`docker compose -p demo -f ${file} up -d`);
    expect(h.run('ip -d link show eth0.30')).toContain('vlan protocol 802.1Q id 30');
    expect(h.run('docker exec demo-web-1 ip -d link show eth0')).toContain('macvlan mode private');
    expect(h.run('docker exec demo-web-1 ip route')).toContain('default via 10.30.0.1 dev eth0');
    h.run(`docker compose -p demo -f ${file} down`);
    expect(links(h.run)).not.toContain('eth0.30@eth0');
  });
});

describe('macvlan data plane', () => {
  test('containers reach each other and the LAN, but not their own host, until the host has a shim', () => {
    const h = dockerHost();
    h.run(`${MV} --ip-range 192.168.50.192/27 -o parent=eth0 lan`);
    h.run('docker run -d --name c1 --network lan img');
    h.run('docker run -d --name c2 --network lan img');
    const c1 = h.sandbox('c1');
    expect(h.ping(c1, '192.168.50.193')).toBe(true);
    expect(h.ping(c1, '192.168.50.1')).toBe(true);
    expect(h.ping(h.lan, '192.168.50.193')).toBe(true);
    expect(h.ping(c1, '192.168.50.10')).toBe(false);
    expect(h.ping(h.ns, '192.168.50.193')).toBe(false);
    h.run('ip link add mac-shim link eth0 type macvlan mode bridge');
    h.run('ip addr add 192.168.50.223/32 dev mac-shim');
    h.run('ip link set mac-shim up');
    h.run('ip route add 192.168.50.192/27 dev mac-shim');
    expect(h.ping(h.ns, '192.168.50.193')).toBe(true);
    expect(h.ping(c1, '192.168.50.223')).toBe(true);
  });
});

describe('ipvlan', () => {
  test('l2 (default): the child keeps the parent MAC, inspect shows none, default route via --gateway', () => {
    const h = dockerHost();
    h.run(
      'docker network create -d ipvlan --subnet 192.168.50.0/24 --gateway 192.168.50.1 -o parent=eth0 ipv',
    );
    h.run('docker run -d --name c1 --network ipv img');
    const parentMac = /link\/ether (\S+)/.exec(h.run('ip link show eth0'))![1];
    expect(h.run('docker exec c1 ip -d link show eth0')).toContain(`link/ether ${parentMac} `);
    expect(h.run('docker exec c1 ip -d link show eth0')).toContain('ipvlan  mode l2 bridge');
    expect(h.run('docker exec c1 ip route')).toContain('default via 192.168.50.1 dev eth0');
    const ctrs = JSON.parse(h.run('docker network inspect ipv'))[0].Containers;
    expect((Object.values(ctrs)[0] as { MacAddress: string }).MacAddress).toBe('');
    expect(h.ping(h.lan, '192.168.50.2')).toBe(true);
  });

  test('l3 and l3s: a connected default route (default dev eth0), NOARP, whatever --gateway says', () => {
    for (const mode of ['l3', 'l3s']) {
      const h = dockerHost();
      h.run(`docker network create -d ipvlan --subnet 10.8.0.0/24 -o parent=eth0 -o ipvlan_mode=${mode} ipv`);
      h.run('docker run -d --name c1 --network ipv img');
      expect(h.run('docker exec c1 ip route')).toBe(
        'default dev eth0 scope link \n10.8.0.0/24 dev eth0 proto kernel scope link src 10.8.0.1 \n',
      );
      expect(h.run('docker exec c1 ip link show eth0')).toContain('NOARP');
      expect(h.run('docker exec c1 ip -d link show eth0')).toContain(`ipvlan  mode ${mode} bridge`);
    }
  });

  test('ipvlan_flag reaches the port; no parent: a dummy di-<id12>', () => {
    const h = dockerHost();
    const id = h
      .run('docker network create -d ipvlan --subnet 10.8.0.0/24 -o ipvlan_flag=private ipv')
      .trim();
    h.run('docker run -d --name c1 --network ipv img');
    expect(h.run('docker exec c1 ip -d link show eth0')).toContain(
      `eth0@if${/^(\d+):/.exec(h.run(`ip link show di-${id.slice(0, 12)}`))![1]}`,
    );
    expect(h.run('docker exec c1 ip -d link show eth0')).toContain('ipvlan  mode l2 private');
    expect(h.run('docker exec c1 ip route')).not.toContain('default');
  });

  test('l3: siblings reach each other; the LAN reaches the containers only through a route via the host', () => {
    const h = dockerHost();
    h.run('docker network create -d ipvlan --subnet 10.8.0.0/24 -o parent=eth0 -o ipvlan_mode=l3 ipv');
    h.run('docker run -d --name c1 --network ipv img');
    h.run('docker run -d --name c2 --network ipv img');
    expect(h.ping(h.sandbox('c1'), '10.8.0.2')).toBe(true);
    // On-link, nobody answers ARP for a child's address (the children are NOARP and drop ARP, the
    // host does not own the address).
    h.run('ip route add 10.8.0.0/24 dev eth0', h.lan);
    expect(h.ping(h.lan, '10.8.0.2')).toBe(false);
    h.run('ip route replace 10.8.0.0/24 via 192.168.50.10', h.lan);
    expect(h.ping(h.lan, '10.8.0.2')).toBe(true);
    // The child's replies went out through the host's stack (default dev eth0 → the parent namespace).
    expect(h.ping(h.sandbox('c1'), '192.168.50.1')).toBe(true);
  });
});

describe('errors (moby texts)', () => {
  const cases: [string, string][] = [
    [
      'docker network create -d macvlan -o macvlan_mode=bogus m',
      "Error response from daemon: requested macvlan mode 'bogus' is not valid, 'bridge' mode is the macvlan driver default",
    ],
    [
      'docker network create -d ipvlan -o ipvlan_mode=l4 i',
      "Error response from daemon: requested ipvlan mode 'l4' is not valid, 'l2' mode is the ipvlan driver default",
    ],
    [
      'docker network create -d ipvlan -o ipvlan_flag=open i',
      "Error response from daemon: requested ipvlan flag 'open' is not valid, 'bridge' is the ipvlan driver default",
    ],
    [
      'docker network create -d macvlan -o parent=lo m',
      'Error response from daemon: loopback interface is not a valid macvlan parent link',
    ],
    [
      'docker network create -d ipvlan -o parent=lo i',
      'Error response from daemon: loopback interface is not a valid ipvlan parent link',
    ],
    [
      'docker network create -d macvlan -o parent=eth9 m',
      'Error response from daemon: invalid subinterface vlan name eth9, example formatting is eth0.10',
    ],
    [
      'docker network create -d macvlan -o parent=eth9.10 m',
      'Error response from daemon: -o parent interface was not found on the host: eth9',
    ],
    [
      'docker network create -d macvlan -o parent=eth0.x m',
      'Error response from daemon: unable to parse a valid vlan id from: x (ex. eth0.10 for vlan 10)',
    ],
    [
      'docker network create -d macvlan -o parent=eth0.4095 m',
      'Error response from daemon: vlan id must be between 1-4094, received: 4095',
    ],
    [
      'docker network create -d macvlan -o parent=eth0.1.2 m',
      'Error response from daemon: required interface name format is: name.vlan_id, ex. eth0.10 for vlan 10, instead received eth0.1.2',
    ],
    [
      'docker network create -d overlay o',
      'Error response from daemon: could not find plugin overlay in v1 plugin registry: plugin not found',
    ],
  ];
  for (const [cmd, want] of cases) {
    test(cmd, () => {
      const h = dockerHost();
      expect(h.fail(cmd)).toBe(want);
      // Nothing was created: not the network, not a link.
      expect(h.run('docker network ls -q').split('\n').filter(Boolean)).toHaveLength(3);
      expect(links(h.run)).toEqual(['lo', 'eth0@if2', 'docker0']);
    });
  }

  test('ipvlan refuses a parent another ipvlan network uses (naming it by its dummy name)', () => {
    const h = dockerHost();
    const id = h.run('docker network create -d ipvlan --subnet 10.1.0.0/24 -o parent=eth0 a').trim();
    expect(h.fail('docker network create -d ipvlan --subnet 10.2.0.0/24 -o parent=eth0 b')).toBe(
      `Error response from daemon: network di-${id.slice(0, 12)} is already using parent interface eth0`,
    );
  });

  test('macvlan networks share a parent, except in passthru mode (either way round)', () => {
    const h = dockerHost();
    const a = h.run('docker network create -d macvlan --subnet 10.1.0.0/24 -o parent=eth0 a').trim();
    h.run('docker network create -d macvlan --subnet 10.2.0.0/24 -o parent=eth0 b');
    const err = h.fail(
      'docker network create -d macvlan --subnet 10.3.0.0/24 -o parent=eth0 -o macvlan_mode=passthru c',
    );
    // moby names the first sharing network it finds (its map order); netsim's is creation order.
    expect(err).toBe(
      `Error response from daemon: cannot use mode passthru, macvlan network ${a} is already using parent interface eth0`,
    );
    const p = h
      .run(
        'docker network create -d macvlan --subnet 10.4.0.0/24 -o parent=eth0.9 -o macvlan_mode=passthru p',
      )
      .trim();
    expect(h.fail('docker network create -d macvlan --subnet 10.5.0.0/24 -o parent=eth0.9 q')).toBe(
      `Error response from daemon: macvlan network ${p} is already using parent interface eth0.9 in mode passthru`,
    );
  });

  test('a macvlan and an ipvlan network on one parent: the second kind of child is refused (EBUSY)', () => {
    const h = dockerHost();
    h.run('docker network create -d macvlan --subnet 10.1.0.0/24 -o parent=eth0 m');
    h.run('docker network create -d ipvlan --subnet 10.2.0.0/24 -o parent=eth0 i');
    h.run('docker run -d --name c1 --network m img');
    expect(h.fail('docker run -d --name c2 --network i img')).toBe(
      'docker: Error response from daemon: failed to set up container networking: failed to create the ipvlan port: device or resource busy',
    );
  });

  test('a parent deleted after network create: the requested parent interface was not found', () => {
    const h = dockerHost();
    h.run('ip link add eth1 type dummy');
    h.run('docker network create -d macvlan --subnet 10.1.0.0/24 -o parent=eth1 m');
    h.run('ip link del eth1');
    expect(h.fail('docker run -d --name c1 --network m img')).toBe(
      'docker: Error response from daemon: failed to set up container networking: the requested parent interface eth1 was not found on the Docker host',
    );
  });

  test('profile 28.0 (moby v28.0.0) reports the same start failure without the networking prefix', () => {
    const h = dockerHost(1, '--netsim-profile 28.0');
    h.run('ip link add eth1 type dummy');
    h.run('docker network create -d macvlan --subnet 10.1.0.0/24 -o parent=eth1 m');
    h.run('ip link del eth1');
    expect(h.fail('docker run -d --name c1 --network m img')).toBe(
      'docker: Error response from daemon: the requested parent interface eth1 was not found on the Docker host',
    );
  });
});
