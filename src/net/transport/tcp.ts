// TCP of one namespace: connection table, state machine, output, timers (RFC 9293; Linux
// net/ipv4/tcp_input.c, tcp_output.c, tcp_timer.c, tcp_ipv4.c, tcp_minisocks.c).
//
// Heads up: read RFC 9293 §3.10 (event processing), RFC 5961 §3–4 (RST/SYN challenge ACKs), RFC 6298
// (RTO), RFC 5681 (congestion control), and in Linux `tcp_v4_rcv`, `tcp_rcv_state_process`,
// `tcp_rcv_synsent_state_process`, `tcp_v4_send_reset`, `tcp_v4_err`, `tcp_retransmit_timer`,
// `tcp_select_initial_window`, `tcp_options_write` and `tcp_time_wait` before changing behaviour.
//
// What shows on the wire is Linux's:
// - SYN / SYN-ACK options in `tcp_options_write` order: MSS (route MTU − 40), SACK-permitted +
//   timestamps, NOP + window scale (from net.ipv4.tcp_rmem[2]: 10 for 6.18's 32 MiB, 7 for 6 MiB).
//   Window: rounddown(65536, MSS) in SYNs (64240 / 65160 with timestamps), then scaled with rounding up.
// - Timestamps in milliseconds plus a per-connection offset drawn from the namespace's stream
//   (`secure_tcp_ts_off`); ISN = random + ns/64 (`secure_tcp_seq`).
// - IP: DF set; Identification from a per-connection counter with a random start (`inet_id`), 0 on
//   SYN-ACKs and resets (`ip_build_and_send_pkt` / `ip_send_unicast_reply`).
// - ACKs: immediate while in quick-ACK mode (the first 16 data segments) or when more than one MSS is
//   unacknowledged; otherwise delayed by 40 ms (TCP_DELACK_MIN). A received FIN enters ping-pong mode
//   (`tcp_fin` → `inet_csk_enter_pingpong_mode`), so its ACK is delayed and an application that closes
//   at once sends one FIN+ACK, as Linux does. The ACK of a segment is sent before the application
//   sees its data (softirq before process context).
// - Resets to closed ports (`tcp_v4_send_reset`): seq = the segment's ACK when it had one, else seq 0
//   with ACK = seq + length (+1 per SYN/FIN), flags RST|ACK.
// - Retransmission: initial RTO 1 s (TCP_TIMEOUT_INIT); SYNs retried net.ipv4.tcp_syn_retries (6)
//   times, the first net.ipv4.tcp_syn_linear_timeouts (4) at a constant RTO, then doubling;
//   SYN-ACKs net.ipv4.tcp_synack_retries (5) times, doubling; data per RFC 6298 with Linux's minimum
//   net.ipv4.tcp_rto_min_us (200 ms) and 120 s maximum, at most tcp_retries2 (15) times.
// - TIME_WAIT lasts 60 s (TCP_TIMEWAIT_LEN); an orphaned FIN_WAIT_2 lasts tcp_fin_timeout (60 s).
//   A SYN with a higher sequence number reopens a TIME_WAIT pair (`tcp_timewait_state_process`,
//   TCP_TW_SYN).
//
// Not modelled (documented deviations): out-of-order queueing and SACK blocks (an out-of-order
// segment is dropped as Drop.TcpInvalid and answered with a duplicate ACK, so recovery is by fast
// retransmit or RTO); Reno instead of CUBIC; receive-buffer autotuning (the advertised window stays at
// its initial size; applications read at once); PAWS; urgent data; keepalive; TCP Fast Open; SYN
// cookies; PMTU discovery; window probes (the peer's window never closes here).
//
// Allocation: one `TcpConn` object and one send ring per connection; nothing per segment. Events:
// one kind per namespace (`tcp:<ns>`), target = connection index, arg = timer generation << 1 | timer
// (0 retransmit/state timer, 1 delayed ACK); a stale generation makes the event a no-op.

import type { Rng } from '../../core/rng.js';
import { explainTcpLookup, traceReply, traceSent } from '../../trace/points.js';
import { rd16, rd32, wr16, wr32 } from '../../wire/bytes.js';
import {
  checkTcp,
  emitTcpOptions,
  setTcpChecksum,
  TCP_MIN_HEADER_LEN,
  TcpBad,
  TcpFlag,
  TcpOpt,
  type TcpOptions,
  tcpChecksumVerifies,
} from '../../wire/tcp.js';
import type { Device } from '../device.js';
import { Drop } from '../drop-reason.js';
import type { Namespace } from '../namespace.js';
import { defineSysctl, intSysctl } from '../sysctl.js';
import type { World } from '../world.js';
import { Errno, IpOut, icmpToErrno, type TransportIp } from './ip-api.js';
import { type PortRange, pickConnectPort } from './ports.js';
import { transportOf } from './transport.js';

/** A TCP timer event: nothing to do once its namespace was deleted. */
function timerOf(world: World, nsId: number, arg: number): void {
  const ns = world.namespaceById(nsId);
  if (ns !== undefined) transportOf(ns).tcp.timer(arg >>> 1, arg & 1);
}

import { writeIpv4Header } from './udp.js';

export const IPPROTO_TCP = 6;
const IPV4_HLEN = 20;
const MS = 1_000_000;
const S = 1_000_000_000;
/** TCP_TIMEOUT_INIT. */
export const TCP_TIMEOUT_INIT_NS = 1 * S;
/** TCP_TIMEOUT_FALLBACK: RTO after a handshake without an RTT sample (retransmitted SYN). */
const TCP_TIMEOUT_FALLBACK_NS = 3 * S;
/** TCP_RTO_MAX. */
export const TCP_RTO_MAX_NS = 120 * S;
/** TCP_TIMEWAIT_LEN. */
export const TCP_TIMEWAIT_NS = 60 * S;
/** TCP_DELACK_MIN (HZ/25). */
export const TCP_DELACK_NS = 40 * MS;
/** TCP_MAX_QUICKACKS. */
const TCP_MAX_QUICKACKS = 16;
/** TCP_INIT_CWND (RFC 6928). */
const TCP_INIT_CWND = 10;
/** Linux default MSS when the peer sends none (TCP_MSS_DEFAULT). */
const TCP_MSS_DEFAULT = 536;
const TCPOLEN_TSTAMP_ALIGNED = 12;

defineSysctl({ key: 'net.ipv4.tcp_syn_retries', initial: '6', parse: intSysctl(1, 127) });
defineSysctl({ key: 'net.ipv4.tcp_synack_retries', initial: '5', parse: intSysctl(0, 255) });
defineSysctl({ key: 'net.ipv4.tcp_syn_linear_timeouts', initial: '4', parse: intSysctl(0, 127) });
defineSysctl({ key: 'net.ipv4.tcp_retries2', initial: '15', parse: intSysctl(0, 255) });
defineSysctl({ key: 'net.ipv4.tcp_fin_timeout', initial: '60', parse: intSysctl(1, 2147483647) });
defineSysctl({ key: 'net.ipv4.tcp_rto_min_us', initial: '200000', parse: intSysctl(1, 2147483647) });
defineSysctl({ key: 'net.ipv4.tcp_timestamps', initial: '1', parse: intSysctl(0, 2) });
defineSysctl({ key: 'net.ipv4.tcp_sack', initial: '1', parse: intSysctl(0, 1) });
defineSysctl({ key: 'net.ipv4.tcp_window_scaling', initial: '1', parse: intSysctl(0, 1) });
defineSysctl({
  key: 'net.ipv4.tcp_rmem',
  // Linux 6.18 (the kernel the fixtures were recorded on) defaults tcp_rmem[2] to 32 MiB.
  initial: '4096\t131072\t33554432',
  parse: (t) => {
    const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s*$/.exec(t);
    return m === null ? null : `${m[1]}\t${m[2]}\t${m[3]}`;
  },
});

/** Connection states (Linux `TCP_*` order is different; names below are what `ss` prints). */
export const TcpState = Object.freeze({
  Closed: 0,
  Listen: 1,
  SynSent: 2,
  SynRecv: 3,
  Established: 4,
  FinWait1: 5,
  FinWait2: 6,
  CloseWait: 7,
  Closing: 8,
  LastAck: 9,
  TimeWait: 10,
} as const);
export type TcpState = (typeof TcpState)[keyof typeof TcpState];
export const TCP_STATE_NAMES: readonly string[] = [
  'CLOSED',
  'LISTEN',
  'SYN-SENT',
  'SYN-RECV',
  'ESTABLISHED',
  'FIN-WAIT-1',
  'FIN-WAIT-2',
  'CLOSE-WAIT',
  'CLOSING',
  'LAST-ACK',
  'TIME-WAIT',
];

/** Why a connection failed, as reported by `onError`: an errno plus ICMP details when ICMP caused it. */
export interface TcpHandler {
  /** The handshake completed (active open: SYN-ACK received; passive: the final ACK). */
  onConnected?(c: TcpConn): void;
  /** In-order data; the bytes are borrowed for this call. */
  onData?(c: TcpConn, u8: Uint8Array, off: number, len: number): void;
  /** The peer's FIN arrived (end of stream). */
  onPeerClosed?(c: TcpConn): void;
  /**
   * The connection failed: errno ECONNREFUSED (RST in SYN-SENT), ECONNRESET (RST later), ETIMEDOUT,
   * or an ICMP-derived errno with `icmpType`/`icmpCode`/`offender` (−1/−1/0 when not from ICMP).
   */
  onError?(c: TcpConn, errno: number, icmpType: number, icmpCode: number, offender: number): void;
  /** The connection left the table (after CLOSED, or at the end of TIME_WAIT). */
  onRelease?(c: TcpConn): void;
}

