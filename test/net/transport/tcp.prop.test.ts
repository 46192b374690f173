// Property: any interleaving of application sends and shutdowns on both ends of a connection, with
// or without lost segments, ends with every byte delivered once and in order (unless the loss made a
// side give up: then a prefix), both ends CLOSED or in TIME_WAIT (then CLOSED after 60 s), and no
// frame leaked.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppTimer } from '../../../src/apps/timers.js';
import { Rng } from '../../../src/core/rng.js';
import { type TcpConn, type TcpHandler, TcpState } from '../../../src/net/transport/tcp.js';
import { transportOf } from '../../../src/net/transport/transport.js';
import { expectNoLeaks, vethPair } from './helpers.js';

const MS = 1_000_000;

interface Side {
  /** Send sizes, in order, each at a delay (ms) after the previous action. */
  sends: { delayMs: number; len: number }[];
  shutDelayMs: number;
}

const sideArb: fc.Arbitrary<Side> = fc.record({
  sends: fc.array(
    fc.record({ delayMs: fc.integer({ min: 0, max: 30 }), len: fc.integer({ min: 1, max: 5000 }) }),
    {
      maxLength: 6,
    },
  ),
  shutDelayMs: fc.integer({ min: 0, max: 30 }),
});

class Endpoint implements TcpHandler {
  conn: TcpConn | null = null;
  sentBytes = 0;
  received: number[] = [];
  eof = false;
  shut = false;
  errno = 0;
  private step = 0;
  private readonly timer: AppTimer;
  constructor(
    world: ConstructorParameters<typeof AppTimer>[0],
    private readonly plan: Side,
  ) {
    this.timer = new AppTimer(world, { onTimer: () => this.act() });
  }
  onConnected(c: TcpConn): void {
    this.conn = c;
    this.schedule();
  }
  private schedule(): void {
    const d =
      this.step < this.plan.sends.length ? this.plan.sends[this.step]!.delayMs : this.plan.shutDelayMs;
    this.timer.after(d * MS, 0);
  }
  private act(): void {
    const c = this.conn!;
    if (c.state === TcpState.Closed) return;
    if (this.step < this.plan.sends.length) {
      const len = this.plan.sends[this.step]!.len;
      const b = new Uint8Array(len);
      for (let i = 0; i < len; i++) b[i] = (this.sentBytes + i) & 0xff;
      c.send(b, 0, len);
      this.sentBytes += len;
      this.step++;
      this.schedule();
      return;
    }
    c.shutdownWrite();
    this.shut = true;
    if (this.eof) c.close();
  }
  onData(_c: TcpConn, u8: Uint8Array, off: number, len: number): void {
    for (let i = 0; i < len; i++) this.received.push(u8[off + i]!);
  }
  onError(_c: TcpConn, errno: number): void {
    this.errno = errno;
  }
  onPeerClosed(c: TcpConn): void {
    this.eof = true;
    if (this.shut) c.close();
  }
}

describe('TCP properties', () => {
  it('every interleaving of sends/shutdowns (with segment loss) delivers all bytes in order and closes', () => {
    fc.assert(
      fc.property(
        sideArb,
        sideArb,
        fc.integer({ min: 0, max: 20 }),
        fc.integer(),
        (pc, ps, lossPct, seed) => {
          const { world, a, b, B } = vethPair(seed);
          const client = new Endpoint(world, pc);
          const server = new Endpoint(world, ps);
          transportOf(b).tcp.listen(0, 5001, 8, () => server);
          // Loss: corrupt segments (any kind: SYN, data, FIN, pure ACK) arriving at either end with
          // probability lossPct %; the receiver drops them as L4Malformed.
          const rng = Rng.fromSeed(seed);
          for (const ns of [a, b]) {
            ns.device('eth0')!.tap = {
              frame(_d, dir, h) {
                if (dir !== 0) return;
                const u8 = world.pool.bytesOf(h);
                const o = world.pool.start[h]! + 14;
                if (u8[o + 9] !== 6) return;
                const tl = (u8[o + 2]! << 8) | u8[o + 3]!;
                if (rng.int(0, 99) < lossPct) u8[o + tl - 1] = u8[o + tl - 1]! ^ 0xa5;
              },
            };
          }
          transportOf(a).tcp.connect(B, 5001, client);
          world.sim.run({ maxEvents: 2_000_000 });
          const expectBytes = (n: number) => Array.from({ length: n }, (_, i) => i & 0xff);
          if (client.errno === 0 && server.errno === 0) {
            expect(server.received).toEqual(expectBytes(client.sentBytes));
            expect(client.received).toEqual(expectBytes(server.sentBytes));
            expect(client.eof && server.eof).toBe(true);
          } else {
            // Heavy loss may exhaust tcp_retries2 (ETIMEDOUT) or reset a peer; what arrived is a prefix.
            expect(server.received).toEqual(expectBytes(server.received.length));
            expect(client.received).toEqual(expectBytes(client.received.length));
          }
          expect(transportOf(a).tcp.liveConnections()).toEqual([]);
          expect(transportOf(b).tcp.liveConnections()).toEqual([]);
          expectNoLeaks(world);
        },
      ),
      { numRuns: 60 },
    );
  });
});
