// Properties of a Docker host under generated `docker` command sequences, checked with real traffic
// through the emulator (issue 5, Tests: "properties over generated sets of networks, containers and
// publications"):
//   isolation   a container cannot open a port it does not publish on a container of a user-defined
//               network it is not attached to, nor can an outside client (with a route to it); the
//               same port on a shared network is reachable (so the check can fail) unless that
//               network has enable_icc=false
//   published   every binding is reachable from an outside host at the host's address unless bound to
//               127.0.0.1; the server sees the client's own address and the container's port
//   NAT replies every outbound connection (all from the same source port, all at once, so MASQUERADE
//               must remap) gets its own reply; the outside server sees the host's address, each
//               connection on a distinct port
//   IPAM        no address is live twice — neither in the engine's endpoints nor on any interface of
//               any namespace — and each is inside its network's subnet, never its gateway
//
// Each case runs the generated commands twice: once without traffic, to learn the addresses and
// bindings the engine chose, then again with probes aimed at them (the engine is deterministic).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runCommandLine } from '../../src/control/command.js';
import { getIn, valuesOf } from '../../src/docker/buckets.js';
import { OPT_ICC } from '../../src/docker/drivers/bridge.js';
import { engineOf } from '../../src/docker/engine.js';
import type { EngineState } from '../../src/docker/types.js';
import { loadScenarioText } from '../../src/scenario/load.js';
import { loadPlugins } from '../../src/scenario/plugins.js';
import { type RunOutcome, runScenario } from '../../src/scenario/run.js';
import { parseCidr, parseIpv4 } from '../../src/wire/ipv4-address.js';

const HOST_IP = '203.0.113.10';
const CLIENT_IP = '203.0.113.7';
/** Served by every container and never published: the isolation probes' target. */
const PRIVATE_PORT = 81;

interface Pub {
  readonly proto: 'tcp' | 'udp';
  readonly bind: '' | '127.0.0.1' | typeof HOST_IP;
}

interface Case {
  readonly proxy: boolean;
  readonly profile: 'current' | '27';
  readonly nets: readonly { readonly internal: boolean; readonly icc?: boolean }[];
  /** Per container: its `--network`s at run (-1 = the default bridge) and its `-p`s. */
  readonly ctrs: readonly {
    readonly nets: readonly number[];
    readonly pubs: readonly Pub[];
    /** `--expose 80 -P`: port 80 on a host port from the ephemeral range. */
    readonly publishAll?: boolean;
  }[];
  readonly ops: readonly Op[];
}

type Op =
  | { readonly k: 'connect' | 'disconnect'; readonly c: number; readonly n: number }
  | { readonly k: 'restart' | 'stop' | 'rm' | 'run'; readonly c: number };

const hostPort = (c: number, j: number) => 8000 + c * 10 + j;
const netName = (n: number) => (n < 0 ? 'bridge' : `n${n}`);

const caseArb: fc.Arbitrary<Case> = fc
  .record({
    proxy: fc.boolean(),
    profile: fc.constantFrom('current' as const, '27' as const),
    nets: fc.array(
      fc.record({
        internal: fc.constantFrom(false, false, false, true),
        icc: fc.constantFrom(true, true, false),
      }),
      {
        minLength: 1,
        maxLength: 3,
      },
    ),
    ctrCount: fc.integer({ min: 2, max: 4 }),
  })
  .chain(({ proxy, profile, nets, ctrCount }) => {
    const netIdx = fc.integer({ min: -1, max: nets.length - 1 });
    const ctr = fc.record({
      nets: fc.uniqueArray(netIdx, { minLength: 1, maxLength: 2 }),
      pubs: fc.array(
        fc.record({
          proto: fc.constantFrom('tcp' as const, 'udp' as const),
          bind: fc.constantFrom('' as const, '' as const, '127.0.0.1' as const, HOST_IP),
        }),
        { maxLength: 2 },
      ),
      publishAll: fc.constantFrom(false, false, false, true),
    });
    const c = fc.integer({ min: 0, max: ctrCount - 1 });
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ k: fc.constantFrom('connect' as const, 'disconnect' as const), c, n: netIdx }),
      fc.record({
        k: fc.constantFrom('restart' as const, 'stop' as const, 'rm' as const, 'run' as const),
        c,
      }),
    );
    return fc.record({
      proxy: fc.constant(proxy),
      profile: fc.constant(profile),
      nets: fc.constant(nets),
      ctrs: fc.array(ctr, { minLength: ctrCount, maxLength: ctrCount }),
      ops: fc.array(op, { maxLength: 6 }),
    });
  });

