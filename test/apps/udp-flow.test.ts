import { describe, expect, it } from 'vitest';
import { UdpFlow, UdpSink } from '../../src/apps/udp-flow.js';
import { expectNoLeaks, vethPair } from '../net/transport/helpers.js';

const MS = 1_000_000;

describe('udp-flow', () => {
  it('sends at a constant rate for the duration and the sink counts every datagram', () => {
    const { world, a, b, B } = vethPair();
    const sink = new UdpSink(world, b, 5201);
    sink.start();
    const flow = new UdpFlow(world, a, {
      dstAddr: B,
      port: 5201,
      size: 1000,
      ratePps: 1000,
      durationNs: 100 * MS,
    });
    flow.start();
    world.sim.run();
    expect(flow.sent).toBe(100);
    expect(sink.packets).toBe(100);
    expect(sink.bytes).toBe(100_000);
    // 1000 pps: the last datagram leaves 99 ms after the first.
    expect(sink.lastNs - sink.firstNs).toBe(99 * MS);
    expectNoLeaks(world);
  });

  it('a bit rate is converted over the IP packet size', () => {
    const { world, a, b, B } = vethPair();
    const sink = new UdpSink(world, b, 5201);
    sink.start();
    // (972 + 28) · 8 = 8000 bits per datagram; 8 Mbit/s → 1000 pps → 50 in 50 ms.
    new UdpFlow(world, a, {
      dstAddr: B,
      port: 5201,
      size: 972,
      rateBps: 8_000_000,
      durationNs: 50 * MS,
    }).start();
    world.sim.run();
    expect(sink.packets).toBe(50);
    expectNoLeaks(world);
  });
});
