// Docker engine: cost of `docker run -d` on a user network (argument parsing, IPAM, an immer recipe
// with patches, the compile step, the iptables model and every emitted ip/iptables command executed),
// against the floor: the same per-container `ip` commands typed directly (what any topology builder
// pays). Each call builds a fresh host and starts BATCH containers, so the figure is per container at
// a small, realistic size; the n=500 group shows whether cost grows with the number of containers.
import '../src/control/all.js';
import { runCommandLine } from '../src/control/command.js';
import { World } from '../src/net/world.js';
import { type CaseFactory, defineSuite } from './harness/suite.js';

let sink = 0;

function viaDocker(n: number) {
  return () => ({
    opsPerCall: n,
    fn: () => {
      const world = new World();
      const ns = world.addNamespace('host');
      const run = (l: string) => runCommandLine({ world, ns }, l);
      run('docker network create --subnet 10.0.0.0/16 app');
      for (let i = 0; i < n; i++) run(`docker run -d --name c${i} --network app -p ${10000 + i}:80 img`);
      sink ^= world.namespaces.length;
    },
  });
}

function viaIp(n: number) {
  return () => ({
    opsPerCall: n,
    fn: () => {
      const world = new World();
      const ns = world.addNamespace('host');
      const run = (target: typeof ns, l: string) => runCommandLine({ world, ns: target }, l);
      run(ns, 'ip link add br0 type bridge');
      run(ns, 'ip addr add 10.0.0.1/16 dev br0');
      run(ns, 'ip link set br0 up');
      for (let i = 0; i < n; i++) {
        const c = world.addNamespace(`c${i}`);
        run(c, 'ip link set lo up');
        run(ns, `ip link add vh${i} type veth peer name vc${i}`);
        run(ns, `ip link set vh${i} master br0`);
        run(ns, `ip link set vh${i} up`);
        run(ns, `ip link set vc${i} netns c${i}`);
        run(c, `ip link set vc${i} name eth0`);
        run(c, `ip addr add 10.0.${(i + 2) >> 8}.${(i + 2) & 255}/16 dev eth0`);
        run(c, 'ip link set eth0 up');
        run(c, 'ip route add default via 10.0.0.1');
      }
      sink ^= world.namespaces.length;
    },
  });
}

// At scale: N containers spread over 100 user networks (one bridge each), built once per case
// (single shot, the world kept alive for the heap figure: bytes per container retained).
let kept: World | null = null;

function farmViaDocker(n: number): World {
  const world = new World();
  const ns = world.addNamespace('host');
  const run = (l: string) => runCommandLine({ world, ns }, l);
  for (let k = 0; k < NETS; k++) run(`docker network create --subnet 10.${k}.0.0/16 n${k}`);
  for (let i = 0; i < n; i++) run(`docker run -d --name c${i} --network n${i % NETS} -p ${10000 + i}:80 img`);
  return world;
}

function farmViaIp(n: number): World {
  const world = new World();
  const ns = world.addNamespace('host');
  const run = (target: typeof ns, l: string) => runCommandLine({ world, ns: target }, l);
  for (let k = 0; k < NETS; k++) {
    run(ns, `ip link add br${k} type bridge`);
    run(ns, `ip addr add 10.${k}.0.1/16 dev br${k}`);
    run(ns, `ip link set br${k} up`);
  }
  for (let i = 0; i < n; i++) {
    const k = i % NETS;
    const h = Math.floor(i / NETS) + 2;
    const c = world.addNamespace(`c${i}`);
    run(c, 'ip link set lo up');
    run(ns, `ip link add vh${i} type veth peer name vc${i}`);
    run(ns, `ip link set vh${i} master br${k}`);
    run(ns, `ip link set vh${i} up`);
    run(ns, `ip link set vc${i} netns c${i}`);
    run(c, `ip link set vc${i} name eth0`);
    run(c, `ip addr add 10.${k}.${h >> 8}.${h & 255}/16 dev eth0`);
    run(c, 'ip link set eth0 up');
    run(c, `ip route add default via 10.${k}.0.1`);
  }
  return world;
}

const NETS = 100;

function farm(build: (n: number) => World, n: number): CaseFactory {
  return () => ({
    opsPerCall: n,
    runs: 1,
    fn: () => {
      kept = null;
      kept = build(n);
      sink ^= kept.namespaces.length;
    },
  });
}

export default defineSuite(import.meta.url, {
  name: 'docker',
  unit: 'containers',
  groups: [
    {
      name: 'n=50',
      baseline: 'ip-commands',
      cases: { 'ip-commands': viaIp(50), 'docker-run': viaDocker(50) },
    },
    {
      name: 'n=500',
      baseline: 'ip-commands',
      cases: { 'ip-commands': viaIp(500), 'docker-run': viaDocker(500) },
    },
    {
      name: 'n=1000, 100 nets',
      baseline: 'ip-commands',
      cases: { 'ip-commands': farm(farmViaIp, 1000), 'docker-run': farm(farmViaDocker, 1000) },
    },
    {
      name: 'n=10000, 100 nets',
      baseline: 'ip-commands',
      cases: { 'ip-commands': farm(farmViaIp, 10_000), 'docker-run': farm(farmViaDocker, 10_000) },
    },
  ],
});

export { sink };
