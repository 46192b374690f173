// NAT properties (fast-check): tuples mirror, reply tuples unique under port pressure (exhaustion
// drops counted), replies return with the original tuple, incremental checksums equal full ones.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Dummy } from '../../src/net/devices/dummy.js';
import { TupleScratch } from '../../src/netfilter/conntrack/tuple.js';
import { manipPkt, NatManip } from '../../src/netfilter/nat/nat.js';
import { csumVerifies } from '../../src/wire/checksum.js';
import { ipv4ChecksumOk } from '../../src/wire/ipv4.js';
import { tcpChecksumVerifies } from '../../src/wire/tcp.js';
import { udpChecksumVerifies } from '../../src/wire/udp.js';
import { bytes, deliver, forward, makeWorld, range, tcp, udp } from './conntrack-helpers.js';

const NAT_IP = 0x0a000001;
const SERVER = 0x0a000002;

function rd16(b: Uint8Array, o: number) {
  return (b[o]! << 8) | b[o + 1]!;
}
function rd32(b: Uint8Array, o: number) {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

const flowArb = fc.record({
  client: fc.integer({ min: 2, max: 6 }),
  sport: fc.constantFrom(1000, 1001, 2000, 40001),
  dport: fc.constantFrom(53, 80),
});

describe('NAT properties', () => {
  it('MASQUERADE with a small port range: tuples mirror, reply tuples unique, exhaustion drops counted, replies return', () => {
    fc.assert(
      fc.property(
        fc.array(flowArb, { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 1, max: 1000 }),
        (flows, seed) => {
          const { world, ns, ct } = makeWorld(seed);
          const out = new Dummy(world, ns, 'eth1');
          ns.attach(out);
          ct.nat.addrs = { selectAddr: () => NAT_IP, list: () => [{ local: NAT_IP }] };
          const masq = { range: range(0, 0, 5000, 5003, 0), state: { inDev: null, outDev: out, nextHop: 0 } };
          masq.range.flags = 2; // --to-ports 5000-5003 (PROTO_SPECIFIED)
          const mapped = new Map<string, string>();
          let drops = 0;
          for (const f of flows) {
            const src = 0xac110000 + f.client;
            const key = `${src}:${f.sport}>${f.dport}`;
            const h = udp(world, src, SERVER, f.sport, f.dport);
            const d = forward(world, ct, h, { masquerade: masq });
            if (d !== 0) {
              drops++;
              continue;
            }
            const o = deliver(world, h);
            const pub = `${rd32(o, 12)}:${rd16(o, 20)}>${f.dport}`;
            if (mapped.has(key)) expect(mapped.get(key)).toBe(pub); // existing connection: same mapping
            mapped.set(key, pub);
            // The server answers; the reply must reach the original sender with its original tuple.
            const r = udp(world, SERVER, rd32(o, 12), f.dport, rd16(o, 20));
            expect(forward(world, ct, r)).toBe(0);
            const back = deliver(world, r);
            expect([rd32(back, 16), rd16(back, 22), rd16(back, 20)]).toEqual([src, f.sport, f.dport]);
          }
          const entries = ct.entries();
          const replies = new Set<string>();
          for (const e of entries) {
            // reply = inverted original after SNAT: addresses/ports mirror except the translated source.
            expect(e.reply.src).toBe(e.orig.dst);
            expect(e.reply.sport).toBe(e.orig.dport);
            expect(e.reply.dst).toBe(NAT_IP);
            expect(e.reply.dport).toBeGreaterThanOrEqual(5000);
            expect(e.reply.dport).toBeLessThanOrEqual(5003);
            const k = `${e.reply.src}:${e.reply.sport}>${e.reply.dst}:${e.reply.dport}`;
            expect(replies.has(k)).toBe(false);
            replies.add(k);
          }
          // At most 4 ports per server port: everything beyond was dropped and counted.
          expect(ct.stats.insertFailed).toBe(drops);
          expect(world.frameBalance().inFlight).toBe(world.pool.liveCount);
          expect(world.pool.liveCount).toBe(0);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('incremental checksum after manip equals a full recompute (TCP, UDP incl. zero checksum)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('tcp', 'udp', 'udp0'),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 65535 }),
        fc.integer({ min: 0, max: 65535 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 65535 }),
        fc.boolean(),
        (kind, src, dst, sp, dp, newIp, newPort, srcManip) => {
          const { world } = makeWorld();
          const h =
            kind === 'tcp'
              ? tcp(world, src, dst, sp, dp, { flags: 0x18, seq: 7, ack: 9, len: 13 })
              : udp(world, src, dst, sp, dp, kind === 'udp');
          const b = bytes(world, h);
          world.consume(h);
          const t = new TupleScratch().set(
            srcManip ? newIp : src,
            srcManip ? dst : newIp,
            srcManip ? newPort : sp,
            srcManip ? dp : newPort,
            b[9]!,
          );
          manipPkt(b, 0, b.length, t, srcManip ? NatManip.Src : NatManip.Dst);
          expect(ipv4ChecksumOk(b, 0)).toBe(true);
          const s = rd32(b, 12);
          const d = rd32(b, 16);
          expect(srcManip ? s : d).toBe(newIp >>> 0);
          const len = b.length - 20;
          if (kind === 'tcp') expect(tcpChecksumVerifies(b, 20, len, s, d)).toBe(true);
          else if (kind === 'udp') {
            expect(udpChecksumVerifies(b, 20, len, s, d)).toBe(true);
            expect(rd16(b, 26)).not.toBe(0);
          } else expect(rd16(b, 26)).toBe(0); // zero UDP checksum stays zero
          expect(csumVerifies(b, 0, 20)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});
