// Writer → reader round trip over arbitrary interfaces, packets, comments and times up to 2^53 ns.
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { MemorySink, PcapngWriter } from '../../src/trace/pcapng.js';
import { readPcapng } from '../../src/trace/pcapng-reader.js';

const text = fc.string({ unit: 'grapheme', maxLength: 40 });

it('round-trips interfaces and packets through pcapng', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ name: text, description: fc.option(text, { nil: undefined }) }), {
        minLength: 1,
        maxLength: 5,
      }),
      fc.array(
        fc.record({
          ifPick: fc.nat(),
          timeNs: fc.maxSafeNat(),
          bytes: fc.uint8Array({ maxLength: 300 }),
          pad: fc.nat(8),
          comment: fc.option(text, { nil: undefined }),
        }),
        { maxLength: 30 },
      ),
      fc.integer({ min: 1, max: 4096 }),
      (ifs, pkts, flushBytes) => {
        const sink = new MemorySink();
        const w = new PcapngWriter(sink, { flushBytes });
        for (const i of ifs)
          w.addInterface(i.name, i.description === undefined ? {} : { description: i.description });
        for (const p of pkts) {
          const buf = new Uint8Array(p.pad + p.bytes.length + 3);
          buf.set(p.bytes, p.pad);
          w.writePacket(p.ifPick % ifs.length, p.timeNs, buf, p.pad, p.bytes.length, p.comment);
        }
        w.close();
        const r = readPcapng(sink.bytes());
        if (!r.ok) throw new Error(`${r.reason} at ${r.offset}`);
        expect(r.file.interfaces.map((i) => [i.name, i.description, i.tsresol, i.linkType])).toEqual(
          ifs.map((i) => [i.name, i.description, 9, 1]),
        );
        expect(
          r.file.packets.map((p) => [p.ifId, p.timeNs, Array.from(p.bytes), p.originalLength, p.comment]),
        ).toEqual(
          pkts.map((p) => [
            p.ifPick % ifs.length,
            p.timeNs,
            Array.from(p.bytes),
            p.bytes.length,
            p.comment === '' ? undefined : p.comment,
          ]),
        );
      },
    ),
    { numRuns: 200 },
  );
});
