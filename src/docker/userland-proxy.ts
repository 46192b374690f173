// docker-proxy: the userland proxy dockerd starts per published port when `--userland-proxy=true`
// (the default), running in the host namespace on the transport socket API.
//
// Facts (moby b985e23):
// - daemon/libnetwork/drivers/bridge/port_mapping_linux.go mapPorts: with EnableProxy, every binding
//   with a bound host socket gets `startProxy(pb.ChildPortBinding(), proxyPath, pb.BoundSocket)`;
//   the daemon bound (and for TCP listened on) HOST-IP:HOST-PORT itself (portallocator
//   osallocator_linux.go listenTCP / bindTCPOrUDP) and hands the socket over (`-use-listen-fd`).
// - daemon/libnetwork/portmapper/proxy_linux.go StartProxy: argv `docker-proxy -proto P -host-ip IP
//   -host-port N -container-ip IP -container-port N [-use-listen-fd]`; stopping = SIGTERM.
// - cmd/docker-proxy/tcp_proxy_linux.go: per accepted client, `net.DialTCP("tcp", nil, backend)`
//   (so the container sees the host's address on the route to it — the bridge gateway — as the
//   source); if the dial fails the client is closed; then two io.Copy loops, each ending with
//   `from.CloseRead(); to.CloseWrite()`, and both connections closed when both directions ended.
// - cmd/docker-proxy/udp_proxy_linux.go: one backend socket per client address (`net.DialUDP`),
//   DefaultConnTrackTimeout = 90 s: a flow is dropped when no reply came and the client wrote nothing
//   for that long (replyLoop's read deadline + lastWrite check); UDPBufSize = 65507.
//
// Which traffic reaches the proxy is decided by the iptables rules (iptables-plan.ts): with the proxy
// on, nat-DOCKER's DNAT rules carry `! -i BRIDGE` (hairpin traffic from containers is not DNATed) and
// nat-OUTPUT jumps to DOCKER only for `! -d 127.0.0.0/8` (the host's own loopback clients are not
// DNATed), so both reach the proxy's socket through INPUT; remote clients are DNATed in PREROUTING.

import { AppTimer, type TimerTarget } from '../apps/timers.js';
import { S } from '../core/time.js';
import type { Namespace } from '../net/namespace.js';
import type { TcpConn, TcpHandler, TcpListener } from '../net/transport/tcp.js';
import { TcpState } from '../net/transport/tcp.js';
import { transportOf } from '../net/transport/transport.js';
import type { UdpSocket } from '../net/transport/udp.js';
import { parseIpv4 } from '../wire/ipv4-address.js';
import { DaemonError } from './errors.js';
import type { PortBinding } from './types.js';

/** cmd/docker-proxy/udp_proxy_linux.go DefaultConnTrackTimeout. */
export const UDP_CONNTRACK_TIMEOUT_NS = 90 * S;

/** `docker-proxy …` as StartProxy builds it (the argv the engine log records). */
export function proxyArgv(b: PortBinding): string[] {
  return [
    'docker-proxy',
    '-proto',
    b.proto,
    '-host-ip',
    b.hostIp,
    '-host-port',
    `${b.hostPort}`,
    '-container-ip',
    b.containerIp,
    '-container-port',
    `${b.containerPort}`,
    '-use-listen-fd',
  ];
}

export interface DockerProxy {
  readonly binding: PortBinding;
  /** Connections / flows relayed so far (reports, tests). */
  readonly relayed: number;
  /** Connections / flows open now. */
  readonly open: number;
  stop(): void;
}

/** Starts the proxy for `b` in the host namespace; throws DaemonError when the bind fails. */
export function startProxy(ns: Namespace, b: PortBinding): DockerProxy {
  if (b.proto === 'tcp') return new TcpProxy(ns, b);
  if (b.proto === 'udp') return new UdpProxy(ns, b);
  throw new DaemonError(
    `failed to start userland proxy for port mapping ${b.hostIp}:${b.hostPort}/sctp: sctp is not modelled`,
  );
}

function bindError(b: PortBinding, errno: number): DaemonError {
  const what =
    errno === 98
      ? 'address already in use'
      : errno === 99
        ? 'cannot assign requested address'
        : `errno ${errno}`;
  return new DaemonError(`failed to bind host port ${b.hostIp}:${b.hostPort}/${b.proto}: ${what}`);
}

// --- TCP -------------------------------------------------------------------------------------------

interface TcpPair {
  client: TcpConn;
  backend: TcpConn | null;
  /** Client bytes that arrived before the backend connection was established. */
  pending: Uint8Array[];
  clientEof: boolean;
  backendEof: boolean;
}

class TcpProxy implements DockerProxy {
  relayed = 0;
  private readonly listener: TcpListener;
  private readonly pairs = new Set<TcpPair>();
  private readonly backendAddr: number;

  constructor(
    private readonly ns: Namespace,
    readonly binding: PortBinding,
  ) {
    this.backendAddr = parseIpv4(binding.containerIp);
    const r = transportOf(ns).tcp.listen(parseIpv4(binding.hostIp), binding.hostPort, 4096, () =>
      this.clientHandler(),
    );
    if (typeof r === 'number') throw bindError(binding, r);
    this.listener = r;
  }

