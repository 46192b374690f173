// Topology builders shared by the data-plane and topology benchmarks and by
// test/net/steady-state.test.ts (which checks that the benchmark's topology does what the benchmark
// claims: every injected datagram arrives, nothing leaks, frames balance).
//
// Every topology is built through the command layer (`ip link add … type veth peer name eth0 netns
// cN`, `ip link set … master br0`, `ip addr add`, `ip link set … up`), as a scenario would build it.
// Traffic is injected below the transports (which are not required here): a 64-byte Ethernet frame's
// worth of IPv4/UDP (14 + 20 + 8 + 22 bytes, FCS not counted) handed to the sender's IPv4 stack with
// `sendLocal`, and counted by an IPPROTO_UDP handler registered in the receiver's stack that consumes
// what it gets.
import '../../src/control/all.js';
import { runCommandLine } from '../../src/control/command.js';
import type { Device } from '../../src/net/device.js';
import { BridgeDevice } from '../../src/net/devices/bridge.js';
import { createPair } from '../../src/net/devices/veth.js';
import { SCOPE } from '../../src/net/ipv4/fib.js';
import { type Ipv4Protocol, type Ipv4Stack, stackOf } from '../../src/net/ipv4/stack.js';
import type { Namespace } from '../../src/net/namespace.js';
import { World } from '../../src/net/world.js';
import { wr16, wr32 } from '../../src/wire/bytes.js';
import { parseIpv4 } from '../../src/wire/ipv4-address.js';

/** Ethernet frame length of one injected datagram (FCS excluded), as in "64-byte UDP". */
export const FRAME_LEN = 64;
/** The IPv4 packet inside it. */
export const IP_LEN = FRAME_LEN - 14;
const UDP_LEN = IP_LEN - 20;
const IPPROTO_UDP = 17;

/** Runs command lines in a namespace; throws (with the line) on the first failure. */
export function sh(world: World, ns: Namespace, script: string): void {
  for (const raw of script.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    try {
      runCommandLine({ world, ns }, line);
    } catch (err) {
      throw new Error(`in ${ns.name}: ${line}: ${(err as Error).message}`);
    }
  }
}

/** Counts the UDP datagrams its namespace receives and consumes them (no socket layer needed). */
export class UdpSink implements Ipv4Protocol {
  received = 0;
  bytes = 0;
  constructor(private readonly world: World) {}
  receive(h: number): void {
    this.received++;
    this.bytes += this.world.pool.len[h]!;
    this.world.consume(h);
  }
  error(): void {}
}

/** Builds one datagram per call from a template and hands it to the sender's IPv4 stack. */
export class UdpInjector {
  private readonly template = new Uint8Array(IP_LEN);
  private readonly stack: Ipv4Stack;
  /** Datagrams `sendLocal` refused (negative errno). */
  refused = 0;

  constructor(
    private readonly world: World,
    from: Namespace,
    src: number,
    dst: number,
    sport = 40000,
    dport = 5000,
  ) {
    this.stack = stackOf(from);
    const t = this.template;
    t[0] = 0x45;
    wr16(t, 2, IP_LEN);
    wr16(t, 6, 0x4000); // DF: the stack keeps Identification, as for a connected UDP socket
    t[8] = 64;
    t[9] = IPPROTO_UDP;
    wr32(t, 12, src);
    wr32(t, 16, dst);
    wr16(t, 20, sport);
    wr16(t, 22, dport);
    wr16(t, 24, UDP_LEN);
    // UDP checksum 0: "no checksum" (RFC 768); the payload is zeros.
  }

  /** Injects one datagram now; returns sendLocal's result (0 or a negative errno). */
  send(): number {
    const w = this.world;
    const pool = w.pool;
    const h = w.newFrame();
    pool.setLength(h, IP_LEN);
    const u8 = pool.bytesOf(h);
    const off = pool.start[h]!;
    const t = this.template;
    for (let i = 0; i < IP_LEN; i++) u8[off + i] = t[i]!;
    const r = this.stack.sendLocal(h);
    if (r !== 0) this.refused++;
    return r;
  }
}

/** A built topology with one sender and one receiver. */
export interface Path {
  world: World;
  /** Namespaces in path order, sender first, receiver last. */
  hops: Namespace[];
  inject: UdpInjector;
  sink: UdpSink;
  /**
   * Injects `n` datagrams at the current instant and runs the simulator until they have all been
   * handled (veth and bridge hops take no simulated time, so `until: now` drains them).
   */
  burst(n: number): void;
}

