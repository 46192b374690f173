// The embedded DNS server: one per container sandbox with an endpoint on a user-defined network,
// running inside the container's namespace as Docker's does (moby b985e23).
//
// Facts:
// - sandbox_dns_unix.go startResolver: NewResolver("127.0.0.11", …), SetupFunc(0) is invoked in the
//   sandbox's netns — resolver.go SetupFunc binds UDP and TCP on 127.0.0.11 port 0 (kernel-chosen
//   ports; here the UDP port comes from the namespace's seeded ephemeral-port stream and the TCP port
//   from the stream `docker-dns:<ns>`), then Start → resolver_unix.go setupIptablesNAT.
// - resolver_unix.go: chains DOCKER_OUTPUT / DOCKER_POSTROUTING in the sandbox's nat table, jumped to
//   from `-I OUTPUT -d 127.0.0.11` and `-I POSTROUTING -d 127.0.0.11`; rules (each inserted with -I):
//   DNAT udp/tcp :53 → 127.0.0.11:PORT, SNAT udp/tcp --sport PORT → :53.
// - resolver.go: respTTL 600, maxExtDNS 3, extIOTimeout 4 s; answers for A are shuffled
//   (rand.Shuffle); createRespMsg = SetReply + RecursionAvailable; names it does not own are forwarded
//   to the external servers in order — SERVFAIL/REFUSED or no answer within 4 s moves to the next —
//   and when none answers the client gets SERVFAIL. Only A and PTR (and their forwarding) are modelled.
// - resolver.go SetExtServers/filterExtServers: a server that is not HostLoopback and equals the
//   resolver's own address is dropped; at most maxExtDNS (3) are kept. dialExtDNS: a HostLoopback
//   server (one read from the host's resolv.conf) is dialled from the daemon's namespace — the host's
//   — any other (`--dns`) from the container's (backend.ExecFunc). forwardExtDNS skips HostLoopback
//   servers while proxyDNS is off: SetForwardingPolicy(sb.hasExternalAccess()), so a sandbox on
//   internal networks only does not reach out through the host.

import { AppTimer, type TimerTarget } from '../apps/timers.js';
import type { Rng } from '../core/rng.js';
import { S } from '../core/time.js';
import type { Namespace } from '../net/namespace.js';
import type { TcpConn, TcpListener } from '../net/transport/tcp.js';
import { transportOf } from '../net/transport/transport.js';
import type { UdpSocket } from '../net/transport/udp.js';
import { type DnsMessage, DnsRcode, DnsType, dnsParseReverseNameV4, emitDns, parseDns } from '../wire/dns.js';
import { ipv4ToString, parseIpv4 } from '../wire/ipv4-address.js';
import type { ExtServer } from './resolv-conf.js';

export const RESOLVER_IP = '127.0.0.11';
export const RESP_TTL = 600;
export const MAX_EXT_DNS = 3;
export const EXT_IO_TIMEOUT_NS = 4 * S;

/** What the resolver asks the engine (the backend: libnetwork's Sandbox). */
export interface ResolverBackend {
  /** A records for `name` (IPv4 text), or null when the name is not the sandbox's to answer. */
  resolveName(name: string): string[] | null;
  /** PTR target for an address (`web.mynet`), or null. */
  resolveIp(ip: string): string | null;
  /** External servers, in order; at most MAX_EXT_DNS are used. */
  extServers(): readonly ExtServer[];
  /** proxyDNS: may HostLoopback servers be used (the sandbox has external access)? */
  forwardFromHost(): boolean;
}

/** The iptables commands resolver_unix.go runs in the sandbox (argv lists). */
export function resolverNatCommands(udpPort: number, tcpPort: number): string[][] {
  const ip = RESOLVER_IP;
  return [
    ['iptables', '-t', 'nat', '-N', 'DOCKER_OUTPUT'],
    ['iptables', '-t', 'nat', '-I', 'OUTPUT', '-d', ip, '-j', 'DOCKER_OUTPUT'],
    ['iptables', '-t', 'nat', '-N', 'DOCKER_POSTROUTING'],
    ['iptables', '-t', 'nat', '-I', 'POSTROUTING', '-d', ip, '-j', 'DOCKER_POSTROUTING'],
    [
      'iptables',
      '-t',
      'nat',
      '-I',
      'DOCKER_OUTPUT',
      '-d',
      ip,
      '-p',
      'udp',
      '--dport',
      '53',
      '-j',
      'DNAT',
      '--to-destination',
      `${ip}:${udpPort}`,
    ],
    [
      'iptables',
      '-t',
      'nat',
      '-I',
      'DOCKER_POSTROUTING',
      '-s',
      ip,
      '-p',
      'udp',
      '--sport',
      `${udpPort}`,
      '-j',
      'SNAT',
      '--to-source',
      ':53',
    ],
    [
      'iptables',
      '-t',
      'nat',
      '-I',
      'DOCKER_OUTPUT',
      '-d',
      ip,
      '-p',
      'tcp',
      '--dport',
      '53',
      '-j',
      'DNAT',
      '--to-destination',
      `${ip}:${tcpPort}`,
    ],
    [
      'iptables',
      '-t',
      'nat',
      '-I',
      'DOCKER_POSTROUTING',
      '-s',
      ip,
      '-p',
      'tcp',
      '--sport',
      `${tcpPort}`,
      '-j',
      'SNAT',
      '--to-source',
      ':53',
    ],
  ];
}

