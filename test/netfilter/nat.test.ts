// NAT examples: MASQUERADE of a private subnet with the reply un-NATed, two clients with the same
// source port (the first keeps it, recorded on Linux 6.18), DNAT of a published port, ICMP port
// unreachable for a NATed UDP flow arriving RELATED with the inner header restored, port ranges.
import { describe, expect, it } from 'vitest';
import { Dummy } from '../../src/net/devices/dummy.js';
import { CtInfo, Ips } from '../../src/netfilter/conntrack/tuple.js';
import { jhash2Ipv4 } from '../../src/netfilter/nat/nat.js';
import { csumVerifies } from '../../src/wire/checksum.js';
import { ipv4ChecksumOk } from '../../src/wire/ipv4.js';
import { TcpFlag, tcpChecksumVerifies } from '../../src/wire/tcp.js';
import { udpChecksumVerifies } from '../../src/wire/udp.js';
import { bytes, deliver, echo, forward, icmp, ip, makeWorld, range, tcp, udp } from './conntrack-helpers.js';

const A = ip('172.17.0.2');
const C = ip('172.17.0.3');
const B = ip('10.0.0.2');
const NAT_IP = ip('10.0.0.1');

function rd16(b: Uint8Array, o: number) {
  return (b[o]! << 8) | b[o + 1]!;
}
function rd32(b: Uint8Array, o: number) {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}
function checkAll(b: Uint8Array) {
  expect(ipv4ChecksumOk(b, 0)).toBe(true);
  const proto = b[9]!;
  const len = rd16(b, 2) - 20;
  if (proto === 17) expect(udpChecksumVerifies(b, 20, len, rd32(b, 12), rd32(b, 16))).toBe(true);
  if (proto === 6) expect(tcpChecksumVerifies(b, 20, len, rd32(b, 12), rd32(b, 16))).toBe(true);
  if (proto === 1) expect(csumVerifies(b, 20, len)).toBe(true);
}

function masqWorld() {
  const m = makeWorld();
  const out = new Dummy(m.world, m.ns, 'eth1');
  m.ns.attach(out);
  m.ct.nat.addrs = {
    selectAddr: () => NAT_IP,
    list: () => [{ local: NAT_IP }],
  };
  const masq = { state: { inDev: null, outDev: out, nextHop: 0 } };
  return { ...m, out, masq };
}

describe('MASQUERADE', () => {
  it('rewrites the source of a private subnet and un-NATs the reply', () => {
    const { world, ct, masq } = masqWorld();
    const q = udp(world, A, B, 40001, 5000);
    expect(forward(world, ct, q, { masquerade: masq })).toBe(0);
    const out = deliver(world, q);
    expect(rd32(out, 12)).toBe(NAT_IP);
    expect(rd16(out, 20)).toBe(40001); // port kept: the reply tuple is unique
    checkAll(out);
    const r = udp(world, B, NAT_IP, 5000, 40001);
    expect(forward(world, ct, r)).toBe(0);
    expect(world.pool.ctId[r]! & 7).toBe(CtInfo.EstablishedReply);
    const back = deliver(world, r);
    expect(rd32(back, 16)).toBe(A);
    expect(rd16(back, 22)).toBe(40001);
    checkAll(back);
    const e = ct.entries()[0]!;
    expect(e.orig).toEqual({ src: A, dst: B, sport: 40001, dport: 5000 });
    expect(e.reply).toEqual({ src: B, dst: NAT_IP, sport: 5000, dport: 40001 });
    expect(e.status & Ips.SRC_NAT).toBe(Ips.SRC_NAT);
  });

  it('two clients with the same source port: the first keeps it, the second gets another in 1024-65535', () => {
    const { world, ct, masq } = masqWorld();
    const q1 = udp(world, A, B, 40001, 5000);
    forward(world, ct, q1, { masquerade: masq });
    const o1 = deliver(world, q1);
    const q2 = udp(world, C, B, 40001, 5000);
    forward(world, ct, q2, { masquerade: masq });
    const o2 = deliver(world, q2);
    expect(rd16(o1, 20)).toBe(40001);
    const p2 = rd16(o2, 20);
    expect(p2).not.toBe(40001);
    expect(p2).toBeGreaterThanOrEqual(1024);
    checkAll(o2);
    // Replies reach the right client with its original port.
    const r2 = udp(world, B, NAT_IP, 5000, p2);
    forward(world, ct, r2);
    const b2 = deliver(world, r2);
    expect([rd32(b2, 16), rd16(b2, 22)]).toEqual([C, 40001]);
  });

  it('privileged source ports stay in their class (1-511, 600-1023)', () => {
    const { world, ct, masq } = masqWorld();
    for (const [port, lo, hi] of [
      [100, 1, 511],
      [700, 600, 1023],
      [550, 600, 1023],
    ] as const) {
      deliver(
        world,
        (forward(world, ct, udp(world, A, B, port, 53), { masquerade: masq }), 0) || lastLive(world),
      );
      const q = udp(world, C, B, port, 53);
      forward(world, ct, q, { masquerade: masq });
      const p = rd16(deliver(world, q), 20);
      if (port === 550) expect(p === 550 || (p >= lo && p <= hi)).toBe(true);
      else {
        expect(p).toBeGreaterThanOrEqual(lo);
        expect(p).toBeLessThanOrEqual(hi);
      }
    }
  });

  it('a NETDEV_DOWN of the output device deletes masqueraded entries', () => {
    const { world, ct, masq, out } = masqWorld();
    const q = udp(world, A, B, 40001, 5000);
    forward(world, ct, q, { masquerade: masq });
    deliver(world, q);
    expect(ct.entries()).toHaveLength(1);
    world.notifyNetdev('down', out);
    expect(ct.entries()).toHaveLength(0);
  });

  it('same seed, same port choices (deterministic RNG stream per namespace)', () => {
    const run = () => {
      const { world, ct, masq } = masqWorld();
      const ports: number[] = [];
      for (const src of [A, C, ip('172.17.0.4'), ip('172.17.0.5')]) {
        const q = udp(world, src, B, 40001, 5000);
        forward(world, ct, q, { masquerade: masq });
        ports.push(rd16(deliver(world, q), 20));
      }
      return ports;
    };
    expect(run()).toEqual(run());
  });
});

