// UDP sockets of one namespace (net/ipv4/udp.c).
//
// Heads up: read `__udp4_lib_rcv`, `__udp4_lib_lookup` / `compute_score`, `__udp4_lib_mcast_deliver`,
// `__udp4_lib_err`, `udp_sendmsg` and `udp_lib_get_port` before changing behaviour.
//
// Receive (`__udp4_lib_rcv`): header and "Length" checked (short → Drop.L4Malformed), checksum
// verified unless 0 (bad → Drop.L4Malformed), then the socket with the best `compute_score` gets it:
// +4 for a bound local address equal to the destination (a different one does not match), +4 each for a
// connected remote address and port that match (different ones do not match); ties go to the socket
// bound first. Broadcast/multicast go to every matching socket (`__udp4_lib_mcast_deliver`). Without
// a socket, a unicast datagram earns ICMP port unreachable (`icmp_send(skb, ICMP_DEST_UNREACH,
// ICMP_PORT_UNREACH, 0)`) and is dropped as Drop.NoSocket; a broadcast one is dropped silently.
//
// Applications receive borrowed bytes: `onDatagram(sock, src, sport, dst, u8, off, len, ttl)` is called
// while the frame is still alive and must copy what it keeps. Nothing is allocated per datagram.
//
// ICMP errors (`__udp4_lib_err`): the quoted datagram finds its socket by the same lookup with the
// addresses reversed. Like Linux, a socket hears of an error only with IP_RECVERR (`recvErr`) or,
// without it, when the error is hard (`icmp_err_convert[].fatal`) and the socket is connected.
// Frag-needed is reported as EMSGSIZE unless IP_PMTUDISC_DONT; the IPv4 stack updates its PMTU cache
// for the quoted destination (ipv4_sk_update_pmtu), which later sends see through routeOutput's MTU.

import { IntMap } from '../../core/int-map.js';
import type { Rng } from '../../core/rng.js';
import { explainUdpLookup, traceSent } from '../../trace/points.js';
import { rd16, rd32, wr16, wr32 } from '../../wire/bytes.js';
import { checkUdp, setUdpChecksum, UDP_HEADER_LEN, UdpBad, udpChecksumVerifies } from '../../wire/udp.js';
import type { Device } from '../device.js';
import { Drop } from '../drop-reason.js';
import type { Namespace } from '../namespace.js';
import type { World } from '../world.js';
import { Errno, IpOut, icmpToErrno, type TransportIp } from './ip-api.js';
import { type PortRange, pickUdpPort } from './ports.js';

export const IPPROTO_UDP = 17;
const IPV4_HLEN = 20;

/** IP_MTU_DISCOVER values (include/uapi/linux/in.h). */
export const PmtuDisc = Object.freeze({ Dont: 0, Want: 1, Do: 2 } as const);
export type PmtuDisc = (typeof PmtuDisc)[keyof typeof PmtuDisc];

/** What a UDP socket tells its application. Both calls borrow; nothing passed may be kept. */
export interface UdpHandler {
  /** A datagram from `src:sport` to `dst` (the local address it was sent to: IP_PKTINFO's ipi_addr). */
  onDatagram(
    sock: UdpSocket,
    src: number,
    sport: number,
    dst: number,
    u8: Uint8Array,
    off: number,
    len: number,
    ttl: number,
  ): void;
  /**
   * An error from the socket's error queue (IP_RECVERR, `sock_extended_err` with origin ICMP):
   * errno, ICMP type/code, `info` (the MTU for frag-needed), the offender (the ICMP's source) and the
   * quoted datagram's destination address and port.
   */
  onError?(
    sock: UdpSocket,
    errno: number,
    type: number,
    code: number,
    info: number,
    offender: number,
    dst: number,
    dport: number,
  ): void;
}

export interface UdpSocketOptions {
  /** IP_TTL; 0 = net.ipv4.ip_default_ttl. */
  ttl?: number;
  tos?: number;
  /** IP_MTU_DISCOVER (default Want, which sets DF as Linux does). */
  pmtudisc?: PmtuDisc;
  /** IP_RECVERR. */
  recvErr?: boolean;
}

export class UdpSocket {
  laddr = 0;
  lport = 0;
  raddr = 0;
  rport = 0;
  ttl: number;
  tos: number;
  pmtudisc: PmtuDisc;
  recvErr: boolean;
  closed = false;
  /** Per-socket IP Identification for connected DF datagrams (`inet->inet_id`). */
  ipId = 0;
  /** Datagrams received and sent (for reports). */
  rxDatagrams = 0;
  txDatagrams = 0;
  /** Explanation trace the datagrams it sends join, -1 = none (an app opts in per datagram). */
  traceId = -1;

