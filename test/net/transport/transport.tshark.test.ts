// tshark as an independent oracle for what the transports put on the wire: a TCP connection with
// data both ways, a lost segment and its retransmission, FINs; a UDP exchange; a port unreachable
// and a reset to a closed port. Every frame must decode without checksum errors or malformed
// markers, and the TCP analysis must see the handshake options and one retransmission.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { transportOf } from '../../../src/net/transport/transport.js';
import { MemorySink, PcapngWriter } from '../../../src/trace/pcapng.js';
import { hasTshark, tsharkFields, tsharkJson, tsharkProblems, warnNoTshark } from '../../support/tshark.js';
import { text, vethPair } from './helpers.js';

warnNoTshark('transport tshark oracle');

describe.skipIf(!hasTshark)('transports on the wire, decoded by tshark', () => {
  it('TCP/UDP/ICMP frames decode cleanly and TCP analysis sees the retransmission', () => {
    const { world, a, b, B } = vethPair();
    const sink = new MemorySink();
    const w = new PcapngWriter(sink);
    const ifA = w.addInterface('a/eth0');
    let lostOnce = false;
    // Capture on a's eth0 (both directions); lose the first data segment a receives, after capture.
    a.device('eth0')!.tap = {
      frame(_d, dir, h) {
        const u8 = world.pool.bytesOf(h);
        const off = world.pool.start[h]!;
        w.writePacket(ifA, world.sim.now, u8, off, world.pool.len[h]!);
        const o = off + 14;
        if (dir === 0 && u8[o + 9] === 6 && !lostOnce) {
          const tl = (u8[o + 2]! << 8) | u8[o + 3]!;
          const dataLen = tl - 20 - (u8[o + 32]! >> 4) * 4;
          if (dataLen > 0) {
            lostOnce = true;
            u8[o + tl - 1] = u8[o + tl - 1]! ^ 0xff;
          }
        }
      },
    };
    transportOf(b).tcp.listen(0, 80, 8, () => ({
      onData(c, u8, off, len) {
        c.send(u8, off, len);
      },
      onPeerClosed(c) {
        c.close();
      },
    }));
    const big = new Uint8Array(5000).map((_, i) => i & 0xff);
    transportOf(a).tcp.connect(B, 80, {
      onConnected(c) {
        c.send(big, 0, big.length);
        c.shutdownWrite();
      },
      onPeerClosed(c) {
        c.close();
      },
    });
    const u = transportOf(a).udp.open({ onDatagram() {} }, { recvErr: true });
    transportOf(b)
      .udp.open({ onDatagram: (s, src, sport) => s.sendTo(src, sport, text('pong'), 0, 4) })
      .bind(0, 7000);
    u.sendTo(B, 7000, text('ping'), 0, 4);
    u.sendTo(B, 7001, text('closed'), 0, 6);
    transportOf(a).tcp.connect(B, 81, {});
    world.sim.run();
    w.close();
    const dir = mkdtempSync(join(tmpdir(), 'netsim-transport-'));
    const file = join(dir, 'transport.pcapng');
    writeFileSync(file, sink.bytes());
    // Decoded cleanly (the one frame we corrupted after capture was captured before corruption).
    const packets = tsharkJson(file);
    const problems = packets.flatMap((p, i) => tsharkProblems(p).map((x) => `#${i + 1} ${x}`));
    // Expert notes about the retransmission and the reset are expected; nothing else.
    expect(problems.filter((p) => !/retransmission|Connection reset/i.test(p))).toEqual([]);
    const rows = tsharkFields(file, [
      'tcp.flags.str',
      'tcp.options.mss_val',
      'tcp.options.wscale.shift',
      'tcp.analysis.retransmission',
      'icmp.type',
      'icmp.code',
      'udp.dstport',
    ]);
    const syn = rows.find((r) => r[0]?.includes('S') && !r[0]?.includes('A'));
    expect(syn?.[1]).toBe('1460');
    expect(syn?.[2]).toBe('10');
    expect(rows.filter((r) => r[3] !== '').length).toBeGreaterThanOrEqual(1);
    expect(rows.some((r) => r[4] === '3' && r[5] === '3')).toBe(true);
    expect(rows.some((r) => r[0]?.includes('R'))).toBe(true);
  });
});