describe('SNAT with a port range', () => {
  it('exhausting a 4-port range drops the next connection at confirmation (insert_failed)', () => {
    const { world, ct } = makeWorld();
    const rng = range(NAT_IP, NAT_IP, 2000, 2003);
    const seen = new Set<number>();
    for (let i = 0; i < 4; i++) {
      const q = udp(world, ip(`172.17.0.${10 + i}`), B, 5555, 53);
      expect(forward(world, ct, q, { snat: rng })).toBe(0);
      seen.add(rd16(deliver(world, q), 20));
    }
    expect([...seen].sort()).toEqual([2000, 2001, 2002, 2003]);
    const q = udp(world, ip('172.17.0.99'), B, 5555, 53);
    expect(forward(world, ct, q, { snat: rng })).not.toBe(0);
    expect(ct.stats.insertFailed).toBe(1);
    expect(world.pool.liveCount).toBe(0);
  });
});

describe('DNAT', () => {
  it('a published port reaches the container and the reply is un-NATed', () => {
    const { world, ct } = makeWorld();
    const HOST = ip('203.0.113.10');
    const CLIENT = ip('203.0.113.7');
    const dnat = range(A, A, 80, 80);
    const syn = tcp(world, CLIENT, HOST, 50000, 8080, { flags: TcpFlag.SYN, seq: 1 });
    expect(forward(world, ct, syn, { dnat })).toBe(0);
    const s = deliver(world, syn);
    expect([rd32(s, 16), rd16(s, 22)]).toEqual([A, 80]);
    checkAll(s);
    const sa = tcp(world, A, CLIENT, 80, 50000, { flags: TcpFlag.SYN | TcpFlag.ACK, seq: 100, ack: 2 });
    forward(world, ct, sa);
    const b = deliver(world, sa);
    expect([rd32(b, 12), rd16(b, 20)]).toEqual([HOST, 8080]);
    checkAll(b);
    expect(ct.entries()[0]!.reply).toEqual({ src: A, dst: CLIENT, sport: 80, dport: 50000 });
  });
});

describe('ICMP errors RELATED to a NATed flow', () => {
  it('port unreachable arrives RELATED_REPLY with outer destination and inner header restored', () => {
    const { world, ct, masq } = masqWorld();
    const q = udp(world, A, B, 40002, 5001);
    forward(world, ct, q, { masquerade: masq });
    const sent = deliver(world, q);
    // The server answers with port unreachable quoting what it received.
    const err = icmp(world, B, NAT_IP, { kind: 'error', type: 3, code: 3, info: 0, quote: sent });
    expect(forward(world, ct, err)).toBe(0);
    expect(world.pool.ctId[err]! & 7).toBe(CtInfo.RelatedReply);
    const got = deliver(world, err);
    expect(rd32(got, 16)).toBe(A); // outer destination
    const inner = 28;
    expect(rd32(got, inner + 12)).toBe(A); // inner source restored
    expect(rd16(got, inner + 20)).toBe(40002);
    expect(ipv4ChecksumOk(got, inner)).toBe(true);
    checkAll(got);
    // Errors neither refresh nor reply-mark the connection: still UNREPLIED (recorded on 6.18).
    expect(ct.entries()[0]!.unreplied).toBe(true);
  });

  it('an ICMP error without a matching connection is INVALID', () => {
    const { world, ct } = makeWorld();
    const fake = udp(world, A, B, 1, 2);
    const quote = bytes(world, fake);
    world.consume(fake);
    const err = icmp(world, B, A, { kind: 'error', type: 3, code: 3, info: 0, quote });
    forward(world, ct, err);
    expect(world.pool.ctId[err]).toBe(-1);
    deliver(world, err);
  });

  it('echo through MASQUERADE: second client with the same id gets another id', () => {
    const { world, ct, masq } = masqWorld();
    const e1 = echo(world, A, B, 4660);
    forward(world, ct, e1, { masquerade: masq });
    const o1 = deliver(world, e1);
    const e2 = echo(world, C, B, 4660);
    forward(world, ct, e2, { masquerade: masq });
    const o2 = deliver(world, e2);
    expect(rd16(o1, 24)).toBe(4660);
    expect(rd16(o2, 24)).not.toBe(4660);
    checkAll(o2);
  });
});

describe('find_best_ips_proto', () => {
  it('jhash2 is deterministic and spreads', () => {
    expect(jhash2Ipv4(0x0200a8c0, 0)).toBe(jhash2Ipv4(0x0200a8c0, 0));
    expect(jhash2Ipv4(1, 0)).not.toBe(jhash2Ipv4(2, 0));
  });
});

function lastLive(world: ReturnType<typeof makeWorld>['world']): number {
  for (let h = world.pool.capacity - 1; h >= 0; h--) if (world.pool.isLive(h)) return h;
  return -1;
}