  constructor(
    readonly table: UdpTable,
    readonly id: number,
    public handler: UdpHandler,
    opts: UdpSocketOptions,
  ) {
    this.ttl = opts.ttl ?? 0;
    this.tos = opts.tos ?? 0;
    // inet_create: IP_PMTUDISC_DONT when net.ipv4.ip_no_pmtu_disc is set, else IP_PMTUDISC_WANT.
    this.pmtudisc =
      opts.pmtudisc ??
      (table.ns.sysctl.getInt('net.ipv4.ip_no_pmtu_disc') !== 0 ? PmtuDisc.Dont : PmtuDisc.Want);
    this.recvErr = opts.recvErr ?? false;
  }

  /** bind(addr, port): port 0 picks an ephemeral port. Returns 0 or an errno (EADDRINUSE, EADDRNOTAVAIL). */
  bind(addr: number, port: number): number {
    return this.table.bind(this, addr >>> 0, port);
  }

  /** connect(): fixes the remote address and port (and binds/chooses the local ones). Returns 0 or an errno. */
  connect(addr: number, port: number): number {
    return this.table.connect(this, addr >>> 0, port);
  }

  /** sendto(): returns 0 or an errno (ENETUNREACH, EMSGSIZE, ...). Autobinds like Linux. */
  sendTo(dst: number, dport: number, u8: Uint8Array, off: number, len: number): number {
    return this.table.send(this, dst >>> 0, dport, u8, off, len);
  }

  /** send() on a connected socket. */
  send(u8: Uint8Array, off: number, len: number): number {
    if (this.raddr === 0) return Errno.EINVAL;
    return this.table.send(this, this.raddr, this.rport, u8, off, len);
  }

  close(): void {
    this.table.close(this);
  }
}

/** The UDP socket table of a namespace, registered with its IPv4 stack for protocol 17. */
export class UdpTable {
  private readonly world: World;
  readonly socks: (UdpSocket | null)[] = [];
  /**
   * Head socket index of the chain of each bound local port (absent: -1). A small hash table rather
   * than a 65536-entry array: that was 256 KB in every namespace with a socket (every container).
   */
  private readonly byPort = new IntMap();
  /** Next socket index in the same port's chain (bind order). */
  private next = new Int32Array(16).fill(-1);
  private readonly freeIds: number[] = [];
  private readonly out = new IpOut();
  private readonly rng: Rng;
  /** net.ipv4.ip_default_ttl, kept current. */
  private defaultTtl = 64;

  constructor(
    readonly ns: Namespace,
    private readonly ip: TransportIp,
    private readonly ports: PortRange,
  ) {
    this.world = ns.world;
    this.rng = this.world.sim.rng.stream(`udp:${ns.name}`);
    this.defaultTtl = ns.sysctl.getInt('net.ipv4.ip_default_ttl');
    ns.sysctl.watch('net.ipv4.ip_default_ttl', (v) => {
      this.defaultTtl = Number(v);
    });
  }

  /** socket(AF_INET, SOCK_DGRAM): an unbound socket. */
  open(handler: UdpHandler, opts: UdpSocketOptions = {}): UdpSocket {
    const id = this.freeIds.length > 0 ? this.freeIds.pop()! : this.socks.length;
    const s = new UdpSocket(this, id, handler, opts);
    if (id === this.socks.length) this.socks.push(s);
    else this.socks[id] = s;
    if (id >= this.next.length) {
      const n = new Int32Array(this.next.length * 2).fill(-1);
      n.set(this.next);
      this.next = n;
    }
    this.next[id] = -1;
    return s;
  }

  /** Whether `port` is taken for a bind to `addr` (`udp_lib_lport_inuse` without SO_REUSEADDR). */
  private portTaken(addr: number, port: number, self: UdpSocket | null): boolean {
    for (let i = this.byPort.get(port); i >= 0; i = this.next[i]!) {
      const s = this.socks[i]!;
      if (s === self) continue;
      if (s.laddr === 0 || addr === 0 || s.laddr === addr) return true;
    }
    return false;
  }

  bind(s: UdpSocket, addr: number, port: number): number {
    if (s.lport !== 0) return Errno.EINVAL;
    if (addr !== 0 && !this.ip.isLocalAddr(addr)) return Errno.EADDRNOTAVAIL;
    let p = port;
    if (p === 0) {
      p = pickUdpPort(this.ports, this.rng, (q) => this.portTaken(addr, q, s));
      if (p === 0) return Errno.EAGAIN;
    } else if (this.portTaken(addr, p, s)) {
      return Errno.EADDRINUSE;
    }
    s.laddr = addr;
    s.lport = p;
    // Append to the port's chain so that, among equal scores, the first bound wins.
    const head = this.byPort.get(p);
    if (head < 0) this.byPort.set(p, s.id);
    else {
      let i = head;
      while (this.next[i]! >= 0) i = this.next[i]!;
      this.next[i] = s.id;
    }
    this.next[s.id] = -1;
    return 0;
  }

