import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Fwd, IpvsVerdict, NS_PER_S, SF } from '../../src/ipvs/defs.js';
import { rd16, rd32 } from '../../src/wire/bytes.js';
import { ipv4ChecksumOk } from '../../src/wire/ipv4.js';
import { tcpChecksumVerifies } from '../../src/wire/tcp.js';
import { ACK, advance, destSpec, director, ipStr, SYN, send, svcSpec, tcpFrame } from './helpers.js';

const octet = fc.integer({ min: 1, max: 254 });
// Unicast only: a multicast real server is refused with EINVAL, as inet_addr_type makes the kernel do.
const addr = fc.tuple(fc.integer({ min: 1, max: 223 }), octet, octet, octet).map((o) => o.join('.'));
const port = fc.integer({ min: 1, max: 65535 });

describe('packet-path properties', () => {
  it('masq: request DNAT and reply SNAT keep valid checksums; the reply leaves with VIP:vport', () => {
    fc.assert(
      fc.property(
        addr,
        port,
        addr,
        port,
        addr,
        port,
        fc.nat(40),
        (client, cport, vip, vport, rs, rport, len) => {
          fc.pre(client !== vip && client !== rs);
          const d = director();
          const svc = svcSpec(`TCP ${vip}:${vport}`, 'wlc');
          d.ipvs.addService(svc);
          d.ipvs.addDest(svc, destSpec(`${rs}:${rport}`, 1, Fwd.Masq));
          const h = tcpFrame(d.world, `${client}:${cport}`, `${vip}:${vport}`, SYN, { payload: len });
          const l3 = d.world.pool.start[h]!;
          const u8 = d.world.pool.bytesOf(h);
          expect(d.ipvs.schedule(h, l3, d.ctx)).toBe(IpvsVerdict.Xmit);
          expect(`${ipStr(rd32(u8, l3 + 16))}:${rd16(u8, l3 + 22)}`).toBe(`${rs}:${rport}`);
          expect(ipv4ChecksumOk(u8, l3)).toBe(true);
          expect(tcpChecksumVerifies(u8, l3 + 20, 20 + len, rd32(u8, l3 + 12), rd32(u8, l3 + 16))).toBe(true);
          d.world.consume(h);
          const r = tcpFrame(d.world, `${rs}:${rport}`, `${client}:${cport}`, SYN | ACK, { payload: len });
          const l3r = d.world.pool.start[r]!;
          expect(d.ipvs.replyOut(r, l3r, d.ctx)).toBe(IpvsVerdict.Rewritten);
          expect(`${ipStr(rd32(u8, l3r + 12))}:${rd16(u8, l3r + 20)}`).toBe(`${vip}:${vport}`);
          expect(`${ipStr(rd32(u8, l3r + 16))}:${rd16(u8, l3r + 22)}`).toBe(`${client}:${cport}`);
          expect(ipv4ChecksumOk(u8, l3r)).toBe(true);
          expect(tcpChecksumVerifies(u8, l3r + 20, 20 + len, rd32(u8, l3r + 12), rd32(u8, l3r + 16))).toBe(
            true,
          );
          d.world.consume(r);
          expect(d.world.pool.liveCount).toBe(0);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('persistence: a client stays on one server until its template expires', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 30, max: 600 }),
        fc.array(fc.integer({ min: 0, max: 20_000 }), { minLength: 1, maxLength: 12 }),
        (timeoutS, gapsMs) => {
          const d = director();
          const svc = svcSpec('TCP 10.0.0.1:443', 'rr', { flags: SF.PERSISTENT, timeoutS });
          d.ipvs.addService(svc);
          for (let i = 2; i < 6; i++) d.ipvs.addDest(svc, destSpec(`192.168.1.${i}:443`, 1, Fwd.Route));
          // Connections of the client are short (ESTABLISHED then idle); gaps are far below the timeout.
          const first = send(d, tcpFrame(d.world, '198.51.100.7:1000', '10.0.0.1:443', SYN)).to;
          let p = 1001;
          for (const g of gapsMs) {
            advance(d.world, g * 1_000_000);
            const to = send(d, tcpFrame(d.world, `198.51.100.7:${p++}`, '10.0.0.1:443', SYN)).to;
            expect(to).toBe(first);
          }
          // Every entry and then the template expire; only then may the client move.
          advance(d.world, (timeoutS + 3 * 60) * NS_PER_S);
          expect(d.ipvs.conns.count).toBe(0);
          send(d, tcpFrame(d.world, '198.51.100.7:9', '10.0.0.1:443', ACK)); // not a SYN: no entry
          expect(d.ipvs.conns.count).toBe(0);
        },
      ),
      { numRuns: 40 },
    );
  });
});