function finish(world: World, hops: Namespace[], src: string, dst: string): Path {
  const from = hops[0]!;
  const to = hops[hops.length - 1]!;
  const sink = new UdpSink(world);
  stackOf(to).registerProtocol(IPPROTO_UDP, sink);
  const inject = new UdpInjector(world, from, parseIpv4(src), parseIpv4(dst));
  const sim = world.sim;
  const opts = { until: 0 };
  const path: Path = {
    world,
    hops,
    inject,
    sink,
    burst(n: number): void {
      for (let i = 0; i < n; i++) inject.send();
      opts.until = sim.now;
      sim.run(opts);
    },
  };
  // Warm up: the first datagram resolves ARP (queued in INCOMPLETE, sent on the reply); the bridge
  // learns both stations. Then move the clock past 2^31 ns, so the measured packets carry times that
  // are not small integers (as any run longer than 2.1 s does), while neighbour entries stay REACHABLE.
  inject.send();
  sim.run({ until: sim.now + 1_000_000 });
  sim.run({ until: 3_000_000_000 });
  if (sink.received !== 1) {
    throw new Error(`warm-up datagram not delivered (received ${sink.received}, refused ${inject.refused})`);
  }
  return path;
}

export interface WorldOpts {
  /** Frame-pool check mode (tests); off in benchmarks. */
  check?: boolean;
}

/** ns a (10.0.0.1/24) —veth— ns b (10.0.0.2/24). */
export function vethPath(opts: WorldOpts = {}): Path {
  const world = new World({ seed: 1, check: opts.check ?? false, maxEvents: Number.MAX_SAFE_INTEGER });
  const a = world.addNamespace('a');
  const b = world.addNamespace('b');
  sh(
    world,
    a,
    `ip link add eth0 type veth peer name eth0 netns b
     ip addr add 10.0.0.1/24 dev eth0
     ip link set eth0 up`,
  );
  sh(
    world,
    b,
    `ip addr add 10.0.0.2/24 dev eth0
     ip link set eth0 up`,
  );
  return finish(world, [a, b], '10.0.0.1', '10.0.0.2');
}

/** Two containers on a docker0-style bridge: c1 —veth— docker0 (host) —veth— c2. */
export function bridgePath(opts: WorldOpts = {}): Path {
  const world = new World({ seed: 1, check: opts.check ?? false, maxEvents: Number.MAX_SAFE_INTEGER });
  const host = world.addNamespace('host');
  const c1 = world.addNamespace('c1');
  const c2 = world.addNamespace('c2');
  sh(
    world,
    host,
    `ip link add docker0 type bridge
     ip addr add 172.17.0.1/16 dev docker0
     ip link set docker0 up
     ip link add veth1 type veth peer name eth0 netns c1
     ip link set veth1 master docker0 up
     ip link add veth2 type veth peer name eth0 netns c2
     ip link set veth2 master docker0 up`,
  );
  for (const [c, addr] of [
    [c1, '172.17.0.2'],
    [c2, '172.17.0.3'],
  ] as const) {
    sh(
      world,
      c,
      `ip addr add ${addr}/16 dev eth0
       ip link set eth0 up
       ip route add default via 172.17.0.1`,
    );
  }
  return finish(world, [c1, host, c2], '172.17.0.2', '172.17.0.3');
}

/** ns a (10.0.1.2/24) —veth— router r (forwarding) —veth— ns b (10.0.2.2/24). */
export function routedPath(opts: WorldOpts = {}): Path {
  const world = new World({ seed: 1, check: opts.check ?? false, maxEvents: Number.MAX_SAFE_INTEGER });
  const a = world.addNamespace('a');
  const r = world.addNamespace('r');
  const b = world.addNamespace('b');
  sh(
    world,
    r,
    `sysctl -w net.ipv4.ip_forward=1
     ip link add ra type veth peer name eth0 netns a
     ip link add rb type veth peer name eth0 netns b
     ip addr add 10.0.1.1/24 dev ra
     ip addr add 10.0.2.1/24 dev rb
     ip link set ra up
     ip link set rb up`,
  );
  sh(
    world,
    a,
    `ip addr add 10.0.1.2/24 dev eth0
     ip link set eth0 up
     ip route add default via 10.0.1.1`,
  );
  sh(
    world,
    b,
    `ip addr add 10.0.2.2/24 dev eth0
     ip link set eth0 up
     ip route add default via 10.0.2.1`,
  );
  return finish(world, [a, r, b], '10.0.1.2', '10.0.2.2');
}

