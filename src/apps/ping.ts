// `ping` as iputils ping uses it on Linux: an ICMP datagram ("ping") socket (net/ipv4/ping.c) that
// sends echo requests with its identifier and gets back the echo replies and the ICMP errors quoting
// its requests (IP_RECVERR is on in iputils).
//
// Requests: `count` of them, `intervalNs` apart (seq 1, 2, …), `size` data bytes filled with i & 0xff
// (like the kernel fixtures' recorder; iputils puts a timestamp first), TTL from the option or
// net.ipv4.ip_default_ttl, DF set by default (IP_PMTUDISC_WANT sets DF on a packet that fits; `-M do`
// = `df: true` always, `df: false` = `-M dont`). Identification 0 (DF, unconnected socket:
// `ip_select_ident`). The probe waits `timeoutNs` after the last request, or stops early once every
// request has an answer.
//
// Observation (JSON): transmitted, received, loss (0..1), duplicates, rttsNs (per reply, in order),
// replyFrom/replyTtl (first reply), errors [{type, code, from}] (ICMP errors, one per request), error
// (null, the first ICMP error's name, a send error's name, or 'timeout' when nothing came back), and
// `seqs` per request as the kernel fixtures record them ({seq, sentAtMs, outcome: reply | icmp-error
// | send-error | timeout, …}).

import type { PingSocket } from '../net/ipv4/stack.js';
import { stackOf } from '../net/ipv4/stack.js';
import type { Namespace } from '../net/namespace.js';
import { errnoErrorName, errnoName, icmpErrorName } from '../net/transport/ip-api.js';
import { ensureTransports } from '../net/transport/transport.js';
import { writeIpv4Header } from '../net/transport/udp.js';
import type { World } from '../net/world.js';
import type {
  App,
  AppContext,
  IcmpErrorObservation,
  Observation,
  PingOptions,
} from '../scenario/app-registry.js';
import type { ProbeErrorName } from '../scenario/types.js';
import { traceSent } from '../trace/points.js';
import { rd16, rd32, wr16 } from '../wire/bytes.js';
import { csumFull } from '../wire/checksum.js';
import { ipv4ToString } from '../wire/ipv4-address.js';
import { AppTimer, type TimerTarget } from './timers.js';

/** Extra ping options the scenario format may grow (`-M do`, a fixed identifier). */
export interface PingExtraOptions {
  /** true = IP_PMTUDISC_DO, false = DONT, absent = WANT (DF when the packet fits). */
  df?: boolean;
  /** Echo identifier; default drawn from the app's random stream. */
  ident?: number;
}

interface SeqRecord {
  seq: number;
  sentAtNs: number;
  outcome: 'pending' | 'reply' | 'icmp-error' | 'send-error' | 'timeout';
  from?: string;
  ttl?: number;
  len?: number;
  rttNs?: number;
  type?: number;
  code?: number;
  mtu?: number;
  errno?: string;
  errorAfterNs?: number;
}

const TIMER_SEND = 0;
const TIMER_END = 1;
const ICMP_ECHO = 8;

/** Echo identifiers in use per namespace (a ping socket's "port"). */
const identsInUse = new WeakMap<Namespace, Set<number>>();

export class PingProbe implements App, TimerTarget, PingSocket {
  private readonly world: World;
  private readonly timer: AppTimer;
  private readonly seqs: SeqRecord[] = [];
  private readonly rtts: number[] = [];
  private readonly errors: IcmpErrorObservation[] = [];
  private ident = 0;
  private sent = 0;
  private received = 0;
  private duplicates = 0;
  private replyFrom: string | null = null;
  private replyTtl: number | null = null;
  private firstError: ProbeErrorName | null = null;
  private finished = false;
  private startNs = 0;

  constructor(
    private readonly ctx: AppContext,
    private readonly opts: PingOptions & PingExtraOptions,
  ) {
    this.world = ctx.world;
    this.timer = new AppTimer(ctx.world, this);
  }

  start(): void {
    ensureTransports(this.ctx.world);
    const used = identsInUse.get(this.ctx.ns) ?? new Set<number>();
    identsInUse.set(this.ctx.ns, used);
    let id = this.opts.ident ?? this.ctx.rng.u32() & 0xffff;
    while (used.has(id)) id = (id + 1) & 0xffff;
    used.add(id);
    this.ident = id;
    stackOf(this.ctx.ns).registerPingSocket(id, this);
    this.startNs = this.world.sim.now;
    this.sendOne();
  }

  onTimer(arg: number): void {
    if (arg === TIMER_SEND) this.sendOne();
    else if (arg === TIMER_END) this.finish();
  }

  private sendOne(): void {
    if (this.finished) return;
    const seq = this.sent + 1;
    const rec: SeqRecord = { seq, sentAtNs: this.world.sim.now - this.startNs, outcome: 'pending' };
    this.seqs.push(rec);
    this.sent++;
    const err = this.transmit(seq);
    if (err !== 0) {
      rec.outcome = 'send-error';
      rec.errno = errnoName(-err);
      this.firstError ??= errnoErrorName(-err) as ProbeErrorName;
    }
    if (this.sent < this.opts.count) this.timer.after(this.opts.intervalNs, TIMER_SEND);
    else this.timer.after(this.opts.timeoutNs, TIMER_END);
    this.maybeDone();
  }