export interface TcpConnectOptions {
  /** Local port; 0/absent = ephemeral (`inet_hash_connect`). */
  sport?: number;
  /** Local address; 0/absent = the route's source. */
  saddr?: number;
  /** IP_TTL; 0 = net.ipv4.ip_default_ttl. */
  ttl?: number;
  tos?: number;
  /** Explanation trace every segment of this connection joins (-1/absent: not traced). */
  traceId?: number;
}

/** A listening socket. `accept` returns the handler for a new connection (or null to refuse it). */
export class TcpListener {
  /** Children in SYN-RECV (the SYN queue); bounded by the backlog. */
  pending = 0;
  closed = false;
  constructor(
    readonly table: TcpTable,
    readonly laddr: number,
    readonly lport: number,
    readonly backlog: number,
    readonly accept: (c: TcpConn) => TcpHandler | null,
  ) {}
  close(): void {
    this.table.unlisten(this);
  }
}

/** One connection's state (`struct tcp_sock`), allocated once per connection. */
export class TcpConn {
  state: TcpState = TcpState.Closed;
  /** Explanation trace its segments join, -1 = none (one field read per segment sent). */
  traceId = -1;
  laddr = 0;
  lport = 0;
  raddr = 0;
  rport = 0;
  // Send sequence space (RFC 9293 §3.3.1), u32.
  iss = 0;
  sndUna = 0;
  sndNxt = 0;
  /** Highest sequence number sent + 1 (`snd_nxt` before a go-back-N retransmission). */
  sndMax = 0;
  sndWnd = 0;
  sndWl1 = 0;
  sndWl2 = 0;
  // Receive sequence space.
  irs = 0;
  rcvNxt = 0;
  /** Bytes we advertise (constant: the application reads at once). */
  rcvWnd = 0;
  /** Our window scale shift, and the peer's (0 unless both sent the option). */
  rcvWscale = 0;
  sndWscale = 0;
  /** Effective send MSS (peer MSS, our MTU, minus timestamp option). */
  mss = TCP_MSS_DEFAULT;
  /** The MSS we advertise: route MTU − 40. */
  advMss = 1460;
  tsOk = false;
  sackOk = false;
  /** Window scaling in use (we offered it and, after the SYN exchange, the peer did too). */
  wsOk = false;
  tsRecent = 0;
  tsOffset = 0;
  // Congestion control (RFC 5681, bytes).
  cwnd = 0;
  ssthresh = 0x7fffffff;
  dupAcks = 0;
  // RTT (RFC 6298, ns).
  srtt = 0;
  rttvar = 0;
  rto = TCP_TIMEOUT_INIT_NS;
  /** Sequence number whose ACK times the RTT sample, and when it was sent (−1: none running). */
  rttSeq = 0;
  rttTime = -1;
  /** Consecutive retransmission timeouts (`icsk_retransmits`); total RTOs since the last progress. */
  retransmits = 0;
  /** When the first SYN was sent (SYN-SENT give-up time is measured from it). */
  synStart = 0;
  /** Retransmitted anything during the handshake (no RTT sample then). */
  synRetransmitted = false;
  // Send buffer: ring holding the bytes from sndUna (not yet acknowledged) to the end of app data.
  buf: Uint8Array = new Uint8Array(0);
  bufHead = 0;
  bufLen = 0;
  /** The application shut down its sending side: FIN after the data (`tcp_send_fin`). */
  finQueued = false;
  /** close() was called: no more onData; data arriving afterwards resets (orphan). */
  appClosed = false;
  /** The peer's FIN was received. */
  peerFin = false;
  // ACK scheduling (`icsk_ack`).
  quick = TCP_MAX_QUICKACKS;
  pingpong = false;
  ackPending = false;
  /** Bytes received since our last ACK (`rcv_nxt - rcv_wup`). */
  unackedRcv = 0;
  // IP.
  ttl = 0;
  tos = 0;
  ipId = 0;
  /** Soft error from ICMP in a synchronized state (`sk_err_soft`), with its details. */
  softErr = 0;
  softType = -1;
  softCode = -1;
  softOffender = 0;
  /** Listener of a passive connection until it is established. */
  listener: TcpListener | null = null;
  handler: TcpHandler | null = null;
  /** Bytes delivered to / accepted from the application (reports, tests). */
  bytesReceived = 0;
  bytesSent = 0;
  retransmittedSegments = 0;

  constructor(
    readonly table: TcpTable,
    /** Index in the table: timer target. */
    readonly idx: number,
  ) {}

  /** Queues data for sending (`tcp_sendmsg`); returns bytes accepted (all) or −errno. */
  send(u8: Uint8Array, off: number, len: number): number {
    return this.table.send(this, u8, off, len);
  }
  /** `shutdown(SHUT_WR)`: FIN after the queued data; receiving continues. */
  shutdownWrite(): void {
    this.table.shutdownWrite(this);
  }
  /** `close()`: FIN after the queued data; later data from the peer is answered with RST. */
  close(): void {
    this.table.close(this);
  }
  /** Abortive close (SO_LINGER 0 / `tcp_disconnect`): RST, connection gone. */
  abort(): void {
    this.table.abort(this);
  }
  get stateName(): string {
    return TCP_STATE_NAMES[this.state]!;
  }
}

// Sequence arithmetic modulo 2^32 (RFC 9293 §3.4): a < b, a <= b.
function before(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}
function after(a: number, b: number): boolean {
  return ((b - a) | 0) < 0;
}
function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}
function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

/**
 * `tcp_model_timeout`: how long `boundary` retransmissions take with doubling from `base`, capped at
 * TCP_RTO_MAX per interval.
 */
export function modelTimeout(boundary: number, base: number): number {
  let thresh = 0;
  while (base * 2 ** (thresh + 1) <= TCP_RTO_MAX_NS && thresh < 30) thresh++;
  // ilog2(TCP_RTO_MAX / base)
  if (boundary <= thresh) return (2 ** (boundary + 1) - 1) * base;
  return (2 ** (thresh + 1) - 1) * base + (boundary - thresh) * TCP_RTO_MAX_NS;
}

const TIMER_RTX = 0;
const TIMER_DELACK = 1;

/** Parsed options of the segment being processed (a reusable scratch; SYNs only). */
class SynOpts {
  mss = 0;
  wscale = -1;
  sackOk = false;
  tsOk = false;
  tsVal = 0;
  tsEcr = 0;
}

/** The TCP of one namespace. */
export class TcpTable {
  private readonly world: World;
  readonly conns: (TcpConn | null)[] = [];
  private readonly freeIdx: number[] = [];
  /** Per connection index, never reset (indices are reused): timer generations. */
  /** Pending timer event per (connection, timer type), or -1: cancelled on re-arm and on close. */
  private timerEv = new Float64Array(64).fill(-1);
  /** 4-tuple hash: open addressing with linear probing, slot = connection index or −1. */
  private slots = new Int32Array(256).fill(-1);
  private used = 0;
  private readonly listeners = new Map<number, TcpListener[]>();
  private readonly rng: Rng;
  /** Keys of the ISN and timestamp-offset hashes (`net_secret`, `ts_secret`). */
  private readonly isnKey: number;
  private readonly tsKey: number;
  private readonly timerKind: number;
  private readonly out = new IpOut();
  private readonly synOpts = new SynOpts();
  private readonly txOpts: TcpOptions = {};
  private readonly txTs = { tsVal: 0, tsEcr: 0 };
  // Cached sysctls.
  private defaultTtl = 64;
  synRetries = 6;
  synackRetries = 5;
  synLinearTimeouts = 4;
  retries2 = 15;
  finTimeoutNs = 60 * S;
  rtoMinNs = 200 * MS;
  tsEnabled = true;
  sackEnabled = true;
  wsEnabled = true;
  rmemMax = 33554432;
  /** Connections that reached each state (tests, reports). */
  readonly stats = { activeOpens: 0, passiveOpens: 0, resetsSent: 0, retransSegs: 0, outSegs: 0, inSegs: 0 };

  constructor(
    readonly ns: Namespace,
    private readonly ip: TransportIp,
    private readonly ports: PortRange,
  ) {
    this.world = ns.world;
    this.rng = this.world.sim.rng.stream(`tcp:${ns.name}`);
    this.isnKey = this.rng.u32();
    this.tsKey = this.rng.u32();
    // One kind per world (kinds are 16-bit): target = namespace id, arg = connection index * 2 + type.
    const world = this.world;
    this.timerKind = world.sharedKind('tcp-timer', (nsId, arg) => timerOf(world, nsId, arg));
    const sc = ns.sysctl;
    const load = (): void => {
      this.defaultTtl = sc.getInt('net.ipv4.ip_default_ttl');
      this.synRetries = sc.getInt('net.ipv4.tcp_syn_retries');
      this.synackRetries = sc.getInt('net.ipv4.tcp_synack_retries');
      this.synLinearTimeouts = sc.getInt('net.ipv4.tcp_syn_linear_timeouts');
      this.retries2 = sc.getInt('net.ipv4.tcp_retries2');
      this.finTimeoutNs = sc.getInt('net.ipv4.tcp_fin_timeout') * S;
      this.rtoMinNs = sc.getInt('net.ipv4.tcp_rto_min_us') * 1000;
      this.tsEnabled = sc.getInt('net.ipv4.tcp_timestamps') !== 0;
      this.sackEnabled = sc.getInt('net.ipv4.tcp_sack') !== 0;
      this.wsEnabled = sc.getInt('net.ipv4.tcp_window_scaling') !== 0;
      this.rmemMax = Number(sc.get('net.ipv4.tcp_rmem').split('\t')[2]);
    };
    load();
    for (const k of [
      'net.ipv4.ip_default_ttl',
      'net.ipv4.tcp_syn_retries',
      'net.ipv4.tcp_synack_retries',
      'net.ipv4.tcp_syn_linear_timeouts',
      'net.ipv4.tcp_retries2',
      'net.ipv4.tcp_fin_timeout',
      'net.ipv4.tcp_rto_min_us',
      'net.ipv4.tcp_timestamps',
      'net.ipv4.tcp_sack',
      'net.ipv4.tcp_window_scaling',
      'net.ipv4.tcp_rmem',
    ]) {
      sc.watch(k, load);
    }
  }