/** The case as `docker` command lines, skipping ops the daemon would refuse (a small model). */
function commands(k: Case): string[] {
  const out = [`dockerd --userland-proxy=${k.proxy}${k.profile === '27' ? ' --netsim-profile 27' : ''}`];
  k.nets.forEach((n, i) => {
    const icc = n.icc === false ? ' -o com.docker.network.bridge.enable_icc=false' : '';
    out.push(`docker network create${n.internal ? ' --internal' : ''}${icc} ${netName(i)}`);
  });
  const state = k.ctrs.map(() => ({ exists: false, running: false, nets: [] as number[] }));
  const run = (c: number) => {
    const spec = k.ctrs[c]!;
    const nets = spec.nets.map((n) => `--network ${netName(n)}`).join(' ');
    const pubs = spec.pubs
      .map((p, j) => {
        const port = p.proto === 'tcp' ? '80' : '53/udp';
        return `-p ${p.bind === '' ? '' : `${p.bind}:`}${hostPort(c, j)}:${port}`;
      })
      .join(' ');
    const all = spec.publishAll === true ? '--expose 80 -P' : '';
    out.push(`docker run -d --name c${c} ${nets} ${pubs} ${all} web`.replace(/ +/g, ' '));
    state[c] = { exists: true, running: true, nets: [...spec.nets] };
  };
  for (let c = 0; c < k.ctrs.length; c++) run(c);
  for (const op of k.ops) {
    const s = state[op.c]!;
    const name = `c${op.c}`;
    if (op.k === 'run') {
      if (!s.exists) run(op.c);
    } else if (!s.exists) {
    } else if (op.k === 'rm') {
      out.push(`docker rm -f ${name}`);
      state[op.c] = { exists: false, running: false, nets: [] };
    } else if (op.k === 'stop') {
      if (s.running) out.push(`docker stop ${name}`);
      s.running = false;
    } else if (op.k === 'restart') {
      if (s.running) out.push(`docker stop ${name}`);
      out.push(`docker start ${name}`);
      s.running = true;
    } else if (op.k === 'connect') {
      if (s.nets.includes(op.n)) continue;
      out.push(`docker network connect ${netName(op.n)} ${name}`);
      s.nets.push(op.n);
    } else if (op.k === 'disconnect') {
      if (!s.nets.includes(op.n) || s.nets.length < 2) continue;
      out.push(`docker network disconnect ${netName(op.n)} ${name}`);
      s.nets = s.nets.filter((x) => x !== op.n);
    }
  }
  return out;
}

function scenario(cmds: readonly string[], traffic: readonly string[]): string {
  const indent = (l: string) => `      ${l}`;
  return `netsim: 1
seed: 1
hosts: [host, outside]
images:
  web: { serve: [tcp-echo-peer/80, tcp-echo-peer/${PRIVATE_PORT}, udp-echo-peer/53], expose: [80/tcp, 53/udp] }
apps:
  - { in: outside, serve: tcp-echo-peer, port: 7000 }
steps:
  - in: host
    run: |
      ip link set lo up
      ip link add eth0 type veth peer name eth0 netns outside
      ip addr add ${HOST_IP}/24 dev eth0
      ip link set eth0 up
${cmds.map(indent).join('\n')}
  - in: outside
    run: |
      ip link set lo up
      ip addr add ${CLIENT_IP}/24 dev eth0
      ip link set eth0 up
      ip route add 172.16.0.0/12 via ${HOST_IP}
      ip route add 192.168.0.0/16 via ${HOST_IP}
${traffic.length > 0 ? `traffic:\n${traffic.map((t) => `  - ${t}`).join('\n')}\n` : ''}`;
}

let pluginsLoaded = false;
async function run(text: string): Promise<RunOutcome> {
  if (!pluginsLoaded) {
    await loadPlugins();
    pluginsLoaded = true;
  }
  return runScenario(loadScenarioText(text, 'prop.yaml'));
}

interface Live {
  name: string;
  /** Network name → address, for every endpoint. */
  addrs: Map<string, string>;
  gateway: boolean;
}

function liveContainers(st: EngineState): Live[] {
  const out: Live[] = [];
  for (const c of valuesOf(st.containers)) {
    if (!c.running) continue;
    const addrs = new Map<string, string>();
    let gateway = false;
    for (const id of c.endpoints) {
      const ep = getIn(st.endpoints, id)!;
      addrs.set(st.networks[ep.networkId]!.name, ep.ip);
      gateway ||= ep.gatewayEp;
    }
    out.push({ name: c.name, addrs, gateway });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : 1));
}

