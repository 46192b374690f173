// `dns` probe: one query (A, or PTR for an address) over UDP to a nameserver, real DNS messages on the
// wire (src/wire/dns.ts), as a stub resolver sends them: random id from the probe's stream, RD set,
// source port from the namespace's ephemeral range. Waits `timeoutNs` for the answer.
//
// Observation: rcode (NOERROR, NXDOMAIN, SERVFAIL, …), answers (A: addresses, PTR: names, in the
// order received), ttls, server (`addr:port` the answer came from), transmitted/received, error
// (null, 'timeout', or the ICMP/send error's name), rttNs (query to answer), and the query name/type.

import { errnoErrorName } from '../net/transport/ip-api.js';
import { ensureTransports, transportOf } from '../net/transport/transport.js';
import type { UdpSocket } from '../net/transport/udp.js';
import type { App, AppContext, DnsOptions, Observation } from '../scenario/app-registry.js';
import type { ProbeErrorName } from '../scenario/types.js';
import { DnsRcode, DnsType, dnsMessage, dnsReverseNameV4, emitDns, parseDns } from '../wire/dns.js';
import { ipv4ToString, parseIpv4, tryParseIpv4 } from '../wire/ipv4-address.js';
import { AppTimer, type TimerTarget } from './timers.js';

const RCODE_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(DnsRcode).map(([k, v]) => [v, k]),
);

export class DnsProbe implements App, TimerTarget {
  private readonly timer: AppTimer;
  private sock: UdpSocket | null = null;
  private id = 0;
  private qname = '';
  private qtype: number = DnsType.A;
  private transmitted = 0;
  private received = 0;
  private rcode: string | null = null;
  private answers: string[] = [];
  private ttls: number[] = [];
  private server: string | null = null;
  private error: ProbeErrorName | null = null;
  private finished = false;
  private startNs = 0;
  private rttNs: number | null = null;

  constructor(
    private readonly ctx: AppContext,
    private readonly opts: DnsOptions,
  ) {
    this.timer = new AppTimer(ctx.world, this);
  }

  start(): void {
    ensureTransports(this.ctx.world);
    this.startNs = this.ctx.world.sim.now;
    const addr = tryParseIpv4(this.opts.name);
    const ptr = this.opts.type === 'PTR';
    this.qname = ptr && addr >= 0 ? dnsReverseNameV4(addr >>> 0) : this.opts.name;
    this.qtype = ptr ? DnsType.PTR : DnsType.A;
    this.id = this.ctx.rng.u32() & 0xffff;
    const self = this;
    const s = transportOf(this.ctx.ns).udp.open(
      {
        onDatagram(_s, src, sport, _dst, u8, off, len) {
          self.answer(src, sport, u8, off, len);
        },
        onError(_s, errno) {
          if (self.finished) return;
          self.error = errnoErrorName(errno) as ProbeErrorName;
          self.finish();
        },
      },
      { recvErr: true },
    );
    this.sock = s;
    const q = dnsMessage({
      id: this.id,
      rd: true,
      questions: [{ name: this.qname, type: this.qtype, class: 1 }],
    });
    const buf = new Uint8Array(512);
    const n = emitDns(q, buf, 0, true);
    const e = s.sendTo(parseIpv4(this.opts.server), this.opts.port, buf, 0, n);
    if (e !== 0) {
      this.error = errnoErrorName(e) as ProbeErrorName;
      this.finish();
      return;
    }
    this.transmitted++;
    this.timer.after(this.opts.timeoutNs, 0);
  }

  private answer(src: number, sport: number, u8: Uint8Array, off: number, len: number): void {
    if (this.finished) return;
    const r = parseDns(u8, off, off + len);
    if (!r.ok || !r.msg.qr || r.msg.id !== this.id) return;
    this.received++;
    this.rttNs = this.ctx.world.sim.now - this.startNs;
    this.server = `${ipv4ToString(src)}:${sport}`;
    this.rcode = RCODE_NAMES[r.msg.rcode] ?? String(r.msg.rcode);
    for (const a of r.msg.answers) {
      if (a.data.kind === 'A') this.answers.push(ipv4ToString(a.data.address));
      else if (a.data.kind === 'PTR') this.answers.push(a.data.name);
      else continue;
      this.ttls.push(a.ttl);
    }
    this.finish();
  }

  onTimer(): void {
    if (this.finished) return;
    this.error = 'timeout';
    this.finish();
  }

  private finish(): void {
    this.finished = true;
    this.sock?.close();
    this.ctx.done();
  }

  observe(): Observation {
    return {
      kind: 'dns',
      query: { name: this.qname, type: this.qtype === DnsType.PTR ? 'PTR' : 'A' },
      transmitted: this.transmitted,
      received: this.received,
      rcode: this.rcode,
      answers: this.answers,
      ttls: this.ttls,
      server: this.server,
      rttNs: this.rttNs,
      error: this.error,
    };
  }
}