  // ==== table ======================================================================================

  private hash(laddr: number, lport: number, raddr: number, rport: number): number {
    let h = Math.imul(laddr ^ 0x9e3779b9, 0x85ebca6b);
    h = Math.imul(h ^ raddr ^ (h >>> 15), 0xc2b2ae35);
    h = Math.imul(h ^ ((lport << 16) | rport) ^ (h >>> 13), 0x27d4eb2f);
    return (h ^ (h >>> 16)) >>> 0;
  }

  /** The connection with this 4-tuple (local first), or null. */
  find(laddr: number, lport: number, raddr: number, rport: number): TcpConn | null {
    const mask = this.slots.length - 1;
    let i = this.hash(laddr, lport, raddr, rport) & mask;
    for (;;) {
      const ci = this.slots[i]!;
      if (ci < 0) return null;
      const c = this.conns[ci]!;
      if (c.lport === lport && c.rport === rport && c.laddr === laddr && c.raddr === raddr) return c;
      i = (i + 1) & mask;
    }
  }

  private insert(c: TcpConn): void {
    if ((this.used + 1) * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    const mask = this.slots.length - 1;
    let i = this.hash(c.laddr, c.lport, c.raddr, c.rport) & mask;
    while (this.slots[i]! >= 0) i = (i + 1) & mask;
    this.slots[i] = c.idx;
    this.used++;
  }

  private rehash(size: number): void {
    const old = this.slots;
    this.slots = new Int32Array(size).fill(-1);
    const mask = size - 1;
    for (let j = 0; j < old.length; j++) {
      const ci = old[j]!;
      if (ci < 0) continue;
      const c = this.conns[ci]!;
      let i = this.hash(c.laddr, c.lport, c.raddr, c.rport) & mask;
      while (this.slots[i]! >= 0) i = (i + 1) & mask;
      this.slots[i] = ci;
    }
  }

  /** Removes from the hash with backward-shift deletion (no tombstones). */
  private unhash(c: TcpConn): void {
    const mask = this.slots.length - 1;
    let i = this.hash(c.laddr, c.lport, c.raddr, c.rport) & mask;
    while (this.slots[i] !== c.idx) {
      if (this.slots[i]! < 0) return;
      i = (i + 1) & mask;
    }
    this.slots[i] = -1;
    this.used--;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const cj = this.slots[j]!;
      if (cj < 0) return;
      const o = this.conns[cj]!;
      const home = this.hash(o.laddr, o.lport, o.raddr, o.rport) & mask;
      // Move cj back to i when its home is not cyclically within (i, j].
      const between = i <= j ? home > i && home <= j : home > i || home <= j;
      if (!between) {
        this.slots[i] = cj;
        this.slots[j] = -1;
        i = j;
      }
    }
  }

  private newConn(): TcpConn {
    const idx = this.freeIdx.length > 0 ? this.freeIdx.pop()! : this.conns.length;
    const c = new TcpConn(this, idx);
    if (idx === this.conns.length) this.conns.push(c);
    else this.conns[idx] = c;
    if (idx * 2 + 2 > this.timerEv.length) {
      const g = new Float64Array(this.timerEv.length * 2).fill(-1);
      g.set(this.timerEv);
      this.timerEv = g;
    }
    return c;
  }

  /** Connections currently in the table (any state but CLOSED). */
  liveConnections(): TcpConn[] {
    return this.conns.filter((c): c is TcpConn => c !== null && c.state !== TcpState.Closed);
  }

  /** Whether a local port is in use by a connection or listener (for ephemeral choice and bind). */
  portInUse(laddr: number, port: number, raddr: number, rport: number): boolean {
    if (this.listeners.has(port)) return true;
    for (const c of this.conns) {
      if (c === null || c.lport !== port) continue;
      if (raddr === 0 || (c.raddr === raddr && c.rport === rport && (laddr === 0 || c.laddr === laddr)))
        return true;
    }
    return false;
  }

  // ==== socket API =================================================================================

  /** `listen()`: returns the listener or an errno (EADDRINUSE, EADDRNOTAVAIL). */
  listen(
    laddr: number,
    port: number,
    backlog: number,
    accept: (c: TcpConn) => TcpHandler | null,
  ): TcpListener | number {
    const a = laddr >>> 0;
    if (a !== 0 && !this.ip.isLocalAddr(a)) return Errno.EADDRNOTAVAIL;
    const list = this.listeners.get(port);
    if (list !== undefined) {
      for (const l of list) if (l.laddr === 0 || a === 0 || l.laddr === a) return Errno.EADDRINUSE;
    }
    const l = new TcpListener(this, a, port, Math.max(1, backlog), accept);
    if (list === undefined) this.listeners.set(port, [l]);
    else list.push(l);
    return l;
  }

  /**
   * The namespace's processes exit (do_exit closes every descriptor): each connection is closed as
   * close(2) does (tcp_close: FIN; data is handed to the application as it arrives here, so there is
   * never unread data that would turn it into a RST) and every listener stops listening.
   */
  closeAll(): void {
    for (const c of this.conns) if (c !== null) this.close(c);
    for (const list of [...this.listeners.values()]) for (const l of [...list]) this.unlisten(l);
  }

  unlisten(l: TcpListener): void {
    if (l.closed) return;
    l.closed = true;
    const list = this.listeners.get(l.lport);
    if (list === undefined) return;
    const i = list.indexOf(l);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.listeners.delete(l.lport);
  }

  /** `inet_lookup_listener`: an exact local address beats the wildcard. */
  private findListener(addr: number, port: number): TcpListener | null {
    const list = this.listeners.get(port);
    if (list === undefined) return null;
    let wild: TcpListener | null = null;
    for (const l of list) {
      if (l.laddr === addr) return l;
      if (l.laddr === 0) wild = l;
    }
    return wild;
  }

  /**
   * `tcp_v4_connect` + `tcp_connect`: routes, picks the source port, sends the SYN. Returns the
   * connection, or an errno when connect() fails at once (ENETUNREACH, EADDRINUSE, EADDRNOTAVAIL).
   */
  connect(dst: number, dport: number, handler: TcpHandler, opts: TcpConnectOptions = {}): TcpConn | number {
    const raddr = dst >>> 0;
    const out = this.out;
    const err = this.ip.routeOutput(raddr, (opts.saddr ?? 0) >>> 0, -1, out);
    if (err !== 0) return -err;
    const laddr = out.src;
    let lport = opts.sport ?? 0;
    if (lport === 0) {
      lport = pickConnectPort(this.ports, this.rng, (p) => this.portInUse(laddr, p, raddr, dport));
      if (lport === 0) return Errno.EADDRNOTAVAIL;
    } else if (this.find(laddr, lport, raddr, dport) !== null || this.listeners.has(lport)) {
      return Errno.EADDRINUSE;
    }
    const c = this.newConn();
    c.laddr = laddr;
    c.lport = lport;
    c.raddr = raddr;
    c.rport = dport;
    c.handler = handler;
    c.ttl = opts.ttl ?? 0;
    c.tos = opts.tos ?? 0;
    c.traceId = opts.traceId ?? -1;
    this.initConn(c, out.mtu);
    c.ipId = this.rng.u32() & 0xffff;
    // tcp_connect_init: our window from advmss without the timestamp option (not yet negotiated).
    c.rcvWnd = this.initialWindow(c.advMss);
    c.rcvWscale = this.wsEnabled ? this.wscaleFor() : 0;
    c.wsOk = this.wsEnabled;
    c.tsOk = this.tsEnabled;
    c.sackOk = this.sackEnabled;
    c.state = TcpState.SynSent;
    c.sndUna = c.iss;
    c.sndNxt = seqAdd(c.iss, 1);
    c.sndMax = c.sndNxt;
    this.insert(c);
    this.stats.activeOpens++;
    this.sendSyn(c, false);
    c.synStart = this.world.sim.now;
    c.rttSeq = c.iss;
    c.rttTime = this.world.sim.now;
    this.armRtx(c, c.rto);
    return c;
  }

  /**
   * ISN and timestamp offset as `secure_tcp_seq` / `secure_tcp_ts_off` shape them: a keyed hash of
   * the 4-tuple (of the address pair for the offset) plus, for the ISN, the clock in 64 ns units. So a
   * new connection on the same 4-tuple starts above the old one's sequence space, which lets a SYN
   * reopen a TIME_WAIT pair. The keys are drawn once per namespace from its seeded stream.
   */
  private initConn(c: TcpConn, mtu: number): void {
    const now = this.world.sim.now;
    const h4 = this.hash(c.laddr ^ this.isnKey, c.lport, c.raddr, c.rport);
    c.iss = (h4 + Math.floor(now / 64)) >>> 0;
    c.tsOffset = this.hash(c.laddr, 0, c.raddr ^ this.tsKey, 0);
    c.advMss = (mtu > 0 ? mtu : 1500) - 40;
    c.buf = new Uint8Array(16384);
    c.bufHead = 0;
    c.bufLen = 0;
  }

