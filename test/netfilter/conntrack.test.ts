// Conntrack examples: TCP state progression, UDP assured timing, ICMP request/reply, INVALID cases,
// timeouts with simulated time, table-full drops. Expected values follow the Linux 6.18 recordings in
// test/netfilter/fixtures/conntrack-linux-6.18.txt and nf_conntrack_proto_tcp.c's tables.
import { describe, expect, it } from 'vitest';
import { Drop } from '../../src/net/drop-reason.js';
import { NfHook } from '../../src/netfilter/conntrack/conntrack.js';
import { tcpTransition } from '../../src/netfilter/conntrack/proto-tcp.js';
import { TcpCt } from '../../src/netfilter/conntrack/timeouts.js';
import { CtInfo, Ips } from '../../src/netfilter/conntrack/tuple.js';
import { TcpFlag } from '../../src/wire/tcp.js';
import { deliver, echo, forward, ip, makeWorld, runUntil, S, tcp, udp } from './conntrack-helpers.js';

const A = ip('172.17.0.2');
const B = ip('10.0.0.2');
const { SYN, ACK, FIN, RST, PSH } = TcpFlag;

function stateOf(ct: ReturnType<typeof makeWorld>['ct'], row: number): number {
  return ct.table.tcpState[row]!;
}

describe('TCP state tracking', () => {
  it('follows a full connection: SYN_SENT → SYN_RECV → ESTABLISHED (ASSURED) → FIN_WAIT → CLOSE_WAIT → LAST_ACK → TIME_WAIT', () => {
    const { world, ct } = makeWorld();
    const sys = ct.sys;
    const seen: string[] = [];
    const step = (h: number, expectState: number, expectInfo: number) => {
      expect(forward(world, ct, h)).toBe(0);
      const id = world.pool.ctId[h]!;
      expect(id & 7).toBe(expectInfo);
      const r = id >> 3;
      expect(stateOf(ct, r)).toBe(expectState);
      seen.push(ct.entries()[0]!.state);
      deliver(world, h);
      return r;
    };
    const r = step(
      tcp(world, A, B, 41000, 8080, {
        flags: SYN,
        seq: 1000,
        options: { mss: 1460, windowScale: 7, sackPermitted: true },
      }),
      TcpCt.SynSent,
      CtInfo.New,
    );
    expect(ct.table.expires[r]! - world.sim.now).toBe(sys.tcp[TcpCt.SynSent]);
    step(
      tcp(world, B, A, 8080, 41000, {
        flags: SYN | ACK,
        seq: 5000,
        ack: 1001,
        options: { mss: 1460, windowScale: 7, sackPermitted: true },
      }),
      TcpCt.SynRecv,
      CtInfo.EstablishedReply,
    );
    step(
      tcp(world, A, B, 41000, 8080, { flags: ACK, seq: 1001, ack: 5001 }),
      TcpCt.Established,
      CtInfo.Established,
    );
    expect(ct.table.status[r]! & Ips.ASSURED).toBe(Ips.ASSURED);
    step(
      tcp(world, A, B, 41000, 8080, { flags: ACK | PSH, seq: 1001, ack: 5001, len: 5 }),
      TcpCt.Established,
      CtInfo.Established,
    );
    step(
      tcp(world, B, A, 8080, 41000, { flags: ACK | PSH, seq: 5001, ack: 1006, len: 5 }),
      TcpCt.Established,
      CtInfo.EstablishedReply,
    );
    step(
      tcp(world, A, B, 41000, 8080, { flags: ACK, seq: 1006, ack: 5006 }),
      TcpCt.Established,
      CtInfo.Established,
    );
    expect(ct.entries()[0]!.timeout).toBe(432000);
    step(
      tcp(world, A, B, 41000, 8080, { flags: FIN | ACK, seq: 1006, ack: 5006 }),
      TcpCt.FinWait,
      CtInfo.Established,
    );
    step(
      tcp(world, B, A, 8080, 41000, { flags: ACK, seq: 5006, ack: 1007 }),
      TcpCt.CloseWait,
      CtInfo.EstablishedReply,
    );
    expect(ct.entries()[0]!.timeout).toBe(60);
    step(
      tcp(world, B, A, 8080, 41000, { flags: FIN | ACK, seq: 5006, ack: 1007 }),
      TcpCt.LastAck,
      CtInfo.EstablishedReply,
    );
    step(
      tcp(world, A, B, 41000, 8080, { flags: ACK, seq: 1007, ack: 5007 }),
      TcpCt.TimeWait,
      CtInfo.Established,
    );
    expect(ct.entries()[0]!.timeout).toBe(120);
    expect(seen).toEqual([
      'SYN_SENT',
      'SYN_RECV',
      'ESTABLISHED',
      'ESTABLISHED',
      'ESTABLISHED',
      'ESTABLISHED',
      'FIN_WAIT',
      'CLOSE_WAIT',
      'LAST_ACK',
      'TIME_WAIT',
    ]);
    expect(world.pool.liveCount).toBe(0);
  });

  it('transition table spot checks (tcp_conntracks)', () => {
    expect(tcpTransition(0, 0, TcpCt.None)).toBe(TcpCt.SynSent);
    expect(tcpTransition(1, 0, TcpCt.SynSent)).toBe(TcpCt.SynSent2); // simultaneous open
    expect(tcpTransition(0, 3, TcpCt.SynSent)).toBe(TcpCt.Max); // ACK before SYN/ACK: invalid
    expect(tcpTransition(1, 3, TcpCt.SynSent)).toBe(TcpCt.Ignore);
    expect(tcpTransition(0, 0, TcpCt.TimeWait)).toBe(TcpCt.SynSent); // reopen
    expect(tcpTransition(0, 4, TcpCt.Established)).toBe(TcpCt.Close);
  });

  it('a SYN/ACK without a connection is INVALID (no entry); a mid-stream ACK is picked up (tcp_loose=1)', () => {
    const { world, ct } = makeWorld();
    const h = tcp(world, B, A, 8080, 41000, { flags: SYN | ACK, seq: 1, ack: 2 });
    expect(forward(world, ct, h)).toBe(0);
    expect(world.pool.ctId[h]).toBe(-1);
    deliver(world, h);
    const h2 = tcp(world, A, B, 41000, 8080, { flags: ACK, seq: 100, ack: 200 });
    forward(world, ct, h2);
    const r = world.pool.ctId[h2]! >> 3;
    expect(stateOf(ct, r)).toBe(TcpCt.Established);
    // Without SEEN_REPLY a picked-up connection gets the unacknowledged timeout (300 s), not 5 days.
    expect(ct.entries()[0]!.timeout).toBe(300);
    deliver(world, h2);
    ns(world).sysctl.set('net.netfilter.nf_conntrack_tcp_loose', '0');
    const h3 = tcp(world, A, B, 41001, 8080, { flags: ACK, seq: 100, ack: 200 });
    forward(world, ct, h3);
    expect(world.pool.ctId[h3]).toBe(-1);
    deliver(world, h3);
  });

  it('a RST as the only reply deletes the entry', () => {
    const { world, ct } = makeWorld();
    deliver(
      world,
      (forward(world, ct, tcp(world, A, B, 41000, 9, { flags: SYN, seq: 1000 })), lastFrame(world)),
    );
    expect(ct.entries()).toHaveLength(1);
    const h = tcp(world, B, A, 9, 41000, { flags: RST | ACK, seq: 0, ack: 1001 });
    expect(forward(world, ct, h)).toBe(0);
    deliver(world, h);
    expect(ct.entries()).toHaveLength(0);
  });

  it('SYN in TIME_WAIT reopens the connection (kill and look up again)', () => {
    const { world, ct } = makeWorld();
    const pkts: Array<[number, number, number, number, number, number]> = [
      [A, B, 41000, 80, SYN, 1000],
      [B, A, 80, 41000, SYN | ACK, 5000],
      [A, B, 41000, 80, ACK, 1001],
      [A, B, 41000, 80, FIN | ACK, 1001],
      [B, A, 80, 41000, FIN | ACK, 5001],
      [A, B, 41000, 80, ACK, 1002],
    ];
    const acks = [0, 1001, 5001, 5001, 1002, 5002];
    pkts.forEach(([s, d, sp, dp, f, q], i) => {
      const h = tcp(world, s, d, sp, dp, { flags: f, seq: q, ack: acks[i]! });
      forward(world, ct, h);
      deliver(world, h);
    });
    expect(ct.entries()[0]!.state).toBe('TIME_WAIT');
    const h = tcp(world, A, B, 41000, 80, { flags: SYN, seq: 90000 });
    forward(world, ct, h);
    expect(world.pool.ctId[h]! & 7).toBe(CtInfo.New);
    deliver(world, h);
    expect(ct.entries().map((e) => e.state)).toEqual(['SYN_SENT']);
    expect(ct.stats.searchRestart).toBe(1);
  });

  it('an out-of-window segment is INVALID unless nf_conntrack_tcp_be_liberal', () => {
    const { world, ct, ns: n } = makeWorldNs();
    const hs = [
      tcp(world, A, B, 41000, 80, { flags: SYN, seq: 1000, win: 1000 }),
      tcp(world, B, A, 80, 41000, { flags: SYN | ACK, seq: 5000, ack: 1001, win: 1000 }),
      tcp(world, A, B, 41000, 80, { flags: ACK, seq: 1001, ack: 5001, win: 1000 }),
    ];
    for (const h of hs) {
      forward(world, ct, h);
      deliver(world, h);
    }
    const bad = tcp(world, A, B, 41000, 80, {
      flags: ACK,
      seq: 1001 + 500000,
      ack: 5001,
      win: 1000,
      len: 10,
    });
    forward(world, ct, bad);
    expect(world.pool.ctId[bad]).toBe(-1);
    deliver(world, bad);
    n.sysctl.set('net.netfilter.nf_conntrack_tcp_be_liberal', '1');
    const ok = tcp(world, A, B, 41000, 80, { flags: ACK, seq: 1001 + 500000, ack: 5001, win: 1000, len: 10 });
    forward(world, ct, ok);
    expect(world.pool.ctId[ok]! & 7).toBe(CtInfo.Established);
    deliver(world, ok);
  });
});

