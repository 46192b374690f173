// The NAT forwarding topology of bench/nat-forward.bench.ts and test/net/nat-forward.steady.test.ts:
//
//   client (10.0.1.2/24) —veth— router (eth-cli 10.0.1.1, eth-srv 10.0.2.1, ip_forward=1) —veth— server (10.0.2.2/24)
//
// The client sends 64-byte UDP to the router's published port 10.0.1.1:8080. With `nat` set, the
// router runs (built through `iptables` commands, the FORWARD rules through iptables-restore text):
//
//   iptables -t nat -A PREROUTING -p udp --dport 8080 -j DNAT --to-destination 10.0.2.2:80
//   iptables -t nat -A POSTROUTING -o eth-srv -j MASQUERADE   (or -p udp -j MASQUERADE --to-ports LO-HI)
//   iptables -P FORWARD DROP
//   iptables -A FORWARD -s 192.0.2.N/32 -j DROP      × filterRules (N distinct, none matching)
//   iptables -A FORWARD -j ACCEPT
//
// so the server receives 10.0.2.1:P → 10.0.2.2:80. Without `nat` the router only forwards (no
// netfilter table exists, so no conntrack either) and the client sends straight to 10.0.2.2:80.
// Traffic is injected and counted as in bench/support/topology.ts (sendLocal / registered handler);
// the source port is chosen per datagram, so one topology serves one-flow, many-flow and
// new-connection workloads.
import '../../src/control/all.js';
import { restoreText } from '../../src/control/iptables-restore.js';
import { type Ipv4Stack, stackOf } from '../../src/net/ipv4/stack.js';
import type { Namespace } from '../../src/net/namespace.js';
import { World } from '../../src/net/world.js';
import { netfilterOf } from '../../src/netfilter/hooks.js';
import { wr16, wr32 } from '../../src/wire/bytes.js';
import { parseIpv4 } from '../../src/wire/ipv4-address.js';
import { IP_LEN, sh, UdpSink } from './topology.js';

const UDP_LEN = IP_LEN - 20;
const IPPROTO_UDP = 17;

export const CLIENT = '10.0.1.2';
export const ROUTER_CLI = '10.0.1.1';
export const ROUTER_SRV = '10.0.2.1';
export const SERVER = '10.0.2.2';
/** The published port (DNAT match) and the server's port (DNAT target). */
export const PUBLISHED_PORT = 8080;
export const SERVER_PORT = 80;
/** First client source port; flows use BASE_SPORT + k. */
export const BASE_SPORT = 20000;

export interface NatPathOpts {
  /** DNAT + MASQUERADE (and the FORWARD chain) on the router; false = plain forwarding, no netfilter. */
  nat: boolean;
  /** Non-matching FORWARD rules before the ACCEPT (only with nat). */
  filterRules?: number;
  /** MASQUERADE --to-ports range, e.g. [30000, 30511] (only with nat). */
  toPorts?: readonly [number, number];
  /** Frame-pool check mode (tests); off in benchmarks. */
  check?: boolean;
}

export interface NatPath {
  world: World;
  client: Namespace;
  router: Namespace;
  server: Namespace;
  sink: UdpSink;
  /** Datagrams sendLocal refused. */
  refused: number;
  /** Injects one datagram from the client with source port `sport` (no simulation run). */
  send(sport: number): void;
  /** Runs the simulator until everything injected at this instant is handled. */
  drain(): void;
}