interface Probe {
  readonly spec: string;
  readonly check: (o: RunOutcome) => void;
}

function probes(st: EngineState): Probe[] {
  const live = liveContainers(st);
  const ps: Probe[] = [];
  const obs = (o: RunOutcome, name: string) => o.probes[name]!;
  // Isolation: every (A, B, network of B) — reachable exactly when A is on that network too.
  for (const a of live) {
    for (const b of live) {
      if (a === b) continue;
      for (const [net, ip] of b.addrs) {
        const name = `iso-${a.name}-${b.name}-${net}`;
        // Reachable only on a shared network whose bridge allows inter-container traffic (icc).
        const icc = Object.values(st.networks).find((n) => n.name === net)?.options[OPT_ICC] !== 'false';
        const shared = a.addrs.has(net) && icc;
        ps.push({
          spec: `{ at: 1s, name: ${name}, from: ${a.name}, tcp: ${ip}:${PRIVATE_PORT}, payload: hi, timeout: 2s }`,
          check: (o) =>
            expect({ name, connected: obs(o, name).connected }).toEqual({ name, connected: shared }),
        });
      }
    }
    for (const [net, ip] of a.addrs) {
      const name = `out-direct-${a.name}-${net}`;
      ps.push({
        spec: `{ at: 1s, name: ${name}, from: outside, tcp: ${ip}:${PRIVATE_PORT}, payload: hi, timeout: 2s }`,
        check: (o) => expect({ name, connected: obs(o, name).connected }).toEqual({ name, connected: false }),
      });
    }
  }
  // Published ports, from outside, at the host's address.
  for (const c of valuesOf(st.containers)) {
    if (!c.running) continue;
    for (const id of c.endpoints) {
      const ep = getIn(st.endpoints, id)!;
      for (const b of ep.bindings) {
        const name = `pub-${c.name}-${b.proto}-${b.hostPort}`;
        const reachable = b.hostIp !== '127.0.0.1';
        ps.push({
          spec: `{ at: 1s, name: ${name}, from: outside, ${b.proto}: ${HOST_IP}:${b.hostPort}, ${b.proto === 'tcp' ? 'payload: hi, ' : ''}timeout: 2s }`,
          check: (o) => {
            const p = obs(o, name);
            if (!reachable) {
              expect({ name, replied: p.replied ?? false }).toEqual({ name, replied: false });
              return;
            }
            expect({ name, replied: p.replied, saw: p.serverSaw }).toEqual({
              name,
              replied: true,
              saw: {
                src: expect.stringMatching(`^${CLIENT_IP}:`),
                dst: `${b.containerIp}:${b.containerPort}`,
              },
            });
          },
        });
      }
    }
  }
  // Outbound NAT: all at once from the same source port.
  const outbound = live.filter((c) => c.gateway).map((c) => `nat-${c.name}`);
  for (const name of outbound) {
    ps.push({
      spec: `{ at: 1s, name: ${name}, from: ${name.slice(4)}, tcp: ${CLIENT_IP}:7000, sport: 40000, payload: hi }`,
      check: (o) => {
        const p = obs(o, name);
        expect({ name, replied: p.replied, src: p.serverSaw?.src.split(':')[0] }).toEqual({
          name,
          replied: true,
          src: HOST_IP,
        });
      },
    });
  }
  ps.push({
    spec: '',
    check: (o) => {
      const ports = outbound.map((n) => o.probes[n]!.serverSaw?.src);
      expect(new Set(ports).size).toBe(ports.length);
    },
  });
  return ps;
}