describe('UDP', () => {
  it('reply clears UNREPLIED but keeps 30 s; a packet after 2 s makes it ASSURED with 120 s (recorded on 6.18)', () => {
    const { world, ct } = makeWorld();
    const q = udp(world, A, B, 40001, 5000);
    forward(world, ct, q);
    expect(world.pool.ctId[q]! & 7).toBe(CtInfo.New);
    deliver(world, q);
    let e = ct.entries()[0]!;
    expect(e).toMatchObject({ unreplied: true, assured: false, timeout: 30 });
    const q2 = udp(world, A, B, 40001, 5000);
    forward(world, ct, q2);
    expect(world.pool.ctId[q2]! & 7).toBe(CtInfo.New); // still NEW: no reply seen yet
    deliver(world, q2);
    const rep = udp(world, B, A, 5000, 40001);
    forward(world, ct, rep);
    expect(world.pool.ctId[rep]! & 7).toBe(CtInfo.EstablishedReply);
    deliver(world, rep);
    e = ct.entries()[0]!;
    expect(e).toMatchObject({ unreplied: false, assured: false, timeout: 30 });
    runUntil(world, 2.5 * S);
    const q3 = udp(world, A, B, 40001, 5000);
    forward(world, ct, q3);
    expect(world.pool.ctId[q3]! & 7).toBe(CtInfo.Established);
    deliver(world, q3);
    e = ct.entries()[0]!;
    expect(e).toMatchObject({ unreplied: false, assured: true, timeout: 120 });
  });

  it('expires after nf_conntrack_udp_timeout of simulated time (lazy and by the gc sweep)', () => {
    const { world, ct } = makeWorld();
    const q = udp(world, A, B, 40001, 5000);
    forward(world, ct, q);
    deliver(world, q);
    runUntil(world, 29 * S);
    expect(ct.entries()).toHaveLength(1);
    expect(ct.entries()[0]!.timeout).toBe(1);
    runUntil(world, 31 * S);
    expect(ct.table.count).toBe(0); // swept by the gc event
    expect(world.sim.run().reason).toBe('drained'); // no gc events left behind
  });

  it('timeouts follow the sysctl', () => {
    const { world, ct, ns: n } = makeWorldNs();
    n.sysctl.set('net.netfilter.nf_conntrack_udp_timeout', '5');
    const q = udp(world, A, B, 40001, 5000);
    forward(world, ct, q);
    deliver(world, q);
    expect(ct.entries()[0]!.timeout).toBe(5);
  });
});

