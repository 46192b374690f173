// docker CLI parsing and daemon error messages (texts from moby; see src/docker/cli/*.ts).
import { describe, expect, test } from 'vitest';
import '../../src/control/all.js';
import { CommandError, runCommandLine } from '../../src/control/command.js';
import { parseExpose, parsePublish } from '../../src/docker/cli/publish.js';
import { World } from '../../src/net/world.js';

describe('-p/--publish (go-connections nat.ParsePortSpec)', () => {
  const one = (hostIp: string, hs: number, he: number, cp: number, proto = 'tcp') => ({
    proto,
    containerPort: cp,
    hostIp,
    hostPortStart: hs,
    hostPortEnd: he,
  });
  test.each([
    ['80', [one('', 0, 0, 80)]],
    ['8080:80', [one('', 8080, 8080, 80)]],
    ['127.0.0.1:8080:80', [one('127.0.0.1', 8080, 8080, 80)]],
    ['127.0.0.1::80', [one('127.0.0.1', 0, 0, 80)]],
    ['8080:80/udp', [one('', 8080, 8080, 80, 'udp')]],
    ['53:53/UDP', [one('', 53, 53, 53, 'udp')]],
    ['8000-8001:80-81', [one('', 8000, 8000, 80), one('', 8001, 8001, 81)]],
    ['8000-8010:80', [one('', 8000, 8010, 80)]],
    ['80-81', [one('', 0, 0, 80), one('', 0, 0, 81)]],
    ['9000:9000/sctp', [one('', 9000, 9000, 9000, 'sctp')]],
  ])('%s', (spec, want) => {
    expect(parsePublish(spec)).toEqual(want);
  });
  test.each([
    ['8080:', 'no port specified: 8080:<empty>'],
    ['abc', 'invalid containerPort: abc'],
    ['x:80', 'invalid hostPort: x'],
    ['300.1.1.1:80:80', 'invalid IP address: 300.1.1.1'],
    ['8000-8002:80-81', 'invalid ranges specified for container and host Ports: 80-81 and 8000-8002'],
    ['80/icmp', 'invalid proto: icmp'],
    ['70000', 'invalid containerPort: 70000'],
  ])('%s is refused: %s', (spec, msg) => {
    expect(() => parsePublish(spec)).toThrow(msg);
  });
  test('--expose ranges', () => {
    expect(parseExpose('8000-8002/udp')).toEqual(['8000/udp', '8001/udp', '8002/udp']);
    expect(parseExpose('80')).toEqual(['80/tcp']);
  });
});

function host() {
  const world = new World();
  const ns = world.addNamespace('host');
  const run = (l: string) => runCommandLine({ world, ns }, l).stdout;
  const fail = (l: string): CommandError => {
    try {
      run(l);
    } catch (e) {
      if (e instanceof CommandError) return e;
      throw e;
    }
    throw new Error(`expected ${l} to fail`);
  };
  return { world, ns, run, fail };
}

