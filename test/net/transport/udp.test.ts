import { describe, expect, it } from 'vitest';
import { Drop } from '../../../src/net/drop-reason.js';
import { Errno } from '../../../src/net/transport/ip-api.js';
import { transportOf } from '../../../src/net/transport/transport.js';
import type { UdpHandler, UdpSocket } from '../../../src/net/transport/udp.js';
import { ipv4ToString } from '../../../src/wire/ipv4-address.js';
import { expectNoLeaks, ip, str, text, vethPair } from './helpers.js';

/** An echo-peer-like handler: answers `saw SRC:SPORT -> DST:DPORT`. */
function echoPeer(seen: string[]): UdpHandler {
  return {
    onDatagram(sock, src, sport, dst) {
      const line = `saw ${ipv4ToString(src)}:${sport} -> ${ipv4ToString(dst)}:${sock.lport}`;
      seen.push(line);
      const b = text(line);
      sock.sendTo(src, sport, b, 0, b.length);
    },
  };
}

describe('UDP sockets', () => {
  it('echo round trip: the server sees the client address and port, the client the reply', () => {
    const { world, a, b, B } = vethPair();
    const seen: string[] = [];
    const srv = transportOf(b).udp.open(echoPeer(seen));
    expect(srv.bind(0, 5000)).toBe(0);
    const replies: string[] = [];
    const cli = transportOf(a).udp.open({
      onDatagram(_s, src, sport, _dst, u8, off, len) {
        replies.push(`${ipv4ToString(src)}:${sport} ${str(u8, off, len)}`);
      },
    });
    expect(cli.bind(0, 40001)).toBe(0);
    const hi = text('hi');
    expect(cli.sendTo(B, 5000, hi, 0, 2)).toBe(0);
    world.sim.run();
    expect(seen).toEqual(['saw 10.0.0.2:40001 -> 10.0.0.3:5000']);
    expect(replies).toEqual(['10.0.0.3:5000 saw 10.0.0.2:40001 -> 10.0.0.3:5000']);
    expectNoLeaks(world);
  });

  it('closed port: ICMP port unreachable reaches an IP_RECVERR socket (ECONNREFUSED, offender)', () => {
    const { world, a, B } = vethPair();
    const errs: unknown[] = [];
    const cli = transportOf(a).udp.open(
      {
        onDatagram() {},
        onError(_s, errno, type, code, _info, offender, dst, dport) {
          errs.push({ errno, type, code, offender: ipv4ToString(offender), dst: ipv4ToString(dst), dport });
        },
      },
      { recvErr: true },
    );
    cli.bind(0, 40002);
    cli.sendTo(B, 9, text('hi'), 0, 2);
    world.sim.run();
    expect(errs).toEqual([
      { errno: Errno.ECONNREFUSED, type: 3, code: 3, offender: '10.0.0.3', dst: '10.0.0.3', dport: 9 },
    ]);
    expect(world.dropCounts[Drop.NoSocket]).toBe(1);
    expectNoLeaks(world);
  });

  it('without IP_RECVERR an unconnected socket hears nothing; a connected one gets the hard error', () => {
    const { world, a, B } = vethPair();
    const got: number[] = [];
    const h: UdpHandler = { onDatagram() {}, onError: (_s, e) => got.push(e) };
    const u = transportOf(a).udp.open(h);
    u.sendTo(B, 9, text('x'), 0, 1);
    world.sim.run();
    expect(got).toEqual([]);
    const c = transportOf(a).udp.open(h);
    expect(c.connect(B, 9)).toBe(0);
    c.send(text('x'), 0, 1);
    world.sim.run();
    expect(got).toEqual([Errno.ECONNREFUSED]);
    expectNoLeaks(world);
  });

  it('bind conflicts as without SO_REUSEADDR; lookup prefers exact address, then connected peers', () => {
    const { world, a, b, run, A, B } = vethPair();
    run(b, 'ip addr add 10.0.0.4/24 dev eth0');
    const hits: string[] = [];
    const tag = (t: string): UdpHandler => ({ onDatagram: () => hits.push(t) });
    const ub = transportOf(b).udp;
    const x = ub.open(tag('exact3'));
    expect(x.bind(B, 6000)).toBe(0);
    expect(ub.open(tag('wild')).bind(0, 6000)).toBe(Errno.EADDRINUSE);
    expect(ub.open(tag('exact4')).bind(ip('10.0.0.4'), 6000)).toBe(0);
    expect(ub.open(tag('nonlocal')).bind(ip('10.9.9.9'), 6000)).toBe(Errno.EADDRNOTAVAIL);
    const cli = transportOf(a).udp.open(tag('cli'));
    cli.bind(0, 40010);
    cli.sendTo(B, 6000, text('1'), 0, 1);
    cli.sendTo(ip('10.0.0.4'), 6000, text('2'), 0, 1);
    world.sim.run();
    expect(hits).toEqual(['exact3', 'exact4']);
    // A socket connected to a different peer does not match it at all.
    const w7 = ub.open(tag('w7'));
    w7.bind(0, 7000);
    const c7 = transportOf(b).udp.open(tag('c7'));
    expect(c7.connect(A, 1)).toBe(0);
    expect(ub.lookup(A, 40010, B, c7.lport)).toBe(c7.lport === 7000 ? w7 : null);
    expect(ub.lookup(A, 1, B, c7.lport)).toBe(c7);
    expectNoLeaks(world);
  });

  it('ephemeral ports come from ip_local_port_range, deterministically per seed', () => {
    const ports = (seed: number) => {
      const { a } = vethPair(seed);
      const u = transportOf(a).udp;
      return [0, 1, 2].map(() => {
        const s = u.open({ onDatagram() {} });
        s.bind(0, 0);
        return s.lport;
      });
    };
    const p1 = ports(1);
    expect(p1).toEqual(ports(1));
    for (const p of p1) expect(p >= 32768 && p <= 60999).toBe(true);
    const { a, run } = vethPair(2);
    run(a, 'sysctl -w net.ipv4.ip_local_port_range="40000 40001"');
    const u = transportOf(a).udp;
    const got = [0, 1, 2].map(() => {
      const s = u.open({ onDatagram() {} });
      return [s.bind(0, 0), s.lport];
    });
    expect(
      got
        .slice(0, 2)
        .map((x) => x[1])
        .sort(),
    ).toEqual([40000, 40001]);
    expect(got[2]![0]).toBe(Errno.EAGAIN);
  });

  it('sendto without a route fails with ENETUNREACH and sends nothing', () => {
    const { world, a } = vethPair();
    const s: UdpSocket = transportOf(a).udp.open({ onDatagram() {} });
    expect(s.sendTo(ip('192.0.2.1'), 53, text('q'), 0, 1)).toBe(Errno.ENETUNREACH);
    world.sim.run();
    expectNoLeaks(world);
  });

  it('a datagram with a bad checksum is dropped as L4Malformed', () => {
    const { world, a, b, B } = vethPair();
    const got: number[] = [];
    transportOf(b)
      .udp.open({ onDatagram: () => got.push(1) })
      .bind(0, 7000);
    // Corrupt the payload on the wire with a tap on b's eth0.
    b.device('eth0')!.tap = {
      frame(_dev, dir, h) {
        if (dir !== 0) return;
        const u8 = world.pool.bytesOf(h);
        const o = world.pool.start[h]! + 14 + 20 + 8;
        u8[o] = u8[o]! ^ 0xff;
      },
    };
    transportOf(a)
      .udp.open({ onDatagram() {} })
      .sendTo(B, 7000, text('zz'), 0, 2);
    world.sim.run();
    expect(got).toEqual([]);
    expect(world.dropCounts[Drop.L4Malformed]).toBe(1);
    expectNoLeaks(world);
  });
});