describe('ICMP', () => {
  it('echo request creates, echo reply matches (no UNREPLIED, never ASSURED, 30 s)', () => {
    const { world, ct } = makeWorld();
    const q = echo(world, A, B, 4660, 8);
    forward(world, ct, q);
    expect(world.pool.ctId[q]! & 7).toBe(CtInfo.New);
    deliver(world, q);
    const r = echo(world, B, A, 4660, 0);
    forward(world, ct, r);
    expect(world.pool.ctId[r]! & 7).toBe(CtInfo.EstablishedReply);
    deliver(world, r);
    expect(ct.entries()[0]).toMatchObject({ proto: 1, unreplied: false, assured: false, timeout: 30 });
  });

  it('an echo reply without a request has no entry (INVALID)', () => {
    const { world, ct } = makeWorld();
    const r = echo(world, B, A, 4660, 0);
    forward(world, ct, r);
    expect(world.pool.ctId[r]).toBe(-1);
    deliver(world, r);
    expect(ct.stats.invalid).toBe(1);
  });
});

describe('table', () => {
  it('drops NEW packets with CtTableFull when nf_conntrack_max is reached and nothing can be early-dropped', () => {
    const { world, ct, ns: n } = makeWorldNs();
    n.sysctl.set('net.netfilter.nf_conntrack_max', '2');
    expect(n.sysctl.get('net.nf_conntrack_max')).toBe('2');
    // Two assured TCP connections fill the table.
    for (const port of [1000, 1001]) {
      for (const [s, d, sp, dp, f, q, a] of [
        [A, B, port, 80, SYN, 1, 0],
        [B, A, 80, port, SYN | ACK, 9, 2],
        [A, B, port, 80, ACK, 2, 10],
      ] as const) {
        const h = tcp(world, s, d, sp, dp, { flags: f, seq: q, ack: a });
        expect(forward(world, ct, h)).toBe(0);
        deliver(world, h);
      }
    }
    const h = udp(world, A, B, 5, 53);
    expect(forward(world, ct, h)).toBe(Drop.CtTableFull);
    expect(ct.table.count).toBe(2);
    // An unassured entry is early-dropped instead.
    n.sysctl.set('net.netfilter.nf_conntrack_max', '3');
    const u = udp(world, A, B, 6, 53);
    expect(forward(world, ct, u)).toBe(0);
    deliver(world, u);
    const u2 = udp(world, A, B, 7, 53);
    const d = forward(world, ct, u2);
    if (d === 0) deliver(world, u2);
    expect(ct.table.count).toBeLessThanOrEqual(3);
    expect(world.frameBalance().inFlight).toBe(world.pool.liveCount);
  });

  it('a packet dropped before confirmation leaves no entry', () => {
    const { world, ct } = makeWorld();
    const h = udp(world, A, B, 40001, 5000);
    ct.in(NfHook.PreRouting, h, world.pool.start[h]!);
    expect(ct.table.count).toBe(1);
    ct.frameFreed(h);
    world.drop(h, Drop.NetfilterDrop, -1);
    expect(ct.table.count).toBe(0);
    expect(ct.entries()).toHaveLength(0);
  });
});

function ns(world: ReturnType<typeof makeWorld>['world']) {
  return world.namespaces[0]!;
}
function makeWorldNs() {
  return makeWorld();
}
function lastFrame(world: ReturnType<typeof makeWorld>['world']): number {
  // The most recently allocated live frame (helper for one-liners above).
  for (let h = world.pool.capacity - 1; h >= 0; h--) if (world.pool.isLive(h)) return h;
  return -1;
}