export function natPath(opts: NatPathOpts): NatPath {
  const world = new World({ seed: 1, check: opts.check ?? false, maxEvents: Number.MAX_SAFE_INTEGER });
  const client = world.addNamespace('client');
  const router = world.addNamespace('router');
  const server = world.addNamespace('server');
  sh(
    world,
    router,
    `sysctl -w net.ipv4.ip_forward=1
     ip link add eth-cli type veth peer name eth0 netns client
     ip link add eth-srv type veth peer name eth0 netns server
     ip addr add ${ROUTER_CLI}/24 dev eth-cli
     ip addr add ${ROUTER_SRV}/24 dev eth-srv
     ip link set eth-cli up
     ip link set eth-srv up`,
  );
  sh(
    world,
    client,
    `ip addr add ${CLIENT}/24 dev eth0
     ip link set eth0 up
     ip route add default via ${ROUTER_CLI}`,
  );
  // With NAT the server needs no route back (MASQUERADE makes eth-srv's address the source); the
  // default route is there for the plain case's un-NATed sources (nothing is sent back anyway).
  sh(
    world,
    server,
    `ip addr add ${SERVER}/24 dev eth0
     ip link set eth0 up
     ip route add default via ${ROUTER_SRV}`,
  );
  if (opts.nat) {
    // --to-ports needs a protocol with ports (iptables refuses it otherwise), hence -p udp.
    const ports =
      opts.toPorts === undefined
        ? ''
        : ` -p udp -j MASQUERADE --to-ports ${opts.toPorts[0]}-${opts.toPorts[1]}`;
    sh(
      world,
      router,
      `sysctl -w net.netfilter.nf_conntrack_max=262144
       iptables -t nat -A PREROUTING -p udp --dport ${PUBLISHED_PORT} -j DNAT --to-destination ${SERVER}:${SERVER_PORT}
       iptables -t nat -A POSTROUTING -o eth-srv${ports || ' -j MASQUERADE'}`,
    );
    // 10 000 appends through the command layer would re-commit the table each time; iptables-restore
    // text (what a firewall manager loads) commits once.
    const n = opts.filterRules ?? 0;
    const lines = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]'];
    for (let i = 0; i < n; i++) {
      // 192.0.2.0/24 then onwards (192.0.3.x, …): distinct /32 sources, none of them the client.
      const a = 0xc0000200 + i;
      lines.push(`-A FORWARD -s ${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}/32 -j DROP`);
    }
    lines.push('-A FORWARD -j ACCEPT', 'COMMIT', '');
    restoreText(netfilterOf(router), lines.join('\n'));
  }

  const sink = new UdpSink(world);
  stackOf(server).registerProtocol(IPPROTO_UDP, sink);
  const stack: Ipv4Stack = stackOf(client);
  const template = new Uint8Array(IP_LEN);
  template[0] = 0x45;
  wr16(template, 2, IP_LEN);
  wr16(template, 6, 0x4000);
  template[8] = 64;
  template[9] = IPPROTO_UDP;
  wr32(template, 12, parseIpv4(CLIENT));
  wr32(template, 16, parseIpv4(opts.nat ? ROUTER_CLI : SERVER));
  wr16(template, 22, opts.nat ? PUBLISHED_PORT : SERVER_PORT);
  wr16(template, 24, UDP_LEN);
  // UDP checksum 0 ("none", RFC 768): NAT leaves it 0, as Linux does.
  const sim = world.sim;
  const runOpts = { until: 0 };
  const path: NatPath = {
    world,
    client,
    router,
    server,
    sink,
    refused: 0,
    send(sport: number): void {
      const pool = world.pool;
      const h = world.newFrame();
      pool.setLength(h, IP_LEN);
      const u8 = pool.bytesOf(h);
      const off = pool.start[h]!;
      for (let i = 0; i < IP_LEN; i++) u8[off + i] = template[i]!;
      u8[off + 20] = sport >>> 8;
      u8[off + 21] = sport & 255;
      if (stack.sendLocal(h) !== 0) path.refused++;
    },
    drain(): void {
      runOpts.until = sim.now;
      sim.run(runOpts);
    },
  };
  // Warm up as topology.ts does: resolve ARP on both links with one datagram (its conntrack entry
  // stays), then move the clock past 2^31 ns while neighbours stay REACHABLE and the entry alive.
  path.send(BASE_SPORT);
  sim.run({ until: sim.now + 1_000_000 });
  sim.run({ until: 3_000_000_000 });
  if (sink.received !== 1) {
    throw new Error(`warm-up datagram not delivered (received ${sink.received}, refused ${path.refused})`);
  }
  return path;
}
