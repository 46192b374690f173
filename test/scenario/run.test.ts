// The runner end to end with a fake probe registered through the app registry: it sends raw frames
// with an experimental EtherType across a scenario link, which the peer drops as UnhandledProto.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { World } from '../../src/net/world.js';
import {
  type AppContext,
  type PingOptions,
  registerApp,
  unregisterApp,
} from '../../src/scenario/app-registry.js';
import { loadScenarioText } from '../../src/scenario/load.js';
import '../../src/scenario/plugins.js';
import { runScenario } from '../../src/scenario/run.js';
import { MemorySink, PcapngWriter } from '../../src/trace/pcapng.js';
import { readPcapng } from '../../src/trace/pcapng-reader.js';

const kinds = new WeakMap<World, number>();

class RawProbe {
  sent = 0;
  constructor(
    readonly ctx: AppContext,
    readonly opts: PingOptions,
  ) {
    const w = ctx.world;
    if (!kinds.has(w))
      kinds.set(
        w,
        w.sim.registerKind('raw-probe', (_t, _a) => active.get(w)?.shift()?.send()),
      );
  }
  start(): void {
    active.set(this.ctx.world, [...(active.get(this.ctx.world) ?? [])]);
    this.send();
  }
  send(): void {
    const w = this.ctx.world;
    const h = w.newFrame();
    const frame = new Uint8Array(60).fill(0);
    frame.fill(0xff, 0, 6);
    frame[12] = 0x88;
    frame[13] = 0xb5;
    w.pool.copyIn(h, frame);
    this.ctx.ns.device('eth1')!.xmit(h);
    this.sent++;
    if (this.sent < this.opts.count) {
      active.get(w)!.push(this);
      w.sim.after(this.opts.intervalNs, kinds.get(w)!, 0, 0);
    } else this.ctx.done();
  }
  observe() {
    return { kind: 'raw', transmitted: this.sent, received: 0 };
  }
}
const active = new WeakMap<World, RawProbe[]>();

const TEXT = `netsim: 1
hosts: [a, b]
links: [{ a: a:eth1, b: b:eth1, delay: 1ms }]
steps:
  - in: [a, b]
    run: ip link set eth1 up
traffic:
  - { at: 1s, name: raw, from: a, ping: 10.0.0.2, count: 3, interval: 100ms }
expect:
  - { probe: raw, transmitted: 3, received: 0 }
  - { drops: UnhandledProto, count: 3 }
`;

describe('scenario runner', () => {
  beforeAll(() => registerApp('ping', (ctx, opts) => new RawProbe(ctx, opts)));
  afterAll(() => unregisterApp('ping'));

  it('starts probes at their time, ends after done + settle, and checks expectations', () => {
    const out = runScenario(loadScenarioText(TEXT, 't.yaml'));
    expect(out.checks.map((c) => [c.text, c.ok])).toEqual([
      ['raw: transmitted 3, received 0', true],
      ['drops UnhandledProto = 3', true],
    ]);
    expect(out.ok).toBe(true);
    // Last frame sent at 1.2s, done then; settle 1s.
    expect(out.endNs).toBe(2_200_000_000);
    expect(out.world.frameBalance()).toEqual({ created: 3, consumed: 0, dropped: 3, inFlight: 0 });
  });

  it('captures every device into one pcapng with ns/dev interface names', () => {
    const sink = new MemorySink();
    const writer = new PcapngWriter(sink);
    runScenario(loadScenarioText(TEXT, 't.yaml'), { capture: writer });
    writer.close();
    const r = readPcapng(sink.bytes());
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.file.interfaces.map((i) => i.name)).toEqual(['a/eth1', 'b/eth1']);
    expect(r.file.packets.map((p) => [p.ifId, p.timeNs])).toEqual([
      [0, 1_000_000_000],
      [1, 1_001_000_000],
      [0, 1_100_000_000],
      [1, 1_101_000_000],
      [0, 1_200_000_000],
      [1, 1_201_000_000],
    ]);
  });

  it('gives equal fingerprints for equal runs and different ones when events differ', () => {
    const a = runScenario(loadScenarioText(TEXT, 't.yaml')).fingerprint;
    const b = runScenario(loadScenarioText(TEXT, 't.yaml')).fingerprint;
    const slower = runScenario(
      loadScenarioText(TEXT.replace('delay: 1ms', 'delay: 2ms'), 't.yaml'),
    ).fingerprint;
    const seeded = runScenario(loadScenarioText(TEXT, 't.yaml'), { seed: 2 }).fingerprint;
    expect(a).toBe(b);
    expect(slower).not.toBe(a);
    expect(seeded).not.toBe(a);
  });

  it('reports a probe whose app is not registered instead of failing the run', () => {
    unregisterApp('ping');
    const out = runScenario(loadScenarioText(TEXT, 't.yaml'));
    registerApp('ping', (ctx, opts) => new RawProbe(ctx, opts));
    expect(out.ok).toBe(false);
    expect(out.warnings).toEqual(['raw: no "ping" application is registered yet; it did not run']);
    expect(out.checks[0]!.observed).toBe(
      'transmitted not reported, received not reported (no "ping" application is registered yet)',
    );
  });
});
