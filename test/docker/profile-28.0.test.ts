// The 28.0 profile (moby v28.0.0) beyond moby's documentation dumps (iptablesdoc-28.0.test.ts): the
// daemon's first commands, removal back to the fresh-daemon state (ipset member included), random
// container MACs.
import { describe, expect, test } from 'vitest';
import '../../src/control/all.js';
import { runCommandLine } from '../../src/control/command.js';
import { engineOf } from '../../src/docker/engine.js';
import { World } from '../../src/net/world.js';

function host() {
  const world = new World({ seed: 3 });
  const ns = world.addNamespace('host');
  const run = (l: string) => runCommandLine({ world, ns }, l).stdout;
  return { world, ns, run, engine: () => engineOf(world, ns) };
}

const state = (run: (l: string) => string) =>
  ['raw', 'filter', 'nat'].map((t) => run(`iptables -S -t ${t}`)).join('') + run('ipset save');

describe('profile 28.0', () => {
  test('driver init: the ipset is created (as netlink IpsetCreate without EXCL) and flushed before the chains', () => {
    const h = host();
    h.run('dockerd --netsim-profile=28.0');
    const cmds = h.engine().log.map((c) => c.argv.join(' '));
    const i = cmds.indexOf('ipset create docker-ext-bridges-v4 hash:net family inet -exist');
    expect(i).toBeGreaterThanOrEqual(0);
    expect(cmds[i + 1]).toBe('ipset flush docker-ext-bridges-v4');
    expect(cmds.findIndex((c) => c.startsWith('iptables'))).toBeGreaterThan(i + 1);
    expect(cmds).toContain('ipset add docker-ext-bridges-v4 172.17.0.0/16 -exist');
    // DOCKER-USER once, at controller start, after the driver's FORWARD rules: on top.
    expect(h.run('iptables -S FORWARD').split('\n')[1]).toBe('-A FORWARD -j DOCKER-USER');
  });

  test('removing the container and the network restores the fresh-daemon rules and ipset', () => {
    const h = host();
    h.run('sysctl -w net.ipv4.ip_forward=1');
    h.run('dockerd --netsim-profile=28.0');
    const fresh = state(h.run);
    expect(fresh).toContain('add docker-ext-bridges-v4 172.17.0.0/16\n');
    h.run('docker network create --subnet 192.0.2.0/24 -o com.docker.network.bridge.enable_icc=false front');
    h.run('docker network create --internal --subnet 198.51.100.0/24 back');
    h.run('docker run -d --name c1 --network front -p 127.0.0.1:8080:80 -p 5353:53/udp img');
    h.run('docker run -d --name c2 --network back img');
    const members = h.run('ipset save docker-ext-bridges-v4');
    expect(members).toContain('add docker-ext-bridges-v4 192.0.2.0/24\n');
    expect(members).not.toContain('198.51.100.0');
    // filterDirectAccess for every binding; the loopback-only one also gets the `! -i lo` DROP.
    const raw = h.run('iptables -S -t raw');
    expect(raw).toMatch(
      /-A PREROUTING -d 192\.0\.2\.2\/32 ! -i br-[0-9a-f]{12} -p udp -m udp --dport 53 -j DROP\n/,
    );
    expect(raw).toMatch(
      /-A PREROUTING -d 192\.0\.2\.2\/32 ! -i br-[0-9a-f]{12} -p tcp -m tcp --dport 80 -j DROP\n/,
    );
    expect(raw).toContain('-A PREROUTING -d 127.0.0.1/32 ! -i lo -p tcp -m tcp --dport 8080 -j DROP\n');
    h.run('docker rm -f c1 c2');
    h.run('docker network rm front back');
    expect(state(h.run)).toBe(fresh);
  });

  test('container MACs are random (GenerateRandomMAC), not 02:42 + the address', () => {
    const h = host();
    h.run('dockerd --netsim-profile=28.0');
    h.run('docker run -d --name web img');
    const mac = h.engine().endpointsOf(h.engine().container('web'))[0]!.mac;
    expect(mac.startsWith('02:42:ac:11')).toBe(false);
    expect(Number.parseInt(mac.slice(0, 2), 16) & 0x03).toBe(0x02);
  });
});