  connect(s: UdpSocket, addr: number, port: number): number {
    // ip4_datagram_connect: route to learn the source address, autobind, then fix the remote end.
    const err = this.ip.routeOutput(addr, s.laddr, -1, this.out);
    if (err !== 0) return -err;
    if (s.lport === 0) {
      const e = this.bind(s, 0, 0);
      if (e !== 0) return e;
    }
    if (s.laddr === 0) s.laddr = this.out.src; // inet_rcv_saddr follows the route's source
    s.raddr = addr;
    s.rport = port;
    s.ipId = this.rng.u32() & 0xffff;
    return 0;
  }

  close(s: UdpSocket): void {
    if (s.closed) return;
    s.closed = true;
    if (s.lport !== 0) {
      const p = s.lport;
      let prev = -1;
      for (let i = this.byPort.get(p); i >= 0; i = this.next[i]!) {
        if (i === s.id) {
          if (prev >= 0) this.next[prev] = this.next[i]!;
          else if (this.next[i]! >= 0) this.byPort.set(p, this.next[i]!);
          else this.byPort.delete(p);
          break;
        }
        prev = i;
      }
    }
    this.socks[s.id] = null;
    this.freeIds.push(s.id);
  }

  /**
   * `udp_sendmsg` → `ip_make_skb` → `udp_send_skb`: one datagram in a new frame (IPv4 header + UDP
   * header + payload), checksum over the pseudo-header, handed to the IPv4 stack.
   */
  send(s: UdpSocket, dst: number, dport: number, u8: Uint8Array, off: number, len: number): number {
    if (s.closed) return Errno.EINVAL;
    if (len + UDP_HEADER_LEN + IPV4_HLEN > 65535) return Errno.EMSGSIZE;
    if (s.lport === 0) {
      const e = this.bind(s, 0, 0);
      if (e !== 0) return e;
    }
    const out = this.out;
    const err = this.ip.routeOutput(dst, s.laddr, -1, out);
    if (err !== 0) return -err;
    const src = out.src;
    const w = this.world;
    const pool = w.pool;
    const total = IPV4_HLEN + UDP_HEADER_LEN + len;
    const h = w.newFrameFor(total);
    if (!pool.setLength(h, total)) {
      w.drop(h, Drop.NoMemory, -1);
      return Errno.EMSGSIZE;
    }
    const b = pool.bytesOf(h);
    const o = pool.start[h]!;
    // DF: IP_PMTUDISC_DO always; WANT when the datagram fits the route MTU (else Linux fragments
    // locally); DONT never.
    const df = s.pmtudisc === PmtuDisc.Do || (s.pmtudisc === PmtuDisc.Want && total <= out.mtu);
    const connected = s.raddr !== 0 && s.raddr === dst && s.rport === dport;
    let ident = 0;
    if (df && connected) {
      ident = s.ipId;
      s.ipId = (s.ipId + 1) & 0xffff;
    }
    writeIpv4Header(
      b,
      o,
      total,
      s.tos,
      ident,
      df,
      s.ttl !== 0 ? s.ttl : this.defaultTtl,
      IPPROTO_UDP,
      src,
      dst,
    );
    const uo = o + IPV4_HLEN;
    wr16(b, uo, s.lport);
    wr16(b, uo + 2, dport);
    wr16(b, uo + 4, UDP_HEADER_LEN + len);
    wr16(b, uo + 6, 0);
    for (let i = 0; i < len; i++) b[uo + UDP_HEADER_LEN + i] = u8[off + i]!;
    setUdpChecksum(b, uo, src, dst);
    s.txDatagrams++;
    if (s.traceId >= 0) traceSent(w, s.traceId, h, -1, 'udp socket');
    const r = this.ip.sendLocal(h);
    return r < 0 ? -r : 0;
  }

  /** `compute_score`: -1 when the socket does not match. */
  private score(s: UdpSocket, src: number, sport: number, dst: number): number {
    let sc = 2;
    if (s.laddr !== 0) {
      if (s.laddr !== dst) return -1;
      sc += 4;
    }
    if (s.raddr !== 0) {
      if (s.raddr !== src) return -1;
      sc += 4;
    }
    if (s.rport !== 0) {
      if (s.rport !== sport) return -1;
      sc += 4;
    }
    return sc;
  }

  /** `__udp4_lib_lookup`: the best-scoring socket for a datagram, or null. */
  lookup(src: number, sport: number, dst: number, dport: number): UdpSocket | null {
    let best: UdpSocket | null = null;
    let bestScore = -1;
    for (let i = this.byPort.get(dport); i >= 0; i = this.next[i]!) {
      const s = this.socks[i]!;
      const sc = this.score(s, src, sport, dst);
      if (sc > bestScore) {
        best = s;
        bestScore = sc;
      }
    }
    return best;
  }