describe('daemon errors', () => {
  test('overlapping subnet', () => {
    const h = host();
    h.run('docker network create --subnet 10.5.0.0/16 a');
    expect(h.fail('docker network create --subnet 10.5.1.0/24 b').message).toBe(
      'Error response from daemon: invalid pool request: Pool overlaps with other one on this address space',
    );
  });
  test('duplicate network name', () => {
    const h = host();
    h.run('docker network create a');
    expect(h.fail('docker network create a').message).toBe(
      'Error response from daemon: network with name a already exists',
    );
  });
  // Start-time network setup failures: moby 28.0.1+ (start_linux.go initializeCreatedTask) prefixes
  // `failed to set up container networking: `; v27.5.1 and v28.0.0 return allocateNetwork's error bare.
  const SETUP_PREFIX: Record<string, string> = {
    current: 'failed to set up container networking: ',
    '28.0': '',
    '27': '',
  };
  test.each(Object.entries(SETUP_PREFIX))('exhausted network (profile %s)', (prof, prefix) => {
    const h = host();
    h.run(`dockerd --netsim-profile ${prof}`);
    h.run('docker network create --subnet 10.6.0.0/30 tiny');
    h.run('docker run -d --name a --network tiny img');
    const e = h.fail('docker run -d --name b --network tiny img');
    expect(e.message).toMatch(
      new RegExp(
        `^docker: Error response from daemon: ${prefix}no available IPv4 addresses on this network's address pools: tiny \\([0-9a-f]{64}\\)$`,
      ),
    );
    expect(e.exitCode).toBe(125);
  });
  test.each(Object.entries(SETUP_PREFIX))('port already allocated (profile %s)', (prof, prefix) => {
    const h = host();
    h.run(`dockerd --netsim-profile ${prof}`);
    h.run('docker run -d --name a -p 8080:80 img');
    expect(h.fail('docker run -d --name b -p 8080:80 img').message).toMatch(
      new RegExp(
        `^docker: Error response from daemon: ${prefix}driver failed programming external connectivity on endpoint b \\([0-9a-f]{64}\\): Bind for 0\\.0\\.0\\.0:8080 failed: port is already allocated$`,
      ),
    );
  });
  test('a link to a stopped container is refused before network setup: no prefix (current)', () => {
    const h = host();
    h.run('docker create --name child img');
    expect(h.fail('docker run -d --name p --link child img').message).toMatch(
      /^docker: Error response from daemon: Cannot link to a non running container: \/child AS \/p\/child$/,
    );
  });
  test('container name in use', () => {
    const h = host();
    h.run('docker run -d --name a img');
    expect(h.fail('docker run -d --name a img').message).toMatch(
      /^docker: Error response from daemon: Conflict\. The container name "\/a" is already in use by container "[0-9a-f]{64}"\. You have to remove \(or rename\) that container to be able to reuse that name\.$/,
    );
  });
  test('--ip on the default bridge, aliases on the default bridge', () => {
    const h = host();
    expect(h.fail('docker run -d --ip 172.17.0.9 img').message).toBe(
      'docker: Error response from daemon: invalid endpoint settings:\nuser-specified IP address is supported on user-defined networks only',
    );
    expect(h.fail('docker run -d --network-alias x img').message).toBe(
      'docker: Error response from daemon: invalid endpoint settings:\nnetwork-scoped aliases are only supported for user-defined networks',
    );
  });
  test('container network mode restrictions (runconfig/hostconfig.go)', () => {
    const h = host();
    h.run('docker run -d --name a img');
    expect(h.fail('docker run -d --network container:a -p 80:80 img').message).toBe(
      'docker: Error response from daemon: conflicting options: port publishing and the container type network mode',
    );
    expect(h.fail('docker run -d --network container:a --expose 80 img').message).toBe(
      'docker: Error response from daemon: conflicting options: port exposing and the container type network mode',
    );
    expect(h.fail('docker run -d --network host --link a:x img').message).toBe(
      "docker: Error response from daemon: conflicting options: host type networking can't be used with links. This would result in undefined behavior",
    );
  });
  test('host mode discards published ports with a warning', () => {
    const h = host();
    const out = h.run('docker run -d --network host -p 80:80 img');
    expect(out.split('\n')[0]).toBe('WARNING: Published ports are discarded when using host network mode');
  });
  test('removing a network with endpoints, a predefined network, a running container', () => {
    const h = host();
    h.run('docker network create n');
    h.run('docker run -d --name a --network n img');
    expect(h.fail('docker network rm n').message).toBe(
      'Error response from daemon: error while removing network: network n has active endpoints (a)',
    );
    expect(h.fail('docker network rm bridge').message).toBe(
      'Error response from daemon: bridge is a pre-defined network and cannot be removed',
    );
    expect(h.fail('docker rm a').message).toBe(
      'Error response from daemon: cannot remove container "a": container is running: stop the container before removing or force remove',
    );
  });
  test('an unknown profile is refused with the modelled ones', () => {
    const h = host();
    expect(h.fail('dockerd --netsim-profile=28.1').message).toContain(
      'unknown netsim profile 28.1 (27, 28.0, current)',
    );
  });
  test('unknown flag', () => {
    const h = host();
    expect(h.fail('docker run --bogus img').message).toBe("unknown flag: --bogus\nSee 'docker run --help'.");
  });
});