  /** `tcp_select_initial_window`: the space (tcp_rmem[1] / 2) rounded down to a multiple of the MSS. */
  private initialWindow(mss: number): number {
    const space = 65536;
    return space > mss ? space - (space % mss) : space;
  }

  /** Window scale so that 65535 << wscale covers tcp_rmem[2] (at most 14, RFC 7323 §2.3). */
  private wscaleFor(): number {
    let ws = 0;
    let space = this.rmemMax;
    while (space > 65535 && ws < 14) {
      space >>>= 1;
      ws++;
    }
    return ws;
  }

  send(c: TcpConn, u8: Uint8Array, off: number, len: number): number {
    if (c.finQueued || c.state === TcpState.Closed) return -Errno.EINVAL;
    if (c.state === TcpState.Listen) return -Errno.EINVAL;
    if (len <= 0) return 0;
    this.bufReserve(c, c.bufLen + len);
    const cap = c.buf.length;
    let p = (c.bufHead + c.bufLen) & (cap - 1);
    const b = c.buf;
    for (let i = 0; i < len; i++) {
      b[p] = u8[off + i]!;
      p = (p + 1) & (cap - 1);
    }
    c.bufLen += len;
    c.bytesSent += len;
    if (c.state === TcpState.Established || c.state === TcpState.CloseWait) this.push(c);
    return len;
  }

  private bufReserve(c: TcpConn, need: number): void {
    const cap = c.buf.length;
    if (need <= cap) return;
    let n = cap;
    while (n < need) n *= 2;
    const nb = new Uint8Array(n);
    for (let i = 0; i < c.bufLen; i++) nb[i] = c.buf[(c.bufHead + i) & (cap - 1)]!;
    c.buf = nb;
    c.bufHead = 0;
  }

  shutdownWrite(c: TcpConn): void {
    switch (c.state) {
      case TcpState.SynSent:
        this.destroy(c);
        return;
      case TcpState.SynRecv:
      case TcpState.Established:
        c.finQueued = true;
        c.state = TcpState.FinWait1;
        break;
      case TcpState.CloseWait:
        c.finQueued = true;
        c.state = TcpState.LastAck;
        break;
      default:
        return;
    }
    this.push(c);
  }

  close(c: TcpConn): void {
    if (c.appClosed) return;
    c.appClosed = true;
    this.shutdownWrite(c);
  }

  abort(c: TcpConn): void {
    if (c.state === TcpState.Closed) return;
    // tcp_disconnect → tcp_send_active_reset for synchronized states: RST|ACK at snd_nxt.
    if (c.state !== TcpState.SynSent && c.state !== TcpState.TimeWait && c.state !== TcpState.Listen) {
      this.xmit(c, TcpFlag.RST | TcpFlag.ACK, c.sndNxt, 0, 0);
    }
    this.destroy(c);
  }

  // ==== output =====================================================================================

  /**
   * Builds and sends one segment of `c`: `flags`, sequence `seq`, `dataLen` bytes starting `dataFrom`
   * bytes after sndUna in the send ring. SYN segments carry the SYN options.
   */
  private xmit(c: TcpConn, flags: number, seq: number, dataFrom: number, dataLen: number): void {
    const w = this.world;
    const pool = w.pool;
    const now = w.sim.now;
    const syn = (flags & TcpFlag.SYN) !== 0;
    const rst = (flags & TcpFlag.RST) !== 0;
    let optLen = 0;
    if (syn) {
      const o = this.txOpts;
      o.mss = c.advMss;
      o.sackPermitted = c.sackOk ? true : undefined;
      if (c.tsOk) {
        this.txTs.tsVal = this.tsNow(c, now);
        this.txTs.tsEcr = (flags & TcpFlag.ACK) !== 0 ? c.tsRecent : 0;
        o.timestamp = this.txTs;
      } else o.timestamp = undefined;
      o.windowScale = c.wsOk ? c.rcvWscale : undefined;
      optLen = 4 + (c.tsOk ? 12 : c.sackOk ? 4 : 0) + (o.windowScale !== undefined ? 4 : 0);
    } else if (c.tsOk && !rst) {
      optLen = TCPOLEN_TSTAMP_ALIGNED;
    }
    const hl = TCP_MIN_HEADER_LEN + optLen;
    const total = IPV4_HLEN + hl + dataLen;
    const h = w.newFrame();
    if (!pool.setLength(h, total)) {
      w.drop(h, Drop.NoMemory, -1);
      return;
    }
    const b = pool.bytesOf(h);
    const o = pool.start[h]!;
    let ident = c.ipId;
    if (syn && (flags & TcpFlag.ACK) !== 0) ident = 0;
    else c.ipId = (c.ipId + 1) & 0xffff;
    if (rst) ident = 0;
    writeIpv4Header(
      b,
      o,
      total,
      c.tos,
      ident,
      true,
      c.ttl !== 0 ? c.ttl : this.defaultTtl,
      IPPROTO_TCP,
      c.laddr,
      c.raddr,
    );
    const t = o + IPV4_HLEN;
    wr16(b, t, c.lport);
    wr16(b, t + 2, c.rport);
    wr32(b, t + 4, seq);
    wr32(b, t + 8, (flags & TcpFlag.ACK) !== 0 ? c.rcvNxt : 0);
    b[t + 12] = (hl >>> 2) << 4;
    b[t + 13] = flags;
    let win: number;
    if (syn) win = Math.min(c.rcvWnd, 65535);
    else if (rst && (flags & TcpFlag.ACK) === 0) win = 0;
    else {
      win = Math.ceil(c.rcvWnd / (1 << c.rcvWscale));
      if (win > 65535) win = 65535;
    }
    wr16(b, t + 14, win);
    wr16(b, t + 16, 0);
    wr16(b, t + 18, 0);
    if (syn) emitTcpOptions(this.txOpts, b, t + TCP_MIN_HEADER_LEN);
    else if (optLen > 0) {
      const p = t + TCP_MIN_HEADER_LEN;
      b[p] = TcpOpt.NOP;
      b[p + 1] = TcpOpt.NOP;
      b[p + 2] = TcpOpt.TIMESTAMP;
      b[p + 3] = 10;
      wr32(b, p + 4, this.tsNow(c, now));
      wr32(b, p + 8, c.tsRecent);
    }
    if (dataLen > 0) {
      const cap = c.buf.length;
      const src = c.buf;
      let q = (c.bufHead + dataFrom) & (cap - 1);
      const d = t + hl;
      for (let i = 0; i < dataLen; i++) {
        b[d + i] = src[q]!;
        q = (q + 1) & (cap - 1);
      }
    }
    setTcpChecksum(b, t, hl + dataLen, c.laddr, c.raddr);
    if ((flags & TcpFlag.ACK) !== 0) {
      // Any segment with ACK acknowledges everything received (`tcp_event_ack_sent`).
      c.ackPending = false;
      c.unackedRcv = 0;
      this.cancelTimer(c.idx * 2 + TIMER_DELACK);
    }
    this.stats.outSegs++;
    if (c.traceId >= 0) traceSent(w, c.traceId, h, -1, `tcp socket (${TCP_STATE_NAMES[c.state]})`);
    this.ip.sendLocal(h);
  }

  private tsNow(c: TcpConn, now: number): number {
    return (Math.floor(now / MS) + c.tsOffset) >>> 0;
  }

  private sendSyn(c: TcpConn, ack: boolean): void {
    this.xmit(c, ack ? TcpFlag.SYN | TcpFlag.ACK : TcpFlag.SYN, c.iss, 0, 0);
  }

  private sendAck(c: TcpConn): void {
    this.xmit(c, TcpFlag.ACK, c.sndNxt, 0, 0);
  }

  /**
   * `tcp_write_xmit`: sends what the windows allow from snd_nxt, with Nagle's rule (a small segment
   * waits while data is unacknowledged), PSH on the segment that empties the queue, and the FIN on
   * (or after) the last data once the application closed.
   */
  private push(c: TcpConn): void {
    const st = c.state;
    if (
      st !== TcpState.Established &&
      st !== TcpState.CloseWait &&
      st !== TcpState.FinWait1 &&
      st !== TcpState.LastAck &&
      st !== TcpState.Closing
    ) {
      return;
    }
    const dataEnd = c.bufLen; // offsets from sndUna
    const wnd = Math.min(c.sndWnd, c.cwnd);
    for (;;) {
      const sent = seqDiff(c.sndNxt, c.sndUna); // bytes (and a FIN) already in flight
      const finInFlight = c.finQueued && sent > dataEnd;
      if (finInFlight) return;
      const avail = dataEnd - sent;
      const room = wnd - sent;
      if (avail > 0) {
        if (room <= 0) break;
        let len = Math.min(avail, c.mss);
        if (len > room) len = room;
        const isLast = len === avail;
        // Nagle (RFC 896, `tcp_nagle_check`): hold a partial segment while data is unacknowledged,
        // unless it carries the FIN.
        if (len < c.mss && sent > 0 && !(isLast && c.finQueued)) break;
        let flags = TcpFlag.ACK;
        if (isLast) flags |= TcpFlag.PSH;
        if (isLast && c.finQueued) flags |= TcpFlag.FIN;
        this.transmitNew(c, flags, sent, len);
        if ((flags & TcpFlag.FIN) !== 0) return;
        continue;
      }
      if (c.finQueued) this.transmitNew(c, TcpFlag.FIN | TcpFlag.ACK, sent, 0);
      return;
    }
  }

