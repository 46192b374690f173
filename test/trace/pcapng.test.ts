// pcapng writer and reader: golden bytes computed by hand from draft-ietf-opsawg-pcapng §4.1–4.3,
// reader errors, snaplen, file sink and determinism.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileSink, MemorySink, PcapngWriter } from '../../src/trace/pcapng.js';
import { readPcapng } from '../../src/trace/pcapng-reader.js';

// Hand-computed from the draft (little-endian section): SHB + IDB "h1/eth0" + one 5-byte EPB at
// t = 2^32 + 2 ns.
// biome-ignore format: one line per field, as the spec's figures lay them out
const GOLDEN = Uint8Array.from([
  // --- Section Header Block (§4.1), 44 bytes
  0x0a, 0x0d, 0x0d, 0x0a, // Block Type
  0x2c, 0x00, 0x00, 0x00, // Block Total Length = 44
  0x4d, 0x3c, 0x2b, 0x1a, // Byte-Order Magic 0x1A2B3C4D, little-endian
  0x01, 0x00, 0x00, 0x00, // Major Version 1, Minor Version 0
  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // Section Length -1 (not specified)
  0x04, 0x00, 0x06, 0x00, // shb_userappl (4), length 6
  0x6e, 0x65, 0x74, 0x73, 0x69, 0x6d, 0x00, 0x00, // "netsim" + 2 bytes padding to 32 bits
  0x00, 0x00, 0x00, 0x00, // opt_endofopt
  0x2c, 0x00, 0x00, 0x00, // Block Total Length = 44
  // --- Interface Description Block (§4.2), 44 bytes
  0x01, 0x00, 0x00, 0x00, // Block Type 1
  0x2c, 0x00, 0x00, 0x00, // Block Total Length = 44
  0x01, 0x00, 0x00, 0x00, // LinkType 1 (ETHERNET), Reserved 0
  0x00, 0x00, 0x04, 0x00, // SnapLen 262144
  0x02, 0x00, 0x07, 0x00, // if_name (2), length 7
  0x68, 0x31, 0x2f, 0x65, 0x74, 0x68, 0x30, 0x00, // "h1/eth0" + 1 byte padding
  0x09, 0x00, 0x01, 0x00, // if_tsresol (9), length 1
  0x09, 0x00, 0x00, 0x00, // 9 → 10^-9 s, + 3 bytes padding
  0x00, 0x00, 0x00, 0x00, // opt_endofopt
  0x2c, 0x00, 0x00, 0x00, // Block Total Length = 44
  // --- Enhanced Packet Block (§4.3), 40 bytes
  0x06, 0x00, 0x00, 0x00, // Block Type 6
  0x28, 0x00, 0x00, 0x00, // Block Total Length = 40
  0x00, 0x00, 0x00, 0x00, // Interface ID 0
  0x01, 0x00, 0x00, 0x00, // Timestamp (Upper) = 1
  0x02, 0x00, 0x00, 0x00, // Timestamp (Lower) = 2  → 2^32 + 2 ns
  0x05, 0x00, 0x00, 0x00, // Captured Packet Length 5
  0x05, 0x00, 0x00, 0x00, // Original Packet Length 5
  0xde, 0xad, 0xbe, 0xef, 0x01, 0x00, 0x00, 0x00, // Packet Data + 3 bytes padding
  0x28, 0x00, 0x00, 0x00, // Block Total Length = 40 (no options, so no opt_endofopt)
]);

function writeGolden(): Uint8Array {
  const sink = new MemorySink();
  const w = new PcapngWriter(sink);
  const id = w.addInterface('h1/eth0');
  const pkt = Uint8Array.from([0xaa, 0xde, 0xad, 0xbe, 0xef, 0x01, 0xbb]);
  w.writePacket(id, 2 ** 32 + 2, pkt, 1, 5);
  w.close();
  expect(sink.closed).toBe(true);
  return sink.bytes();
}

