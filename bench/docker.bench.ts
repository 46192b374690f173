// Docker engine (issue #5).
// Bring-up: cost of `docker run -d` on a user network (argument parsing, IPAM, an immer recipe with
// patches, the compile step, the iptables model and every emitted ip/iptables command executed),
// against the floor: the same per-container `ip` commands typed directly (what any topology builder
// pays). Every case is single-shot (one build timed per call, the world kept alive afterwards), so the
// alloc column reads `N kept`: bytes per container of the host it built. n=50 and n=500 on one
// network; 1 000 and 10 000 (`--scale`: minutes) across 100 user-defined networks, which shows
// whether the cost per container stays flat as containers grow.
// Connections: TCP connect + 64 octets each way + close from an external client through published
// ports (userland-proxy off: DNAT), against the same exchange routed straight to the containers with
// no netfilter (bench/support/docker-conn.ts). External clients are DNATed whether or not the proxy
// runs (it only carries host-local and hairpin clients), so proxy-on is not a separate case.
import '../src/control/all.js';
import { runCommandLine } from '../src/control/command.js';
import { World } from '../src/net/world.js';
import { type CaseFactory, defineSuite } from './harness/suite.js';
import { buildConnTopology, connectBatch } from './support/docker-conn.js';

let sink = 0;
/** The last world built, alive for the heap figure (bytes per container retained). */
let kept: World | null = null;

function viaDocker(n: number, runs: number) {
  return () => ({
    opsPerCall: n,
    runs,
    fn: () => {
      kept = null;
      const world = new World();
      const ns = world.addNamespace('host');
      const run = (l: string) => runCommandLine({ world, ns }, l);
      run('docker network create --subnet 10.0.0.0/16 app');
      for (let i = 0; i < n; i++) run(`docker run -d --name c${i} --network app -p ${10000 + i}:80 img`);
      kept = world;
      sink ^= world.namespaces.length;
    },
  });
}

function viaIp(n: number, runs: number) {
  return () => ({
    opsPerCall: n,
    runs,
    fn: () => {
      kept = null;
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
      kept = world;
      sink ^= world.namespaces.length;
    },
  });
}

// At scale: N containers spread over 100 user networks (one bridge each), built once per case.

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

/** One call = BATCH connections over 8 published containers, then TIME_WAIT and conntrack settle. */
function connections(docker: boolean): CaseFactory {
  const BATCH = 256;
  return () => {
    const t = buildConnTopology(docker, 8);
    connectBatch(t, BATCH); // warm up: ARP, FDBs, JIT
    return {
      opsPerCall: BATCH,
      fn: () => {
        connectBatch(t, BATCH);
        sink ^= t.completed;
      },
    };
  };
}

export default defineSuite(import.meta.url, {
  name: 'docker',
  unit: 'containers',
  groups: [
    {
      name: 'n=50',
      baseline: 'ip-commands',
      cases: { 'ip-commands': viaIp(50, 5), 'docker-run': viaDocker(50, 5) },
    },
    {
      name: 'n=500',
      baseline: 'ip-commands',
      cases: { 'ip-commands': viaIp(500, 2), 'docker-run': viaDocker(500, 2) },
    },
    {
      name: 'n=1000, 100 nets',
      baseline: 'ip-commands',
      cases: { 'ip-commands': farm(farmViaIp, 1000), 'docker-run': farm(farmViaDocker, 1000) },
    },
    {
      name: 'n=10000, 100 nets',
      baseline: 'ip-commands',
      cases: {},
      scaleCases: { 'ip-commands': farm(farmViaIp, 10_000), 'docker-run': farm(farmViaDocker, 10_000) },
    },
    {
      // unit: connections (connect, 64 B each way, close)
      name: 'TCP conns, 8 published',
      baseline: 'routed, no netfilter',
      cases: { 'routed, no netfilter': connections(false), 'DNAT, proxy off': connections(true) },
    },
  ],
});

export { sink };
