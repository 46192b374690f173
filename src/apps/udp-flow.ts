// `udp-flow`: a constant-rate UDP sender and a counting sink, for throughput benchmarks.
//
// The per-packet path allocates nothing: one payload template is built at construction; each packet
// is one `UdpSocket.sendTo` (a frame from the pool, headers written in place, payload copied from the
// template) driven by one app-timer event (kind, target, arg: numbers). Send times are computed from the
// start time and the packet number (start + round(n · 1e9 / pps)), so they do not drift.
//
// Rate: `ratePps` packets per second, or `rateBps` bits per second counted over the IP packet
// (payload + 8 UDP + 20 IP bytes), as iperf's UDP `-b` counts datagrams (close enough for benchmarks).

import type { Namespace } from '../net/namespace.js';
import { transportOf } from '../net/transport/transport.js';
import type { UdpHandler, UdpSocket } from '../net/transport/udp.js';
import type { World } from '../net/world.js';
import { AppTimer, type TimerTarget } from './timers.js';

export interface UdpFlowOptions {
  dstAddr: number;
  port: number;
  /** Source port; 0/absent = ephemeral. */
  sport?: number;
  /** UDP payload bytes per datagram. */
  size: number;
  ratePps?: number;
  rateBps?: number;
  durationNs: number;
  ttl?: number;
}

export class UdpFlow implements TimerTarget {
  private readonly timer: AppTimer;
  private readonly payload: Uint8Array;
  private readonly pps: number;
  private sock: UdpSocket | null = null;
  private startNs = 0;
  private n = 0;
  private total = 0;
  /** Datagrams handed to the stack, and those refused locally (no route, …). */
  sent = 0;
  sendErrors = 0;

  constructor(
    private readonly world: World,
    private readonly ns: Namespace,
    private readonly opts: UdpFlowOptions,
  ) {
    this.timer = new AppTimer(world, this);
    this.payload = new Uint8Array(opts.size);
    for (let i = 0; i < opts.size; i++) this.payload[i] = i & 0xff;
    const pps = opts.ratePps ?? (opts.rateBps !== undefined ? opts.rateBps / ((opts.size + 28) * 8) : 0);
    if (!(pps > 0)) throw new RangeError('udp-flow: ratePps or rateBps must be > 0');
    this.pps = pps;
  }

  start(): void {
    const s = transportOf(this.ns).udp.open({ onDatagram() {} }, { ttl: this.opts.ttl ?? 0 });
    const e = s.bind(0, this.opts.sport ?? 0);
    if (e !== 0) throw new Error(`udp-flow: bind failed (errno ${e})`);
    this.sock = s;
    this.startNs = this.world.sim.now;
    this.total = Math.floor((this.opts.durationNs * this.pps) / 1e9);
    this.n = 0;
    if (this.total > 0) this.timer.at(this.startNs, 0);
  }

  onTimer(): void {
    const s = this.sock!;
    const p = this.payload;
    if (s.sendTo(this.opts.dstAddr, this.opts.port, p, 0, p.length) === 0) this.sent++;
    else this.sendErrors++;
    this.n++;
    if (this.n < this.total) this.timer.at(this.startNs + Math.round((this.n * 1e9) / this.pps), 0);
    else s.close();
  }
}

/** Counts what arrives on a port (`iperf -s -u` without the reports). */
export class UdpSink implements UdpHandler {
  packets = 0;
  bytes = 0;
  firstNs = -1;
  lastNs = -1;
  private sock: UdpSocket | null = null;

  constructor(
    private readonly world: World,
    private readonly ns: Namespace,
    private readonly port: number,
  ) {}

  start(): void {
    const s = transportOf(this.ns).udp.open(this);
    const e = s.bind(0, this.port);
    if (e !== 0) throw new Error(`udp sink: bind failed (errno ${e})`);
    this.sock = s;
  }

  onDatagram(
    _s: UdpSocket,
    _src: number,
    _sport: number,
    _dst: number,
    _u8: Uint8Array,
    _off: number,
    len: number,
  ): void {
    const now = this.world.sim.now;
    if (this.firstNs < 0) this.firstNs = now;
    this.lastNs = now;
    this.packets++;
    this.bytes += len;
  }

  /** Payload throughput in bits per second between the first and the last datagram. */
  get goodputBps(): number {
    const span = this.lastNs - this.firstNs;
    return span > 0 ? ((this.bytes - this.bytes / Math.max(1, this.packets)) * 8 * 1e9) / span : 0;
  }

  close(): void {
    this.sock?.close();
  }
}