  /** Sends new data at offset `from` (from sndUna) and advances snd_nxt/snd_max; arms the RTO. */
  private transmitNew(c: TcpConn, flags: number, from: number, len: number): void {
    const seq = seqAdd(c.sndUna, from);
    const isRetrans = before(seq, c.sndMax);
    this.xmit(c, flags, seq, from, len);
    const span = len + ((flags & TcpFlag.FIN) !== 0 ? 1 : 0);
    c.sndNxt = seqAdd(seq, span);
    if (after(c.sndNxt, c.sndMax)) c.sndMax = c.sndNxt;
    if (isRetrans) {
      c.retransmittedSegments++;
      this.stats.retransSegs++;
    } else if (c.rttTime < 0) {
      c.rttSeq = seq;
      c.rttTime = this.world.sim.now;
    }
    if (!this.rtxArmed(c)) this.armRtx(c, c.rto);
  }

  // ==== timers =====================================================================================

  private rtxDeadline = new Float64Array(64);

  private rtxArmed(c: TcpConn): boolean {
    return this.rtxDeadline[c.idx]! > 0;
  }

  private armRtx(c: TcpConn, delay: number): void {
    if (c.idx >= this.rtxDeadline.length) {
      const d = new Float64Array(this.rtxDeadline.length * 2);
      d.set(this.rtxDeadline);
      this.rtxDeadline = d;
    }
    const slot = c.idx * 2 + TIMER_RTX;
    this.cancelTimer(slot);
    this.rtxDeadline[c.idx] = this.world.sim.now + delay;
    this.world.sim.afterInto(delay, this.timerKind, this.ns.id, slot, this.timerEv, slot);
  }

  private stopRtx(c: TcpConn): void {
    this.cancelTimer(c.idx * 2 + TIMER_RTX);
    if (c.idx < this.rtxDeadline.length) this.rtxDeadline[c.idx] = 0;
  }

  private armDelack(c: TcpConn): void {
    const slot = c.idx * 2 + TIMER_DELACK;
    this.cancelTimer(slot);
    this.world.sim.afterInto(TCP_DELACK_NS, this.timerKind, this.ns.id, slot, this.timerEv, slot);
  }

  private cancelTimer(slot: number): void {
    this.world.sim.cancelFrom(this.timerEv, slot);
  }

  /** A timer fired: `type` is TIMER_RTX or TIMER_DELACK (re-armed and stopped timers were cancelled). */
  timer(idx: number, type: number): void {
    this.timerEv[idx * 2 + type] = -1;
    const c = this.conns[idx];
    if (c === null || c === undefined) return;
    if (type === TIMER_DELACK) {
      if (c.ackPending && c.state !== TcpState.Closed) this.sendAck(c);
      return;
    }
    this.rtxDeadline[idx] = 0;
    switch (c.state) {
      case TcpState.TimeWait:
        this.destroy(c);
        return;
      case TcpState.FinWait2:
        // Orphaned FIN_WAIT_2 (tcp_fin_timeout) ends without a packet.
        this.destroy(c);
        return;
      case TcpState.SynSent:
        this.synTimeout(c);
        return;
      case TcpState.SynRecv:
        this.synackTimeout(c);
        return;
      default:
        this.retransmitTimeout(c);
    }
  }

  /**
   * SYN-SENT retransmission (`tcp_retransmit_timer`, `retransmits_timed_out`). The connect gives up
   * at the first expiry at least `tcp_model_timeout(tcp_syn_retries, 1 s)` after the first SYN (127 s
   * for 6 retries: the time plain doubling would take), failing with ETIMEDOUT (or the soft ICMP
   * error). The first tcp_syn_linear_timeouts SYNs (the original included) go out 1 s apart, later
   * intervals double. Recorded on Linux 6.18 (linear 4, retries 6): SYNs at 0, 1, 2, 3, 5, 9, 17, 33,
   * 65 s, ETIMEDOUT at ~129 s (+ timer-wheel slack). With linear 0: 0, 1, 3, 7, 15, 31, 63, fail at 127.
   */
  private synTimeout(c: TcpConn): void {
    const now = this.world.sim.now;
    if (now - c.synStart >= modelTimeout(this.synRetries, TCP_TIMEOUT_INIT_NS)) {
      const err = c.softErr !== 0 ? c.softErr : Errno.ETIMEDOUT;
      this.fail(c, err, c.softErr !== 0 ? c.softType : -1, c.softErr !== 0 ? c.softCode : -1, c.softOffender);
      return;
    }
    c.retransmits++;
    c.synRetransmitted = true;
    c.rttTime = -1;
    this.stats.retransSegs++;
    c.retransmittedSegments++;
    this.sendSyn(c, false);
    if (c.retransmits >= this.synLinearTimeouts - 1) c.rto = Math.min(c.rto * 2, TCP_RTO_MAX_NS);
    this.armRtx(c, c.rto);
  }

  /** SYN-RECV: SYN-ACK again after 1, 2, 4 … s (`reqsk_timer_handler`); the request dies after the last. */
  private synackTimeout(c: TcpConn): void {
    if (c.retransmits >= this.synackRetries) {
      this.destroy(c);
      return;
    }
    c.retransmits++;
    c.synRetransmitted = true;
    c.rttTime = -1;
    this.stats.retransSegs++;
    c.retransmittedSegments++;
    this.sendSyn(c, true);
    c.rto = Math.min(c.rto * 2, TCP_RTO_MAX_NS);
    this.armRtx(c, c.rto);
  }

  /** RTO in a synchronized state (RFC 6298 §5.4–5.7, RFC 5681 §3.1 eq. 4): back off, go back N. */
  private retransmitTimeout(c: TcpConn): void {
    if (c.sndUna === c.sndMax) return;
    if (c.retransmits >= this.retries2) {
      const err = c.softErr !== 0 ? c.softErr : Errno.ETIMEDOUT;
      this.fail(c, err, c.softErr !== 0 ? c.softType : -1, c.softErr !== 0 ? c.softCode : -1, c.softOffender);
      return;
    }
    c.retransmits++;
    const flight = seqDiff(c.sndMax, c.sndUna);
    c.ssthresh = Math.max(flight >>> 1, 2 * c.mss);
    c.cwnd = c.mss;
    c.dupAcks = 0;
    c.rttTime = -1;
    c.sndNxt = c.sndUna;
    c.rto = Math.min(c.rto * 2, TCP_RTO_MAX_NS);
    this.retransmitHead(c);
    this.armRtx(c, c.rto);
  }

  /** Retransmits the first unacknowledged segment (data, or a lone FIN). */
  private retransmitHead(c: TcpConn): void {
    const dataLeft = c.bufLen;
    let len = Math.min(dataLeft, c.mss);
    let flags = TcpFlag.ACK;
    if (len === dataLeft && c.finQueued) flags |= TcpFlag.FIN;
    if (len === dataLeft && len > 0) flags |= TcpFlag.PSH;
    if (len < 0) len = 0;
    const seq = c.sndUna;
    this.xmit(c, flags, seq, 0, len);
    c.retransmittedSegments++;
    this.stats.retransSegs++;
    const end = seqAdd(seq, len + ((flags & TcpFlag.FIN) !== 0 ? 1 : 0));
    if (after(end, c.sndNxt)) c.sndNxt = end;
  }

  // ==== teardown ===================================================================================

  /** Reports a failure to the application and removes the connection (`tcp_done`). */
  private fail(c: TcpConn, errno: number, type: number, code: number, offender: number): void {
    const h = c.handler;
    this.destroy(c);
    h?.onError?.(c, errno, type, code, offender);
  }

  /** Removes the connection from the table; cancels its timers. */
  private destroy(c: TcpConn): void {
    if (this.conns[c.idx] !== c) return;
    if (c.listener !== null && c.state === TcpState.SynRecv) c.listener.pending--;
    c.state = TcpState.Closed;
    this.stopRtx(c);
    this.cancelTimer(c.idx * 2 + TIMER_DELACK);
    this.unhash(c);
    this.conns[c.idx] = null;
    this.freeIdx.push(c.idx);
    c.handler?.onRelease?.(c);
  }

  private enterTimeWait(c: TcpConn): void {
    c.state = TcpState.TimeWait;
    this.armRtx(c, TCP_TIMEWAIT_NS);
  }

  // ==== input ======================================================================================

  /** `tcp_v4_rcv`: `h` starts at the IPv4 header (trimmed to Total Length); we own it. */
  receive(h: number, dev: Device, l4Off: number, broadcast: boolean): void {
    const w = this.world;
    const pool = w.pool;
    const u8 = pool.bytesOf(h);
    const ipOff = pool.start[h]!;
    const end = ipOff + pool.len[h]!;
    this.stats.inSegs++;
    if (broadcast) {
      // tcp_v4_rcv: `if (skb->pkt_type != PACKET_HOST) goto discard_it`.
      w.drop(h, Drop.NotDeliverable, dev.id);
      return;
    }
    const bad = checkTcp(u8, l4Off, end);
    if (bad !== TcpBad.None && bad !== TcpBad.BadOptionLength) {
      w.drop(h, Drop.L4Malformed, dev.id);
      return;
    }
    const src = rd32(u8, ipOff + 12);
    const dst = rd32(u8, ipOff + 16);
    if (!tcpChecksumVerifies(u8, l4Off, end - l4Off, src, dst)) {
      w.drop(h, Drop.L4Malformed, dev.id);
      return;
    }
    const sport = rd16(u8, l4Off);
    const dport = rd16(u8, l4Off + 2);
    let c = this.find(dst, dport, src, sport);
    const flags = u8[l4Off + 13]!;
    if (
      c !== null &&
      c.state === TcpState.TimeWait &&
      (flags & (TcpFlag.SYN | TcpFlag.ACK | TcpFlag.RST)) === TcpFlag.SYN
    ) {
      // tcp_timewait_state_process: a new SYN beyond the old rcv_nxt reopens the pair (TCP_TW_SYN).
      if (after(rd32(u8, l4Off + 4), c.rcvNxt)) {
        this.destroy(c);
        c = null;
      }
    }
    if (pool.traceId[h]! >= 0)
      explainTcpLookup(w, h, dev.id, dport, c !== null, this.findListener(dst, dport) !== null);
    if (c !== null) {
      this.segment(c, h, dev, u8, l4Off, end);
      return;
    }
    const l = this.findListener(dst, dport);
    if (l !== null) {
      this.listenSegment(l, h, dev, u8, l4Off, end, src, sport, dst, dport, flags);
      return;
    }
    // No socket: reset (unless the segment is a reset) and drop.
    this.sendResetFor(h, u8, l4Off, end);
    w.drop(h, Drop.NoSocket, dev.id);
  }