/** IPAM: engine endpoints and the data plane's interfaces never share an address. */
function checkAddresses(o: RunOutcome): void {
  const world = o.world;
  const st = engineOf(world, world.namespace('host')!).state;
  const seen = new Map<string, string>();
  for (const n of Object.values(st.networks)) {
    if (n.ipam === null) continue;
    seen.set(n.ipam.gateway, `gateway of ${n.name}`);
  }
  for (const ep of valuesOf(st.endpoints)) {
    const n = st.networks[ep.networkId]!;
    const where = `${getIn(st.containers, ep.containerId)!.name} on ${n.name}`;
    expect(seen.get(ep.ip), `${ep.ip} of ${where}`).toBeUndefined();
    seen.set(ep.ip, where);
    const sub = parseCidr(n.ipam!.subnet);
    const mask = sub.prefixLen === 0 ? 0 : (~0 << (32 - sub.prefixLen)) >>> 0;
    expect((parseIpv4(ep.ip) & mask) >>> 0 === sub.addr, `${ep.ip} in ${n.ipam!.subnet}`).toBe(true);
  }
  const onWire = new Map<string, string>();
  for (const ns of world.namespaces) {
    const out = runCommandLine({ world, ns }, 'ip -4 -o addr show').stdout;
    for (const m of out.matchAll(/ (\S+)\s+inet (\d+\.\d+\.\d+\.\d+)\//g)) {
      if (m[2]!.startsWith('127.')) continue;
      const where = `${ns.name}/${m[1]}`;
      expect(onWire.get(m[2]!), `${m[2]} on ${where}`).toBeUndefined();
      onWire.set(m[2]!, where);
    }
  }
}

async function check(k: Case): Promise<void> {
  const cmds = commands(k);
  const first = await run(scenario(cmds, []));
  const st = engineOf(first.world, first.world.namespace('host')!).state;
  const ps = probes(st);
  const o = await run(
    scenario(
      cmds,
      ps.filter((p) => p.spec !== '').map((p) => p.spec),
    ),
  );
  expect(o.warnings).toEqual([]);
  for (const p of ps) p.check(o);
  checkAddresses(o);
  // Teardown: removing every container leaves the host as if none had run.
  const base = await run(scenario(cmds.slice(0, 1 + k.nets.length), []));
  const hostNs = o.world.namespace('host')!;
  const e = engineOf(o.world, hostNs);
  for (const c of valuesOf(e.state.containers))
    runCommandLine({ world: o.world, ns: hostNs }, `docker rm -f ${c.name}`);
  expect(hostSnapshot(o)).toEqual(hostSnapshot(base));
}

/**
 * What must not outlive a container on its host: its network namespace, devices, iptables rules,
 * bridge fdb entries, routes, addresses, docker-proxies, embedded resolvers, IPAM and host-port
 * allocations. (Link carrier state
 * differs — a bridge that lost its last port is NO-CARRIER, as on Linux — and conntrack/neighbour
 * entries of past traffic stay until they time out, as in the kernel.)
 */
function hostSnapshot(o: RunOutcome) {
  const ns = o.world.namespace('host')!;
  const sh = (l: string) => runCommandLine({ world: o.world, ns }, l).stdout;
  const e = engineOf(o.world, ns);
  return {
    namespaces: o.world.namespaces.map((n) => n.name),
    links: [...sh('ip -o link show').matchAll(/^\d+: ([^:@]+)/gm)].map((m) => m[1]),
    rules: sh('iptables-save')
      .split('\n')
      .filter(
        (l) => l.startsWith('-A ') || (l.startsWith(':') && !l.includes('ACCEPT') && !l.includes('DROP')),
      ),
    fdb: sh('bridge fdb show'),
    routes: sh('ip route show').replaceAll(' linkdown', ''),
    addrs: sh('ip -4 addr show')
      .split('\n')
      .filter((l) => l.includes(' inet ')),
    proxies: [...e.proxies.keys()],
    resolvers: [...e.resolvers.keys()],
    ipam: e.state.ipam,
    ports: Object.values(e.state.ports.used).flatMap((buckets) =>
      Object.values(buckets).flatMap((ports) => Object.keys(ports)),
    ),
  };
}

/** Shrunk counterexamples the property found, kept as examples (each was a real engine bug). */
const FOUND: readonly (readonly [string, Case])[] = [
  [
    // Disconnecting eth0 then connecting another network named the new interface eth1 (the count of
    // endpoints), which still existed: "RTNETLINK answers: File exists". Docker takes the lowest free
    // ethN (osl generateIfaceName).
    'connect after a disconnect reuses the lowest free ethN',
    {
      proxy: true,
      profile: '27',
      nets: [{ internal: false }, { internal: false }],
      ctrs: [
        { nets: [0], pubs: [] },
        { nets: [-1, 1], pubs: [] },
      ],
      ops: [
        { k: 'disconnect', c: 1, n: -1 },
        { k: 'connect', c: 1, n: 0 },
      ],
    },
  ],
];

describe('docker engine under generated command sequences', () => {
  it.each(FOUND)('%s', async (_, k) => {
    await check(k);
  });

  it('isolation, published ports, NAT replies and unique addresses', async () => {
    // NETSIM_PROP_RUNS/NETSIM_PROP_SEED widen a local bug hunt; the suite runs the fixed seed.
    const numRuns = Number(process.env.NETSIM_PROP_RUNS ?? 20);
    const seed = Number(process.env.NETSIM_PROP_SEED ?? 5);
    await fc.assert(fc.asyncProperty(caseArb, check), { numRuns, seed });
  }, 60_000);
});