  private clientHandler(): TcpHandler {
    const self = this;
    let pair: TcpPair | null = null;
    return {
      onConnected(c) {
        pair = { client: c, backend: null, pending: [], clientEof: false, backendEof: false };
        self.pairs.add(pair);
        self.relayed++;
        self.dial(pair);
      },
      onData(_c, u8, off, len) {
        if (pair === null) return;
        const b = pair.backend;
        if (b !== null && b.state === TcpState.Established) b.send(u8, off, len);
        else pair.pending.push(u8.slice(off, off + len));
      },
      onPeerClosed() {
        if (pair === null) return;
        pair.clientEof = true;
        const b = pair.backend;
        if (b !== null && b.state !== TcpState.SynSent) b.shutdownWrite();
        self.maybeDone(pair);
      },
      onError() {
        if (pair === null) return;
        pair.backend?.close();
        self.pairs.delete(pair);
      },
    };
  }

  private dial(pair: TcpPair): void {
    const self = this;
    const r = transportOf(this.ns).tcp.connect(this.backendAddr, this.binding.containerPort, {
      onConnected(b) {
        for (const chunk of pair.pending) b.send(chunk, 0, chunk.length);
        pair.pending = [];
        if (pair.clientEof) b.shutdownWrite();
      },
      onData(_b, u8, off, len) {
        pair.client.send(u8, off, len);
      },
      onPeerClosed() {
        pair.backendEof = true;
        pair.client.shutdownWrite();
        self.maybeDone(pair);
      },
      onError() {
        // The dial failed (or the backend reset): the proxy closes the client.
        pair.client.close();
        self.pairs.delete(pair);
      },
    });
    if (typeof r === 'number') {
      pair.client.close();
      this.pairs.delete(pair);
      return;
    }
    pair.backend = r;
  }

  get open(): number {
    return this.pairs.size;
  }

  private maybeDone(pair: TcpPair): void {
    if (!pair.clientEof || !pair.backendEof) return;
    pair.client.close();
    pair.backend?.close();
    this.pairs.delete(pair);
  }

  stop(): void {
    this.listener.close();
    for (const p of this.pairs) {
      p.client.close();
      p.backend?.close();
    }
    this.pairs.clear();
  }
}

// --- UDP -------------------------------------------------------------------------------------------

interface UdpFlow {
  readonly id: number;
  readonly client: number;
  readonly clientPort: number;
  readonly sock: UdpSocket;
  /** Last client → backend write or backend reply (ns). */
  lastActivity: number;
  closed: boolean;
}

class UdpProxy implements DockerProxy, TimerTarget {
  relayed = 0;
  private readonly listen: UdpSocket;
  /** Client address·65536 + port → flow. */
  private readonly flows = new Map<number, UdpFlow>();
  private readonly byId: (UdpFlow | null)[] = [];
  private readonly timer: AppTimer;
  private readonly backendAddr: number;

  constructor(
    private readonly ns: Namespace,
    readonly binding: PortBinding,
  ) {
    this.backendAddr = parseIpv4(binding.containerIp);
    this.timer = new AppTimer(ns.world, this);
    const self = this;
    this.listen = transportOf(ns).udp.open({
      onDatagram(_s, src, sport, _dst, u8, off, len) {
        self.fromClient(src, sport, u8, off, len);
      },
    });
    const err = this.listen.bind(parseIpv4(binding.hostIp), binding.hostPort);
    if (err !== 0) {
      this.listen.close();
      throw bindError(binding, err);
    }
  }

  private fromClient(src: number, sport: number, u8: Uint8Array, off: number, len: number): void {
    const key = src * 65536 + sport;
    let f = this.flows.get(key);
    const now = this.ns.world.sim.now;
    if (f === undefined) {
      const self = this;
      const id = this.byId.length;
      const sock = transportOf(this.ns).udp.open({
        onDatagram(_s, _src, _sport, _dst, b, o, l) {
          const fl = self.byId[id];
          if (fl === null || fl === undefined) return;
          fl.lastActivity = self.ns.world.sim.now;
          self.listen.sendTo(fl.client, fl.clientPort, b, o, l);
        },
      });
      if (sock.connect(this.backendAddr, this.binding.containerPort) !== 0) {
        sock.close();
        return;
      }
      f = { id, client: src, clientPort: sport, sock, lastActivity: now, closed: false };
      this.flows.set(key, f);
      this.byId.push(f);
      this.relayed++;
      this.timer.after(UDP_CONNTRACK_TIMEOUT_NS, id);
    }
    f.lastActivity = now;
    f.sock.send(u8, off, len);
  }

  onTimer(id: number, now: number): void {
    const f = this.byId[id];
    if (f === null || f === undefined || f.closed) return;
    const idle = now - f.lastActivity;
    if (idle < UDP_CONNTRACK_TIMEOUT_NS) {
      this.timer.after(UDP_CONNTRACK_TIMEOUT_NS - idle, id);
      return;
    }
    this.closeFlow(f);
  }

  private closeFlow(f: UdpFlow): void {
    f.closed = true;
    f.sock.close();
    this.flows.delete(f.client * 65536 + f.clientPort);
    this.byId[f.id] = null;
  }

  get open(): number {
    return this.flows.size;
  }

  stop(): void {
    for (const f of [...this.flows.values()]) this.closeFlow(f);
    this.listen.close();
  }
}
