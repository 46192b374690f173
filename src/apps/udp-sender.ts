// `udp` probe: sends `count` datagrams (default one) from an optional fixed source port, with
// IP_RECVERR on like the kernel fixtures' recorder (test/fixtures/kernel/record.py `probe_udp`), and
// waits `timeoutNs` after the last one for a reply or an error from the socket's error queue.
//
// Observation: transmitted, received, delivered (the server application got the datagram: a reply came
// or a server sighting carries our payload), replied, reply (text), replyFrom (`addr:port`), replyTtl,
// serverSaw ({src, dst} parsed from an echo-peer reply), errors [{type, code, from}], error (null,
// the ICMP error's name, a send error's name, or 'timeout'), and the recorder's fields: outcome
// (reply | icmp-error | send-error | timeout), errno, origin, type, code, offender, mtu, local.

import { errnoErrorName, errnoName, icmpErrorName } from '../net/transport/ip-api.js';
import { ensureTransports, transportOf } from '../net/transport/transport.js';
import type { UdpHandler, UdpSocket } from '../net/transport/udp.js';
import type { World } from '../net/world.js';
import {
  type App,
  type AppContext,
  type IcmpErrorObservation,
  type Observation,
  parseEchoPeerReply,
  type UdpOptions,
} from '../scenario/app-registry.js';
import type { ProbeErrorName } from '../scenario/types.js';
import { ipv4ToString } from '../wire/ipv4-address.js';
import { AppTimer, type TimerTarget } from './timers.js';

const decoder = new TextDecoder('utf-8', { fatal: false });
const encoder = new TextEncoder();
const TIMER_SEND = 0;
const TIMER_END = 1;

export class UdpProbe implements App, UdpHandler, TimerTarget {
  private readonly world: World;
  private readonly timer: AppTimer;
  private sock: UdpSocket | null = null;
  private readonly payload: Uint8Array;
  private sent = 0;
  private transmitted = 0;
  private received = 0;
  private reply: string | null = null;
  private replyFrom: string | null = null;
  private replyTtl: number | null = null;
  private readonly errors: IcmpErrorObservation[] = [];
  private error: ProbeErrorName | null = null;
  private outcome: 'pending' | 'reply' | 'icmp-error' | 'send-error' | 'timeout' = 'pending';
  private detail: Record<string, unknown> = {};
  private startNs = 0;
  private finished = false;
  private local: string | null = null;

  constructor(
    private readonly ctx: AppContext,
    private readonly opts: UdpOptions,
  ) {
    this.world = ctx.world;
    this.timer = new AppTimer(ctx.world, this);
    this.payload = encoder.encode(opts.payload);
  }

  start(): void {
    ensureTransports(this.ctx.world);
    this.startNs = this.world.sim.now;
    const s = transportOf(this.ctx.ns).udp.open(this, { recvErr: true, ttl: this.opts.ttl ?? 0 });
    this.sock = s;
    const e = s.bind(0, this.opts.sport ?? 0);
    if (e !== 0) {
      this.sendFailed(e);
      this.finish();
      return;
    }
    this.sendOne();
  }

  private sendFailed(errno: number): void {
    this.outcome = 'send-error';
    this.error = errnoErrorName(errno) as ProbeErrorName;
    this.detail = { errno: errnoName(errno) };
  }

  private sendOne(): void {
    if (this.finished || this.sock === null) return;
    this.sent++;
    this.sock.traceId = this.ctx.openTrace?.(`${this.ctx.name} #${this.sent}`) ?? -1;
    const e = this.sock.sendTo(this.opts.dstAddr, this.opts.port, this.payload, 0, this.payload.length);
    if (e !== 0) {
      this.sendFailed(e);
      if (this.sent >= this.opts.count) this.finish();
      else this.timer.after(this.opts.intervalNs, TIMER_SEND);
      return;
    }
    this.transmitted++;
    this.local ??= `${ipv4ToString(this.sock.laddr !== 0 ? this.sock.laddr : 0)}:${this.sock.lport}`;
    if (this.sent < this.opts.count) this.timer.after(this.opts.intervalNs, TIMER_SEND);
    else this.timer.after(this.opts.timeoutNs, TIMER_END);
  }

  onTimer(arg: number): void {
    if (arg === TIMER_SEND) this.sendOne();
    else this.finish();
  }

  onDatagram(
    _s: UdpSocket,
    src: number,
    sport: number,
    _dst: number,
    u8: Uint8Array,
    off: number,
    len: number,
    ttl: number,
  ): void {
    if (this.finished) return;
    this.received++;
    if (this.reply === null) {
      this.reply = decoder.decode(u8.subarray(off, off + len));
      this.replyFrom = `${ipv4ToString(src)}:${sport}`;
      this.replyTtl = ttl;
      if (this.outcome === 'pending') this.outcome = 'reply';
    }
    if (this.sent >= this.opts.count && this.received >= this.opts.count) this.finish();
  }

  onError(_s: UdpSocket, errno: number, type: number, code: number, info: number, offender: number): void {
    if (this.finished) return;
    const from = ipv4ToString(offender);
    this.errors.push({ type, code, from });
    if (this.outcome === 'pending') {
      this.outcome = 'icmp-error';
      this.error = icmpErrorName(type, code) as ProbeErrorName;
      this.detail = {
        errno: errnoName(errno),
        origin: 'icmp',
        type,
        code,
        offender: from,
        ...(type === 3 && code === 4 ? { mtu: info } : {}),
        errorAfterMs: (this.world.sim.now - this.startNs) / 1e6,
      };
    }
    if (this.sent >= this.opts.count) this.finish();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.outcome === 'pending') {
      this.outcome = 'timeout';
      this.error = 'timeout';
    }
    this.sock?.close();
    this.ctx.done();
  }

  observe(): Observation {
    const serverSaw = this.reply !== null ? parseEchoPeerReply(this.reply) : null;
    const text = this.opts.payload;
    const sighted = this.ctx.sightings.some(
      (s) => s.proto === 'udp' && s.payload === text && s.atNs >= this.startNs,
    );
    return {
      kind: 'udp',
      outcome: this.outcome === 'pending' ? 'timeout' : this.outcome,
      transmitted: this.transmitted,
      received: this.received,
      delivered: this.received > 0 || sighted,
      replied: this.reply !== null,
      reply: this.reply,
      replyFrom: this.replyFrom,
      replyTtl: this.replyTtl,
      serverSaw,
      errors: [...this.errors],
      error: this.error,
      local: this.local,
      ...this.detail,
    };
  }
}
