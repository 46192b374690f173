// `tcp` probe: a non-blocking connect from an optional fixed source port; once connected it sends
// the payload (if any) and reads until the server closes, then closes — the kernel fixtures' recorder
// (test/fixtures/kernel/record.py `probe_tcp`). Gives up after `timeoutNs` (connecting or waiting for
// the reply), aborting a connection still in SYN-SENT.
//
// Observation: connected, local/peer (`addr:port`), reply (text), replied, serverSaw ({src, dst}
// parsed from an echo-peer reply), delivered (the server application got the payload: a reply came
// or a sighting carries it), errors [{type, code, from}] (the ICMP error that failed the connect),
// error (null | 'connection-refused' (RST in SYN-SENT) | 'connection-reset' | ICMP error name |
// 'timeout' (SYN retries exhausted or the probe deadline)), and the recorder's outcome (connected |
// refused | connect-error | timeout) with errno and afterMs.

import { Errno, errnoErrorName, errnoName, icmpErrorName } from '../net/transport/ip-api.js';
import { type TcpConn, type TcpHandler, TcpState } from '../net/transport/tcp.js';
import { ensureTransports, transportOf } from '../net/transport/transport.js';
import type { World } from '../net/world.js';
import {
  type App,
  type AppContext,
  type IcmpErrorObservation,
  type Observation,
  parseEchoPeerReply,
  type TcpOptions,
} from '../scenario/app-registry.js';
import type { ProbeErrorName } from '../scenario/types.js';
import { ipv4ToString } from '../wire/ipv4-address.js';
import { AppTimer, type TimerTarget } from './timers.js';

const decoder = new TextDecoder('utf-8', { fatal: false });
const encoder = new TextEncoder();

export class TcpProbe implements App, TcpHandler, TimerTarget {
  private readonly world: World;
  private readonly timer: AppTimer;
  private conn: TcpConn | null = null;
  private connected = false;
  private local: string | null = null;
  private peer: string | null = null;
  private replyText = '';
  private gotEof = false;
  private readonly errors: IcmpErrorObservation[] = [];
  private error: ProbeErrorName | null = null;
  private outcome: 'pending' | 'connected' | 'refused' | 'connect-error' | 'timeout' = 'pending';
  private errno: string | null = null;
  private afterMs: number | null = null;
  private startNs = 0;
  private finished = false;

  constructor(
    private readonly ctx: AppContext,
    private readonly opts: TcpOptions,
  ) {
    this.world = ctx.world;
    this.timer = new AppTimer(ctx.world, this);
  }

  start(): void {
    ensureTransports(this.ctx.world);
    this.startNs = this.world.sim.now;
    const r = transportOf(this.ctx.ns).tcp.connect(this.opts.dstAddr, this.opts.port, this, {
      sport: this.opts.sport ?? 0,
      ttl: this.opts.ttl ?? 0,
      traceId: this.ctx.openTrace?.(this.ctx.name) ?? -1,
    });
    if (typeof r === 'number') {
      this.fail(r, -1, -1, 0);
      return;
    }
    this.conn = r;
    this.timer.after(this.opts.timeoutNs, 0);
  }

  onConnected(c: TcpConn): void {
    this.connected = true;
    this.outcome = 'connected';
    this.local = `${ipv4ToString(c.laddr)}:${c.lport}`;
    this.peer = `${ipv4ToString(c.raddr)}:${c.rport}`;
    if (this.opts.payload !== null) {
      const b = encoder.encode(this.opts.payload);
      c.send(b, 0, b.length);
    } else {
      c.close();
    }
  }

  onData(_c: TcpConn, u8: Uint8Array, off: number, len: number): void {
    this.replyText += decoder.decode(u8.subarray(off, off + len));
  }

  onPeerClosed(c: TcpConn): void {
    this.gotEof = true;
    c.close();
    this.finish();
  }

  onError(_c: TcpConn, errno: number, type: number, code: number, offender: number): void {
    this.fail(errno, type, code, offender);
  }

  private fail(errno: number, type: number, code: number, offender: number): void {
    if (this.finished) return;
    this.errno = errnoName(errno);
    this.afterMs = (this.world.sim.now - this.startNs) / 1e6;
    if (type >= 0) {
      this.errors.push({ type, code, from: ipv4ToString(offender) });
      this.error = icmpErrorName(type, code) as ProbeErrorName;
    } else if (errno === Errno.ECONNREFUSED) this.error = 'connection-refused';
    else this.error = errnoErrorName(errno) as ProbeErrorName;
    if (!this.connected)
      this.outcome =
        errno === Errno.ECONNREFUSED ? 'refused' : errno === Errno.ETIMEDOUT ? 'timeout' : 'connect-error';
    this.finish();
  }

  /** The probe deadline. */
  onTimer(): void {
    if (this.finished) return;
    const c = this.conn;
    if (!this.connected) {
      this.outcome = 'timeout';
      this.error = 'timeout';
      if (c !== null && c.state !== TcpState.Closed) {
        if (c.softErr !== 0) this.errno = errnoName(c.softErr);
        c.abort();
      }
    } else if (c !== null && c.state !== TcpState.Closed) {
      c.close();
    }
    this.finish();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.ctx.done();
  }

  observe(): Observation {
    const replied = this.replyText.length > 0;
    const serverSaw = replied ? parseEchoPeerReply(this.replyText) : null;
    const p = this.opts.payload;
    const sighted =
      p !== null &&
      this.ctx.sightings.some((s) => s.proto === 'tcp' && s.payload === p && s.atNs >= this.startNs);
    return {
      kind: 'tcp',
      outcome: this.outcome === 'pending' ? 'timeout' : this.outcome,
      connected: this.connected,
      local: this.local,
      peer: this.peer,
      replied,
      reply: replied ? this.replyText : null,
      serverClosed: this.gotEof,
      serverSaw,
      delivered: replied || sighted,
      errors: [...this.errors],
      error: this.error,
      ...(this.errno !== null ? { errno: this.errno } : {}),
      ...(this.afterMs !== null ? { afterMs: this.afterMs } : {}),
    };
  }
}