describe('PcapngWriter', () => {
  it('writes SHB + IDB + EPB exactly as the spec lays them out', () => {
    expect(Array.from(writeGolden())).toEqual(Array.from(GOLDEN));
  });

  it('is deterministic and independent of the flush size', () => {
    const run = (flushBytes: number) => {
      const sink = new MemorySink();
      const w = new PcapngWriter(sink, { flushBytes, comment: 'seed 1' });
      const a = w.addInterface('host1/docker0', { description: 'bridge' });
      const b = w.addInterface('c1/eth0');
      for (let i = 0; i < 200; i++) {
        const f = new Uint8Array(60 + (i % 7)).fill(i);
        w.writePacket(
          i % 2 === 0 ? a : b,
          i * 1_000_123,
          f,
          0,
          f.length,
          i % 5 === 0 ? `pkt ${i} ✓` : undefined,
        );
      }
      w.close();
      return sink.bytes();
    };
    const big = run(1 << 20);
    expect(run(1)).toEqual(big);
    expect(run(1 << 20)).toEqual(big);
  });

  it('stores at most snaplen bytes and keeps the original length', () => {
    const sink = new MemorySink();
    const w = new PcapngWriter(sink);
    w.addInterface('x', { snapLen: 4 });
    w.writePacket(0, 1, Uint8Array.from([1, 2, 3, 4, 5, 6]), 0, 6);
    w.close();
    const r = readPcapng(sink.bytes());
    if (!r.ok) throw new Error(r.reason);
    expect(Array.from(r.file.packets[0]!.bytes)).toEqual([1, 2, 3, 4]);
    expect(r.file.packets[0]!.originalLength).toBe(6);
  });

  it('rejects a packet on an interface it has not described', () => {
    const w = new PcapngWriter(new MemorySink());
    expect(() => w.writePacket(0, 0, new Uint8Array(1), 0, 1)).toThrow(/interface 0/);
  });

  it('writes through a file sink', () => {
    const dir = mkdtempSync(join(tmpdir(), 'netsim-pcapng-'));
    try {
      const path = join(dir, 'a.pcapng');
      const w = new PcapngWriter(new FileSink(path));
      w.addInterface('h1/eth0');
      w.writePacket(0, 2 ** 32 + 2, Uint8Array.from([0xde, 0xad, 0xbe, 0xef, 0x01]), 0, 5);
      w.close();
      expect(Array.from(readFileSync(path))).toEqual(Array.from(GOLDEN));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('readPcapng', () => {
  it('reads the golden file', () => {
    const r = readPcapng(GOLDEN);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.file.sections[0]).toMatchObject({ major: 1, minor: 0, littleEndian: true, userAppl: 'netsim' });
    expect(r.file.interfaces).toEqual([
      {
        section: 0,
        linkType: 1,
        snapLen: 262144,
        name: 'h1/eth0',
        description: undefined,
        tsresol: 9,
        tsoffset: 0,
      },
    ]);
    expect(r.file.packets).toHaveLength(1);
    expect(r.file.packets[0]).toMatchObject({
      ifId: 0,
      timeNs: 2 ** 32 + 2,
      tsHigh: 1,
      tsLow: 2,
      originalLength: 5,
    });
  });

  it('reads a big-endian section and skips unknown blocks', () => {
    // The golden file re-encoded big-endian by hand, with a 12-byte unknown block (type 0x80000001).
    const be = (words: number[]) => {
      const out = new Uint8Array(words.length * 4);
      const dv = new DataView(out.buffer);
      for (let i = 0; i < words.length; i++) dv.setUint32(i * 4, words[i]! >>> 0, false);
      return out;
    };
    const shb = be([0x0a0d0d0a, 28, 0x1a2b3c4d, 0x00010000, -1, -1, 28]);
    const unknown = be([0x80000001, 12, 12]);
    const idb = be([1, 28, 0x00010000, 65535, 0x00090001, 0x06000000, 28]); // if_tsresol 6 (µs)
    const epb = be([6, 36, 0, 0, 1500, 3, 3, 0x0a0b0c00, 36]);
    const file = new Uint8Array([...shb, ...unknown, ...idb, ...epb]);
    const r = readPcapng(file);
    if (!r.ok) throw new Error(`${r.reason} at ${r.offset}`);
    expect(r.file.sections[0]!.littleEndian).toBe(false);
    expect(r.file.skippedBlocks).toBe(1);
    expect(r.file.interfaces[0]!.tsresol).toBe(6);
    expect(r.file.packets[0]!.timeNs).toBe(1_500_000);
    expect(Array.from(r.file.packets[0]!.bytes)).toEqual([0x0a, 0x0b, 0x0c]);
  });

  it('reports malformed input with the byte offset', () => {
    expect(readPcapng(GOLDEN.slice(0, 100))).toEqual({
      ok: false,
      offset: 92,
      reason: 'block length 40 runs past the end of the file',
    });
    const badMagic = GOLDEN.slice();
    badMagic[8] = 0;
    expect(readPcapng(badMagic)).toMatchObject({ ok: false, offset: 8 });
    const badTrailer = GOLDEN.slice();
    badTrailer[40] = 0x30;
    expect(readPcapng(badTrailer)).toMatchObject({ ok: false, offset: 40 });
    expect(readPcapng(GOLDEN.slice(44))).toMatchObject({ ok: false, offset: 0 });
    expect(readPcapng(new Uint8Array(0))).toMatchObject({ ok: false, offset: 0 });
    const badIf = GOLDEN.slice();
    badIf[96] = 3; // EPB interface id 3
    expect(readPcapng(badIf)).toMatchObject({ ok: false, offset: 96 });
  });
});
