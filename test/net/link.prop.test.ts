// Scenario links (src/net/link.ts): each direction delays a frame by its serialisation time
// (ceil(bits / rate), queued behind the frames still on the wire) plus the propagation delay, and a
// transmit queue of `queueLimit` frames tail-drops (QueueFull, counted at the sender) when full.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DevKind, type FrameTap } from '../../src/net/device.js';
import { createPair } from '../../src/net/devices/veth.js';
import { Drop } from '../../src/net/drop-reason.js';
import type { LinkParams } from '../../src/net/link.js';
import { World } from '../../src/net/world.js';

function cable(params: LinkParams) {
  const w = new World({ seed: 1, check: true });
  const na = w.addNamespace('a');
  const nb = w.addNamespace('b');
  const [a, b] = createPair(w, na, 'eth0', nb, 'eth0', DevKind.Ether, params);
  na.attach(a);
  nb.attach(b);
  for (const d of [a, b]) {
    d.adminUp = true;
    w.notifyNetdev('up', d);
  }
  const arrivals: { t: number; len: number }[] = [];
  const tap: FrameTap = {
    frame(devId, dir, h) {
      if (devId === b.id && dir === 0) arrivals.push({ t: w.sim.now, len: w.pool.len[h]! });
    },
  };
  b.tap = tap;
  /** Sends a frame of `len` bytes (an EtherType nobody handles) from a. */
  const send = (len: number) => {
    const h = w.newFrame();
    w.pool.setLength(h, len);
    const u8 = w.pool.bytesOf(h);
    const o = w.pool.start[h]!;
    u8.fill(0xff, o, o + 6);
    u8[o + 12] = 0x88;
    u8[o + 13] = 0xb5; // local experimental EtherType
    a.xmit(h);
  };
  return { w, a, b, arrivals, send };
}

describe('link timing and tail drop', () => {
  it('1500-byte frames at 1 Mbit/s with 10 ms delay: 12 ms apart, first at 22 ms; queue 3 drops the rest', () => {
    const c = cable({ delayNs: 10_000_000, rateBps: 1_000_000, queueLimit: 3 });
    for (let i = 0; i < 5; i++) c.send(1500);
    c.w.sim.run({ until: 1_000_000_000 });
    expect(c.arrivals.map((x) => x.t)).toEqual([22_000_000, 34_000_000, 46_000_000]);
    expect(c.w.dropCounts[Drop.QueueFull]).toBe(2);
    expect(c.w.counters.dropsOf(c.a.id, Drop.QueueFull)).toBe(2);
    // Once the queue drains, the link takes frames again.
    c.send(100);
    c.w.sim.run({ until: 2_000_000_000 });
    expect(c.arrivals.at(-1)).toEqual({ t: 1_000_000_000 + 800_000 + 10_000_000, len: 100 });
  });

  it('without a rate, frames take only the propagation delay and are never queued', () => {
    const c = cable({ delayNs: 5_000, rateBps: 0, queueLimit: 1 });
    for (let i = 0; i < 50; i++) c.send(60);
    c.w.sim.run({ until: 1_000_000 });
    expect(c.arrivals.length).toBe(50);
    expect(new Set(c.arrivals.map((x) => x.t))).toEqual(new Set([5_000]));
  });

  it('property: a burst arrives in order at the computed times; sent = delivered + dropped + in flight', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 50_000_000 }),
        fc.integer({ min: 10_000, max: 10_000_000_000 }),
        fc.integer({ min: 1, max: 20 }),
        fc.array(
          fc.record({
            gapNs: fc.integer({ min: 0, max: 2_000_000 }),
            len: fc.integer({ min: 60, max: 1514 }),
          }),
          {
            minLength: 1,
            maxLength: 60,
          },
        ),
        fc.integer({ min: 0, max: 100_000_000 }),
        (delayNs, rateBps, queueLimit, frames, stopAt) => {
          const c = cable({ delayNs, rateBps, queueLimit });
          const w = c.w;
          const kind = w.sim.registerKind('send', (_t, len) => c.send(len));
          let t = 0;
          for (const f of frames) {
            t += f.gapNs;
            w.sim.at(t, kind, 0, f.len);
          }
          // Model: finish times of frames not yet fully serialised.
          const expected: { t: number; len: number }[] = [];
          let busy = 0;
          const onWire: number[] = [];
          let dropped = 0;
          t = 0;
          for (const f of frames) {
            t += f.gapNs;
            while (onWire.length > 0 && onWire[0]! <= t) onWire.shift();
            if (onWire.length >= queueLimit) {
              dropped++;
              continue;
            }
            const done = Math.max(busy, t) + Math.ceil((f.len * 8 * 1e9) / rateBps);
            busy = done;
            onWire.push(done);
            expected.push({ t: done + delayNs, len: f.len });
          }
          // Stop part-way: conservation holds with frames still on the wire.
          w.sim.run({ until: stopAt });
          const bal = w.frameBalance();
          expect(bal.inFlight).toBe(w.pool.liveCount);
          w.sim.run({ until: Number.MAX_SAFE_INTEGER });
          expect(c.arrivals).toEqual(expected);
          expect(w.dropCounts[Drop.QueueFull]).toBe(dropped);
          const end = w.frameBalance();
          expect(end.created).toBe(frames.length);
          expect(end.inFlight).toBe(0);
          expect(w.pool.liveCount).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });
});
