import { describe, expect, it } from 'vitest';
import { Drop } from '../../../src/net/drop-reason.js';
import { Errno } from '../../../src/net/transport/ip-api.js';
import { modelTimeout, type TcpConn, TcpState } from '../../../src/net/transport/tcp.js';
import { transportOf } from '../../../src/net/transport/transport.js';
import { expectNoLeaks, text, vethPair } from './helpers.js';

const S = 1_000_000_000;

describe('TCP details', () => {
  it('connect() picks even ephemeral ports from ip_local_port_range (__inet_hash_connect)', () => {
    const { world, a, b, B } = vethPair();
    transportOf(b).tcp.listen(0, 80, 64, () => ({}));
    const ports: number[] = [];
    for (let i = 0; i < 5; i++) {
      const c = transportOf(a).tcp.connect(B, 80, {}) as TcpConn;
      ports.push(c.lport);
    }
    for (const p of ports) {
      expect(p % 2).toBe(0);
      expect(p >= 32768 && p <= 60999).toBe(true);
    }
    expect(new Set(ports).size).toBe(5);
    world.sim.run({ until: 1 * S });
  });

  it('tcp_model_timeout: 127 s for 6 retries from 1 s, capped intervals beyond 2^6', () => {
    expect(modelTimeout(6, S)).toBe(127 * S);
    expect(modelTimeout(8, S)).toBe(127 * S + 2 * 120 * S);
  });

  it('a full listen backlog drops further SYNs (the client retransmits)', () => {
    const { world, a, b, B, run } = vethPair();
    // The server never completes handshakes: its SYN-ACKs are lost (tap drops nothing; we block
    // them by making a's stack refuse them: no route back would be simpler, so corrupt them).
    b.device('eth0')!.tap = {
      frame(_d, dir, h) {
        if (dir !== 1) return;
        const u8 = world.pool.bytesOf(h);
        const o = world.pool.start[h]! + 14;
        u8[o + 20 + 16] = u8[o + 20 + 16]! ^ 0xff; // TCP checksum
      },
    };
    const l = transportOf(b).tcp.listen(0, 80, 2, () => ({}));
    expect(typeof l).toBe('object');
    for (let i = 0; i < 3; i++) transportOf(a).tcp.connect(B, 80, {}, { sport: 41000 + i });
    world.sim.run({ until: 10 });
    expect(transportOf(b).tcp.liveConnections().length).toBe(2);
    expect(world.dropCounts[Drop.SocketRcvBuff]).toBe(1);
    void run;
  });

  it('SYN-ACKs are retransmitted after 1, 2, 4, 8, 16 s (tcp_synack_retries 5), then the request dies', () => {
    const { world, a, b, B } = vethPair();
    const synacks: number[] = [];
    let syns = 0;
    b.device('eth0')!.tap = {
      frame(_d, dir, h) {
        const u8 = world.pool.bytesOf(h);
        const o = world.pool.start[h]! + 14;
        const fl = u8[o + 20 + 13];
        // Lose the client's retransmitted SYNs (so only the server's timer sends SYN-ACKs) and every
        // SYN-ACK (so the handshake never completes).
        if (dir === 0 && fl === 0x02 && ++syns > 1) u8[o + 20 + 16] = u8[o + 20 + 16]! ^ 0xff;
        if (dir === 1 && fl === 0x12) {
          synacks.push(world.sim.now / S);
          u8[o + 20 + 16] = u8[o + 20 + 16]! ^ 0xff;
        }
      },
    };
    transportOf(b).tcp.listen(0, 80, 8, () => ({}));
    const c = transportOf(a).tcp.connect(B, 80, {}) as TcpConn;
    world.sim.run({ until: 62 * S });
    expect(synacks).toEqual([0, 1, 3, 7, 15, 31]);
    expect(transportOf(b).tcp.liveConnections().length).toBe(1);
    world.sim.run({ until: 64 * S });
    expect(transportOf(b).tcp.liveConnections().length).toBe(0);
    c.abort();
    world.sim.run({ until: 100 * S });
    expect(transportOf(b).tcp.liveConnections()).toEqual([]);
    expectNoLeaks(world);
  });

  it('an in-window RST with the wrong sequence number gets a challenge ACK (RFC 5961 §3.2)', () => {
    const { world, a, b, B } = vethPair();
    let srv: TcpConn | null = null;
    transportOf(b).tcp.listen(0, 80, 8, (c) => {
      srv = c;
      return {};
    });
    const errs: number[] = [];
    const c = transportOf(a).tcp.connect(B, 80, { onError: (_c, e) => errs.push(e) }) as TcpConn;
    world.sim.run({ until: 1 * S });
    expect(c.state).toBe(TcpState.Established);
    // Forge: make the server's next ACK a RST with seq one past rcv_nxt by rewriting it on the wire.
    let forged = 0;
    b.device('eth0')!.tap = {
      frame(_d, dir, h) {
        if (dir !== 1 || forged > 0) return;
        const u8 = world.pool.bytesOf(h);
        const o = world.pool.start[h]! + 14;
        const t = o + 20;
        forged++;
        u8[t + 13] = 0x04; // RST only
        const seq = ((u8[t + 4]! << 24) | (u8[t + 5]! << 16) | (u8[t + 6]! << 8) | u8[t + 7]!) >>> 0;
        const s2 = (seq + 100) >>> 0;
        u8[t + 4] = s2 >>> 24;
        u8[t + 5] = s2 >>> 16;
        u8[t + 6] = s2 >>> 8;
        u8[t + 7] = s2;
        // Recompute the TCP checksum.
        const tl = (u8[o + 2]! << 8) | u8[o + 3]!;
        u8[t + 16] = 0;
        u8[t + 17] = 0;
        let sum = 6 + (tl - 20);
        for (let i = 12; i < 20; i += 2) sum += (u8[o + i]! << 8) | u8[o + i + 1]!;
        for (let i = 0; i < tl - 20; i += 2)
          sum += (u8[t + i]! << 8) | (i + 1 < tl - 20 ? u8[t + i + 1]! : 0);
        while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
        const ck = ~sum & 0xffff;
        u8[t + 16] = ck >>> 8;
        u8[t + 17] = ck;
      },
    };
    srv!.send(text('x'), 0, 1);
    world.sim.run({ until: 2 * S });
    expect(errs).toEqual([]);
    expect(c.state).toBe(TcpState.Established);
    expect(world.dropCounts[Drop.TcpInvalid]).toBeGreaterThanOrEqual(1);
  });

  it('abort() sends RST|ACK; the peer reports ECONNRESET', () => {
    const { world, a, b, B } = vethPair();
    const errs: number[] = [];
    transportOf(b).tcp.listen(0, 80, 8, () => ({ onError: (_c, e) => errs.push(e) }));
    const c = transportOf(a).tcp.connect(B, 80, {}) as TcpConn;
    world.sim.run({ until: 1 * S });
    c.abort();
    world.sim.run();
    expect(errs).toEqual([Errno.ECONNRESET]);
    expect(transportOf(b).tcp.liveConnections()).toEqual([]);
    expectNoLeaks(world);
  });

  it('a TIME_WAIT pair keeps its local port busy for 60 s (no SO_REUSEADDR)', () => {
    const { world, a, b, B } = vethPair();
    transportOf(b).tcp.listen(0, 80, 8, () => ({
      onPeerClosed: (c) => c.close(),
    }));
    const opened: string[] = [];
    const h = {
      onConnected: (c: TcpConn) => {
        opened.push('up');
        c.close();
      },
    };
    transportOf(a).tcp.connect(B, 80, h, { sport: 40100 });
    world.sim.run({ until: 1 * S });
    const tw = transportOf(a).tcp.liveConnections();
    expect(tw.map((c) => c.stateName)).toEqual(['TIME-WAIT']);
    // The same 4-tuple from the server's view is gone (LAST_ACK done); reconnecting from the same
    // port while a's own pair is in TIME_WAIT is refused locally, like bind() without SO_REUSEADDR.
    expect(transportOf(a).tcp.connect(B, 80, h, { sport: 40100 })).toBe(Errno.EADDRINUSE);
    world.sim.run({ until: 62 * S });
    expect(transportOf(a).tcp.connect(B, 80, h, { sport: 40100 })).not.toBeTypeOf('number');
    world.sim.run({ until: 63 * S });
    expect(opened).toEqual(['up', 'up']);
  });

  it('a new SYN on the 4-tuple of a server-side TIME_WAIT reopens it (TCP_TW_SYN)', () => {
    const { world, a, b, B } = vethPair();
    let accepted = 0;
    transportOf(b).tcp.listen(0, 80, 8, () => {
      accepted++;
      return {
        onConnected: (c) => c.close(), // the server closes first and ends in TIME_WAIT
      };
    });
    const h = { onPeerClosed: (c: TcpConn) => c.close() };
    transportOf(a).tcp.connect(B, 80, h, { sport: 40200 });
    world.sim.run({ until: 1 * S });
    expect(
      transportOf(b)
        .tcp.liveConnections()
        .map((c) => c.stateName),
    ).toEqual(['TIME-WAIT']);
    expect(transportOf(a).tcp.liveConnections()).toEqual([]);
    const again = transportOf(a).tcp.connect(B, 80, h, { sport: 40200 }) as TcpConn;
    world.sim.run({ until: 1 * S + 1000 });
    expect(accepted).toBe(2);
    expect(again.retransmittedSegments).toBe(0);
    world.sim.run();
    expectNoLeaks(world);
  });
});
