// `dns-server` server: an authoritative nameserver over UDP for the A records it is given
// (`records: {NAME: ADDR | [ADDR…]}`), bound to `address:` or every address (answers leave from the
// address the route picks, so a multi-homed server should bind the address it serves), as an upstream for Docker's embedded DNS server or any stub
// resolver in a scenario. Real DNS messages (src/wire/dns.ts): a known name gets its addresses
// (AA set, TTL 300) in the order given; an unknown name NXDOMAIN; other query types NOERROR with no
// answer. Names compare case-insensitively without the trailing dot. Every query is a sighting
// (source as the server saw it, after any NAT). A server, not a hot path.

import type { UdpHandler, UdpSocket } from '../net/transport/udp.js';
import type { App, AppContext, Observation, ServerOptions } from '../scenario/app-registry.js';
import { type DnsMessage, DnsRcode, DnsType, emitDns, parseDns } from '../wire/dns.js';
import { ipv4ToString, parseIpv4 } from '../wire/ipv4-address.js';
import { openUdpServer } from './udp-server-socket.js';

export const DNS_SERVER_TTL = 300;

const scratch = new Uint8Array(65535);

const norm = (name: string) => name.toLowerCase().replace(/\.$/, '');

export class DnsServer implements App, UdpHandler {
  private sock: UdpSocket | null = null;
  private bindError: number | null = null;
  private readonly zone = new Map<string, number[]>();
  private readonly seen: { from: string; name: string; rcode: number }[] = [];

  constructor(
    private readonly ctx: AppContext,
    private readonly opts: ServerOptions,
  ) {
    for (const [name, v] of Object.entries(opts.records ?? {})) {
      this.zone.set(
        norm(name),
        v.map((a) => parseIpv4(a)),
      );
    }
  }

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
    const p = parseDns(u8, off, off + len);
    if (!p.ok || p.msg.qr || p.msg.questions.length === 0) return;
    const q = p.msg.questions[0]!;
    const addrs = this.zone.get(norm(q.name));
    const rcode = addrs === undefined ? DnsRcode.NXDOMAIN : DnsRcode.NOERROR;
    const answers: DnsMessage['answers'] =
      addrs !== undefined && q.type === DnsType.A
        ? addrs.map((address) => ({
            name: q.name,
            class: 1,
            ttl: DNS_SERVER_TTL,
            data: { kind: 'A', address },
          }))
        : [];
    const from = `${ipv4ToString(src)}:${sport}`;
    const atNs = this.ctx.world.sim.now;
    this.seen.push({ from, name: q.name, rcode });
    this.ctx.sightings.push({
      server: this.ctx.name,
      proto: 'udp',
      src: from,
      dst: `${ipv4ToString(dst)}:${sock.lport}`,
      payload: q.name,
      atNs,
    });
    const reply: DnsMessage = {
      ...p.msg,
      qr: true,
      aa: true,
      tc: false,
      ra: false,
      ad: false,
      z: false,
      rcode,
      answers,
      authorities: [],
      additionals: [],
    };
    const n = emitDns(reply, scratch, 0, true);
    sock.sendTo(src, sport, scratch, 0, n);
  }

  observe(): Observation {
    return {
      kind: 'dns-server',
      port: this.opts.port,
      listening: this.sock !== null,
      ...(this.bindError !== null ? { bindErrno: this.bindError } : {}),
      queries: this.seen.map((s) => ({ from: s.from, name: s.name, rcode: s.rcode })),
    };
  }
}