  /** `__udp4_lib_rcv`: `h` starts at the IPv4 header (trimmed to Total Length); we own it. */
  receive(h: number, dev: Device, l4Off: number, broadcast: boolean): void {
    const w = this.world;
    const pool = w.pool;
    const u8 = pool.bytesOf(h);
    const ipOff = pool.start[h]!;
    const end = ipOff + pool.len[h]!;
    if (checkUdp(u8, l4Off, end) !== UdpBad.None) {
      w.drop(h, Drop.L4Malformed, dev.id);
      return;
    }
    const src = rd32(u8, ipOff + 12);
    const dst = rd32(u8, ipOff + 16);
    const ulen = rd16(u8, l4Off + 4);
    if (!udpChecksumVerifies(u8, l4Off, ulen, src, dst)) {
      w.drop(h, Drop.L4Malformed, dev.id);
      return;
    }
    const sport = rd16(u8, l4Off);
    const dport = rd16(u8, l4Off + 2);
    const ttl = u8[ipOff + 8]!;
    const dataOff = l4Off + UDP_HEADER_LEN;
    const dataLen = ulen - UDP_HEADER_LEN;
    const multi = broadcast || dst >>> 28 === 0xe;
    if (multi) {
      // __udp4_lib_mcast_deliver: every matching socket gets a copy (here: the same borrowed bytes).
      let n = 0;
      for (let i = this.byPort.get(dport); i >= 0; ) {
        const s = this.socks[i]!;
        const nx = this.next[i]!;
        if (
          (s.laddr === 0 || s.laddr === dst) &&
          (s.raddr === 0 || s.raddr === src) &&
          (s.rport === 0 || s.rport === sport)
        ) {
          n++;
          s.rxDatagrams++;
          s.handler.onDatagram(s, src, sport, dst, u8, dataOff, dataLen, ttl);
        }
        i = nx;
      }
      if (n === 0) w.drop(h, Drop.NoSocket, dev.id);
      else w.consume(h);
      return;
    }
    const s = this.lookup(src, sport, dst, dport);
    if (pool.traceId[h]! >= 0) explainUdpLookup(w, h, dev.id, dport, s !== null);
    if (s === null) {
      this.ip.icmpSend(h, 3, 3, 0);
      w.drop(h, Drop.NoSocket, dev.id);
      return;
    }
    s.rxDatagrams++;
    s.handler.onDatagram(s, src, sport, dst, u8, dataOff, dataLen, ttl);
    w.consume(h);
  }

  /**
   * `__udp4_lib_err`: `h` is the ICMP packet (owned by the stack), the quoted IPv4 header at `qOff`.
   */
  error(h: number, qOff: number, qEnd: number, type: number, code: number, info: number): void {
    const pool = this.world.pool;
    const u8 = pool.bytesOf(h);
    const qhl = (u8[qOff]! & 0x0f) << 2;
    if (qEnd - qOff < qhl + 4) return;
    const qsrc = rd32(u8, qOff + 12);
    const qdst = rd32(u8, qOff + 16);
    const qsport = rd16(u8, qOff + qhl);
    const qdport = rd16(u8, qOff + qhl + 2);
    const s = this.lookup(qdst, qdport, qsrc, qsport);
    if (s === null) return;
    let e = icmpToErrno(type, code);
    if (type === 3 && code === 4) {
      // Frag-needed: the PMTU would be updated; reported as EMSGSIZE unless IP_PMTUDISC_DONT.
      if (s.pmtudisc === PmtuDisc.Dont) return;
      e = Errno.EMSGSIZE | 0x100;
    }
    if (e === 0) return;
    const hard = (e & 0x100) !== 0;
    if (!s.recvErr && !(hard && s.raddr !== 0)) return;
    const offender = rd32(u8, pool.start[h]! + 12);
    s.handler.onError?.(s, e & 0xff, type, code, info, offender, qdst, qdport);
  }
}

/** Writes a 20-byte IPv4 header (checksum left to the stack's `sendLocal`). */
export function writeIpv4Header(
  b: Uint8Array,
  o: number,
  total: number,
  tos: number,
  ident: number,
  df: boolean,
  ttl: number,
  proto: number,
  src: number,
  dst: number,
): void {
  b[o] = 0x45;
  b[o + 1] = tos;
  wr16(b, o + 2, total);
  wr16(b, o + 4, ident);
  wr16(b, o + 6, df ? 0x4000 : 0);
  b[o + 8] = ttl;
  b[o + 9] = proto;
  wr16(b, o + 10, 0);
  wr32(b, o + 12, src);
  wr32(b, o + 16, dst);
}
