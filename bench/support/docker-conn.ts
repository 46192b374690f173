// TCP connections per second through Docker's published ports (issue #5), for bench/docker.bench.ts
// and test/docker/published-conn.test.ts:
//
//   client (192.168.1.2/24) —veth— host (eth0 192.168.1.1/24) ── bridge ── C containers, each with a
//   TCP server on :80
//
// One connection: the client connects, sends 64 octets, the server answers 64 octets and closes, the
// client closes on the server's FIN (connect + exchange + close: 3-way handshake, data each way,
// FIN/ACK each way, the server's side then in TIME_WAIT).
//
// `docker`: the host runs `dockerd --userland-proxy=false` (published ports are DNAT rules, hairpin
// MASQUERADE; no proxy process), `docker network create --subnet 10.0.0.0/24 app` and `docker run -d
// --name cK --network app -p (10000+K):80 img`; the client connects to 192.168.1.1:(10000+K), so each
// SYN goes through raw/nat PREROUTING (DNAT), FORWARD (DOCKER-FORWARD → DOCKER), conntrack and the
// bridge (br_netfilter on, as Docker sets it).
// `plain`: the same host built with `ip` commands only (bridge, veths, ip_forward=1, no netfilter
// table, hence no conntrack), and the client connects straight to 10.0.0.(2+K):80 — the floor any
// routed topology pays for the same TCP exchange.
import '../../src/control/all.js';
import { runCommandLine } from '../../src/control/command.js';
import { engineOf } from '../../src/docker/engine.js';
import type { Namespace } from '../../src/net/namespace.js';
import type { TcpConn, TcpHandler } from '../../src/net/transport/tcp.js';
import { ensureTransports, transportOf } from '../../src/net/transport/transport.js';
import { World } from '../../src/net/world.js';
import { parseIpv4 } from '../../src/wire/ipv4-address.js';

const PAYLOAD = new Uint8Array(64).fill(0x61);
/** Sim time after each batch: the server's TIME_WAIT (60 s) and conntrack's TIME_WAIT (120 s) end. */
const SETTLE_NS = 130e9;

export interface ConnTopology {
  readonly world: World;
  readonly client: Namespace;
  /** Where connection k goes (address, port). */
  readonly targets: readonly { addr: number; port: number }[];
  /** Connections whose client saw the reply and the server's FIN. */
  completed: number;
  /** Source addresses the servers saw (client side of each accepted connection), as u32. */
  readonly peers: Set<number>;
}

/** The server in each container: read the request, answer it, close. */
function serve(t: ConnTopology, ns: Namespace): void {
  const handler: TcpHandler = {
    onData(c: TcpConn) {
      t.peers.add(c.raddr >>> 0);
      c.send(PAYLOAD, 0, PAYLOAD.length);
      c.close();
    },
    onPeerClosed(c: TcpConn) {
      c.close();
    },
  };
  const l = transportOf(ns).tcp.listen(0, 80, 4096, () => handler);
  if (typeof l === 'number') throw new Error(`listen in ${ns.name}: errno ${l}`);
}

export function buildConnTopology(docker: boolean, containers: number): ConnTopology {
  const world = new World({ seed: 1 });
  ensureTransports(world);
  const host = world.addNamespace('host');
  const client = world.addNamespace('client');
  const run = (ns: Namespace, line: string) => runCommandLine({ world, ns }, line);
  run(host, 'ip link add eth0 type veth peer name eth0 netns client');
  run(host, 'ip addr add 192.168.1.1/24 dev eth0');
  run(host, 'ip link set eth0 up');
  run(client, 'ip addr add 192.168.1.2/24 dev eth0');
  run(client, 'ip link set eth0 up');
  run(client, 'ip link set lo up');
  const targets: { addr: number; port: number }[] = [];
  const t: ConnTopology = { world, client, targets, completed: 0, peers: new Set() };
  if (docker) {
    run(host, 'dockerd --userland-proxy=false');
    run(host, 'docker network create --subnet 10.0.0.0/24 app');
    const e = engineOf(world, host);
    for (let k = 0; k < containers; k++) {
      run(host, `docker run -d --name c${k} --network app -p ${10000 + k}:80 img`);
      serve(t, world.namespace(e.container(`c${k}`).nsName)!);
      targets.push({ addr: parseIpv4('192.168.1.1'), port: 10000 + k });
    }
  } else {
    run(host, 'sysctl -w net.ipv4.ip_forward=1');
    run(host, 'ip link add br0 type bridge');
    run(host, 'ip addr add 10.0.0.1/24 dev br0');
    run(host, 'ip link set br0 up');
    run(client, 'ip route add 10.0.0.0/24 via 192.168.1.1');
    for (let k = 0; k < containers; k++) {
      const c = world.addNamespace(`c${k}`);
      run(c, 'ip link set lo up');
      run(host, `ip link add vh${k} type veth peer name eth0 netns c${k}`);
      run(host, `ip link set vh${k} master br0`);
      run(host, `ip link set vh${k} up`);
      run(c, `ip addr add 10.0.0.${2 + k}/24 dev eth0`);
      run(c, 'ip link set eth0 up');
      run(c, 'ip route add default via 10.0.0.1');
      serve(t, c);
      targets.push({ addr: parseIpv4(`10.0.0.${2 + k}`), port: 80 });
    }
  }
  return t;
}

/** Runs `n` connections (round robin over the targets, all opened at once), then lets TIME_WAIT end. */
export function connectBatch(t: ConnTopology, n: number): void {
  const tcp = transportOf(t.client).tcp;
  const handler: TcpHandler = {
    onConnected(c: TcpConn) {
      c.send(PAYLOAD, 0, PAYLOAD.length);
    },
    onPeerClosed(c: TcpConn) {
      t.completed++;
      c.close();
    },
  };
  for (let i = 0; i < n; i++) {
    const dst = t.targets[i % t.targets.length]!;
    const r = tcp.connect(dst.addr, dst.port, handler);
    if (typeof r === 'number') throw new Error(`connect: errno ${r}`);
  }
  const sim = t.world.sim;
  sim.run({ until: sim.now + SETTLE_NS });
}