// ---- many namespaces ---------------------------------------------------------------------------

export interface Farm {
  world: World;
  host: Namespace;
  containers: number;
  bridges: number;
}

/** Containers per bridge (Linux's BR_MAX_PORTS is 1024, port 0 being the bridge). */
export const PER_BRIDGE = 1000;

/**
 * One host namespace with ceil(n / 1000) bridges br-B (10.B.0.0/16, gateway 10.B.0.1) and n
 * container namespaces cB-I, each with eth0 on a veth whose host end vB-I is a port of br-B, an
 * address 10.B.x.y/16 and lo up — the commands a scenario (or Docker) runs per container.
 */
export function farmViaCommands(n: number): Farm {
  const world = new World({ seed: 1 });
  const host = world.addNamespace('host');
  const bridges = Math.ceil(n / PER_BRIDGE);
  for (let b = 0; b < bridges; b++) {
    sh(
      world,
      host,
      `ip link add br-${b} type bridge
       ip addr add 10.${b}.0.1/16 dev br-${b}
       ip link set br-${b} up`,
    );
  }
  for (let i = 0; i < n; i++) {
    const b = (i / PER_BRIDGE) | 0;
    const k = (i % PER_BRIDGE) + 2;
    const name = `c${b}-${k}`;
    const c = world.addNamespace(name);
    runCommandLine({ world, ns: host }, `ip link add v${b}-${k} type veth peer name eth0 netns ${name}`);
    runCommandLine({ world, ns: host }, `ip link set v${b}-${k} master br-${b} up`);
    runCommandLine({ world, ns: c }, 'ip link set lo up');
    runCommandLine({ world, ns: c }, `ip addr add 10.${b}.${k >> 8}.${k & 0xff}/16 dev eth0`);
    runCommandLine({ world, ns: c }, 'ip link set eth0 up');
  }
  return { world, host, containers: n, bridges };
}

/**
 * The same farm through the data-plane APIs the commands end up calling (no parsing, no command
 * lookup): `createPair`, `BridgeDevice`/`addPort`, `Ipv4Stack.addAddress`, admin up + netdev events.
 */
export function farmDirect(n: number): Farm {
  const world = new World({ seed: 1 });
  const host = world.addNamespace('host');
  const bridges = Math.ceil(n / PER_BRIDGE);
  const brs: BridgeDevice[] = [];
  const hostStack = stackOf(host);
  for (let b = 0; b < bridges; b++) {
    const br = new BridgeDevice(world, host, `br-${b}`);
    const mac = host.randomMac();
    br.macHi = mac.hi;
    br.macLo = mac.lo;
    host.attach(br);
    addr(hostStack, br, ((10 << 24) | (b << 16) | 1) >>> 0);
    setUp(br);
    brs.push(br);
  }
  for (let i = 0; i < n; i++) {
    const b = (i / PER_BRIDGE) | 0;
    const k = (i % PER_BRIDGE) + 2;
    const c = world.addNamespace(`c${b}-${k}`);
    const [eth0, v] = createPair(world, c, 'eth0', host, `v${b}-${k}`);
    for (const d of [eth0, v]) {
      const mac = d.ns.randomMac();
      d.macHi = mac.hi;
      d.macLo = mac.lo;
    }
    c.attach(eth0);
    host.attach(v);
    const err = brs[b]!.addPort(v);
    if (err !== null) throw new Error(err);
    setUp(v);
    setUp(c.lo);
    addr(stackOf(c), eth0, ((10 << 24) | (b << 16) | k) >>> 0);
    setUp(eth0);
  }
  return { world, host, containers: n, bridges };
}

function setUp(d: Device): void {
  d.adminUp = true;
  d.everUp = true;
  d.world.notifyNetdev('up', d);
  const peer = (d as { peer?: Device | null }).peer;
  if (peer !== undefined && peer !== null) d.world.notifyNetdev('change-carrier', peer);
}

function addr(st: Ipv4Stack, d: Device, local: number): void {
  const err = st.addAddress({
    devId: d.id,
    local,
    plen: 16,
    broadcast: 0,
    scope: SCOPE.Universe,
    label: d.name,
    secondary: false,
  });
  if (err !== null) throw new Error(err);
}

/** Test helper: the device or a clear error. */
export function dev(ns: Namespace, name: string): Device {
  const d = ns.device(name);
  if (d === undefined) throw new Error(`${ns.name}: no device ${name}`);
  return d;
}