  /**
   * `tcp_v4_send_reset` for the segment at `l4Off`: seq = its ACK when it had one; otherwise seq 0 and
   * ACK = seq + length (+1 per SYN/FIN), flags RST|ACK. TTL from ip_default_ttl, DF set, ID 0.
   */
  private sendResetFor(hIn: number, u8: Uint8Array, l4Off: number, end: number): void {
    const flags = u8[l4Off + 13]!;
    if ((flags & TcpFlag.RST) !== 0) return;
    const w = this.world;
    const pool = w.pool;
    const ipOff = pool.start[hIn]!;
    const src = rd32(u8, ipOff + 12);
    const dst = rd32(u8, ipOff + 16);
    const sport = rd16(u8, l4Off);
    const dport = rd16(u8, l4Off + 2);
    const seq = rd32(u8, l4Off + 4);
    const ackIn = rd32(u8, l4Off + 8);
    const hl = (u8[l4Off + 12]! >>> 4) * 4;
    const dataLen = end - l4Off - hl;
    const h = w.newFrame();
    pool.setLength(h, IPV4_HLEN + TCP_MIN_HEADER_LEN);
    const b = pool.bytesOf(h);
    const o = pool.start[h]!;
    writeIpv4Header(b, o, IPV4_HLEN + TCP_MIN_HEADER_LEN, 0, 0, true, this.defaultTtl, IPPROTO_TCP, dst, src);
    const t = o + IPV4_HLEN;
    wr16(b, t, dport);
    wr16(b, t + 2, sport);
    if ((flags & TcpFlag.ACK) !== 0) {
      wr32(b, t + 4, ackIn);
      wr32(b, t + 8, 0);
      b[t + 13] = TcpFlag.RST;
    } else {
      wr32(b, t + 4, 0);
      const n = dataLen + ((flags & TcpFlag.SYN) !== 0 ? 1 : 0) + ((flags & TcpFlag.FIN) !== 0 ? 1 : 0);
      wr32(b, t + 8, seqAdd(seq, n));
      b[t + 13] = TcpFlag.RST | TcpFlag.ACK;
    }
    b[t + 12] = 5 << 4;
    wr16(b, t + 14, 0);
    wr16(b, t + 16, 0);
    wr16(b, t + 18, 0);
    setTcpChecksum(b, t, TCP_MIN_HEADER_LEN, dst, src);
    this.stats.resetsSent++;
    if (pool.traceId[hIn]! >= 0) traceReply(w, hIn, h, -1, 'TCP RST (no socket for the segment)');
    this.ip.sendLocal(h);
  }

  /** Parses SYN options into the scratch (`tcp_parse_options`); stops at a malformed option. */
  private parseSynOpts(u8: Uint8Array, l4Off: number): SynOpts {
    const o = this.synOpts;
    o.mss = 0;
    o.wscale = -1;
    o.sackOk = false;
    o.tsOk = false;
    const optEnd = l4Off + (u8[l4Off + 12]! >>> 4) * 4;
    let i = l4Off + TCP_MIN_HEADER_LEN;
    while (i < optEnd) {
      const k = u8[i]!;
      if (k === TcpOpt.EOL) break;
      if (k === TcpOpt.NOP) {
        i++;
        continue;
      }
      if (i + 1 >= optEnd) break;
      const len = u8[i + 1]!;
      if (len < 2 || i + len > optEnd) break;
      if (k === TcpOpt.MSS && len === 4) o.mss = rd16(u8, i + 2);
      else if (k === TcpOpt.WINDOW_SCALE && len === 3) o.wscale = Math.min(u8[i + 2]!, 14);
      else if (k === TcpOpt.SACK_PERMITTED && len === 2) o.sackOk = true;
      else if (k === TcpOpt.TIMESTAMP && len === 10) {
        o.tsOk = true;
        o.tsVal = rd32(u8, i + 2);
        o.tsEcr = rd32(u8, i + 6);
      }
      i += len;
    }
    return o;
  }

  /** Timestamp of a non-SYN segment (NOP NOP TS fast path, else a scan); −1 when absent. */
  private segTsVal(u8: Uint8Array, l4Off: number): number {
    const hl = (u8[l4Off + 12]! >>> 4) * 4;
    if (hl < TCP_MIN_HEADER_LEN + 12) return -1;
    const p = l4Off + TCP_MIN_HEADER_LEN;
    if (
      u8[p] === TcpOpt.NOP &&
      u8[p + 1] === TcpOpt.NOP &&
      u8[p + 2] === TcpOpt.TIMESTAMP &&
      u8[p + 3] === 10
    ) {
      return rd32(u8, p + 4);
    }
    return -1;
  }

  /** Applies the peer's SYN options to `c` (`tcp_openreq_init` / `tcp_rcv_synsent_state_process`). */
  private applySynOpts(c: TcpConn, o: SynOpts): void {
    if (!(o.tsOk && c.tsOk)) c.tsOk = false;
    else c.tsRecent = o.tsVal;
    if (!(o.sackOk && c.sackOk)) c.sackOk = false;
    if (o.wscale >= 0 && c.wsOk) c.sndWscale = o.wscale;
    else {
      c.wsOk = false;
      c.sndWscale = 0;
      c.rcvWscale = 0;
    }
    const peerMss = o.mss > 0 ? o.mss : TCP_MSS_DEFAULT;
    c.mss = Math.min(peerMss, c.advMss) - (c.tsOk ? TCPOLEN_TSTAMP_ALIGNED : 0);
    c.cwnd = TCP_INIT_CWND * c.mss;
  }

  /** A segment for a listener: a SYN creates a SYN-RECV child (`tcp_conn_request`). */
  private listenSegment(
    l: TcpListener,
    h: number,
    dev: Device,
    u8: Uint8Array,
    l4Off: number,
    end: number,
    src: number,
    sport: number,
    dst: number,
    dport: number,
    flags: number,
  ): void {
    const w = this.world;
    if ((flags & TcpFlag.RST) !== 0) {
      w.drop(h, Drop.TcpInvalid, dev.id);
      return;
    }
    if ((flags & TcpFlag.ACK) !== 0) {
      // tcp_v4_do_rcv → tcp_rcv_state_process(LISTEN): an ACK for no request → RST.
      this.sendResetFor(h, u8, l4Off, end);
      w.drop(h, Drop.TcpInvalid, dev.id);
      return;
    }
    if ((flags & TcpFlag.SYN) === 0 || (flags & TcpFlag.FIN) !== 0) {
      w.drop(h, Drop.TcpInvalid, dev.id);
      return;
    }
    if (l.pending >= l.backlog) {
      // SYN queue / accept queue full: the SYN is dropped (ListenOverflows).
      w.drop(h, Drop.SocketRcvBuff, dev.id);
      return;
    }
    const out = this.out;
    if (this.ip.routeOutput(src, dst, -1, out) !== 0) {
      w.drop(h, Drop.NoRoute, dev.id);
      return;
    }
    const c = this.newConn();
    c.laddr = dst;
    c.lport = dport;
    c.raddr = src;
    c.rport = sport;
    c.listener = l;
    // The server side of a traced SYN's connection joins its trace (SYN-ACK, data, FIN).
    c.traceId = w.pool.traceId[h]!;
    this.initConn(c, out.mtu);
    c.ipId = this.rng.u32() & 0xffff;
    c.tsOk = this.tsEnabled;
    c.sackOk = this.sackEnabled;
    c.rcvWscale = this.wsEnabled ? this.wscaleFor() : 0;
    c.wsOk = this.wsEnabled;
    const o = this.parseSynOpts(u8, l4Off);
    this.applySynOpts(c, o);
    // The window of a request: from the MSS less the timestamp option when it was negotiated.
    c.rcvWnd = this.initialWindow(c.advMss - (c.tsOk ? TCPOLEN_TSTAMP_ALIGNED : 0));
    c.irs = rd32(u8, l4Off + 4);
    c.rcvNxt = seqAdd(c.irs, 1);
    c.sndWnd = rd16(u8, l4Off + 14); // never scaled in a SYN
    c.sndWl1 = c.irs;
    c.sndWl2 = c.iss;
    c.state = TcpState.SynRecv;
    c.sndUna = c.iss;
    c.sndNxt = seqAdd(c.iss, 1);
    c.sndMax = c.sndNxt;
    l.pending++;
    this.insert(c);
    this.sendSyn(c, true);
    c.rttSeq = c.iss;
    c.rttTime = w.sim.now;
    this.armRtx(c, TCP_TIMEOUT_INIT_NS);
    w.consume(h);
  }

