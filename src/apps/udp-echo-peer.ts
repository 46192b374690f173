// `udp-echo-peer` server: answers every datagram with the text `saw SRC:SPORT -> DST:DPORT` — the
// source it saw and the local address the datagram was sent to (IP_PKTINFO's ipi_addr) — exactly as
// the kernel fixtures' recorder does (test/fixtures/kernel/record.py, `serve`), and records every peer
// in the run's sightings. A server, not a hot path: it builds strings per datagram.

import type { UdpHandler, UdpSocket } from '../net/transport/udp.js';
import {
  type App,
  type AppContext,
  echoPeerReply,
  type Observation,
  type ServerOptions,
} from '../scenario/app-registry.js';
import { ipv4ToString } from '../wire/ipv4-address.js';
import { openUdpServer } from './udp-server-socket.js';

const decoder = new TextDecoder('utf-8', { fatal: false });
const encoder = new TextEncoder();

export class UdpEchoPeer implements App, UdpHandler {
  private sock: UdpSocket | null = null;
  private readonly seen: { saw: string; payload: string; atNs: number }[] = [];
  private bindError: number | null = null;

  constructor(
    private readonly ctx: AppContext,
    private readonly opts: ServerOptions & { addr?: number },
  ) {}

  start(): void {
    const s = openUdpServer(this.ctx, this, this.opts.addr ?? 0, this.opts.port);
    if (typeof s === 'number') this.bindError = s;
    else this.sock = s;
  }

  onDatagram(
    sock: UdpSocket,
    src: number,
    sport: number,
    dst: number,
    u8: Uint8Array,
    off: number,
    len: number,
  ): void {
    const from = `${ipv4ToString(src)}:${sport}`;
    const to = `${ipv4ToString(dst)}:${sock.lport}`;
    const saw = echoPeerReply(from, to);
    const payload = decoder.decode(u8.subarray(off, off + len));
    const atNs = this.ctx.world.sim.now;
    this.seen.push({ saw, payload, atNs });
    this.ctx.sightings.push({ server: this.ctx.name, proto: 'udp', src: from, dst: to, payload, atNs });
    const b = encoder.encode(saw);
    sock.sendTo(src, sport, b, 0, b.length);
  }

  observe(): Observation {
    return {
      kind: 'udp-echo-peer',
      port: this.opts.port,
      listening: this.sock !== null,
      ...(this.bindError !== null ? { bindErrno: this.bindError } : {}),
      seen: this.seen.map((s) => ({ saw: s.saw, payload: s.payload })),
    };
  }
}