  /** Builds the echo request and hands it to the stack; returns 0 or a negative errno. */
  private transmit(seq: number): number {
    const w = this.world;
    const pool = w.pool;
    const size = this.opts.size;
    const total = 20 + 8 + size;
    const h = w.newFrameFor(total);
    if (!pool.setLength(h, total)) {
      w.consume(h);
      return -90; // EMSGSIZE: above 65535 bytes
    }
    const b = pool.bytesOf(h);
    const o = pool.start[h]!;
    const ttl = this.opts.ttl ?? this.ctx.ns.sysctl.getInt('net.ipv4.ip_default_ttl');
    // DF: `-M do` always; WANT when the packet fits the route MTU (else the stack fragments).
    let df = this.opts.df ?? true;
    // inet_create: a socket starts with IP_PMTUDISC_DONT when net.ipv4.ip_no_pmtu_disc is set.
    if (this.opts.df === undefined && stackOf(this.ctx.ns).noPmtuDisc !== 0) df = false;
    else if (this.opts.df === undefined) {
      const out = { routeId: -1, type: 0, devId: -1, src: 0, nexthop: 0, mtu: 0 };
      if (stackOf(this.ctx.ns).routeOutput(this.opts.dstAddr, 0, -1, out) === 0) df = total <= out.mtu;
    }
    writeIpv4Header(b, o, total, 0, 0, df, ttl, 1, 0, this.opts.dstAddr);
    const i = o + 20;
    b[i] = ICMP_ECHO;
    b[i + 1] = 0;
    wr16(b, i + 2, 0);
    wr16(b, i + 4, this.ident);
    wr16(b, i + 6, seq);
    for (let k = 0; k < size; k++) b[i + 8 + k] = k & 0xff;
    wr16(b, i + 2, csumFull(b, i, 8 + size));
    const t = this.ctx.openTrace?.(`${this.ctx.name} #${seq}`) ?? -1;
    if (t >= 0) traceSent(w, t, h, -1, `ping ${this.ctx.name}`);
    return stackOf(this.ctx.ns).sendLocal(h);
  }

  /** PingSocket: an echo reply with our identifier (we own `h`). */
  echoReply(h: number, icmpOff: number): void {
    const w = this.world;
    const pool = w.pool;
    const u8 = pool.bytesOf(h);
    const ipOff = pool.start[h]!;
    const seq = rd16(u8, icmpOff + 6);
    const rec = this.seqs[seq - 1];
    if (rec === undefined || this.finished) {
      w.consume(h);
      return;
    }
    if (rec.outcome === 'reply') {
      this.duplicates++;
      w.consume(h);
      return;
    }
    const now = w.sim.now;
    const from = ipv4ToString(rd32(u8, ipOff + 12));
    const ttl = u8[ipOff + 8]!;
    rec.outcome = 'reply';
    rec.from = from;
    rec.ttl = ttl;
    rec.len = ipOff + pool.len[h]! - icmpOff - 8;
    rec.rttNs = now - this.startNs - rec.sentAtNs;
    this.rtts.push(rec.rttNs);
    this.received++;
    this.replyFrom ??= from;
    this.replyTtl ??= ttl;
    w.consume(h);
    this.maybeDone();
  }

  /** PingSocket: an ICMP error quoting one of our requests (`h` stays the stack's). */
  error(h: number, quoteOff: number, _quoteEnd: number, type: number, code: number, info: number): void {
    if (this.finished) return;
    const pool = this.world.pool;
    const u8 = pool.bytesOf(h);
    const qhl = (u8[quoteOff]! & 0x0f) << 2;
    const seq = rd16(u8, quoteOff + qhl + 6);
    const rec = this.seqs[seq - 1];
    if (rec === undefined || rec.outcome !== 'pending') return;
    const from = ipv4ToString(rd32(u8, pool.start[h]! + 12));
    rec.outcome = 'icmp-error';
    rec.from = from;
    rec.type = type;
    rec.code = code;
    if (type === 3 && code === 4) rec.mtu = info;
    rec.errorAfterNs = this.world.sim.now - this.startNs - rec.sentAtNs;
    this.errors.push({ type, code, from });
    this.firstError ??= icmpErrorName(type, code) as ProbeErrorName;
    this.maybeDone();
  }

  private maybeDone(): void {
    if (this.sent < this.opts.count) return;
    for (const r of this.seqs) if (r.outcome === 'pending') return;
    this.finish();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    for (const r of this.seqs) if (r.outcome === 'pending') r.outcome = 'timeout';
    stackOf(this.ctx.ns).unregisterPingSocket(this.ident);
    identsInUse.get(this.ctx.ns)?.delete(this.ident);
    this.ctx.done();
  }

  observe(): Observation {
    const transmitted = this.seqs.filter((r) => r.outcome !== 'send-error').length;
    let error = this.firstError;
    if (error === null && this.received === 0) error = 'timeout';
    return {
      kind: 'ping',
      id: this.ident,
      transmitted,
      received: this.received,
      loss: transmitted === 0 ? 1 : (transmitted - this.received) / transmitted,
      duplicates: this.duplicates,
      rttsNs: [...this.rtts],
      replyFrom: this.replyFrom,
      replyTtl: this.replyTtl,
      errors: [...this.errors],
      error,
      seqs: this.seqs.map((r) => {
        const { sentAtNs, rttNs, errorAfterNs, outcome, ...rest } = r;
        return {
          ...rest,
          outcome: outcome === 'pending' ? 'timeout' : outcome,
          sentAtMs: sentAtNs / 1e6,
          ...(rttNs !== undefined ? { rttNs } : {}),
          ...(errorAfterNs !== undefined ? { errorAfterMs: errorAfterNs / 1e6 } : {}),
        };
      }),
    };
  }
}