  /** `tcp_rcv_state_process` for a connection's segment. */
  private segment(c: TcpConn, h: number, dev: Device, u8: Uint8Array, l4Off: number, end: number): void {
    const w = this.world;
    const flags = u8[l4Off + 13]!;
    const seq = rd32(u8, l4Off + 4);
    const ack = rd32(u8, l4Off + 8);
    const hl = (u8[l4Off + 12]! >>> 4) * 4;
    let dataOff = l4Off + hl;
    let dataLen = end - dataOff;
    const isRst = (flags & TcpFlag.RST) !== 0;
    const isSyn = (flags & TcpFlag.SYN) !== 0;
    const isAck = (flags & TcpFlag.ACK) !== 0;
    let isFin = (flags & TcpFlag.FIN) !== 0;

    if (c.state === TcpState.SynSent) {
      this.synSent(c, h, dev, u8, l4Off, flags, seq, ack);
      return;
    }

    // A retransmitted SYN for a pending passive open: send the SYN-ACK again (`tcp_check_req`).
    if (c.state === TcpState.SynRecv && isSyn && !isAck && !isRst && seq === c.irs) {
      this.sendSyn(c, true);
      w.consume(h);
      return;
    }

    // --- 1. sequence number check (RFC 9293 §3.10.7.4 first) ---
    const segLen = dataLen + (isSyn ? 1 : 0) + (isFin ? 1 : 0);
    const wnd = c.rcvWnd;
    let acceptable: boolean;
    if (segLen === 0) {
      acceptable =
        wnd === 0 ? seq === c.rcvNxt : !before(seq, c.rcvNxt) && before(seq, seqAdd(c.rcvNxt, wnd));
    } else if (wnd === 0) acceptable = false;
    else {
      const last = seqAdd(seq, segLen - 1);
      acceptable =
        (!before(seq, c.rcvNxt) && before(seq, seqAdd(c.rcvNxt, wnd))) ||
        (!before(last, c.rcvNxt) && before(last, seqAdd(c.rcvNxt, wnd)));
    }
    if (!acceptable) {
      // A retransmitted FIN in TIME_WAIT is re-acknowledged and restarts the timer (`tcp_timewait_state_process`).
      if (c.state === TcpState.TimeWait && isFin && !isRst) {
        this.sendAck(c);
        this.enterTimeWait(c);
        w.consume(h);
        return;
      }
      if (!isRst) this.sendAck(c); // `tcp_send_dupack` / RFC 9293: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>
      w.drop(h, Drop.TcpInvalid, dev.id);
      return;
    }

    // --- 2. RST (RFC 9293 §3.10.7.4 second, with RFC 5961 §3.2) ---
    if (isRst) {
      if (seq !== c.rcvNxt) {
        this.sendAck(c); // challenge ACK
        w.drop(h, Drop.TcpInvalid, dev.id);
        return;
      }
      w.consume(h);
      this.resetReceived(c);
      return;
    }

    // --- 4. SYN in a synchronized state: challenge ACK (RFC 5961 §4.2) ---
    if (isSyn) {
      this.sendAck(c);
      w.drop(h, Drop.TcpInvalid, dev.id);
      return;
    }

    // --- 5. ACK ---
    if (!isAck) {
      w.drop(h, Drop.TcpInvalid, dev.id);
      return;
    }
    if (c.state === TcpState.SynRecv) {
      if (before(c.sndUna, ack) && !after(ack, c.sndNxt)) {
        this.establishPassive(c, u8, l4Off, ack);
        if (this.conns[c.idx] !== c) {
          w.consume(h);
          return;
        }
      } else {
        this.sendResetFor(h, u8, l4Off, end);
        w.drop(h, Drop.TcpInvalid, dev.id);
        return;
      }
    } else if (!this.processAck(c, u8, l4Off, seq, ack, dataLen)) {
      w.drop(h, Drop.TcpInvalid, dev.id);
      return;
    }
    if (this.conns[c.idx] !== c) {
      w.consume(h);
      return;
    }
    if (c.state === TcpState.TimeWait) {
      // Only a retransmitted FIN gets a response in TIME_WAIT (handled above when out of window).
      if (isFin) {
        this.sendAck(c);
        this.enterTimeWait(c);
      }
      w.consume(h);
      return;
    }

    // Timestamp: remember the peer's latest TSval for echoing (`tcp_store_ts_recent`, simplified).
    if (c.tsOk) {
      const tv = this.segTsVal(u8, l4Off);
      if (tv >= 0 && !before(seq, c.rcvNxt)) c.tsRecent = tv;
    }

    // --- 7. data ---
    let delivered = 0;
    if (dataLen > 0) {
      const st = c.state;
      if (st !== TcpState.Established && st !== TcpState.FinWait1 && st !== TcpState.FinWait2) {
        // After the peer's FIN no data may follow: ignore it (RFC 9293 §3.10.7.4 seventh).
        dataLen = 0;
        isFin = false;
      } else if (c.appClosed) {
        // `tcp_rcv_state_process`: new data for a socket closed by the application → reset.
        this.xmit(c, TcpFlag.RST | TcpFlag.ACK, c.sndNxt, 0, 0);
        const hd = c.handler;
        this.destroy(c);
        hd?.onError?.(c, Errno.ECONNRESET, -1, -1, 0);
        w.consume(h);
        return;
      } else {
        const skip = seqDiff(c.rcvNxt, seq);
        if (skip < 0) {
          // Out of order: no reassembly queue here; a duplicate ACK asks for the gap.
          this.sendAck(c);
          w.drop(h, Drop.TcpInvalid, dev.id);
          return;
        }
        if (skip > 0) {
          dataOff += skip;
          dataLen -= skip;
        }
        if (dataLen > c.rcvWnd) {
          dataLen = c.rcvWnd;
          isFin = false;
        }
        c.rcvNxt = seqAdd(c.rcvNxt, dataLen);
        c.unackedRcv += dataLen;
        delivered = dataLen;
      }
    } else if (isFin && seq !== c.rcvNxt) {
      isFin = false; // a FIN beyond a gap waits for the data before it
    }

    // --- 8. FIN ---
    let finNow = false;
    if (
      isFin &&
      (c.state === TcpState.Established ||
        c.state === TcpState.FinWait1 ||
        c.state === TcpState.FinWait2 ||
        c.state === TcpState.SynRecv)
    ) {
      c.rcvNxt = seqAdd(c.rcvNxt, 1);
      c.peerFin = true;
      finNow = true;
      switch (c.state) {
        case TcpState.SynRecv:
        case TcpState.Established:
          c.state = TcpState.CloseWait;
          c.pingpong = true; // tcp_fin: inet_csk_enter_pingpong_mode
          c.ackPending = true;
          break;
        case TcpState.FinWait1:
          // Our FIN not yet acknowledged (else processAck moved us to FIN_WAIT_2): simultaneous close.
          c.state = TcpState.Closing;
          c.ackPending = true;
          break;
        case TcpState.FinWait2:
          c.ackPending = true;
          break;
      }
    }

    // ACK decision (`__tcp_ack_snd_check`), before the application runs.
    if (delivered > 0 || finNow) {
      if (c.state === TcpState.FinWait2 && finNow) {
        this.sendAck(c);
        this.enterTimeWait(c);
      } else if (c.state === TcpState.Closing) {
        this.sendAck(c);
      } else if (delivered > 0 && !c.pingpong && c.quick > 0) {
        c.quick--;
        this.sendAck(c);
      } else if (c.unackedRcv > c.mss) {
        this.sendAck(c);
      } else {
        c.ackPending = true;
        this.armDelack(c);
      }
    }

    // The application runs after the softirq: data, then end of stream.
    const hd = c.handler;
    if (delivered > 0) {
      c.bytesReceived += delivered;
      hd?.onData?.(c, u8, dataOff, delivered);
    }
    if (finNow && this.conns[c.idx] === c) hd?.onPeerClosed?.(c);
    w.consume(h);
    if (this.conns[c.idx] === c) this.push(c);
  }

  /** SYN-SENT (`tcp_rcv_synsent_state_process`, RFC 9293 §3.10.7.3). */
  private synSent(
    c: TcpConn,
    h: number,
    dev: Device,
    u8: Uint8Array,
    l4Off: number,
    flags: number,
    seq: number,
    ack: number,
  ): void {
    const w = this.world;
    const pool = w.pool;
    const end = pool.start[h]! + pool.len[h]!;
    const isAck = (flags & TcpFlag.ACK) !== 0;
    if (isAck && (!after(ack, c.iss) || after(ack, c.sndNxt))) {
      if ((flags & TcpFlag.RST) === 0) this.sendResetFor(h, u8, l4Off, end);
      w.drop(h, Drop.TcpInvalid, dev.id);
      return;
    }
    if ((flags & TcpFlag.RST) !== 0) {
      if (isAck) {
        w.consume(h);
        this.fail(c, Errno.ECONNREFUSED, -1, -1, 0);
        return;
      }
      w.drop(h, Drop.TcpInvalid, dev.id);
      return;
    }
    if ((flags & TcpFlag.SYN) === 0) {
      w.drop(h, Drop.TcpInvalid, dev.id);
      return;
    }
    const o = this.parseSynOpts(u8, l4Off);
    this.applySynOpts(c, o);
    c.irs = seq;
    c.rcvNxt = seqAdd(seq, 1);
    c.sndWl1 = seq;
    if (!isAck) {
      // Simultaneous open: SYN-RECEIVED, SYN-ACK with our ISS.
      c.state = TcpState.SynRecv;
      c.sndWnd = rd16(u8, l4Off + 14);
      this.sendSyn(c, true);
      w.consume(h);
      return;
    }
    c.sndUna = ack;
    c.sndWl2 = ack;
    c.sndWnd = rd16(u8, l4Off + 14); // a SYN's window is never scaled
    this.rttSample(c, ack);
    this.afterHandshake(c);
    c.state = TcpState.Established;
    this.stopRtx(c);
    this.sendAck(c);
    w.consume(h);
    c.handler?.onConnected?.(c);
    if (this.conns[c.idx] === c) this.push(c);
  }

