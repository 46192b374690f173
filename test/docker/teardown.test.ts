// Sandbox deletion on docker stop / rm (engine.ts deleteSandbox, World.deleteNamespace): the
// container's processes exit, its endpoints leave, and its network namespace goes — with lo, the
// resolver's nat rules and its own conntrack table. The host's conntrack entries of past flows stay,
// as the kernel keeps them, until a container that gets the same address purges them.
import { describe, expect, it } from 'vitest';
import '../../src/control/all.js';
import { engineOf } from '../../src/docker/engine.js';
import { loadScenarioText } from '../../src/scenario/load.js';
import { loadPlugins } from '../../src/scenario/plugins.js';
import { runScenario } from '../../src/scenario/run.js';
import { dockerShell } from './docker-shell.js';

describe('sandbox deletion', () => {
  it('stop and rm delete the sandbox namespace; a restart gets a new one', () => {
    const { world, ns, run } = dockerShell(1);
    run('ip link set lo up');
    run('docker network create app');
    const names = () => world.namespaces.map((n) => n.name);
    const before = names();
    run('docker run -d --name a --network app img');
    run('docker run -d --name b img');
    const e = engineOf(world, ns);
    const sandboxA = e.container('a').nsName;
    const sandboxB = e.container('b').nsName;
    expect(names()).toEqual([...before, sandboxA, sandboxB]);
    run('docker stop a');
    expect(world.namespace(sandboxA)).toBeUndefined();
    expect(names()).toEqual([...before, sandboxB]);
    run('docker start a');
    const again = e.container('a').nsName;
    expect(again).not.toBe(sandboxA);
    expect(run('docker exec a ip -br link')).toMatch(/^lo .*\neth0@if\d+ +UP/);
    run('docker rm -f a b');
    expect(names()).toEqual(before);
    expect(e.log.filter((c) => c.argv[1] === 'netns').map((c) => c.argv.join(' '))).toEqual([
      `ip netns delete ${sandboxA}`,
      `ip netns delete ${again}`,
      `ip netns delete ${sandboxB}`,
    ]);
  });

  it('--network container:NAME does not own the sandbox: only its owner deletes it', () => {
    const { world, ns, run } = dockerShell(1);
    run('docker run -d --name web img');
    run('docker run -d --name side --network container:web img');
    const sandbox = engineOf(world, ns).container('web').nsName;
    run('docker stop side');
    expect(world.namespace(sandbox)).toBeDefined();
    run('docker stop web');
    expect(world.namespace(sandbox)).toBeUndefined();
  });

  it('host conntrack entries outlive the container until the next owner of its address purges them', async () => {
    await loadPlugins();
    const o = runScenario(
      loadScenarioText(
        `netsim: 1
hosts: [host, client]
images:
  web: { serve: [tcp-echo-peer/80] }
steps:
  - in: host
    run: |
      ip link set lo up
      ip link add eth0 type veth peer name eth0 netns client
      ip addr add 203.0.113.10/24 dev eth0
      ip link set eth0 up
      docker run -d --name web -p 8080:80 web
  - in: client
    run: |
      ip link set lo up
      ip addr add 203.0.113.7/24 dev eth0
      ip link set eth0 up
  - { at: 3s, in: host, run: docker stop web }
  - { at: 5s, in: host, run: docker run -d --name next web }
traffic:
  - { at: 1s, name: req, from: client, tcp: 203.0.113.10:8080, sport: 40000, payload: hi }
expect:
  - { probe: req, connected: true }
  - at: 4s
    in: host
    run: conntrack -L -p tcp --dport 8080
    output-contains: ['src=203.0.113.7 dst=203.0.113.10 sport=40000 dport=8080 src=172.17.0.2 dst=203.0.113.7 sport=80 dport=40000']
  - at: 6s
    in: host
    run: conntrack -L -p tcp --dport 8080
    output-equals: ''
`,
        'ct.yaml',
      ),
    );
    expect(o.checks.filter((c) => !c.ok)).toEqual([]);
  });
});