interface Pending {
  readonly client: number;
  readonly clientPort: number;
  readonly query: DnsMessage;
  /** Reply over TCP to this connection instead of UDP. */
  readonly tcp: TcpConn | null;
  servers: readonly ExtServer[];
  next: number;
  sock: UdpSocket | null;
  timer: number;
  done: boolean;
}

const scratch = new Uint8Array(65535);

export class EmbeddedResolver implements TimerTarget {
  readonly udp: UdpSocket;
  readonly tcp: TcpListener;
  udpPort = 0;
  tcpPort = 0;
  /** Queries answered locally / forwarded (reports, tests). */
  readonly stats = { local: 0, forwarded: 0, servfail: 0 };
  private readonly pending: (Pending | null)[] = [];
  private readonly timer: AppTimer;

  constructor(
    private readonly ns: Namespace,
    /** The daemon's namespace, where HostLoopback servers are queried from. */
    private readonly hostNs: Namespace,
    private readonly backend: ResolverBackend,
    private readonly rng: Rng,
  ) {
    const t = transportOf(ns);
    this.timer = new AppTimer(ns.world, this);
    const self = this;
    this.udp = t.udp.open({
      onDatagram(_s, src, sport, _dst, u8, off, len) {
        self.query(src, sport, null, u8, off, len);
      },
    });
    const ip = parseIpv4(RESOLVER_IP);
    const err = this.udp.bind(ip, 0);
    if (err !== 0) throw new Error(`error in opening name server socket: errno ${err}`);
    this.udpPort = this.udp.lport;
    let l: TcpListener | number = 0;
    for (let tries = 0; tries < 64; tries++) {
      const port = 32768 + (this.rng.u32() % (60999 - 32768 + 1));
      l = t.tcp.listen(ip, port, 128, () => this.tcpHandler());
      if (typeof l !== 'number') {
        this.tcpPort = port;
        break;
      }
    }
    if (typeof l === 'number') throw new Error('error in opening name TCP server socket');
    this.tcp = l;
  }

  private tcpHandler() {
    const self = this;
    let buf = new Uint8Array(0);
    return {
      onData(c: TcpConn, u8: Uint8Array, off: number, len: number) {
        const nb = new Uint8Array(buf.length + len);
        nb.set(buf);
        nb.set(u8.subarray(off, off + len), buf.length);
        buf = nb;
        while (buf.length >= 2) {
          const n = (buf[0]! << 8) | buf[1]!;
          if (buf.length < 2 + n) break;
          self.query(c.raddr, c.rport, c, buf, 2, n);
          buf = buf.slice(2 + n);
        }
      },
      onPeerClosed(c: TcpConn) {
        c.close();
      },
    };
  }

  private query(
    src: number,
    sport: number,
    conn: TcpConn | null,
    u8: Uint8Array,
    off: number,
    len: number,
  ): void {
    const p = parseDns(u8, off, off + len);
    if (!p.ok || p.msg.qr || p.msg.questions.length === 0) return;
    const q = p.msg;
    const qn = q.questions[0]!;
    let answers: DnsMessage['answers'] | null = null;
    if (qn.type === DnsType.A) {
      const ips = this.backend.resolveName(qn.name);
      if (ips !== null) {
        const list = [...ips];
        // rand.Shuffle (Fisher–Yates from the end), from the seeded stream.
        for (let i = list.length - 1; i > 0; i--) {
          const j = this.rng.u32() % (i + 1);
          [list[i], list[j]] = [list[j]!, list[i]!];
        }
        answers = list.map((ip) => ({
          name: qn.name,
          class: 1,
          ttl: RESP_TTL,
          data: { kind: 'A' as const, address: parseIpv4(ip) },
        }));
      }
    } else if (qn.type === DnsType.PTR) {
      const ip = dnsParseReverseNameV4(qn.name);
      const host = ip < 0 ? null : this.backend.resolveIp(ipv4ToString(ip));
      if (host !== null)
        answers = [{ name: qn.name, class: 1, ttl: RESP_TTL, data: { kind: 'PTR', name: host } }];
    }
    if (answers !== null) {
      this.stats.local++;
      this.reply(src, sport, conn, this.response(q, DnsRcode.NOERROR, answers));
      return;
    }
    this.forward({
      client: src,
      clientPort: sport,
      query: q,
      tcp: conn,
      servers: this.backend
        .extServers()
        .filter((s) => s.hostLoopback || s.addr !== RESOLVER_IP)
        .slice(0, MAX_EXT_DNS),
      next: 0,
      sock: null,
      timer: -1,
      done: false,
    });
  }