  /** RTO after the handshake: from the SYN's RTT sample, else TCP_TIMEOUT_FALLBACK. */
  private afterHandshake(c: TcpConn): void {
    c.retransmits = 0;
    if (c.srtt === 0) c.rto = c.synRetransmitted ? TCP_TIMEOUT_FALLBACK_NS : TCP_TIMEOUT_INIT_NS;
  }

  /** The final ACK of a passive open: ESTABLISHED, and the listener's application accepts. */
  private establishPassive(c: TcpConn, u8: Uint8Array, l4Off: number, ack: number): void {
    const l = c.listener!;
    l.pending--;
    c.listener = null;
    c.sndUna = ack;
    c.sndWnd = rd16(u8, l4Off + 14) << c.sndWscale;
    c.sndWl1 = rd32(u8, l4Off + 4);
    c.sndWl2 = ack;
    this.rttSample(c, ack);
    this.afterHandshake(c);
    c.state = TcpState.Established;
    this.stopRtx(c);
    this.stats.passiveOpens++;
    const handler = l.closed ? null : l.accept(c);
    if (handler === null) {
      this.abort(c);
      return;
    }
    c.handler = handler;
    handler.onConnected?.(c);
  }

  /** RFC 6298 §2 with Linux's floor: RTO = SRTT + max(4·RTTVAR, tcp_rto_min), at most 120 s. */
  private rttSample(c: TcpConn, ack: number): void {
    if (c.rttTime < 0 || before(ack, seqAdd(c.rttSeq, 1))) return;
    const m = this.world.sim.now - c.rttTime;
    c.rttTime = -1;
    this.rttUpdate(c, m);
  }

  /**
   * RTTM with timestamps (RFC 7323 §4, `tcp_ack_update_rtt` with `rcv_tsecr`): an ACK advancing
   * snd_una echoes the TSval of the segment that triggered it, so even ACKs of retransmissions give a
   * sample (milliseconds). This is what resets a backed-off RTO after loss recovery.
   */
  private tsRttSample(c: TcpConn, u8: Uint8Array, l4Off: number): boolean {
    const hl = (u8[l4Off + 12]! >>> 4) * 4;
    if (hl < TCP_MIN_HEADER_LEN + 12) return false;
    const p = l4Off + TCP_MIN_HEADER_LEN;
    if (u8[p] !== TcpOpt.NOP || u8[p + 1] !== TcpOpt.NOP || u8[p + 2] !== TcpOpt.TIMESTAMP) return false;
    const ecr = rd32(u8, p + 8);
    if (ecr === 0) return false;
    const ms = (this.tsNow(c, this.world.sim.now) - ecr) | 0;
    if (ms < 0) return false;
    c.rttTime = -1;
    this.rttUpdate(c, ms * MS);
    return true;
  }

  private rttUpdate(c: TcpConn, m: number): void {
    if (c.srtt === 0) {
      c.srtt = m > 0 ? m : 1;
      c.rttvar = m / 2;
    } else {
      const d = Math.abs(c.srtt - m);
      c.rttvar = 0.75 * c.rttvar + 0.25 * d;
      c.srtt = 0.875 * c.srtt + 0.125 * m;
    }
    const v = Math.max(4 * c.rttvar, this.rtoMinNs);
    c.rto = Math.min(Math.round(c.srtt + v), TCP_RTO_MAX_NS);
  }

  /**
   * ACK processing in a synchronized state (RFC 9293 §3.10.7.4 fifth, `tcp_ack`). Returns false when
   * the segment must be dropped (an ACK for data not yet sent, after acknowledging it).
   */
  private processAck(
    c: TcpConn,
    u8: Uint8Array,
    l4Off: number,
    seq: number,
    ack: number,
    dataLen: number,
  ): boolean {
    if (after(ack, c.sndMax)) {
      this.sendAck(c);
      return false;
    }
    const win = rd16(u8, l4Off + 14) << c.sndWscale;
    if (after(ack, c.sndUna)) {
      const acked = seqDiff(ack, c.sndUna);
      // Bytes of data acknowledged (a FIN occupies one sequence number past the data).
      let dataAcked = Math.min(acked, c.bufLen);
      if (dataAcked < 0) dataAcked = 0;
      c.bufHead = (c.bufHead + dataAcked) & (c.buf.length - 1);
      c.bufLen -= dataAcked;
      c.sndUna = ack;
      if (before(c.sndNxt, ack)) c.sndNxt = ack;
      if (!(c.tsOk && this.tsRttSample(c, u8, l4Off))) this.rttSample(c, ack);
      c.retransmits = 0;
      c.dupAcks = 0;
      // RFC 5681 §3.1: slow start, then congestion avoidance.
      if (c.cwnd < c.ssthresh) c.cwnd += Math.min(dataAcked, c.mss);
      else c.cwnd += Math.max(1, Math.floor((c.mss * c.mss) / c.cwnd));
      if (c.sndUna === c.sndMax) this.stopRtx(c);
      else this.armRtx(c, c.rto);
      const finAcked = c.finQueued && c.bufLen === 0 && c.sndUna === c.sndMax && acked > dataAcked;
      if (finAcked) {
        switch (c.state) {
          case TcpState.FinWait1:
            c.state = TcpState.FinWait2;
            // An orphan does not wait forever for the peer's FIN (tcp_fin_timeout).
            if (c.appClosed) this.armRtx(c, this.finTimeoutNs);
            break;
          case TcpState.Closing:
            this.enterTimeWait(c);
            break;
          case TcpState.LastAck:
            this.destroy(c);
            return true;
        }
      }
    } else if (ack === c.sndUna && dataLen === 0 && c.sndUna !== c.sndMax && win === c.sndWnd) {
      // Duplicate ACK (RFC 5681 §3.2): the third triggers a fast retransmit.
      c.dupAcks++;
      if (c.dupAcks === 3) {
        const flight = seqDiff(c.sndMax, c.sndUna);
        c.ssthresh = Math.max(flight >>> 1, 2 * c.mss);
        c.cwnd = c.ssthresh;
        c.rttTime = -1;
        this.retransmitHead(c);
      }
    }
    // Window update (RFC 9293 §3.10.7.4: SND.WL1 < SEG.SEQ or (= and SND.WL2 <= SEG.ACK)).
    if (before(c.sndWl1, seq) || (c.sndWl1 === seq && !before(ack, c.sndWl2))) {
      c.sndWnd = win;
      c.sndWl1 = seq;
      c.sndWl2 = ack;
    }
    return true;
  }

  /** A valid RST (`tcp_reset`): the error depends on the state. */
  private resetReceived(c: TcpConn): void {
    switch (c.state) {
      case TcpState.SynRecv:
        // Passive open: back to LISTEN (the request simply goes away).
        this.destroy(c);
        return;
      case TcpState.CloseWait:
        this.fail(c, Errno.EPIPE, -1, -1, 0);
        return;
      case TcpState.Closing:
      case TcpState.LastAck:
      case TcpState.TimeWait:
        this.destroy(c);
        return;
      default:
        if (c.appClosed) this.destroy(c);
        else this.fail(c, Errno.ECONNRESET, -1, -1, 0);
    }
  }

  /**
   * `tcp_v4_err`: an ICMP error quoting one of our segments. Frag-needed is a PMTU update (not
   * modelled: ignored). In SYN-SENT/SYN-RECV any reportable error fails the connection at once;
   * otherwise it is remembered as the soft error reported if the connection later times out.
   */
  error(h: number, qOff: number, qEnd: number, type: number, code: number, _info: number): void {
    const pool = this.world.pool;
    const u8 = pool.bytesOf(h);
    const qhl = (u8[qOff]! & 0x0f) << 2;
    if (qEnd - qOff < qhl + 8) return;
    const qsrc = rd32(u8, qOff + 12);
    const qdst = rd32(u8, qOff + 16);
    const qsport = rd16(u8, qOff + qhl);
    const qdport = rd16(u8, qOff + qhl + 2);
    const qseq = rd32(u8, qOff + qhl + 4);
    const c = this.find(qsrc, qsport, qdst, qdport);
    if (c === null || c.state === TcpState.TimeWait) return;
    // Only errors about a sequence number in [snd_una, snd_nxt] count (`tcp_v4_err` "out of window").
    if (before(qseq, c.sndUna) || after(qseq, c.sndMax)) return;
    if (type === 3 && code === 4) return;
    if (type !== 3 && type !== 11 && type !== 12) return;
    const e = icmpToErrno(type, code);
    if (e === 0) return;
    const offender = rd32(u8, pool.start[h]! + 12);
    if (c.state === TcpState.SynSent || c.state === TcpState.SynRecv) {
      if (c.state === TcpState.SynRecv && c.listener !== null) {
        // `tcp_req_err`: a request socket is dropped on a hard error, kept on a soft one.
        if ((e & 0x100) !== 0) this.destroy(c);
        return;
      }
      this.fail(c, e & 0xff, type, code, offender);
      return;
    }
    c.softErr = e & 0xff;
    c.softType = type;
    c.softCode = code;
    c.softOffender = offender;
  }
}
