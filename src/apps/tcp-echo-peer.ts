// `tcp-echo-peer` server, as the kernel fixtures' recorder runs it (test/fixtures/kernel/record.py,
// `serve`): accept, read once (waiting at most 1 s), reply `saw PEER:PORT -> LOCAL:PORT`, close. So a
// replay compares directly: the client sees the reply and then the server's FIN (server closes first).
// With `echo: true` it instead sends the line on accept and echoes everything until the peer closes.

import { type TcpConn, type TcpHandler, type TcpListener, TcpState } from '../net/transport/tcp.js';
import { ensureTransports, transportOf } from '../net/transport/transport.js';
import {
  type App,
  type AppContext,
  echoPeerReply,
  type Observation,
  type ServerOptions,
} from '../scenario/app-registry.js';
import { ipv4ToString } from '../wire/ipv4-address.js';
import { AppTimer, type TimerTarget } from './timers.js';

const decoder = new TextDecoder('utf-8', { fatal: false });
const encoder = new TextEncoder();
/** The recorder's `c.settimeout(1.0)` before its single recv. */
const READ_TIMEOUT_NS = 1_000_000_000;

interface Pending {
  c: TcpConn | null;
  answered: boolean;
}

export interface TcpEchoPeerOptions extends ServerOptions {
  addr?: number;
  backlog?: number;
  /** Send the line on accept and echo data (instead of read-once-reply-close). */
  echo?: boolean;
}

export class TcpEchoPeer implements App, TimerTarget {
  private listener: TcpListener | null = null;
  private listenError: number | null = null;
  private readonly seen: { saw: string; payload: string; atNs: number }[] = [];
  /** Connections waiting for their first read, by timer arg. */
  private readonly waiting: (Pending | null)[] = [];
  private readonly timer: AppTimer;

  constructor(
    private readonly ctx: AppContext,
    private readonly opts: TcpEchoPeerOptions,
  ) {
    this.timer = new AppTimer(ctx.world, this);
  }

  start(): void {
    ensureTransports(this.ctx.world);
    const r = transportOf(this.ctx.ns).tcp.listen(
      this.opts.addr ?? 0,
      this.opts.port,
      this.opts.backlog ?? 16,
      (c) => this.accept(c),
    );
    if (typeof r === 'number') this.listenError = r;
    else this.listener = r;
  }

  private sawLine(c: TcpConn): string {
    return echoPeerReply(`${ipv4ToString(c.raddr)}:${c.rport}`, `${ipv4ToString(c.laddr)}:${c.lport}`);
  }

  private record(c: TcpConn, payload: string): string {
    const saw = this.sawLine(c);
    const atNs = this.ctx.world.sim.now;
    this.seen.push({ saw, payload, atNs });
    this.ctx.sightings.push({
      server: this.ctx.name,
      proto: 'tcp',
      src: `${ipv4ToString(c.raddr)}:${c.rport}`,
      dst: `${ipv4ToString(c.laddr)}:${c.lport}`,
      payload,
      atNs,
    });
    return saw;
  }

  private reply(c: TcpConn, saw: string): void {
    const b = encoder.encode(saw);
    c.send(b, 0, b.length);
  }

  private accept(_c: TcpConn): TcpHandler {
    const self = this;
    if (this.opts.echo === true) {
      return {
        onConnected(c) {
          self.reply(c, self.record(c, ''));
        },
        onData(c, u8, off, len) {
          c.send(u8, off, len);
        },
        onPeerClosed(c) {
          c.close();
        },
      };
    }
    const st: Pending = { c: null, answered: false };
    const slot = this.waiting.length;
    this.waiting.push(st);
    return {
      onConnected(c) {
        st.c = c;
        self.timer.after(READ_TIMEOUT_NS, slot);
      },
      onData(_c, u8, off, len) {
        self.answer(st, slot, decoder.decode(u8.subarray(off, off + len)));
      },
      onPeerClosed() {
        self.answer(st, slot, '');
      },
    };
  }

  /** The single read completed (or timed out / hit EOF): reply, close, forget the connection. */
  private answer(st: Pending, slot: number, payload: string): void {
    const c = st.c;
    if (st.answered || c === null) return;
    st.answered = true;
    this.waiting[slot] = null;
    if (c.state === TcpState.Closed) return;
    this.reply(c, this.record(c, payload));
    c.close();
  }

  /** The 1 s read timeout of a connection that sent nothing: reply anyway, then close. */
  onTimer(arg: number): void {
    const st = this.waiting[arg];
    if (st === null || st === undefined) return;
    this.answer(st, arg, '');
  }

  observe(): Observation {
    return {
      kind: 'tcp-echo-peer',
      port: this.opts.port,
      listening: this.listener !== null,
      ...(this.listenError !== null ? { listenErrno: this.listenError } : {}),
      seen: this.seen.map((s) => ({ saw: s.saw, payload: s.payload })),
    };
  }
}