  /** createRespMsg (SetReply + RA) with `rcode` and `answers`. */
  private response(q: DnsMessage, rcode: number, answers: DnsMessage['answers']): DnsMessage {
    return {
      ...q,
      qr: true,
      aa: false,
      tc: false,
      ra: true,
      ad: false,
      z: false,
      rcode,
      answers,
      authorities: [],
      additionals: [],
    };
  }

  private reply(dst: number, dport: number, conn: TcpConn | null, m: DnsMessage): void {
    const n = emitDns(m, scratch, conn === null ? 0 : 2, true);
    if (conn !== null) {
      scratch[0] = n >>> 8;
      scratch[1] = n & 0xff;
      conn.send(scratch, 0, n + 2);
      return;
    }
    this.udp.sendTo(dst, dport, scratch, 0, n);
  }

  /** forwardExtDNS: the next external server, or SERVFAIL when none is left. */
  private forward(p: Pending): void {
    let server = p.servers[p.next++];
    while (server?.hostLoopback === true && !this.backend.forwardFromHost()) server = p.servers[p.next++];
    if (server === undefined) {
      p.done = true;
      this.stats.servfail++;
      this.reply(p.client, p.clientPort, p.tcp, this.response(p.query, DnsRcode.SERVFAIL, []));
      return;
    }
    const id = this.pending.length;
    this.pending.push(p);
    const self = this;
    const sock = transportOf(server.hostLoopback ? this.hostNs : this.ns).udp.open({
      onDatagram(_s, _src, _sport, _dst, u8, off, len) {
        self.upstreamReply(id, u8, off, len);
      },
      // A connected UDP socket reports ICMP errors (ECONNREFUSED for port unreachable): the read in
      // exchange fails at once and forwardExtDNS moves on, without waiting for extIOTimeout.
      onError() {
        self.upstreamError(id);
      },
    });
    p.sock = sock;
    // netsim is IPv4-only: an IPv6 server cannot be dialled, like a server with no route.
    if (server.addr.includes(':') || sock.connect(parseIpv4(server.addr), 53) !== 0) {
      this.next(id);
      return;
    }
    const n = emitDns(p.query, scratch, 0, true);
    sock.send(scratch, 0, n);
    this.stats.forwarded++;
    p.timer = this.timer.after(EXT_IO_TIMEOUT_NS, id);
  }

  private upstreamReply(id: number, u8: Uint8Array, off: number, len: number): void {
    const p = this.pending[id];
    if (p === null || p === undefined || p.done) return;
    const r = parseDns(u8, off, off + len);
    if (!r.ok || r.msg.id !== p.query.id) return;
    if (r.msg.rcode === DnsRcode.SERVFAIL || r.msg.rcode === DnsRcode.REFUSED) {
      this.next(id);
      return;
    }
    this.finish(id);
    p.done = true;
    this.reply(p.client, p.clientPort, p.tcp, r.msg);
  }

  private upstreamError(id: number): void {
    const p = this.pending[id];
    if (p === null || p === undefined || p.done) return;
    this.next(id);
  }

  private finish(id: number): void {
    const p = this.pending[id]!;
    if (p.timer >= 0) this.timer.cancel(p.timer);
    p.sock?.close();
    p.sock = null;
    this.pending[id] = null;
  }

  private next(id: number): void {
    const p = this.pending[id]!;
    this.finish(id);
    this.forward(p);
  }

  onTimer(id: number): void {
    const p = this.pending[id];
    if (p === null || p === undefined || p.done) return;
    p.timer = -1;
    this.next(id);
  }

  stop(): void {
    this.udp.close();
    this.tcp.close();
    for (let i = 0; i < this.pending.length; i++) if (this.pending[i] != null) this.finish(i);
  }
}
